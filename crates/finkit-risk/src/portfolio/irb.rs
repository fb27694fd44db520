//! Basel IRB capital for corporate exposures (BCBS 2006 ¶272–273 = Basel Framework CRE31.4–31.6).

use finkit_schema::{Lgd, Maturity, Portfolio, Probability};

use super::math::{check_level, norm_cdf, norm_inv};
use crate::RiskError;

/// The PD floor applied before the IRB formula.
///
/// The default is [`PdFloor::None`], which reproduces the reference tables (the floor is a
/// regulatory choice of the caller, not part of the risk-weight function).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum PdFloor {
    /// No floor (default).
    #[default]
    None,
    /// 0.03 % (Basel II ¶285).
    Basel2,
    /// 0.05 % (Basel III CRE32.13).
    Basel3,
    /// A caller-chosen floor in `[0, 1]`.
    Custom(f64),
}

impl PdFloor {
    /// The named floors with their one spelling each (the CLI's `--pd-floor` values); a
    /// [`PdFloor::Custom`] floor is spelled as its number.
    pub const NAMED: [(PdFloor, &'static str); 3] =
        [(PdFloor::None, "none"), (PdFloor::Basel2, "basel2"), (PdFloor::Basel3, "basel3")];

    /// The floor as a probability.
    #[must_use]
    pub fn value(self) -> f64 {
        match self {
            PdFloor::None => 0.0,
            PdFloor::Basel2 => 0.0003,
            PdFloor::Basel3 => 0.0005,
            PdFloor::Custom(v) => v,
        }
    }
}

/// `none`, `basel2`, `basel3` ([`PdFloor::NAMED`]) or a number in `[0, 1]` (a custom floor).
///
/// ```
/// use finkit_risk::portfolio::PdFloor;
/// assert_eq!("basel3".parse::<PdFloor>()?, PdFloor::Basel3);
/// assert_eq!("0.001".parse::<PdFloor>()?, PdFloor::Custom(0.001));
/// assert_eq!(PdFloor::Custom(0.001).to_string(), "0.001");
/// assert!("1.5".parse::<PdFloor>().is_err());
/// # Ok::<(), finkit_risk::RiskError>(())
/// ```
impl std::str::FromStr for PdFloor {
    type Err = RiskError;
    fn from_str(text: &str) -> Result<Self, RiskError> {
        if let Some((floor, _)) = PdFloor::NAMED.iter().find(|(_, s)| *s == text) {
            return Ok(*floor);
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() && (0.0..=1.0).contains(&v) => Ok(PdFloor::Custom(v)),
            _ => Err(RiskError::InvalidParameter {
                name: "pd_floor",
                value: text.to_owned(),
                reason: "must be none, basel2, basel3 or a probability in [0, 1]",
            }),
        }
    }
}

impl std::fmt::Display for PdFloor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match PdFloor::NAMED.iter().find(|(floor, _)| floor == self) {
            Some((_, s)) => f.write_str(s),
            None => write!(f, "{}", self.value()),
        }
    }
}

/// Unchecked parameters of the IRB corporate formula: set what differs from the defaults, then
/// [`IrbParams::build`] validates them into [`IrbOptions`] (the workspace's parameter pattern,
/// see `docs/ARCHITECTURE.md`).
///
/// Defaults: no PD floor, no 1.06 scaling, confidence 99.9 %, SME adjustment on.
///
/// ```
/// use finkit_risk::portfolio::{IrbOptions, PdFloor};
/// let options = IrbOptions::params().pd_floor(PdFloor::Basel3).scaling_106(true).build()?;
/// assert!(options.scaling_106() && options.sme_adjustment());
/// assert!(IrbOptions::params().confidence(1.0).build().is_err());
/// # Ok::<(), finkit_risk::RiskError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct IrbParams {
    pd_floor: PdFloor,
    scaling_106: bool,
    confidence: f64,
    sme_adjustment: bool,
}

impl Default for IrbParams {
    fn default() -> Self {
        IrbParams {
            pd_floor: PdFloor::None,
            scaling_106: false,
            confidence: 0.999,
            sme_adjustment: true,
        }
    }
}

