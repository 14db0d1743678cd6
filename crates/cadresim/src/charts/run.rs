//! Charts of run directories: behaviour over time, levels, accountability and equilibria.
//! Drawn from the tables, CSV or Parquet (and the manifest, for schedule events and targets), so
//! `cadresim plot DIR` redraws them without re-running anything.

use std::path::{Path, PathBuf};

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    band_polygon, class_colour, class_label, draw_legend, fail, font, interval_note, points,
    render, stroke, tick_label, Chart, ChartError, Outcome, AREA_ALPHA, BLACK_, BLUE, GREEN,
    LINE_COLOURS, ORANGE, PURPLE, SKY_BLUE, VERMILLION,
};
use crate::metrics::WHOLE_HIERARCHY;
use crate::output::series::{compared_name, Band, ResultData, ScenarioEquilibrium, ScenarioSeries};
use crate::params::Params;
use crate::rows::DifferenceRow;
use crate::scenario::Scenario;

/// A unit named in a `where` as the font can draw it: a name in another script becomes the
/// unit's code when the tree is at hand, else "?".
fn drawable_unit(unit: &str, tree: Option<&crate::params::UnitTree>) -> String {
    if super::drawable(unit) {
        return unit.to_string();
    }
    tree.and_then(|tree| {
        let row = tree.names.iter().position(|name| name == unit)?;
        Some(tree.codes[row].clone())
    })
    .unwrap_or_else(|| "?".to_string())
}

