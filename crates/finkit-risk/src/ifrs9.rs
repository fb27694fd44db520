//! IFRS 9 impairment: stage assignment and 12-month / lifetime expected credit loss (ECL) of
//! amortising loans from a PD term structure.
//!
//! Conventions (each explicit in the API, defaults documented):
//! - periods are years; a default in year t costs `LGD · EAD_t` at the **end** of year t,
//!   discounted at the effective interest rate (EIR) as `(1 + EIR)^−t`;
//! - marginal PDs are unconditional: `cum(t) − cum(t−1)`;
//! - `EAD_t` is the exposure at the **start** of year t ([`EadSchedule`]);
//! - 12-month ECL is the year-1 term; lifetime ECL is the sum over the loan's years; stage 3 ECL
//!   is `LGD · EAD_1` (the loan has defaulted, no discounting).
//!
//! ```
//! use finkit_risk::ifrs9::{expected_credit_loss, EadSchedule, PdTermStructure, Stage};
//! use ndarray::array;
//!
//! let pd = PdTermStructure::from_cumulative(&array![0.01, 0.025, 0.045])?;
//! let ead = EadSchedule::linear_amortising(9.0, 3)?;
//! let ecl = expected_credit_loss(&pd, &ead, finkit_risk::schema::Lgd::new(0.45)?, 0.05)?;
//! assert!((ecl.twelve_month() - 0.01 * 0.45 * 9.0 / 1.05).abs() < 1e-15);
//! assert!(ecl.lifetime() > ecl.twelve_month());
//! assert_eq!(ecl.for_stage(Stage::Stage2), ecl.lifetime());
//! # Ok::<(), finkit_risk::RiskError>(())
//! ```

use ndarray::{Array1, ArrayRef1};

use crate::RiskError;
use crate::transition::TransitionMatrix;

/// The IFRS 9 impairment stage of an exposure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Stage {
    /// Performing, no significant increase in credit risk: 12-month ECL.
    Stage1,
    /// Significant increase in credit risk since origination: lifetime ECL.
    Stage2,
    /// Credit-impaired (defaulted): lifetime ECL on the defaulted exposure.
    Stage3,
}

/// Why an exposure was put in its stage.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum StageReason {
    /// The exposure is flagged as defaulted (stage 3).
    Defaulted,
    /// Days past due reached the stage 3 backstop.
    DaysPastDueStage3 {
        /// Days past due.
        days: u32,
    },
    /// Days past due reached the stage 2 backstop.
    DaysPastDueStage2 {
        /// Days past due.
        days: u32,
    },
    /// The PD rose significantly since origination.
    PdIncrease {
        /// PD at origination.
        origination: f64,
        /// PD at the reporting date.
        current: f64,
    },
    /// The PD is below the low-credit-risk threshold, so no SICR test is applied (stage 1).
    LowCreditRisk,
    /// No trigger fired (stage 1).
    Performing,
}

/// How the relative and absolute PD-change thresholds combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum SicrCombination {
    /// Every configured threshold must be breached (a relative test guarded by an absolute
    /// floor, so that 0.01 % → 0.03 % is not a significant increase). The default.
    #[default]
    All,
    /// Any configured threshold suffices.
    Any,
}

/// Parameters of the staging rule; validated by [`StagingRule::new`].
///
/// Defaults: relative threshold 2.0 (the PD at least doubled), absolute threshold 0.005
/// (+50 bp), [`SicrCombination::All`], 30 days past due → stage 2, 90 days past due → stage 3,
/// no low-credit-risk exemption. The PDs compared are whatever the caller passes (12-month or
/// lifetime, annualised or not); both must be of the same kind.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StagingParams {
    /// SICR when `current ≥ relative · origination` (and `current > origination`); `None` = no
    /// relative test. Must be > 1.
    pub relative_threshold: Option<f64>,
    /// SICR when `current − origination ≥ absolute`; `None` = no absolute test. Must be in (0, 1].
    pub absolute_threshold: Option<f64>,
    /// How the two tests combine when both are set.
    pub combination: SicrCombination,
    /// Days past due from which an exposure is in stage 2 (the IFRS 9 5.5.11 rebuttable
    /// presumption is 30).
    pub dpd_stage2: u32,
    /// Days past due from which an exposure is in stage 3 (the default definition's 90).
    pub dpd_stage3: u32,
    /// Exposures whose current PD is at most this are stage 1 unless past due or defaulted
    /// (IFRS 9 5.5.10 low-credit-risk simplification); `None` = not used.
    pub low_credit_risk_pd: Option<f64>,
}

