//! Carrying out commands: load and validate input, run experiments on a thread pool with a
//! progress bar, write result directories, print the summary table. All terminal output of
//! the program is produced here.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{
    Cli, Command, CompareArgs, MergeArgs, ParamsArgs, PlotArgs, ReplayArgs, ReproduceArgs, RunArgs,
    SweepArgs,
};
use crate::experiment::{self, ScenarioResult};
use crate::metrics::{metric_index, Spread};
use crate::model::hierarchy::Hierarchy;
use crate::output::manifest::{self, Manifest};
use crate::output::{self, OutputError, RUN_FILES};
use crate::output::{charts, curves, series};
use crate::params::Params;
use crate::registry::{self, check_consistency, PARAMS};
use crate::reproduce::{self, Evidence, RunEvidence, SweepEvidence};
use crate::scenario::{self, Scenario, ScenarioError};
use crate::sweep::{self, SweepError, SweepLock};

/// A command's failure, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// Bad command-line input.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Sweep(#[from] SweepError),
    /// Something failed while running (IO, a replay that differs).
    #[error("{0}")]
    Failed(String),
}

impl CommandError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CommandError::Scenario(_) | CommandError::Usage(_) => 2,
            CommandError::Output(OutputError::Exists(_)) => 2,
            CommandError::Sweep(SweepError::Usage(_)) => 2,
            CommandError::Sweep(SweepError::Output(OutputError::Exists(_))) => 2,
            CommandError::Output(_) | CommandError::Failed(_) | CommandError::Sweep(_) => 1,
        }
    }
}

/// Run a parsed command line; returns the exit code.
pub fn execute(cli: Cli) -> Result<i32, CommandError> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Replay(args) => replay(args),
        Command::Params(args) => {
            print!("{}", params_listing(&args));
            Ok(0)
        }
        Command::Sweep(args) => run_sweep(args),
        Command::Merge(args) => merge(args),
        Command::Reproduce(args) => run_reproduce(args),
        Command::Plot(args) => plot(args),
        Command::Compare(args) => compare(args),
    }
}

/// Draw the charts of result directories into `out`. `scenarios` replaces what the
/// manifest would say (a run draws its charts before its manifest exists).
fn draw_charts(
    dirs: &[PathBuf],
    out: &Path,
    size: (u32, u32),
    scenarios: Option<&[Scenario]>,
) -> Result<usize, CommandError> {
    let mut results = Vec::with_capacity(dirs.len());
    for dir in dirs {
        if !dir.join("timeseries.csv").exists() {
            return Err(CommandError::Usage(format!(
                "{}: not a result directory (no timeseries.csv)",
                dir.display()
            )));
        }
        let mut result = series::read_result(dir).map_err(CommandError::Failed)?;
        if let Some(scenarios) = scenarios {
            result.scenarios = scenarios.to_vec();
        }
        results.push(result);
    }
    let files = charts::draw_all(&results, out, size).map_err(CommandError::Failed)?;
    Ok(files.len())
}

fn plot(args: PlotArgs) -> Result<i32, CommandError> {
    let out = args.dir.join("charts");
    if args.dir.join("sweep_summary.csv").exists() {
        let lock = sweep::read_lock(&args.dir)?;
        let files = curves::draw_sweep(&lock.spec, &args.dir, &out, args.size)
            .map_err(CommandError::Failed)?;
        println!("{} chart files in {}", files.len(), out.display());
        return Ok(0);
    }
    let count = draw_charts(std::slice::from_ref(&args.dir), &out, args.size, None)?;
    println!("{count} chart files in {}", out.display());
    Ok(0)
}

fn compare(args: CompareArgs) -> Result<i32, CommandError> {
    let count = draw_charts(&args.dirs, &args.out, args.size, None)?;
    println!("{count} chart files in {}", args.out.display());
    Ok(0)
}

fn thread_pool(threads: Option<usize>) -> Result<(rayon::ThreadPool, usize), CommandError> {
    let threads = match threads {
        Some(0) => {
            return Err(CommandError::Usage(
                "--threads must be at least 1, got 0".into(),
            ))
        }
        Some(n) if n > 1024 => {
            return Err(CommandError::Usage(format!(
                "--threads must be at most 1024, got {n}"
            )))
        }
        Some(n) => n,
        None => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|error| {
            CommandError::Failed(format!("cannot start {threads} threads: {error}"))
        })?;
    Ok((pool, threads))
}

