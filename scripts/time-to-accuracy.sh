#!/usr/bin/env bash
# Time to accuracy: how long fernb and PyTorch take, on this machine, until
# the same recipe first reaches a val accuracy (default 60 %), on the same
# train/val split. fernb trains with `fer train --stop-at-val`, PyTorch with
# scripts/parity_torch.py --stop-at-val on the recipe fernb wrote
# (config.json); they run one after the other, never at once (2 cores).
#
#   scripts/time-to-accuracy.sh DATA OUT [TARGET]
#
# DATA is FER2013 (folder or CSV), OUT a new folder for both runs, TARGET a
# fraction (0.60). STEP (default 13-cpu-2h, the 2-hour CPU recipe, scale cpu)
# picks the study step; FERNB_ARGS adds fer train flags (e.g. --batchnorm
# fused). Each side prints its line "val accuracy ... first at epoch N: S s
# of epochs ..., W s wall"; the epoch-by-epoch table comes last. Needs fer
# and the .venv with PyTorch on PATH (eval "$(./fernb.sh env)" after
# ./fernb.sh setup --bench).
set -euo pipefail
data=${1:?usage: scripts/time-to-accuracy.sh DATA OUT [TARGET]}
out=${2:?usage: scripts/time-to-accuracy.sh DATA OUT [TARGET]}
target=${3:-0.60}
step=${STEP:-13-cpu-2h}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
echo "[time-to-accuracy] $(date -u +%FT%TZ) target $target, step $step, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/summary.txt"
fer data --data "$data" --write-splits "$out/splits" >/dev/null
# shellcheck disable=SC2086
fer train --step "$step" --scale cpu --data "$data" --run "$out/fernb" --stop-at-val "$target" --progress 0 ${FERNB_ARGS:-} | tee "$out/fernb.log"
grep -h "first at epoch" "$out/fernb.log" | sed 's/^/fernb: /' | tee -a "$out/summary.txt"
python "$here/parity_torch.py" --config "$out/fernb/config.json" --splits "$out/splits" --stop-at-val "$target" \
  --out "$out/torch.jsonl" 2> >(tee "$out/torch.log" >&2)
grep -h "first at epoch" "$out/torch.log" | sed 's/^/pytorch: /' | tee -a "$out/summary.txt"
echo "[time-to-accuracy] $(date -u +%FT%TZ) done, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/summary.txt"
python "$here/parity_torch.py" --out "$out/torch.jsonl" --table "$out/fernb" | tee -a "$out/summary.txt"