impl Default for StagingParams {
    fn default() -> Self {
        StagingParams {
            relative_threshold: Some(2.0),
            absolute_threshold: Some(0.005),
            combination: SicrCombination::All,
            dpd_stage2: 30,
            dpd_stage3: 90,
            low_credit_risk_pd: None,
        }
    }
}

/// What the staging rule needs to know about one exposure.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StagingInput {
    /// PD at initial recognition.
    pub pd_origination: f64,
    /// PD at the reporting date (same horizon as `pd_origination`).
    pub pd_current: f64,
    /// Days past due at the reporting date.
    pub days_past_due: u32,
    /// Whether the exposure is in default (credit-impaired).
    pub defaulted: bool,
}

/// A validated IFRS 9 staging rule.
///
/// ```
/// use finkit_risk::ifrs9::{Stage, StagingInput, StagingParams, StagingRule};
/// let rule = StagingRule::new(StagingParams::default())?;
/// let x = StagingInput { pd_origination: 0.01, pd_current: 0.03, days_past_due: 0, defaulted: false };
/// assert_eq!(rule.assess(&x)?.0, Stage::Stage2);
/// let late = StagingInput { days_past_due: 95, ..x };
/// assert_eq!(rule.assess(&late)?.0, Stage::Stage3);
/// # Ok::<(), finkit_risk::RiskError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "StagingRuleData"))]
pub struct StagingRule {
    params: StagingParams,
}

/// Serialised form of [`StagingRule`]; deserialisation re-validates.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct StagingRuleData {
    params: StagingParams,
}

#[cfg(feature = "serde")]
impl TryFrom<StagingRuleData> for StagingRule {
    type Error = RiskError;
    fn try_from(d: StagingRuleData) -> Result<Self, RiskError> {
        StagingRule::new(d.params)
    }
}

impl StagingRule {
    /// Validates the parameters.
    ///
    /// # Errors
    ///
    /// [`RiskError::InvalidParameter`] when neither PD threshold is set, a threshold is out of
    /// range or not finite, or `dpd_stage2 > dpd_stage3`.
    pub fn new(params: StagingParams) -> Result<StagingRule, RiskError> {
        if params.relative_threshold.is_none() && params.absolute_threshold.is_none() {
            return Err(RiskError::InvalidParameter {
                name: "relative_threshold/absolute_threshold",
                value: "none".into(),
                reason: "at least one PD-change threshold is needed",
            });
        }
        if let Some(r) = params.relative_threshold
            && !(r.is_finite() && r > 1.0)
        {
            return Err(RiskError::InvalidParameter {
                name: "relative_threshold",
                value: r.to_string(),
                reason: "must be finite and above 1",
            });
        }
        if let Some(a) = params.absolute_threshold
            && !(a > 0.0 && a <= 1.0)
        {
            return Err(RiskError::InvalidParameter {
                name: "absolute_threshold",
                value: a.to_string(),
                reason: "must be in (0, 1]",
            });
        }
        if let Some(l) = params.low_credit_risk_pd
            && !(0.0..=1.0).contains(&l)
        {
            return Err(RiskError::InvalidParameter {
                name: "low_credit_risk_pd",
                value: l.to_string(),
                reason: "must be in [0, 1]",
            });
        }
        if params.dpd_stage2 > params.dpd_stage3 {
            return Err(RiskError::InvalidParameter {
                name: "dpd_stage2",
                value: params.dpd_stage2.to_string(),
                reason: "must not exceed dpd_stage3",
            });
        }
        Ok(StagingRule { params })
    }

