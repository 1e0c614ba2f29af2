package data

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// grayImage returns a w x h gray test image whose pixels depend on v.
func grayImage(w, h int, v uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = v + uint8(i%7)
	}
	return g
}

// writePNG writes img as a PNG file (lossless, so pixels can be compared).
func writePNG(t testing.TB, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b.Bytes())
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// makeFolders writes split/<class>/img<i>.png files: counts[split][class]
// images each, with pixel value 10*class+i.
func makeFolders(t testing.TB, root string, counts map[string]map[string]int) {
	t.Helper()
	for split, cl := range counts {
		for class, n := range cl {
			for i := range n {
				c := ClassIndex(class)
				writePNG(t, filepath.Join(root, split, class, fmt.Sprintf("img%d.png", i)), grayImage(Size, Size, uint8(10*c+i)))
			}
		}
	}
}

func TestLoadLayouts(t *testing.T) {
	tests := []struct {
		name   string
		counts map[string]map[string]int
		layout Layout
		want   map[string][NumClasses]int
	}{
		{
			name: "class folders, alphabetical folder order",
			counts: map[string]map[string]int{
				"train": {"neutral": 2, "angry": 1, "surprise": 3, "disgust": 1},
				"test":  {"happy": 2, "Sad": 1},
			},
			layout: LayoutClassFolders,
			want: map[string][NumClasses]int{
				"train": {1, 1, 0, 0, 0, 3, 2},
				"test":  {0, 0, 0, 2, 1, 0, 0},
			},
		},
		{
			name: "split folders",
			counts: map[string]map[string]int{
				"train": {"fear": 2, "happy": 1},
				"val":   {"fear": 1},
				"test":  {"happy": 1},
			},
			layout: LayoutSplitFolders,
			want: map[string][NumClasses]int{
				"train": {0, 0, 2, 1, 0, 0, 0},
				"val":   {0, 0, 1, 0, 0, 0, 0},
				"test":  {0, 0, 0, 1, 0, 0, 0},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			makeFolders(t, root, tc.counts)
			ds, err := Load(root, WithoutCache())
			if err != nil {
				t.Fatal(err)
			}
			if ds.Layout != tc.layout {
				t.Errorf("layout %v, want %v", ds.Layout, tc.layout)
			}
			got := map[string][NumClasses]int{}
			for _, s := range ds.Splits() {
				got[s.Name] = s.ClassCounts()
				if err := s.Validate(); err != nil {
					t.Error(err)
				}
				// Labels are non-decreasing and each image's pixels match its
				// file: value 10*class+i at pixel 0.
				for i := range s.Len() {
					if i > 0 && s.Labels[i] < s.Labels[i-1] {
						t.Errorf("%s: labels not in FER2013 order at %d", s.Name, i)
					}
					var k int
					fmt.Sscanf(filepath.Base(s.Sources[i]), "img%d.png", &k)
					if want := uint8(10*int(s.Labels[i]) + k); s.Image(i)[0] != want {
						t.Errorf("%s: image %d (%s) pixel 0 = %d, want %d", s.Name, i, s.Sources[i], s.Image(i)[0], want)
					}
					if !strings.Contains(s.Sources[i], strings.ToLower(Classes[s.Labels[i]])) && !strings.Contains(strings.ToLower(s.Sources[i]), Classes[s.Labels[i]]) {
						t.Errorf("source %s does not name class %s", s.Sources[i], Classes[s.Labels[i]])
					}
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("counts %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLoadCSV(t *testing.T) {
	px := func(v int) string {
		f := make([]string, Pixels)
		for i := range f {
			f[i] = fmt.Sprint((v + i) % 256)
		}
		return strings.Join(f, " ")
	}
	csv := "emotion,pixels,Usage\n" +
		"3," + px(1) + ",Training\n" +
		"0," + px(2) + ",PublicTest\n" +
		"6," + px(3) + ",PrivateTest\n" +
		"5," + px(4) + ",Training\n"
	path := filepath.Join(t.TempDir(), "fer2013.csv")
	writeFile(t, path, []byte(csv))
	cache := t.TempDir()
	for k, p := range []string{path, path, filepath.Dir(path)} {
		ds, err := Load(p, WithCacheDir(cache))
		if err != nil {
			t.Fatal(err)
		}
		if ds.Stats.FromCache != (k == 1) {
			t.Errorf("load %d: from cache %v (%s)", k, ds.Stats.FromCache, ds.Stats.CacheNote)
		}
		if ds.Layout != LayoutCSV {
			t.Errorf("layout %v", ds.Layout)
		}
		if ds.Train.Len() != 2 || ds.Test.Len() != 1 || ds.PrivateTest.Len() != 1 {
			t.Fatalf("splits %d/%d/%d, want 2/1/1", ds.Train.Len(), ds.Test.Len(), ds.PrivateTest.Len())
		}
		if ds.PrivateTest.Name != "privatetest" || ds.PrivateTest.Labels[0] != 6 {
			t.Errorf("privatetest %q label %d", ds.PrivateTest.Name, ds.PrivateTest.Labels[0])
		}
		if got := ds.Train.Labels; !bytes.Equal(got, []uint8{3, 5}) {
			t.Errorf("train labels %v", got)
		}
		if ds.Train.Image(1)[10] != 14 || ds.Test.Image(0)[0] != 2 {
			t.Errorf("pixels wrong: %d %d", ds.Train.Image(1)[10], ds.Test.Image(0)[0])
		}
		if want := path + ":row 4"; ds.Train.Sources[1] != want {
			t.Errorf("source %q, want %q", ds.Train.Sources[1], want)
		}
	}
}

func TestConversions(t *testing.T) {
	root := t.TempDir()
	// A colour 48x48 JPEG, a gray 96x64 PNG, and a normal gray PNG.
	rgba := image.NewRGBA(image.Rect(0, 0, Size, Size))
	for i := range rgba.Pix {
		rgba.Pix[i] = 200
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, rgba, nil); err != nil {
		t.Fatal(err)
	}
	// Go's JPEG encoder writes RGBA as 3-component YCbCr: a colour JPEG.
	writeFile(t, filepath.Join(root, "train", "happy", "colour.jpg"), b.Bytes())
	big := image.NewGray(image.Rect(0, 0, 96, 64))
	for i := range big.Pix {
		big.Pix[i] = 77
	}
	writePNG(t, filepath.Join(root, "train", "happy", "big.png"), big)
	pal := image.NewPaletted(image.Rect(0, 0, Size, Size), color.Palette{color.Gray{Y: 50}, color.RGBA{255, 0, 0, 255}})
	writePNG(t, filepath.Join(root, "train", "sad", "pal.png"), pal)
	ds, err := Load(root, WithoutCache())
	if err != nil {
		t.Fatal(err)
	}
	if ds.Stats.ToGray != 2 || ds.Stats.Resized != 1 || ds.Stats.Files != 3 {
		t.Errorf("stats %+v, want ToGray 2, Resized 1, Files 3", ds.Stats)
	}
	for i, want := range []uint8{77, 200, 50} { // big.png, colour.jpg, pal.png
		got := ds.Train.Image(i)
		if d := int(got[Pixels/2]) - int(want); d < -3 || d > 3 {
			t.Errorf("image %d (%s) centre pixel %d, want about %d", i, ds.Train.Sources[i], got[Pixels/2], want)
		}
	}
}

func TestSplitValAndMerge(t *testing.T) {
	ds := Synthetic(700, 70, 3)
	before := ds.Train.ClassCounts()
	a := *ds
	if err := a.SplitVal(0.1, 42); err != nil {
		t.Fatal(err)
	}
	b := *ds
	if err := b.SplitVal(0.1, 42); err != nil {
		t.Fatal(err)
	}
	c := *ds
	if err := c.SplitVal(0.1, 43); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Val.Sources, b.Val.Sources) || !bytes.Equal(a.Val.Pixels, b.Val.Pixels) {
		t.Error("same seed gave different val splits")
	}
	if reflect.DeepEqual(a.Val.Sources, c.Val.Sources) {
		t.Error("different seeds gave the same val split")
	}
	vc, tc := a.Val.ClassCounts(), a.Train.ClassCounts()
	for k := range NumClasses {
		if vc[k] != 10 || tc[k] != before[k]-10 {
			t.Errorf("class %d: val %d train %d, want 10 and %d", k, vc[k], tc[k], before[k]-10)
		}
	}
	if a.Val.Name != "val" || a.Train.Name != "train" {
		t.Errorf("names %q %q", a.Train.Name, a.Val.Name)
	}
	m := Merge("trainval", a.Train, a.Val)
	if m.Len() != ds.Train.Len() || m.ClassCounts() != before || m.Name != "trainval" {
		t.Errorf("merge: %d images %v, want %d %v", m.Len(), m.ClassCounts(), ds.Train.Len(), before)
	}
	seen := map[string]bool{}
	for _, s := range m.Sources {
		if seen[s] {
			t.Errorf("source %s twice after merge", s)
		}
		seen[s] = true
	}
	if err := a.Validate(); err != nil {
		t.Error(err)
	}
	for _, tc := range []struct {
		name string
		ds   *Dataset
		f    float64
	}{
		{"has val", &a, 0.1},
		{"zero fraction", ds, 0},
		{"fraction one", ds, 1},
		{"no train", &Dataset{}, 0.1},
	} {
		d := *tc.ds
		if err := d.SplitVal(tc.f, 1); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestSynthetic(t *testing.T) {
	a, b, c := Synthetic(140, 14, 7), Synthetic(140, 14, 7), Synthetic(140, 14, 8)
	if !a.Synthetic || a.Train.Len() != 140 || a.Test.Len() != 14 {
		t.Fatalf("got synthetic=%v %d/%d", a.Synthetic, a.Train.Len(), a.Test.Len())
	}
	if !bytes.Equal(a.Train.Pixels, b.Train.Pixels) || !bytes.Equal(a.Train.Labels, b.Train.Labels) {
		t.Error("same seed, different faces")
	}
	if bytes.Equal(a.Train.Pixels, c.Train.Pixels) {
		t.Error("different seeds, same faces")
	}
	for k, n := range a.Train.ClassCounts() {
		if n != 20 {
			t.Errorf("class %d: %d faces, want 20", k, n)
		}
	}
	if err := a.Validate(); err != nil {
		t.Error(err)
	}
}

// standardized returns the image with zero mean and unit variance.
func standardized(img []uint8) []float64 {
	out := make([]float64, len(img))
	m, s := 0.0, 0.0
	for _, v := range img {
		m += float64(v)
	}
	m /= float64(len(img))
	for i, v := range img {
		out[i] = float64(v) - m
		s += out[i] * out[i]
	}
	s = math.Sqrt(s/float64(len(img))) + 1e-9
	for i := range out {
		out[i] /= s
	}
	return out
}

// TestSyntheticLearnable checks that the synthetic expressions carry signal
// but are not trivially separable: a nearest-class-mean classifier on
// standardized pixels must beat chance (1/7) clearly yet stay far from
// perfect.
func TestSyntheticLearnable(t *testing.T) {
	tests := []struct {
		name   string
		plain  bool
		lo, hi float64
	}{
		// Without pose, identity and lighting changes the expression alone
		// must be well separable but not perfectly (classes overlap).
		{"expression only", true, 0.5, 0.97},
		// The full faces: above chance for a linear template matcher, far
		// from perfect.
		{"full", false, 0.17, 0.8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := &Dataset{
				Train: syntheticSplitWith("train", 2100, 11, 1, faceRenderer{plain: tc.plain}),
				Test:  syntheticSplitWith("test", 700, 11, 2, faceRenderer{plain: tc.plain}),
			}
			acc := nearestMeanAccuracy(ds)
			t.Logf("nearest-class-mean accuracy: %.3f", acc)
			if acc < tc.lo || acc > tc.hi {
				t.Errorf("nearest-class-mean accuracy %.3f, want within [%v, %v]", acc, tc.lo, tc.hi)
			}
		})
	}
}

// nearestMeanAccuracy is the test accuracy of a nearest-class-mean classifier
// on standardized pixels.
func nearestMeanAccuracy(ds *Dataset) float64 {
	var mean [NumClasses][Pixels]float64
	cnt := ds.Train.ClassCounts()
	for i := range ds.Train.Len() {
		l := ds.Train.Labels[i]
		for j, v := range standardized(ds.Train.Image(i)) {
			mean[l][j] += v / float64(cnt[l])
		}
	}
	correct := 0
	for i := range ds.Test.Len() {
		best, bestD := -1, 0.0
		img := standardized(ds.Test.Image(i))
		for c := range NumClasses {
			d := 0.0
			for j, v := range img {
				e := v - mean[c][j]
				d += e * e
			}
			if best < 0 || d < bestD {
				best, bestD = c, d
			}
		}
		if best == int(ds.Test.Labels[i]) {
			correct++
		}
	}
	return float64(correct) / float64(ds.Test.Len())
}
