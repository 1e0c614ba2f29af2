#!/usr/bin/env bash
# Starts JupyterLab with token authentication on. An empty $JUPYTER_TOKEN is
# never used: without one, a random token is generated and printed.
set -euo pipefail
if [ -z "${JUPYTER_TOKEN:-}" ]; then
	JUPYTER_TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
	echo "fernb: no JUPYTER_TOKEN given; generated one: $JUPYTER_TOKEN" >&2
fi
export JUPYTER_TOKEN
exec /home/fernb/fernb/fernb.sh lab --ip=0.0.0.0 --port=8888 --no-browser \
	--IdentityProvider.token="$JUPYTER_TOKEN" "$@"
