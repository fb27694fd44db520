//! A seeded generator of **synthetic** corporate lending data: firms, financial statements, loan
//! applications, a loan book, credit events and market prices.
//!
//! **Everything this module produces is invented.** Firm names, registration numbers, contact
//! details (`*.example` e-mail domains, `555` telephone numbers), statements and prices come
//! from a random number generator; any resemblance to a real firm is chance. Registration
//! numbers start with `SYN-` so that synthetic rows are recognisable wherever they end up.
//!
//! The data set is built for tests, benchmarks and demonstrations, so it is designed to behave
//! like real data in the ways those need:
//!
//! - **Technology-innovation enterprises** make up a configurable share of the firms
//!   ([`SyntheticParamsBuilder::with_tech_share`], default 35 %): pre-revenue deep-tech
//!   start-ups, growing tech SMEs and certified mature manufacturers, with R&D intensity,
//!   patents by kind, software copyrights, high-tech certification dates and venture funding.
//!   Every such firm satisfies [`TechProfile::is_tech_innovative`](finkit_schema::TechProfile);
//!   no other firm does.
//! - **Statements** cover the last 3–5 fiscal years and are rolled forward year by year (equity
//!   grows by retained profit, assets follow revenue), so they are internally consistent: the
//!   balance-sheet identity `total_assets = total_liabilities + book_equity` holds exactly (all
//!   amounts are whole currency units), `cash ≤ current_assets ≤ total_assets`,
//!   `current_liabilities ≤ total_liabilities`, and interest-bearing debt is split into short
//!   and long term. A few statements are **restated**: a second version with a later
//!   `available_at`, so point-in-time queries are exercised.
//! - A **latent credit quality** per firm drives the financial ratios (margins, leverage,
//!   liquidity, debt maturity, interest rates), the true probability of default, the bank's
//!   PD estimate in the loan book, and the defaults. A scorecard fitted on the statements
//!   therefore has real, but not perfect, discriminatory power.
//! - Everything passes `finkit_schema`'s validation (see [`SyntheticDataset::violations`]).
//!
//! # Timeline
//!
//! ```text
//!   period ends (Dec 31) ... L            available_at = period end + 60..120 days
//!   restatements                          original available_at + 30..240 days, ≤ as_of
//!   applications                          between the latest statement's available_at and as_of
//!   loan book (exposures)                 as of `as_of`, one-year PDs
//!   credit events                         (as_of, as_of + 365 days]: the performance year
//! ```
//!
//! `L`, the last fiscal year end, is the latest 31 December with `L + 120 days ≤ as_of`, so every
//! firm has published it by `as_of`. The data set is thus a standard development sample: all
//! that was known on `as_of`, and the defaults of the following year.
//!
//! # Formula
//!
//! ```text
//! quality   q_i = shift(segment_i) + z_i,          z_i ~ N(0, 1)
//! true PD   p_i = F(α − β q_i)                     F = logistic (default) or Φ, see PdLink
//! book PD   p̂_i = F(α − β (q_i + σ ε_i))           ε_i ~ N(0, 1), σ = PD estimation noise
//! default   D_i ~ Bernoulli(p_i) over the performance year
//! ```
//!
//! `α` is solved (bisection on a quadrature over the latent distribution, not on the sample)
//! so that the expected PD across the segment mix equals the target mean PD; it therefore does
//! not depend on the number of firms.
//!
//! # Reproducibility
//!
//! The same [`SyntheticParams`] give the same data set, bit for bit, on a given platform.
//! Random numbers come from ChaCha8 sub-streams keyed by `(seed, kind, index)`, and the samplers
//! are implemented here rather than taken from `rand_distr`, so a dependency update cannot change
//! the data. Firm `i` is drawn from its own stream, so it is the same whatever the number of
//! firms. Across platforms, `ln`, `exp` and `cos` may differ in the last bit; amounts are rounded
//! to whole currency units, so statements practically never change, while PDs may differ in
//! their last digits. Generation is single-threaded, so the thread count plays no part.
//!
//! # Outputs
//!
//! - [`SyntheticDataset`]: the entities, plus the ground truth per firm ([`FirmTruth`]: segment,
//!   latent quality, true and estimated PD, default flag, listed instrument).
//! - [`SyntheticDataset::summary`]: counts, tech share, default rate, mean PDs.
//! - [`SyntheticDataset::scoring_table`]: one row of ratios per firm with the default target,
//!   as a `finkit_schema::Dataset` for scorecard fitting.
//! - [`SyntheticDataset::write_csv`]: one CSV file per entity in the layouts the pool's
//!   ingestion reads (`Batch::from_csv_path`), plus the ground truth.

