//! Binning every column of a dataset, selecting variables by IV, and the WoE design matrix.

use std::collections::BTreeMap;

use rayon::prelude::*;

use finkit_schema::Dataset;
use ndarray::{Array1, Array2};

use super::{BinningParams, FittedBinning, OptimalBinning};
use crate::{CreditError, Fit};

/// The WoE values of one variable on every row, or why they could not be computed.
pub(crate) type WoeColumn = Result<Array1<f64>, CreditError>;
/// Parameters of a [`BinningProcess`]: one [`BinningParams`] for every column, per-variable
/// fixed splits or groups, and the IV selection rule.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BinningProcessParams {
    binning: BinningParams,
    variables: Option<Vec<String>>,
    exclude: Vec<String>,
    min_iv: Option<f64>,
    top_k: Option<usize>,
    fixed_splits: BTreeMap<String, Vec<f64>>,
    fixed_groups: BTreeMap<String, Vec<Vec<String>>>,
    #[cfg_attr(feature = "serde", serde(default))]
    skip_unusable: bool,
}

impl BinningProcessParams {
    /// Every feature column, default binning, every variable selected.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
    /// The binning parameters applied to every column.
    #[must_use]
    pub fn binning(mut self, params: BinningParams) -> Self {
        self.binning = params;
        self
    }
    /// Bin only these columns (default: every feature column).
    #[must_use]
    pub fn variables<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.variables = Some(names.into_iter().map(Into::into).collect());
        self
    }
    /// Never bin these columns (e.g. a column with a known data defect).
    #[must_use]
    pub fn exclude<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.exclude.extend(names.into_iter().map(Into::into));
        self
    }
    /// Select only variables with at least this IV.
    #[must_use]
    pub fn min_iv(mut self, iv: f64) -> Self {
        self.min_iv = Some(iv);
        self
    }
    /// Select at most this many variables, highest IV first.
    #[must_use]
    pub fn top_k(mut self, k: usize) -> Self {
        self.top_k = Some(k);
        self
    }
    /// Fixed split points for a numeric column (skips the optimiser for it).
    #[must_use]
    pub fn fixed_splits(mut self, name: impl Into<String>, splits: Vec<f64>) -> Self {
        self.fixed_splits.insert(name.into(), splits);
        self
    }
    /// Fixed category groups for a categorical column (skips the optimiser for it).
    #[must_use]
    pub fn fixed_groups(mut self, name: impl Into<String>, groups: Vec<Vec<String>>) -> Self {
        self.fixed_groups.insert(name.into(), groups);
        self
    }

    /// Skip columns that cannot be binned — constant, all missing (or special), or holding a
    /// single category — instead of failing: they are listed with the reason in
    /// [`FittedBinningProcess::skipped`]. Default `false` (the first such column is an error).
    #[must_use]
    pub fn skip_unusable(mut self, skip: bool) -> Self {
        self.skip_unusable = skip;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    ///
    /// [`CreditError::InvalidParameter`] for invalid binning parameters, a negative or NaN
    /// `min_iv`, or `top_k = 0`.
    pub fn build(self) -> Result<BinningProcess, CreditError> {
        let binner = self.binning.clone().build()?;
        if let Some(iv) = self.min_iv
            && !(iv >= 0.0 && iv.is_finite())
        {
            return Err(CreditError::InvalidParameter {
                name: "min_iv",
                value: iv.to_string(),
                reason: "must be finite and non-negative",
            });
        }
        if self.top_k == Some(0) {
            return Err(CreditError::InvalidParameter {
                name: "top_k",
                value: "0".into(),
                reason: "must be at least 1",
            });
        }
        Ok(BinningProcess { params: self, binner })
    }
}

/// A validated binning process, ready to fit a [`Dataset`].
#[derive(Debug, Clone, PartialEq)]
pub struct BinningProcess {
    params: BinningProcessParams,
    binner: OptimalBinning,
}

impl BinningProcess {
    /// Bins every chosen column and selects by IV.
    ///
    /// Selection: variables with `iv ≥ min_iv`, in descending IV order (ties: column order),
    /// cut to `top_k`.
    ///
    /// # Errors
    ///
    /// [`CreditError::InvalidTarget`] when the dataset has no target or one class,
    /// [`CreditError::Schema`] for an unknown column name, and any error of
    /// [`OptimalBinning::fit_column`] (a constant column included), naming the column.
    #[cfg_attr(feature = "tracing", tracing::instrument(level = "info", skip_all, name = "binning_process.fit", fields(rows = data.n_rows())))]
    pub fn fit(&self, data: &Dataset) -> Result<FittedBinningProcess, CreditError> {
        Ok(self.fit_inner(data, false)?.0)
    }

