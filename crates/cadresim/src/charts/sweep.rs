//! Sweep charts: innovation-versus-parameter curves (one line per value of the second axis,
//! 95% bands, log x axis for log-spaced sweeps, dots coloured by class, the class thresholds)
//! or, for sampled designs, per-factor scatters (`scatter`), and, with two numeric axes,
//! phase diagrams of mean innovation and of the equilibrium class. Drawn from points.csv and
//! sweep_summary.csv, so `cadresim plot DIR` redraws them.

use std::path::{Path, PathBuf};

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::scatter::{Panel, Scatter};
use super::{
    category_label, class_colour, class_label, draw_legend, fail, font, interval_note, render,
    short_entry, stroke, tick_label, Chart, ChartError, Outcome, GREY, LINE_COLOURS,
};
use crate::metrics::{meaning, CLASSES, WHOLE_HIERARCHY};
use crate::output::tables::{self, LevelSummary};
use crate::rows::PointsTable;

/// What the sweep charts need to know of a sweep's design.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepLayout {
    /// Per axis of the design, in order: (numeric, log-spaced). The first is the x axis.
    pub axes: Vec<(bool, bool)>,
    /// The points lie on a regular grid (phase diagrams draw cells, not dots).
    pub grid: bool,
    /// The points follow a continuation path with outbound and return branches.
    pub path: bool,
    /// The points are sampled over the space (Latin hypercube, Sobol', Morris): scatter
    /// charts per factor instead of curves.
    pub sampled: bool,
    /// Class thresholds drawn on the curves: (metric, value, what holds from there).
    pub thresholds: Vec<(&'static str, f64, String)>,
}

/// Metrics drawn as curves.
pub const CURVE_METRICS: [(&str, &str); 3] = [
    ("mean_innovation", "mean innovation intensity (0-1)"),
    ("share_idle", "share of idle cadres (0-1)"),
    (
        "welfare",
        "welfare (output - damage - private gain - costs)",
    ),
];

/// (x, mean, ci95_low, ci95_high, the point's equilibrium class if it has one) of one point
/// of a curve.
type CurvePoint = (f64, f64, f64, f64, Option<&'static str>);

struct Curve<'a> {
    title: String,
    x_label: String,
    y_label: &'a str,
    log_x: bool,
    /// Category names when the first axis is not numeric.
    categories: Option<Vec<String>>,
    /// (line label, points (x, mean, low, high, class)).
    lines: Vec<(String, Vec<CurvePoint>)>,
    /// Class thresholds on the y axis: (value, what holds from there).
    thresholds: Vec<(f64, String)>,
}

