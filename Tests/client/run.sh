#!/usr/bin/env bash
# Runs the official-client conformance tests (datadog-api-client, PyPI) against a built fleetmock.
#   Tests/client/run.sh [pytest args...]
# Two clients, two venvs in the repo root, each (re)created only when one of its requirements
# files or the Python interpreter changed (a stamp file in the venv holds their hash):
#   .venv-client     datadog-api-client 2.57.0 (requirements.txt): the unstable surface; plus
#                    selenium (requirements-browser.txt) for test_dashboard.py, which drives the
#                    page in headless Chromium (`make test-client` installs chromium and its driver).
#   .venv-client-v2  datadog-api-client 2.62.0 (requirements-v2.txt): the /api/v2/fleet surface and
#                    the unstable operations 2.62.0 still has.
# pytest runs once per venv with the same arguments. conftest.py picks the files for each client:
# test_v2_*.py run under 2.62.0, every other test file under 2.57.0. FLEETMOCK_BIN names the binary
# (default .build/release/fleetmock; a relative path is taken from the repo root).
# Arguments naming test files or node ids replace the default Tests/client.
# Exits 0 only if both runs pass; otherwise with the first failing run's pytest exit code. A run
# that collects nothing (exit 5, e.g. `run.sh Tests/client/test_core.py` in the 2.62.0 run) counts
# as passing unless neither run collected anything.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"

python="${PYTHON:-python3}"

# ensure_venv DIR REQUIREMENTS...: creates DIR from every REQUIREMENTS file unless its stamp is
# current (the hash covers each file's name and content, in order, and the interpreter's version).
ensure_venv() {
    local venv="$1"
    shift
    local stamp="$venv/.fleetmock-requirements.sha256" wanted requirements pip_args=()
    wanted="$( { for requirements in "$@"; do echo "== $requirements"; cat "$requirements"; done
                 "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
    if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
        echo "run.sh: creating $venv from $*" >&2
        rm -rf "$venv"
        "$python" -m venv "$venv"
        for requirements in "$@"; do pip_args+=(-r "$requirements"); done
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pip_args[@]}"
        echo "$wanted" > "$stamp.tmp" && mv "$stamp.tmp" "$stamp"
    fi
}

venv_257="$repo_root/.venv-client"
venv_262="$repo_root/.venv-client-v2"
ensure_venv "$venv_257" Tests/client/requirements.txt Tests/client/requirements-browser.txt
ensure_venv "$venv_262" Tests/client/requirements-v2.txt

export FLEETMOCK_BIN="${FLEETMOCK_BIN:-.build/release/fleetmock}"
case "$FLEETMOCK_BIN" in
    /*) ;;
    *) FLEETMOCK_BIN="$repo_root/$FLEETMOCK_BIN" ;;
esac

# Tests/client is collected unless the arguments name test paths themselves (an existing path, or
# anything with `::`), so `run.sh Tests/client/test_core.py::test_health_needs_no_credentials` runs
# just that test.
default_paths=(Tests/client)
for arg in "$@"; do
    case "$arg" in
        -*) ;;
        *::*) default_paths=() ;;
        *) if [ -e "$arg" ]; then default_paths=(); fi ;;
    esac
done

# run_pytest LABEL VENV ARGS...: prints a header, runs pytest, stores its exit code in $status.
run_pytest() {
    local label="$1" venv="$2"
    shift 2
    echo "==== datadog-api-client $label ($(basename "$venv")) ===="
    set +e
    "$venv/bin/python" -m pytest -q "${default_paths[@]}" "$@"
    status=$?
    set -e
}

run_pytest 2.57.0 "$venv_257" "$@"
status_257=$status
run_pytest 2.62.0 "$venv_262" "$@"
status_262=$status

echo "==== run.sh: datadog-api-client 2.57.0 exit $status_257, 2.62.0 exit $status_262 ===="
if [ "$status_257" -eq 5 ] && [ "$status_262" -eq 5 ]; then
    exit 5
fi
for code in "$status_257" "$status_262"; do
    if [ "$code" -ne 0 ] && [ "$code" -ne 5 ]; then
        exit "$code"
    fi
done
exit 0
