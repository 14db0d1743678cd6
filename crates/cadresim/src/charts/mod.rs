//! Charts, as PNG and SVG: the only module that uses plotters. `run` draws the charts of run
//! directories (`effects` the effects of their schedule entries, `units` the by-unit charts
//! and province map), `sweep` the curves, scatters and phase diagrams of sweep directories;
//! this file holds what they share (the committed font,
//! the Okabe-Ito colour-blind-safe palette, legends, rendering). Charts are drawn from files
//! read back by `output`, never from simulation state.

pub mod calibration;
pub mod claims;
pub mod did;
pub mod discovery;
pub mod effects;
pub mod provinces;
pub mod robustness;
pub mod run;
pub mod scatter;
pub mod sensitivity;
pub mod structure;
pub mod sweep;
pub mod units;

use std::path::{Path, PathBuf};
use std::sync::{Once, OnceLock};

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use resvg::{tiny_skia, usvg};

use crate::output::series::Band;
use crate::output::{self, tables::ReadError, OutputError};

pub use claims::{draw_interaction, draw_regimes, Interaction};
pub use did::draw_did;
pub use discovery::{draw_discovery, BoxLimit};
pub use effects::draw_effects;
pub use robustness::draw_robustness;
pub use run::{draw_all, draw_differences};
pub use sensitivity::draw_sensitivity;
pub use structure::{draw_structure, Factorial};
pub use sweep::{draw_boundary, draw_sweep, BoundaryLayout, SweepLayout};
pub use units::{draw_province_maps, draw_units, Cohorts};

/// The font every chart uses, committed with its licence (assets/fonts).
static FONT: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans.ttf");
/// The family name inside the committed font file.
const FONT_NAME: &str = "DejaVu Sans";
/// The family charts ask for (plotters registers the committed font under it).
const FAMILY: &str = "sans-serif";

/// The default chart size in pixels (`--size` on the command line).
pub const DEFAULT_SIZE: (u32, u32) = (1600, 1000);

pub const BLACK_: RGBColor = RGBColor(0, 0, 0);
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub const SKY_BLUE: RGBColor = RGBColor(86, 180, 233);
pub const GREEN: RGBColor = RGBColor(0, 158, 115);
pub const YELLOW: RGBColor = RGBColor(240, 228, 66);
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
pub const PURPLE: RGBColor = RGBColor(204, 121, 167);
/// Opacity of the stacked areas of the behaviour chart.
pub(crate) const AREA_ALPHA: f64 = 0.55;
pub(crate) const GREY: RGBColor = RGBColor(110, 110, 110);
/// Colours of lines told apart by a legend, in order.
pub(crate) const LINE_COLOURS: [RGBColor; 7] =
    [BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY_BLUE, BLACK_];

/// Colour of an equilibrium class.
pub fn class_colour(class: &str) -> RGBColor {
    match class {
        "abusive" => VERMILLION,
        "lazy-idle" => PURPLE,
        "lazy-routine" => ORANGE,
        "innovative" => GREEN,
        _ => SKY_BLUE,
    }
}

/// A class as legends name it: the lazy classes say that they are lazy governance.
pub fn class_label(class: &str) -> String {
    if crate::metrics::is_lazy_governance(class) {
        format!("{class} (lazy governance)")
    } else {
        class.to_string()
    }
}

fn ensure_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // The committed font is valid; a failure would only mean text is missing.
        let _ = register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// A chart that could not be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// plotters failed to draw (the message is its own).
    #[error("drawing a chart failed: {0}")]
    Draw(String),
    /// The chart's SVG could not be rasterised.
    #[error("{file}: {message}")]
    Rasterise { file: String, message: String },
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Read(#[from] ReadError),
}

pub(crate) type Outcome = Result<(), ChartError>;

pub(crate) fn fail<E: std::fmt::Debug>(error: E) -> ChartError {
    ChartError::Draw(format!("{error:?}"))
}

/// A chart that can be drawn on any plotters backend.
pub(crate) trait Chart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Outcome;
}