impl Curve<'_> {
    /// Draw on a linear x axis; with `log_x` the data's x are log10 values and the tick
    /// labels show 10^x, which makes the axis logarithmic.
    /// Where the x axis has ticks: each category, or round values (on the log scale).
    fn x_ticks(&self, x_range: &std::ops::Range<f64>) -> Vec<f64> {
        match &self.categories {
            Some(names) => (0..names.len()).map(|i| i as f64).collect(),
            None if self.log_x => log_ticks(10f64.powf(x_range.start), 10f64.powf(x_range.end))
                .into_iter()
                .map(f64::log10)
                .collect(),
            None => linear_ticks(x_range.start, x_range.end),
        }
    }

    fn draw_on<DB: DrawingBackend>(
        &self,
        plot: &DrawingArea<DB, Shift>,
        x_range: std::ops::Range<f64>,
        y_range: std::ops::Range<f64>,
        scale: f64,
    ) -> Outcome {
        let categories = self.categories.clone();
        let log_x = self.log_x;
        let y_span = y_range.end - y_range.start;
        let keys = self.x_ticks(&x_range);
        let mut chart = ChartBuilder::on(plot)
            .caption(&self.title, font(scale, 30.0))
            .margin((20.0 * scale) as u32)
            .x_label_area_size((70.0 * scale) as u32)
            .y_label_area_size((100.0 * scale) as u32)
            .build_cartesian_2d(Ticked::new(x_range, keys), y_range)
            .map_err(fail)?;
        let y_format = move |y: &f64| tick_label(*y, y_span);
        let formatter = move |x: &f64| match &categories {
            Some(names) => category_label(names, *x),
            None if log_x => significant(10f64.powf(*x)),
            None => significant(*x),
        };
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(self.y_label)
            .x_label_formatter(&formatter)
            .y_label_formatter(&y_format)
            .label_style(font(scale, 20.0))
            .axis_desc_style(font(scale, 24.0))
            .draw()
            .map_err(fail)?;
        let to_x = |x: f64| if log_x { x.log10() } else { x };
        for (index, (_, line)) in self.lines.iter().enumerate() {
            let colour = LINE_COLOURS[index % LINE_COLOURS.len()];
            let line: Vec<CurvePoint> = line
                .iter()
                .map(|p| (to_x(p.0), p.1, p.2, p.3, p.4))
                .collect();
            let mut outline: Vec<(f64, f64)> = line.iter().map(|p| (p.0, p.3)).collect();
            let line = &line;
            outline.extend(line.iter().rev().map(|p| (p.0, p.2)));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    outline,
                    colour.mix(0.2).filled(),
                )))
                .map_err(fail)?;
            chart
                .draw_series(LineSeries::new(
                    line.iter().map(|p| (p.0, p.1)),
                    stroke(colour, scale),
                ))
                .map_err(fail)?;
            chart
                .draw_series(line.iter().map(|p| {
                    let fill = p.4.map_or(colour, class_colour);
                    Circle::new((p.0, p.1), (6.0 * scale) as i32, fill.filled())
                }))
                .map_err(fail)?;
            if line.iter().any(|p| p.4.is_some()) {
                chart
                    .draw_series(line.iter().map(|p| {
                        Circle::new((p.0, p.1), (7.0 * scale) as i32, stroke(colour, scale))
                    }))
                    .map_err(fail)?;
            }
        }
        let (x_low, x_high) = (chart.x_range().start, chart.x_range().end);
        let y_range = chart.y_range();
        // A threshold outside the data's range is left out (plotters would draw it on the edge).
        let inside = self
            .thresholds
            .iter()
            .filter(|(value, _)| y_range.contains(value));
        for (value, label) in inside {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x_low, *value), (x_high, *value)],
                    stroke(GREY, scale * 0.8),
                )))
                .map_err(fail)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label.clone(),
                    (x_low, *value),
                    font(scale, 16.0).color(&GREY),
                )))
                .map_err(fail)?;
        }
        Ok(())
    }
}

impl Chart for Curve<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let (width, _) = root.dim_in_pixel();
        let (plot, legend) = root.split_horizontally((width as f64 * 0.78) as u32);
        let xs = self.lines.iter().flat_map(|(_, l)| l.iter().map(|p| p.0));
        let (x_min, x_max) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
        let ys = self
            .lines
            .iter()
            .flat_map(|(_, l)| l.iter().flat_map(|p| [p.2, p.3]));
        let (mut y_min, mut y_max) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(y), b.max(y))
        });
        if !(y_min.is_finite() && y_max.is_finite()) {
            (y_min, y_max) = (0.0, 1.0);
        }
        let pad = ((y_max - y_min) * 0.08).max(1e-3);
        let y_range = (y_min - pad).min(0.0f64.max(y_min - pad))..y_max + pad;
        let (x_min, x_max) = if self.log_x {
            (
                x_min.max(f64::MIN_POSITIVE).log10(),
                x_max.max(f64::MIN_POSITIVE).log10(),
            )
        } else {
            (x_min, x_max)
        };
        let span = (x_max - x_min).max(1e-9);
        self.draw_on(
            &plot,
            x_min - span * 0.04..x_max + span * 0.04,
            y_range,
            scale,
        )?;
        let mut entries: Vec<(String, RGBColor)> = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, (label, _))| (short_entry(label), LINE_COLOURS[i % LINE_COLOURS.len()]))
            .collect();
        let widths = self.lines.iter().flat_map(|(_, line)| line.iter());
        entries.push(interval_note("band", widths.into_iter().any(|p| p.3 > p.2)));
        let classes = CLASSES.iter().filter(|class| {
            self.lines
                .iter()
                .any(|(_, line)| line.iter().any(|p| p.4 == Some(**class)))
        });
        entries.extend(
            classes.map(|class| (format!("dot: {}", class_label(class)), class_colour(class))),
        );
        if !self.thresholds.is_empty() {
            entries.push(("grey lines: class thresholds".to_string(), GREY));
        }
        draw_legend(&legend, &entries, scale)
    }
}

