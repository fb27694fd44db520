//! `finkit credit fit-boosting`, `credit explain`, and `credit score` for every model kind
//! (scorecard, finkit boosted model, XGBoost JSON model), streaming rows in bounded memory.

use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use finkit::credit::binning::VariableKind;
use finkit::credit::boosting::{self, BoostedModel, BoostingParams, Monotone};
use finkit::credit::scorecard::Scorecard;
use finkit::credit::{FeatureRecord, Fit, PdModel, Value};
use finkit::schema::{Column, CsvOptions, Dataset};
use rayon::prelude::*;
use serde::Serialize;

use crate::Output;
use crate::cmd_credit::load_table;
use crate::error::CliError;
use crate::table::print_pairs;
use finkit::schema::csv_input::{CsvRecords, NumberError, number, trim_cell};

/// Rows scored per block: the most rows held in memory at once.
pub(crate) const BLOCK_ROWS: usize = 4096;

/// The largest model file read (a model is a few MB; this bounds memory before reading).
const MAX_MODEL_BYTES: u64 = 1 << 30;

/// Arguments of `credit fit-boosting`.
#[derive(Debug, Args)]
pub(crate) struct FitBoostingArgs {
    /// CSV file with a header row.
    #[arg(long)]
    csv: PathBuf,
    /// The binary (0/1) target column.
    #[arg(long)]
    target: String,
    /// Comma-separated columns never used as features (identifiers).
    #[arg(long, value_delimiter = ',')]
    exclude: Vec<String>,
    /// Monotone constraints: `none`, `auto` (sign of the Spearman correlation with the target,
    /// none below |rho| 0.02), or a JSON file `{"feature": 1 | -1 | 0, ...}`.
    #[arg(long, default_value = "none")]
    monotone: String,
    /// Number of trees.
    #[arg(long, default_value_t = 400)]
    trees: usize,
    /// Maximum depth (alone, it also allows 2^depth leaves).
    #[arg(long)]
    depth: Option<usize>,
    /// Maximum leaves per tree (default 15, or 2^depth with --depth).
    #[arg(long)]
    leaves: Option<usize>,
    /// Learning rate (shrinkage).
    #[arg(long, default_value_t = 0.05, allow_hyphen_values = true)]
    learning_rate: f64,
    /// Seed of the row and column draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Share of rows drawn per tree.
    #[arg(long, default_value_t = 0.8, allow_hyphen_values = true)]
    subsample: f64,
    /// Share of features drawn per tree.
    #[arg(long, default_value_t = 0.8, allow_hyphen_values = true)]
    colsample: f64,
    /// Minimum rows per leaf.
    #[arg(long, default_value_t = 20)]
    min_child_samples: usize,
    /// L2 penalty on leaf values.
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    l2: f64,
    /// Early stopping: hold out this share of the rows (stratified, seeded).
    #[arg(long, allow_hyphen_values = true)]
    validation_share: Option<f64>,
    /// Rounds without improvement before early stopping.
    #[arg(long, default_value_t = 50)]
    early_stopping_rounds: usize,
    /// Search splits on exact f64 gradient sums instead of the default quantized gradients
    /// (seeded stochastic rounding; leaf values always come from the exact gradients).
    #[arg(long)]
    exact_gradients: bool,
    /// Where to write the model JSON.
    #[arg(long)]
    out: PathBuf,
}

/// Arguments of `credit score`.
#[derive(Debug, Args)]
pub(crate) struct ScoreArgs {
    /// A scorecard (`fit-scorecard`), a boosted model (`fit-boosting`) or an XGBoost JSON
    /// model (`save_model`, binary:logistic).
    #[arg(long, alias = "model")]
    card: PathBuf,
    /// CSV of records to score.
    #[arg(long)]
    csv: PathBuf,
    /// A target column to leave out of the records.
    #[arg(long)]
    target: Option<String>,
    /// Write `row,score,pd,reasons` here instead of printing every row.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Arguments of `credit explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// A boosted model (`fit-boosting`) or an XGBoost JSON model.
    #[arg(long)]
    model: PathBuf,
    /// CSV of records to explain.
    #[arg(long)]
    csv: PathBuf,
    /// A target column to leave out.
    #[arg(long)]
    target: Option<String>,
    /// Comma-separated columns to leave out (they must not be model features).
    #[arg(long, value_delimiter = ',')]
    exclude: Vec<String>,
    /// Where to write `row,<features>,bias,margin,pd`.
    #[arg(long)]
    out: PathBuf,
}