    /// The validated parameters.
    #[must_use]
    pub fn params(&self) -> &StagingParams {
        &self.params
    }

    /// Assigns the stage, in this order: defaulted or ≥ `dpd_stage3` → stage 3; ≥ `dpd_stage2`
    /// → stage 2; PD at most the low-credit-risk threshold → stage 1; a significant PD increase
    /// → stage 2; otherwise stage 1.
    ///
    /// # Errors
    ///
    /// [`RiskError::Schema`] when a PD is NaN, infinite or outside [0, 1].
    pub fn assess(&self, x: &StagingInput) -> Result<(Stage, StageReason), RiskError> {
        let po = check_probability("pd_origination", x.pd_origination)?;
        let pc = check_probability("pd_current", x.pd_current)?;
        let p = &self.params;
        if x.defaulted {
            return Ok((Stage::Stage3, StageReason::Defaulted));
        }
        if x.days_past_due >= p.dpd_stage3 {
            return Ok((Stage::Stage3, StageReason::DaysPastDueStage3 { days: x.days_past_due }));
        }
        if x.days_past_due >= p.dpd_stage2 {
            return Ok((Stage::Stage2, StageReason::DaysPastDueStage2 { days: x.days_past_due }));
        }
        if let Some(l) = p.low_credit_risk_pd
            && pc <= l
        {
            return Ok((Stage::Stage1, StageReason::LowCreditRisk));
        }
        let rel = p.relative_threshold.map(|r| pc > po && pc >= r * po);
        let abs = p.absolute_threshold.map(|a| pc - po >= a);
        let tests = [rel, abs];
        let set = tests.iter().flatten();
        let sicr = match p.combination {
            SicrCombination::All => set.clone().all(|&b| b),
            SicrCombination::Any => set.clone().any(|&b| b),
        };
        if sicr {
            Ok((Stage::Stage2, StageReason::PdIncrease { origination: po, current: pc }))
        } else {
            Ok((Stage::Stage1, StageReason::Performing))
        }
    }
}

fn check_probability(what: &'static str, v: f64) -> Result<f64, RiskError> {
    finkit_schema::Probability::new(v).map(|p| p.get()).map_err(|e| match e {
        finkit_schema::SchemaError::NonFinite { value, .. } => {
            finkit_schema::SchemaError::NonFinite { what, value }.into()
        }
        finkit_schema::SchemaError::OutOfRange { range, value, .. } => {
            finkit_schema::SchemaError::OutOfRange { what, range, value }.into()
        }
        other => other.into(),
    })
}

/// A cumulative PD term structure by year: element `t − 1` is the probability of default within
/// `t` years. Validated: finite, in [0, 1], non-decreasing.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "PdTermStructureData"))]
pub struct PdTermStructure {
    cumulative: Array1<f64>,
}

/// Serialised form of [`PdTermStructure`]; deserialisation re-validates.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct PdTermStructureData {
    cumulative: Array1<f64>,
}

#[cfg(feature = "serde")]
impl TryFrom<PdTermStructureData> for PdTermStructure {
    type Error = RiskError;
    fn try_from(d: PdTermStructureData) -> Result<Self, RiskError> {
        PdTermStructure::from_cumulative(&d.cumulative)
    }
}

impl PdTermStructure {
    /// From cumulative PDs for years 1, 2, ….
    ///
    /// # Errors
    ///
    /// [`RiskError::Empty`] for no years; [`RiskError::Schema`] for a PD that is not finite or
    /// not in [0, 1]; [`RiskError::InvalidParameter`] when a cumulative PD decreases.
    pub fn from_cumulative(cumulative: &ArrayRef1<f64>) -> Result<PdTermStructure, RiskError> {
        if cumulative.is_empty() {
            return Err(RiskError::Empty("cumulative pd term structure"));
        }
        let mut prev = 0.0;
        for &c in cumulative.iter() {
            check_probability("cumulative pd", c)?;
            if c < prev {
                return Err(RiskError::InvalidParameter {
                    name: "cumulative pd",
                    value: format!("{c} after {prev}"),
                    reason: "must be non-decreasing in the horizon",
                });
            }
            prev = c;
        }
        Ok(PdTermStructure { cumulative: cumulative.to_owned() })
    }

