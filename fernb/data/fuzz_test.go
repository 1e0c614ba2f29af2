package data

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseCSV checks that no CSV input panics, and that accepted input gives
// valid splits. The seeds are small on purpose: a full 2304-pixel row (4.6
// KB) makes the fuzzer's minimisation crawl (about 8 executions in 20 s);
// with these it runs well over 100k. Whole valid rows are covered by the
// table tests.
func FuzzParseCSV(f *testing.F) {
	for _, seed := range []string{
		"emotion,pixels,Usage\n3,7 7 7,Training\n",
		"emotion,pixels\n0,1 2 3\n",
		"pixels,emotion,Usage\n\"1 2 3\",2,PublicTest\n",
		"emotion,pixels,Usage\n9,1 2,PrivateTest\n",
		"\ufeffEmotion , Pixels ,usage\n0,,Training\n",
		"emotion,pixels,Usage\n-1,255 256,Training\n",
		"emotion,Usage\n1,Training\n",
		"",
	} {
		f.Add([]byte(seed))
	}
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

// FuzzParseCache checks that no cache body (the file after its magic and
// digest, before its CRC: what a damaged or hostile ~/.cache/fernb file
// could hold past the checks) panics, and that accepted bodies give valid
// splits.
func FuzzParseCache(f *testing.F) {
	skeleton := &Dataset{Root: "/data", Layout: LayoutCSV}
	ds := Synthetic(1, 0, 1)
	ds.Root, ds.Layout = skeleton.Root, skeleton.Layout
	for i := range ds.Train.Sources {
		ds.Train.Sources[i] = fmt.Sprintf("/data/fer.csv:%d", i+2)
	}
	for i := range ds.Test.Sources {
		ds.Test.Sources[i] = fmt.Sprintf("/data/fer.csv:%d", i+10)
	}
	path := filepath.Join(f.TempDir(), "c.bin")
	if err := writeCache(path, [32]byte{}, ds, "/data/fer.csv"); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	body := b[len(cacheMagic)+32 : len(b)-4]
	if got, err := parseCache(body, skeleton, "/data/fer.csv"); err != nil || got.Train.Len() != 1 {
		f.Fatalf("seed cache does not parse: %v", err)
	}
	f.Add(body)
	f.Add(body[:20])
	f.Add([]byte{byte(LayoutCSV), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 4, 't', 'e', 's', 't', 0xff, 0xff, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseCache(b, skeleton, "/data/fer.csv")
		if err != nil {
			return
		}
		for _, s := range got.Splits() {
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
