package pca

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/fernb/fernb/fernb/data"
	"gonum.org/v1/gonum/mat"
)

// planeData returns n points u*a + v*b + mean (+tiny noise) in 3-D, with
// std(u)=su, std(v)=sv, a and b orthonormal.
func planeData(n int, su, sv, noise float64, a, b, mean [3]float64, seed uint64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([][]float32, n)
	for i := range x {
		u, v := rng.NormFloat64()*su, rng.NormFloat64()*sv
		row := make([]float32, 3)
		for j := range 3 {
			row[j] = float32(u*a[j] + v*b[j] + mean[j] + noise*rng.NormFloat64())
		}
		x[i] = row
	}
	return x
}

func TestFitRecoversPlane(t *testing.T) {
	s := 1 / math.Sqrt(2)
	a := [3]float64{s, s, 0}
	b := [3]float64{0, 0, 1}
	mean := [3]float64{5, -3, 2}
	tests := []struct {
		name   string
		su, sv float64
		rows   func(n int) []int
	}{
		{"all rows", 3, 1, nil},
		{"half rows", 4, 2, func(n int) []int {
			r := make([]int, 0, n/2)
			for i := 0; i < n; i += 2 {
				r = append(r, i)
			}
			return r
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := planeData(4000, tc.su, tc.sv, 1e-3, a, b, mean, 7)
			var rows []int
			if tc.rows != nil {
				rows = tc.rows(len(x))
			}
			r, err := FitRows(x, rows, 2)
			if err != nil {
				t.Fatal(err)
			}
			if d, k := r.Components.Dims(); d != 3 || k != 2 {
				t.Fatalf("components %dx%d, want 3x2", d, k)
			}
			for j := range 3 {
				if math.Abs(r.Mean[j]-mean[j]) > 0.2 {
					t.Errorf("mean[%d]=%.3f want %.3f", j, r.Mean[j], mean[j])
				}
			}
			for c, want := range [][3]float64{a, b} {
				dot := 0.0
				for j := range 3 {
					dot += r.Components.At(j, c) * want[j]
				}
				if math.Abs(math.Abs(dot)-1) > 1e-3 {
					t.Errorf("component %d: |cos| with truth = %.5f", c, math.Abs(dot))
				}
			}
			wantVar := []float64{tc.su * tc.su, tc.sv * tc.sv}
			for c := range 2 {
				if rel := math.Abs(r.Variances[c]-wantVar[c]) / wantVar[c]; rel > 0.08 {
					t.Errorf("variance %d = %.3f want %.3f (rel err %.3f)", c, r.Variances[c], wantVar[c], rel)
				}
			}
			wantRatio := wantVar[0] / (wantVar[0] + wantVar[1])
			if math.Abs(r.ExplainedRatio[0]-wantRatio) > 0.03 || r.ExplainedRatio[0]+r.ExplainedRatio[1] < 0.999 {
				t.Errorf("explained ratio %v, want first ≈ %.3f and sum ≈ 1", r.ExplainedRatio, wantRatio)
			}
			if len(r.Projected) != len(x) || len(r.Projected[0]) != 2 {
				t.Fatalf("projected %d rows", len(r.Projected))
			}
			// Projection reconstructs the points (they lie on the plane).
			for i := 0; i < len(x); i += 97 {
				for j := range 3 {
					rec := r.Mean[j] + r.Projected[i][0]*r.Components.At(j, 0) + r.Projected[i][1]*r.Components.At(j, 1)
					if math.Abs(rec-float64(x[i][j])) > 0.01 {
						t.Fatalf("row %d feature %d: reconstruction %.4f vs %.4f", i, j, rec, x[i][j])
					}
				}
			}
			// Projected variance matches Variances.
			var m, v float64
			for _, p := range r.Projected {
				m += p[0]
			}
			m /= float64(len(r.Projected))
			for _, p := range r.Projected {
				v += (p[0] - m) * (p[0] - m)
			}
			v /= float64(len(r.Projected) - 1)
			if math.Abs(v-r.Variances[0])/r.Variances[0] > 0.05 {
				t.Errorf("projected variance %.3f vs Variances[0] %.3f", v, r.Variances[0])
			}
		})
	}
}

