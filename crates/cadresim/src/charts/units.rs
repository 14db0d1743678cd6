//! Charts of the units recorded one by one (`output.by_unit`): the units ranked by
//! equilibrium mean innovation with 95% intervals over replicates, small multiples of mean
//! innovation over time, and, when the units are China's provinces, a tile-grid map. Units
//! are labelled by name where the committed font can draw it (Latin script), by English name
//! for a province, and by code otherwise (the tables carry the names). When a schedule adopts
//! by unit (`where`), each unit is coloured by its adoption cohort.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::provinces::{self, Province};
use super::{
    bar_label, draw_interval_bar, draw_legend, drawable, fail, font, render, split_legend, stroke,
    tick_label, Chart, ChartError, Outcome, BLUE, GREY, LINE_COLOURS,
};
use crate::metrics;
use crate::output::tables::UnitValue;
use crate::scenario::Scenario;
use crate::stats;

/// Most units a ranking shows (the highest and lowest halves beyond it).
const RANKED: usize = 40;
/// Most panels of the small multiples.
const PANELS: usize = 36;

/// A unit's label in charts: its name if the font can draw it, else a province's English
/// name, else its code.
fn label(value: &UnitValue) -> String {
    if drawable(&value.name) {
        value.name.clone()
    } else if let Some(province) = provinces::find(&value.code, &value.name) {
        province.name_en.clone()
    } else {
        value.code.clone()
    }
}

/// Whether a recorded unit is one of China's provinces (a province map can show it).
pub fn is_province(value: &UnitValue) -> bool {
    provinces::find(&value.code, &value.name).is_some()
}

/// When units adopted what their scenario's schedule gives them by unit: every entry with
/// `where`, by scenario, as (step, level, units by code or name).
#[derive(Clone, Debug, Default)]
pub struct Cohorts {
    entries: HashMap<String, Vec<(u64, String, Vec<String>)>>,
}

impl Cohorts {
    /// The entries with `where` of `scenarios`.
    pub fn of(scenarios: &[Scenario]) -> Self {
        let mut entries: HashMap<String, Vec<(u64, String, Vec<String>)>> = HashMap::new();
        for scenario in scenarios {
            for entry in &scenario.schedule {
                if let Some(where_) = &entry.where_ {
                    entries.entry(scenario.name.clone()).or_default().push((
                        entry.at,
                        where_.level.clone(),
                        where_.units.clone(),
                    ));
                }
            }
        }
        Cohorts { entries }
    }

    /// The step of the first entry that selects `value`'s unit (by code or name at its level).
    fn step(&self, value: &UnitValue) -> Option<u64> {
        self.entries
            .get(&value.scenario)?
            .iter()
            .filter(|(_, level, units)| {
                *level == value.level && units.iter().any(|u| *u == value.code || *u == value.name)
            })
            .map(|(at, _, _)| *at)
            .min()
    }

    /// The cohorts of a scenario's units, earliest first (empty without entries by unit).
    fn steps(&self, values: &[&UnitValue]) -> Vec<u64> {
        let mut steps: Vec<u64> = values.iter().filter_map(|v| self.step(v)).collect();
        steps.sort_unstable();
        steps.dedup();
        steps
    }
}

/// The colour and legend of each adoption cohort, and of units that never adopt.
#[derive(Clone, Debug, Default, PartialEq)]
struct Palette {
    steps: Vec<u64>,
}

impl Palette {
    fn colour(&self, cohort: Option<u64>) -> RGBColor {
        match cohort.and_then(|step| self.steps.iter().position(|s| *s == step)) {
            Some(index) => LINE_COLOURS[index % LINE_COLOURS.len()],
            None if self.steps.is_empty() => BLUE,
            None => GREY,
        }
    }

    fn legend(&self) -> Vec<(String, RGBColor)> {
        let mut entries: Vec<(String, RGBColor)> = self
            .steps
            .iter()
            .map(|&step| (format!("adopts at step {step}"), self.colour(Some(step))))
            .collect();
        if !entries.is_empty() {
            entries.push(("never adopts".to_string(), GREY));
        }
        entries
    }
}

/// Draw `units_ranking_<scenario>` and `units_over_time_<scenario>` for every scenario in
/// the by-unit tables, and `units_map_<scenario>` when its units are China's provinces;
/// `equilibria` from summary_by_unit, `series` from timeseries_by_unit (both of
/// mean_innovation); units coloured by the adoption cohorts of `cohorts`.
pub fn draw_units(
    equilibria: &[UnitValue],
    series: &[UnitValue],
    cohorts: &Cohorts,
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    crate::output::create_dir(out)?;
    let mut files = Vec::new();
    for (scenario, values, palette) in by_scenario(equilibria, cohorts) {
        let ranking = Ranking::of(values.iter().copied(), cohorts, &palette);
        files.extend(render(
            out,
            &format!("units_ranking_{scenario}"),
            size,
            &ranking,
        )?);
        let panels = Panels::of(
            series.iter().filter(|v| v.scenario == scenario),
            cohorts,
            &palette,
        );
        files.extend(render(
            out,
            &format!("units_over_time_{scenario}"),
            size,
            &panels,
        )?);
        if let Some(map) = ProvinceMap::of(&values, "mean_innovation", cohorts, &palette) {
            files.extend(render(out, &format!("units_map_{scenario}"), size, &map)?);
        }
    }
    Ok(files)
}

