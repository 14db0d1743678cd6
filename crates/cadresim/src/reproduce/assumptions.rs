//! The "Which assumptions matter" section of RESULTS.md: a table of Sobol' indices per metric
//! and a sentence per metric generated from them (the leading parameter, how much of the
//! variance first-order effects explain, which parameters could stay at their defaults, and
//! how much is replicate noise).

use std::fmt::Write as _;

use crate::rows::SensitivityRow;

/// Total-order indices below this are read as "could stay at its default".
pub const NEGLIGIBLE_TOTAL: f64 = 0.05;

/// The section for the rows of a Sobol' sensitivity.csv; `figures` are the chart files (one
/// per metric, relative to RESULTS.md) and `source` the sweep file.
pub fn assumptions_section(
    rows: &[SensitivityRow],
    figures: &[String],
    source: &str,
    length: &str,
) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "\n## Which assumptions matter\n");
    let _ = writeln!(
        text,
        "Sobol' indices from `{source}` (design = \"sobol\"; S1 first order as Saltelli 2010, ST total as Jansen 1999, both as SALib computes them; 95% bootstrap intervals over base rows). S1 is the share of a metric's variance across the sampled ranges that a parameter explains alone, ST the share it explains with all its interactions. Intervals and the method: docs/sensitivity.md. Run length of every point: {length}.\n"
    );
    for metric in metrics_of(rows) {
        let of_metric: Vec<&SensitivityRow> = rows.iter().filter(|r| r.metric == metric).collect();
        let _ = writeln!(text, "### {metric}\n");
        if let Some(figure) = figures
            .iter()
            .find(|f| f.ends_with(&format!("-{metric}.png")))
        {
            let _ = writeln!(text, "![{metric}]({figure})\n");
        }
        let _ = writeln!(text, "{}\n", sentence(metric, &of_metric));
        let _ = writeln!(
            text,
            "| parameter | S1 | 95% interval | ST | 95% interval |\n|---|---|---|---|---|"
        );
        for parameter in ranked(&of_metric) {
            let (s1, st) = (
                find(&of_metric, parameter, "S1"),
                find(&of_metric, parameter, "ST"),
            );
            let cell = |row: Option<&SensitivityRow>| match row {
                Some(row) => {
                    let (low, high) = row.interval.unwrap_or((f64::NAN, f64::NAN));
                    format!(
                        "{:.3} | [{low:.3}, {high:.3}]",
                        row.estimate.unwrap_or(f64::NAN)
                    )
                }
                None => "| ".to_string(),
            };
            let _ = writeln!(text, "| `{parameter}` | {} | {} |", cell(s1), cell(st));
        }
        let _ = writeln!(text);
    }
    text
}

fn metrics_of(rows: &[SensitivityRow]) -> Vec<&str> {
    let mut metrics: Vec<&str> = Vec::new();
    for row in rows {
        if !metrics.contains(&row.metric.as_str()) {
            metrics.push(&row.metric);
        }
    }
    metrics
}

fn find<'a>(
    rows: &[&'a SensitivityRow],
    parameter: &str,
    index: &str,
) -> Option<&'a SensitivityRow> {
    rows.iter()
        .find(|r| r.parameter == parameter && r.index == index)
        .copied()
}

fn estimate(rows: &[&SensitivityRow], parameter: &str, index: &str) -> f64 {
    find(rows, parameter, index)
        .and_then(|r| r.estimate)
        .unwrap_or(0.0)
}

/// Parameters by ST, largest first.
fn ranked<'a>(rows: &[&'a SensitivityRow]) -> Vec<&'a str> {
    let mut parameters: Vec<&str> = rows
        .iter()
        .filter(|r| r.index == "ST")
        .map(|r| r.parameter.as_str())
        .collect();
    parameters.sort_by(|a, b| estimate(rows, b, "ST").total_cmp(&estimate(rows, a, "ST")));
    parameters
}

