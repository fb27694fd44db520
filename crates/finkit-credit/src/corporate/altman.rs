//! Altman's Z-score family: Z (1968, public manufacturers), Z′ (private firms), Z″
//! (non-manufacturers) and Z″-EM (emerging markets, Z″ + 3.25), with their zones.

use finkit_schema::{FinancialRatios, Probability};

use super::{finite, positive};
use crate::{CreditError, FeatureRecord, PdModel};

/// Which Altman model.
///
/// # Formula
///
/// ```text
/// X1 = working capital / total assets      X2 = retained earnings / total assets
/// X3 = EBIT / total assets                 X4 = equity / total liabilities
/// X5 = sales / total assets
///
/// Z    (1968)   = 1.2 X1 + 1.4 X2 + 3.3 X3 + 0.6 X4 + 1.0 X5     X4 on market equity
/// Z    original = 1.2 X1 + 1.4 X2 + 3.3 X3 + 0.6 X4 + 0.999 X5   (the paper's .012…, .999
///                                                                with X1..X4 in percent)
/// Z′   (private)= 0.717 X1 + 0.847 X2 + 3.107 X3 + 0.420 X4 + 0.998 X5   X4 on book equity
/// Z″            = 6.56 X1 + 3.26 X2 + 6.72 X3 + 1.05 X4                 X4 on book equity
/// Z″-EM         = Z″ + 3.25
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum AltmanVariant {
    /// Altman (1968), the commonly quoted form with X5 coefficient 1.0. Default.
    #[default]
    Z1968,
    /// Altman (1968) exactly as published: X5 coefficient 0.999.
    Z1968Original,
    /// Z′ for private firms (book equity in X4).
    ZPrime,
    /// Z″ for non-manufacturers (four ratios, book equity).
    ZDoublePrime,
    /// Z″-EM for emerging-market corporates: Z″ + 3.25.
    ZDoublePrimeEm,
}

impl AltmanVariant {
    fn coefficients(self) -> [f64; 5] {
        match self {
            AltmanVariant::Z1968 => [1.2, 1.4, 3.3, 0.6, 1.0],
            AltmanVariant::Z1968Original => [1.2, 1.4, 3.3, 0.6, 0.999],
            AltmanVariant::ZPrime => [0.717, 0.847, 3.107, 0.420, 0.998],
            AltmanVariant::ZDoublePrime | AltmanVariant::ZDoublePrimeEm => {
                [6.56, 3.26, 6.72, 1.05, 0.0]
            }
        }
    }
    fn constant(self) -> f64 {
        if self == AltmanVariant::ZDoublePrimeEm { 3.25 } else { 0.0 }
    }
    /// The zone cut-offs `(distress below, safe above)`.
    ///
    /// Z: 1.81 / 2.99; Z′: 1.23 / 2.90; Z″: 1.10 / 2.60; Z″-EM: 4.35 / 5.85 (Z″'s cut-offs
    /// shifted by the 3.25 constant).
    #[must_use]
    pub fn cutoffs(self) -> (f64, f64) {
        match self {
            AltmanVariant::Z1968 | AltmanVariant::Z1968Original => (1.81, 2.99),
            AltmanVariant::ZPrime => (1.23, 2.90),
            AltmanVariant::ZDoublePrime => (1.10, 2.60),
            AltmanVariant::ZDoublePrimeEm => (4.35, 5.85),
        }
    }
    /// Whether X4 uses the market value of equity (only the 1968 model).
    #[must_use]
    pub fn uses_market_equity(self) -> bool {
        matches!(self, AltmanVariant::Z1968 | AltmanVariant::Z1968Original)
    }
    /// Whether X5 (sales / assets) enters the score.
    #[must_use]
    pub fn uses_sales(self) -> bool {
        !matches!(self, AltmanVariant::ZDoublePrime | AltmanVariant::ZDoublePrimeEm)
    }
}

/// Altman's zone of a score: distress below the lower cut-off, safe above the upper one, grey in
/// between (both cut-offs included in grey).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Zone {
    /// Above the upper cut-off.
    Safe,
    /// Between the cut-offs.
    Grey,
    /// Below the lower cut-off.
    Distress,
}

