#!/usr/bin/env bash
# Runs the official-client conformance tests (datadog-api-client, PyPI) against a built fleetmock.
#   Tests/client/run.sh [pytest args...]
# Creates .venv-client/ in the repo root on first use, and again only when requirements.txt or the
# Python interpreter changed (a stamp file holds their hash). FLEETMOCK_BIN names the binary
# (default .build/release/fleetmock; a relative path is taken from the repo root).
# Exits with pytest's exit code.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"

python="${PYTHON:-python3}"
venv="$repo_root/.venv-client"
requirements="Tests/client/requirements.txt"
stamp="$venv/.fleetmock-requirements.sha256"

wanted="$( { cat "$requirements"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
    echo "run.sh: creating $venv from $requirements" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$wanted" > "$stamp.tmp" && mv "$stamp.tmp" "$stamp"
fi

export FLEETMOCK_BIN="${FLEETMOCK_BIN:-.build/release/fleetmock}"
case "$FLEETMOCK_BIN" in
    /*) ;;
    *) FLEETMOCK_BIN="$repo_root/$FLEETMOCK_BIN" ;;
esac

exec "$venv/bin/python" -m pytest -q Tests/client "$@"
