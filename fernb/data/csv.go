package data

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// loadCSV reads a Kaggle fer2013.csv into ds.
func loadCSV(path string, ds *Dataset) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	return parseCSV(bufio.NewReaderSize(f, 1<<20), path, ds)
}

// parseCSV parses Kaggle's CSV format (a header naming the columns emotion,
// pixels and optionally Usage, then one row per image) from r into ds's
// Train, Test and PrivateTest splits. name is used in Sources
// ("name:row N", N counting data rows from 1) and in errors.
func parseCSV(r io.Reader, name string, ds *Dataset) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return fmt.Errorf("data: %s: empty CSV (want a header emotion,pixels,Usage)", name)
	}
	if err != nil {
		return fmt.Errorf("data: %s: header: %w", name, err)
	}
	colEmotion, colPixels, colUsage := -1, -1, -1
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		var col *int
		switch h {
		case "emotion":
			col = &colEmotion
		case "pixels":
			col = &colPixels
		case "usage":
			col = &colUsage
		default:
			continue
		}
		if *col >= 0 {
			return fmt.Errorf("data: %s: header has column %q twice", name, h)
		}
		*col = i
	}
	if colEmotion < 0 || colPixels < 0 {
		return fmt.Errorf("data: %s: header %q lacks the emotion and pixels columns (want emotion,pixels,Usage)", name, strings.Join(header, ","))
	}
	need := max(colEmotion, colPixels, colUsage) + 1
	splits := map[string]*Split{}
	get := func(n string) *Split {
		s := splits[n]
		if s == nil {
			s = &Split{Name: n}
			splits[n] = s
		}
		return s
	}
	var pix [Pixels]uint8
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return fmt.Errorf("data: %s:row %d (line %d): malformed CSV: %v", name, row, pe.Line, pe.Err)
			}
			return fmt.Errorf("data: %s:row %d: %w", name, row, err)
		}
		if len(rec) < need {
			return fmt.Errorf("data: %s:row %d: %d fields, want at least %d", name, row, len(rec), need)
		}
		lab, err := strconv.Atoi(strings.TrimSpace(rec[colEmotion]))
		if err != nil || lab < 0 || lab >= NumClasses {
			return fmt.Errorf("data: %s:row %d: bad label %q (want an integer 0..%d)", name, row, rec[colEmotion], NumClasses-1)
		}
		if err := parsePixels(rec[colPixels], pix[:]); err != nil {
			return fmt.Errorf("data: %s:row %d: pixels: %w", name, row, err)
		}
		split := "train"
		if colUsage >= 0 {
			switch u := strings.TrimSpace(rec[colUsage]); strings.ToLower(u) {
			case "training":
				split = "train"
			case "publictest":
				split = "test"
			case "privatetest":
				split = "privatetest"
			default:
				return fmt.Errorf("data: %s:row %d: unknown Usage %q (want Training, PublicTest or PrivateTest)", name, row, u)
			}
		}
		s := get(split)
		s.Pixels = append(s.Pixels, pix[:]...)
		s.Labels = append(s.Labels, uint8(lab))
		s.Sources = append(s.Sources, name+":row "+strconv.Itoa(row))
	}
	if len(splits) == 0 {
		return fmt.Errorf("data: %s: no data rows", name)
	}
	ds.Train, ds.Test, ds.PrivateTest = splits["train"], splits["test"], splits["privatetest"]
	for _, s := range ds.Splits() {
		ds.Stats.Files += s.Len()
	}
	return nil
}

// parsePixels parses Pixels space-separated integers 0..255 into dst.
// Hand-written: strings.Fields plus strconv.Atoi would allocate 2,304 strings
// per row.
func parsePixels(field string, dst []uint8) error {
	n := 0
	i := 0
	for i < len(field) {
		c := field[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		if c < '0' || c > '9' {
			return fmt.Errorf("value %d: unexpected character %q", n+1, c)
		}
		v := 0
		j := i
		for j < len(field) && field[j] >= '0' && field[j] <= '9' {
			v = v*10 + int(field[j]-'0')
			if v > 255 {
				return fmt.Errorf("value %d: %q is over 255", n+1, field[i:min(j+4, len(field))])
			}
			j++
		}
		if j < len(field) && field[j] != ' ' && field[j] != '\t' {
			return fmt.Errorf("value %d: unexpected character %q", n+1, field[j])
		}
		if n == Pixels {
			return fmt.Errorf("more than %d values", Pixels)
		}
		dst[n] = uint8(v)
		n++
		i = j
	}
	if n != Pixels {
		return fmt.Errorf("%d values, want %d (48x48)", n, Pixels)
	}
	return nil
}
