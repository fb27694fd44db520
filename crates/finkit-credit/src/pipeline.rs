//! The scorecard pipeline as one fitted type: binning → IV selection → removal of duplicated
//! and near-collinear characteristics → (optional) forward selection → logistic regression on
//! WoE with sign checks → points scaling, with a report of what happened to every variable.
//!
//! [`ScorecardParams`] (validated by [`ScorecardParams::build`]) → [`ScorecardPipeline`] →
//! [`Fit::fit`] → [`FittedScorecard`] (the [`Scorecard`], its [`LogisticModel`] and the
//! [`FitReport`]). The CLI's `credit fit-scorecard` is a thin wrapper around it, so a service
//! or a notebook gets exactly what the CLI gets.
//!
//! ```
//! use finkit_credit::pipeline::{ScorecardParams, Selection, VariableStatus};
//! use finkit_credit::schema::{Column, Dataset};
//! use finkit_credit::PdModel;
//! use ndarray::Array1;
//!
//! // 400 firms: leverage drives default, `copy` duplicates it, `flat` is constant.
//! let lev: Array1<f64> = (0..400).map(|i| f64::from((i * 37) % 100) / 100.0).collect();
//! let u = |i: u32| f64::from((i * 7919) % 101) / 101.0; // a deterministic "uniform"
//! let bad: Array1<f64> =
//!     (0..400u32).map(|i| f64::from(u8::from(u(i) < 0.05 + 0.5 * lev[i as usize]))).collect();
//! let data = Dataset::new(
//!     vec![
//!         ("leverage".into(), Column::Numeric(lev.clone())),
//!         ("copy".into(), Column::Numeric(lev * 2.0)),
//!         ("flat".into(), Column::Numeric(Array1::from_elem(400, 1.0))),
//!     ],
//!     Some(("bad".into(), bad)),
//! )?;
//! let fitted = ScorecardParams::new().build()?.fit(&data)?;
//! # let _ = Selection::ForwardBic;
//! let report = fitted.report();
//! assert_eq!(report.kept(), vec!["leverage"]);
//! assert!(matches!(report.variable("copy").unwrap().status, VariableStatus::Correlated { .. }));
//! assert!(matches!(report.variable("flat").unwrap().status, VariableStatus::Unusable { .. }));
//! let pd = fitted.scorecard().pd_batch(&data)?;
//! assert_eq!(pd.len(), 400);
//! # Ok::<(), finkit_credit::CreditError>(())
//! ```
//!
//! # Steps (defaults in braces)
//!
//! 1. **Binning** of every feature column with [`BinningParams`] {CART pre-binning, `Auto`
//!    trend, 5 % minimum bin share}. A column that cannot be binned (constant, all missing,
//!    one category) is reported [`VariableStatus::Unusable`] and skipped.
//! 2. **IV selection**: variables below `min_iv` {0.02} are [`VariableStatus::LowIv`].
//! 3. **Duplicates and near-collinearity**: in descending IV order (ties: column order), a
//!    variable whose WoE column has an absolute Pearson correlation above
//!    `max_correlation` {0.8} with an already kept (stronger) one is
//!    [`VariableStatus::Correlated`] with it; exact duplicates (|ρ| ≥ 1 − 1e-9) always are.
//! 4. **Selection** {[`Selection::All`]: every candidate enters, as optbinning's
//!    `BinningProcess` + `LogisticRegression` would use them; the `max_characteristics`
//!    strongest by IV when capped}. Optional forward selection ([`Selection::ForwardAic`],
//!    [`Selection::ForwardBic`]): from the intercept-only model, add the candidate that lowers
//!    the criterion most (AIC `−2ℓ + 2k` or BIC `−2ℓ + k ln n`), among those whose fit
//!    succeeds with every coefficient of the right sign (when sign checks are on); stop when
//!    no candidate lowers it by more than 1e-9 or at `max_characteristics` {no cap}. The
//!    others are [`VariableStatus::NotSelected`].
//! 5. **Logistic regression** on the WoE of the selected variables (Newton, optional L2 `l2`
//!    {0}), then **sign checks** {on}: with WoE `ln(%bad/%good)` a coefficient must be
//!    positive (negative with the opposite sign convention); while one is not, the variable
//!    with the most contradicting z value is [`VariableStatus::WrongSign`] and the model is
//!    refitted. A fit that drops a variable stops as soon as its Newton estimate, with error
//!    bounds on the coefficients and standard errors, makes the decision certain (the same as
//!    at convergence); the refit starts from it, and the final fit is run to convergence.
//! 6. **Scaling** to points with [`ScalingParams`] {600 points at good:bad odds 50:1, PDO 20}.

use finkit_schema::Dataset;
use ndarray::{Array1, ArrayView2};
use rayon::prelude::*;

use crate::binning::{
    BinningParams, BinningProcessParams, FittedBinningProcess, VariableKind, WoeSign,
};
use crate::scorecard::{OddsDirection, Scaling, ScalingParams, Scorecard};
use crate::{CreditError, Fit, LogisticModel, LogisticParams};

