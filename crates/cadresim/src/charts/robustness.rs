//! The chart of the robustness check: one horizontal bar per claim, the share of samples
//! where it holds, with its Wilson 95% interval.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    bar_label, draw_interval_bar, draw_legend, fail, font, render, split_legend, tick_label, Chart,
    ChartError, Outcome, BLUE, GREY,
};
use crate::rows::RobustnessRow;

/// Draw `robustness.png` and `.svg` into `out`; returns the files written.
pub fn draw_robustness(
    rows: &[RobustnessRow],
    replicates: u64,
    steps: u64,
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    crate::output::create_dir(out)?;
    let title = format!(
        "Share of {} samples where each claim holds ({replicates} replicates, {steps} steps)",
        rows.first().map(|r| r.samples).unwrap_or(0)
    );
    render(out, "robustness", size, &ShareBars { rows, title })
}

struct ShareBars<'a> {
    rows: &'a [RobustnessRow],
    title: String,
}

impl Chart for ShareBars<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let count = self.rows.len().max(1);
        let names: Vec<String> = self.rows.iter().map(|r| r.claim.clone()).collect();
        let (plot, legend) = split_legend(root);
        let mut chart = ChartBuilder::on(&plot)
            .caption(&self.title, font(scale, 24.0))
            .margin((16.0 * scale) as u32)
            .x_label_area_size((60.0 * scale) as u32)
            .y_label_area_size((230.0 * scale) as u32)
            .build_cartesian_2d(0.0f64..1.0, -0.5f64..count as f64 - 0.5)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(count)
            .y_label_formatter(&|y| bar_label(&names, *y))
            .x_label_formatter(&|x| tick_label(*x, 1.0))
            .x_desc("share of samples where the claim holds")
            .label_style(font(scale, 17.0))
            .axis_desc_style(font(scale, 18.0))
            .draw()
            .map_err(fail)?;
        let thickness = 0.3;
        for (index, row) in self.rows.iter().enumerate() {
            // The first claim is the top bar.
            let y = (count - 1 - index) as f64;
            draw_interval_bar(
                &mut chart,
                (y, thickness),
                row.share,
                (row.ci95_low, row.ci95_high),
                BLUE,
                scale * 0.9,
            )?;
        }
        draw_legend(
            &legend,
            &[
                ("share holding".to_string(), BLUE),
                ("(lines: Wilson 95% CI)".to_string(), GREY),
            ],
            scale,
        )
    }
}
