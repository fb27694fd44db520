//! The conformance suite every backend must pass, written once as generic functions.
//!
//! A backend's test calls [`run_all`] with a function that makes a fresh, empty pool governed by
//! [`Policy::default`] (the checks rely on the default roles):
//!
//! ```
//! use finkit_pool::{MemoryPool, SqlitePool, conformance};
//! conformance::run_all(MemoryPool::default)?;
//! conformance::run_all(|| SqlitePool::in_memory().expect("in-memory sqlite"))?;
//! # Ok::<(), conformance::ConformanceFailure>(())
//! ```
//!
//! Failures are returned, not panicked, naming the check and what differed. [`fixtures`] is the
//! small data set the checks use; [`ReadPath`] and [`read_path`] enumerate every read of the
//! [`PoolRead`] trait for access-control tests.

use std::fmt;

use chrono::NaiveDate;
use finkit_schema::{FirmId, InstrumentId};

use crate::PoolError;
use crate::audit::Outcome;
use crate::ingest::{Batch, IngestMode};
use crate::record::Record;
use crate::security::{MASK, Permission, Policy, Principal, Pseudonymiser, Role};
use crate::traits::{ApplicationFilter, FirmFilter, PoolRead, PoolWrite, StatementQuery};

/// A failed conformance check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConformanceFailure {
    /// The check's name.
    pub check: &'static str,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for ConformanceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conformance check {} failed: {}", self.check, self.message)
    }
}

impl std::error::Error for ConformanceFailure {}

macro_rules! ensure {
    ($check:expr, $cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(ConformanceFailure { check: $check, message: format!($($fmt)+) });
        }
    };
}

fn ok<T, E: Into<PoolError>>(
    check: &'static str,
    r: Result<T, E>,
) -> Result<T, ConformanceFailure> {
    r.map_err(|e| ConformanceFailure { check, message: format!("unexpected error: {}", e.into()) })
}

fn err<T: fmt::Debug, E: Into<PoolError>>(
    check: &'static str,
    r: Result<T, E>,
) -> Result<PoolError, ConformanceFailure> {
    match r {
        Ok(v) => {
            Err(ConformanceFailure { check, message: format!("expected an error, got {v:?}") })
        }
        Err(e) => Ok(e.into()),
    }
}

/// The small data set of the checks: three firms, statements with one correction,
/// applications, exposures, credit events and prices. Every value is deliberate.
pub mod fixtures {
    use chrono::NaiveDate;
    use finkit_schema::{
        Amount, Collateral, CollateralKind, CreditEvent, CreditEventKind, Currency, Exposure,
        FinancialStatement, Firm, Guarantee, GuaranteeKind, IndustryCode, IndustryScheme,
        LoanApplication, Patents, Probability, Product, TechProfile, Unit,
    };

    use crate::PoolError;
    use crate::record::{PriceObservation, Record};

    /// The firm ids of the fixture.
    pub const FIRMS: [&str; 3] = ["FIRM-ALPHA-01", "FIRM-BETA-02", "FIRM-GAMMA-03"];

    /// Every sensitive value in the fixture: none may appear in a read by a role without
    /// [`crate::Permission::ViewSensitive`], nor in a research export.
    pub const SENSITIVE: [&str; 7] = [
        "REG-91440101-A",
        "REG-91440101-B",
        "REG-DE-HRB-77",
        "Li Wei",
        "li.wei@alpha.example",
        "+86-20-5555-0101",
        "Zhang Min",
    ];

