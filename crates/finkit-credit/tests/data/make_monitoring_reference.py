"""Reference values for finkit-credit's monitoring module (tests/it/reference_monitoring.rs).

R pROC could not be installed here (CRAN unreachable), so the DeLong reference is an independent
numpy implementation written from DeLong, DeLong & Clarke-Pearson (1988): the placements
V10/V01 are computed by the O(m·n) definition (ψ = 1, ½, 0 over every event/non-event pair), not
from midranks as finkit does; variances use divisor (count − 1) and the CI / paired test follow
pROC's ci.auc and roc.test(method = "delong") formulas. It is cross-checked against the PyPI
package MLstatkit 0.1.91 (`MLstatkit.delong.Delong_test`, a Sun & Xu midrank port whose docs
say it is aligned with pROC::roc.test) when that package is importable.
Jeffreys: scipy.stats.beta.cdf(pd, d + 0.5, n - d + 0.5). Binomial: scipy.stats.binomtest(d, n,
pd, alternative="greater").pvalue. Spiegelhalter: numpy from Spiegelhalter (1986).

Run: MLSTATKIT_DIR=<unpacked mlstatkit-0.1.91 wheel> python make_monitoring_reference.py > monitoring_reference.json
(numpy 2.4.6, scipy 1.17.1, Python 3.11; seed fixed below.)
"""
import json
import math
import sys

import numpy as np
import scipy.stats as st

rng = np.random.default_rng(20261203)
n = 240
latent = rng.normal(size=n)
y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(-1.2 + 1.1 * latent)))).astype(int)
# Model a: noisy latent, rounded to 2 decimals (ties); model b: a noisier view, 1 decimal.
a = np.round(latent + rng.normal(scale=0.8, size=n), 2)
b = np.round(0.5 * latent + rng.normal(scale=0.9, size=n), 1)


def placements(score, y):
    cases, controls = score[y == 1], score[y == 0]
    psi = (cases[:, None] > controls[None, :]) + 0.5 * (cases[:, None] == controls[None, :])
    return psi.mean(axis=1), psi.mean(axis=0), psi.mean()


def delong_one(score, y, level=0.95):
    v10, v01, auc = placements(score, y)
    m, k = len(v10), len(v01)
    var = np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / k
    z = st.norm.ppf(0.5 + level / 2)
    return {"auc": auc, "variance": var, "ci_lower": max(0.0, auc - z * math.sqrt(var)),
            "ci_upper": min(1.0, auc + z * math.sqrt(var))}


def delong_paired(sa, sb, y):
    v10a, v01a, auc_a = placements(sa, y)
    v10b, v01b, auc_b = placements(sb, y)
    m, k = len(v10a), len(v01a)
    var_a = np.var(v10a, ddof=1) / m + np.var(v01a, ddof=1) / k
    var_b = np.var(v10b, ddof=1) / m + np.var(v01b, ddof=1) / k
    cov = np.cov(v10a, v10b, ddof=1)[0, 1] / m + np.cov(v01a, v01b, ddof=1)[0, 1] / k
    z = (auc_a - auc_b) / math.sqrt(var_a + var_b - 2 * cov)
    return {"auc_a": auc_a, "auc_b": auc_b, "variance_a": var_a, "variance_b": var_b,
            "covariance": cov, "z": z, "p_value": 2 * st.norm.sf(abs(z))}


paired = delong_paired(a, b, y)
try:
    import importlib.util
    import os
    # The package's __init__ imports scikit-learn; load only its delong module.
    path = os.path.join(os.environ.get("MLSTATKIT_DIR", ""), "MLstatkit", "delong.py")
    spec = importlib.util.spec_from_file_location("mlstatkit_delong", path)
    if spec is None or not os.path.exists(path):
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    Delong_test = module.Delong_test
    z_ml, p_ml, ci_a, ci_b, auc_a, auc_b, info = Delong_test(y, b, a)  # z = (A2 - A1)/se
    assert abs(z_ml - paired["z"]) < 1e-12, (z_ml, paired["z"])
    assert abs(p_ml - paired["p_value"]) < 1e-12
    assert abs(auc_a - paired["auc_b"]) < 1e-15 and abs(auc_b - paired["auc_a"]) < 1e-15
    cross = "MLstatkit 0.1.91 Delong_test agrees within 1e-12"
except ImportError:
    cross = "MLstatkit not importable; not cross-checked"
print(cross, file=sys.stderr)

pd = 1 / (1 + np.exp(-(-1.0 + 0.9 * a)))
pd = np.round(pd, 6)
w = 1 - 2 * pd
sz = float(np.sum((y - pd) * w) / math.sqrt(np.sum(w * w * pd * (1 - pd))))

grades = [(12, 0, 0.001), (50, 1, 0.01), (200, 9, 0.03), (80, 7, 0.05), (40, 10, 0.12),
          (5, 5, 0.9), (1000, 3, 0.0003), (7, 0, 0.5)]
out = {
    "provenance": __doc__.strip().splitlines()[0],
    "cross_check": cross,
    "y": y.tolist(), "a": a.tolist(), "b": b.tolist(), "pd": pd.tolist(),
    "delong_a": delong_one(a, y), "delong_b": delong_one(b, y),
    "delong_a_90": delong_one(a, y, 0.90),
    "paired": paired,
    "spiegelhalter": {"z": sz, "p_value": 2 * st.norm.sf(abs(sz)),
                      "brier": float(np.mean((pd - y) ** 2)),
                      "expected_brier": float(np.mean(pd * (1 - pd)))},
    "grades": [{"n": n_, "defaults": d, "pd": p,
                "jeffreys": float(st.beta.cdf(p, d + 0.5, n_ - d + 0.5)),
                "binomial": float(st.binomtest(d, n_, p, alternative="greater").pvalue)}
               for n_, d, p in grades],
}
print(json.dumps(out, indent=1))
