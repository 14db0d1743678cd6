//! Parameter sweeps: running every point x replicate of a design under common random numbers,
//! committing results point by point (so a killed sweep resumes without loss or
//! duplication), shards for clusters, merging shards, and the sweep tables.
//!
//! A sweep directory holds `sweep.lock.json` (what is being run), `parts/point-<id>.csv`
//! (one file per finished point, written atomically), then `points.csv`, `sweep.csv`,
//! `sweep_summary.csv`, `charts/` and, last, `manifest.json`.

pub mod boundary;
pub mod design;
pub mod file;
// The designs' unit-hypercube samples live in the analysis crate.
pub use cadresim_analysis::sweep::sampling;
pub mod searching;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::metrics::{Equilibrium, Settling, METRIC_COUNT, WHOLE_HIERARCHY};
use crate::output::ledger::{self, Builds, Found, Ledger};
use crate::output::manifest::{cadresim_build, sha256_hex};
use crate::output::tables::{self, ReadError};
use crate::output::{self, part_path, write_atomically, DirLock, OutputError};
use crate::params::Plan;
use crate::registry::ParamError;
use crate::runner;
use crate::scenario::Scenario;
pub use design::{Axis, Design, Point, SweepSpec};

/// Files of a finished sweep directory (manifest aside), in the order they are written.
pub const SWEEP_FILES: [&str; 3] = ["points.csv", "sweep.csv", "sweep_summary.csv"];

/// What a sweep directory is running: resumes and merges must agree on all of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepLock {
    /// SHA-256 of the sweep file text.
    pub sweep_sha256: String,
    pub seed: u64,
    pub replicates: u64,
    pub steps: u64,
    /// (K, N): this directory runs the K-th of N slices (1-based), or None for all points.
    pub shard: Option<(usize, usize)>,
    pub spec: SweepSpec,
    /// Every cadresim build (`manifest::cadresim_build`) that computed parts here, in the
    /// order they did (empty in locks written before builds were recorded: unknown).
    #[serde(default)]
    pub computed_by: Vec<String>,
}

impl SweepLock {
    pub fn new(spec: &SweepSpec, shard: Option<(usize, usize)>) -> Self {
        SweepLock {
            sweep_sha256: sha256_hex(spec.source_text.as_bytes()),
            seed: spec.base.params.run.seed,
            replicates: spec.base.params.run.replicates,
            steps: spec.base.params.run.steps,
            shard,
            spec: spec.clone(),
            computed_by: vec![cadresim_build()],
        }
    }

    /// Refuse parts computed by another cadresim build than this one unless `mixed`; with
    /// it, record this build beside theirs. `what` names the directory in the error.
    pub fn accept_builds(
        &mut self,
        earlier: &[String],
        what: &str,
        mixed: bool,
    ) -> Result<(), SweepError> {
        let ours = Builds(std::mem::take(&mut self.computed_by));
        let resumed = Builds(earlier.to_vec())
            .resume(what, "finish it with that build", mixed)
            .map_err(SweepError::Usage)?;
        self.computed_by = resumed.and(&ours).0;
        Ok(())
    }

    /// Whether two locks describe the same sweep (shards aside).
    pub fn same_sweep(&self, other: &SweepLock) -> bool {
        self.sweep_sha256 == other.sweep_sha256
            && self.seed == other.seed
            && self.replicates == other.replicates
            && self.steps == other.steps
            && self.spec.base == other.spec.base
    }
}

/// Sweep failures.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("{path}: {message}")]
    Corrupt { path: PathBuf, message: String },
    /// A simulation produced a number that is not finite.
    #[error("{0}")]
    NonFinite(String),
}

