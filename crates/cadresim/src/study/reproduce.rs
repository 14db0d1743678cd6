//! The reproduction (`cadresim reproduce`): run every experiment of the manifest, decide
//! each claim from the data, write RESULTS.md and its figures; with `--robustness N`, check
//! every claim at N samples of the other parameters (`robustness`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::cost::{Cost, Group};
use super::robustness::{check, run_robustness, Request};
use super::{Event, Observer, StudyError};
use crate::charts::{self, Interaction};
use crate::output::ledger::{self, Found, Ledger};
use crate::output::{self, manifest, tables};
use crate::reproduce::critical;
use crate::reproduce::{
    self, Evidence, Experiments, Figure, Length, RunEvidence, SettledCount, SweepEvidence,
};
use crate::scenario::{self, RunOverride};
use crate::study::run::RunRequest;
use crate::study::sweep::SweepRequest;
use crate::sweep;

/// What to reproduce, and where.
#[derive(Clone, Debug, Default)]
pub struct ReproduceRequest {
    /// The experiments manifest.
    pub experiments: PathBuf,
    /// Where the experiments' result directories, figures and RESULTS.md go.
    pub out: PathBuf,
    /// The manifest's [quick] replicates and steps, and no analyses beyond the claims.
    pub quick: bool,
    /// Also write RESULTS.md and its figures here (the committed report: `docs`).
    pub docs: Option<PathBuf>,
    /// Check every claim at this many samples of the parameters no claim names.
    pub robustness: Option<u64>,
    /// With `robustness`: also at draws from this calibration directory's posterior.
    pub posterior: Option<PathBuf>,
    /// With `robustness`: run only the K-th of N slices of its samples, (K, N), into `out`,
    /// and nothing else (a shard of the robustness check for a cluster or several sessions).
    pub shard: Option<(usize, usize)>,
    /// With `robustness`: shard directories (the `out` of `shard` runs with the same
    /// settings) whose finished samples are taken rather than run again.
    pub from_shards: Vec<PathBuf>,
    /// Also decide every claim at each cell of the factorial of the structural switches.
    pub structure: bool,
    /// Continue an interrupted reproduction in `out`.
    pub resume: bool,
    /// With `resume`: keep run groups, sweep points, robustness samples and structural cells
    /// another cadresim build computed; with `from_shards`: take shards another build
    /// computed.
    pub mixed_versions: bool,
    pub threads: Option<usize>,
    /// Replace what an earlier cadresim command wrote in `out`.
    pub force: bool,
}

/// What a reproduction found: each claim's id and whether it holds, in the manifest's order,
/// and the report it wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct ReproduceOutcome {
    pub verdicts: Vec<(String, bool)>,
    pub report: PathBuf,
}

/// The experiments, and quick mode's (replicates, steps).
struct Loaded {
    experiments: Experiments,
    quick: (Option<u64>, Option<u64>),
}

/// Load the experiments and check every one the reproduction will run, before anything is
/// touched.
fn load(request: &ReproduceRequest) -> Result<Loaded, StudyError> {
    check_combination(request)?;
    let experiments = reproduce::load(&request.experiments)?;
    let quick = match request.quick {
        true => (
            Some(experiments.quick_replicates),
            Some(experiments.quick_steps),
        ),
        false => (None, None),
    };
    check_experiments(&experiments, request, quick)?;
    Ok(Loaded { experiments, quick })
}

/// A shard runs robustness samples and nothing else; taking shards' samples needs the
/// robustness check they belong to; other builds' results are kept only where some are.
fn check_combination(request: &ReproduceRequest) -> Result<(), StudyError> {
    let refuse = |what: &str| Err(StudyError::Usage(what.to_string()));
    if request.robustness.is_none() && (request.shard.is_some() || !request.from_shards.is_empty())
    {
        return refuse("--shard and --from-shard belong to a robustness check: add --robustness N");
    }
    if request.shard.is_some() && (request.docs.is_some() || request.structure) {
        return refuse("--shard runs robustness samples only: leave out --docs and --structure (the full run with --from-shard writes the report)");
    }
    if request.mixed_versions && !request.resume && request.from_shards.is_empty() {
        return refuse(
            "--mixed-versions keeps results of other builds: it goes with --resume or --from-shard",
        );
    }
    if request.shard.is_some() && !request.from_shards.is_empty() {
        return refuse("--shard and --from-shard do not go together: run the shards, then the full run with --from-shard");
    }
    refuse_posterior_in_out(request)
}

