//! The `compare` study: result directories read, checked against their manifests and
//! compared with a baseline (paired differences under common random numbers, Welch's where
//! runs cannot be paired), written to a comparison directory (`differences.csv`, the run
//! charts side by side, the differences chart, `manifest.json` last); and the request a
//! `compare` manifest records, for `replay`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::charts::{draw_results, read_results, unique_labels};
use super::{refuse_output_among_inputs, resolved, Event, Observer, StudyError};
use crate::charts;
use crate::comparison::{self, RunOf};
use crate::output::manifest::Manifest;
use crate::output::{self, series, tables};

/// What to compare: result directories of `run`, the baseline scenario (default: the first),
/// whether run charts overlay the directories, and where to write.
#[derive(Clone, Debug)]
pub struct CompareRequest {
    pub dirs: Vec<PathBuf>,
    pub out: PathBuf,
    pub baseline: Option<String>,
    pub overlay: bool,
    pub force: bool,
    pub size: (u32, u32),
}

/// A finished comparison: the files written (`differences.csv` and the charts), the
/// baseline, and the notes on differences that could not be paired (none: every difference
/// is paired; each was also reported as a `note: ...` stage when it was known).
#[derive(Clone, Debug)]
pub struct CompareOutcome {
    pub files: usize,
    pub baseline: String,
    pub notes: Vec<String>,
}

/// Read, check and compare, then write `out` with its manifest (last). Everything is read
/// and checked first; the output directory is then locked, and refused when it holds
/// anything unless `force`.
pub fn compare(
    args: &CompareRequest,
    observer: &dyn Observer,
) -> Result<CompareOutcome, StudyError> {
    refuse_output_among_inputs(
        &args.out,
        &args.dirs,
        "the result directory",
        "choose another --out",
    )?;
    let labels = unique_labels(&args.dirs);
    let single = args.dirs.len() == 1;
    let mut rows = Vec::new();
    let mut runs = Vec::new();
    let mut scenarios = Vec::new();
    for (dir, label) in args.dirs.iter().zip(&labels) {
        let manifest = run_manifest(dir)?;
        verify_tables(dir, &manifest.files)?;
        // One directory: its scenarios keep their names.
        let named = |scenario: &str| match single {
            true => scenario.to_string(),
            false => series::compared_name(label, scenario),
        };
        let summary = tables::read_summary(&output::store::find(dir, "summary"))
            .map_err(|error| StudyError::Failed(error.to_string()))?;
        rows.extend(summary.into_iter().map(|mut row| {
            row.scenario = named(&row.scenario);
            row
        }));
        runs.extend(
            manifest
                .record
                .scenarios
                .iter()
                .map(|scenario| RunOf::new(named(&scenario.name), &scenario.params)),
        );
        scenarios.extend(manifest.record.scenarios);
    }
    if let ([dir], [only]) = (&args.dirs[..], &runs[..]) {
        return Err(StudyError::Usage(format!(
            "{}: holds one scenario, `{}`; compare needs two (give a second result directory)",
            dir.display(),
            only.scenario
        )));
    }
    let comparison::Differences {
        baseline,
        rows: differences,
        notes,
    } = comparison::differences(&rows, &runs, args.baseline.as_deref())
        .map_err(|error| StudyError::Usage(error.to_string()))?;
    // The notes as soon as they are known, as lines of their own (`note: ...`).
    for note in &notes {
        observer.event(Event::Stage(format!("note: {note}")));
    }
    let results = read_results(&args.dirs, None, observer)?;
    let _lock = output::prepare_dir(&args.out, args.force)?;
    let started = output::manifest::now_utc();
    let mut files = draw_results(&results, &args.dirs, &args.out, args.size, args.overlay)?;
    files.push(output::write_atomically(
        &args.out,
        "differences.csv",
        |out| tables::write_differences(out, &differences).map_err(Into::into),
    )?);
    files.extend(charts::draw_differences(
        &baseline,
        &differences,
        &args.out,
        args.size,
    )?);
    let manifest = output::manifest::Manifest {
        stamp: output::manifest::Stamp::now("compare", Some(1), Some(started)),
        record: output::manifest::RunRecord {
            seed: None,
            replicates: None,
            steps: None,
            scenarios,
            settings: Some(serde_json::json!({
                "dirs": args.dirs.iter().map(|d| resolved(d)).collect::<Vec<_>>(),
                "baseline": args.baseline,
                "overlay": args.overlay,
            })),
        },
        files: output::hash_files(&args.out, &files)?,
    };
    output::write_manifest(&args.out, &manifest)?;
    Ok(CompareOutcome {
        files: files.len(),
        baseline,
        notes,
    })
}

/// The manifest of the result directory `dir`, read once; refused when it is missing or
/// unreadable (the runs cannot be paired without it) or another command than `run` wrote it
/// (a sweep, a study: no run tables to compare).
fn run_manifest(dir: &Path) -> Result<Manifest, StudyError> {
    let path = dir.join("manifest.json");
    let unpairable = |error: output::OutputError| {
        StudyError::Usage(format!(
            "{error}; without it the seeds and replicates of {} are unknown and its scenarios cannot be paired",
            dir.display()
        ))
    };
    let manifest = output::read_manifest_as::<serde_json::Value>(&path).map_err(unpairable)?;
    if manifest.stamp.command != "run" {
        return Err(StudyError::Usage(format!(
            "{}: holds the result of `cadresim {}`; compare reads result directories of `cadresim run`",
            dir.display(),
            manifest.stamp.command
        )));
    }
    let record = serde_json::from_value(manifest.record).map_err(|error| {
        unpairable(output::OutputError::NotManifest {
            path: path.clone(),
            message: error.to_string(),
        })
    })?;
    Ok(Manifest {
        stamp: manifest.stamp,
        record,
        files: manifest.files,
    })
}

/// The comparison a `compare` manifest's `settings` record, written again into `out`
/// (replaced): for `replay`.
pub fn recorded(settings: &serde_json::Value, out: &Path) -> Result<CompareRequest, StudyError> {
    let missing = |key: &str| {
        StudyError::Usage(format!(
            "the manifest records no `settings.{key}`; this comparison cannot be replayed"
        ))
    };
    let dirs: Vec<PathBuf> = settings
        .get("dirs")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .ok_or_else(|| missing("dirs"))?;
    let baseline = settings
        .get("baseline")
        .and_then(|v| v.as_str())
        .map(String::from);
    let overlay = settings
        .get("overlay")
        .and_then(|v| v.as_bool())
        .ok_or_else(|| missing("overlay"))?;
    Ok(CompareRequest {
        dirs,
        out: out.to_path_buf(),
        baseline,
        overlay,
        force: true,
        size: charts::DEFAULT_SIZE,
    })
}

/// Refuse a result directory whose tables differ from the hashes its manifest `recorded`.
fn verify_tables(dir: &Path, recorded: &BTreeMap<String, String>) -> Result<(), StudyError> {
    let file = |table: &str| {
        let path = output::store::find(dir, table);
        path.file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let mut tables: Vec<String> = output::RUN_TABLES.iter().map(|t| file(t)).collect();
    tables.extend(
        output::UNIT_TABLES
            .iter()
            .map(|t| file(t))
            .filter(|name| recorded.contains_key(name)),
    );
    let tables: Vec<&str> = tables.iter().map(String::as_str).collect();
    Ok(output::verify_files(dir, &tables)?)
}
