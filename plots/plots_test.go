package plots

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// figureCases builds each figure on small data, with the strings its SVG
// must contain.
func figureCases() []struct {
	name string
	make func() (*Figure, error)
	w, h float64 // expected size in inches
	want []string
} {
	return []struct {
		name string
		make func() (*Figure, error)
		w, h float64
		want []string
	}{
		{"curves", func() (*Figure, error) {
			return Curves(synthHistory(), Title("training curves (synthetic)"))
		}, 7, 3.2, []string{"training curves (synthetic)", "baseline CNN", "ResNet18 + SGD", "train", "val", "loss", "accuracy", "epoch", "80%"}},
		{"training curves", func() (*Figure, error) {
			return TrainingCurves(synthHistory()[:1], []Series{{Name: "baseline CNN", X: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, Y: []float64{.1, .1, .09, .08, .07, .05, .04, .02, .01, .005}}},
				Title("live view (synthetic)"))
		}, 3*3.3 + 0.6, 3.2, []string{"live view (synthetic)", "baseline CNN", "loss", "accuracy", "learning rate", "epoch"}},
		{"lines", func() (*Figure, error) {
			return Lines([]Series{{Name: "a", X: []float64{1, 2, 3}, Y: []float64{3, 1, 2}}, {Name: "b", X: []float64{1, 2}, Y: []float64{1, 2}, Dashed: true}}, "step", "value", Size(4, 3))
		}, 4, 3, []string{"step", "value", "a", "b"}},
		{"lr", func() (*Figure, error) {
			return LRSchedule([]Series{{Name: "cosine", X: []float64{0, 1, 2}, Y: []float64{0.1, 0.05, 1e-5}}}, LogY(), Title("LR (synthetic)"))
		}, 6, 3.5, []string{"learning rate", "epoch", "LR (synthetic)", "0.01"}},
		{"pca", func() (*Figure, error) {
			p, l := synthPCA(400)
			return PCAScatter(p, l, testClasses, []float64{0.123, 0.0456}, Title("train features (synthetic)"), MaxPoints(200, 1))
		}, 6, 4.5, append([]string{"PC1 (12.3%)", "PC2 (4.6%)", "train features (synthetic)"}, testClasses...)},
		{"confusion", func() (*Figure, error) {
			return ConfusionMatrix(synthConfusion(), testClasses, Title("confusion (synthetic)"))
		}, 5.5, 5, append([]string{"predicted", "true", "300", "73.5%", "confusion (synthetic)"}, testClasses...)},
		{"per_class", func() (*Figure, error) {
			g := []Group{{"precision", []float64{.6, .5, .45, .88, .55, .8, .62}}, {"recall", []float64{.58, .4, .42, .9, .5, .78, .66}}}
			return PerClassBars(testClasses, g)
		}, 6.5, 3.5, append([]string{"precision", "recall", "score", "88"}, testClasses...)},
		{"distribution", func() (*Figure, error) {
			return ClassDistribution(testClasses, []Group{{"train", []float64{3995, 436, 4097, 7215, 4830, 3171, 4965}}, {"test", []float64{958, 111, 1024, 1774, 1247, 831, 1233}}})
		}, 6.5, 3.5, append([]string{"images", "train", "test", "7215", "436"}, testClasses...)},
		{"comparison", func() (*Figure, error) {
			rows := []Row{{"baseline CNN", []float64{.55, .54}}, {"ResNet18", []float64{.62, math.NaN()}}}
			return Comparison([]string{"val", "test"}, rows, Title("accuracy (synthetic)"))
		}, 6.5, 2.2, []string{"baseline CNN", "ResNet18", "val", "test", "accuracy", "55.0", "54.0"}},
		{"faces", func() (*Figure, error) {
			var ims []Image
			for k := range 6 {
				ims = append(ims, synthFace(k, "sample "+testClasses[k]))
			}
			return FaceGrid(ims, Columns(3), RowLabels("row one", "row two"), Title("faces (synthetic)"), Size(4, 3))
		}, 4, 3, []string{"sample angry", "sample surprise", "row one", "row two", "faces (synthetic)"}},
		{"heatmaps", func() (*Figure, error) {
			ims := []Image{synthFace(0, "true: sad\npred: fear"), synthFace(1, "true: happy\npred: happy")}
			hs := []Heatmap{{Values: []float64{0, 1, 0.5, 0.2}, Width: 2, Height: 2}, {Values: make([]float64, 49), Width: 7, Height: 7}}
			return HeatmapOverlay(ims, hs, Size(3, 2))
		}, 3, 2, []string{"true: sad", "pred: fear", "pred: happy"}},
	}
}

