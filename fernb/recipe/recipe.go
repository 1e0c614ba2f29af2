// Package recipe holds the study's steps and scales as plain data: each
// step's training configuration at the study's own settings, what the study
// reported for it, and the scales that shorten the study to fit a machine.
// It imports no notebook code, so the fer command and the notebooks' fernb
// package share it.
package recipe

import (
	"fmt"
	"math"
	"strings"

	"github.com/fernb/fernb/fernb/augment"
	"github.com/fernb/fernb/fernb/models"
	"github.com/fernb/fernb/fernb/train"
)

// Step is one experiment of the study: what it changes, its training
// configuration at the study's own settings, and what the study reported.
type Step struct {
	// ID names the run folder and is how cells refer to the step, e.g.
	// "03-cosine".
	ID string
	// Title is a short human name, e.g. "+ cosine annealing".
	Title string
	// Change describes what the step changes, in a sentence.
	Change string
	// Config is the training configuration at the study's settings (scale
	// "full"); Scale.Apply shortens it.
	Config train.Config
	// TrainVal trains on train+val (the study's last step); the validation
	// split is then seen in training and test is the only held-out split.
	TrainVal bool
	// StudyVal and StudyTest are the accuracies the study reported (NaN
	// where it reported none).
	StudyVal, StudyTest float64
	// Untried marks the ideas the study named but did not try.
	Untried bool
}

// DefaultScale is the scale the study runs at when none is asked for.
const DefaultScale = "short"

// ValFraction and SplitSeed define the validation split the study makes out
// of FER2013's training set (stratified; the study used 11,880/7,350 of
// its own split).
const (
	ValFraction = 0.2
	SplitSeed   = 1
)

// norm is the normalisation every step uses: FER2013's pixel mean and std.
func norm(c augment.Config) augment.Config {
	c.Mean, c.Std = augment.FER2013Mean, augment.FER2013Std
	return c
}

