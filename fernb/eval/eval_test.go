package eval

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fernb/fernb/fernb/data"
	fmodels "github.com/fernb/fernb/fernb/models"
	"github.com/fernb/fernb/fernb/train"
	fxla "github.com/fernb/fernb/xla"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func TestComputeByHand(t *testing.T) {
	// 3 angry (2 right, 1 as fear), 2 fear (1 right, 1 as angry), 1 happy right.
	labels := []int{0, 0, 0, 2, 2, 3}
	preds := []int{0, 0, 2, 2, 0, 3}
	m, err := Compute(labels, preds)
	if err != nil {
		t.Fatal(err)
	}
	if m.N != 6 || math.Abs(m.Accuracy-4.0/6) > 1e-12 {
		t.Errorf("N %d accuracy %g, want 6, 0.6667", m.N, m.Accuracy)
	}
	if m.Confusion[0][0] != 2 || m.Confusion[0][2] != 1 || m.Confusion[2][0] != 1 || m.Confusion[2][2] != 1 || m.Confusion[3][3] != 1 {
		t.Errorf("confusion %v", m.Confusion)
	}
	want := map[int]ClassMetrics{
		0: {Precision: 2.0 / 3, Recall: 2.0 / 3, F1: 2.0 / 3, Support: 3},
		2: {Precision: 0.5, Recall: 0.5, F1: 0.5, Support: 2},
		3: {Precision: 1, Recall: 1, F1: 1, Support: 1},
		1: {},
	}
	for c, w := range want {
		g := m.PerClass[c]
		if math.Abs(g.Precision-w.Precision) > 1e-12 || math.Abs(g.Recall-w.Recall) > 1e-12 || math.Abs(g.F1-w.F1) > 1e-12 || g.Support != w.Support {
			t.Errorf("class %d: %+v, want %+v", c, g, w)
		}
	}
	if wantMacro := (2.0/3 + 0.5 + 1) / 3; math.Abs(m.MacroF1-wantMacro) > 1e-12 {
		t.Errorf("macro F1 %g, want %g", m.MacroF1, wantMacro)
	}
	var b strings.Builder
	m.WriteTable(&b)
	for _, s := range []string{"accuracy 66.67%", "surprise", "confusion"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, b.String())
		}
	}
	if _, err := Compute([]int{0}, []int{7}); err == nil {
		t.Error("prediction 7 accepted")
	}
	if _, err := Compute([]int{0, 1}, []int{0}); err == nil {
		t.Error("length mismatch accepted")
	}
}

func TestViews(t *testing.T) {
	// Two images: pixel value = column index, and = 100 + row index.
	img := make([]float32, 2*data.Pixels)
	for y := 0; y < data.Size; y++ {
		for x := 0; x < data.Size; x++ {
			img[y*data.Size+x] = float32(x)
			img[data.Pixels+y*data.Size+x] = float32(100 + y)
		}
	}
	cases := []struct {
		tta string
		v   int
	}{{TTANone, 1}, {"", 1}, {TTAFlip, 2}, {TTATenCrop, 10}}
	for _, c := range cases {
		views, v, err := Views(img, c.tta)
		if err != nil || v != c.v || len(views) != 2*c.v*data.Pixels {
			t.Errorf("%q: %d views, %d values, %v; want %d views", c.tta, v, len(views), err, c.v)
		}
	}
	flip, _, _ := Views(img, TTAFlip)
	if flip[data.Pixels] != 47 || flip[data.Pixels+47] != 0 {
		t.Errorf("flipped view row 0 starts %g ends %g, want 47, 0", flip[data.Pixels], flip[data.Pixels+47])
	}
	ten, _, _ := Views(img, TTATenCrop)
	// View 0: top-left 40x40 crop of the column ramp resized to 48: value at
	// output x is (x+0.5)*40/48-0.5, clamped at 0, so 0 at x=0, 39 at x=47 (clamped to 39).
	at := func(view, y, x int) float32 { return ten[view*data.Pixels+y*data.Size+x] }
	if v := at(0, 5, 24); math.Abs(float64(v)-((24.5)*40.0/48-0.5)) > 1e-5 {
		t.Errorf("top-left crop at x=24: %g", v)
	}
	if at(0, 0, 0) != 0 || at(0, 0, 47) != 39 {
		t.Errorf("top-left crop row: %g .. %g, want 0 .. 39", at(0, 0, 0), at(0, 0, 47))
	}
	// View 2: top-right crop starts at column 8; view 8: centre crop at 4.
	if at(2, 0, 0) != 8 || at(8, 0, 0) != 4 || at(9, 0, 47) != 4 {
		t.Errorf("top-right crop starts %g (want 8), centre %g (want 4), mirrored centre ends %g (want 4)", at(2, 0, 0), at(8, 0, 0), at(9, 0, 47))
	}
	// Second image, bottom-left crop (view 4) starts at row 8.
	if v := ten[10*data.Pixels+4*data.Pixels]; v != 108 {
		t.Errorf("bottom-left crop of the row ramp starts at %g, want 108", v)
	}
	if _, _, err := Views(img, "rotate"); err == nil {
		t.Error("unknown TTA accepted")
	}
	if _, _, err := Views(img[:10], TTAFlip); err == nil {
		t.Error("partial image accepted")
	}
}