/// Refuse a `--posterior` calibration that is `--out` or lies inside it: writing the
/// reproduction there (with --force) could replace the calibration it draws from.
fn refuse_posterior_in_out(request: &ReproduceRequest) -> Result<(), StudyError> {
    let Some(posterior) = &request.posterior else {
        return Ok(());
    };
    match (posterior.canonicalize(), request.out.canonicalize()) {
        (Ok(posterior_dir), Ok(out)) if posterior_dir.starts_with(&out) => {
            Err(StudyError::Usage(format!(
                "{}: --posterior lies in --out {}; writing the reproduction there could replace the calibration, so choose another --out",
                posterior.display(),
                request.out.display()
            )))
        }
        _ => Ok(()),
    }
}

/// What the reproduction would cost (`--dry-run`); nothing is run or written.
pub fn dry_run(request: &ReproduceRequest) -> Result<Cost, StudyError> {
    let Loaded { experiments, quick } = load(request)?;
    // Refused as the run would refuse it (a resumed directory or a shard of other settings).
    for robustness in robustness_requests(&experiments, request, quick) {
        check(&robustness)?;
    }
    cost(&experiments, request, quick)
}

/// Run the reproduction (or go on with it, `resume`) and write its report.
pub fn reproduce(
    request: &ReproduceRequest,
    observer: &dyn Observer,
) -> Result<ReproduceOutcome, StudyError> {
    let Loaded { experiments, quick } = load(request)?;
    let robustness = robustness_requests(&experiments, request, quick);
    let checked = robustness
        .iter()
        .map(check)
        .collect::<Result<Vec<_>, _>>()?;
    if request.shard.is_some() {
        return reproduce_shard(request, &robustness, checked, observer);
    }
    let structure = structure_request(&experiments, request, quick)?;
    let structure_checked = structure
        .as_ref()
        .map(super::structure::check)
        .transpose()?;
    let _lock = prepare(request)?;
    let evidence = gather_evidence(&experiments, request, quick, observer)?;
    let analyses = Analyses {
        assumptions: analysis(&experiments.sensitivity, request, |file| {
            run_sensitivity_sweep(file, request, experiments.seed, observer)
        })?,
        critical: match &experiments.critical {
            Some(spec) if !request.quick => Some(run_critical_sweep(
                spec,
                request,
                experiments.seed,
                observer,
            )?),
            _ => None,
        },
        robust: run_robustness_checks(&robustness, checked, observer)?,
        structure: match (&structure, structure_checked) {
            (Some(structure), Some(checked)) => {
                let cells = crate::reproduce::structure::cells(&structure.spec.switches).len();
                stage(observer, format!("structural robustness, {cells} cells"));
                Some(super::structure::run_structure(
                    structure, checked, observer,
                )?)
            }
            _ => None,
        },
        mechanisms: analysis(&experiments.mechanisms, request, |file| {
            run_mechanisms_sweep(file, request, &experiments, observer)
        })?,
    };
    let analysed = [
        &analyses.assumptions,
        &analyses.critical,
        &analyses.mechanisms,
    ];
    let settling = settled_counts(
        &experiments,
        &evidence,
        analysed.into_iter().flatten(),
        quick,
    )?;
    let lengths = claim_lengths(&experiments, quick)?;
    let mut decided = Vec::new();
    for claim in &experiments.claims {
        let verdict = reproduce::decide(&claim.id, &evidence)?;
        decided.push((claim.clone(), verdict));
    }
    let mut appendix = reproduce::settling_section(&settling);
    appendix.push_str(&analyses.sections(&experiments));
    let markdown = reproduce::results_markdown(
        &experiments,
        &decided,
        &command_line(request),
        &provenance(request, &experiments),
        &lengths,
        analyses
            .robust
            .iter()
            .find(|outcome| !outcome.posterior)
            .map(|outcome| outcome.claims.as_slice()),
        &appendix,
    )?;
    write_reports(request, &markdown, &decided, &analyses)?;
    Ok(ReproduceOutcome {
        verdicts: decided
            .iter()
            .map(|(claim, verdict)| (claim.id.clone(), verdict.holds))
            .collect(),
        report: request.out.join("RESULTS.md"),
    })
}

/// A full reproduction's analysis of `file` (a quick one skips it).
fn analysis(
    file: &Option<PathBuf>,
    request: &ReproduceRequest,
    run: impl FnOnce(&Path) -> Result<Analysis, StudyError>,
) -> Result<Option<Analysis>, StudyError> {
    match file {
        Some(file) if !request.quick => run(file).map(Some),
        _ => Ok(None),
    }
}

/// Tell the observer a stage of the reproduction begins.
fn stage(observer: &dyn Observer, what: String) {
    observer.event(Event::Stage(format!("reproduce: {what}")));
}

