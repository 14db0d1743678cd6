//! Charts of the units recorded one by one (`output.by_unit`): the units ranked by
//! equilibrium mean innovation with 95% intervals over replicates, and small multiples of
//! mean innovation over time. Units are labelled by name where the committed font can draw
//! it (Latin script) and by code otherwise (the CSV files carry the names).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    bar_label, draw_interval_bar, drawable, fail, font, render, stroke, tick_label, Chart,
    ChartError, Outcome, BLUE,
};
use crate::metrics;
use crate::output::tables::UnitValue;
use crate::stats;

/// Most units a ranking shows (the highest and lowest halves beyond it).
const RANKED: usize = 40;
/// Most panels of the small multiples.
const PANELS: usize = 36;

/// A unit's label in charts: its name if the font can draw it, else its code.
fn label(value: &UnitValue) -> String {
    if drawable(&value.name) {
        value.name.clone()
    } else {
        value.code.clone()
    }
}

/// Draw `units_ranking_<scenario>` and `units_over_time_<scenario>` for every scenario in
/// the by-unit tables; `equilibria` from summary_by_unit.csv, `series` from
/// timeseries_by_unit.csv (both of mean_innovation).
pub fn draw_units(
    equilibria: &[UnitValue],
    series: &[UnitValue],
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    crate::output::create_dir(out)?;
    let mut files = Vec::new();
    let scenarios: Vec<&str> = unique(equilibria.iter().map(|v| v.scenario.as_str()));
    for scenario in scenarios {
        let ranking = Ranking::of(equilibria.iter().filter(|v| v.scenario == scenario));
        files.extend(render(
            out,
            &format!("units_ranking_{scenario}"),
            size,
            &ranking,
        )?);
        let panels = Panels::of(series.iter().filter(|v| v.scenario == scenario));
        files.extend(render(
            out,
            &format!("units_over_time_{scenario}"),
            size,
            &panels,
        )?);
    }
    Ok(files)
}

fn unique<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

/// The values of each unit (grouped by code, which is unique), units in order of first
/// appearance, each with its chart label.
fn by_unit<'a>(values: impl Iterator<Item = &'a UnitValue>) -> Vec<(String, Vec<&'a UnitValue>)> {
    let mut position: HashMap<&str, usize> = HashMap::new();
    let mut units: Vec<(String, Vec<&UnitValue>)> = Vec::new();
    for value in values {
        let index = *position.entry(&value.code).or_insert_with(|| {
            units.push((label(value), Vec::new()));
            units.len() - 1
        });
        units[index].1.push(value);
    }
    units
}

/// Units by equilibrium mean innovation, highest first, with t intervals over replicates.
struct Ranking {
    rows: Vec<(String, f64, (f64, f64))>,
    title: String,
    /// Whether any unit has an interval (none with a single replicate).
    intervals: bool,
}

impl Ranking {
    fn of<'a>(values: impl Iterator<Item = &'a UnitValue>) -> Self {
        let mut intervals = false;
        let mut rows: Vec<(String, f64, (f64, f64))> = by_unit(values)
            .into_iter()
            .map(|(name, values)| {
                let values: Vec<f64> = values.iter().map(|v| v.value).collect();
                let spread = stats::spread(&values);
                intervals |= spread.ci95.is_some();
                let interval = spread.ci95.unwrap_or((spread.mean, spread.mean));
                (name, spread.mean, interval)
            })
            .collect();
        rows.sort_by(|a, b| b.1.total_cmp(&a.1));
        let total = rows.len();
        let mut title = format!(
            "{} by unit",
            capitalised(metrics::meaning("mean_innovation"))
        );
        if total > RANKED {
            rows.drain(RANKED / 2..total - RANKED / 2);
            title = format!("{title}: the {} highest and lowest of {total}", RANKED / 2);
        }
        Ranking {
            rows,
            title,
            intervals,
        }
    }
}

