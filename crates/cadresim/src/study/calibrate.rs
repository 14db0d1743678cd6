//! The `calibrate` study: a calibration file's parameters estimated from its targets by waves
//! of history matching on the simulator, then ABC-SMC on the last wave's emulators inside the
//! non-implausible region, then a predictive check on the simulator at posterior draws; or,
//! with `check`, the simulation-based check of that method (emulators fitted once over the
//! prior, synthetic datasets simulated at truths drawn from the prior, each calibrated, the
//! truths' ranks and coverage). Writes the tables of `output::calibration` and the manifest.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use super::memory::check_memory;
use super::{thread_pool, Event, Observer, StudyError};
use crate::calibrate::abc;
use crate::calibrate::file::{self, cadres_per_level};
use crate::calibrate::history::{self, history_match, Emulators, MatchError, Matching, Run};
use crate::calibrate::sbc::{self, RANK_BINS};
use crate::calibrate::smc::abc_smc;
use crate::calibrate::space::{latin_hypercube, Prior};
use crate::calibrate::{
    resample, summarize, CalibrationSpec, DesignSeeds, Emulated, ParameterSummary, Settings,
    Statistic, IDENTIFIED_SD_RATIO,
};
use crate::charts::calibration::{draw_calibration, Calibration, Posterior, Predicted};
use crate::metrics::{metric_index, WHOLE_HIERARCHY};
use crate::output::calibration::{self as ledger, write_tables, Table};
use crate::output::ledger::Found;
use crate::output::manifest::{self, Manifest, RunRecord, Stamp};
use crate::output::{self, store::number};
use crate::runner::{self, ScenarioResult};
use crate::scenario::RunOverride;

/// What to calibrate, and where to write.
#[derive(Clone, Debug)]
pub struct CalibrateRequest {
    pub file: PathBuf,
    pub out: PathBuf,
    /// Replace what an earlier command wrote in `out`.
    pub force: bool,
    /// Check the method on this many synthetic datasets instead of calibrating.
    pub check: Option<usize>,
    /// Go on with the unfinished calibration in `out` (started with the same file and
    /// settings), reusing every batch of simulator runs it finished.
    pub resume: bool,
    pub threads: Option<usize>,
}

/// What a calibration found.
pub struct CalibrateOutcome {
    pub out: PathBuf,
    pub spec: CalibrationSpec,
    /// Per parameter (calibration only).
    pub summaries: Vec<ParameterSummary>,
    pub waves: Vec<history::Wave>,
    /// Simulator runs made.
    pub runs: usize,
    /// Per target: inside its predictive interval (calibration only).
    pub inside: Vec<bool>,
    /// Per parameter: coverage of the 50% and 90% intervals (check only).
    pub coverage: Vec<(f64, f64)>,
}

/// Size of the charts (the posterior's pair plot is square).
const CHART_SIZE: (u32, u32) = (1600, 1000);
/// Points drawn to find the non-implausible region.
const CANDIDATES: usize = 20_000;
/// Most runs an emulator is trained on.
const MAX_TRAINING: usize = 300;
/// Offset of the predictive runs' seeds from the calibration's seed (apart from the
/// synthetic datasets' of `--check`, which start at seed + 2).
const PREDICTIVE_SEEDS: u64 = 1 << 32;
/// Offset of the design runs' seeds from the calibration's seed with `design_seeds =
/// "distinct"`: run k (counted over all waves, or over the check's design) has seed + 2^33 + k.
const DESIGN_SEEDS: u64 = 1 << 33;
/// Draws of measurement and discrepancy noise per predictive run.
const PREDICTIVE_DRAWS: usize = 50;

/// Read the calibration file only (for `--dry-run`-like checks and errors).
pub fn check_file(path: &Path) -> Result<CalibrationSpec, StudyError> {
    Ok(file::load(path)?)
}

pub fn calibrate(
    request: &CalibrateRequest,
    observer: &dyn Observer,
) -> Result<CalibrateOutcome, StudyError> {
    let started = manifest::now_utc();
    let spec = file::load(&request.file)?;
    if request.check == Some(0) {
        return Err(StudyError::Usage("--check needs at least 1 dataset".into()));
    }
    let (pool, threads) = thread_pool(request.threads)?;
    check_memory(
        std::slice::from_ref(&spec.scenario),
        std::slice::from_ref(&spec.file),
        threads,
    )?;
    if let Some(datasets) = request.check {
        check_budget(&spec, datasets)?;
    }
    let settings = settings_hash(&spec, request.check);
    let _lock = open_dir(request, &settings)?;
    let simulator = Simulator::new(&spec, &pool, observer, &request.out)?;
    let (tables, charts, outcome) = match request.check {
        None => calibration(&spec, &simulator)?,
        Some(datasets) => method_check(&spec, &simulator, datasets, observer)?,
    };
    let mut files = write_tables(&request.out, &tables)?;
    let drawn = draw_calibration(&charts, &request.out.join("charts"), CHART_SIZE)?;
    files.extend(output::hash_files(&request.out, &drawn)?);
    let manifest = Manifest {
        stamp: Stamp::now("calibrate", Some(threads), Some(started)),
        record: RunRecord {
            seed: Some(spec.settings.seed),
            replicates: Some(spec.settings.replicates),
            steps: Some(spec.scenario.params.run.steps),
            scenarios: vec![spec.scenario.clone()],
            settings: Some(settings_json(&spec, request.check)),
        },
        files,
    };
    output::write_manifest(&request.out, &manifest)?;
    ledger::remove_ledger(&request.out)?;
    Ok(CalibrateOutcome {
        out: request.out.clone(),
        spec,
        ..outcome
    })
}

