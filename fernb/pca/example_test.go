package pca_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/pca"
)

func ExampleFitRows() {
	// 1,000 synthetic 3-D feature vectors stretched along the first axis.
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([][]float32, 1000)
	labels := make([]uint8, len(x))
	for i := range x {
		x[i] = []float32{float32(3 * rng.NormFloat64()), float32(rng.NormFloat64()), float32(0.1 * rng.NormFloat64())}
		labels[i] = uint8(i % 7)
	}
	// Fit on a stratified subsample, project every row.
	rows, err := data.StratifiedSample(labels, 500, 42)
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := pca.FitRows(x, rows, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("fitted on %d rows, projected %d\n", r.FitRows, len(r.Projected))
	fmt.Printf("PC1 explains %.0f%%, PC2 %.0f%%\n", 100*r.ExplainedRatio[0], 100*r.ExplainedRatio[1])
	// Output:
	// fitted on 500 rows, projected 1000
	// PC1 explains 91%, PC2 9%
}
