//! Command-line definitions (clap). Parsing only: `commands` carries them out.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use cadresim::params::TableFormat;

pub use cadresim::charts::DEFAULT_SIZE;

/// cadresim: which regimes of punishment, tolerance and incentives put boundedly rational
/// cadres into the lazy equilibrium, and which bring them out?
#[derive(Debug, Parser)]
#[command(name = "cadresim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios (or the built-in default set) and write a result directory.
    Run(RunArgs),
    /// Re-run what a manifest describes (a run, sweep, comparison, discovery or DiD study) and
    /// check that every table is identical.
    Replay(ReplayArgs),
    /// List every scenario parameter: key, default, allowed values and meaning.
    Params(ParamsArgs),
    /// Run a parameter sweep (grid, Latin hypercube, path, Sobol' or Morris) and write its
    /// tables and charts (and, for sobol and morris designs, its sensitivity indices).
    Sweep(SweepArgs),
    /// Combine the shard directories of one sweep into the files an unsharded sweep writes.
    Merge(MergeArgs),
    /// Sensitivity indices of a finished sobol or morris sweep: Sobol' S1, ST (and S2) or
    /// Morris mu, mu*, sigma, with bootstrap intervals, the share of replicate noise and
    /// convergence (DIR/sensitivity.csv, DIR/sensitivity_convergence.csv, DIR/charts).
    Sensitivity(SensitivityArgs),
    /// Scenario discovery on a finished sweep: the region of the swept parameters where a
    /// condition on the equilibrium holds, by PRIM (DIR/discover-<condition>/).
    Discover(DiscoverArgs),
    /// Progress of a sweep or its shard directories: points done, damaged parts, mergeable?
    Status(StatusArgs),
    /// Run every experiment behind the paper's claims and write RESULTS.md with verdicts.
    Reproduce(ReproduceArgs),
    /// Redraw the charts of a result or sweep directory from its tables (into DIR/charts).
    Plot(PlotArgs),
    /// Compare result directories (or the scenarios of one): behaviour and equilibrium charts,
    /// and differences from a baseline (differences.csv): paired under common random numbers,
    /// Welch intervals where seeds or replicates differ.
    Compare(CompareArgs),
    /// Difference-in-differences on a staggered-adoption scenario, where the truth is known:
    /// the scenario and its counterfactual (the same seeds without the adoptions), static and
    /// event-study TWFE, Callaway & Sant'Anna and Sun & Abraham on every replicate's unit x
    /// step panel, with bias, RMSE and coverage (panel.csv, att.csv, did_summary.csv, charts).
    Did(DidArgs),
    /// Calibrate parameters against published figures: waves of history matching with
    /// Gaussian-process emulators, then ABC-SMC in the non-implausible region, then a
    /// predictive check (runs.csv, waves.csv, emulators.csv, generations.csv, parameters.csv,
    /// posterior.csv, predictive.csv). With --check N, test the method on N synthetic datasets
    /// drawn from the prior (check.csv, coverage.csv).
    Calibrate(CalibrateArgs),
    /// The explorer in the browser: a local server with controls for every parameter, runs
    /// drawn while they go, comparisons, an agent view, penalty curves and downloads. Prints
    /// its URL as the first line.
    Serve(ServeArgs),
}

/// Parse a seed: 0 to 2^63 - 1, what a scenario file's run.seed (a TOML integer) and so
/// a manifest replayed can hold.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|seed| *seed <= i64::MAX as u64)
        .ok_or_else(|| {
            format!(
                "expected a whole number from 0 to {}, got `{text}`",
                i64::MAX
            )
        })
}

