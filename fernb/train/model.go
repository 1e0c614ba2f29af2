package train

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"

	"github.com/fernb/fernb/fernb/augment"
	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/models"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Model is a trained network ready for inference: the run's model
// configuration, its normalisation and the weights of one checkpoint.
// Its methods are safe for concurrent use.
type Model struct {
	// Config is the run's configuration.
	Config Config
	// Pipeline normalises images as in training (MakeBatch with train=false).
	Pipeline *augment.Pipeline
	// Epoch is the epoch whose weights the model holds.
	Epoch int

	backend compute.Backend
	store   *model.Store
	batch   int

	mu               sync.Mutex
	logits, features *model.Exec
}

// Load restores the model of checkpoint "best" or "last" of a run onto
// backend, which must stay open while the model is used. Loading is strict:
// a checkpoint whose variables are not exactly those the run's graph
// creates (a missing or unexpected variable, or another shape) is a
// *checkpoint.VariablesError naming them. For checkpoint-best that is the
// network's inference graph; for checkpoint-last the training step's (the
// network, the state of the run's optimizer and the random-number state),
// whose variables outside the network are checked, then left out of the
// Model.
func (r *Result) Load(backend compute.Backend, which string) (*Model, error) {
	var file string
	switch which {
	case "best", "":
		file = CheckpointBest
	case "last":
		file = CheckpointLast
	default:
		return nil, fmt.Errorf("train: unknown checkpoint %q (want best or last)", which)
	}
	path := filepath.Join(r.Dir, file)
	st, values, trainable, err := loadCheckpoint(path)
	if err != nil {
		return nil, fmt.Errorf("train: loading %s: %w", r.Dir, err)
	}
	// checkpoint-best holds the network alone: the inference graph's
	// variables. checkpoint-last holds the training step's: the network,
	// the state of the run's optimizer and the random-number state, every
	// one accounted for before the network's are kept.
	want, err := graphVariables(r.Config, file == CheckpointLast)
	if err != nil {
		return nil, fmt.Errorf("train: loading %s: %w", r.Dir, err)
	}
	if err := checkVariables(path, values, want); err != nil {
		return nil, fmt.Errorf("train: loading %s: %w", r.Dir, err)
	}
	for p := range values {
		if !strings.HasPrefix(p, "/"+ModelScope+"/") {
			delete(values, p)
		}
	}
	store, err := restoreStore(values, trainable)
	if err != nil {
		return nil, fmt.Errorf("train: loading %s: %w", r.Dir, err)
	}
	p, err := r.Config.Augment.Pipeline()
	if err != nil {
		return nil, fmt.Errorf("train: %s: augment: %w", r.Dir, err)
	}
	epoch := st.EpochsDone
	if file == CheckpointBest {
		epoch = st.BestEpoch
	}
	return newModel(backend, store, r.Config, p, epoch), nil
}

func newModel(backend compute.Backend, store *model.Store, cfg Config, p *augment.Pipeline, epoch int) *Model {
	batch := 256
	if models.PrefersIm2col(backend) {
		batch = 32
	}
	return &Model{Config: cfg, Pipeline: p, Epoch: epoch, backend: backend, store: store, batch: batch}
}

// Backend is the backend the model runs on.
func (m *Model) Backend() compute.Backend { return m.backend }

// Store holds the model's variables, under scope ModelScope.
func (m *Model) Store() *model.Store { return m.store }

// ModelConfig is the network's configuration.
func (m *Model) ModelConfig() models.Config { return m.Config.ModelConfig() }

// BatchSize is the number of images per inference call.
func (m *Model) BatchSize() int { return m.batch }

// Close releases the model's compiled graphs (its variables stay usable;
// a later call compiles again). The backend is not closed.
func (m *Model) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range []*model.Exec{m.logits, m.features} {
		if e != nil {
			e.Finalize()
		}
	}
	m.logits, m.features = nil, nil
}

// Images returns the normalised (un-augmented) images idx of split s,
// n*data.Pixels values ready for Logits.
func (m *Model) Images(s *data.Split, idx []int) []float32 {
	return m.Pipeline.MakeBatch(s, idx, 0, false).Images
}

