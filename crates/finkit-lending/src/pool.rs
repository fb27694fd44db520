//! Reading a decision's inputs from any data pool (`finkit_pool::PoolRead`), as of the
//! application date.

use chrono::Days;
use finkit_pool::{PoolRead, Principal, StatementQuery};
use finkit_schema::{ApplicationId, FinancialStatement, Firm, LoanApplication, Portfolio};

use crate::LendingError;
use crate::decision::DecisionInput;
use crate::model::MarketData;
use crate::plan::SectorPosition;
pub use crate::plan::sector_position;

/// How far back a credit event puts a firm on the watch list (days).
pub const WATCH_LIST_LOOKBACK_DAYS: u64 = 365;

/// An application with everything read for it from a pool, owned.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LoadedApplication {
    /// The application.
    pub application: LoanApplication,
    /// The applicant.
    pub firm: Firm,
    /// The applicant's statements as known on the application date.
    pub statements: Vec<FinancialStatement>,
    /// Whether the firm had a credit event in the [`WATCH_LIST_LOOKBACK_DAYS`] before the
    /// application date.
    pub on_watch_list: bool,
    /// The loan book in the firm's sector (industry code), when a book was given.
    pub sector: Option<SectorPosition>,
    /// Market data, when the caller has it.
    pub market: Option<MarketData>,
}

impl LoadedApplication {
    /// The borrowed decision input.
    #[must_use]
    pub fn input(&self) -> DecisionInput<'_> {
        DecisionInput {
            application: &self.application,
            firm: &self.firm,
            statements: &self.statements,
            market: self.market.as_ref(),
            on_watch_list: self.on_watch_list,
            sector: self.sector,
        }
    }
}

/// Reads the loan book for the sector concentration limit: an empty book when the pool holds no
/// exposure (`Ok(None)` for a backend whose read of an empty book fails).
///
/// A book that cannot be read whole is an error, never a silent `None` that would switch the
/// limit off: a corrupt exposure row, an access denial, or EADs whose total is not a finite
/// number (say, two EADs of 1e308).
///
/// # Errors
///
/// [`LendingError::LoanBook`] naming the cause.
pub fn load_book<P: PoolRead>(
    pool: &P,
    who: &Principal,
) -> Result<Option<Portfolio>, LendingError> {
    match pool.portfolio(who) {
        Ok(book) => {
            let total = book.total_ead();
            if !total.is_finite() {
                return Err(LendingError::LoanBook(format!(
                    "the total EAD of {} exposures is {total}, not a finite number",
                    book.len()
                )));
            }
            Ok(Some(book))
        }
        // An empty book is the one read failure that is not a problem; every other one is.
        Err(e) => match pool.exposures(who) {
            Ok(exposures) if exposures.is_empty() => Ok(None),
            _ => Err(LendingError::LoanBook(e.to_string())),
        },
    }
}

/// Reads an application, its firm, the statements known on the application date and the
/// firm's recent credit events from a pool.
///
/// # Errors
///
/// [`LendingError::UnknownApplication`], [`LendingError::UnknownFirm`], or
/// [`LendingError::Pool`] for the pool's own failures (access denied included).
pub fn load_application<P: PoolRead>(
    pool: &P,
    who: &Principal,
    id: &ApplicationId,
    book: Option<&Portfolio>,
) -> Result<LoadedApplication, LendingError> {
    let application = pool
        .application(who, id)
        .map_err(LendingError::pool)?
        .ok_or_else(|| LendingError::UnknownApplication(id.to_string()))?;
    load_for(pool, who, application, book)
}

/// As [`load_application`] for an application the caller already holds (e.g. just received).
///
/// # Errors
///
/// [`LendingError::UnknownFirm`] or [`LendingError::Pool`].
pub fn load_for<P: PoolRead>(
    pool: &P,
    who: &Principal,
    application: LoanApplication,
    book: Option<&Portfolio>,
) -> Result<LoadedApplication, LendingError> {
    let firm = pool
        .firm(who, &application.firm_id)
        .map_err(LendingError::pool)?
        .ok_or_else(|| LendingError::UnknownFirm(application.firm_id.to_string()))?;
    let date = application.application_date;
    let query = StatementQuery { firms: Some(vec![firm.id.clone()]), latest_period_only: false };
    let statements = pool.statements_as_of(who, date, &query).map_err(LendingError::pool)?;
    let since = date.checked_sub_days(Days::new(WATCH_LIST_LOOKBACK_DAYS)).unwrap_or(date);
    let on_watch_list = pool
        .credit_events(who, Some(&firm.id))
        .map_err(LendingError::pool)?
        .iter()
        .any(|e| e.date <= date && e.date >= since);
    let sector = book.map(|b| sector_position(b, &firm.industry.code));
    Ok(LoadedApplication { application, firm, statements, on_watch_list, sector, market: None })
}