/// Run a shard of the robustness checks (`shard`) into `out` and nothing else: what the
/// command reports is the shard directory.
fn reproduce_shard(
    request: &ReproduceRequest,
    robustness: &[Request],
    checked: Vec<super::robustness::Checked>,
    observer: &dyn Observer,
) -> Result<ReproduceOutcome, StudyError> {
    let _lock = prepare(request)?;
    for (robustness, checked) in robustness.iter().zip(checked) {
        let (k, n) = robustness.shard.expect("a shard request");
        stage(
            observer,
            format!(
                "robustness shard {k}/{n} of the defaults and {} samples",
                robustness.samples
            ),
        );
        super::robustness::run_robustness_shard(robustness, checked, observer)?;
    }
    Ok(ReproduceOutcome {
        verdicts: Vec::new(),
        report: request.out.clone(),
    })
}

/// The robustness checks `--robustness N` asks for: uniform samples into robustness/ and,
/// with `--posterior`, posterior draws into robustness-posterior/ (RESULTS.md reports both).
fn robustness_requests<'a>(
    experiments: &'a Experiments,
    request: &ReproduceRequest,
    (replicates, steps): (Option<u64>, Option<u64>),
) -> Vec<Request<'a>> {
    let Some(samples) = request.robustness else {
        return Vec::new();
    };
    std::iter::once(None)
        .chain(request.posterior.iter().map(Some))
        .map(|posterior| {
            let name = match posterior {
                Some(_) => "robustness-posterior",
                None => "robustness",
            };
            (posterior, name)
        })
        .map(|(posterior, name)| Request {
            experiments,
            dir: request.out.join(name),
            samples: samples as usize,
            replicates: replicates.unwrap_or(experiments.robustness_replicates),
            steps: steps.unwrap_or(experiments.robustness_steps),
            confirm: confirm_replicates(experiments, replicates),
            resume: request.resume,
            threads: request.threads,
            size: FIGURE_SIZE,
            posterior: posterior.cloned(),
            shard: request.shard,
            from: request
                .from_shards
                .iter()
                .map(|dir| dir.join(name))
                .collect(),
            mixed_versions: request.mixed_versions,
        })
        .collect()
}

/// The structural check `--structure` asks for, into structure/ (quick mode: [quick]'s
/// replicates and steps); refused when the experiments have no `[structure]`.
fn structure_request<'a>(
    experiments: &'a Experiments,
    request: &ReproduceRequest,
    (replicates, steps): (Option<u64>, Option<u64>),
) -> Result<Option<super::structure::Request<'a>>, StudyError> {
    if !request.structure {
        return Ok(None);
    }
    let Some(spec) = &experiments.structure else {
        return Err(StudyError::Usage(format!(
            "--structure needs a [structure] section with switches in {}",
            experiments.path.display()
        )));
    };
    let mut spec = spec.clone();
    spec.replicates = replicates.unwrap_or(spec.replicates);
    spec.steps = steps.unwrap_or(spec.steps);
    Ok(Some(super::structure::Request {
        experiments,
        spec,
        dir: request.out.join("structure"),
        resume: request.resume,
        mixed_versions: request.mixed_versions,
        threads: request.threads,
        size: FIGURE_SIZE,
    }))
}

/// The second stage's replicates: the manifest's, or in quick mode (`replicates` given) the
/// same multiple of quick's replicates, rounded up; 0 (no second stage) without one.
fn confirm_replicates(experiments: &Experiments, replicates: Option<u64>) -> u64 {
    let confirm = experiments.robustness_confirm;
    match replicates {
        _ if confirm == 0 => 0,
        None => confirm,
        Some(quick) => (confirm * quick).div_ceil(experiments.robustness_replicates),
    }
}

/// The size of the reproduction's figures.
const FIGURE_SIZE: (u32, u32) = (1000, 625);

/// Run every run group and sweep of the experiments and read their evidence back.
fn gather_evidence(
    experiments: &Experiments,
    request: &ReproduceRequest,
    quick: (Option<u64>, Option<u64>),
    observer: &dyn Observer,
) -> Result<Evidence, StudyError> {
    let mut evidence = Evidence {
        runs: Default::default(),
        sweeps: Default::default(),
    };
    for group in &experiments.runs {
        let out = request.out.join("runs").join(&group.name);
        stage(observer, format!("running {}", group.name));
        let run = run_request(group, &out, request, experiments.seed, quick);
        let kept = request.resume && crate::study::run::finished(&run, request.mixed_versions)?;
        if !kept {
            crate::study::run::run(&run, observer)?;
        }
        evidence
            .runs
            .insert(group.name.clone(), RunEvidence::read(&out)?);
    }
    for file in &experiments.sweeps {
        let name = stem(file);
        let out = request.out.join("sweeps").join(&name);
        stage(observer, format!("sweeping {name}"));
        sweep_into(file, &out, request, (experiments.seed, quick), observer)?;
        evidence.sweeps.insert(name, SweepEvidence::read(&out)?);
    }
    Ok(evidence)
}

