//! The robustness check (`cadresim reproduce --robustness N`): re-run every experiment at
//! the defaults and at N Latin-hypercube samples of the parameters no claim names, decide
//! every claim at every sample, and summarise. Files go to `<out>/robustness/`; each
//! finished sample is committed as one part, so a killed run continues with `--resume`
//! without redoing finished samples. With a shard (`--shard K/N`) only every N-th sample is
//! run, into a shard directory whose parts a later full run takes (`--from-shard`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{thread_pool, Event, Observer, StudyError};
use crate::charts;
use crate::output;
use crate::output::ledger::{self, Builds, Ledger};
use crate::output::manifest::{self, Manifest, Stamp};
use crate::output::tables;
use crate::params::Params;
use crate::reproduce::robustness::{self, ClaimRobustness, Factor, Settings};
use crate::reproduce::{self, Evidence, Experiments, RunEvidence, SweepEvidence};
use crate::rows::FailureRow;
use crate::rows::RobustnessRow;
use crate::rows::VerdictRow;
use crate::runner;
use crate::scenario::{self, RunOverride, Scenario, ScenarioError};
use crate::sweep::{self, SweepLock, SweepSpec};

/// What to run and where.
pub struct Request<'a> {
    pub experiments: &'a Experiments,
    pub dir: PathBuf,
    pub samples: usize,
    pub replicates: u64,
    pub steps: u64,
    /// The second stage's replicates (0: none).
    pub confirm: u64,
    pub resume: bool,
    pub threads: Option<usize>,
    pub size: (u32, u32),
    /// A calibration directory whose posterior the calibrated factors are drawn from.
    pub posterior: Option<PathBuf>,
    /// Run only the samples s with s % N = K - 1 (sample 0, the defaults, included) and
    /// summarise nothing: (K, N).
    pub shard: Option<(usize, usize)>,
    /// Robustness directories of finished shards (same settings) whose samples are taken
    /// rather than run again.
    pub from: Vec<PathBuf>,
    /// Continue samples (with `resume`) and take shards another cadresim build computed.
    pub mixed_versions: bool,
}

/// The section of RESULTS.md and the chart it shows.
pub struct Outcome {
    pub section: String,
    pub chart: PathBuf,
    /// The chart's name among RESULTS.md's figures.
    pub figure: String,
    /// How each claim fared over the samples.
    pub claims: Vec<ClaimRobustness>,
    /// Whether the samples were posterior draws.
    pub posterior: bool,
}

/// What a robustness directory was started with; `--resume` continues only the same.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct RobustnessLock {
    experiments_sha256: String,
    seed: u64,
    samples: usize,
    replicates: u64,
    steps: u64,
    /// The second stage's replicates (0: none).
    #[serde(default)]
    confirm_replicates: u64,
    factors: Vec<Factor>,
    /// SHA-256 of the posterior.csv the calibrated factors were drawn from.
    #[serde(default)]
    posterior_sha256: Option<String>,
    /// The shard (K, N) a shard directory runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    shard: Option<(usize, usize)>,
    /// The second stage re-decides only the claims whose effect was not clear (false in a
    /// lock written when it re-decided every claim of the sample, which `--resume` refuses).
    #[serde(default)]
    second_stage_per_claim: bool,
    /// The builds that computed the parts (and those of the shards taken); not a setting.
    #[serde(default)]
    computed_by: Builds,
}

/// The experiments' scenarios and sweeps, loaded once.
pub(super) struct Loaded {
    pub runs: Vec<(String, Vec<Scenario>)>,
    pub sweeps: Vec<(String, SweepSpec)>,
}

/// What `--resume` needs to match.
const SAME_ROBUSTNESS: &str =
    "experiments, seed, number of samples, replicates, second-stage replicates and rule, steps, posterior and shard";
const SCRATCH: &str = "sample.tmp";

/// A robustness run checked and ready: the experiments loaded, the factors, the rows (the
/// defaults, then the samples) and the lock.
pub struct Checked {
    loaded: Loaded,
    factors: Vec<Factor>,
    rows: Vec<Vec<f64>>,
    lock: RobustnessLock,
    /// The factors drawn from the posterior.
    drawn: Vec<String>,
}