/// Lock `out` and start its ledger, or, with `resume`, check that it holds an unfinished
/// calibration started with the same settings.
fn open_dir(request: &CalibrateRequest, settings: &str) -> Result<output::DirLock, StudyError> {
    let out = &request.out;
    if !request.resume {
        let lock = output::prepare_dir(out, request.force)?;
        ledger::start_ledger(out, settings)?;
        return Ok(lock);
    }
    let lock = output::lock_existing(out)?;
    match ledger::survey(out)? {
        Found::Unfinished(found) if found == settings => {
            ledger::open_parts(out)?;
            Ok(lock)
        }
        found => Err(StudyError::Usage(ledger::refusal(out, &found))),
    }
}

/// The hash that names a calibration in its ledger: everything that defines the result (the
/// settings, parameters, targets and base scenario), not the path the file was named by, so
/// that `--resume` accepts the file however it is named.
fn settings_hash(spec: &CalibrationSpec, check: Option<usize>) -> String {
    let mut settings = settings_json(spec, check);
    settings
        .as_object_mut()
        .expect("the settings are an object")
        .remove("file");
    manifest::sha256_hex(
        serde_json::to_string(&(settings, &spec.scenario))
            .expect("settings serialize")
            .as_bytes(),
    )
}

fn settings_json(spec: &CalibrationSpec, check: Option<usize>) -> serde_json::Value {
    let s = &spec.settings;
    serde_json::json!({
        "file": spec.file,
        "check": check,
        "budget": s.budget,
        "wave_runs": s.wave_runs,
        "max_waves": s.max_waves,
        "cut": s.cut,
        "population": s.population,
        "generations": s.generations,
        "seed": s.seed,
        "replicates": s.replicates,
        "acceptor": s.acceptor.name(),
        "emulator_variance": if s.inflate_emulators { "validated" } else { "fitted" },
        "design_seeds": s.design_seeds.name(),
        "predictive_runs": s.predictive_runs,
        "parameters": spec.parameters.iter().map(|p| serde_json::json!({
            "key": p.key, "prior": p.prior.name(), "range": [p.low, p.high],
        })).collect::<Vec<_>>(),
        "targets": spec.targets.iter().map(|t| serde_json::json!({
            "name": t.name, "metric": t.metric, "statistic": t.statistic.name(),
            "denominator": match &t.statistic {
                Statistic::Ratio { denominator } => Some(denominator.clone()),
                _ => None,
            },
            "steps": [t.steps.0, t.steps.1], "level": t.level, "value": t.value,
            "sd_obs": t.sd_obs, "sd_discrepancy": t.sd_discrepancy, "source": t.source,
        })).collect::<Vec<_>>(),
    })
}

/// How a target is computed from a run: the metric, the level, what it is divided by.
struct Reduction {
    metric: usize,
    level: usize,
    cadres: f64,
    denominator: Option<usize>,
}

/// Runs the base scenario at points of the unit cube and reduces each run to its targets.
struct Simulator<'a> {
    spec: &'a CalibrationSpec,
    pool: &'a rayon::ThreadPool,
    observer: &'a dyn Observer,
    targets: Vec<Reduction>,
    /// The result directory, whose ledger holds every finished batch of runs.
    out: &'a Path,
    /// Batches asked for so far (the ledger's index of the next).
    batches: AtomicUsize,
}