/// How characteristics are chosen among the candidates that pass the IV and correlation
/// filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Selection {
    /// Every candidate (the strongest by IV when `max_characteristics` caps them). Default.
    #[default]
    All,
    /// Forward selection by Akaike's criterion `−2ℓ + 2k`.
    ForwardAic,
    /// Forward selection by the Bayesian criterion `−2ℓ + k·ln n`.
    ForwardBic,
}

// The spellings are the CLI's `--selection` values (a contract).
finkit_schema::spelled_enum!(Selection, "characteristic selection", [
    Selection::All => "all",
    Selection::ForwardAic => "forward-aic",
    Selection::ForwardBic => "forward-bic",
]);

/// Hyper-parameters of the scorecard pipeline; [`ScorecardParams::build`] validates them.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ScorecardParams {
    binning: BinningParams,
    variables: Option<Vec<String>>,
    exclude: Vec<String>,
    min_iv: f64,
    max_correlation: f64,
    selection: Selection,
    max_characteristics: Option<usize>,
    sign_check: bool,
    l2: f64,
    scaling: ScalingParams,
}

impl Default for ScorecardParams {
    fn default() -> Self {
        ScorecardParams {
            binning: BinningParams::new(),
            variables: None,
            exclude: Vec::new(),
            min_iv: 0.02,
            max_correlation: 0.8,
            selection: Selection::All,
            max_characteristics: None,
            sign_check: true,
            l2: 0.0,
            scaling: ScalingParams::new(20.0, 600.0, 50.0, OddsDirection::GoodToBad),
        }
    }
}

impl ScorecardParams {
    /// The defaults (module docs): default binning, IV ≥ 0.02, |ρ| ≤ 0.8, every remaining
    /// candidate, sign checks, no penalty, 600 points at 50:1, PDO 20.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
    /// The binning of every variable.
    #[must_use]
    pub fn binning(mut self, params: BinningParams) -> Self {
        self.binning = params;
        self
    }
    /// Consider only these columns (default: every feature column).
    #[must_use]
    pub fn variables<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.variables = Some(names.into_iter().map(Into::into).collect());
        self
    }
    /// Never use these columns (identifiers, leaks); reported as excluded.
    #[must_use]
    pub fn exclude<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.exclude.extend(names.into_iter().map(Into::into));
        self
    }
    /// Minimum information value of a candidate (finite, ≥ 0).
    #[must_use]
    pub fn min_iv(mut self, iv: f64) -> Self {
        self.min_iv = iv;
        self
    }
    /// Largest absolute correlation between the WoE columns of two kept variables (0 < ρ ≤ 1).
    #[must_use]
    pub fn max_correlation(mut self, rho: f64) -> Self {
        self.max_correlation = rho;
        self
    }
    /// How characteristics are selected among the candidates.
    #[must_use]
    pub fn selection(mut self, selection: Selection) -> Self {
        self.selection = selection;
        self
    }
    /// At most this many characteristics (≥ 1), or `None` for no cap.
    #[must_use]
    pub fn max_characteristics(mut self, max: Option<usize>) -> Self {
        self.max_characteristics = max;
        self
    }
    /// Drop characteristics whose coefficient contradicts their WoE (default on).
    #[must_use]
    pub fn sign_check(mut self, on: bool) -> Self {
        self.sign_check = on;
        self
    }
    /// L2 penalty λ ≥ 0 of the logistic regression (scikit-learn's `C = 1/λ`).
    #[must_use]
    pub fn l2(mut self, lambda: f64) -> Self {
        self.l2 = lambda;
        self
    }
    /// Points scaling.
    #[must_use]
    pub fn scaling(mut self, scaling: ScalingParams) -> Self {
        self.scaling = scaling;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    ///
    /// [`CreditError::InvalidParameter`] naming the parameter: invalid binning or scaling
    /// parameters, `min_iv` negative or not finite, `max_correlation` outside (0, 1],
    /// `max_characteristics = 0`, `l2` negative or not finite.
    pub fn build(self) -> Result<ScorecardPipeline, CreditError> {
        let invalid = |name: &'static str, value: String, reason: &'static str| {
            Err(CreditError::InvalidParameter { name, value, reason })
        };
        if !(self.min_iv.is_finite() && self.min_iv >= 0.0) {
            return invalid("min_iv", self.min_iv.to_string(), "must be finite and >= 0");
        }
        if !(self.max_correlation > 0.0 && self.max_correlation <= 1.0) {
            return invalid(
                "max_correlation",
                self.max_correlation.to_string(),
                "must be in (0, 1]",
            );
        }
        if self.max_characteristics == Some(0) {
            return invalid("max_characteristics", "0".into(), "must be at least 1");
        }
        LogisticParams::new().l2(self.l2).check()?;
        let scaling = self.scaling.build()?;
        let mut process = BinningProcessParams::new()
            .binning(self.binning.clone())
            .exclude(self.exclude.clone())
            .skip_unusable(true);
        if let Some(v) = &self.variables {
            process = process.variables(v.iter().cloned());
        }
        let process = process.build()?;
        Ok(ScorecardPipeline { params: self, process, scaling })
    }
}

/// Validated scorecard parameters, ready to fit.
#[derive(Debug, Clone, PartialEq)]
pub struct ScorecardPipeline {
    params: ScorecardParams,
    process: crate::binning::BinningProcess,
    scaling: Scaling,
}

