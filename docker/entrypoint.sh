#!/usr/bin/env bash
# Starts JupyterLab with token authentication on. The Dockerfile runs it
# under tini (PID 1), which passes signals on, so `docker stop` reaches
# Jupyter and its kernels (and a training `fer` stops cleanly on SIGTERM).
#
# The token never goes on a command line (where `ps` shows it): Jupyter reads
# it from the environment variable JUPYTER_TOKEN. It comes from
#   $JUPYTER_TOKEN_FILE  a file holding the token (a Docker or Kubernetes
#                        secret), else
#   $JUPYTER_TOKEN       given with `docker run -e JUPYTER_TOKEN` (the name
#                        only: the value is taken from your shell), else
#   a random token, printed at start.
# An empty token (which would turn authentication off) is refused.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() { printf 'fernb: %s\n' "$*" >&2; exit 1; }
if [ -n "${JUPYTER_TOKEN_FILE:-}" ]; then
	[ -r "$JUPYTER_TOKEN_FILE" ] || die "JUPYTER_TOKEN_FILE=$JUPYTER_TOKEN_FILE cannot be read"
	JUPYTER_TOKEN=$(tr -d '[:space:]' <"$JUPYTER_TOKEN_FILE")
	[ -n "$JUPYTER_TOKEN" ] || die "JUPYTER_TOKEN_FILE=$JUPYTER_TOKEN_FILE is empty: refusing to start Jupyter without a token"
elif [ -n "${JUPYTER_TOKEN+set}" ] && [ -z "$JUPYTER_TOKEN" ]; then
	die "JUPYTER_TOKEN is set but empty: refusing to start Jupyter without a token"
fi
if [ -z "${JUPYTER_TOKEN:-}" ]; then
	JUPYTER_TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
	echo "fernb: no JUPYTER_TOKEN or JUPYTER_TOKEN_FILE given; generated the token $JUPYTER_TOKEN" >&2
fi
export JUPYTER_TOKEN
unset JUPYTER_TOKEN_FILE
for a in "$@"; do
	case "$a" in
	*[Tt]oken=*) die "pass the token in JUPYTER_TOKEN or JUPYTER_TOKEN_FILE, not on the command line ($a)" ;;
	esac
done
exec "$ROOT/fernb.sh" lab --ip=0.0.0.0 --port=8888 --no-browser "$@"
