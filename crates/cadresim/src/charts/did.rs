//! The charts of a difference-in-differences study: `did-event-<outcome>` (each estimator's
//! mean estimate by event time with its mean 95% interval, and the true effect) and
//! `did-bias` (each estimator's bias by event time, with its 95% interval over replicates,
//! one panel per outcome), drawn from the rows of `did_summary.csv`.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    draw_legend, fail, font, render, split_legend, stroke, tick_label, Chart, ChartError, Outcome,
};
use super::{BLACK_, GREY, LINE_COLOURS};
use crate::did::SummaryRow;

/// An estimator and its control group, as a legend names it.
fn label(row: &SummaryRow) -> String {
    if row.control.is_empty() {
        row.estimator.to_string()
    } else {
        format!("{} ({})", row.estimator, row.control)
    }
}

/// (event time, value, low, high) per estimator of one outcome, in the order they appear.
type Lines = Vec<(String, Vec<(f64, f64, f64, f64)>)>;

fn lines(rows: &[&SummaryRow], value: impl Fn(&SummaryRow) -> (f64, f64, f64)) -> Lines {
    let mut lines: Lines = Vec::new();
    for row in rows.iter().filter(|r| r.event_time.is_some()) {
        let name = label(row);
        let (v, low, high) = value(row);
        let point = (row.event_time.unwrap_or(0) as f64, v, low, high);
        match lines.iter_mut().find(|(n, _)| *n == name) {
            Some((_, points)) => points.push(point),
            None => lines.push((name, vec![point])),
        }
    }
    lines
}

/// One panel: lines with bands, a zero line, and optionally the truth in black.
struct Panel {
    title: String,
    y_desc: String,
    lines: Lines,
    truth: Option<Vec<(f64, f64)>>,
}

impl Panel {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let all = self.lines.iter().flat_map(|(_, p)| p.iter());
        let xs = all.clone().map(|p| p.0);
        let (x0, x1) = (
            xs.clone().fold(f64::MAX, f64::min),
            xs.fold(f64::MIN, f64::max),
        );
        let truth = self.truth.iter().flatten().map(|p| p.1);
        let ys = all.flat_map(|p| [p.2, p.3]).chain(truth).chain([0.0]);
        let (low, mut high) = (
            ys.clone().fold(f64::MAX, f64::min),
            ys.fold(f64::MIN, f64::max),
        );
        if high <= low {
            high = low + 1.0;
        }
        let pad = (high - low) * 0.08;
        let (x0, x1) = if x1 > x0 {
            (x0 - 0.5, x1 + 0.5)
        } else {
            (-1.0, 1.0)
        };
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, font(scale, 24.0))
            .margin((14.0 * scale) as u32)
            .x_label_area_size((60.0 * scale) as u32)
            .y_label_area_size((95.0 * scale) as u32)
            .build_cartesian_2d(x0..x1, (low - pad)..(high + pad))
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("event time: steps since adoption")
            .x_label_formatter(&|e| format!("{e:.0}"))
            .y_label_formatter(&|y| tick_label(*y, high - low + 2.0 * pad))
            .y_desc(&self.y_desc)
            .label_style(font(scale, 16.0))
            .axis_desc_style(font(scale, 17.0))
            .draw()
            .map_err(fail)?;
        let zero = vec![(x0, 0.0), (x1, 0.0)];
        let thin = GREY.stroke_width((1.5 * scale).max(1.0) as u32);
        chart
            .draw_series(std::iter::once(PathElement::new(zero, thin)))
            .map_err(fail)?;
        for (index, (_, points)) in self.lines.iter().enumerate() {
            let colour = LINE_COLOURS[index % LINE_COLOURS.len()];
            let mut outline: Vec<(f64, f64)> = points.iter().map(|v| (v.0, v.3)).collect();
            outline.extend(points.iter().rev().map(|v| (v.0, v.2)));
            let band = Polygon::new(outline, colour.mix(0.18).filled());
            chart.draw_series(std::iter::once(band)).map_err(fail)?;
            let means: Vec<(f64, f64)> = points.iter().map(|v| (v.0, v.1)).collect();
            chart
                .draw_series(LineSeries::new(means, stroke(colour, scale)))
                .map_err(fail)?;
        }
        if let Some(truth) = &self.truth {
            let dashed = DashedLineSeries::new(
                truth.clone(),
                (10.0 * scale) as u32,
                (6.0 * scale) as u32,
                stroke(BLACK_, scale),
            );
            chart.draw_series(dashed).map_err(fail)?;
        }
        Ok(())
    }
}