    /// From marginal (unconditional) PDs of years 1, 2, …: `cum(t) = Σ_{s ≤ t} marginal(s)`.
    ///
    /// # Errors
    ///
    /// As [`Self::from_cumulative`], plus a negative marginal PD or a sum above 1.
    pub fn from_marginal(marginal: &ArrayRef1<f64>) -> Result<PdTermStructure, RiskError> {
        let mut cum = Array1::zeros(marginal.len());
        let mut acc = 0.0;
        for (t, &m) in marginal.iter().enumerate() {
            check_probability("marginal pd", m)?;
            acc += m;
            cum[t] = acc;
        }
        Self::from_cumulative(&cum)
    }

    /// From the cumulative default probabilities of a rating in a transition matrix, for
    /// `years` years ([`TransitionMatrix::cumulative_pd`]).
    ///
    /// # Errors
    ///
    /// As [`TransitionMatrix::cumulative_pd`]; [`RiskError::Empty`] for zero years.
    pub fn from_transition(
        tm: &TransitionMatrix,
        state: usize,
        years: u32,
    ) -> Result<PdTermStructure, RiskError> {
        Self::from_cumulative(&tm.cumulative_pd(state, years)?)
    }

    /// Number of years covered.
    #[must_use]
    pub fn years(&self) -> usize {
        self.cumulative.len()
    }

    /// Cumulative PDs.
    #[must_use]
    pub fn cumulative(&self) -> Array1<f64> {
        self.cumulative.clone()
    }

    /// Unconditional marginal PDs `cum(t) − cum(t−1)`, `cum(0) = 0`.
    #[must_use]
    pub fn marginal(&self) -> Array1<f64> {
        let mut prev = 0.0;
        self.cumulative.mapv(|c| {
            let m = c - prev;
            prev = c;
            m
        })
    }

    /// The 12-month PD (year 1).
    #[must_use]
    pub fn twelve_month(&self) -> f64 {
        self.cumulative[0]
    }
}

/// Exposure at default at the start of each year of a loan's life. Validated: non-empty,
/// finite, non-negative.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "EadScheduleData"))]
pub struct EadSchedule {
    ead: Array1<f64>,
}

/// Serialised form of [`EadSchedule`]; deserialisation re-validates.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct EadScheduleData {
    ead: Array1<f64>,
}

#[cfg(feature = "serde")]
impl TryFrom<EadScheduleData> for EadSchedule {
    type Error = RiskError;
    fn try_from(d: EadScheduleData) -> Result<Self, RiskError> {
        EadSchedule::new(&d.ead)
    }
}

impl EadSchedule {
    /// Any schedule, one EAD per year.
    ///
    /// # Errors
    ///
    /// [`RiskError::Empty`], [`RiskError::NonFinite`], or [`RiskError::Schema`] for a negative
    /// EAD.
    pub fn new(ead: &ArrayRef1<f64>) -> Result<EadSchedule, RiskError> {
        if ead.is_empty() {
            return Err(RiskError::Empty("ead schedule"));
        }
        for (index, &value) in ead.iter().enumerate() {
            if !value.is_finite() {
                return Err(RiskError::NonFinite { what: "ead", index, value });
            }
            finkit_schema::Amount::new(value)?;
        }
        Ok(EadSchedule { ead: ead.to_owned() })
    }

