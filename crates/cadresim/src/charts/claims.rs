//! Figures of single claims, drawn from a run directory's `equilibrium.csv`: chosen regimes
//! side by side with one panel per metric, and a 2 × 2 interaction plot of two policy
//! factors (one line per level of the second, each point with its 95% interval).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::run::Equilibria;
use super::{
    category_label, draw_legend, fail, font, render, split_legend, stroke, tick_label, Chart,
    ChartError, Outcome, BLUE, GREY, VERMILLION,
};
use crate::metrics::meaning;
use crate::output::series::{read_equilibrium, ScenarioEquilibrium};
use crate::output::tables::ReadError;
use crate::stats::Estimate;

/// The whole-hierarchy equilibria of `scenarios` (in that order) from `dir`.
fn equilibria(dir: &Path, scenarios: &[&str]) -> Result<Vec<ScenarioEquilibrium>, ChartError> {
    let path = crate::output::store::find(dir, "equilibrium");
    let all = read_equilibrium(&path)?;
    scenarios
        .iter()
        .map(|name| {
            all.iter()
                .find(|e| e.name == *name)
                .cloned()
                .ok_or_else(|| ReadError::new(&path, format!("no scenario `{name}`")).into())
        })
        .collect()
}

/// Draw `<stem>.png/.svg` into `out`: the equilibria of `scenarios` of the run in `dir`, one
/// panel per metric (titled by its meaning), coloured by class.
pub fn draw_regimes(
    dir: &Path,
    scenarios: &[&str],
    metrics: &[&str],
    title: &str,
    out: &Path,
    stem: &str,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    crate::output::create_dir(out)?;
    let scenarios = equilibria(dir, scenarios)?;
    let chart = Equilibria {
        scenarios: &scenarios,
        title: title.to_string(),
        by_class: true,
        metrics,
    };
    render(out, stem, size, &chart)
}

/// A 2 × 2 design: `cells[line][x]` names the scenario with level `x` of the first factor and
/// level `line` of the second.
pub struct Interaction<'a> {
    pub x_factor: &'a str,
    pub x_levels: [&'a str; 2],
    pub line_levels: [&'a str; 2],
    pub cells: [[&'a str; 2]; 2],
    pub metric: &'a str,
    pub title: &'a str,
}

/// Draw `<stem>.png/.svg` into `out`: the interaction plot of `design` from the run in `dir`.
pub fn draw_interaction(
    dir: &Path,
    design: &Interaction,
    out: &Path,
    stem: &str,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    crate::output::create_dir(out)?;
    let mut values = [[Estimate::default(); 2]; 2];
    for (line, cells) in design.cells.iter().enumerate() {
        for (x, equilibrium) in equilibria(dir, cells)?.iter().enumerate() {
            values[line][x] = *equilibrium.metrics.get(design.metric).ok_or_else(|| {
                ReadError::new(
                    &crate::output::store::find(dir, "equilibrium"),
                    format!("no {} of {}", design.metric, equilibrium.name),
                )
            })?;
        }
    }
    render(out, stem, size, &InteractionPlot { design, values })
}

struct InteractionPlot<'a> {
    design: &'a Interaction<'a>,
    values: [[Estimate; 2]; 2],
}

impl Chart for InteractionPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let design = self.design;
        let all = self.values.iter().flatten();
        let low = all.clone().map(|e| e.low).fold(0.0f64, f64::min);
        let high = all.map(|e| e.high).fold(0.0f64, f64::max).max(low + 1e-9);
        let pad = (high - low) * 0.08;
        let names: Vec<String> = design.x_levels.iter().map(|l| l.to_string()).collect();
        let (plot, legend) = split_legend(root);
        let mut chart = ChartBuilder::on(&plot)
            .caption(design.title, font(scale, 26.0))
            .margin((16.0 * scale) as u32)
            .x_label_area_size((70.0 * scale) as u32)
            .y_label_area_size((95.0 * scale) as u32)
            .build_cartesian_2d(-0.4f64..1.4, (low - pad)..(high + pad))
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(2)
            .x_label_formatter(&|x| category_label(&names, *x))
            .y_label_formatter(&|y| tick_label(*y, high - low + 2.0 * pad))
            .x_desc(design.x_factor)
            .y_desc(meaning(design.metric))
            .label_style(font(scale, 18.0))
            .axis_desc_style(font(scale, 19.0))
            .draw()
            .map_err(fail)?;
        let colours = [BLUE, VERMILLION];
        for (line, colour) in colours.iter().enumerate() {
            // The two lines sit slightly apart so their intervals do not hide each other.
            let offset = (line as f64 - 0.5) * 0.06;
            let points: Vec<(f64, f64)> = (0..2)
                .map(|x| (x as f64 + offset, self.values[line][x].mean))
                .collect();
            chart
                .draw_series(std::iter::once(PathElement::new(
                    points.clone(),
                    stroke(*colour, scale * 1.5),
                )))
                .map_err(fail)?;
            for (x, (px, mean)) in points.iter().enumerate() {
                let estimate = self.values[line][x];
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(*px, estimate.low), (*px, estimate.high)],
                        stroke(*colour, scale),
                    )))
                    .map_err(fail)?;
                chart
                    .draw_series(std::iter::once(Circle::new(
                        (*px, *mean),
                        (8.0 * scale) as i32,
                        colour.filled(),
                    )))
                    .map_err(fail)?;
            }
        }
        let mut entries: Vec<(String, RGBColor)> = design
            .line_levels
            .iter()
            .zip(colours)
            .map(|(level, colour)| (level.to_string(), colour))
            .collect();
        entries.push(("(bars: 95% CI)".to_string(), GREY));
        draw_legend(&legend, &entries, scale)
    }
}
