package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/fernb/fernb/fernb/atomicfile"
)

// WriteTable writes the report as readable text: the machine and its peak,
// one row per (stem, backend), then the ratios against PyTorch.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "ResNet18 @48x48x1, batch %d, training = fwd+bwd+SGD(momentum %g, wd %g)\n", r.Batch, Momentum, WeightDecay)
	fmt.Fprintf(&b, "steps: first (compiles, untimed) + %d warm-up + up to %d timed, per phase (go backend: + %d warm-up + up to %d timed)",
		r.Steps.Warmup, r.Steps.Train, r.GoSteps.Warmup, r.GoSteps.Train)
	if r.Steps.Budget > 0 {
		fmt.Fprintf(&b, "; timed steps stop after %.0f s (at least %d)", r.Steps.Budget, MinTimedSteps)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "machine: %s\n", r.CPU)
	fmt.Fprintf(&b, "  %s\n", r.PeakFormula)
	fmt.Fprintf(&b, "  = %d x %.3f GHz x %d = %.1f GFLOP/s (clock of /proc/cpuinfo)\n", r.CPU.Cores, r.CPU.GHz, r.CPU.FLOPsPerCycle, r.PeakGFLOPs)
	if r.CPU.MeasuredGHz > 0 {
		fmt.Fprintf(&b, "  = %d x %.3f GHz x %d = %.1f GFLOP/s (clock measured with all cores busy: dependent add/xor chain, 2 cycles/iteration) -> %% peak shown as cpuinfo-clock (measured-clock)\n",
			r.CPU.Cores, r.CPU.MeasuredGHz, r.CPU.FLOPsPerCycle, r.PeakGFLOPsMeasuredClock)
	}
	fmt.Fprintf(&b, "load average: %s before, %s after; %s", r.LoadBefore, r.LoadAfter, r.GoVersion)
	if r.XLAFlags != "" {
		fmt.Fprintf(&b, "; XLA_FLAGS=%q", r.XLAFlags)
	}
	b.WriteString("\n")
	for _, be := range r.Backends {
		fmt.Fprintf(&b, "backend %s: %s, %d device(s)\n", be.Name, be.Description, be.Devices)
	}
	if r.Torch != nil {
		fmt.Fprintf(&b, "peer pytorch: torch %s on %s, %d threads, oneDNN %v, %s, channels_last %v\n",
			r.Torch.Version, r.Torch.Device, r.Torch.Threads, r.Torch.MKLDNN, r.Torch.CPUCapability, r.Torch.ChannelsLast)
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stem\tbackend\tsteps\ttrain img/s\tinfer img/s\tfirst train step s\tfirst infer step s\tpeak RSS MiB\ttrain GFLOP/s\t% peak\tinfer GFLOP/s\t% peak\t")
	for _, m := range r.Measurements {
		if m.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t\tfailed\t\t\t\t\t\t\t\t\t\n", m.Stem, m.Label())
			continue
		}
		be := m.Label()
		fmt.Fprintf(tw, "%s\t%s\t%d+%d\t%.1f\t%.1f\t%.2f\t%.2f\t%.0f\t%.1f\t%s\t%.1f\t%s\t\n",
			m.Stem, be, len(m.TrainStepSec), len(m.InferStepSec), m.TrainImagesPerSec, m.InferImagesPerSec, m.TrainFirstStepSec, m.InferFirstStepSec,
			m.PeakRSSMiB, m.TrainGFLOPs, r.percent(m.TrainPeakFraction), m.InferGFLOPs, r.percent(m.InferPeakFraction))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, m := range r.Measurements {
		if m.Error == "" && !seen[m.Stem] {
			seen[m.Stem] = true
			fmt.Fprintf(&b, "FLOPs/image (%s stem): %.3f GFLOP forward, %.3f GFLOP training (3x forward; conv+dense MACs x2)\n",
				m.Stem, float64(m.InferFLOPsPerImage)/1e9, float64(m.TrainFLOPsPerImage)/1e9)
		}
	}
	if len(r.Ratios) > 0 {
		b.WriteString("\nratios to PyTorch (images/s, > 1 = faster than PyTorch):\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "stem\tratio\ttrain\tinference\t")
		for _, q := range r.Ratios {
			fmt.Fprintf(tw, "%s\t%s / %s\t%.2fx\t%.2fx\t\n", q.Stem, q.Backend, q.Peer, q.Train, q.Infer)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	var errs []string
	for _, m := range r.Measurements {
		if m.Error != "" {
			errs = append(errs, fmt.Sprintf("  %s/%s: %s", m.Label(), m.Stem, m.Error))
		}
	}
	if len(errs) > 0 {
		b.WriteString("\nfailed:\n" + strings.Join(errs, "\n") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// percent formats a fraction of the peak, "-" when there is none (GPU),
// followed by the fraction at the measured clock when there is one.
func (r *Report) percent(f float64) string {
	if f == 0 {
		return "-"
	}
	s := fmt.Sprintf("%.1f%%", 100*f)
	if r.CPU.MeasuredGHz > 0 {
		s += fmt.Sprintf(" (%.1f%%)", 100*f*r.CPU.GHz/r.CPU.MeasuredGHz)
	}
	return s
}

// WriteJSON writes the report as indented JSON to path.
func (r *Report) WriteJSON(path string) error { return writeJSON(path, r) }

// writeJSON writes v as indented JSON to path, atomically.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := atomicfile.WriteFile(path, append(data, '\n')); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}
