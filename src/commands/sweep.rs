//! `cadresim sweep` and `cadresim merge`: run a sweep directory (resumable, shardable) and
//! combine shards; both end by writing the sweep's manifest.

use std::path::{Path, PathBuf};

use super::run::aligned;
use super::sensitivity::{analyse_sweep, AnalysisRecord};
use super::{
    check_memory, refuse_output_among_inputs, thread_pool, warn_unsettled, CommandError, Progress,
};
use crate::charts::{self, BoundaryLayout, SweepLayout};
use crate::cli::{MergeArgs, StatusArgs, SweepArgs};
use crate::metrics::WHOLE_HIERARCHY;
use crate::output;
use crate::output::manifest;
use crate::output::tables;
use crate::runner;
use crate::scenario::{RunOverride, Scenario};
use crate::sensitivity::Options;
use crate::sweep::searching::{boundary_row, run_searches, SearchResult, Source};
use crate::sweep::{self, Design, Point, SweepLock, SweepSpec};

/// What `manifest.json` of a sweep directory records.
#[derive(Debug, serde::Serialize)]
struct SweepManifest<'a> {
    cadresim_version: &'static str,
    git_commit: Option<String>,
    command: &'static str,
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
    /// Worker threads (none for a merge, which simulates nothing).
    threads: Option<usize>,
    started: String,
    finished: String,
    base: &'a Scenario,
    axes: &'a [sweep::Axis],
    design: sweep::Design,
    /// The options of the sensitivity analysis (sobol and morris designs).
    sensitivity: Option<AnalysisRecord>,
    files: std::collections::BTreeMap<String, String>,
}

/// Write `manifest.json` of a sweep directory (last: it marks the directory complete).
fn write_sweep_manifest(
    dir: &Path,
    command: &'static str,
    lock: &SweepLock,
    points: usize,
    threads: Option<usize>,
    started: String,
    files: std::collections::BTreeMap<String, String>,
) -> Result<(), CommandError> {
    let spec = &lock.spec;
    let manifest = SweepManifest {
        cadresim_version: env!("CARGO_PKG_VERSION"),
        git_commit: manifest::git_commit(),
        command,
        sweep_file: spec.source_path.display().to_string(),
        sweep_sha256: &lock.sweep_sha256,
        sweep_text: &spec.source_text,
        seed: lock.seed,
        replicates: lock.replicates,
        steps: lock.steps,
        shard: lock.shard,
        computed_by: &lock.computed_by,
        points,
        threads,
        started,
        finished: manifest::now_utc(),
        base: &spec.base,
        axes: &spec.axes,
        design: spec.design,
        sensitivity: spec
            .design
            .is_sensitivity()
            .then(|| AnalysisRecord::from(&Options::default())),
        files,
    };
    let text = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
    output::write_atomically(dir, "manifest.json", |out| out.write_all(text.as_bytes()))?;
    Ok(())
}

/// A sweep checked completely and ready to run: nothing is on disk yet.
struct Checked {
    spec: SweepSpec,
    pool: rayon::ThreadPool,
    threads: usize,
    out: PathBuf,
}

/// Check everything `sweep` would be refused for, before any directory is touched.
pub(crate) fn check(args: &SweepArgs) -> Result<(), CommandError> {
    checked(args).map(|_| ())
}

/// Load and validate the sweep file with the command line's overrides, the plan of every
/// point, the threads and the memory; choose the output directory.
fn checked(args: &SweepArgs) -> Result<Checked, CommandError> {
    let mut spec = sweep::file::load(&args.file)?;
    spec.base.override_run(&RunOverride {
        steps: args.steps,
        replicates: args.replicates,
        seed: args.seed,
        until_settled: args.until_settled,
    })?;
    if args.until_settled && spec.design == Design::Path {
        return Err(CommandError::Usage(
            "--until-settled: a path design holds each value for sweep.steps_per_point steps, so its points cannot run until settled".into(),
        ));
    }
    checked_spec(spec, args)
}