/// What happened to a variable.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum VariableStatus {
    /// A characteristic of the scorecard.
    Kept,
    /// Excluded by the caller.
    Excluded,
    /// Cannot be binned or carries no information (constant, all missing, one bin).
    Unusable {
        /// Why.
        reason: String,
    },
    /// Information value below the minimum.
    LowIv {
        /// The minimum in force.
        min_iv: f64,
    },
    /// Its WoE is (nearly) collinear with a stronger kept variable.
    Correlated {
        /// The stronger variable.
        with: String,
        /// The Pearson correlation of the two WoE columns.
        rho: f64,
    },
    /// Not chosen by the selection step.
    NotSelected {
        /// Why (criterion not improved, cap reached, wrong sign when added, fit failed).
        reason: String,
    },
    /// Its coefficient contradicts its WoE.
    WrongSign {
        /// The coefficient in the fit that dropped it: the Newton estimate the decision was
        /// taken on (the fit stops once the decision is certain), within about 1e-4 of the
        /// converged coefficient.
        coefficient: f64,
    },
}

impl std::fmt::Display for VariableStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VariableStatus::Kept => write!(f, "kept"),
            VariableStatus::Excluded => write!(f, "dropped: excluded"),
            VariableStatus::Unusable { reason } => write!(f, "dropped: unusable ({reason})"),
            VariableStatus::LowIv { min_iv } => {
                write!(f, "dropped: IV below the minimum information value {min_iv}")
            }
            VariableStatus::Correlated { with, rho } => {
                write!(f, "dropped: correlated with {with} at rho = {rho:.4}")
            }
            VariableStatus::NotSelected { reason } => write!(f, "dropped: not selected ({reason})"),
            VariableStatus::WrongSign { coefficient } => {
                write!(f, "dropped: wrong sign (coefficient {coefficient:.4})")
            }
        }
    }
}

/// One variable's line of the fit report.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct VariableReport {
    /// The column.
    pub name: String,
    /// Numeric or categorical, when binned.
    pub kind: Option<VariableKind>,
    /// Information value, when binned.
    pub iv: Option<f64>,
    /// Number of regular bins, when binned.
    pub bins: Option<usize>,
    /// Kept or dropped, and why.
    pub status: VariableStatus,
    /// The scorecard coefficient (kept variables only).
    pub coefficient: Option<f64>,
}

/// The fate of every variable, in column order.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct FitReport {
    /// One line per feature column of the data (the target excluded).
    pub variables: Vec<VariableReport>,
    /// The selection used.
    pub selection: Selection,
    /// Rows fitted on.
    pub rows: usize,
    /// Events among them.
    pub events: usize,
}

impl FitReport {
    /// The line of one variable.
    #[must_use]
    pub fn variable(&self, name: &str) -> Option<&VariableReport> {
        self.variables.iter().find(|v| v.name == name)
    }
    /// The kept variables, in scorecard order.
    #[must_use]
    pub fn kept(&self) -> Vec<&str> {
        self.variables
            .iter()
            .filter(|v| v.status == VariableStatus::Kept)
            .map(|v| v.name.as_str())
            .collect()
    }
}

/// A fitted scorecard with the logistic model behind it and the fit report.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedScorecard {
    scorecard: Scorecard,
    model: LogisticModel,
    binning: FittedBinningProcess,
    report: FitReport,
}

impl FittedScorecard {
    /// The points scorecard.
    #[must_use]
    pub fn scorecard(&self) -> &Scorecard {
        &self.scorecard
    }
    /// The scorecard, by value.
    #[must_use]
    pub fn into_scorecard(self) -> Scorecard {
        self.scorecard
    }
    /// The logistic model on the WoE of the characteristics (inference table included).
    #[must_use]
    pub fn model(&self) -> &LogisticModel {
        &self.model
    }
    /// Every fitted binning, with the characteristics selected.
    #[must_use]
    pub fn binning(&self) -> &FittedBinningProcess {
        &self.binning
    }
    /// What happened to every variable.
    #[must_use]
    pub fn report(&self) -> &FitReport {
        &self.report
    }
}

/// |ρ| from which two WoE columns are duplicates whatever `max_correlation` says.
const DUPLICATE_RHO: f64 = 1.0 - 1e-9;
/// A criterion must fall by more than this for a candidate to enter.
const CRITERION_TOL: f64 = 1e-9;
/// Coefficient tolerance of the candidate fits of forward selection (the final fit uses the
/// logistic default, 1e-8).
const SEARCH_TOL: f64 = 1e-7;

impl ScorecardPipeline {
    /// The validated parameters.
    #[must_use]
    pub fn params(&self) -> &ScorecardParams {
        &self.params
    }

    fn logistic(&self, names: &[String], tol: f64) -> LogisticParams {
        LogisticParams::new().l2(self.params.l2).tolerance(tol).feature_names(names.to_vec())
    }

