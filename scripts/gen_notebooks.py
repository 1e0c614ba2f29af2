#!/usr/bin/env python3
"""Writes fernb's notebooks (notebooks/*.ipynb) from the cell lists below.

The notebooks are the product's face; this script is the source of truth for
their cells, so edits stay reviewable. Cells call the fernb package: no logic
lives here. Each notebook declares the study handle once at top level
(`var s = fernb.OpenNotebook()`: GoNB keeps top-level declarations for every later
cell), then every cell is one or two calls on it after GoNB's `%%` line (text
on the `%%` line itself would be taken as program arguments).
Regenerating drops outputs; `./fernb.sh report` executes report.ipynb in place
again. A Go test (fernb/notebook) checks that the committed notebooks' cells
are what this script writes.

    python3 scripts/gen_notebooks.py [--out DIR] [NAME...]
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

KERNEL = {
    "kernelspec": {"display_name": "Go (gonb)", "language": "go", "name": "gonb"},
    "language_info": {"codemirror_mode": "", "file_extension": ".go", "mimetype": "",
                      "name": "go", "nbconvert_exporter": "", "pygments_lexer": "", "version": "go1.26"},
}

# The first cell of every notebook: a go.work that puts this repository in
# GoNB's workspace, so imports resolve to this checkout and its pinned go.mod.
SETUP = ('!*rm -f go.work && go work init && go work use . "${FERNB_ROOT:-${GONB_DIR}/..}"\n'
         '%goworkfix')

# The second cell: the study handle every later cell uses.
HANDLE = '''import "github.com/fernb/fernb/fernb"

// s is the study: data, scale, run folders. Every cell below calls it; GoNB
// keeps this top-level declaration for all of them.
var s = fernb.OpenNotebook()'''


def md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip("\n")}


def code(text, image=False, skip=False):
    tags = []
    if image:
        tags.append("expect-image")
    if skip:
        tags.append("skip-execution")
    return {"cell_type": "code", "metadata": {"tags": tags}, "source": text.strip("\n"),
            "outputs": [], "execution_count": None}


def cell(body, image=False):
    """A code cell: one or two calls on the study handle s, run by GoNB's %%."""
    return code("%%\n" + body.strip("\n"), image=image)


def step_cells(sid, text, extra=None):
    """A step's text and its training cell (live view, then summary and curves)."""
    return [md(text), cell(f's.Train("{sid}")', image=True)] + list(extra or [])


HOW = """
**How the cells work.** The cell below the set-up declares the study once, `var s =
fernb.OpenNotebook()`; every later cell is one call on it, such as `s.Train("01")` or
`s.Curves("00", "01")`, and displays what it makes. A failing call shows a red box with
a readable message instead of a panic. While a training cell runs in JupyterLab it shows a
progress bar with the time left and the loss, accuracy and learning-rate curves, redrawn
after every epoch; when it ends, its summary and final curves stay. `s.Export("my-folder")`
writes every figure this notebook has shown (PNG at 300 dpi, SVG, PDF) and the results
table (Markdown and LaTeX) into `plots/out/my-folder` (or an absolute folder).
"""


