//! Charts of a sensitivity analysis, from the rows of sensitivity.csv and
//! sensitivity_convergence.csv: per metric, Sobol' S1 and ST as horizontal bars with their
//! intervals (parameters sorted by ST) or Morris mu_star against sigma with labelled points,
//! with the noise share in the title; and per metric the convergence of ST (or mu_star) as
//! the base rows (or trajectories) grow.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    bar_label, category_label, draw_interval_bar, draw_legend, fail, font, render, split_legend,
    stroke, tick_label, Chart, ChartError, Outcome, BLUE, GREY, LINE_COLOURS, VERMILLION,
};
use crate::rows::SensitivityRow;

/// One metric's rows.
struct MetricRows<'a> {
    metric: &'a str,
    level: &'a str,
    method: &'a str,
    rows: Vec<&'a SensitivityRow>,
    noise: Option<f64>,
}

impl<'a> MetricRows<'a> {
    /// The rows of every metric, in order of first appearance.
    fn split(rows: &'a [SensitivityRow]) -> Vec<MetricRows<'a>> {
        let mut metrics: Vec<MetricRows> = Vec::new();
        for row in rows {
            let position = metrics.iter().position(|m| m.metric == row.metric);
            let entry = match position {
                Some(index) => &mut metrics[index],
                None => {
                    metrics.push(MetricRows {
                        metric: &row.metric,
                        level: &row.level,
                        method: &row.method,
                        rows: Vec::new(),
                        noise: None,
                    });
                    metrics.last_mut().expect("just pushed")
                }
            };
            if row.index == "noise_share" {
                entry.noise = row.estimate;
            } else {
                entry.rows.push(row);
            }
        }
        metrics
    }

    /// (estimate, low, high) of `index` for `parameter` (zeros where absent).
    fn value(&self, parameter: &str, index: &str) -> (f64, f64, f64) {
        self.rows
            .iter()
            .find(|r| r.parameter == parameter && r.index == index)
            .map(|r| {
                let estimate = r.estimate.unwrap_or(0.0);
                let (low, high) = r.interval.unwrap_or((estimate, estimate));
                (estimate, low, high)
            })
            .unwrap_or((0.0, 0.0, 0.0))
    }

    /// Parameters with a first-order index or mu, sorted by the index that ranks them (ST or
    /// mu_star), largest first.
    fn ranked(&self, by: &str) -> Vec<&'a str> {
        let largest = self.rows.iter().map(|r| r.sample_size).max().unwrap_or(0);
        let mut ranked: Vec<(&str, f64)> = self
            .rows
            .iter()
            .filter(|r| r.index == by && r.sample_size == largest)
            .map(|r| (r.parameter.as_str(), r.estimate.unwrap_or(0.0)))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked.into_iter().map(|(parameter, _)| parameter).collect()
    }

    fn title(&self, what: &str) -> String {
        let noise = match self.noise {
            Some(share) => format!("; replicate noise {:.1}% of variance", share * 100.0),
            None => "; replicate noise unknown (one replicate)".to_string(),
        };
        format!("{} at level {}: {what}{noise}", self.metric, self.level)
    }
}

/// Draw every sensitivity chart of a sweep into `out`; returns the files written.
pub fn draw_sensitivity(
    indices: &[SensitivityRow],
    convergence: &[SensitivityRow],
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    crate::output::create_dir(out)?;
    let mut files = Vec::new();
    for metric in MetricRows::split(indices) {
        let stem = format!("sensitivity-{}", metric.metric);
        if metric.method == "sobol" {
            files.extend(render(out, &stem, size, &SobolBars { metric: &metric })?);
        } else {
            files.extend(render(out, &stem, size, &MorrisPlane { metric: &metric })?);
        }
    }
    for metric in MetricRows::split(convergence) {
        let stem = format!("sensitivity-convergence-{}", metric.metric);
        files.extend(render(out, &stem, size, &Convergence { metric: &metric })?);
    }
    Ok(files)
}

/// S1 and ST of every parameter as horizontal bars with interval whiskers.
struct SobolBars<'a> {
    metric: &'a MetricRows<'a>,
}