//! # Example
//!
//! ```
//! use finkit_pool::synthetic::SyntheticParams;
//!
//! let params = SyntheticParams::builder().with_firms(300).with_seed(7).build()?;
//! let data = params.generate()?;
//! assert_eq!(data.firms.len(), 300);
//! assert!(data.violations().is_empty());
//! let summary = data.summary();
//! assert!(summary.tech_share > 0.2 && summary.tech_share < 0.5);
//! # Ok::<(), finkit_pool::PoolError>(())
//! ```

mod book;
mod firm;
mod market;
mod profiles;
mod sample;
mod table;
mod write;

use finkit_schema::chrono::{Datelike, NaiveDate};
use finkit_schema::{
    CreditEvent, Currency, Exposure, FinancialStatement, Firm, FirmId, InstrumentId,
    LoanApplication, PriceSeries, SchemaError, Validate, Violation,
};

use crate::PoolError;

pub use profiles::{IndustryProfile, SYNTHETIC_MASTER_SCALE, Segment, industry_profiles};
pub use write::SyntheticCsvFiles;

/// How the latent credit quality maps to a probability of default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum PdLink {
    /// `PD = 1 / (1 + exp(−x))`: log-odds linear in quality, as a logistic scorecard assumes.
    /// Default slope β = 1.3.
    #[default]
    Logit,
    /// `PD = Φ(x)`: a probit / Merton-style map. Default slope β = 0.75 (about the logit slope
    /// divided by 1.7, so both links spread PDs alike).
    Probit,
}

impl PdLink {
    fn apply(self, x: f64) -> f64 {
        match self {
            PdLink::Logit => 1.0 / (1.0 + (-x).exp()),
            PdLink::Probit => sample::normal_cdf(x),
        }
    }

    fn default_slope(self) -> f64 {
        match self {
            PdLink::Logit => 1.3,
            PdLink::Probit => 0.75,
        }
    }
}

/// Builder of [`SyntheticParams`]; every setter is checked in [`SyntheticParamsBuilder::build`].
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticParamsBuilder {
    firms: usize,
    tech_share: f64,
    years: u32,
    as_of: NaiveDate,
    seed: u64,
    applications: Option<usize>,
    loans: Option<usize>,
    industries: Option<Vec<String>>,
    regions: Vec<String>,
    currency: Currency,
    mean_pd: f64,
    pd_link: PdLink,
    pd_slope: Option<f64>,
    pd_noise: f64,
    restatement_share: f64,
    listed: Option<usize>,
    price_days: usize,
}

/// The most firms, loans or applications one data set may hold.
const MAX_ROWS: usize = 10_000_000;

impl Default for SyntheticParamsBuilder {
    fn default() -> Self {
        SyntheticParamsBuilder {
            firms: 1_000,
            tech_share: 0.35,
            years: 4,
            as_of: NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default(),
            seed: 42,
            applications: None,
            loans: None,
            industries: None,
            regions: profiles::DEFAULT_REGIONS.iter().map(|r| (*r).to_owned()).collect(),
            currency: Currency::EUR,
            mean_pd: 0.03,
            pd_link: PdLink::Logit,
            pd_slope: None,
            pd_noise: 0.35,
            restatement_share: 0.05,
            listed: None,
            price_days: 750,
        }
    }
}