// svgTexts parses an SVG and returns the character data of its elements.
func svgTexts(t *testing.T, data []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var sb strings.Builder
	sawSVG := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if tk.Name.Local == "svg" {
				sawSVG = true
			}
		case xml.CharData:
			sb.Write(tk)
			sb.WriteByte('\n')
		}
	}
	if !sawSVG {
		t.Fatal("no <svg> element")
	}
	return sb.String()
}

func TestFiguresSave(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range figureCases() {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tc.make()
			if err != nil {
				t.Fatal(err)
			}
			f.DPI = 60 // keep the test fast; the 300 dpi default is tested below
			paths, err := f.SaveAll(dir, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if len(paths) != 3 {
				t.Fatalf("SaveAll wrote %v", paths)
			}
			// PNG: decodes, size = inches × DPI.
			pf, err := os.Open(filepath.Join(dir, tc.name+".png"))
			if err != nil {
				t.Fatal(err)
			}
			defer pf.Close()
			img, err := png.Decode(pf)
			if err != nil {
				t.Fatalf("PNG does not decode: %v", err)
			}
			b := img.Bounds()
			wantW, wantH := int(math.Ceil(tc.w*60)), int(math.Ceil(tc.h*60))
			if math.Abs(float64(b.Dx()-wantW)) > 1 || math.Abs(float64(b.Dy()-wantH)) > 1 {
				t.Errorf("PNG is %dx%d, want %dx%d", b.Dx(), b.Dy(), wantW, wantH)
			}
			if nonWhite(img) < b.Dx()*b.Dy()/50 {
				t.Errorf("PNG is almost blank (%d non-white pixels)", nonWhite(img))
			}
			// SVG: parses and holds the labels.
			data, err := os.ReadFile(filepath.Join(dir, tc.name+".svg"))
			if err != nil {
				t.Fatal(err)
			}
			texts := svgTexts(t, data)
			for _, w := range tc.want {
				if !strings.Contains(texts, w) {
					t.Errorf("SVG text lacks %q", w)
				}
			}
			// PDF: header and non-trivial size.
			data, err = os.ReadFile(filepath.Join(dir, tc.name+".pdf"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(data, []byte("%PDF")) || len(data) < 2000 {
				t.Errorf("PDF starts %q and has %d bytes", data[:min(8, len(data))], len(data))
			}
		})
	}
}

func nonWhite(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bb < 0xf000 {
				n++
			}
		}
	}
	return n
}

func TestDefaultDPIAndOptions(t *testing.T) {
	f, err := Lines([]Series{{X: []float64{0, 1}, Y: []float64{0, 1}}}, "x", "y", Size(2, 1.5))
	if err != nil {
		t.Fatal(err)
	}
	data, err := f.Bytes("png")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 600 || cfg.Height != 450 {
		t.Errorf("default PNG is %dx%d, want 600x450 (2x1.5 in at 300 dpi)", cfg.Width, cfg.Height)
	}
	f2, _ := Lines([]Series{{X: []float64{0, 1}, Y: []float64{0, 1}}}, "x", "y", Size(2, 1.5), DPI(100))
	if im := f2.Image(0); im.Bounds().Dx() != 200 {
		t.Errorf("DPI(100) image width %d, want 200", im.Bounds().Dx())
	}
	if err := f.Save(filepath.Join(t.TempDir(), "x.jpg")); err == nil {
		t.Error("saving .jpg did not fail")
	}
	if _, err := f.SaveAll(t.TempDir(), "", "png"); err != nil {
		t.Errorf("SaveAll with the figure's name: %v", err)
	}
	if err := f.Encode(io.Discard, "gif"); err == nil {
		t.Error("Encode gif did not fail")
	}
}

func TestHTML(t *testing.T) {
	f, err := ConfusionMatrix([][]int{{1, 2}, {3, 4}}, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	f.Name = `conf "a"`
	h, err := f.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, `<img src="data:image/png;base64,iVBOR`) || !strings.Contains(h, `alt="conf &quot;a&quot;"`) {
		t.Errorf("HTML = %.80s...: want an <img> with an inline PNG and the escaped name as alt", h)
	}
}