/// A model `credit score` accepts.
#[derive(Debug)]
pub(crate) enum AnyModel {
    /// A points scorecard.
    Card(Scorecard),
    /// A boosted model, trained here or imported from XGBoost.
    Boosted(BoostedModel),
}

impl AnyModel {
    fn name(&self) -> &str {
        match self {
            AnyModel::Card(c) => c.name(),
            AnyModel::Boosted(b) => b.name(),
        }
    }
    fn kind(&self) -> &'static str {
        match self {
            AnyModel::Card(_) => "scorecard",
            AnyModel::Boosted(b) => match b.origin() {
                boosting::Origin::Finkit => "boosted",
                _ => "xgboost",
            },
        }
    }
}

/// Reads a scorecard, a finkit boosted model or an XGBoost JSON model; errors name the file.
pub(crate) fn load_model(path: &Path) -> Result<AnyModel, CliError> {
    let fail = |msg: String| CliError::input(format!("{}: {msg}", path.display()));
    if !crate::source::is_stdin(path) {
        let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read: {e}")))?;
        if meta.is_dir() {
            return Err(fail("is a directory, not a model file".into()));
        }
        if meta.len() > MAX_MODEL_BYTES {
            return Err(fail(format!(
                "{} bytes is larger than a model file can be (1 GiB)",
                meta.len()
            )));
        }
    }
    // Bounded also for devices and pipes, whose metadata gives no length (`/dev/zero`).
    let text = crate::source::read_to_string_limited(path, MAX_MODEL_BYTES)?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| fail(format!("not JSON: {e}")))?;
    let format = doc.get("format").and_then(serde_json::Value::as_str);
    let model = if format == Some("finkit-scorecard/1") {
        AnyModel::Card(Scorecard::from_json(&text).map_err(|e| fail(e.to_string()))?)
    } else if format == Some(boosting::FORMAT) {
        AnyModel::Boosted(BoostedModel::from_json(&text).map_err(|e| fail(e.to_string()))?)
    } else if doc.get("learner").is_some() {
        AnyModel::Boosted(BoostedModel::from_xgboost_json(&text).map_err(|e| fail(e.to_string()))?)
    } else {
        return Err(fail(format!(
            "not a model: format {format:?}; expected a finkit scorecard, a finkit boosted model or an XGBoost JSON model"
        )));
    };
    Ok(model)
}

/// A CSV read row by row, with the positions of the columns a model needs.
struct RowSource<R: Read> {
    rows: CsvRecords<R>,
    path: PathBuf,
    names: Vec<String>,
    index: Vec<usize>,
    width: usize,
    missing: Vec<String>,
    record: csv::StringRecord,
}