/// Panels side by side with a legend panel on the right.
struct Figure {
    title: String,
    panels: Vec<Panel>,
    legend: Vec<(String, RGBColor)>,
}

impl Chart for Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let (plot, legend) = split_legend(root);
        let titled = plot
            .margin((12.0 * scale) as u32, 0, 0, 0)
            .titled(&self.title, font(scale, 28.0))
            .map_err(fail)?;
        let areas = titled.split_evenly((self.panels.len().max(1), 1));
        for (area, panel) in areas.iter().zip(&self.panels) {
            panel.draw(area, scale)?;
        }
        draw_legend(&legend, &self.legend, scale)
    }
}

fn legend(lines: &Lines, extra: &[&str]) -> Vec<(String, RGBColor)> {
    let mut entries: Vec<(String, RGBColor)> = lines
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.clone(), LINE_COLOURS[i % LINE_COLOURS.len()]))
        .collect();
    entries.extend(extra.iter().map(|e| (e.to_string(), GREY)));
    entries
}

/// Draw the event-study chart of every outcome and the bias chart (PNG and SVG) into `out`.
pub fn draw_did(
    summary: &[SummaryRow],
    scenario: &str,
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    crate::output::create_dir(out)?;
    let mut outcomes: Vec<&str> = Vec::new();
    for row in summary {
        if !outcomes.contains(&row.outcome.as_str()) {
            outcomes.push(&row.outcome);
        }
    }
    let mut files = Vec::new();
    let mut bias_panels = Vec::new();
    let mut bias_legend = Vec::new();
    for outcome in outcomes {
        let rows: Vec<&SummaryRow> = summary.iter().filter(|r| r.outcome == outcome).collect();
        let estimates = lines(&rows, |r| {
            let half = 1.959_963_984_540_054 * r.mean_se.unwrap_or(0.0);
            (
                r.mean_estimate,
                r.mean_estimate - half,
                r.mean_estimate + half,
            )
        });
        let mut truth: Vec<(f64, f64)> = Vec::new();
        for row in rows.iter().filter(|r| r.event_time.is_some()) {
            let point = (row.event_time.unwrap_or(0) as f64, row.mean_truth);
            if !truth.iter().any(|t| t.0 == point.0) {
                truth.push(point);
            }
        }
        truth.sort_by(|a, b| a.0.total_cmp(&b.0));
        let entries = legend(
            &estimates,
            &[
                "(dashed black: true effect)",
                "(band: mean estimate +- 1.96 mean SE)",
            ],
        );
        let figure = Figure {
            title: format!("Event study: {scenario}, {outcome} (mean over replicates)"),
            panels: vec![Panel {
                title: outcome.to_string(),
                y_desc: format!("effect on {}", crate::metrics::meaning(outcome)),
                lines: estimates,
                truth: Some(truth),
            }],
            legend: entries,
        };
        files.extend(render(out, &format!("did-event-{outcome}"), size, &figure)?);
        let bias = lines(&rows, |r| {
            (
                r.bias,
                r.bias_ci95_low.unwrap_or(r.bias),
                r.bias_ci95_high.unwrap_or(r.bias),
            )
        });
        bias_legend = legend(&bias, &["(band: 95% CI of the bias over replicates)"]);
        bias_panels.push(Panel {
            title: outcome.to_string(),
            y_desc: "bias: estimate - truth".to_string(),
            lines: bias,
            truth: None,
        });
    }
    let figure = Figure {
        title: format!("Bias by event time: {scenario}"),
        panels: bias_panels,
        legend: bias_legend,
    };
    files.extend(render(out, "did-bias", size, &figure)?);
    Ok(files)
}