    /// Fits the pipeline (see the module docs for the steps).
    ///
    /// # Errors
    ///
    /// [`CreditError::InvalidTarget`] (no target, not 0/1, one class), [`CreditError::Schema`]
    /// for an unknown variable, [`CreditError::NonFinite`] for ±∞ in a feature,
    /// [`CreditError::Selection`] when no variable survives the steps (the report's reasons
    /// summarised), and the logistic regression's errors on the final fit.
    pub fn fit(&self, data: &Dataset) -> Result<FittedScorecard, CreditError> {
        let p = &self.params;
        let (process, mut binned_woe) = self.process.fit_with_woe(data)?;
        let y = data
            .target()
            .ok_or_else(|| CreditError::InvalidTarget("the dataset has no target column".into()))?
            .to_owned();
        let mut lines: Vec<VariableReport> = Vec::new();
        for name in data.feature_names() {
            let name = name.to_owned();
            let considered = p.variables.as_ref().is_none_or(|v| v.contains(&name));
            if !considered {
                continue;
            }
            let line = if p.exclude.contains(&name) {
                VariableReport::unbinned(name, VariableStatus::Excluded)
            } else if let Some((_, reason)) = process.skipped().iter().find(|(n, _)| *n == name) {
                VariableReport::unbinned(name, VariableStatus::Unusable { reason: reason.clone() })
            } else if let Some(b) = process.binning(&name) {
                let status = if b.iv() < p.min_iv {
                    VariableStatus::LowIv { min_iv: p.min_iv }
                } else {
                    VariableStatus::Kept
                };
                VariableReport {
                    name,
                    kind: Some(b.kind()),
                    iv: Some(b.iv()),
                    bins: Some(b.regular_bins().len()),
                    status,
                    coefficient: None,
                }
            } else {
                continue;
            };
            lines.push(line);
        }
        // Candidates in descending IV order (ties: column order).
        let mut candidates: Vec<usize> =
            (0..lines.len()).filter(|&i| lines[i].status == VariableStatus::Kept).collect();
        candidates.sort_by(|&a, &b| {
            let (ia, ib) = (lines[a].iv.unwrap_or(0.0), lines[b].iv.unwrap_or(0.0));
            ib.total_cmp(&ia).then(a.cmp(&b))
        });
        let names: Vec<String> = candidates.iter().map(|&i| lines[i].name.clone()).collect();
        // The WoE columns of the candidates (column-major: the correlation filter reads columns,
        // and each design gathers its rows from them).
        // (computed with the binning; the first error in candidate order, as a transform of
        // the candidates would report).
        let mut woe = Vec::with_capacity(names.len());
        for name in &names {
            let i = process
                .binnings()
                .iter()
                .position(|b| b.name() == name)
                .ok_or_else(|| CreditError::MissingVariable(name.clone()))?;
            let slot = binned_woe.get_mut(i).ok_or(CreditError::LengthMismatch {
                what: "WoE columns of the binning",
                expected: process.binnings().len(),
                found: i,
            })?;
            let column = std::mem::replace(slot, Ok(Array1::zeros(0)))?;
            woe.push(column);
        }
        drop(binned_woe);
        let n_rows = data.n_rows();
        let moments = moments(&woe);
        // Correlation filter, strongest first.
        let mut kept: Vec<usize> = Vec::new(); // positions in `candidates`
        for c in 0..candidates.len() {
            let Some(mc) = moments[c] else {
                lines[candidates[c]].status =
                    VariableStatus::Unusable { reason: "its WoE is constant (one bin)".into() };
                continue;
            };
            let clash = kept.iter().find_map(|&k| {
                let rho = correlation(&woe[c], mc, &woe[k], moments[k]?);
                (rho.abs() > p.max_correlation || rho.abs() >= DUPLICATE_RHO).then_some((k, rho))
            });
            match clash {
                Some((k, rho)) => {
                    lines[candidates[c]].status = VariableStatus::Correlated {
                        with: lines[candidates[k]].name.clone(),
                        rho: rho.clamp(-1.0, 1.0),
                    };
                }
                None => kept.push(c),
            }
        }
        let sign = if process
            .binnings()
            .first()
            .is_none_or(|b| b.woe_options().sign == WoeSign::BadOverGood)
        {
            1.0
        } else {
            -1.0
        };
        // Selection.
        let mut chosen: Vec<usize> = match p.selection {
            Selection::All => {
                let cap = p.max_characteristics.unwrap_or(usize::MAX);
                for &c in kept.iter().skip(cap) {
                    lines[candidates[c]].status = VariableStatus::NotSelected {
                        reason: format!("beyond the {cap} strongest by IV"),
                    };
                }
                kept.iter().copied().take(cap).collect()
            }
            Selection::ForwardAic | Selection::ForwardBic => {
                self.forward(&woe, &y, &kept, &candidates, &mut lines, sign)
            }
        };
        // Final fit and sign checks. The first fit starts from `woe_start`; after a
        // characteristic is dropped, its column leaves the design in place and the refit starts
        // from the previous fit without its coefficient (the optimum is the same from any start;
        // a near one saves most Newton iterations).
        let mut start: Option<Vec<f64>> = None;
        let mut refit = false;
        let mut design: Vec<f64> = Vec::new();
        let mut spare: Vec<f64> = Vec::new();
        columns(&woe, n_rows, &chosen, &mut design)?;
        loop {
            if chosen.is_empty() {
                return Err(CreditError::Selection(no_characteristic(&lines)));
            }
            let cols: Vec<String> = chosen.iter().map(|&c| names[c].clone()).collect();
            let x = design_view(&design, n_rows, chosen.len())?;
            let mut params = self.logistic(&cols, 1e-8);
            if start.is_none() {
                start = woe_start(&x, &y, sign);
            }
            if let Some(start) = start.take() {
                params = params.start(start);
            }
            // With sign checks, the fit may end as soon as its Newton estimate decides which
            // characteristic goes (certainly the same as at convergence, see `certain_drop`);
            // only the fit that drops nothing runs to convergence.
            let mut decided: Option<usize> = None;
            let mut rule = |e: &crate::logistic::Estimate| {
                decided = certain_drop(e, sign);
                decided.is_some()
            };
            let (model, early) = if p.sign_check {
                // A refit's design is columns of the first fit's, which that fit checked.
                params.fit_until(&x, &y, Some(&mut rule), refit)?
            } else {
                (params.fit(&x, &y)?, false)
            };
            let coef = model.coefficients();
            let wrong = if early {
                decided
            } else if p.sign_check {
                let z = model.z_values();
                let off = z.len() - coef.len();
                (0..coef.len()).filter(|&j| sign * coef[j] <= 0.0).min_by(|&a, &b| {
                    let za = sign * z[off + a];
                    let zb = sign * z[off + b];
                    za.total_cmp(&zb).then(a.cmp(&b))
                })
            } else {
                None
            };
            if let Some(j) = wrong {
                lines[candidates[chosen[j]]].status =
                    VariableStatus::WrongSign { coefficient: coef[j] };
                chosen.remove(j);
                drop_column(&mut design, &mut spare, chosen.len() + 1, j);
                // Start: the optimum of the local quadratic model under β_j = 0,
                // β − C[·, j]·β_j / C[j, j] (C the inverse information matrix), without entry j.
                let off = model.params().len() - coef.len();
                let jj = off + j;
                let c = model.covariance();
                let beta = model.params();
                let mut next: Vec<f64> = if c[[jj, jj]] > 0.0 {
                    (0..beta.len()).map(|i| beta[i] - c[[i, jj]] * beta[jj] / c[[jj, jj]]).collect()
                } else {
                    beta.to_vec()
                };
                next.remove(jj);
                start = next.iter().all(|v| v.is_finite()).then_some(next);
                refit = true;
                continue;
            }
            for (j, &c) in chosen.iter().enumerate() {
                lines[candidates[c]].coefficient = Some(coef[j]);
            }
            let selected = process.with_selection(&cols)?;
            let scorecard = Scorecard::from_logistic(&selected, &model, &self.scaling)?;
            let events = y.iter().filter(|&&v| v == 1.0).count();
            let mut report =
                FitReport { variables: lines, selection: p.selection, rows: y.len(), events };
            // Kept variables first, in scorecard order; then the others in column order.
            let order: Vec<&String> = cols.iter().collect();
            let column_order: Vec<&str> = data.feature_names();
            report.variables.sort_by_key(|v| {
                if v.status == VariableStatus::Kept {
                    (0, order.iter().position(|n| **n == v.name).unwrap_or(0))
                } else {
                    (1, column_order.iter().position(|n| *n == v.name).unwrap_or(0))
                }
            });
            return Ok(FittedScorecard { scorecard, model, binning: selected, report });
        }
    }

