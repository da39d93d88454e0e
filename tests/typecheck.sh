#!/usr/bin/env bash
# Type-check the package as `illusion` (its source folders core/, plugins/ and annotations/ are
# laid out under that name in a temporary tree of links, as the installed package is), with the
# settings in pyproject.toml. Arguments go to mypy.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
[[ $PY == */* && $PY != /* ]] && PY=$PWD/$PY  # a relative path still works from the tree below
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir "$tree/illusion"
for entry in core/*; do ln -s "$PWD/$entry" "$tree/illusion/"; done
ln -s "$PWD/plugins" "$tree/illusion/plugins"
ln -s "$PWD/annotations" "$tree/illusion/annotations"
cd "$tree"
"$PY" -m mypy --config-file "$OLDPWD/pyproject.toml" -p illusion "$@"
