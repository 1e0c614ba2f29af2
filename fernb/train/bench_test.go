package train

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fernb/fernb/fernb/data"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// BenchmarkTrainStepResNet18 measures ResNet18 training steps (SGD momentum,
// batch 128, standard stem) per backend and reports images/s and the first
// step's (compilation) time. Run with:
//
//	GOMLX_NO_AUTO_INSTALL=1 go test -run '^$' -bench TrainStepResNet18 -benchtime 3x ./fernb/train
func BenchmarkTrainStepResNet18(b *testing.B) {
	const batch = 128
	for _, bn := range []string{"xla:cpu", "go"} {
		b.Run(bn, func(b *testing.B) {
			backend := testBackend(b, bn)
			cfg := DefaultConfig()
			store := model.NewStore()
			trainStep, err := NewStep(backend, store, cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer trainStep.Finalize()
			step := trainStep.exec
			rng := rand.New(rand.NewPCG(1, 2))
			images := make([]float32, batch*data.Pixels)
			for i := range images {
				images[i] = float32(rng.NormFloat64())
			}
			targets := make([]float32, batch*data.NumClasses)
			labels := make([]int32, batch)
			for i := range labels {
				labels[i] = int32(rng.IntN(data.NumClasses))
				targets[i*data.NumClasses+int(labels[i])] = 1
			}
			weights := ClassWeightsFor(WeightsNone, nil)
			call := func() {
				outs, err := step.Call(
					tensors.FromFlatDataAndDimensions(images, batch, data.Size, data.Size, 1),
					tensors.FromFlatDataAndDimensions(targets, batch, data.NumClasses),
					tensors.FromFlatDataAndDimensions(labels, batch),
					tensors.FromScalar(float32(0.01)),
					tensors.FromFlatDataAndDimensions(weights, data.NumClasses))
				if err != nil {
					b.Fatal(err)
				}
				for _, o := range outs {
					tensors.MustCopyFlatData[float32](o)
					o.FinalizeAll()
				}
			}
			start := time.Now()
			call() // compilation + first step
			first := time.Since(start)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				call()
			}
			b.ReportMetric(first.Seconds(), "first-step-s")
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "img/s")
		})
	}
}
