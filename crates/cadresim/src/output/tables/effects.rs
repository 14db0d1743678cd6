//! `effects.csv`: each schedule entry's paired effect k steps after it, stored as CSV or
//! Parquet like the run's tables.

use std::io::Write;
use std::path::Path;

use super::{finite, optional, Table, NOT_FINITE};
use crate::output::store::{number, Format, ReadError, TableWriter};
use crate::rows::EffectRow;

/// Columns of `effects.csv`.
pub const EFFECTS_HEADER: [&str; 8] = [
    "scenario",
    "event",
    "metric",
    "k",
    "effect",
    "ci95_low",
    "ci95_high",
    "n",
];

/// `effects.csv`: `scenario, event, metric, k, effect, ci95_low, ci95_high, n`.
pub fn write_effects<W: Write + Send>(
    out: W,
    format: Format,
    rows: &[EffectRow],
) -> csv::Result<()> {
    let mut writer = TableWriter::new(out, format);
    writer.write_record(EFFECTS_HEADER)?;
    for row in rows {
        writer.write_record([
            row.scenario.clone(),
            row.event.clone(),
            row.metric.clone(),
            row.k.to_string(),
            number(row.effect),
            optional(row.ci95.map(|c| c.0)),
            optional(row.ci95.map(|c| c.1)),
            row.n.to_string(),
        ])?;
    }
    writer.finish()?;
    Ok(())
}

/// Read `effects.csv` back (for its charts).
pub fn read_effects(path: &Path) -> Result<Vec<EffectRow>, ReadError> {
    let table = Table::read(path)?;
    let [scenario, event, metric, k, effect, low, high, n] =
        EFFECTS_HEADER.map(|name| table.column(&[name]));
    let (scenario, event, metric, k, effect, low, high, n) =
        (scenario?, event?, metric?, k?, effect?, low?, high?, n?);
    let bad = |what: &str, text: &str| ReadError {
        path: table.path.clone(),
        message: format!("bad {what} `{text}`"),
    };
    let number_at = |record: &csv::StringRecord, column: usize| {
        finite(&record[column]).ok_or_else(|| bad(NOT_FINITE, &record[column]))
    };
    table
        .records
        .iter()
        .map(|record| {
            let ci95 = match (&record[low], &record[high]) {
                ("", "") => None,
                _ => Some((number_at(record, low)?, number_at(record, high)?)),
            };
            Ok(EffectRow {
                scenario: record[scenario].to_string(),
                event: record[event].to_string(),
                metric: record[metric].to_string(),
                k: record[k].parse().map_err(|_| bad("k", &record[k]))?,
                effect: number_at(record, effect)?,
                ci95,
                n: record[n].parse().map_err(|_| bad("n", &record[n]))?,
            })
        })
        .collect()
}
