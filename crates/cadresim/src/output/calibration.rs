//! The files of a calibration directory: its tables (runs, waves, emulators, generations,
//! parameters, posterior, predictive; with `--check`, check and coverage), each a CSV of text
//! cells the calibration study formats, written atomically and hashed for the manifest; and,
//! while it works, its ledger (the protocol is `ledger`'s: `calibrate.lock.json`, the settings
//! it was started with; `calibrate.parts/`, every finished batch of simulator runs and, for
//! `--check`, every finished dataset, so that `--resume` simulates and calibrates nothing
//! twice); and a finished calibration's posterior, read back for `reproduce --robustness
//! --posterior`.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ledger::{self, Found, Ledger};
use super::manifest::sha256_file;
use super::store::TableWriter;
use super::{io_error, write_atomically, OutputError};
use crate::calibrate::Posterior;

/// A table: its file name, header and rows of cells.
pub struct Table {
    pub name: &'static str,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Write every table in `dir`; returns file name -> SHA-256.
pub fn write_tables(dir: &Path, tables: &[Table]) -> Result<BTreeMap<String, String>, OutputError> {
    let mut hashes = BTreeMap::new();
    for table in tables {
        let path = write_atomically(dir, table.name, |out| {
            let mut writer = TableWriter::csv(out);
            writer
                .write_record(&table.header)
                .map_err(io::Error::from)?;
            for row in &table.rows {
                writer.write_record(row).map_err(io::Error::from)?;
            }
            writer.finish().map_err(io::Error::from)
        })?;
        hashes.insert(
            table.name.to_string(),
            sha256_file(&path).map_err(io_error(&path))?,
        );
    }
    Ok(hashes)
}

/// A calibration directory's posterior (`posterior.csv`, `weight` then one column per key);
/// the error is one line naming the file.
pub fn read_posterior(dir: &Path) -> Result<Posterior, String> {
    let path = dir.join("posterior.csv");
    let fail = |what: String| format!("{}: {what}", path.display());
    if !dir.join("manifest.json").exists() {
        return Err(format!(
            "{}: not a finished calibration (no manifest.json); pass the --out directory of `cadresim calibrate`",
            dir.display()
        ));
    }
    let mut reader = csv::Reader::from_path(&path).map_err(|e| fail(e.to_string()))?;
    let header = reader.headers().map_err(|e| fail(e.to_string()))?.clone();
    if header.get(0) != Some("weight") || header.len() < 2 {
        return Err(fail(
            "the first column must be `weight`, then one column per parameter key".into(),
        ));
    }
    let keys: Vec<String> = header.iter().skip(1).map(str::to_string).collect();
    let (mut points, mut weights) = (Vec::new(), Vec::new());
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| fail(e.to_string()))?;
        let values: Vec<f64> = record
            .iter()
            .map(|cell| cell.parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| fail(format!("row {}: every cell must be a number", line + 2)))?;
        weights.push(values[0]);
        points.push(values[1..].to_vec());
    }
    let total: f64 = weights.iter().sum();
    let negative = weights.iter().any(|w| w.is_nan() || *w < 0.0);
    if points.is_empty() || total.is_nan() || total <= 0.0 || negative {
        return Err(fail(
            "needs at least one particle and non-negative weights with a positive sum".into(),
        ));
    }
    Ok(Posterior {
        keys,
        points,
        weights: weights.iter().map(|w| w / total).collect(),
    })
}

/// One finished batch of simulator runs: `key` identifies its points and seeds; per run, the
/// point and each target's mean and variance over replicates, as the bits of each f64 (so that
/// a resumed calibration reads back exactly what it wrote).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Batch {
    pub key: String,
    pub points: Vec<Vec<u64>>,
    pub means: Vec<Vec<u64>>,
    pub variances: Vec<Vec<u64>>,
    pub covariances: Vec<Vec<u64>>,
}

/// The bits of each value.
pub fn to_bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// The values of some bits.
pub fn from_bits(bits: &[u64]) -> Vec<f64> {
    bits.iter().map(|b| f64::from_bits(*b)).collect()
}

#[derive(Serialize, Deserialize)]
struct Header {
    settings: String,
}

fn ledger(dir: &Path) -> Ledger<'_> {
    Ledger::new(dir, ledger::CALIBRATE)
}

/// Start the ledger of a calibration started with `settings` (a hash): the folder of parts
/// first, so that a header never stands without it.
pub fn start_ledger(dir: &Path, settings: &str) -> Result<(), OutputError> {
    let ledger = ledger(dir);
    ledger.open_parts()?;
    ledger.write_header(&Header {
        settings: settings.to_string(),
    })
}

/// Create the folder of parts (again, on resume, should it be missing).
pub fn open_parts(dir: &Path) -> Result<(), OutputError> {
    ledger(dir).open_parts()
}

/// What `--resume` finds in `dir`: the settings hash of an unfinished calibration, or what
/// else is there.
pub fn survey(dir: &Path) -> Result<Found<String>, OutputError> {
    Ok(match ledger(dir).survey::<Header>()? {
        Found::Unfinished(header) => Found::Unfinished(header.settings),
        Found::Empty => Found::Empty,
        Found::Finished => Found::Finished,
        Found::Foreign => Found::Foreign,
    })
}

/// The one-line refusal of `--resume` on what `survey` found.
pub fn refusal(dir: &Path, found: &Found<String>) -> String {
    ledger(dir).refusal(found, "calibration file and settings")
}

fn batch_name(index: usize) -> String {
    format!("batch-{index:04}.json")
}

/// One synthetic dataset's outcome in the method check's ledger: `key` identifies its truth
/// and data; per parameter, the rank bin, whether the central 50% and 90% intervals cover
/// the truth, and the bits of the posterior median (None: no point was non-implausible).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DatasetPart {
    pub key: String,
    pub checks: Option<Vec<(usize, bool, bool, u64)>>,
}

fn dataset_name(index: usize) -> String {
    format!("dataset-{index:04}.json")
}

/// Dataset `index` of the method check's ledger, when it was finished.
pub fn read_dataset(dir: &Path, index: usize) -> Option<DatasetPart> {
    ledger(dir).read_json(&dataset_name(index))
}

/// Record dataset `index` in the method check's ledger.
pub fn write_dataset(dir: &Path, index: usize, part: &DatasetPart) -> Result<(), OutputError> {
    ledger(dir).write_json(&dataset_name(index), part)
}

/// Batch `index` of the ledger, when it was finished.
pub fn read_batch(dir: &Path, index: usize) -> Option<Batch> {
    ledger(dir).read_json(&batch_name(index))
}

/// Record batch `index` in the ledger.
pub fn write_batch(dir: &Path, index: usize, batch: &Batch) -> Result<(), OutputError> {
    ledger(dir).write_json(&batch_name(index), batch)
}

/// Remove the ledger (after the manifest is written).
pub fn remove_ledger(dir: &Path) -> Result<(), OutputError> {
    ledger(dir).close()
}