/// Run each robustness check that was asked for and checked.
fn run_robustness_checks(
    requests: &[Request],
    checked: Vec<super::robustness::Checked>,
    observer: &dyn Observer,
) -> Result<Vec<super::robustness::Outcome>, StudyError> {
    let mut outcomes = Vec::new();
    for (request, checked) in requests.iter().zip(checked) {
        let drawn = match request.posterior {
            Some(_) => "posterior draws",
            None => "uniform samples",
        };
        let samples = request.samples;
        stage(
            observer,
            format!("robustness ({drawn}), the defaults and {samples} samples"),
        );
        outcomes.push(run_robustness(request, checked, observer)?);
    }
    Ok(outcomes)
}

/// The analyses after the claims' evidence: the full mode's sensitivity, critical-penalty and
/// mechanisms sweeps, and the robustness checks.
struct Analyses {
    assumptions: Option<Analysis>,
    critical: Option<Analysis>,
    robust: Vec<super::robustness::Outcome>,
    structure: Option<super::structure::Outcome>,
    mechanisms: Option<Analysis>,
}

impl Analyses {
    /// Their sections of RESULTS.md, or for an analysis the quick mode skipped, a note.
    fn sections(&self, experiments: &Experiments) -> String {
        let mut text = match (&experiments.sensitivity, &self.assumptions) {
            (Some(_), Some(analysis)) => analysis.section.clone(),
            (Some(file), None) => reproduce::assumptions_skipped(&relative_to_scenarios(file)),
            (None, _) => String::new(),
        };
        match (&experiments.critical, &self.critical) {
            (Some(_), Some(analysis)) => text.push_str(&analysis.section),
            (Some(spec), None) => text.push_str(&critical::critical_skipped(
                &relative_to_scenarios(&spec.file),
            )),
            (None, _) => {}
        }
        match (&experiments.mechanisms, &self.mechanisms) {
            (Some(_), Some(analysis)) => text.push_str(&analysis.section),
            (Some(file), None) => text.push_str(&reproduce::mechanisms::mechanisms_skipped(
                &relative_to_scenarios(file),
            )),
            (None, _) => {}
        }
        for robust in &self.robust {
            text.push_str(&robust.section);
        }
        if let Some(structure) = &self.structure {
            text.push('\n');
            text.push_str(&structure.section);
        }
        text
    }
}

/// The command line that RESULTS.md says wrote it.
fn command_line(request: &ReproduceRequest) -> String {
    let robustness = request
        .robustness
        .map(|n| format!(" --robustness {n}"))
        .unwrap_or_default();
    let posterior = request
        .posterior
        .as_ref()
        .map(|dir| format!(" --posterior {}", dir.display()))
        .unwrap_or_default();
    let structure = if request.structure {
        " --structure"
    } else {
        ""
    };
    format!(
        "cadresim reproduce{}{}{robustness}{posterior}{structure}",
        if request.quick { " --quick" } else { "" },
        if request.docs.is_some() {
            " --docs"
        } else {
            ""
        },
    )
}

/// The version, commit and mode RESULTS.md names.
fn provenance(request: &ReproduceRequest, experiments: &Experiments) -> String {
    let mode = if request.quick {
        format!(
            "quick mode: {} replicates and {} steps per scenario and sweep point",
            experiments.quick_replicates, experiments.quick_steps
        )
    } else {
        "full mode: each file's own replicates and run length".to_string()
    };
    format!(
        "cadresim {}{}, {mode}",
        env!("CARGO_PKG_VERSION"),
        manifest::git_commit()
            .map(|c| format!(", commit {}", manifest::short_commit(&c)))
            .unwrap_or_default()
    )
}

/// Draw the claims' figures and write RESULTS.md with its figures into the output directory
/// and, with `--docs`, into docs/.
fn write_reports(
    request: &ReproduceRequest,
    markdown: &str,
    decided: &[(reproduce::ClaimSpec, reproduce::Verdict)],
    analyses: &Analyses,
) -> Result<(), StudyError> {
    let mut targets = vec![request.out.clone()];
    targets.extend(request.docs.clone());
    let drawn = request.out.join("figures");
    output::create_dir(&drawn)?;
    for (claim, verdict) in decided {
        draw_figure(&claim.id, &verdict.figure, &drawn)?;
    }
    for target in &targets {
        let figures = target.join("figures");
        output::create_dir(&figures)?;
        if target != &request.out {
            for (claim, _) in decided {
                let name = format!("{}.png", claim.id);
                output::copy_atomically(&drawn.join(&name), &figures, &name)?;
            }
        }
        for robust in &analyses.robust {
            output::copy_atomically(&robust.chart, &figures, &robust.figure)?;
        }
        if let Some(structure) = &analyses.structure {
            output::copy_atomically(&structure.chart, &figures, super::structure::FIGURE)?;
        }
        if let Some(analysis) = &analyses.critical {
            output::copy_atomically(&analysis.charts[0], &figures, "critical.png")?;
        }
        if let Some(analysis) = &analyses.assumptions {
            for chart in &analysis.charts {
                let name = chart.file_name().expect("a chart path names a file");
                output::copy_atomically(chart, &figures, &name.to_string_lossy())?;
            }
        }
        output::write_atomically(target, "RESULTS.md", |out| {
            out.write_all(markdown.as_bytes())
        })?;
    }
    Ok(())
}

