#!/usr/bin/env bash
# Tests the fleetmock wheel as a user gets it: a fresh venv (.venv-package/ in the repo root) with
# the wheel, datadog-api-client 2.62.0, pytest and pytest-xdist from PyPI; then
#   (a) examples/pytest with -n 2 (the example suite, documentation), and
#   (b) Tests/package/test_*.py: the package's own behaviour, against the installed binary.
# Usage: Tests/package/run.sh dist/fleetmock-VERSION-py3-none-PLATFORM.whl   (PYTHON=python3.X to pick one)
# Exits non-zero if anything fails. Safe to run again: the venv is made anew each time.
set -euo pipefail

if [ $# -ne 1 ] || [ ! -f "$1" ]; then
    echo "usage: $0 WHEEL_PATH (one existing wheel; got $#: $*)" >&2
    exit 2
fi
wheel=$(realpath "$1")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv="$root/.venv-package"
python=${PYTHON:-python3}

rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "${wheel}[datadog]" "datadog-api-client==2.62.0" pytest pytest-xdist

# Only the installed package and binary: nothing from the repo, no override of the binary.
unset FLEETMOCK_BIN PYTHONPATH
export VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH"

status=0
echo "== examples/pytest (-n 2)"
(cd "$root/examples/pytest" && "$venv/bin/python" -m pytest -n 2 -p no:cacheprovider -ra) || status=1
echo "== Tests/package"
(cd "$root/Tests/package" && "$venv/bin/python" -m pytest -p no:cacheprovider -ra) || status=1
exit "$status"
