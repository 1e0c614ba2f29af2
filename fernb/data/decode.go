package data

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/gif" // GIF class-folder images
	"image/jpeg"
	_ "image/png" // PNG class-folder images
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fernb/fernb/fernb/progress"
	xdraw "golang.org/x/image/draw"
)

// convFlags says which conversions an image needed.
type convFlags uint8

const (
	convGray   convFlags = 1 << iota // not 8-bit gray: converted
	convResize                       // not 48x48: resized
)

// decoder decodes images into 48x48 gray pixels, reusing its buffers; one per
// goroutine.
type decoder struct {
	buf []byte
	rd  bytes.Reader
}

// readFile reads path into d.buf, reusing it (os.ReadFile would allocate a
// new buffer per file).
func (d *decoder) readFile(path string, sizeHint int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if need := int(sizeHint) + 1; cap(d.buf) < need {
		d.buf = make([]byte, 0, need+need/4)
	}
	b := d.buf[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	d.buf = b
	return b, nil
}

// MaxSide is the largest width or height of an image Load accepts (larger
// ones are an error rather than a huge allocation).
const MaxSide = 4096

// decode decodes an encoded image (JPEG, PNG or GIF) into dst (Pixels bytes),
// converting it to gray and resizing it to 48x48 when needed.
func (d *decoder) decode(b []byte, dst []uint8) (convFlags, error) {
	d.rd.Reset(b)
	cfg, _, err := image.DecodeConfig(&d.rd)
	if err != nil {
		return 0, err
	}
	if cfg.Width > MaxSide || cfg.Height > MaxSide {
		return 0, fmt.Errorf("image is %dx%d, larger than %dx%d", cfg.Width, cfg.Height, MaxSide, MaxSide)
	}
	d.rd.Reset(b)
	var img image.Image
	if len(b) >= 2 && b[0] == 0xFF && b[1] == 0xD8 {
		img, err = jpeg.Decode(&d.rd)
	} else {
		img, _, err = image.Decode(&d.rd)
	}
	if err != nil {
		return 0, err
	}
	return toGray48(img, dst)
}

// DecodeImage decodes one encoded image (JPEG, PNG or GIF) into 48x48 gray
// pixels (Pixels bytes, row-major), converting colour to gray and resizing
// other sizes. It also says whether it converted or resized the image.
func DecodeImage(b []byte) (pix []uint8, toGray, resized bool, err error) {
	var d decoder
	pix = make([]uint8, Pixels)
	f, err := d.decode(b, pix)
	if err != nil {
		return nil, false, false, err
	}
	return pix, f&convGray != 0, f&convResize != 0, nil
}

// toGray48 writes img as 48x48 gray pixels into dst.
func toGray48(img image.Image, dst []uint8) (convFlags, error) {
	bounds := img.Bounds()
	if bounds.Dx() <= 0 || bounds.Dy() <= 0 {
		return 0, fmt.Errorf("empty image (%dx%d)", bounds.Dx(), bounds.Dy())
	}
	var flags convFlags
	g, ok := img.(*image.Gray)
	if !ok {
		// Colour, palette, 16-bit, ...: convert with the standard library's
		// color.GrayModel (ITU-R 601 luma).
		flags |= convGray
		g = image.NewGray(bounds)
		draw.Draw(g, bounds, img, bounds.Min, draw.Src)
	}
	if bounds.Dx() == Size && bounds.Dy() == Size {
		// Fast path (every FER2013 file): copy the rows.
		for y := range Size {
			o := g.PixOffset(bounds.Min.X, bounds.Min.Y+y)
			copy(dst[y*Size:(y+1)*Size], g.Pix[o:o+Size])
		}
		return flags, nil
	}
	flags |= convResize
	out := &image.Gray{Pix: dst[:Pixels], Stride: Size, Rect: image.Rect(0, 0, Size, Size)}
	xdraw.BiLinear.Scale(out, out.Rect, g, bounds, xdraw.Src, nil)
	return flags, nil
}

// decodeFolders decodes the listed files into ds's splits with a pool of
// goroutines.
func decodeFolders(root string, lists []splitList, ds *Dataset, o *options) error {
	type job struct {
		split *Split
		i     int
		f     *fileEntry
	}
	var jobs []job
	for li := range lists {
		l := &lists[li]
		s := &Split{
			Name:    l.name,
			Pixels:  make([]uint8, len(l.files)*Pixels),
			Labels:  make([]uint8, len(l.files)),
			Sources: make([]string, len(l.files)),
		}
		for i := range l.files {
			f := &l.files[i]
			s.Labels[i] = f.label
			s.Sources[i] = filepath.Join(root, filepath.FromSlash(f.rel))
			jobs = append(jobs, job{s, i, f})
		}
		switch l.name {
		case "train":
			ds.Train = s
		case "val":
			ds.Val = s
		case "test":
			ds.Test = s
		}
	}
	ds.Stats.Files = len(jobs)
	errs := make([]error, len(jobs))
	var next, done, toGray, resized atomic.Int64
	const chunk = 64
	var wg sync.WaitGroup
	stop := startProgress(o.progress, "decoding", len(jobs), &done)
	for range o.workers {
		wg.Go(func() {
			var d decoder
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= len(jobs) {
					return
				}
				hi := min(lo+chunk, len(jobs))
				for k := lo; k < hi; k++ {
					j := jobs[k]
					path := j.split.Sources[j.i]
					b, err := d.readFile(path, j.f.size)
					if err != nil {
						errs[k] = err
						continue
					}
					flags, err := d.decode(b, j.split.Pixels[j.i*Pixels:(j.i+1)*Pixels])
					if err != nil {
						errs[k] = fmt.Errorf("decode %s: %w", path, err)
						continue
					}
					if flags&convGray != 0 {
						toGray.Add(1)
					}
					if flags&convResize != 0 {
						resized.Add(1)
					}
				}
				done.Add(int64(hi - lo))
			}
		})
	}
	wg.Wait()
	stop()
	ds.Stats.ToGray = int(toGray.Load())
	ds.Stats.Resized = int(resized.Load())
	return joinErrors(errs)
}

// joinErrors returns nil, or an error listing the first few non-nil errors
// and how many more there were.
func joinErrors(errs []error) error {
	const show = 5
	var first []error
	n := 0
	for _, e := range errs {
		if e == nil {
			continue
		}
		n++
		if len(first) < show {
			first = append(first, e)
		}
	}
	if n == 0 {
		return nil
	}
	if n > show {
		first = append(first, fmt.Errorf("... and %d more errors", n-show))
	}
	return fmt.Errorf("data: %d of %d images failed: %w", n, len(errs), errors.Join(first...))
}

// startProgress prints "what done/total (pct), elapsed, ETA, rate" lines to w every half
// second until the returned stop function is called (which prints the last
// line). A nil w prints nothing.
func startProgress(w io.Writer, what string, total int, done *atomic.Int64) (stop func()) {
	if w == nil {
		return func() {}
	}
	start := time.Now()
	quit := make(chan struct{})
	finished := make(chan struct{})
	line := func() {
		p := progress.Of(float64(done.Load()), float64(total), time.Since(start))
		fmt.Fprintf(w, "%s %s, %s\n", what, p, p.RateText("img"))
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-quit:
				line()
				return
			case <-t.C:
				line()
			}
		}
	}()
	return func() { close(quit); <-finished }
}
