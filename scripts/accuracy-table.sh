#!/usr/bin/env bash
# Reproduces the accuracy table of README.md and BENCHMARKS.md on FER2013 with
# XLA CPU: trains each row with `fer train --step ID --scale SCALE` (a finished
# run in the folder is reused, never retrained), evaluates it on the test split
# (PublicTest) with `fer eval` without and with test-time augmentation, and
# prints a Markdown table with the train time of each run (`fer table`).
#
#   scripts/accuracy-table.sh ../shared/data/fer2013 [RUNS]    (RUNS: runs/table)
#
# Rows: the baseline CNN (study step 00, scale short: 4 epochs), ResNet18 plain
# (step 01, scale short: 2 epochs of plain SGD lr 0.1 reached by a per-step
# warm-up over the first epoch, batch 64, no augmentation) and fernb's 2-hour CPU recipe (step 13-cpu-2h, scale cpu: 40
# epochs on the train split, val held out; its best-val checkpoint is scored).
# On a 2-core CPU: about 5 min, 6 min and 1 h 45 min. The report's own runs
# of steps 00 and 01 (runs/short-<data>/) are the same runs: copy them into
# RUNS and they are reused.
set -euo pipefail
DATA=${1:?usage: scripts/accuracy-table.sh PATH/TO/FER2013 [RUNS]}
RUNS=${2:-runs/table}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FER=${FER:-$ROOT/.tools/bin/fer}
[ -x "$FER" ] || { echo "no fer at $FER: run ./fernb.sh setup first" >&2; exit 1; }
export GOMLX_NO_AUTO_INSTALL=1

rows=("00-baseline short best" "01-resnet18 short best" "13-cpu-2h cpu best")
for row in "${rows[@]}"; do
	read -r id scale ckpt <<<"$row"
	dir=$RUNS/$id
	echo "== $id (scale $scale) -> $dir" >&2
	"$FER" train --step "$id" --scale "$scale" --data "$DATA" --run "$dir" --backend xla:cpu --progress 60s >&2
	for tta in none flip tencrop; do
		# An evaluation newer than its checkpoint is kept (delete it to redo).
		if [ -f "$dir/table-test-$tta.json" ] && [ "$dir/table-test-$tta.json" -nt "$dir/checkpoint-$ckpt" ]; then
			continue
		fi
		"$FER" eval --run "$dir" --data "$DATA" --split test --checkpoint "$ckpt" --tta "$tta" \
			--backend xla:cpu --json "$dir/table-test-$tta.json" >"$dir/table-test-$tta.txt"
	done
done

# The table itself is fer's (eval.AccuracyTable): the same columns, train
# time (epochs + compile) and percentages as the notebooks' results table.
table=()
for row in "${rows[@]}"; do
	read -r id scale _ <<<"$row"
	table+=("$RUNS/$id=\`fer train --step $id --scale $scale\`")
done
"$FER" table --checkpoint best --tta none,flip,tencrop --evals table-test- "${table[@]}"