/// Check a robustness run before anything runs: every regime parameter named by a claim,
/// and a resumed directory started with the same settings.
pub fn check(request: &Request) -> Result<Checked, StudyError> {
    let experiments = request.experiments;
    if experiments.claims.is_empty() {
        return Err(StudyError::Usage(format!(
            "{}: --robustness checks whether the claims hold at other parameter values, but the file has no [[claim]]; add claims or leave out --robustness",
            experiments.path.display()
        )));
    }
    let loaded = load(experiments)?;
    let factors = robustness::factors(&experiments.claims);
    check_named(&loaded, &factors, experiments)?;
    let mut rows = vec![factors
        .iter()
        .map(|factor| factor.value_in(&Params::default()))
        .collect::<Vec<f64>>()];
    rows.extend(robustness::samples(
        &factors,
        request.samples,
        experiments.seed,
    ));
    let (drawn, posterior_sha256) = match &request.posterior {
        Some(dir) => draw_posterior(dir, &factors, &mut rows[1..], experiments.seed)?,
        None => (Vec::new(), None),
    };
    let mut lock = RobustnessLock {
        experiments_sha256: fingerprint(experiments, &loaded),
        seed: experiments.seed,
        samples: request.samples,
        replicates: request.replicates,
        steps: request.steps,
        confirm_replicates: request.confirm,
        factors: factors.clone(),
        posterior_sha256,
        shard: request.shard,
        second_stage_per_claim: request.confirm > 0,
        computed_by: Builds::current(),
    };
    // Refused here, before anything runs; decided again once the directory is locked.
    lock.computed_by = resumed_builds(request, &lock)?;
    for dir in &request.from {
        let theirs = check_shard(dir, &lock, request.mixed_versions)?;
        lock.computed_by = lock.computed_by.and(&theirs);
    }
    Ok(Checked {
        loaded,
        factors,
        rows,
        lock,
        drawn,
    })
}

/// The builds that will have computed the directory's parts: this one, and for `--resume`
/// (refused when it was started with other settings) those its header records; parts of
/// another build are refused unless `--mixed-versions`. A finished shard resumed is kept
/// as it is, whichever build computed it.
fn resumed_builds(request: &Request, lock: &RobustnessLock) -> Result<Builds, StudyError> {
    if !request.resume {
        return Ok(Builds::current());
    }
    let ledger = Ledger::new(&request.dir, ledger::ROBUSTNESS);
    let Some(found) = ledger.resumed_header(lock, SAME_ROBUSTNESS)? else {
        return Ok(Builds::current());
    };
    if request.shard.is_some() && intact_shard(&request.dir, lock) {
        return Ok(Builds::current());
    }
    Ok(ledger.builds_on_resume(&found.computed_by, request.mixed_versions)?)
}

/// Draw the factors a calibration calibrated from its posterior (in `dir`) into the sample
/// rows: the keys drawn and the posterior file's hash; refused when it calibrated none of
/// the factors (every key named by a claim or not numeric with a plausible range).
fn draw_posterior(
    dir: &Path,
    factors: &[Factor],
    rows: &mut [Vec<f64>],
    seed: u64,
) -> Result<(Vec<String>, Option<String>), StudyError> {
    let posterior = output::calibration::read_posterior(dir).map_err(StudyError::Usage)?;
    let drawn = robustness::draw_from_posterior(rows, factors, &posterior, seed);
    if drawn.is_empty() {
        return Err(StudyError::Usage(format!(
            "{}: none of its calibrated keys ({}) is varied by the robustness check (each is named by a claim or has no plausible range); calibrate other keys or leave out --posterior",
            dir.join("posterior.csv").display(),
            posterior.keys.join(", ")
        )));
    }
    let path = dir.join("posterior.csv");
    let hash = manifest::sha256_file(&path)
        .map_err(|e| StudyError::Failed(format!("{}: {e}", path.display())))?;
    Ok((drawn, Some(hash)))
}

pub fn run_robustness(
    request: &Request,
    checked: Checked,
    observer: &dyn Observer,
) -> Result<Outcome, StudyError> {
    let _guard = output::lock_dir(&request.dir)?;
    let ran = run_samples(request, &checked, observer)?;
    summarise(request, &checked, ran)
}

