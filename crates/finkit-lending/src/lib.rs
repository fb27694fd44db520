//! Corporate lending decisions: fast, explained approvals with risk-based pricing, limits and
//! financing plans for technology-innovation enterprises.
//!
//! `finkit-lending` is the one finkit crate that composes the others: it reads inputs from any
//! data pool ([`finkit_pool::PoolRead`], see [`pool`]), rates them with any PD model (the
//! lending-side [`model::RatingModel`]; a fitted [`finkit_credit::scorecard::Scorecard`] fits
//! behind [`model::ScorecardModel`] with its reason codes, any [`finkit_credit::PdModel`] behind
//! [`model::PdModelAdapter`]; Altman Z″, Merton and the master scale are `finkit_credit`'s) and prices with `finkit-risk`'s IRB and RAROC functions. A bank
//! embeds it in its loan-origination service; the `finkit lend` CLI calls it.
//!
//! One decision runs: statements known on the application date → [`features::Features`] → PD
//! (default [`model::DefaultRatingModel`]: an expert scorecard blended in log-odds with Altman Z″
//! and, with market data, Merton — weights ½, ¼, ¼ renormalised over the components present —
//! or a fitted `finkit_credit` scorecard with its reason codes, [`model::ScorecardModel`]) →
//! grade on `finkit_credit`'s [`MasterScale`] → [`policy`] rules from a TOML file → [`pricing`] → [`limits`] →
//! approve / refer / decline with reasons, a [`plan`] for technology firms and an
//! [`decision::AuditRecord`]. [`impact`] shows what the loan does to the book.
//!
//! # Example
//!
//! ```
//! use finkit_lending::{DecisionInput, Engine, DecisionOutcome, LendingPolicy};
//! use finkit_lending::schema::chrono::NaiveDate;
//! use finkit_lending::schema::*;
//!
//! let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
//! let firm = Firm {
//!     id: FirmId::new("F1")?, name: "Sensorik AG".into(), registration_number: "HRB 1".into(),
//!     industry: IndustryCode { scheme: IndustryScheme::Nace, code: "C26".into() },
//!     region: "DE".into(), founded: day(2005, 1, 1), employees: 120,
//!     tech: TechProfile::default(), contact_name: None, contact_email: None, contact_phone: None,
//! };
//! let statement = FinancialStatement {
//!     firm_id: firm.id.clone(), period_end: day(2024, 12, 31), available_at: day(2025, 3, 31),
//!     currency: Currency::EUR, unit: Unit::Thousand, cash: 2_000.0, current_assets: 8_000.0,
//!     total_assets: 20_000.0, current_liabilities: 4_000.0, total_liabilities: 9_000.0,
//!     short_term_debt: 1_000.0, long_term_debt: 3_000.0, retained_earnings: 6_000.0,
//!     book_equity: 11_000.0, revenue: 30_000.0, ebit: 3_000.0, ebitda: 4_000.0,
//!     interest_expense: 200.0, net_income: 2_000.0, rd_expense: 900.0,
//!     operating_cash_flow: 3_200.0, capex: 1_000.0,
//! };
//! let application = LoanApplication {
//!     id: ApplicationId::new("A1")?, firm_id: firm.id.clone(), application_date: day(2025, 5, 2),
//!     amount: Amount::new(1.5e6)?, currency: Currency::EUR, tenor: Maturity::new(5.0)?,
//!     product: Product::TermLoan, purpose: "new production line".into(),
//!     collateral: vec![Collateral { kind: CollateralKind::Equipment, value: Amount::new(2e6)? }],
//!     guarantees: vec![],
//! };
//!
//! let engine = Engine::with_defaults(LendingPolicy::default_policy()?)?;
//! let decision = engine.decide(&DecisionInput {
//!     application: &application, firm: &firm, statements: &[statement],
//!     market: None, on_watch_list: false, sector: None,
//! })?;
//! assert_eq!(decision.outcome(), DecisionOutcome::Approve);
//! assert!(decision.core.quote.rate() > 0.03);
//! assert_eq!(decision.audit.policy_version, "2025.1");
//! # Ok::<(), finkit_lending::LendingError>(())
//! ```
//!
//! # The loop
//!
//! [`learned`] fits the rating model from the pool's own history (a point-in-time dataset,
//! `finkit_pool::dataset`), calibrates it out of sample and stores it in the pool, versioned,
//! with its training window and validation figures; [`learned::rating_model_for_pool`] gives
//! the engine that model, or the expert blend for a pool without history. [`champion`]
//! reports the straight-through rate and the expected loss of the automatically approved book,
//! and compares a challenger with the champion (flipped decisions, EL and RAROC, the paired
//! DeLong test). Outcome monitoring is `finkit_credit::monitoring`.
//!
//! # Features
//!
//! - `serde` (default): `Serialize` / `Deserialize` on decisions, quotes, limits, plans and
//!   audit records. Policy files are read with serde whether or not the feature is on.
//! - `pool` (default): the data-pool adapter, [`pool`] (an application's inputs and the loan
//!   book from any `finkit_pool::PoolRead`), and the pool side of [`learned`] (`develop` on a
//!   point-in-time dataset, models stored in the pool). Without it neither finkit-pool nor
//!   SQLite is compiled; decisions, pricing, limits and plans work on values the caller builds.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings))))]

pub mod champion;
pub mod collateral;
pub mod decision;
mod error;
pub mod features;
pub mod impact;
pub mod learned;
pub mod limits;
pub mod model;
pub mod plan;
pub mod policy;
#[cfg(feature = "pool")]
pub mod pool;
pub mod pricing;

pub use decision::{
    Decision, DecisionCore, DecisionInput, DecisionOutcome, Engine, EngineConfig, Scratch,
};
pub use error::LendingError;
pub use finkit_credit::master_scale::MasterScale;
pub use finkit_schema as schema;
pub use policy::{Facts, LendingPolicy, PolicyHit, Rule, RuleKind, Severity};

/// The former name of [`LendingPolicy`], kept for one release.
#[deprecated(
    since = "0.1.0",
    note = "renamed to `LendingPolicy` (finkit_pool::Policy is the pool's access policy)"
)]
pub type Policy = LendingPolicy;

/// The former name of [`DecisionOutcome`], kept for one release.
#[deprecated(
    since = "0.1.0",
    note = "renamed to `DecisionOutcome` (finkit_pool::Outcome is an audit outcome)"
)]
pub type Outcome = DecisionOutcome;

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