/// Draw `chart` as `<dir>/<stem>.svg` and rasterise that SVG into `<dir>/<stem>.png`, so
/// both show the same text laid out by one text engine; returns both paths.
pub(crate) fn render(
    dir: &Path,
    stem: &str,
    size: (u32, u32),
    chart: &impl Chart,
) -> Result<Vec<PathBuf>, ChartError> {
    ensure_font();
    let scale = size.1 as f64 / 1000.0;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        chart.draw(&root, scale)?;
        root.present().map_err(fail)?;
    }
    let png = rasterise(&svg, size).map_err(|message| ChartError::Rasterise {
        file: format!("{stem}.png"),
        message,
    })?;
    let written = |name: String, bytes: &[u8]| {
        output::write_atomically(dir, &name, |out| out.write_all(bytes))
    };
    Ok(vec![
        written(format!("{stem}.png"), &png)?,
        written(format!("{stem}.svg"), svg.as_bytes())?,
    ])
}

/// Options for reading chart SVG: the committed font is the only font, and the generic
/// family the charts name resolves to it.
fn svg_options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut options = usvg::Options::default();
        let fonts = options.fontdb_mut();
        fonts.load_font_data(FONT.to_vec());
        fonts.set_sans_serif_family(FONT_NAME);
        options.font_family = FONT_NAME.to_string();
        options
    })
}

/// PNG bytes of an SVG document of `size` pixels on white.
fn rasterise(svg: &str, size: (u32, u32)) -> Result<Vec<u8>, String> {
    let tree = usvg::Tree::from_str(svg, svg_options()).map_err(|e| e.to_string())?;
    let mut pixmap = tiny_skia::Pixmap::new(size.0, size.1).ok_or("empty chart size")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::identity(),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| e.to_string())
}

pub(crate) fn font(scale: f64, size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::Name(FAMILY), size * scale, FontStyle::Normal)
}

/// Whether the committed font can draw `text` (Latin script; it has no CJK glyphs).
pub(crate) fn drawable(text: &str) -> bool {
    text.chars().all(|c| (c as u32) < 0x250)
}

/// A value label for legends and terminal tables: a number written with more than six
/// significant digits (`23.775908626191168`, `7.999999999999999`) shortened to six
/// (`23.7759`, `8`); anything else as it is. The tables keep the exact value.
pub fn short_label(label: &str) -> String {
    let Ok(value) = label.parse::<f64>() else {
        return label.to_string();
    };
    let digits = label
        .trim_start_matches('-')
        .chars()
        .filter(char::is_ascii_digit);
    if !value.is_finite() || value == 0.0 || digits.count() <= 6 || label.contains(['e', 'E']) {
        return label.to_string();
    }
    let decimals = (5 - value.abs().log10().floor() as i32).clamp(0, 17) as usize;
    let text = format!("{value:.decimals$}");
    match text.contains('.') {
        true => text.trim_end_matches('0').trim_end_matches('.').to_string(),
        false => text,
    }
}

/// A legend entry with every `name = value` value shortened (`short_label`).
pub(crate) fn short_entry(entry: &str) -> String {
    entry
        .split(", ")
        .map(|part| match part.split_once(" = ") {
            Some((name, value)) => format!("{name} = {}", short_label(value)),
            None => short_label(part),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A tick label with the decimals a range of width `span` needs, without trailing zeros
/// (`4000`, not `4000.0`; `0.015`, not `0.015000`).
pub(crate) fn tick_label(value: f64, span: f64) -> String {
    let decimals = if span > 0.0 && span.is_finite() {
        (2.0 - span.log10().floor()).clamp(0.0, 12.0) as usize
    } else {
        3
    };
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    match text {
        "-0" => "0".to_string(),
        other => other.to_string(),
    }
}

/// The name of category `x` on a categorical axis (categories sit at 0, 1, 2, ...); empty
/// between categories.
pub(crate) fn category_label(names: &[String], x: f64) -> String {
    let index = x.round();
    if (x - index).abs() < 0.01 && index >= 0.0 {
        names.get(index as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

/// The name of the horizontal bar at `y` (bars listed top down: `names[0]` at the top).
pub(crate) fn bar_label(names: &[String], y: f64) -> String {
    let index = y.round();
    if (y - index).abs() > 0.01 || index < 0.0 || index as usize >= names.len() {
        return String::new();
    }
    names[names.len() - 1 - index as usize].clone()
}

/// A horizontal bar from 0 to `estimate` at height `y` (half as thick as `thickness` each
/// side), filled with `colour`, and its interval `(low, high)` drawn across it in black.
pub(crate) fn draw_interval_bar<DB: DrawingBackend>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    (y, thickness): (f64, f64),
    estimate: f64,
    (low, high): (f64, f64),
    colour: RGBColor,
    width: f64,
) -> Outcome {
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(0.0, y - thickness), (estimate, y + thickness)],
            colour.mix(0.8).filled(),
        )))
        .map_err(fail)?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(low, y), (high, y)],
            stroke(BLACK, width),
        )))
        .map_err(fail)?;
    Ok(())
}

