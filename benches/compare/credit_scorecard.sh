#!/usr/bin/env bash
# Scorecard speed comparison on real data, Python anchor and finkit in the same run, on the
# Polish bankruptcy training file (data/polish/year1_train.csv: 4,920 rows, 64 ratios):
#   optbinning 1.0.0 BinningProcess(64 variables, monotonic_trend="auto_asc_desc").fit, WoE
#   transform, scikit-learn LogisticRegression().fit  (the calls of the reference's make_ref.py;
#   pandas.read_csv included)
#   vs  `finkit credit fit-scorecard --csv … --target bankrupt --exclude firm --out card.json`
#   (release binary, whole process: CSV parsing, binning, selection, fits, card and report
#   written; process start included).
# Wall clock, median of repeated runs after one warm-up. Usage:
#   bash benches/compare/credit_scorecard.sh        (from anywhere; ~2 minutes after the build)
# Set COMPARE_PY to a Python that has the pins of requirements-credit.txt to skip the venv.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [ -z "${COMPARE_PY:-}" ]; then
  # shellcheck source=/dev/null
  source "$here/setup_venv.sh"
fi
data="$root/data/polish/year1_train.csv"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) logical CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$root" && cargo build --release -q -p finkit-cli)
bin="$root/target/release/finkit"

"$COMPARE_PY" - "$data" "$bin" "$out" <<'PY'
import json, os, statistics, subprocess, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from optbinning import BinningProcess
from sklearn.linear_model import LogisticRegression
data, binary, out = sys.argv[1], sys.argv[2], sys.argv[3]

def anchor():
    tr = pd.read_csv(data)
    feats = [c for c in tr.columns if c.startswith("x")]
    bp = BinningProcess(feats, binning_fit_params={f: {"monotonic_trend": "auto_asc_desc"} for f in feats})
    bp.fit(tr[feats], tr.bankrupt.values)
    w = bp.transform(tr[feats], metric="woe")
    LogisticRegression(max_iter=5000).fit(w, tr.bankrupt.values)

cmd = [binary, "credit", "fit-scorecard", "--csv", data, "--target", "bankrupt", "--exclude", "firm",
       "--out", os.path.join(out, "card.json"), "--json"]
def finkit():
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

def timeit(fn, repeat):
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts)

def load():
    return " ".join(open("/proc/loadavg").read().split()[:3])

print(f"== optbinning + scikit-learn (median of 3 after one warm-up; load {load()})")
py = timeit(anchor, 3)
print(f"  BinningProcess(64) + WoE + LogisticRegression().fit   {py * 1e3:10.1f} ms")
print(f"== finkit credit fit-scorecard, release (median of 15 after one warm-up; load {load()})")
fk = timeit(finkit, 15)
print(f"  fit-scorecard (defaults)                              {fk * 1e3:10.1f} ms")
ratio = py / fk
flag = "ok" if ratio >= 50 else "BELOW TARGET"
print("== ratio (anchor time / finkit time; target in brackets)")
print(f"  Polish year1 scorecard   anchor {py * 1e3:9.1f} ms  finkit {fk * 1e3:8.1f} ms  ratio {ratio:6.1f}x  [>= 50x] {flag}  (load {load()})")
PY