    /// Straight-line amortisation over `years`: `EAD_t = EAD₀ · (1 − (t − 1)/years)`.
    ///
    /// # Errors
    ///
    /// [`RiskError::InvalidParameter`] for zero years; [`RiskError::Schema`] for a negative or
    /// non-finite `ead0`.
    pub fn linear_amortising(ead0: f64, years: u32) -> Result<EadSchedule, RiskError> {
        let ead0 = check_amount(ead0)?;
        let n = check_years(years)?;
        let y = f64::from(years);
        Ok(EadSchedule { ead: Array1::from_shape_fn(n, |i| ead0 * (1.0 - i as f64 / y)) })
    }

    /// Bullet repayment: `EAD_t = EAD₀` for every year.
    ///
    /// # Errors
    ///
    /// As [`Self::linear_amortising`].
    pub fn bullet(ead0: f64, years: u32) -> Result<EadSchedule, RiskError> {
        let ead0 = check_amount(ead0)?;
        Ok(EadSchedule { ead: Array1::from_elem(check_years(years)?, ead0) })
    }

    /// Annuity (French) amortisation at annual rate `rate`: the outstanding balance at the start
    /// of year t, `EAD₀ · (1 − (1+r)^{−(n−t+1)}) / (1 − (1+r)^{−n})` (straight division by n when
    /// r = 0).
    ///
    /// # Errors
    ///
    /// As [`Self::linear_amortising`], plus [`RiskError::InvalidParameter`] for a rate that is not
    /// finite or not above −1.
    pub fn annuity(ead0: f64, years: u32, rate: f64) -> Result<EadSchedule, RiskError> {
        let ead0 = check_amount(ead0)?;
        let n = check_years(years)?;
        if !rate.is_finite() || rate <= -1.0 {
            return Err(RiskError::InvalidParameter {
                name: "rate",
                value: rate.to_string(),
                reason: "must be finite and above -1",
            });
        }
        let ann = |k: f64| if rate == 0.0 { k } else { 1.0 - (1.0 + rate).powf(-k) };
        let total = ann(n as f64);
        Ok(EadSchedule { ead: Array1::from_shape_fn(n, |i| ead0 * ann((n - i) as f64) / total) })
    }

    /// The EAD by year.
    #[must_use]
    pub fn values(&self) -> Array1<f64> {
        self.ead.clone()
    }

    /// Number of years.
    #[must_use]
    pub fn years(&self) -> usize {
        self.ead.len()
    }
}

fn check_amount(v: f64) -> Result<f64, RiskError> {
    Ok(finkit_schema::Amount::new(v)?.get())
}

fn check_years(years: u32) -> Result<usize, RiskError> {
    if years == 0 {
        return Err(RiskError::InvalidParameter {
            name: "years",
            value: "0".into(),
            reason: "must be at least 1",
        });
    }
    Ok(years as usize)
}

/// The ECL of one loan with its year-by-year terms (a result: serialisable, not deserialisable).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Ecl {
    marginal_pd: Array1<f64>,
    ead: Array1<f64>,
    discount: Array1<f64>,
    losses: Array1<f64>,
    lifetime: f64,
    stage3: f64,
}

impl Ecl {
    /// 12-month ECL (the year-1 term).
    #[must_use]
    pub fn twelve_month(&self) -> f64 {
        self.losses[0]
    }

    /// Lifetime ECL (sum of the yearly terms).
    #[must_use]
    pub fn lifetime(&self) -> f64 {
        self.lifetime
    }

    /// Stage 3 ECL: `LGD · EAD_1` (the loan has defaulted; undiscounted).
    #[must_use]
    pub fn stage3(&self) -> f64 {
        self.stage3
    }

    /// The ECL for a stage: 12-month, lifetime or defaulted.
    #[must_use]
    pub fn for_stage(&self, stage: Stage) -> f64 {
        match stage {
            Stage::Stage1 => self.twelve_month(),
            Stage::Stage2 => self.lifetime(),
            Stage::Stage3 => self.stage3(),
        }
    }

    /// Marginal PDs used, by year.
    #[must_use]
    pub fn marginal_pd(&self) -> Array1<f64> {
        self.marginal_pd.clone()
    }

    /// EADs used, by year.
    #[must_use]
    pub fn ead(&self) -> Array1<f64> {
        self.ead.clone()
    }