/// Each scenario of `equilibria` (in order of first appearance) with its units' values and
/// the palette of its adoption cohorts.
fn by_scenario<'a>(
    equilibria: &'a [UnitValue],
    cohorts: &Cohorts,
) -> Vec<(&'a str, Vec<&'a UnitValue>, Palette)> {
    unique(equilibria.iter().map(|v| v.scenario.as_str()))
        .into_iter()
        .map(|scenario| {
            let values: Vec<&UnitValue> = equilibria
                .iter()
                .filter(|v| v.scenario == scenario)
                .collect();
            let palette = Palette {
                steps: cohorts.steps(&values),
            };
            (scenario, values, palette)
        })
        .collect()
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

/// A ranked unit: its label, mean, interval and colour.
type RankedUnit = (String, f64, (f64, f64), RGBColor);

/// Units by equilibrium mean innovation, highest first, with t intervals over replicates.
struct Ranking {
    rows: Vec<RankedUnit>,
    title: String,
    /// Whether any unit has an interval (none with a single replicate).
    intervals: bool,
    /// The adoption cohorts' legend (empty without entries by unit).
    legend: Vec<(String, RGBColor)>,
}

impl Ranking {
    fn of<'a>(
        values: impl Iterator<Item = &'a UnitValue>,
        cohorts: &Cohorts,
        palette: &Palette,
    ) -> Self {
        let mut intervals = false;
        let mut rows: Vec<RankedUnit> = by_unit(values)
            .into_iter()
            .map(|(name, values)| {
                let colour = palette.colour(cohorts.step(values[0]));
                let values: Vec<f64> = values.iter().map(|v| v.value).collect();
                let spread = stats::spread(&values).within((0.0, 1.0));
                intervals |= spread.ci95.is_some();
                let interval = spread.ci95.unwrap_or((spread.mean, spread.mean));
                (name, spread.mean, interval, colour)
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
            legend: palette.legend(),
        }
    }
}

impl Chart for Ranking {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let root = match self.legend.is_empty() {
            true => root.clone(),
            false => {
                let (area, legend) = split_legend(root);
                draw_legend(&legend, &self.legend, scale)?;
                area
            }
        };
        let root = &root;
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
        for (index, (_, mean, interval, colour)) in self.rows.iter().enumerate() {
            let y = (count - 1 - index) as f64;
            draw_interval_bar(&mut chart, (y, 0.3), *mean, *interval, *colour, scale * 0.9)?;
        }
        Ok(())
    }
}

/// A unit's panel: its label, mean over replicates at every step, colour and adoption step.
type UnitPanel = (String, Vec<f64>, RGBColor, Option<u64>);

/// Mean innovation over time (mean over replicates), one panel per unit, at most 36.
struct Panels {
    units: Vec<UnitPanel>,
    title: String,
    legend: Vec<(String, RGBColor)>,
}

impl Panels {
    fn of<'a>(
        values: impl Iterator<Item = &'a UnitValue>,
        cohorts: &Cohorts,
        palette: &Palette,
    ) -> Self {
        let all = by_unit(values);
        let total = all.len();
        let units: Vec<UnitPanel> = all
            .into_iter()
            .take(PANELS)
            .map(|(name, values)| {
                let cohort = cohorts.step(values[0]);
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
                (name, means, palette.colour(cohort), cohort)
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
        if !palette.steps.is_empty() {
            title = format!("{title} (vertical line: the unit's adoption)");
        }
        Panels {
            units,
            title,
            legend: palette.legend(),
        }
    }
}

impl Chart for Panels {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let root = root.titled(&self.title, font(scale, 22.0)).map_err(fail)?;
        let root = match self.legend.is_empty() {
            true => root,
            false => {
                let (area, legend) = split_legend(&root);
                draw_legend(&legend, &self.legend, scale)?;
                area
            }
        };
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
        for (area, (name, series, colour, adopted)) in
            root.split_evenly((rows, columns)).iter().zip(&self.units)
        {
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
            if let Some(step) = adopted {
                let x = *step as f64;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x, 0.0), (x, high)],
                        stroke(GREY, scale * 0.4),
                    )))
                    .map_err(fail)?;
            }
            let points = series.iter().enumerate().map(|(step, v)| (step as f64, *v));
            chart
                .draw_series(LineSeries::new(points, stroke(*colour, scale * 0.6)))
                .map_err(fail)?;
        }
        Ok(())
    }
}