impl From<ReadError> for SweepError {
    fn from(error: ReadError) -> Self {
        SweepError::Corrupt {
            path: PathBuf::from(error.path),
            message: error.message,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SweepError + '_ {
    move |source| {
        SweepError::Output(OutputError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Parse `K/N` (1 <= K <= N).
pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let parsed = text
        .split_once('/')
        .and_then(|(k, n)| {
            Some((
                k.trim().parse::<usize>().ok()?,
                n.trim().parse::<usize>().ok()?,
            ))
        })
        .filter(|(k, n)| *k >= 1 && k <= n);
    parsed.ok_or_else(|| format!("expected K/N with 1 <= K <= N, such as 2/8, got `{text}`"))
}

/// The points a shard runs: every N-th group (point, or path) starting at K-1.
pub fn shard_points(points: Vec<Point>, shard: Option<(usize, usize)>) -> Vec<Point> {
    match shard {
        None => points,
        Some((k, n)) => points
            .into_iter()
            .filter(|p| p.group % n == k - 1)
            .collect(),
    }
}

/// What `--resume` needs to match.
const SAME_SWEEP: &str = "sweep file, seed, replicates, steps (or --until-settled) and --shard";

/// Lock and prepare a sweep directory: new, resumed or forced. `--resume` continues only a
/// sweep of the same file, seed, replicates, steps and shard; on a missing or empty directory
/// it starts the sweep; anything else there is refused unless `force`, which removes what an
/// earlier cadresim command wrote (and nothing else). The lock is held until dropped.
pub fn prepare(
    dir: &Path,
    lock: &mut SweepLock,
    resume: bool,
    force: bool,
    mixed: bool,
) -> Result<DirLock, SweepError> {
    let guard = output::lock_dir(dir)?;
    let ledger = Ledger::new(dir, ledger::SWEEP);
    // A damaged lock is reported to --resume; starting afresh (--force) replaces it.
    let existing = match ledger.header::<SweepLock>() {
        Ok(existing) => existing,
        Err(error) if resume && !force => return Err(header_error(error)),
        Err(_) => None,
    };
    match existing {
        Some(existing) if resume && !force => {
            if !existing.same_sweep(lock) || existing.shard != lock.shard {
                let found = Found::Unfinished(());
                return Err(SweepError::Usage(ledger.refusal(&found, SAME_SWEEP)));
            }
            let earlier = existing.computed_by.clone();
            lock.accept_builds(&earlier, &dir.display().to_string(), mixed)?;
            if lock.computed_by != earlier {
                write_lock(dir, lock)?;
            }
            let manifest = dir.join("manifest.json");
            if manifest.exists() {
                fs::remove_file(&manifest).map_err(io(&manifest))?;
            }
        }
        _ => {
            if output::is_occupied(dir)? {
                if !force && output::holds_work(dir)? {
                    if resume {
                        let found = Found::<()>::Foreign;
                        return Err(SweepError::Usage(ledger.refusal(&found, SAME_SWEEP)));
                    }
                    return Err(SweepError::Output(output::occupied(dir)?));
                }
                output::clear_written(dir)?;
            }
            write_lock(dir, lock)?;
        }
    }
    ledger.open_parts()?;
    Ok(guard)
}

fn write_lock(dir: &Path, lock: &SweepLock) -> Result<(), SweepError> {
    Ok(Ledger::new(dir, ledger::SWEEP).write_header(lock)?)
}

/// The check of a point's part in `dir`: None when the part is missing, else whether it is
/// that point's, with the sweep's replicate count and the rows that were committed.
fn check_part(spec: &SweepSpec, dir: &Path, point: &Point) -> Option<Result<(), ReadError>> {
    let path = part_path(dir, point.id);
    if fs::symlink_metadata(&path).is_err() {
        return None;
    }
    let replicates = spec.base.params.run.replicates as usize;
    Some(tables::read_part(&path, point.id, replicates).map(|_| ()))
}

/// The parts in `dir` that exist but fail their check (damaged, another point's, another
/// sweep's), with what is wrong; `run_points` runs those points again.
pub fn damaged_parts(spec: &SweepSpec, points: &[Point], dir: &Path) -> Vec<ReadError> {
    points
        .iter()
        .filter_map(|point| check_part(spec, dir, point)?.err())
        .collect()
}

/// How far a sweep (or shard) directory has got.
#[derive(Clone, Debug, Serialize)]
pub struct Progress {
    pub dir: PathBuf,
    /// (K, N) for a shard, None for a whole sweep.
    pub shard: Option<(usize, usize)>,
    /// Points with an intact part.
    pub done: usize,
    /// Points this directory runs (for a boundary design, the most its searches may use).
    pub total: usize,
    /// A boundary design: its searches decide how many points they need.
    pub adaptive: bool,
    /// Parts that exist but fail their check, with what is wrong (run again on `--resume`).
    pub damaged: Vec<String>,
    /// Another cadresim command is writing the directory now.
    pub running: bool,
    /// The tables and manifest are written (a finished sweep or shard).
    pub finished: bool,
    /// The directory exists (a queued cluster task has not made it yet).
    pub started: bool,
}

/// The progress of one sweep or shard directory, and its lock (None for a directory that does
/// not exist yet).
pub fn progress(dir: &Path) -> Result<(Progress, Option<SweepLock>), SweepError> {
    if dir.exists() && !dir.is_dir() {
        return Err(OutputError::NotAResult(dir.to_path_buf()).into());
    }
    if !dir.exists() {
        let progress = Progress {
            dir: dir.to_path_buf(),
            shard: None,
            done: 0,
            total: 0,
            adaptive: false,
            damaged: Vec::new(),
            running: false,
            finished: false,
            started: false,
        };
        return Ok((progress, None));
    }
    let lock = read_lock(dir)?;
    let spec = &lock.spec;
    let adaptive = spec.design == Design::Boundary;
    let points = if adaptive {
        // Every id a search may use; a search stops early when its brackets are narrow.
        let from = spec.boundary_range().from;
        shard_points(spec.searches(), lock.shard)
            .iter()
            .flat_map(|search| {
                (0..spec.boundary_spec().max_evaluations)
                    .map(|k| spec.boundary_point(search, k, from))
                    .collect::<Vec<_>>()
            })
            .collect()
    } else {
        shard_points(spec.points(), lock.shard)
    };
    let (mut done, mut damaged) = (0, Vec::new());
    for point in &points {
        match check_part(&lock.spec, dir, point) {
            Some(Ok(())) => done += 1,
            Some(Err(error)) => damaged.push(error.to_string()),
            None => {}
        }
    }
    let progress = Progress {
        dir: dir.to_path_buf(),
        shard: lock.shard,
        done,
        total: points.len(),
        adaptive,
        damaged,
        running: output::is_locked(dir),
        finished: dir.join("manifest.json").exists(),
        started: true,
    };
    Ok((progress, Some(lock)))
}

/// The part of every point in the shard directories `dirs`, each checked: a missing point is
/// a usage error, a damaged part an error naming its file.
pub fn shard_parts(
    spec: &SweepSpec,
    points: &[Point],
    dirs: &[PathBuf],
) -> Result<Vec<PathBuf>, SweepError> {
    let mut sources = Vec::with_capacity(points.len());
    for point in points {
        let Some((dir, check)) = dirs
            .iter()
            .find_map(|dir| Some((dir, check_part(spec, dir, point)?)))
        else {
            return Err(SweepError::Usage(format!(
                "point {} has no results in {}; run its shard (with --resume) before merging",
                point.id,
                dirs.iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        check?;
        sources.push(part_path(dir, point.id));
    }
    Ok(sources)
}

/// Run every point of `points` whose part is missing or fails its check; `progress` is
/// called once per point.
/// Path designs run a whole path (group) at once, so their parts appear group by group.
pub fn run_points(
    spec: &SweepSpec,
    points: &[Point],
    dir: &Path,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<usize, SweepError> {
    let (done, missing): (Vec<Vec<&Point>>, Vec<Vec<&Point>>) =
        groups(points).into_iter().partition(|group| {
            group
                .iter()
                .all(|p| matches!(check_part(spec, dir, p), Some(Ok(()))))
        });
    progress(done.iter().map(Vec::len).sum::<usize>() as u64);
    let ran: usize = missing.iter().map(Vec::len).sum();
    missing
        .par_iter()
        .try_for_each(|group| -> Result<(), SweepError> {
            let (scenario, plan) = group_plan(spec, group)?;
            let equilibria = if spec.design == Design::Path {
                run_path(spec, &plan, group.len())
            } else {
                vec![run_point(&plan)]
            };
            for (point, by_replicate) in group.iter().zip(&equilibria) {
                check_finite(point, by_replicate)?;
                write_part(dir, point, &scenario, by_replicate)?;
                progress(1);
            }
            Ok(())
        })?;
    Ok(ran)
}

/// Consecutive points of one group (a path runs as one simulation; other points alone).
fn groups(points: &[Point]) -> Vec<Vec<&Point>> {
    let mut groups: Vec<Vec<&Point>> = Vec::new();
    for point in points {
        match groups.last_mut() {
            Some(group) if group[0].group == point.group => group.push(point),
            _ => groups.push(vec![point]),
        }
    }
    groups
}

/// The scenario and plan that run a group of points. Level names come from the point's own
/// scenario: an axis may change the hierarchy.
fn group_plan(spec: &SweepSpec, group: &[&Point]) -> Result<(Scenario, Plan), SweepError> {
    let scenario = if spec.design == Design::Path {
        spec.path_scenario(group).map_err(usage(group[0]))?
    } else {
        spec.scenario_for(group[0]).map_err(usage(group[0]))?
    };
    let plan = scenario
        .plan()
        .map_err(|error| SweepError::Usage(format!("point {}: {error}", group[0].id)))?;
    Ok((scenario, plan))
}

/// Check that every point of the sweep (for a boundary design, of its initial grids) makes
/// a plan that can run, before any directory is touched.
pub fn check_plans(spec: &SweepSpec) -> Result<(), SweepError> {
    let points = spec.points();
    let groups = match spec.design {
        Design::Path => groups(&points),
        _ => points.iter().map(|point| vec![point]).collect(),
    };
    groups
        .par_iter()
        .try_for_each(|group| group_plan(spec, group).map(|_| ()))
}

fn usage(point: &Point) -> impl FnOnce(ParamError) -> SweepError + '_ {
    move |error| SweepError::Usage(format!("point {}: {error}", point.id))
}

/// Refuse to commit a point whose equilibrium holds a number that is not finite.
fn check_finite(point: &Point, equilibria: &[Vec<Equilibrium>]) -> Result<(), SweepError> {
    for equilibrium in equilibria.iter().flatten() {
        if let Some(metric) = equilibrium.means.iter().position(|m| !m.is_finite()) {
            return Err(SweepError::NonFinite(format!(
                "point {}: {} is not a finite number; the point was not committed. Please report the sweep file",
                point.id,
                crate::metrics::METRICS[metric]
            )));
        }
    }
    Ok(())
}

/// Equilibria of one point: `[replicate][level]`.
fn run_point(plan: &Plan) -> Vec<Vec<Equilibrium>> {
    (0..plan.params.run.replicates)
        .into_par_iter()
        .map(|r| runner::run_replicate(plan, r, &|_| {}).equilibria)
        .collect()
}

/// Equilibria of every point of a path: `[point][replicate][level]`, each over the second
/// half of the point's steps (`converged_at` counts from the point's first step).
fn run_path(spec: &SweepSpec, plan: &Plan, points: usize) -> Vec<Vec<Vec<Equilibrium>>> {
    let levels = plan.params.hierarchy.levels.len() + 1;
    let per_point = spec.steps_per_point;
    let by_replicate: Vec<Vec<Vec<Equilibrium>>> = (0..plan.params.run.replicates)
        .into_par_iter()
        .map(|r| {
            let records = runner::run_replicate(plan, r, &|_| {}).records;
            (0..points)
                .map(|position| {
                    (0..levels)
                        .map(|level| {
                            let series: Vec<[f64; METRIC_COUNT]> =
                                records[position * per_point * levels
                                    ..(position + 1) * per_point * levels]
                                    .iter()
                                    .skip(level)
                                    .step_by(levels)
                                    .copied()
                                    .collect();
                            crate::metrics::equilibrium(
                                &series,
                                per_point / 2,
                                &plan.params.equilibrium,
                            )
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    // Regroup [replicate][point][level] as [point][replicate][level].
    (0..points)
        .map(|position| by_replicate.iter().map(|r| r[position].clone()).collect())
        .collect()
}

fn write_part(
    dir: &Path,
    point: &Point,
    scenario: &Scenario,
    equilibria: &[Vec<Equilibrium>],
) -> Result<(), SweepError> {
    let levels = crate::runner::level_names(&scenario.params);
    let path = part_path(dir, point.id);
    let name = path.file_name().expect("a part path names a file");
    Ledger::new(dir, ledger::SWEEP).write_part(&name.to_string_lossy(), |out| {
        tables::write_part(out, point.id, &levels, equilibria).map_err(Into::into)
    })?;
    Ok(())
}

/// Write points.csv, sweep.csv and sweep_summary.csv from the parts of `points` found in
/// `part_dirs` (one directory, or every shard of a merge); returns file -> SHA-256 and how
/// many point x replicate equilibria of the whole hierarchy had not settled.
pub fn assemble(
    spec: &SweepSpec,
    points: &[Point],
    part_dirs: &[PathBuf],
    out: &Path,
) -> Result<(BTreeMap<String, String>, Settling), SweepError> {
    let mut rows_by_point = Vec::with_capacity(points.len());
    for point in points {
        let path = part_dirs
            .iter()
            .map(|dir| part_path(dir, point.id))
            .find(|path| path.exists())
            .ok_or_else(|| {
                SweepError::Usage(format!(
                    "point {} has no results in {}",
                    point.id,
                    part_dirs
                        .iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        let replicates = spec.base.params.run.replicates as usize;
        rows_by_point.push(tables::read_part(&path, point.id, replicates)?);
    }
    let mut hashes = BTreeMap::new();
    let mut record = |name: &str, path: PathBuf| -> Result<(), SweepError> {
        let bytes = fs::read(&path).map_err(io(&path))?;
        hashes.insert(name.to_string(), sha256_hex(&bytes));
        Ok(())
    };
    let columns = spec.columns();
    let labels = points.iter().map(|p| (p.id, &p.labels[..]));
    let path = write_atomically(out, "points.csv", |writer| {
        tables::write_points(writer, &columns, labels).map_err(Into::into)
    })?;
    record("points.csv", path)?;
    let rows = points.iter().map(|p| p.id).zip(&rows_by_point);
    let path = write_atomically(out, "sweep.csv", |writer| {
        tables::write_sweep_rows(writer, rows.clone()).map_err(Into::into)
    })?;
    record("sweep.csv", path)?;
    let path = write_atomically(out, "sweep_summary.csv", |writer| {
        tables::write_sweep_summary(writer, rows).map_err(Into::into)
    })?;
    record("sweep_summary.csv", path)?;
    let settling = Settling::of(
        rows_by_point
            .iter()
            .flatten()
            .filter(|(_, level, _)| level == WHOLE_HIERARCHY)
            .map(|(_, _, equilibrium)| equilibrium),
    );
    Ok((hashes, settling))
}

/// A lock that cannot be read: damaged (`Corrupt`, naming it), or an I/O failure.
fn header_error(error: OutputError) -> SweepError {
    match error {
        OutputError::BadLedger { path, message } => SweepError::Corrupt { path, message },
        other => SweepError::Output(other),
    }
}

/// Read the lock of a sweep (or shard) directory.
pub fn read_lock(dir: &Path) -> Result<SweepLock, SweepError> {
    let ledger = Ledger::new(dir, ledger::SWEEP);
    ledger.header().map_err(header_error)?.ok_or_else(|| {
        SweepError::Usage(format!(
            "{}: not a sweep directory (no sweep.lock.json)",
            dir.display()
        ))
    })
}

/// Check that shard directories come from one sweep and cover every shard exactly once;
/// returns the common lock (without shard).
pub fn check_shards(dirs: &[PathBuf]) -> Result<SweepLock, SweepError> {
    let locks: Vec<SweepLock> = dirs
        .iter()
        .map(|d| read_lock(d))
        .collect::<Result<_, _>>()?;
    let first = locks
        .first()
        .ok_or_else(|| SweepError::Usage("merge needs at least one directory".into()))?;
    for (lock, dir) in locks.iter().zip(dirs) {
        if !lock.same_sweep(first) {
            return Err(SweepError::Usage(format!(
                "{} comes from a different sweep file, seed, replicates or steps than {}",
                dir.display(),
                dirs[0].display()
            )));
        }
    }
    let count = first.shard.map(|(_, n)| n).unwrap_or(1);
    let mut seen = vec![false; count];
    for (lock, dir) in locks.iter().zip(dirs) {
        let (k, n) = lock.shard.unwrap_or((1, 1));
        if n != count {
            return Err(SweepError::Usage(format!(
                "{} is shard {k}/{n}, others are of {count}",
                dir.display()
            )));
        }
        if std::mem::replace(&mut seen[k - 1], true) {
            return Err(SweepError::Usage(format!(
                "shard {k}/{n} is given twice ({})",
                dir.display()
            )));
        }
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(SweepError::Usage(format!(
            "shard {}/{count} is missing",
            missing + 1
        )));
    }
    let mut lock = first.clone();
    lock.shard = None;
    lock.computed_by = locks.iter().flat_map(|l| l.computed_by.clone()).collect();
    Ok(lock)
}

/// The common lock of the shards `dirs` (`check_shards`) for a merge by this build: shards
/// computed by other builds (or by several) are refused unless `mixed`.
pub fn merged_lock(dirs: &[PathBuf], mixed: bool) -> Result<SweepLock, SweepError> {
    let mut lock = check_shards(dirs)?;
    let earlier = std::mem::replace(&mut lock.computed_by, vec![cadresim_build()]);
    lock.accept_builds(&earlier, "the shards", mixed)?;
    // A shard without a record leaves the builds unknown.
    let unrecorded = dirs
        .iter()
        .any(|dir| read_lock(dir).is_ok_and(|l| l.computed_by.is_empty()));
    if unrecorded && !mixed {
        return Err(SweepError::Usage(
            "the shards: some record no cadresim build; pass --mixed-versions to merge them anyway"
                .into(),
        ));
    }
    Ok(lock)
}