    /// Forward selection over `kept` (positions in `candidates`); marks the others.
    fn forward(
        &self,
        woe: &[Array1<f64>],
        y: &Array1<f64>,
        kept: &[usize],
        candidates: &[usize],
        lines: &mut [VariableReport],
        sign: f64,
    ) -> Vec<usize> {
        let p = &self.params;
        let n = y.len() as f64;
        let per_term = if p.selection == Selection::ForwardAic { 2.0 } else { n.ln() };
        let events = y.sum();
        let rate = events / n;
        let null_ll = events * rate.ln() + (n - events) * (1.0 - rate).ln();
        let mut current = -2.0 * null_ll + per_term;
        let cap = p.max_characteristics.unwrap_or(usize::MAX);
        let mut chosen: Vec<usize> = Vec::new();
        let mut last_reason: Vec<Option<String>> = vec![None; kept.len()];
        while chosen.len() < cap {
            let remaining: Vec<usize> =
                (0..kept.len()).filter(|k| !chosen.contains(&kept[*k])).collect();
            if remaining.is_empty() {
                break;
            }
            let results: Vec<Result<f64, String>> = remaining
                .par_iter()
                .map(|&r| {
                    let mut cols = chosen.clone();
                    cols.push(kept[r]);
                    let names: Vec<String> = cols.iter().map(|c| format!("v{c}")).collect();
                    let mut design = Vec::new();
                    let x = columns(woe, y.len(), &cols, &mut design)
                        .map_err(|e| format!("fit failed when added: {e}"))?;
                    let model = self
                        .logistic(&names, SEARCH_TOL)
                        .fit(&x, y)
                        .map_err(|e| format!("fit failed when added: {e}"))?;
                    if p.sign_check && model.coefficients().iter().any(|&c| sign * c <= 0.0) {
                        return Err("a coefficient would have the wrong sign".into());
                    }
                    Ok(-2.0 * model.log_likelihood() + per_term * (cols.len() + 1) as f64)
                })
                .collect();
            let mut best: Option<(usize, f64)> = None;
            for (&r, res) in remaining.iter().zip(&results) {
                match res {
                    Ok(v) => {
                        if best.is_none_or(|(_, b)| *v < b) {
                            best = Some((r, *v));
                        }
                        last_reason[r] = None;
                    }
                    Err(why) => last_reason[r] = Some(why.clone()),
                }
            }
            match best {
                Some((r, v)) if v < current - CRITERION_TOL => {
                    chosen.push(kept[r]);
                    current = v;
                }
                _ => break,
            }
        }
        let criterion = if p.selection == Selection::ForwardAic { "AIC" } else { "BIC" };
        for (r, &c) in kept.iter().enumerate() {
            if chosen.contains(&c) {
                continue;
            }
            let reason = if chosen.len() >= cap {
                format!("the cap of {cap} characteristics was reached")
            } else {
                last_reason[r].clone().unwrap_or_else(|| format!("would not lower the {criterion}"))
            };
            lines[candidates[c]].status = VariableStatus::NotSelected { reason };
        }
        chosen
    }
}

