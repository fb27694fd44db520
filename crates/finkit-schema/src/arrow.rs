//! Arrow in memory (feature `arrow`): a [`Dataset`] from an Arrow [`RecordBatch`], and the
//! column readers other crates use for their own tables (the risk crate's portfolio).
//!
//! A team whose data already sit in Arrow (Polars, DuckDB, DataFusion, pyarrow) hands a
//! `RecordBatch` over without converting it column by column. Types are checked: every integer
//! and floating type is numeric, `Boolean` is numeric 0 / 1, `Utf8` / `LargeUtf8` / `Utf8View`
//! and dictionaries of them are categorical; anything else is an error naming the column.
//! A null becomes the one missing marker of its column kind (NaN or `None`); a NaN or infinite
//! float *value* is an error, because NaN is reserved for "missing".
//!
//! The `arrow` crate is part of this feature's API: its major version is the one in
//! `Cargo.toml` (`arrow = "60"`).

use ::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, DictionaryArray, LargeStringArray, StringArray,
    StringViewArray,
};
use ::arrow::compute::cast;
use ::arrow::datatypes::{ArrowDictionaryKeyType, ArrowNativeType, DataType};
pub use ::arrow::record_batch::RecordBatch;
use ndarray::Array1;

use crate::{Column, Dataset, SchemaError};

fn arrow_error(column: &str, message: impl Into<String>) -> SchemaError {
    SchemaError::Arrow { column: column.to_owned(), message: message.into() }
}

/// The column `name` of `batch`, or an error naming it and the columns there are.
///
/// # Errors
///
/// [`SchemaError::Arrow`] when the batch has no such column.
pub fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef, SchemaError> {
    batch.column_by_name(name).ok_or_else(|| {
        let have: Vec<&str> =
            batch.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
        arrow_error(name, format!("no such column (the batch has {})", have.join(", ")))
    })
}

fn is_numeric_type(t: &DataType) -> bool {
    t.is_integer() || t.is_floating() || matches!(t, DataType::Boolean)
}

fn is_text_type(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, value) => is_text_type(value),
        _ => false,
    }
}

/// A numeric column as `f64` values, `None` for a null.
///
/// Integers, floats and booleans (`true` = 1) are accepted.
///
/// # Errors
///
/// [`SchemaError::Arrow`] naming the column for another type, or for a NaN or infinite value.
pub fn numbers(name: &str, array: &dyn Array) -> Result<Vec<Option<f64>>, SchemaError> {
    let t = array.data_type();
    if !is_numeric_type(t) {
        return Err(arrow_error(name, format!("type {t} is not numeric")));
    }
    let values: Vec<Option<f64>> = if let DataType::Boolean = t {
        let b: &BooleanArray = array.as_boolean();
        b.iter().map(|v| v.map(|x| if x { 1.0 } else { 0.0 })).collect()
    } else {
        // Integers of up to 64 bits convert as `as f64` does; every type here casts to Float64.
        let cast = cast(array, &DataType::Float64)
            .map_err(|e| arrow_error(name, format!("cannot read {t} as numbers: {e}")))?;
        cast.as_primitive::<::arrow::datatypes::Float64Type>().iter().collect()
    };
    if let Some((row, v)) =
        values.iter().enumerate().find_map(|(i, v)| v.filter(|x| !x.is_finite()).map(|x| (i, x)))
    {
        return Err(arrow_error(
            name,
            format!("row {row}: {v} is not finite (a missing value must be a null)"),
        ));
    }
    Ok(values)
}

fn dictionary_texts<K: ArrowDictionaryKeyType>(
    name: &str,
    array: &dyn Array,
) -> Result<Vec<Option<String>>, SchemaError> {
    let dict: &DictionaryArray<K> = array.as_dictionary();
    let values = texts(name, dict.values().as_ref())?;
    Ok(dict
        .keys()
        .iter()
        .map(|k| k.and_then(|k| k.to_usize()).and_then(|k| values.get(k).cloned().flatten()))
        .collect())
}

