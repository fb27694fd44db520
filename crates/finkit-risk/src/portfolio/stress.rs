//! Stress testing: PD / LGD shocks by sector and macro scenarios on the systematic factor.

use finkit_schema::{Portfolio, PortfolioColumns};

use super::irb::{IrbOptions, irb_portfolio};
use super::loss_model::AssetCorrelation;
use super::vasicek::cond_pd;
use crate::RiskError;

/// A shock to a PD or an LGD.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Shock {
    /// `x · factor` (factor ≥ 0).
    Multiplicative(f64),
    /// `x + shift` (shift may be negative).
    Additive(f64),
}

impl Shock {
    fn apply(self, x: f64) -> f64 {
        match self {
            Shock::Multiplicative(f) => x * f,
            Shock::Additive(a) => x + a,
        }
    }
    fn check(self) -> Result<(), RiskError> {
        match self {
            Shock::Multiplicative(f) if !(f.is_finite() && f >= 0.0) => {
                Err(RiskError::InvalidParameter {
                    name: "multiplicative shock",
                    value: f.to_string(),
                    reason: "must be finite and non-negative",
                })
            }
            Shock::Additive(a) if !a.is_finite() => Err(RiskError::InvalidParameter {
                name: "additive shock",
                value: a.to_string(),
                reason: "must be finite",
            }),
            _ => Ok(()),
        }
    }
}

/// What happens when a shocked PD or LGD leaves [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum OutOfRange {
    /// Fail with [`RiskError::StressOutOfRange`] naming the obligor and value (default).
    #[default]
    Error,
    /// Cap to [0, 1] and list every capped value in [`StressResult::capped`].
    CapAndReport,
}

/// Shocks to one sector (`None` = unchanged).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SectorShock {
    /// The sector name, as in [`Portfolio::sectors`].
    pub sector: String,
    /// The PD shock.
    pub pd: Option<Shock>,
    /// The LGD shock.
    pub lgd: Option<Shock>,
}

/// One value that a shock pushed out of [0, 1] and that was capped.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CappedValue {
    /// The obligor id.
    pub id: String,
    /// "pd" or "lgd".
    pub what: &'static str,
    /// The shocked value before capping.
    pub raw: f64,
    /// The value used.
    pub capped: f64,
}

/// EL and capital of a portfolio.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RiskSummary {
    /// Expected loss Σ PD·LGD·EAD (PD after the IRB floor).
    pub expected_loss: f64,
    /// IRB capital Σ K·EAD.
    pub capital: f64,
    /// IRB RWA.
    pub rwa: f64,
    /// ASRF loss at the IRB confidence level.
    pub asrf_loss: f64,
}

/// A stress test result: the stressed portfolio and EL / capital before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct StressResult {
    /// Before the stress.
    pub before: RiskSummary,
    /// After the stress.
    pub after: RiskSummary,
    /// The stressed portfolio.
    pub stressed: Portfolio,
    /// Values capped under [`OutOfRange::CapAndReport`] (empty otherwise).
    pub capped: Vec<CappedValue>,
}

fn summary(p: &Portfolio, irb: &IrbOptions) -> Result<RiskSummary, RiskError> {
    let r = irb_portfolio(p, irb)?;
    Ok(RiskSummary {
        expected_loss: r.total_expected_loss,
        capital: r.total_capital,
        rwa: r.total_rwa,
        asrf_loss: r.total_asrf_loss,
    })
}

/// Applies PD and LGD shocks by sector and reports EL and IRB capital before and after.
///
/// Each sector may appear once; sectors without a shock are unchanged.
///
/// # Errors
///
/// [`RiskError::UnknownSector`] for a shock to a sector absent from the portfolio (a typo
/// would otherwise silently stress nothing); [`RiskError::InvalidParameter`] for a bad shock or
/// a repeated sector; [`RiskError::StressOutOfRange`] under [`OutOfRange::Error`]; the errors of
/// [`irb_portfolio`].
pub fn stress_by_sector(
    portfolio: &Portfolio,
    shocks: &[SectorShock],
    rule: OutOfRange,
    irb: &IrbOptions,
) -> Result<StressResult, RiskError> {
    if portfolio.is_empty() {
        return Err(RiskError::Empty("portfolio"));
    }
    for (k, s) in shocks.iter().enumerate() {
        if !portfolio.sectors().contains(&s.sector) {
            return Err(RiskError::UnknownSector(s.sector.clone()));
        }
        if shocks[..k].iter().any(|t| t.sector == s.sector) {
            return Err(RiskError::InvalidParameter {
                name: "sector shocks",
                value: s.sector.clone(),
                reason: "sector appears twice",
            });
        }
        s.pd.map(Shock::check).transpose()?;
        s.lgd.map(Shock::check).transpose()?;
    }
    let mut c = PortfolioColumns::from(portfolio.clone());
    let mut capped = Vec::new();
    for i in 0..c.ids.len() {
        let Some(s) = shocks.iter().find(|s| s.sector == c.sectors[i]) else { continue };
        for (what, shock, value) in [("pd", s.pd, &mut c.pd[i]), ("lgd", s.lgd, &mut c.lgd[i])] {
            let Some(shock) = shock else { continue };
            let raw = shock.apply(*value);
            if (0.0..=1.0).contains(&raw) {
                *value = raw;
                continue;
            }
            match rule {
                OutOfRange::Error => {
                    return Err(RiskError::StressOutOfRange {
                        what,
                        id: c.ids[i].clone(),
                        value: raw,
                    });
                }
                OutOfRange::CapAndReport => {
                    let v = raw.clamp(0.0, 1.0);
                    capped.push(CappedValue { id: c.ids[i].clone(), what, raw, capped: v });
                    *value = v;
                }
            }
        }
    }
    let stressed = Portfolio::new(c)?;
    Ok(StressResult {
        before: summary(portfolio, irb)?,
        after: summary(&stressed, irb)?,
        stressed,
        capped,
    })
}

/// Macro scenario: every PD becomes its PD conditional on the systematic factor `Z = z` of the
/// one-factor Gaussian copula, `N((G(PD) − √ρ z)/√(1−ρ))`; EL and capital before and after.
///
/// Sign: **negative z is a downturn** (default when `√ρ Z + √(1−ρ) ε < G(PD)`); `z = G(0.001)
/// ≈ −3.09` is the IRB's 99.9 % scenario.
///
/// # Errors
///
/// [`RiskError::NonFinite`] for a non-finite z; errors of [`AssetCorrelation::resolve`] and
/// [`irb_portfolio`].
pub fn macro_scenario(
    portfolio: &Portfolio,
    z: f64,
    correlation: &AssetCorrelation,
    irb: &IrbOptions,
) -> Result<StressResult, RiskError> {
    if !z.is_finite() {
        return Err(RiskError::NonFinite { what: "factor value", index: 0, value: z });
    }
    if portfolio.is_empty() {
        return Err(RiskError::Empty("portfolio"));
    }
    let rho = correlation.resolve(portfolio)?;
    let pd: Vec<f64> =
        (0..portfolio.len()).map(|i| cond_pd(portfolio.pd()[i], rho[i], -z)).collect();
    let stressed = portfolio.clone().with_pd(pd.into())?;
    Ok(StressResult {
        before: summary(portfolio, irb)?,
        after: summary(&stressed, irb)?,
        stressed,
        capped: Vec::new(),
    })
}
