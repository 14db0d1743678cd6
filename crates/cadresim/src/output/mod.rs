//! Result directories on disk: their layout, writing every file under a temporary name renamed
//! when complete (the manifest, written last, marks a directory as complete), and reading
//! them back (`tables` owns every table's columns, `store` how a table is stored, CSV or
//! Parquet, `series` aggregates a run's time series, `manifest` the manifest, `calibration`
//! a calibration's tables, `did` a DiD study's tables, `ledger` the record of finished work
//! that `--resume` continues from).

pub mod calibration;
pub mod did;
pub mod ledger;
pub mod manifest;
pub mod series;
pub mod store;
pub mod tables;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::runner::ScenarioResult;
use manifest::{sha256_file, Manifest};
use store::Format;

/// Tables of a run directory, in the order they are written: each a file `NAME.csv` or, with
/// `output.format = "parquet"`, `NAME.parquet` (`store::Format::file`).
pub const RUN_TABLES: [&str; 3] = ["timeseries", "summary", "equilibrium"];

/// Tables a run adds when some scenario records units one by one (`output.by_unit`).
pub const UNIT_TABLES: [&str; 2] = ["timeseries_by_unit", "summary_by_unit"];

/// The table a run adds when some scenario reports the effects of its schedule entries.
pub const EFFECTS_TABLE: &str = "effects";

/// The file names of `tables` in every format (`summary.csv`, `summary.parquet`).
pub fn table_files<'a>(tables: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    tables
        .into_iter()
        .flat_map(|table| store::Format::ALL.map(|(_, format)| store::file_name(format, table)))
        .collect()
}

/// Everything cadresim writes at the top of a result, sweep or report directory; `--force`
/// removes exactly these (and nothing else) before writing anew.
pub const WRITTEN: [&str; 53] = [
    "manifest.json",
    "timeseries.csv",
    "timeseries_by_unit.csv",
    "summary_by_unit.csv",
    "summary.csv",
    "equilibrium.csv",
    "timeseries.parquet",
    "timeseries_by_unit.parquet",
    "summary_by_unit.parquet",
    "summary.parquet",
    "equilibrium.parquet",
    "effects.parquet",
    "points.csv",
    "sweep.csv",
    "sweep_summary.csv",
    "sensitivity.csv",
    "sensitivity_convergence.csv",
    "sweep.lock.json",
    "RESULTS.md",
    "charts",
    "parts",
    "figures",
    "robustness.lock.json",
    "samples.csv",
    "verdicts.csv",
    "robustness.csv",
    "failures.csv",
    "sample.tmp",
    "structure.lock.json",
    "cells.csv",
    "structure.csv",
    "cell.tmp",
    "boundary.csv",
    "reproduce.lock.json",
    "differences.csv",
    "effects.csv",
    "panel.csv",
    "att.csv",
    "pretrend.csv",
    "spillover.csv",
    "did_summary.csv",
    "did.lock.json",
    "runs.csv",
    "waves.csv",
    "emulators.csv",
    "generations.csv",
    "parameters.csv",
    "posterior.csv",
    "predictive.csv",
    "check.csv",
    "coverage.csv",
    "calibrate.parts",
    "calibrate.lock.json",
];

/// Failures while writing results.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{0}: a result already exists there; pass --force to overwrite it or --out to choose another directory")]
    Exists(PathBuf),
    #[error("{0}: another cadresim command is writing this directory now; wait for it to finish")]
    Locked(PathBuf),
    #[error("{0}: exists and is not a directory; choose another --out")]
    NotADirectory(PathBuf),
    /// A file named where a command reads or adds to an existing result directory.
    #[error("{0}: is not a directory; name a result directory cadresim wrote")]
    NotAResult(PathBuf),
    #[error(
        "{0}: is a symbolic link; cadresim does not write through links inside a result directory"
    )]
    Symlink(PathBuf),
    #[error("{dir}: refusing to write `{name}`: a file name must not contain a path")]
    BadName { dir: PathBuf, name: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: an unreadable ledger ({message}); --force starts the command again")]
    BadLedger { path: PathBuf, message: String },
    #[error("{path}: not a cadresim manifest: {message}")]
    NotManifest { path: PathBuf, message: String },
    #[error("{0}: no such directory; name a result directory cadresim wrote")]
    Missing(PathBuf),
    /// A file that is not what its directory's manifest vouches for.
    #[error("{path}: {message}")]
    Altered { path: PathBuf, message: String },
    /// A directory `--force` would clear that holds no cadresim result but other files.
    #[error("{0}: holds files that no cadresim command wrote, and no cadresim result (no manifest.json or lock); --force replaces only a result's files, so choose another --out")]
    Foreign(PathBuf),
    /// `--resume` of a run started with other settings, or whose parts another cadresim
    /// build computed (without --mixed-versions); the message says which and what to do.
    #[error("{0}")]
    Unresumable(String),
}

