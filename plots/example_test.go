package plots_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/fernb/fernb/plots"
)

var classes = []string{"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}

func ExampleCurves() {
	run := plots.History{Name: "baseline (synthetic)"}
	for e := range 10 {
		run.TrainLoss = append(run.TrainLoss, 2*math.Exp(-float64(e)/4))
		run.ValLoss = append(run.ValLoss, 2*math.Exp(-float64(e)/5)+0.2)
		run.TrainAcc = append(run.TrainAcc, 1-0.8*math.Exp(-float64(e)/4))
		run.ValAcc = append(run.ValAcc, 0.7-0.5*math.Exp(-float64(e)/5))
	}
	fig, err := plots.Curves([]plots.History{run}, plots.Title("training curves (synthetic)"))
	if err != nil {
		fmt.Println(err)
		return
	}
	// In a notebook, inline.Show(fig) (package plots/inline) displays it.
	dir, _ := os.MkdirTemp("", "plots")
	defer os.RemoveAll(dir)
	paths, err := fig.SaveAll(dir, "curves", "png", "svg")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range paths {
		fmt.Println(filepath.Base(p))
	}
	// Output:
	// curves.png
	// curves.svg
}

func ExampleLRSchedule() {
	cosine := plots.Series{Name: "cosine, eta_min 1e-5"}
	for e := 0; e <= 30; e++ {
		cosine.X = append(cosine.X, float64(e))
		cosine.Y = append(cosine.Y, 1e-5+0.5*(0.1-1e-5)*(1+math.Cos(math.Pi*float64(e)/30)))
	}
	fig, err := plots.LRSchedule([]plots.Series{cosine}, plots.LogY())
	fmt.Println(fig.Name, err)
	// Output: lr_schedule <nil>
}

func ExamplePCAScatter() {
	// Two synthetic clusters; in fernb the points come from pca.Fit(...).Projected.
	points := [][]float64{{-2, 0.1}, {-1.8, -0.2}, {2, 0.3}, {2.2, -0.1}}
	labels := []int{3, 3, 4, 4} // happy, sad
	fig, err := plots.PCAScatter(points, labels, classes, []float64{0.42, 0.11},
		plots.Title("train features (synthetic)"))
	if err != nil {
		fmt.Println(err)
		return
	}
	svg, _ := fig.Bytes("svg")
	fmt.Println(len(svg) > 0)
	// Output: true
}

func ExampleConfusionMatrix() {
	counts := [][]int{{8, 2}, {1, 9}}
	fig, err := plots.ConfusionMatrix(counts, []string{"happy", "sad"}, plots.Title("confusion (synthetic)"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.1fx%.1f in\n", fig.Width.Points()/72, fig.Height.Points()/72)
	// Output: 5.5x5.0 in
}

func ExampleFaceGrid() {
	// One flat gray face per class, captioned; real faces come from data.Split.
	var faces []plots.Image
	for k, name := range classes {
		px := make([]uint8, 48*48)
		for i := range px {
			px[i] = uint8(30 * k)
		}
		faces = append(faces, plots.Image{Pixels: px, Caption: name})
	}
	fig, err := plots.FaceGrid(faces, plots.Columns(7), plots.Title("one face per class (synthetic)"))
	fmt.Println(fig.Name, err)
	// Output: faces <nil>
}
