//! Scatter charts of a sampled sweep (Latin hypercube, Sobol', Morris), what such designs call
//! for instead of curves: per metric, one panel per numeric factor with every point's
//! equilibrium mean against the factor's value, coloured by the point's equilibrium class,
//! and a smoother, the mean of the metric in ten equal-count bins of the factor.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    class_colour, class_label, draw_legend, fail, font, split_legend, stroke, tick_label, Chart,
    Outcome, BLACK_,
};
use crate::metrics::CLASSES;

/// Bins of the smoother (fewer when there are fewer than three points per bin).
pub const BINS: usize = 10;

/// One factor's panel: its name, whether its values are log-spaced, and the points
/// (value, metric mean, class).
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    pub factor: String,
    pub log: bool,
    pub points: Vec<(f64, f64, &'static str)>,
}

impl Panel {
    /// The smoother: (mean x, mean y) of equal-count bins of the points sorted by x (x in
    /// log10 for a log-spaced factor, as drawn).
    pub fn smoother(&self) -> Vec<(f64, f64)> {
        let mut xy: Vec<(f64, f64)> = self
            .points
            .iter()
            .map(|&(x, y, _)| (self.axis(x), y))
            .collect();
        xy.sort_by(|a, b| a.0.total_cmp(&b.0));
        let bins = BINS.min(xy.len() / 3).max(1);
        (0..bins)
            .map(|bin| {
                let part = &xy[bin * xy.len() / bins..(bin + 1) * xy.len() / bins];
                let n = part.len().max(1) as f64;
                let x = part.iter().map(|p| p.0).sum::<f64>() / n;
                let y = part.iter().map(|p| p.1).sum::<f64>() / n;
                (x, y)
            })
            .collect()
    }

    /// Where a value is drawn: log10 for a log-spaced factor.
    fn axis(&self, x: f64) -> f64 {
        if self.log {
            x.max(f64::MIN_POSITIVE).log10()
        } else {
            x
        }
    }
}

/// One metric against every factor.
pub struct Scatter {
    pub title: String,
    pub y_label: String,
    pub panels: Vec<Panel>,
}

impl Chart for Scatter {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let root = root.titled(&self.title, font(scale, 26.0)).map_err(fail)?;
        let (area, legend) = split_legend(&root);
        let count = self.panels.len().max(1);
        let columns = (count as f64).sqrt().ceil() as usize;
        let rows = count.div_ceil(columns);
        let ys = self
            .panels
            .iter()
            .flat_map(|p| p.points.iter().map(|q| q.1));
        let (low, high) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(y), b.max(y))
        });
        let (low, high) = if low.is_finite() {
            (low, high)
        } else {
            (0.0, 1.0)
        };
        let pad = ((high - low) * 0.06).max(1e-3);
        let y_range = low - pad..high + pad;
        for (plot, panel) in area.split_evenly((rows, columns)).iter().zip(&self.panels) {
            draw_panel(plot, panel, &self.y_label, y_range.clone(), scale)?;
        }
        let mut entries: Vec<(String, RGBColor)> = CLASSES
            .iter()
            .filter(|c| {
                self.panels
                    .iter()
                    .any(|p| p.points.iter().any(|q| q.2 == **c))
            })
            .map(|c| (class_label(c), class_colour(c)))
            .collect();
        let bins = self.panels.first().map_or(0, |p| p.smoother().len());
        entries.push((format!("line: mean in {bins} equal-count bins"), BLACK_));
        draw_legend(&legend, &entries, scale)
    }
}

fn draw_panel<DB: DrawingBackend>(
    plot: &DrawingArea<DB, Shift>,
    panel: &Panel,
    y_label: &str,
    y_range: std::ops::Range<f64>,
    scale: f64,
) -> Outcome {
    let xs = panel.points.iter().map(|p| panel.axis(p.0));
    let (x_min, x_max) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let (x_min, x_max) = if x_min.is_finite() {
        (x_min, x_max)
    } else {
        (0.0, 1.0)
    };
    let span = (x_max - x_min).max(1e-9);
    let y_span = y_range.end - y_range.start;
    let log = panel.log;
    let mut chart = ChartBuilder::on(plot)
        .margin((10.0 * scale) as u32)
        .x_label_area_size((48.0 * scale) as u32)
        .y_label_area_size((64.0 * scale) as u32)
        .build_cartesian_2d(x_min - span * 0.04..x_max + span * 0.04, y_range)
        .map_err(fail)?;
    let x_format = move |x: &f64| match log {
        true => tick_label(10f64.powf(*x), 10f64.powf(*x).abs()),
        false => tick_label(*x, span),
    };
    chart
        .configure_mesh()
        .x_labels(5)
        .y_labels(5)
        .x_desc(match log {
            true => format!("{} (log scale)", panel.factor),
            false => panel.factor.clone(),
        })
        .y_desc(y_label)
        .x_label_formatter(&x_format)
        .y_label_formatter(&|y| tick_label(*y, y_span))
        .label_style(font(scale, 13.0))
        .axis_desc_style(font(scale, 15.0))
        .draw()
        .map_err(fail)?;
    let radius = (3.0 * scale).max(1.0) as i32;
    chart
        .draw_series(panel.points.iter().map(|&(x, y, class)| {
            Circle::new(
                (panel.axis(x), y),
                radius,
                class_colour(class).mix(0.7).filled(),
            )
        }))
        .map_err(fail)?;
    chart
        .draw_series(LineSeries::new(
            panel.smoother(),
            stroke(BLACK_, scale * 1.2),
        ))
        .map_err(fail)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smoother_is_the_mean_of_equal_count_bins() {
        let points: Vec<(f64, f64, &str)> = (0..30)
            .map(|i| (i as f64, (i % 3) as f64, "mixed"))
            .collect();
        let panel = Panel {
            factor: "x".into(),
            log: false,
            points,
        };
        let smooth = panel.smoother();
        assert_eq!(smooth.len(), 10);
        assert_eq!(smooth[0], (1.0, 1.0));
        assert_eq!(smooth[9], (28.0, 1.0));
        // Few points: one bin per three.
        let few = Panel {
            points: panel.points[..7].to_vec(),
            ..panel.clone()
        };
        assert_eq!(few.smoother().len(), 2);
        // A log-spaced factor is binned and drawn in log10.
        let log = Panel {
            log: true,
            points: vec![
                (1.0, 0.0, "mixed"),
                (10.0, 1.0, "mixed"),
                (100.0, 2.0, "mixed"),
            ],
            ..panel
        };
        assert_eq!(log.smoother(), vec![(1.0, 1.0)]);
    }
}
