package plots

import (
	"math"
	"math/rand/v2"
)

var testClasses = []string{"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}

// synthFace draws a simple cartoon face (oval, eyes, mouth whose curvature
// depends on k) so image grids can be inspected by eye.
func synthFace(k int, caption string) Image {
	px := make([]uint8, 48*48)
	smile := float64(k-3) / 3
	for y := range 48 {
		for x := range 48 {
			dx, dy := (float64(x)-23.5)/17, (float64(y)-24)/21
			v := 40.0
			if dx*dx+dy*dy < 1 {
				v = 170 + 30*dy
			}
			for _, ex := range []float64{16, 31} {
				if math.Hypot(float64(x)-ex, float64(y)-18) < 3 {
					v = 30
				}
			}
			mx := (float64(x) - 23.5) / 10
			if math.Abs(mx) < 1 && math.Abs(float64(y)-(33-6*smile*(1-mx*mx))) < 1.5 {
				v = 60
			}
			px[y*48+x] = uint8(v)
		}
	}
	return Image{Pixels: px, Caption: caption}
}

func synthHistory() []History {
	var runs []History
	for r, name := range []string{"baseline CNN", "ResNet18 + SGD", "ResNet18 + cosine + aug"} {
		h := History{Name: name}
		d := float64(r+1) * 0.3
		for e := 0; e < 30; e++ {
			t := math.Exp(-float64(e) / (8 * d))
			h.TrainLoss = append(h.TrainLoss, 1.9*t+0.3)
			h.ValLoss = append(h.ValLoss, 1.9*t+0.5+0.01*float64(e)/d)
			h.TrainAcc = append(h.TrainAcc, 0.9-0.65*t)
			h.ValAcc = append(h.ValAcc, 0.6+0.05*float64(r)-0.4*t)
		}
		runs = append(runs, h)
	}
	return runs
}

// synthPCA returns 7 Gaussian blobs in 2-D.
func synthPCA(n int) ([][]float64, []int) {
	rng := rand.New(rand.NewPCG(1, 2))
	pts := make([][]float64, n)
	labels := make([]int, n)
	for i := range pts {
		k := rng.IntN(7)
		a := 2 * math.Pi * float64(k) / 7
		pts[i] = []float64{4*math.Cos(a) + rng.NormFloat64(), 2.5*math.Sin(a) + rng.NormFloat64()}
		labels[i] = k
	}
	return pts, labels
}

func synthConfusion() [][]int {
	m := make([][]int, 7)
	for i := range m {
		m[i] = make([]int, 7)
		for j := range m[i] {
			m[i][j] = 5 + (i*3+j*7)%23
		}
		m[i][i] = 300 + 40*i
	}
	m[1][1] = 30
	return m
}