/// A chart area and a legend panel beside it on the right.
pub(crate) fn split_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    let (width, _) = root.dim_in_pixel();
    root.split_horizontally((width as f64 * 0.82) as u32)
}

/// Legend entries drawn in their own panel, so they never cover data.
pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBColor)],
    scale: f64,
) -> Outcome {
    // Long labels get a smaller font so they fit the legend panel.
    let longest = entries
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0);
    let (width, _) = area.dim_in_pixel();
    let size = (20.0f64)
        .min(width as f64 / scale * 1.7 / longest.max(1) as f64)
        .max(11.0);
    let line = (34.0 * scale) as i32;
    let swatch = (22.0 * scale) as i32;
    let top = (90.0 * scale) as i32;
    for (index, (label, colour)) in entries.iter().enumerate() {
        let y = top + index as i32 * line;
        area.draw(&Rectangle::new(
            [(10, y), (10 + swatch, y + swatch)],
            colour.filled(),
        ))
        .map_err(fail)?;
        area.draw(&Text::new(
            label.clone(),
            (18 + swatch, y + swatch / 6),
            font(scale, size),
        ))
        .map_err(fail)?;
    }
    Ok(())
}

/// The legend's note on intervals: what the `shape` (band, bars) shows, or that there is no
/// interval (a single replicate), so no chart promises an interval it does not draw.
pub(crate) fn interval_note(shape: &str, shown: bool) -> (String, RGBColor) {
    match shown {
        true => (format!("({shape}: 95% CI over replicates)"), GREY),
        false => ("(one replicate: no interval)".to_string(), GREY),
    }
}

/// A band's 95% interval as a filled polygon (values `stride` steps apart).
pub(crate) fn band_polygon(band: &Band, colour: RGBColor, stride: usize) -> Polygon<(f64, f64)> {
    let mut outline = points(&band.high, stride);
    outline.extend(points(&band.low, stride).into_iter().rev());
    Polygon::new(outline, colour.mix(0.25).filled())
}

/// (step, value) of values recorded every `stride` steps from step 0.
pub(crate) fn points(values: &[f64], stride: usize) -> Vec<(f64, f64)> {
    values
        .iter()
        .enumerate()
        .map(|(index, v)| ((index * stride) as f64, *v))
        .collect()
}

pub(crate) fn stroke(colour: RGBColor, scale: f64) -> ShapeStyle {
    colour.stroke_width((3.0 * scale).max(1.0) as u32)
}

#[cfg(test)]
mod tests {
    use super::{short_entry, short_label, tick_label};

    #[test]
    fn long_numbers_are_shortened_for_reading_and_others_kept() {
        assert_eq!(short_label("23.775908626191168"), "23.7759");
        assert_eq!(short_label("7.999999999999999"), "8");
        assert_eq!(short_label("0.30000000000000004"), "0.3");
        assert_eq!(short_label("0.5"), "0.5");
        assert_eq!(short_label("16.0"), "16.0");
        assert_eq!(short_label("off"), "off");
        assert_eq!(short_label("1e-7"), "1e-7");
        assert_eq!(
            short_entry("targets.markup_max = 0.12345678901, tolerance = on"),
            "targets.markup_max = 0.123457, tolerance = on"
        );
    }

    #[test]
    fn tick_labels_carry_only_the_decimals_their_range_needs() {
        assert_eq!(tick_label(4000.0, 4500.0), "4000");
        assert_eq!(tick_label(0.0, 4500.0), "0");
        assert_eq!(tick_label(0.014, 0.016), "0.014");
        assert_eq!(tick_label(0.30000000000000004, 1.0), "0.3");
        assert_eq!(tick_label(0.25, 0.3), "0.25");
        assert_eq!(tick_label(-0.0001, 1.0), "0");
        assert_eq!(tick_label(12.5, 40.0), "12.5");
    }
}
