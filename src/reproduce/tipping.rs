//! The "Tipping points" section of RESULTS.md: the critical value of a boundary sweep's
//! searched parameter for every combination of the other axes, with its interval, the
//! searches' cost against a grid of the same precision, and the flags.

use std::fmt::Write as _;

use crate::output::tables::BoundaryRow;
use crate::sweep::boundary::BoundarySpec;

/// What the section says about the search, beyond `boundary.csv`.
pub struct Search<'a> {
    /// The sweep file, as RESULTS.md names it.
    pub source: &'a str,
    /// The searched parameter and its range.
    pub axis: &'a str,
    pub from: f64,
    pub to: f64,
    /// Searched on a log scale.
    pub log: bool,
    pub settings: &'a BoundarySpec,
    pub replicates: u64,
    /// How every evaluation ran (`reproduce::run_length`).
    pub length: &'a str,
}

/// Points a grid would need to place the crossing as precisely as the bisection does.
pub fn grid_points_for(search: &Search) -> usize {
    let precision = search.settings.precision;
    let steps = match (search.settings.absolute, search.log) {
        (true, _) => (search.to - search.from) / precision,
        (false, true) => (search.to / search.from).ln() / (1.0 + precision).ln(),
        // A relative precision on a linear range: the step that width needs at the low end.
        (false, false) => {
            (search.to - search.from) / (precision * search.from.abs().max(f64::MIN_POSITIVE))
        }
    };
    steps.ceil() as usize + 1
}

/// The section for the rows of `boundary.csv` (`columns` are the axes after the first).
pub fn tipping_section(
    search: &Search,
    columns: &[String],
    rows: &[BoundaryRow],
    figure: &str,
) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "\n## Tipping points\n");
    let mean_evaluations =
        rows.iter().map(|r| r.evaluations).sum::<usize>() as f64 / rows.len().max(1) as f64;
    let _ = writeln!(
        text,
        "Where does the corps tip? `{}` (design = \"boundary\") searches `{}` from {} to {} for the value at which `{}` starts to hold, separately for every replicate ({} per search; common random numbers make each replicate's crossing one number): a grid of {} points first, then bisection of every replicate's bracket to {} {}. The critical value is the mean of the replicates' crossings with a t-based 95% interval. The searches took {:.1} evaluations on average; a grid placing the crossing as precisely would need {} points per search. Run length of every evaluation: {}.\n",
        search.source,
        search.axis,
        search.from,
        search.to,
        search.settings.condition,
        search.replicates,
        search.settings.initial,
        search.settings.precision,
        if search.settings.absolute { "(absolute)" } else { "of the value (relative)" },
        mean_evaluations,
        grid_points_for(search),
        search.length
    );
    let _ = writeln!(text, "![tipping points]({figure})\n");
    let header: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
    let _ = writeln!(
        text,
        "| {} | critical `{}` | 95% interval | crossing replicates | evaluations | flag |",
        header.join(" | "),
        search.axis
    );
    let _ = writeln!(text, "|{}", "---|".repeat(columns.len() + 5));
    for row in rows {
        let estimate = row
            .estimate
            .map(|e| format!("{e:.3}"))
            .unwrap_or_else(|| "none".to_string());
        let interval = row
            .ci95
            .map(|(low, high)| format!("[{low:.3}, {high:.3}]"))
            .unwrap_or_default();
        let _ = writeln!(
            text,
            "| {} | {estimate} | {interval} | {} of {} | {} | {} |",
            row.labels.join(" | "),
            row.crossed,
            row.replicates,
            row.evaluations,
            row.flag
        );
    }
    let _ = writeln!(
        text,
        "\nFlags: `below` (the condition already holds at the low end, for every replicate), `above` (it holds nowhere on the range), `non-monotone` (some replicate's condition changes more than once on the initial grid), `mixed` (some replicates cross, others hold everywhere or nowhere; the mean is over those that cross), `imprecise` (the search used all its evaluations before every bracket was as narrow as the precision). Method: docs/discovery.md."
    );
    text
}

/// The section in quick mode, which does not run the search.
pub fn tipping_skipped(source: &str) -> String {
    format!(
        "\n## Tipping points\n\nNot computed in quick mode. Run `cadresim reproduce` (full mode), or `cadresim sweep {source}` on its own.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_as_precise_as_the_bisection_is_counted() {
        let settings = BoundarySpec {
            condition: "mean_innovation < 0.2".into(),
            precision: 0.02,
            absolute: false,
            max_evaluations: 30,
            initial: 8,
        };
        let search = Search {
            source: "s.toml",
            axis: "accountability.penalty",
            from: 0.5,
            to: 64.0,
            log: true,
            settings: &settings,
            replicates: 8,
            length: "fixed horizon: 200 steps, means over steps 100–199",
        };
        // ln(128) / ln(1.02) = 245.03 steps.
        assert_eq!(grid_points_for(&search), 247);
        let absolute = BoundarySpec {
            absolute: true,
            precision: 0.5,
            ..settings.clone()
        };
        let linear = Search {
            log: false,
            from: 0.0,
            to: 10.0,
            settings: &absolute,
            ..search
        };
        assert_eq!(grid_points_for(&linear), 21);
    }
}
