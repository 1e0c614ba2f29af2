#!/usr/bin/env bash
# fernb.sh: set-up and entry points of fernb. Every command first runs the
# idempotent set-up (fast when nothing changed), so on a fresh machine:
#
#   ./fernb.sh report [FER2013_PATH]   main job: runs notebooks/report.ipynb headless
#                                      (FER2013 when a path or $FER_DATA is given,
#                                      else the built-in synthetic faces)
#   ./fernb.sh test                    all tests: Go (XLA CPU required), notebooks
#
# Other commands:
#   ./fernb.sh setup [--cuda] [--bench] install everything (see README)
#   ./fernb.sh lab [ARGS]              start JupyterLab with the GoNB kernel
#   ./fernb.sh race                    only test's race-detector run of the training code
#   ./fernb.sh fer ARGS...             run the fer command (e.g. ./fernb.sh fer info)
#   ./fernb.sh env                     print the exports the other commands use
#
# Nothing is downloaded from outside the package registries: Go modules and,
# if Go is missing or older than go.mod's go line, the Go toolchain from the Go module
# proxy; Python packages (Jupyter, the XLA CPU plugin wheel) from PyPI; system
# packages from Debian's apt.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS="$ROOT/.tools"
VENV="${FERNB_VENV:-$ROOT/.venv}"
GO_VERSION=1.26.8
# SHA-256 of the Go module proxy's golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-amd64.zip
# (checked before the toolchain is unpacked; change both together).
GO_TOOLCHAIN_SHA256=30c2b1bf7dcc88d3eb0a1364e47ddd9128edb3110a30e8a0ef61cd5856b31de7
PLUGIN_DIR="${FERNB_PLUGIN_INSTALL_DIR:-$HOME/.local/lib/go-xla}"