impl SyntheticParamsBuilder {
    /// Number of firms (default 1,000; 1 to 10,000,000).
    #[must_use]
    pub fn with_firms(mut self, firms: usize) -> Self {
        self.firms = firms;
        self
    }
    /// Expected share of technology-innovation enterprises (default 0.35; in `[0, 1]`).
    #[must_use]
    pub fn with_tech_share(mut self, share: f64) -> Self {
        self.tech_share = share;
        self
    }
    /// Fiscal years of statements per firm (default 4; 3 to 5). Firms founded during the window
    /// have fewer.
    #[must_use]
    pub fn with_years(mut self, years: u32) -> Self {
        self.years = years;
        self
    }
    /// The data set's as-of date (default 2024-12-31; years 1950 to 2200).
    #[must_use]
    pub fn with_as_of(mut self, as_of: NaiveDate) -> Self {
        self.as_of = as_of;
        self
    }
    /// The seed (default 42).
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Number of loan applications (default: a fifth of the firms, at least one).
    #[must_use]
    pub fn with_applications(mut self, applications: usize) -> Self {
        self.applications = Some(applications);
        self
    }
    /// Number of facilities in the loan book (default: half the number of firms, at least one).
    #[must_use]
    pub fn with_loans(mut self, loans: usize) -> Self {
        self.loans = Some(loans);
        self
    }
    /// The NACE codes to draw industries from (default: all of [`industry_profiles`]).
    #[must_use]
    pub fn with_industries<I, S>(mut self, codes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.industries = Some(codes.into_iter().map(Into::into).collect());
        self
    }
    /// The regions to draw from, uniformly (default: six EU subdivision codes such as `DE-BY`).
    #[must_use]
    pub fn with_regions<I, S>(mut self, regions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.regions = regions.into_iter().map(Into::into).collect();
        self
    }
    /// The currency of every amount (default EUR).
    #[must_use]
    pub fn with_currency(mut self, currency: Currency) -> Self {
        self.currency = currency;
        self
    }
    /// Target mean one-year PD over the firm population (default 0.03; in `(0, 0.5]`).
    #[must_use]
    pub fn with_mean_pd(mut self, mean_pd: f64) -> Self {
        self.mean_pd = mean_pd;
        self
    }
    /// The quality-to-PD map (default [`PdLink::Logit`]).
    #[must_use]
    pub fn with_pd_link(mut self, link: PdLink) -> Self {
        self.pd_link = link;
        self
    }
    /// The slope β of the PD map in quality units (default: the link's, see [`PdLink`]; in
    /// `(0, 10]`). Larger means stronger discrimination.
    #[must_use]
    pub fn with_pd_slope(mut self, slope: f64) -> Self {
        self.pd_slope = Some(slope);
        self
    }
    /// Standard deviation σ of the bank's estimation error, in quality units, for the loan
    /// book's PDs (default 0.35; in `[0, 5]`; 0 makes the book PD the true PD).
    #[must_use]
    pub fn with_pd_estimation_noise(mut self, sigma: f64) -> Self {
        self.pd_noise = sigma;
        self
    }
    /// Share of firms with one restated statement (default 0.05; in `[0, 1]`).
    #[must_use]
    pub fn with_restatement_share(mut self, share: f64) -> Self {
        self.restatement_share = share;
        self
    }
    /// Number of listed firms with a price series (default: up to 5, the largest eligible).
    #[must_use]
    pub fn with_listed(mut self, listed: usize) -> Self {
        self.listed = Some(listed);
        self
    }
    /// Trading days per price series (default 750, about three years; 0 for no prices,
    /// otherwise 2 to 100,000).
    #[must_use]
    pub fn with_price_days(mut self, days: usize) -> Self {
        self.price_days = days;
        self
    }

    /// Checks every setting and returns the validated parameters.
    ///
    /// # Errors
    ///
    /// [`PoolError::Schema`] wrapping [`SchemaError::OutOfRange`] for a number outside its range
    /// (the message names the setting and the value), or [`SchemaError::InvalidText`] for an
    /// unknown or duplicate industry code, an empty or blank region, an as-of date outside 1950
    /// to 2200, or industries that cannot host the requested tech share.
    pub fn build(self) -> Result<SyntheticParams, PoolError> {
        let range = |what: &'static str, range: &'static str, value: f64, ok: bool| {
            if ok && value.is_finite() {
                Ok(())
            } else if !value.is_finite() {
                Err(PoolError::Schema(SchemaError::NonFinite { what, value }))
            } else {
                Err(PoolError::Schema(SchemaError::OutOfRange { what, range, value }))
            }
        };
        let text = |what: &'static str, value: String, reason: &'static str| {
            PoolError::Schema(SchemaError::InvalidText { what, value, reason })
        };
        let count = |what: &'static str, n: usize, min: usize| {
            let span = if min == 0 { "[0, 10000000]" } else { "[1, 10000000]" };
            range(what, span, n as f64, (min..=MAX_ROWS).contains(&n))
        };
        count("number of firms", self.firms, 1)?;
        range("tech share", "[0, 1]", self.tech_share, (0.0..=1.0).contains(&self.tech_share))?;
        range(
            "years of statements",
            "[3, 5]",
            f64::from(self.years),
            (3..=5).contains(&self.years),
        )?;
        if !(1950..=2200).contains(&self.as_of.year()) {
            return Err(text(
                "as-of date",
                self.as_of.to_string(),
                "must be in the years 1950 to 2200",
            ));
        }
        let applications = self.applications.unwrap_or((self.firms / 5).max(1));
        count("number of applications", applications, 0)?;
        let loans = self.loans.unwrap_or((self.firms / 2).max(1));
        count("number of loans", loans, 0)?;
        range("mean pd", "(0, 0.5]", self.mean_pd, self.mean_pd > 0.0 && self.mean_pd <= 0.5)?;
        let pd_slope = self.pd_slope.unwrap_or(self.pd_link.default_slope());
        range("pd slope", "(0, 10]", pd_slope, pd_slope > 0.0 && pd_slope <= 10.0)?;
        range(
            "pd estimation noise",
            "[0, 5]",
            self.pd_noise,
            (0.0..=5.0).contains(&self.pd_noise),
        )?;
        range(
            "restatement share",
            "[0, 1]",
            self.restatement_share,
            (0.0..=1.0).contains(&self.restatement_share),
        )?;
        let listed = self.listed.unwrap_or(self.firms.min(5));
        range("number of listed firms", "[0, firms]", listed as f64, listed <= self.firms)?;
        range(
            "price days",
            "{0} or [2, 100000]",
            self.price_days as f64,
            self.price_days == 0 || (2..=100_000).contains(&self.price_days),
        )?;

