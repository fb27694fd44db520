//! Financing plans for technology-innovation enterprises: a stage from revenue and growth, then
//! a set of products sized within the limits and the bank's risk appetite, each explained.
//!
//! The rules and their sources are documented in `docs/FINANCING.md`; in short:
//!
//! | stage | when | products considered |
//! |---|---|---|
//! | pre-revenue | revenue below `pre_revenue_max` (or no statement) | equity referral, venture debt, IP-pledge loan |
//! | early revenue | revenue, but EBITDA ≤ 0 | venture debt, IP-pledge loan, guaranteed loan, equity referral when the runway is short |
//! | growth | EBITDA > 0 and revenue growth ≥ `growth_min` | term loan, revolving line, IP-pledge loan, guaranteed loan |
//! | mature | EBITDA > 0 and growth below `growth_min` | term loan, revolving line, IP-pledge loan when IP is pledged |
//!
//! Cash-flow products (term loan, revolving line, the bank's retained share of a guaranteed
//! loan) share the cash-flow budget `min(cash-flow capacity, leverage cap)` of the limit; an
//! IP-pledge loan is bounded by the IP collateral after haircuts; venture debt by a share of the
//! venture funding raised. Each debt product needs the firm's PD at or below the product's
//! maximum; all debt together stays within the sector headroom of the loan book.

use std::borrow::Cow;

use finkit_schema::{CollateralKind, LoanApplication, Portfolio, Product};

use crate::LendingError;
use crate::error::check_range;
use crate::features::Features;
use crate::limits::Limit;

/// A firm's stage of development.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Stage {
    /// No or negligible revenue.
    PreRevenue,
    /// Revenue, but not yet positive EBITDA.
    EarlyRevenue,
    /// Profitable and growing fast.
    Growth,
    /// Profitable, growing slowly.
    Mature,
}

impl Stage {
    /// A short readable name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::PreRevenue => "pre-revenue",
            Stage::EarlyRevenue => "early revenue",
            Stage::Growth => "growth",
            Stage::Mature => "mature",
        }
    }
}

/// A product line of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum PlanProduct {
    /// A loan product of the bank.
    Loan(Product),
    /// A referral to the bank's equity partners (no loan).
    EquityReferral,
}

impl PlanProduct {
    /// A short readable name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PlanProduct::Loan(Product::TermLoan) => "term loan",
            PlanProduct::Loan(Product::RevolvingLine) => "revolving line",
            PlanProduct::Loan(Product::IpPledgeLoan) => "IP-pledge loan",
            PlanProduct::Loan(Product::GuaranteedLoan) => "government-guaranteed loan",
            PlanProduct::Loan(Product::VentureDebt) => "venture debt",
            PlanProduct::Loan(Product::TradeFinance) => "trade finance",
            PlanProduct::EquityReferral => "referral to equity partners",
        }
    }
}

/// Risk appetite and sizing rules of the plans; see the module docs and `docs/FINANCING.md`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PlanParams {
    /// Revenue (single units) below which a firm is pre-revenue.
    pub pre_revenue_max: f64,
    /// Revenue growth from which a profitable firm is in the growth stage.
    pub growth_min: f64,
    /// Maximum PD for a term loan.
    pub max_pd_term: f64,
    /// Maximum PD for a revolving line.
    pub max_pd_revolver: f64,
    /// Maximum PD for an IP-pledge loan.
    pub max_pd_ip: f64,
    /// Maximum PD for a government-guaranteed loan.
    pub max_pd_guaranteed: f64,
    /// Maximum PD for venture debt.
    pub max_pd_venture: f64,
    /// Revolving line as a share of annual revenue.
    pub revolver_share_of_revenue: f64,
    /// Venture debt as a share of venture funding raised.
    pub venture_debt_share: f64,
    /// Minimum cash runway (months) for venture debt.
    pub venture_min_runway_months: f64,
    /// Rate premium of venture debt over the risk-based rate (warrants come on top).
    pub venture_premium: f64,
    /// Coverage of the government guarantee scheme.
    pub guarantee_coverage: f64,
    /// Maximum loan under the guarantee scheme (single units).
    pub guarantee_max: f64,
    /// Runway (months) below which an equity referral is added for loss-making firms.
    pub equity_runway_months: f64,
    /// Months of cash burn the suggested equity raise covers.
    pub equity_months_of_burn: f64,
    /// Maximum share of the loan book's EAD in one sector (industry code).
    pub sector_limit: f64,
    /// Tenors in years: term loan, revolving line, IP-pledge, guaranteed, venture debt.
    pub tenors: [f64; 5],
}