// StudySteps returns the study's experiments in order, each building on the
// previous one as the original write-up did (see ../shared/study/README.md),
// followed by the four ideas it named but never tried, each added to step
// 06's recipe, and fernb's own best recipe for a CPU (BestCPUStep).
func StudySteps() []Step {
	nan := math.NaN()
	base := train.Config{
		Model: models.ArchBaseline, Epochs: 30, BatchSize: 64, Optimizer: train.OptSGD, LR: 0.01,
		Schedule: train.SchedConstant, ClassWeights: train.WeightsNone, Seed: 1, Augment: norm(augment.Config{}),
	}
	r18 := base
	r18.Model, r18.LR = models.ArchResNet18, 0.1
	mom := r18
	mom.Optimizer, mom.Momentum, mom.WeightDecay = train.OptMomentum, 0.9, 1e-4
	cos := mom
	cos.BatchSize, cos.Epochs, cos.Schedule, cos.EtaMin = 128, 50, train.SchedCosine, 1e-5
	flip := cos
	flip.Epochs = 40
	flip.Augment = norm(augment.Config{HFlip: true})
	rot := flip
	rot.Epochs = 100
	rot.Augment = norm(augment.Config{HFlip: true, Rotate: 30})
	rrc := rot
	rrc.Augment = norm(augment.Study())
	longer := rrc
	longer.Epochs = 300
	tv := longer
	tv.Epochs = 1000

	steps := []Step{
		{ID: "00-baseline", Title: "baseline CNN", Change: "a small CNN with the course code's defaults (plain SGD, lr 0.01, batch 64)",
			Config: base, StudyVal: 0.2895, StudyTest: 0.3222},
		{ID: "01-resnet18", Title: "ResNet18", Change: "ResNet18 backbone, plain SGD, lr 0.1, batch 64, 30 epochs",
			Config: r18, StudyVal: 0.4872, StudyTest: 0.5190},
		{ID: "02-momentum-wd", Title: "+ momentum, weight decay", Change: "SGD with momentum 0.9 and weight decay 1e-4",
			Config: mom, StudyVal: 0.5087, StudyTest: 0.5403},
		{ID: "03-cosine", Title: "+ cosine annealing", Change: "CosineAnnealingLR(T_max = epochs, eta_min = 1e-5), batch 128, 50 epochs",
			Config: cos, StudyVal: 0.4886, StudyTest: nan},
		{ID: "04-hflip", Title: "+ horizontal flip", Change: "random horizontal flip, 40 epochs",
			Config: flip, StudyVal: 0.5185, StudyTest: nan},
		{ID: "05-rotation", Title: "+ rotation 30°", Change: "random rotation up to 30°, 100 epochs",
			Config: rot, StudyVal: 0.5663, StudyTest: nan},
		{ID: "06-resized-crop", Title: "+ RandomResizedCrop", Change: "RandomResizedCrop(48) with torchvision's scale and ratio, 100 epochs",
			Config: rrc, StudyVal: 0.5767, StudyTest: nan},
		{ID: "07-longer", Title: "longer training", Change: "the same recipe for 300 epochs",
			Config: longer, StudyVal: 0.5954, StudyTest: 0.63},
		{ID: "08-trainval", Title: "train on train+val", Change: "the same recipe on train+val for 1000 epochs",
			Config: tv, TrainVal: true, StudyVal: nan, StudyTest: 0.6642},
	}
	untried := []struct {
		id, title, change string
		edit              func(*train.Config)
	}{
		{"09-mixup", "+ mixup", "mixup with Beta(0.2, 0.2) on top of step 06", func(c *train.Config) { c.Augment.Mixup = 0.2 }},
		{"10-label-smoothing", "+ label smoothing", "label smoothing 0.1 on top of step 06", func(c *train.Config) { c.LabelSmoothing = 0.1 }},
		{"11-dropout", "+ dropout", "dropout 0.3 before the classifier on top of step 06", func(c *train.Config) { c.Dropout = 0.3 }},
		{"12-class-weights", "+ class weights", "inverse-frequency class weights in the loss on top of step 06",
			func(c *train.Config) { c.ClassWeights = train.WeightsBalanced }},
	}
	for _, u := range untried {
		c := rrc
		u.edit(&c)
		steps = append(steps, Step{ID: u.id, Title: u.title, Change: u.change, Config: c,
			StudyVal: nan, StudyTest: nan, Untried: true})
	}
	// Beyond the study: fernb's recipe for a 2-core CPU, trained on the
	// train split (val held out, so val accuracy is measured every epoch) in
	// under two hours (docs/recipes/resnet18-cpu-2h.json holds the same
	// configuration for `fer train --config`).
	best := train.Config{
		Model: models.ArchResNet18, Epochs: 40, BatchSize: 128, Optimizer: train.OptNesterov, LR: 0.05,
		Momentum: 0.9, WeightDecay: 5e-4, Schedule: train.SchedCosine, EtaMin: 1e-5, WarmupEpochs: 1,
		Augment: norm(augment.Config{HFlip: true, Rotate: 15, ResizedCrop: true,
			ResizedCropScale: [2]float64{0.64, 1}, ResizedCropRatio: [2]float64{0.8, 1.25}, Erase: 0.25,
			SingleResample: true}),
		LabelSmoothing: 0.1, ClassWeights: train.WeightsNone, Seed: 1,
	}
	steps = append(steps, Step{ID: BestCPUStep, Title: "2-hour CPU recipe",
		Change: "Nesterov SGD lr 0.05 with a 1-epoch per-step warm-up, weight decay 5e-4, cosine, flip + rotation 15° + " +
			"RandomResizedCrop(0.64-1) in one resample + random erasing 0.25, label smoothing 0.1, 40 epochs on the train split",
		Config: best, StudyVal: nan, StudyTest: nan})
	for i := range steps {
		steps[i].Config.Name = steps[i].ID + ": " + steps[i].Title
	}
	return steps
}

// BestCPUStep is the ID of fernb's own recipe (not the study's): the best
// ResNet18 found that trains on a 2-core CPU within two hours.
const BestCPUStep = "13-cpu-2h"