        let industries: Vec<usize> = match &self.industries {
            None => (0..profiles::INDUSTRIES.len()).collect(),
            Some(codes) => {
                if codes.is_empty() {
                    return Err(text("industry list", String::new(), "must not be empty"));
                }
                let mut chosen = Vec::with_capacity(codes.len());
                for code in codes {
                    let index = profiles::INDUSTRIES
                        .iter()
                        .position(|p| p.code == code)
                        .ok_or_else(|| {
                            text(
                                "industry code",
                                code.clone(),
                                "not a synthetic industry profile (see industry_profiles)",
                            )
                        })?;
                    if chosen.contains(&index) {
                        return Err(text("industry code", code.clone(), "listed twice"));
                    }
                    chosen.push(index);
                }
                chosen
            }
        };
        let weight = |f: fn(&IndustryProfile) -> f64| {
            industries.iter().map(|&i| f(&profiles::INDUSTRIES[i])).sum::<f64>()
        };
        if self.tech_share > 0.0 && weight(|p| p.tech_weight) <= 0.0 {
            return Err(text(
                "industry list",
                self.industries.clone().unwrap_or_default().join(","),
                "has no technology industry but the tech share is above zero",
            ));
        }
        if self.tech_share < 1.0 && weight(|p| p.traditional_weight) <= 0.0 {
            return Err(text(
                "industry list",
                self.industries.clone().unwrap_or_default().join(","),
                "has no traditional industry but the tech share is below one",
            ));
        }
        if self.regions.is_empty() {
            return Err(text("region list", String::new(), "must not be empty"));
        }
        if let Some(bad) = self.regions.iter().find(|r| r.trim().is_empty()) {
            return Err(text("region", bad.clone(), "must not be blank"));
        }

        Ok(SyntheticParams {
            firms: self.firms,
            tech_share: self.tech_share,
            years: self.years,
            as_of: self.as_of,
            seed: self.seed,
            applications,
            loans,
            industries,
            regions: self.regions,
            currency: self.currency,
            mean_pd: self.mean_pd,
            pd_link: self.pd_link,
            pd_slope,
            pd_noise: self.pd_noise,
            restatement_share: self.restatement_share,
            listed,
            price_days: self.price_days,
        })
    }
}

/// Validated settings of the synthetic generator; build them with [`SyntheticParams::builder`].
///
/// `SyntheticParams::default()` are the builder's defaults: 1,000 firms, 35 % technology
/// firms, 4 years of statements, as of 2024-12-31, seed 42, 200 applications, 500 loans, all
/// industries, six EU regions, EUR, mean PD 3 %, logit link, 5 % restatements, 5 listed firms
/// with 750 trading days of prices.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticParams {
    firms: usize,
    tech_share: f64,
    years: u32,
    as_of: NaiveDate,
    seed: u64,
    applications: usize,
    loans: usize,
    industries: Vec<usize>,
    regions: Vec<String>,
    currency: Currency,
    mean_pd: f64,
    pd_link: PdLink,
    pd_slope: f64,
    pd_noise: f64,
    restatement_share: f64,
    listed: usize,
    price_days: usize,
}