func TestFigureErrors(t *testing.T) {
	face := synthFace(0, "")
	tests := []struct {
		name string
		make func() (*Figure, error)
		want string
	}{
		{"curves none", func() (*Figure, error) { return Curves(nil) }, "at least one run"},
		{"curves empty run", func() (*Figure, error) { return Curves([]History{{Name: "r"}}) }, `run "r" has no curves`},
		{"curves nan", func() (*Figure, error) {
			return Curves([]History{{Name: "r", TrainLoss: []float64{1, math.NaN()}}})
		}, "point 1"},
		{"curves epochs", func() (*Figure, error) {
			return Curves([]History{{Name: "r", Epoch: []float64{1}, ValAcc: []float64{.1, .2}}})
		}, "1 x values and 2 y values"},
		{"training curves lr nan", func() (*Figure, error) {
			return TrainingCurves(synthHistory(), []Series{{Name: "r", X: []float64{1, 2}, Y: []float64{0.1, math.Inf(1)}}})
		}, "not finite"},
		{"training curves none", func() (*Figure, error) { return TrainingCurves(nil, nil) }, "at least one run"},
		{"log nonpositive", func() (*Figure, error) {
			return LRSchedule([]Series{{X: []float64{0, 1}, Y: []float64{0.1, 0}}}, LogY())
		}, "not positive"},
		{"pca labels", func() (*Figure, error) { return PCAScatter([][]float64{{0, 0}}, nil, testClasses, nil) }, "1 points and 0 labels"},
		{"pca label range", func() (*Figure, error) { return PCAScatter([][]float64{{0, 0}}, []int{7}, testClasses, nil) }, "label 7"},
		{"pca dims", func() (*Figure, error) { return PCAScatter([][]float64{{0}}, []int{0}, testClasses, nil) }, "1 coordinates"},
		{"pca explained", func() (*Figure, error) {
			return PCAScatter([][]float64{{0, 1}}, []int{0}, testClasses, []float64{0.1})
		}, "explained"},
		{"confusion shape", func() (*Figure, error) { return ConfusionMatrix([][]int{{1, 2}, {3}}, []string{"a", "b"}) }, "row 1 (b)"},
		{"confusion negative", func() (*Figure, error) { return ConfusionMatrix([][]int{{1, -2}, {3, 4}}, []string{"a", "b"}) }, "negative"},
		{"bars length", func() (*Figure, error) { return PerClassBars(testClasses, []Group{{"f1", []float64{1}}}) }, `"f1" has 1 values`},
		{"distribution fraction", func() (*Figure, error) {
			return ClassDistribution([]string{"a"}, []Group{{"train", []float64{1.5}}})
		}, "non-negative integer"},
		{"comparison row", func() (*Figure, error) { return Comparison([]string{"val"}, []Row{{"r", []float64{1, 2}}}) }, `row 0 ("r")`},
		{"faces pixels", func() (*Figure, error) { return FaceGrid([]Image{{Pixels: make([]uint8, 10)}}) }, "10 pixels for 48x48"},
		{"faces none", func() (*Figure, error) { return FaceGrid(nil) }, "at least one image"},
		{"faces row labels", func() (*Figure, error) { return FaceGrid([]Image{face}, RowLabels("a", "b")) }, "row labels"},
		{"heat count", func() (*Figure, error) { return HeatmapOverlay([]Image{face}, nil) }, "1 images and 0 heatmaps"},
		{"heat range", func() (*Figure, error) {
			return HeatmapOverlay([]Image{face}, []Heatmap{{Values: []float64{0, 1.5}, Width: 2, Height: 1}})
		}, "value 1 is 1.5"},
		{"heat alpha", func() (*Figure, error) {
			return HeatmapOverlay([]Image{face}, []Heatmap{{Values: []float64{0}, Width: 1, Height: 1}}, Alpha(2))
		}, "alpha"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tc.make()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got figure=%v err=%v, want error containing %q", f != nil, err, tc.want)
			}
		})
	}
}