// FindStep returns the step whose ID is id, or whose ID starts with id
// followed by "-" (so "03" finds "03-cosine").
func FindStep(id string) (Step, error) {
	var ids []string
	for _, s := range StudySteps() {
		if s.ID == id || strings.HasPrefix(s.ID, id+"-") {
			return s, nil
		}
		ids = append(ids, s.ID)
	}
	return Step{}, fmt.Errorf("unknown study step %q; steps: %s", id, strings.Join(ids, ", "))
}

// WarmupLR is the peak learning rate from which a scale's Warmup applies.
const WarmupLR = 0.1

// Scale shortens the study to fit a machine: how many epochs each step
// trains, and for quick runs how many steps per epoch and images per split.
type Scale struct {
	// Name is "quick", "short", "cpu" or "full".
	Name string
	// Epochs maps a step ID to its number of epochs at this scale; steps
	// not listed keep the study's.
	Epochs map[string]int
	// MaxStepsPerEpoch caps the steps of each epoch (0: no cap).
	MaxStepsPerEpoch int
	// BatchSize, when > 0, replaces every step's batch size.
	BatchSize int
	// TrainImages and EvalImages, when > 0, keep a stratified subset of
	// that many images of train, and of val and test.
	TrainImages, EvalImages int
	// Warmup, when > 0, gives every step that starts at the study's
	// learning rate (WarmupLR or more) and has no warm-up of its own a
	// per-step linear warm-up over this many epochs (cut like any warm-up
	// to leave an epoch after it). The study's lr 0.1 with momentum 0.9
	// throws ResNet18 into the majority-class plateau in its first steps
	// (PyTorch does the same on the same batches); over 300 epochs the
	// study grew out of it, over 2-8 epochs a run does not.
	Warmup int
	// ScaleLR, with BatchSize, scales the learning rate of every step at
	// the study's lr (WarmupLR or more) by BatchSize / the step's own batch
	// size (the linear scaling rule), so that a smaller batch takes
	// proportionally smaller steps; its warm-up is kept.
	ScaleLR bool
	// About says what the scale is for and how long it takes.
	About string
}

// epochsFor builds an epoch table: the same number for steps 00..06 and the
// untried ideas except where overridden.
func epochsFor(resnet, baseline, longer, trainval int, override map[string]int) map[string]int {
	m := map[string]int{"00-baseline": baseline, "07-longer": longer, "08-trainval": trainval, BestCPUStep: trainval}
	for _, s := range StudySteps() {
		if _, ok := m[s.ID]; !ok {
			m[s.ID] = resnet
		}
	}
	for k, v := range override {
		m[k] = v
	}
	return m
}

// Scales lists the scales, smallest first.
func Scales() []Scale {
	return []Scale{
		{Name: "quick", Epochs: epochsFor(2, 2, 2, 2, nil), MaxStepsPerEpoch: 2, BatchSize: 16,
			TrainImages: 512, EvalImages: 128,
			About: "a smoke run of every step: 2 epochs of 2 batches of 16 images on a subset (CI; minutes)"},
		{Name: "short", Epochs: epochsFor(2, 4, 4, 4, nil), Warmup: 1,
			About: "every step for a few epochs on the full data (hours on a 2-core CPU, minutes on a GPU); " +
				"the steps at the study's lr 0.1 start with a one-epoch warm-up, without which they stay at the majority class"},
		{Name: "cpu", Epochs: epochsFor(8, 10, 24, 24, map[string]int{"01-resnet18": 5, "02-momentum-wd": 5, "03-cosine": 6, "04-hflip": 6, BestCPUStep: 40}),
			Warmup: 1,
			About: "the study's recipe shortened to fit a day on a 2-core CPU; " +
				"the steps at the study's lr 0.1 start with a one-epoch warm-up, without which they stay at the majority class"},
		{Name: "full", About: "the study's own settings (up to 1000 epochs: for a GPU)"},
	}
}