/// Run a shard's samples (`request.shard`) and write its manifest, which lists the parts a
/// full run takes with `--from-shard`: the number of samples it holds.
pub fn run_robustness_shard(
    request: &Request,
    checked: Checked,
    observer: &dyn Observer,
) -> Result<usize, StudyError> {
    let _guard = output::lock_dir(&request.dir)?;
    if request.resume && finished_shard(&request.dir, &checked.lock) {
        observer.event(Event::Stage(format!(
            "{}: finished before, kept as it is",
            request.dir.display()
        )));
        return Ok(shard_samples(request, checked.rows.len()).count());
    }
    let ran = run_samples(request, &checked, observer)?;
    let ledger = Ledger::new(&request.dir, ledger::ROBUSTNESS);
    let parts: Vec<PathBuf> = shard_samples(request, checked.rows.len())
        .map(|sample| ledger.part_path(&part_name(sample)))
        .collect();
    let files = output::hash_files(&request.dir, &parts)?;
    write_manifest(request, &checked, ran, files)?;
    Ok(parts.len())
}

/// Whether `dir` is this very shard, finished (by any build) and intact: resuming it runs
/// nothing and leaves its manifest naming the build that computed it.
fn finished_shard(dir: &Path, lock: &RobustnessLock) -> bool {
    let header: Option<RobustnessLock> =
        Ledger::new(dir, ledger::ROBUSTNESS).header().ok().flatten();
    header.as_ref() == Some(lock) && intact_shard(dir, lock)
}

/// Whether `dir`, whose header is `lock`'s, holds every part of its shard as its manifest
/// lists them.
fn intact_shard(dir: &Path, lock: &RobustnessLock) -> bool {
    check_shard(dir, lock, true).is_ok()
}

/// The samples of `rows` (the defaults first) the request runs: all, or its shard's.
fn shard_samples(request: &Request, rows: usize) -> impl Iterator<Item = usize> {
    let (k, n) = request.shard.unwrap_or((1, 1));
    (0..rows).filter(move |sample| sample % n == k - 1)
}

/// How the samples ran: the threads, when it started and the builds that computed them.
struct Ran {
    threads: usize,
    started: String,
    builds: Builds,
}

/// Take what the shards in `request.from` finished, then run every sample of the request
/// not yet finished, one part each (the directory locked by the caller).
fn run_samples(
    request: &Request,
    checked: &Checked,
    observer: &dyn Observer,
) -> Result<Ran, StudyError> {
    let Checked {
        loaded,
        factors,
        rows,
        ..
    } = checked;
    let experiments = request.experiments;
    let mut lock = checked.lock.clone();
    lock.computed_by = resumed_builds(request, &lock)?.and(&checked.lock.computed_by);
    Ledger::new(&request.dir, ledger::ROBUSTNESS).begin(&lock, request.resume)?;
    let taken = take_from_shards(request, &lock, rows.len())?;
    if taken > 0 {
        observer.event(Event::Stage(format!(
            "robustness: {taken} samples taken from {} shards",
            request.from.len()
        )));
    }
    let started = manifest::now_utc();
    let (pool, threads) = thread_pool(request.threads)?;
    let samples: Vec<usize> = shard_samples(request, rows.len()).collect();
    observer.event(Event::Begin {
        what: "robustness samples",
        total: samples.len() as u64,
    });
    for sample in samples {
        if finished(&request.dir, sample, experiments) {
            observer.event(Event::Advance { units: 1 });
            continue;
        }
        let at = (sample > 0).then_some(rows[sample].as_slice());
        let verdicts = pool.install(|| decide_sample(request, loaded, factors, at))?;
        let part: Vec<VerdictRow> = verdicts
            .into_iter()
            .map(|(decided, replicates)| decided.row(sample, replicates))
            .collect();
        Ledger::new(&request.dir, ledger::ROBUSTNESS).write_part(&part_name(sample), |out| {
            tables::write_verdicts(out, &part).map_err(Into::into)
        })?;
        observer.event(Event::Advance { units: 1 });
    }
    observer.event(Event::End);
    let scratch = request.dir.join(SCRATCH);
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)
            .map_err(|e| StudyError::Failed(format!("{}: {e}", scratch.display())))?;
    }
    Ok(Ran {
        threads,
        started,
        builds: lock.computed_by,
    })
}