impl IrbParams {
    /// The default parameters.
    #[must_use]
    pub fn new() -> Self {
        IrbParams::default()
    }
    /// The PD floor, see [`PdFloor`].
    #[must_use]
    pub fn pd_floor(mut self, pd_floor: PdFloor) -> Self {
        self.pd_floor = pd_floor;
        self
    }
    /// Multiply risk weights and RWA by 1.06 (Basel II ¶44, EU CRR Art. 153(1)).
    #[must_use]
    pub fn scaling_106(mut self, on: bool) -> Self {
        self.scaling_106 = on;
        self
    }
    /// The ASRF confidence level (99.9 % in the Accord), strictly between 0 and 1.
    #[must_use]
    pub fn confidence(mut self, confidence: f64) -> Self {
        self.confidence = confidence;
        self
    }
    /// Apply the firm-size correlation adjustment for sales below EUR 50 m.
    #[must_use]
    pub fn sme_adjustment(mut self, on: bool) -> Self {
        self.sme_adjustment = on;
        self
    }
    /// Validates the parameters.
    ///
    /// # Errors
    ///
    /// [`RiskError::InvalidParameter`] when the confidence is not in (0, 1) or a custom floor is
    /// not in [0, 1].
    pub fn build(self) -> Result<IrbOptions, RiskError> {
        check_level("confidence", self.confidence)?;
        let f = self.pd_floor.value();
        if !(f.is_finite() && (0.0..=1.0).contains(&f)) {
            return Err(RiskError::InvalidParameter {
                name: "pd_floor",
                value: f.to_string(),
                reason: "must lie in [0, 1]",
            });
        }
        Ok(IrbOptions(self))
    }
}

/// Validated options of the IRB corporate formula: built by [`IrbParams::build`] (start from
/// [`IrbOptions::params`]) or taken from `Default`; deserialisation validates the same way.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "IrbParams", into = "IrbParams"))]
pub struct IrbOptions(IrbParams);

impl TryFrom<IrbParams> for IrbOptions {
    type Error = RiskError;
    fn try_from(params: IrbParams) -> Result<Self, RiskError> {
        params.build()
    }
}

impl From<IrbOptions> for IrbParams {
    fn from(options: IrbOptions) -> IrbParams {
        options.0
    }
}

impl IrbOptions {
    /// The default parameters, to change and [`build`](IrbParams::build).
    #[must_use]
    pub fn params() -> IrbParams {
        IrbParams::default()
    }
    /// The PD floor.
    #[must_use]
    pub fn pd_floor(&self) -> PdFloor {
        self.0.pd_floor
    }
    /// Whether the 1.06 scaling factor is applied.
    #[must_use]
    pub fn scaling_106(&self) -> bool {
        self.0.scaling_106
    }
    /// The confidence level.
    #[must_use]
    pub fn confidence(&self) -> f64 {
        self.0.confidence
    }
    /// Whether the SME correlation adjustment is applied.
    #[must_use]
    pub fn sme_adjustment(&self) -> bool {
        self.0.sme_adjustment
    }
    fn scaling(&self) -> f64 {
        if self.0.scaling_106 { 1.06 } else { 1.0 }
    }
}

/// The IRB quantities of one exposure (per unit of EAD unless stated).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct IrbExposure {
    /// PD after the floor.
    pub pd: f64,
    /// Asset correlation R (SME-adjusted where it applies).
    pub correlation: f64,
    /// Maturity-adjustment slope b(PD).
    pub b: f64,
    /// Maturity adjustment MA.
    pub maturity_adjustment: f64,
    /// Conditional PD at the confidence level, N((G(PD) + √R G(q)) / √(1−R)).
    pub conditional_pd: f64,
    /// Capital requirement K per unit EAD (without the 1.06 factor).
    pub k: f64,
    /// Risk weight 12.5·K (× 1.06 when chosen).
    pub risk_weight: f64,
}

