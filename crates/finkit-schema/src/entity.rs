//! The entities of the data pool: firms, statements, applications, exposures, events, prices.
//!
//! Fields are public so that researchers can build and inspect values freely; ranges that a type
//! can express are in the field types ([`Probability`], [`Amount`], …), and the rules that span
//! fields are checked by [`Validate::validate`].

use chrono::NaiveDate;

use crate::validate::{Checker, Validate, Violation};
use crate::{Amount, Currency, FirmId, InstrumentId, Lgd, LoanId, Maturity, Probability, Unit};
use crate::{ApplicationId, SchemaError};

/// The classification scheme an industry code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum IndustryScheme {
    /// NACE Rev. 2 (European Union).
    Nace,
    /// NAICS (North America).
    Naics,
    /// GB/T 4754 (China's national industry classification).
    Gb4754,
    /// ISIC Rev. 4 (United Nations).
    Isic,
}

/// An industry code together with its classification scheme, e.g. NACE `C26`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct IndustryCode {
    /// The scheme the code belongs to.
    pub scheme: IndustryScheme,
    /// The code within the scheme.
    pub code: String,
}

/// Patent counts by kind (the kinds used by CNIPA and most patent offices).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Patents {
    /// Granted invention patents.
    pub invention: u32,
    /// Granted utility-model patents.
    pub utility_model: u32,
    /// Granted design patents.
    pub design: u32,
}

impl Patents {
    /// All patents together.
    #[must_use]
    pub fn total(&self) -> u64 {
        u64::from(self.invention) + u64::from(self.utility_model) + u64::from(self.design)
    }
}

/// A firm's technology-innovation indicators.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct TechProfile {
    /// Whether the firm holds a high-tech enterprise certification.
    pub high_tech_certified: bool,
    /// When the certification was granted (required when certified).
    pub certification_date: Option<NaiveDate>,
    /// Research and development expense of the last fiscal year, in the firm's currency.
    pub rd_expense: Amount,
    /// Share of staff working in research and development.
    pub rd_staff_share: Probability,
    /// Granted patents by kind.
    pub patents: Patents,
    /// Registered software copyrights.
    pub software_copyrights: u32,
    /// Venture funding raised to date, in the firm's currency.
    pub venture_funding: Amount,
}

impl TechProfile {
    /// A simple flag used by filters: certified, or holding an invention patent, or R&D staff of
    /// at least 10 %.
    #[must_use]
    pub fn is_tech_innovative(&self) -> bool {
        self.high_tech_certified || self.patents.invention > 0 || self.rd_staff_share.get() >= 0.10
    }
}

/// A firm (an obligor or applicant).
///
/// `registration_number`, `contact_name`, `contact_email` and `contact_phone` are **sensitive**:
/// the data pool masks them for roles that may not see them.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Firm {
    /// The firm's identifier.
    pub id: FirmId,
    /// Legal name.
    pub name: String,
    /// Company registration number (sensitive).
    pub registration_number: String,
    /// Industry code and scheme.
    pub industry: IndustryCode,
    /// Region (a country or province code).
    pub region: String,
    /// Date of incorporation.
    pub founded: NaiveDate,
    /// Number of employees.
    pub employees: u32,
    /// Technology-innovation indicators.
    pub tech: TechProfile,
    /// Contact person's name (sensitive).
    pub contact_name: Option<String>,
    /// Contact e-mail address (sensitive).
    pub contact_email: Option<String>,
    /// Contact telephone number (sensitive).
    pub contact_phone: Option<String>,
}

impl Firm {
    /// Whole years in business on `date` (0 before the first anniversary or before founding).
    #[must_use]
    pub fn years_in_business(&self, date: NaiveDate) -> u32 {
        date.years_since(self.founded).unwrap_or(0)
    }
}