/// Refuse, in one line, a directory that is not the finished robustness directory of a shard
/// run with the settings of `lock` by this build (by any build when `mixed`), its parts
/// intact.
fn check_shard(dir: &Path, lock: &RobustnessLock, mixed: bool) -> Result<Builds, StudyError> {
    let header: Option<RobustnessLock> = Ledger::new(dir, ledger::ROBUSTNESS).header()?;
    let unsharded = |lock: RobustnessLock| RobustnessLock {
        shard: None,
        ..lock
    };
    let recorded = header.as_ref().map(|found| found.computed_by.clone());
    let same = header
        .is_some_and(|found| found.shard.is_some() && unsharded(found) == unsharded(lock.clone()));
    let refuse = |what: String| Err(StudyError::Usage(format!("{}: {what}", dir.display())));
    if !same {
        return refuse(format!(
            "not a robustness shard of the same {SAME_ROBUSTNESS} (no {} of a --shard run with these settings); run its shard with them or leave it out of --from-shard",
            ledger::ROBUSTNESS.header
        ));
    }
    let path = dir.join("manifest.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return refuse("the shard has not finished (no manifest.json): finish it with the same command and --resume".into());
        }
        Err(error) => return Err(StudyError::Failed(format!("{}: {error}", path.display()))),
    };
    let found: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| StudyError::Usage(format!("{}: {e}", path.display())))?;
    // A shard whose header records no builds (written before they were recorded): unrecorded
    // ones and the one its manifest names, which finished it.
    let builds = match recorded {
        Some(builds) if !builds.0.is_empty() => builds,
        _ => Builds::default().and(&Builds(vec![manifest::build_name(
            found["cadresim_version"].as_str().unwrap_or("unknown"),
            found["git_commit"].as_str(),
        )])),
    };
    if let (Some(theirs), false) = (builds.others(), mixed) {
        return refuse(manifest::other_build_refusal(
            "this shard was",
            &theirs,
            "run it again with this build",
            "take it",
        ));
    }
    let names: Vec<&str> = found["files"]
        .as_object()
        .map(|files| files.keys().map(String::as_str).collect())
        .unwrap_or_default();
    output::verify_files(dir, &names).map_err(|e| StudyError::Usage(e.to_string()))?;
    Ok(builds)
}

/// Copy into the request's parts every sample of the shards in `request.from` the request
/// has not finished (each shard checked again: it may have changed since `check`). The
/// number of samples taken.
fn take_from_shards(
    request: &Request,
    lock: &RobustnessLock,
    rows: usize,
) -> Result<usize, StudyError> {
    let ours = Ledger::new(&request.dir, ledger::ROBUSTNESS);
    let mut taken = 0;
    for dir in &request.from {
        let _guard = output::lock_existing(dir)?;
        check_shard(dir, lock, request.mixed_versions)?;
        let theirs = Ledger::new(dir, ledger::ROBUSTNESS);
        for sample in 0..rows {
            let path = theirs.part_path(&part_name(sample));
            if finished(&request.dir, sample, request.experiments)
                || !decides_every_claim(&path, sample, request.experiments)
            {
                continue;
            }
            let bytes = std::fs::read(&path)
                .map_err(|e| StudyError::Failed(format!("{}: {e}", path.display())))?;
            ours.write_part(&part_name(sample), |out| out.write_all(&bytes))?;
            taken += 1;
        }
    }
    Ok(taken)
}

/// Load every scenario and sweep of the experiments with the sample's run settings.
pub(super) fn load(experiments: &Experiments) -> Result<Loaded, StudyError> {
    let mut runs = Vec::new();
    for group in &experiments.runs {
        let scenarios = group
            .files
            .iter()
            .map(|path| scenario::load(path))
            .collect::<Result<Vec<_>, _>>()?;
        runs.push((group.name.clone(), scenarios));
    }
    let mut sweeps = Vec::new();
    for file in &experiments.sweeps {
        let spec = sweep::file::load(file)?;
        sweeps.push((spec.name.clone(), spec));
    }
    Ok(Loaded { runs, sweeps })
}

