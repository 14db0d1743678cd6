//! The structural robustness check (`cadresim reproduce --structure`): re-run every
//! experiment at each cell of the full factorial of the experiments' structural switches,
//! decide every claim at every cell, and summarise which claims need which switch. Files go
//! to `<out>/structure/`; each finished cell is committed as one part, so a killed run
//! continues with `--resume` without redoing finished cells.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::robustness::{
    decide_all, decides_every_claim, fingerprint, load, read_verdicts, Decide, Loaded,
};
use super::{thread_pool, Event, Observer, StudyError};
use crate::charts;
use crate::output;
use crate::output::ledger::{self, Builds, Ledger};
use crate::output::manifest::{self, Manifest, Stamp};
use crate::output::tables;
use crate::reproduce::structure::{self, ClaimStructure, StructureSpec, Switch};
use crate::reproduce::{robustness, Experiments};
use crate::rows::CellVerdictRow;
use crate::rows::LevelShareRow;
use crate::rows::VerdictRow;
use crate::scenario::{Scenario, ScenarioError};

/// What to run and where.
pub struct Request<'a> {
    pub experiments: &'a Experiments,
    pub spec: StructureSpec,
    pub dir: PathBuf,
    pub resume: bool,
    /// Resume cells computed by another cadresim build.
    pub mixed_versions: bool,
    pub threads: Option<usize>,
    pub size: (u32, u32),
}

/// The section of RESULTS.md and the chart it shows.
pub struct Outcome {
    pub section: String,
    pub chart: PathBuf,
    pub claims: Vec<ClaimStructure>,
}

/// What a structure directory was started with; `--resume` continues only the same.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct StructureLock {
    experiments_sha256: String,
    seed: u64,
    replicates: u64,
    steps: u64,
    switches: Vec<Switch>,
    /// The builds that computed the cells; not a setting.
    #[serde(default)]
    computed_by: Builds,
}

const SCRATCH: &str = "cell.tmp";

/// The figure's name among RESULTS.md's figures.
pub const FIGURE: &str = "structure.png";

/// A structural check checked and ready: the experiments loaded and the lock.
pub struct Checked {
    loaded: Loaded,
    lock: StructureLock,
}

/// What `--resume` needs to match.
const SAME_STRUCTURE: &str = "experiments, seed, switches, replicates and steps";

/// Check the request before anything runs: the experiments load; no switch sets a parameter
/// that a scenario changes in its schedule (a switch set at step 0 would hold only until the
/// scheduled step); every cell's settings are valid together on every scenario and sweep
/// base; and a resumed directory was started with the same settings.
pub fn check(request: &Request) -> Result<Checked, StudyError> {
    let loaded = load(request.experiments)?;
    let file = request.experiments.path.display().to_string();
    let scenarios: Vec<&Scenario> = loaded
        .runs
        .iter()
        .flat_map(|(_, scenarios)| scenarios.iter())
        .chain(loaded.sweeps.iter().map(|(_, spec)| &spec.base))
        .collect();
    for scenario in &scenarios {
        for switch in &request.spec.switches {
            let scheduled = switch
                .levels
                .iter()
                .flat_map(|l| &l.settings)
                .find(|(key, _)| {
                    scenario
                        .schedule
                        .iter()
                        .any(|entry| entry.set.contains_key(key))
                });
            if let Some((key, _)) = scheduled {
                return Err(ScenarioError::Invalid {
                    file,
                    key: format!("structure.switch `{}`", switch.name),
                    message: format!(
                        "sets `{key}`, which scenario `{}` changes in its schedule; a switch must not set a scheduled parameter",
                        scenario.name
                    ),
                }
                .into());
            }
        }
    }
    for (index, cell) in structure::cells(&request.spec.switches).iter().enumerate() {
        let set = structure::settings(&request.spec.switches, cell);
        for scenario in &scenarios {
            let mut trial = (*scenario).clone();
            apply(
                &mut trial,
                &set,
                index,
                &format!("scenario `{}`", scenario.name),
            )?;
        }
    }
    let mut lock = StructureLock {
        experiments_sha256: fingerprint(request.experiments, &loaded),
        seed: request.experiments.seed,
        replicates: request.spec.replicates,
        steps: request.spec.steps,
        switches: request.spec.switches.clone(),
        computed_by: Builds::current(),
    };
    // Refused here, before anything runs; decided again once the directory is locked.
    lock.computed_by = resumed_builds(request, &lock)?;
    Ok(Checked { loaded, lock })
}

