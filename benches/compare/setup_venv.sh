#!/usr/bin/env bash
# Creates (once) the Python venv that holds the speed anchors of benches/compare/*.sh.
# Usage: source benches/compare/setup_venv.sh   -> sets $COMPARE_PY to the venv's python.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${COMPARE_VENV:-$here/../../target/compare-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
fi
stamp="$venv/.finkit-requirements"
want="$(cat "$here"/requirements-*.txt | sha256sum)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  for req in "$here"/requirements-*.txt; do
    "$venv/bin/pip" install --quiet -r "$req"
  done
  echo "$want" > "$stamp"
fi
export COMPARE_PY="$venv/bin/python"
