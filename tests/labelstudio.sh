#!/usr/bin/env bash
# Start or stop a throw-away Label Studio server on 127.0.0.1 for the integration tests.
#   tests/labelstudio.sh start [ENV_FILE]   # writes LABEL_STUDIO_URL/LABEL_STUDIO_API_KEY lines,
#                                           # or prints export lines when ENV_FILE is omitted
#   tests/labelstudio.sh stop [ENV_FILE]    # stops that server and removes its data
# The server runs from its own venv, $ILLUSION_LS_VENV (default .lsvenv), created if missing.
set -euo pipefail
args=("${1:-}")
[[ $# -ge 2 ]] && args+=("$(realpath -m -- "$2")")
cd "$(dirname "$0")/.."
# The Python that has illusion installed: $PYTHON, the active venv, .venv, or python3.
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -n "${VIRTUAL_ENV:-}" ]]; then PYTHON="$VIRTUAL_ENV/bin/python"
    elif [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python
    else PYTHON=python3; fi
fi
case "${1:-}" in
    start|stop) exec "$PYTHON" -m illusion.annotations.labelstudio.server "${args[@]}" ;;
    *) echo "usage: $0 start|stop [ENV_FILE]" >&2; exit 2 ;;
esac