impl Validate for Firm {
    const ENTITY: &'static str = "firm";
    fn validate(&self) -> Vec<Violation> {
        let mut c = Checker::default();
        if self.name.trim().is_empty() {
            c.push("name", "not_empty", &self.name);
        }
        if self.registration_number.trim().is_empty() {
            c.push("registration_number", "not_empty", &self.registration_number);
        }
        if self.industry.code.trim().is_empty() {
            c.push("industry.code", "not_empty", &self.industry.code);
        }
        if self.region.trim().is_empty() {
            c.push("region", "not_empty", &self.region);
        }
        for (field, value) in [
            ("name", self.name.as_str()),
            ("registration_number", &self.registration_number),
            ("industry.code", &self.industry.code),
            ("region", &self.region),
        ]
        .into_iter()
        .chain(self.contact_name.as_deref().map(|v| ("contact_name", v)))
        .chain(self.contact_email.as_deref().map(|v| ("contact_email", v)))
        .chain(self.contact_phone.as_deref().map(|v| ("contact_phone", v)))
        {
            c.text(field, value, false);
        }
        c.date("founded", self.founded);
        if let Some(d) = self.tech.certification_date {
            c.date("tech.certification_date", d);
        }
        match (self.tech.high_tech_certified, self.tech.certification_date) {
            (true, None) => c.push("tech.certification_date", "required_when_certified", "none"),
            (false, Some(d)) => c.push("tech.certification_date", "only_when_certified", d),
            (true, Some(d)) if d < self.founded => {
                c.push("tech.certification_date", "not_before_founding", d);
            }
            _ => {}
        }
        c.violations
    }
}

/// One financial statement of a firm: balance sheet, income statement and cash flow.
///
/// All amounts are in `currency` and `unit`. Several versions of the same period may exist: a
/// correction is a new statement with a later `available_at`, so a model run can be replayed as
/// of any past date.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct FinancialStatement {
    /// The firm the statement belongs to.
    pub firm_id: FirmId,
    /// Last day of the reporting period.
    pub period_end: NaiveDate,
    /// The day the statement became known to the bank (point-in-time key).
    pub available_at: NaiveDate,
    /// Reporting currency.
    pub currency: Currency,
    /// Reporting unit.
    pub unit: Unit,
    /// Cash and equivalents.
    pub cash: f64,
    /// Current assets.
    pub current_assets: f64,
    /// Total assets.
    pub total_assets: f64,
    /// Current liabilities.
    pub current_liabilities: f64,
    /// Total liabilities.
    pub total_liabilities: f64,
    /// Interest-bearing debt due within a year.
    pub short_term_debt: f64,
    /// Interest-bearing debt due after a year.
    pub long_term_debt: f64,
    /// Retained earnings (may be negative).
    pub retained_earnings: f64,
    /// Book value of equity (may be negative).
    pub book_equity: f64,
    /// Revenue (sales).
    pub revenue: f64,
    /// Earnings before interest and taxes (may be negative).
    pub ebit: f64,
    /// Earnings before interest, taxes, depreciation and amortisation (may be negative).
    pub ebitda: f64,
    /// Interest expense.
    pub interest_expense: f64,
    /// Net income (may be negative).
    pub net_income: f64,
    /// Research and development expense.
    pub rd_expense: f64,
    /// Operating cash flow (may be negative).
    pub operating_cash_flow: f64,
    /// Capital expenditure.
    pub capex: f64,
}

impl FinancialStatement {
    /// Relative tolerance of the balance-sheet identity: |A − (L + E)| ≤ 0.5 % of total assets,
    /// with a floor of one reporting unit for rounding in small statements.
    pub const BALANCE_TOLERANCE: f64 = 0.005;

    /// The names of the stored amounts, in declaration order: the columns after the five key
    /// fields wherever a statement is stored.
    pub const AMOUNT_FIELDS: [&'static str; 17] = [
        "cash",
        "current_assets",
        "total_assets",
        "current_liabilities",
        "total_liabilities",
        "short_term_debt",
        "long_term_debt",
        "retained_earnings",
        "book_equity",
        "revenue",
        "ebit",
        "ebitda",
        "interest_expense",
        "net_income",
        "rd_expense",
        "operating_cash_flow",
        "capex",
    ];