/// Schedule events of a scenario: (step, label lines), e.g.
/// (60, ["step 60:", "accountability.penalty = 8.0"]).
pub fn schedule_events(scenario: Option<&Scenario>) -> Vec<(u64, Vec<String>)> {
    scenario
        .map(|scenario| {
            scenario
                .schedule
                .iter()
                .map(|entry| {
                    let mut lines = vec![match &entry.where_ {
                        None => format!("step {}:", entry.at),
                        Some(w) => {
                            let tree = scenario.params.hierarchy.tree.as_ref();
                            let units: Vec<String> = w
                                .units
                                .iter()
                                .map(|unit| drawable_unit(unit, tree.map(|t| &*t.units)))
                                .collect();
                            format!("step {} ({} {}):", entry.at, w.level, units.join(", "))
                        }
                    }];
                    lines.extend(
                        entry
                            .set
                            .iter()
                            .map(|(key, value)| format!("{key} = {value}")),
                    );
                    (entry.at, lines)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Chart 1: shares of idle, routine and innovating cadres (stacked), mean innovation.
struct Behaviour<'a> {
    series: &'a ScenarioSeries,
    events: Vec<(u64, Vec<String>)>,
    title: String,
}

impl Chart for Behaviour<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let (width, _) = root.dim_in_pixel();
        let (plot, legend) = root.split_horizontally((width as f64 * 0.78) as u32);
        let steps = self.series.last_step();
        let stride = self.series.stride;
        let mut chart = ChartBuilder::on(&plot)
            .caption(&self.title, font(scale, 34.0))
            .margin((20.0 * scale) as u32)
            .x_label_area_size((70.0 * scale) as u32)
            .y_label_area_size((90.0 * scale) as u32)
            .build_cartesian_2d(0f64..steps, 0f64..1f64)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("step (annual assessment cycle)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| tick_label(*y, 1.0))
            .y_desc("share of cadres / mean innovation (0-1)")
            .label_style(font(scale, 20.0))
            .axis_desc_style(font(scale, 24.0))
            .draw()
            .map_err(fail)?;
        let band = |metric| {
            self.series
                .band(WHOLE_HIERARCHY, metric)
                .cloned()
                .unwrap_or_default()
        };
        let (idle, routine, innovating) = (
            band("share_idle"),
            band("share_routine"),
            band("share_innovating"),
        );
        let mut lower = vec![0.0; idle.mean.len()];
        for (layer, colour) in [(&idle, ORANGE), (&routine, SKY_BLUE), (&innovating, GREEN)] {
            let upper: Vec<f64> = lower.iter().zip(&layer.mean).map(|(l, v)| l + v).collect();
            let mut outline = points(&upper, stride);
            outline.extend(points(&lower, stride).into_iter().rev());
            chart
                .draw_series(std::iter::once(Polygon::new(
                    outline,
                    colour.mix(AREA_ALPHA).filled(),
                )))
                .map_err(fail)?;
            lower = upper;
        }
        let innovation = band("mean_innovation");
        chart
            .draw_series(std::iter::once(band_polygon(&innovation, BLACK_, stride)))
            .map_err(fail)?;
        chart
            .draw_series(LineSeries::new(
                points(&innovation.mean, stride),
                stroke(BLACK_, scale),
            ))
            .map_err(fail)?;
        // Each event is a dashed line tagged [n] at the top; its settings are listed in the
        // legend panel, so labels never cover the data or each other.
        for (number, (step, _)) in self.events.iter().enumerate() {
            let x = *step as f64;
            chart
                .draw_series(DashedLineSeries::new(
                    [(x, 0.0), (x, 1.0)],
                    (12.0 * scale) as u32,
                    (8.0 * scale) as u32,
                    VERMILLION.stroke_width((2.0 * scale).max(1.0) as u32),
                ))
                .map_err(fail)?;
            let style = TextStyle::from(font(scale, 17.0))
                .color(&VERMILLION)
                .pos(Pos::new(HPos::Center, VPos::Bottom));
            let tag = format!("[{}]", number + 1);
            chart
                .draw_series(std::iter::once(Text::new(tag, (x, 1.0), style)))
                .map_err(fail)?;
        }
        let mut entries = vec![
            ("idle".to_string(), lighten(ORANGE, AREA_ALPHA)),
            ("routine".to_string(), lighten(SKY_BLUE, AREA_ALPHA)),
            ("innovating".to_string(), lighten(GREEN, AREA_ALPHA)),
            ("mean innovation".to_string(), BLACK_),
            interval_note("band", self.series.replicates > 1),
        ];
        for (number, (_, lines)) in self.events.iter().enumerate() {
            for (index, line) in lines.iter().enumerate() {
                let text = if index == 0 {
                    format!("[{}] {line}", number + 1)
                } else {
                    format!("      {line}")
                };
                entries.push((text, VERMILLION));
            }
        }
        draw_legend(&legend, &entries, scale)
    }
}

/// A palette colour as it appears when drawn with `alpha` over white.
fn lighten(colour: RGBColor, alpha: f64) -> RGBColor {
    let blend = |c: u8| (c as f64 * alpha + 255.0 * (1.0 - alpha)).round() as u8;
    RGBColor(blend(colour.0), blend(colour.1), blend(colour.2))
}

/// Chart 2: one panel per level, mean innovation and share idle over time.
struct Levels<'a> {
    series: &'a ScenarioSeries,
    /// Per-cadre target of each level (from the manifest), if known.
    targets: Vec<Option<f64>>,
    title: String,
}

impl Chart for Levels<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let (width, _) = root.dim_in_pixel();
        let (plot, legend) = root.split_horizontally((width as f64 * 0.84) as u32);
        let titled = plot
            .margin((12.0 * scale) as u32, 0, 0, 0)
            .titled(&self.title, font(scale, 34.0))
            .map_err(fail)?;
        let levels: Vec<&String> = self
            .series
            .levels
            .iter()
            .filter(|l| *l != WHOLE_HIERARCHY)
            .collect();
        let columns = ((levels.len() as f64).sqrt().ceil() as usize).max(1);
        let rows = levels.len().div_ceil(columns).max(1);
        let panels = titled.split_evenly((rows, columns));
        let steps = self.series.last_step();
        let stride = self.series.stride;
        for (index, (panel, level)) in panels.iter().zip(&levels).enumerate() {
            let caption = match self.targets.get(index).copied().flatten() {
                Some(target) => format!("{level} (target {target:.3})"),
                None => level.to_string(),
            };
            let mut chart = ChartBuilder::on(panel)
                .caption(caption, font(scale, 24.0))
                .margin((14.0 * scale) as u32)
                .x_label_area_size((60.0 * scale) as u32)
                .y_label_area_size((70.0 * scale) as u32)
                .build_cartesian_2d(0f64..steps, 0f64..1f64)
                .map_err(fail)?;
            chart
                .configure_mesh()
                .x_desc("step")
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| tick_label(*y, 1.0))
                .y_desc("share / intensity (0-1)")
                .x_labels(5)
                .label_style(font(scale, 17.0))
                .axis_desc_style(font(scale, 19.0))
                .draw()
                .map_err(fail)?;
            for (metric, colour) in [("mean_innovation", GREEN), ("share_idle", ORANGE)] {
                if let Some(band) = self.series.band(level, metric) {
                    chart
                        .draw_series(std::iter::once(band_polygon(band, colour, stride)))
                        .map_err(fail)?;
                    chart
                        .draw_series(LineSeries::new(
                            points(&band.mean, stride),
                            stroke(colour, scale),
                        ))
                        .map_err(fail)?;
                }
            }
        }
        draw_legend(
            &legend,
            &[
                ("mean innovation".to_string(), GREEN),
                ("share idle".to_string(), ORANGE),
                interval_note("band", self.series.replicates > 1),
            ],
            scale,
        )
    }
}

