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

/// The text form of a sector shock, `SECTOR:SPEC[,SPEC]`, where each `SPEC` is `pd*F`, `pd+A`,
/// `lgd*F` or `lgd+A` (a factor `F ≥ 0` or a shift `A`, which may be negative: `lgd+-0.05`).
/// The sector is everything before the last `:`, so a sector name may itself hold `:` or `,`.
/// [`Display`](std::fmt::Display) writes the same form, so the two round-trip.
///
/// ```
/// use finkit_risk::portfolio::{SectorShock, Shock};
/// let s: SectorShock = "Construction:pd*1.5,lgd+0.1".parse()?;
/// assert_eq!(s.sector, "Construction");
/// assert_eq!((s.pd, s.lgd), (Some(Shock::Multiplicative(1.5)), Some(Shock::Additive(0.1))));
/// assert_eq!(s.to_string(), "Construction:pd*1.5,lgd+0.1");
/// assert!("Construction:pd/2".parse::<SectorShock>().is_err());
/// # Ok::<(), finkit_risk::RiskError>(())
/// ```
impl std::str::FromStr for SectorShock {
    type Err = RiskError;

    fn from_str(text: &str) -> Result<Self, RiskError> {
        let bad = |reason: &'static str| RiskError::InvalidParameter {
            name: "sector shock",
            value: format!("{text:?}"),
            reason,
        };
        const FORM: &str = "expected SECTOR:pd*F, SECTOR:pd+A, SECTOR:lgd*F or SECTOR:lgd+A \
                            (two specs joined by a comma shock both)";
        let (sector, specs) = text.rsplit_once(':').ok_or_else(|| bad(FORM))?;
        let sector = sector.trim();
        if sector.is_empty() {
            return Err(bad("the sector name is empty"));
        }
        let mut shock = SectorShock { sector: sector.to_owned(), pd: None, lgd: None };
        for spec in specs.split(',') {
            let spec = spec.trim();
            let (slot, rest) = if let Some(rest) = spec.strip_prefix("pd") {
                (&mut shock.pd, rest)
            } else if let Some(rest) = spec.strip_prefix("lgd") {
                (&mut shock.lgd, rest)
            } else {
                return Err(bad(FORM));
            };
            let value = |v: &str| v.trim().parse::<f64>().map_err(|_| bad(FORM));
            let parsed = if let Some(v) = rest.strip_prefix('*') {
                Shock::Multiplicative(value(v)?)
            } else if let Some(v) = rest.strip_prefix('+') {
                Shock::Additive(value(v)?)
            } else {
                return Err(bad(FORM));
            };
            parsed.check()?;
            if slot.replace(parsed).is_some() {
                return Err(bad("the same quantity is shocked twice"));
            }
        }
        Ok(shock)
    }
}

impl std::fmt::Display for SectorShock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:", self.sector)?;
        let mut sep = "";
        for (name, shock) in [("pd", self.pd), ("lgd", self.lgd)] {
            match shock {
                Some(Shock::Multiplicative(x)) => write!(f, "{sep}{name}*{x}")?,
                Some(Shock::Additive(x)) => write!(f, "{sep}{name}+{x}")?,
                None => continue,
            }
            sep = ",";
        }
        Ok(())
    }
}

/// One value that a shock pushed out of [0, 1] and that was capped.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn parses_each_form_and_rejects_the_rest() {
        let s: SectorShock = "Retail:pd+-0.01".parse().unwrap();
        assert_eq!(s.pd, Some(Shock::Additive(-0.01)));
        let s: SectorShock = "A:B:lgd*2".parse().unwrap();
        assert_eq!((s.sector.as_str(), s.lgd), ("A:B", Some(Shock::Multiplicative(2.0))));
        for bad in [
            "",
            "Retail",
            ":pd*2",
            "Retail:",
            "Retail:pd",
            "Retail:pd*",
            "Retail:pd*x",
            "Retail:pd/2",
            "Retail:ead*2",
            "Retail:pd*-1",
            "Retail:pd*NaN",
            "Retail:pd+inf",
            "Retail:pd*2,pd+0.1",
        ] {
            assert!(bad.parse::<SectorShock>().is_err(), "{bad:?} was accepted");
        }
    }

    fn shock() -> impl Strategy<Value = Option<Shock>> {
        prop_oneof![
            Just(None),
            (0.0..10.0f64).prop_map(|x| Some(Shock::Multiplicative(x))),
            (-1.0..1.0f64).prop_map(|x| Some(Shock::Additive(x))),
        ]
    }

    proptest! {
        #[test]
        fn display_round_trips(sector in "[A-Za-z][A-Za-z0-9 :,]{0,12}", pd in shock(), lgd in shock()) {
            prop_assume!(pd.is_some() || lgd.is_some());
            let s = SectorShock { sector: sector.trim().to_owned(), pd, lgd };
            prop_assume!(!s.sector.is_empty());
            let back: SectorShock = s.to_string().parse().unwrap();
            prop_assert_eq!(back, s);
        }
    }
}