/// A text column as `String`s, `None` for a null.
///
/// `Utf8`, `LargeUtf8`, `Utf8View` and dictionaries of them are accepted.
///
/// # Errors
///
/// [`SchemaError::Arrow`] naming the column for another type.
pub fn texts(name: &str, array: &dyn Array) -> Result<Vec<Option<String>>, SchemaError> {
    use ::arrow::datatypes::{
        Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
    };
    let own = |v: Option<&str>| v.map(str::to_owned);
    match array.data_type() {
        DataType::Utf8 => {
            let a: &StringArray = array.as_string::<i32>();
            Ok(a.iter().map(own).collect())
        }
        DataType::LargeUtf8 => {
            let a: &LargeStringArray = array.as_string::<i64>();
            Ok(a.iter().map(own).collect())
        }
        DataType::Utf8View => {
            let a: &StringViewArray = array.as_string_view();
            Ok(a.iter().map(own).collect())
        }
        DataType::Dictionary(key, value) if is_text_type(value) => match key.as_ref() {
            DataType::Int8 => dictionary_texts::<Int8Type>(name, array),
            DataType::Int16 => dictionary_texts::<Int16Type>(name, array),
            DataType::Int32 => dictionary_texts::<Int32Type>(name, array),
            DataType::Int64 => dictionary_texts::<Int64Type>(name, array),
            DataType::UInt8 => dictionary_texts::<UInt8Type>(name, array),
            DataType::UInt16 => dictionary_texts::<UInt16Type>(name, array),
            DataType::UInt32 => dictionary_texts::<UInt32Type>(name, array),
            DataType::UInt64 => dictionary_texts::<UInt64Type>(name, array),
            other => Err(arrow_error(name, format!("unsupported dictionary key type {other}"))),
        },
        other => Err(arrow_error(name, format!("type {other} is not text"))),
    }
}

impl Dataset {
    /// Builds a dataset from an Arrow record batch (feature `arrow`).
    ///
    /// Every column except `target` becomes a feature: numeric types (integers, floats,
    /// booleans) a [`Column::Numeric`] with NaN for a null, text types a [`Column::Categorical`]
    /// with `None` for a null. The target, if named, must be numeric or boolean with values 0
    /// and 1 and no nulls.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use arrow::array::{Float64Array, Int64Array, StringArray};
    /// use arrow::record_batch::RecordBatch;
    /// use finkit_schema::Dataset;
    ///
    /// let batch = RecordBatch::try_from_iter([
    ///     ("age", Arc::new(Float64Array::from(vec![Some(25.0), None, Some(40.0)])) as _),
    ///     ("city", Arc::new(StringArray::from(vec![Some("Rome"), Some("Oslo"), None])) as _),
    ///     ("bad", Arc::new(Int64Array::from(vec![0, 1, 0])) as _),
    /// ])?;
    /// let data = Dataset::from_record_batch(&batch, Some("bad"))?;
    /// assert_eq!(data.n_rows(), 3);
    /// assert!(data.numeric("age")?[1].is_nan(), "a null is missing");
    /// assert_eq!(data.target().map(|t| t.sum()), Some(1.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`SchemaError::Arrow`] naming the column for an unsupported type, a NaN or infinite
    /// value, a missing target column, or a null or non-binary target; and the errors of
    /// [`Dataset::new`] (no rows, duplicate names).
    pub fn from_record_batch(
        batch: &RecordBatch,
        target: Option<&str>,
    ) -> Result<Dataset, SchemaError> {
        let target_values = match target {
            Some(name) => {
                let values = numbers(name, column(batch, name)?.as_ref())?;
                let mut t = Vec::with_capacity(values.len());
                for (row, v) in values.into_iter().enumerate() {
                    match v {
                        Some(x) if x == 0.0 || x == 1.0 => t.push(x),
                        Some(x) => {
                            return Err(arrow_error(
                                name,
                                format!("row {row}: target must be 0 or 1, got {x}"),
                            ));
                        }
                        None => {
                            return Err(arrow_error(name, format!("row {row}: target is null")));
                        }
                    }
                }
                Some((name.to_owned(), Array1::from(t)))
            }
            None => None,
        };
        let schema = batch.schema();
        let mut columns = Vec::new();
        for (field, array) in schema.fields().iter().zip(batch.columns()) {
            let name = field.name().as_str();
            if Some(name) == target {
                continue;
            }
            let t = array.data_type();
            let col = if is_numeric_type(t) {
                Column::Numeric(
                    numbers(name, array.as_ref())?
                        .into_iter()
                        .map(|v| v.unwrap_or(f64::NAN))
                        .collect(),
                )
            } else if is_text_type(t) {
                Column::Categorical(texts(name, array.as_ref())?)
            } else {
                return Err(arrow_error(
                    name,
                    format!(
                        "type {t} is neither numeric nor text (cast it first, or drop the column)"
                    ),
                ));
            };
            columns.push((name.to_owned(), col));
        }
        Dataset::new(columns, target_values)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ::arrow::array::{
        BooleanArray, Date32Array, DictionaryArray, Float32Array, Float64Array, Int32Array,
        StringArray,
    };
    use ::arrow::datatypes::Int8Type;

    use super::*;

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(columns).unwrap()
    }

