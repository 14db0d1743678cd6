//! The "Mechanisms beyond the first model" section of RESULTS.md: what each mechanism of
//! docs/MODEL.md §7.14, switched on alone, does to every regime's mean innovation and welfare,
//! as paired differences from the same regime with every mechanism off (a grid sweep with a
//! `regime` and a `mechanism` variant axis, the first mechanism being the baseline).

use std::fmt::Write as _;

use super::evidence::{EvidenceError, SweepEvidence};
use crate::stats::{estimate_text, Paired};

/// The metrics the section reports, with the words its tables use.
pub const METRICS: [(&str, &str); 2] = [
    ("mean_innovation", "Mean innovation"),
    ("welfare", "Welfare"),
];

/// The sweep behind the section, as the section describes it.
pub struct Design<'a> {
    /// The sweep file, as RESULTS.md names it.
    pub source: &'a str,
    /// The regimes (labels of the `regime` axis), in the file's order.
    pub regimes: Vec<String>,
    /// The mechanisms (labels of the `mechanism` axis) with their settings as `key = value`
    /// text; the first is the baseline.
    pub mechanisms: Vec<(String, Vec<String>)>,
    pub replicates: u64,
    /// How every point ran (`reproduce::run_length`).
    pub length: &'a str,
    /// The experiments manifest's note on the tables (`[mechanisms] note`), if any.
    pub note: Option<&'a str>,
}

/// One cell: the paired difference of a metric (mechanism on minus off) in one regime.
#[derive(Clone, Copy, Debug)]
pub struct Cell {
    pub paired: Paired,
}

impl Cell {
    /// The difference to the digits its interval supports, in bold when the interval excludes
    /// 0; `0 (inactive)` when every replicate's difference is exactly 0 (the mechanism does not
    /// act in the regime).
    pub fn text(&self) -> String {
        let d = &self.paired.difference;
        if d.mean == 0.0 && d.sd.is_some_and(|sd| sd == 0.0) {
            return "0 (inactive)".to_string();
        }
        let text = estimate_text(d.mean, d.ci95);
        match d.ci95 {
            Some((low, high)) if low > 0.0 || high < 0.0 => format!("**{text}**"),
            _ => text,
        }
    }
}

/// Every cell of one metric: `cells[m][r]` for mechanism `m + 1` (after the baseline) and
/// regime `r`, with the baseline's level per regime.
pub struct Table {
    pub metric: &'static str,
    pub title: &'static str,
    pub levels: Vec<String>,
    pub cells: Vec<Vec<Cell>>,
}

/// The tables of the section, from the sweep's points (labelled `regime` and `mechanism`).
pub fn tables(design: &Design, sweep: &SweepEvidence) -> Result<Vec<Table>, EvidenceError> {
    let point = |regime: &str, mechanism: &str| -> Result<String, EvidenceError> {
        let filter = [("regime", regime), ("mechanism", mechanism)];
        sweep.points(&filter).into_iter().next().ok_or_else(|| {
            EvidenceError::Missing(format!(
                "{}: no point with regime {regime} and mechanism {mechanism}",
                sweep.dir.display()
            ))
        })
    };
    let baseline = &design.mechanisms[0].0;
    let off: Vec<String> = design
        .regimes
        .iter()
        .map(|regime| point(regime, baseline))
        .collect::<Result<_, _>>()?;
    let mut tables = Vec::new();
    for (metric, title) in METRICS {
        let mut levels = Vec::new();
        for point in &off {
            let stat = sweep.statistic(point, metric)?;
            levels.push(estimate_text(stat.mean, Some((stat.low, stat.high))));
        }
        let mut cells = Vec::new();
        for (mechanism, _) in &design.mechanisms[1..] {
            let mut row = Vec::new();
            for (regime, off) in design.regimes.iter().zip(&off) {
                let on = point(regime, mechanism)?;
                row.push(Cell {
                    paired: sweep.paired(&on, off, metric)?.paired,
                });
            }
            cells.push(row);
        }
        tables.push(Table {
            metric,
            title,
            levels,
            cells,
        });
    }
    Ok(tables)
}