/// Chart 4: sanctioned, exempted, wrongly sanctioned and wrongly exempted errors per step.
struct Accountability<'a> {
    series: &'a ScenarioSeries,
    title: String,
}

const ACCOUNTABILITY: [(&str, &str, RGBColor); 4] = [
    ("sanctioned", "sanctioned", VERMILLION),
    ("exempted", "exempted", BLUE),
    (
        "wrongly_sanctioned",
        "wrongly sanctioned (exploratory)",
        ORANGE,
    ),
    ("wrongly_exempted", "wrongly exempted (violations)", PURPLE),
];

impl Chart for Accountability<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let (width, _) = root.dim_in_pixel();
        let (plot, legend) = root.split_horizontally((width as f64 * 0.75) as u32);
        let steps = self.series.last_step();
        let stride = self.series.stride;
        let bands: Vec<(Band, &str, RGBColor)> = ACCOUNTABILITY
            .iter()
            .map(|(metric, label, colour)| {
                (
                    self.series
                        .band(WHOLE_HIERARCHY, metric)
                        .cloned()
                        .unwrap_or_default(),
                    *label,
                    *colour,
                )
            })
            .collect();
        let top = bands
            .iter()
            .flat_map(|(band, _, _)| band.high.iter().copied())
            .fold(1.0f64, f64::max)
            * 1.05;
        let mut chart = ChartBuilder::on(&plot)
            .caption(&self.title, font(scale, 34.0))
            .margin((20.0 * scale) as u32)
            .x_label_area_size((70.0 * scale) as u32)
            .y_label_area_size((90.0 * scale) as u32)
            .build_cartesian_2d(0f64..steps, 0f64..top)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("step (annual assessment cycle)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_desc("detected errors per step (count)")
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style(font(scale, 20.0))
            .axis_desc_style(font(scale, 24.0))
            .draw()
            .map_err(fail)?;
        for (band, _, colour) in &bands {
            chart
                .draw_series(std::iter::once(band_polygon(band, *colour, stride)))
                .map_err(fail)?;
            chart
                .draw_series(LineSeries::new(
                    points(&band.mean, stride),
                    stroke(*colour, scale),
                ))
                .map_err(fail)?;
        }
        let mut entries: Vec<(String, RGBColor)> = bands
            .iter()
            .map(|(_, label, colour)| (label.to_string(), *colour))
            .collect();
        entries.push(interval_note("band", self.series.replicates > 1));
        draw_legend(&legend, &entries, scale)
    }
}

/// Chart 3: equilibrium metrics of every scenario with 95% intervals, coloured by class,
/// one panel per metric.
pub(super) struct Equilibria<'a> {
    pub scenarios: &'a [ScenarioEquilibrium],
    pub title: String,
    /// Colour each scenario by its class (equilibria), or all alike (differences).
    pub by_class: bool,
    pub metrics: &'a [&'a str],
}

/// Category names under an x axis, staggered over as many rows as it takes for the longest
/// to fit its slot (every k-th name on the same row), so long scenario names never overlap.
struct CategoryLabels {
    rows: usize,
    line: f64,
    size: f64,
}

impl CategoryLabels {
    fn fit(names: &[String], width: u32, scale: f64) -> Self {
        let size = 16.0;
        // DejaVu Sans averages a little over half an em per character.
        let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) as f64;
        let text = longest * size * scale * 0.6 + 8.0 * scale;
        let slot = width as f64 * 0.8 / names.len().max(1) as f64;
        CategoryLabels {
            rows: ((text / slot).ceil() as usize).clamp(1, 6),
            line: size * scale * 1.3,
            size,
        }
    }

    /// Height of the label area: the rows and the axis description below them.
    fn area(&self, scale: f64) -> u32 {
        (self.rows as f64 * self.line + 40.0 * scale) as u32
    }

    /// Draw `names[i]` under category i, on row i mod rows.
    fn draw<DB: DrawingBackend>(
        &self,
        chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
        names: &[String],
        bottom: f64,
        scale: f64,
    ) -> Outcome {
        for (index, name) in names.iter().enumerate() {
            let row = index % self.rows;
            let style =
                TextStyle::from(font(scale, self.size)).pos(Pos::new(HPos::Center, VPos::Top));
            let offset = (6.0 * scale + row as f64 * self.line) as i32;
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((index as f64, bottom))
                        + Text::new(name.clone(), (0, offset), style),
                ))
                .map_err(fail)?;
        }
        Ok(())
    }
}