impl<R: Read> RowSource<R> {
    /// Opens the header; every name in `needed` must be a column.
    fn new(reader: R, path: &Path, needed: &[String]) -> Result<Self, CliError> {
        let mut rows = CsvRecords::new(reader, path);
        let mut header = csv::StringRecord::new();
        if rows.next_record(&mut header)?.is_none() || header.iter().all(str::is_empty) {
            return Err(rows.error(1, "", "empty file: no header row").into());
        }
        let index = needed
            .iter()
            .map(|n| {
                header
                    .iter()
                    .position(|c| c == n)
                    .ok_or_else(|| rows.error(1, n, "no such column (the model needs it)"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RowSource {
            width: header.len(),
            rows,
            path: path.to_owned(),
            names: needed.to_vec(),
            index,
            missing: CsvOptions::default().missing_tokens,
            record: csv::StringRecord::new(),
        })
    }

    /// Reads the next data row; `None` at the end. Blank lines are skipped.
    fn next_row(&mut self) -> Result<Option<u64>, CliError> {
        let Some(line) = self.rows.next_record(&mut self.record)? else { return Ok(None) };
        if self.record.len() != self.width {
            let message =
                format!("ragged row: {} fields, the header has {}", self.record.len(), self.width);
            return Err(self.rows.error(line, "", message).into());
        }
        Ok(Some(line))
    }

    /// The `k`-th needed cell of the current row, trimmed; `None` when missing.
    fn cell(&self, k: usize) -> Option<&str> {
        let text = trim_cell(self.record.get(self.index[k]).unwrap_or_default());
        if self.missing.iter().any(|m| m == text) { None } else { Some(text) }
    }

    /// The `k`-th needed cell as a number (NaN when missing).
    fn number(&self, k: usize, line: u64) -> Result<f64, CliError> {
        let Some(text) = self.cell(k) else { return Ok(f64::NAN) };
        number(text).map_err(|e| {
            CliError::input(format!(
                "{}: line {line}, column {:?}: {text:?} is {e}",
                self.path.display(),
                self.names[k]
            ))
        })
    }
}

/// One scored row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Scored {
    pub(crate) row: usize,
    pub(crate) score: f64,
    pub(crate) pd: f64,
    pub(crate) reasons: Vec<String>,
}

/// Scores a CSV block by block (at most [`BLOCK_ROWS`] rows held), handing each scored row to
/// `sink` in file order. Returns the number of rows.
pub(crate) fn score_stream<R: Read>(
    model: &AnyModel,
    input: R,
    path: &Path,
    sink: &mut dyn FnMut(&Scored) -> Result<(), CliError>,
) -> Result<usize, CliError> {
    let at_line =
        |line: u64, e: String| CliError::input(format!("{}: line {line}: {e}", path.display()));
    let mut rows = 0usize;
    match model {
        AnyModel::Boosted(m) => {
            let mut src = RowSource::new(input, path, m.features())?;
            let p = m.features().len();
            let mut block: Vec<f64> = Vec::with_capacity(BLOCK_ROWS * p);
            loop {
                block.clear();
                while block.len() < BLOCK_ROWS * p {
                    let Some(line) = src.next_row()? else { break };
                    for k in 0..p {
                        block.push(src.number(k, line)?);
                    }
                }
                if block.is_empty() {
                    break;
                }
                let scored: Vec<Scored> = block
                    .par_chunks(p)
                    .enumerate()
                    .map(|(i, x)| {
                        let (margin, pd, reasons) = m.explain(x)?;
                        Ok(Scored {
                            row: rows + i,
                            score: margin,
                            pd,
                            reasons: reasons.into_iter().map(|r| r.variable).collect(),
                        })
                    })
                    .collect::<Result<_, CliError>>()?;
                rows += scored.len();
                for s in &scored {
                    sink(s)?;
                }
            }
        }
        AnyModel::Card(card) => {
            let names: Vec<String> =
                card.characteristics().iter().map(|c| c.binning().name().to_owned()).collect();
            let kinds: Vec<VariableKind> =
                card.characteristics().iter().map(|c| c.binning().kind()).collect();
            let mut src = RowSource::new(input, path, &names)?;
            loop {
                let mut block: Vec<(u64, FeatureRecord)> = Vec::with_capacity(BLOCK_ROWS);
                while block.len() < BLOCK_ROWS {
                    let Some(line) = src.next_row()? else { break };
                    let mut record = FeatureRecord::new();
                    for (k, name) in names.iter().enumerate() {
                        let value = match kinds[k] {
                            VariableKind::Categorical => src
                                .cell(k)
                                .map_or(Value::Missing, |t| Value::Category(t.to_owned())),
                            _ => {
                                let v = src.number(k, line)?;
                                if v.is_nan() { Value::Missing } else { Value::Number(v) }
                            }
                        };
                        record.insert(name.clone(), value);
                    }
                    block.push((line, record));
                }
                if block.is_empty() {
                    break;
                }
                let scored: Vec<Scored> = block
                    .par_iter()
                    .enumerate()
                    .map(|(i, (line, record))| {
                        let s =
                            card.score_record(record).map_err(|e| at_line(*line, e.to_string()))?;
                        Ok(Scored {
                            row: rows + i,
                            score: s.score,
                            pd: card.pd_of_score(s.score),
                            reasons: s.reasons.into_iter().map(|r| r.variable).collect(),
                        })
                    })
                    .collect::<Result<_, CliError>>()?;
                rows += scored.len();
                for s in &scored {
                    sink(s)?;
                }
            }
        }
    }
    if rows == 0 {
        return Err(CliError::input(format!(
            "{}: line 2: no data rows after the header",
            path.display()
        )));
    }
    Ok(rows)
}

fn open(path: &Path) -> Result<std::fs::File, CliError> {
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::input(format!("{}: cannot open: {e}", path.display())))?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(CliError::input(format!("{}: is a directory, not a file", path.display())));
    }
    Ok(file)
}