/// Total memory of this machine in bytes (Linux), or a conservative guess.
fn machine_memory() -> u128 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|line| line.starts_with("MemTotal:"))?;
            let kib: u128 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        })
        .unwrap_or(16 << 30)
}

fn gib(bytes: u128) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u128 << 30) as f64)
}

/// Refuse experiments whose state would not fit in memory, naming the file and key.
fn check_memory(
    scenarios: &[Scenario],
    files: &[String],
    threads: usize,
) -> Result<(), CommandError> {
    let budget = machine_memory() * 4 / 5;
    for (scenario, file) in scenarios.iter().zip(files) {
        let cadres = Hierarchy::new(&scenario.params.hierarchy.levels)
            .map_err(|why| ScenarioError::Invalid {
                file: file.clone(),
                key: "hierarchy.levels".into(),
                message: why,
            })?
            .cadres;
        let need = experiment::memory_needed(std::slice::from_ref(scenario), threads);
        if need > budget {
            return Err(ScenarioError::Invalid {
                file: file.clone(),
                key: "hierarchy.levels".into(),
                message: format!(
                    "describes {cadres} cadres; with run.steps = {} and run.replicates = {} the run would need about {} of memory, but this machine allows {}",
                    scenario.params.run.steps,
                    scenario.params.run.replicates,
                    gib(need),
                    gib(budget)
                ),
            }
            .into());
        }
    }
    Ok(())
}

/// A progress bar on stderr that appears only once work has lasted a second.
struct Progress {
    bar: ProgressBar,
    started: Instant,
    shown: AtomicBool,
}