/// Refuse experiments whose files set a parameter that would be varied: every parameter
/// that defines a compared regime must be named by a claim.
fn check_named(
    loaded: &Loaded,
    factors: &[Factor],
    experiments: &Experiments,
) -> Result<(), StudyError> {
    let scenarios = loaded.runs.iter().flat_map(|(_, scenarios)| {
        scenarios.iter().map(|s| {
            (
                format!("scenario `{}`", s.name),
                robustness::set_by_scenario(s),
            )
        })
    });
    let sweeps = loaded
        .sweeps
        .iter()
        .map(|(name, spec)| (format!("sweep `{name}`"), robustness::set_by_sweep(spec)));
    for (place, set) in scenarios.chain(sweeps) {
        if let Some(key) = robustness::unnamed(&set, factors) {
            return Err(ScenarioError::Invalid {
                file: experiments.path.display().to_string(),
                key: "claim.regime".into(),
                message: format!(
                    "names no `{key}`, which {place} sets: the robustness check would vary it; add it to the `regime` of the claim that compares that regime"
                ),
            }
            .into());
        }
    }
    Ok(())
}

/// SHA-256 of what decides the verdicts: the scenarios as loaded, each sweep's file text and
/// base scenario, and each claim's id and regime (not the claims' sentences or
/// explanations, nor how the program stores a sweep).
pub(super) fn fingerprint(experiments: &Experiments, loaded: &Loaded) -> String {
    let claims: Vec<(&str, &[String])> = experiments
        .claims
        .iter()
        .map(|claim| (claim.id.as_str(), claim.regime.as_slice()))
        .collect();
    let sweeps: Vec<(&str, &str, &Scenario)> = loaded
        .sweeps
        .iter()
        .map(|(name, spec)| (name.as_str(), spec.source_text.as_str(), &spec.base))
        .collect();
    let text =
        serde_json::to_string(&(&loaded.runs, sweeps, claims)).expect("experiments serialize");
    manifest::sha256_hex(text.as_bytes())
}

fn part_name(sample: usize) -> String {
    format!("sample-{sample:06}.csv")
}

/// Whether a shard directory of `request.from` holds a finished part of `sample` (for the
/// dry run: such a sample will be taken, not run).
pub(super) fn held_by_shards(request: &Request, sample: usize) -> bool {
    request.from.iter().any(|dir| {
        let part = Ledger::new(dir, ledger::ROBUSTNESS).part_path(&part_name(sample));
        decides_every_claim(&part, sample, request.experiments)
    })
}

/// Whether the part of `sample` is there, readable, and decides every claim.
fn finished(dir: &Path, sample: usize, experiments: &Experiments) -> bool {
    decides_every_claim(
        &Ledger::new(dir, ledger::ROBUSTNESS).part_path(&part_name(sample)),
        sample,
        experiments,
    )
}

/// The verdicts of the ledger's parts `names`, in order.
pub(super) fn read_verdicts(
    ledger: &Ledger,
    names: impl Iterator<Item = String>,
) -> Result<Vec<VerdictRow>, StudyError> {
    let mut verdicts = Vec::new();
    for name in names {
        let rows = tables::read_verdicts(&ledger.part_path(&name))
            .map_err(|error| StudyError::Failed(error.to_string()))?;
        verdicts.extend(rows);
    }
    Ok(verdicts)
}

/// Whether the verdicts at `path` are readable and decide every claim, in order, for the
/// sample (or cell) `index`.
pub(super) fn decides_every_claim(path: &Path, index: usize, experiments: &Experiments) -> bool {
    tables::read_verdicts(path).is_ok_and(|rows| {
        rows.len() == experiments.claims.len()
            && rows
                .iter()
                .zip(&experiments.claims)
                .all(|(row, claim)| row.sample == index && row.claim == claim.id)
    })
}

/// Run every experiment with the factors at `values` (None: the defaults) and decide every
/// claim, in the manifest's order, with the request's replicates; where a claim's effect is
/// not clear and `confirm` is set, run the experiments that claim reads again with `confirm`
/// replicates (the first `replicates` of them the same runs) and take its verdict from them;
/// the other claims keep the first stage's. Returns each claim's verdict with the replicates
/// that decided it.
fn decide_sample(
    request: &Request,
    loaded: &Loaded,
    factors: &[Factor],
    values: Option<&[f64]>,
) -> Result<Vec<(Decided, u64)>, StudyError> {
    let settle = |scenario: &mut Scenario, place: &str| -> Result<(), StudyError> {
        if let Some(values) = values {
            robustness::apply(&mut scenario.params, factors, values).map_err(|error| {
                StudyError::Failed(format!("robustness sample at {place}: {error}"))
            })?;
        }
        Ok(())
    };
    let scratch = request.dir.join(SCRATCH);
    let mut settings = Decide {
        experiments: request.experiments,
        loaded,
        scratch: &scratch,
        replicates: request.replicates,
        steps: request.steps,
        what: "robustness",
        decide: vec![true; request.experiments.claims.len()],
    };
    let first = decide_all(&settings, &settle)?;
    let unclear: Vec<bool> = first.iter().map(|decided| !decided.clear).collect();
    let first = first
        .into_iter()
        .map(|decided| (decided, request.replicates));
    if request.confirm == 0 || !unclear.contains(&true) {
        return Ok(first.collect());
    }
    settings.replicates = request.confirm;
    settings.decide = unclear.clone();
    let second = decide_all(&settings, &settle)?;
    Ok(first
        .zip(second)
        .zip(unclear)
        .map(|((first, second), unclear)| match unclear {
            true => (second, request.confirm),
            false => first,
        })
        .collect())
}

