//! The `sweep` and `merge` studies: run a sweep directory (resumable, shardable) and combine
//! its shards; both end with the sweep's charts, the sensitivity analysis of sobol and morris
//! designs, and the manifest (written last). Progress and warnings go to the observer; the
//! terminal tables are the faces' business. `status` says where sweep or shard directories
//! stand and whether they can be merged, from their ledgers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::cost::Group;
use super::memory::check_memory;
use super::sensitivity::{analyse_sweep, recorded_options, AnalysisRecord};
use super::{refuse_output_among_inputs, thread_pool, Event, Observer, Silent, StudyError};
use crate::charts::{self, BoundaryLayout, SweepLayout};
use crate::output::ledger::{self, Ledger};
use crate::output::manifest::{self, Manifest, Stamp};
use crate::output::{self, tables};
use crate::params::Plan;
use crate::runner;
use crate::scenario::{RunOverride, Scenario};
use crate::sensitivity::{Analysis, Options};
use crate::sweep::searching::{boundary_row, run_searches, SearchResult, Source};
use crate::sweep::{self, Design, Point, SweepLock, SweepSpec};

/// What to sweep: the sweep file, the run settings that override its base scenario's, the
/// slice of the points, and where to write.
#[derive(Clone, Debug)]
pub struct SweepRequest {
    /// The sweep file (TOML with a `[sweep]` section).
    pub file: PathBuf,
    /// The sweep directory (default: `output/<sweep name>`, `-shard-K-of-N` for a shard).
    pub out: Option<PathBuf>,
    /// Worker threads (default: every core); results do not depend on it.
    pub threads: Option<usize>,
    pub replicates: Option<u64>,
    pub steps: Option<u64>,
    /// Run every point's replicates until the long-run rule is satisfied.
    pub until_settled: bool,
    pub seed: Option<u64>,
    /// Continue an interrupted sweep in `out`, running only the points it lacks.
    pub resume: bool,
    /// Only the K-th of N disjoint slices of the points.
    pub shard: Option<(usize, usize)>,
    /// Replace what cadresim wrote in `out` before.
    pub force: bool,
    /// With `resume`: continue parts computed by another cadresim build.
    pub mixed_versions: bool,
    /// Chart size in pixels.
    pub size: (u32, u32),
}

impl SweepRequest {
    /// A request for the sweep in `file` with its own settings.
    pub fn new(file: PathBuf) -> Self {
        SweepRequest {
            file,
            out: None,
            threads: None,
            replicates: None,
            steps: None,
            until_settled: false,
            seed: None,
            resume: false,
            shard: None,
            force: false,
            mixed_versions: false,
            size: crate::charts::DEFAULT_SIZE,
        }
    }
}

/// Shards of one sweep to merge into `out`.
#[derive(Clone, Debug)]
pub struct MergeRequest {
    pub dirs: Vec<PathBuf>,
    pub out: PathBuf,
    pub force: bool,
    pub mixed_versions: bool,
    pub size: (u32, u32),
}

/// A finished sweep (or merge): where it was written, its spec and lock, the points it
/// holds, how many ran now, and the sensitivity analysis of a sobol or morris design.
pub struct SweepOutcome {
    pub out: PathBuf,
    pub lock: SweepLock,
    pub points: usize,
    pub ran: usize,
    pub analysis: Option<Analysis>,
}

/// What a dry run of a sweep costs: every point counted, the speed timed on a few.
pub struct SweepCost {
    pub cost: super::cost::Cost,
    pub points: u64,
    /// A boundary design: its searches end early, so the count is at most.
    pub at_most: bool,
}

/// A sweep checked completely and ready to run: nothing is on disk yet.
struct Checked {
    spec: SweepSpec,
    pool: rayon::ThreadPool,
    threads: usize,
    out: PathBuf,
}

/// Check everything `sweep` would be refused for, before any directory is touched.
pub fn check(request: &SweepRequest) -> Result<(), StudyError> {
    checked(request).map(|_| ())
}

