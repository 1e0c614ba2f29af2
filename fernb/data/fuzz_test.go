package data

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"
)

// FuzzParseCSV checks that no CSV input panics, and that accepted input gives
// valid splits.
func FuzzParseCSV(f *testing.F) {
	row := "3," + strings.TrimSpace(strings.Repeat("7 ", Pixels)) + ",Training\n"
	f.Add([]byte("emotion,pixels,Usage\n" + row))
	f.Add([]byte("emotion,pixels\n" + strings.Replace(row, ",Training", "", 1)))
	f.Add([]byte("pixels,emotion,Usage\n\"1 2 3\",2,PublicTest\n"))
	f.Add([]byte("emotion,pixels,Usage\n9,1 2,PrivateTest\n"))
	f.Add([]byte("\ufeffEmotion , Pixels ,usage\n0,,Training\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ds Dataset
		if err := parseCSV(bytes.NewReader(b), "fuzz.csv", &ds); err != nil {
			return
		}
		if err := ds.Validate(); err != nil {
			t.Fatal(err)
		}
		if ds.Stats.Files == 0 {
			t.Fatal("accepted a CSV with no rows")
		}
	})
}

// FuzzDecodeImage checks that no encoded input panics, and that accepted
// input gives 48x48 pixels.
func FuzzDecodeImage(f *testing.F) {
	f.Add(jpegBytes(f))
	var b bytes.Buffer
	png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 3, 70)))
	f.Add(b.Bytes())
	f.Add([]byte("GIF89a"))
	f.Add([]byte{0xff, 0xd8, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		pix, _, _, err := DecodeImage(b)
		if err != nil {
			return
		}
		if len(pix) != Pixels {
			t.Fatalf("%d pixels", len(pix))
		}
	})
}