impl Chart for SobolBars<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let parameters = self.metric.ranked("ST");
        let count = parameters.len().max(1);
        let values: Vec<[(f64, f64, f64); 2]> = parameters
            .iter()
            .map(|p| [self.metric.value(p, "S1"), self.metric.value(p, "ST")])
            .collect();
        let low = values.iter().flatten().map(|v| v.1).fold(0.0f64, f64::min);
        let high = values.iter().flatten().map(|v| v.2).fold(1.0f64, f64::max);
        let (plot, legend) = split_legend(root);
        let names: Vec<String> = parameters.iter().map(|p| p.to_string()).collect();
        let mut chart = ChartBuilder::on(&plot)
            .caption(
                self.metric
                    .title("Sobol' indices (95% bootstrap intervals)"),
                font(scale, 26.0),
            )
            .margin((16.0 * scale) as u32)
            .x_label_area_size((60.0 * scale) as u32)
            .y_label_area_size((330.0 * scale) as u32)
            .build_cartesian_2d(low..high, -0.5f64..count as f64 - 0.5)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(count)
            .y_label_formatter(&|y| bar_label(&names, *y))
            .x_label_formatter(&|x| tick_label(*x, high - low))
            .x_desc("share of the output's variance")
            .label_style(font(scale, 17.0))
            .axis_desc_style(font(scale, 18.0))
            .draw()
            .map_err(fail)?;
        let thickness = 0.18;
        for (row, pair) in values.iter().enumerate() {
            // The top bar is the most influential parameter.
            let y = (count - 1 - row) as f64;
            for ((estimate, low, high), (offset, colour)) in
                pair.iter().zip([(0.2, BLUE), (-0.2, VERMILLION)])
            {
                draw_interval_bar(
                    &mut chart,
                    (y + offset, thickness),
                    *estimate,
                    (*low, *high),
                    colour,
                    scale * 0.7,
                )?;
            }
        }
        draw_legend(
            &legend,
            &[
                ("S1 (first order)".to_string(), BLUE),
                ("ST (total)".to_string(), VERMILLION),
                ("(lines: 95% CI)".to_string(), GREY),
            ],
            scale,
        )
    }
}

fn convergence_title(metric: &str, index: &str) -> String {
    let clipped = if index == "ST" {
        ", clipped to [-0.5, 1.5]"
    } else {
        ""
    };
    format!("{metric}: {index} as the sample grows (95% CI{clipped})")
}

/// Points of a Morris chart named by their parameter (the largest mu_star).
const NAMED_POINTS: usize = 12;

/// Morris: mu_star (with interval) against sigma, each parameter a point, the twelve largest
/// named.
struct MorrisPlane<'a> {
    metric: &'a MetricRows<'a>,
}

impl Chart for MorrisPlane<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let parameters = self.metric.ranked("mu_star");
        let points: Vec<(&str, (f64, f64, f64), f64)> = parameters
            .iter()
            .map(|p| {
                (
                    *p,
                    self.metric.value(p, "mu_star"),
                    self.metric.value(p, "sigma").0,
                )
            })
            .collect();
        let x_high = points
            .iter()
            .map(|p| p.1 .2)
            .fold(0.0f64, f64::max)
            .max(1e-12)
            * 1.1;
        let y_high = points
            .iter()
            .map(|p| p.2)
            .filter(|s| s.is_finite())
            .fold(0.0f64, f64::max)
            .max(1e-12)
            * 1.1;
        let mut chart = ChartBuilder::on(root)
            .caption(
                self.metric.title(&format!(
                    "Morris elementary effects (the {NAMED_POINTS} largest mu* named)"
                )),
                font(scale, 26.0),
            )
            .margin((20.0 * scale) as u32)
            .x_label_area_size((70.0 * scale) as u32)
            .y_label_area_size((100.0 * scale) as u32)
            .build_cartesian_2d(0.0..x_high, 0.0..y_high)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| tick_label(*x, x_high))
            .y_label_formatter(&|y| tick_label(*y, y_high))
            .x_desc("mu* (mean |elementary effect|, per unit of the range; lines: 95% CI)")
            .y_desc("sigma (spread of the effects: interactions, non-linearity)")
            .label_style(font(scale, 17.0))
            .axis_desc_style(font(scale, 18.0))
            .draw()
            .map_err(fail)?;
        // Only the largest effects are named: the rest crowd near the origin.
        for (rank, (name, (mu_star, low, high), sigma)) in points.into_iter().enumerate() {
            let sigma = if sigma.is_finite() { sigma } else { 0.0 };
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(low, sigma), (high, sigma)],
                    stroke(GREY, scale * 0.7),
                )))
                .map_err(fail)?;
            chart
                .draw_series(std::iter::once(Circle::new(
                    (mu_star, sigma),
                    (8.0 * scale) as i32,
                    BLUE.filled(),
                )))
                .map_err(fail)?;
            if rank < NAMED_POINTS {
                chart
                    .draw_series(std::iter::once(Text::new(
                        name.to_string(),
                        (mu_star, sigma),
                        font(scale, 16.0),
                    )))
                    .map_err(fail)?;
            }
        }
        Ok(())
    }
}