// Logits returns n*7 logits for n normalised images (n*data.Pixels values).
func (m *Model) Logits(images []float32) ([]float32, error) {
	e, err := m.exec(&m.logits, models.Config.Logits)
	if err != nil {
		return nil, err
	}
	return m.run(e, images, data.NumClasses)
}

// Probabilities returns n*7 softmax probabilities for n normalised images.
func (m *Model) Probabilities(images []float32) ([]float32, error) {
	l, err := m.Logits(images)
	if err != nil {
		return nil, err
	}
	Softmax(l, data.NumClasses)
	return l, nil
}

// Features returns n*FeatureDim penultimate features (512 per image for
// ResNet18) for n normalised images.
func (m *Model) Features(images []float32) ([]float32, error) {
	e, err := m.exec(&m.features, models.Config.Features)
	if err != nil {
		return nil, err
	}
	return m.run(e, images, m.ModelConfig().FeatureDim())
}

// exec returns the inference graph held in *slot (m.logits or m.features),
// creating it on first use from net, the network's Logits or Features in
// inference mode. It is compiled on its first call.
func (m *Model) exec(slot **model.Exec, net func(models.Config, *model.Scope, *graph.Node, bool) *graph.Node) (*model.Exec, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if *slot == nil {
		mcfg := m.ModelConfig()
		e, err := model.NewExec(m.backend, m.store, func(s *model.Scope, x *graph.Node) *graph.Node {
			return net(mcfg, s.At(ModelScope), x, false)
		})
		if err != nil {
			return nil, err
		}
		*slot = e
	}
	return *slot, nil
}

// run evaluates e over images in fixed-size batches (the last one padded
// with zeros, so a single graph is compiled) and returns width outputs per image.
func (m *Model) run(e *model.Exec, images []float32, width int) (out []float32, err error) {
	if len(images)%data.Pixels != 0 {
		return nil, fmt.Errorf("train: %d values is not a whole number of %dx%d images", len(images), data.Size, data.Size)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("train: inference: %v", r)
		}
	}()
	n := len(images) / data.Pixels
	b := min(m.batch, max(n, 1))
	out = make([]float32, 0, n*width)
	buf := make([]float32, b*data.Pixels)
	for start := 0; start < n; start += b {
		k := min(b, n-start)
		copy(buf, images[start*data.Pixels:(start+k)*data.Pixels])
		clear(buf[k*data.Pixels:])
		outs, err := e.Call(tensors.FromFlatDataAndDimensions(buf, b, data.Size, data.Size, 1))
		if err != nil {
			return nil, err
		}
		v := tensors.MustCopyFlatData[float32](outs[0])
		outs[0].FinalizeAll()
		out = append(out, v[:k*width]...)
	}
	return out, nil
}

// lossAndAccuracy evaluates the model on a split: the training criterion
// (one-hot targets) and the accuracy.
func (m *Model) lossAndAccuracy(s *data.Split, weights []float32) (loss, acc float64, err error) {
	n := s.Len()
	if n == 0 {
		return 0, 0, errors.New("empty split")
	}
	var num, den float64
	correct := 0
	chunk := m.batch * 8
	for start := 0; start < n; start += chunk {
		idx := make([]int, 0, chunk)
		for i := start; i < min(n, start+chunk); i++ {
			idx = append(idx, i)
		}
		b := m.Pipeline.MakeBatch(s, idx, 0, false)
		logits, err := m.Logits(b.Images)
		if err != nil {
			return 0, 0, err
		}
		nn, dd := hostLoss(logits, b.Labels, weights, m.Config.LabelSmoothing)
		num, den = num+nn, den+dd
		for i, y := range b.Labels {
			if ArgMax(logits[i*data.NumClasses:(i+1)*data.NumClasses]) == int(y) {
				correct++
			}
		}
	}
	return num / den, float64(correct) / float64(n), nil
}

// ArgMax returns the index of the largest value (the first on ties).
func ArgMax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// Softmax turns rows of k logits into probabilities, in place.
func Softmax(v []float32, k int) {
	for r := 0; r+k <= len(v); r += k {
		row := v[r : r+k]
		mx := float32(math.Inf(-1))
		for _, x := range row {
			mx = max(mx, x)
		}
		var s float64
		for i, x := range row {
			e := math.Exp(float64(x - mx))
			row[i] = float32(e)
			s += e
		}
		for i := range row {
			row[i] = float32(float64(row[i]) / s)
		}
	}
}