impl Default for PlanParams {
    fn default() -> Self {
        PlanParams {
            pre_revenue_max: 500_000.0,
            growth_min: 0.20,
            max_pd_term: 0.03,
            max_pd_revolver: 0.03,
            max_pd_ip: 0.08,
            max_pd_guaranteed: 0.10,
            max_pd_venture: 0.15,
            revolver_share_of_revenue: 0.15,
            venture_debt_share: 0.30,
            venture_min_runway_months: 9.0,
            venture_premium: 0.04,
            guarantee_coverage: 0.80,
            guarantee_max: 10_000_000.0,
            equity_runway_months: 12.0,
            equity_months_of_burn: 18.0,
            sector_limit: 0.25,
            tenors: [5.0, 1.0, 3.0, 3.0, 3.0],
        }
    }
}

impl PlanParams {
    /// Checks the parameters.
    ///
    /// # Errors
    ///
    /// [`LendingError::InvalidParameter`] naming the first bad parameter.
    pub fn validate(&self) -> Result<(), LendingError> {
        let unit = "must be in [0, 1]";
        check_range(
            "pre_revenue_max",
            self.pre_revenue_max,
            0.0,
            f64::MAX,
            "must be finite and >= 0",
        )?;
        check_range("growth_min", self.growth_min, -1.0, 100.0, "must be in [-1, 100]")?;
        for (n, v) in [
            ("max_pd_term", self.max_pd_term),
            ("max_pd_revolver", self.max_pd_revolver),
            ("max_pd_ip", self.max_pd_ip),
            ("max_pd_guaranteed", self.max_pd_guaranteed),
            ("max_pd_venture", self.max_pd_venture),
            ("revolver_share_of_revenue", self.revolver_share_of_revenue),
            ("venture_debt_share", self.venture_debt_share),
            ("guarantee_coverage", self.guarantee_coverage),
            ("sector_limit", self.sector_limit),
        ] {
            check_range(n, v, 0.0, 1.0, unit)?;
        }
        check_range(
            "guarantee_coverage",
            self.guarantee_coverage,
            0.0,
            0.99,
            "must be in [0, 0.99]",
        )?;
        check_range("venture_premium", self.venture_premium, 0.0, 1.0, unit)?;
        check_range("guarantee_max", self.guarantee_max, 0.0, f64::MAX, "must be finite and >= 0")?;
        for (n, v) in [
            ("venture_min_runway_months", self.venture_min_runway_months),
            ("equity_runway_months", self.equity_runway_months),
            ("equity_months_of_burn", self.equity_months_of_burn),
        ] {
            check_range(n, v, 0.0, 1200.0, "must be in [0, 1200] months")?;
        }
        for t in self.tenors {
            crate::error::check_tenor(t)?;
        }
        Ok(())
    }

    /// The stage of a firm.
    #[must_use]
    pub fn stage(&self, features: &Features) -> Stage {
        let Some(f) = features.financials else {
            return Stage::PreRevenue;
        };
        if f.revenue < self.pre_revenue_max {
            Stage::PreRevenue
        } else if f.ebitda <= 0.0 {
            Stage::EarlyRevenue
        } else if features.ratios.revenue_growth.is_some_and(|g| g >= self.growth_min) {
            Stage::Growth
        } else {
            Stage::Mature
        }
    }
}

