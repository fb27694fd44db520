"""CART pre-bin splits of optbinning 1.0.0 (scikit-learn 1.9.1), for tests/it/binning_reference.rs.

Run with the compare venv:  target/compare-venv/bin/python \
    crates/finkit-credit/tests/data/make_cart_prebins.py  > crates/finkit-credit/tests/data/cart_prebins.json
The splits are those optbinning's optimizer receives (after its pure-pre-bin refinement),
captured by wrapping OptimalBinning._fit_optimizer.
"""
import json, sys
import numpy as np
import pandas as pd
import optbinning, sklearn
from optbinning import OptimalBinning

captured = {}
_orig = OptimalBinning._fit_optimizer
def _capture(self, splits, n_nonevent, n_event):
    captured["splits"] = [float(s) for s in splits]
    captured["n_event"] = [int(v) for v in n_event]
    captured["n_nonevent"] = [int(v) for v in n_nonevent]
    return _orig(self, splits, n_nonevent, n_event)
OptimalBinning._fit_optimizer = _capture

def prebins(x, y, **kw):
    captured.clear()
    OptimalBinning(dtype="numerical", monotonic_trend="auto_asc_desc", **kw).fit(x, y)
    return dict(captured)

out = {"versions": {"optbinning": optbinning.__version__, "scikit-learn": sklearn.__version__},
       "call": "OptimalBinning(dtype='numerical', monotonic_trend='auto_asc_desc', **kw).fit(x, y); "
               "pre-bins as passed to _fit_optimizer", "german": {}, "synthetic": []}
df = pd.read_csv(sys.argv[1] if len(sys.argv) > 1 else "data/germancredit.csv")
y = df["bad"].to_numpy()
for v in df.columns:
    if v in ("bad", "row_id") or df[v].dtype == object:
        continue
    out["german"][v] = prebins(df[v].to_numpy(dtype=float), y)

# Synthetic cases: ties, near-ties (< 1e-7 apart), heavy tails, missing values, other sizes,
# other max_n_prebins / min_prebin_size. Values are rounded so JSON round-trips exactly.
rng = np.random.default_rng(7)
def case(name, x, y, **kw):
    out["synthetic"].append({"name": name, "x": [None if np.isnan(v) else float(v) for v in x],
                             "y": [int(v) for v in y], "kw": kw, **prebins(np.asarray(x, float), np.asarray(y), **kw)})
for n, (lo, hi) in [(500, (0, 30)), (2000, (0, 1000)), (333, (0, 5))]:
    x = rng.integers(lo, hi, n).astype(float)
    p = 1 / (1 + np.exp(-(x - x.mean()) / x.std() * 1.2 + 1))
    case(f"integers_{n}", x, (rng.random(n) < p).astype(int))
x = np.round(rng.lognormal(8, 1, 1500), 2)
p = 1 / (1 + np.exp(-(np.log(x) - 8) * 0.8 + 1.2))
yy = (rng.random(1500) < p).astype(int)
case("lognormal", x, yy)
case("lognormal_10_prebins_8pct", x, yy, max_n_prebins=10, min_prebin_size=0.08)
case("lognormal_40_prebins_2pct", x, yy, max_n_prebins=40, min_prebin_size=0.02)
x = np.round(rng.normal(0, 1, 800), 3)
x[::7] = x[::7] + 4e-8  # near-ties the tree does not separate
x[::11] = np.nan
yy = (rng.random(800) < 1 / (1 + np.exp(-np.nan_to_num(x) * 1.5))).astype(int)
case("normal_near_ties_missing", x, yy)
x = rng.integers(0, 60, 1200).astype(float)
yy = (rng.random(1200) < np.where(x % 20 < 10, 0.1, 0.4)).astype(int)
case("non_monotone", x, yy)
json.dump(out, sys.stdout, separators=(",", ":"))