/// Basel corporate asset correlation with the optional SME adjustment.
///
/// The PD is a [`Probability`], so it is always in `[0, 1]`; the result lies in `[0.08, 0.24]`
/// (up to rounding).
///
/// # Formula
///
/// ```text
/// e = (1 − exp(−50 PD)) / (1 − exp(−50))
/// R = 0.12 e + 0.24 (1 − e) − 0.04 (1 − (min(max(S, 5), 50) − 5) / 45)    S = sales in EUR m
/// ```
/// The SME term is dropped when `sales_eur_m` is `None`; it is zero for S ≥ 50.
///
/// ```
/// use finkit_risk::portfolio::asset_correlation;
/// use finkit_risk::schema::Probability;
/// let r = asset_correlation(Probability::new(0.01)?, Some(5.0))?;
/// assert!((0.08..=0.24).contains(&r));
/// assert!(asset_correlation(Probability::new(0.01)?, Some(f64::NAN)).is_err());
/// # Ok::<(), finkit_risk::RiskError>(())
/// ```
///
/// # Errors
///
/// [`RiskError::InvalidParameter`] for sales that are negative or not finite.
pub fn asset_correlation(pd: Probability, sales_eur_m: Option<f64>) -> Result<f64, RiskError> {
    if let Some(s) = sales_eur_m {
        check_sales(s)?;
    }
    Ok(basel_correlation(pd.get(), sales_eur_m))
}

/// The one check of annual sales (EUR m) shared by the public IRB entry points.
fn check_sales(s: f64) -> Result<f64, RiskError> {
    if s.is_finite() && s >= 0.0 {
        Ok(s)
    } else {
        Err(RiskError::InvalidParameter {
            name: "sales_eur_m",
            value: s.to_string(),
            reason: "must be finite and non-negative",
        })
    }
}

/// [`asset_correlation`] on values already known to be valid (a PD in `[0, 1]`, finite
/// non-negative sales), as they are in a validated `Portfolio`.
pub(crate) fn basel_correlation(pd: f64, sales_eur_m: Option<f64>) -> f64 {
    let e = (1.0 - (-50.0 * pd).exp()) / (1.0 - (-50.0_f64).exp());
    let mut r = 0.12 * e + 0.24 * (1.0 - e);
    if let Some(s) = sales_eur_m {
        let s = s.clamp(5.0, 50.0);
        r -= 0.04 * (1.0 - (s - 5.0) / 45.0);
    }
    r
}

/// The Basel cap on the effective maturity M, in years (CRE32.47).
pub const MAX_MATURITY: f64 = 5.0;

/// The IRB corporate formula for one exposure.
///
/// # Formula
///
/// ```text
/// b  = (0.11852 − 0.05478 ln PD)²
/// M' = min(M, 5)                                   (Basel caps effective maturity at 5 years)
/// MA = (1 + (M' − 2.5) b) / (1 − 1.5 b)
/// K  = LGD · (N((G(PD) + √R G(q)) / √(1 − R)) − PD) · MA
/// RW = 12.5 · K (· 1.06)
/// ```
/// PD is floored first. A maturity above 5 years is capped at 5 (CRE32.47: M is "in no case
/// greater than 5 years"), so K never exceeds LGD; maturities below 1 year are used as given
/// (the 1-year floor has exceptions the formula cannot know about). PD = 0 gives K = 0 (b and MA are reported as 0 and 1: the formula is
/// undefined there);
/// PD = 1 gives K = 0 as the formula does — defaulted exposures need the separate
/// `max(0, LGD − EL_best)` rule, which is not applied here.
///
/// # Errors
///
/// [`RiskError::InvalidParameter`] for negative or non-finite sales (PD, LGD and maturity are
/// checked by their types).
///
/// ```
/// use finkit_risk::portfolio::{IrbOptions, irb_corporate};
/// use finkit_risk::schema::{Lgd, Maturity, Probability};
/// let x = irb_corporate(
///     Probability::new(0.01)?,
///     Lgd::new(0.45)?,
///     Maturity::new(2.5)?,
///     None,
///     &IrbOptions::default(),
/// )?;
/// assert!((x.risk_weight - 0.923_168).abs() < 1e-6);
/// # Ok::<(), finkit_risk::RiskError>(())
/// ```
pub fn irb_corporate(
    pd: Probability,
    lgd: Lgd,
    maturity: Maturity,
    sales_eur_m: Option<f64>,
    options: &IrbOptions,
) -> Result<IrbExposure, RiskError> {
    if let Some(s) = sales_eur_m {
        check_sales(s)?;
    }
    Ok(irb_exposure(pd.get(), lgd.get(), maturity.get(), sales_eur_m, options))
}

