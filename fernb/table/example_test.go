package table_test

import (
	"fmt"

	"github.com/fernb/fernb/fernb/table"
)

func ExampleTable_Markdown() {
	t := table.Table{Columns: []string{"run", "val acc", "test acc"}, Right: []bool{false, true, true},
		Rows: [][]string{{"baseline CNN", "55.12%", "54.31%"}, {"ResNet18", "62.34%", "–"}}}
	md, _ := t.Markdown()
	fmt.Print(md)
	// Output:
	// | run | val acc | test acc |
	// |---|---:|---:|
	// | baseline CNN | 55.12% | 54.31% |
	// | ResNet18 | 62.34% | – |
}
