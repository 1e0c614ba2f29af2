package data

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fernb/fernb/fernb/atomicfile"
)

// SplitFiles names the two files WriteSplits wrote for one split.
type SplitFiles struct {
	// Split is the split's name (train, val or test).
	Split string
	// List is NAME.tsv: one "source<TAB>label" line per image, in order.
	List string
	// Pixels is NAME.u8: the decoded images, 48x48 bytes each, in the same
	// order.
	Pixels string
	// Images is the split's size.
	Images int
	// Fingerprint is the split's content fingerprint (Split.Fingerprint).
	Fingerprint string
}

// WriteSplits writes each split of ds into dir (created if missing) as
// NAME.tsv and NAME.u8 (see SplitFiles), each file atomically, so that a peer
// such as scripts/parity_torch.py trains and validates on exactly the images
// and labels fernb uses, after its val split (make it first, with SplitVal).
func (ds *Dataset) WriteSplits(dir string) ([]SplitFiles, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var out []SplitFiles
	for _, sp := range ds.Splits() {
		var b strings.Builder
		for i := range sp.Len() {
			fmt.Fprintf(&b, "%s\t%d\n", sp.source(i), sp.Labels[i])
		}
		f := SplitFiles{Split: sp.Name, List: filepath.Join(dir, sp.Name+".tsv"), Pixels: filepath.Join(dir, sp.Name+".u8"),
			Images: sp.Len(), Fingerprint: sp.Fingerprint()}
		if err := atomicfile.WriteFile(f.List, []byte(b.String())); err != nil {
			return out, err
		}
		if err := atomicfile.WriteFile(f.Pixels, sp.Pixels[:sp.Len()*Pixels]); err != nil {
			return out, err
		}
		out = append(out, f)
	}
	return out, nil
}