/// A CSV output written to a temporary file beside `path` and moved into place only when the
/// whole command succeeded, so a failure never leaves a partial file.
struct PendingCsv {
    writer: csv::Writer<std::fs::File>,
    file: tempfile::TempPath,
    path: PathBuf,
}

impl PendingCsv {
    fn create(path: &Path) -> Result<PendingCsv, CliError> {
        let fail =
            |e: std::io::Error| CliError::input(format!("{}: cannot write: {e}", path.display()));
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        if path.is_dir() {
            return Err(CliError::input(format!(
                "{}: cannot write: is a directory",
                path.display()
            )));
        }
        let named = tempfile::NamedTempFile::new_in(&dir).map_err(fail)?;
        let (handle, file) = named.into_parts();
        Ok(PendingCsv {
            writer: csv::WriterBuilder::new().from_writer(handle),
            file,
            path: path.to_owned(),
        })
    }

    fn write<I, T>(&mut self, cells: I) -> Result<(), CliError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.writer
            .write_record(cells)
            .map_err(|e| CliError::internal(format!("{}: {e}", self.path.display())))
    }

    fn commit(mut self) -> Result<(), CliError> {
        self.writer.flush()?;
        self.file
            .persist(&self.path)
            .map_err(|e| CliError::input(format!("{}: cannot write: {e}", self.path.display())))
    }
}

/// `credit score`: every row's score, PD and reason codes, streamed: at most one block of rows
/// is in memory. Printed output goes through a temporary file and reaches stdout only when every
/// row was scored, so bad input prints nothing but the error line.
pub(crate) fn score(args: &ScoreArgs, out: Output) -> Result<(), CliError> {
    let model = load_model(&args.card)?;
    let input = open(&args.csv)?;
    let mut writer = args.out.as_deref().map(PendingCsv::create).transpose()?;
    if let Some(w) = writer.as_mut() {
        w.write(["row", "score", "pd", "reasons"])?;
    }
    let print_rows = out.json || args.out.is_none();
    let mut console = std::io::BufWriter::new(tempfile::tempfile()?);
    if out.json {
        write!(
            console,
            "{{\n  \"card\": {},\n  \"kind\": {},\n  \"scores\": [",
            serde_json::to_string(model.name())?,
            serde_json::to_string(model.kind())?
        )?;
    } else if print_rows {
        writeln!(console, "{:>8}  {:>22}  {:>8}  top reasons", "row", "score", "pd")?;
        writeln!(console, "{}", "-".repeat(64))?;
    }
    let mut first = true;
    let rows = score_stream(&model, input, &args.csv, &mut |s: &Scored| {
        if let Some(w) = writer.as_mut() {
            w.write([
                s.row.to_string(),
                s.score.to_string(),
                s.pd.to_string(),
                s.reasons.join(";"),
            ])?;
        }
        if out.json {
            let line = crate::output::json_line(s)?;
            write!(console, "{}\n    {line}", if first { "" } else { "," })?;
        } else if print_rows {
            writeln!(
                console,
                "{:>8}  {:>22}  {:>8.4}  {}",
                s.row,
                s.score,
                s.pd,
                s.reasons.join(", ")
            )?;
        }
        first = false;
        Ok(())
    })?;
    if out.json {
        writeln!(console, "\n  ]\n}}")?;
    } else if let Some(path) = &args.out {
        writeln!(console, "scored {rows} rows into {}", path.display())?;
    }
    if let Some(w) = writer {
        w.commit()?;
    }
    let mut printed = console.into_inner().map_err(|e| CliError::internal(format!("i/o: {e}")))?;
    printed.seek(std::io::SeekFrom::Start(0))?;
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    std::io::copy(&mut printed, &mut lock)?;
    lock.flush()?;
    Ok(())
}

