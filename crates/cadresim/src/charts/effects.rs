//! The effects chart of a run directory (`effects-<scenario>`): each schedule entry's effect
//! against the steps k after it, read from `effects.csv`, one line per entry with its 95%
//! interval over replicates as a band, in one panel per metric (k on a logarithmic axis).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    draw_legend, fail, font, interval_note, render, stroke, tick_label, Chart, ChartError, Outcome,
};
use super::{GREY, LINE_COLOURS};
use crate::effects::HORIZONS;
use crate::rows::EffectRow;
use crate::scenario::Scenario;

/// The metrics drawn, one panel each (as in the equilibria chart).
const PANELS: [&str; 4] = ["mean_innovation", "share_idle", "welfare", "abuse_rate"];

/// The effects of one scenario's entries.
struct Effects<'a> {
    rows: Vec<&'a EffectRow>,
    /// Entry names (`N@STEP`) in order, each with the lines that describe it in the legend.
    events: Vec<(String, Vec<String>)>,
    title: String,
}

impl Effects<'_> {
    /// (k, effect, low, high) of one entry and metric, k ascending.
    fn line(&self, event: &str, metric: &str) -> Vec<(f64, f64, f64, f64)> {
        self.rows
            .iter()
            .filter(|row| row.event == event && row.metric == metric)
            .map(|row| {
                let (low, high) = row.ci95.unwrap_or((row.effect, row.effect));
                (row.k as f64, row.effect, low, high)
            })
            .collect()
    }

    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        metric: &str,
        scale: f64,
    ) -> Outcome {
        let lines: Vec<Vec<(f64, f64, f64, f64)>> = self
            .events
            .iter()
            .map(|(event, _)| self.line(event, metric))
            .collect();
        let values = lines.iter().flatten();
        let low = values.clone().map(|v| v.2).fold(0.0f64, f64::min);
        let mut high = values.map(|v| v.3).fold(0.0f64, f64::max);
        if high <= low {
            high = low + 1.0;
        }
        let pad = (high - low) * 0.08;
        let key_points: Vec<f64> = HORIZONS.iter().map(|k| *k as f64).collect();
        let mut chart = ChartBuilder::on(area)
            .caption(metric, font(scale, 24.0))
            .margin((14.0 * scale) as u32)
            .x_label_area_size((60.0 * scale) as u32)
            .y_label_area_size((95.0 * scale) as u32)
            .build_cartesian_2d(
                (0.8f64..65.0).log_scale().with_key_points(key_points),
                (low - pad)..(high + pad),
            )
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("k: steps after the entry (log scale)")
            .x_label_formatter(&|k| format!("{k:.0}"))
            .y_label_formatter(&|y| tick_label(*y, high - low + 2.0 * pad))
            .y_desc(format!("effect on {}", crate::metrics::meaning(metric)))
            .label_style(font(scale, 16.0))
            .axis_desc_style(font(scale, 17.0))
            .draw()
            .map_err(fail)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.8, 0.0), (65.0, 0.0)],
                GREY.stroke_width((1.5 * scale).max(1.0) as u32),
            )))
            .map_err(fail)?;
        for (index, line) in lines.iter().enumerate() {
            let colour = LINE_COLOURS[index % LINE_COLOURS.len()];
            let mut outline: Vec<(f64, f64)> = line.iter().map(|v| (v.0, v.3)).collect();
            outline.extend(line.iter().rev().map(|v| (v.0, v.2)));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    outline,
                    colour.mix(0.25).filled(),
                )))
                .map_err(fail)?;
            let means = line.iter().map(|v| (v.0, v.1));
            chart
                .draw_series(LineSeries::new(means.clone(), stroke(colour, scale)))
                .map_err(fail)?;
            chart
                .draw_series(
                    means.map(|point| Circle::new(point, (6.0 * scale) as i32, colour.filled())),
                )
                .map_err(fail)?;
        }
        Ok(())
    }
}

impl Chart for Effects<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let (width, _) = root.dim_in_pixel();
        let (plot, legend) = root.split_horizontally((width as f64 * 0.78) as u32);
        let titled = plot
            .margin((12.0 * scale) as u32, 0, 0, 0)
            .titled(&self.title, font(scale, 30.0))
            .map_err(fail)?;
        let panels = titled.split_evenly((2, 2));
        for (area, metric) in panels.iter().zip(PANELS) {
            self.panel(area, metric, scale)?;
        }
        let mut entries = Vec::new();
        for (index, (event, lines)) in self.events.iter().enumerate() {
            let colour = LINE_COLOURS[index % LINE_COLOURS.len()];
            entries.push((format!("entry {event}"), colour));
            entries.extend(lines.iter().map(|line| (format!("   {line}"), colour)));
        }
        let shown = self.rows.iter().any(|row| row.ci95.is_some());
        entries.push(interval_note("band", shown));
        entries.push(("(effect: factual - counterfactual)".to_string(), GREY));
        draw_legend(&legend, &entries, scale)
    }
}

/// The legend lines of entry `event` (`N@STEP`) of a scenario: where it applies and what it
/// sets, as the behaviour chart lists them (none when the scenario is not known).
fn describe(event: &str, scenario: Option<&Scenario>) -> Vec<String> {
    let Some(number) = event
        .split('@')
        .next()
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return Vec::new();
    };
    let described = super::run::schedule_events(scenario);
    match number.checked_sub(1).and_then(|entry| described.get(entry)) {
        Some((_, lines)) => lines.clone(),
        None => Vec::new(),
    }
}

/// Draw `effects-<scenario>` (PNG and SVG) for every scenario of `effects.csv`'s rows;
/// `scenarios` (from the manifest) describe the entries in the legends.
pub fn draw_effects(
    rows: &[EffectRow],
    scenarios: &[Scenario],
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    crate::output::create_dir(out)?;
    let mut names: Vec<&str> = Vec::new();
    for row in rows {
        if !names.contains(&row.scenario.as_str()) {
            names.push(&row.scenario);
        }
    }
    let mut files = Vec::new();
    for name in names {
        let ours: Vec<&EffectRow> = rows.iter().filter(|row| row.scenario == name).collect();
        let scenario = scenarios.iter().find(|s| s.name == name);
        let mut events: Vec<(String, Vec<String>)> = Vec::new();
        for row in &ours {
            if !events.iter().any(|(event, _)| *event == row.event) {
                events.push((row.event.clone(), describe(&row.event, scenario)));
            }
        }
        let chart = Effects {
            rows: ours,
            events,
            title: format!("Effects of the schedule entries: {name} (level all)"),
        };
        files.extend(render(out, &format!("effects-{name}"), size, &chart)?);
    }
    Ok(files)
}
