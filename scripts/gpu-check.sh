#!/usr/bin/env bash
# gpu-check.sh: fernb's check of a machine with an NVIDIA GPU, in one go and
# in a few minutes, for a machine with no network where a Python virtualenv
# holds PyTorch (CUDA) and jax-cuda13-pjrt (whose xla_cuda_plugin.so go-xla
# loads).
#
# It runs a fer built beforehand on the CPU machine (nothing is built or
# downloaded here) on the built-in synthetic faces, or on $FER_DATA when set:
#
#   1. fer info --backend xla:cuda          must choose xla:cuda, and says why
#   2. fer bench --backends xla:cuda --torch-device cuda
#                                           XLA CUDA against PyTorch CUDA
#   3. fer train --step 13-cpu-2h --scale cpu --epochs 20 --backend xla:cuda
#                                           20 epochs of the 2-hour recipe
#   4. fer eval  --tta none and --tta flip  the run's test accuracy
#
# Everything goes under one folder: each step's output in STEP.log, each
# step's exit status and seconds in times.tsv, bench.json, the run folder and
# eval-*.json. A step that fails is recorded and the next steps still run;
# the exit status is 1 when any step failed. Without an NVIDIA GPU it says so
# and stops cleanly (exit 0) before running anything.
#
# Usage (from the repository root):
#   ./fernb.sh setup && cp .tools/bin/fer .           # on the CPU machine, once
#   scripts/gpu-check.sh [OUT]                         # on the GPU machine
# The fer binary (about 40 MB, git-ignored) must travel with the checkout:
# with the device tool, carry "fer" and write OUT under $OUT, e.g.
#   scripts/gpu-check.sh "$OUT/gpu-check"
# Environment: FER (the fer binary; default ./fer, else .tools/bin/fer),
# FERNB_VENV (the virtualenv with PyTorch and the CUDA plugin; default
# /opt/torch/.venv), FER_DATA (FER2013; default: synthetic faces), EPOCHS
# (default 20).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-${OUT:-$ROOT/gpu-check-out}}
EPOCHS=${EPOCHS:-20}
export FERNB_VENV=${FERNB_VENV:-/opt/torch/.venv}
export FERNB_ROOT=$ROOT GOMLX_NO_AUTO_INSTALL=1

say() { printf '[gpu-check] %s\n' "$*" | tee -a "$OUT/summary.txt" >&2; }

mkdir -p "$OUT"
: >"$OUT/summary.txt"
printf 'step\texit\tseconds\n' >"$OUT/times.tsv"

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >"$OUT/nvidia-smi.txt" 2>&1 || ! grep -q '^GPU ' "$OUT/nvidia-smi.txt"; then
	say "no NVIDIA GPU here (nvidia-smi is missing or lists none): nothing to check; stopping"
	exit 0
fi
say "GPUs: $(grep '^GPU ' "$OUT/nvidia-smi.txt" | tr '\n' ';')"

FER=${FER:-}
if [ -z "$FER" ]; then
	for f in "$ROOT/fer" "$ROOT/.tools/bin/fer"; do
		if [ -x "$f" ]; then FER=$f && break; fi
	done
fi
if [ -z "$FER" ] || [ ! -x "$FER" ]; then
	say "no fer binary: build it on the CPU machine (./fernb.sh setup && cp .tools/bin/fer .) and bring it along, or set FER"
	exit 1
fi
if [ ! -x "$FERNB_VENV/bin/python" ]; then
	say "no virtualenv at $FERNB_VENV (set FERNB_VENV to the one with PyTorch and jax-cuda13-pjrt)"
	exit 1
fi
say "fer: $FER; virtualenv: $FERNB_VENV; data: ${FER_DATA:-synthetic faces}; out: $OUT"

failed=0
# step NAME CMD...: runs CMD with its output in NAME.log, records exit status and seconds.
step() {
	local name=$1 start end rc
	shift
	say "$name: $*"
	start=$(date +%s.%N)
	"$@" >"$OUT/$name.log" 2>&1
	rc=$?
	end=$(date +%s.%N)
	local secs
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	printf '%s\t%d\t%s\n' "$name" "$rc" "$secs" >>"$OUT/times.tsv"
	say "$name: exit $rc in $secs s"
	if [ "$rc" != 0 ]; then
		failed=1
		tail -n 20 "$OUT/$name.log" >&2
	fi
	return "$rc"
}

data=()
if [ -n "${FER_DATA:-}" ]; then data=(--data "$FER_DATA"); fi

if step info "$FER" info --backend xla:cuda "${data[@]}"; then
	if ! grep -q '^backend *xla:cuda' "$OUT/info.log"; then
		say "info: fer did not choose xla:cuda (see info.log)"
		failed=1
	fi
fi
step bench "$FER" bench --backends xla:cuda --torch-device cuda --json "$OUT/bench.json"
run="$OUT/run-13-cpu-2h"
if step train "$FER" train --step 13-cpu-2h --scale cpu --epochs "$EPOCHS" --backend xla:cuda \
	--run "$run" "${data[@]}"; then
	for tta in none flip; do
		step "eval-$tta" "$FER" eval --run "$run" --split test --tta "$tta" --backend xla:cuda \
			--json "$OUT/eval-$tta.json" "${data[@]}"
	done
fi

say "times (seconds) in $OUT/times.tsv:"
awk -F'\t' '{ printf "  %-10s %6s %9s\n", $1, $2, $3 }' "$OUT/times.tsv" | tee -a "$OUT/summary.txt" >&2
if [ "$failed" != 0 ]; then
	say "FAILED: see the logs above and in $OUT"
	exit 1
fi
say "all steps passed"
