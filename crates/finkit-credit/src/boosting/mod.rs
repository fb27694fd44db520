//! Gradient-boosted trees for a binary default target, with monotone constraints, exact
//! TreeSHAP reason codes, a checksummed JSON format and XGBoost model import.
//!
//! ```
//! use finkit_credit::boosting::{BoostingParams, Monotone};
//! use finkit_credit::{Fit, PdModel, FeatureRecord};
//! use finkit_schema::{Column, Dataset};
//! use ndarray::Array1;
//!
//! // Leverage raises the default rate; a missing value is allowed anywhere.
//! let n = 400;
//! let lev: Array1<f64> = (0..n).map(|i| if i % 17 == 0 { f64::NAN } else { (i % 100) as f64 / 100.0 }).collect();
//! let bad: Array1<f64> = (0..n).map(|i| if (i % 100) > 60 && i % 3 != 0 { 1.0 } else { 0.0 }).collect();
//! let data = Dataset::new(vec![("leverage".into(), Column::Numeric(lev))], Some(("bad".into(), bad)))?;
//! let model = BoostingParams::new()
//!     .trees(60)
//!     .learning_rate(0.1)
//!     .monotone(Monotone::Auto)
//!     .build()?
//!     .fit(&data)?;
//! let low = model.pd(&FeatureRecord::new().with_number("leverage", 0.2))?;
//! let high = model.pd(&FeatureRecord::new().with_number("leverage", 0.9))?;
//! assert!(high.get() > low.get());
//! // Contributions sum to the margin; the last entry is the bias.
//! let phi = model.contributions(&[0.9])?;
//! assert!((phi.iter().sum::<f64>() - model.margin(&[0.9])?).abs() < 1e-12);
//! # #[cfg(feature = "serde")]
//! assert_eq!(finkit_credit::boosting::BoostedModel::from_json(&model.to_json()?)?, model);
//! # Ok::<(), finkit_credit::CreditError>(())
//! ```
//!
//! # Training
//!
//! Histogram-based boosting on log-loss: each feature is cut into at most `max_bins` bins at
//! `f32` thresholds (missing values in a bin of their own), trees grow best-first up to a leaf
//! limit and an optional depth limit, a leaf's value is `−η·G/(H + λ)`, a split needs
//! `min_child_samples` rows and `min_child_weight` hessian on each side, and rows and columns
//! are drawn per tree from a seeded ChaCha8 stream keyed by (seed, tree). A split chooses where
//! missing values go (the side with the better gain when the node has missing values, else the
//! heavier side). Optional early stopping holds out a stratified share of the rows.
//!
//! Histograms are built per feature in row order and splits reduced over features in a fixed
//! order, so the model is bit-identical whatever the number of rayon threads.
//!
//! # Monotone constraints
//!
//! XGBoost's and LightGBM's "basic" method: a split on a constrained feature must order its
//! children's values, and the children's subtrees are bounded by the mid-point of the two
//! values, so every leaf to the right of a `+1` split is at least every leaf to its left. The
//! PD is then monotone in each constrained feature with the others fixed (property-tested).
//!
//! # Explanations
//!
//! [`BoostedModel::contributions`] is exact path-dependent TreeSHAP (Lundberg et al. 2018,
//! Algorithm 2) with node covers (hessian sums) as XGBoost's `pred_contribs`: one value per
//! feature plus the bias, summing to the margin. Reason codes are the features with the largest
//! positive contributions (those that raise the PD most).

mod bins;
mod fastshap;
#[cfg(feature = "serde")]
mod json;
mod model;
mod params;
mod shap;
mod train;
mod tree;
#[cfg(feature = "serde")]
mod xgboost;

use finkit_schema::{Column, Dataset};

#[cfg(feature = "serde")]
pub use json::FORMAT;
pub use model::{BoostedModel, BoostedReason, Origin};
pub use params::{
    AUTO_MONOTONE_MIN_RHO, BoostingParams, BoostingValidParams, MAX_DEPTH, MAX_LEAVES, MAX_TREES,
    Monotone,
};
pub use tree::Tree;

use crate::{CreditError, Fit};

/// Spearman's rank correlation of `x` (NaN = missing, left out) with `y`, as scipy's
/// `spearmanr(x, y, nan_policy="omit")`; `None` when undefined. [`Monotone::Auto`] uses it.
#[must_use]
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    train::spearman(x, y)
}

impl BoostingValidParams {
    /// Fits on named feature columns (NaN = missing) and a 0/1 target.
    ///
    /// # Errors
    ///
    /// [`CreditError::LengthMismatch`], [`CreditError::NonFinite`] for an infinite value,
    /// [`CreditError::InvalidTarget`] for a target that is not 0/1 or has one class, and
    /// [`CreditError::InvalidParameter`] for monotone signs naming an unknown feature.
    pub fn fit_columns(
        &self,
        names: Vec<String>,
        columns: &[&[f64]],
        y: &[f64],
    ) -> Result<BoostedModel, CreditError> {
        if names.len() != columns.len() {
            return Err(CreditError::LengthMismatch {
                what: "feature names",
                expected: columns.len(),
                found: names.len(),
            });
        }
        train::fit(self, names, columns, y)
    }
}

impl Fit for BoostingValidParams {
    type Model = BoostedModel;

    /// Fits on every numeric column of `data` except the excluded ones.
    ///
    /// # Errors
    ///
    /// As [`BoostingValidParams::fit_columns`]; a categorical column that is not excluded is
    /// [`CreditError::UnusableColumn`], a missing target [`CreditError::InvalidTarget`].
    fn fit(&self, data: &Dataset) -> Result<BoostedModel, CreditError> {
        let y =
            data.target().ok_or_else(|| CreditError::InvalidTarget("no target column".into()))?;
        let mut names = Vec::new();
        let mut columns = Vec::new();
        for (name, column) in data.columns() {
            if self.params.exclude.iter().any(|e| e == name) {
                continue;
            }
            match column {
                Column::Numeric(v) => {
                    names.push(name.to_owned());
                    columns.push(v.as_slice().map_or_else(|| v.to_vec(), <[f64]>::to_vec));
                }
                Column::Categorical(_) => {
                    return Err(CreditError::UnusableColumn {
                        name: name.to_owned(),
                        reason: "is categorical; boosted trees need numeric features (exclude it)"
                            .into(),
                    });
                }
            }
        }
        if let Some(unknown) = self.params.exclude.iter().find(|e| {
            !data.feature_names().contains(&e.as_str()) && data.target_name() != Some(e.as_str())
        }) {
            return Err(CreditError::InvalidParameter {
                name: "exclude",
                value: unknown.clone(),
                reason: "is not a column of the data",
            });
        }
        let refs: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        let y = y.to_vec();
        train::fit(self, names, &refs, &y)
    }
}