/// `credit explain --json`: what was explained and where the contributions went.
#[derive(Serialize)]
struct ExplainReport<'a> {
    /// The model file.
    model: String,
    rows: usize,
    features: &'a [String],
    /// The contributions CSV.
    out: String,
}

/// `credit explain`: TreeSHAP contributions of every row, streamed.
pub(crate) fn explain(args: &ExplainArgs, out: Output) -> Result<(), CliError> {
    let model = match load_model(&args.model)? {
        AnyModel::Boosted(m) => m,
        AnyModel::Card(_) => {
            return Err(CliError::input(format!(
                "{}: is a scorecard; explain needs a boosted or XGBoost model (credit score gives a scorecard's reason codes)",
                args.model.display()
            )));
        }
    };
    for name in args.exclude.iter().chain(&args.target) {
        if model.features().contains(name) {
            return Err(CliError::input(format!(
                "column {name:?} is excluded but the model {} needs it",
                args.model.display()
            )));
        }
    }
    let input = open(&args.csv)?;
    let mut src = RowSource::new(input, &args.csv, model.features())?;
    let mut w = PendingCsv::create(&args.out)?;
    let p = model.features().len();
    let mut header = vec!["row".to_owned()];
    header.extend(model.features().iter().cloned());
    header.extend(["bias", "margin", "pd"].map(String::from));
    w.write(&header)?;
    let mut rows = 0usize;
    let block_rows = 1024;
    let mut block: Vec<f64> = Vec::with_capacity(block_rows * p);
    loop {
        block.clear();
        while block.len() < block_rows * p {
            let Some(line) = src.next_row()? else { break };
            for k in 0..p {
                block.push(src.number(k, line)?);
            }
        }
        if block.is_empty() {
            break;
        }
        let n = block.len() / p;
        let x = finkit::schema::ndarray::ArrayView2::from_shape((n, p), &block)
            .map_err(|e| CliError::internal(e.to_string()))?;
        let phi = model.contributions_batch(x)?;
        for (i, c) in phi.rows().into_iter().enumerate() {
            let margin: f64 = c.sum();
            let mut cells = Vec::with_capacity(p + 4);
            cells.push((rows + i).to_string());
            cells.extend(c.iter().map(f64::to_string));
            cells.push(margin.to_string());
            cells.push((1.0 / (1.0 + (-margin).exp())).to_string());
            w.write(&cells)?;
        }
        rows += n;
    }
    if rows == 0 {
        return Err(CliError::input(format!(
            "{}: line 2: no data rows after the header",
            args.csv.display()
        )));
    }
    w.commit()?;
    if out.json {
        return out.print_json(&ExplainReport {
            model: args.model.display().to_string(),
            rows,
            features: model.features(),
            out: args.out.display().to_string(),
        });
    }
    println!("explained {rows} rows ({p} features) into {}", args.out.display());
    Ok(())
}