impl Fit for ScorecardPipeline {
    type Model = FittedScorecard;
    fn fit(&self, data: &Dataset) -> Result<FittedScorecard, CreditError> {
        ScorecardPipeline::fit(self, data)
    }
}

impl VariableReport {
    fn unbinned(name: String, status: VariableStatus) -> Self {
        VariableReport { name, kind: None, iv: None, bins: None, status, coefficient: None }
    }
}

/// The characteristic the sign check drops, when the Newton estimate `e` already decides it:
/// some coefficient certainly has the wrong sign (its whole interval, |β_j| within its bound,
/// contradicts the WoE), and among those the one with the most contradicting z value at the
/// optimum is certain: its interval of z values (from the coefficient bounds and the
/// standard-error factor) lies below that of every other coefficient that may have the wrong
/// sign (a coefficient within its bound of zero counts, with a z value near zero). `None` when
/// nothing is to be dropped or the decision is not yet certain: the fit then continues, and a
/// converged fit decides by the same rule with point values (ties: the first).
fn certain_drop(e: &crate::logistic::Estimate, sign: f64) -> Option<usize> {
    let off = usize::from(e.intercept);
    let coef = &e.params[off..];
    let (se, bound) = (&e.se[off..], &e.bound[off..]);
    if coef.iter().chain(se).chain(bound).any(|v| v.is_nan()) {
        return None;
    }
    let z = |j: usize| sign * coef[j] / se[j];
    let first = (0..coef.len())
        .filter(|&j| sign * coef[j] + bound[j] < 0.0)
        .min_by(|&a, &b| z(a).total_cmp(&z(b)).then(a.cmp(&b)))?;
    // sign·β_j lies in [sign·β_j − b_j, sign·β_j + b_j] and the standard error in
    // [se_j / f, se_j · f]: the highest z of `first` (all negative) against the lowest z of
    // every other coefficient whose interval reaches zero or below.
    let f = e.se_factor;
    let top = (sign * coef[first] + bound[first]) / (se[first] * f);
    (0..coef.len())
        .filter(|&j| j != first && sign * coef[j] - bound[j] <= 0.0)
        .all(|j| top < (sign * coef[j] - bound[j]) * f / se[j])
        .then_some(first)
}

/// Removes column `j` of the row-major `k`-column matrix in `design`: the other columns are
/// copied into `spare` (rows in parallel blocks), which then becomes the design.
fn drop_column(design: &mut Vec<f64>, spare: &mut Vec<f64>, k: usize, j: usize) {
    const ROWS: usize = 512;
    let n = design.len() / k.max(1);
    spare.clear();
    spare.resize(n * (k - 1), 0.0);
    if k > 1 {
        spare.par_chunks_mut(ROWS * (k - 1)).zip(design.par_chunks(ROWS * k)).for_each(
            |(to, from)| {
                for (t, f) in to.chunks_exact_mut(k - 1).zip(from.chunks_exact(k)) {
                    t[..j].copy_from_slice(&f[..j]);
                    t[j..].copy_from_slice(&f[j + 1..]);
                }
            },
        );
    }
    std::mem::swap(design, spare);
}

/// `design` as an `n × k` matrix.
fn design_view(design: &[f64], n: usize, k: usize) -> Result<ArrayView2<'_, f64>, CreditError> {
    ArrayView2::from_shape((n, k), design).map_err(|_| CreditError::LengthMismatch {
        what: "WoE design",
        expected: n * k,
        found: design.len(),
    })
}