/// The section for the tables.
pub fn mechanisms_section(design: &Design, tables: &[Table]) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "\n## Mechanisms beyond the first model\n");
    let _ = writeln!(
        text,
        "What does each mechanism of docs/MODEL.md §7.14 do to the regimes? `{}` switches each one on alone, at a setting inside its plausible range (docs/PARAMETERS.md), in each regime, and compares it with the same regime with every mechanism off (`{}`, the first model). Replicate r of every point runs the same random streams, so each cell is the mean of the {} per-replicate differences (on minus off) with its t-based 95% interval; bold where the interval excludes 0, `0 (inactive)` where the mechanism does not act in the regime (every difference exactly 0). The first row gives the level with every mechanism off. Run length of every point: {}.\n",
        design.source,
        design.mechanisms[0].0,
        design.replicates,
        design.length
    );
    let _ = writeln!(text, "The settings:\n");
    for (mechanism, settings) in &design.mechanisms[1..] {
        let _ = writeln!(text, "- `{mechanism}`: {}", settings.join(", "));
    }
    for table in tables {
        let _ = writeln!(text, "\n### {} (`{}`)\n", table.title, table.metric);
        let header: Vec<String> = design.regimes.iter().map(|r| format!("`{r}`")).collect();
        let _ = writeln!(text, "| mechanism | {} |", header.join(" | "));
        let _ = writeln!(text, "|---|{}", "---|".repeat(design.regimes.len()));
        let _ = writeln!(text, "| level, all off | {} |", table.levels.join(" | "));
        for ((mechanism, _), row) in design.mechanisms[1..].iter().zip(&table.cells) {
            let cells: Vec<String> = row.iter().map(Cell::text).collect();
            let _ = writeln!(text, "| `{mechanism}` | {} |", cells.join(" | "));
        }
    }
    if let Some(note) = design.note {
        let _ = writeln!(text, "\n{note}");
    }
    let _ = writeln!(
        text,
        "\nTwo mechanisms are not in the tables: ambiguous scope (`fault_tolerance.lists = false`) changes only the choices of cadres deciding by expected payoff (`behaviour.rule = \"rational\"`), which none of these regimes uses, and unit-level attainment (`share_units_missed`) is an output, not a behaviour. Welfare subtracts the costs the mechanisms add (leadership, corruption and enforcement costs; docs/MODEL.md §7.14), so a welfare effect can be accounting as well as behaviour."
    );
    text
}

/// The section in quick mode, which does not run the sweep.
pub fn mechanisms_skipped(source: &str) -> String {
    format!(
        "\n## Mechanisms beyond the first model\n\nNot computed in quick mode. Run `cadresim reproduce` (full mode), or `cadresim sweep {source}` on its own.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::paired;

    #[test]
    fn a_cell_is_bold_when_its_interval_excludes_zero_and_inactive_when_it_is_exactly_zero() {
        let cell = |values: &[f64]| Cell {
            paired: paired(&[1.0, 1.0, 1.0, 1.0], values),
        };
        // Differences 0.1, 0.12, 0.08, 0.1: mean 0.1, sd 0.0163, t(3) 3.182, half-width 0.026.
        assert_eq!(
            cell(&[1.1, 1.12, 1.08, 1.1]).text(),
            "**0.100 [0.074, 0.126]**"
        );
        // Differences -0.1, 0.1, 0.05, -0.05: mean 0, the interval spans 0.
        assert_eq!(cell(&[0.9, 1.1, 1.05, 0.95]).text(), "0.00 [-0.15, 0.15]");
        assert_eq!(cell(&[1.0, 1.0, 1.0, 1.0]).text(), "0 (inactive)");
    }
}
