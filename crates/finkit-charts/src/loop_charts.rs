//! Charts of the demo's closed loop (dataset, fit, decisions, outcomes, monitoring,
//! champion/challenger), drawn with the same canvas, axes and legend as [`crate`].

use std::path::Path;

use plotters::prelude::*;

use crate::{ChartError, canvas, chart_error, draw_axes, draw_legend};

const COLORS: [RGBColor; 6] = [BLUE, RED, GREEN, MAGENTA, CYAN, BLACK];

/// Bars with their values printed above them.
///
/// # Errors
///
/// [`ChartError`] when there is no bar, a value is not finite, or the file cannot be written.
pub fn bars(
    path: &Path,
    title: &str,
    y_desc: &str,
    bars: &[(String, f64)],
) -> Result<(), ChartError> {
    if bars.is_empty() || bars.iter().any(|b| !b.1.is_finite()) {
        return Err(ChartError(format!(
            "drawing {}: no bars or a bar that is not finite",
            path.display()
        )));
    }
    let top = bars.iter().map(|b| b.1).fold(0.0, f64::max).max(1e-12) * 1.2;
    let bottom = bars.iter().map(|b| b.1).fold(0.0, f64::min) * 1.2;
    let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    let root = canvas(path)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..bars.len() as f64, bottom..top)
        .map_err(|e| chart_error(path, e))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(bars.len() * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - i as f64 - 0.5).abs() < 0.26 {
                labels.get(i).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_desc(y_desc)
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| chart_error(path, e))?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
            Rectangle::new(
                [(i as f64 + 0.15, 0.0), (i as f64 + 0.85, *v)],
                COLORS[i % COLORS.len()].mix(0.6).filled(),
            )
        }))
        .map_err(|e| chart_error(path, e))?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
            Text::new(
                format_value(*v),
                (i as f64 + 0.3, *v + (top - bottom) * 0.02),
                ("sans-serif", 14),
            )
        }))
        .map_err(|e| chart_error(path, e))?;
    root.present().map_err(|e| chart_error(path, e))
}

fn format_value(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

/// Predicted against observed default rates (one point per group), with the diagonal; both
/// axes in percent.
///
/// # Errors
///
/// [`ChartError`] when a value is not finite or the file cannot be written.
pub fn calibration(
    path: &Path,
    title: &str,
    series: &[(&str, Vec<(f64, f64)>)],
) -> Result<(), ChartError> {
    let all = series.iter().flat_map(|s| s.1.iter()).flat_map(|p| [p.0, p.1]);
    let max = all.fold(0.0_f64, f64::max);
    if !max.is_finite() {
        return Err(ChartError(format!("drawing {}: a rate is not finite", path.display())));
    }
    let top = (max * 100.0 * 1.1).max(1.0);
    let root = canvas(path)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..top, 0.0..top)
        .map_err(|e| chart_error(path, e))?;
    draw_axes(&mut chart, path, "predicted PD (%)", "observed default rate (%)")?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (top, top)], BLACK.mix(0.3)))
        .map_err(|e| chart_error(path, e))?;
    for (k, (name, points)) in series.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        chart
            .draw_series(
                points.iter().map(|&(x, y)| Circle::new((x * 100.0, y * 100.0), 5, color.filled())),
            )
            .map_err(|e| chart_error(path, e))?
            .label(*name)
            .legend(move |(x, y)| Circle::new((x + 10, y), 5, color.filled()));
    }
    draw_legend(&mut chart, path)?;
    root.present().map_err(|e| chart_error(path, e))
}

/// A scatter of one PD against another on log10 axes (e.g. a model's PD against the true PD),
/// with the diagonal.
///
/// # Errors
///
/// [`ChartError`] when a PD is not in (0, 1] or the file cannot be written.
pub fn pd_scatter(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    points: &[(f64, f64)],
) -> Result<(), ChartError> {
    if points.iter().any(|&(x, y)| !(x > 0.0 && x <= 1.0 && y > 0.0 && y <= 1.0)) {
        return Err(ChartError(format!("drawing {}: a PD outside (0, 1]", path.display())));
    }
    let logs: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x.log10(), y.log10())).collect();
    let lo = logs.iter().flat_map(|p| [p.0, p.1]).fold(0.0_f64, f64::min).floor().max(-6.0);
    let root = canvas(path)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(lo..0.0, lo..0.0)
        .map_err(|e| chart_error(path, e))?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&|v| format!("{:.2} %", 10f64.powf(*v) * 100.0))
        .y_label_formatter(&|v| format!("{:.2} %", 10f64.powf(*v) * 100.0))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| chart_error(path, e))?;
    chart
        .draw_series(LineSeries::new([(lo, lo), (0.0, 0.0)], BLACK.mix(0.3)))
        .map_err(|e| chart_error(path, e))?;
    chart
        .draw_series(
            logs.iter()
                .map(|&p| Circle::new((p.0.max(lo), p.1.max(lo)), 2, BLUE.mix(0.4).filled())),
        )
        .map_err(|e| chart_error(path, e))?;
    root.present().map_err(|e| chart_error(path, e))
}

/// Several ROC curves on one chart, each with its AUC in the legend.
///
/// # Errors
///
/// [`ChartError`] when the file cannot be written.
pub fn roc_curves(
    path: &Path,
    title: &str,
    curves: &[(String, Vec<(f64, f64)>)],
) -> Result<(), ChartError> {
    let root = canvas(path)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)
        .map_err(|e| chart_error(path, e))?;
    draw_axes(&mut chart, path, "false positive rate", "true positive rate")?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)))
        .map_err(|e| chart_error(path, e))?;
    for (k, (name, points)) in curves.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        chart
            .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))
            .map_err(|e| chart_error(path, e))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    draw_legend(&mut chart, path)?;
    root.present().map_err(|e| chart_error(path, e))
}