/// Load and validate the sweep file with the request's overrides, the plan of every point,
/// the threads and the memory; choose the output directory.
fn checked(request: &SweepRequest) -> Result<Checked, StudyError> {
    let mut spec = sweep::file::load(&request.file)?;
    spec.base.override_run(&RunOverride {
        steps: request.steps,
        replicates: request.replicates,
        seed: request.seed,
        until_settled: request.until_settled,
    })?;
    if request.until_settled && spec.design == Design::Path {
        return Err(StudyError::Usage(
            "--until-settled: a path design holds each value for sweep.steps_per_point steps, so its points cannot run until settled".into(),
        ));
    }
    spec.set_path_steps(request.steps)
        .map_err(StudyError::Usage)?;
    checked_spec(spec, request)
}

/// The checks of a sweep whose spec is known (read from its file, or from the lock of a
/// sweep being replayed).
fn checked_spec(spec: SweepSpec, request: &SweepRequest) -> Result<Checked, StudyError> {
    let (pool, threads) = thread_pool(request.threads)?;
    check_memory(
        std::slice::from_ref(&largest_point(&spec)),
        &[request.file.display().to_string()],
        threads,
    )?;
    pool.install(|| sweep::check_plans(&spec))?;
    let out = request.out.clone().unwrap_or_else(|| {
        let name = match request.shard {
            Some((k, n)) => format!("{}-shard-{k}-of-{n}", spec.name),
            None => spec.name.clone(),
        };
        PathBuf::from("output").join(name)
    });
    Ok(Checked {
        spec,
        pool,
        threads,
        out,
    })
}

/// What a dry run counts and times: every point once (a path: its largest point once per
/// path, through all its values; a boundary search: its largest point at every evaluation it
/// may make), timed on a few points spread over the design.
pub fn dry_plan(request: &SweepRequest) -> Result<Group, StudyError> {
    dry_plan_of(&checked(request)?)
}

fn dry_plan_of(checked: &Checked) -> Result<Group, StudyError> {
    let spec = &checked.spec;
    // Every point of a design that runs points one by one was checked with the sweep
    // (`check_plans`); a path's values are checked as a whole, so a value that is not valid on
    // its own is only not timed.
    let mut plans: Vec<Plan> = Vec::new();
    for point in spec.points() {
        match spec.scenario_for(&point).map(|scenario| scenario.plan()) {
            Ok(Ok(plan)) => plans.push(plan),
            _ if spec.design == Design::Path => {}
            Ok(Err(error)) => return Err(error.into()),
            Err(error) => return Err(StudyError::Usage(format!("point {}: {error}", point.id))),
        }
    }
    match spec.design {
        Design::Path => {
            let mut plan = largest_point(spec).plan()?;
            let length = spec.axes[0].values_count() as u64;
            plan.params.run.until_settled = false;
            plan.params.run.steps = spec.steps_per_point as u64 * length;
            let paths = spec.point_count() / length.max(1);
            Ok(Group::points(vec![(plan, paths)], &plans))
        }
        Design::Boundary => {
            let largest = (largest_point(spec).plan()?, spec.point_count());
            Ok(Group::points(vec![largest], &plans))
        }
        // Timed on the points themselves.
        _ => Ok(Group::points(
            plans.into_iter().map(|plan| (plan, 1)).collect(),
            &[],
        )),
    }
}

/// What the sweep would cost (`--dry-run`): nothing is run or written; the speed of this
/// machine is timed on a few steps of a few points.
pub fn dry_run(request: &SweepRequest) -> Result<SweepCost, StudyError> {
    let checked = checked(request)?;
    let group = dry_plan_of(&checked)?;
    let points = checked.spec.point_count();
    let cost = super::cost::cost(&[group], checked.threads);
    Ok(SweepCost {
        cost,
        points,
        at_most: checked.spec.design == Design::Boundary,
    })
}

/// Run the sweep and write its directory (refusing one that holds other files unless
/// `force`, or continuing it with `resume`).
pub fn sweep(request: &SweepRequest, observer: &dyn Observer) -> Result<SweepOutcome, StudyError> {
    let checked = checked(request)?;
    // A resumed sweep that was analysed again (`cadresim sensitivity`) keeps that analysis.
    let options = match request.resume {
        true => recorded_options(&checked.out.join("manifest.json")),
        false => Options::default(),
    };
    execute(checked, request, &options, observer)
}