impl Equilibria<'_> {
    /// One metric's panel: each scenario's mean and interval.
    fn draw_panel<DB: DrawingBackend>(
        &self,
        panel: &DrawingArea<DB, Shift>,
        metric: &str,
        names: &[String],
        scale: f64,
    ) -> Outcome {
        let count = self.scenarios.len().max(1);
        let description = crate::metrics::meaning(metric);
        let values: Vec<(f64, f64, f64)> = self
            .scenarios
            .iter()
            .map(|s| {
                s.metrics
                    .get(metric)
                    .map(|p| (p.mean, p.low, p.high))
                    .unwrap_or((0.0, 0.0, 0.0))
            })
            .collect();
        let low = values.iter().map(|v| v.1).fold(0.0f64, f64::min);
        let mut high = values.iter().map(|v| v.2).fold(0.0f64, f64::max);
        if high <= low {
            high = low + 1.0;
        }
        let pad = (high - low) * 0.08;
        let labels = CategoryLabels::fit(names, panel.dim_in_pixel().0, scale);
        let mut chart = ChartBuilder::on(panel)
            .caption(metric, font(scale, 24.0))
            .margin((14.0 * scale) as u32)
            .x_label_area_size(labels.area(scale))
            .y_label_area_size((95.0 * scale) as u32)
            .build_cartesian_2d(-0.5f64..count as f64 - 0.5, (low - pad)..(high + pad))
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(count)
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|y| tick_label(*y, high - low + 2.0 * pad))
            .x_desc("scenario")
            .y_desc(description)
            .label_style(font(scale, 16.0))
            .axis_desc_style(font(scale, 17.0))
            .draw()
            .map_err(fail)?;
        labels.draw(&mut chart, names, low - pad, scale)?;
        for (index, ((mean, low, high), scenario)) in values.iter().zip(self.scenarios).enumerate()
        {
            let x = index as f64;
            let colour = if self.by_class {
                class_colour(&scenario.class)
            } else {
                BLUE
            };
            let width = (3.0 * scale).max(1.0) as u32;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, *low), (x, *high)],
                    colour.stroke_width(width),
                )))
                .map_err(fail)?;
            for y in [*low, *high] {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x - 0.12, y), (x + 0.12, y)],
                        colour.stroke_width(width),
                    )))
                    .map_err(fail)?;
            }
            chart
                .draw_series(std::iter::once(Circle::new(
                    (x, *mean),
                    (9.0 * scale) as i32,
                    colour.filled(),
                )))
                .map_err(fail)?;
        }
        Ok(())
    }
}

/// The metrics of the equilibria chart.
const EQUILIBRIUM_PANELS: [&str; 4] = ["mean_innovation", "share_idle", "welfare", "abuse_rate"];

impl Chart for Equilibria<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let (width, _) = root.dim_in_pixel();
        let (plot, legend) = root.split_horizontally((width as f64 * 0.86) as u32);
        let titled = plot
            .margin((12.0 * scale) as u32, 0, 0, 0)
            .titled(&self.title, font(scale, 34.0))
            .map_err(fail)?;
        let layout = match self.metrics.len() {
            0..=2 => (1, self.metrics.len().max(1)),
            3..=4 => (2, 2),
            _ => (2, self.metrics.len().div_ceil(2)),
        };
        let panels = titled.split_evenly(layout);
        let names: Vec<String> = self.scenarios.iter().map(|s| s.name.clone()).collect();
        for (panel, metric) in panels.iter().zip(self.metrics) {
            self.draw_panel(panel, metric, &names, scale)?;
        }
        let mut entries: Vec<(String, RGBColor)> = if self.by_class {
            crate::metrics::CLASSES
                .iter()
                .map(|class| (class_label(class), class_colour(class)))
                .collect()
        } else {
            vec![("difference".to_string(), BLUE)]
        };
        let widths = self.scenarios.iter().flat_map(|s| s.metrics.values());
        entries.push(interval_note(
            "bars",
            widths.into_iter().any(|e| e.high > e.low),
        ));
        draw_legend(&legend, &entries, scale)
    }
}

