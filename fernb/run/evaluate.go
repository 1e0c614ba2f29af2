package run

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fernb/fernb/fernb/atomicfile"
	"github.com/fernb/fernb/fernb/eval"
	"github.com/fernb/fernb/fernb/train"
)

// Evaluate measures the best checkpoint on a split of the run's data with
// test-time augmentation tta ("none", "flip", "tencrop", "zoom" or "zoomflip"; "" is none: eval.TTAs). The
// metrics are cached in the run folder (eval-<split>-<tta>-<data key>.json),
// keyed by the checkpoint and by the content of the split scored, and
// reused while both are unchanged; the per-image predictions are not cached
// (see evaluateFull).
func (r *Handle) Evaluate(split, tta string) (eval.Metrics, error) {
	if tta == "" {
		tta = eval.TTANone
	}
	sp, err := r.split(split)
	if err != nil {
		return eval.Metrics{}, err
	}
	fp := sp.Fingerprint()
	cache := filepath.Join(r.Dir, fmt.Sprintf("eval-%s-%s-%s.json", split, tta, fp[:12]))
	stamp := checkpointStamp(r.Dir)
	var cached struct {
		Stamp   string       `json:"checkpoint"`
		Data    string       `json:"data"`
		Metrics eval.Metrics `json:"metrics"`
	}
	dataKey := fmt.Sprintf("%s split %s, %d images, fingerprint %s", r.DataName, split, sp.Len(), fp)
	if b, err := os.ReadFile(cache); err == nil && json.Unmarshal(b, &cached) == nil && cached.Stamp == stamp && stamp != "" && cached.Data == dataKey {
		if cached.Metrics.AccuracyHigh == 0 && cached.Metrics.N > 0 {
			cached.Metrics.SetInterval() // cached before the intervals existed
		}
		return cached.Metrics, nil
	}
	rep, err := r.evaluateFull(split, tta)
	if err != nil {
		return eval.Metrics{}, err
	}
	cached.Stamp, cached.Data, cached.Metrics = stamp, dataKey, rep.Metrics
	if b, err := json.MarshalIndent(cached, "", "  "); err == nil {
		_ = atomicfile.WriteFile(cache, b) // a cache: failing to write it only costs time later
	}
	return rep.Metrics, nil
}

// checkpointStamp identifies the best checkpoint's content by its files'
// sizes and modification times ("" when there is none).
func checkpointStamp(dir string) string {
	var parts []string
	_ = filepath.Walk(filepath.Join(dir, train.CheckpointBest), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			parts = append(parts, fmt.Sprintf("%s:%d:%d", filepath.Base(p), fi.Size(), fi.ModTime().UnixNano()))
		}
		return nil
	})
	return strings.Join(parts, ",")
}

// evaluateFull evaluates the best checkpoint on a split, with per-image
// predictions (not cached).
func (r *Handle) evaluateFull(split, tta string) (*eval.Report, error) {
	sp, m, err := r.bestOn(split)
	if err != nil {
		return nil, err
	}
	return eval.Evaluate(m, sp, tta)
}
