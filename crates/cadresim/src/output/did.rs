//! The tables of a difference-in-differences study (`cadresim did`): `panel.csv` (the unit x
//! step panel of both runs), `att.csv`, `pretrend.csv`, `spillover.csv` and
//! `did_summary.csv`, from the row types of `did`, and the study's ledger. Floats are written
//! in their shortest round-trip form with a decimal point or exponent (`4.0`, `1e-7`), so
//! every CSV reader types them as floats and reads them exactly; an empty cell is a missing
//! value.
//!
//! The ledger: the four per-replicate tables are appended batch by batch (the one exception
//! to writing through `write_atomically`), each batch synced before `did.lock.json` records
//! the replicates done and every table's length. `--resume` truncates the tables to those
//! lengths and goes on; `manifest.json`, written last, marks the study complete.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::ledger::{self, Found};
use super::manifest::sha256_file;
pub use super::tables::write_rows;
use super::tables::{number, read_rows, unit_cell};
use super::{io_error, write_atomically, OutputError};
use crate::did::{AttRow, Design, Panels, PretrendRow};

/// The files of a DiD study, in the order they are written.
pub const DID_FILES: [&str; 5] = [
    "panel.csv",
    "att.csv",
    "pretrend.csv",
    "spillover.csv",
    "did_summary.csv",
];

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

/// The header of `panel.csv`: `replicate, unit_code, unit_name, step, cohort`, then per
/// outcome `<metric>`, `<metric>_counterfactual` and, when observed, `<metric>_observed`.
pub fn panel_header(outcomes: &[String], observed: bool) -> Vec<String> {
    let mut header: Vec<String> = ["replicate", "unit_code", "unit_name", "step", "cohort"]
        .map(String::from)
        .to_vec();
    for outcome in outcomes {
        header.push(outcome.clone());
        header.push(format!("{outcome}_counterfactual"));
        if observed {
            header.push(format!("{outcome}_observed"));
        }
    }
    header
}

/// The rows of `panel.csv` (no header) of replicates `first..`: `panels[k][outcome]` is
/// replicate `first + k`'s.
pub fn write_panel_rows<W: Write>(
    out: W,
    design: &Design,
    first: usize,
    panels: &[Vec<Panels>],
) -> csv::Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(out);
    let mut row: Vec<String> = Vec::new();
    for (k, of_replicate) in panels.iter().enumerate() {
        let replicate = first + k;
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
                    row.push(number(panel.factual[at]));
                    row.push(number(panel.counterfactual[at]));
                    if let Some(counts) = &panel.observed {
                        row.push(number(counts[at]));
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

/// The tables appended replicate by replicate, in the order they are written.
pub const APPENDED: [&str; 4] = ["panel.csv", "att.csv", "pretrend.csv", "spillover.csv"];

/// What `did.lock.json` holds: the study's settings (a SHA-256 of them), the replicates whose
/// rows every appended table holds, and each table's length in bytes after them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub settings: String,
    pub replicates_done: usize,
    pub lengths: BTreeMap<String, u64>,
}

fn ledger(dir: &Path) -> ledger::Ledger<'_> {
    ledger::Ledger::new(dir, ledger::DID)
}

/// What `--resume` finds in `dir`.
pub fn survey(dir: &Path) -> Result<Found<Ledger>, OutputError> {
    ledger(dir).survey()
}

/// The one-line refusal of `--resume` on what `survey` found.
pub fn refusal(dir: &Path, found: &Found<Ledger>) -> String {
    ledger(dir).refusal(
        found,
        "settings (scenario, run, outcomes, --observe, --leads and --lags)",
    )
}

/// Record the ledger (atomically).
pub fn write_ledger(dir: &Path, header: &Ledger) -> Result<(), OutputError> {
    ledger(dir).write_header(header)
}

/// Remove the ledger of a finished study (after its manifest is written).
pub fn remove_ledger(dir: &Path) -> Result<(), OutputError> {
    ledger(dir).close()
}

/// Start the appended tables with their headers; returns their lengths.
pub fn start_tables(
    dir: &Path,
    headers: [Vec<String>; 4],
) -> Result<BTreeMap<String, u64>, OutputError> {
    for (name, header) in APPENDED.iter().zip(headers) {
        write_atomically(dir, name, |out| writeln!(out, "{}", header.join(",")))?;
    }
    lengths(dir)
}

/// Cut the appended tables back to the lengths a ledger recorded (what a batch that never
/// finished wrote goes).
pub fn truncate_tables(dir: &Path, ledger: &Ledger) -> Result<(), OutputError> {
    for name in APPENDED {
        let path = dir.join(name);
        let length = ledger.lengths.get(name).copied().unwrap_or(0);
        let file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(io_error(&path))?;
        file.set_len(length).map_err(io_error(&path))?;
        file.sync_all().map_err(io_error(&path))?;
    }
    Ok(())
}

/// Append one batch's bytes to each table (in `APPENDED` order), synced; returns the new
/// lengths.
pub fn append_tables(
    dir: &Path,
    batches: [Vec<u8>; 4],
) -> Result<BTreeMap<String, u64>, OutputError> {
    for (name, bytes) in APPENDED.iter().zip(batches) {
        let path = dir.join(name);
        let mut file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io_error(&path))?;
        file.write_all(&bytes).map_err(io_error(&path))?;
        file.sync_all().map_err(io_error(&path))?;
    }
    lengths(dir)
}

fn lengths(dir: &Path) -> Result<BTreeMap<String, u64>, OutputError> {
    let mut lengths = BTreeMap::new();
    for name in APPENDED {
        let path = dir.join(name);
        let length = fs::metadata(&path).map_err(io_error(&path))?.len();
        lengths.insert(name.to_string(), length);
    }
    Ok(lengths)
}

/// The rows of `att.csv` and `pretrend.csv`, read back.
pub fn read_estimates(dir: &Path) -> Result<(Vec<AttRow>, Vec<PretrendRow>), OutputError> {
    fn read<R: DeserializeOwned>(path: &Path) -> Result<Vec<R>, OutputError> {
        read_rows(path).map_err(|e| OutputError::Io {
            path: PathBuf::from(e.path),
            source: io::Error::other(e.message),
        })
    }
    Ok((
        read(&dir.join("att.csv"))?,
        read(&dir.join("pretrend.csv"))?,
    ))
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
            estimator: "twfe".into(),
            control: String::new(),
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
            estimator: "twfe".into(),
            control: String::new(),
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
}