/// A linear f64 axis with ticks at chosen values (plotters' own picks are not round on a log
/// axis drawn in log10 units).
struct Ticked {
    inner: RangedCoordf64,
    keys: Vec<f64>,
}

impl Ticked {
    fn new(range: std::ops::Range<f64>, keys: Vec<f64>) -> Self {
        Ticked {
            inner: range.into(),
            keys,
        }
    }
}

impl Ranged for Ticked {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.keys.clone()
        }
    }
}

/// Round tick values for a log axis over [low, high]: powers of two when the range spans at
/// most 2^6 (0.5, 1, 2, 4, 8, 16, 32), 1-2-5 steps up to four decades
/// (1, 2, 5, 10, ...), powers of ten beyond.
pub fn log_ticks(low: f64, high: f64) -> Vec<f64> {
    if !(low > 0.0 && high > low && high.is_finite()) {
        return Vec::new();
    }
    let decades = (high / low).log10();
    let inside = |value: &f64| *value >= low * (1.0 - 1e-9) && *value <= high * (1.0 + 1e-9);
    let (first, last) = (low.log10().floor() as i32, high.log10().ceil() as i32);
    let ticks: Vec<f64> = if decades <= 1.81 {
        let (a, b) = (low.log2().floor() as i32, high.log2().ceil() as i32);
        (a..=b).map(|k| 2f64.powi(k)).filter(inside).collect()
    } else if decades <= 4.0 {
        (first..=last)
            .flat_map(|k| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(k)))
            .filter(inside)
            .collect()
    } else {
        (first..=last)
            .map(|k| 10f64.powi(k))
            .filter(inside)
            .collect()
    };
    ticks
}

/// Round tick values for a linear axis over [low, high]: multiples of a 1-2-5 step, about
/// six of them.
pub fn linear_ticks(low: f64, high: f64) -> Vec<f64> {
    let span = high - low;
    if !(span > 0.0 && span.is_finite()) {
        return vec![low];
    }
    let raw = span / 6.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (low / step).ceil() as i64;
    let last = (high / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// A number with at most 3 significant digits, for tick labels.
fn significant(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let digits = 2 - value.abs().log10().floor() as i32;
    let factor = 10f64.powi(digits);
    format!("{}", (value * factor).round() / factor)
}

/// A colour-blind-friendly sequential scale (viridis, 5 stops), t in [0, 1].
fn viridis(t: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = t.clamp(0.0, 1.0) * 4.0;
    let i = (t.floor() as usize).min(3);
    let f = t - i as f64;
    let mix = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// A phase diagram over two numeric axes: cells (grid) or dots (Latin hypercube).
struct Phase {
    title: String,
    x_label: String,
    y_label: String,
    /// (x index or value, y index or value, colour).
    cells: Vec<(f64, f64, RGBColor)>,
    x_ticks: Vec<String>,
    y_ticks: Vec<String>,
    grid: bool,
    legend: Vec<(String, RGBColor)>,
}

impl Chart for Phase {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let (width, _) = root.dim_in_pixel();
        let (plot, legend) = root.split_horizontally((width as f64 * 0.8) as u32);
        let (x_ticks, y_ticks) = (self.x_ticks.clone(), self.y_ticks.clone());
        let (nx, ny) = (
            self.x_ticks.len().max(1) as f64,
            self.y_ticks.len().max(1) as f64,
        );
        let (x_range, y_range) = if self.grid {
            (-0.5..nx - 0.5, -0.5..ny - 0.5)
        } else {
            let bounds = |values: Vec<f64>| {
                let (a, b) = values
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                        (a.min(*v), b.max(*v))
                    });
                let pad = ((b - a) * 0.05).max(1e-9);
                a - pad..b + pad
            };
            (
                bounds(self.cells.iter().map(|c| c.0).collect()),
                bounds(self.cells.iter().map(|c| c.1).collect()),
            )
        };
        let mut chart = ChartBuilder::on(&plot)
            .caption(&self.title, font(scale, 32.0))
            .margin((20.0 * scale) as u32)
            .x_label_area_size((70.0 * scale) as u32)
            .y_label_area_size((100.0 * scale) as u32)
            .build_cartesian_2d(x_range, y_range)
            .map_err(fail)?;
        let grid = self.grid;
        let tick = move |names: &Vec<String>, v: &f64| {
            if !grid {
                return format!("{}", (v * 1000.0).round() / 1000.0);
            }
            category_label(names, *v)
        };
        let x_format = |v: &f64| tick(&x_ticks, v);
        let y_format = |v: &f64| tick(&y_ticks, v);
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_labels(self.x_ticks.len().min(16))
            .y_labels(self.y_ticks.len().min(16))
            .x_label_formatter(&x_format)
            .y_label_formatter(&y_format)
            .label_style(font(scale, 17.0))
            .axis_desc_style(font(scale, 24.0))
            .draw()
            .map_err(fail)?;
        if self.grid {
            chart
                .draw_series(self.cells.iter().map(|(x, y, colour)| {
                    Rectangle::new([(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)], colour.filled())
                }))
                .map_err(fail)?;
        } else {
            chart
                .draw_series(self.cells.iter().map(|(x, y, colour)| {
                    Circle::new((*x, *y), (8.0 * scale) as i32, colour.filled())
                }))
                .map_err(fail)?;
        }
        draw_legend(&legend, &self.legend, scale)
    }
}