    /// [`BinningProcess::fit`], and the WoE column of every binned variable (aligned with
    /// [`FittedBinningProcess::binnings`], what [`FittedBinning::transform`] gives), each
    /// computed in the task that bins its variable, while the column is in cache.
    pub(crate) fn fit_with_woe(
        &self,
        data: &Dataset,
    ) -> Result<(FittedBinningProcess, Vec<WoeColumn>), CreditError> {
        self.fit_inner(data, true)
    }

    fn fit_inner(
        &self,
        data: &Dataset,
        woe: bool,
    ) -> Result<(FittedBinningProcess, Vec<WoeColumn>), CreditError> {
        let y = data
            .target()
            .ok_or_else(|| CreditError::InvalidTarget("the dataset has no target column".into()))?;
        let p = &self.params;
        let names: Vec<String> = match &p.variables {
            Some(v) => v.clone(),
            None => data.feature_names().into_iter().map(str::to_owned).collect(),
        };
        let names: Vec<String> = names.into_iter().filter(|n| !p.exclude.contains(n)).collect();
        if names.is_empty() {
            return Err(CreditError::Empty("variables to bin"));
        }
        // Each variable is binned on its own: in parallel, collected in name order, so the
        // result (and the first error, in name order) is the sequential one.
        // Ok(Err((name, reason))): an unusable column skipped as asked.
        type Binned = Result<(FittedBinning, Option<WoeColumn>), (String, String)>;
        let fit_one = |name: &String| -> Result<Binned, CreditError> {
            let column = data.column(name)?;
            let fitted = match (p.fixed_splits.get(name), p.fixed_groups.get(name), column) {
                (Some(splits), _, finkit_schema::Column::Numeric(x)) => {
                    self.binner.fit_numeric_with_splits(name, splits, x, &y)?
                }
                (_, Some(groups), finkit_schema::Column::Categorical(x)) => {
                    self.binner.fit_categorical_with_groups(name, groups, x, &y)?
                }
                (Some(_), _, _) | (_, Some(_), _) => {
                    return Err(CreditError::UnusableColumn {
                        name: name.clone(),
                        reason:
                            "fixed splits need a numeric column, fixed groups a categorical one"
                                .into(),
                    });
                }
                _ => match self.binner.fit_column(name, column, &y) {
                    Err(CreditError::UnusableColumn { name, reason }) if p.skip_unusable => {
                        return Ok(Err((name, reason)));
                    }
                    other => other?,
                },
            };
            let values = woe.then(|| fitted.transform(column));
            Ok(Ok((fitted, values)))
        };
        let results: Vec<Result<Binned, CreditError>> = names.par_iter().map(fit_one).collect();
        let mut binnings = Vec::with_capacity(names.len());
        let mut columns = Vec::new();
        let mut skipped = Vec::new();
        for result in results {
            match result? {
                Ok((fitted, values)) => {
                    binnings.push(fitted);
                    columns.extend(values);
                }
                Err(skip) => skipped.push(skip),
            }
        }
        let mut order: Vec<usize> = (0..binnings.len())
            .filter(|&i| p.min_iv.is_none_or(|m| binnings[i].iv() >= m))
            .collect();
        order.sort_by(|&a, &b| binnings[b].iv().total_cmp(&binnings[a].iv()).then(a.cmp(&b)));
        if let Some(k) = p.top_k {
            order.truncate(k);
        }
        Ok((FittedBinningProcess { binnings, selected: order, skipped }, columns))
    }
}

impl Fit for BinningProcess {
    type Model = FittedBinningProcess;
    fn fit(&self, data: &Dataset) -> Result<FittedBinningProcess, CreditError> {
        BinningProcess::fit(self, data)
    }
}

/// A WoE design matrix: one row per dataset row, one column per selected variable.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct WoeMatrix {
    /// The variable of each column.
    pub names: Vec<String>,
    /// `rows × names.len()` WoE values.
    pub values: Array2<f64>,
}