/// What the reproduction would cost (`--dry-run`): the runs, the sweeps (every point, timed on
/// a few), the sensitivity, critical-penalty and mechanisms sweeps of a full reproduction, and
/// with `--robustness N` the runs and sweeps again at the defaults and at each of the N samples.
fn cost(
    experiments: &Experiments,
    request: &ReproduceRequest,
    quick: (Option<u64>, Option<u64>),
) -> Result<Cost, StudyError> {
    let mut groups: Vec<Group> = Vec::new();
    let shard = request.shard;
    let evidence = |(replicates, steps): (Option<u64>, Option<u64>), times: u64| {
        let mut groups = Vec::new();
        for file in experiments.runs.iter().flat_map(|group| &group.files) {
            let mut scenario = scenario::load(file)?;
            scenario.override_run(&RunOverride {
                steps,
                replicates,
                seed: Some(experiments.seed),
                until_settled: false,
            })?;
            groups.push(Group::single(scenario.plan()?, times));
        }
        for file in &experiments.sweeps {
            let sweep = sweep_request(
                file,
                &request.out,
                request,
                experiments.seed,
                (replicates, steps),
            );
            groups.push(crate::study::sweep::dry_plan(&sweep)?.times(times));
        }
        Ok::<_, StudyError>(groups)
    };
    if shard.is_none() {
        groups.extend(evidence(quick, 1)?);
    }
    if let Some(samples) = request.robustness {
        let settings = (
            quick.0.or(Some(experiments.robustness_replicates)),
            quick.1.or(Some(experiments.robustness_steps)),
        );
        // At the defaults (sample 0), then at every sample (a shard's only; none that a shard
        // given with --from-shard holds); twice with --posterior. At most, every one of them
        // again with the second stage's replicates.
        let (k, n) = shard.unwrap_or((1, 1));
        let times: u64 = robustness_requests(experiments, request, quick)
            .iter()
            .map(|check| {
                (0..=samples as usize)
                    .filter(|s| s % n == k - 1)
                    .filter(|&s| !super::robustness::held_by_shards(check, s))
                    .count() as u64
            })
            .sum();
        groups.extend(evidence(settings, times)?);
        let confirm = confirm_replicates(experiments, quick.0);
        if confirm > 0 {
            let second = evidence((Some(confirm), settings.1), times)?;
            groups.extend(second.into_iter().map(Group::optional));
        }
    }
    if let Some(spec) = experiments.structure.as_ref().filter(|_| request.structure) {
        let settings = (
            quick.0.or(Some(spec.replicates)),
            quick.1.or(Some(spec.steps)),
        );
        let cells = crate::reproduce::structure::cells(&spec.switches).len() as u64;
        groups.extend(evidence(settings, cells)?);
    }
    if !request.quick && shard.is_none() {
        for file in analysis_files(experiments) {
            let sweep = sweep_request(file, &request.out, request, experiments.seed, (None, None));
            groups.push(crate::study::sweep::dry_plan(&sweep)?);
        }
    }
    let (_, threads) = super::thread_pool(request.threads)?;
    Ok(crate::study::cost::cost(&groups, threads))
}

/// The sweep files of a full reproduction's analyses: sensitivity, critical penalty,
/// mechanisms.
fn analysis_files(experiments: &Experiments) -> impl Iterator<Item = &PathBuf> {
    [
        experiments.sensitivity.as_ref(),
        experiments.critical.as_ref().map(|spec| &spec.file),
        experiments.mechanisms.as_ref(),
    ]
    .into_iter()
    .flatten()
}

