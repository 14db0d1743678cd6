//! The chart of the structural robustness check: a grid of claims (rows) by the levels of
//! the structural switches (columns), each tile shaded by the share of cells at that level
//! where the claim holds and labelled with the count; grey where no cell can decide it.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{bar_label, category_label, fail, font, render, Chart, ChartError, Outcome};
use crate::rows::LevelShareRow;

/// The factorial a chart shows: each switch's name with its levels' names, and the
/// replicates and steps of every cell.
pub struct Factorial<'a> {
    pub switches: &'a [(String, Vec<String>)],
    pub replicates: u64,
    pub steps: u64,
}

/// Draw `structure.png` and `.svg` into `out`; returns the files written.
pub fn draw_structure(
    rows: &[LevelShareRow],
    design: &Factorial,
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    crate::output::create_dir(out)?;
    let cells: usize = design.switches.iter().map(|(_, l)| l.len()).product();
    let title = format!(
        "Share of the {cells} structural cells at each level where each claim holds ({} replicates, {} steps)",
        design.replicates, design.steps
    );
    let mut claims: Vec<String> = rows.iter().map(|r| r.claim.clone()).collect();
    claims.dedup();
    let columns: Vec<String> = design
        .switches
        .iter()
        .flat_map(|(_, levels)| levels.iter().cloned())
        .collect();
    // Each switch's name and its first column.
    let mut first = 0;
    let groups: Vec<(String, usize, usize)> = design
        .switches
        .iter()
        .map(|(name, levels)| {
            first += levels.len();
            (name.clone(), first - levels.len(), levels.len())
        })
        .collect();
    render(
        out,
        "structure",
        size,
        &Grid {
            rows,
            claims,
            columns,
            groups,
            title,
        },
    )
}

struct Grid<'a> {
    rows: &'a [LevelShareRow],
    claims: Vec<String>,
    columns: Vec<String>,
    /// Each switch's name, its first column and its number of levels.
    groups: Vec<(String, usize, usize)>,
    title: String,
}

/// From white (share 0) to the chart blue (share 1).
fn shade(share: f64) -> RGBColor {
    let mix = |light: f64, dark: f64| (light + share * (dark - light)).round() as u8;
    RGBColor(mix(247.0, 0.0), mix(251.0, 114.0), mix(255.0, 178.0))
}

impl Chart for Grid<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome {
        let (count, width) = (self.claims.len().max(1), self.columns.len().max(1));
        // The claims top down under a header row of the switches' names.
        let rows: Vec<String> = std::iter::once(String::new())
            .chain(self.claims.iter().cloned())
            .collect();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(scale, 20.0))
            .margin((16.0 * scale) as u32)
            .x_label_area_size((40.0 * scale) as u32)
            .y_label_area_size((230.0 * scale) as u32)
            .build_cartesian_2d(-0.5f64..width as f64 - 0.5, -0.5f64..count as f64 + 0.5)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(width)
            .x_label_formatter(&|x| category_label(&self.columns, *x))
            .x_label_style(font(scale, 13.0))
            .y_labels(count + 1)
            .y_label_formatter(&|y| bar_label(&rows, *y))
            .label_style(font(scale, 16.0))
            .draw()
            .map_err(fail)?;
        let width_of = self.columns.len();
        for (index, row) in self.rows.iter().enumerate() {
            let (claim, column) = (index / width_of, index % width_of);
            let (x, y) = (column as f64, (count - 1 - claim) as f64);
            let fill = row.share.map_or(RGBColor(220, 220, 220), shade);
            let tile = [(x - 0.48, y - 0.45), (x + 0.48, y + 0.45)];
            chart
                .draw_series(std::iter::once(Rectangle::new(tile, fill.filled())))
                .map_err(fail)?;
            let label = match row.cells {
                0 => "n/a".to_string(),
                n => format!("{}/{n}", row.holding),
            };
            let colour = if row.share.unwrap_or(0.0) > 0.6 {
                WHITE
            } else {
                BLACK
            };
            let style = font(scale, 14.0)
                .color(&colour)
                .pos(Pos::new(HPos::Center, VPos::Center));
            chart
                .draw_series(std::iter::once(Text::new(label, (x, y), style)))
                .map_err(fail)?;
        }
        // A header row: each switch's name over its columns, with a rule between switches.
        for (name, first, levels) in &self.groups {
            let middle = *first as f64 + (*levels - 1) as f64 / 2.0;
            let style = font(scale, 15.0)
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Center));
            chart
                .draw_series(std::iter::once(Text::new(
                    name.clone(),
                    (middle, count as f64),
                    style,
                )))
                .map_err(fail)?;
            if *first > 0 {
                let x = *first as f64 - 0.5;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        [(x, -0.5), (x, count as f64 + 0.5)],
                        BLACK.stroke_width((2.0 * scale) as u32),
                    )))
                    .map_err(fail)?;
            }
        }
        Ok(())
    }
}