var (
	modelsMu sync.Mutex
	models   = map[string]*train.Model{}
)

// trainedModel trains a tiny run (a few steps on synthetic faces, Go
// backend) once per architecture and loads its best checkpoint.
func trainedModel(t *testing.T, arch string) (*train.Model, *data.Dataset) {
	t.Helper()
	ds := data.Synthetic(16, 8, 3)
	ds.Val = ds.Test
	modelsMu.Lock()
	defer modelsMu.Unlock()
	if m, ok := models[arch]; ok {
		return m, ds
	}
	b, _, err := fxla.New("go")
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig()
	cfg.Epochs, cfg.BatchSize, cfg.MaxStepsPerEpoch = 1, 4, 2
	cfg.Model = fmodels.Arch(arch)
	cfg.Augment.Mean, cfg.Augment.Std = 0.5, 0.25
	dir := filepath.Join(t.TempDir(), "run") // only needed until Load returns
	res, err := train.Fit(context.Background(), cfg, ds, dir, train.WithBackend(b))
	if err != nil {
		t.Fatal(err)
	}
	m, err := res.Load(b, "best")
	if err != nil {
		t.Fatal(err)
	}
	models[arch] = m
	return m, ds
}

func TestEvaluateFeaturesPredict(t *testing.T) {
	m, ds := trainedModel(t, "baseline")
	for _, tta := range []string{TTANone, TTAFlip, TTATenCrop} {
		r, err := Evaluate(m, ds.Test, tta)
		if err != nil {
			t.Fatal(err)
		}
		if r.N != ds.Test.Len() || len(r.Probs) != r.N*data.NumClasses || len(r.Preds) != r.N {
			t.Fatalf("%s: report sizes N %d probs %d preds %d", tta, r.N, len(r.Probs), len(r.Preds))
		}
		for i := 0; i < r.N; i++ {
			s := float32(0)
			for _, p := range r.Probs[i*7 : i*7+7] {
				s += p
			}
			if math.Abs(float64(s)-1) > 1e-4 {
				t.Errorf("%s: image %d probabilities sum to %g", tta, i, s)
			}
		}
	}
	feats, err := Features(m, ds.Test, []int{0, 3, 5})
	if err != nil || len(feats) != 3 || len(feats[0]) != m.ModelConfig().FeatureDim() {
		t.Fatalf("Features: %v, %d rows", err, len(feats))
	}
	if _, err := Features(m, ds.Test, []int{99}); err == nil {
		t.Error("out-of-range index accepted")
	}

	// A colour image of another size, and a broken file.
	dir := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 100, 80))
	for y := 0; y < 80; y++ {
		for x := 0; x < 100; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 2), uint8(y * 3), 90, 255})
		}
	}
	path := filepath.Join(dir, "face.png")
	f, _ := os.Create(path)
	png.Encode(f, img)
	f.Close()
	preds, err := PredictFiles(m, []string{path}, TTAFlip)
	if err != nil || len(preds) != 1 || !preds[0].ToGray || !preds[0].Resized {
		t.Fatalf("PredictFiles: %v %+v", err, preds)
	}
	bad := filepath.Join(dir, "bad.jpg")
	os.WriteFile(bad, []byte("not an image"), 0o644)
	if _, err := PredictFiles(m, []string{path, bad}, TTANone); err == nil || !strings.Contains(err.Error(), "bad.jpg") {
		t.Errorf("broken file: %v, want an error naming it", err)
	}
}