impl OutputError {
    /// Whether the error is the user's to fix (exit code 2) rather than a failure.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            OutputError::Exists(_)
                | OutputError::Locked(_)
                | OutputError::NotADirectory(_)
                | OutputError::NotAResult(_)
                | OutputError::Symlink(_)
                | OutputError::Missing(_)
                | OutputError::BadLedger { .. }
                | OutputError::Unresumable(_)
                | OutputError::Foreign(_)
        )
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An exclusive advisory lock on a result directory, held until dropped (the end of the
/// command). Another cadresim command that wants to write the directory is refused.
#[must_use = "the lock is released when dropped"]
#[derive(Debug)]
pub struct DirLock {
    _handle: File,
}

/// Create `dir` if needed and lock it for writing.
pub fn lock_dir(dir: &Path) -> Result<DirLock, OutputError> {
    if dir.exists() && !dir.is_dir() {
        return Err(OutputError::NotADirectory(dir.to_path_buf()));
    }
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    lock_existing(dir)
}

/// Lock an existing directory for writing (a command that adds to a result); a missing
/// directory is refused, never created.
pub fn lock_existing(dir: &Path) -> Result<DirLock, OutputError> {
    if !dir.exists() {
        return Err(OutputError::Missing(dir.to_path_buf()));
    }
    if !dir.is_dir() {
        return Err(OutputError::NotAResult(dir.to_path_buf()));
    }
    let handle = File::open(dir).map_err(io_error(dir))?;
    match handle.try_lock() {
        Ok(()) => Ok(DirLock { _handle: handle }),
        Err(fs::TryLockError::WouldBlock) => Err(OutputError::Locked(dir.to_path_buf())),
        Err(fs::TryLockError::Error(source)) => Err(io_error(dir)(source)),
    }
}

/// Whether another command holds the lock of `dir` now (false for a missing directory).
pub fn is_locked(dir: &Path) -> bool {
    File::open(dir)
        .is_ok_and(|handle| matches!(handle.try_lock(), Err(fs::TryLockError::WouldBlock)))
}

/// Whether `dir` holds anything.
pub fn is_occupied(dir: &Path) -> Result<bool, OutputError> {
    Ok(dir.exists() && fs::read_dir(dir).map_err(io_error(dir))?.next().is_some())
}

/// Whether `dir` holds anything besides what a command killed before it recorded its run
/// leaves: temporary files of writes that never finished, and a folder of parts holding
/// nothing else. `--resume` treats a directory holding only those as empty.
pub fn holds_work(dir: &Path) -> Result<bool, OutputError> {
    if !dir.exists() {
        return Ok(false);
    }
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let is_dir = entry.file_type().map_err(io_error(&path))?.is_dir();
        let leftover = match is_dir {
            true => name == "parts" && !holds_work(&path)?,
            false => is_temporary(&name),
        };
        if !leftover {
            return Ok(true);
        }
    }
    Ok(false)
}

/// What `discover` writes in its directory (`DIR/discover-<condition>/` of a sweep).
pub const DISCOVERY_WRITTEN: [&str; 5] = [
    "manifest.json",
    "trajectory.csv",
    "box.csv",
    "discover.json",
    "charts",
];

/// Remove what cadresim writes in `dir` (`WRITTEN`), the manifest first so a half-cleared
/// directory never looks complete, then the temporary files of writes that never finished
/// and the discoveries of an earlier sweep (`discover-*`: their files, then the folder if
/// nothing else is left). Links are removed, never followed.
pub fn clear_written(dir: &Path) -> Result<(), OutputError> {
    if !written_by_cadresim(dir)? {
        return Err(OutputError::Foreign(dir.to_path_buf()));
    }
    remove_names(dir, &WRITTEN)?;
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let is_dir = entry.file_type().map_err(io_error(&path))?.is_dir();
        if !is_dir && is_temporary(&name) {
            fs::remove_file(&path).map_err(io_error(&path))?;
        } else if is_dir && name.starts_with("discover-") {
            remove_names(&path, &DISCOVERY_WRITTEN)?;
            remove_temporaries(&path)?;
            if !is_occupied(&path)? {
                fs::remove_dir(&path).map_err(io_error(&path))?;
            }
        }
    }
    Ok(())
}

