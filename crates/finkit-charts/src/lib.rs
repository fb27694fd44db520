//! PNG charts of finkit results, shared by the `finkit` command line (the demo report) and the
//! notebooks, drawn with plotters.
//!
//! Each chart function writes a PNG file; [`inline`] draws one into memory as a [`Png`] whose
//! `evcxr_display` shows it inline in a Jupyter cell (evcxr Rust kernel).
//!
//! ```no_run
//! let points = vec![(0.0, 0.0), (0.2, 0.6), (1.0, 1.0)];
//! finkit_charts::roc_curve(std::path::Path::new("roc.png"), &points, 0.8)?;
//! // In a notebook cell, the last expression shows the chart inline:
//! let png = finkit_charts::inline(|path| finkit_charts::roc_curve(path, &points, 0.8))?;
//! png.evcxr_display();
//! # Ok::<(), finkit_charts::ChartError>(())
//! ```
//!
//! The font is embedded (DejaVu Sans, see `assets/LICENSE_DEJAVU`: Bitstream Vera licence,
//! DejaVu changes in the public domain) and registered once, because plotters' default font
//! lookup fails with `NoSuchFont` where no system fonts are installed.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod inline;
pub mod loop_charts;

pub use inline::{Png, inline};

use std::path::Path;
use std::sync::Once;

use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
const SIZE: (u32, u32) = (900, 560);
static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        // Registration only fails for a malformed font, and the font is compiled in.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// A chart could not be drawn or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ChartError(pub String);

pub(crate) fn chart_error(path: &Path, e: impl std::fmt::Display) -> ChartError {
    ChartError(format!("drawing {}: {e}", path.display()))
}

pub(crate) type Canvas<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;
pub(crate) type Chart<'a, X, Y> = ChartContext<'a, BitMapBackend<'a>, Cartesian2d<X, Y>>;

/// A white canvas of the standard size, with the embedded font registered.
pub(crate) fn canvas(path: &Path) -> Result<Canvas<'_>, ChartError> {
    register_font();
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| chart_error(path, e))?;
    Ok(root)
}

/// Mesh, axis descriptions and label font, the same on every chart.
pub(crate) fn draw_axes<X, Y, XT, YT>(
    chart: &mut Chart<'_, X, Y>,
    path: &Path,
    x_desc: &str,
    y_desc: &str,
) -> Result<(), ChartError>
where
    X: Ranged<ValueType = XT> + ValueFormatter<XT>,
    Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
{
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(|e| chart_error(path, e))
}

/// The series legend box, the same on every chart.
pub(crate) fn draw_legend<X: Ranged, Y: Ranged>(
    chart: &mut Chart<'_, X, Y>,
    path: &Path,
) -> Result<(), ChartError> {
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| chart_error(path, e))
}

/// The ROC curve with the diagonal and the AUC in the caption.
///
/// # Errors
///
/// [`ChartError`] when the file cannot be written.
pub fn roc_curve(path: &Path, points: &[(f64, f64)], auc: f64) -> Result<(), ChartError> {
    let root = canvas(path)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("ROC curve (test set), AUC = {auc:.4}"), ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)
        .map_err(|e| chart_error(path, e))?;
    draw_axes(
        &mut chart,
        path,
        "false positive rate (goods accepted as bad)",
        "true positive rate (bads caught)",
    )?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)))
        .map_err(|e| chart_error(path, e))?;
    chart
        .draw_series(LineSeries::new(points.iter().copied(), BLUE.stroke_width(2)))
        .map_err(|e| chart_error(path, e))?;
    root.present().map_err(|e| chart_error(path, e))
}

/// Two overlaid histograms: the score of goods and of bads.
///
/// # Errors
///
/// [`ChartError`] when the file cannot be written.
pub fn score_distribution(path: &Path, goods: &[f64], bads: &[f64]) -> Result<(), ChartError> {
    let all = goods.iter().chain(bads).copied();
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    if !(lo.is_finite() && hi.is_finite()) {
        return Err(ChartError("no scores to draw".to_owned()));
    }
    let bins = 30usize;
    let width = ((hi - lo) / bins as f64).max(1e-9);
    let shares = |values: &[f64]| -> Vec<f64> {
        let mut counts = vec![0.0; bins];
        for &v in values {
            let i = (((v - lo) / width) as usize).min(bins - 1);
            counts[i] += 1.0;
        }
        let n = values.len().max(1) as f64;
        counts.iter().map(|c| c / n).collect()
    };
    let (g, b) = (shares(goods), shares(bads));
    let top = g.iter().chain(&b).copied().fold(0.0, f64::max) * 1.1 + 1e-9;
    let root = canvas(path)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Score distribution by outcome", ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(lo..hi, 0.0..top)
        .map_err(|e| chart_error(path, e))?;
    draw_axes(&mut chart, path, "score (higher = safer)", "share of group")?;
    for (shares, color, label) in [(&g, GREEN, "good"), (&b, RED, "bad")] {
        chart
            .draw_series(shares.iter().enumerate().map(|(i, &s)| {
                let x0 = lo + i as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width, s)], color.mix(0.45).filled())
            }))
            .map_err(|e| chart_error(path, e))?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    draw_legend(&mut chart, path)?;
    root.present().map_err(|e| chart_error(path, e))
}