def report():
    c = [md("""
# Facial-expression recognition on FER2013, step by step

This notebook reproduces a course study that trained a facial-expression classifier on
FER2013 (48x48 grayscale faces, 7 classes) and improved it step by step: a baseline CNN,
ResNet18, SGD with momentum and weight decay, cosine annealing, data augmentation, longer
training and training on train+val. Then it tries what the study named but never tried
(mixup, label smoothing, dropout, class weights) and looks inside the best model:
confusion matrix, per-class metrics, misclassified faces, Grad-CAM and PCA of features.

Every step is a **run folder** (config, per-epoch history, checkpoints): a cell that
trains a step reuses a finished run instead of retraining, so you can rerun any cell.
Settings come from the environment: `FER_DATA` (your FER2013: Kaggle CSV or image
folders; without it, synthetic faces), `FERNB_SCALE` (`quick`, `short`, `cpu`, `full`),
`GOMLX_BACKEND`. The header below states what this copy was run with.
""" + HOW),
         code(SETUP),
         code(HANDLE),
         cell("s.Header()"),
         md("""
## 1. The data

FER2013's training set is split into train and a stratified validation set (20%); the
PublicTest set is the test set. The classes are far from balanced (`disgust` is rare), and
the data has known quirks: duplicate images (some with conflicting labels), blank images.
"""),
         cell("s.Data()\ns.Quality()"),
         cell("s.ClassDistribution()", image=True),
         cell("s.SampleFaces(8)", image=True),
         ]
    c += step_cells("00", """
## 2. Baseline CNN

A small CNN (three conv + pool blocks, a dense head) with plain SGD: the study's starting
point reached 28.95% val / 32.22% test.
""")
    c += step_cells("01", """
## 3. ResNet18

ResNet18 in torchvision's layout (7x7/2 stem, max-pool, four stages of two basic blocks,
global average pool → 512-d features → 7 classes), lr 0.1, batch 64. Study: 48.72% val /
51.90% test.
""", [cell('s.Curves("00", "01")', image=True)])
    c += step_cells("02", """
## 4. SGD with momentum 0.9 and weight decay 1e-4

Study: 50.87% val / 54.03% test.
""")
    c += step_cells("03", """
## 5. Cosine annealing

`CosineAnnealingLR(T_max = epochs, eta_min = 1e-5)`, batch 128. The learning rate falls
smoothly from 0.1; so does the loss. Study: 48.86% val.
""", [cell('s.LearningRates("02", "03")', image=True)])
    c += [md("""
## 6–8. Data augmentation

The model overfits: training accuracy climbs while validation stalls. Augmentation makes
every epoch see new variants of each face. One face under the full recipe (flip,
rotation up to 30°, RandomResizedCrop):
"""), cell('s.Augmentation("06", 0, 15)', image=True)]
    c += step_cells("04", """
### 6. + random horizontal flip

Study: 51.85% val.
""")
    c += step_cells("05", """
### 7. + random rotation (±30°)

Study: 56.63% val.
""")
    c += step_cells("06", """
### 8. + RandomResizedCrop

torchvision's defaults: scale (0.08, 1), ratio (3/4, 4/3). Study: 57.67% val.
""", [cell('s.Curves("03", "04", "05", "06")', image=True)])
    c += step_cells("07", """
## 9. Longer training

The same recipe, trained longer (the study: 300 epochs, 59.54% val, about 63% test).
""")
    c += step_cells("08", """
## 10. Train on train + val

The last model sees the validation images too (its validation accuracy is therefore not
a held-out measure); only the test set judges it. Study: 66.42% test after 1000 epochs.
""")
    c += [md("""
## 11. Final test with the best checkpoint

The study's `predict` step: the best checkpoint of the last run, on the test set, plain and
with test-time augmentation (averaging the predictions of the image and its mirror, or of
ten crops).
"""),
          cell('s.FinalTest("08")'),
          md("""
## 12. PCA of the 512-d features

The features before the last dense layer, projected on their first two principal components
(fitted on train). Train features separate by class; val and test much less: the
overfitting the later steps fight.
"""),
          cell('s.PCA("08", 2000)', image=True),
          md("""
## 13. What the study did not try

Each idea on top of step 8's recipe (06), same number of epochs: mixup (Beta(0.2, 0.2)),
label smoothing (0.1), dropout (0.3 before the classifier), inverse-frequency class weights.
"""),
          cell('s.Train("09", "10", "11", "12")', image=True),
          cell('s.Curves("06", "09", "10", "11", "12")', image=True),
          md("""
## 14. Beyond the study: a 2-hour CPU recipe

fernb's own recipe for a 2-core CPU (step 13), on the train split (val stays held out, so
the recipe is chosen on val and the test set is scored once): Nesterov SGD at a peak lr of
0.05 (the study's lr 0.1 with momentum 0.9 sits at the majority class for its first epochs
here, in PyTorch too), reached by a per-step warm-up over the first epoch, weight decay
5e-4, cosine annealing, flip + rotation 15° + a milder RandomResizedCrop (scale 0.64-1) +
random erasing, label smoothing 0.1. At scale `cpu` it trains 40 epochs (about 1 h 45 min
of quiet 2-core CPU); the accuracy it reached is in README.md.
"""),
          cell('s.Train("13")\ns.FinalTest("13")', image=True),
          cell('s.Curves("08", "13")', image=True),
          md("""
## 15. Inside the best model

Confusion matrix and per-class precision/recall/F1 on the test set, the faces it gets
wrong, and Grad-CAM: where the last convolutional stage looks when it decides.
"""),
          cell('s.ConfusionMatrix("08", "test")', image=True),
          cell('s.PerClass("08", "test")', image=True),
          cell('s.Misclassified("08", "test", 24)', image=True),
          cell('s.GradCAM("08", "test", 14)', image=True),
          md("""
## 16. All runs, and every figure exported

Accuracy of every step, next to what the study reported; then every figure this notebook
showed, as PNG (300 dpi), SVG and PDF, and this table as Markdown and LaTeX, exported to
`plots/out/report/` for your write-up (give `s.Export` any folder name, or an absolute
path). `fer plot --run RUN` exports the standard figures of any single run.
"""),
          cell('s.Results()', image=True),
          cell('s.Export("report")'),
          ]
    return c


def quickstart():
    return [md("""
# Quickstart

Load the data, train a small model for a minute, plot its curves. Set `FER_DATA` to your
FER2013 (Kaggle CSV or image folders) before starting Jupyter; without it, fernb uses its
synthetic faces and says so.
""" + HOW),
            code(SETUP), code(HANDLE),
            cell("s.Header()\ns.Data()"),
            md("Train the baseline CNN (step 00 of the study; a finished run is reused). In JupyterLab the "
               "cell shows a progress bar and the curves while it trains:"),
            cell('s.Train("00")', image=True),
            md("Its confusion matrix on the test split:"),
            cell('s.ConfusionMatrix("00", "test")', image=True),
            md("Every figure above, as PNG (300 dpi), SVG and PDF, with the results table in Markdown and "
               "LaTeX, into `plots/out/quickstart` (or any folder you name):"),
            cell('s.Export("quickstart")'),
            ]