/// Run the sweep whose lock lies beside `manifest` (its recorded spec, base scenario
/// revalidated, and shard) again into `out` (replaced), quietly: for `replay`, which reads
/// the files back from the manifest it writes.
pub fn rerun(manifest: &Path, out: &Path, threads: Option<usize>) -> Result<(), StudyError> {
    let beside = manifest.parent().unwrap_or(Path::new("."));
    let lock = sweep::read_lock(beside)?;
    let shard = lock.shard;
    let mut spec = lock.spec;
    spec.base = crate::scenario::revalidate(&spec.base, &manifest.display().to_string())?;
    let request = SweepRequest {
        out: Some(out.to_path_buf()),
        threads,
        shard,
        force: true,
        ..SweepRequest::new(spec.source_path.clone())
    };
    let checked = checked_spec(spec, &request)?;
    execute(checked, &request, &recorded_options(manifest), &Silent).map(|_| ())
}

/// Run a checked sweep.
fn execute(
    checked: Checked,
    request: &SweepRequest,
    options: &Options,
    observer: &dyn Observer,
) -> Result<SweepOutcome, StudyError> {
    let Checked {
        spec,
        pool,
        threads,
        out,
    } = checked;
    for warning in spec.warnings() {
        observer.warn(warning);
    }
    let mut lock = SweepLock::new(&spec, request.shard);
    let _lock = sweep::prepare(
        &out,
        &mut lock,
        request.resume,
        request.force,
        request.mixed_versions,
    )?;
    let started = manifest::now_utc();
    let (points, ran, mut files) =
        pool.install(|| simulate(&spec, request.shard, &out, observer))?;
    let (assembled, settling) = sweep::assemble(&spec, &points, std::slice::from_ref(&out), &out)?;
    files.extend(assembled);
    warn_unsettled_points(&spec, &settling, request.steps.is_some(), observer);
    let mut analysis = None;
    if request.shard.is_none() {
        let (more, analysed) =
            pool.install(|| finish_whole(&spec, &out, options, request.size, observer))?;
        files.extend(more);
        analysis = analysed;
    }
    let record = SweepRecord::new(&lock, points.len(), options);
    write_sweep_manifest(&out, "sweep", record, Some(threads), started, files)?;
    Ok(SweepOutcome {
        out,
        lock,
        points: points.len(),
        ran,
        analysis,
    })
}

/// What simulating a sweep's points gives: every point, how many ran now, and the files
/// written (a boundary design's `boundary.csv`).
type Simulated = (Vec<Point>, usize, BTreeMap<String, String>);

/// Simulate the points of the sweep (or of its shard) that `out` lacks.
fn simulate(
    spec: &SweepSpec,
    shard: Option<(usize, usize)>,
    out: &Path,
    observer: &dyn Observer,
) -> Result<Simulated, StudyError> {
    let advance = |n| observer.event(Event::Advance { units: n });
    if spec.design == Design::Boundary {
        let searches = sweep::shard_points(spec.searches(), shard);
        observer.event(Event::Begin {
            what: "points (at most)",
            total: spec.point_count(),
        });
        let searched = run_searches(spec, &searches, &Source::Run(out), &advance);
        observer.event(Event::End);
        let (results, ran) = searched?;
        let (points, boundary) = write_boundary(spec, &results, out, observer)?;
        return Ok((points, ran, boundary));
    }
    let points = sweep::shard_points(spec.points(), shard);
    for damage in sweep::damaged_parts(spec, &points, out) {
        observer.warn(format!("running the point again: {damage}"));
    }
    observer.event(Event::Begin {
        what: "points",
        total: points.len() as u64,
    });
    let ran = sweep::run_points(spec, &points, out, &advance);
    observer.event(Event::End);
    Ok((points, ran?, BTreeMap::new()))
}