/// A loss distribution (probability per loss level) with VaR and ES marked.
///
/// # Errors
///
/// [`ChartError`] when the file cannot be written.
pub fn loss_distribution(
    path: &Path,
    pmf: &[(f64, f64)],
    var: f64,
    es: f64,
    level: f64,
) -> Result<(), ChartError> {
    let x_max = pmf.iter().map(|p| p.0).fold(es * 1.15, f64::max).max(1e-9);
    let y_max = pmf.iter().map(|p| p.1).fold(0.0, f64::max) * 1.1 + 1e-12;
    let root = canvas(path)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "Portfolio loss distribution: VaR {:.1} % = {var:.2}, ES = {es:.2} (millions)",
                level * 100.0
            ),
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)
        .map_err(|e| chart_error(path, e))?;
    draw_axes(&mut chart, path, "loss (millions)", "probability")?;
    chart
        .draw_series(AreaSeries::new(pmf.iter().copied(), 0.0, BLUE.mix(0.3)).border_style(BLUE))
        .map_err(|e| chart_error(path, e))?;
    for (x, color, label) in [(var, RED, "VaR"), (es, MAGENTA, "ES")] {
        chart
            .draw_series(LineSeries::new([(x, 0.0), (x, y_max)], color.stroke_width(2)))
            .map_err(|e| chart_error(path, e))?
            .label(label)
            .legend(move |(a, b)| PathElement::new([(a, b), (a + 14, b)], color.stroke_width(2)));
    }
    draw_legend(&mut chart, path)?;
    root.present().map_err(|e| chart_error(path, e))
}

/// Daily returns against the negative VaR forecast, exceptions marked.
///
/// # Errors
///
/// [`ChartError`] when the file cannot be written.
pub fn backtest(path: &Path, returns: &[f64], var: &[f64], title: &str) -> Result<(), ChartError> {
    let n = returns.len().min(var.len());
    let lo = returns.iter().copied().chain(var.iter().map(|v| -v)).fold(0.0, f64::min) * 1.05;
    let hi = returns.iter().copied().fold(0.0, f64::max) * 1.05 + 1e-9;
    let root = canvas(path)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0..n.max(1), lo..hi)
        .map_err(|e| chart_error(path, e))?;
    draw_axes(&mut chart, path, "forecast day", "log return")?;
    chart
        .draw_series(LineSeries::new((0..n).map(|i| (i, returns[i])), BLACK.mix(0.35)))
        .map_err(|e| chart_error(path, e))?
        .label("return")
        .legend(|(a, b)| PathElement::new([(a, b), (a + 14, b)], BLACK));
    chart
        .draw_series(LineSeries::new((0..n).map(|i| (i, -var[i])), BLUE.stroke_width(2)))
        .map_err(|e| chart_error(path, e))?
        .label("−VaR")
        .legend(|(a, b)| PathElement::new([(a, b), (a + 14, b)], BLUE.stroke_width(2)));
    chart
        .draw_series(
            (0..n)
                .filter(|&i| returns[i] < -var[i])
                .map(|i| Circle::new((i, returns[i]), 3, RED.filled())),
        )
        .map_err(|e| chart_error(path, e))?
        .label("exception")
        .legend(|(a, b)| Circle::new((a + 7, b), 3, RED.filled()));
    draw_legend(&mut chart, path)?;
    root.present().map_err(|e| chart_error(path, e))
}

/// Bars: decision counts by outcome.
///
/// # Errors
///
/// [`ChartError`] when the file cannot be written.
pub fn decision_summary(path: &Path, bars: &[(String, usize)]) -> Result<(), ChartError> {
    let top = bars.iter().map(|b| b.1).max().unwrap_or(1).max(1) as f64 * 1.15;
    let root = canvas(path)?;
    let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption("Loan decisions", ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..bars.len().max(1) as f64, 0.0..top)
        .map_err(|e| chart_error(path, e))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(bars.len().max(1) * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - i as f64 - 0.5).abs() < 0.26 {
                labels.get(i).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_desc("applications")
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(|e| chart_error(path, e))?;
    let colors = [GREEN, YELLOW, RED, BLUE, CYAN, MAGENTA];
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, count))| {
            let color = colors[i % colors.len()];
            Rectangle::new(
                [(i as f64 + 0.15, 0.0), (i as f64 + 0.85, *count as f64)],
                color.mix(0.7).filled(),
            )
        }))
        .map_err(|e| chart_error(path, e))?;
    root.present().map_err(|e| chart_error(path, e))
}

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