impl Progress {
    fn new(total: u64, label: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{elapsed_precise}] {wide_bar} {percent:>3}% (eta {eta})",
            )
            .expect("valid template"),
        );
        bar.set_message(label.to_string());
        Progress {
            bar,
            started: Instant::now(),
            shown: AtomicBool::new(false),
        }
    }

    fn advance(&self, work: u64) {
        self.bar.inc(work);
        if !self.shown.load(Ordering::Relaxed)
            && self.started.elapsed() > Duration::from_secs(1)
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Run scenarios on a pool with a progress bar.
fn simulate(scenarios: &[Scenario], pool: &rayon::ThreadPool) -> Vec<ScenarioResult> {
    let progress = Progress::new(experiment::total_work(scenarios), "simulating");
    let results = pool.install(|| experiment::run(scenarios, &|work| progress.advance(work)));
    progress.finish();
    results
}

fn run(args: RunArgs) -> Result<i32, CommandError> {
    let (mut scenarios, files): (Vec<Scenario>, Vec<String>) = if args.scenarios.is_empty() {
        let scenarios = scenario::built_in();
        let files = scenarios
            .iter()
            .map(|s| format!("scenarios/{}.toml (built in)", s.name))
            .collect();
        (scenarios, files)
    } else {
        let mut loaded = Vec::new();
        for path in &args.scenarios {
            loaded.push(scenario::load(path)?);
        }
        let files = args
            .scenarios
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        (loaded, files)
    };
    for (index, scenario) in scenarios.iter().enumerate() {
        if scenarios[..index]
            .iter()
            .any(|other| other.name == scenario.name)
        {
            return Err(CommandError::Usage(format!(
                "two scenarios are named `{}`; give each file a distinct `name`",
                scenario.name
            )));
        }
    }
    for scenario in &mut scenarios {
        scenario
            .override_run(args.steps, args.replicates, args.seed)
            .map_err(CommandError::Usage)?;
    }
    let (pool, threads) = thread_pool(args.threads)?;
    check_memory(&scenarios, &files, threads)?;
    let out = args.out.clone().unwrap_or_else(|| {
        let name = if args.scenarios.is_empty() {
            "default".to_string()
        } else {
            scenarios
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join("+")
        };
        PathBuf::from("output").join(name)
    });
    output::prepare_dir(&out, args.force)?;
    let started = manifest::now_utc();
    let results = simulate(&scenarios, &pool);
    let files = output::write_tables(&out, &results)?;
    pool.install(|| {
        draw_charts(
            std::slice::from_ref(&out),
            &out.join("charts"),
            args.size,
            Some(&scenarios),
        )
    })?;
    let manifest = Manifest {
        cadresim_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: manifest::git_commit(),
        command: "run".to_string(),
        seed: args.seed,
        replicates: args.replicates,
        steps: args.steps,
        threads,
        started,
        finished: manifest::now_utc(),
        scenarios,
        files,
    };
    output::write_manifest(&out, &manifest)?;
    print!("{}", summary_table(&results));
    println!("results: {}", out.display());
    Ok(0)
}

fn interval(spread: &Spread, decimals: usize) -> String {
    match spread.ci95 {
        Some((low, high)) => format!(
            "{:.d$} [{:.d$}, {:.d$}]",
            spread.mean,
            low,
            high,
            d = decimals
        ),
        None => format!("{:.d$}", spread.mean, d = decimals),
    }
}

/// One row per scenario: modal equilibrium class and key metrics with 95% intervals.
pub fn summary_table(results: &[ScenarioResult]) -> String {
    let columns = [("mean_innovation", 3), ("share_idle", 3), ("welfare", 1)];
    let mut rows = vec![vec![
        "scenario".to_string(),
        "class".to_string(),
        "mean_innovation [95% CI]".to_string(),
        "share_idle [95% CI]".to_string(),
        "welfare [95% CI]".to_string(),
    ]];
    for result in results {
        let statistics = result.level_statistics(result.levels.len() - 1);
        let mut row = vec![
            result.scenario.name.clone(),
            statistics.modal_class().to_string(),
        ];
        for (metric, decimals) in columns {
            let index = metric_index(metric).expect("known metric");
            row.push(interval(&statistics.metrics[index], decimals));
        }
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|column| rows.iter().map(|row| row[column].len()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}

fn replay(args: ReplayArgs) -> Result<i32, CommandError> {
    let recorded = output::read_manifest(&args.manifest).map_err(CommandError::Usage)?;
    let file = args.manifest.display().to_string();
    for scenario in &recorded.scenarios {
        check_consistency(&scenario.params).map_err(|(key, message)| ScenarioError::Invalid {
            file: file.clone(),
            key: format!("scenarios[{}].{key}", scenario.name),
            message,
        })?;
    }
    let (pool, threads) = thread_pool(args.threads)?;
    let files: Vec<String> = recorded.scenarios.iter().map(|_| file.clone()).collect();
    check_memory(&recorded.scenarios, &files, threads)?;
    let (out, temporary) = match &args.out {
        Some(dir) => (dir.clone(), false),
        None => (
            std::env::temp_dir().join(format!("cadresim-replay-{}", std::process::id())),
            true,
        ),
    };
    output::prepare_dir(&out, args.force || temporary)?;
    let started = manifest::now_utc();
    let results = simulate(&recorded.scenarios, &pool);
    let hashes = output::write_tables(&out, &results)?;
    if !temporary {
        let mut manifest = recorded.clone();
        manifest.threads = threads;
        manifest.started = started;
        manifest.finished = manifest::now_utc();
        manifest.git_commit = manifest::git_commit();
        manifest.cadresim_version = env!("CARGO_PKG_VERSION").to_string();
        manifest.files = hashes.clone();
        output::write_manifest(&out, &manifest)?;
    }
    let differing: Vec<&str> = RUN_FILES
        .iter()
        .copied()
        .filter(|name| recorded.files.get(*name) != hashes.get(*name))
        .collect();
    if temporary {
        let _ = std::fs::remove_dir_all(&out);
    }
    if differing.is_empty() {
        println!(
            "replay matches: {} identical to {}",
            RUN_FILES.join(", "),
            args.manifest.display()
        );
        Ok(0)
    } else {
        Err(CommandError::Failed(format!(
            "replay differs from {}: {}",
            args.manifest.display(),
            differing.join(", ")
        )))
    }
}

/// The parameter listing of `cadresim params`.
pub fn params_listing(args: &ParamsArgs) -> String {
    let defaults = Params::default();
    let mut text = String::new();
    if args.markdown {
        text.push_str("| key | default | allowed | meaning |\n|---|---|---|---|\n");
        for spec in PARAMS {
            text.push_str(&format!(
                "| `{}` | `{}` | {} | {} |\n",
                spec.key,
                spec.value_text(&defaults),
                spec.allowed(),
                spec.meaning
            ));
        }
        return text;
    }
    let width = PARAMS.iter().map(|spec| spec.key.len()).max().unwrap_or(0);
    for spec in PARAMS {
        text.push_str(&format!(
            "{:<width$}  = {}\n{:<width$}    allowed: {}\n{:<width$}    {}\n",
            spec.key,
            spec.value_text(&defaults),
            "",
            spec.allowed(),
            "",
            spec.meaning
        ));
    }
    text.push_str(&format!(
        "\nTop level: name (defaults to the file stem), description.\n[[schedule]] entries: at (a step of the run) and set = {{ \"section.key\" = value, ... }}\nfor any key except [run], [hierarchy] and {}.\n",
        registry::UNSCHEDULABLE.join(", ")
    ));
    text
}

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
    points: usize,
    /// Worker threads (none for a merge, which simulates nothing).
    threads: Option<usize>,
    started: String,
    finished: String,
    base: &'a Scenario,
    axes: &'a [sweep::Axis],
    design: sweep::Design,
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
        points,
        threads,
        started,
        finished: manifest::now_utc(),
        base: &spec.base,
        axes: &spec.axes,
        design: spec.design,
        files,
    };
    let text = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
    output::write_atomically(dir, "manifest.json", |out| {
        use std::io::Write;
        out.write_all(text.as_bytes()).map_err(csv::Error::from)
    })?;
    Ok(())
}

fn run_sweep(args: SweepArgs) -> Result<i32, CommandError> {
    let mut spec = sweep::design::load(&args.file)?;
    spec.base
        .override_run(args.steps, args.replicates, args.seed)
        .map_err(CommandError::Usage)?;
    let (pool, threads) = thread_pool(args.threads)?;
    check_memory(
        std::slice::from_ref(&spec.base),
        &[args.file.display().to_string()],
        threads,
    )?;
    let out = args.out.clone().unwrap_or_else(|| {
        let name = match args.shard {
            Some((k, n)) => format!("{}-shard-{k}-of-{n}", spec.name),
            None => spec.name.clone(),
        };
        PathBuf::from("output").join(name)
    });
    let lock = SweepLock::new(&spec, args.shard);
    let points = sweep::shard_points(spec.points(), args.shard);
    sweep::prepare(&out, &lock, args.resume, args.force)?;
    let started = manifest::now_utc();
    let progress = Progress::new(points.len() as u64, "points");
    let ran = pool.install(|| sweep::run_points(&spec, &points, &out, &|n| progress.advance(n)));
    progress.finish();
    let ran = ran?;
    let files = sweep::assemble(&spec, &points, std::slice::from_ref(&out), &out)?;
    if args.shard.is_none() {
        pool.install(|| curves::draw_sweep(&spec, &out, &out.join("charts"), args.size))
            .map_err(CommandError::Failed)?;
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

fn merge(args: MergeArgs) -> Result<i32, CommandError> {
    let lock = sweep::check_shards(&args.dirs)?;
    let spec = &lock.spec;
    let points = spec.points();
    sweep::prepare(&args.out, &lock, false, args.force)?;
    let started = manifest::now_utc();
    for point in &points {
        let name = format!("point-{:06}.csv", point.id);
        if let Some(source) = args
            .dirs
            .iter()
            .map(|dir| dir.join("parts").join(&name))
            .find(|path| path.exists())
        {
            let target = args.out.join("parts").join(&name);
            std::fs::copy(&source, &target)
                .map_err(|e| CommandError::Failed(format!("{}: {e}", target.display())))?;
        }
    }
    let files = sweep::assemble(spec, &points, std::slice::from_ref(&args.out), &args.out)?;
    curves::draw_sweep(spec, &args.out, &args.out.join("charts"), args.size)
        .map_err(CommandError::Failed)?;
    write_sweep_manifest(
        &args.out,
        "merge",
        &lock,
        points.len(),
        None,
        started,
        files,
    )?;
    println!(
        "merged {} shards, {} points: {}",
        args.dirs.len(),
        points.len(),
        args.out.display()
    );
    Ok(0)
}

fn run_reproduce(args: ReproduceArgs) -> Result<i32, CommandError> {
    let experiments = reproduce::load(&args.experiments)?;
    output::prepare_dir(&args.out, args.force)?;
    let (replicates, steps) = if args.quick {
        (
            Some(experiments.quick_replicates),
            Some(experiments.quick_steps),
        )
    } else {
        (None, None)
    };
    let size = (1000, 625);
    let mut evidence = Evidence {
        runs: Default::default(),
        sweeps: Default::default(),
    };
    for group in &experiments.runs {
        let out = args.out.join("runs").join(&group.name);
        eprintln!("reproduce: running {}", group.name);
        run(RunArgs {
            scenarios: group.files.clone(),
            out: Some(out.clone()),
            seed: Some(experiments.seed),
            replicates,
            steps,
            threads: args.threads,
            force: true,
            size,
        })?;
        evidence.runs.insert(
            group.name.clone(),
            RunEvidence::read(&out).map_err(CommandError::Failed)?,
        );
    }
    for file in &experiments.sweeps {
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let out = args.out.join("sweeps").join(&name);
        eprintln!("reproduce: sweeping {name}");
        run_sweep(SweepArgs {
            file: file.clone(),
            out: Some(out.clone()),
            threads: args.threads,
            replicates,
            steps,
            seed: Some(experiments.seed),
            resume: false,
            shard: None,
            force: true,
            size,
        })?;
        evidence.sweeps.insert(
            name,
            SweepEvidence::read(&out).map_err(CommandError::Failed)?,
        );
    }
    let mut decided = Vec::new();
    for claim in &experiments.claims {
        let verdict = reproduce::decide(&claim.id, &evidence).map_err(CommandError::Failed)?;
        decided.push((claim.clone(), verdict));
    }
    let command = format!(
        "cadresim reproduce{}{}",
        if args.quick { " --quick" } else { "" },
        if args.docs { " --docs" } else { "" }
    );
    let mode = if args.quick {
        format!(
            "quick mode: {} replicates and {} steps per scenario and sweep point",
            experiments.quick_replicates, experiments.quick_steps
        )
    } else {
        "full mode: each file's own replicates and steps".to_string()
    };
    let provenance = format!(
        "cadresim {}{}, {mode}",
        env!("CARGO_PKG_VERSION"),
        manifest::git_commit()
            .map(|c| format!(", commit {}", &c[..c.len().min(12)]))
            .unwrap_or_default()
    );
    let markdown = reproduce::results_markdown(&experiments, &decided, &command, &provenance);
    let mut targets = vec![args.out.clone()];
    if args.docs {
        targets.push(PathBuf::from("docs"));
    }
    for target in &targets {
        let figures = target.join("figures");
        std::fs::create_dir_all(&figures)
            .map_err(|e| CommandError::Failed(format!("{}: {e}", figures.display())))?;
        for (claim, verdict) in &decided {
            let destination = figures.join(format!("{}.png", claim.id));
            std::fs::copy(&verdict.figure, &destination).map_err(|e| {
                CommandError::Failed(format!(
                    "{} -> {}: {e}",
                    verdict.figure.display(),
                    destination.display()
                ))
            })?;
        }
        std::fs::write(target.join("RESULTS.md"), &markdown).map_err(|e| {
            CommandError::Failed(format!("{}: {e}", target.join("RESULTS.md").display()))
        })?;
    }
    for (claim, verdict) in &decided {
        println!(
            "{:<20} {}",
            claim.id,
            if verdict.holds {
                "holds"
            } else {
                "does not hold"
            }
        );
    }
    println!("report: {}", args.out.join("RESULTS.md").display());
    Ok(0)
}