/// What a whole sweep (not a shard) ends with: its charts, and the sensitivity analysis of
/// a sobol or morris design; returns the files written and the analysis.
fn finish_whole(
    spec: &SweepSpec,
    out: &Path,
    options: &Options,
    size: (u32, u32),
    observer: &dyn Observer,
) -> Result<(BTreeMap<String, String>, Option<Analysis>), StudyError> {
    let charts = draw_sweep_charts(spec, out, size)?;
    let mut files = output::hash_files(out, &charts)?;
    let mut analysis = None;
    if spec.design.is_sensitivity() {
        let (analysed, found) = analyse_sweep(out, spec, options, size, observer)?;
        files.extend(analysed);
        analysis = Some(found);
    }
    Ok((files, analysis))
}

/// Merge the shards of one sweep into a new directory (nothing is simulated).
pub fn merge(request: &MergeRequest, observer: &dyn Observer) -> Result<SweepOutcome, StudyError> {
    refuse_output_among_inputs(
        &request.out,
        &request.dirs,
        "the shard directory",
        "merge into a new directory",
    )?;
    let mut lock = sweep::merged_lock(&request.dirs, request.mixed_versions)?;
    let spec = &lock.spec.clone();
    let (points, results) = if spec.design == Design::Boundary {
        // Replay every search from the shards' parts (nothing is simulated).
        let (results, _) = run_searches(
            spec,
            &spec.searches(),
            &Source::Read(&request.dirs),
            &|_| {},
        )?;
        let mut points: Vec<Point> = results.iter().flat_map(|r| r.points.clone()).collect();
        points.sort_by_key(|p| p.id);
        (points, Some(results))
    } else {
        (spec.points(), None)
    };
    let sources = sweep::shard_parts(spec, &points, &request.dirs)?;
    let _lock = sweep::prepare(&request.out, &mut lock, false, request.force, false)?;
    let started = manifest::now_utc();
    let parts = Ledger::new(&request.out, ledger::SWEEP).parts_dir();
    for source in &sources {
        let name = source.file_name().expect("a part path names a file");
        output::copy_atomically(source, &parts, &name.to_string_lossy())?;
    }
    let mut files = match &results {
        Some(results) => write_boundary(spec, results, &request.out, observer)?.1,
        None => Default::default(),
    };
    let (assembled, settling) = sweep::assemble(
        spec,
        &points,
        std::slice::from_ref(&request.out),
        &request.out,
    )?;
    files.extend(assembled);
    warn_unsettled_points(spec, &settling, false, observer);
    let options = Options::default();
    let (more, analysis) = finish_whole(spec, &request.out, &options, request.size, observer)?;
    files.extend(more);
    let record = SweepRecord::new(&lock, points.len(), &options);
    write_sweep_manifest(&request.out, "merge", record, None, started, files)?;
    Ok(SweepOutcome {
        out: request.out.clone(),
        lock,
        points: points.len(),
        ran: 0,
        analysis,
    })
}

/// Write `boundary.csv` from finished searches; returns every evaluated point (in id order)
/// and the file's hash.
fn write_boundary(
    spec: &SweepSpec,
    results: &[SearchResult],
    out: &Path,
    observer: &dyn Observer,
) -> Result<(Vec<Point>, BTreeMap<String, String>), StudyError> {
    let mut points: Vec<Point> = results.iter().flat_map(|r| r.points.clone()).collect();
    points.sort_by_key(|p| p.id);
    let columns: Vec<String> = spec.columns()[1..].to_vec();
    let rows: Vec<_> = results.iter().map(boundary_row).collect();
    warn_imprecise(spec, results, observer);
    let path = output::write_atomically(out, "boundary.csv", |writer| {
        tables::write_boundary(writer, &columns, &rows).map_err(Into::into)
    })?;
    Ok((points, output::hash_files(out, &[path])?))
}

/// What `manifest.json` of a sweep directory records beside the stamp and the files.
#[derive(Debug, serde::Serialize)]
struct SweepRecord<'a> {
    sweep_file: String,
    sweep_sha256: &'a str,
    sweep_text: &'a str,
    seed: u64,
    replicates: u64,
    steps: u64,
    shard: Option<(usize, usize)>,
    /// Every cadresim build that computed the parts (several only with --mixed-versions).
    computed_by: &'a [String],
    points: usize,
    base: &'a Scenario,
    axes: &'a [sweep::Axis],
    design: sweep::Design,
    /// The options of the sensitivity analysis (sobol and morris designs).
    sensitivity: Option<AnalysisRecord>,
}