/// A claim decided once more: its verdict, its effect, and whether the effect is clear (its
/// 95% interval excludes 0; true for an effect without an interval and for a claim not
/// decided).
pub(super) struct Decided {
    pub claim: String,
    pub holds: bool,
    pub effect: f64,
    pub clear: bool,
}

impl Decided {
    /// The row of a verdicts part.
    pub fn row(self, sample: usize, replicates: u64) -> VerdictRow {
        VerdictRow {
            sample,
            claim: self.claim,
            holds: self.holds,
            effect: self.effect,
            replicates: Some(replicates),
        }
    }
}

/// The experiments to run once more, where their scratch results go, and how long.
pub(super) struct Decide<'a> {
    pub experiments: &'a Experiments,
    pub loaded: &'a Loaded,
    pub scratch: &'a Path,
    pub replicates: u64,
    pub steps: u64,
    /// What runs, for errors ("robustness").
    pub what: &'a str,
    /// Which claims to decide, in the manifest's order: only the run groups and sweeps their
    /// files name are run; the others are reported as not holding, with a NaN effect.
    pub decide: Vec<bool>,
}

impl Decide<'_> {
    /// Whether any claim to decide reads `file` (a run group's scenario or a sweep file),
    /// matched by file name as claims name their files; every file when every claim is to
    /// be decided.
    fn needs(&self, file: &Path) -> bool {
        if self.decide.iter().all(|decide| *decide) {
            return true;
        }
        self.experiments
            .claims
            .iter()
            .zip(&self.decide)
            .filter(|(_, decide)| **decide)
            .any(|(claim, _)| {
                claim
                    .files
                    .iter()
                    .any(|f| Path::new(f).file_name() == file.file_name())
            })
    }
}

