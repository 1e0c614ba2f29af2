package plots

import (
	"image"
	"image/color"
	"testing"
)

// TestResizeNearest checks pixel values: every output pixel is a copy of
// the source pixel under its centre (no blending), e.g. a 2×2 image
// enlarged 3× becomes four solid 3×3 blocks.
func TestResizeNearest(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 2, 2))
	cols := [2][2]color.RGBA{
		{{0, 0, 0, 255}, {255, 255, 255, 255}},
		{{200, 10, 10, 255}, {10, 200, 10, 255}},
	}
	for y := range 2 {
		for x := range 2 {
			src.SetRGBA(x, y, cols[y][x])
		}
	}
	big := resizeNearest(src, 6, 6)
	for y := range 6 {
		for x := range 6 {
			if got, want := big.RGBAAt(x, y), cols[y/3][x/3]; got != want {
				t.Errorf("6×6 pixel (%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}
	// Non-integer factor 2 → 5 columns: centres (x+0.5)·2/5 fall in
	// source columns 0,0,1,1,1.
	wide := resizeNearest(src, 5, 2)
	for x, sx := range []int{0, 0, 1, 1, 1} {
		if got, want := wide.RGBAAt(x, 0), cols[0][sx]; got != want {
			t.Errorf("5×2 pixel (%d,0) = %v, want %v (source column %d)", x, got, want, sx)
		}
	}
	// Shrinking 4×1 → 2×1 picks source columns 0.5·2=1 and 1.5·2=3.
	row := image.NewRGBA(image.Rect(0, 0, 4, 1))
	for x := range 4 {
		row.SetRGBA(x, 0, color.RGBA{uint8(10 * x), 0, 0, 255})
	}
	small := resizeNearest(row, 2, 1)
	for x, want := range []uint8{10, 30} {
		if got := small.RGBAAt(x, 0).R; got != want {
			t.Errorf("2×1 pixel %d red = %d, want %d", x, got, want)
		}
	}
	if same := resizeNearest(src, 2, 2); same != src {
		t.Error("resizing to the same size copied the image")
	}
}