/// The checks of a sweep whose spec is known (read from its file, or from the lock of a
/// sweep being replayed).
fn checked_spec(spec: SweepSpec, args: &SweepArgs) -> Result<Checked, CommandError> {
    let (pool, threads) = thread_pool(args.threads)?;
    check_memory(
        std::slice::from_ref(&largest_point(&spec)),
        &[args.file.display().to_string()],
        threads,
    )?;
    pool.install(|| sweep::check_plans(&spec))?;
    let out = args.out.clone().unwrap_or_else(|| {
        let name = match args.shard {
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

/// The plan a dry run counts for every point of the sweep of `args` (at most: each point
/// costs what the largest does) and the number of points.
pub(crate) fn dry_plan(args: &SweepArgs) -> Result<(crate::params::Plan, u64), CommandError> {
    let checked = checked(args)?;
    let plan = largest_point(&checked.spec).plan()?;
    Ok((plan, checked.spec.point_count()))
}

pub(crate) fn run_sweep(args: SweepArgs) -> Result<i32, CommandError> {
    let checked = checked(&args)?;
    if args.dry_run {
        // At most: every point costs what the largest does.
        let plan = largest_point(&checked.spec).plan()?;
        let points = checked.spec.point_count();
        let cost = checked
            .pool
            .install(|| crate::study::cost::cost(&[(&plan, points)], checked.threads));
        let bound = match checked.spec.design {
            Design::Boundary => " at most",
            _ => "",
        };
        let text = cost.describe().replacen("dry run: ", "", 1);
        println!("dry run: {points} points{bound}, {text}");
        return Ok(0);
    }
    execute(checked, &args, true)
}

/// Run the sweep of `spec` again into `out` (replaced), quietly: for `replay`, which reads
/// the files back from the manifest it writes.
pub(crate) fn rerun(
    spec: SweepSpec,
    shard: Option<(usize, usize)>,
    out: &Path,
    threads: Option<usize>,
) -> Result<(), CommandError> {
    let args = SweepArgs {
        file: spec.source_path.clone(),
        out: Some(out.to_path_buf()),
        threads,
        replicates: None,
        steps: None,
        until_settled: false,
        seed: None,
        resume: false,
        shard,
        force: true,
        mixed_versions: false,
        size: crate::cli::DEFAULT_SIZE,
        dry_run: false,
    };
    let checked = checked_spec(spec, &args)?;
    execute(checked, &args, false).map(|_| ())
}

/// Run a checked sweep (`loud`: print warnings' advice, the table and the closing line).
fn execute(checked: Checked, args: &SweepArgs, loud: bool) -> Result<i32, CommandError> {
    let Checked {
        spec,
        pool,
        threads,
        out,
    } = checked;
    for warning in spec.warnings() {
        eprintln!("warning: {warning}");
    }
    let mut lock = SweepLock::new(&spec, args.shard);
    let _lock = sweep::prepare(
        &out,
        &mut lock,
        args.resume,
        args.force,
        args.mixed_versions,
    )?;
    let started = manifest::now_utc();
    let (points, ran, mut files) = if spec.design == Design::Boundary {
        let searches = sweep::shard_points(spec.searches(), args.shard);
        let progress = Progress::new(spec.point_count(), "points (at most)");
        let searched = pool.install(|| {
            run_searches(&spec, &searches, &Source::Run(&out), &|n| {
                progress.advance(n)
            })
        });
        progress.finish();
        let (results, ran) = searched?;
        let (points, boundary) = write_boundary(&spec, &results, &out)?;
        (points, ran, boundary)
    } else {
        let points = sweep::shard_points(spec.points(), args.shard);
        for damage in sweep::damaged_parts(&spec, &points, &out) {
            eprintln!("warning: running the point again: {damage}");
        }
        let progress = Progress::new(points.len() as u64, "points");
        let ran =
            pool.install(|| sweep::run_points(&spec, &points, &out, &|n| progress.advance(n)));
        progress.finish();
        (points, ran?, Default::default())
    };
    let (assembled, settling) = sweep::assemble(&spec, &points, std::slice::from_ref(&out), &out)?;
    files.extend(assembled);
    warn_unsettled_points(&spec, &settling, args.steps.is_some());
    if args.shard.is_none() {
        let charts = pool.install(|| draw_sweep_charts(&spec, &out, args.size))?;
        files.extend(output::hash_files(&out, &charts)?);
        if spec.design.is_sensitivity() {
            let analysed =
                pool.install(|| analyse_sweep(&out, &spec, &Options::default(), args.size))?;
            files.extend(analysed);
        }
    }
    write_sweep_manifest(
        &out,
        "sweep",
        &lock,
        points.len(),
        Some(threads),
        started,
        files,
    )?;
    if !loud {
        return Ok(0);
    }
    if args.shard.is_none() {
        print!("{}", sweep_table(&out)?);
        if spec.design == Design::Boundary {
            print!("{}", boundary_table(&spec, &out)?);
        }
    }
    println!(
        "{} points ({} run now, {} already done) x {} replicates: {}",
        points.len(),
        ran,
        points.len() - ran,
        lock.replicates,
        out.display()
    );
    Ok(0)
}

/// Write `boundary.csv` from finished searches; returns every evaluated point (in id order)
/// and the file's hash.
fn write_boundary(
    spec: &SweepSpec,
    results: &[SearchResult],
    out: &Path,
) -> Result<(Vec<Point>, std::collections::BTreeMap<String, String>), CommandError> {
    let mut points: Vec<Point> = results.iter().flat_map(|r| r.points.clone()).collect();
    points.sort_by_key(|p| p.id);
    let columns: Vec<String> = spec.columns()[1..].to_vec();
    let rows: Vec<_> = results.iter().map(boundary_row).collect();
    warn_imprecise(spec, results);
    let path = output::write_atomically(out, "boundary.csv", |writer| {
        tables::write_boundary(writer, &columns, &rows).map_err(Into::into)
    })?;
    Ok((points, output::hash_files(out, &[path])?))
}

pub(crate) fn merge(args: MergeArgs) -> Result<i32, CommandError> {
    refuse_output_among_inputs(
        &args.out,
        &args.dirs,
        "the shard directory",
        "merge into a new directory",
    )?;
    let mut lock = sweep::merged_lock(&args.dirs, args.mixed_versions)?;
    let spec = &lock.spec.clone();
    let (points, results) = if spec.design == Design::Boundary {
        // Replay every search from the shards' parts (nothing is simulated).
        let (results, _) =
            run_searches(spec, &spec.searches(), &Source::Read(&args.dirs), &|_| {})?;
        let mut points: Vec<Point> = results.iter().flat_map(|r| r.points.clone()).collect();
        points.sort_by_key(|p| p.id);
        (points, Some(results))
    } else {
        (spec.points(), None)
    };
    let sources = sweep::shard_parts(spec, &points, &args.dirs)?;
    let _lock = sweep::prepare(&args.out, &mut lock, false, args.force, false)?;
    let started = manifest::now_utc();
    let parts = args.out.join(output::PARTS);
    for source in &sources {
        let name = source.file_name().expect("a part path names a file");
        output::copy_atomically(source, &parts, &name.to_string_lossy())?;
    }
    let mut files = match &results {
        Some(results) => write_boundary(spec, results, &args.out)?.1,
        None => Default::default(),
    };
    let (assembled, settling) =
        sweep::assemble(spec, &points, std::slice::from_ref(&args.out), &args.out)?;
    files.extend(assembled);
    warn_unsettled_points(spec, &settling, false);
    let charts = draw_sweep_charts(spec, &args.out, args.size)?;
    files.extend(output::hash_files(&args.out, &charts)?);
    if spec.design.is_sensitivity() {
        files.extend(analyse_sweep(
            &args.out,
            spec,
            &Options::default(),
            args.size,
        )?);
    }
    write_sweep_manifest(
        &args.out,
        "merge",
        &lock,
        points.len(),
        None,
        started,
        files,
    )?;
    print!("{}", sweep_table(&args.out)?);
    println!(
        "merged {} shards, {} points: {}",
        args.dirs.len(),
        points.len(),
        args.out.display()
    );
    Ok(0)
}

/// Most points the terminal table lists; larger sweeps are summarised in their files.
const TABLE_POINTS: usize = 60;

/// Every point's axis values, equilibrium mean innovation with its 95% interval, and class
/// (whole hierarchy), read back from the sweep's files; empty for sweeps of more points.
fn sweep_table(dir: &Path) -> Result<String, CommandError> {
    let failed = |error: tables::ReadError| CommandError::Failed(error.to_string());
    let points = tables::read_points(&dir.join("points.csv")).map_err(failed)?;
    if points.points.len() > TABLE_POINTS {
        return Ok(String::new());
    }
    let statistics = tables::read_statistics(&dir.join("sweep_summary.csv")).map_err(failed)?;
    let summaries = tables::summaries_at(&statistics, WHOLE_HIERARCHY);
    let mut header = vec!["point".to_string()];
    header.extend(points.columns.iter().cloned());
    header.extend(["mean_innovation [95% CI]".to_string(), "class".to_string()]);
    let mut rows = vec![header];
    for (id, labels) in &points.points {
        let Some(summary) = summaries.iter().find(|s| &s.key == id) else {
            continue;
        };
        let mut row = vec![id.clone()];
        row.extend(labels.iter().map(|label| charts::short_label(label)));
        row.push(match summary.metrics.get("mean_innovation") {
            Some(e) => format!("{:.3} [{:.3}, {:.3}]", e.mean, e.low, e.high),
            None => String::new(),
        });
        row.push(summary.class.to_string());
        rows.push(row);
    }
    Ok(aligned(&rows))
}

/// The boundary estimates of a boundary sweep: per search, the crossing of the first axis
/// with its 95% interval (to the digits the interval supports), the replicates that cross and
/// the flag.
fn boundary_table(spec: &SweepSpec, dir: &Path) -> Result<String, CommandError> {
    let (columns, rows) = tables::read_boundary(&dir.join("boundary.csv"))
        .map_err(|error| CommandError::Failed(error.to_string()))?;
    let first = spec.columns()[0].clone();
    let mut header = columns.clone();
    header.extend([
        format!("crossing of {first} [95% CI]"),
        "replicates crossing".to_string(),
        "flag".to_string(),
    ]);
    let mut table = vec![header];
    for row in &rows {
        let mut line: Vec<String> = row.labels.iter().map(|l| charts::short_label(l)).collect();
        line.push(match row.estimate {
            Some(estimate) => crate::stats::estimate_text(estimate, row.ci95),
            None => "none".to_string(),
        });
        line.push(format!("{} of {}", row.crossed, row.replicates));
        line.push(row.flag.clone());
        table.push(line);
    }
    Ok(format!(
        "tipping points (boundary.csv):\n{}",
        aligned(&table)
    ))
}

/// What the sweep charts need to know of a sweep's design.
/// Every chart of a sweep directory: the curves (and phase diagrams), and for a boundary
/// design the tipping-point chart.
pub(crate) fn draw_sweep_charts(
    spec: &SweepSpec,
    dir: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, CommandError> {
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

pub(crate) fn chart_layout(spec: &SweepSpec) -> SweepLayout {
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

/// What `status` says of the directories as a whole.
#[derive(serde::Serialize)]
struct StatusReport<'a> {
    directories: &'a [sweep::Progress],
    /// Every shard of one sweep is there and every point is done.
    mergeable: bool,
    /// Why the shards cannot be merged yet (None when they can, or for a whole sweep).
    problem: Option<String>,
    /// The command that merges them, when they are mergeable.
    merge_command: Option<String>,
}

pub(crate) fn status(args: StatusArgs) -> Result<i32, CommandError> {
    let mut rows = Vec::new();
    let mut name = String::new();
    for dir in &args.dirs {
        let (progress, lock) = sweep::progress(dir)?;
        if let Some(lock) = lock {
            name = lock.spec.name.clone();
        }
        rows.push(progress);
    }
    let waiting: Vec<String> = rows
        .iter()
        .filter(|row| !row.started)
        .map(|row| row.dir.display().to_string())
        .collect();
    let sharded = rows.iter().all(|row| row.shard.is_some() || !row.started);
    let problem = if !waiting.is_empty() {
        Some(format!("not started yet: {}", waiting.join(", ")))
    } else if !sharded {
        None
    } else if let Err(error) = sweep::check_shards(&args.dirs) {
        Some(error.to_string())
    } else {
        not_done(&rows)
    };
    let mergeable = sharded && problem.is_none();
    let merge_command = mergeable.then(|| {
        let mut words = vec!["cadresim".to_string(), "merge".to_string()];
        words.extend(args.dirs.iter().map(|d| d.display().to_string()));
        words.push("--out".into());
        words.push(PathBuf::from("output").join(&name).display().to_string());
        words
            .iter()
            .map(|word| shell_word(word))
            .collect::<Vec<_>>()
            .join(" ")
    });
    let report = StatusReport {
        directories: &rows,
        mergeable,
        problem,
        merge_command,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("status serializes")
        );
    } else {
        print_status(&report);
    }
    Ok(0)
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

/// `word` as a POSIX shell reads it back whole: as it is when it holds only plain
/// characters, else in single quotes.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn print_status(report: &StatusReport) {
    for row in report.directories {
        if !row.started {
            println!("{}  not started", row.dir.display());
            continue;
        }
        let shard = match row.shard {
            Some((k, n)) => format!("shard {k}/{n}"),
            None => "sweep".to_string(),
        };
        let state = if row.running {
            "running"
        } else if row.finished {
            "finished"
        } else if row.done == row.total {
            "all points done"
        } else {
            "stopped"
        };
        let of = if row.adaptive { " of at most " } else { "/" };
        println!(
            "{shard}  {}  {}{of}{} points done, {} damaged, {state}",
            row.dir.display(),
            row.done,
            row.total,
            row.damaged.len()
        );
        for damage in &row.damaged {
            println!("  damaged (runs again on --resume): {damage}");
        }
    }
    match (&report.merge_command, &report.problem) {
        (Some(command), _) => println!("mergeable: {command}"),
        (None, Some(problem)) => println!("not mergeable yet: {problem}"),
        (None, None) => {}
    }
}

/// Warn when some searches ran out of evaluations before their precision.
fn warn_imprecise(spec: &SweepSpec, results: &[SearchResult]) {
    let imprecise = results.iter().filter(|r| r.imprecise).count();
    if imprecise > 0 {
        let settings = spec.boundary_spec();
        eprintln!(
            "warning: {}: {imprecise} of {} searches used all {} evaluations before bracketing their crossing to precision = {}; boundary.csv flags them `imprecise`; raise sweep.boundary.max_evaluations",
            spec.name,
            results.len(),
            settings.max_evaluations,
            settings.precision
        );
    }
}

/// Warn when some point x replicate equilibria of a sweep include a transient (`steps_given`:
/// the run's length came from `--steps`).
fn warn_unsettled_points(spec: &SweepSpec, settling: &crate::metrics::Settling, steps_given: bool) {
    let advice = if spec.design == Design::Path {
        "a path point's equilibrium is the second half of its sweep.steps_per_point steps, which can count as settled only when it opens at least 2 × equilibrium.window − 1 steps into the point; raise sweep.steps_per_point"
    } else {
        crate::study::run::lengthen_advice(steps_given)
    };
    warn_unsettled(&spec.name, settling, "point x replicate equilibria", advice);
}