/// A province's tile: the province, its equilibrium mean over replicates, and its cohort's
/// colour (None without entries by unit).
type Tile = (&'static Province, f64, Option<RGBColor>);

/// The equilibrium by province on the fixed tile grid of `provinces` (not to scale): each
/// tile filled by its value on a light-to-dark blue scale, ringed in its adoption cohort's
/// colour when the schedule adopts by unit.
struct ProvinceMap {
    tiles: Vec<Tile>,
    title: String,
    /// The ends of the colour scale.
    range: (f64, f64),
    legend: Vec<(String, RGBColor)>,
}

impl ProvinceMap {
    /// The map of `metric` over a scenario's units, when every one of them is a province.
    fn of(
        values: &[&UnitValue],
        metric: &str,
        cohorts: &Cohorts,
        palette: &Palette,
    ) -> Option<Self> {
        let mut tiles: Vec<Tile> = Vec::new();
        let mut replicates = 0;
        for (_, values) in by_unit(values.iter().copied()) {
            let province = provinces::find(&values[0].code, &values[0].name)?;
            let numbers: Vec<f64> = values.iter().map(|v| v.value).collect();
            replicates = replicates.max(numbers.len());
            let outline =
                (!palette.steps.is_empty()).then(|| palette.colour(cohorts.step(values[0])));
            tiles.push((province, stats::spread(&numbers).mean, outline));
        }
        if tiles.is_empty() {
            return None;
        }
        let low = tiles.iter().map(|t| t.1).fold(f64::INFINITY, f64::min);
        let high = tiles.iter().map(|t| t.1).fold(f64::NEG_INFINITY, f64::max);
        let over = match replicates {
            1 => "one replicate".to_string(),
            n => format!("mean of {n} replicates"),
        };
        Some(ProvinceMap {
            tiles,
            title: format!(
                "{} by province ({over}; tile grid, not to scale)",
                capitalised(metrics::meaning(metric))
            ),
            range: (low, high),
            legend: palette.legend(),
        })
    }

    /// The fill of `value`: from light (the lowest) to dark blue (the highest).
    fn fill(&self, value: f64) -> RGBColor {
        let (low, high) = self.range;
        let t = if high > low {
            (value - low) / (high - low)
        } else {
            0.5
        };
        let mix =
            |light: u8, dark: u8| (light as f64 + t * (dark as f64 - light as f64)).round() as u8;
        RGBColor(mix(222, 8), mix(235, 48), mix(247, 107))
    }
}

impl Chart for ProvinceMap {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let root = root.titled(&self.title, font(scale, 22.0)).map_err(fail)?;
        let (area, legend) = split_legend(&root);
        let (rows, columns) = provinces::GRID;
        let mut chart = ChartBuilder::on(&area)
            .margin((16.0 * scale) as u32)
            .build_cartesian_2d(0.5f64..columns as f64 + 0.5, 0.5f64..rows as f64 + 0.5)
            .map_err(fail)?;
        for (province, value, outline) in &self.tiles {
            let (x, y) = (province.col as f64, (rows + 1 - province.row) as f64);
            let tile = |half: f64| [(x - half, y - half), (x + half, y + half)];
            let fill = self.fill(*value);
            // A cohort's colour as a ring around the tile.
            let inner = match outline {
                Some(colour) => {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(tile(0.46), colour.filled())))
                        .map_err(fail)?;
                    0.38
                }
                None => 0.46,
            };
            chart
                .draw_series(std::iter::once(Rectangle::new(tile(inner), fill.filled())))
                .map_err(fail)?;
            let light = fill.0 as u32 + fill.1 as u32 + fill.2 as u32 > 3 * 128;
            let ink = if light { BLACK } else { WHITE };
            let style = font(scale, 16.0).color(&ink);
            let centred = |text: String, dy: f64| Text::new(text, (x - 0.3, y + dy), style.clone());
            chart
                .draw_series([
                    centred(province.letters().to_string(), 0.32),
                    centred(shown(*value), -0.02),
                ])
                .map_err(fail)?;
        }
        let mut entries = vec![
            (
                format!("{} (highest)", shown(self.range.1)),
                self.fill(self.range.1),
            ),
            (
                format!("{} (lowest)", shown(self.range.0)),
                self.fill(self.range.0),
            ),
        ];
        entries.extend(
            self.legend
                .iter()
                .map(|(label, colour)| (format!("ring: {label}"), *colour)),
        );
        draw_legend(&legend, &entries, scale)
    }
}

