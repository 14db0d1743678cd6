//! The charts of a calibration: the posterior's pair plot (weighted histograms on the
//! diagonal, particles below it, each axis over its prior range), the non-implausible share
//! of the prior after each wave, the predictive check of each target (the 95% predictive
//! interval and the observed value), and the emulators' validation (the root mean square of
//! standardized errors on held-out runs, 1 when the emulators' variances are right).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    draw_legend, fail, font, render, split_legend, stroke, tick_label, Chart, ChartError, Outcome,
    BLACK_, BLUE, GREY, LINE_COLOURS, VERMILLION,
};

/// A weighted sample of parameter vectors on their natural scales.
pub struct Posterior {
    /// Per parameter: key, prior range, whether the prior is log-uniform.
    pub parameters: Vec<(String, (f64, f64), bool)>,
    pub points: Vec<Vec<f64>>,
    pub weights: Vec<f64>,
}

/// One target's predictive check.
pub struct Predicted {
    pub target: String,
    pub value: f64,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

/// What the calibration charts show.
pub struct Calibration {
    pub posterior: Option<Posterior>,
    /// (wave, non-implausible share).
    pub volumes: Vec<(usize, f64)>,
    pub predictive: Vec<Predicted>,
    /// (wave, target, RMS standardized error).
    pub validation: Vec<(usize, String, f64)>,
}

/// Draw the charts into `out`; returns the files written.
pub fn draw_calibration(
    calibration: &Calibration,
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    crate::output::create_dir(out)?;
    let mut files = Vec::new();
    if let Some(posterior) = &calibration.posterior {
        let side = size.1.max(size.0.min(2000));
        files.extend(render(out, "posterior", (side, side), posterior)?);
    }
    if !calibration.volumes.is_empty() {
        files.extend(render(out, "waves", size, &Volumes(&calibration.volumes))?);
    }
    if !calibration.predictive.is_empty() {
        files.extend(render(
            out,
            "predictive",
            size,
            &Checks(&calibration.predictive),
        )?);
    }
    if !calibration.validation.is_empty() {
        files.extend(render(
            out,
            "emulators",
            size,
            &Validation(&calibration.validation),
        )?);
    }
    Ok(files)
}

/// Where a value sits on a parameter's axis: log10 for a log-uniform prior.
fn axis(value: f64, log: bool) -> f64 {
    if log {
        value.max(f64::MIN_POSITIVE).log10()
    } else {
        value
    }
}

const HISTOGRAM_BINS: usize = 20;
/// BLUE at 35% on white: the predictive interval.
const LIGHT_BLUE: RGBColor = RGBColor(166, 206, 228);

impl Chart for Posterior {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let d = self.parameters.len();
        let (title, grid) = root.split_vertically((50.0 * scale) as u32);
        title
            .titled(
                "Posterior (diagonal: weighted histograms, titled by the key's last part; below: particles; axes span the priors)",
                font(scale, 22.0),
            )
            .map_err(fail)?;
        let panels = grid.split_evenly((d, d));
        for (index, panel) in panels.iter().enumerate() {
            let (row, column) = (index / d, index % d);
            if column > row {
                continue;
            }
            if row == column {
                self.histogram(panel, row, scale)?;
            } else {
                self.scatter(panel, row, column, scale)?;
            }
        }
        Ok(())
    }
}

impl Posterior {
    fn range(&self, p: usize) -> (f64, f64) {
        let (_, (low, high), log) = &self.parameters[p];
        (axis(*low, *log), axis(*high, *log))
    }