/// The refusal to write into the occupied `dir` without `--force`: a result exists there,
/// or files of the user's that `--force` would not clear either.
pub fn occupied(dir: &Path) -> Result<OutputError, OutputError> {
    Ok(match written_by_cadresim(dir)? {
        true => OutputError::Exists(dir.to_path_buf()),
        false => OutputError::Foreign(dir.to_path_buf()),
    })
}

/// Whether `dir` holds a cadresim result or what a cadresim command left there: a manifest,
/// a command's lock (`*.lock.json`), or nothing but the names cadresim writes. Anything else
/// is a folder of the user's, which `--force` never clears.
fn written_by_cadresim(dir: &Path) -> Result<bool, OutputError> {
    let mut only_ours = true;
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let name = entry.map_err(io_error(dir))?.file_name();
        let name = name.to_string_lossy();
        let ours = WRITTEN.contains(&name.as_ref()) || DISCOVERY_WRITTEN.contains(&name.as_ref());
        if ours && (name == "manifest.json" || name.ends_with(".lock.json")) {
            return Ok(true);
        }
        only_ours &= ours || is_temporary(&name) || name.starts_with("discover-");
    }
    Ok(only_ours)
}

/// Remove the files and folders `names` of `dir`, those that exist.
fn remove_names(dir: &Path, names: &[&str]) -> Result<(), OutputError> {
    for name in names {
        let path = dir.join(name);
        let Ok(metadata) = fs::symlink_metadata(&path) else {
            continue;
        };
        if metadata.is_dir() {
            fs::remove_dir_all(&path).map_err(io_error(&path))?;
        } else {
            fs::remove_file(&path).map_err(io_error(&path))?;
        }
    }
    Ok(())
}

/// Remove the temporary files of `dir` whose writes never finished.
fn remove_temporaries(dir: &Path) -> Result<(), OutputError> {
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let path = entry.path();
        let is_file = !entry.file_type().map_err(io_error(&path))?.is_dir();
        if is_file && is_temporary(&entry.file_name().to_string_lossy()) {
            fs::remove_file(&path).map_err(io_error(&path))?;
        }
    }
    Ok(())
}

/// Whether `name` is one of `write_atomically`'s temporary names: `.NAME.XXXXXX.partial`.
pub fn is_temporary(name: &str) -> bool {
    let Some(inner) = name
        .strip_prefix('.')
        .and_then(|rest| rest.strip_suffix(".partial"))
    else {
        return false;
    };
    match inner.rsplit_once('.') {
        Some((written, random)) => {
            !written.is_empty()
                && random.len() == TEMPORARY_LETTERS
                && random.chars().all(|c| c.is_ascii_alphanumeric())
        }
        None => false,
    }
}

/// Random letters in a temporary file's name.
const TEMPORARY_LETTERS: usize = 6;

/// Lock `dir` and make sure it can receive a new result: refuse a directory that holds work
/// (`holds_work`) unless `force`, which removes what an earlier cadresim command wrote
/// there; what a command killed before recording its run left is removed without it.
pub fn prepare_dir(dir: &Path, force: bool) -> Result<DirLock, OutputError> {
    let lock = lock_dir(dir)?;
    if is_occupied(dir)? {
        if !force && holds_work(dir)? {
            return Err(occupied(dir)?);
        }
        clear_written(dir)?;
    }
    Ok(lock)
}

/// Create a directory inside a result directory (and its parents); refuses a link.
pub fn create_dir(dir: &Path) -> Result<(), OutputError> {
    refuse_link(dir)?;
    fs::create_dir_all(dir).map_err(io_error(dir))
}

/// The part file of point `id` in a sweep directory.
pub fn part_path(dir: &Path, id: usize) -> PathBuf {
    ledger::Ledger::new(dir, ledger::SWEEP).part_path(&format!("point-{id:06}.csv"))
}

/// Write `name` in `dir` through a uniquely named temporary file, synced and renamed when
/// complete; the directory is synced after the rename. A link at `dir/name` is replaced,
/// never written through; a failed write leaves no temporary file behind. (`dir` itself is
/// the user's `--out` or a folder made by `create_dir`, which refuses links.)
pub fn write_atomically(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut (dyn Write + Send)) -> io::Result<()>,
) -> Result<PathBuf, OutputError> {
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(OutputError::BadName {
            dir: dir.to_path_buf(),
            name: name.to_string(),
        });
    }
    let path = dir.join(name);
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(&prefix)
        .suffix(".partial")
        .rand_bytes(TEMPORARY_LETTERS);
    // Created as any file is (0666 less the umask), not tempfile's private 0600, so that
    // colleagues and a merge job under another account can read results.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let temporary = builder.tempfile_in(dir).map_err(io_error(dir))?;
    let mut writer = BufWriter::new(temporary);
    write(&mut writer).map_err(io_error(&path))?;
    let temporary = writer
        .into_inner()
        .map_err(|error| io_error(&path)(error.into_error()))?;
    temporary.as_file().sync_all().map_err(io_error(&path))?;
    temporary
        .persist(&path)
        .map_err(|error| io_error(&path)(error.error))?;
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(io_error(dir))?;
    Ok(path)
}