// TestFaceGridCrisp checks that faces are upscaled with nearest-neighbour
// sampling: a black/white checkerboard stays pure black and white.
func TestFaceGridCrisp(t *testing.T) {
	px := make([]uint8, 8*8)
	for i := range px {
		if (i%8+i/8)%2 == 0 {
			px[i] = 255
		}
	}
	f, err := FaceGrid([]Image{{Pixels: px, Width: 8, Height: 8}}, Size(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	img := f.Image(200)
	b := img.Bounds()
	// Sample the central half of the image, inside the face.
	grey, total := 0, 0
	for y := b.Dy() * 3 / 8; y < b.Dy()*5/8; y++ {
		for x := b.Dx() * 3 / 8; x < b.Dx()*5/8; x++ {
			r, _, _, _ := img.At(x, y).RGBA()
			total++
			if r > 0x1000 && r < 0xf000 {
				grey++
			}
		}
	}
	if frac := float64(grey) / float64(total); frac > 0.05 {
		t.Errorf("%.1f%% of face pixels are grey: faces are blurred", 100*frac)
	}
}

// TestHeatmapOverlayColours checks the blend: alpha 1 and a heatmap of 1
// paint the face in the top colour of the colour map.
func TestHeatmapOverlayColours(t *testing.T) {
	face := synthFace(3, "")
	hm := Heatmap{Values: []float64{1, 1, 1, 1}, Width: 2, Height: 2}
	rgb := face.rgb(&hm, 1)
	if got, want := rgb.RGBAAt(10, 10), inferno[len(inferno)-1]; got != want {
		t.Errorf("alpha 1, heat 1: pixel %v, want %v", got, want)
	}
	rgb = face.rgb(&hm, 0)
	g := face.Pixels[10*48+10]
	if got := rgb.RGBAAt(10, 10); got != (color.RGBA{g, g, g, 255}) {
		t.Errorf("alpha 0: pixel %v, want gray %d", got, g)
	}
	// Bilinear upsampling of a left-to-right ramp increases left to right.
	ramp := Heatmap{Values: []float64{0, 1}, Width: 2, Height: 1}
	if a, b := ramp.sample(0.2, 0), ramp.sample(0.8, 0); !(a < b) || math.Abs(a-0.2) > 1e-9 {
		t.Errorf("ramp samples %v, %v", a, b)
	}
}

func TestClassColoursDistinct(t *testing.T) {
	seen := map[color.Color]bool{}
	for i := range 7 {
		c := ClassColor(i)
		if seen[c] {
			t.Fatalf("class %d reuses colour %v", i, c)
		}
		seen[c] = true
	}
	if ClassColor(3) != ClassColor(3+len(classColors)) {
		t.Error("class colours do not cycle")
	}
}

func TestPCAScatterDrawsClassColours(t *testing.T) {
	// One point per class, big enough to find its colour in the PNG.
	var pts [][]float64
	var labels []int
	for k := range 7 {
		pts = append(pts, []float64{float64(k), float64(k % 3)})
		labels = append(labels, k)
	}
	f, err := PCAScatter(pts, labels, testClasses, nil)
	if err != nil {
		t.Fatal(err)
	}
	img := f.Image(100)
	for k := range 7 {
		want := ClassColor(k).(color.RGBA)
		found := false
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y && !found; y++ {
			for x := b.Min.X; x < b.Max.X && !found; x++ {
				r, g, bb, _ := img.At(x, y).RGBA()
				found = absDiff(r>>8, want.R) < 6 && absDiff(g>>8, want.G) < 6 && absDiff(bb>>8, want.B) < 6
			}
		}
		if !found {
			t.Errorf("class %d colour %v not in the image", k, want)
		}
	}
}

func absDiff(a uint32, b uint8) uint32 {
	if a > uint32(b) {
		return a - uint32(b)
	}
	return uint32(b) - a
}

func TestFloatImage(t *testing.T) {
	tests := []struct {
		name string
		in   []float32
		want []uint8
	}{
		{"unit", []float32{0, 0.5, 1, 0.25}, []uint8{0, 128, 255, 64}},
		{"bytes", []float32{0, 10, 255, 100}, []uint8{0, 10, 255, 100}},
		{"standardised", []float32{-1, 0, 1, 3}, []uint8{0, 64, 128, 255}},
		{"constant", []float32{-2, -2, -2, -2}, []uint8{128, 128, 128, 128}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			im, err := FloatImage(tc.in, 2, 2, "c")
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.want {
				if im.Pixels[i] != tc.want[i] {
					t.Fatalf("pixels %v, want %v", im.Pixels, tc.want)
				}
			}
		})
	}
	if _, err := FloatImage([]float32{0, float32(math.NaN())}, 2, 1, "x"); err == nil {
		t.Error("NaN pixel accepted")
	}
	if _, err := FloatImage([]float32{0}, 2, 1, "x"); err == nil {
		t.Error("wrong size accepted")
	}
}

// TestTickLabelsExact: on a narrow range every labelled tick reads its own
// value (gonum's default labels once showed "1.8" at both 1.75 and 1.80).
func TestTickLabelsExact(t *testing.T) {
	p := newPlot(newConfig(nil), "", "x", "y")
	seen := map[string]float64{}
	for _, tk := range p.Y.Tick.Marker.Ticks(1.7, 1.81) {
		if tk.Label == "" {
			continue
		}
		if v, dup := seen[tk.Label]; dup {
			t.Errorf("label %q at %v and %v", tk.Label, v, tk.Value)
		}
		seen[tk.Label] = tk.Value
	}
	if len(seen) < 2 {
		t.Errorf("only %d labelled ticks", len(seen))
	}
}
