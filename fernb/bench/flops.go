package bench

import (
	"fmt"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/models"
)

// Layer is one convolution or dense layer of a network, with the shapes it
// sees. Only these layers are counted in FLOPs: batch norm, ReLU, pooling and
// the residual additions are a few percent of a ResNet's arithmetic and are
// left out, as is customary.
type Layer struct {
	// Name is the layer's path, e.g. "layer2/0/conv1".
	Name string
	// Dense is true for a fully connected layer (then only InC and OutC
	// matter, with one output position).
	Dense bool
	// InH, InW, InC are the input's height, width and channels.
	InH, InW, InC int
	// Kernel, Stride and Pad describe a square convolution.
	Kernel, Stride, Pad int
	// OutH, OutW, OutC are the output's height, width and channels.
	OutH, OutW, OutC int
}

// MACs is the number of multiply-accumulates of the layer for one image:
// OutH*OutW*OutC*Kernel*Kernel*InC for a convolution, InC*OutC for a dense layer.
func (l Layer) MACs() int64 {
	if l.Dense {
		return int64(l.InC) * int64(l.OutC)
	}
	return int64(l.OutH) * int64(l.OutW) * int64(l.OutC) * int64(l.Kernel) * int64(l.Kernel) * int64(l.InC)
}

// ConvOut is a convolution's (or pooling's) output size along one axis:
// (in + 2*pad - kernel)/stride + 1, as in PyTorch.
func ConvOut(in, kernel, stride, pad int) int {
	return (in+2*pad-kernel)/stride + 1
}

// conv returns the Layer of a convolution applied to an h x w x c input.
func conv(name string, h, w, c, outC, kernel, stride, pad int) Layer {
	return Layer{Name: name, InH: h, InW: w, InC: c, Kernel: kernel, Stride: stride, Pad: pad,
		OutH: ConvOut(h, kernel, stride, pad), OutW: ConvOut(w, kernel, stride, pad), OutC: outC}
}

// ResNet18Layers lists the convolutions and the classifier of torchvision's
// ResNet18 for size x size x inC images and the given number of classes,
// in the order they run: with smallStem the 7x7/2 convolution and 3x3/2
// max-pool are replaced by one 3x3/1 convolution (as in fernb/models).
func ResNet18Layers(size, inC, classes int, smallStem bool) []Layer {
	var ls []Layer
	h, w := size, size
	if smallStem {
		ls = append(ls, conv("conv1", h, w, inC, 64, 3, 1, 1))
		h, w = ls[0].OutH, ls[0].OutW
	} else {
		ls = append(ls, conv("conv1", h, w, inC, 64, 7, 2, 3))
		h, w = ls[0].OutH, ls[0].OutW
		h, w = ConvOut(h, 3, 2, 1), ConvOut(w, 3, 2, 1) // max-pool 3x3/2, pad 1
	}
	c := 64
	for stage, ch := range []int{64, 128, 256, 512} {
		for blk := 0; blk < 2; blk++ {
			stride := 1
			if stage > 0 && blk == 0 {
				stride = 2
			}
			p := fmt.Sprintf("layer%d/%d/", stage+1, blk)
			c1 := conv(p+"conv1", h, w, c, ch, 3, stride, 1)
			c2 := conv(p+"conv2", c1.OutH, c1.OutW, ch, ch, 3, 1, 1)
			ls = append(ls, c1, c2)
			if stride != 1 || c != ch {
				ls = append(ls, conv(p+"downsample/0", h, w, c, ch, 1, stride, 0))
			}
			h, w, c = c2.OutH, c2.OutW, ch
		}
	}
	return append(ls, Layer{Name: "fc", Dense: true, InH: 1, InW: 1, InC: c, OutH: 1, OutW: 1, OutC: classes})
}

// ModelLayers returns the counted layers of a fernb ResNet18 configuration
// for 48x48x1 FER2013 images.
func ModelLayers(cfg models.Config) ([]Layer, error) {
	if cfg.Arch != models.ArchResNet18 {
		return nil, fmt.Errorf("bench: FLOP count implemented for %q only, not %q", models.ArchResNet18, cfg.Arch)
	}
	return ResNet18Layers(data.Size, 1, models.NumClasses, cfg.SmallStem), nil
}

// ForwardFLOPs is the forward pass's floating-point operations per image:
// 2 per multiply-accumulate of the counted layers.
func ForwardFLOPs(layers []Layer) int64 {
	var macs int64
	for _, l := range layers {
		macs += l.MACs()
	}
	return 2 * macs
}

// TrainFLOPs is a training step's floating-point operations per image: the
// forward pass plus a backward pass costing twice the forward (gradients with
// respect to the inputs and to the weights), 3x ForwardFLOPs. The optimizer's
// update (a few operations per parameter, per batch) is left out.
func TrainFLOPs(layers []Layer) int64 { return 3 * ForwardFLOPs(layers) }
