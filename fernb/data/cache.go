package data

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fernb/fernb/fernb/atomicfile"
)

// The binary cache holds a loaded data set as raw uint8 pixels, labels and
// sources, so that a reload is a file read (tens of milliseconds) instead of
// 32k JPEG decodes. File format (little-endian):
//
//	magic    [8]byte "FERNBC01"
//	digest   [32]byte  SHA-256 fingerprint of the source files (paths, labels,
//	                   sizes, modification times; for a CSV its size and time)
//	layout   uint8
//	files, toGray, resized uint32
//	nsplits  uint8
//	per split: nameLen uint8, name, n uint32, labels [n]byte,
//	           pixels [n*Pixels]byte, srcLen uint32, sources (relative to the
//	           root, '\n'-separated)
//	crc      uint32  CRC-32C of everything before it
//
// A cache whose digest differs from the current files is ignored and
// rewritten. Writes go to a temporary file renamed into place, so readers
// never see a partial cache.
const cacheMagic = "FERNBC01"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// fingerprintFolders hashes the listing of a folder layout.
func fingerprintFolders(lists []splitList) [32]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s %d\n", cacheMagic, Size)
	var b [8]byte
	for _, l := range lists {
		fmt.Fprintf(h, "split %s %d\n", l.name, len(l.files))
		for _, f := range l.files {
			io.WriteString(h, f.rel)
			h.Write([]byte{0, f.label})
			binary.LittleEndian.PutUint64(b[:], uint64(f.size))
			h.Write(b[:])
			binary.LittleEndian.PutUint64(b[:], uint64(f.mtime))
			h.Write(b[:])
		}
	}
	var d [32]byte
	h.Sum(d[:0])
	return d
}

// fingerprintCSV hashes a CSV file's size and modification time.
func fingerprintCSV(path string, fi os.FileInfo) [32]byte {
	return sha256.Sum256(fmt.Appendf(nil, "%s %d csv %s %d %d", cacheMagic, Size, filepath.Base(path), fi.Size(), fi.ModTime().UnixNano()))
}

// cacheFile returns the cache file for the data set at path.
func cacheFile(dir, path string, layout Layout) (string, error) {
	if dir == "" {
		var err error
		if dir, err = DefaultCacheDir(); err != nil {
			return "", err
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("data: cache: %w", err)
	}
	sum := sha256.Sum256([]byte(abs + "\x00" + layout.String()))
	return filepath.Join(dir, "fer2013-"+hex.EncodeToString(sum[:8])+".bin"), nil
}

// sourcePrefix is what Sources start with for a data set at root whose CSV
// file (if any) is src; the cache stores sources without it.
func sourcePrefix(ds *Dataset, src string) string {
	if ds.Layout == LayoutCSV {
		return src + ":"
	}
	return ds.Root + string(filepath.Separator)
}

// writeCache writes ds to path atomically (atomicfile.Write).
func writeCache(path string, digest [32]byte, ds *Dataset, src string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, func(tmp io.Writer) error {
		crc := crc32.New(castagnoli)
		w := bufio.NewWriterSize(io.MultiWriter(tmp, crc), 1<<20)
		le := binary.LittleEndian
		var b4 [4]byte
		u32 := func(v int) {
			le.PutUint32(b4[:], uint32(v))
			w.Write(b4[:])
		}
		w.WriteString(cacheMagic)
		w.Write(digest[:])
		w.WriteByte(byte(ds.Layout))
		u32(ds.Stats.Files)
		u32(ds.Stats.ToGray)
		u32(ds.Stats.Resized)
		splits := ds.Splits()
		w.WriteByte(byte(len(splits)))
		prefix := sourcePrefix(ds, src)
		for _, s := range splits {
			if len(s.Sources) != s.Len() {
				return fmt.Errorf("split %s has %d sources for %d images", s.Name, len(s.Sources), s.Len())
			}
			w.WriteByte(byte(len(s.Name)))
			w.WriteString(s.Name)
			u32(s.Len())
			w.Write(s.Labels)
			w.Write(s.Pixels)
			var sb strings.Builder
			for i, so := range s.Sources {
				rel, ok := strings.CutPrefix(so, prefix)
				if !ok || strings.Contains(rel, "\n") {
					return fmt.Errorf("source %q does not start with %q", so, prefix)
				}
				if i > 0 {
					sb.WriteByte('\n')
				}
				sb.WriteString(rel)
			}
			u32(sb.Len())
			w.WriteString(sb.String())
		}
		if err := w.Flush(); err != nil {
			return err
		}
		le.PutUint32(b4[:], crc.Sum32())
		_, err := tmp.Write(b4[:])
		return err
	})
}

