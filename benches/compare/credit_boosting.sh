#!/usr/bin/env bash
# Boosted-tree speed comparison, LightGBM / XGBoost and finkit in the same run, on the Polish
# bankruptcy data (data/polish/, UCI 365):
#   fit:     LightGBM LGBMClassifier(n_estimators=400, num_leaves=15, learning_rate=0.05,
#            subsample=0.8, subsample_freq=1, colsample_bytree=0.8, n_jobs=2) on year1_train
#            (and XGBoost depth 4, 400 trees, for reference)
#            vs finkit BoostingParams::new() (the same settings; its split search on quantized
#            gradients) .fit; like-for-like lines: finkit with exact gradient sums
#            (.quantized_gradients(false)) vs LightGBM, and finkit's default vs LightGBM
#            use_quantized_grad=True (reported as failed when LightGBM rejects the data)
#   predict: XGBoost inplace_predict on 1,000,000 rows (test rows repeated) with a 400-tree
#            depth-4 model vs finkit BoostedModel::pds on the same rows with the same model
#            (the XGBoost model imported)
#   SHAP:    XGBoost predict(DMatrix, pred_contribs=True) on 100,000 rows vs finkit
#            BoostedModel::contributions_batch, same model.
# Usage: bash benches/compare/credit_boosting.sh   (from anywhere; ~5 minutes)
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

echo "== Python anchors (median of 3 after one warm-up, wall clock; data preparation not timed)"
"$COMPARE_PY" - "$root/data/polish" "$out" <<'PY'
import json, statistics, sys, time, warnings
import numpy as np, pandas as pd
warnings.filterwarnings("ignore")
import lightgbm as lgb, xgboost as xgb
data, out = sys.argv[1], sys.argv[2]
tr = pd.read_csv(f"{data}/year1_train.csv"); te = pd.read_csv(f"{data}/year1_test.csv")
feats = [c for c in tr.columns if c.startswith("x")]
Xtr, ytr, Xte = tr[feats], tr.bankrupt.values, te[feats].to_numpy(dtype=np.float64)
def timeit(fn, repeat=3):
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts)
res = {}
res["fit_lightgbm"] = timeit(lambda: lgb.LGBMClassifier(n_estimators=400, num_leaves=15, learning_rate=0.05,
    subsample=0.8, subsample_freq=1, colsample_bytree=0.8, random_state=1, verbose=-1, n_jobs=2).fit(Xtr, ytr))
mk = lambda: xgb.XGBClassifier(n_estimators=400, max_depth=4, learning_rate=0.05, subsample=0.8,
    colsample_bytree=0.8, random_state=1, n_jobs=2, tree_method="hist").fit(Xtr, ytr)
# LightGBM's own quantized-gradient training (Shi et al. 2022), the counterpart of finkit's
# default split search; reported as failed when LightGBM rejects the data.
try:
    res["fit_lightgbm_quantized"] = timeit(lambda: lgb.LGBMClassifier(n_estimators=400,
        num_leaves=15, learning_rate=0.05, subsample=0.8, subsample_freq=1, colsample_bytree=0.8,
        random_state=1, verbose=-1, n_jobs=2, use_quantized_grad=True).fit(Xtr, ytr))
except Exception as e:
    print(f"  LightGBM use_quantized_grad=True failed: {str(e).strip()[:160]}")
res["fit_xgboost"] = timeit(mk)
m = mk()
m.save_model(f"{out}/xgb_400_depth4.json")
booster = m.get_booster()
big = np.tile(Xte, (1_000_000 // len(Xte) + 1, 1))[:1_000_000]
res["predict_inplace"] = timeit(lambda: booster.inplace_predict(big))
d = xgb.DMatrix(big[:100_000], missing=np.nan, feature_names=feats)
res["pred_contribs"] = timeit(lambda: booster.predict(d, pred_contribs=True), repeat=1)
for k, v in res.items():
    print(f"  {k:<18} {v * 1e3:10.1f} ms")
json.dump(res, open(f"{out}/python.json", "w"))
PY

echo "== finkit (criterion, release; the XGBoost model above for predict and SHAP)"
cd "$root"
FINKIT_BOOST_XGB_MODEL="$out/xgb_400_depth4.json" \
  cargo bench -p finkit-benches --bench credit_boosting -- --noplot 2>&1 | grep -E '^credit_boosting/|time:' || true
echo "== load after the run: $(cut -d' ' -f1-3 /proc/loadavg)"

"$COMPARE_PY" "$here/ratios.py" "$root/target/criterion" credit_boosting "$out/python.json" \
  '[["fit 400 trees x 15 leaves vs LightGBM", "fit_lightgbm", "fit_polish_400x15", 2], ["fit, exact gradient sums, vs LightGBM (like for like)", "fit_lightgbm", "fit_polish_400x15_exact", 1], ["fit vs LightGBM use_quantized_grad (like for like)", "fit_lightgbm_quantized", "fit_polish_400x15", 1], ["fit vs XGBoost depth 4 (reference)", "fit_xgboost", "fit_polish_400x15", 1], ["predict 1e6 rows vs inplace_predict", "predict_inplace", "predict_1e6_400xdepth4", 2], ["TreeSHAP 1e5 rows vs pred_contribs", "pred_contribs", "treeshap_1e5_400xdepth4", 5]]'