impl<'a> Simulator<'a> {
    fn new(
        spec: &'a CalibrationSpec,
        pool: &'a rayon::ThreadPool,
        observer: &'a dyn Observer,
        out: &'a Path,
    ) -> Result<Self, StudyError> {
        let cadres = cadres_per_level(&spec.scenario)?;
        let levels = &spec.scenario.params.hierarchy.levels;
        let targets = spec
            .targets
            .iter()
            .map(|target| {
                let metric = metric_index(&target.metric).expect("checked metric");
                let level = if target.level == WHOLE_HIERARCHY {
                    levels.len()
                } else {
                    levels
                        .iter()
                        .position(|l| l.name == target.level)
                        .expect("checked level")
                };
                let (cadres, denominator) = match &target.statistic {
                    Statistic::Mean => (1.0, None),
                    Statistic::PerCadre => (cadres[level].max(1) as f64, None),
                    Statistic::Ratio { denominator } => (
                        1.0,
                        Some(metric_index(denominator).expect("checked metric")),
                    ),
                };
                Reduction {
                    metric,
                    level,
                    cadres,
                    denominator,
                }
            })
            .collect();
        Ok(Simulator {
            spec,
            pool,
            observer,
            targets,
            out,
            batches: AtomicUsize::new(0),
        })
    }

    /// Simulate each point with its seed, or take the runs from the ledger when this batch
    /// was finished before (the same points and seeds).
    fn run(&self, points: &[Vec<f64>], seeds: &[u64]) -> Result<Vec<Run>, StudyError> {
        let index = self.batches.fetch_add(1, Ordering::SeqCst);
        let key = manifest::sha256_hex(
            serde_json::to_string(&(points, seeds))
                .expect("points serialize")
                .as_bytes(),
        );
        if let Some(batch) = ledger::read_batch(self.out, index).filter(|b| b.key == key) {
            return Ok(batch
                .points
                .into_iter()
                .zip(batch.means)
                .zip(batch.variances)
                .zip(batch.covariances)
                .map(|(((point, means), variances), covariances)| Run {
                    point: ledger::from_bits(&point),
                    means: ledger::from_bits(&means),
                    variances: ledger::from_bits(&variances),
                    covariances: ledger::from_bits(&covariances),
                })
                .collect());
        }
        let runs = self.simulate(points, seeds)?;
        let batch = ledger::Batch {
            key,
            points: runs.iter().map(|r| ledger::to_bits(&r.point)).collect(),
            means: runs.iter().map(|r| ledger::to_bits(&r.means)).collect(),
            variances: runs.iter().map(|r| ledger::to_bits(&r.variances)).collect(),
            covariances: runs
                .iter()
                .map(|r| ledger::to_bits(&r.covariances))
                .collect(),
        };
        ledger::write_batch(self.out, index, &batch)?;
        Ok(runs)
    }

    fn simulate(&self, points: &[Vec<f64>], seeds: &[u64]) -> Result<Vec<Run>, StudyError> {
        let mut plans = Vec::with_capacity(points.len());
        for (index, (point, &seed)) in points.iter().zip(seeds).enumerate() {
            let mut scenario = self.spec.scenario.clone();
            let source = format!("{} (run at point {index})", self.spec.file);
            scenario.set(&self.spec.settings_at(point), &source)?;
            scenario.override_run(&RunOverride {
                steps: Some(self.spec.scenario.params.run.steps),
                replicates: Some(self.spec.settings.replicates),
                seed: Some(seed),
                until_settled: false,
            })?;
            plans.push(scenario.plan()?);
        }
        self.observer.event(Event::Begin {
            what: "cadre-steps",
            total: runner::total_work(&plans),
        });
        let progress = |units: u64| self.observer.event(Event::Advance { units });
        let results = self.pool.install(|| runner::run(&plans, &progress));
        self.observer.event(Event::End);
        results
            .iter()
            .zip(points)
            .map(|(result, point)| self.reduce(result, point))
            .collect()
    }

    /// A run's targets: per replicate, the metric's mean over the window (divided by the
    /// cadres for `per_cadre`); their means, variances and covariances over replicates.
    fn reduce(&self, result: &ScenarioResult, point: &[f64]) -> Result<Run, StudyError> {
        let mut values = Vec::with_capacity(self.targets.len());
        for (target, reduction) in self.spec.targets.iter().zip(&self.targets) {
            let replicates: Vec<f64> = (0..result.replicates.len())
                .map(|r| reduction.value(result, r, target.steps))
                .collect();
            if replicates.iter().any(|v| !v.is_finite()) {
                return Err(StudyError::Failed(format!(
                    "{}: target `{}` is not finite at {:?}",
                    self.spec.file,
                    target.name,
                    self.spec.settings_at(point)
                )));
            }
            values.push(replicates);
        }
        let (means, variances, covariances) = history::moments(&values);
        Ok(Run {
            point: point.to_vec(),
            means,
            variances,
            covariances,
        })
    }
}