    /// A date from constant parts.
    ///
    /// # Errors
    ///
    /// [`PoolError::Format`] for an impossible date.
    pub fn date(y: i32, m: u32, d: u32) -> Result<NaiveDate, PoolError> {
        NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| PoolError::Format {
            source_name: "fixture".into(),
            message: format!("impossible date {y}-{m}-{d}"),
        })
    }

    /// A balanced statement scaled by total assets `a`.
    ///
    /// # Errors
    ///
    /// Bad constant inputs.
    pub fn statement(
        firm: &str,
        period_end: NaiveDate,
        available_at: NaiveDate,
        a: f64,
    ) -> Result<FinancialStatement, PoolError> {
        Ok(FinancialStatement {
            firm_id: firm.parse()?,
            period_end,
            available_at,
            currency: Currency::EUR,
            unit: Unit::One,
            cash: 0.1 * a,
            current_assets: 0.5 * a,
            total_assets: a,
            current_liabilities: 0.3 * a,
            total_liabilities: 0.6 * a,
            short_term_debt: 0.1 * a,
            long_term_debt: 0.2 * a,
            retained_earnings: 0.2 * a,
            book_equity: 0.4 * a,
            revenue: 1.2 * a,
            ebit: 0.1 * a,
            ebitda: 0.15 * a,
            interest_expense: 0.01 * a,
            net_income: 0.06 * a,
            rd_expense: 0.02 * a,
            operating_cash_flow: 0.08 * a,
            capex: 0.05 * a,
        })
    }

    /// The three firms.
    ///
    /// # Errors
    ///
    /// Bad constant inputs.
    pub fn firms() -> Result<Vec<Firm>, PoolError> {
        Ok(vec![
            Firm {
                id: FIRMS[0].parse()?,
                name: "Alpha Robotics".into(),
                registration_number: SENSITIVE[0].into(),
                industry: IndustryCode { scheme: IndustryScheme::Nace, code: "C26".into() },
                region: "CN-GD".into(),
                founded: date(2010, 5, 1)?,
                employees: 120,
                tech: TechProfile {
                    high_tech_certified: true,
                    certification_date: Some(date(2015, 6, 1)?),
                    rd_expense: Amount::new(1.5e6)?,
                    rd_staff_share: Probability::new(0.3)?,
                    patents: Patents { invention: 5, utility_model: 10, design: 2 },
                    software_copyrights: 3,
                    venture_funding: Amount::new(2e6)?,
                },
                contact_name: Some(SENSITIVE[3].into()),
                contact_email: Some(SENSITIVE[4].into()),
                contact_phone: Some(SENSITIVE[5].into()),
            },
            Firm {
                id: FIRMS[1].parse()?,
                name: "Beta Foods".into(),
                registration_number: SENSITIVE[1].into(),
                industry: IndustryCode { scheme: IndustryScheme::Nace, code: "C10".into() },
                region: "CN-GD".into(),
                founded: date(2001, 1, 1)?,
                employees: 300,
                tech: TechProfile {
                    rd_staff_share: Probability::new(0.02)?,
                    ..TechProfile::default()
                },
                contact_name: Some(SENSITIVE[6].into()),
                contact_email: None,
                contact_phone: None,
            },
            Firm {
                id: FIRMS[2].parse()?,
                name: "Gamma Software".into(),
                registration_number: SENSITIVE[2].into(),
                industry: IndustryCode { scheme: IndustryScheme::Nace, code: "J62".into() },
                region: "DE-BY".into(),
                founded: date(2018, 3, 15)?,
                employees: 40,
                tech: TechProfile {
                    rd_staff_share: Probability::new(0.45)?,
                    software_copyrights: 12,
                    ..TechProfile::default()
                },
                contact_name: None,
                contact_email: None,
                contact_phone: None,
            },
        ])
    }

    /// Statements: the first firm's FY2023 is corrected on 2024-06-30.
    ///
    /// # Errors
    ///
    /// Bad constant inputs.
    pub fn statements() -> Result<Vec<FinancialStatement>, PoolError> {
        Ok(vec![
            statement(FIRMS[0], date(2022, 12, 31)?, date(2023, 4, 30)?, 10e6)?,
            statement(FIRMS[0], date(2023, 12, 31)?, date(2024, 4, 30)?, 12e6)?,
            statement(FIRMS[0], date(2023, 12, 31)?, date(2024, 6, 30)?, 12.5e6)?,
            statement(FIRMS[1], date(2023, 12, 31)?, date(2024, 3, 31)?, 50e6)?,
            statement(FIRMS[2], date(2023, 12, 31)?, date(2024, 5, 15)?, 2e6)?,
        ])
    }

    /// Two applications; the first has a personal guarantee by a named person.
    ///
    /// # Errors
    ///
    /// Bad constant inputs.
    pub fn applications() -> Result<Vec<LoanApplication>, PoolError> {
        Ok(vec![
            LoanApplication {
                id: "APP-0001".parse()?,
                firm_id: FIRMS[0].parse()?,
                application_date: date(2024, 2, 1)?,
                amount: Amount::new(1e6)?,
                currency: Currency::EUR,
                tenor: finkit_schema::Maturity::new(3.0)?,
                product: Product::IpPledgeLoan,
                purpose: "new production line".into(),
                collateral: vec![Collateral {
                    kind: CollateralKind::IpPledge,
                    value: Amount::new(5e5)?,
                }],
                guarantees: vec![
                    Guarantee {
                        kind: GuaranteeKind::Personal,
                        guarantor: SENSITIVE[3].into(),
                        coverage: Probability::new(0.3)?,
                    },
                    Guarantee {
                        kind: GuaranteeKind::GovernmentScheme,
                        guarantor: "SME Guarantee Fund".into(),
                        coverage: Probability::new(0.5)?,
                    },
                ],
            },
            LoanApplication {
                id: "APP-0002".parse()?,
                firm_id: FIRMS[2].parse()?,
                application_date: date(2024, 8, 20)?,
                amount: Amount::new(2.5e5)?,
                currency: Currency::EUR,
                tenor: finkit_schema::Maturity::new(1.5)?,
                product: Product::VentureDebt,
                purpose: "working capital".into(),
                collateral: Vec::new(),
                guarantees: Vec::new(),
            },
        ])
    }

    /// Three exposures.
    ///
    /// # Errors
    ///
    /// Bad constant inputs.
    pub fn exposures() -> Result<Vec<Exposure>, PoolError> {
        let e = |loan: &str, firm: &str, pd: f64, ead: f64, sector: &str, sales: Option<f64>| {
            Ok::<_, PoolError>(Exposure {
                loan_id: loan.parse()?,
                firm_id: firm.parse()?,
                pd: Probability::new(pd)?,
                lgd: finkit_schema::Lgd::new(0.45)?,
                ead: Amount::new(ead)?,
                maturity: finkit_schema::Maturity::new(2.5)?,
                sector: sector.into(),
                annual_sales: sales.map(Amount::new).transpose()?,
                rating: sales.map(|_| "BB".to_owned()),
                currency: Currency::EUR,
            })
        };
        Ok(vec![
            e("LOAN-001", FIRMS[0], 0.02, 1e6, "tech", Some(15.0))?,
            e("LOAN-002", FIRMS[1], 0.01, 2e6, "food", None)?,
            e("LOAN-003", FIRMS[2], 0.05, 2.5e5, "tech", Some(3.0))?,
        ])
    }

    /// Two credit events of the third firm.
    ///
    /// # Errors
    ///
    /// Bad constant inputs.
    pub fn credit_events() -> Result<Vec<CreditEvent>, PoolError> {
        Ok(vec![
            CreditEvent {
                firm_id: FIRMS[2].parse()?,
                kind: CreditEventKind::PastDue90,
                date: date(2024, 9, 1)?,
            },
            CreditEvent {
                firm_id: FIRMS[2].parse()?,
                kind: CreditEventKind::Default,
                date: date(2024, 12, 1)?,
            },
        ])
    }

    /// Prices of two instruments, given out of date order on purpose.
    ///
    /// # Errors
    ///
    /// Bad constant inputs.
    pub fn prices() -> Result<Vec<PriceObservation>, PoolError> {
        let p = |i: &str, d: NaiveDate, price: f64| {
            Ok::<_, PoolError>(PriceObservation { instrument: i.parse()?, date: d, price })
        };
        Ok(vec![
            p("XYZ", date(2024, 1, 3)?, 10.5)?,
            p("XYZ", date(2024, 1, 2)?, 10.0)?,
            p("XYZ", date(2024, 1, 4)?, 10.2)?,
            p("ABC", date(2024, 1, 2)?, 55.0)?,
        ])
    }

    /// Every fixture record, firms last (the pool must order by dependency itself).
    ///
    /// # Errors
    ///
    /// Bad constant inputs.
    pub fn all_records() -> Result<Vec<Record>, PoolError> {
        let mut v: Vec<Record> = Vec::new();
        v.extend(statements()?.into_iter().map(Record::from));
        v.extend(applications()?.into_iter().map(Record::from));
        v.extend(exposures()?.into_iter().map(Record::from));
        v.extend(credit_events()?.into_iter().map(Record::from));
        v.extend(prices()?.into_iter().map(Record::from));
        v.extend(firms()?.into_iter().map(Record::from));
        Ok(v)
    }
}

