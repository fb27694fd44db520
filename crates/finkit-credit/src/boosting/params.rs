//! Hyper-parameters of the boosted trees: [`BoostingParams`] → [`BoostingValidParams`]
//! (checked) → [`Fit`](crate::Fit) → [`BoostedModel`](super::BoostedModel).

use std::collections::BTreeMap;

use crate::CreditError;

/// Monotone constraints of a fit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Monotone {
    /// No constraint on any feature.
    #[default]
    None,
    /// The sign of each feature's Spearman rank correlation with the target on the training
    /// rows (missing values left out); no constraint where |ρ| < 0.02 (or ρ is undefined).
    Auto,
    /// Per feature: `+1` (the PD never falls as the feature rises), `-1` (never rises) or `0`.
    /// Features not named are unconstrained; a name that is not a feature is an error at fit.
    Signs(BTreeMap<String, i8>),
}

/// The |ρ| below which [`Monotone::Auto`] leaves a feature unconstrained.
pub const AUTO_MONOTONE_MIN_RHO: f64 = 0.02;

/// Hyper-parameters of gradient-boosted trees on log-loss (a binary default target).
///
/// The defaults are LightGBM's settings of the Polish benchmark: 400 trees of at most 15
/// leaves (grown best-first, no depth limit), learning rate 0.05, row subsampling 0.8 and
/// column subsampling 0.8 per tree, at least 20 rows and hessian 1e-3 per leaf, L2 = 1 on leaf
/// values, 255 histogram bins, seed 1, no early stopping, no monotone constraints, 4 reason
/// codes.
///
/// ```
/// use finkit_credit::boosting::BoostingParams;
/// let p = BoostingParams::new().trees(50).max_depth(Some(3)).learning_rate(0.1).build()?;
/// assert_eq!(p.params().max_leaves_value(), 8, "a depth limit alone allows 2^depth leaves");
/// assert!(BoostingParams::new().learning_rate(0.0).build().is_err());
/// # Ok::<(), finkit_credit::CreditError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BoostingParams {
    pub(crate) trees: usize,
    pub(crate) learning_rate: f64,
    pub(crate) max_leaves: Option<usize>,
    pub(crate) max_depth: Option<usize>,
    pub(crate) min_child_weight: f64,
    pub(crate) min_child_samples: usize,
    pub(crate) l2: f64,
    pub(crate) min_split_gain: f64,
    pub(crate) subsample: f64,
    pub(crate) colsample: f64,
    pub(crate) max_bins: usize,
    pub(crate) seed: u64,
    pub(crate) validation_share: Option<f64>,
    pub(crate) early_stopping_rounds: usize,
    pub(crate) monotone: Monotone,
    pub(crate) exclude: Vec<String>,
    pub(crate) reason_codes: usize,
    pub(crate) quantized_gradients: bool,
}

impl Default for BoostingParams {
    fn default() -> Self {
        BoostingParams {
            trees: 400,
            learning_rate: 0.05,
            max_leaves: None,
            max_depth: None,
            min_child_weight: 1e-3,
            min_child_samples: 20,
            l2: 1.0,
            min_split_gain: 0.0,
            subsample: 0.8,
            colsample: 0.8,
            max_bins: 255,
            seed: 1,
            validation_share: None,
            early_stopping_rounds: 50,
            monotone: Monotone::None,
            exclude: Vec::new(),
            reason_codes: 4,
            quantized_gradients: true,
        }
    }
}

/// Largest number of trees accepted (bounds the work and the model size a caller can ask for).
pub const MAX_TREES: usize = 100_000;
/// Largest depth accepted.
pub const MAX_DEPTH: usize = 32;
/// Largest number of leaves per tree accepted.
pub const MAX_LEAVES: usize = 1 << 16;

