package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/fernb/fernb/fernb/atomicfile"
	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/eval"
	"github.com/fernb/fernb/fernb/table"
	"github.com/fernb/fernb/fernb/train"
)

func init() {
	register("eval", "evaluate a run on a split: accuracy, per-class table, confusion matrix", runEval)
}

func runEval(args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	mf := addModelFlags(fs)
	split := fs.String("split", "test", "split: train, val or test")
	tta := fs.String("tta", eval.TTANone, "test-time augmentation: none, flip, tencrop, zoom (the centre, at the training crops' mean scale) or zoomflip (zoom and its mirror)")
	compare := fs.String("compare", "", "also evaluate run folder `B` on the same images (same split, TTA and checkpoint) and compare it with --run: both accuracies, the 2x2 table of right/wrong and the exact McNemar test")
	jsonOut := fs.String("json", "", "also write the metrics as JSON to this file")
	df := addDataFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	ds, runData, err := evalData(fs, df, *mf.run)
	if err != nil {
		return err
	}
	s, err := ds.Split(*split)
	if err != nil {
		return err
	}
	scored := ds.Record()
	same := runData != nil && scored.Split(*split) != nil && runData.Split(*split) != nil &&
		scored.Split(*split).Fingerprint == runData.Split(*split).Fingerprint
	if *compare != "" {
		if err := sameData(*mf.run, *compare, *split); err != nil {
			return err
		}
	}
	r, err := mf.open()
	if err != nil {
		return err
	}
	defer r.Close()
	m, err := r.Model(*mf.checkpoint)
	if err != nil {
		return err
	}
	choice := r.Choice
	rep, err := eval.Evaluate(m, s, *tta)
	if err != nil {
		return err
	}
	fmt.Printf("run %s, checkpoint %s (epoch %d), split %s, TTA %s, backend %s\n", *mf.run, *mf.checkpoint, m.Epoch, *split, rep.TTA, choice.Kind)
	dataLine := scoredLine(*split, s, scored, runData, same)
	fmt.Printf("%s\n\n", dataLine)
	if err := rep.Metrics.WriteTable(os.Stdout); err != nil {
		return err
	}
	var paired *eval.Paired
	if *compare != "" {
		if paired, err = compareRuns(rep, s, mf, *mf.run, *compare, *tta); err != nil {
			return err
		}
	}
	if *jsonOut != "" {
		out := struct {
			eval.Metrics
			Run        string       `json:"run"`
			Checkpoint string       `json:"checkpoint"`
			Split      string       `json:"split"`
			Data       string       `json:"data"`
			RunsData   bool         `json:"runs_own_data"`
			Compare    string       `json:"compare,omitempty"`
			Paired     *eval.Paired `json:"paired,omitempty"`
		}{rep.Metrics, *mf.run, *mf.checkpoint, *split, dataLine, same, *compare, paired}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		return atomicfile.WriteFile(*jsonOut, append(b, '\n'))
	}
	return nil
}

// evalData returns the data to score: --data (or $FER_DATA) when given,
// else the data the run recorded (data.json), made again and checked. It
// also returns the run's data record (nil for a run folder without one).
func evalData(fs *flag.FlagSet, df dataFlags, runDir string) (*data.Dataset, *data.Record, error) {
	if runDir == "" {
		return nil, nil, fmt.Errorf("--run DIR is required")
	}
	run, err := train.ReadResult(runDir)
	if err != nil {
		return nil, nil, err
	}
	if flagSet(fs, "data") || flagSet(fs, "synthetic") || run.Data == nil {
		ds, err := df.load()
		return ds, run.Data, err
	}
	fmt.Fprintf(os.Stderr, "data: the run's own (%s): %s\n", train.DataFile, run.Data)
	ds, err := run.Data.Reload(data.WithProgress(os.Stderr))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w (give --data to score other data)", runDir, err)
	}
	return ds, run.Data, nil
}

// scoredLine says which data was scored and whether the run was trained or
// validated on the same split.
func scoredLine(split string, s *data.Split, scored data.Record, runData *data.Record, same bool) string {
	where := "synthetic faces"
	if !scored.Synthetic {
		where = scored.Path
	}
	line := fmt.Sprintf("scored: %s split of %s, %d images, fingerprint %s", split, where, s.Len(), scored.Split(split).Fingerprint)
	switch {
	case runData == nil:
		return line + " (the run folder has no data record)"
	case same:
		return line + " (the same split the run recorded)"
	default:
		return line + " (NOT the run's own data: it was trained on " + runData.String() + ")"
	}
}

// sameData refuses to compare runs a and b whose data records (data.json)
// hold different contents of the split compared.
func sameData(a, b, split string) error {
	ra, err := train.ReadResult(a)
	if err != nil {
		return err
	}
	rb, err := train.ReadResult(b)
	if err != nil {
		return err
	}
	if !ra.SameSplitData(rb, split) {
		return fmt.Errorf("--compare: runs %s (data %s) and %s (data %s) recorded different %s splits: their accuracies are not paired on the same images",
			a, ra.Data, b, rb.Data, split)
	}
	return nil
}

// compareRuns evaluates run b on split s as repA was (same TTA and
// checkpoint) and prints both accuracies, the 2x2 table of right/wrong and
// the exact McNemar test (eval.Compare).
func compareRuns(repA *eval.Report, s *data.Split, mf modelFlags, a, b, tta string) (*eval.Paired, error) {
	fb := mf
	fb.run = &b
	rb, err := fb.open()
	if err != nil {
		return nil, err
	}
	defer rb.Close()
	mb, err := rb.Model(*mf.checkpoint)
	if err != nil {
		return nil, err
	}
	repB, err := eval.Evaluate(mb, s, tta)
	if err != nil {
		return nil, err
	}
	p, err := eval.CompareReports(repA, repB)
	if err != nil {
		return nil, err
	}
	tab := table.Table{Caption: "paired on the same images (rows: A, columns: B)", Columns: []string{"", "B right", "B wrong"},
		Right: []bool{false, true, true}, Rows: [][]string{
			{"A right", fmt.Sprint(p.Both), fmt.Sprint(p.OnlyA)},
			{"A wrong", fmt.Sprint(p.OnlyB), fmt.Sprint(p.Neither)}}}
	text, err := tab.Text()
	if err != nil {
		return nil, err
	}
	fmt.Printf("\ncompare, split %s, TTA %s, checkpoint %s (epoch %d of B), %d images:\n  A %s: accuracy %s\n  B %s: accuracy %s\n\n%s\nexact McNemar test on the %d discordant images: %s\n",
		s.Name, repA.TTA, *mf.checkpoint, mb.Epoch, p.N, a, repA.Metrics.AccuracyText(), b, repB.Metrics.AccuracyText(), text, p.OnlyA+p.OnlyB, p.Verdict())
	return &p, nil
}