    /// A statement from its key fields and its amounts in [`Self::AMOUNT_FIELDS`] order.
    #[must_use]
    pub fn from_amounts(
        firm_id: FirmId,
        period_end: NaiveDate,
        available_at: NaiveDate,
        currency: Currency,
        unit: Unit,
        v: [f64; 17],
    ) -> Self {
        FinancialStatement {
            firm_id,
            period_end,
            available_at,
            currency,
            unit,
            cash: v[0],
            current_assets: v[1],
            total_assets: v[2],
            current_liabilities: v[3],
            total_liabilities: v[4],
            short_term_debt: v[5],
            long_term_debt: v[6],
            retained_earnings: v[7],
            book_equity: v[8],
            revenue: v[9],
            ebit: v[10],
            ebitda: v[11],
            interest_expense: v[12],
            net_income: v[13],
            rd_expense: v[14],
            operating_cash_flow: v[15],
            capex: v[16],
        }
    }

    /// The stored amounts in [`Self::AMOUNT_FIELDS`] order.
    #[must_use]
    pub fn stored_amounts(&self) -> [f64; 17] {
        [
            self.cash,
            self.current_assets,
            self.total_assets,
            self.current_liabilities,
            self.total_liabilities,
            self.short_term_debt,
            self.long_term_debt,
            self.retained_earnings,
            self.book_equity,
            self.revenue,
            self.ebit,
            self.ebitda,
            self.interest_expense,
            self.net_income,
            self.rd_expense,
            self.operating_cash_flow,
            self.capex,
        ]
    }

    /// The statement's amounts as `(field name, value)` pairs: the stored amounts in
    /// declaration order, then the derived `total_debt`.
    #[must_use]
    pub fn amounts(&self) -> [(&'static str, f64); 18] {
        let v = self.stored_amounts();
        let mut out = [("total_debt", self.short_term_debt + self.long_term_debt); 18];
        for ((slot, name), value) in out.iter_mut().zip(Self::AMOUNT_FIELDS).zip(v) {
            *slot = (name, value);
        }
        out
    }
}

impl Validate for FinancialStatement {
    const ENTITY: &'static str = "financial statement";
    fn validate(&self) -> Vec<Violation> {
        let mut c = Checker::default();
        // Fields that may be negative only need to be finite.
        for (field, value) in [
            ("retained_earnings", self.retained_earnings),
            ("book_equity", self.book_equity),
            ("ebit", self.ebit),
            ("ebitda", self.ebitda),
            ("net_income", self.net_income),
            ("operating_cash_flow", self.operating_cash_flow),
        ] {
            c.finite(field, value);
        }
        for (field, value) in [
            ("cash", self.cash),
            ("current_assets", self.current_assets),
            ("total_assets", self.total_assets),
            ("current_liabilities", self.current_liabilities),
            ("total_liabilities", self.total_liabilities),
            ("short_term_debt", self.short_term_debt),
            ("long_term_debt", self.long_term_debt),
            ("revenue", self.revenue),
            ("interest_expense", self.interest_expense),
            ("rd_expense", self.rd_expense),
            ("capex", self.capex),
        ] {
            c.non_negative(field, value);
        }
        // Comparisons with a NaN are false, so each order rule only fires on real numbers.
        if self.cash > self.current_assets {
            c.push("cash", "not_above_current_assets", self.cash);
        }
        if self.current_assets > self.total_assets {
            c.push("current_assets", "not_above_total_assets", self.current_assets);
        }
        if self.current_liabilities > self.total_liabilities {
            c.push("current_liabilities", "not_above_total_liabilities", self.current_liabilities);
        }
        let identity_inputs = [self.total_assets, self.total_liabilities, self.book_equity];
        if identity_inputs.iter().all(|v| v.is_finite()) {
            let gap = self.total_assets - (self.total_liabilities + self.book_equity);
            let allowed = (Self::BALANCE_TOLERANCE * self.total_assets.abs()).max(1.0);
            // The gap itself can overflow to infinity for extreme inputs; that is a violation too.
            if gap.is_nan() || gap.abs() > allowed {
                c.push("total_assets+total_liabilities+book_equity", "balance_sheet_identity", gap);
            }
        }
        c.date("period_end", self.period_end);
        c.date("available_at", self.available_at);
        if self.available_at < self.period_end {
            c.push("available_at", "not_before_period_end", self.available_at);
        }
        c.violations
    }
}

/// The kind of a collateral item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum CollateralKind {
    /// Cash deposits pledged with the bank.
    Deposit,
    /// Residential or commercial real estate.
    RealEstate,
    /// Trade receivables.
    Receivables,
    /// Machinery and equipment.
    Equipment,
    /// Inventory.
    Inventory,
    /// A pledge of intellectual property (patents, software copyrights).
    IpPledge,
}

