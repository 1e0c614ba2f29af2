package train_test

import (
	"fmt"

	"github.com/fernb/fernb/fernb/train"
)

// The study's cosine schedule: lr 0.1 annealed to 1e-5 over 5 epochs,
// stepped once per epoch as PyTorch's CosineAnnealingLR.
func ExampleConfig_LRAt() {
	cfg := train.DefaultConfig()
	cfg.Epochs = 5
	for e := 0; e < cfg.Epochs; e++ {
		fmt.Printf("epoch %d: lr %.6f\n", e+1, cfg.LRAt(e))
	}
	// Output:
	// epoch 1: lr 0.100000
	// epoch 2: lr 0.090452
	// epoch 3: lr 0.065454
	// epoch 4: lr 0.034556
	// epoch 5: lr 0.009558
}
