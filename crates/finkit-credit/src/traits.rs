//! The public traits that let services compose credit models they did not write.

use finkit_schema::{Dataset, Probability};
use ndarray::Array1;

use crate::{CreditError, FeatureRecord};

/// A fitted model that gives a probability of default for one record.
///
/// Implemented by the scorecard, the logistic model and the corporate default models. The trait
/// is object-safe, so `Vec<Box<dyn PdModel>>` works (in a service or a notebook). Models written
/// elsewhere report their own failures through [`CreditError::External`].
pub trait PdModel {
    /// A stable identifier of the model and its version, recorded with every decision.
    fn model_id(&self) -> String;

    /// The probability of default of one record.
    ///
    /// # Errors
    ///
    /// When the record lacks a variable the model needs or holds an unusable value.
    fn pd(&self, record: &FeatureRecord) -> Result<Probability, CreditError>;

    /// The probability of default of every row of a dataset, in row order.
    ///
    /// The provided method scores row by row; models override it with a vectorised version.
    ///
    /// # Errors
    ///
    /// As [`PdModel::pd`], for the first row that fails.
    fn pd_batch(&self, data: &Dataset) -> Result<Array1<f64>, CreditError> {
        (0..data.n_rows())
            .map(|row| {
                FeatureRecord::from_dataset_row(data, row).and_then(|r| self.pd(&r)).map(f64::from)
            })
            .collect()
    }
}

impl<M: PdModel + ?Sized> PdModel for &M {
    fn model_id(&self) -> String {
        (**self).model_id()
    }
    fn pd(&self, record: &FeatureRecord) -> Result<Probability, CreditError> {
        (**self).pd(record)
    }
    fn pd_batch(&self, data: &Dataset) -> Result<Array1<f64>, CreditError> {
        (**self).pd_batch(data)
    }
}

impl<M: PdModel + ?Sized> PdModel for Box<M> {
    fn model_id(&self) -> String {
        (**self).model_id()
    }
    fn pd(&self, record: &FeatureRecord) -> Result<Probability, CreditError> {
        (**self).pd(record)
    }
    fn pd_batch(&self, data: &Dataset) -> Result<Array1<f64>, CreditError> {
        (**self).pd_batch(data)
    }
}

/// A model shared across threads (request handlers of a service) behind an `Arc`.
impl<M: PdModel + ?Sized> PdModel for std::sync::Arc<M> {
    fn model_id(&self) -> String {
        (**self).model_id()
    }
    fn pd(&self, record: &FeatureRecord) -> Result<Probability, CreditError> {
        (**self).pd(record)
    }
    fn pd_batch(&self, data: &Dataset) -> Result<Array1<f64>, CreditError> {
        (**self).pd_batch(data)
    }
}

/// Validated hyper-parameters that learn a model from a dataset with a binary target.
///
/// Kept apart from the fitted model (linfa's `Fit` / `Predict` split), so a service that only
/// loads a fitted model never needs the training code's parameters.
pub trait Fit {
    /// The fitted model.
    type Model;

    /// Learns from `data`, whose target must be binary with both classes present.
    ///
    /// # Errors
    ///
    /// When the data cannot support the fit (empty, one class, separation, …).
    fn fit(&self, data: &Dataset) -> Result<Self::Model, CreditError>;
}
