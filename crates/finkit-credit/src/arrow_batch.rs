//! Scoring an Arrow record batch and returning the scores as one (feature `arrow`).

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use finkit_schema::Dataset;

use crate::master_scale::MasterScale;
use crate::{CreditError, PdModel};

/// Scores every row of `batch` with `model` and returns the results as a record batch.
///
/// The input goes through [`Dataset::from_record_batch`] (nulls are missing values, types are
/// checked, errors name the column). The output has one row per input row, in order:
/// the `id_column` copied as is (when named), `pd` (`Float64`, not null) and, with a master
/// scale, `grade` (`Utf8`, not null). Columns the model does not use are ignored.
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{ArrayRef, Float64Array, StringArray};
/// use arrow::record_batch::RecordBatch;
/// use finkit_credit::master_scale::MasterScale;
/// use finkit_credit::schema::Probability;
/// use finkit_credit::{CreditError, PdModel, FeatureRecord, score_record_batch};
///
/// /// PD rises with leverage (a stand-in for any fitted model).
/// struct Leverage;
/// impl PdModel for Leverage {
///     fn model_id(&self) -> String {
///         "leverage/v1".into()
///     }
///     fn pd(&self, record: &FeatureRecord) -> Result<Probability, CreditError> {
///         Ok(Probability::new(0.01 + 0.1 * record.number("leverage")?)?)
///     }
/// }
///
/// let firms = RecordBatch::try_from_iter([
///     ("firm", Arc::new(StringArray::from(vec!["F1", "F2"])) as ArrayRef),
///     ("leverage", Arc::new(Float64Array::from(vec![0.2, 0.9])) as ArrayRef),
/// ])?;
/// let scored = score_record_batch(&Leverage, &firms, Some("firm"), Some(&MasterScale::default()))?;
/// assert_eq!(scored.num_rows(), 2);
/// assert_eq!(scored.schema().field(1).name(), "pd");
/// assert_eq!(scored.schema().field(2).name(), "grade");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// The errors of [`Dataset::from_record_batch`] (as [`CreditError::Schema`]), of the model's
/// [`PdModel::pd_batch`], and of [`MasterScale::grade`].
pub fn score_record_batch<M: PdModel + ?Sized>(
    model: &M,
    batch: &RecordBatch,
    id_column: Option<&str>,
    scale: Option<&MasterScale>,
) -> Result<RecordBatch, CreditError> {
    let features = match id_column {
        Some(id) => {
            let keep: Vec<usize> = (0..batch.num_columns())
                .filter(|&i| batch.schema_ref().field(i).name() != id)
                .collect();
            batch.project(&keep).map_err(|e| CreditError::External(Box::new(e)))?
        }
        None => batch.clone(),
    };
    let data = Dataset::from_record_batch(&features, None)?;
    let pd = model.pd_batch(&data)?;
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    if let Some(id) = id_column {
        let ids = finkit_schema::arrow::column(batch, id)?;
        fields.push(Field::new(id, ids.data_type().clone(), ids.is_nullable()));
        columns.push(Arc::clone(ids));
    }
    fields.push(Field::new("pd", DataType::Float64, false));
    columns.push(Arc::new(Float64Array::from(pd.to_vec())));
    if let Some(scale) = scale {
        let grades = pd
            .iter()
            .map(|&p| scale.grade(p).map(|g| g.label.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        fields.push(Field::new("grade", DataType::Utf8, false));
        columns.push(Arc::new(StringArray::from(grades)));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| CreditError::External(Box::new(e)))
}