/// Reads `--monotone`.
fn monotone_arg(text: &str) -> Result<Monotone, CliError> {
    match text {
        "none" => Ok(Monotone::None),
        "auto" => Ok(Monotone::Auto),
        file => {
            let path = Path::new(file);
            let body = std::fs::read_to_string(path).map_err(|e| {
                CliError::input(format!(
                    "--monotone {file}: not auto, none or a readable JSON file: {e}"
                ))
            })?;
            let map: BTreeMap<String, i8> = serde_json::from_str(&body).map_err(|e| {
                CliError::input(format!(
                    "{file}: expected a JSON object {{\"feature\": 1 | -1 | 0}}: {e}"
                ))
            })?;
            Ok(Monotone::Signs(map))
        }
    }
}

/// Identifier-like text columns (every value present and distinct) are left out and reported;
/// any other non-numeric column is an error naming its first text cell.
fn text_columns(data: &Dataset, exclude: &[String], file: &Path) -> Result<Vec<String>, CliError> {
    let mut ignored = Vec::new();
    for (name, column) in data.columns() {
        let Column::Categorical(values) = column else { continue };
        if exclude.iter().any(|e| e == name) {
            continue;
        }
        let mut seen = std::collections::HashSet::new();
        if values.iter().all(|v| v.as_ref().is_some_and(|s| seen.insert(s.as_str()))) {
            ignored.push(name.to_owned());
            continue;
        }
        let (row, text) = values
            .iter()
            .enumerate()
            .find_map(|(i, v)| {
                v.as_deref()
                    .filter(|s| number(s) == Err(NumberError::NotANumber))
                    .map(|s| (i, s.to_owned()))
            })
            .unwrap_or_default();
        return Err(CliError::input(format!(
            "{}: line {}, column {name:?}: {text:?} is not a number (boosted trees need numeric features; --exclude {name} to leave it out)",
            file.display(),
            row + 2
        )));
    }
    Ok(ignored)
}

/// `credit fit-boosting --json`.
#[derive(Serialize)]
struct FitBoostingReport<'a> {
    /// Where the model JSON was written.
    model: String,
    trees: usize,
    features: &'a [String],
    /// Identifier-like text columns left out.
    ignored: &'a [String],
    /// The non-zero monotone constraints by feature: 1 increasing, −1 decreasing.
    monotone: &'a BTreeMap<&'a str, i8>,
    training: &'a finkit::credit::validation::PdMetrics,
}