/// Per-cadre target of every level of a scenario at step 0 (uniform decomposition).
pub fn level_targets(params: &Params) -> Vec<f64> {
    let mut target = params.targets.central;
    (0..params.hierarchy.levels.len())
        .map(|level| {
            target *= 1.0 + params.targets.markup.at(level);
            target
        })
        .collect()
}

/// One chart to draw.
enum Job<'a> {
    Behaviour(Behaviour<'a>),
    Levels(Levels<'a>),
    Accountability(Accountability<'a>),
    Equilibria(Equilibria<'a>),
    Overlay(Overlay<'a>),
}

/// Mean innovation and share idle over time for every scenario compared, one line each
/// (with its 95% band), in two panels side by side.
struct Overlay<'a> {
    series: &'a [(String, &'a ScenarioSeries)],
    title: String,
}

impl Chart for Overlay<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let (width, _) = root.dim_in_pixel();
        let (plot, legend) = root.split_horizontally((width as f64 * 0.8) as u32);
        let titled = plot
            .margin((12.0 * scale) as u32, 0, 0, 0)
            .titled(&self.title, font(scale, 30.0))
            .map_err(fail)?;
        let panels = titled.split_evenly((1, 2));
        let steps = self
            .series
            .iter()
            .map(|(_, s)| s.last_step())
            .fold(1.0, f64::max);
        for (panel, metric) in panels.iter().zip(["mean_innovation", "share_idle"]) {
            let mut chart = ChartBuilder::on(panel)
                .caption(metric, font(scale, 24.0))
                .margin((14.0 * scale) as u32)
                .x_label_area_size((60.0 * scale) as u32)
                .y_label_area_size((80.0 * scale) as u32)
                .build_cartesian_2d(0f64..steps, 0f64..1f64)
                .map_err(fail)?;
            chart
                .configure_mesh()
                .x_desc("step (annual assessment cycle)")
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| tick_label(*y, 1.0))
                .y_desc(crate::metrics::meaning(metric))
                .label_style(font(scale, 17.0))
                .axis_desc_style(font(scale, 19.0))
                .draw()
                .map_err(fail)?;
            for (index, (_, series)) in self.series.iter().enumerate() {
                let colour = LINE_COLOURS[index % LINE_COLOURS.len()];
                let Some(band) = series.band(WHOLE_HIERARCHY, metric) else {
                    continue;
                };
                let stride = series.stride;
                chart
                    .draw_series(std::iter::once(band_polygon(band, colour, stride)))
                    .map_err(fail)?;
                chart
                    .draw_series(LineSeries::new(
                        points(&band.mean, stride),
                        stroke(colour, scale),
                    ))
                    .map_err(fail)?;
            }
        }
        let mut entries: Vec<(String, RGBColor)> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (name.clone(), LINE_COLOURS[i % LINE_COLOURS.len()]))
            .collect();
        let shown = self.series.iter().any(|(_, series)| series.replicates > 1);
        entries.push(interval_note("band", shown));
        draw_legend(&legend, &entries, scale)
    }
}

/// Draw every chart of one or several result directories into `out`; returns the files.
/// With several directories (compare), scenario names are prefixed with the directory label
/// and only the behaviour and equilibrium charts are drawn. Charts render in parallel.
pub fn draw_all(
    results: &[ResultData],
    out: &Path,
    size: (u32, u32),
    overlay: bool,
) -> Result<Vec<PathBuf>, ChartError> {
    crate::output::create_dir(out)?;
    let comparing = results.len() > 1;
    let mut jobs: Vec<(String, Job)> = Vec::new();
    let mut equilibria = Vec::new();
    for result in results {
        let prefix = |name: &str| {
            if comparing {
                compared_name(&result.label, name)
            } else {
                name.to_string()
            }
        };
        for series in &result.series {
            let scenario = result.scenarios.iter().find(|s| s.name == series.name);
            series_jobs(
                &mut jobs,
                series,
                scenario,
                &prefix(&series.name),
                comparing,
            );
        }
        for equilibrium in &result.equilibria {
            let mut equilibrium = equilibrium.clone();
            equilibrium.name = prefix(&equilibrium.name);
            equilibria.push(equilibrium);
        }
    }
    jobs.push((
        "equilibria".to_string(),
        Job::Equilibria(Equilibria {
            scenarios: &equilibria,
            title: "Equilibria compared (level all, coloured by equilibrium class)".to_string(),
            by_class: true,
            metrics: &EQUILIBRIUM_PANELS,
        }),
    ));
    let overlaid: Vec<(String, &ScenarioSeries)> = results
        .iter()
        .flat_map(|result| {
            result.series.iter().map(move |series| {
                let name = if comparing {
                    compared_name(&result.label, &series.name)
                } else {
                    series.name.clone()
                };
                (name, series)
            })
        })
        .collect();
    if overlay {
        jobs.push((
            "overlay".to_string(),
            Job::Overlay(Overlay {
                series: &overlaid,
                title: "Mean innovation and idleness over time, all scenarios (level all)"
                    .to_string(),
            }),
        ));
    }
    render_jobs(&jobs, out, size)
}