/// One collateral item offered with an application.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Collateral {
    /// The kind of collateral.
    pub kind: CollateralKind,
    /// Appraised market value, in the application's currency.
    pub value: Amount,
}

/// The kind of a guarantee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum GuaranteeKind {
    /// A government or development-bank guarantee scheme for SMEs or innovators.
    GovernmentScheme,
    /// A guarantee by another bank.
    Bank,
    /// A guarantee by a parent or other company.
    Corporate,
    /// A personal guarantee by an owner.
    Personal,
}

/// A guarantee covering part of a loan.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Guarantee {
    /// The kind of guarantee.
    pub kind: GuaranteeKind,
    /// The guarantor's name or scheme name.
    pub guarantor: String,
    /// The share of the loan the guarantee covers.
    pub coverage: Probability,
}

/// A loan product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Product {
    /// An amortising term loan.
    TermLoan,
    /// A revolving credit line.
    RevolvingLine,
    /// A loan secured by a pledge of intellectual property.
    IpPledgeLoan,
    /// A loan covered by a government guarantee scheme.
    GuaranteedLoan,
    /// Venture debt for venture-backed firms.
    VentureDebt,
    /// Trade finance (letters of credit, invoice finance).
    TradeFinance,
}

/// A loan application.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct LoanApplication {
    /// The application's identifier.
    pub id: ApplicationId,
    /// The applicant.
    pub firm_id: FirmId,
    /// The day the application was received (its point-in-time date).
    pub application_date: NaiveDate,
    /// Requested amount.
    pub amount: Amount,
    /// Currency of the amount.
    pub currency: Currency,
    /// Requested tenor.
    pub tenor: Maturity,
    /// Requested product.
    pub product: Product,
    /// Purpose in the applicant's words.
    pub purpose: String,
    /// Collateral offered.
    pub collateral: Vec<Collateral>,
    /// Guarantees offered.
    pub guarantees: Vec<Guarantee>,
}

impl Validate for LoanApplication {
    const ENTITY: &'static str = "loan application";
    fn validate(&self) -> Vec<Violation> {
        let mut c = Checker::default();
        if self.amount.get() == 0.0 {
            c.push("amount", "positive", self.amount);
        }
        c.date("application_date", self.application_date);
        c.text("purpose", &self.purpose, true);
        for (i, g) in self.guarantees.iter().enumerate() {
            c.text(&format!("guarantees[{i}].guarantor"), &g.guarantor, false);
        }
        let coverage: f64 = self.guarantees.iter().map(|g| g.coverage.get()).sum();
        if coverage > 1.0 + 1e-12 {
            c.push("guarantees.coverage", "total_at_most_one", coverage);
        }
        c.violations
    }
}