/// Draw every sweep chart of `dir` into `out`.
pub fn draw_sweep(
    layout: &SweepLayout,
    dir: &Path,
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    use rayon::prelude::*;
    crate::output::create_dir(out)?;
    let points = tables::read_points(&dir.join("points.csv"))?;
    let rows = tables::read_statistics(&dir.join("sweep_summary.csv"))?;
    let mut stats = tables::summaries_at(&rows, WHOLE_HIERARCHY);
    stats.resize(points.points.len(), LevelSummary::default());
    if points.columns.is_empty() || points.points.is_empty() || layout.axes.is_empty() {
        return Ok(Vec::new());
    }
    let curves = match layout.sampled {
        true => Vec::new(),
        false => build_curves(layout, &points, &stats),
    };
    let scatters = match layout.sampled {
        true => build_scatters(layout, &points, &stats),
        false => Vec::new(),
    };
    let phases = build_phases(layout, &points, &stats);
    let rendered: Vec<Result<Vec<PathBuf>, ChartError>> = curves
        .par_iter()
        .map(|(stem, chart)| render(out, stem, size, chart))
        .chain(
            scatters
                .par_iter()
                .map(|(stem, chart)| render(out, stem, size, chart)),
        )
        .chain(
            phases
                .par_iter()
                .map(|(stem, chart)| render(out, stem, size, chart)),
        )
        .collect();
    let mut files = Vec::new();
    for paths in rendered {
        files.extend(paths?);
    }
    Ok(files)
}

/// What the tipping-point chart of a boundary design needs beyond `boundary.csv`.
pub struct BoundaryLayout<'a> {
    /// The searched axis (a parameter key).
    pub axis: &'a str,
    pub condition: &'a str,
    /// Per axis after the first: (numeric, log-spaced).
    pub others: Vec<(bool, bool)>,
}

