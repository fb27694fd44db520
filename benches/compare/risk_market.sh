#!/usr/bin/env bash
# Market-risk speed comparison, Python anchors and finkit in the same run:
#   GARCH(1,1) fit on the S&P 500 (arch 8.0, normal and t)  vs  finkit GarchParams::fit
#   rolling 250-day quantile over 4780 windows (pandas)    vs  finkit rolling HS VaR + ES
# The Python calls are the ones of shared/reference/risk/perf_timing.py.
# Usage: bash benches/compare/risk_market.sh        (from anywhere; ~2 minutes)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# Set COMPARE_PY to a Python that has the pins of requirements-*.txt to skip the venv.
if [ -z "${COMPARE_PY:-}" ]; then
  # shellcheck source=/dev/null
  source "$here/setup_venv.sh"
fi
data="$root/crates/finkit-risk/tests/data/sp500.csv"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) logical CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== Python anchors (median of 7, wall clock)"
"$COMPARE_PY" - "$data" "$out/python.json" <<'PY'
import json, statistics, sys, time, warnings
import numpy as np, pandas as pd
from arch import arch_model
warnings.simplefilter("ignore")
px = pd.read_csv(sys.argv[1], index_col=0)["adj_close"]
r = np.log(px / px.shift(1)).dropna()
y = 100 * r
def timeit(fn, repeat=7):
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts)
res = {}
for dist in ("normal", "t"):
    fit = lambda: arch_model(y, mean="Constant", vol="GARCH", p=1, q=1, dist=dist, rescale=False).fit(disp="off")
    res[f"garch11_fit/{dist}"] = timeit(fit)
res["rolling_hs"] = timeit(lambda: r.rolling(250).quantile(0.01, interpolation="lower"))
for k, v in res.items():
    print(f"  {k:<24} {v * 1e3:9.3f} ms")
json.dump(res, open(sys.argv[2], "w"))
PY

echo "== finkit (criterion, release)"
cd "$root"
cargo bench -p finkit-benches --bench risk_market -- --noplot \
  'risk_market/(garch11_fit|rolling_hs_var_es_99)' 2>&1 | grep -E '^risk_market/|time:' || true

"$COMPARE_PY" "$here/ratios.py" "$root/target/criterion" risk_market "$out/python.json" \
  '[["GARCH(1,1)-normal fit", "garch11_fit/normal", "garch11_fit_normal", 10], ["GARCH(1,1)-t fit", "garch11_fit/t", "garch11_fit_t", 10], ["rolling HS VaR+ES, 4780 windows", "rolling_hs", "rolling_hs_var_es_99", 1]]'
