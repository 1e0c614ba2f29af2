package augment

import (
	"testing"

	"github.com/fernb/fernb/fernb/data"
)

func benchBatch(b *testing.B, c Config, train bool) {
	s := data.Synthetic(256, 0, 1).Train
	p, err := c.Pipeline()
	if err != nil {
		b.Fatal(err)
	}
	idx := allIdx(128)
	var batch Batch
	seed := uint64(0)
	for b.Loop() {
		seed++
		p.MakeBatchInto(&batch, s, idx, seed, train)
	}
	b.ReportMetric(float64(len(idx)*b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkAugmentStudy is the study's pipeline (hflip + rotate 30 +
// RandomResizedCrop + normalize), batches of 128.
func BenchmarkAugmentStudy(b *testing.B) { benchBatch(b, Study(), true) }

// BenchmarkAugmentAll turns on every per-image transform and mixup.
func BenchmarkAugmentAll(b *testing.B) {
	benchBatch(b, Config{HFlip: true, Rotate: 30, ResizedCrop: true, PadCrop: 4, Erase: 0.5,
		Brightness: 0.3, Contrast: 0.3, Mixup: 0.2, Mean: 0.5, Std: 0.25}, true)
}

// BenchmarkAugmentEval is an evaluation batch (normalize only).
func BenchmarkAugmentEval(b *testing.B) { benchBatch(b, Study(), false) }