/// The five Altman ratios X1…X5, validated finite.
///
/// X4 is equity / total liabilities: market equity for [`AltmanVariant::Z1968`], book equity for
/// the other variants. X5 may be 0 for Z″ (unused).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AltmanRatios {
    /// X1, working capital / total assets.
    pub x1: f64,
    /// X2, retained earnings / total assets.
    pub x2: f64,
    /// X3, EBIT / total assets.
    pub x3: f64,
    /// X4, equity (market or book) / total liabilities.
    pub x4: f64,
    /// X5, sales / total assets.
    pub x5: f64,
}

impl AltmanRatios {
    /// The ratios from statement amounts (any one unit).
    ///
    /// # Errors
    ///
    /// [`CreditError::NonFinite`] for a non-finite amount, [`CreditError::InvalidParameter`] for
    /// total assets or liabilities that are not positive.
    pub fn from_amounts(
        working_capital: f64,
        retained_earnings: f64,
        ebit: f64,
        equity: f64,
        total_liabilities: f64,
        sales: f64,
        total_assets: f64,
    ) -> Result<AltmanRatios, CreditError> {
        let ta = positive("total_assets", total_assets)?;
        let tl = positive("total_liabilities", total_liabilities)?;
        Ok(AltmanRatios {
            x1: finite("working_capital", working_capital)? / ta,
            x2: finite("retained_earnings", retained_earnings)? / ta,
            x3: finite("ebit", ebit)? / ta,
            x4: finite("equity", equity)? / tl,
            x5: finite("sales", sales)? / ta,
        })
    }

    /// The book-equity ratios of [`FinancialRatios`] (for Z′, Z″, Z″-EM). For the 1968 model
    /// replace X4 by market equity / total liabilities.
    ///
    /// # Errors
    ///
    /// [`CreditError::MissingVariable`] naming the first ratio that is undefined.
    pub fn from_ratios(ratios: &FinancialRatios) -> Result<AltmanRatios, CreditError> {
        let get = |v: Option<f64>, name: &str| {
            v.ok_or_else(|| CreditError::MissingVariable(name.to_owned()))
        };
        Ok(AltmanRatios {
            x1: get(ratios.working_capital_to_assets, "working_capital_to_assets")?,
            x2: get(ratios.retained_earnings_to_assets, "retained_earnings_to_assets")?,
            x3: get(ratios.ebit_to_assets, "ebit_to_assets")?,
            x4: get(ratios.book_equity_to_liabilities, "book_equity_to_liabilities")?,
            x5: get(ratios.sales_to_assets, "sales_to_assets")?,
        })
    }

    /// The score of a variant.
    ///
    /// # Errors
    ///
    /// [`CreditError::NonFinite`] when a ratio is NaN or infinite.
    pub fn score(&self, variant: AltmanVariant) -> Result<AltmanScore, CreditError> {
        let x = [self.x1, self.x2, self.x3, self.x4, self.x5];
        for (v, name) in x.iter().zip(["x1", "x2", "x3", "x4", "x5"]) {
            finite(name, *v).map_err(|_| CreditError::NonFinite {
                what: "altman ratio",
                row: 0,
                value: *v,
            })?;
        }
        let w = variant.coefficients();
        let mut z = 0.0;
        for (wi, xi) in w.iter().zip(x) {
            if *wi != 0.0 {
                z += wi * xi;
            }
        }
        z += variant.constant();
        let (lo, hi) = variant.cutoffs();
        let zone = if z < lo {
            Zone::Distress
        } else if z > hi {
            Zone::Safe
        } else {
            Zone::Grey
        };
        Ok(AltmanScore { variant, z, zone })
    }
}

/// An Altman score and its zone.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct AltmanScore {
    /// The variant scored.
    pub variant: AltmanVariant,
    /// The Z value.
    pub z: f64,
    /// The zone of `z`.
    pub zone: Zone,
}

/// PD assigned to each Altman zone (a documented mapping, not part of Altman's models).
///
/// The default (`safe 1 %`, `grey 5 %`, `distress 20 %`) is an illustrative placeholder of the
/// right order of magnitude; calibrate it on your own default history (e.g. with
/// [`crate::master_scale::ScoreCalibration`] on the Z value) before using it for decisions.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ZonePd {
    safe: f64,
    grey: f64,
    distress: f64,
}

impl Default for ZonePd {
    fn default() -> Self {
        ZonePd { safe: 0.01, grey: 0.05, distress: 0.20 }
    }
}

