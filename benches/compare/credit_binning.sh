#!/usr/bin/env bash
# Binning speed comparison, Python anchor and finkit in the same run:
#   optbinning 1.0.0 BinningProcess(20 German credit variables, n_jobs=1).fit  (the call of
#   shared/reference/credit/timing_anchor.py)  vs  finkit BinningProcess::fit (criterion).
# Also prints finkit's batch scoring of 1,000,000 rows with a scorecard.
# Usage: bash benches/compare/credit_binning.sh        (from anywhere; ~2 minutes)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# Set COMPARE_PY to a Python that has the pins of requirements-*.txt to skip the venv.
if [ -z "${COMPARE_PY:-}" ]; then
  # shellcheck source=/dev/null
  source "$here/setup_venv.sh"
fi
data="$root/data/germancredit.csv"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) logical CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== Python anchor (median of 7 after one warm-up, wall clock)"
"$COMPARE_PY" - "$data" "$out/python.json" <<'PY'
import json, statistics, sys, time, warnings
import pandas as pd
warnings.filterwarnings("ignore")
from optbinning import BinningProcess
df = pd.read_csv(sys.argv[1])
feats = [c for c in df.columns if c not in ("row_id", "bad")]
cats = [c for c in feats if df[c].dtype == object]
X, y = df[feats], df["bad"].to_numpy()
fit = lambda: BinningProcess(feats, categorical_variables=cats, n_jobs=1).fit(X, y)
fit()
ts = []
for _ in range(7):
    t0 = time.perf_counter(); fit(); ts.append(time.perf_counter() - t0)
res = {"optbinning_binningprocess_20vars": statistics.median(ts)}
print(f"  optbinning BinningProcess, 20 variables  {res['optbinning_binningprocess_20vars'] * 1e3:9.3f} ms")
json.dump(res, open(sys.argv[2], "w"))
PY

echo "== finkit (criterion, release)"
cd "$root"
cargo bench -p finkit-benches --bench credit_binning -- --noplot 2>&1 | grep -E '^credit_binning/|time:|thrpt:' || true

"$COMPARE_PY" - "$root/target/criterion" "$out/python.json" <<'PY'
import json, os, sys
crit, py = sys.argv[1], json.load(open(sys.argv[2]))
def finkit(name):
    p = os.path.join(crit, "credit_binning", name, "new", "estimates.json")
    return json.load(open(p))["median"]["point_estimate"] * 1e-9
print("== ratio (Python time / finkit time; target in brackets)")
f = finkit("binning_process_20vars")
p = py["optbinning_binningprocess_20vars"]
ratio = p / f
flag = "ok" if ratio >= 50 else "BELOW TARGET"
print(f"  BinningProcess, 20 variables   optbinning {p * 1e3:9.3f} ms  finkit {f * 1e3:8.3f} ms  ratio {ratio:8.1f}x  [>= 50x] {flag}")
s = finkit("scorecard_score_1e6")
print(f"  scorecard batch score, 1e6 rows                          finkit {s * 1e3:8.3f} ms  ({1e6 / s / 1e6:.1f} M rows/s)")
PY
