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
# fused), GIVE_UP when PyTorch stops without reaching the target (below).
# Each side prints its line "val accuracy ... first at epoch N: S s of
# epochs ..., W s wall"; the epoch-by-epoch table comes last. Needs fer
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
# PyTorch gives up once its epochs took GIVE_UP (default 1) times fernb's
# time to the target: by then the answer to "which is sooner" is known.
fernb_s=$(sed -n 's/.*first at epoch [0-9]*: \([0-9]*\) s of epochs.*/\1/p' "$out/fernb.log" | head -1)
give_up=()
if [ -n "$fernb_s" ]; then
  give_up=(--give-up-after "$(python -c "print($fernb_s * ${GIVE_UP:-1})")")
fi
python "$here/parity_torch.py" --config "$out/fernb/config.json" --splits "$out/splits" --stop-at-val "$target" \
  "${give_up[@]}" --out "$out/torch.jsonl" 2> >(tee "$out/torch.log" >&2)
grep -h "first at epoch\|after .* epochs:" "$out/torch.log" | sed 's/^/pytorch: /' | tee -a "$out/summary.txt"
echo "[time-to-accuracy] $(date -u +%FT%TZ) done, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/summary.txt"
python "$here/parity_torch.py" --out "$out/torch.jsonl" --table "$out/fernb" | tee -a "$out/summary.txt"