/// Every fitted binning of a process and the selected variables.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "RawProcess"))]
pub struct FittedBinningProcess {
    binnings: Vec<FittedBinning>,
    selected: Vec<usize>,
    skipped: Vec<(String, String)>,
}

/// The serialised form; the selection is checked against the binnings when read.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawProcess {
    binnings: Vec<FittedBinning>,
    selected: Vec<usize>,
    #[serde(default)]
    skipped: Vec<(String, String)>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawProcess> for FittedBinningProcess {
    type Error = CreditError;
    fn try_from(raw: RawProcess) -> Result<Self, CreditError> {
        if let Some(&i) = raw.selected.iter().find(|&&i| i >= raw.binnings.len()) {
            return Err(CreditError::InvalidModel(format!(
                "selected index {i} past the {} binnings",
                raw.binnings.len()
            )));
        }
        Ok(FittedBinningProcess {
            binnings: raw.binnings,
            selected: raw.selected,
            skipped: raw.skipped,
        })
    }
}

impl FittedBinningProcess {
    /// Every fitted binning, in column order.
    #[must_use]
    pub fn binnings(&self) -> &[FittedBinning] {
        &self.binnings
    }
    /// Columns skipped as unusable (see [`BinningProcessParams::skip_unusable`]), with the
    /// reason, in column order.
    #[must_use]
    pub fn skipped(&self) -> &[(String, String)] {
        &self.skipped
    }
    /// The binning of a variable.
    #[must_use]
    pub fn binning(&self, name: &str) -> Option<&FittedBinning> {
        self.binnings.iter().find(|b| b.name() == name)
    }
    /// The selected variables, highest IV first.
    #[must_use]
    pub fn selected(&self) -> Vec<&str> {
        self.selected.iter().map(|&i| self.binnings[i].name()).collect()
    }
    /// The selected binnings, in selection order.
    #[must_use]
    pub fn selected_binnings(&self) -> Vec<&FittedBinning> {
        self.selected.iter().map(|&i| &self.binnings[i]).collect()
    }
    /// `(variable, iv, selected)` for every binned variable, in column order.
    #[must_use]
    pub fn iv_table(&self) -> Vec<(String, f64, bool)> {
        self.binnings
            .iter()
            .enumerate()
            .map(|(i, b)| (b.name().to_owned(), b.iv(), self.selected.contains(&i)))
            .collect()
    }
    /// The same binnings with the selection replaced by `names`, in that order (e.g. after a
    /// stepwise or expert choice).
    ///
    /// # Errors
    ///
    /// [`CreditError::MissingVariable`] for a name that was not binned, and
    /// [`CreditError::Empty`] for no names.
    pub fn with_selection<S: AsRef<str>>(&self, names: &[S]) -> Result<Self, CreditError> {
        if names.is_empty() {
            return Err(CreditError::Empty("selection"));
        }
        let mut selected = Vec::with_capacity(names.len());
        for n in names {
            let n = n.as_ref();
            let i = self
                .binnings
                .iter()
                .position(|b| b.name() == n)
                .ok_or_else(|| CreditError::MissingVariable(n.to_owned()))?;
            selected.push(i);
        }
        Ok(FittedBinningProcess {
            binnings: self.binnings.clone(),
            selected,
            skipped: self.skipped.clone(),
        })
    }
    /// The WoE design matrix of the selected variables.
    ///
    /// # Errors
    ///
    /// [`CreditError::Schema`] when a selected column is absent, and any error of
    /// [`FittedBinning::transform`] (wrong kind, unseen value under the `Error` policy).
    pub fn transform(&self, data: &Dataset) -> Result<WoeMatrix, CreditError> {
        // The columns are transformed in parallel (each on its own); the first error in
        // selection order is reported whatever the thread count.
        let columns: Vec<Array1<f64>> = self
            .selected
            .par_iter()
            .map(|&i| {
                let b = &self.binnings[i];
                b.transform(data.column(b.name())?)
            })
            .collect::<Vec<WoeColumn>>()
            .into_iter()
            .collect::<Result<_, _>>()?;
        let mut values = Array2::<f64>::zeros((data.n_rows(), self.selected.len()));
        for (j, woe) in columns.iter().enumerate() {
            values.column_mut(j).assign(woe);
        }
        let names = self.selected.iter().map(|&i| self.binnings[i].name().to_owned()).collect();
        Ok(WoeMatrix { names, values })
    }
}
