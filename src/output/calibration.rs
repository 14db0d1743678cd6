//! The tables of a calibration directory (runs, waves, emulators, generations, parameters,
//! posterior, predictive; with `--check`, check and coverage): each a CSV of text cells the
//! calibration study formats, written atomically and hashed for the manifest.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use super::manifest::sha256_file;
use super::store::TableWriter;
use super::{io_error, write_atomically, OutputError};

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