/// Draw `units_map_<scenario>-<metric>` for every scenario whose recorded units are China's
/// provinces, from `equilibria` (summary_by_unit) of `metric`; returns no file when none is.
pub fn draw_province_maps(
    equilibria: &[UnitValue],
    metric: &str,
    cohorts: &Cohorts,
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    crate::output::create_dir(out)?;
    let mut files = Vec::new();
    for (scenario, values, palette) in by_scenario(equilibria, cohorts) {
        if let Some(map) = ProvinceMap::of(&values, metric, cohorts, &palette) {
            let stem = format!("units_map_{scenario}-{metric}");
            files.extend(render(out, &stem, size, &map)?);
        }
    }
    Ok(files)
}

/// A value in a tile or legend: three significant digits, at most three decimals
/// (`0.123`, `12.3`, `4521`).
fn shown(value: f64) -> String {
    let magnitude = if value == 0.0 || !value.is_finite() {
        0.0
    } else {
        value.abs().log10().floor()
    };
    let decimals = (2.0 - magnitude).clamp(0.0, 3.0) as usize;
    format!("{value:.decimals$}")
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
            level: "county".into(),
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
        let none = (Cohorts::default(), Palette::default());
        let panels = Panels::of(values.iter(), &none.0, &none.1);
        assert_eq!(panels.units.len(), 36);
        assert!(
            panels.title.ends_with("the first 36 of 40 units"),
            "{}",
            panels.title
        );
        assert_eq!(panels.units[0].1, vec![0.0, 1.0, 2.0]);
        // Forty units of the same name stay forty rows.
        assert_eq!(Ranking::of(values.iter(), &none.0, &none.1).rows.len(), 40);
    }

    #[test]
    fn units_take_their_adoption_cohort_from_entries_where_they_adopt() {
        let scenario = crate::scenario::parse(
            "[run]\nsteps = 40\nburn_in = 20\n[[hierarchy.levels]]\nname = \"county\"\nbranching = 4\ncadres = 2\n\
             [[schedule]]\nat = 20\nwhere = { county = [\"2\"] }\nset = { \"fault_tolerance.enabled\" = true }\n\
             [[schedule]]\nat = 10\nwhere = { county = [\"county 3\", \"2\"] }\nset = { \"fault_tolerance.enabled\" = true }\n",
            "s.toml",
            "s",
        )
        .unwrap();
        let cohorts = Cohorts::of(&[scenario]);
        let unit = |code: usize| UnitValue {
            name: format!("county {code}"),
            ..value(code, 0, 0.0)
        };
        let values: Vec<UnitValue> = (1..=4).map(unit).collect();
        let steps: Vec<Option<u64>> = values.iter().map(|v| cohorts.step(v)).collect();
        assert_eq!(steps, [None, Some(10), Some(10), None]);
        let palette = Palette {
            steps: cohorts.steps(&values.iter().collect::<Vec<_>>()),
        };
        assert_eq!(palette.steps, [10]);
        assert_eq!(palette.colour(Some(10)), LINE_COLOURS[0]);
        assert_eq!(palette.colour(None), GREY);
        assert_eq!(palette.legend().len(), 2);
        // A unit of another level with the same code is not in the cohort.
        let other = UnitValue {
            level: "province".into(),
            ..unit(2)
        };
        assert_eq!(cohorts.step(&other), None);
    }

    #[test]
    fn provinces_get_a_map_and_their_english_names() {
        let province = |code: &str, name: &str, value: f64| UnitValue {
            scenario: "s".into(),
            replicate: 0,
            step: None,
            level: "province".into(),
            code: code.into(),
            name: name.into(),
            value,
        };
        let values = [province("33", "浙江省", 0.4), province("11", "北京市", 0.2)];
        assert_eq!(label(&values[0]), "Zhejiang");
        let refs: Vec<&UnitValue> = values.iter().collect();
        let none = (Cohorts::default(), Palette::default());
        let map = ProvinceMap::of(&refs, "mean_innovation", &none.0, &none.1).unwrap();
        assert_eq!(map.range, (0.2, 0.4));
        assert!(map.title.contains("one replicate"), "{}", map.title);
        assert_eq!(map.fill(0.2), RGBColor(222, 235, 247));
        // A unit that is not a province: no map.
        let mixed = [
            province("33", "浙江省", 0.4),
            province("7", "county 7", 0.1),
        ];
        let refs: Vec<&UnitValue> = mixed.iter().collect();
        assert!(ProvinceMap::of(&refs, "mean_innovation", &none.0, &none.1).is_none());
        assert_eq!(shown(0.1234), "0.123");
        assert_eq!(shown(12.34), "12.3");
        assert_eq!(shown(4521.7), "4522");
    }
}