/// One line of a plan.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct PlanLine {
    /// The product.
    pub product: PlanProduct,
    /// Amount (single units of the application currency); for an equity referral, the
    /// suggested raise.
    pub amount: f64,
    /// Tenor in years (`None` for an equity referral).
    pub tenor: Option<f64>,
    /// Annual rate (`None` for an equity referral).
    pub rate: Option<f64>,
    /// Covenants, in words.
    pub covenants: Vec<Cow<'static, str>>,
    /// Why this product, in plain language.
    pub rationale: String,
}

/// A financing plan with its stage and a line-by-line explanation.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct FinancingPlan {
    /// The firm's stage.
    pub stage: Stage,
    /// Product lines, in the order proposed.
    pub lines: Vec<PlanLine>,
    /// Debt products considered but not offered, with why.
    pub declined: Vec<String>,
    /// Total debt proposed.
    pub total_debt: f64,
    /// Sector headroom in the loan book (`f64::INFINITY` without a book).
    pub sector_headroom: f64,
}

/// The loan book's position in the applicant's sector.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SectorPosition {
    /// EAD of the book in the applicant's sector.
    pub sector_ead: f64,
    /// Total EAD of the book.
    pub total_ead: f64,
}

/// The book's EAD in `sector` and in total.
#[must_use]
pub fn sector_position(book: &Portfolio, sector: &str) -> SectorPosition {
    let ead = book.ead();
    let sector_ead = book
        .sectors()
        .iter()
        .zip(ead.iter())
        .filter(|(s, _)| s.as_str() == sector)
        .map(|(_, e)| *e)
        .sum();
    SectorPosition { sector_ead, total_ead: book.total_ead() }
}

impl SectorPosition {
    /// The largest new exposure `X` with `(S + X) / (T + X) ≤ L`.
    #[must_use]
    pub fn headroom(&self, limit: f64) -> f64 {
        if self.total_ead <= 0.0 || limit >= 1.0 {
            return f64::INFINITY;
        }
        ((limit * self.total_ead - self.sector_ead) / (1.0 - limit)).max(0.0)
    }
}

/// What the planner needs beyond the features.
#[derive(Debug, Clone, Copy)]
pub struct PlanInputs<'a> {
    /// The application (collateral, guarantees, requested amount).
    pub application: &'a LoanApplication,
    /// The firm's features.
    pub features: &'a Features,
    /// The sized limit.
    pub limit: &'a Limit,
    /// The firm's PD.
    pub pd: f64,
    /// The risk-based rate for the firm.
    pub rate: f64,
    /// IP collateral after haircuts.
    pub ip_lending_value: f64,
    /// The loan book in the firm's sector (`None`: no book, no concentration limit).
    pub sector: Option<SectorPosition>,
}

fn money(v: f64) -> String {
    if v >= 1e6 { format!("{:.2}m", v / 1e6) } else { format!("{:.0}k", v / 1e3) }
}

