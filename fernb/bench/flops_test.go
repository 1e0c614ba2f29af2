package bench

import (
	"slices"
	"testing"

	"github.com/fernb/fernb/fernb/models"
	"github.com/fernb/fernb/xla"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func TestLayerMACsByHand(t *testing.T) {
	cases := []struct {
		name string
		l    Layer
		want int64
	}{
		// 5x5x2 input, 3x3 kernel, stride 1, pad 1, 4 filters: 5x5 outputs x 4
		// channels, each 3*3*2 = 18 MACs: 25*4*18 = 1800.
		{"3x3/1 pad 1", conv("c", 5, 5, 2, 4, 3, 1, 1), 1800},
		// Stride 2, no padding: (5-3)/2+1 = 2, so 2x2x4 outputs x 18 = 288.
		{"3x3/2 pad 0", conv("c", 5, 5, 2, 4, 3, 2, 0), 288},
		// 1x1 convolution: 5x5x4 outputs x 2 = 200.
		{"1x1", conv("c", 5, 5, 2, 4, 1, 1, 0), 200},
		// 7x7/2 pad 3 on 48x48x1 (ResNet18's stem here): 24x24x64 x 49 = 1,806,336.
		{"stem 7x7/2", conv("c", 48, 48, 1, 64, 7, 2, 3), 1_806_336},
		{"dense 512->7", Layer{Dense: true, InC: 512, OutC: 7}, 3584},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.l.MACs(); got != c.want {
				t.Errorf("MACs = %d, want %d (layer %+v)", got, c.want, c.l)
			}
		})
	}
	l := conv("c", 5, 5, 2, 4, 3, 1, 1)
	if got := ForwardFLOPs([]Layer{l}); got != 3600 {
		t.Errorf("ForwardFLOPs = %d, want 3600", got)
	}
	if got := TrainFLOPs([]Layer{l}); got != 10800 {
		t.Errorf("TrainFLOPs = %d, want 10800", got)
	}
}

// TestResNet18ImageNetMACs checks the walker against the published count of
// torchvision's ResNet18 on 224x224x3 with 1000 classes: 1,814,073,344 MACs
// (conv1 118,013,952 + layer1 4x115,605,504 + layers 2-4 411,041,792 each + fc 512,000).
func TestResNet18ImageNetMACs(t *testing.T) {
	ls := ResNet18Layers(224, 3, 1000, false)
	if got, want := ForwardFLOPs(ls)/2, int64(1_814_073_344); got != want {
		t.Errorf("ResNet18 224x224x3 MACs = %d, want %d", got, want)
	}
	if len(ls) != 21 {
		t.Errorf("%d layers, want 20 convolutions + fc", len(ls))
	}
}

// TestModelLayersMatchStore builds fernb's ResNet18 and checks that every
// weight in the store is a layer of ModelLayers with the same shape, and the
// last feature map's size.
func TestModelLayersMatchStore(t *testing.T) {
	backend, _, err := xla.New("go")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Finalize()
	for _, stem := range []string{StemStandard, StemSmall} {
		t.Run(stem, func(t *testing.T) {
			cfg, err := StemConfig(stem, 1)
			if err != nil {
				t.Fatal(err)
			}
			ls, err := ModelLayers(cfg)
			if err != nil {
				t.Fatal(err)
			}
			store := model.NewStore()
			e, err := model.NewExec(backend, store, func(s *model.Scope, x *graph.Node) *graph.Node {
				return cfg.FeatureMap(s.At("model"), x, false)
			})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Finalize()
			fm, err := e.Call(tensors.FromShape(shapes.Make(dtypes.Float32, 1, 48, 48, 1)))
			if err != nil {
				t.Fatal(err)
			}
			last := ls[len(ls)-2] // the last convolution (before fc)
			if got := fm[0].Shape().Dimensions; !slices.Equal(got, []int{1, last.OutH, last.OutW, last.OutC}) {
				t.Errorf("feature map %v, want [1 %d %d %d]", got, last.OutH, last.OutW, last.OutC)
			}
			byPath := map[string]Layer{}
			for _, l := range ls {
				byPath["/model/"+l.Name+"/weight"] = l
			}
			convs := 0
			for v := range store.IterVariables() {
				dims := v.Shape().Dimensions
				if len(dims) != 4 {
					continue
				}
				convs++
				l, ok := byPath[v.Path()]
				if !ok {
					t.Errorf("convolution %s %v is not in ModelLayers", v.Path(), dims)
					continue
				}
				if want := []int{l.Kernel, l.Kernel, l.InC, l.OutC}; !slices.Equal(dims, want) {
					t.Errorf("%s: store shape %v, ModelLayers %v", v.Path(), dims, want)
				}
			}
			if convs != len(ls)-1 {
				t.Errorf("store has %d convolution kernels, ModelLayers %d", convs, len(ls)-1)
			}
		})
	}
	if _, err := ModelLayers(models.Config{Arch: models.ArchBaseline}); err == nil {
		t.Error("ModelLayers(baseline) succeeded, want an error")
	}
}

// TestResNet18MACsAt48 checks fernb's two ResNet18 variants against hand counts.
func TestResNet18MACsAt48(t *testing.T) {
	cases := []struct {
		small bool
		want  int64
	}{
		// conv1 24*24*64*49 = 1,806,336; layer1 (12x12) 4*144*64*576 = 21,233,664;
		// layer2 (6x6) 36*128*576 + 3*36*128*1152 + 36*128*64 = 18,874,368;
		// layer3 (3x3) 9*256*1152 + 3*9*256*2304 + 9*256*128 = 18,874,368;
		// layer4 (2x2) 4*512*2304 + 3*4*512*4608 + 4*512*256 = 33,554,432; fc 3,584.
		{false, 94_346_752},
		// conv1 48*48*64*9 = 1,327,104; layer1 (48x48) 4*2304*64*576 = 339,738,624;
		// layers 2-4 (24, 12, 6) 301,989,888 each; fc 3,584.
		{true, 1_247_038_976},
	}
	for _, c := range cases {
		if got := ForwardFLOPs(ResNet18Layers(48, 1, 7, c.small)) / 2; got != c.want {
			t.Errorf("small stem %v: %d MACs, want %d", c.small, got, c.want)
		}
	}
}