/// ST (or mu_star) of every parameter against the sample size, with interval whiskers.
struct Convergence<'a> {
    metric: &'a MetricRows<'a>,
}

impl Chart for Convergence<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let index = if self.metric.method == "sobol" {
            "ST"
        } else {
            "mu_star"
        };
        let rows: Vec<&&SensitivityRow> = self
            .metric
            .rows
            .iter()
            .filter(|r| r.index == index)
            .collect();
        let mut sizes: Vec<usize> = rows.iter().map(|r| r.sample_size).collect();
        sizes.sort_unstable();
        sizes.dedup();
        // The sample sizes sit at 0, 1, 2, ... (each twice the one before).
        let x_of = |size: usize| sizes.iter().position(|s| *s == size).unwrap_or(0) as f64;
        let names: Vec<String> = sizes.iter().map(|s| s.to_string()).collect();
        // Sobol' indices are shares: intervals of small subsets are clipped to [-0.5, 1.5].
        let (floor, ceiling) = if index == "ST" {
            (-0.5, 1.5)
        } else {
            (f64::MIN, f64::MAX)
        };
        let bounds = |r: &&&SensitivityRow| {
            let e = r.estimate.unwrap_or(0.0);
            let (low, high) = r.interval.unwrap_or((e, e));
            (low.max(floor), high.min(ceiling))
        };
        let y_low = rows.iter().map(|r| bounds(r).0).fold(0.0f64, f64::min);
        let y_high = rows
            .iter()
            .map(|r| bounds(r).1)
            .fold(0.0f64, f64::max)
            .max(1e-12);
        let (plot, legend) = split_legend(root);
        let what = if index == "ST" {
            "base rows"
        } else {
            "trajectories"
        };
        let mut chart = ChartBuilder::on(&plot)
            .caption(
                convergence_title(self.metric.metric, index),
                font(scale, 26.0),
            )
            .margin((20.0 * scale) as u32)
            .x_label_area_size((70.0 * scale) as u32)
            .y_label_area_size((100.0 * scale) as u32)
            .build_cartesian_2d(-0.3..sizes.len() as f64 - 0.7, y_low..y_high * 1.05)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(sizes.len())
            .x_label_formatter(&|x| category_label(&names, *x))
            .y_label_formatter(&|y| tick_label(*y, y_high - y_low))
            .x_desc(format!("{what} used (the first 1/8, 1/4, 1/2 and all)"))
            .y_desc(index)
            .label_style(font(scale, 17.0))
            .axis_desc_style(font(scale, 18.0))
            .draw()
            .map_err(fail)?;
        let mut entries = Vec::new();
        for (number, parameter) in self.metric.ranked(index).iter().enumerate() {
            let colour = LINE_COLOURS[number % LINE_COLOURS.len()];
            let line: Vec<(f64, f64, (f64, f64))> = rows
                .iter()
                .filter(|r| r.parameter == *parameter)
                .map(|r| {
                    let estimate = r.estimate.unwrap_or(0.0).clamp(floor, ceiling);
                    (x_of(r.sample_size), estimate, bounds(r))
                })
                .collect();
            chart
                .draw_series(LineSeries::new(
                    line.iter().map(|(x, y, _)| (*x, *y)),
                    stroke(colour, scale),
                ))
                .map_err(fail)?;
            for (x, _, (low, high)) in &line {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(*x, *low), (*x, *high)],
                        stroke(colour, scale * 0.6),
                    )))
                    .map_err(fail)?;
            }
            entries.push((parameter.to_string(), colour));
        }
        draw_legend(&legend, &entries, scale)
    }
}
