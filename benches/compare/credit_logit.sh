#!/usr/bin/env bash
# Logistic-regression speed comparison, Python anchor and finkit in the same run:
#   scikit-learn LogisticRegression().fit (lbfgs, L2 C=1) and LogisticRegression(penalty=None).fit
#   on 1,000,000 x 20 synthetic rows, and predict_proba(X)[:, 1] on the same rows (the calls of
#   shared/reference/credit/timing_anchor.py)
#   vs finkit LogisticParams::new().l2(1.0).fit / LogisticParams::new().fit (Newton, exact MLE,
#   with standard errors) and LogisticModel::predict_proba (criterion, release).
# Same data model and size on both sides (X ~ N(0,1), eta = -1 + 0.5 X linspace(-1,1,20)), not
# the same draws. Usage: bash benches/compare/credit_logit.sh   (from anywhere; ~3 minutes)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# Set COMPARE_PY to a Python that has the pins of requirements-*.txt to skip the venv.
if [ -z "${COMPARE_PY:-}" ]; then
  # shellcheck source=/dev/null
  source "$here/setup_venv.sh"
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) logical CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== Python anchor (median of 5 after one warm-up, wall clock; data generation not timed)"
"$COMPARE_PY" - "$out/python.json" <<'PY'
import json, statistics, sys, time, warnings
import numpy as np
warnings.filterwarnings("ignore")
from sklearn.linear_model import LogisticRegression
rng = np.random.default_rng(20240601)
n, p = 1_000_000, 20
X = rng.standard_normal((n, p))
beta = np.linspace(-1.0, 1.0, p)
eta = -1.0 + X @ beta * 0.5
y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(np.int64)
def timeit(fn, repeat=5):
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts)
res = {}
res["fit_l2"] = timeit(lambda: LogisticRegression().fit(X, y))
res["fit_mle"] = timeit(lambda: LogisticRegression(penalty=None).fit(X, y))
m = LogisticRegression().fit(X, y)
res["predict_proba"] = timeit(lambda: m.predict_proba(X)[:, 1], repeat=7)
for k, v in res.items():
    print(f"  sklearn {k:<16} {v * 1e3:9.1f} ms")
json.dump(res, open(sys.argv[1], "w"))
PY

echo "== finkit (criterion, release)"
cd "$root"
cargo bench -p finkit-benches --bench credit_logistic -- --noplot 2>&1 | grep -E '^credit_logistic/|time:' || true

"$COMPARE_PY" "$here/ratios.py" "$root/target/criterion" credit_logistic "$out/python.json" \
  '[["fit, L2 (sklearn default C=1)", "fit_l2", "fit_1e6x20_l2", 5], ["fit, unpenalised", "fit_mle", "fit_1e6x20_mle", 5], ["predict_proba, 1e6 rows", "predict_proba", "predict_proba_1e6x20", 4]]'