/// [`irb_corporate`] on values already known to be valid (PD and LGD in `[0, 1]`, a positive
/// finite maturity, finite non-negative sales), as a validated `Portfolio` guarantees: the one
/// copy of the formula.
pub(crate) fn irb_exposure(
    pd: f64,
    lgd: f64,
    maturity: f64,
    sales_eur_m: Option<f64>,
    options: &IrbOptions,
) -> IrbExposure {
    let pd = pd.max(options.pd_floor().value());
    let sales = if options.sme_adjustment() { sales_eur_m } else { None };
    let r = basel_correlation(pd, sales);
    if pd == 0.0 {
        return IrbExposure {
            pd,
            correlation: r,
            b: 0.0,
            maturity_adjustment: 1.0,
            conditional_pd: 0.0,
            k: 0.0,
            risk_weight: 0.0,
        };
    }
    let b = (0.11852 - 0.05478 * pd.ln()).powi(2);
    let ma = (1.0 + (maturity.min(MAX_MATURITY) - 2.5) * b) / (1.0 - 1.5 * b);
    let cond =
        norm_cdf((norm_inv(pd) + r.sqrt() * norm_inv(options.confidence())) / (1.0 - r).sqrt());
    let k = (lgd * cond - pd * lgd) * ma;
    IrbExposure {
        pd,
        correlation: r,
        b,
        maturity_adjustment: ma,
        conditional_pd: cond,
        k,
        risk_weight: 12.5 * k * options.scaling(),
    }
}

/// Per-obligor and total IRB results of a portfolio.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct IrbPortfolioResult {
    /// The options used.
    pub options: IrbOptions,
    /// One entry per obligor, in portfolio order.
    pub exposures: Vec<IrbExposure>,
    /// Expected loss per obligor, PD·LGD·EAD (PD after the floor).
    pub expected_loss: Vec<f64>,
    /// RWA per obligor, RW·EAD.
    pub rwa: Vec<f64>,
    /// Capital per obligor, K·EAD (× 1.06 when chosen).
    pub capital: Vec<f64>,
    /// ASRF loss at the confidence level per obligor, LGD·EAD·conditional PD.
    pub asrf_loss: Vec<f64>,
    /// Σ expected loss.
    pub total_expected_loss: f64,
    /// Σ RWA.
    pub total_rwa: f64,
    /// Σ capital (= 8 % of RWA).
    pub total_capital: f64,
    /// Σ ASRF loss (portfolio loss quantile in the ASRF model).
    pub total_asrf_loss: f64,
    /// Σ EAD.
    pub total_ead: f64,
}

impl IrbPortfolioResult {
    /// RWA density: total RWA / total EAD (0 for a zero-exposure portfolio).
    #[must_use]
    pub fn rwa_density(&self) -> f64 {
        if self.total_ead > 0.0 { self.total_rwa / self.total_ead } else { 0.0 }
    }
}

/// Expected loss Σ PD·LGD·EAD of a portfolio (no PD floor).
///
/// # Errors
///
/// [`RiskError::Empty`] for an empty portfolio.
pub fn expected_loss(portfolio: &Portfolio) -> Result<f64, RiskError> {
    if portfolio.is_empty() {
        return Err(RiskError::Empty("portfolio"));
    }
    let (pd, lgd, ead) = (portfolio.pd(), portfolio.lgd(), portfolio.ead());
    Ok((0..portfolio.len()).map(|i| pd[i] * lgd[i] * ead[i]).sum())
}