func TestGradCAM(t *testing.T) {
	for _, c := range []struct {
		arch string
		hw   int
	}{{"baseline", 6}, {"resnet18", 2}} {
		t.Run(c.arch, func(t *testing.T) {
			m, ds := trainedModel(t, c.arch)
			images := m.Images(ds.Test, []int{0, 1, 2})
			maps, err := GradCAM(m, images, []int{-1, 3, 6})
			if err != nil {
				t.Fatal(err)
			}
			if len(maps) != 3 {
				t.Fatalf("%d maps", len(maps))
			}
			for i, h := range maps {
				if h.H != c.hw || h.W != c.hw || len(h.Values) != c.hw*c.hw {
					t.Errorf("map %d: %dx%d (%d values), want %dx%d", i, h.H, h.W, len(h.Values), c.hw, c.hw)
				}
				mx := float32(0)
				for _, v := range h.Values {
					if v < 0 || v > 1 || math.IsNaN(float64(v)) {
						t.Errorf("map %d value %g outside [0, 1]", i, v)
					}
					mx = max(mx, v)
				}
				if mx != 0 && mx != 1 {
					t.Errorf("map %d maximum %g, want 1 (or 0 when empty)", i, mx)
				}
			}
			if maps[0].Class != train.ArgMax(maps[0].Probs[:]) || maps[1].Class != 3 || maps[2].Class != 6 {
				t.Errorf("classes %d %d %d", maps[0].Class, maps[1].Class, maps[2].Class)
			}
			if _, err := GradCAM(m, images, []int{7, 0, 0}); err == nil {
				t.Error("class 7 accepted")
			}
		})
	}
}

// TestTTAValues: the TTA probabilities are the mean of the model's
// probabilities over the views, computed here by hand: for flip, the image
// and its mirror (flipped here, not with Views); for ten crops, the ten views
// (their pixels are checked by TestViews); for none, the image alone.
func TestTTAValues(t *testing.T) {
	m, ds := trainedModel(t, "baseline")
	idx := []int{0, 1, 2, 3, 4}
	images := m.Images(ds.Test, idx)
	n := len(idx)
	mirror := make([]float32, len(images))
	for i := 0; i < n; i++ {
		for y := 0; y < data.Size; y++ {
			for x := 0; x < data.Size; x++ {
				mirror[i*data.Pixels+y*data.Size+x] = images[i*data.Pixels+y*data.Size+(data.Size-1-x)]
			}
		}
	}
	plain, err := m.Probabilities(images)
	if err != nil {
		t.Fatal(err)
	}
	flipped, err := m.Probabilities(mirror)
	if err != nil {
		t.Fatal(err)
	}
	tenViews, v, err := Views(images, TTATenCrop)
	if err != nil || v != 10 {
		t.Fatal(v, err)
	}
	tenProbs, err := m.Probabilities(tenViews)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float32{TTANone: plain, TTAFlip: make([]float32, len(plain)), TTATenCrop: make([]float32, len(plain))}
	for i := range plain {
		want[TTAFlip][i] = (plain[i] + flipped[i]) / 2
	}
	for i := 0; i < n; i++ {
		for c := 0; c < data.NumClasses; c++ {
			s := 0.0
			for k := 0; k < 10; k++ {
				s += float64(tenProbs[(i*10+k)*data.NumClasses+c])
			}
			want[TTATenCrop][i*data.NumClasses+c] = float32(s / 10)
		}
	}
	differs := false
	for i := range plain {
		differs = differs || math.Abs(float64(plain[i]-flipped[i])) > 1e-4
	}
	if !differs {
		t.Fatal("the model gives the same probabilities to the images and their mirrors: the flip check would prove nothing")
	}
	for _, tta := range []string{TTANone, TTAFlip, TTATenCrop} {
		got, err := Probabilities(m, images, tta)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if math.Abs(float64(got[i]-want[tta][i])) > 1e-5 {
				t.Errorf("%s: image %d class %d: %g, want %g (by hand)", tta, i/data.NumClasses, i%data.NumClasses, got[i], want[tta][i])
			}
		}
	}
}

