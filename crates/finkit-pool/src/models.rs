//! Rating models stored in the pool: each fitted model is saved as a new version under its id,
//! with the window it was trained on and its validation figures, so a decision's model id and
//! version can always be traced back to the data it was learned from.
//!
//! The pool stores the model as opaque JSON (`model`) and its validation figures as JSON
//! (`validation`); the credit and lending crates define what is inside. Versions are never
//! overwritten: [`SqlitePool::save_model`] appends version `max + 1` in one transaction.
//!
//! ```
//! use finkit_pool::models::NewModel;
//! use finkit_pool::{Principal, Role, SqlitePool};
//! let pool = SqlitePool::in_memory()?;
//! let analyst = Principal::new("ana", Role::Analyst);
//! let day = |s: &str| s.parse::<finkit_schema::chrono::NaiveDate>();
//! let new = NewModel {
//!     model_id: "pool-scorecard".into(),
//!     kind: "scorecard".into(),
//!     train_from: day("2023-12-31")?,
//!     train_to: day("2024-12-31")?,
//!     horizon_months: 12,
//!     model: "{}".into(),
//!     validation: "{\"auc\": 0.8}".into(),
//! };
//! assert_eq!(pool.save_model(&analyst, &new)?, 1);
//! assert_eq!(pool.save_model(&analyst, &new)?, 2);
//! let latest = pool.latest_model(&analyst, "pool-scorecard")?.expect("saved");
//! assert_eq!((latest.version, latest.horizon_months), (2, 12));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::Backend as _;
use chrono::NaiveDate;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::guard::Present;
use crate::sql::{date_key, key_date};
use crate::{Permission, PoolError, Principal, SqlitePool};

/// A model to store (the version is assigned by the pool).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewModel {
    /// The model's id (e.g. `pool-scorecard`).
    pub model_id: String,
    /// What kind of model `model` holds (e.g. `scorecard`).
    pub kind: String,
    /// The first observation date of the training data.
    pub train_from: NaiveDate,
    /// The last observation date of the training data.
    pub train_to: NaiveDate,
    /// The outcome horizon of the training target, in months.
    pub horizon_months: u32,
    /// The model, as JSON.
    pub model: String,
    /// The validation figures, as JSON.
    pub validation: String,
}

/// A stored model version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct StoredModel {
    /// The model's id.
    pub model_id: String,
    /// Its version (1, 2, …).
    pub version: u32,
    /// When it was saved (UTC, RFC 3339).
    pub created_at: String,
    /// What kind of model `model` holds.
    pub kind: String,
    /// The first observation date of the training data.
    pub train_from: NaiveDate,
    /// The last observation date of the training data.
    pub train_to: NaiveDate,
    /// The outcome horizon in months.
    pub horizon_months: u32,
    /// The model, as JSON.
    pub model: String,
    /// The validation figures, as JSON.
    pub validation: String,
}

const MODEL_COLUMNS: &str =
    "model_id, version, created_at, kind, train_from, train_to, horizon_months, model, validation";

fn model_from_row(row: &rusqlite::Row<'_>) -> Result<StoredModel, PoolError> {
    let model_id: String = row.get(0).db()?;
    let corrupt = |m: &str| PoolError::Corrupt {
        entity: "rating model",
        key: model_id.clone(),
        message: m.to_owned(),
    };
    let version: i64 = row.get(1).db()?;
    let horizon: i64 = row.get(6).db()?;
    Ok(StoredModel {
        version: u32::try_from(version).map_err(|_| corrupt("version out of range"))?,
        created_at: row.get(2).db()?,
        kind: row.get(3).db()?,
        train_from: key_date(row.get(4).db()?, "rating model", &model_id)?,
        train_to: key_date(row.get(5).db()?, "rating model", &model_id)?,
        horizon_months: u32::try_from(horizon).map_err(|_| corrupt("horizon out of range"))?,
        model: row.get(7).db()?,
        validation: row.get(8).db()?,
        model_id,
    })
}