/// The columns `cols` of the `n`-row columns `x`, row-major in `buffer` (reused, so a later
/// design needs no new allocation).
fn columns<'b>(
    x: &[Array1<f64>],
    n: usize,
    cols: &[usize],
    buffer: &'b mut Vec<f64>,
) -> Result<ArrayView2<'b, f64>, CreditError> {
    const ROWS: usize = 512;
    let k = cols.len();
    let mut sources: Vec<&[f64]> = Vec::with_capacity(k);
    for &c in cols {
        let column = x[c].as_slice().filter(|s| s.len() == n);
        sources.push(column.ok_or(CreditError::LengthMismatch {
            what: "WoE column",
            expected: n,
            found: x[c].len(),
        })?);
    }
    if buffer.capacity() < n * k {
        // Zeroed fresh memory: its pages are first touched by the parallel copy below.
        *buffer = vec![0.0; n * k];
    } else {
        buffer.clear();
        buffer.resize(n * k, 0.0);
    }
    // Row by row (each row written in order), in parallel blocks of rows.
    if k > 0 {
        buffer.par_chunks_mut(ROWS * k).enumerate().for_each(|(b, block)| {
            for (r, row) in block.chunks_exact_mut(k).enumerate() {
                let i = b * ROWS + r;
                for (to, source) in row.iter_mut().zip(&sources) {
                    *to = source[i];
                }
            }
        });
    }
    design_view(buffer, n, k)
}

/// A start for the first fit on WoE characteristics: the intercept and one common slope `c`
/// (of the WoE sign) for every characteristic, fitted by a two-parameter logistic regression on
/// the sum of the WoE values. On WoE-coded data the joint optimum is usually near such a point,
/// so Newton from there needs fewer passes than from the intercept-only fit (on the Polish
/// training file 5 Newton steps and 1 step halving instead of 8 and 3). `None` when that small
/// fit fails (the full fit then starts from the intercept-only fit).
fn woe_start(x: &ArrayView2<'_, f64>, y: &Array1<f64>, sign: f64) -> Option<Vec<f64>> {
    let total: Array1<f64> = x.rows().into_iter().map(|r| sign * r.sum()).collect();
    let total = total.insert_axis(ndarray::Axis(1));
    let model = LogisticParams::new().tolerance(1e-6).fit(&total, y).ok()?;
    let b0 = model.intercept();
    let c = model.coefficients()[0];
    let mut start = vec![sign * c; x.ncols() + 1];
    start[0] = b0;
    start.iter().all(|v| v.is_finite()).then_some(start)
}

/// The mean and the root-mean-square deviation of each column (`None`: constant column).
fn moments(x: &[Array1<f64>]) -> Vec<Option<(f64, f64)>> {
    x.par_iter()
        .map(|col| {
            let n = col.len() as f64;
            let mean = col.sum() / n;
            let sd = (centred_dot(col, mean, col, mean) / n).sqrt();
            (sd > 1e-12 * mean.abs().max(1.0) && sd.is_finite()).then_some((mean, sd))
        })
        .collect()
}

/// The correlation of two columns with their [`moments`].
fn correlation(
    x: &Array1<f64>,
    (mx, sx): (f64, f64),
    y: &Array1<f64>,
    (my, sy): (f64, f64),
) -> f64 {
    centred_dot(x, mx, y, my) / (x.len() as f64 * sx * sy)
}