/// Copy `source` to `dir/name` through a temporary file renamed when complete.
pub fn copy_atomically(source: &Path, dir: &Path, name: &str) -> Result<PathBuf, OutputError> {
    let bytes = fs::read(source).map_err(io_error(source))?;
    write_atomically(dir, name, |out| out.write_all(&bytes))
}

/// Write the tables of a run in `format`; returns file name -> SHA-256.
pub fn write_tables(
    dir: &Path,
    results: &[ScenarioResult],
    format: Format,
) -> Result<BTreeMap<String, String>, OutputError> {
    let mut hashes = BTreeMap::new();
    let by_unit = results.iter().any(|result| result.units.is_some());
    let names = RUN_TABLES
        .iter()
        .chain(by_unit.then_some(&UNIT_TABLES).into_iter().flatten());
    for &table in names {
        let name = store::file_name(format, table);
        let path = write_atomically(dir, &name, |out| {
            match table {
                "timeseries" => tables::write_timeseries(out, format, results),
                "summary" => tables::write_summary(out, format, results),
                "timeseries_by_unit" => tables::write_timeseries_by_unit(out, format, results),
                "summary_by_unit" => tables::write_summary_by_unit(out, format, results),
                _ => tables::write_equilibrium(out, format, results),
            }
            .map_err(io::Error::from)
        })?;
        hashes.insert(name, sha256_file(&path).map_err(io_error(&path))?);
    }
    Ok(hashes)
}

/// Write the effects table in `format`; returns its name -> SHA-256.
pub fn write_effects(
    dir: &Path,
    rows: &[crate::rows::EffectRow],
    format: Format,
) -> Result<BTreeMap<String, String>, OutputError> {
    let name = store::file_name(format, EFFECTS_TABLE);
    let path = write_atomically(dir, &name, |out| {
        tables::write_effects(out, format, rows).map_err(io::Error::from)
    })?;
    let hash = sha256_file(&path).map_err(io_error(&path))?;
    Ok(BTreeMap::from([(name, hash)]))
}

/// How a table is written: its body to an open file.
pub type TableBody<'a> = &'a dyn Fn(&mut dyn Write) -> csv::Result<()>;

/// Write each `(name, body)` into `dir` atomically; returns name -> SHA-256.
pub fn write_hashed(
    dir: &Path,
    tables: &[(&str, TableBody)],
) -> Result<BTreeMap<String, String>, OutputError> {
    let mut hashes = BTreeMap::new();
    for (name, body) in tables {
        let path = write_atomically(dir, name, |out| body(out).map_err(io::Error::from))?;
        hashes.insert(
            name.to_string(),
            sha256_file(&path).map_err(io_error(&path))?,
        );
    }
    Ok(hashes)
}

/// SHA-256 of files inside `dir`, keyed by their path relative to `dir` (`charts/x.png`).
pub fn hash_files(dir: &Path, paths: &[PathBuf]) -> Result<BTreeMap<String, String>, OutputError> {
    let mut hashes = BTreeMap::new();
    for path in paths {
        let relative = path.strip_prefix(dir).unwrap_or(path);
        let name = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        hashes.insert(name, sha256_file(path).map_err(io_error(path))?);
    }
    Ok(hashes)
}

/// Write `manifest.json` of any kind of result (last: its presence marks the directory
/// complete).
pub fn write_manifest<R: serde::Serialize>(
    dir: &Path,
    manifest: &Manifest<R>,
) -> Result<(), OutputError> {
    let text = serde_json::to_string_pretty(manifest).expect("manifest serializes");
    write_atomically(dir, "manifest.json", |out| {
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")
    })?;
    Ok(())
}