// handGradCAM computes the Grad-CAM map of class c for one image from its
// feature map fm [h, w, C] and the head's weights, with the gradient worked
// out by hand. ResNet18: global average pool then fc (W [C, 7]), so
// dY_c/dA_k(i,j) = W[k,c]/(h*w). Baseline: flatten, fc1 (W1 [h*w*C, 256],
// b1), ReLU, fc2 (W2 [256, 7]), so dY_c/dA(i,j,k) = sum over the active units
// u of W2[u,c] * W1[(i*w+j)*C+k, u]. Then alpha_k = the mean over (i,j) of
// the gradient, map = ReLU(sum_k alpha_k A_k), divided by its maximum when
// positive.
func handGradCAM(arch string, fm []float32, h, w, C, c int, store func(string) []float32) []float64 {
	grad := make([]float64, h*w*C) // dY_c/dA, index (i*w+j)*C+k
	if arch == "resnet18" {
		W := store("/model/fc/weight")
		for p := 0; p < h*w; p++ {
			for k := 0; k < C; k++ {
				grad[p*C+k] = float64(W[k*data.NumClasses+c]) / float64(h*w)
			}
		}
	} else {
		W1, b1, W2 := store("/model/fc1/weight"), store("/model/fc1/bias"), store("/model/fc2/weight")
		const hidden = 256
		for u := 0; u < hidden; u++ {
			z := float64(b1[u])
			for idx := range grad {
				z += float64(fm[idx]) * float64(W1[idx*hidden+u])
			}
			if z <= 0 {
				continue
			}
			for idx := range grad {
				grad[idx] += float64(W2[u*data.NumClasses+c]) * float64(W1[idx*hidden+u])
			}
		}
	}
	alpha := make([]float64, C)
	for p := 0; p < h*w; p++ {
		for k := 0; k < C; k++ {
			alpha[k] += grad[p*C+k] / float64(h*w)
		}
	}
	cam := make([]float64, h*w)
	mx := 0.0
	for p := range cam {
		for k := 0; k < C; k++ {
			cam[p] += alpha[k] * float64(fm[p*C+k])
		}
		cam[p] = max(cam[p], 0)
		mx = max(mx, cam[p])
	}
	if mx > 0 {
		for p := range cam {
			cam[p] /= mx
		}
	}
	return cam
}

// TestGradCAMValues: GradCAM's maps equal handGradCAM's, for both kinds of
// head (ResNet18's pool + linear layer, the baseline's two dense layers),
// every class of two images.
func TestGradCAMValues(t *testing.T) {
	for _, arch := range []string{"baseline", "resnet18"} {
		t.Run(arch, func(t *testing.T) {
			m, ds := trainedModel(t, arch)
			images := m.Images(ds.Test, []int{0, 1})
			mcfg := m.ModelConfig()
			e, err := model.NewExec(m.Backend(), m.Store(), func(s *model.Scope, x *graph.Node) *graph.Node {
				return mcfg.FeatureMap(s.At(train.ModelScope), x, false)
			})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Finalize()
			outs, err := e.Call(tensors.FromFlatDataAndDimensions(images, 2, data.Size, data.Size, 1))
			if err != nil {
				t.Fatal(err)
			}
			d := outs[0].Shape().Dimensions
			h, w, C := d[1], d[2], d[3]
			fm := tensors.MustCopyFlatData[float32](outs[0])
			store := func(path string) []float32 {
				v := m.Store().GetVariable(path)
				if v == nil {
					t.Fatalf("no variable %s", path)
				}
				return tensors.MustCopyFlatData[float32](v.MustValue())
			}
			nonzero := 0
			for c := 0; c < data.NumClasses; c++ {
				maps, err := GradCAM(m, images, []int{c, c})
				if err != nil {
					t.Fatal(err)
				}
				for i, hm := range maps {
					want := handGradCAM(arch, fm[i*h*w*C:(i+1)*h*w*C], h, w, C, c, store)
					if hm.H != h || hm.W != w || len(hm.Values) != len(want) {
						t.Fatalf("class %d image %d: %dx%d map, want %dx%d", c, i, hm.H, hm.W, h, w)
					}
					for p, v := range hm.Values {
						if math.Abs(float64(v)-want[p]) > 2e-3 {
							t.Errorf("class %d image %d cell %d: %g, want %g (by hand)", c, i, p, v, want[p])
						}
						if want[p] > 0 {
							nonzero++
						}
					}
				}
			}
			if nonzero == 0 {
				t.Error("every hand-computed map is zero: the check proves nothing")
			}
		})
	}
}