impl<'a> SweepRecord<'a> {
    /// The record of the sweep `lock` over `points` points, analysed with `options` (sobol
    /// and morris designs).
    fn new(lock: &'a SweepLock, points: usize, options: &Options) -> Self {
        let spec = &lock.spec;
        SweepRecord {
            sweep_file: spec.source_path.display().to_string(),
            sweep_sha256: &lock.sweep_sha256,
            sweep_text: &spec.source_text,
            seed: lock.seed,
            replicates: lock.replicates,
            steps: lock.steps,
            shard: lock.shard,
            computed_by: &lock.computed_by,
            points,
            base: &spec.base,
            axes: &spec.axes,
            design: spec.design,
            sensitivity: spec
                .design
                .is_sensitivity()
                .then(|| AnalysisRecord::from(options)),
        }
    }
}

/// Write `manifest.json` of a sweep directory (last: it marks the directory complete).
fn write_sweep_manifest(
    dir: &Path,
    command: &'static str,
    record: SweepRecord,
    threads: Option<usize>,
    started: String,
    files: BTreeMap<String, String>,
) -> Result<(), StudyError> {
    let manifest = Manifest {
        // Threads: none for a merge, which simulates nothing.
        stamp: Stamp::now(command, threads, Some(started)),
        record,
        files,
    };
    output::write_manifest(dir, &manifest)?;
    Ok(())
}