/// `credit fit-boosting`.
pub(crate) fn fit_boosting(args: &FitBoostingArgs, out: Output) -> Result<(), CliError> {
    let data = load_table(&args.csv, &args.target)?;
    let monotone = monotone_arg(&args.monotone)?;
    let ignored = text_columns(&data, &args.exclude, &args.csv)?;
    let mut exclude = args.exclude.clone();
    exclude.extend(ignored.iter().cloned());
    let model = BoostingParams::new()
        .trees(args.trees)
        .max_depth(args.depth)
        .max_leaves(args.leaves)
        .learning_rate(args.learning_rate)
        .seed(args.seed)
        .subsample(args.subsample)
        .colsample(args.colsample)
        .min_child_samples(args.min_child_samples)
        .l2(args.l2)
        .validation_share(args.validation_share)
        .early_stopping_rounds(args.early_stopping_rounds)
        .quantized_gradients(!args.exact_gradients)
        .monotone(monotone)
        .exclude(exclude)
        .build()
        .and_then(|p| p.fit(&data))?;
    let json_text = model.to_json()?;
    std::fs::write(&args.out, json_text)
        .map_err(|e| CliError::input(format!("{}: cannot write: {e}", args.out.display())))?;
    let pd = model.pd_batch(&data)?;
    let target = data.target().map(|t| t.to_owned()).ok_or_else(|| CliError::input("no target"))?;
    let m = finkit::credit::validation::pd_metrics(&pd, &target)?;
    let signs: BTreeMap<&str, i8> = model
        .features()
        .iter()
        .zip(model.monotone())
        .filter(|(_, s)| **s != 0)
        .map(|(f, s)| (f.as_str(), *s))
        .collect();
    if out.json {
        return out.print_json(&FitBoostingReport {
            model: args.out.display().to_string(),
            trees: model.trees().len(),
            features: model.features(),
            ignored: &ignored,
            monotone: &signs,
            training: &m,
        });
    }
    print_pairs(&[
        ("model written to", args.out.display().to_string()),
        ("trees", model.trees().len().to_string()),
        ("features", model.features().len().to_string()),
        (
            "ignored (identifier text columns)",
            if ignored.is_empty() { "-".into() } else { ignored.join(", ") },
        ),
        ("monotone constraints", signs.len().to_string()),
        ("training AUC / KS", format!("{:.4} / {:.4}", m.auc, m.ks)),
    ]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A CSV produced on demand, counting the bytes handed out so far.
    struct LazyCsv {
        rows: usize,
        next: usize,
        pending: Vec<u8>,
        served: Arc<AtomicUsize>,
    }

    impl Read for LazyCsv {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.pending.is_empty() {
                if self.next > self.rows {
                    return Ok(0);
                }
                self.pending = if self.next == 0 {
                    b"a,b\n".to_vec()
                } else {
                    format!("{},{}\n", self.next % 97, self.next % 13).into_bytes()
                };
                self.next += 1;
            }
            let n = buf.len().min(self.pending.len());
            buf[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            self.served.fetch_add(n, Ordering::SeqCst);
            Ok(n)
        }
    }

    #[test]
    fn score_streams_rows_without_holding_the_file() {
        let a: Vec<f64> = (0..400).map(|i| f64::from(i % 97)).collect();
        let b: Vec<f64> = (0..400).map(|i| f64::from(i % 13)).collect();
        let y: Vec<f64> = (0..400).map(|i| if i % 97 > 60 { 1.0 } else { 0.0 }).collect();
        let model = BoostingParams::new()
            .trees(3)
            .build()
            .and_then(|p| p.fit_columns(vec!["a".into(), "b".into()], &[&a, &b], &y))
            .expect("fit");
        let model = AnyModel::Boosted(model);
        let rows = 20 * BLOCK_ROWS;
        let served = Arc::new(AtomicUsize::new(0));
        let input = LazyCsv { rows, next: 0, pending: Vec::new(), served: Arc::clone(&served) };
        let mut first_seen = None;
        let mut count = 0;
        let total = score_stream(&model, input, Path::new("lazy.csv"), &mut |s| {
            assert_eq!(s.row, count);
            count += 1;
            first_seen.get_or_insert(served.load(Ordering::SeqCst));
            Ok(())
        })
        .expect("scored");
        assert_eq!(total, rows);
        let all = served.load(Ordering::SeqCst);
        let at_first = first_seen.expect("rows were scored");
        // The first row is written after about one block was read, not the whole file.
        assert!(at_first * 10 < all, "{at_first} of {all} bytes read before the first row");
    }

    #[test]
    fn bad_cells_and_missing_columns_name_the_place() {
        let a: Vec<f64> = (0..100).map(f64::from).collect();
        let y: Vec<f64> = (0..100).map(|i| f64::from(u8::from(i > 50))).collect();
        let model = BoostingParams::new()
            .trees(2)
            .build()
            .and_then(|p| p.fit_columns(vec!["a".into()], &[&a], &y))
            .expect("fit");
        let model = AnyModel::Boosted(model);
        let run = |text: &str| {
            score_stream(&model, text.as_bytes(), Path::new("in.csv"), &mut |_| Ok(()))
                .map(|_| ())
                .unwrap_err()
                .message
        };
        let msg = run("a,b\n1,2\nxyz,3\n");
        assert!(msg.contains("in.csv: line 3, column \"a\": \"xyz\" is not a number"), "{msg}");
        let msg = run("b\n1\n");
        assert!(msg.contains("line 1, column \"a\": no such column"), "{msg}");
        let msg = run("a\nNaN\n");
        assert!(msg.contains("line 2") && msg.contains("finite"), "{msg}");
        let ok =
            score_stream(&model, "a\n\n3\nNA\n".as_bytes(), Path::new("ok.csv"), &mut |_| Ok(()));
        assert_eq!(ok.expect("blank lines skipped, NA missing"), 2);
    }
}
