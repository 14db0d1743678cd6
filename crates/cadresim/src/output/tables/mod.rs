//! The tidy tables, one module per kind of result, each writer beside its reader: a run's
//! (`run`), a sweep's (`sweep`), `compare`'s (`comparison`), the schedule's effects
//! (`effects`), a sensitivity analysis's (`sensitivity`), a scenario discovery's
//! (`discovery`), the robustness check's (`robustness`) and the structural factorial's
//! (`structure`). Readers find columns by header name. Column layouts are documented in the
//! README's "Output schema". A run's tables and the effects are stored as CSV or Parquet by
//! `store` (the rest as CSV). This module holds what they share: the reader of a whole table
//! and the cells of missing or non-finite numbers.

mod comparison;
mod discovery;
mod effects;
mod robustness;
mod run;
mod sensitivity;
mod structure;
mod sweep;

pub use comparison::*;
pub use discovery::*;
pub use effects::*;
pub use robustness::*;
pub use run::*;
pub use sensitivity::*;
pub use structure::*;
pub use sweep::*;

use std::io::Write;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use crate::output::store::ReadError;
use crate::output::store::TableReader;
pub use crate::rows::{number, optional};

/// A CSV table whose columns are the fields of a serde-derived row: `header` first (also
/// when there are no rows; none when `header` is empty, for a part appended to a table), then
/// each row in order. Each caller's test checks that `header` is its row's fields (`header_of`).
pub fn write_rows<W: Write, R: Serialize>(out: W, header: &[&str], rows: &[R]) -> csv::Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(out);
    if !header.is_empty() {
        writer.write_record(header)?;
    }
    for row in rows {
        writer.serialize(row)?;
    }
    writer.flush()?;
    Ok(())
}

/// Every row of a CSV table of serde-derived rows, found by header name (columns the row
/// does not know are ignored; a missing optional column reads as its default); an error
/// names the file, the line and what is wrong.
pub(crate) fn read_rows<R: DeserializeOwned>(path: &Path) -> Result<Vec<R>, ReadError> {
    let mut reader = csv::Reader::from_path(path).map_err(|error| ReadError::new(path, error))?;
    reader
        .deserialize()
        .map(|row| row.map_err(|error| ReadError::new(path, error)))
        .collect()
}

/// What a cell that is not a finite number is called in errors.
const NOT_FINITE: &str = "number (a finite number is required)";

/// A finite number read back (NaN and infinities are never written: they mean damage).
fn finite(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Every record of a table (CSV or Parquet) with its header row, and the position of each named column.
struct Table {
    path: String,
    header: Vec<String>,
    records: Vec<csv::StringRecord>,
}

impl Table {
    fn read(path: &Path) -> Result<Self, ReadError> {
        let reader = TableReader::open(path)?;
        let header = reader.header().to_vec();
        let records = reader.records()?;
        Ok(Table {
            path: path.display().to_string(),
            header,
            records,
        })
    }

    /// Position of the first of `names` present in the header.
    fn column(&self, names: &[&str]) -> Result<usize, ReadError> {
        names
            .iter()
            .find_map(|name| self.header.iter().position(|h| h == name))
            .ok_or_else(|| ReadError {
                path: self.path.clone(),
                message: format!("no column `{}`", names.join("` or `")),
            })
    }
}

/// The header serde writes for `row` (the names of its fields, in order).
#[cfg(test)]
pub(crate) fn header_of<R: Serialize>(row: &R) -> Vec<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.serialize(row).unwrap();
    let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::store::Format;
    use crate::rows::BoxRow;
    use crate::rows::EffectRow;

    #[test]
    fn floats_keep_a_decimal_point_and_round_trip() {
        for value in [4.0, 0.1, 1e-7, -2.5e16, 0.30000000000000004] {
            let text = number(value);
            assert!(text.contains(['.', 'e']), "{text}");
            assert_eq!(text.parse::<f64>().unwrap(), value);
        }
        assert_eq!(number(4.0), "4.0");
    }

    #[test]
    fn p_values_are_plain_decimals_like_every_other_number() {
        let row = BoxRow {
            parameter: "accountability.penalty".into(),
            lower: Some(2.5),
            upper: Some(16.0),
            values: Vec::new(),
            p_value: Some(0.000_125),
            inclusion: Some(0.93),
        };
        let mut text = Vec::new();
        write_box(&mut text, &[row]).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.ends_with("\naccountability.penalty,2.5,16.0,,0.000125,0.93\n"),
            "{text}"
        );
    }

    #[test]
    fn effects_are_read_back_as_written() {
        let rows = vec![
            EffectRow {
                scenario: "history".into(),
                event: "1@60".into(),
                metric: "mean_innovation".into(),
                k: 5,
                effect: 0.0,
                ci95: Some((0.0, 0.0)),
                n: 3,
            },
            EffectRow {
                scenario: "history".into(),
                event: "2@120".into(),
                metric: "welfare".into(),
                k: 50,
                effect: -12.25,
                ci95: None,
                n: 1,
            },
        ];
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("effects.csv");
        write_effects(std::fs::File::create(&path).unwrap(), Format::Csv, &rows).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "scenario,event,metric,k,effect,ci95_low,ci95_high,n\n\
             history,1@60,mean_innovation,5,0.0,0.0,0.0,3\n\
             history,2@120,welfare,50,-12.25,,,1\n"
        );
        assert_eq!(read_effects(&path).unwrap(), rows);
    }
}