/// Every read of [`PoolRead`], for access-control tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadPath {
    /// [`PoolRead::firms`].
    Firms,
    /// [`PoolRead::firm`].
    Firm,
    /// [`PoolRead::statements_as_of`].
    StatementsAsOf,
    /// [`PoolRead::statement_versions`].
    StatementVersions,
    /// [`PoolRead::applications`].
    Applications,
    /// [`PoolRead::application`].
    Application,
    /// [`PoolRead::exposures`].
    Exposures,
    /// [`PoolRead::portfolio`].
    Portfolio,
    /// [`PoolRead::credit_events`].
    CreditEvents,
    /// [`PoolRead::instruments`].
    Instruments,
    /// [`PoolRead::price_series`].
    PriceSeries,
    /// [`PoolRead::audit_log`].
    AuditLog,
    /// [`PoolRead::audit_head`].
    AuditHead,
    /// [`PoolRead::verify_audit`].
    VerifyAudit,
    /// [`PoolRead::research_export`] (also needs the three read permissions it uses).
    ResearchExport,
}

impl ReadPath {
    /// Every read path.
    pub const ALL: [ReadPath; 15] = [
        ReadPath::Firms,
        ReadPath::Firm,
        ReadPath::StatementsAsOf,
        ReadPath::StatementVersions,
        ReadPath::Applications,
        ReadPath::Application,
        ReadPath::Exposures,
        ReadPath::Portfolio,
        ReadPath::CreditEvents,
        ReadPath::Instruments,
        ReadPath::PriceSeries,
        ReadPath::AuditLog,
        ReadPath::AuditHead,
        ReadPath::VerifyAudit,
        ReadPath::ResearchExport,
    ];

    /// The permissions the path needs.
    #[must_use]
    pub fn permissions(self) -> Vec<Permission> {
        use Permission as P;
        match self {
            ReadPath::Firms | ReadPath::Firm => vec![P::ReadFirms],
            ReadPath::StatementsAsOf | ReadPath::StatementVersions => vec![P::ReadStatements],
            ReadPath::Applications | ReadPath::Application => vec![P::ReadApplications],
            ReadPath::Exposures | ReadPath::Portfolio => vec![P::ReadExposures],
            ReadPath::CreditEvents => vec![P::ReadCreditEvents],
            ReadPath::Instruments | ReadPath::PriceSeries => vec![P::ReadPrices],
            ReadPath::AuditLog | ReadPath::AuditHead | ReadPath::VerifyAudit => vec![P::ReadAudit],
            ReadPath::ResearchExport => {
                vec![P::Export, P::ReadFirms, P::ReadStatements, P::ReadCreditEvents]
            }
        }
    }

    /// Whether `policy` lets `role` use the path.
    #[must_use]
    pub fn allowed(self, policy: &Policy, role: Role) -> bool {
        self.permissions().into_iter().all(|p| policy.allows(role, p))
    }
}

/// The research-export key used by [`read_path`].
pub const EXPORT_KEY: &[u8] = b"conformance-export-key-0123456789";

/// Calls one read path on the fixture's ids and renders the result as JSON text (so a test
/// can search it for sensitive values).
///
/// # Errors
///
/// The pool's error (for example, access denied), or [`PoolError::Format`] when the result
/// cannot be rendered: a result that cannot be searched must fail a check, never pass it.
pub fn read_path<P>(pool: &P, who: &Principal, path: ReadPath) -> Result<String, PoolError>
where
    P: PoolRead,
    P::Error: Into<PoolError>,
{
    let firm: FirmId = fixtures::FIRMS[0].parse().unwrap_or_else(|_| unreachable_id());
    let as_of = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
    let render = |v: &dyn erased::Render| v.render();
    let text = match path {
        ReadPath::Firms => render(&pool.firms(who, &FirmFilter::all()).map_err(Into::into)?),
        ReadPath::Firm => render(&pool.firm(who, &firm).map_err(Into::into)?),
        ReadPath::StatementsAsOf => {
            render(&pool.statements_as_of(who, as_of, &StatementQuery::all()).map_err(Into::into)?)
        }
        ReadPath::StatementVersions => {
            render(&pool.statement_versions(who, &firm).map_err(Into::into)?)
        }
        ReadPath::Applications => {
            render(&pool.applications(who, &ApplicationFilter::default()).map_err(Into::into)?)
        }
        ReadPath::Application => {
            let id = "APP-0001".parse().unwrap_or_else(|_| unreachable_app());
            render(&pool.application(who, &id).map_err(Into::into)?)
        }
        ReadPath::Exposures => render(&pool.exposures(who).map_err(Into::into)?),
        ReadPath::Portfolio => render(&pool.portfolio(who).map_err(Into::into)?),
        ReadPath::CreditEvents => render(&pool.credit_events(who, None).map_err(Into::into)?),
        ReadPath::Instruments => render(&pool.instruments(who).map_err(Into::into)?),
        ReadPath::PriceSeries => {
            let id: InstrumentId = "XYZ".parse().unwrap_or_else(|_| unreachable_instrument());
            render(&pool.price_series(who, &id).map_err(Into::into)?)
        }
        ReadPath::AuditLog => render(&pool.audit_log(who).map_err(Into::into)?),
        ReadPath::AuditHead => render(&pool.audit_head(who).map_err(Into::into)?),
        ReadPath::VerifyAudit => render(&pool.verify_audit(who).map_err(Into::into)?),
        ReadPath::ResearchExport => {
            let key = Pseudonymiser::new(EXPORT_KEY)?;
            render(&pool.research_export(who, as_of, &key).map_err(Into::into)?)
        }
    };
    text.map_err(|e| PoolError::Format {
        source_name: format!("{path:?}"),
        message: format!("result cannot be rendered as JSON: {e}"),
    })
}