    /// Discount factors `(1 + EIR)^−t`, by year.
    #[must_use]
    pub fn discount(&self) -> Array1<f64> {
        self.discount.clone()
    }

    /// Discounted expected losses by year (`marginal PD · LGD · EAD · discount`).
    #[must_use]
    pub fn losses(&self) -> Array1<f64> {
        self.losses.clone()
    }
}

/// 12-month and lifetime ECL of a loan whose life is the length of `ead`.
///
/// # Formula
///
/// ```text
/// ECL_t      = (cum(t) − cum(t−1)) · LGD · EAD_t · (1 + EIR)^−t
/// 12-month   = ECL_1
/// lifetime   = Σ_{t=1..T} ECL_t,   T = number of years of the EAD schedule
/// stage 3    = LGD · EAD_1
/// ```
///
/// # Errors
///
/// [`RiskError::LengthMismatch`] when the PD term structure is shorter than the schedule (a
/// longer one is truncated); [`RiskError::InvalidParameter`] for an EIR that is not finite or not above −1.
pub fn expected_credit_loss(
    pd: &PdTermStructure,
    ead: &EadSchedule,
    lgd: finkit_schema::Lgd,
    eir: f64,
) -> Result<Ecl, RiskError> {
    let lgd = lgd.get();
    if !eir.is_finite() || eir <= -1.0 {
        return Err(RiskError::InvalidParameter {
            name: "eir",
            value: eir.to_string(),
            reason: "must be finite and above -1",
        });
    }
    let n = ead.years();
    if pd.years() < n {
        return Err(RiskError::LengthMismatch {
            what: "pd term structure",
            expected: n,
            found: pd.years(),
        });
    }
    let full = pd.marginal();
    let marginal = Array1::from_shape_fn(n, |i| full[i]);
    let discount = Array1::from_shape_fn(n, |i| (1.0 + eir).powf(-((i + 1) as f64)));
    let losses = Array1::from_shape_fn(n, |i| marginal[i] * lgd * ead.ead[i] * discount[i]);
    let lifetime = losses.iter().sum();
    Ok(Ecl {
        marginal_pd: marginal,
        ead: ead.ead.clone(),
        discount,
        losses,
        lifetime,
        stage3: lgd * ead.ead[0],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use finkit_schema::Lgd;
    use ndarray::array;

    #[test]
    fn staging_order_and_thresholds() {
        let rule = StagingRule::new(StagingParams::default()).unwrap();
        let base = StagingInput {
            pd_origination: 0.001,
            pd_current: 0.003,
            days_past_due: 0,
            defaulted: false,
        };
        // Tripled but only +20 bp: both tests required by default.
        assert_eq!(rule.assess(&base).unwrap().0, Stage::Stage1);
        let any = StagingRule::new(StagingParams {
            combination: SicrCombination::Any,
            ..StagingParams::default()
        })
        .unwrap();
        assert_eq!(any.assess(&base).unwrap().0, Stage::Stage2);
        assert_eq!(
            rule.assess(&StagingInput { days_past_due: 30, ..base }).unwrap().0,
            Stage::Stage2
        );
        assert_eq!(
            rule.assess(&StagingInput { days_past_due: 29, ..base }).unwrap().0,
            Stage::Stage1
        );
        assert_eq!(
            rule.assess(&StagingInput { days_past_due: 90, ..base }).unwrap().0,
            Stage::Stage3
        );
        assert_eq!(
            rule.assess(&StagingInput { defaulted: true, ..base }).unwrap().1,
            StageReason::Defaulted
        );
        let lcr = StagingRule::new(StagingParams {
            low_credit_risk_pd: Some(0.05),
            ..StagingParams::default()
        })
        .unwrap();
        let big = StagingInput { pd_current: 0.04, ..base };
        assert_eq!(rule.assess(&big).unwrap().0, Stage::Stage2);
        assert_eq!(lcr.assess(&big).unwrap(), (Stage::Stage1, StageReason::LowCreditRisk));
        assert!(rule.assess(&StagingInput { pd_current: f64::NAN, ..base }).is_err());
        assert!(rule.assess(&StagingInput { pd_origination: 1.5, ..base }).is_err());
    }

    #[test]
    fn staging_params_validated() {
        let bad = [
            StagingParams {
                relative_threshold: None,
                absolute_threshold: None,
                ..StagingParams::default()
            },
            StagingParams { relative_threshold: Some(0.9), ..StagingParams::default() },
            StagingParams { absolute_threshold: Some(f64::NAN), ..StagingParams::default() },
            StagingParams { dpd_stage2: 100, ..StagingParams::default() },
        ];
        for p in bad {
            assert!(
                matches!(StagingRule::new(p), Err(RiskError::InvalidParameter { .. })),
                "{p:?}"
            );
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn deserialisation_revalidates() {
        let ead = EadSchedule::bullet(2.0, 3).unwrap();
        let text = serde_json::to_string(&ead).unwrap();
        assert_eq!(serde_json::from_str::<EadSchedule>(&text).unwrap(), ead);
        assert!(serde_json::from_str::<EadSchedule>(&text.replace("2.0", "-2.0")).is_err());
        let pd = PdTermStructure::from_cumulative(&array![0.01, 0.03]).unwrap();
        let text = serde_json::to_string(&pd).unwrap();
        assert_eq!(serde_json::from_str::<PdTermStructure>(&text).unwrap(), pd);
        assert!(serde_json::from_str::<PdTermStructure>(&text.replace("0.03", "0.001")).is_err());
        let rule = StagingRule::new(StagingParams::default()).unwrap();
        let text = serde_json::to_string(&rule).unwrap();
        assert_eq!(serde_json::from_str::<StagingRule>(&text).unwrap(), rule);
        assert!(serde_json::from_str::<StagingRule>(&text.replace("2.0", "0.5")).is_err());
    }

    #[test]
    fn schedules() {
        assert_eq!(
            EadSchedule::linear_amortising(10.0, 5).unwrap().values()[4],
            10.0 * (1.0 - 4.0 / 5.0)
        );
        assert_eq!(EadSchedule::bullet(3.0, 2).unwrap().values(), array![3.0, 3.0]);
        let a = EadSchedule::annuity(100.0, 3, 0.05).unwrap().values();
        assert!((a[0] - 100.0).abs() < 1e-12);
        let pay = 100.0 * 0.05 / (1.0 - 1.05f64.powi(-3));
        assert!((a[1] - (100.0 * 1.05 - pay)).abs() < 1e-12);
        assert!(EadSchedule::linear_amortising(-1.0, 5).is_err());
        assert!(EadSchedule::linear_amortising(1.0, 0).is_err());
        assert!(EadSchedule::new(&array![1.0, f64::INFINITY]).is_err());
    }

    #[test]
    fn term_structure_validation() {
        assert!(PdTermStructure::from_cumulative(&array![0.02, 0.01]).is_err());
        assert!(PdTermStructure::from_cumulative(&array![]).is_err());
        assert!(PdTermStructure::from_marginal(&array![0.6, 0.6]).is_err());
        let t = PdTermStructure::from_marginal(&array![0.01, 0.02]).unwrap();
        assert!((t.cumulative()[1] - 0.03).abs() < 1e-17);
        let pd = PdTermStructure::from_cumulative(&array![0.01]).unwrap();
        let ead = EadSchedule::bullet(1.0, 2).unwrap();
        assert!(matches!(
            expected_credit_loss(&pd, &ead, Lgd::new(0.4).unwrap(), 0.05),
            Err(RiskError::LengthMismatch { .. })
        ));
        let ead1 = EadSchedule::bullet(1.0, 1).unwrap();
        assert!(Lgd::new(1.4).is_err());
        assert!(expected_credit_loss(&pd, &ead1, Lgd::new(0.4).unwrap(), f64::NAN).is_err());
    }
}