impl Default for SyntheticParams {
    fn default() -> Self {
        // The defaults are valid by construction; the fallback only exists because the
        // library does not unwrap, and it is the same set of values.
        SyntheticParamsBuilder::default().build().unwrap_or_else(|_| SyntheticParams {
            firms: 1_000,
            tech_share: 0.35,
            years: 4,
            as_of: NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default(),
            seed: 42,
            applications: 200,
            loans: 500,
            industries: (0..profiles::INDUSTRIES.len()).collect(),
            regions: profiles::DEFAULT_REGIONS.iter().map(|r| (*r).to_owned()).collect(),
            currency: Currency::EUR,
            mean_pd: 0.03,
            pd_link: PdLink::Logit,
            pd_slope: PdLink::Logit.default_slope(),
            pd_noise: 0.35,
            restatement_share: 0.05,
            listed: 5,
            price_days: 750,
        })
    }
}

impl SyntheticParams {
    /// A builder with the default settings.
    #[must_use]
    pub fn builder() -> SyntheticParamsBuilder {
        SyntheticParamsBuilder::default()
    }

    /// Generates the data set.
    ///
    /// # Errors
    ///
    /// None in practice: every value is built through `finkit_schema`'s validating
    /// constructors, and a failure there (a generator bug) is returned as
    /// [`PoolError::Schema`] rather than a panic.
    pub fn generate(&self) -> Result<SyntheticDataset, PoolError> {
        generate(self)
    }

    /// Number of firms.
    #[must_use]
    pub fn firms(&self) -> usize {
        self.firms
    }
    /// Expected share of technology-innovation enterprises.
    #[must_use]
    pub fn tech_share(&self) -> f64 {
        self.tech_share
    }
    /// Fiscal years of statements.
    #[must_use]
    pub fn years(&self) -> u32 {
        self.years
    }
    /// The as-of date.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }
    /// The seed.
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Number of loan applications.
    #[must_use]
    pub fn applications(&self) -> usize {
        self.applications
    }
    /// Number of loan-book facilities.
    #[must_use]
    pub fn loans(&self) -> usize {
        self.loans
    }
    /// The NACE codes firms are drawn from.
    #[must_use]
    pub fn industries(&self) -> Vec<&'static str> {
        self.industries.iter().map(|&i| profiles::INDUSTRIES[i].code).collect()
    }
    /// The regions firms are drawn from.
    #[must_use]
    pub fn regions(&self) -> &[String] {
        &self.regions
    }
    /// The currency of every amount.
    #[must_use]
    pub fn currency(&self) -> Currency {
        self.currency
    }
    /// Target mean one-year PD.
    #[must_use]
    pub fn mean_pd(&self) -> f64 {
        self.mean_pd
    }
    /// The quality-to-PD map.
    #[must_use]
    pub fn pd_link(&self) -> PdLink {
        self.pd_link
    }
    /// The slope β of the PD map.
    #[must_use]
    pub fn pd_slope(&self) -> f64 {
        self.pd_slope
    }
    /// Standard deviation of the book PD's estimation error, in quality units.
    #[must_use]
    pub fn pd_estimation_noise(&self) -> f64 {
        self.pd_noise
    }
    /// Share of firms with a restated statement.
    #[must_use]
    pub fn restatement_share(&self) -> f64 {
        self.restatement_share
    }
    /// Requested number of listed firms.
    #[must_use]
    pub fn listed(&self) -> usize {
        self.listed
    }
    /// Trading days per price series.
    #[must_use]
    pub fn price_days(&self) -> usize {
        self.price_days
    }
    /// The last fiscal year end: the latest 31 December at least 120 days before the as-of date.
    #[must_use]
    pub fn last_period_end(&self) -> NaiveDate {
        let year = self.as_of.year();
        let candidate = NaiveDate::from_ymd_opt(year - 1, 12, 31).unwrap_or(self.as_of);
        if shift(candidate, 120) <= self.as_of {
            candidate
        } else {
            NaiveDate::from_ymd_opt(year - 2, 12, 31).unwrap_or(self.as_of)
        }
    }
}