/// Every experiment's run length and count of settled equilibria, in the manifest's order:
/// the runs, the sweeps, then the analyses' sweeps (sensitivity, critical penalty, mechanisms) that ran.
fn settled_counts<'a>(
    experiments: &Experiments,
    evidence: &Evidence,
    analysed: impl Iterator<Item = &'a Analysis>,
    quick: (Option<u64>, Option<u64>),
) -> Result<Vec<Length>, StudyError> {
    let mut rows = Vec::new();
    for group in &experiments.runs {
        if let Some(run) = evidence.runs.get(&group.name) {
            let mut lengths = Vec::new();
            for file in &group.files {
                let length = length_of(file, false, quick)?;
                if !lengths.contains(&length) {
                    lengths.push(length);
                }
            }
            rows.push(Length {
                label: format!("run `{}`", group.name),
                length: lengths.join("; "),
                settled: run.settled(),
            });
        }
    }
    for file in &experiments.sweeps {
        let name = stem(file);
        if let Some(sweep) = evidence.sweeps.get(&name) {
            rows.push(Length {
                label: format!("sweep `{name}`"),
                length: length_of(file, true, quick)?,
                settled: sweep.settled(),
            });
        }
    }
    for analysis in analysed {
        rows.push(Length {
            label: analysis.row.label.clone(),
            length: analysis.row.length.clone(),
            settled: analysis.row.settled,
        });
    }
    Ok(rows)
}

/// The run length of every file a claim names (as the claim names it) that an experiment
/// runs, for RESULTS.md.
fn claim_lengths(
    experiments: &Experiments,
    quick: (Option<u64>, Option<u64>),
) -> Result<HashMap<String, String>, StudyError> {
    let dir = experiments.path.parent().unwrap_or(Path::new("."));
    let mut lengths = HashMap::new();
    let run_files: Vec<&PathBuf> = experiments.runs.iter().flat_map(|g| &g.files).collect();
    for file in experiments.claims.iter().flat_map(|claim| &claim.files) {
        let path = dir.join(file);
        let sweep = experiments.sweeps.contains(&path);
        // A file no experiment runs has no run length (its claim lacks evidence anyway).
        if sweep || run_files.contains(&&path) {
            lengths.insert(file.clone(), length_of(&path, sweep, quick)?);
        }
    }
    Ok(lengths)
}

/// How a scenario or sweep file's replicates run (`reproduce::run_length`), with quick mode's
/// (replicates, steps) applied.
fn length_of(
    file: &Path,
    sweep: bool,
    (replicates, steps): (Option<u64>, Option<u64>),
) -> Result<String, StudyError> {
    let mut scenario = if sweep {
        let spec = sweep::file::load(file)?;
        if spec.design == sweep::Design::Path {
            let held = spec.steps_per_point;
            return Ok(format!(
                "a path: {held} steps at each value, means over the last {} of them",
                held - held / 2
            ));
        }
        spec.base
    } else {
        scenario::load(file)?
    };
    scenario.override_run(&RunOverride {
        steps,
        replicates,
        seed: None,
        until_settled: false,
    })?;
    Ok(reproduce::run_length(&scenario.params.run))
}

/// The sweep behind a section of RESULTS.md beyond the claims: the section, the charts it
/// shows, and its run length and settled equilibria (for the run-lengths table).
struct Analysis {
    section: String,
    charts: Vec<PathBuf>,
    row: Length,
}

