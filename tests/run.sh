#!/usr/bin/env bash
# The test command: install illusion with its test extras, run ruff, start a Label Studio server on
# loopback for the integration tests, run pytest (arguments are passed on), stop the server.
# Uses the active virtual environment, or creates .venv. ILLUSION_EDITABLE=1 installs in place.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${VIRTUAL_ENV:-}" ]; then
    [ -x .venv/bin/python ] || python3 -m venv .venv
    PY=.venv/bin/python
else
    PY=python
fi
$PY -m pip install -q --upgrade pip >/dev/null
if [ -n "${ILLUSION_EDITABLE:-}" ]; then
    $PY -m pip install -q -e ".[default,test]"
else
    $PY -m pip install -q ".[default,test]"
fi

# Lint and format are part of the test command: a change that fails them is not green.
$PY -m ruff check --quiet .
$PY -m ruff format --check --quiet .
PYTHON=$PY bash tests/typecheck.sh

envfile=$(mktemp)
cleanup() { bash tests/labelstudio.sh stop "$envfile" || true; rm -f "$envfile"; }
trap cleanup EXIT
bash tests/labelstudio.sh start "$envfile"
set -a; . "$envfile"; set +a

$PY -m pytest "$@"