func TestTransformOtherSplit(t *testing.T) {
	s := 1 / math.Sqrt(2)
	a, b := [3]float64{s, 0, s}, [3]float64{0, 1, 0}
	train := planeData(500, 2, 1, 0, a, b, [3]float64{1, 1, 1}, 1)
	r, err := Fit(train, 2)
	if err != nil {
		t.Fatal(err)
	}
	// A point at mean + 3a lies in the fitted plane: its projection has
	// length 3 and equals the dot products with the components.
	p := [][]float32{{float32(r.Mean[0] + 3*s), float32(r.Mean[1]), float32(r.Mean[2] + 3*s)}}
	got, err := r.Transform(p)
	if err != nil {
		t.Fatal(err)
	}
	if norm := math.Hypot(got[0][0], got[0][1]); math.Abs(norm-3) > 1e-4 {
		t.Errorf("|Transform| = %.6f, want 3", norm)
	}
	for c := range 2 {
		want := 0.0
		for j := range 3 {
			want += (float64(p[0][j]) - r.Mean[j]) * r.Components.At(j, c)
		}
		if math.Abs(got[0][c]-want) > 1e-9 {
			t.Errorf("coordinate %d = %v, want %v", c, got[0][c], want)
		}
	}
	// The training rows themselves project exactly as in Fit.
	again, err := r.Transform(train[:5])
	if err != nil {
		t.Fatal(err)
	}
	for i := range again {
		for c := range 2 {
			if again[i][c] != r.Projected[i][c] {
				t.Fatalf("row %d: Transform %v != Projected %v", i, again[i], r.Projected[i])
			}
		}
	}
	if _, err := r.Transform([][]float32{{1, 2}}); err == nil || !strings.Contains(err.Error(), "row 0") {
		t.Errorf("Transform with wrong width: err=%v", err)
	}
}

func TestFitErrors(t *testing.T) {
	good := [][]float32{{1, 2, 3}, {2, 3, 1}, {0, 1, 5}}
	tests := []struct {
		name string
		x    [][]float32
		rows []int
		k    int
		want string
	}{
		{"empty", nil, nil, 1, "empty"},
		{"no features", [][]float32{{}, {}}, nil, 1, "no features"},
		{"k > d", good, nil, 4, "k=4"},
		{"k zero", good, nil, 0, "k=0"},
		{"ragged", [][]float32{{1, 2}, {1}}, nil, 1, "row 1"},
		{"nan", [][]float32{{1, 2}, {1, float32(math.NaN())}}, nil, 1, "row 1, feature 1"},
		{"one row", good, []int{0}, 1, "at least 2"},
		{"bad index", good, []int{0, 9}, 1, "index 9"},
		{"k > rows", good, []int{0, 1}, 3, "only 2 rows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FitRows(tc.x, tc.rows, tc.k)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want containing %q", err, tc.want)
			}
		})
	}
}

func TestComponentsSignDeterministic(t *testing.T) {
	x := planeData(300, 2, 1, 0.01, [3]float64{0, 1, 0}, [3]float64{1, 0, 0}, [3]float64{}, 3)
	r, err := Fit(x, 2)
	if err != nil {
		t.Fatal(err)
	}
	for c := range 2 {
		col := mat.Col(nil, c, r.Components)
		best := 0
		for j := range col {
			if math.Abs(col[j]) > math.Abs(col[best]) {
				best = j
			}
		}
		if col[best] <= 0 {
			t.Errorf("component %d largest entry %v not positive", c, col[best])
		}
	}
}

// TestFitSpeed checks that the recommended recipe for a FER2013-sized
// feature matrix (28,709×512: stratified subsample of 5,000 rows, Transform
// all) stays within a few seconds.
func TestFitSpeed(t *testing.T) {
	if testing.Short() {
		t.Skip("speed check needs ~100 MB and a few seconds; run without -short")
	}
	const n, d = 28709, 512
	rng := rand.New(rand.NewPCG(5, 5))
	x := make([][]float32, n)
	labels := make([]uint8, n)
	for i := range x {
		row := make([]float32, d)
		for j := range row {
			row[j] = float32(rng.NormFloat64() * (1 + float64(j%8)))
		}
		x[i] = row
		labels[i] = uint8(i % 7)
	}
	start := time.Now()
	rows, err := data.StratifiedSample(labels, 5000, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := FitRows(x, rows, 2)
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	t.Logf("PCA fit on %d of %d×%d rows + projection of all: %v", len(rows), n, d, el)
	if len(r.Projected) != n {
		t.Fatalf("projected %d rows", len(r.Projected))
	}
	if el > 15*time.Second {
		t.Errorf("PCA recipe took %v, want a few seconds", el)
	}
}