/// `Σ (x_i − mx)(y_i − my)`, in eight interleaved sums (so it vectorises), without a centred
/// copy of either column.
fn centred_dot(x: &Array1<f64>, mx: f64, y: &Array1<f64>, my: f64) -> f64 {
    const LANES: usize = 8;
    let (Some(x), Some(y)) = (x.as_slice(), y.as_slice()) else {
        return x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    };
    let mut acc = [0.0_f64; LANES];
    let (xc, yc) = (x.chunks_exact(LANES), y.chunks_exact(LANES));
    let tail: f64 =
        xc.remainder().iter().zip(yc.remainder()).map(|(a, b)| (a - mx) * (b - my)).sum();
    for (a, b) in xc.zip(yc) {
        for l in 0..LANES {
            acc[l] += (a[l] - mx) * (b[l] - my);
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// A one-line summary of why nothing was kept.
fn no_characteristic(lines: &[VariableReport]) -> String {
    let best = lines
        .iter()
        .filter_map(|l| l.iv.map(|iv| (l, iv)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or_else(
            || "no variable could be binned".to_owned(),
            |(l, iv)| format!("highest IV: {} {iv:.4}, {}", l.name, l.status),
        );
    format!("no characteristic left after selection ({} variables; {best})", lines.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_spellings_round_trip() {
        finkit_schema::check_spellings::<Selection>().unwrap();
        assert_eq!("forward-bic".parse::<Selection>().unwrap(), Selection::ForwardBic);
        assert!("stepwise".parse::<Selection>().is_err());
    }

    #[test]
    fn params_are_validated() {
        assert!(ScorecardParams::new().min_iv(-1.0).build().is_err());
        assert!(ScorecardParams::new().min_iv(f64::NAN).build().is_err());
        assert!(ScorecardParams::new().max_correlation(0.0).build().is_err());
        assert!(ScorecardParams::new().max_correlation(1.5).build().is_err());
        assert!(ScorecardParams::new().max_characteristics(Some(0)).build().is_err());
        assert!(ScorecardParams::new().l2(-1.0).build().is_err());
        assert!(ScorecardParams::new().binning(BinningParams::new().prebins(1)).build().is_err());
        assert!(ScorecardParams::new().build().is_ok());
    }

    fn estimate(coef: &[f64], se: &[f64], bound: f64, f: f64) -> crate::logistic::Estimate {
        let mut params = vec![-1.0];
        params.extend_from_slice(coef);
        let mut s = vec![1.0];
        s.extend_from_slice(se);
        crate::logistic::Estimate {
            params,
            bound: vec![bound; s.len()],
            se: s,
            se_factor: f,
            intercept: true,
        }
    }

    #[test]
    fn a_drop_is_decided_early_only_when_certain() {
        // z values: 0.8/0.1 = 8, −0.2/0.1 = −2, −0.3/0.05 = −6 → the third goes.
        let se = [0.1, 0.1, 0.05];
        assert_eq!(certain_drop(&estimate(&[0.8, -0.2, -0.3], &se, 1e-6, 1.0001), 1.0), Some(2));
        // With the opposite sign convention the first is the only contradicting one.
        assert_eq!(certain_drop(&estimate(&[0.8, -0.2, -0.3], &se, 1e-6, 1.0001), -1.0), Some(0));
        // No wrong sign: nothing to decide early (the fit converges).
        assert_eq!(certain_drop(&estimate(&[0.8, 0.2, 0.3], &se, 1e-6, 1.0), 1.0), None);
        // A sign within its bound of zero does not block a clear drop (if wrong, its z value is
        // near zero), but one that could still be the most contradicting does.
        assert_eq!(certain_drop(&estimate(&[0.8, -0.2, 1e-7], &se, 1e-6, 1.0), 1.0), Some(1));
        let tiny_se = estimate(&[0.8, -0.2, 1e-7], &[0.1, 0.1, 1e-8], 1e-6, 1.0);
        assert_eq!(certain_drop(&tiny_se, 1.0), None);
        // Only signs within their bounds of zero: nothing is certainly wrong.
        assert_eq!(certain_drop(&estimate(&[0.8, -1e-7, 1e-7], &se, 1e-6, 1.0), 1.0), None);
        // Overlapping z intervals (−6 vs −5.9 with a 5 % standard-error factor): not certain.
        let close = estimate(&[0.8, -0.295, -0.3], &[0.1, 0.05, 0.05], 1e-6, 1.05);
        assert_eq!(certain_drop(&close, 1.0), None);
        let tight = estimate(&[0.8, -0.295, -0.3], &[0.1, 0.05, 0.05], 1e-6, 1.000_01);
        assert_eq!(certain_drop(&tight, 1.0), Some(2));
        // Equal z values are never certain.
        let tie = estimate(&[0.8, -0.3, -0.3], &[0.1, 0.05, 0.05], 0.0, 1.0);
        assert_eq!(certain_drop(&tie, 1.0), None);
    }

    #[test]
    fn dropping_a_column_equals_gathering_the_others() {
        let x: Vec<Array1<f64>> =
            (0..5).map(|j| (0..1100).map(|i| (i * 10 + j) as f64).collect()).collect();
        for j in 0..4 {
            let mut design = Vec::new();
            columns(&x, 1100, &[4, 0, 2, 3], &mut design).unwrap();
            drop_column(&mut design, &mut Vec::new(), 4, j);
            let mut kept = vec![4, 0, 2, 3];
            kept.remove(j);
            let mut want = Vec::new();
            columns(&x, 1100, &kept, &mut want).unwrap();
            assert_eq!(want[..kept.len()], kept.iter().map(|&c| c as f64).collect::<Vec<_>>()[..]);
            assert_eq!(design, want, "column {j}");
        }
    }

    #[test]
    fn moments_flag_constant_columns_and_correlations_are_exact() {
        let x = [ndarray::array![1.0, 1.0, 1.0], ndarray::array![2.0, 4.0, 6.0]];
        let m = moments(&x);
        assert!(m[0].is_none());
        let (mean, sd) = m[1].unwrap();
        assert_eq!(mean, 4.0);
        assert!((sd - (8.0_f64 / 3.0).sqrt()).abs() < 1e-15);
        // Over 8 lanes and a tail: against the plain formula.
        let a: Array1<f64> = (0..21).map(|i| (i as f64 * 0.7).sin()).collect();
        let b: Array1<f64> = a.mapv(|v| -2.0 * v + 0.1);
        let c: Array1<f64> = (0..21).map(|i| (i as f64 * 1.3).cos()).collect();
        let m = moments(&[a.clone(), b.clone(), c.clone()]);
        let rho_ab = correlation(&a, m[0].unwrap(), &b, m[1].unwrap());
        assert!((rho_ab + 1.0).abs() < 1e-14, "{rho_ab}");
        let (ma, sa) = m[0].unwrap();
        let (mc, sc) = m[2].unwrap();
        let plain: f64 =
            a.iter().zip(&c).map(|(x, y)| (x - ma) * (y - mc)).sum::<f64>() / (21.0 * sa * sc);
        assert!((correlation(&a, m[0].unwrap(), &c, m[2].unwrap()) - plain).abs() < 1e-14);
    }
}
