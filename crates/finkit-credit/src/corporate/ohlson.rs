//! Ohlson's (1980) O-score, model 1 (bankruptcy within one year).

use finkit_schema::{FinancialStatement, Probability};

use super::{finite, positive};
use crate::logistic::sigmoid;
use crate::{CreditError, FeatureRecord, PdModel};

/// Inputs of the O-score, validated.
///
/// **Units of SIZE.** `SIZE = ln(total_assets / gnp_price_index)`. The coefficients were
/// estimated with total assets in **millions of US dollars** deflated by the GNP implicit
/// price-level index with **base 100** (1968 = 100), as in the reference implementation
/// (`corporate_models.py`: assets 500, index 100 → SIZE = ln 5). Give `total_assets` in millions
/// of the currency and the index on a base of 100: assets in thousands would shift SIZE by
/// ln 1000 ≈ 6.9 and the O-score by −2.8. [`OhlsonInputs::from_statements`] converts with the
/// statement's [`Unit`](finkit_schema::Unit). The other amounts enter only as ratios, so their
/// common unit does not matter.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OhlsonInputs {
    total_assets_millions: f64,
    gnp_price_index: f64,
    total_liabilities: f64,
    working_capital: f64,
    current_liabilities: f64,
    current_assets: f64,
    net_income: f64,
    net_income_prior: f64,
    funds_from_operations: f64,
    total_assets: f64,
}

/// The O-score and its parts.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct OhlsonScore {
    /// SIZE = ln(total assets in millions / GNP price index).
    pub size: f64,
    /// OENEG: 1 when total liabilities exceed total assets.
    pub oeneg: f64,
    /// INTWO: 1 when net income was negative in both years.
    pub intwo: f64,
    /// CHIN = (NI_t − NI_{t−1}) / (|NI_t| + |NI_{t−1}|); 0 when both are 0.
    pub chin: f64,
    /// The O-score (log-odds of bankruptcy).
    pub o_score: f64,
    /// PD = 1 / (1 + e^{−O}).
    pub pd: f64,
}

impl OhlsonInputs {
    /// Inputs from amounts. `total_assets_millions` feeds SIZE; the other amounts (in any one
    /// unit, `total_assets` included) feed the ratios.
    ///
    /// # Errors
    ///
    /// [`CreditError::NonFinite`] for a non-finite amount; [`CreditError::InvalidParameter`] when
    /// total assets (either unit), the index, total liabilities or current assets are not
    /// positive.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        total_assets_millions: f64,
        gnp_price_index: f64,
        total_assets: f64,
        total_liabilities: f64,
        working_capital: f64,
        current_liabilities: f64,
        current_assets: f64,
        net_income: f64,
        net_income_prior: f64,
        funds_from_operations: f64,
    ) -> Result<OhlsonInputs, CreditError> {
        Ok(OhlsonInputs {
            total_assets_millions: positive("total_assets_millions", total_assets_millions)?,
            gnp_price_index: positive("gnp_price_index", gnp_price_index)?,
            total_assets: positive("total_assets", total_assets)?,
            total_liabilities: positive("total_liabilities", total_liabilities)?,
            working_capital: finite("working_capital", working_capital)?,
            current_liabilities: finite("current_liabilities", current_liabilities)?,
            current_assets: positive("current_assets", current_assets)?,
            net_income: finite("net_income", net_income)?,
            net_income_prior: finite("net_income_prior", net_income_prior)?,
            funds_from_operations: finite("funds_from_operations", funds_from_operations)?,
        })
    }

    /// Inputs from this period's and the prior period's statements of one firm. Funds from
    /// operations are taken as `operating_cash_flow`; working capital as current assets minus
    /// current liabilities; total assets are converted to millions with the statement's unit.
    ///
    /// # Errors
    ///
    /// As [`OhlsonInputs::new`].
    pub fn from_statements(
        current: &FinancialStatement,
        prior: &FinancialStatement,
        gnp_price_index: f64,
    ) -> Result<OhlsonInputs, CreditError> {
        let s = current;
        OhlsonInputs::new(
            s.total_assets * s.unit.factor() / 1e6,
            gnp_price_index,
            s.total_assets,
            s.total_liabilities,
            s.current_assets - s.current_liabilities,
            s.current_liabilities,
            s.current_assets,
            s.net_income,
            prior.net_income * prior.unit.factor() / s.unit.factor(),
            s.operating_cash_flow,
        )
    }

    /// The O-score.
    ///
    /// # Formula
    ///
    /// ```text
    /// O = −1.32 − 0.407·SIZE + 6.03·TL/TA − 1.43·WC/TA + 0.0757·CL/CA − 1.72·OENEG
    ///     − 2.37·NI/TA − 1.83·FFO/TL + 0.285·INTWO − 0.521·CHIN
    /// PD = 1 / (1 + e^{−O})
    /// ```
    #[must_use]
    pub fn score(&self) -> OhlsonScore {
        let ta = self.total_assets;
        let size = (self.total_assets_millions / self.gnp_price_index).ln();
        let oeneg = if self.total_liabilities > ta { 1.0 } else { 0.0 };
        let intwo = if self.net_income < 0.0 && self.net_income_prior < 0.0 { 1.0 } else { 0.0 };
        let denom = self.net_income.abs() + self.net_income_prior.abs();
        let chin =
            if denom == 0.0 { 0.0 } else { (self.net_income - self.net_income_prior) / denom };
        let o_score = -1.32 - 0.407 * size + 6.03 * self.total_liabilities / ta
            - 1.43 * self.working_capital / ta
            + 0.0757 * self.current_liabilities / self.current_assets
            - 1.72 * oeneg
            - 2.37 * self.net_income / ta
            - 1.83 * self.funds_from_operations / self.total_liabilities
            + 0.285 * intwo
            - 0.521 * chin;
        OhlsonScore { size, oeneg, intwo, chin, o_score, pd: sigmoid(o_score) }
    }
}

/// The O-score as a [`PdModel`] (PD = logistic of O).
///
/// It reads from a [`FeatureRecord`]: `total_assets_millions`, `total_assets`, `total_liabilities`,
/// `working_capital`, `current_liabilities`, `current_assets`, `net_income`,
/// `net_income_prior`, `funds_from_operations`, and uses the model's GNP price index.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OhlsonModel {
    /// The GNP price-level index (base 100) that deflates total assets in SIZE.
    pub gnp_price_index: f64,
}

impl PdModel for OhlsonModel {
    fn model_id(&self) -> String {
        format!("finkit-credit/ohlson-o/v1[gnp_index={}]", self.gnp_price_index)
    }
    fn pd(&self, record: &FeatureRecord) -> Result<Probability, CreditError> {
        let n = |name: &str| record.number(name);
        let inputs = OhlsonInputs::new(
            n("total_assets_millions")?,
            self.gnp_price_index,
            n("total_assets")?,
            n("total_liabilities")?,
            n("working_capital")?,
            n("current_liabilities")?,
            n("current_assets")?,
            n("net_income")?,
            n("net_income_prior")?,
            n("funds_from_operations")?,
        )?;
        Ok(Probability::new(inputs.score().pd)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chin_is_zero_without_income() {
        let i = OhlsonInputs::new(500.0, 100.0, 500.0, 350.0, 40.0, 120.0, 160.0, 0.0, 0.0, 15.0)
            .unwrap();
        assert_eq!(i.score().chin, 0.0);
        assert!(
            OhlsonInputs::new(500.0, 0.0, 500.0, 350.0, 40.0, 120.0, 160.0, 0.0, 0.0, 15.0)
                .is_err()
        );
    }
}