/// Every chart of a sweep directory: the curves (and phase diagrams), and for a boundary
/// design the critical-value chart.
pub fn draw_sweep_charts(
    spec: &SweepSpec,
    dir: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, StudyError> {
    let out = dir.join("charts");
    let mut files = charts::draw_sweep(&chart_layout(spec), dir, &out, size)?;
    if spec.design == Design::Boundary {
        let layout = BoundaryLayout {
            axis: &spec.axes[0].label,
            condition: &spec.boundary_spec().condition,
            others: spec.axes[1..]
                .iter()
                .map(|axis| (axis.is_numeric(), axis.is_log()))
                .collect(),
        };
        files.extend(charts::draw_boundary(&layout, dir, &out, size)?);
    }
    Ok(files)
}

/// What the sweep charts need to know of a sweep's design.
pub fn chart_layout(spec: &SweepSpec) -> SweepLayout {
    SweepLayout {
        axes: spec
            .axes
            .iter()
            .map(|axis| (axis.is_numeric(), axis.is_log()))
            .collect(),
        grid: spec.design == Design::Grid,
        path: spec.design == Design::Path,
        sampled: matches!(spec.design, Design::Lhs | Design::Sobol | Design::Morris),
        thresholds: match spec.design {
            Design::Grid | Design::Path => class_thresholds(spec),
            _ => Vec::new(),
        },
    }
}

/// The class thresholds of the sweep's base scenario, for its curves; none when an axis
/// varies them (each point would have its own).
fn class_thresholds(spec: &SweepSpec) -> Vec<(&'static str, f64, String)> {
    let varied = spec.points().iter().any(|point| {
        spec.scenario_for(point)
            .is_ok_and(|s| s.params.equilibrium != spec.base.params.equilibrium)
    });
    if varied {
        return Vec::new();
    }
    let classes = &spec.base.params.equilibrium;
    vec![
        (
            "mean_innovation",
            classes.lazy_innovation,
            format!("below {}: lazy-routine", classes.lazy_innovation),
        ),
        (
            "mean_innovation",
            classes.innovative_innovation,
            format!("from {}: innovative", classes.innovative_innovation),
        ),
        (
            "share_idle",
            classes.lazy_idle,
            format!("from {}: lazy-idle", classes.lazy_idle),
        ),
    ]
}

/// The scenario of the point that needs the most memory (an axis may change the hierarchy).
fn largest_point(spec: &SweepSpec) -> Scenario {
    let mut largest = (
        runner::memory_needed(&spec.base.params, 1),
        spec.base.clone(),
    );
    for point in spec.points() {
        if let Ok(scenario) = spec.scenario_for(&point) {
            let need = runner::memory_needed(&scenario.params, 1);
            if need > largest.0 {
                largest = (need, scenario);
            }
        }
    }
    largest.1
}

/// Warn when some searches ran out of evaluations before their precision.
fn warn_imprecise(spec: &SweepSpec, results: &[SearchResult], observer: &dyn Observer) {
    let imprecise = results.iter().filter(|r| r.imprecise).count();
    if imprecise > 0 {
        let settings = spec.boundary_spec();
        observer.warn(format!(
            "{}: {imprecise} of {} searches used all {} evaluations before bracketing their crossing to precision = {}; boundary.csv flags them `imprecise`; raise sweep.boundary.max_evaluations",
            spec.name,
            results.len(),
            settings.max_evaluations,
            settings.precision
        ));
    }
}

/// Warn when some point x replicate equilibria of a sweep include a transient (`steps_given`:
/// the run's length came from `--steps`).
fn warn_unsettled_points(
    spec: &SweepSpec,
    settling: &crate::metrics::Settling,
    steps_given: bool,
    observer: &dyn Observer,
) {
    let advice = if spec.design == Design::Path {
        "a path point's equilibrium is the second half of its sweep.steps_per_point steps, which can count as settled only when it opens at least 2 × equilibrium.window − 1 steps into the point; raise sweep.steps_per_point"
    } else {
        super::run::lengthen_advice(steps_given)
    };
    let unit = "point x replicate equilibria";
    if let Some(warning) = settling.warning(&spec.name, unit, advice) {
        observer.warn(warning);
    }
}

/// Where sweep or shard directories stand, and whether they can be merged.
#[derive(Clone, Debug)]
pub struct SweepStatus {
    /// Each directory's progress, in the order asked.
    pub directories: Vec<sweep::Progress>,
    /// The sweep's name, from the last started directory's lock (empty when none started).
    pub name: String,
    /// Every shard of one sweep is there and every point is done.
    pub mergeable: bool,
    /// Why the shards cannot be merged yet (None when they can, or for a whole sweep).
    pub problem: Option<String>,
}

/// Read the progress of sweep or shard directories from their ledgers, and check whether
/// they are the complete shards of one sweep.
pub fn status(dirs: &[PathBuf]) -> Result<SweepStatus, StudyError> {
    let mut directories = Vec::new();
    let mut name = String::new();
    for dir in dirs {
        let (progress, lock) = sweep::progress(dir)?;
        if let Some(lock) = lock {
            name = lock.spec.name.clone();
        }
        directories.push(progress);
    }
    let waiting: Vec<String> = directories
        .iter()
        .filter(|row| !row.started)
        .map(|row| row.dir.display().to_string())
        .collect();
    let sharded = directories
        .iter()
        .all(|row| row.shard.is_some() || !row.started);
    let problem = if !waiting.is_empty() {
        Some(format!("not started yet: {}", waiting.join(", ")))
    } else if !sharded {
        None
    } else if let Err(error) = sweep::check_shards(dirs) {
        Some(error.to_string())
    } else {
        not_done(&directories)
    };
    Ok(SweepStatus {
        mergeable: sharded && problem.is_none(),
        directories,
        name,
        problem,
    })
}

/// What keeps complete shards from being merged: points not done, or (boundary designs,
/// whose searches decide how many points they need) shards whose searches have not ended.
fn not_done(rows: &[sweep::Progress]) -> Option<String> {
    let searching: Vec<String> = rows
        .iter()
        .filter(|row| row.adaptive && !row.finished)
        .map(|row| row.dir.display().to_string())
        .collect();
    if !searching.is_empty() {
        return Some(format!(
            "the searches have not ended in {}",
            searching.join(", ")
        ));
    }
    let missing: usize = rows
        .iter()
        .filter(|row| !row.adaptive)
        .map(|row| row.total - row.done)
        .sum();
    match missing {
        0 => None,
        1 => Some("1 point is not done yet".to_string()),
        _ => Some(format!("{missing} points are not done yet")),
    }
}