/// A parser error (clap's) as one line: what is wrong (a list clap gives after a colon
/// joined by commas), clap's tip if any, and the usage of the command. Help and version
/// requests are not errors; `main` prints them as clap does.
pub fn one_line_error(error: &clap::Error) -> String {
    use clap::CommandFactory;
    if error.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let commands: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|command| command.get_name().to_string())
            .collect();
        return format!(
            "a command is required: one of {}; usage: cadresim <COMMAND> (cadresim --help says more)",
            commands.join(", ")
        );
    }
    let text = error.render().to_string();
    let mut parts: Vec<String> = Vec::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let trimmed = line.trim();
        if let Some(usage) = trimmed.strip_prefix("Usage:") {
            parts.push(format!("usage:{usage}"));
            break;
        }
        match parts.last_mut() {
            _ if trimmed.starts_with("For more information") => {}
            Some(list) if line.starts_with(' ') && list.ends_with(':') => {
                list.push(' ');
                list.push_str(trimmed);
            }
            Some(list) if line.starts_with(' ') && !trimmed.starts_with("tip:") => {
                list.push_str(", ");
                list.push_str(trimmed);
            }
            _ => parts.push(
                trimmed
                    .strip_prefix("error: ")
                    .unwrap_or(trimmed)
                    .to_string(),
            ),
        }
    }
    parts.join("; ")
}

/// Parse a chart size `WxH` (each 200 to 8000 pixels).
pub fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (width, height) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected WIDTHxHEIGHT such as 1600x1000, got `{text}`"))?;
    let side = |value: &str| -> Result<u32, String> {
        value
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|v| (200..=8000).contains(v))
            .ok_or_else(|| format!("each side must be 200 to 8000 pixels, got `{text}`"))
    };
    Ok((side(width)?, side(height)?))
}

#[derive(Debug, Args)]
#[command(after_help = "Example: cadresim plot output/default --size 2400x1500")]
pub struct PlotArgs {
    /// A result directory written by `cadresim run`, or a sweep directory.
    pub dir: PathBuf,
    /// Chart size in pixels (PNG; the SVG has the same geometry).
    #[arg(long, value_name = "WxH", default_value = "1600x1000", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Also draw the province map of METRIC (any metric, e.g. share_idle) for a run that
    /// recorded China's provinces (output.by_unit = "province"), as
    /// charts/units_map_<scenario>-<METRIC>; repeatable.
    #[arg(long = "map", value_name = "METRIC", value_parser = parse_metric)]
    pub maps: Vec<String>,
}

fn parse_metric(text: &str) -> Result<String, String> {
    match cadresim::metrics::metric_index(text) {
        Some(_) => Ok(text.to_string()),
        None => Err(format!(
            "`{text}` is not a metric; choose one of {}",
            cadresim::metrics::METRICS.join(", ")
        )),
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example: cadresim run scenarios/pressure.toml --out output/pressure\n         cadresim run scenarios/ft-scoped.toml --out output/ft-scoped\n         cadresim compare output/pressure output/ft-scoped --overlay --out output/compared"
)]
pub struct CompareArgs {
    /// Result directories to compare (e.g. a baseline and a variant), or one directory whose
    /// scenarios are compared with each other.
    #[arg(required = true, num_args = 1..)]
    pub dirs: Vec<PathBuf>,
    /// Where to write the charts and differences.csv.
    #[arg(long, value_name = "DIR", default_value = "output/compare")]
    pub out: PathBuf,
    /// The scenario the others are compared with, as named in the comparison
    /// (`<directory>-<scenario>`) [default: the first scenario].
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// Also draw overlay.png/.svg: mean innovation and share idle over time for every
    /// scenario on one chart.
    #[arg(long)]
    pub overlay: bool,
    /// Replace an earlier comparison (or anything else cadresim wrote) in DIR.
    #[arg(long)]
    pub force: bool,
    /// Chart size in pixels.
    #[arg(long, value_name = "WxH", default_value = "1600x1000", value_parser = parse_size)]
    pub size: (u32, u32),
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example: cadresim run                     (the built-in default set of five regimes)\n         cadresim run scenarios/pressure.toml scenarios/ft-scoped.toml --replicates 8 --seed 7"
)]
pub struct RunArgs {
    /// Scenario files (TOML). Without any, the built-in default set of five regimes runs.
    pub scenarios: Vec<PathBuf>,
    /// Result directory [default: output/<scenario names joined by +>, or output/default].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Master seed for every scenario (overrides run.seed; 0 to 2^63 - 1, as in a file).
    #[arg(long, value_name = "N", value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// Replicates per scenario (overrides run.replicates).
    #[arg(long, value_name = "N")]
    pub replicates: Option<u64>,
    /// Steps per replicate (overrides run.steps and run.until_settled; burn_in becomes
    /// steps/2 if it no longer fits).
    #[arg(long, value_name = "N", conflicts_with = "until_settled")]
    pub steps: Option<u64>,
    /// Run the replicates until their long-run mean is estimated (sets run.until_settled; at
    /// most run.max_steps steps, default 51200; docs/MODEL.md §7.11).
    #[arg(long)]
    pub until_settled: bool,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Overwrite an existing result directory.
    #[arg(long)]
    pub force: bool,
    /// With several scenarios: print each one's paired differences from this one.
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// Chart size in pixels (charts go to DIR/charts).
    #[arg(long, value_name = "WxH", default_value = "1600x1000", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Format of the tables (overrides output.format): csv, or parquet (typed columns,
    /// compressed; pandas, polars, DuckDB and R's arrow read it).
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub format: Option<TableFormat>,
    /// Print what this would cost (replicate runs, steps, cadre-steps) and the time it would
    /// take on this machine (timed on a few steps), then stop: nothing is run or written.
    #[arg(long)]
    pub dry_run: bool,
}