    fn histogram<DB: DrawingBackend>(
        &self,
        panel: &DrawingArea<DB, Shift>,
        p: usize,
        scale: f64,
    ) -> Outcome {
        let (low, high) = self.range(p);
        let log = self.parameters[p].2;
        let mut mass = [0.0f64; HISTOGRAM_BINS];
        for (point, w) in self.points.iter().zip(&self.weights) {
            let u = (axis(point[p], log) - low) / (high - low);
            mass[((u * HISTOGRAM_BINS as f64) as usize).min(HISTOGRAM_BINS - 1)] += w;
        }
        let top = mass
            .iter()
            .cloned()
            .fold(0.0, f64::max)
            .max(f64::MIN_POSITIVE)
            * 1.1;
        // The key's last part: whole keys are wider than a panel of 13 parameters.
        let key = &self.parameters[p].0;
        let name = key.rsplit('.').next().unwrap_or(key).to_string();
        let label = if log { format!("{name} (log10)") } else { name };
        let mut chart = ChartBuilder::on(panel)
            .caption(label, font(scale, 13.0))
            .margin((4.0 * scale) as u32)
            .x_label_area_size((22.0 * scale) as u32)
            .build_cartesian_2d(low..high, 0.0..top)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .y_labels(0)
            .x_labels(3)
            .x_label_formatter(&|x| tick_label(*x, high - low))
            .label_style(font(scale, 11.0))
            .draw()
            .map_err(fail)?;
        let width = (high - low) / HISTOGRAM_BINS as f64;
        chart
            .draw_series(mass.iter().enumerate().map(|(i, m)| {
                let x = low + i as f64 * width;
                Rectangle::new([(x, 0.0), (x + width, *m)], BLUE.mix(0.7).filled())
            }))
            .map_err(fail)?;
        Ok(())
    }

    fn scatter<DB: DrawingBackend>(
        &self,
        panel: &DrawingArea<DB, Shift>,
        row: usize,
        column: usize,
        scale: f64,
    ) -> Outcome {
        let (x_low, x_high) = self.range(column);
        let (y_low, y_high) = self.range(row);
        let (x_log, y_log) = (self.parameters[column].2, self.parameters[row].2);
        let mut chart = ChartBuilder::on(panel)
            .margin((4.0 * scale) as u32)
            .build_cartesian_2d(x_low..x_high, y_low..y_high)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(0)
            .y_labels(0)
            .draw()
            .map_err(fail)?;
        let most = self
            .weights
            .iter()
            .cloned()
            .fold(0.0, f64::max)
            .max(f64::MIN_POSITIVE);
        chart
            .draw_series(self.points.iter().zip(&self.weights).map(|(point, w)| {
                let position = (axis(point[column], x_log), axis(point[row], y_log));
                Circle::new(
                    position,
                    (1.5 * scale).max(1.0) as i32,
                    BLACK_.mix(0.15 + 0.6 * w / most).filled(),
                )
            }))
            .map_err(fail)?;
        Ok(())
    }
}

struct Volumes<'a>(&'a [(usize, f64)]);

impl Chart for Volumes<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let last = self.0.last().map_or(1, |v| v.0) as f64;
        let smallest = self.0.iter().map(|v| v.1).fold(1.0, f64::min).max(1e-12);
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Non-implausible share of the prior after each wave of history matching",
                font(scale, 24.0),
            )
            .margin((16.0 * scale) as u32)
            .x_label_area_size((60.0 * scale) as u32)
            .y_label_area_size((90.0 * scale) as u32)
            .build_cartesian_2d(0.0..last + 0.5, (smallest / 2.0..1.0).log_scale())
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_labels(self.0.len() + 1)
            .x_label_formatter(&|x| tick_label(*x, 10.0))
            .x_desc("wave (0: the prior)")
            .y_desc("non-implausible share (log scale)")
            .label_style(font(scale, 17.0))
            .axis_desc_style(font(scale, 18.0))
            .draw()
            .map_err(fail)?;
        let mut line = vec![(0.0, 1.0)];
        line.extend(self.0.iter().map(|&(w, v)| (w as f64, v.max(1e-12))));
        chart
            .draw_series(LineSeries::new(line.clone(), stroke(BLUE, scale)))
            .map_err(fail)?;
        chart
            .draw_series(
                line.iter()
                    .map(|&p| Circle::new(p, (6.0 * scale) as i32, BLUE.filled())),
            )
            .map_err(fail)?;
        Ok(())
    }
}