/// Run every experiment with `replicates` and a fixed number of steps, each scenario (and
/// each sweep's base) first changed by `adjust` (given a place for errors), and decide every
/// claim: (claim id, holds, effect), in the manifest's order. Evidence is written to the
/// scratch directory and read back exactly as `reproduce` reads it.
pub(super) fn decide_all(
    settings: &Decide,
    adjust: &dyn Fn(&mut Scenario, &str) -> Result<(), StudyError>,
) -> Result<Vec<Decided>, StudyError> {
    let run = RunOverride {
        steps: Some(settings.steps),
        replicates: Some(settings.replicates),
        seed: Some(settings.experiments.seed),
        until_settled: false,
    };
    let mut evidence = Evidence {
        runs: Default::default(),
        sweeps: Default::default(),
    };
    let groups = settings.experiments.runs.iter().zip(&settings.loaded.runs);
    for (group, (name, scenarios)) in groups {
        if !group.files.iter().any(|file| settings.needs(file)) {
            continue;
        }
        let mut plans = Vec::new();
        for scenario in scenarios {
            let mut scenario = scenario.clone();
            let place = format!("scenario `{}`", scenario.name);
            adjust(&mut scenario, &place)?;
            scenario.override_run(&run)?;
            plans.push(scenario.plan()?);
        }
        let results = runner::run(&plans, &|_| {});
        if let Some((scenario, step, level, metric)) = runner::first_non_finite(&results) {
            return Err(StudyError::Failed(format!(
                "{}: scenario `{scenario}`: {metric} is not a finite number at step {step} (level {level})",
                settings.what
            )));
        }
        let out = settings.scratch.join("runs").join(name);
        output::create_dir(&out)?;
        output::write_tables(&out, &results, output::store::Format::Csv)?;
        evidence.runs.insert(name.clone(), RunEvidence::read(&out)?);
    }
    let sweeps = settings
        .experiments
        .sweeps
        .iter()
        .zip(&settings.loaded.sweeps);
    for (file, (name, spec)) in sweeps {
        if !settings.needs(file) {
            continue;
        }
        let mut spec = spec.clone();
        adjust(&mut spec.base, &format!("sweep `{name}`"))?;
        spec.base.override_run(&run)?;
        spec.set_path_steps(Some(settings.steps))
            .map_err(|error| StudyError::Usage(format!("sweep `{name}`: {error}")))?;
        let out = settings.scratch.join("sweeps").join(name);
        let mut lock = SweepLock::new(&spec, None);
        let _guard = sweep::prepare(&out, &mut lock, false, true, false)?;
        let points = spec.points();
        sweep::run_points(&spec, &points, &out, &|_| {})?;
        sweep::assemble(&spec, &points, std::slice::from_ref(&out), &out)?;
        evidence
            .sweeps
            .insert(name.clone(), SweepEvidence::read(&out)?);
    }
    settings
        .experiments
        .claims
        .iter()
        .zip(&settings.decide)
        .map(|(claim, decide)| {
            if !decide {
                return Ok(Decided {
                    claim: claim.id.clone(),
                    holds: false,
                    effect: f64::NAN,
                    clear: true,
                });
            }
            let verdict = reproduce::decide(&claim.id, &evidence)?;
            Ok(Decided {
                claim: claim.id.clone(),
                holds: verdict.holds,
                effect: verdict.effect.value,
                // An effect without an interval (a value, not a mean over replicates) has
                // no interval that could hold 0.
                clear: verdict.effect.ci95.is_none() || verdict.effect.sign() != 0,
            })
        })
        .collect()
}

/// Write samples.csv, verdicts.csv, robustness.csv, failures.csv, the chart and the
/// manifest; return the section of RESULTS.md.
fn summarise(request: &Request, checked: &Checked, ran: Ran) -> Result<Outcome, StudyError> {
    let Checked {
        factors,
        rows,
        drawn,
        ..
    } = checked;
    let dir = &request.dir;
    let claims: Vec<String> = request
        .experiments
        .claims
        .iter()
        .map(|c| c.id.clone())
        .collect();
    let ledger = Ledger::new(dir, ledger::ROBUSTNESS);
    let verdicts = read_verdicts(&ledger, (0..rows.len()).map(part_name))?;
    let holds: Vec<Vec<bool>> = verdicts
        .chunks(claims.len())
        .map(|chunk| chunk.iter().map(|row| row.holds).collect())
        .collect();
    let effects: Vec<Vec<f64>> = verdicts
        .chunks(claims.len())
        .map(|chunk| chunk.iter().map(|row| row.effect).collect())
        .collect();
    let seed = request.experiments.seed;
    let summary = robustness::summarise(
        &claims,
        factors,
        &rows[1..],
        &holds[1..],
        &effects[1..],
        seed,
    );
    let keys: Vec<String> = factors.iter().map(|f| f.key.clone()).collect();
    let robustness_rows: Vec<RobustnessRow> = summary.iter().map(robustness_row).collect();
    let failures: Vec<FailureRow> = summary.iter().flat_map(failure_rows).collect();
    let mut files = output::write_hashed(
        dir,
        &[
            ("samples.csv", &|out| {
                tables::write_samples(out, &keys, rows)
            }),
            ("verdicts.csv", &|out| {
                tables::write_verdicts(out, &verdicts)
            }),
            ("robustness.csv", &|out| {
                tables::write_robustness(out, &robustness_rows)
            }),
            ("failures.csv", &|out| {
                tables::write_failures(out, &failures)
            }),
        ],
    )?;
    let charts = charts::draw_robustness(
        &robustness_rows,
        request.replicates,
        request.steps,
        &dir.join("charts"),
        request.size,
    )?;
    files.extend(output::hash_files(dir, &charts)?);
    write_manifest(request, checked, ran, files)?;
    Ok(outcome(request, factors, drawn, &verdicts, summary))
}

