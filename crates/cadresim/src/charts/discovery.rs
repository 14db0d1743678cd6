//! Charts of a scenario discovery: the coverage-density trade-off along PRIM's trajectory
//! (each box a point coloured by how many parameters it restricts, the chosen box marked) and
//! the chosen box's limits on the normalised range of every swept parameter.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    bar_label, draw_legend, fail, font, render, split_legend, stroke, tick_label, Chart,
    ChartError, Outcome, BLUE, GREY, LINE_COLOURS,
};
use crate::rows::TrajectoryRow;

/// The chosen box on one parameter, normalised to the parameter's range in the sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct BoxLimit {
    pub parameter: String,
    /// Normalised bounds in [0, 1] (a categorical parameter: 0 to the share of values kept).
    pub low: f64,
    pub high: f64,
    /// The limits in words (`>= 5.2`, `in {off}`, or empty when unrestricted).
    pub text: String,
}

/// Draw `discover-tradeoff` and `discover-box` into `out`.
pub fn draw_discovery(
    title: &str,
    trajectory: &[TrajectoryRow],
    chosen: usize,
    limits: &[BoxLimit],
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    crate::output::create_dir(out)?;
    let mut files = render(
        out,
        "discover-tradeoff",
        size,
        &Tradeoff {
            title,
            trajectory,
            chosen,
        },
    )?;
    files.extend(render(
        out,
        "discover-box",
        size,
        &BoxChart { title, limits },
    )?);
    Ok(files)
}

struct Tradeoff<'a> {
    title: &'a str,
    trajectory: &'a [TrajectoryRow],
    chosen: usize,
}

impl Chart for Tradeoff<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let (plot, legend) = split_legend(root);
        let mut chart = ChartBuilder::on(&plot)
            .caption(
                format!("{}: PRIM trajectory", self.title),
                font(scale, 26.0),
            )
            .margin((20.0 * scale) as u32)
            .x_label_area_size((70.0 * scale) as u32)
            .y_label_area_size((90.0 * scale) as u32)
            .build_cartesian_2d(0.0..1.02, 0.0..1.02)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| tick_label(*x, 1.0))
            .y_label_formatter(&|y| tick_label(*y, 1.0))
            .x_desc("coverage (share of all cases of interest inside the box)")
            .y_desc("density (share of the box's cases that are of interest)")
            .label_style(font(scale, 17.0))
            .axis_desc_style(font(scale, 18.0))
            .draw()
            .map_err(fail)?;
        let most = self
            .trajectory
            .iter()
            .map(|r| r.restricted)
            .max()
            .unwrap_or(0);
        let colour = |restricted: usize| LINE_COLOURS[restricted % LINE_COLOURS.len()];
        for row in self.trajectory {
            chart
                .draw_series(std::iter::once(Circle::new(
                    (row.coverage, row.density),
                    (7.0 * scale) as i32,
                    colour(row.restricted).filled(),
                )))
                .map_err(fail)?;
        }
        if let Some(row) = self.trajectory.get(self.chosen) {
            chart
                .draw_series(std::iter::once(Circle::new(
                    (row.coverage, row.density),
                    (16.0 * scale) as i32,
                    stroke(BLACK, scale),
                )))
                .map_err(fail)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("  chosen box {}", self.chosen),
                    (row.coverage, row.density),
                    font(scale, 18.0),
                )))
                .map_err(fail)?;
        }
        let entries: Vec<(String, RGBColor)> = (0..=most)
            .map(|k| (format!("{k} restricted"), colour(k)))
            .collect();
        draw_legend(&legend, &entries, scale)
    }
}

struct BoxChart<'a> {
    title: &'a str,
    limits: &'a [BoxLimit],
}

impl Chart for BoxChart<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let count = self.limits.len().max(1);
        let names: Vec<String> = self.limits.iter().map(|l| l.parameter.clone()).collect();
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("{}: the chosen box on each parameter's range", self.title),
                font(scale, 26.0),
            )
            .margin((20.0 * scale) as u32)
            .x_label_area_size((70.0 * scale) as u32)
            .y_label_area_size((330.0 * scale) as u32)
            .build_cartesian_2d(-0.02..1.6, -0.5f64..count as f64 - 0.5)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(count)
            .y_label_formatter(&|y| bar_label(&names, *y))
            .x_label_formatter(&|x| {
                if *x <= 1.0 {
                    tick_label(*x, 1.0)
                } else {
                    String::new()
                }
            })
            .x_desc("position in the swept range (0 = lowest, 1 = highest value)")
            .label_style(font(scale, 17.0))
            .axis_desc_style(font(scale, 18.0))
            .draw()
            .map_err(fail)?;
        for (row, limit) in self.limits.iter().enumerate() {
            let y = (count - 1 - row) as f64;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, y), (1.0, y)],
                    stroke(GREY, scale * 0.5),
                )))
                .map_err(fail)?;
            let restricted = !limit.text.is_empty();
            let colour = if restricted { BLUE } else { GREY };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(limit.low, y - 0.2), (limit.high, y + 0.2)],
                    colour.mix(0.8).filled(),
                )))
                .map_err(fail)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    limit.text.clone(),
                    (1.04, y + 0.1),
                    font(scale, 17.0),
                )))
                .map_err(fail)?;
        }
        Ok(())
    }
}
