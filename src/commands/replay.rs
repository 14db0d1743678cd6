//! `cadresim replay MANIFEST`: run again what a manifest records and check every table
//! against it. The manifest's `command` says what to run: a run (the scenarios it records),
//! a sweep of any design, merged or not (the complete sweep as run is in the
//! `sweep.lock.json` beside the manifest), a discovery (its `discover.json`), a DiD study
//! (its scenario and settings) or a comparison (of the directories it records). Tables are
//! compared byte for byte; charts are not re-checked (their bytes depend on the fonts of the
//! machine that draws them).

use std::collections::BTreeMap;
use std::path::Path;

use super::{CommandError, Terminal};
use crate::cli::ReplayArgs;
use cadresim::output::{self, manifest};
use cadresim::study::compare;
use cadresim::study::run::{rerun, RerunRequest};

pub(crate) fn replay(args: ReplayArgs) -> Result<i32, CommandError> {
    let json = read_json(&args.manifest)?;
    let command = json
        .get("command")
        .and_then(|c| c.as_str())
        .unwrap_or("run")
        .to_string();
    let beside = args
        .manifest
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    refuse_own_directory(&args, &beside)?;
    match command.as_str() {
        "run" => replay_run(args),
        "sweep" | "merge" => replay_with(&args, &json, |out| {
            cadresim::study::sweep::rerun(&args.manifest, out, args.threads)
        }),
        "discover" => replay_with(&args, &json, |out| {
            let above = beside.parent().unwrap_or(Path::new("."));
            cadresim::study::discover::rerun(&beside.join("discover.json"), above, out)
        }),
        "did" => replay_with(&args, &json, |out| {
            let request = cadresim::study::did::recorded(&args.manifest, out, args.threads)?;
            cadresim::study::did::did(&request, &cadresim::study::Silent).map(|_| ())
        }),
        "compare" => {
            let settings = json.get("settings").cloned().unwrap_or_default();
            replay_with(&args, &json, |out| {
                let request = compare::recorded(&settings, out)?;
                compare::compare(&request, &Terminal::default()).map(|_| ())
            })
        }
        other => Err(CommandError::Usage(format!(
            "{}: a `{other}` manifest cannot be replayed; run `cadresim {other}` again with the settings it records",
            args.manifest.display()
        ))),
    }
}

/// Refuse an `--out` that is the directory of the manifest replayed (`beside`): replaying
/// into it would replace what is checked.
fn refuse_own_directory(args: &ReplayArgs, beside: &Path) -> Result<(), CommandError> {
    let Some(out) = &args.out else {
        return Ok(());
    };
    let beside = match beside.as_os_str().is_empty() {
        true => Path::new("."),
        false => beside,
    };
    match (out.canonicalize(), beside.canonicalize()) {
        (Ok(out_dir), Ok(dir)) if out_dir == dir => Err(CommandError::Usage(format!(
            "{}: is the directory of the manifest replayed; choose another --out",
            out.display()
        ))),
        _ => Ok(()),
    }
}

/// Run a run manifest's scenarios again (into `--out`, or a scratch directory) and compare
/// the tables' hashes with the recorded ones.
fn replay_run(args: ReplayArgs) -> Result<i32, CommandError> {
    let beside = args.manifest.parent().unwrap_or(Path::new("."));
    let recorded = output::read_manifest(&args.manifest)
        .map_err(|error| CommandError::Usage(error.to_string()))?;
    let changed_on_disk = files_changed_since(beside, &recorded.files);
    let scratch = match &args.out {
        Some(_) => None,
        None => Some(tempfile::TempDir::new().map_err(|e| CommandError::Failed(e.to_string()))?),
    };
    let request = RerunRequest {
        recorded,
        file: args.manifest.clone(),
        out: match (&args.out, &scratch) {
            (Some(dir), _) => dir.clone(),
            (None, Some(scratch)) => scratch.path().to_path_buf(),
            (None, None) => unreachable!("a replay without --out has a scratch directory"),
        },
        overwrite: args.force || scratch.is_some(),
        write_manifest: scratch.is_none(),
        threads: args.threads,
    };
    let outcome = rerun(&request, &Terminal::default())?;
    let compared: Vec<&str> = outcome.compared.iter().map(String::as_str).collect();
    verdict(
        &args.manifest,
        &compared,
        &request.recorded.files,
        &outcome.rerun,
        &changed_on_disk,
    )
}