/// A facility in the loan book, with the risk parameters the portfolio models need.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Exposure {
    /// The facility's identifier.
    pub loan_id: LoanId,
    /// The obligor.
    pub firm_id: FirmId,
    /// One-year probability of default.
    pub pd: Probability,
    /// Loss given default.
    pub lgd: Lgd,
    /// Exposure at default.
    pub ead: Amount,
    /// Effective maturity.
    pub maturity: Maturity,
    /// Sector used for concentration and sector copulas.
    pub sector: String,
    /// The obligor's annual sales in millions of `currency`, for the Basel SME adjustment.
    pub annual_sales: Option<Amount>,
    /// Rating grade on the bank's master scale.
    pub rating: Option<String>,
    /// Currency of the EAD.
    pub currency: Currency,
}

impl Validate for Exposure {
    const ENTITY: &'static str = "exposure";
    fn validate(&self) -> Vec<Violation> {
        let mut c = Checker::default();
        if self.sector.trim().is_empty() {
            c.push("sector", "not_empty", &self.sector);
        }
        c.text("sector", &self.sector, false);
        if let Some(rating) = &self.rating {
            c.text("rating", rating, false);
        }
        c.violations
    }
}

/// The kind of a credit event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum CreditEventKind {
    /// A default under the bank's definition.
    Default,
    /// A payment more than 90 days past due.
    PastDue90,
    /// A distressed restructuring.
    Restructuring,
    /// A bankruptcy filing.
    Bankruptcy,
}

/// A credit event of a firm.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct CreditEvent {
    /// The firm.
    pub firm_id: FirmId,
    /// What happened.
    pub kind: CreditEventKind,
    /// When it happened.
    pub date: NaiveDate,
}

impl Validate for CreditEvent {
    const ENTITY: &'static str = "credit event";
    fn validate(&self) -> Vec<Violation> {
        let mut c = Checker::default();
        c.date("date", self.date);
        c.violations
    }
}

/// Dated closing prices of one instrument, strictly increasing in date.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "RawPriceSeries", into = "RawPriceSeries"))]
pub struct PriceSeries {
    instrument: InstrumentId,
    dates: Vec<NaiveDate>,
    prices: Vec<f64>,
}

/// The unvalidated shape of a [`PriceSeries`], used by serde.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct RawPriceSeries {
    /// The instrument.
    pub instrument: InstrumentId,
    /// Observation dates.
    pub dates: Vec<NaiveDate>,
    /// Prices, one per date.
    pub prices: Vec<f64>,
}

impl TryFrom<RawPriceSeries> for PriceSeries {
    type Error = SchemaError;
    fn try_from(raw: RawPriceSeries) -> Result<Self, SchemaError> {
        PriceSeries::new(raw.instrument, raw.dates, raw.prices)
    }
}

impl From<PriceSeries> for RawPriceSeries {
    fn from(s: PriceSeries) -> Self {
        RawPriceSeries { instrument: s.instrument, dates: s.dates, prices: s.prices }
    }
}

impl PriceSeries {
    /// Builds a series: same lengths, dates strictly increasing, prices finite and positive.
    ///
    /// # Errors
    ///
    /// [`SchemaError::LengthMismatch`], or [`SchemaError::Invalid`] listing each bad price and
    /// each date out of order.
    pub fn new(
        instrument: InstrumentId,
        dates: Vec<NaiveDate>,
        prices: Vec<f64>,
    ) -> Result<Self, SchemaError> {
        if dates.len() != prices.len() {
            return Err(SchemaError::LengthMismatch {
                what: "prices".into(),
                expected: dates.len(),
                found: prices.len(),
            });
        }
        let series = PriceSeries { instrument, dates, prices };
        series.check()?;
        Ok(series)
    }

    /// The instrument.
    #[must_use]
    pub fn instrument(&self) -> &InstrumentId {
        &self.instrument
    }
    /// Observation dates.
    #[must_use]
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }
    /// Prices, one per date.
    #[must_use]
    pub fn prices(&self) -> &[f64] {
        &self.prices
    }
    /// Number of observations.
    #[must_use]
    pub fn len(&self) -> usize {
        self.prices.len()
    }
    /// Whether there are no observations.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.prices.is_empty()
    }
}