/// IRB corporate capital of every obligor of a portfolio (annual sales read as EUR m).
///
/// # Errors
///
/// [`RiskError::Empty`] for an empty portfolio; otherwise as [`irb_corporate`].
pub fn irb_portfolio(
    portfolio: &Portfolio,
    options: &IrbOptions,
) -> Result<IrbPortfolioResult, RiskError> {
    if portfolio.is_empty() {
        return Err(RiskError::Empty("portfolio"));
    }
    let (pd, lgd, ead, m) =
        (portfolio.pd(), portfolio.lgd(), portfolio.ead(), portfolio.maturity());
    let sales = portfolio.annual_sales();
    let n = portfolio.len();
    let mut res = IrbPortfolioResult {
        options: *options,
        exposures: Vec::with_capacity(n),
        expected_loss: Vec::with_capacity(n),
        rwa: Vec::with_capacity(n),
        capital: Vec::with_capacity(n),
        asrf_loss: Vec::with_capacity(n),
        total_expected_loss: 0.0,
        total_rwa: 0.0,
        total_capital: 0.0,
        total_asrf_loss: 0.0,
        total_ead: portfolio.total_ead(),
    };
    for i in 0..n {
        let x = irb_exposure(pd[i], lgd[i], m[i], sales[i], options);
        let el = x.pd * lgd[i] * ead[i];
        let rwa = x.risk_weight * ead[i];
        let cap = x.k * options.scaling() * ead[i];
        let asrf = lgd[i] * ead[i] * x.conditional_pd;
        res.total_expected_loss += el;
        res.total_rwa += rwa;
        res.total_capital += cap;
        res.total_asrf_loss += asrf;
        res.exposures.push(x);
        res.expected_loss.push(el);
        res.rwa.push(rwa);
        res.capital.push(cap);
        res.asrf_loss.push(asrf);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `irb_corporate` from plain numbers, each checked by its type.
    fn irb(
        pd: f64,
        lgd: f64,
        m: f64,
        sales: Option<f64>,
        o: &IrbOptions,
    ) -> Result<IrbExposure, RiskError> {
        irb_corporate(Probability::new(pd)?, Lgd::new(lgd)?, Maturity::new(m)?, sales, o)
    }

    #[test]
    fn published_bcbs_point() {
        let o = IrbOptions::default();
        let x = irb(0.01, 0.45, 2.5, None, &o).unwrap();
        assert!((x.risk_weight * 100.0 - 92.3168).abs() < 1e-4);
        let x = irb(0.01, 0.45, 2.5, Some(5.0), &o).unwrap();
        assert!((x.risk_weight * 100.0 - 72.3947).abs() < 1e-4);
    }

    #[test]
    fn floors_scaling_and_edges() {
        let o = IrbOptions::params().pd_floor(PdFloor::Basel3).scaling_106(true).build().unwrap();
        let x = irb(0.0001, 0.45, 2.5, None, &o).unwrap();
        let y = irb(0.0005, 0.45, 2.5, None, &IrbOptions::default()).unwrap();
        assert_eq!(x.pd, 0.0005);
        assert!((x.risk_weight - 1.06 * y.risk_weight).abs() < 1e-15);
        let z = irb(0.0, 0.45, 2.5, None, &IrbOptions::default()).unwrap();
        assert_eq!(z.k, 0.0);
        assert_eq!((z.b, z.maturity_adjustment), (0.0, 1.0));
        assert!(irb(1.2, 0.45, 2.5, None, &o).is_err());
        assert!(irb(0.01, 0.45, 2.5, Some(f64::NAN), &o).is_err());
        assert!(irb(0.01, 0.45, 2.5, Some(-1.0), &o).is_err());
        assert!(IrbOptions::params().confidence(1.0).build().is_err());
        assert!(IrbOptions::params().pd_floor(PdFloor::Custom(-0.1)).build().is_err());
        assert!(IrbOptions::params().pd_floor(PdFloor::Custom(f64::NAN)).build().is_err());
    }

    #[test]
    fn pd_floor_spellings_round_trip() {
        for floor in [PdFloor::None, PdFloor::Basel2, PdFloor::Basel3, PdFloor::Custom(0.0007)] {
            assert_eq!(floor.to_string().parse::<PdFloor>().unwrap(), floor);
        }
        for bad in ["Basel3", "", "nan", "-0.1", "inf"] {
            assert!(bad.parse::<PdFloor>().is_err(), "{bad}");
        }
    }

    #[test]
    fn maturity_is_capped_at_five_years() {
        let o = IrbOptions::default();
        let five = irb(0.0003, 0.45, 5.0, None, &o).unwrap();
        for m in [5.5, 30.0, 100.0] {
            let x = irb(0.0003, 0.45, m, None, &o).unwrap();
            assert_eq!(x.k.to_bits(), five.k.to_bits(), "M = {m}");
        }
        // K stays below LGD over the whole PD range at any maturity
        for j in 1..=1000 {
            let pd = f64::from(j) / 1000.0;
            let x = irb(pd, 1.0, 100.0, None, &o).unwrap();
            assert!(x.k <= 1.0, "pd {pd}: K {}", x.k);
        }
    }
}