/// The manifest as JSON, or a one-line refusal.
fn read_json(path: &Path) -> Result<serde_json::Value, CommandError> {
    let unreadable = |why: String| {
        CommandError::Usage(format!(
            "{}: not a cadresim manifest ({why})",
            path.display()
        ))
    };
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))
}

/// Run `rerun` into `--out` (refused when it holds something, unless `--force`) or a
/// temporary directory, then compare its tables with the recorded ones.
fn replay_with(
    args: &ReplayArgs,
    json: &serde_json::Value,
    rerun: impl FnOnce(&Path) -> Result<(), CommandError>,
) -> Result<i32, CommandError> {
    let recorded = files_of(json, &args.manifest)?;
    let beside = args.manifest.parent().unwrap_or(Path::new("."));
    let changed_on_disk = files_changed_since(beside, &recorded);
    let temporary = tempfile::TempDir::new().map_err(|e| CommandError::Failed(e.to_string()))?;
    let out = match &args.out {
        Some(dir) => {
            if !args.force && output::is_occupied(dir)? {
                return Err(output::occupied(dir)?.into());
            }
            dir.clone()
        }
        None => temporary.path().join("replay"),
    };
    rerun(&out)?;
    let rerun_files = files_of(&read_json(&out.join("manifest.json"))?, &out)?;
    let compared: Vec<&str> = recorded
        .keys()
        .chain(rerun_files.keys())
        .map(String::as_str)
        .filter(|name| name.ends_with(".csv"))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    verdict(
        &args.manifest,
        &compared,
        &recorded,
        &rerun_files,
        &changed_on_disk,
    )
}

/// The `files` of a manifest (name -> SHA-256).
fn files_of(
    json: &serde_json::Value,
    path: &Path,
) -> Result<BTreeMap<String, String>, CommandError> {
    json.get("files")
        .and_then(|files| serde_json::from_value(files.clone()).ok())
        .ok_or_else(|| {
            CommandError::Usage(format!(
                "{}: not a cadresim manifest (no `files`)",
                path.display()
            ))
        })
}

/// Exit 0 with one line when every compared table is identical and every recorded file
/// beside the manifest still has its hash; otherwise a one-line failure naming them.
fn verdict(
    manifest: &Path,
    compared: &[&str],
    recorded: &BTreeMap<String, String>,
    rerun: &BTreeMap<String, String>,
    changed_on_disk: &[String],
) -> Result<i32, CommandError> {
    let rerun_differs: Vec<&str> = compared
        .iter()
        .copied()
        .filter(|name| recorded.get(*name) != rerun.get(*name))
        .collect();
    if rerun_differs.is_empty() && changed_on_disk.is_empty() {
        println!(
            "replay matches: {} identical to {}, and every file beside it matches its hash",
            compared.join(", "),
            manifest.display()
        );
        return Ok(0);
    }
    let mut problems = Vec::new();
    if !changed_on_disk.is_empty() {
        problems.push(format!(
            "files beside it differ from its hashes: {}",
            changed_on_disk.join(", ")
        ));
    }
    if !rerun_differs.is_empty() {
        problems.push(format!("the re-run differs: {}", rerun_differs.join(", ")));
    }
    Err(CommandError::Failed(format!(
        "replay of {}: {}",
        manifest.display(),
        problems.join("; ")
    )))
}

/// The files a manifest lists whose bytes in `dir` no longer hash as recorded (or are gone).
fn files_changed_since(dir: &Path, recorded: &BTreeMap<String, String>) -> Vec<String> {
    recorded
        .iter()
        .filter(|(name, hash)| {
            manifest::sha256_file(&dir.join(name.as_str()))
                .ok()
                .as_ref()
                != Some(*hash)
        })
        .map(|(name, _)| name.clone())
        .collect()
}