impl Chart for Ranking {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let count = self.rows.len().max(1);
        let names: Vec<String> = self.rows.iter().map(|r| r.0.clone()).collect();
        let high = self
            .rows
            .iter()
            .map(|r| r.2 .1.max(r.1))
            .fold(0.0f64, f64::max)
            .max(0.05)
            * 1.05;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(scale, 22.0))
            .margin((16.0 * scale) as u32)
            .x_label_area_size((60.0 * scale) as u32)
            .y_label_area_size((160.0 * scale) as u32)
            .build_cartesian_2d(0.0f64..high, -0.5f64..count as f64 - 0.5)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(count)
            .y_label_formatter(&|y| bar_label(&names, *y))
            .x_label_formatter(&|x| tick_label(*x, high))
            .x_desc(match self.intervals {
                true => "equilibrium mean innovation (lines: 95% CI over replicates)",
                false => "equilibrium mean innovation (one replicate: no interval)",
            })
            .label_style(font(scale, (15.0f64).min(700.0 / count as f64).max(8.0)))
            .axis_desc_style(font(scale, 18.0))
            .draw()
            .map_err(fail)?;
        for (index, (_, mean, interval)) in self.rows.iter().enumerate() {
            let y = (count - 1 - index) as f64;
            draw_interval_bar(&mut chart, (y, 0.3), *mean, *interval, BLUE, scale * 0.9)?;
        }
        Ok(())
    }
}

/// Mean innovation over time (mean over replicates), one panel per unit, at most 36.
struct Panels {
    units: Vec<(String, Vec<f64>)>,
    title: String,
}

impl Panels {
    fn of<'a>(values: impl Iterator<Item = &'a UnitValue>) -> Self {
        let all = by_unit(values);
        let total = all.len();
        let units: Vec<(String, Vec<f64>)> = all
            .into_iter()
            .take(PANELS)
            .map(|(name, values)| {
                // Mean over replicates at every step.
                let mut sums: Vec<(f64, usize)> = Vec::new();
                for value in values {
                    let step = value.step.unwrap_or(0);
                    if sums.len() <= step {
                        sums.resize(step + 1, (0.0, 0));
                    }
                    sums[step].0 += value.value;
                    sums[step].1 += 1;
                }
                let means = sums.iter().map(|(s, n)| s / (*n).max(1) as f64).collect();
                (name, means)
            })
            .collect();
        let shown = units.len();
        let mut title = format!(
            "{} over time by unit (mean of replicates)",
            capitalised(metrics::meaning("mean_innovation"))
        );
        if total > shown {
            title = format!("{title}: the first {shown} of {total} units");
        }
        Panels { units, title }
    }
}

impl Chart for Panels {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let root = root.titled(&self.title, font(scale, 22.0)).map_err(fail)?;
        let count = self.units.len().max(1);
        let columns = (count as f64).sqrt().ceil() as usize;
        let rows = count.div_ceil(columns);
        let steps = self
            .units
            .iter()
            .map(|u| u.1.len())
            .max()
            .unwrap_or(1)
            .max(2);
        let high = self
            .units
            .iter()
            .flat_map(|u| u.1.iter().copied())
            .fold(0.0f64, f64::max)
            .max(0.05)
            * 1.05;
        for (area, (name, series)) in root.split_evenly((rows, columns)).iter().zip(&self.units) {
            let mut chart = ChartBuilder::on(area)
                .caption(name, font(scale, 14.0))
                .margin((6.0 * scale) as u32)
                .x_label_area_size((22.0 * scale) as u32)
                .y_label_area_size((36.0 * scale) as u32)
                .build_cartesian_2d(0.0f64..(steps - 1) as f64, 0.0f64..high)
                .map_err(fail)?;
            chart
                .configure_mesh()
                .x_labels(3)
                .y_labels(3)
                .x_label_formatter(&|x| tick_label(*x, steps as f64))
                .y_label_formatter(&|y| tick_label(*y, high))
                .label_style(font(scale, 11.0))
                .draw()
                .map_err(fail)?;
            let points = series.iter().enumerate().map(|(step, v)| (step as f64, *v));
            chart
                .draw_series(LineSeries::new(points, stroke(BLUE, scale * 0.6)))
                .map_err(fail)?;
        }
        Ok(())
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(code: usize, step: usize, value: f64) -> UnitValue {
        UnitValue {
            scenario: "s".into(),
            replicate: 0,
            step: Some(step),
            code: code.to_string(),
            name: "same name".into(),
            value,
        }
    }

    #[test]
    fn units_are_told_apart_by_code_and_counted_once() {
        let values: Vec<UnitValue> = (0..3)
            .flat_map(|step| (0..40).map(move |code| value(code, step, step as f64)))
            .collect();
        let panels = Panels::of(values.iter());
        assert_eq!(panels.units.len(), 36);
        assert!(
            panels.title.ends_with("the first 36 of 40 units"),
            "{}",
            panels.title
        );
        assert_eq!(panels.units[0].1, vec![0.0, 1.0, 2.0]);
        // Forty units of the same name stay forty rows.
        assert_eq!(Ranking::of(values.iter()).rows.len(), 40);
    }
}