/// Builds the plan.
///
/// # Errors
///
/// [`LendingError::InvalidParameter`] for invalid parameters.
pub fn plan(params: &PlanParams, input: &PlanInputs<'_>) -> Result<FinancingPlan, LendingError> {
    params.validate()?;
    let f = input.features;
    let fin = f.financials.unwrap_or_default();
    let stage = params.stage(f);
    let pd = input.pd;
    let cur = input.application.currency;
    let mut lines: Vec<PlanLine> = Vec::new();
    let mut declined: Vec<String> = Vec::new();
    let mut budget = input.limit.cash_flow.min(input.limit.leverage).max(0.0);
    let [t_term, t_rev, t_ip, t_gua, t_ven] = params.tenors;
    let pct = |p: f64| format!("{:.2}%", p * 100.0);
    let pd_ok = |name: &str, max: f64, declined: &mut Vec<String>| {
        let ok = pd <= max;
        if !ok {
            declined.push(format!(
                "{name}: the PD of {} is above the product's maximum of {}",
                pct(pd),
                pct(max)
            ));
        }
        ok
    };
    let cash_flow_stage = matches!(stage, Stage::Growth | Stage::Mature);
    if cash_flow_stage {
        // The revolving line finances working capital; sized on revenue, inside the budget.
        if pd_ok("revolving line", params.max_pd_revolver, &mut declined) {
            let amount = (params.revolver_share_of_revenue * fin.revenue).min(budget);
            if amount > 0.0 {
                budget -= amount;
                lines.push(PlanLine {
                    product: PlanProduct::Loan(Product::RevolvingLine),
                    amount,
                    tenor: Some(t_rev),
                    rate: Some(input.rate),
                    covenants: vec!["current ratio at least 1.2".into(), "annual clean-down of 30 days".into()],
                    rationale: format!(
                        "A {stage} firm with revenue of {} {cur} needs working capital: a line of {:.0}% of revenue ({} {cur}), renewed yearly.",
                        money(fin.revenue),
                        params.revolver_share_of_revenue * 100.0,
                        money(amount),
                        stage = stage.as_str()
                    ),
                });
            }
        }
        if pd_ok("term loan", params.max_pd_term, &mut declined) {
            let amount = budget.min(input.application.amount.get());
            if amount > 0.0 {
                budget -= amount;
                lines.push(PlanLine {
                    product: PlanProduct::Loan(Product::TermLoan),
                    amount,
                    tenor: Some(t_term),
                    rate: Some(input.rate),
                    covenants: vec![
                        "debt-service coverage at least 1.25x".into(),
                        "debt / EBITDA at most 4.0x".into(),
                        "annual audited statements within 120 days".into(),
                    ],
                    rationale: format!(
                        "EBITDA of {} {cur} services an amortising loan of {} {cur} over {t_term} years at the target DSCR; the binding limit is the {}.",
                        money(fin.ebitda),
                        money(amount),
                        input.limit.binding.as_str()
                    ),
                });
            } else {
                declined.push("term loan: no cash-flow or leverage headroom is left".into());
            }
        }
    }
    let has_ip_pledge =
        input.application.collateral.iter().any(|c| c.kind == CollateralKind::IpPledge);
    if (has_ip_pledge || (stage != Stage::Mature && f.invention_patents > 0))
        && pd_ok("IP-pledge loan", params.max_pd_ip, &mut declined)
    {
        if input.ip_lending_value > 0.0 {
            lines.push(PlanLine {
                product: PlanProduct::Loan(Product::IpPledgeLoan),
                amount: input.ip_lending_value,
                tenor: Some(t_ip),
                rate: Some(input.rate),
                covenants: vec!["pledged patents kept in force and registered with the patent office".into(), "annual IP revaluation".into()],
                rationale: format!(
                    "The pledged IP ({} invention patents, {} IP assets in all) supports a loan of {} {cur} after the IP haircut, independent of current cash flow.",
                    f.invention_patents,
                    f.ip_assets,
                    money(input.ip_lending_value)
                ),
            });
        } else {
            declined.push(format!(
                "IP-pledge loan: the firm holds {} invention patents but pledged none; an appraisal and a pledge would allow one",
                f.invention_patents
            ));
        }
    }
    if f.tech_innovative
        && stage != Stage::Mature
        && pd_ok("government-guaranteed loan", params.max_pd_guaranteed, &mut declined)
    {
        // The bank keeps (1 − coverage) of the loan, which must fit the cash-flow budget.
        let amount = (budget / (1.0 - params.guarantee_coverage)).min(params.guarantee_max);
        if amount > 0.0 {
            lines.push(PlanLine {
                product: PlanProduct::Loan(Product::GuaranteedLoan),
                amount,
                tenor: Some(t_gua),
                rate: Some(input.rate),
                covenants: vec!["guarantee scheme eligibility maintained (innovative SME)".into()],
                rationale: format!(
                    "As a technology-innovative firm{} it qualifies for the government guarantee scheme covering {:.0}%; the bank's retained share fits the remaining cash-flow capacity.",
                    if f.high_tech_certified { " with a high-tech certification" } else { "" },
                    params.guarantee_coverage * 100.0
                ),
            });
        } else {
            declined.push(
                "government-guaranteed loan: no cash-flow capacity for the bank's retained share"
                    .into(),
            );
        }
    }
    let runway = f.cash_runway_months;
    if matches!(stage, Stage::PreRevenue | Stage::EarlyRevenue) && f.venture_funding > 0.0 {
        let runway_ok = runway.is_none_or(|m| m >= params.venture_min_runway_months);
        if !runway_ok {
            declined.push(format!(
                "venture debt: cash runway of {:.1} months is below the {} months required",
                runway.unwrap_or(0.0),
                params.venture_min_runway_months
            ));
        } else if pd_ok("venture debt", params.max_pd_venture, &mut declined) {
            let amount = params.venture_debt_share * f.venture_funding;
            lines.push(PlanLine {
                product: PlanProduct::Loan(Product::VentureDebt),
                amount,
                tenor: Some(t_ven),
                rate: Some(input.rate + params.venture_premium),
                covenants: vec![
                    "minimum cash balance of 6 months of burn".into(),
                    "warrant coverage for the bank".into(),
                    "information rights on each equity round".into(),
                ],
                rationale: format!(
                    "Backed by {} {cur} of venture funding, the firm can carry venture debt of {:.0}% of it ({} {cur}) to extend its runway{}.",
                    money(f.venture_funding),
                    params.venture_debt_share * 100.0,
                    money(amount),
                    runway.map_or_else(String::new, |m| format!(" beyond {m:.0} months"))
                ),
            });
        }
    }
    let burn = fin.annual_burn();
    let needs_equity = stage == Stage::PreRevenue
        || (stage == Stage::EarlyRevenue
            && runway.is_some_and(|m| m < params.equity_runway_months));
    if needs_equity {
        let amount = if burn > 0.0 {
            burn * params.equity_months_of_burn / 12.0
        } else {
            input.application.amount.get()
        };
        lines.push(PlanLine {
            product: PlanProduct::EquityReferral,
            amount,
            tenor: None,
            rate: None,
            covenants: Vec::new(),
            rationale: format!(
                "A {} firm{} is funded mainly by equity: we refer it to our equity partners for a raise of about {} {cur} ({} months of burn).",
                stage.as_str(),
                runway.map_or_else(String::new, |m| format!(" with {m:.0} months of runway")),
                money(amount),
                params.equity_months_of_burn
            ),
        });
    }
    // Sector concentration: scale all debt lines down to the headroom, proportionally.
    let sector_headroom = input.sector.map_or(f64::INFINITY, |s| s.headroom(params.sector_limit));
    let debt = |lines: &[PlanLine]| -> f64 {
        lines.iter().filter(|l| l.product != PlanProduct::EquityReferral).map(|l| l.amount).sum()
    };
    let total = debt(&lines);
    if total > sector_headroom {
        let scale = if total > 0.0 { sector_headroom / total } else { 0.0 };
        for l in lines.iter_mut().filter(|l| l.product != PlanProduct::EquityReferral) {
            l.amount *= scale;
            l.rationale.push_str(&format!(
                " Scaled to {:.0}% to keep the sector within {:.0}% of the loan book.",
                scale * 100.0,
                params.sector_limit * 100.0
            ));
        }
        lines.retain(|l| l.product == PlanProduct::EquityReferral || l.amount > 0.0);
    }
    let total_debt = debt(&lines);
    Ok(FinancingPlan { stage, lines, declined, total_debt, sector_headroom })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headroom_formula() {
        let s = SectorPosition { sector_ead: 20.0, total_ead: 100.0 };
        let x = s.headroom(0.25);
        assert!(((20.0 + x) / (100.0 + x) - 0.25).abs() < 1e-12);
        assert_eq!(SectorPosition { sector_ead: 40.0, total_ead: 100.0 }.headroom(0.25), 0.0);
        assert_eq!(SectorPosition::default().headroom(0.25), f64::INFINITY);
    }

    #[test]
    fn defaults_are_valid() {
        assert!(PlanParams::default().validate().is_ok());
        let bad = PlanParams { max_pd_term: 1.5, ..PlanParams::default() };
        assert!(bad.validate().is_err());
    }
}