/// The section of RESULTS.md and what the reproduction needs besides, from the verdicts of
/// every sample (the defaults first) and their summary.
fn outcome(
    request: &Request,
    factors: &[Factor],
    drawn: &[String],
    verdicts: &[VerdictRow],
    summary: Vec<ClaimRobustness>,
) -> Outcome {
    let claims = &request.experiments.claims;
    let at_defaults: Vec<(String, bool)> = verdicts
        .iter()
        .zip(claims)
        .map(|(row, claim)| (claim.id.clone(), row.holds))
        .collect();
    let second = |row: &VerdictRow| request.confirm > 0 && row.replicates == Some(request.confirm);
    let samples = || verdicts.chunks(claims.len()).skip(1);
    let confirmed = samples().filter(|chunk| chunk.iter().any(second)).count();
    let redecided = samples().flatten().filter(|row| second(row)).count();
    let settings = Settings {
        samples: request.samples,
        replicates: request.replicates,
        steps: request.steps,
        confirm: request.confirm,
        confirmed,
        redecided,
        factors,
        at_defaults: &at_defaults,
        posterior: request
            .posterior
            .as_ref()
            .map(|dir| (dir.display().to_string(), drawn)),
    };
    let figure = if request.posterior.is_some() {
        "robustness-posterior.png"
    } else {
        "robustness.png"
    };
    Outcome {
        section: robustness::robustness_section(
            &settings,
            claims,
            &summary,
            &format!("figures/{figure}"),
        ),
        chart: request.dir.join("charts").join("robustness.png"),
        figure: figure.to_string(),
        posterior: request.posterior.is_some(),
        claims: summary,
    }
}

fn robustness_row(claim: &ClaimRobustness) -> RobustnessRow {
    RobustnessRow {
        claim: claim.claim.clone(),
        samples: claim.samples,
        holding: claim.holding,
        share: claim.share(),
        ci95_low: claim.low,
        ci95_high: claim.high,
        effect_median: claim.effect.median,
        effect_q05: claim.effect.q05,
        effect_q95: claim.effect.q95,
        fails_where: claim.fails_where(),
    }
}

fn failure_rows(claim: &ClaimRobustness) -> Vec<FailureRow> {
    let Some(failure) = &claim.failure else {
        return Vec::new();
    };
    failure
        .bounds
        .iter()
        .map(|bound| FailureRow {
            claim: claim.claim.clone(),
            parameter: bound.key.clone(),
            lower: bound.lower,
            upper: bound.upper,
            p_value: bound.p_value,
            inclusion: bound.inclusion,
            coverage: failure.coverage,
            density: failure.density,
            mass: failure.mass,
        })
        .collect()
}

/// What `manifest.json` of a robustness directory records beside the stamp and the files.
#[derive(serde::Serialize)]
struct RobustnessRecord<'a> {
    experiments_file: String,
    seed: u64,
    samples: usize,
    replicates: u64,
    steps: u64,
    /// The second stage's replicates (0: none).
    confirm_replicates: u64,
    factors: &'a [Factor],
    /// The calibration directory the factors in `drawn` were drawn from.
    posterior: Option<String>,
    drawn: &'a [String],
    /// The shard (K, N) of a shard directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<(usize, usize)>,
    /// The shard directories whose samples were taken (`--from-shard`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    from_shards: Vec<String>,
    /// Every cadresim build that computed the parts (the shards' included).
    computed_by: &'a [String],
}

fn write_manifest(
    request: &Request,
    checked: &Checked,
    ran: Ran,
    files: BTreeMap<String, String>,
) -> Result<(), StudyError> {
    let record = RobustnessRecord {
        experiments_file: request.experiments.path.display().to_string(),
        seed: request.experiments.seed,
        samples: request.samples,
        replicates: request.replicates,
        steps: request.steps,
        confirm_replicates: request.confirm,
        factors: &checked.factors,
        posterior: request.posterior.as_ref().map(|d| d.display().to_string()),
        drawn: &checked.drawn,
        shard: request.shard,
        from_shards: request
            .from
            .iter()
            .map(|d| d.display().to_string())
            .collect(),
        computed_by: &ran.builds.0,
    };
    let manifest = Manifest {
        stamp: Stamp::now(
            "reproduce --robustness",
            Some(ran.threads),
            Some(ran.started),
        ),
        record,
        files,
    };
    output::write_manifest(&request.dir, &manifest)?;
    Ok(())
}