impl Validate for PriceSeries {
    const ENTITY: &'static str = "price series";
    fn validate(&self) -> Vec<Violation> {
        let mut c = Checker::default();
        for (i, &p) in self.prices.iter().enumerate() {
            if c.finite(&format!("prices[{i}]"), p) && p <= 0.0 {
                c.push(&format!("prices[{i}]"), "positive", p);
            }
        }
        for (i, w) in self.dates.windows(2).enumerate() {
            if w[1] <= w[0] {
                c.push(&format!("dates[{}]", i + 1), "strictly_increasing", w[1]);
            }
        }
        c.violations
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, 6, 30).expect("a valid date")
    }

    fn firm() -> Firm {
        Firm {
            id: FirmId::new("F1").expect("id"),
            name: "Acme".into(),
            registration_number: "R-1".into(),
            industry: IndustryCode { scheme: IndustryScheme::Nace, code: "C26".into() },
            region: "DE".into(),
            founded: day(2001),
            employees: 10,
            tech: TechProfile {
                high_tech_certified: false,
                certification_date: None,
                rd_expense: Amount::new(0.0).expect("amount"),
                rd_staff_share: Probability::new(0.1).expect("share"),
                patents: Patents { invention: 0, utility_model: 0, design: 0 },
                software_copyrights: 0,
                venture_funding: Amount::new(0.0).expect("amount"),
            },
            contact_name: None,
            contact_email: None,
            contact_phone: None,
        }
    }

    fn rules(f: &Firm) -> Vec<(String, &'static str)> {
        f.validate().into_iter().map(|v| (v.field, v.rule)).collect()
    }

    #[test]
    fn text_fields_refuse_control_characters_and_huge_values() {
        assert!(firm().validate().is_empty());
        let mut f = firm();
        f.name = "Ac\0me".into();
        f.region = "x".repeat(crate::limits::MAX_TEXT_BYTES + 1);
        f.contact_name = Some("\u{1b}[2J".into());
        assert_eq!(
            rules(&f),
            vec![
                ("name".to_owned(), "no_control_characters"),
                ("region".to_owned(), "max_text_bytes"),
                ("contact_name".to_owned(), "no_control_characters"),
            ]
        );
        // The violation shows the value escaped and short, not 10 MB of it.
        f.region = "y".repeat(10 << 20);
        let shown = f.validate().iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        assert!(shown.len() < 400 && shown.contains("\\0"), "{shown}");
    }

    #[test]
    fn years_outside_the_plausible_range_are_violations() {
        for year in [0, -1, 1599, 2101, 2999] {
            let mut f = firm();
            f.founded = day(year);
            assert_eq!(rules(&f), vec![("founded".to_owned(), "plausible_year")], "{year}");
        }
        for year in [1600, 1850, 2100] {
            let mut f = firm();
            f.founded = day(year);
            assert!(f.validate().is_empty(), "{year}");
        }
        let event = CreditEvent {
            firm_id: FirmId::new("F1").expect("id"),
            kind: CreditEventKind::Default,
            date: day(2999),
        };
        assert_eq!(event.validate()[0].rule, "plausible_year");
    }

    #[cfg(feature = "serde")]
    #[test]
    fn unknown_json_keys_are_refused_by_name() {
        let json = r#"{"loan_id":"L1","firm_id":"F1","pd":0.01,"lgd":0.4,"ead":5.0,"maturity":2.0,
            "sector":"C26","anual_sales":3.0,"rating":null,"currency":"EUR"}"#;
        let err = serde_json::from_str::<Exposure>(json).expect_err("misspelt key");
        assert!(err.to_string().contains("unknown field `anual_sales`"), "{err}");
        let good = json.replace("anual_sales", "annual_sales");
        assert!(serde_json::from_str::<Exposure>(&good).is_ok());
    }
}
