package checkpoint

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ml/model"
)

// FuzzParseCheckpoint checks that no checkpoint file content panics,
// allocates beyond the file's size or is accepted inconsistently. Each
// input is tried as it is (the checksum rejects almost everything) and
// with its last 32 bytes replaced by the right SHA-256, so that the header
// and variable parsing behind the checksum is fuzzed too.
func FuzzParseCheckpoint(f *testing.F) {
	good := smallCheckpoint(f)
	if _, err := Parse("seed", good, &testState{}); err != nil {
		f.Fatalf("seed: %v", err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(Magic))
	// A header with an unknown field behind a valid checksum.
	f.Add(withHeader(good, func(h string) string { return strings.Replace(h, `{"state":`, `{"extra":1,"state":`, 1) }))
	f.Fuzz(func(t *testing.T, b []byte) {
		check := func(b []byte) {
			var st testState
			c, err := Parse("fuzz", b, &st)
			if err != nil {
				return
			}
			seen := map[string]bool{}
			for _, v := range c.Variables {
				if seen[v.Path] || !strings.HasPrefix(v.Path, "/") {
					t.Fatalf("accepted variable %q twice or not absolute", v.Path)
				}
				seen[v.Path] = true
				if v.Value.Shape().ByteSize() > int64(len(b)) {
					t.Fatalf("variable %s: %s larger than the file", v.Path, v.Value.Shape())
				}
			}
			store := model.NewStore()
			for _, v := range c.Variables {
				if _, err := store.CreateVariable(v.Path, v.Value); err != nil {
					return
				}
			}
		}
		check(b)
		if len(b) > sha256.Size {
			fixed := append([]byte(nil), b[:len(b)-sha256.Size]...)
			sum := sha256.Sum256(fixed)
			check(append(fixed, sum[:]...))
		}
	})
}