impl ZonePd {
    /// A mapping with `safe ≤ grey ≤ distress`, all in [0, 1].
    ///
    /// # Errors
    ///
    /// [`CreditError::InvalidParameter`] for a PD outside [0, 1] or out of order.
    pub fn new(safe: f64, grey: f64, distress: f64) -> Result<ZonePd, CreditError> {
        for (name, v) in [("safe", safe), ("grey", grey), ("distress", distress)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(CreditError::InvalidParameter {
                    name,
                    value: v.to_string(),
                    reason: "zone pd must lie in [0, 1]",
                });
            }
        }
        if !(safe <= grey && grey <= distress) {
            return Err(CreditError::InvalidParameter {
                name: "zone pd",
                value: format!("{safe}/{grey}/{distress}"),
                reason: "must satisfy safe <= grey <= distress",
            });
        }
        Ok(ZonePd { safe, grey, distress })
    }
    /// The PD of a zone.
    #[must_use]
    pub fn pd(&self, zone: Zone) -> f64 {
        match zone {
            Zone::Safe => self.safe,
            Zone::Grey => self.grey,
            Zone::Distress => self.distress,
        }
    }
}

/// An Altman model as a [`PdModel`]: the zone of the score, mapped to a PD by [`ZonePd`].
///
/// It reads from a [`FeatureRecord`] the [`FinancialRatios`] field names `working_capital_to_assets`,
/// `retained_earnings_to_assets`, `ebit_to_assets`, `sales_to_assets` (not for Z″) and X4 from
/// `market_equity_to_liabilities` (1968 model) or `book_equity_to_liabilities` (others).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AltmanModel {
    /// The variant.
    pub variant: AltmanVariant,
    /// The zone → PD mapping.
    pub zone_pd: ZonePd,
}

impl AltmanModel {
    /// The ratios of a record.
    ///
    /// # Errors
    ///
    /// [`CreditError::MissingVariable`] for a ratio the variant needs.
    pub fn ratios(&self, record: &FeatureRecord) -> Result<AltmanRatios, CreditError> {
        let x4 = if self.variant.uses_market_equity() {
            "market_equity_to_liabilities"
        } else {
            "book_equity_to_liabilities"
        };
        Ok(AltmanRatios {
            x1: record.number("working_capital_to_assets")?,
            x2: record.number("retained_earnings_to_assets")?,
            x3: record.number("ebit_to_assets")?,
            x4: record.number(x4)?,
            x5: if self.variant.uses_sales() { record.number("sales_to_assets")? } else { 0.0 },
        })
    }
}

impl PdModel for AltmanModel {
    fn model_id(&self) -> String {
        format!("finkit-credit/altman/{:?}/v1", self.variant)
    }
    fn pd(&self, record: &FeatureRecord) -> Result<Probability, CreditError> {
        let score = self.ratios(record)?.score(self.variant)?;
        Ok(Probability::new(self.zone_pd.pd(score.zone))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_follow_cutoffs() {
        let r = AltmanRatios { x1: 0.0, x2: 0.0, x3: 0.0, x4: 0.0, x5: 1.81 };
        assert_eq!(r.score(AltmanVariant::Z1968).unwrap().zone, Zone::Grey);
        let r = AltmanRatios { x5: 1.80, ..r };
        assert_eq!(r.score(AltmanVariant::Z1968).unwrap().zone, Zone::Distress);
        let r = AltmanRatios { x5: 3.0, ..r };
        assert_eq!(r.score(AltmanVariant::Z1968).unwrap().zone, Zone::Safe);
        // Z″ ignores X5; Z″-EM adds 3.25.
        let r = AltmanRatios { x1: 0.1, x2: 0.0, x3: 0.0, x4: 0.0, x5: 100.0 };
        let z2 = r.score(AltmanVariant::ZDoublePrime).unwrap().z;
        assert!((z2 - 0.656).abs() < 1e-15);
        assert_eq!(r.score(AltmanVariant::ZDoublePrimeEm).unwrap().z, z2 + 3.25);
    }

    #[test]
    fn bad_inputs() {
        assert!(AltmanRatios::from_amounts(1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0).is_err());
        assert!(AltmanRatios::from_amounts(f64::NAN, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0).is_err());
        assert!(ZonePd::new(0.2, 0.1, 0.3).is_err());
        assert!(AltmanModel::default().pd(&FeatureRecord::new()).is_err());
    }
}