struct Checks<'a>(&'a [Predicted]);

impl Chart for Checks<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let (plot, legend) = split_legend(root);
        let (title, body) = plot.split_vertically((50.0 * scale) as u32);
        title
            .titled("Predictive check: simulator at posterior draws, with measurement and discrepancy noise", font(scale, 20.0))
            .map_err(fail)?;
        for (panel, check) in body.split_evenly((self.0.len(), 1)).iter().zip(self.0) {
            let low = check.low.min(check.value);
            let high = check.high.max(check.value);
            let pad = (high - low).max(f64::MIN_POSITIVE) * 0.15;
            let mut chart = ChartBuilder::on(panel)
                .caption(&check.target, font(scale, 15.0))
                .margin((6.0 * scale) as u32)
                .x_label_area_size((26.0 * scale) as u32)
                .build_cartesian_2d(low - pad..high + pad, -1.0..1.0)
                .map_err(fail)?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(0)
                .x_labels(6)
                .x_label_formatter(&|x| tick_label(*x, high - low + 2.0 * pad))
                .label_style(font(scale, 13.0))
                .draw()
                .map_err(fail)?;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(check.low, -0.3), (check.high, 0.3)],
                    LIGHT_BLUE.filled(),
                )))
                .map_err(fail)?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(check.mean, -0.45), (check.mean, 0.45)],
                    stroke(BLUE, scale),
                )))
                .map_err(fail)?;
            chart
                .draw_series(std::iter::once(Circle::new(
                    (check.value, 0.0),
                    (7.0 * scale) as i32,
                    VERMILLION.filled(),
                )))
                .map_err(fail)?;
        }
        draw_legend(
            &legend,
            &[
                ("95% predictive interval".to_string(), LIGHT_BLUE),
                ("predictive mean".to_string(), BLUE),
                ("target value".to_string(), VERMILLION),
            ],
            scale,
        )
    }
}

struct Validation<'a>(&'a [(usize, String, f64)]);

impl Chart for Validation<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let mut targets: Vec<&str> = Vec::new();
        for (_, target, _) in self.0 {
            if !targets.contains(&target.as_str()) {
                targets.push(target);
            }
        }
        let last = self.0.iter().map(|v| v.0).max().unwrap_or(1) as f64;
        let top = self.0.iter().map(|v| v.2).fold(2.0, f64::max) * 1.1;
        let (plot, legend) = split_legend(root);
        let mut chart = ChartBuilder::on(&plot)
            .caption(
                "Emulator validation on held-out runs (1: variances right; below: conservative)",
                font(scale, 22.0),
            )
            .margin((16.0 * scale) as u32)
            .x_label_area_size((60.0 * scale) as u32)
            .y_label_area_size((80.0 * scale) as u32)
            .build_cartesian_2d(0.5..last + 0.5, 0.0..top)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_labels(last as usize + 1)
            .x_label_formatter(&|x| tick_label(*x, 10.0))
            .x_desc("wave")
            .y_desc("RMS standardized error")
            .label_style(font(scale, 17.0))
            .axis_desc_style(font(scale, 18.0))
            .draw()
            .map_err(fail)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.5, 1.0), (last + 0.5, 1.0)],
                stroke(GREY, scale),
            )))
            .map_err(fail)?;
        let mut entries = Vec::new();
        for (index, target) in targets.iter().enumerate() {
            let colour = LINE_COLOURS[index % LINE_COLOURS.len()];
            let offset = (index as f64 - targets.len() as f64 / 2.0) * 0.04;
            chart
                .draw_series(self.0.iter().filter(|v| v.1 == *target).map(|v| {
                    Circle::new(
                        (v.0 as f64 + offset, v.2),
                        (7.0 * scale) as i32,
                        colour.filled(),
                    )
                }))
                .map_err(fail)?;
            entries.push((super::short_label(target), colour));
        }
        draw_legend(&legend, &entries, scale)
    }
}