// errCache is a malformed cache file.
var errCache = errors.New("malformed cache file")

// readCache fills ds from the cache at path when it exists and matches
// digest. It returns false and a note saying why otherwise. The splits'
// Pixels and Labels are slices of the one buffer read from the file (capped,
// so an append copies).
func readCache(path string, digest [32]byte, ds *Dataset, src string) (bool, string) {
	buf, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, "no cache yet: written at " + path
	}
	if err != nil {
		return false, "cache not read: " + err.Error()
	}
	if len(buf) < len(cacheMagic)+32+4 || string(buf[:len(cacheMagic)]) != cacheMagic {
		return false, "cache " + path + " is not a fernb cache: rewritten"
	}
	if !bytes.Equal(buf[len(cacheMagic):len(cacheMagic)+32], digest[:]) {
		return false, "cache " + path + " is stale (source files changed): rewritten"
	}
	body := buf[:len(buf)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(buf[len(buf)-4:]) {
		return false, "cache " + path + " is corrupt (CRC mismatch): rewritten"
	}
	got, err := parseCache(body[len(cacheMagic)+32:], ds, src)
	if err != nil {
		return false, "cache " + path + ": " + err.Error() + ": rewritten"
	}
	*ds = *got
	return true, ""
}

// parseCache parses a cache body (after the digest, before the CRC).
func parseCache(b []byte, ds *Dataset, src string) (*Dataset, error) {
	out := &Dataset{Root: ds.Root, Layout: ds.Layout, Stats: ds.Stats}
	le := binary.LittleEndian
	take := func(n int) ([]byte, error) {
		if n < 0 || n > len(b) {
			return nil, errCache
		}
		r := b[:n:n]
		b = b[n:]
		return r, nil
	}
	u32 := func() (int, error) {
		r, err := take(4)
		if err != nil {
			return 0, err
		}
		return int(le.Uint32(r)), nil
	}
	h, err := take(1 + 12 + 1)
	if err != nil {
		return nil, err
	}
	if Layout(h[0]) != ds.Layout {
		return nil, fmt.Errorf("layout %v, want %v", Layout(h[0]), ds.Layout)
	}
	out.Stats.Files = int(le.Uint32(h[1:]))
	out.Stats.ToGray = int(le.Uint32(h[5:]))
	out.Stats.Resized = int(le.Uint32(h[9:]))
	prefix := sourcePrefix(ds, src)
	for range int(h[13]) {
		nl, err := take(1)
		if err != nil {
			return nil, err
		}
		name, err := take(int(nl[0]))
		if err != nil {
			return nil, err
		}
		n, err := u32()
		if err != nil {
			return nil, err
		}
		s := &Split{Name: string(name)}
		if s.Labels, err = take(n); err != nil {
			return nil, err
		}
		if s.Pixels, err = take(n * Pixels); err != nil {
			return nil, err
		}
		sl, err := u32()
		if err != nil {
			return nil, err
		}
		sb, err := take(sl)
		if err != nil {
			return nil, err
		}
		all := string(sb) // one allocation; the sources are substrings of it
		s.Sources = make([]string, 0, n)
		for rel := range strings.SplitSeq(all, "\n") {
			if ds.Layout == LayoutCSV {
				s.Sources = append(s.Sources, prefix+rel)
			} else {
				s.Sources = append(s.Sources, filepath.Join(ds.Root, filepath.FromSlash(rel)))
			}
		}
		if n == 0 {
			s.Sources = s.Sources[:0]
		}
		if len(s.Sources) != n {
			return nil, fmt.Errorf("split %s: %d sources for %d images", s.Name, len(s.Sources), n)
		}
		if err := s.Validate(); err != nil {
			return nil, err
		}
		switch s.Name {
		case "train":
			out.Train = s
		case "val":
			out.Val = s
		case "test":
			out.Test = s
		case "privatetest":
			out.PrivateTest = s
		default:
			return nil, fmt.Errorf("unknown split %q", s.Name)
		}
	}
	if len(b) != 0 {
		return nil, errCache
	}
	return out, nil
}