impl Reduction {
    /// Replicate `r`'s value over the inclusive window `(first, last)`.
    fn value(&self, result: &ScenarioResult, r: usize, (first, last): (u64, u64)) -> f64 {
        let mean = |metric: usize| {
            (first..=last)
                .map(|step| result.record(r, step as usize, self.level)[metric])
                .sum::<f64>()
                / (last - first + 1) as f64
        };
        let numerator = mean(self.metric) / self.cadres;
        match self.denominator {
            None => numerator,
            Some(denominator) => match mean(denominator) {
                0.0 => 0.0,
                d => numerator / d,
            },
        }
    }
}

fn matching_settings(spec: &CalibrationSpec) -> history::Settings {
    let s = &spec.settings;
    history::Settings {
        wave_runs: s.wave_runs,
        max_waves: s.max_waves,
        budget: s.budget - s.predictive_runs,
        replicates: s.replicates as usize,
        cut: s.cut,
        candidates: CANDIDATES,
        max_training: MAX_TRAINING,
        inflate: s.inflate_emulators,
    }
}

fn abc_settings(spec: &CalibrationSpec) -> abc::Settings {
    abc::Settings {
        population: spec.settings.population,
        generations: spec.settings.generations,
        min_acceptance: 0.01,
        max_proposals_factor: 1000,
        acceptor: spec.settings.acceptor,
    }
}

/// The seeds of design runs `first..first + runs` (counted over all waves).
fn design_seeds(settings: &Settings, first: usize, runs: usize) -> Vec<u64> {
    match settings.design_seeds {
        DesignSeeds::Shared => vec![settings.seed; runs],
        DesignSeeds::Distinct => (first..first + runs)
            .map(|k| seed_after(settings.seed, DESIGN_SEEDS + k as u64))
            .collect(),
    }
}

/// The master seed `offset` after the calibration's, modulo 2^63 (the seeds a run accepts).
fn seed_after(seed: u64, offset: u64) -> u64 {
    seed.wrapping_add(offset) & (u64::MAX >> 1)
}

/// Seeds of the streams each stage draws from, apart from the simulator's.
fn stream(seed: u64, stage: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stage);
    rng
}

fn matching_error(error: MatchError<StudyError>, spec: &CalibrationSpec) -> StudyError {
    match error {
        MatchError::Simulator(error) => error,
        MatchError::Emulator(message) => StudyError::Failed(format!("{}: {message}", spec.file)),
        MatchError::Empty { wave } => StudyError::Failed(format!(
            "{}: after wave {wave} no parameter vector is non-implausible: within the priors the model cannot match every target at once (widen a prior, or sd_obs / sd_discrepancy where they understate the uncertainty)",
            spec.file
        )),
    }
}

/// Why the posterior of a stochastic-acceptor run that stopped above temperature 1 is too
/// wide.
fn unfinished_warning(
    spec: &CalibrationSpec,
    posterior: &abc::Outcome,
    temperature: f64,
) -> String {
    let done = posterior.generations.len() - 1;
    let total = spec.settings.generations;
    let reached = match temperature.is_finite() {
        true => format!("at temperature {temperature:.3}, not 1"),
        false => "before its first tempered generation, so the population is the prior sample"
            .to_string(),
    };
    format!(
        "{}: ABC-SMC stopped after generation {done} of {total} {reached}: a generation reached the proposal limit, so the posterior is a tempered approximation, wider than the true one",
        spec.file,
    )
}

type Tabled = (Vec<Table>, Calibration, CalibrateOutcome);

/// The simulator at `predictive_runs` draws from the posterior, each draw its own streams
/// (so the predictive spread includes the ensemble's).
fn predictive_runs(
    spec: &CalibrationSpec,
    simulator: &Simulator,
    population: &abc::Population,
) -> Result<Vec<Run>, StudyError> {
    let seed = spec.settings.seed;
    let draws = resample(
        &population.points,
        &population.weights,
        spec.settings.predictive_runs,
        &mut stream(seed, 3),
    );
    if draws.is_empty() {
        return Ok(Vec::new());
    }
    let seeds: Vec<u64> = (0..draws.len() as u64)
        .map(|k| seed_after(seed, PREDICTIVE_SEEDS + k))
        .collect();
    simulator.run(&draws, &seeds)
}

