//! One observation, as a [`PdModel`](crate::PdModel) sees it: named numeric or categorical values.

use std::collections::BTreeMap;

use finkit_schema::{Column, Dataset, FinancialRatios};

use crate::CreditError;

/// One value of a record.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(untagged))]
pub enum Value {
    /// A number (never NaN: a missing number is [`Value::Missing`]).
    Number(f64),
    /// A category label.
    Category(String),
    /// No value.
    Missing,
}

/// One observation: variable name → [`Value`].
///
/// It is the common input of every [`PdModel`](crate::PdModel), so a scorecard, a logistic model
/// and a corporate model can sit behind one `Box<dyn PdModel>`.
///
/// With the `serde` feature a record is a flat JSON object (`{"age": 41, "housing": "own",
/// "income": null}`: numbers, labels, `null` for missing), so a service accepts one as is.
///
/// ```
/// use finkit_credit::{FeatureRecord, Value};
/// let r = FeatureRecord::new().with_number("age", 41.0).with_category("housing", "own");
/// assert_eq!(r.get("age"), Some(&Value::Number(41.0)));
/// assert_eq!(r.get("income"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct FeatureRecord {
    values: BTreeMap<String, Value>,
}

impl FeatureRecord {
    /// An empty record.
    #[must_use]
    pub fn new() -> Self {
        FeatureRecord::default()
    }
    /// Adds a number; NaN is stored as [`Value::Missing`].
    #[must_use]
    pub fn with_number(mut self, name: impl Into<String>, value: f64) -> Self {
        self.insert(name, if value.is_nan() { Value::Missing } else { Value::Number(value) });
        self
    }
    /// Adds a category label.
    #[must_use]
    pub fn with_category(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.insert(name, Value::Category(value.into()));
        self
    }
    /// Adds a missing value.
    #[must_use]
    pub fn with_missing(mut self, name: impl Into<String>) -> Self {
        self.insert(name, Value::Missing);
        self
    }
    /// Sets a value, replacing any previous one.
    pub fn insert(&mut self, name: impl Into<String>, value: Value) {
        self.values.insert(name.into(), value);
    }
    /// The value of a variable, if the record has it.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }
    /// The number of a variable.
    ///
    /// # Errors
    ///
    /// [`CreditError::MissingVariable`] when absent or missing, and
    /// [`CreditError::UnusableColumn`] when it holds a category.
    pub fn number(&self, name: &str) -> Result<f64, CreditError> {
        match self.values.get(name) {
            Some(Value::Number(v)) => Ok(*v),
            Some(Value::Category(_)) => Err(CreditError::UnusableColumn {
                name: name.to_owned(),
                reason: "holds a category where a number is needed".into(),
            }),
            Some(Value::Missing) | None => Err(CreditError::MissingVariable(name.to_owned())),
        }
    }
    /// Variable names and values, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v))
    }
    /// Row `row` of a dataset's feature columns.
    ///
    /// # Errors
    ///
    /// [`CreditError::InvalidParameter`] when `row` is past the end.
    pub fn from_dataset_row(data: &Dataset, row: usize) -> Result<FeatureRecord, CreditError> {
        if row >= data.n_rows() {
            return Err(CreditError::InvalidParameter {
                name: "row",
                value: row.to_string(),
                reason: "past the last row of the dataset",
            });
        }
        let mut record = FeatureRecord::new();
        for (name, column) in data.columns() {
            let value = match column {
                Column::Numeric(v) if v[row].is_nan() => Value::Missing,
                Column::Numeric(v) => Value::Number(v[row]),
                Column::Categorical(v) => v[row].clone().map_or(Value::Missing, Value::Category),
            };
            record.insert(name, value);
        }
        Ok(record)
    }
    /// A record holding every ratio under its field name
    /// (see [`FinancialRatios::entries`]); undefined ratios are missing.
    #[must_use]
    pub fn from_ratios(ratios: &FinancialRatios) -> FeatureRecord {
        let mut record = FeatureRecord::new();
        for (name, value) in ratios.entries() {
            record.insert(name, value.map_or(Value::Missing, Value::Number));
        }
        record
    }
}

#[cfg(all(test, feature = "serde"))]
mod serde_tests {
    use super::*;

    #[test]
    fn a_record_is_a_flat_json_object() {
        let r: FeatureRecord =
            serde_json::from_str(r#"{"age": 41, "housing": "own", "income": null}"#).unwrap();
        assert_eq!(
            r,
            FeatureRecord::new()
                .with_number("age", 41.0)
                .with_category("housing", "own")
                .with_missing("income")
        );
        let back = serde_json::to_value(&r).unwrap();
        assert_eq!(back, serde_json::json!({"age": 41.0, "housing": "own", "income": null}));
        assert!(serde_json::from_str::<FeatureRecord>(r#"{"age": [1, 2]}"#).is_err());
        assert!(serde_json::from_str::<FeatureRecord>(r#"[1, 2]"#).is_err());
    }
}
