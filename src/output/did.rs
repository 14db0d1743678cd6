//! The tables of a difference-in-differences study (`cadresim did`): `panel.csv` (the unit x
//! step panel of both runs), `att.csv`, `pretrend.csv`, `spillover.csv` and
//! `did_summary.csv`, from the row types of `did`. Floats are written in their shortest
//! round-trip form with a decimal point or exponent (`4.0`, `1e-7`), so every CSV reader
//! types them as floats and reads them exactly; an empty cell is a missing value.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::manifest::sha256_file;
use super::tables::unit_cell;
use super::{io_error, write_atomically, OutputError};
use crate::did::{Design, Panels};

/// The files of a DiD study, in the order they are written.
pub const DID_FILES: [&str; 5] = [
    "panel.csv",
    "att.csv",
    "pretrend.csv",
    "spillover.csv",
    "did_summary.csv",
];

/// A float cell: shortest round-trip digits, always with a decimal point or exponent.
pub fn float(value: f64) -> String {
    format!("{value:?}")
}

/// The headers of the tables written from rows (their fields, in order; a test checks).
pub const ATT_HEADER: [&str; 11] = [
    "replicate",
    "outcome",
    "estimator",
    "control",
    "cohort",
    "event_time",
    "estimate",
    "se",
    "ci95_low",
    "ci95_high",
    "truth",
];
pub const PRETREND_HEADER: [&str; 7] = [
    "replicate",
    "outcome",
    "estimator",
    "control",
    "statistic",
    "df",
    "p_value",
];
pub const SPILLOVER_HEADER: [&str; 4] = ["replicate", "outcome", "step", "effect"];
pub const SUMMARY_HEADER: [&str; 15] = [
    "outcome",
    "estimator",
    "control",
    "event_time",
    "n",
    "mean_estimate",
    "mean_truth",
    "bias",
    "bias_ci95_low",
    "bias_ci95_high",
    "rmse",
    "sd_estimate",
    "mean_se",
    "coverage",
    "pretrend_rejection",
];

/// Write `header`, then rows that serialize as flat records in the header's order.
pub fn write_rows<W: Write, R: Serialize>(out: W, header: &[&str], rows: &[R]) -> csv::Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(out);
    writer.write_record(header)?;
    for row in rows {
        writer.serialize(row)?;
    }
    writer.flush()?;
    Ok(())
}

/// `panel.csv`: `replicate, unit_code, unit_name, step, cohort`, then per outcome `<metric>`,
/// `<metric>_counterfactual` and, when observed, `<metric>_observed`;
/// `panels[replicate][outcome]`.
pub fn write_panel<W: Write>(
    out: W,
    design: &Design,
    outcomes: &[String],
    panels: &[Vec<Panels>],
) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header: Vec<String> = ["replicate", "unit_code", "unit_name", "step", "cohort"]
        .map(String::from)
        .to_vec();
    let observed = panels
        .first()
        .and_then(|p| p.first())
        .is_some_and(|p| p.observed.is_some());
    for outcome in outcomes {
        header.push(outcome.clone());
        header.push(format!("{outcome}_counterfactual"));
        if observed {
            header.push(format!("{outcome}_observed"));
        }
    }
    writer.write_record(&header)?;
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    for (replicate, of_replicate) in panels.iter().enumerate() {
        let steps = of_replicate.first().map_or(0, |p| p.steps);
        for unit in 0..design.codes.len() {
            for step in 0..steps {
                row.clear();
                row.push(replicate.to_string());
                row.push(unit_cell(&design.codes[unit]));
                row.push(unit_cell(&design.names[unit]));
                row.push(step.to_string());
                row.push(
                    design.cohorts[unit]
                        .map(|c| c.to_string())
                        .unwrap_or_default(),
                );
                for panel in of_replicate {
                    let at = unit * steps + step;
                    row.push(float(panel.factual[at]));
                    row.push(float(panel.counterfactual[at]));
                    if let Some(counts) = &panel.observed {
                        row.push(float(counts[at]));
                    }
                }
                writer.write_record(&row)?;
            }
        }
    }
    writer.flush()?;
    Ok(())
}

/// Write `name` in `dir` with `write`; returns name -> SHA-256.
pub fn write_file(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut dyn Write) -> csv::Result<()>,
) -> Result<BTreeMap<String, String>, OutputError> {
    let path = write_atomically(dir, name, |out| write(out).map_err(io::Error::from))?;
    let hash = sha256_file(&path).map_err(io_error(&path))?;
    Ok(BTreeMap::from([(name.to_string(), hash)]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::did::{AttRow, PretrendRow, SpilloverRow, SummaryRow};

    /// The header serde derives from a row.
    fn derived<R: Serialize>(row: &R) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.serialize(row).unwrap();
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        text.lines().next().unwrap().to_string()
    }

    #[test]
    fn the_headers_name_the_fields_of_the_rows_in_order() {
        let att = AttRow {
            replicate: 0,
            outcome: "x".into(),
            estimator: "twfe",
            control: "",
            cohort: None,
            event_time: None,
            estimate: 0.0,
            se: None,
            ci95_low: None,
            ci95_high: None,
            truth: 0.0,
        };
        assert_eq!(derived(&att), ATT_HEADER.join(","));
        let pretrend = PretrendRow {
            replicate: 0,
            outcome: "x".into(),
            estimator: "twfe",
            control: "",
            statistic: 0.0,
            df: 1,
            p_value: 1.0,
        };
        assert_eq!(derived(&pretrend), PRETREND_HEADER.join(","));
        let spillover = SpilloverRow {
            replicate: 0,
            outcome: "x".into(),
            step: 0,
            effect: 0.0,
        };
        assert_eq!(derived(&spillover), SPILLOVER_HEADER.join(","));
        let summary = crate::did::summarize(&[att], &[]);
        let summary: &SummaryRow = &summary[0];
        assert_eq!(derived(summary), SUMMARY_HEADER.join(","));
    }

    #[test]
    fn floats_keep_a_decimal_point_and_round_trip() {
        for value in [4.0, 0.1, 1e-7, -2.5e16, 0.30000000000000004] {
            let text = float(value);
            assert!(text.contains(['.', 'e']), "{text}");
            assert_eq!(text.parse::<f64>().unwrap(), value);
        }
        assert_eq!(float(4.0), "4.0");
    }
}