/// Draw `boundary.png/.svg` into `out` from `dir/boundary.csv`: the crossing (mean over
/// replicates, 95% band) against the second axis, one line per value of the axes after it;
/// searches without a crossing are left out (their flag is in the table).
pub fn draw_boundary(
    layout: &BoundaryLayout,
    dir: &Path,
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    crate::output::create_dir(out)?;
    let (columns, rows) = tables::read_boundary(&dir.join("boundary.csv"))?;
    let (numeric, log) = layout.others.first().copied().unwrap_or((false, false));
    let mut categories: Vec<String> = Vec::new();
    for row in &rows {
        let x = row
            .labels
            .first()
            .cloned()
            .unwrap_or_else(|| "all".to_string());
        if !categories.contains(&x) {
            categories.push(x);
        }
    }
    let mut lines: Vec<(String, Vec<CurvePoint>)> = Vec::new();
    for row in &rows {
        let (Some(estimate), x) = (
            row.estimate,
            row.labels
                .first()
                .cloned()
                .unwrap_or_else(|| "all".to_string()),
        ) else {
            continue;
        };
        let (low, high) = row.ci95.unwrap_or((estimate, estimate));
        let x = if numeric {
            x.parse().unwrap_or(0.0)
        } else {
            categories.iter().position(|c| *c == x).unwrap_or(0) as f64
        };
        let group = if row.labels.len() <= 1 {
            "crossing".to_string()
        } else {
            line_label(&columns, &row.labels)
        };
        let index = match lines.iter().position(|(g, _)| *g == group) {
            Some(i) => i,
            None => {
                lines.push((group, Vec::new()));
                lines.len() - 1
            }
        };
        lines[index].1.push((x, estimate, low, high, None));
    }
    for (_, line) in &mut lines {
        line.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let x_label = match columns.first() {
        Some(column) if log => format!("{column} (log scale)"),
        Some(column) => column.clone(),
        None => String::new(),
    };
    let y_label = format!("critical value: {}", axis_meaning(layout.axis));
    let chart = Curve {
        title: format!(
            "Critical {} where {} starts to hold (95% CI)",
            layout.axis, layout.condition
        ),
        x_label,
        y_label: &y_label,
        log_x: numeric && log,
        categories: (!numeric).then_some(categories),
        lines,
        thresholds: Vec::new(),
    };
    render(out, "boundary", size, &chart)
}

/// The label of the line a point belongs to: the values of every axis after the first.
fn line_label(columns: &[String], labels: &[String]) -> String {
    if labels.len() <= 1 {
        return "all points".to_string();
    }
    columns[1..]
        .iter()
        .zip(&labels[1..])
        .map(|(c, v)| {
            if c == "branch" {
                v.clone()
            } else {
                format!("{c} = {v}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One curve per metric of `CURVE_METRICS` against the first axis, a line per value of the
/// other axes.
fn build_curves<'a>(
    layout: &SweepLayout,
    points: &PointsTable,
    stats: &[LevelSummary],
) -> Vec<(String, Curve<'a>)> {
    let columns = &points.columns;
    let (numeric, log) = layout.axes[0];
    let mut categories: Vec<String> = Vec::new();
    for (_, labels) in &points.points {
        if !categories.contains(&labels[0]) {
            categories.push(labels[0].clone());
        }
    }
    let x_of = |label: &String| -> f64 {
        if numeric {
            label.parse().unwrap_or(0.0)
        } else {
            categories.iter().position(|c| c == label).unwrap_or(0) as f64
        }
    };
    let mut curves = Vec::new();
    for (metric, description) in CURVE_METRICS {
        let mut lines: Vec<(String, Vec<CurvePoint>)> = Vec::new();
        // The point before a path's first `return` point is the turning point: both
        // branches include it, so the hysteresis loop is drawn closed.
        let mut previous: Option<(&Vec<String>, CurvePoint)> = None;
        for ((_, row), stat) in points.points.iter().zip(stats) {
            let group = line_label(columns, row);
            let Some(estimate) = stat.metrics.get(metric) else {
                continue;
            };
            let index = match lines.iter().position(|(g, _)| *g == group) {
                Some(i) => i,
                None => {
                    lines.push((group, Vec::new()));
                    lines.len() - 1
                }
            };
            let point = (
                x_of(&row[0]),
                estimate.mean,
                estimate.low,
                estimate.high,
                Some(stat.class),
            );
            if layout.path && row.get(1).is_some_and(|b| b == "return") {
                if let Some((before, turn)) = previous {
                    if before.get(1).is_some_and(|b| b == "outbound") && before[2..] == row[2..] {
                        lines[index].1.push(turn);
                    }
                }
            }
            lines[index].1.push(point);
            previous = Some((row, point));
        }
        for (_, line) in &mut lines {
            line.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        curves.push((
            format!("curve-{metric}"),
            Curve {
                title: format!(
                    "{} against {}",
                    capitalised(meaning(metric)),
                    axis_meaning(&columns[0])
                ),
                x_label: if log {
                    format!("{} (log scale)", columns[0])
                } else {
                    columns[0].clone()
                },
                y_label: description,
                log_x: log,
                categories: (!numeric).then(|| categories.clone()),
                lines,
                thresholds: layout
                    .thresholds
                    .iter()
                    .filter(|t| t.0 == metric)
                    .map(|t| (t.1, t.2.clone()))
                    .collect(),
            },
        ));
    }
    curves
}

/// For a sampled design, one scatter chart per metric of `CURVE_METRICS`: a panel per
/// numeric factor (variants axes have no scale to scatter on).
fn build_scatters(
    layout: &SweepLayout,
    points: &PointsTable,
    stats: &[LevelSummary],
) -> Vec<(String, Scatter)> {
    let factors: Vec<usize> = (0..points.columns.len())
        .filter(|&i| layout.axes.get(i).is_some_and(|axis| axis.0))
        .collect();
    CURVE_METRICS
        .iter()
        .map(|(metric, description)| {
            let panels = factors
                .iter()
                .map(|&i| Panel {
                    factor: points.columns[i].clone(),
                    log: layout.axes[i].1,
                    points: points
                        .points
                        .iter()
                        .zip(stats)
                        .filter_map(|((_, labels), stat)| {
                            let x = labels.get(i)?.parse().ok()?;
                            Some((x, stat.metrics.get(*metric)?.mean, stat.class))
                        })
                        .collect(),
                })
                .collect();
            let chart = Scatter {
                title: format!(
                    "{} against each factor ({} points)",
                    capitalised(meaning(metric)),
                    points.points.len()
                ),
                y_label: description.to_string(),
                panels,
            };
            (format!("scatter-{metric}"), chart)
        })
        .collect()
}

/// A sentence's first letter in capitals.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What an axis varies, in words: the registry's meaning of its parameter ("the sanction of a
/// detected, unexempted error"), or the axis name of a variants axis.
fn axis_meaning(column: &str) -> String {
    match crate::registry::lookup(column) {
        Some(spec) => format!("the {}", spec.meaning),
        None => column.to_string(),
    }
}

/// With exactly two numeric axes: phase diagrams of mean innovation and of the class.
fn build_phases(
    layout: &SweepLayout,
    points: &PointsTable,
    stats: &[LevelSummary],
) -> Vec<(String, Phase)> {
    if layout.axes.len() != 2 || !layout.axes.iter().all(|(numeric, _)| *numeric) {
        return Vec::new();
    }
    let columns = &points.columns;
    let labels: Vec<&Vec<String>> = points.points.iter().map(|(_, l)| l).collect();
    let grid = layout.grid;
    let mut x_ticks: Vec<String> = Vec::new();
    let mut y_ticks: Vec<String> = Vec::new();
    for row in &labels {
        if !x_ticks.contains(&row[0]) {
            x_ticks.push(row[0].clone());
        }
        if !y_ticks.contains(&row[1]) {
            y_ticks.push(row[1].clone());
        }
    }
    let position = |ticks: &Vec<String>, label: &String| -> f64 {
        if grid {
            ticks.iter().position(|t| t == label).unwrap_or(0) as f64
        } else {
            label.parse().unwrap_or(0.0)
        }
    };
    let innovation: Vec<f64> = stats
        .iter()
        .map(|s| s.metrics.get("mean_innovation").map_or(0.0, |m| m.mean))
        .collect();
    let (low, high) = innovation
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    let span = (high - low).max(1e-9);
    let round = |v: f64| format!("{}", (v * 1000.0).round() / 1000.0);
    let tick_labels = |ticks: &Vec<String>| -> Vec<String> {
        ticks
            .iter()
            .map(|t| t.parse::<f64>().map(round).unwrap_or_else(|_| t.clone()))
            .collect()
    };
    let cells = |colour: &dyn Fn(usize) -> RGBColor| -> Vec<(f64, f64, RGBColor)> {
        labels
            .iter()
            .enumerate()
            .map(|(i, row)| {
                (
                    position(&x_ticks, &row[0]),
                    position(&y_ticks, &row[1]),
                    colour(i),
                )
            })
            .collect()
    };
    let mut scale_legend: Vec<(String, RGBColor)> = (0..5)
        .map(|i| {
            let t = i as f64 / 4.0;
            (round(low + span * t), viridis(t))
        })
        .collect();
    scale_legend.reverse();
    let phase = |title: &str, cells, legend| Phase {
        title: title.to_string(),
        x_label: columns[0].clone(),
        y_label: columns[1].clone(),
        cells,
        x_ticks: tick_labels(&x_ticks),
        y_ticks: tick_labels(&y_ticks),
        grid,
        legend,
    };
    vec![
        (
            "phase-mean_innovation".to_string(),
            phase(
                "Phase diagram: equilibrium mean innovation",
                cells(&|i| viridis((innovation[i] - low) / span)),
                scale_legend,
            ),
        ),
        (
            "phase-class".to_string(),
            phase(
                "Phase diagram: equilibrium class (most frequent)",
                cells(&|i| class_colour(stats[i].class)),
                CLASSES
                    .iter()
                    .map(|c| (class_label(c), class_colour(c)))
                    .collect(),
            ),
        ),
    ]
}
