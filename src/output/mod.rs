//! Result directories on disk: their layout, writing every file under a temporary name renamed
//! when complete (the manifest, written last, marks a directory as complete), and reading
//! them back (`tables` owns every CSV format, `series` aggregates a run's time series,
//! `manifest` the manifest).

pub mod manifest;
pub mod series;
pub mod tables;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::runner::ScenarioResult;
use manifest::{sha256_file, Manifest};

/// Files of a run directory, in the order they are written.
pub const RUN_FILES: [&str; 3] = ["timeseries.csv", "summary.csv", "equilibrium.csv"];

/// Failures while writing results.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{0}: a result already exists there; pass --force to overwrite it or --out to choose another directory")]
    Exists(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a cadresim manifest: {message}")]
    NotManifest { path: PathBuf, message: String },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Make sure `dir` can receive a new result: refuse a non-empty directory unless `force`.
/// With `force`, an old manifest is removed first so a half-rewritten directory never looks complete.
pub fn prepare_dir(dir: &Path, force: bool) -> Result<(), OutputError> {
    if dir.exists() {
        let occupied = fs::read_dir(dir).map_err(io_error(dir))?.next().is_some();
        if occupied && !force {
            return Err(OutputError::Exists(dir.to_path_buf()));
        }
        let manifest = dir.join("manifest.json");
        if manifest.exists() {
            fs::remove_file(&manifest).map_err(io_error(&manifest))?;
        }
    }
    fs::create_dir_all(dir).map_err(io_error(dir))
}

/// Create a directory and its parents.
pub fn create_dir(dir: &Path) -> Result<(), OutputError> {
    fs::create_dir_all(dir).map_err(io_error(dir))
}

/// Folder of a sweep directory with one file per finished point.
pub const PARTS: &str = "parts";

/// The part file of point `id` in a sweep directory.
pub fn part_path(dir: &Path, id: usize) -> PathBuf {
    dir.join(PARTS).join(format!("point-{id:06}.csv"))
}

/// Write `name` in `dir` through a temporary file renamed when complete.
pub fn write_atomically(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<PathBuf, OutputError> {
    let path = dir.join(name);
    let temporary = dir.join(format!(".{name}.partial"));
    let file = File::create(&temporary).map_err(io_error(&temporary))?;
    let mut writer = BufWriter::new(file);
    write(&mut writer).map_err(io_error(&temporary))?;
    let file = writer
        .into_inner()
        .map_err(|error| io_error(&temporary)(error.into_error()))?;
    file.sync_all().map_err(io_error(&temporary))?;
    fs::rename(&temporary, &path).map_err(io_error(&path))?;
    Ok(path)
}

/// Copy `source` to `dir/name` through a temporary file renamed when complete.
pub fn copy_atomically(source: &Path, dir: &Path, name: &str) -> Result<PathBuf, OutputError> {
    let bytes = fs::read(source).map_err(io_error(source))?;
    write_atomically(dir, name, |out| out.write_all(&bytes))
}

/// Write the CSV tables of a run; returns file name -> SHA-256.
pub fn write_tables(
    dir: &Path,
    results: &[ScenarioResult],
) -> Result<BTreeMap<String, String>, OutputError> {
    let mut hashes = BTreeMap::new();
    for name in RUN_FILES {
        let path = write_atomically(dir, name, |out| {
            match name {
                "timeseries.csv" => tables::write_timeseries(out, results),
                "summary.csv" => tables::write_summary(out, results),
                _ => tables::write_equilibrium(out, results),
            }
            .map_err(io::Error::from)
        })?;
        hashes.insert(
            name.to_string(),
            sha256_file(&path).map_err(io_error(&path))?,
        );
    }
    Ok(hashes)
}

/// Write `manifest.json` (last: its presence marks the directory complete).
pub fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), OutputError> {
    let text = serde_json::to_string_pretty(manifest).expect("manifest serializes");
    write_atomically(dir, "manifest.json", |out| {
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")
    })?;
    Ok(())
}

/// Read a manifest.
pub fn read_manifest(path: &Path) -> Result<Manifest, OutputError> {
    let text = fs::read_to_string(path).map_err(io_error(path))?;
    serde_json::from_str(&text).map_err(|error| OutputError::NotManifest {
        path: path.to_path_buf(),
        message: error.to_string(),
    })
}