log() { printf '[fernb] %s\n' "$*" >&2; }
die() { printf '[fernb] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- environment
fernb_env() {
	export PATH="$TOOLS/bin:$TOOLS/go/bin:$VENV/bin:$PATH"
	export FERNB_ROOT="$ROOT" FERNB_VENV="$VENV"
	# fernb passes absolute plugin paths; go-xla must never try GitHub.
	export GOMLX_NO_AUTO_INSTALL=1
	# The go command must never download a toolchain by itself (that would
	# bypass the SHA-256 pin below): setup_go provides one new enough.
	export GOTOOLCHAIN=local
	# The kernel spec lives inside the virtualenv (sys.prefix/share/jupyter).
	export JUPYTER_DATA_DIR="$VENV/share/jupyter"
	export JUPYTER_PLATFORM_DIRS=1
}

# --------------------------------------------------------------------- set-up
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

setup_apt() {
	local need=()
	command -v gcc >/dev/null || need+=(gcc libc6-dev)
	command -v curl >/dev/null || need+=(curl ca-certificates)
	command -v unzip >/dev/null || need+=(unzip)
	command -v git >/dev/null || need+=(git)
	if ! command -v python3 >/dev/null; then
		need+=(python3 python3-venv python3-pip)
	elif ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
		need+=(python3-venv)
	fi
	if [ ${#need[@]} -gt 0 ]; then
		log "installing Debian packages: ${need[*]}"
		local sudo=""
		[ "$(id -u)" = 0 ] || sudo="sudo"
		$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
	fi
}

setup_go() {
	local have=""
	if command -v go >/dev/null; then have=$(go env GOVERSION 2>/dev/null | sed 's/^go//'); fi
	local want
	want=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$ROOT/go.mod")
	if [ -n "$have" ] && version_ge "$have" "$want"; then return; fi
	# A toolchain fetched earlier counts only while it is still new enough.
	if [ -x "$TOOLS/go/bin/go" ] && version_ge "$("$TOOLS/go/bin/go" env GOVERSION | sed 's/^go//')" "$want"; then return; fi
	# The Go toolchain is a module on the Go module proxy (golang.org/toolchain).
	local proxy="${GOPROXY:-https://proxy.golang.org}"
	proxy="${proxy%%,*}"
	local zip="$TOOLS/go$GO_VERSION.zip"
	log "Go >= $want (go.mod) not found (have '${have:-none}'): fetching go$GO_VERSION from the Go module proxy"
	mkdir -p "$TOOLS"
	curl -fsSL -o "$zip" "$proxy/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.linux-amd64.zip"
	local got
	got=$(sha256sum "$zip" | cut -d' ' -f1)
	if [ "$got" != "$GO_TOOLCHAIN_SHA256" ]; then
		rm -f "$zip"
		die "the Go toolchain zip from $proxy has SHA-256 $got, want $GO_TOOLCHAIN_SHA256 (pinned in fernb.sh): refused"
	fi
	rm -rf "$TOOLS/go" "$TOOLS/go-unzip"
	unzip -q "$zip" -d "$TOOLS/go-unzip"
	mv "$TOOLS/go-unzip/golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-amd64" "$TOOLS/go"
	chmod +x "$TOOLS/go/bin/"* "$TOOLS/go/pkg/tool/"*/* 2>/dev/null || true
	rm -rf "$TOOLS/go-unzip" "$zip"
}

# Stamp files let set-up skip work whose inputs did not change.
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

setup_python() {
	local want
	want=$(cat "$ROOT/scripts/requirements.txt" "$ROOT/scripts/requirements-xla.txt" | sha256sum | cut -c1-16)
	if [ ! -x "$VENV/bin/python" ]; then
		log "creating the Python virtualenv $VENV"
		python3 -m venv "$VENV"
	fi
	if ! stamp_ok "$VENV/.fernb-stamp" "$want"; then
		log "installing Jupyter (nbclient, nbconvert, JupyterLab) into $VENV"
		"$VENV/bin/python" -m pip install -q --disable-pip-version-check --require-hashes -r "$ROOT/scripts/requirements.txt"
		log "installing the XLA CPU PJRT plugin wheel (pinned by SHA-256)"
		"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps --require-hashes \
			-r "$ROOT/scripts/requirements-xla.txt"
		echo "$want" >"$VENV/.fernb-stamp"
	fi
}

# The plugin's .so is copied into go-xla's default folder under the name
# go-xla expects (pjrt_c_api_cpu_plugin.so). A copy, not a link: the folder is
# shared by every checkout of the user, and a link would dangle when the
# checkout whose virtualenv it points into is deleted.
setup_plugin() {
	local so dest="$PLUGIN_DIR/pjrt_c_api_cpu_plugin.so"
	so=$("$VENV/bin/python" -c 'import lammps_jax_pjrt_cpu as p, os; print(os.path.join(os.path.dirname(p.__file__), "pjrt_c_api_cpu_plugin.so"))')
	[ -f "$so" ] || die "the XLA CPU plugin wheel has no $so"
	mkdir -p "$PLUGIN_DIR"
	if [ -L "$dest" ] || ! cmp -s "$so" "$dest"; then
		log "installing the XLA CPU plugin into $PLUGIN_DIR"
		cp "$so" "$dest.tmp.$$" && mv -f "$dest.tmp.$$" "$dest"
	fi
}

# CUDA (optional): the pip packages jax-cuda13-pjrt + NVIDIA libraries. The
# xla package finds xla_cuda_plugin.so inside the virtualenv by itself.
setup_cuda() {
	log "installing the XLA CUDA plugin (jax-cuda13-pjrt and NVIDIA's CUDA 13 libraries) into $VENV"
	"$VENV/bin/python" -m pip install -q --disable-pip-version-check --require-hashes -r "$ROOT/scripts/requirements-cuda.txt"
}

setup_bench() {
	local want
	want=$(sha256sum <"$ROOT/scripts/requirements-bench.txt" | cut -c1-16)
	stamp_ok "$VENV/.fernb-bench-stamp" "$want" && return
	log "installing PyTorch for fer bench and scripts/parity_torch.py into $VENV"
	"$VENV/bin/python" -m pip install -q --disable-pip-version-check --require-hashes -r "$ROOT/scripts/requirements-bench.txt"
	echo "$want" >"$VENV/.fernb-bench-stamp"
}

setup_go_tools() {
	local want
	want=$(cat "$ROOT/go.mod" "$ROOT/go.sum" | sha256sum | cut -c1-16)
	mkdir -p "$TOOLS/bin"
	(cd "$ROOT" && go mod download)
	if ! stamp_ok "$TOOLS/.go-tools-stamp" "$want" || [ ! -x "$TOOLS/bin/gonb" ]; then
		log "building gonb and goimports (pinned in go.mod's tool block)"
		(cd "$ROOT" && go build -o "$TOOLS/bin/" github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports)
		echo "$want" >"$TOOLS/.go-tools-stamp"
	fi
	log "building fer"
	(cd "$ROOT" && go build -o "$TOOLS/bin/fer" ./cmd/fer)
}

setup_kernel() {
	if [ ! -f "$JUPYTER_DATA_DIR/kernels/gonb/kernel.json" ] ||
		! grep -q "$TOOLS/bin/gonb" "$JUPYTER_DATA_DIR/kernels/gonb/kernel.json"; then
		log "installing the GoNB kernel spec into $JUPYTER_DATA_DIR"
		# gopls is optional (editor help only), hence --force_deps.
		"$TOOLS/bin/gonb" --install --force_deps >/dev/null 2>&1 || true
	fi
	[ -f "$JUPYTER_DATA_DIR/kernels/gonb/kernel.json" ] || die "GoNB kernel spec was not installed"
}

setup() {
	local cuda=0 bench=0
	for a in "$@"; do
		case "$a" in
		--cuda) cuda=1 ;;
		--bench) bench=1 ;;
		*) die "setup: unknown option $a" ;;
		esac
	done
	fernb_env
	setup_apt
	setup_go
	setup_python
	setup_plugin
	[ $cuda = 1 ] && setup_cuda
	[ $bench = 1 ] && setup_bench
	setup_go_tools
	setup_kernel
	# Check that XLA CPU really loads: an error here names what is missing.
	"$TOOLS/bin/fer" info --backend xla:cpu >/dev/null ||
		die "the XLA CPU plugin does not load (see the error above)"
	log "set-up done: $(go env GOVERSION), $("$VENV/bin/python" --version), XLA CPU plugin in $PLUGIN_DIR"
}

# ------------------------------------------------------------------ commands
cmd_report() {
	setup
	if [ $# -gt 0 ]; then export FER_DATA="$1"; fi
	if [ -n "${FER_DATA:-}" ]; then
		[ -e "$FER_DATA" ] || die "data path $FER_DATA does not exist"
		log "main job: the report on FER2013 at $FER_DATA"
	else
		log "main job: no FER2013 path given, so the report runs on the built-in SYNTHETIC faces"
	fi
	"$TOOLS/bin/fer" report
}

# Packages whose tests need no XLA (run under the race detector), and every
# fuzz target as package:Target (TestFuzzTargetsListed in fernb/train keeps
# the list complete).
RACE_PACKAGES="./fernb/data ./fernb/augment ./fernb/pca ./plots"
# The concurrent training code under the race detector, on XLA CPU (cgo and
# -race work together): the prefetch goroutine of the training loop,
# train.Model used from several goroutines, the notebook's live view updated
# while training, the session's figure list. Only these tests: the whole of
# fernb/train under -race was still in its third test after 5 minutes (the
# Go-backend half of TestModelConcurrent alone took 82 s to 4 min), and the
# Go backend's kernels trip checkptr (see race_on_test.go in fernb/train).
# fernb/run runs whole (35 s).
RACE_XLA_PACKAGES="./fernb/train ./fernb"
RACE_XLA_TESTS='^(TestModelConcurrent|TestTrainingLoopConcurrent|TestLiveViewConcurrent|TestShownListConcurrent)$'
FUZZ_TARGETS="fernb/data:FuzzParseCSV fernb/data:FuzzDecodeImage fernb/data:FuzzParseCache fernb/checkpoint:FuzzParseCheckpoint fernb/train:FuzzDecodeRunJSON"
# The smoke runs a count of inputs, not a duration: a duration -fuzztime can
# fail with a bare "context deadline exceeded" and no crasher when the
# deadline races a worker (Go's fuzz coordinator, golang/go#75804, fixed in
# Go 1.27; our pinned 1.26 has it). A count has no deadline to race.
FUZZ_TIME="${FERNB_FUZZ_TIME:-100000x}"

# race_xla runs the race detector over the concurrent training code (see
# RACE_XLA_TESTS); also on its own: ./fernb.sh race.
race_xla() {
	go test -json -race -count=1 -timeout 15m -run "$RACE_XLA_TESTS" $RACE_XLA_PACKAGES | "$TOOLS/bin/testsum" -skips "${SKIPS:-/dev/null}"
	go test -json -race -count=1 -timeout 15m ./fernb/run | "$TOOLS/bin/testsum" -skips "${SKIPS:-/dev/null}"
}

cmd_race() {
	setup
	export FERNB_REQUIRE_XLA=1
	cd "$ROOT"
	go build -o "$TOOLS/bin/testsum" ./scripts/testsum
	race_xla
}

cmd_test() {
	# PyTorch (setup --bench, about 3 GB, 4.5 minutes on a fresh machine)
	# is installed for TestParityTorchScript, which tests
	# scripts/parity_torch.py; FERNB_TEST_TORCH=0 leaves it out (the test is
	# then listed as skipped).
	if [ "${FERNB_TEST_TORCH:-1}" = 0 ]; then
		setup
	else
		setup --bench
		export FERNB_REQUIRE_TORCH=1
	fi
	# XLA CPU is part of what the tests check: no skipping when it is missing.
	export FERNB_REQUIRE_XLA=1
	# The real FER2013 beside the checkout (CI has it) is used by data tests.
	if [ -z "${FER_DATA:-}" ] && [ -d "$ROOT/../shared/data/fer2013" ]; then
		FER_DATA=$(cd "$ROOT/../shared/data/fer2013" && pwd)
		export FER_DATA
	fi
	cd "$ROOT"
	log "go vet"
	go vet ./...
	# go test -json through scripts/testsum: go test's usual output (ok/FAIL
	# per package, failed tests' output), then every skipped test with its
	# reason and their count. pipefail (set above) keeps go test's status.
	go build -o "$TOOLS/bin/testsum" ./scripts/testsum
	SKIPS=$(mktemp)
	# On a failing go test, set -e ends the script: list the skips gathered so far anyway.
	trap 'if [ -f "$SKIPS" ]; then log "skipped Go tests so far: $(wc -l <"$SKIPS")"; cat "$SKIPS" >&2; rm -f "$SKIPS"; fi' EXIT
	log "go test (Go backend and XLA CPU)"
	go test -json -count=1 -timeout 25m ./... | "$TOOLS/bin/testsum" -skips "$SKIPS"
	log "go test -race on the packages that do not need XLA (speed tests skipped: the race detector slows code ~10x)"
	FER_DATA= go test -json -race -count=1 -timeout 15m -skip 'TestFitSpeed' $RACE_PACKAGES | "$TOOLS/bin/testsum" -skips "$SKIPS"
	log "go test -race on the concurrent training code (XLA CPU): $RACE_XLA_TESTS in $RACE_XLA_PACKAGES, and ./fernb/run"
	race_xla
	log "fuzz smoke: every fuzz target, -fuzztime ${FUZZ_TIME}"
	local t
	for t in $FUZZ_TARGETS; do
		go test -run '^$' -fuzz "^${t#*:}\$" -fuzztime "$FUZZ_TIME" "./${t%%:*}"
	done
	log "skipped Go tests, all runs above: $(wc -l <"$SKIPS")"
	cat "$SKIPS" >&2
	rm -f "$SKIPS"
	trap - EXIT
	# Last, so that the run's closing line is the notebooks' "N passed, N failed".
	if compgen -G "$ROOT/notebooks/*.ipynb" >/dev/null; then
		log "executing the notebooks in quick mode"
		"$TOOLS/bin/fer" notebooks --quick
	fi
}

main() {
	local cmd="${1:-}"
	[ $# -gt 0 ] && shift
	case "$cmd" in
	setup) setup "$@" ;;
	report) cmd_report "$@" ;;
	test) cmd_test "$@" ;;
	race) cmd_race ;;
	lab)
		setup
		cd "$ROOT/notebooks" && exec jupyter lab "$@"
		;;
	fer)
		setup >/dev/null
		exec "$TOOLS/bin/fer" "$@"
		;;
	env)
		fernb_env
		printf 'export PATH=%q FERNB_ROOT=%q FERNB_VENV=%q GOMLX_NO_AUTO_INSTALL=1 GOTOOLCHAIN=local JUPYTER_DATA_DIR=%q\n' \
			"$PATH" "$ROOT" "$VENV" "$JUPYTER_DATA_DIR"
		;;
	*)
		sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
		[ -z "$cmd" ] || [ "$cmd" = help ] || exit 2
		;;
	esac
}

main "$@"