fn calibration(spec: &CalibrationSpec, simulator: &Simulator) -> Result<Tabled, StudyError> {
    let seed = spec.settings.seed;
    let dims = spec.parameters.len();
    let observations = spec.observations();
    let mut designed = 0;
    let mut simulate = |_wave: usize, points: &[Vec<f64>]| {
        let seeds = design_seeds(&spec.settings, designed, points.len());
        designed += points.len();
        simulator.run(points, &seeds)
    };
    let matching = history_match(
        &matching_settings(spec),
        &observations,
        dims,
        &mut stream(seed, 1),
        &mut simulate,
    )
    .map_err(|error| matching_error(error, spec))?;
    let observed: Vec<f64> = observations.iter().map(|o| o.value).collect();
    simulator.observer.event(Event::Begin {
        what: "ABC-SMC generations",
        total: spec.settings.generations as u64 + 1,
    });
    let problem = abc::Problem {
        model: &Emulated::new(&matching),
        region: &matching.region,
        observed: &observed,
    };
    let posterior = abc_smc(
        &abc_settings(spec),
        problem,
        &mut stream(seed, 2),
        &mut |_| simulator.observer.event(Event::Advance { units: 1 }),
    );
    simulator.observer.event(Event::End);
    if let Some(temperature) = posterior.unfinished_temperature(&abc_settings(spec)) {
        simulator
            .observer
            .warn(unfinished_warning(spec, &posterior, temperature));
    }
    let population = &posterior.population;
    let summaries = summarize(&spec.parameters, &population.points, &population.weights);
    let predictive = predictive_runs(spec, simulator, population)?;
    let checks = predictive_checks(spec, &predictive, &mut stream(seed, 4));
    let runs = matching.runs.len() + predictive.len();
    let tables = vec![
        runs_table(spec, &matching.runs),
        waves_table(&matching),
        emulators_table(spec, &matching.waves),
        generations_table(&posterior.generations),
        parameters_table(spec, &summaries),
        posterior_table(spec, &population.points, &population.weights),
        predictive_table(&checks),
    ];
    let outcome = CalibrateOutcome {
        out: PathBuf::new(),
        spec: spec.clone(),
        summaries,
        waves: matching.waves.clone(),
        runs,
        inside: checks.iter().map(inside).collect(),
        coverage: Vec::new(),
    };
    let natural: Vec<Vec<f64>> = population
        .points
        .iter()
        .map(|u| {
            spec.parameters
                .iter()
                .zip(u)
                .map(|(p, &u)| p.natural(u))
                .collect()
        })
        .collect();
    let charts = Calibration {
        posterior: Some(Posterior {
            parameters: spec
                .parameters
                .iter()
                .map(|p| (p.key.clone(), (p.low, p.high), p.prior == Prior::LogUniform))
                .collect(),
            points: natural,
            weights: population.weights.clone(),
        }),
        volumes: matching.waves.iter().map(|w| (w.wave, w.volume)).collect(),
        predictive: checks,
        validation: validation_points(spec, &matching.waves),
    };
    Ok((tables, charts, outcome))
}

/// (wave, target, RMS standardized error) of every validation.
fn validation_points(spec: &CalibrationSpec, waves: &[history::Wave]) -> Vec<(usize, String, f64)> {
    waves
        .iter()
        .flat_map(|w| {
            w.validation.iter().map(move |v| {
                (
                    w.wave,
                    spec.targets[v.target].name.clone(),
                    v.rms_standardized,
                )
            })
        })
        .collect()
}

/// Per target: the simulated values at posterior draws with measurement and discrepancy
/// noise added, their mean and central 95% interval.
fn predictive_checks(spec: &CalibrationSpec, runs: &[Run], rng: &mut impl Rng) -> Vec<Predicted> {
    if runs.is_empty() {
        return Vec::new();
    }
    let mut checks = Vec::new();
    for (t, target) in spec.targets.iter().enumerate() {
        let sd = target.observation().variance.sqrt();
        let mut draws = Vec::with_capacity(runs.len() * PREDICTIVE_DRAWS);
        for run in runs {
            for _ in 0..PREDICTIVE_DRAWS {
                let z: f64 = StandardNormal.sample(rng);
                draws.push(run.means[t] + sd * z);
            }
        }
        let weights = vec![1.0; draws.len()];
        checks.push(Predicted {
            target: target.name.clone(),
            value: target.value,
            mean: runs.iter().map(|r| r.means[t]).sum::<f64>() / runs.len() as f64,
            low: sbc::weighted_quantile(&draws, &weights, 0.025),
            high: sbc::weighted_quantile(&draws, &weights, 0.975),
        });
    }
    checks
}

fn inside(check: &Predicted) -> bool {
    (check.low..=check.high).contains(&check.value)
}

fn predictive_table(checks: &[Predicted]) -> Table {
    let rows = checks
        .iter()
        .map(|c| {
            vec![
                c.target.clone(),
                number(c.value),
                number(c.mean),
                number(c.low),
                number(c.high),
                inside(c).to_string(),
            ]
        })
        .collect();
    Table {
        name: "predictive.csv",
        header: header(&[
            "target",
            "value",
            "pred_mean",
            "pred_q025",
            "pred_q975",
            "inside",
        ]),
        rows,
    }
}