/// What the generator knows about a firm that the data does not show: the ground truth.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FirmTruth {
    /// The firm.
    pub firm_id: FirmId,
    /// The segment it was drawn as.
    pub segment: Segment,
    /// Whether it was drawn as a technology-innovation enterprise.
    pub tech: bool,
    /// The latent credit quality (higher is better; about standard normal).
    pub quality: f64,
    /// The true one-year PD from which the default was drawn.
    pub pd: f64,
    /// The bank's PD estimate (the true PD seen through estimation noise), used in the book.
    pub estimated_pd: f64,
    /// Whether the firm defaults in the performance year.
    pub defaulted: bool,
    /// The instrument of its price series, when it is listed.
    pub instrument: Option<InstrumentId>,
}

/// A generated data set; every entity passes `finkit_schema`'s validation.
///
/// Orders: firms by id; statements by firm, period end and `available_at`; applications,
/// exposures by id; events by date then firm; prices with the market index
/// ([`SyntheticDataset::INDEX_INSTRUMENT`]) first, then listed firms (instrument id = firm id).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SyntheticDataset {
    /// The as-of date: the loan book's date and the end of everything known (see the timeline
    /// in the module docs).
    pub as_of: NaiveDate,
    /// The firms.
    pub firms: Vec<Firm>,
    /// Financial statements, restated versions included.
    pub statements: Vec<FinancialStatement>,
    /// Loan applications dated after each applicant's latest statement.
    pub applications: Vec<LoanApplication>,
    /// The loan book as of the as-of date.
    pub exposures: Vec<Exposure>,
    /// Credit events of the performance year after the as-of date.
    pub events: Vec<CreditEvent>,
    /// Daily closing prices of the market index and the listed firms.
    pub prices: Vec<PriceSeries>,
    /// The ground truth per firm, in the order of `firms`.
    pub truth: Vec<FirmTruth>,
}

/// Headline statistics of a [`SyntheticDataset`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct SyntheticSummary {
    /// Number of firms.
    pub firms: usize,
    /// Firms for which `TechProfile::is_tech_innovative` holds.
    pub tech_firms: usize,
    /// `tech_firms / firms`.
    pub tech_share: f64,
    /// Statements, restated versions included.
    pub statements: usize,
    /// Restated versions (statements whose period was already published).
    pub restatements: usize,
    /// Applications.
    pub applications: usize,
    /// Loan-book facilities.
    pub exposures: usize,
    /// Credit events of every kind.
    pub events: usize,
    /// Firms that default in the performance year.
    pub defaults: usize,
    /// `defaults / firms`.
    pub default_rate: f64,
    /// Mean true PD over the firms.
    pub mean_true_pd: f64,
    /// Mean PD over the loan-book facilities.
    pub mean_exposure_pd: f64,
    /// Number of price series (index included).
    pub price_series: usize,
}

impl SyntheticDataset {
    /// The instrument id of the synthetic market index.
    pub const INDEX_INSTRUMENT: &'static str = "SYN-INDEX";

    /// Every validation failure of every entity, with the entity named in the field (for
    /// example `statements[12].cash`). Empty for a generated data set.
    #[must_use]
    pub fn violations(&self) -> Vec<Violation> {
        fn collect<T: Validate>(out: &mut Vec<Violation>, name: &str, items: &[T]) {
            for (i, item) in items.iter().enumerate() {
                for mut v in item.validate() {
                    v.field = format!("{name}[{i}].{}", v.field);
                    out.push(v);
                }
            }
        }
        let mut out = Vec::new();
        collect(&mut out, "firms", &self.firms);
        collect(&mut out, "statements", &self.statements);
        collect(&mut out, "applications", &self.applications);
        collect(&mut out, "exposures", &self.exposures);
        collect(&mut out, "prices", &self.prices);
        out
    }

    /// Headline statistics: counts, tech share, default rate, mean PDs.
    #[must_use]
    pub fn summary(&self) -> SyntheticSummary {
        let firms = self.firms.len();
        let tech_firms = self.firms.iter().filter(|f| f.tech.is_tech_innovative()).count();
        let restatements = self
            .statements
            .windows(2)
            .filter(|w| w[0].firm_id == w[1].firm_id && w[0].period_end == w[1].period_end)
            .count();
        let defaults = self.truth.iter().filter(|t| t.defaulted).count();
        let share = |n: usize, d: usize| if d == 0 { 0.0 } else { n as f64 / d as f64 };
        SyntheticSummary {
            firms,
            tech_firms,
            tech_share: share(tech_firms, firms),
            statements: self.statements.len(),
            restatements,
            applications: self.applications.len(),
            exposures: self.exposures.len(),
            events: self.events.len(),
            defaults,
            default_rate: share(defaults, firms),
            mean_true_pd: mean(self.truth.iter().map(|t| t.pd)),
            mean_exposure_pd: mean(self.exposures.iter().map(|e| e.pd.get())),
            price_series: self.prices.len(),
        }
    }