fn parse_format(text: &str) -> Result<TableFormat, String> {
    TableFormat::named(text).ok_or_else(|| format!("`{text}`: choose csv or parquet"))
}

#[derive(Debug, Args)]
#[command(after_help = "Example: cadresim replay output/default/manifest.json")]
pub struct ReplayArgs {
    /// The manifest.json of a result, sweep, discovery or DiD directory.
    pub manifest: PathBuf,
    /// Where to write the re-run [default: a temporary directory, removed afterwards].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Overwrite DIR if it holds a result.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Example: cadresim params --markdown > parameters.md")]
pub struct ParamsArgs {
    /// Print a Markdown table instead of plain text.
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example: cadresim sweep scenarios/sweeps/penalty-curve.toml --dry-run\n         cadresim sweep scenarios/sweeps/penalty-curve.toml --shard 1/4   (into output/penalty-curve-shard-1-of-4)"
)]
pub struct SweepArgs {
    /// The sweep file (TOML with a [sweep] section).
    pub file: PathBuf,
    /// Sweep directory [default: output/<sweep name>, with -shard-K-of-N for a shard].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Replicates per point (overrides the sweep file).
    #[arg(long, value_name = "N")]
    pub replicates: Option<u64>,
    /// Steps per replicate (overrides run.steps and run.until_settled).
    #[arg(long, value_name = "N", conflicts_with = "until_settled")]
    pub steps: Option<u64>,
    /// Run the replicates of every point until their long-run mean is estimated (sets
    /// run.until_settled; at most run.max_steps steps, default 51200).
    #[arg(long)]
    pub until_settled: bool,
    /// Master seed (overrides the base scenario's run.seed; 0 to 2^63 - 1, as in a file).
    #[arg(long, value_name = "N", value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// Continue an interrupted sweep in DIR, running only the points it lacks.
    #[arg(long)]
    pub resume: bool,
    /// Run only the K-th of N disjoint slices of the points (1 <= K <= N), e.g. 3/8.
    #[arg(long, value_name = "K/N", value_parser = cadresim::sweep::parse_shard)]
    pub shard: Option<(usize, usize)>,
    /// Overwrite an existing sweep directory.
    #[arg(long)]
    pub force: bool,
    /// With --resume: continue parts computed by another cadresim build (the manifest then
    /// names every build).
    #[arg(long, requires = "resume")]
    pub mixed_versions: bool,
    /// Chart size in pixels.
    #[arg(long, value_name = "WxH", default_value = "1600x1000", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Print what this would cost (replicate runs, steps, cadre-steps) and the time it would
    /// take on this machine (timed on a few steps), then stop: nothing is run or written.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example: cadresim merge output/penalty-curve-shard-*-of-4 --out output/penalty-curve"
)]
pub struct MergeArgs {
    /// Shard directories of one sweep (all N of them).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where to write the merged sweep.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Overwrite DIR if it holds a result.
    #[arg(long)]
    pub force: bool,
    /// Merge shards computed by other cadresim builds than this one, or by several (the
    /// manifest then names every build).
    #[arg(long)]
    pub mixed_versions: bool,
    /// Chart size in pixels.
    #[arg(long, value_name = "WxH", default_value = "1600x1000", value_parser = parse_size)]
    pub size: (u32, u32),
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example: cadresim sweep scenarios/sweeps/sensitivity.toml\n         cadresim sensitivity output/sensitivity --metric welfare --bootstrap 2000"
)]
pub struct SensitivityArgs {
    /// A finished sweep directory of design = "sobol" or "morris" (or a merge of its shards).
    pub dir: PathBuf,
    /// An equilibrium metric to analyse (repeat for several) [default: mean_innovation,
    /// share_idle, welfare, abuse_rate].
    #[arg(long = "metric", value_name = "METRIC")]
    pub metrics: Vec<String>,
    /// The hierarchy level whose equilibrium is analysed (a level name, or `all`).
    #[arg(long, value_name = "LEVEL", default_value = "all")]
    pub level: String,
    /// Bootstrap resamples for the 95% intervals.
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(2..=100_000))]
    pub bootstrap: u32,
    /// Chart size in pixels.
    #[arg(long, value_name = "WxH", default_value = "1600x1000", value_parser = parse_size)]
    pub size: (u32, u32),
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example: cadresim discover output/sensitivity --where \"mean_innovation < 0.2\""
)]
pub struct DiscoverArgs {
    /// A finished sweep directory (any design, or a merge of shards).
    pub dir: PathBuf,
    /// The condition on one replicate's equilibrium, e.g. "mean_innovation < 0.15",
    /// "class == lazy-routine", "class in [lazy-idle, lazy-routine] and welfare < 4000"
    /// (`lazy` means either lazy class).
    #[arg(long = "where", value_name = "CONDITION")]
    pub condition: String,
    /// The hierarchy level whose equilibrium is judged (a level name, or `all`).
    #[arg(long, value_name = "LEVEL", default_value = "all")]
    pub level: String,
    /// Share of the box's cases each peeling step removes (0 < alpha < 0.5).
    #[arg(long, value_name = "A", default_value_t = 0.05, value_parser = parse_alpha)]
    pub alpha: f64,
    /// Smallest share of all cases a box may hold (0 < mass < 1).
    #[arg(long = "min-mass", value_name = "M", default_value_t = 0.05, value_parser = parse_share)]
    pub min_mass: f64,
    /// Report box K of the trajectory [default: the densest box with coverage >= 0.5].
    #[arg(long = "box", value_name = "K")]
    pub chosen: Option<usize>,
    /// Bootstrap resamples of bagged PRIM: the box keeps only restrictions that recur in at
    /// least 80% of them (0: plain PRIM, every restriction kept).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub resamples: usize,
    /// Output directory [default: DIR/discover-<condition>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace an earlier discovery in the output directory.
    #[arg(long)]
    pub force: bool,
    /// Chart size in pixels.
    #[arg(long, value_name = "WxH", default_value = "1600x1000", value_parser = parse_size)]
    pub size: (u32, u32),
}