/// The builds that will have computed the cells: this one and, for `--resume`, those the
/// header records (refused when it was started with other settings; another build's cells
/// are refused unless `--mixed-versions`).
fn resumed_builds(request: &Request, lock: &StructureLock) -> Result<Builds, StudyError> {
    if !request.resume {
        return Ok(Builds::current());
    }
    let ledger = Ledger::new(&request.dir, ledger::STRUCTURE);
    match ledger.resumed_header(lock, SAME_STRUCTURE)? {
        Some(found) => Ok(ledger.builds_on_resume(&found.computed_by, request.mixed_versions)?),
        None => Ok(Builds::current()),
    }
}

pub fn run_structure(
    request: &Request,
    checked: Checked,
    observer: &dyn Observer,
) -> Result<Outcome, StudyError> {
    let experiments = request.experiments;
    let Checked { loaded, mut lock } = checked;
    let _guard = output::lock_dir(&request.dir)?;
    lock.computed_by = resumed_builds(request, &lock)?;
    Ledger::new(&request.dir, ledger::STRUCTURE).begin(&lock, request.resume)?;
    let started = manifest::now_utc();
    let (pool, threads) = thread_pool(request.threads)?;
    let cells = structure::cells(&request.spec.switches);
    observer.event(Event::Begin {
        what: "structural cells",
        total: cells.len() as u64,
    });
    let scratch = request.dir.join(SCRATCH);
    for (index, cell) in cells.iter().enumerate() {
        if finished(&request.dir, index, experiments) {
            observer.event(Event::Advance { units: 1 });
            continue;
        }
        let settings = Decide {
            experiments,
            loaded: &loaded,
            scratch: &scratch,
            replicates: request.spec.replicates,
            steps: request.spec.steps,
            what: "structure",
            decide: experiments
                .claims
                .iter()
                .map(|claim| structure::applicable(claim, &request.spec.switches, cell))
                .collect(),
        };
        let set = structure::settings(&request.spec.switches, cell);
        let adjust = |scenario: &mut Scenario, place: &str| apply(scenario, &set, index, place);
        let verdicts = pool.install(|| decide_all(&settings, &adjust))?;
        let part: Vec<VerdictRow> = verdicts
            .into_iter()
            .map(|decided| decided.row(index, request.spec.replicates))
            .collect();
        Ledger::new(&request.dir, ledger::STRUCTURE).write_part(&part_name(index), |out| {
            tables::write_verdicts(out, &part).map_err(Into::into)
        })?;
        observer.event(Event::Advance { units: 1 });
    }
    observer.event(Event::End);
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)
            .map_err(|e| StudyError::Failed(format!("{}: {e}", scratch.display())))?;
    }
    summarise(request, &cells, &lock.computed_by, (threads, started))
}

/// Set a cell's parameters on a scenario, except those the scenario sets itself (its regime
/// stays as the experiments define it).
fn apply(
    scenario: &mut Scenario,
    set: &[&(String, toml::Value)],
    cell: usize,
    place: &str,
) -> Result<(), StudyError> {
    let own: BTreeSet<String> = robustness::set_by_scenario(scenario);
    let settings: Vec<(String, toml::Value)> = set
        .iter()
        .filter(|(key, _)| !own.contains(key))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    scenario
        .set(&settings, &format!("structure cell {cell} at {place}"))
        .map_err(Into::into)
}

fn part_name(cell: usize) -> String {
    format!("cell-{cell:06}.csv")
}

/// Whether the part of `cell` is there, readable, and decides every claim.
fn finished(dir: &Path, cell: usize, experiments: &Experiments) -> bool {
    decides_every_claim(
        &Ledger::new(dir, ledger::STRUCTURE).part_path(&part_name(cell)),
        cell,
        experiments,
    )
}