    /// Whether the firm defaults in the performance year (it has a
    /// [`CreditEventKind::Default`](finkit_schema::CreditEventKind::Default) event).
    #[must_use]
    pub fn defaulted(&self, firm: &FirmId) -> bool {
        self.truth_of(firm).is_some_and(|t| t.defaulted)
    }

    /// The ground truth of a firm.
    #[must_use]
    pub fn truth_of(&self, firm: &FirmId) -> Option<&FirmTruth> {
        // Ids are `F` and the 1-based index, so the position is known; the search is a fallback
        // for data sets whose vectors were edited.
        let guess = firm
            .as_str()
            .get(1..)
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| n.checked_sub(1));
        guess
            .and_then(|i| self.truth.get(i))
            .filter(|t| &t.firm_id == firm)
            .or_else(|| self.truth.iter().find(|t| &t.firm_id == firm))
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// `date` moved by `days`. The as-of date is validated to lie in 1950–2200 and the generator
/// moves dates by at most a century, far inside chrono's range, so the fallback never happens.
fn shift(date: NaiveDate, days: i64) -> NaiveDate {
    date.checked_add_signed(finkit_schema::chrono::TimeDelta::days(days)).unwrap_or(date)
}

/// Everything the per-entity generators share.
#[derive(Debug)]
struct Context<'a> {
    params: &'a SyntheticParams,
    /// Fiscal year ends, oldest first; the last is [`SyntheticParams::last_period_end`].
    period_ends: Vec<NaiveDate>,
    /// Intercept α of the PD map.
    alpha: f64,
}

impl Context<'_> {
    fn pd(&self, quality: f64) -> f64 {
        self.params.pd_link.apply(self.alpha - self.params.pd_slope * quality)
    }
}

