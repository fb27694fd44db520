#!/usr/bin/env bash
# Executes every notebook in examples/notebooks with the real evcxr Rust kernel and fails on any
# cell error. Executed copies go to target/notebooks-executed/.
#
# Needs (installed on first use):
#   - evcxr_jupyter: `cargo install evcxr_jupyter --locked` (about 15 minutes to build on 2 cores);
#   - jupyter + nbconvert in a local venv under target/jupyter-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
if ! command -v evcxr_jupyter >/dev/null 2>&1; then
  echo "installing evcxr_jupyter (about 15 minutes)..." >&2
  cargo install evcxr_jupyter --locked
fi
venv="$root/target/jupyter-venv"
if [ ! -x "$venv/bin/jupyter" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet jupyter nbconvert ipykernel
fi
export PATH="$venv/bin:$PATH"
# Registers the "rust" kernel spec for this user (idempotent).
evcxr_jupyter --install >/dev/null
out="$root/target/notebooks-executed"
mkdir -p "$out"
status=0
for nb in examples/notebooks/*.ipynb; do
  start=$(date +%s)
  if jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=1200 \
       --ExecutePreprocessor.kernel_name=rust --output-dir "$out" "$nb" >"$out/$(basename "$nb").log" 2>&1; then
    echo "ok    $nb ($(( $(date +%s) - start )) s)"
  else
    echo "FAIL  $nb ($(( $(date +%s) - start )) s): see $out/$(basename "$nb").log"
    tail -20 "$out/$(basename "$nb").log"
    status=1
  fi
done
exit $status
