package data_test

import (
	"fmt"

	"github.com/fernb/fernb/fernb/data"
)

// The synthetic faces stand in for FER2013 when no data is given; a
// stratified validation split keeps the class proportions.
func ExampleDataset_SplitVal() {
	ds := data.Synthetic(700, 140, 1)
	if err := ds.SplitVal(0.1, 42); err != nil {
		panic(err)
	}
	fmt.Println(ds.Synthetic, ds.Train.Len(), ds.Val.Len(), ds.Test.Len())
	fmt.Println(ds.Val.ClassCounts())
	trainval := data.Merge("trainval", ds.Train, ds.Val)
	fmt.Println(trainval.Name, trainval.Len())
	// Output:
	// true 630 70 140
	// [10 10 10 10 10 10 10]
	// trainval 700
}

func ExampleQuality() {
	ds := data.Synthetic(70, 0, 1)
	copy(ds.Train.Image(1), ds.Train.Image(0)) // a duplicate
	clear(ds.Train.Image(2))                   // an all-black image
	q := data.Quality(ds)
	tr := q.Split("train")
	fmt.Println(tr.Distinct, len(tr.Groups), len(q.Blank))
	// Output: 69 1 1
}