/// Solves for α so that the expected PD over the latent distribution equals the target.
///
/// The latent quality is a mixture over segments of `N(shift, 1)`; the expectation is a
/// trapezoid sum over `z ∈ [−8, 8]` with step 0.02 (the tails beyond carry < 1e-15 of the mass,
/// and the trapezoid rule converges geometrically for such smooth, decaying integrands), and α
/// is found by bisection because the expected PD is increasing in α. 64 halvings of the
/// starting interval of width 80 leave an error below 1e-17.
fn calibrate_alpha(params: &SyntheticParams) -> f64 {
    let mut mixture: Vec<(f64, f64)> = Vec::new();
    let splits =
        profiles::TECH_SPLIT.iter().map(|&(segment, w)| (segment, params.tech_share * w)).chain(
            profiles::NON_TECH_SPLIT
                .iter()
                .map(|&(segment, w)| (segment, (1.0 - params.tech_share) * w)),
        );
    for (segment, w) in splits {
        let shift = segment.quality_shift();
        match mixture.iter_mut().find(|(s, _)| *s == shift) {
            Some((_, total)) => *total += w,
            None => mixture.push((shift, w)),
        }
    }
    const NODES: u32 = 800;
    let step = 16.0 / f64::from(NODES);
    let nodes: Vec<(f64, f64)> = (0..=NODES)
        .map(|k| {
            let z = -8.0 + step * f64::from(k);
            let edge = if k == 0 || k == NODES { 0.5 } else { 1.0 };
            (z, edge * (-0.5 * z * z).exp())
        })
        .collect();
    let norm: f64 = nodes.iter().map(|(_, w)| w).sum();
    let expected = |alpha: f64| -> f64 {
        mixture
            .iter()
            .map(|&(shift, w)| {
                w * nodes
                    .iter()
                    .map(|&(z, nw)| {
                        nw * params.pd_link.apply(alpha - params.pd_slope * (shift + z))
                    })
                    .sum::<f64>()
                    / norm
            })
            .sum()
    };
    let (mut lo, mut hi) = (-40.0, 40.0);
    for _ in 0..64 {
        let mid = 0.5 * (lo + hi);
        if expected(mid) < params.mean_pd {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

fn generate(params: &SyntheticParams) -> Result<SyntheticDataset, PoolError> {
    let last = params.last_period_end();
    let period_ends = (0..params.years)
        .rev()
        .map(|back| NaiveDate::from_ymd_opt(last.year() - back as i32, 12, 31).unwrap_or(last))
        .collect();
    let ctx = Context { params, period_ends, alpha: calibrate_alpha(params) };

    let mut firms = Vec::with_capacity(params.firms);
    let mut statements = Vec::with_capacity(params.firms * (params.years as usize + 1));
    let mut truth = Vec::with_capacity(params.firms);
    let mut states = Vec::with_capacity(params.firms);
    for i in 0..params.firms {
        let draw = firm::draw(&ctx, i)?;
        firms.push(draw.firm);
        statements.extend(draw.statements);
        truth.push(draw.truth);
        states.push(draw.state);
    }
    let events = book::events(&ctx, &mut truth, &states);
    let exposures = book::exposures(&ctx, &firms, &truth, &states)?;
    let applications = book::applications(&ctx, &firms, &states)?;
    let prices = market::prices(&ctx, &firms, &mut truth, &states)?;
    Ok(SyntheticDataset {
        as_of: params.as_of,
        firms,
        statements,
        applications,
        exposures,
        events,
        prices,
        truth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_build_and_match_the_documentation() {
        let p = SyntheticParams::default();
        assert_eq!(p, SyntheticParams::builder().build().unwrap());
        assert_eq!((p.firms(), p.applications(), p.loans(), p.listed()), (1000, 200, 500, 5));
        assert_eq!(p.last_period_end(), NaiveDate::from_ymd_opt(2023, 12, 31).unwrap());
        let early = SyntheticParams::builder()
            .with_as_of(NaiveDate::from_ymd_opt(2024, 4, 1).unwrap())
            .build()
            .unwrap();
        assert_eq!(early.last_period_end(), NaiveDate::from_ymd_opt(2022, 12, 31).unwrap());
    }

    #[test]
    fn bad_settings_are_typed_errors_naming_the_value() {
        let b = SyntheticParams::builder;
        let cases: Vec<(SyntheticParamsBuilder, &str)> = vec![
            (b().with_firms(0), "number of firms must be in [1, 10000000], got 0"),
            (b().with_tech_share(1.2), "tech share must be in [0, 1], got 1.2"),
            (b().with_tech_share(f64::NAN), "tech share must be finite"),
            (b().with_years(6), "years of statements must be in [3, 5], got 6"),
            (b().with_mean_pd(0.0), "mean pd"),
            (b().with_pd_slope(-1.0), "pd slope"),
            (b().with_pd_estimation_noise(-0.1), "pd estimation noise"),
            (b().with_restatement_share(2.0), "restatement share"),
            (b().with_firms(3).with_listed(4), "number of listed firms"),
            (b().with_price_days(1), "price days"),
            (b().with_industries(["C26", "X99"]), "\"X99\""),
            (b().with_industries(["C26", "C26"]), "listed twice"),
            (b().with_industries(["G46"]), "no technology industry"),
            (b().with_industries(["M72", "C21"]).with_tech_share(0.5), "has no traditional"),
            (b().with_regions(Vec::<String>::new()), "region list"),
            (b().with_regions(["DE-BY", " "]), "must not be blank"),
            (b().with_as_of(NaiveDate::from_ymd_opt(1900, 1, 1).unwrap()), "1900-01-01"),
        ];
        for (builder, needle) in cases {
            let err = builder.build().unwrap_err();
            assert!(matches!(err, PoolError::Schema(_)), "{err:?}");
            assert!(err.to_string().contains(needle), "{err} should contain {needle}");
        }
        // Edge values that are allowed.
        assert!(b().with_tech_share(0.0).with_industries(["G46"]).build().is_ok());
        assert!(b().with_tech_share(1.0).with_industries(["J62"]).build().is_ok());
        assert!(b().with_price_days(0).with_applications(0).with_loans(0).build().is_ok());
    }

    #[test]
    fn alpha_hits_the_target_mean_pd() {
        for link in [PdLink::Logit, PdLink::Probit] {
            for target in [0.005, 0.03, 0.2] {
                let p = SyntheticParams::builder()
                    .with_pd_link(link)
                    .with_mean_pd(target)
                    .with_firms(20_000)
                    .with_loans(0)
                    .with_applications(0)
                    .with_price_days(0)
                    .build()
                    .unwrap();
                let data = p.generate().unwrap();
                let mean_pd = data.summary().mean_true_pd;
                // Sampling error of a mean of 20,000 PDs is well below 8 % of the mean here.
                assert!((mean_pd / target - 1.0).abs() < 0.08, "{link:?} {target}: {mean_pd}");
            }
        }
    }
}