    #[test]
    fn nulls_become_the_missing_marker_and_types_map_to_kinds() {
        let dict: DictionaryArray<Int8Type> =
            vec![Some("a"), None, Some("b")].into_iter().collect();
        let b = batch(vec![
            ("x", Arc::new(Int32Array::from(vec![Some(1), None, Some(3)])) as ArrayRef),
            ("f", Arc::new(Float32Array::from(vec![0.5, 1.5, 2.5])) as ArrayRef),
            ("flag", Arc::new(BooleanArray::from(vec![Some(true), Some(false), None])) as ArrayRef),
            ("cat", Arc::new(dict) as ArrayRef),
            ("s", Arc::new(StringArray::from(vec![None, Some("u"), Some("v")])) as ArrayRef),
            ("y", Arc::new(BooleanArray::from(vec![true, false, true])) as ArrayRef),
        ]);
        let d = Dataset::from_record_batch(&b, Some("y")).unwrap();
        assert_eq!(d.feature_names(), vec!["x", "f", "flag", "cat", "s"]);
        let x = d.numeric("x").unwrap();
        assert_eq!((x[0], x[2]), (1.0, 3.0));
        assert!(x[1].is_nan());
        assert_eq!(d.numeric("flag").unwrap()[0], 1.0);
        assert!(d.numeric("flag").unwrap()[2].is_nan());
        assert_eq!(
            d.column("cat").unwrap(),
            &Column::Categorical(vec![Some("a".into()), None, Some("b".into())])
        );
        assert_eq!(d.column("s").unwrap().missing(), 1);
        assert_eq!(d.target().unwrap().to_vec(), vec![1.0, 0.0, 1.0]);
    }

    #[test]
    fn errors_name_the_column() {
        let dates = batch(vec![("when", Arc::new(Date32Array::from(vec![1, 2])) as ArrayRef)]);
        let e = Dataset::from_record_batch(&dates, None).unwrap_err().to_string();
        assert!(e.contains("\"when\"") && e.contains("Date32"), "{e}");

        let nan = batch(vec![("v", Arc::new(Float64Array::from(vec![1.0, f64::NAN])) as ArrayRef)]);
        let e = Dataset::from_record_batch(&nan, None).unwrap_err().to_string();
        assert!(e.contains("\"v\"") && e.contains("row 1") && e.contains("null"), "{e}");

        let b = batch(vec![
            ("v", Arc::new(Float64Array::from(vec![1.0, 2.0])) as ArrayRef),
            ("bad", Arc::new(Int32Array::from(vec![Some(0), None])) as ArrayRef),
        ]);
        let e = Dataset::from_record_batch(&b, Some("bad")).unwrap_err().to_string();
        assert!(e.contains("\"bad\"") && e.contains("row 1: target is null"), "{e}");
        let e = Dataset::from_record_batch(&b, Some("target")).unwrap_err().to_string();
        assert!(e.contains("\"target\"") && e.contains("no such column"), "{e}");

        let two = batch(vec![("bad", Arc::new(Int32Array::from(vec![0, 2])) as ArrayRef)]);
        let e = Dataset::from_record_batch(&two, Some("bad")).unwrap_err().to_string();
        assert!(e.contains("must be 0 or 1, got 2"), "{e}");
    }

    #[test]
    fn agrees_with_the_csv_reader() {
        let csv = "age,city,bad\n25,Rome,0\n,Oslo,1\n40,,0\n";
        let from_csv = Dataset::from_reader(
            csv.as_bytes(),
            "inline.csv",
            &crate::CsvOptions::default().with_target("bad"),
        )
        .unwrap();
        let b = batch(vec![
            ("age", Arc::new(Float64Array::from(vec![Some(25.0), None, Some(40.0)])) as ArrayRef),
            (
                "city",
                Arc::new(StringArray::from(vec![Some("Rome"), Some("Oslo"), None])) as ArrayRef,
            ),
            ("bad", Arc::new(Int32Array::from(vec![0, 1, 0])) as ArrayRef),
        ]);
        let from_arrow = Dataset::from_record_batch(&b, Some("bad")).unwrap();
        assert_eq!(from_arrow.feature_names(), from_csv.feature_names());
        assert_eq!(from_arrow.column("city").unwrap(), from_csv.column("city").unwrap());
        assert_eq!(from_arrow.target(), from_csv.target());
        let (a, c) = (from_arrow.numeric("age").unwrap(), from_csv.numeric("age").unwrap());
        assert!(a.iter().zip(c.iter()).all(|(x, y)| x == y || (x.is_nan() && y.is_nan())));
    }
}