def explore():
    return [md("""
# Exploring FER2013

Counts per class and split, the data set's quirks (duplicates, conflicting labels, blank
images), sample faces, and what each augmentation does to a face — with a slider for the
augmentation's strength when the notebook is open in JupyterLab.
""" + HOW),
            code(SETUP), code(HANDLE),
            cell("s.Header()\ns.Quality()"),
            # CONSISTENCY: the split-consistency report (see WITH_CONSISTENCY below).
            ] + consistency_cells() + [
            cell("s.ClassDistribution()", image=True),
            cell("s.SampleFaces(10)", image=True),
            md("The augmentation recipes of the study's steps 6 (flip), 7 (+ rotation) and 8 (+ RandomResizedCrop):"),
            cell('s.Augmentation("04", 3, 11)', image=True),
            cell('s.Augmentation("05", 3, 11)', image=True),
            cell('s.Augmentation("06", 3, 11)', image=True),
            md("""
## Try it: augmentation strength

In JupyterLab the cell below opens two sliders: the **strength** of step 8's augmentation
(0 %: only the flip; 100 %: rotation up to 30° and torchvision's RandomResizedCrop) and the
**training face**. The preview redraws as you move them. Press **Done** to close the
sliders and keep the last preview (it then counts among the exported figures); the kernel
is busy until then. Run headless (CI, `fer report`), the cell says so and shows the
full-strength preview instead of waiting.
"""),
            cell('s.ExploreAugmentation("06")', image=True),
            md("Every figure above, as PNG (300 dpi), SVG and PDF, into `plots/out/explore-data`:"),
            cell('s.Export("explore-data")'),
            ]


# CONSISTENCY: the split-consistency cell of explore-data.ipynb calls
# Notebook.Consistency (fernb/consistency_cells.go), which needs the lead's
# fernb/consistency.go (Study.Consistency, the sharpness histogram). True once
# both are committed.
WITH_CONSISTENCY = True


def consistency_cells():
    """The data section's split-consistency check (fernb's Notebook.Consistency)."""
    if not WITH_CONSISTENCY:
        return []
    return [md("""
Do the splits look alike? A split that was blurred, re-encoded or rescaled differently
from train shows here (pixel mean, spread and sharpness per split) long before it shows as
a puzzling accuracy:
"""), cell("s.Consistency()", image=True)]


def inference():
    return [md("""
# Inference with a trained run

Load a run folder, classify image files (any size or colour: converted to 48x48 gray),
look at the mistakes and at Grad-CAM maps — with drop-down lists and a slider when the
notebook is open in JupyterLab. The cells train what they need first (a finished run is
reused).
""" + HOW),
            code(SETUP), code(HANDLE),
            cell('s.Train("00")\ns.Predict("00")', image=True),
            cell('s.Misclassified("00", "test", 12)', image=True),
            cell('s.Train("01")\ns.GradCAM("01", "test", 7)', image=True),
            md("""
## Try it: pick a run and a split

In JupyterLab the cell below opens two drop-down lists, every trained **run** and the
**split** (test, val, train), and shows that run's confusion matrix and its most confident
mistakes on that split (a split is evaluated once, then read from the run's cache). Press
**Done** to close them and keep the last view. Headless, the cell notes it and shows the
first run on test.
"""),
            cell('s.ExploreRuns()', image=True),
            md("""
## Try it: Grad-CAM of any face

A slider over the first 1,000 test faces: Grad-CAM of step 01's best checkpoint for the
chosen face, with its true and predicted class (the model is loaded once, so each face
takes a moment). **Done** keeps the last map.
"""),
            cell('s.ExploreGradCAM("01", "test")', image=True),
            md("Every figure above, as PNG (300 dpi), SVG and PDF, with the results table in Markdown and "
               "LaTeX, into `plots/out/inference`:"),
            cell('s.Export("inference")'),
            ]


NOTEBOOKS = {"report": report, "quickstart": quickstart, "explore-data": explore, "inference": inference}


def main(args):
    out = os.path.join(ROOT, "notebooks")
    if args[:1] == ["--out"]:
        if len(args) < 2:
            sys.exit("--out needs a folder")
        out, args = args[1], args[2:]
    for name in args or NOTEBOOKS:
        if name not in NOTEBOOKS:
            sys.exit(f"no notebook {name!r}: choose among {', '.join(NOTEBOOKS)}")
        nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": dict(KERNEL), "cells": NOTEBOOKS[name]()}
        for i, cl in enumerate(nb["cells"]):
            cl["id"] = f"{name}-{i:02d}"
        path = os.path.join(out, name + ".ipynb")
        with open(path, "w") as f:
            json.dump(nb, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print("wrote", path)


if __name__ == "__main__":
    main(sys.argv[1:])