/// A share strictly between 0 and 1.
pub fn parse_share(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| *v > 0.0 && *v < 1.0)
        .ok_or_else(|| format!("expected a number strictly between 0 and 1, got `{text}`"))
}

/// A peeling share strictly between 0 and 0.5.
pub fn parse_alpha(text: &str) -> Result<f64, String> {
    parse_share(text)
        .ok()
        .filter(|v| *v < 0.5)
        .ok_or_else(|| format!("expected a number strictly between 0 and 0.5, got `{text}`"))
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example: cadresim status output/penalty-curve-shard-*-of-4\nExit status: 0 when nothing remains to run, 3 while work remains, 2 for a directory that is\nnot a sweep or its shard. A directory that does not exist counts as a shard not started.\nWait:    until cadresim status DIR...; [ $? -ne 3 ]; do sleep 60; done"
)]
pub struct StatusArgs {
    /// A sweep directory, or the shard directories of one sweep.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Print JSON instead of one line per directory.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example: cadresim reproduce --quick                 (minutes: fewer replicates and steps)\n         cadresim reproduce --dry-run               (what the full reproduction would cost)\n         cadresim reproduce --robustness 64 --shard 1/8"
)]
pub struct ReproduceArgs {
    /// Where the experiments' result directories, figures and RESULTS.md go [default:
    /// output/reproduce; with --shard K/N, output/reproduce-shard-K-of-N].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Fewer replicates and steps (the manifest's [quick] settings), for tests.
    #[arg(long)]
    pub quick: bool,
    /// Also write docs/RESULTS.md and docs/figures/ (the committed report).
    #[arg(long)]
    pub docs: bool,
    /// The experiments manifest.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "scenarios/experiments.toml"
    )]
    pub experiments: PathBuf,
    /// Also check every claim at N Latin-hypercube samples (default 64) of the parameters no
    /// claim names, within their plausible ranges (into DIR/robustness; a "Robustness"
    /// section in RESULTS.md).
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "64", value_parser = clap::value_parser!(u64).range(2..=100_000))]
    pub robustness: Option<u64>,
    /// With --robustness: also check the claims at draws from the posterior of a calibration
    /// (the --out DIR of `cadresim calibrate`): the parameters it calibrated take posterior
    /// draws, the others uniform values as before (into OUT/robustness-posterior; RESULTS.md
    /// reports both).
    #[arg(long, value_name = "DIR", requires = "robustness")]
    pub posterior: Option<PathBuf>,
    /// With --robustness: run only the K-th of N slices of its samples (sample s when
    /// s mod N = K - 1; the defaults are sample 0) into the shard's DIR, and nothing else.
    /// Shards run anywhere (a cluster's job array, several sessions); the full run takes
    /// their samples with --from-shard.
    #[arg(long, value_name = "K/N", value_parser = cadresim::sweep::parse_shard, requires = "robustness", conflicts_with_all = ["docs", "structure", "from_shard"])]
    pub shard: Option<(usize, usize)>,
    /// With --robustness: take the samples these shard directories (the --out of --shard
    /// runs with the same experiments and settings) finished, rather than run them again.
    #[arg(long, value_name = "DIR", num_args = 1.., requires = "robustness")]
    pub from_shard: Vec<PathBuf>,
    /// Also decide every claim at each cell of the full factorial of the structural switches
    /// in the experiments' [structure] (socialization, one-vote veto, decision rule,
    /// decomposition, lifelong accountability, the mechanisms), with its replicates and steps
    /// (--quick: [quick]'s), into DIR/structure; a "Structural robustness" section in
    /// RESULTS.md says which claims need which switch
    #[arg(long)]
    pub structure: bool,
    /// Continue an interrupted reproduction in DIR: finished run groups (their manifest names
    /// the same scenarios, seed, replicates and steps, and their files are intact), sweep
    /// points, robustness samples and structural cells are kept, the rest is run. Refused,
    /// before anything changes, for a reproduction of another experiments file or of the
    /// other mode (--quick or not).
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// With --resume: keep run groups, sweep points, robustness samples and structural cells
    /// computed by another cadresim build (the manifests then name every build); with
    /// --from-shard: take shards another build computed.
    #[arg(long)]
    pub mixed_versions: bool,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Overwrite DIR if it holds results.
    #[arg(long)]
    pub force: bool,
    /// Print what the reproduction would cost (replicate runs, steps, cadre-steps; a sweep's
    /// points each at the cost of its largest) and the time it would take on this machine,
    /// then stop: nothing is run or written.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example: cadresim did scenarios/staggered-adoption.toml --replicates 8 --outcome mean_innovation"
)]
pub struct DidArgs {
    /// The scenario: a schedule whose `where` entries adopt a policy in units of one level
    /// at different steps (see scenarios/staggered-adoption.toml).
    pub scenario: PathBuf,
    /// Study directory [default: output/did-<scenario name>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Master seed (overrides run.seed).
    #[arg(long, value_name = "N", value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// Replicates (overrides run.replicates); every estimator runs on every replicate.
    #[arg(long, value_name = "N")]
    pub replicates: Option<u64>,
    /// Steps per replicate (overrides run.steps); the panel has every step of the run.
    #[arg(long, value_name = "N")]
    pub steps: Option<u64>,
    /// Outcome, repeatable: a metric, or `successes` (successful honest innovations per unit
    /// and step) [default: mean_innovation and output].
    #[arg(long = "outcome", value_name = "METRIC")]
    pub outcomes: Vec<String>,
    /// How the studies observe the outcomes: `exact`, or `poisson` (a Poisson count per unit
    /// and step with the outcome as its mean, for count outcomes such as `successes`).
    #[arg(long, value_name = "MODEL", default_value = "exact", value_parser = ["exact", "poisson"])]
    pub observe: String,
    /// Event times reported and tested before adoption (the pre-trend test uses them).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub leads: i64,
    /// Event times reported after adoption.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub lags: i64,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Overwrite an existing study directory.
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
    /// Go on with the unfinished study in DIR (started with the same settings), keeping the
    /// replicates it finished.
    #[arg(long)]
    pub resume: bool,
    /// Chart size in pixels (charts go to DIR/charts).
    #[arg(long, value_name = "WxH", default_value = "1600x1000", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Print what this would cost (replicate runs, steps, cadre-steps) and the time it would
    /// take on this machine (timed on a few steps), then stop: nothing is run or written.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example: cadresim calibrate scenarios/calibration/tiny.toml --out output/tiny\n         cadresim calibrate scenarios/calibration/tiny.toml --check 50 --out output/tiny-check"
)]
pub struct CalibrateArgs {
    /// The calibration file: `base` (the scenario), `[calibrate]` settings,
    /// `[[calibrate.parameter]]` (key, prior, range) and `[[calibrate.target]]` (name, metric,
    /// statistic, steps, level, value, sd_obs, sd_discrepancy, source); docs/CALIBRATION.md.
    pub file: PathBuf,
    /// Result directory [default: output/calibrate-<file name>, or output/check-<file name>
    /// with --check].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Check the method instead: calibrate N synthetic datasets simulated at truths drawn
    /// from the prior, and report the truths' ranks and the intervals' coverage.
    #[arg(long, value_name = "N")]
    pub check: Option<usize>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Overwrite an existing result directory.
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
    /// Go on with the unfinished calibration in DIR (started with the same file and
    /// settings): every batch of simulator runs it finished is reused, nothing is run twice.
    #[arg(long)]
    pub resume: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example: cadresim serve --open                      (then press Run in the page)\n         cadresim serve scenarios/lifelong.toml --port 8080"
)]
pub struct ServeArgs {
    /// Scenario files to offer besides the built-in regimes.
    pub scenarios: Vec<PathBuf>,
    /// Port to listen on (0 picks a free one).
    #[arg(long, value_name = "N", default_value_t = 8737)]
    pub port: u16,
    /// Address to listen on. Anything but loopback makes the explorer reachable from other
    /// machines, and is done only when asked, with a warning.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Open the page in the default browser.
    #[arg(long)]
    pub open: bool,
    /// Where downloaded runs' result directories are written (run-<n>/ each).
    #[arg(long, value_name = "DIR", default_value = "output/serve")]
    pub out: PathBuf,
}