impl BoostingParams {
    /// The defaults (see the type's docs).
    #[must_use]
    pub fn new() -> Self {
        BoostingParams::default()
    }
    /// Number of boosting rounds (trees), 1 ..= [`MAX_TREES`].
    #[must_use]
    pub fn trees(mut self, n: usize) -> Self {
        self.trees = n;
        self
    }
    /// Shrinkage applied to every leaf value, in (0, 1].
    #[must_use]
    pub fn learning_rate(mut self, eta: f64) -> Self {
        self.learning_rate = eta;
        self
    }
    /// Most leaves per tree (best-first growth). Default: 15, or `2^depth` when only a depth is
    /// given.
    #[must_use]
    pub fn max_leaves(mut self, n: Option<usize>) -> Self {
        self.max_leaves = n;
        self
    }
    /// Deepest split level (`None`: only the leaf limit applies).
    #[must_use]
    pub fn max_depth(mut self, d: Option<usize>) -> Self {
        self.max_depth = d;
        self
    }
    /// Minimum hessian sum in a child (XGBoost's `min_child_weight`).
    #[must_use]
    pub fn min_child_weight(mut self, w: f64) -> Self {
        self.min_child_weight = w;
        self
    }
    /// Minimum number of training rows in a child (LightGBM's `min_data_in_leaf`).
    #[must_use]
    pub fn min_child_samples(mut self, n: usize) -> Self {
        self.min_child_samples = n;
        self
    }
    /// L2 penalty λ on leaf values (leaf = −G / (H + λ)).
    #[must_use]
    pub fn l2(mut self, lambda: f64) -> Self {
        self.l2 = lambda;
        self
    }
    /// Minimum loss reduction of a split (XGBoost's `gamma`).
    #[must_use]
    pub fn min_split_gain(mut self, gain: f64) -> Self {
        self.min_split_gain = gain;
        self
    }
    /// Share of rows drawn (without replacement, seeded) for each tree, in (0, 1].
    #[must_use]
    pub fn subsample(mut self, share: f64) -> Self {
        self.subsample = share;
        self
    }
    /// Share of features drawn (seeded) for each tree, in (0, 1].
    #[must_use]
    pub fn colsample(mut self, share: f64) -> Self {
        self.colsample = share;
        self
    }
    /// Histogram bins per feature (missing values get one more), 2 ..= 255.
    #[must_use]
    pub fn max_bins(mut self, n: usize) -> Self {
        self.max_bins = n;
        self
    }
    /// Seed of the row and column draws.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Early stopping: hold out this share of the rows (seeded, stratified by the target) and
    /// keep the trees up to the best held-out log-loss; `None` (default) uses every row.
    #[must_use]
    pub fn validation_share(mut self, share: Option<f64>) -> Self {
        self.validation_share = share;
        self
    }
    /// Stop after this many rounds without a better held-out log-loss (default 50).
    #[must_use]
    pub fn early_stopping_rounds(mut self, n: usize) -> Self {
        self.early_stopping_rounds = n;
        self
    }
    /// Monotone constraints.
    #[must_use]
    pub fn monotone(mut self, monotone: Monotone) -> Self {
        self.monotone = monotone;
        self
    }
    /// Columns never used as features (identifiers).
    #[must_use]
    pub fn exclude(mut self, names: Vec<String>) -> Self {
        self.exclude = names;
        self
    }
    /// How many reason codes the fitted model reports.
    #[must_use]
    pub fn reason_codes(mut self, n: usize) -> Self {
        self.reason_codes = n;
        self
    }
    /// Split search on quantized gradients (default `true`; LightGBM's `use_quantized_grad`,
    /// Shi et al. 2022): per tree, each row's gradient and hessian are rounded stochastically
    /// (seeded) to integers of up to 4,096 levels and the histograms sum integers, which is
    /// faster; leaf values are still computed from the exact gradients. `false` searches on
    /// the exact `f64` sums. Fits with more than 2^19 rows always use exact sums.
    #[must_use]
    pub fn quantized_gradients(mut self, on: bool) -> Self {
        self.quantized_gradients = on;
        self
    }
    /// The leaf limit in force: the one set, or `2^depth` with only a depth, or 15.
    #[must_use]
    pub fn max_leaves_value(&self) -> usize {
        match (self.max_leaves, self.max_depth) {
            (Some(l), _) => l,
            (None, Some(d)) => 1usize << d.min(16),
            (None, None) => 15,
        }
    }

    /// Checks every parameter.
    ///
    /// # Errors
    ///
    /// [`CreditError::InvalidParameter`] naming the first parameter out of its range.
    pub fn build(self) -> Result<BoostingValidParams, CreditError> {
        let bad = |name: &'static str, value: String, reason: &'static str| {
            Err(CreditError::InvalidParameter { name, value, reason })
        };
        if !(1..=MAX_TREES).contains(&self.trees) {
            return bad("trees", self.trees.to_string(), "must be between 1 and 100000");
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return bad("learning_rate", self.learning_rate.to_string(), "must be in (0, 1]");
        }
        if let Some(l) = self.max_leaves
            && !(2..=MAX_LEAVES).contains(&l)
        {
            return bad("max_leaves", l.to_string(), "must be between 2 and 65536");
        }
        if let Some(d) = self.max_depth
            && !(1..=MAX_DEPTH).contains(&d)
        {
            return bad("max_depth", d.to_string(), "must be between 1 and 32");
        }
        if !(self.min_child_weight >= 0.0 && self.min_child_weight.is_finite()) {
            return bad(
                "min_child_weight",
                self.min_child_weight.to_string(),
                "must be finite and >= 0",
            );
        }
        if !(self.l2 >= 0.0 && self.l2.is_finite()) {
            return bad("l2", self.l2.to_string(), "must be finite and >= 0");
        }
        if !(self.min_split_gain >= 0.0 && self.min_split_gain.is_finite()) {
            return bad(
                "min_split_gain",
                self.min_split_gain.to_string(),
                "must be finite and >= 0",
            );
        }
        if !(self.subsample > 0.0 && self.subsample <= 1.0) {
            return bad("subsample", self.subsample.to_string(), "must be in (0, 1]");
        }
        if !(self.colsample > 0.0 && self.colsample <= 1.0) {
            return bad("colsample", self.colsample.to_string(), "must be in (0, 1]");
        }
        if !(2..=255).contains(&self.max_bins) {
            return bad("max_bins", self.max_bins.to_string(), "must be between 2 and 255");
        }
        if let Some(s) = self.validation_share
            && !(s > 0.0 && s < 0.5)
        {
            return bad("validation_share", s.to_string(), "must be in (0, 0.5)");
        }
        if self.early_stopping_rounds == 0 {
            return bad("early_stopping_rounds", "0".into(), "must be at least 1");
        }
        if let Monotone::Signs(signs) = &self.monotone
            && let Some((name, s)) = signs.iter().find(|(_, s)| !(-1..=1).contains(*s))
        {
            return bad("monotone", format!("{s} for {name}"), "must be -1, 0 or +1");
        }
        Ok(BoostingValidParams { params: self })
    }
}

/// Checked [`BoostingParams`]; fit with [`Fit::fit`](crate::Fit::fit) or
/// [`BoostingValidParams::fit_columns`].
#[derive(Debug, Clone, PartialEq)]
pub struct BoostingValidParams {
    pub(crate) params: BoostingParams,
}

impl BoostingValidParams {
    /// The parameters.
    #[must_use]
    pub fn params(&self) -> &BoostingParams {
        &self.params
    }
}