/// A scenario's charts over time: behaviour, and unless runs are compared, levels and
/// accountability.
fn series_jobs<'a>(
    jobs: &mut Vec<(String, Job<'a>)>,
    series: &'a ScenarioSeries,
    scenario: Option<&Scenario>,
    name: &str,
    comparing: bool,
) {
    jobs.push((
        format!("behaviour-{name}"),
        Job::Behaviour(Behaviour {
            series,
            events: schedule_events(scenario),
            title: format!("Behaviour over time: {name}"),
        }),
    ));
    if comparing {
        return;
    }
    let targets = scenario
        .map(|s| level_targets(&s.params).into_iter().map(Some).collect())
        .unwrap_or_default();
    jobs.push((
        format!("levels-{name}"),
        Job::Levels(Levels {
            series,
            targets,
            title: format!("Where pressure bites: {name} by level"),
        }),
    ));
    jobs.push((
        format!("accountability-{name}"),
        Job::Accountability(Accountability {
            series,
            title: format!("Accountability: {name}"),
        }),
    ));
}

/// Render the charts in parallel, each to PNG and SVG; the files in the jobs' order.
fn render_jobs(
    jobs: &[(String, Job)],
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    use rayon::prelude::*;
    let rendered: Vec<Result<Vec<PathBuf>, ChartError>> = jobs
        .par_iter()
        .map(|(stem, job)| match job {
            Job::Behaviour(chart) => render(out, stem, size, chart),
            Job::Levels(chart) => render(out, stem, size, chart),
            Job::Accountability(chart) => render(out, stem, size, chart),
            Job::Equilibria(chart) => render(out, stem, size, chart),
            Job::Overlay(chart) => render(out, stem, size, chart),
        })
        .collect();
    let mut files = Vec::new();
    for paths in rendered {
        files.extend(paths?);
    }
    Ok(files)
}

/// Draw `differences.png/.svg` into `out`: each scenario's (paired or Welch) difference from the
/// baseline at the whole hierarchy, with its 95% interval, for the equilibrium panels' metrics.
pub fn draw_differences(
    baseline: &str,
    rows: &[DifferenceRow],
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    crate::output::create_dir(out)?;
    let kind = match rows.iter().map(|row| row.difference.method()).max() {
        Some("welch") if rows.iter().all(|row| row.difference.method() == "welch") => {
            "Unpaired (Welch) differences"
        }
        Some("welch") => "Paired and unpaired (Welch) differences",
        _ => "Paired differences",
    };
    let mut scenarios: Vec<ScenarioEquilibrium> = Vec::new();
    for row in rows.iter().filter(|row| row.level == WHOLE_HIERARCHY) {
        let index = match scenarios.iter().position(|s| s.name == row.scenario) {
            Some(index) => index,
            None => {
                scenarios.push(ScenarioEquilibrium {
                    name: row.scenario.clone(),
                    metrics: Default::default(),
                    class: String::new(),
                });
                scenarios.len() - 1
            }
        };
        let spread = row.difference.spread();
        let (low, high) = spread.ci95.unwrap_or((spread.mean, spread.mean));
        let estimate = crate::stats::Estimate {
            mean: spread.mean,
            low,
            high,
        };
        scenarios[index]
            .metrics
            .insert(row.metric.clone(), estimate);
    }
    let chart = Equilibria {
        scenarios: &scenarios,
        title: format!("{kind} from {baseline} (level all, 95% CI)"),
        by_class: false,
        metrics: &EQUILIBRIUM_PANELS,
    };
    render(out, "differences", size, &chart)
}