fn header(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

fn runs_table(spec: &CalibrationSpec, runs: &[(usize, Run)]) -> Table {
    let mut columns = vec!["wave".to_string(), "run".to_string(), "seed".to_string()];
    columns.extend(spec.parameters.iter().map(|p| p.key.clone()));
    for target in &spec.targets {
        columns.push(format!("{}:mean", target.name));
        columns.push(format!("{}:sd", target.name));
    }
    let rows = runs
        .iter()
        .enumerate()
        .map(|(i, (wave, run))| {
            let seed = design_seeds(&spec.settings, i, 1)[0];
            let mut row = vec![wave.to_string(), i.to_string(), seed.to_string()];
            row.extend(
                spec.parameters
                    .iter()
                    .zip(&run.point)
                    .map(|(p, &u)| number(p.natural(u))),
            );
            for (mean, variance) in run.means.iter().zip(&run.variances) {
                row.push(number(*mean));
                row.push(number(variance.sqrt()));
            }
            row
        })
        .collect();
    Table {
        name: "runs.csv",
        header: columns,
        rows,
    }
}

fn waves_table(matching: &Matching) -> Table {
    let rows = matching
        .waves
        .iter()
        .map(|w| {
            vec![
                w.wave.to_string(),
                w.runs.to_string(),
                w.training.to_string(),
                number(w.volume),
            ]
        })
        .collect();
    Table {
        name: "waves.csv",
        header: header(&["wave", "runs", "training_runs", "non_implausible_share"]),
        rows,
    }
}

fn emulators_table(spec: &CalibrationSpec, waves: &[history::Wave]) -> Table {
    let rows = waves
        .iter()
        .flat_map(|w| {
            w.validation.iter().map(move |v| {
                vec![
                    w.wave.to_string(),
                    spec.targets[v.target].name.clone(),
                    v.points.to_string(),
                    number(v.within_three as f64 / v.points.max(1) as f64),
                    number(v.rms_standardized),
                    number(v.variance_scale),
                ]
            })
        })
        .collect();
    Table {
        name: "emulators.csv",
        header: header(&[
            "wave",
            "target",
            "held_out",
            "share_within_3sd",
            "rms_standardized_error",
            "variance_scale",
        ]),
        rows,
    }
}

fn generations_table(generations: &[abc::Generation]) -> Table {
    let rows = generations
        .iter()
        .map(|g| {
            // The prior has neither tolerance nor temperature: empty cells.
            let (epsilon, temperature) = match g.threshold {
                abc::Threshold::Prior => (String::new(), String::new()),
                abc::Threshold::Epsilon(e) => (number(e), String::new()),
                abc::Threshold::Temperature(t) => (String::new(), number(t)),
            };
            vec![
                g.generation.to_string(),
                epsilon,
                temperature,
                g.proposals.to_string(),
                number(g.acceptance),
            ]
        })
        .collect();
    Table {
        name: "generations.csv",
        header: header(&[
            "generation",
            "epsilon",
            "temperature",
            "proposals",
            "acceptance_rate",
        ]),
        rows,
    }
}

fn parameters_table(spec: &CalibrationSpec, summaries: &[ParameterSummary]) -> Table {
    let rows = spec
        .parameters
        .iter()
        .zip(summaries)
        .map(|(p, s)| {
            vec![
                p.key.clone(),
                p.prior.name().to_string(),
                number(p.low),
                number(p.high),
                number(s.median),
                number(s.q05),
                number(s.q95),
                number(s.sd_ratio),
                (s.sd_ratio <= IDENTIFIED_SD_RATIO).to_string(),
            ]
        })
        .collect();
    Table {
        name: "parameters.csv",
        header: header(&[
            "key",
            "prior",
            "prior_low",
            "prior_high",
            "post_median",
            "post_q05",
            "post_q95",
            "sd_ratio",
            "identified",
        ]),
        rows,
    }
}

fn posterior_table(spec: &CalibrationSpec, points: &[Vec<f64>], weights: &[f64]) -> Table {
    let mut columns = vec!["weight".to_string()];
    columns.extend(spec.parameters.iter().map(|p| p.key.clone()));
    let rows = points
        .iter()
        .zip(weights)
        .map(|(point, w)| {
            let mut row = vec![number(*w)];
            row.extend(
                spec.parameters
                    .iter()
                    .zip(point)
                    .map(|(p, &u)| number(p.natural(u))),
            );
            row
        })
        .collect();
    Table {
        name: "posterior.csv",
        header: columns,
        rows,
    }
}

/// The runs `--check` leaves for the emulators' design after its `datasets` synthetic
/// datasets, refused when fewer than 5 per parameter (at least 10).
fn check_budget(spec: &CalibrationSpec, datasets: usize) -> Result<usize, StudyError> {
    let dims = spec.parameters.len();
    let design_runs = spec.settings.budget.saturating_sub(datasets);
    if design_runs < 5 * dims.max(2) {
        return Err(StudyError::Usage(format!(
            "{}: calibrate.budget ({}) leaves {design_runs} runs for the emulators after {datasets} synthetic datasets; raise the budget to at least {}",
            spec.file, spec.settings.budget, datasets + 5 * dims.max(2)
        )));
    }
    Ok(design_runs)
}

/// One synthetic dataset's outcome per parameter: rank bin, in 50%, in 90%, posterior median.
type DatasetCheck = Option<Vec<(usize, bool, bool, f64)>>;

fn method_check(
    spec: &CalibrationSpec,
    simulator: &Simulator,
    datasets: usize,
    observer: &dyn Observer,
) -> Result<Tabled, StudyError> {
    let seed = spec.settings.seed;
    let dims = spec.parameters.len();
    let design_runs = check_budget(spec, datasets)?;
    let design = latin_hypercube(design_runs, dims, &mut stream(seed, 1));
    let runs = simulator.run(&design, &design_seeds(&spec.settings, 0, design.len()))?;
    let (emulators, wave) = prior_emulators(&runs, spec)?;
    let mut truth_rng = stream(seed, 5);
    let truths: Vec<Vec<f64>> = (0..datasets)
        .map(|_| (0..dims).map(|_| truth_rng.random::<f64>()).collect())
        .collect();
    let seeds: Vec<u64> = (0..datasets as u64)
        .map(|n| seed_after(seed, 2 + n))
        .collect();
    let synthetic = simulator.run(&truths, &seeds)?;
    observer.event(Event::Begin {
        what: "datasets",
        total: datasets as u64,
    });
    let checks: Vec<DatasetCheck> = simulator.pool.install(|| {
        (0..datasets)
            .into_par_iter()
            .map(|n| {
                let check = ledgered_check(
                    spec,
                    simulator.out,
                    n,
                    (&truths[n], &synthetic[n]),
                    &emulators,
                );
                observer.event(Event::Advance { units: 1 });
                check
            })
            .collect::<Result<_, StudyError>>()
    })?;
    observer.event(Event::End);
    let (check, coverage_table, coverage) = check_tables(spec, &truths, &checks);
    let runs: Vec<(usize, Run)> = runs.into_iter().map(|run| (1, run)).collect();
    let waves = std::slice::from_ref(&wave);
    let tables = vec![
        runs_table(spec, &runs),
        emulators_table(spec, waves),
        check,
        coverage_table,
    ];
    let charts = Calibration {
        posterior: None,
        volumes: Vec::new(),
        predictive: Vec::new(),
        validation: validation_points(spec, waves),
    };
    Ok((
        tables,
        charts,
        CalibrateOutcome {
            out: PathBuf::new(),
            spec: spec.clone(),
            summaries: Vec::new(),
            waves: Vec::new(),
            runs: design_runs + datasets,
            inside: Vec::new(),
            coverage,
        },
    ))
}

/// Emulators over the whole prior, and their validation (as wave 1).
fn prior_emulators(
    runs: &[Run],
    spec: &CalibrationSpec,
) -> Result<(Arc<Emulators>, history::Wave), StudyError> {
    let failed = |message: String| StudyError::Failed(format!("{}: {message}", spec.file));
    let mut training: Vec<&Run> = runs.iter().collect();
    if training.len() > MAX_TRAINING {
        let points: Vec<Vec<f64>> = training.iter().map(|r| r.point.clone()).collect();
        let chosen = crate::calibrate::space::spread_subset(&points, MAX_TRAINING);
        training = chosen.iter().map(|&i| training[i]).collect();
    }
    let replicates = spec.settings.replicates as usize;
    let validation = history::validate(&training, replicates).map_err(failed)?;
    let mut emulators = Emulators::fit(&training, replicates).map_err(failed)?;
    if spec.settings.inflate_emulators {
        emulators.inflate(&validation);
    }
    let wave = history::Wave {
        wave: 1,
        runs: runs.len(),
        training: training.len(),
        volume: 1.0,
        validation,
    };
    Ok((Arc::new(emulators), wave))
}

/// Dataset `n`'s check from the ledger when it was finished before, or computed and
/// recorded (so that a killed method check resumes where it stopped).
fn ledgered_check(
    spec: &CalibrationSpec,
    out: &Path,
    n: usize,
    (truth, synthetic): (&[f64], &Run),
    emulators: &Arc<Emulators>,
) -> Result<DatasetCheck, StudyError> {
    let key = manifest::sha256_hex(
        serde_json::to_string(&(truth, &synthetic.means))
            .expect("a dataset serializes")
            .as_bytes(),
    );
    if let Some(part) = ledger::read_dataset(out, n).filter(|p| p.key == key) {
        return Ok(part.checks.map(|checks| {
            checks
                .into_iter()
                .map(|(rank, in50, in90, median)| (rank, in50, in90, f64::from_bits(median)))
                .collect()
        }));
    }
    let check = check_dataset(spec, emulators, truth, synthetic, n as u64);
    let part = ledger::DatasetPart {
        key,
        checks: check.as_ref().map(|checks| {
            checks
                .iter()
                .map(|&(rank, in50, in90, median)| (rank, in50, in90, median.to_bits()))
                .collect()
        }),
    };
    ledger::write_dataset(out, n, &part)?;
    Ok(check)
}

/// Calibrate one synthetic dataset on the prior's emulators; None when no point is
/// non-implausible.
fn check_dataset(
    spec: &CalibrationSpec,
    emulators: &Arc<Emulators>,
    truth: &[f64],
    synthetic: &Run,
    dataset: u64,
) -> DatasetCheck {
    let mut rng = stream(spec.settings.seed, 16 + dataset);
    let observations: Vec<history::Observation> = spec
        .targets
        .iter()
        .zip(&synthetic.means)
        .map(|(target, mean)| {
            let mut observation = target.observation();
            let z: f64 = StandardNormal.sample(&mut rng);
            observation.value = mean + observation.variance.sqrt() * z;
            observation
        })
        .collect();
    let observed: Vec<f64> = observations.iter().map(|o| o.value).collect();
    let matching = Matching::with_emulators(
        vec![emulators.clone()],
        observations,
        spec.settings.cut,
        CANDIDATES,
        &mut rng,
    )?;
    let problem = abc::Problem {
        model: &Emulated::new(&matching),
        region: &matching.region,
        observed: &observed,
    };
    let posterior = abc_smc(&abc_settings(spec), problem, &mut rng, &mut |_| {});
    let p = &posterior.population;
    Some(
        (0..truth.len())
            .map(|d| {
                let values: Vec<f64> = p.points.iter().map(|x| x[d]).collect();
                let median = sbc::weighted_quantile(&values, &p.weights, 0.5);
                (
                    sbc::rank_bin(&values, &p.weights, truth[d]),
                    sbc::covers(&values, &p.weights, truth[d], 0.5),
                    sbc::covers(&values, &p.weights, truth[d], 0.9),
                    spec.parameters[d].natural(median),
                )
            })
            .collect(),
    )
}

fn check_tables(
    spec: &CalibrationSpec,
    truths: &[Vec<f64>],
    checks: &[DatasetCheck],
) -> (Table, Table, Vec<(f64, f64)>) {
    let mut rows = Vec::new();
    for (n, (truth, check)) in truths.iter().zip(checks).enumerate() {
        for (d, parameter) in spec.parameters.iter().enumerate() {
            let cells = match check {
                Some(c) => [c[d].0.to_string(), c[d].1.to_string(), c[d].2.to_string()],
                None => [String::new(), "false".into(), "false".into()],
            };
            let mut row = vec![
                n.to_string(),
                parameter.key.clone(),
                number(parameter.natural(truth[d])),
            ];
            row.extend(cells);
            rows.push(row);
        }
    }
    let mut coverage_rows = Vec::new();
    let mut coverage = Vec::new();
    let n = checks.len() as f64;
    for (d, parameter) in spec.parameters.iter().enumerate() {
        let done: Vec<&(usize, bool, bool, f64)> = checks.iter().flatten().map(|c| &c[d]).collect();
        let in50 = done.iter().filter(|c| c.1).count() as f64 / n;
        let in90 = done.iter().filter(|c| c.2).count() as f64 / n;
        let mut counts = [0usize; RANK_BINS];
        for c in &done {
            counts[c.0] += 1;
        }
        let errors: Vec<f64> = checks
            .iter()
            .zip(truths)
            .filter_map(|(c, truth)| {
                c.as_ref().map(|c| {
                    (c[d].3 - parameter.natural(truth[d])).abs() / (parameter.high - parameter.low)
                })
            })
            .collect();
        let median_error = if errors.is_empty() {
            f64::NAN
        } else {
            sbc::weighted_quantile(&errors, &vec![1.0; errors.len()], 0.5)
        };
        coverage.push((in50, in90));
        coverage_rows.push(vec![
            parameter.key.clone(),
            number(in50),
            number(in90),
            number(sbc::uniformity_p(&counts)),
            if median_error.is_finite() {
                number(median_error)
            } else {
                String::new()
            },
            (checks.len() - done.len()).to_string(),
        ]);
    }
    (
        Table {
            name: "check.csv",
            header: header(&["dataset", "key", "truth", "rank", "in50", "in90"]),
            rows,
        },
        Table {
            name: "coverage.csv",
            header: header(&[
                "key",
                "coverage50",
                "coverage90",
                "rank_chi2_p",
                "median_rel_error",
                "unmatched",
            ]),
            rows: coverage_rows,
        },
        coverage,
    )
}