impl SqlitePool {
    /// Stores a new version of a model and returns its version number (1 for a new id).
    /// Needs [`Permission::WriteModels`]; audited.
    ///
    /// # Errors
    ///
    /// [`PoolError::AccessDenied`], [`PoolError::InvalidParameter`] for an empty id or kind, a
    /// training window that ends before it starts, or a zero horizon; [`PoolError::Sqlite`].
    pub fn save_model(&self, who: &Principal, model: &NewModel) -> Result<u32, PoolError> {
        if model.model_id.trim().is_empty() || model.kind.trim().is_empty() {
            return Err(PoolError::InvalidParameter {
                name: "model_id",
                value: format!("{:?} / {:?}", model.model_id, model.kind),
                reason: "a stored model needs a non-empty id and kind",
            });
        }
        if model.train_to < model.train_from || model.horizon_months == 0 {
            return Err(PoolError::InvalidParameter {
                name: "train_window",
                value: format!(
                    "{}..{} horizon {}",
                    model.train_from, model.train_to, model.horizon_months
                ),
                reason: "the window must not end before it starts and the horizon must be positive",
            });
        }
        self.check(who, Permission::WriteModels, "save", "rating_models")?;
        let mut conn = self.store.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).db()?;
        let last: Option<i64> = tx
            .query_row(
                "SELECT MAX(version) FROM rating_models WHERE model_id = ?1",
                [model.model_id.as_str()],
                |r| r.get(0),
            )
            .optional()
            .db()?
            .flatten();
        let version = last.unwrap_or(0) + 1;
        let created_at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        tx.execute(
            &format!("INSERT INTO rating_models ({MODEL_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
            params![
                model.model_id,
                version,
                created_at,
                model.kind,
                date_key(model.train_from),
                date_key(model.train_to),
                i64::from(model.horizon_months),
                model.model,
                model.validation,
            ],
        ).db()?;
        crate::sqlite::append_in(
            &tx,
            &crate::backend::allowed(
                who,
                "save",
                "rating_models",
                format!("model_id={} version={version}", model.model_id),
            ),
        )?;
        tx.commit().db()?;
        u32::try_from(version).map_err(|_| PoolError::InvalidParameter {
            name: "version",
            value: version.to_string(),
            reason: "too many versions",
        })
    }

    /// The newest version of a model, `None` when the id is unknown. Needs
    /// [`Permission::ReadModels`]; audited.
    ///
    /// # Errors
    ///
    /// [`PoolError::AccessDenied`], [`PoolError::Corrupt`], [`PoolError::Sqlite`].
    pub fn latest_model(
        &self,
        who: &Principal,
        model_id: &str,
    ) -> Result<Option<StoredModel>, PoolError> {
        let detail = format!("latest {model_id}");
        self.guarded(who, Permission::ReadModels, "read", "rating_models", detail, |s| s.snapshot(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {MODEL_COLUMNS} FROM rating_models WHERE model_id = ?1 ORDER BY version DESC LIMIT 1"
            )).db()?;
            let mut rows = stmt.query([model_id]).db()?;
            match rows.next().db()? {
                Some(row) => Ok(Some(model_from_row(row)?)),
                None => Ok(None),
            }
        }))
    }

    /// Every stored version of every model, by id then version. Needs
    /// [`Permission::ReadModels`]; audited.
    ///
    /// # Errors
    ///
    /// As [`SqlitePool::latest_model`].
    pub fn models(&self, who: &Principal) -> Result<Vec<StoredModel>, PoolError> {
        self.guarded(who, Permission::ReadModels, "read", "rating_models", "all".into(), |s| {
            s.snapshot(|c| {
                let mut stmt = c
                    .prepare(&format!(
                        "SELECT {MODEL_COLUMNS} FROM rating_models ORDER BY model_id, version"
                    ))
                    .db()?;
                let mut rows = stmt.query([]).db()?;
                let mut out = Vec::new();
                while let Some(row) = rows.next().db()? {
                    out.push(model_from_row(row)?);
                }
                Ok(out)
            })
        })
    }
}

// A stored model holds coefficients and validation figures, no personal data.
impl Present for StoredModel {
    fn present(self, _sees_sensitive: bool) -> Self {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    fn new_model() -> NewModel {
        let d = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default();
        NewModel {
            model_id: "m".into(),
            kind: "scorecard".into(),
            train_from: d,
            train_to: d,
            horizon_months: 12,
            model: "{}".into(),
            validation: "{}".into(),
        }
    }

    #[test]
    fn versions_append_and_permissions_hold() {
        let pool = SqlitePool::in_memory().unwrap();
        let analyst = Principal::new("a", Role::Analyst);
        let officer = Principal::new("o", Role::CreditOfficer);
        assert_eq!(pool.save_model(&analyst, &new_model()).unwrap(), 1);
        assert_eq!(pool.save_model(&analyst, &new_model()).unwrap(), 2);
        assert!(pool.save_model(&officer, &new_model()).unwrap_err().is_access_denied());
        assert_eq!(pool.latest_model(&officer, "m").unwrap().unwrap().version, 2);
        assert!(pool.latest_model(&officer, "other").unwrap().is_none());
        assert_eq!(pool.models(&officer).unwrap().len(), 2);
        let bad = NewModel { horizon_months: 0, ..new_model() };
        assert!(pool.save_model(&analyst, &bad).is_err());
        let auditor = Principal::new("x", Role::Auditor);
        assert!(crate::PoolRead::verify_audit(&pool, &auditor).unwrap().is_intact());
    }
}