/// Write cells.csv, verdicts.csv, structure.csv, the chart and the manifest; return the
/// section of RESULTS.md.
fn summarise(
    request: &Request,
    cells: &[Vec<usize>],
    builds: &Builds,
    (threads, started): (usize, String),
) -> Result<Outcome, StudyError> {
    let dir = &request.dir;
    let claims = &request.experiments.claims;
    let switches = &request.spec.switches;
    let ledger = Ledger::new(dir, ledger::STRUCTURE);
    let verdicts = read_verdicts(&ledger, (0..cells.len()).map(part_name))?;
    let holds: Vec<Vec<bool>> = verdicts
        .chunks(claims.len())
        .map(|chunk| chunk.iter().map(|row| row.holds).collect())
        .collect();
    let summary = structure::summarise(claims, switches, cells, &holds);
    let rows: Vec<CellVerdictRow> = verdicts
        .iter()
        .zip(claims.iter().cycle())
        .map(|(row, claim)| {
            let applicable = structure::applicable(claim, switches, &cells[row.sample]);
            CellVerdictRow {
                cell: row.sample,
                claim: row.claim.clone(),
                applicable,
                holds: row.holds,
                effect: applicable.then_some(row.effect),
            }
        })
        .collect();
    let shares: Vec<LevelShareRow> = summary.iter().flat_map(level_rows).collect();
    let names: Vec<String> = switches.iter().map(|s| s.name.clone()).collect();
    let labels: Vec<Vec<String>> = cells
        .iter()
        .map(|cell| {
            switches
                .iter()
                .zip(cell)
                .map(|(s, &l)| s.levels[l].name.clone())
                .collect()
        })
        .collect();
    let mut files = output::write_hashed(
        dir,
        &[
            ("cells.csv", &|out| {
                tables::write_cells(out, &names, &labels)
            }),
            ("verdicts.csv", &|out| {
                tables::write_cell_verdicts(out, &rows)
            }),
            ("structure.csv", &|out| {
                tables::write_level_shares(out, &shares)
            }),
        ],
    )?;
    let levels: Vec<(String, Vec<String>)> = switches
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                s.levels.iter().map(|l| l.name.clone()).collect(),
            )
        })
        .collect();
    let design = charts::Factorial {
        switches: &levels,
        replicates: request.spec.replicates,
        steps: request.spec.steps,
    };
    let charts = charts::draw_structure(&shares, &design, &dir.join("charts"), request.size)?;
    files.extend(output::hash_files(dir, &charts)?);
    let manifest = Manifest {
        stamp: Stamp::now("reproduce --structure", Some(threads), Some(started)),
        record: StructureRecord {
            experiments_file: request.experiments.path.display().to_string(),
            seed: request.experiments.seed,
            cells: cells.len(),
            replicates: request.spec.replicates,
            steps: request.spec.steps,
            switches,
            computed_by: &builds.0,
        },
        files,
    };
    output::write_manifest(dir, &manifest)?;
    Ok(Outcome {
        section: structure::section(
            &request.spec,
            claims,
            &summary,
            &format!("figures/{FIGURE}"),
        ),
        chart: dir.join("charts").join("structure.png"),
        claims: summary,
    })
}

fn level_rows(claim: &ClaimStructure) -> Vec<LevelShareRow> {
    claim
        .levels
        .iter()
        .map(|level| {
            let interval =
                (level.cells > 0).then(|| crate::stats::wilson95(level.holding, level.cells));
            LevelShareRow {
                claim: claim.claim.clone(),
                switch: level.switch.clone(),
                level: level.level.clone(),
                cells: level.cells,
                holding: level.holding,
                share: level.share(),
                ci95_low: interval.map(|i| i.0),
                ci95_high: interval.map(|i| i.1),
            }
        })
        .collect()
}

/// What `manifest.json` of a structure directory records beside the stamp and the files.
#[derive(serde::Serialize)]
struct StructureRecord<'a> {
    experiments_file: String,
    seed: u64,
    cells: usize,
    replicates: u64,
    steps: u64,
    switches: &'a [Switch],
    /// Every cadresim build that computed the cells.
    computed_by: &'a [String],
}