// These ids are valid constants; the fallbacks exist only to avoid `unwrap` in library code.
fn unreachable_id() -> FirmId {
    FirmId::new("F").unwrap_or_else(|_| unreachable_id())
}
fn unreachable_app() -> finkit_schema::ApplicationId {
    finkit_schema::ApplicationId::new("A").unwrap_or_else(|_| unreachable_app())
}
fn unreachable_instrument() -> InstrumentId {
    InstrumentId::new("I").unwrap_or_else(|_| unreachable_instrument())
}

mod erased {
    /// Renders any serialisable value as JSON text.
    pub(super) trait Render {
        fn render(&self) -> Result<String, serde_json::Error>;
    }
    impl<T: serde::Serialize> Render for T {
        fn render(&self) -> Result<String, serde_json::Error> {
            serde_json::to_string(self)
        }
    }
}

/// The names of the checks that passed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ConformanceReport {
    /// Names of the checks run, in order.
    pub passed: Vec<&'static str>,
}

/// Runs every check, each on a fresh pool from `make_pool`.
///
/// # Errors
///
/// The first failed check.
pub fn run_all<P, F>(make_pool: F) -> Result<ConformanceReport, ConformanceFailure>
where
    P: PoolRead + PoolWrite,
    <P as PoolRead>::Error: Into<PoolError>,
    <P as PoolWrite>::Error: Into<PoolError>,
    F: Fn() -> P,
{
    type Check<P> = fn(&P) -> Result<(), ConformanceFailure>;
    let checks: [(&'static str, Check<P>); 13] = [
        ("empty_pool", empty_pool),
        ("round_trip", round_trip),
        ("idempotent_reingest", idempotent_reingest),
        ("key_conflicts", key_conflicts),
        ("strict_and_lenient", strict_and_lenient),
        ("referential_checks", referential_checks),
        ("point_in_time", point_in_time),
        ("firm_filters", firm_filters),
        ("access_control", access_control),
        ("masking", masking),
        ("masked_on_every_read", masked_on_every_read),
        ("research_export", research_export),
        ("audit_chain", audit_chain),
    ];
    let mut report = ConformanceReport::default();
    for (name, check) in checks {
        check(&make_pool())?;
        report.passed.push(name);
    }
    Ok(report)
}

fn admin() -> Principal {
    Principal::new("conformance-admin", Role::Admin)
}

/// Loads the whole fixture as admin, strictly.
///
/// # Errors
///
/// A failure when the ingest does not accept every row.
pub fn load_fixture<P>(pool: &P) -> Result<(), ConformanceFailure>
where
    P: PoolWrite,
    P::Error: Into<PoolError>,
{
    const C: &str = "load_fixture";
    let records = ok(C, fixtures::all_records())?;
    let n = records.len();
    let report = ok(C, pool.ingest(&admin(), &Batch::from_records(records), IngestMode::Strict))?;
    ensure!(C, report.accepted == n && report.rejected.is_empty(), "report {report:?}, {n} rows");
    Ok(())
}

/// Row counts visible to admin: firms, statement versions of all fixture firms, applications,
/// exposures, events, price observations.
fn counts<P>(pool: &P) -> Result<[usize; 6], ConformanceFailure>
where
    P: PoolRead,
    P::Error: Into<PoolError>,
{
    const C: &str = "counts";
    let a = admin();
    let mut versions = 0;
    for f in fixtures::FIRMS {
        let id: FirmId = ok(C, f.parse::<FirmId>())?;
        versions += ok(C, pool.statement_versions(&a, &id))?.len();
    }
    let mut prices = 0;
    for i in ok(C, pool.instruments(&a))? {
        prices += ok(C, pool.price_series(&a, &i))?.len();
    }
    Ok([
        ok(C, pool.firms(&a, &FirmFilter::all()))?.len(),
        versions,
        ok(C, pool.applications(&a, &ApplicationFilter::default()))?.len(),
        ok(C, pool.exposures(&a))?.len(),
        ok(C, pool.credit_events(&a, None))?.len(),
        prices,
    ])
}

fn empty_pool<P>(pool: &P) -> Result<(), ConformanceFailure>
where
    P: PoolRead + PoolWrite,
    <P as PoolRead>::Error: Into<PoolError>,
    <P as PoolWrite>::Error: Into<PoolError>,
{
    const C: &str = "empty_pool";
    ensure!(C, counts(pool)? == [0; 6], "a new pool is not empty");
    ensure!(C, ok(C, pool.portfolio(&admin()))?.is_empty(), "portfolio of an empty pool");
    let empty = ok(C, pool.ingest(&admin(), &Batch::default(), IngestMode::Strict))?;
    ensure!(C, empty.accepted == 0 && empty.rejected.is_empty(), "empty batch: {empty:?}");
    Ok(())
}

fn round_trip<P>(pool: &P) -> Result<(), ConformanceFailure>
where
    P: PoolRead + PoolWrite,
    <P as PoolRead>::Error: Into<PoolError>,
    <P as PoolWrite>::Error: Into<PoolError>,
{
    const C: &str = "round_trip";
    load_fixture(pool)?;
    let a = admin();
    let firms = ok(C, pool.firms(&a, &FirmFilter::all()))?;
    ensure!(C, firms == ok(C, fixtures::firms())?, "firms differ: {firms:?}");
    let one = ok(C, pool.firm(&a, &ok(C, fixtures::FIRMS[1].parse::<FirmId>())?))?;
    ensure!(C, one.as_ref() == firms.get(1), "firm by id: {one:?}");
    ensure!(C, ok(C, pool.firm(&a, &ok(C, "NOPE".parse::<FirmId>())?))?.is_none(), "unknown firm");
    let mut expected_versions = ok(C, fixtures::statements())?;
    expected_versions.retain(|s| s.firm_id.as_str() == fixtures::FIRMS[0]);
    let versions = ok(C, pool.statement_versions(&a, &expected_versions[0].firm_id))?;
    ensure!(C, versions == expected_versions, "versions differ: {versions:?}");
    let apps = ok(C, pool.applications(&a, &ApplicationFilter::default()))?;
    ensure!(C, apps == ok(C, fixtures::applications())?, "applications differ: {apps:?}");
    let by_firm = ok(
        C,
        pool.applications(
            &a,
            &ApplicationFilter { firm_id: Some(apps[1].firm_id.clone()), ..Default::default() },
        ),
    )?;
    ensure!(C, by_firm.len() == 1 && by_firm[0] == apps[1], "application filter: {by_firm:?}");
    let app = ok(C, pool.application(&a, &apps[0].id))?;
    ensure!(C, app.as_ref() == Some(&apps[0]), "application by id");
    let exposures = ok(C, pool.exposures(&a))?;
    let fixture_exposures = ok(C, fixtures::exposures())?;
    ensure!(C, exposures == fixture_exposures, "exposures differ: {exposures:?}");
    let portfolio = ok(C, pool.portfolio(&a))?;
    let expected = ok(C, finkit_schema::Portfolio::from_exposures(&fixture_exposures))?;
    ensure!(C, portfolio == expected, "portfolio differs: {portfolio:?}");
    let events = ok(C, pool.credit_events(&a, None))?;
    ensure!(C, events == ok(C, fixtures::credit_events())?, "events differ: {events:?}");
    let none = ok(C, pool.credit_events(&a, Some(&firms[0].id)))?;
    ensure!(C, none.is_empty(), "events of a firm without events: {none:?}");
    let instruments = ok(C, pool.instruments(&a))?;
    let names: Vec<&str> = instruments.iter().map(InstrumentId::as_str).collect();
    ensure!(C, names == ["ABC", "XYZ"], "instruments {names:?}");
    let xyz = ok(C, pool.price_series(&a, &instruments[1]))?;
    ensure!(C, xyz.prices() == [10.0, 10.5, 10.2], "prices in date order: {:?}", xyz.prices());
    let unknown = ok(C, pool.price_series(&a, &ok(C, "NONE".parse::<InstrumentId>())?))?;
    ensure!(C, unknown.is_empty(), "unknown instrument has prices");
    Ok(())
}

fn idempotent_reingest<P>(pool: &P) -> Result<(), ConformanceFailure>
where
    P: PoolRead + PoolWrite,
    <P as PoolRead>::Error: Into<PoolError>,
    <P as PoolWrite>::Error: Into<PoolError>,
{
    const C: &str = "idempotent_reingest";
    load_fixture(pool)?;
    let before = counts(pool)?;
    let records = ok(C, fixtures::all_records())?;
    let n = records.len();
    let report = ok(C, pool.ingest(&admin(), &Batch::from_records(records), IngestMode::Strict))?;
    ensure!(C, report.accepted == n && report.unchanged == n, "re-ingest report {report:?}");
    ensure!(C, counts(pool)? == before, "re-ingest changed the row counts");
    Ok(())
}

fn key_conflicts<P>(pool: &P) -> Result<(), ConformanceFailure>
where
    P: PoolRead + PoolWrite,
    <P as PoolRead>::Error: Into<PoolError>,
    <P as PoolWrite>::Error: Into<PoolError>,
{
    const C: &str = "key_conflicts";
    load_fixture(pool)?;
    let before = counts(pool)?;
    let mut firm = ok(C, fixtures::firms())?.remove(0);
    firm.name = "Alpha Robotics (renamed)".into();
    let mut statement = ok(C, fixtures::statements())?.remove(0);
    statement.revenue += 1.0;
    let mut exposure = ok(C, fixtures::exposures())?.remove(0);
    exposure.pd = ok(C, finkit_schema::Probability::new(0.03))?;
    let mut price = ok(C, fixtures::prices())?.remove(0);
    price.price += 0.25;
    let mut app = ok(C, fixtures::applications())?.remove(0);
    app.purpose = "something else".into();
    let batch = Batch::from_records(vec![
        Record::from(firm),
        Record::from(statement.clone()),
        Record::from(exposure),
        Record::from(price),
        Record::from(app),
    ]);
    let report = ok(C, pool.ingest(&admin(), &batch, IngestMode::Lenient))?;
    ensure!(C, report.accepted == 0, "conflicts were accepted: {report:?}");
    for line in 1..=5 {
        ensure!(C, report.rejects_line(line), "line {line} not rejected: {report:?}");
    }
    ensure!(C, counts(pool)? == before, "a conflicting row changed the pool");
    // A new available_at is a new version, not a conflict.
    statement.available_at = ok(C, fixtures::date(2024, 9, 30))?;
    let report =
        ok(C, pool.ingest(&admin(), &Batch::from_records([statement]), IngestMode::Strict))?;
    ensure!(C, report.accepted == 1, "a new version was not accepted: {report:?}");
    // Two different rows with one key in the same batch: the second is rejected.
    let mut p1 = ok(C, fixtures::prices())?.remove(0);
    p1.date = ok(C, fixtures::date(2030, 1, 1))?;
    let mut p2 = p1.clone();
    p2.price = 99.0;
    let report = ok(C, pool.ingest(&admin(), &Batch::from_records([p1, p2]), IngestMode::Lenient))?;
    ensure!(
        C,
        report.accepted == 1 && report.rejected.len() == 1 && report.rejected[0].line == 2,
        "in-batch duplicate: {report:?}"
    );
    Ok(())
}

fn strict_and_lenient<P>(pool: &P) -> Result<(), ConformanceFailure>
where
    P: PoolRead + PoolWrite,
    <P as PoolRead>::Error: Into<PoolError>,
    <P as PoolWrite>::Error: Into<PoolError>,
{
    const C: &str = "strict_and_lenient";
    let firms = ok(C, fixtures::firms())?;
    let mut bad = firms[2].clone();
    bad.name = "   ".into(); // breaks not_empty
    let mut unbalanced = ok(C, fixtures::statements())?.remove(0);
    unbalanced.total_assets *= 2.0; // breaks the balance-sheet identity
    let batch = Batch::from_records(vec![
        Record::from(firms[0].clone()),
        Record::from(bad),
        Record::from(firms[1].clone()),
        Record::from(unbalanced),
    ]);
    let e = err(C, pool.ingest(&admin(), &batch, IngestMode::Strict))?;
    let report = e.rejected_report().cloned().ok_or_else(|| ConformanceFailure {
        check: C,
        message: format!("strict rejection is not PoolError::Rejected: {e}"),
    })?;
    ensure!(C, report.accepted == 0, "strict report accepted rows: {report:?}");
    ensure!(
        C,
        report.rejected_rows() == 2 && report.rejects_line(2) && report.rejects_line(4),
        "strict report: {report:?}"
    );
    ensure!(
        C,
        report.rejected.iter().any(|r| r.line == 2 && r.field == "name"),
        "field of line 2: {report:?}"
    );
    ensure!(C, counts(pool)? == [0; 6], "strict mode committed rows");
    let report = ok(C, pool.ingest(&admin(), &batch, IngestMode::Lenient))?;
    ensure!(C, report.accepted == 2 && report.rejected_rows() == 2, "lenient report {report:?}");
    ensure!(C, counts(pool)?[0] == 2 && counts(pool)?[1] == 0, "lenient committed wrong rows");
    Ok(())
}

fn referential_checks<P>(pool: &P) -> Result<(), ConformanceFailure>
where
    P: PoolRead + PoolWrite,
    <P as PoolRead>::Error: Into<PoolError>,
    <P as PoolWrite>::Error: Into<PoolError>,
{
    const C: &str = "referential_checks";
    let statement = ok(C, fixtures::statements())?.remove(0);
    let e = err(
        C,
        pool.ingest(&admin(), &Batch::from_records([statement.clone()]), IngestMode::Strict),
    )?;
    let report = e.rejected_report().cloned().ok_or_else(|| ConformanceFailure {
        check: C,
        message: format!("unknown firm is not PoolError::Rejected: {e}"),
    })?;
    ensure!(
        C,
        report.rejected.len() == 1
            && report.rejected[0].field == "firm_id"
            && report.rejected[0].reason.contains(fixtures::FIRMS[0]),
        "unknown firm: {e}"
    );
    // The firm may come in the same batch, even after the statement.
    let firm = ok(C, fixtures::firms())?.remove(0);
    let batch = Batch::from_records(vec![Record::from(statement), Record::from(firm)]);
    let report = ok(C, pool.ingest(&admin(), &batch, IngestMode::Strict))?;
    ensure!(C, report.accepted == 2, "same-batch firm: {report:?}");
    Ok(())
}

fn point_in_time<P>(pool: &P) -> Result<(), ConformanceFailure>
where
    P: PoolRead + PoolWrite,
    <P as PoolRead>::Error: Into<PoolError>,
    <P as PoolWrite>::Error: Into<PoolError>,
{
    const C: &str = "point_in_time";
    load_fixture(pool)?;
    let a = admin();
    let s = ok(C, fixtures::statements())?;
    let d = |y, m, dd| ok(C, fixtures::date(y, m, dd));
    let q = StatementQuery::all();
    let early = ok(C, pool.statements_as_of(&a, d(2023, 1, 1)?, &q))?;
    ensure!(C, early.is_empty(), "statements before anything was available: {early:?}");
    let may = ok(C, pool.statements_as_of(&a, d(2024, 5, 1)?, &q))?;
    ensure!(C, may == vec![s[0].clone(), s[1].clone(), s[3].clone()], "as of 2024-05-01: {may:?}");
    let on_day = ok(C, pool.statements_as_of(&a, d(2024, 6, 30)?, &q))?;
    ensure!(C, on_day.get(1) == Some(&s[2]), "the correction is known on its own day: {on_day:?}");
    let july = ok(C, pool.statements_as_of(&a, d(2024, 7, 1)?, &q))?;
    ensure!(
        C,
        july == vec![s[0].clone(), s[2].clone(), s[3].clone(), s[4].clone()],
        "as of 2024-07-01: {july:?}"
    );
    let latest = ok(C, pool.statements_as_of(&a, d(2024, 5, 1)?, &StatementQuery::latest()))?;
    ensure!(C, latest == vec![s[1].clone(), s[3].clone()], "latest as of 2024-05-01: {latest:?}");
    let only =
        StatementQuery { firms: Some(vec![s[4].firm_id.clone()]), latest_period_only: false };
    let one = ok(C, pool.statements_as_of(&a, d(2024, 7, 1)?, &only))?;
    ensure!(C, one == vec![s[4].clone()], "firm subset: {one:?}");
    // Replaying the old date after the correction gives the old answer.
    let again = ok(C, pool.statements_as_of(&a, d(2024, 5, 1)?, &q))?;
    ensure!(C, again == may, "as-of results are not reproducible");
    Ok(())
}

fn firm_filters<P>(pool: &P) -> Result<(), ConformanceFailure>
where
    P: PoolRead + PoolWrite,
    <P as PoolRead>::Error: Into<PoolError>,
    <P as PoolWrite>::Error: Into<PoolError>,
{
    const C: &str = "firm_filters";
    load_fixture(pool)?;
    let ids = |filter: FirmFilter| -> Result<Vec<String>, ConformanceFailure> {
        Ok(ok(C, pool.firms(&admin(), &filter))?.into_iter().map(|f| f.id.to_string()).collect())
    };
    let [alpha, beta, gamma] = fixtures::FIRMS;
    let cases: Vec<(FirmFilter, Vec<&str>)> = vec![
        (FirmFilter::all(), vec![alpha, beta, gamma]),
        (FirmFilter { industry_prefix: Some("C".into()), ..Default::default() }, vec![alpha, beta]),
        (FirmFilter { industry_prefix: Some("J62".into()), ..Default::default() }, vec![gamma]),
        (FirmFilter { region: Some("DE-BY".into()), ..Default::default() }, vec![gamma]),
        (FirmFilter { high_tech_certified: Some(true), ..Default::default() }, vec![alpha]),
        (FirmFilter { tech_innovative: Some(true), ..Default::default() }, vec![alpha, gamma]),
        (FirmFilter { tech_innovative: Some(false), ..Default::default() }, vec![beta]),
        (FirmFilter { min_invention_patents: Some(1), ..Default::default() }, vec![alpha]),
        (
            FirmFilter {
                region: Some("CN-GD".into()),
                tech_innovative: Some(true),
                industry_scheme: Some(finkit_schema::IndustryScheme::Nace),
                ..Default::default()
            },
            vec![alpha],
        ),
        (
            FirmFilter {
                industry_scheme: Some(finkit_schema::IndustryScheme::Naics),
                ..Default::default()
            },
            vec![],
        ),
    ];
    for (filter, expected) in cases {
        let got = ids(filter.clone())?;
        ensure!(C, got == expected, "{filter:?}: got {got:?}, expected {expected:?}");
    }
    Ok(())
}

fn access_control<P>(pool: &P) -> Result<(), ConformanceFailure>
where
    P: PoolRead + PoolWrite,
    <P as PoolRead>::Error: Into<PoolError>,
    <P as PoolWrite>::Error: Into<PoolError>,
{
    const C: &str = "access_control";
    load_fixture(pool)?;
    let policy = Policy::default();
    for role in Role::ALL {
        for path in ReadPath::ALL {
            let who = Principal::new(format!("conf-{role}-{path:?}"), role);
            let result = read_path(pool, &who, path);
            let allowed = path.allowed(&policy, role);
            match result {
                Ok(_) => ensure!(C, allowed, "{role} was allowed {path:?}"),
                Err(e) => {
                    ensure!(C, !allowed && e.is_access_denied(), "{role} on {path:?}: {e}");
                    let log = ok(C, pool.audit_log(&admin()))?;
                    ensure!(
                        C,
                        log.iter()
                            .any(|x| x.principal == who.name
                                && x.outcome == Outcome::Denied.as_str()),
                        "denial of {path:?} to {role} was not audited"
                    );
                }
            }
        }
    }
    // Writes are checked too: an analyst may not ingest, and nothing is written.
    let analyst = Principal::new("conf-analyst-writer", Role::Analyst);
    let before = counts(pool)?;
    let mut firm = ok(C, fixtures::firms())?.remove(0);
    firm.id = ok(C, "FIRM-NEW-99".parse())?;
    let e = err(C, pool.ingest(&analyst, &Batch::from_records([firm]), IngestMode::Lenient))?;
    ensure!(C, e.is_access_denied(), "analyst ingest: {e}");
    ensure!(C, counts(pool)? == before, "a denied ingest wrote rows");
    let log = ok(C, pool.audit_log(&admin()))?;
    ensure!(
        C,
        log.iter()
            .any(|x| x.principal == analyst.name && x.action == "ingest" && x.outcome == "denied"),
        "denied ingest not audited"
    );
    Ok(())
}

fn masking<P>(pool: &P) -> Result<(), ConformanceFailure>
where
    P: PoolRead + PoolWrite,
    <P as PoolRead>::Error: Into<PoolError>,
    <P as PoolWrite>::Error: Into<PoolError>,
{
    const C: &str = "masking";
    load_fixture(pool)?;
    let policy = Policy::default();
    for role in Role::ALL {
        let who = Principal::new(format!("conf-mask-{role}"), role);
        let sees = policy.allows(role, Permission::ViewSensitive);
        for path in ReadPath::ALL {
            let text = match read_path(pool, &who, path) {
                Ok(text) => text,
                // Only a denial of a path the role may not use skips the search.
                Err(e) if e.is_access_denied() && !path.allowed(&policy, role) => continue,
                Err(e) => {
                    return Err(ConformanceFailure {
                        check: C,
                        message: format!("{role} on {path:?}: {e}"),
                    });
                }
            };
            let must_mask = !sees || path == ReadPath::ResearchExport;
            if must_mask {
                for s in fixtures::SENSITIVE {
                    ensure!(C, !text.contains(s), "{role} saw {s:?} through {path:?}");
                }
            }
        }
    }
    let analyst = Principal::new("conf-mask-analyst", Role::Analyst);
    let firm = ok(C, pool.firm(&analyst, &ok(C, fixtures::FIRMS[0].parse::<FirmId>())?))?;
    let firm =
        firm.ok_or_else(|| ConformanceFailure { check: C, message: "firm missing".into() })?;
    ensure!(
        C,
        firm.registration_number == MASK && firm.contact_email.as_deref() == Some(MASK),
        "analyst sees {firm:?}"
    );
    ensure!(C, firm.name == "Alpha Robotics", "non-sensitive fields must stay: {firm:?}");
    let officer = Principal::new("conf-mask-officer", Role::CreditOfficer);
    let firms = ok(C, pool.firms(&officer, &FirmFilter::all()))?;
    ensure!(C, firms == ok(C, fixtures::firms())?, "credit officer must see firms unmasked");
    let risk = Principal::new("conf-mask-risk", Role::Auditor);
    let apps = ok(C, pool.applications(&risk, &ApplicationFilter::default()))?;
    ensure!(
        C,
        apps[0].guarantees[0].guarantor == MASK
            && apps[0].guarantees[1].guarantor == "SME Guarantee Fund",
        "personal guarantor must be masked, scheme name kept: {:?}",
        apps[0].guarantees
    );
    Ok(())
}

/// What a read path must show when it reaches the data: a value from the fixture that proves
/// the read returned rows (so a search for sensitive values in an empty answer cannot pass),
/// and whether the path carries fields the guard masks.
fn evidence(path: ReadPath) -> (&'static str, bool) {
    match path {
        ReadPath::Firms | ReadPath::Firm => (fixtures::FIRMS[0], true),
        ReadPath::Applications | ReadPath::Application => ("APP-0001", true),
        ReadPath::StatementsAsOf | ReadPath::StatementVersions => (fixtures::FIRMS[0], false),
        ReadPath::CreditEvents => (fixtures::FIRMS[2], false),
        ReadPath::Exposures | ReadPath::Portfolio => ("LOAN-001", false),
        ReadPath::Instruments | ReadPath::PriceSeries => ("XYZ", false),
        ReadPath::AuditLog => ("conformance-admin", false),
        ReadPath::AuditHead | ReadPath::VerifyAudit => ("\"", false),
        ReadPath::ResearchExport => ("suppressed_firms", false),
    }
}

/// The guard masks every read: for every read path, some role without
/// [`Permission::ViewSensitive`] may use it under [`Policy::default`]; that role gets the
/// fixture's rows with no sensitive value in them (masked fields show [`MASK`]), while a role
/// that may see them gets them unmasked from the same store, so the store does hold them.
fn masked_on_every_read<P>(pool: &P) -> Result<(), ConformanceFailure>
where
    P: PoolRead + PoolWrite,
    <P as PoolRead>::Error: Into<PoolError>,
    <P as PoolWrite>::Error: Into<PoolError>,
{
    const C: &str = "masked_on_every_read";
    load_fixture(pool)?;
    let policy = Policy::default();
    let masked: Vec<Role> =
        Role::ALL.into_iter().filter(|r| !policy.allows(*r, Permission::ViewSensitive)).collect();
    let seeing: Vec<Role> =
        Role::ALL.into_iter().filter(|r| policy.allows(*r, Permission::ViewSensitive)).collect();
    for path in ReadPath::ALL {
        let (shown, carries_sensitive) = evidence(path);
        let mut checked = 0;
        for role in masked.iter().copied().filter(|r| path.allowed(&policy, *r)) {
            let who = Principal::new(format!("conf-guard-{role}"), role);
            let text = ok(C, read_path(pool, &who, path))?;
            ensure!(C, text.contains(shown), "{role} on {path:?} got no fixture rows: {text}");
            for s in fixtures::SENSITIVE {
                ensure!(C, !text.contains(s), "{role} saw {s:?} through {path:?}");
            }
            if carries_sensitive {
                ensure!(C, text.contains(MASK), "{role} on {path:?}: nothing masked: {text}");
            }
            checked += 1;
        }
        ensure!(C, checked > 0, "no masked role may use {path:?}: the check would be empty");
        if carries_sensitive {
            let role = seeing.iter().copied().find(|r| path.allowed(&policy, *r));
            let role = role.ok_or_else(|| ConformanceFailure {
                check: C,
                message: format!("no role may see {path:?} unmasked"),
            })?;
            let text = ok(C, read_path(pool, &Principal::new("conf-guard-clear", role), path))?;
            ensure!(
                C,
                fixtures::SENSITIVE.iter().any(|s| text.contains(s)),
                "{role} should see {path:?} unmasked: {text}"
            );
        }
    }
    Ok(())
}

fn research_export<P>(pool: &P) -> Result<(), ConformanceFailure>
where
    P: PoolRead + PoolWrite,
    <P as PoolRead>::Error: Into<PoolError>,
    <P as PoolWrite>::Error: Into<PoolError>,
{
    const C: &str = "research_export";
    load_fixture(pool)?;
    let who = Principal::new("conf-researcher", Role::Analyst);
    let as_of = ok(C, fixtures::date(2024, 7, 1))?;
    let key = ok(C, Pseudonymiser::new(EXPORT_KEY))?;
    let other = ok(C, Pseudonymiser::new(b"another-key-for-another-project"))?;
    // Three firms cannot be 5-anonymous: the default export suppresses them all and says so.
    let default = ok(C, pool.research_export(&who, as_of, &key))?;
    ensure!(
        C,
        default.firms.is_empty()
            && default.statements.is_empty()
            && default.privacy.k == 5
            && default.privacy.suppressed_firms == 3,
        "a 5-anonymous export of 3 firms: {default:?}"
    );
    let one = ok(C, crate::anonymise::Privacy::new(1))?;
    let a = ok(C, pool.research_export_with(&who, as_of, &key, &one))?;
    let b = ok(C, pool.research_export_with(&who, as_of, &key, &one))?;
    let c = ok(C, pool.research_export_with(&who, as_of, &other, &one))?;
    ensure!(C, a == b, "pseudonyms are not stable for one key");
    ensure!(C, a.firms.len() == 3 && a.statements.len() == 4, "export sizes {a:?}");
    ensure!(C, a.credit_events.is_empty(), "events after as_of leaked: {:?}", a.credit_events);
    let text = serde_json::to_string(&a).map_err(|e| ConformanceFailure {
        check: C,
        message: format!("export cannot be rendered to search it: {e}"),
    })?;
    for raw in
        fixtures::FIRMS.iter().chain(fixtures::SENSITIVE.iter()).chain(["Alpha Robotics"].iter())
    {
        ensure!(C, !text.contains(raw), "export contains {raw:?}");
    }
    ensure!(C, a.firms[0].id != c.firms[0].id, "pseudonyms do not depend on the key");
    // Joins still work inside one export.
    let firm_ids: Vec<&FirmId> = a.firms.iter().map(|f| &f.id).collect();
    ensure!(
        C,
        a.statements.iter().all(|s| firm_ids.contains(&&s.firm_id)),
        "statements refer to pseudonyms that are not in the export"
    );
    let e =
        err(C, pool.research_export(&Principal::new("conf-auditor", Role::Auditor), as_of, &key))?;
    ensure!(C, e.is_access_denied(), "auditor export: {e}");
    Ok(())
}

fn audit_chain<P>(pool: &P) -> Result<(), ConformanceFailure>
where
    P: PoolRead + PoolWrite,
    <P as PoolRead>::Error: Into<PoolError>,
    <P as PoolWrite>::Error: Into<PoolError>,
{
    const C: &str = "audit_chain";
    load_fixture(pool)?;
    let auditor = Principal::new("conf-auditor", Role::Auditor);
    let anchor = ok(C, pool.audit_head(&auditor))?;
    ensure!(C, anchor.count >= 1, "the fixture ingest was not audited");
    let _ = read_path(pool, &Principal::new("conf-analyst", Role::Analyst), ReadPath::Exposures);
    let _ = ok(C, pool.firms(&admin(), &FirmFilter::all()))?;
    let status = ok(C, pool.verify_audit(&auditor))?;
    ensure!(C, status.is_intact(), "fresh chain is broken: {:?}", status.problems);
    ensure!(C, status.extends(&anchor), "chain does not extend the earlier anchor");
    ensure!(C, status.entries >= anchor.count + 3, "reads and denials were not appended");
    let log = ok(C, pool.audit_log(&auditor))?;
    let first = log.first();
    ensure!(
        C,
        first.is_some_and(|e| e.action == "ingest"
            && e.principal == admin().name
            && e.entity.contains("firms")),
        "first entry should be the fixture ingest: {first:?}"
    );
    ensure!(
        C,
        log.iter().any(|e| e.principal == "conf-analyst"
            && e.outcome == "denied"
            && e.entity == "exposures"),
        "the analyst's denied read is missing"
    );
    ensure!(C, log.windows(2).all(|w| w[1].seq == w[0].seq + 1), "sequence numbers have gaps");
    Ok(())
}