/// Rewrite `dir/manifest.json` (atomically): the listed files that `keep` accepts, then
/// `add`; each of `fields` set at the top level (null removes what it said). Returns false,
/// writing nothing, when `dir` has no manifest. Any kind of manifest (run, sweep, discovery)
/// is kept as it is otherwise.
pub fn relist_manifest(
    dir: &Path,
    keep: impl Fn(&str) -> bool,
    add: &BTreeMap<String, String>,
    fields: &[(&str, serde_json::Value)],
) -> Result<bool, OutputError> {
    let path = dir.join("manifest.json");
    if !path.exists() {
        return Ok(false);
    }
    let unreadable = |message: String| OutputError::NotManifest {
        path: path.clone(),
        message,
    };
    let text = fs::read_to_string(&path).map_err(io_error(&path))?;
    let mut manifest: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))?;
    let object = manifest
        .as_object_mut()
        .ok_or_else(|| unreadable("not a JSON object".to_string()))?;
    let listed = object
        .entry("files")
        .or_insert_with(|| serde_json::json!({}))
        .as_object_mut()
        .ok_or_else(|| unreadable("`files` is not an object".to_string()))?;
    listed.retain(|name, _| keep(name));
    for (name, hash) in add {
        listed.insert(name.clone(), serde_json::Value::String(hash.clone()));
    }
    for (key, value) in fields {
        object.insert(key.to_string(), value.clone());
    }
    let text = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
    write_atomically(dir, "manifest.json", |out| out.write_all(text.as_bytes()))?;
    Ok(true)
}

/// Remove the files of `dir/folder` whose names `remove` accepts (charts an analysis or a
/// redraw replaces); links are removed, never followed.
pub fn remove_files_in(
    dir: &Path,
    folder: &str,
    remove: impl Fn(&str) -> bool,
) -> Result<(), OutputError> {
    let folder = dir.join(folder);
    refuse_link(&folder)?;
    let Ok(entries) = fs::read_dir(&folder) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry.map_err(io_error(&folder))?;
        let path = entry.path();
        let is_dir = entry.file_type().map_err(io_error(&path))?.is_dir();
        if !is_dir && remove(&entry.file_name().to_string_lossy()) {
            fs::remove_file(&path).map_err(io_error(&path))?;
        }
    }
    Ok(())
}

/// Refuse `path` when it is a symbolic link (cadresim neither writes nor removes through one).
pub fn refuse_link(path: &Path) -> Result<(), OutputError> {
    match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => {
            Err(OutputError::Symlink(path.to_path_buf()))
        }
        _ => Ok(()),
    }
}

/// Read a manifest.
/// The files `dir/manifest.json` vouches for, name -> SHA-256 (any manifest cadresim writes:
/// a run's, a sweep's, a report's).
pub fn recorded_hashes(dir: &Path) -> Result<BTreeMap<String, String>, OutputError> {
    #[derive(serde::Deserialize)]
    struct Files {
        files: BTreeMap<String, String>,
    }
    let path = dir.join("manifest.json");
    let text = fs::read_to_string(&path).map_err(io_error(&path))?;
    let recorded: Files =
        serde_json::from_str(&text).map_err(|error| OutputError::NotManifest {
            path: path.clone(),
            message: error.to_string(),
        })?;
    Ok(recorded.files)
}

/// Refuse files of `dir` that are not exactly what its manifest recorded (edited, damaged,
/// or not listed): an analysis reads only tables the manifest vouches for.
pub fn verify_files(dir: &Path, names: &[&str]) -> Result<(), OutputError> {
    let recorded = recorded_hashes(dir)?;
    for name in names {
        let path = dir.join(name);
        let altered = |message: &str| OutputError::Altered {
            path: path.clone(),
            message: message.to_string(),
        };
        let expected = recorded
            .get(*name)
            .ok_or_else(|| altered("is not listed in manifest.json, so nothing vouches for it"))?;
        if sha256_file(&path).map_err(io_error(&path))? != *expected {
            return Err(altered("differs from the SHA-256 manifest.json records for it (edited or damaged since it was written); run or replay it again"));
        }
    }
    Ok(())
}

/// The manifest of a result of simulated scenarios (`run`, `did`, `compare`, ...).
pub fn read_manifest(path: &Path) -> Result<Manifest, OutputError> {
    read_manifest_as(path)
}

/// The manifest at `path` with the record of the command that wrote it read as `R`
/// (`serde_json::Value` to read any command's, or a struct of the fields wanted).
pub fn read_manifest_as<R: serde::de::DeserializeOwned>(
    path: &Path,
) -> Result<Manifest<R>, OutputError> {
    let text = fs::read_to_string(path).map_err(io_error(path))?;
    serde_json::from_str(&text).map_err(|error| OutputError::NotManifest {
        path: path.to_path_buf(),
        message: error.to_string(),
    })
}