/// A file's name without its extension.
fn stem(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Put a claim's figure into `figures` as `<id>.png` (drawn ones also as `<id>.svg`).
fn draw_figure(id: &str, figure: &Figure, figures: &Path) -> Result<(), StudyError> {
    let size = (1400, 875);
    match figure {
        Figure::Chart(path) => {
            output::copy_atomically(path, figures, &format!("{id}.png"))?;
        }
        Figure::Regimes {
            dir,
            scenarios,
            metrics,
            title,
        } => {
            charts::draw_regimes(dir, scenarios, metrics, title, figures, id, size)?;
        }
        Figure::Interaction {
            dir,
            x_factor,
            x_levels,
            line_levels,
            cells,
            metric,
            title,
        } => {
            let design = Interaction {
                x_factor,
                x_levels: *x_levels,
                line_levels: *line_levels,
                cells: *cells,
                metric,
                title,
            };
            charts::draw_interaction(dir, &design, figures, id, size)?;
        }
    }
    Ok(())
}

/// Check every experiment the reproduction will run (scenarios, sweeps and their points),
/// before its directory is touched.
fn check_experiments(
    experiments: &Experiments,
    request: &ReproduceRequest,
    quick: (Option<u64>, Option<u64>),
) -> Result<(), StudyError> {
    let seed = experiments.seed;
    for group in &experiments.runs {
        let out = request.out.join("runs").join(&group.name);
        crate::study::run::check(&run_request(group, &out, request, seed, quick))?;
    }
    let out = request.out.join("sweeps").join("check");
    for file in &experiments.sweeps {
        crate::study::sweep::check(&sweep_request(file, &out, request, seed, quick))?;
    }
    if !request.quick {
        for file in analysis_files(experiments) {
            crate::study::sweep::check(&sweep_request(file, &out, request, seed, (None, None)))?;
        }
    }
    Ok(())
}

/// Lock the reproduction's directory: a new one (refusing a non-empty directory unless
/// `--force`), or with `--resume` one that holds a reproduction (or nothing yet). Marks it
/// as a reproduction's.
fn prepare(request: &ReproduceRequest) -> Result<output::DirLock, StudyError> {
    let ledger = Ledger::new(&request.out, ledger::REPRODUCE);
    let record = serde_json::json!({
        "cadresim_version": env!("CARGO_PKG_VERSION"),
        "experiments": request.experiments.display().to_string(),
        "quick": request.quick,
    });
    let lock = if request.resume {
        let lock = output::lock_dir(&request.out)?;
        check_resumed(&request.out, &ledger, &record)?;
        lock
    } else {
        output::prepare_dir(&request.out, request.force)?
    };
    ledger.write_header(&record)?;
    Ok(lock)
}

/// For `--resume`: refuse a directory that holds something but no reproduction, or one
/// started from another experiments file or in the other mode (quick or full), before
/// anything in it is replaced.
fn check_resumed(
    dir: &Path,
    ledger: &Ledger,
    record: &serde_json::Value,
) -> Result<(), StudyError> {
    const SETTINGS: &str = "experiments file and mode (--quick or not)";
    let Some(found) = ledger.header::<serde_json::Value>()? else {
        if output::holds_work(dir)? {
            let found = Found::<()>::Foreign;
            return Err(StudyError::Usage(ledger.refusal(&found, SETTINGS)));
        }
        return Ok(());
    };
    let same = |key: &str| found.get(key) == record.get(key);
    if !(same("experiments") && same("quick")) {
        let found = Found::Unfinished(());
        return Err(StudyError::Usage(ledger.refusal(&found, SETTINGS)));
    }
    Ok(())
}

/// The request that runs one group of scenarios of the experiments into `out` (replacing
/// an earlier run), with the manifest's seed and, in quick mode, its (replicates, steps).
fn run_request(
    group: &reproduce::RunGroup,
    out: &Path,
    request: &ReproduceRequest,
    seed: u64,
    (replicates, steps): (Option<u64>, Option<u64>),
) -> RunRequest {
    RunRequest {
        scenarios: group.files.clone(),
        out: Some(out.to_path_buf()),
        seed: Some(seed),
        replicates,
        steps,
        threads: request.threads,
        force: true,
        size: FIGURE_SIZE,
        ..RunRequest::default()
    }
}

/// The request that runs one sweep of the experiments into `out` (resumed with
/// `--resume`, else replacing an earlier run), with the manifest's seed and, in quick mode,
/// its (replicates, steps).
fn sweep_request(
    file: &Path,
    out: &Path,
    request: &ReproduceRequest,
    seed: u64,
    (replicates, steps): (Option<u64>, Option<u64>),
) -> SweepRequest {
    SweepRequest {
        out: Some(out.to_path_buf()),
        threads: request.threads,
        replicates,
        steps,
        seed: Some(seed),
        resume: request.resume,
        mixed_versions: request.mixed_versions,
        force: !request.resume,
        size: FIGURE_SIZE,
        ..SweepRequest::new(file.to_path_buf())
    }
}

/// Run one sweep of the experiments into `out` (see `sweep_request`).
fn sweep_into(
    file: &Path,
    out: &Path,
    request: &ReproduceRequest,
    (seed, quick): (u64, (Option<u64>, Option<u64>)),
    observer: &dyn Observer,
) -> Result<(), StudyError> {
    let sweep = sweep_request(file, out, request, seed, quick);
    crate::study::sweep::sweep(&sweep, observer)?;
    Ok(())
}

/// Run the Sobol' sweep behind "Which assumptions matter" (it analyses itself).
fn run_sensitivity_sweep(
    file: &Path,
    request: &ReproduceRequest,
    seed: u64,
    observer: &dyn Observer,
) -> Result<Analysis, StudyError> {
    let out = request.out.join("sweeps").join("sensitivity");
    stage(observer, format!("sensitivity analysis {}", file.display()));
    sweep_into(file, &out, request, (seed, (None, None)), observer)?;
    let rows = tables::read_sensitivity(&out.join("sensitivity.csv"))
        .map_err(|error| StudyError::Failed(error.to_string()))?;
    let mut metrics: Vec<&str> = rows.iter().map(|r| r.metric.as_str()).collect();
    metrics.dedup();
    let charts: Vec<PathBuf> = metrics
        .iter()
        .map(|m| out.join("charts").join(format!("sensitivity-{m}.png")))
        .collect();
    let figures: Vec<String> = metrics
        .iter()
        .map(|m| format!("figures/sensitivity-{m}.png"))
        .collect();
    let length = length_of(file, true, (None, None))?;
    let source = relative_to_scenarios(file);
    let section = reproduce::assumptions_section(&rows, &figures, &source, &length);
    Ok(Analysis {
        section,
        charts,
        row: Length {
            label: "sweep `sensitivity` (Which assumptions matter)".to_string(),
            length,
            settled: SettledCount::read(&out.join("sweep.csv"))?,
        },
    })
}

/// Run the grid sweep behind "Critical penalty (level crossing)" and estimate every
/// combination's crossing (its chart: the sweep's curves of the metric).
fn run_critical_sweep(
    spec: &reproduce::CriticalSpec,
    request: &ReproduceRequest,
    seed: u64,
    observer: &dyn Observer,
) -> Result<Analysis, StudyError> {
    let file = &spec.file;
    let sweep_spec = sweep::file::load(file)?;
    let out = request.out.join("sweeps").join(&sweep_spec.name);
    stage(observer, format!("critical penalty {}", file.display()));
    sweep_into(file, &out, request, (seed, (None, None)), observer)?;
    let evidence = SweepEvidence::read(&out)?;
    let axis = &sweep_spec.axes[0].label;
    let columns: Vec<String> = sweep_spec.axes[1..]
        .iter()
        .map(|a| a.label.clone())
        .collect();
    let mut rows = Vec::new();
    let mut grid = Vec::new();
    let mut replicates = 0;
    for (index, (labels, points)) in evidence.groups(axis, &columns)?.into_iter().enumerate() {
        grid = points.iter().map(|(x, _)| *x).collect();
        let curves = evidence.curves(&points, &spec.metric)?;
        replicates = curves.len();
        let crossing = critical::estimate(
            &grid,
            &curves,
            spec.level,
            spec.direction,
            seed.wrapping_add(index as u64),
        );
        rows.push(critical::Row { labels, crossing });
    }
    let source = relative_to_scenarios(file);
    let length = reproduce::run_length(&sweep_spec.base.params.run);
    let design = critical::Design {
        source: &source,
        axis,
        grid: &grid,
        metric: &spec.metric,
        level: spec.level,
        direction: spec.direction,
        replicates,
        length: &length,
    };
    let section = critical::critical_section(&design, &columns, &rows, "figures/critical.png");
    Ok(Analysis {
        section,
        charts: vec![out
            .join("charts")
            .join(format!("curve-{}.png", spec.metric))],
        row: Length {
            label: format!("sweep `{}` (Critical penalty)", sweep_spec.name),
            length,
            settled: SettledCount::read(&out.join("sweep.csv"))?,
        },
    })
}

/// Run the grid sweep behind "Mechanisms beyond the first model" (tables, no chart).
fn run_mechanisms_sweep(
    file: &Path,
    request: &ReproduceRequest,
    experiments: &Experiments,
    observer: &dyn Observer,
) -> Result<Analysis, StudyError> {
    let seed = experiments.seed;
    let spec = sweep::file::load(file)?;
    let out = request.out.join("sweeps").join(&spec.name);
    stage(observer, format!("mechanisms {}", file.display()));
    sweep_into(file, &out, request, (seed, (None, None)), observer)?;
    let variants = |label: &str| -> Result<Vec<(String, Vec<String>)>, StudyError> {
        spec.variants_of(label).ok_or_else(|| {
            StudyError::Failed(format!(
                "{}: needs a variants axis named `{label}`",
                file.display()
            ))
        })
    };
    let source = relative_to_scenarios(file);
    let length = reproduce::run_length(&spec.base.params.run);
    let design = reproduce::mechanisms::Design {
        source: &source,
        regimes: variants("regime")?
            .into_iter()
            .map(|(name, _)| name)
            .collect(),
        mechanisms: variants("mechanism")?,
        replicates: spec.base.params.run.replicates,
        length: &length,
        note: experiments.mechanisms_note.as_deref(),
    };
    let sweep = SweepEvidence::read(&out)?;
    let tables = reproduce::mechanisms::tables(&design, &sweep)?;
    Ok(Analysis {
        section: reproduce::mechanisms::mechanisms_section(&design, &tables),
        charts: Vec::new(),
        row: Length {
            label: format!("sweep `{}` (Mechanisms beyond the first model)", spec.name),
            length,
            settled: SettledCount::read(&out.join("sweep.csv"))?,
        },
    })
}

/// `scenarios/...` for a file under the scenarios folder (as RESULTS.md names files).
fn relative_to_scenarios(file: &Path) -> String {
    let text = file.display().to_string();
    match text.find("scenarios/") {
        Some(start) => text[start..].to_string(),
        None => text,
    }
}