/// One paragraph on a metric, every number taken from its rows.
fn sentence(metric: &str, rows: &[&SensitivityRow]) -> String {
    let parameters = ranked(rows);
    let Some(leading) = parameters.first() else {
        return format!("No indices were computed for {metric}.");
    };
    let interval = |parameter: &str, index: &str| {
        find(rows, parameter, index)
            .and_then(|r| r.interval)
            .map(|(low, high)| format!(" [{low:.2}, {high:.2}]"))
            .unwrap_or_default()
    };
    let mut text = format!(
        "Across the sampled ranges, `{leading}` matters most for {metric}: it explains {:.0}% of the variance alone (S1 {:.2}{}) and {:.0}% with its interactions (ST {:.2}{}).",
        100.0 * estimate(rows, leading, "S1"),
        estimate(rows, leading, "S1"),
        interval(leading, "S1"),
        100.0 * estimate(rows, leading, "ST"),
        estimate(rows, leading, "ST"),
        interval(leading, "ST"),
    );
    if let Some(second) = parameters.get(1) {
        let _ = write!(
            text,
            " Next is `{second}` (ST {:.2}{}).",
            estimate(rows, second, "ST"),
            interval(second, "ST")
        );
    }
    let first_order: f64 = parameters.iter().map(|p| estimate(rows, p, "S1")).sum();
    let _ = write!(
        text,
        " First-order effects add up to {:.0}% of the variance; the remaining {:.0}% comes from interactions between parameters.",
        100.0 * first_order.min(1.0),
        100.0 * (1.0 - first_order).clamp(0.0, 1.0)
    );
    let negligible: Vec<String> = parameters
        .iter()
        .filter(|p| estimate(rows, p, "ST") < NEGLIGIBLE_TOTAL)
        .map(|p| format!("`{p}`"))
        .collect();
    if negligible.is_empty() {
        let _ = write!(
            text,
            " Every parameter has ST of at least {NEGLIGIBLE_TOTAL}."
        );
    } else {
        let _ = write!(
            text,
            " With ST below {NEGLIGIBLE_TOTAL}, {} could stay at the default without changing this conclusion.",
            negligible.join(", ")
        );
    }
    let noise = rows
        .iter()
        .find(|r| r.index == "noise_share")
        .and_then(|r| r.estimate);
    if let Some(noise) = noise {
        let _ = write!(
            text,
            " Replicate (seed) noise is {:.2}% of the variance between points.",
            100.0 * noise
        );
    }
    text
}

/// The section in quick mode, where the sensitivity sweep is not run.
pub fn assumptions_skipped(source: &str) -> String {
    format!(
        "\n## Which assumptions matter\n\nNot computed in quick mode: the Sobol' sweep `{source}` takes about ten minutes on two cores. Run `cadresim reproduce` (full mode), or `cadresim sweep {source}` on its own.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(parameter: &str, index: &str, estimate: f64) -> SensitivityRow {
        SensitivityRow {
            method: "sobol".into(),
            metric: "welfare".into(),
            level: "all".into(),
            parameter: parameter.into(),
            index: index.into(),
            sample_size: 64,
            estimate: Some(estimate),
            interval: (index != "noise_share").then_some((estimate - 0.1, estimate + 0.1)),
        }
    }

    #[test]
    fn the_paragraph_is_built_from_the_numbers() {
        let rows = vec![
            row("a", "S1", 0.5),
            row("a", "ST", 0.6),
            row("b", "S1", 0.2),
            row("b", "ST", 0.3),
            row("c", "S1", 0.0),
            row("c", "ST", 0.01),
            row("", "noise_share", 0.02),
        ];
        let text = assumptions_section(
            &rows,
            &["figures/sensitivity-welfare.png".into()],
            "x",
            "fixed horizon: 200 steps, means over steps 100–199",
        );
        assert!(text.contains("`a` matters most for welfare: it explains 50% of the variance alone (S1 0.50 [0.40, 0.60]) and 60% with its interactions (ST 0.60 [0.50, 0.70])"), "{text}");
        assert!(text.contains("Next is `b` (ST 0.30 [0.20, 0.40])"));
        assert!(
            text.contains("First-order effects add up to 70% of the variance; the remaining 30%")
        );
        assert!(text.contains("`c` could stay at the default"));
        assert!(text.contains("Replicate (seed) noise is 2.00%"));
        assert!(text.contains("![welfare](figures/sensitivity-welfare.png)"));
        let table_rows = text.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(table_rows, 3);
    }
}
