package augment_test

import (
	"fmt"

	"github.com/fernb/fernb/fernb/augment"
	"github.com/fernb/fernb/fernb/data"
)

func ExamplePipeline_MakeBatch() {
	ds := data.Synthetic(70, 0, 1)
	cfg := augment.Study()
	cfg.Mixup = 0.2
	p, err := cfg.Pipeline()
	if err != nil {
		panic(err)
	}
	b := p.MakeBatch(ds.Train, []int{0, 1, 2, 3}, 7, true)
	fmt.Println(len(b.Images), len(b.Targets), len(b.Labels), b.Lambda < 1)
	e := p.MakeBatch(ds.Train, []int{0, 1, 2, 3}, 7, false)
	fmt.Println(e.Lambda, e.Targets[:7])
	// Output:
	// 9216 28 4 true
	// 1 [0 0 0 0 0 0 1]
}