// SyntheticBatchSize is the batch size of every step at scales short and
// cpu on the built-in synthetic faces (see Scale.ForSynthetic).
const SyntheticBatchSize = 32

// SyntheticShortEpochs caps every step's epochs at scale short on the
// synthetic faces, so that the report without data ends within 10 minutes
// on a 2-core CPU (four steps train 4 epochs at short on FER2013).
const SyntheticShortEpochs = 3

// ForSynthetic returns the scale as it runs on the built-in synthetic faces
// (data name "synthetic"). Their set is small so that a report without data
// finishes in minutes (fernb.Study.Dataset: 2,400 train images after the val
// split), and at the study's batch sizes (64; 128 from step 03) an epoch of
// it is only 22-44 steps: the one-epoch warm-up to lr 0.1 ends after 22
// steps and the augmented steps stay at chance (06-resized-crop: 15 % val
// after 2 epochs at batch 128). So at short and cpu every step trains with
// batch SyntheticBatchSize there (XLA CPU runs it at about the same images
// per second), and the steps at the study's lr 0.1 scale it by
// SyntheticBatchSize / their batch (linear scaling rule: 0.05 for 01-02,
// 0.025 for 03-12), without which 09-mixup and 11-dropout ended at 14-16 %
// val. At short no step trains more than SyntheticShortEpochs epochs;
// warm-up and everything else stay the scale's. quick (its own batch) and
// full (the study's settings) are unchanged.
func (sc Scale) ForSynthetic() Scale {
	if sc.BatchSize > 0 || sc.Name == "full" {
		return sc
	}
	sc.BatchSize, sc.ScaleLR = SyntheticBatchSize, true
	sc.About += fmt.Sprintf("; on the synthetic faces (a small set) every step uses batch %d, and the steps at the study's lr 0.1 scale their lr with it (0.05 for steps 01-02, 0.025 for 03-12)", SyntheticBatchSize)
	if sc.Name == "short" {
		sc.Epochs = cappedEpochs(sc.Epochs, SyntheticShortEpochs)
		sc.About += fmt.Sprintf(", for at most %d epochs", SyntheticShortEpochs)
	}
	return sc
}

// cappedEpochs returns a copy of an epoch table with every entry at most n.
func cappedEpochs(epochs map[string]int, n int) map[string]int {
	c := make(map[string]int, len(epochs))
	for id, e := range epochs {
		c[id] = min(e, n)
	}
	return c
}

// FindScale returns the scale named name.
func FindScale(name string) (Scale, error) {
	var names []string
	for _, s := range Scales() {
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return Scale{}, fmt.Errorf("unknown scale %q; scales: %s", name, strings.Join(names, ", "))
}

// Apply returns the step's configuration at this scale. With a cosine
// schedule T_max follows the shortened number of epochs, as the study set
// T_max = epochs; the scale's Warmup is added to steps at the study's lr
// 0.1; a warm-up is cut to leave at least one epoch after it.
func (sc Scale) Apply(st Step) train.Config {
	c := st.Config
	if e, ok := sc.Epochs[st.ID]; ok && e > 0 && e < c.Epochs {
		c.Epochs = e
	}
	if c.TMax != 0 && c.TMax > c.Epochs {
		c.TMax = c.Epochs
	}
	if sc.Warmup > 0 && c.WarmupEpochs == 0 && c.LR >= WarmupLR {
		c.WarmupEpochs = sc.Warmup
	}
	if c.WarmupEpochs >= c.Epochs {
		c.WarmupEpochs = max(c.Epochs-1, 0)
	}
	if sc.MaxStepsPerEpoch > 0 {
		c.MaxStepsPerEpoch = sc.MaxStepsPerEpoch
	}
	if sc.BatchSize > 0 {
		if sc.ScaleLR && st.Config.LR >= WarmupLR && c.BatchSize > 0 {
			c.LR *= float64(sc.BatchSize) / float64(c.BatchSize)
		}
		c.BatchSize = sc.BatchSize
	}
	return c
}
