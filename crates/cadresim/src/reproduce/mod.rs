//! Reproducing the founding paper's claims: the experiments manifest
//! (`scenarios/experiments.toml`), reading the evidence back from result and sweep
//! directories, the test that decides each claim, and RESULTS.md. Verdicts are computed from
//! the data; nothing here knows what they should be.

mod assumptions;
mod claims;
pub mod critical;
mod evidence;
pub mod mechanisms;
pub mod robustness;
pub mod structure;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::registry;
use crate::scenario::{parse_table, read_text, ScenarioError};
pub use assumptions::{assumptions_section, assumptions_skipped};
pub use claims::{decide, known_claims, CLAIMS};
pub use evidence::{
    Effect, Evidence, EvidenceError, Figure, Quantity, RunEvidence, SettledCount, SweepEvidence,
    Verdict,
};

/// One group of scenario files run together.
#[derive(Clone, Debug)]
pub struct RunGroup {
    pub name: String,
    pub files: Vec<PathBuf>,
}

/// Why a claim could, or could not, have come out otherwise in the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimKind {
    /// It follows from the bookkeeping: what the model counts makes it true.
    Accounting,
    /// The defaults were chosen to produce it (docs/MODEL.md §1, verified by
    /// tests/fidelity.rs): at the defaults it is a design requirement, not a finding.
    ByDesign,
    /// It could have gone either way: a finding of the model.
    Behavioural,
}

impl ClaimKind {
    /// The words an experiments file and RESULTS.md use.
    pub const NAMES: [&'static str; 3] = ["accounting", "by design", "behavioural"];

    pub fn name(self) -> &'static str {
        match self {
            ClaimKind::Accounting => Self::NAMES[0],
            ClaimKind::ByDesign => Self::NAMES[1],
            ClaimKind::Behavioural => Self::NAMES[2],
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            ClaimKind::Accounting,
            ClaimKind::ByDesign,
            ClaimKind::Behavioural,
        ]
        .into_iter()
        .find(|kind| kind.name() == text)
    }
}

/// One claim of the paper.
#[derive(Clone, Debug)]
pub struct ClaimSpec {
    pub id: String,
    pub text: String,
    /// Accounting, by design or behavioural.
    pub kind: ClaimKind,
    /// Why the claim is of its kind, in one or two sentences.
    pub why: String,
    /// Whether the founding paper makes the claim (false: cadresim asks it besides).
    pub in_paper: bool,
    /// A claim about the long run: runs at a short fixed horizon (quick mode, robustness
    /// samples) can decide it otherwise, so only long runs are compared with it.
    pub long_run: bool,
    pub files: Vec<String>,
    /// The parameters that define the regimes the claim compares: never varied by the
    /// robustness check.
    pub regime: Vec<String>,
    /// What the data show when the claim does not hold, with `{quantity}` placeholders
    /// filled from the run (see `explain`).
    pub explanation: Option<String>,
}

/// The level crossing the section "Critical penalty (level crossing)" estimates: where
/// `metric` crosses `level` (falling below it, or rising above) along the grid's first axis.
#[derive(Clone, Debug)]
pub struct CriticalSpec {
    pub file: PathBuf,
    pub metric: String,
    pub level: f64,
    pub direction: critical::Direction,
}

/// The experiments manifest.
#[derive(Clone, Debug)]
pub struct Experiments {
    pub path: PathBuf,
    pub seed: u64,
    pub quick_replicates: u64,
    pub quick_steps: u64,
    /// Replicates and steps of every experiment at a robustness sample (full mode).
    pub robustness_replicates: u64,
    pub robustness_steps: u64,
    /// The second stage: a claim whose effect is not clear at a sample (its 95% interval holds
    /// 0) is decided again from its experiments run with this many replicates (0: no second
    /// stage).
    pub robustness_confirm: u64,
    pub runs: Vec<RunGroup>,
    pub sweeps: Vec<PathBuf>,
    /// The Sobol' sweep behind "Which assumptions matter" (full mode only).
    pub sensitivity: Option<PathBuf>,
    /// The grid sweep behind "Critical penalty (level crossing)" (full mode only).
    pub critical: Option<CriticalSpec>,
    /// The grid sweep behind "Mechanisms beyond the first model" (full mode only).
    pub mechanisms: Option<PathBuf>,
    /// What the mechanisms' tables need said beside them (written by hand, like the claims).
    pub mechanisms_note: Option<String>,
    /// The structural switches behind "Structural robustness" (`--structure`).
    pub structure: Option<structure::StructureSpec>,
    pub claims: Vec<ClaimSpec>,
}

fn invalid(file: &str, key: &str, message: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        file: file.to_string(),
        key: key.to_string(),
        message: message.into(),
    }
}

/// Read the experiments manifest; file paths in it are relative to it.
pub fn load(path: &Path) -> Result<Experiments, ScenarioError> {
    let file = path.display().to_string();
    let (text, _) = read_text(path)?;
    let table = parse_table(&text, &file)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    check_top_keys(&table, &file)?;
    let seed = positive_integer(table.get("seed"), "seed", 1, &file)?;
    let quick = section(&table, "quick", &["replicates", "steps"], &file)?;
    let quick_replicates = positive_integer(quick.get("replicates"), "quick.replicates", 3, &file)?;
    let quick_steps = positive_integer(quick.get("steps"), "quick.steps", 150, &file)?;
    let (robustness_replicates, robustness_steps, robustness_confirm) =
        load_robustness(&table, &file)?;
    let (runs, sweeps) = load_runs(&table, dir, &file)?;
    let tables = |key: &str, allowed: &[&str]| entries(&table, key, allowed, &file);
    let optional_file = |key: &str, allowed: &[&str]| -> Result<Option<PathBuf>, ScenarioError> {
        match table.get(key) {
            None => Ok(None),
            Some(_) => section(&table, key, allowed, &file)?
                .get("file")
                .and_then(|v| v.as_str())
                .map(|f| Some(dir.join(f)))
                .ok_or_else(|| {
                    invalid(
                        &file,
                        &format!("{key}.file"),
                        format!("is required in [{key}]"),
                    )
                }),
        }
    };
    let sensitivity = optional_file("sensitivity", &["file"])?;
    let critical = load_critical(&table, dir, &file)?;
    let mechanisms = optional_file("mechanisms", &["file", "note"])?;
    let mechanisms_note = match section(&table, "mechanisms", &["file", "note"], &file)?.get("note")
    {
        None => None,
        Some(toml::Value::String(text)) => Some(text.trim().to_string()),
        Some(_) => return Err(invalid(&file, "mechanisms.note", "must be a string")),
    };
    let structure = load_structure(&table, &file)?;
    let claims = tables("claim", &CLAIM_KEYS)?
        .iter()
        .enumerate()
        .map(|(index, claim)| load_claim(claim, index, &file))
        .collect::<Result<Vec<_>, _>>()?;
    check_claims(&claims, (&runs, &sweeps), dir, &file)?;
    Ok(Experiments {
        path: path.to_path_buf(),
        seed,
        quick_replicates,
        quick_steps,
        robustness_replicates,
        robustness_steps,
        robustness_confirm,
        runs,
        sweeps,
        sensitivity,
        critical,
        mechanisms,
        mechanisms_note,
        structure,
        claims,
    })
}

/// An integer at least 1, or `default` when the key is absent.
fn positive_integer(
    value: Option<&toml::Value>,
    key: &str,
    default: u64,
    file: &str,
) -> Result<u64, ScenarioError> {
    match value {
        None => Ok(default),
        Some(toml::Value::Integer(n)) if *n >= 1 => Ok(*n as u64),
        Some(_) => Err(invalid(file, key, "must be an integer >= 1")),
    }
}

/// The `[robustness]` section: replicates, steps and the second stage's replicates (0: none).
fn load_robustness(table: &toml::Table, file: &str) -> Result<(u64, u64, u64), ScenarioError> {
    let robustness = section(
        table,
        "robustness",
        &["replicates", "steps", "confirm_replicates"],
        file,
    )?;
    let replicates = positive_integer(
        robustness.get("replicates"),
        "robustness.replicates",
        4,
        file,
    )?;
    let steps = positive_integer(robustness.get("steps"), "robustness.steps", 150, file)?;
    let confirm = match robustness.get("confirm_replicates") {
        None => 0,
        Some(toml::Value::Integer(n)) if u64::try_from(*n).is_ok_and(|n| n > replicates) => {
            *n as u64
        }
        Some(_) => {
            return Err(invalid(
                file,
                "robustness.confirm_replicates",
                format!("must be an integer above robustness.replicates ({replicates})"),
            ))
        }
    };
    Ok((replicates, steps, confirm))
}

/// The `[[run]]` groups and the `[[sweep]]` files, their paths relative to `dir`.
fn load_runs(
    table: &toml::Table,
    dir: &Path,
    file: &str,
) -> Result<(Vec<RunGroup>, Vec<PathBuf>), ScenarioError> {
    let mut runs = Vec::new();
    for (index, run) in entries(table, "run", &["name", "files"], file)?
        .iter()
        .enumerate()
    {
        let name = run_name(run, index, &runs, file)?;
        let files = files_list(run.get("files"), &format!("run[{index}].files"), file)?;
        runs.push(RunGroup {
            name: name.to_string(),
            files: files.iter().map(|f| dir.join(f)).collect(),
        });
    }
    let mut sweeps = Vec::new();
    for (index, sweep) in entries(table, "sweep", &["file"], file)?.iter().enumerate() {
        let path = sweep
            .get("file")
            .and_then(|v| v.as_str())
            .ok_or_else(|| invalid(file, &format!("sweep[{index}].file"), "is required"))?;
        let path = dir.join(path);
        // A sweep's results go to sweeps/<file stem>/: two with one stem would share it.
        if let Some(earlier) = sweeps
            .iter()
            .position(|other: &PathBuf| other.file_stem() == path.file_stem())
        {
            return Err(invalid(
                file,
                &format!("sweep[{index}].file"),
                format!(
                    "has the file name of sweep[{earlier}].file ({}); each sweep's results are named after its file, so give each a distinct file name",
                    sweeps[earlier].display()
                ),
            ));
        }
        sweeps.push(path);
    }
    Ok((runs, sweeps))
}

/// A non-empty list of file names, or the refusal naming `key`.
fn files_list(
    value: Option<&toml::Value>,
    key: &str,
    file: &str,
) -> Result<Vec<String>, ScenarioError> {
    let files = string_list(value, key, file)?;
    if files.is_empty() {
        return Err(invalid(file, key, "must name at least one file"));
    }
    Ok(files)
}

/// Refuse two claims with one id, and a claim naming a file no `[[run]]` or `[[sweep]]` of
/// the manifest runs (its evidence would be missing).
fn check_claims(
    claims: &[ClaimSpec],
    (runs, sweeps): (&[RunGroup], &[PathBuf]),
    dir: &Path,
    file: &str,
) -> Result<(), ScenarioError> {
    for (index, claim) in claims.iter().enumerate() {
        if let Some(earlier) = claims[..index].iter().position(|c| c.id == claim.id) {
            return Err(invalid(
                file,
                &format!("claim[{index}].id"),
                format!(
                    "`{}` is claim[{earlier}]'s id too; each claim is tested once",
                    claim.id
                ),
            ));
        }
        // A claim may name a file by the end of its path (`lifelong.toml` for
        // `../scenarios/lifelong.toml`).
        let run = |name: &String| {
            let named = |path: &PathBuf| *path == dir.join(name) || path.ends_with(name);
            sweeps.iter().any(named) || runs.iter().any(|group| group.files.iter().any(named))
        };
        if let Some(missing) = claim.files.iter().find(|f| !run(f)) {
            return Err(invalid(
                file,
                &format!("claim[{index}].files"),
                format!("names `{missing}`, which no [[run]] or [[sweep]] of this file runs; list it in one, or leave it out"),
            ));
        }
    }
    Ok(())
}

/// The top-level keys of an experiments file.
const TOP_KEYS: [&str; 10] = [
    "seed",
    "quick",
    "robustness",
    "run",
    "sweep",
    "sensitivity",
    "critical",
    "mechanisms",
    "structure",
    "claim",
];

fn check_top_keys(table: &toml::Table, file: &str) -> Result<(), ScenarioError> {
    match table.keys().find(|key| !TOP_KEYS.contains(&key.as_str())) {
        None => Ok(()),
        Some(key) => Err(invalid(
            file,
            key,
            format!("is not a known key (allowed: {})", TOP_KEYS.join(", ")),
        )),
    }
}

/// The `[structure]` section: replicates, steps (each at least 1) and at least one switch.
fn load_structure(
    table: &toml::Table,
    file: &str,
) -> Result<Option<structure::StructureSpec>, ScenarioError> {
    if !table.contains_key("structure") {
        return Ok(None);
    }
    let found = section(table, "structure", &structure::KEYS, file)?;
    let count = |key: &str, default: u64| match found.get(key) {
        None => Ok(default),
        Some(toml::Value::Integer(n)) if *n >= 1 => Ok(*n as u64),
        Some(_) => Err(invalid(
            file,
            &format!("structure.{key}"),
            "must be an integer >= 1",
        )),
    };
    let switches = match found.get("switch") {
        Some(toml::Value::Array(entries)) if !entries.is_empty() => {
            structure::load_switches(entries, file)?
        }
        _ => {
            return Err(invalid(
                file,
                "structure.switch",
                "is required: at least one [[structure.switch]] with name and levels",
            ))
        }
    };
    Ok(Some(structure::StructureSpec {
        replicates: count("replicates", 8)?,
        steps: count("steps", 600)?,
        switches,
    }))
}

/// The `[critical]` section: a grid sweep file, the metric, the level and the direction.
fn load_critical(
    table: &toml::Table,
    dir: &Path,
    file: &str,
) -> Result<Option<CriticalSpec>, ScenarioError> {
    if !table.contains_key("critical") {
        return Ok(None);
    }
    let keys = ["file", "metric", "level", "direction"];
    let section = section(table, "critical", &keys, file)?;
    let text = |key: &str| {
        section
            .get(key)
            .and_then(|v| v.as_str())
            .ok_or_else(|| invalid(file, &format!("critical.{key}"), "is required (a string)"))
    };
    let metric = text("metric")?;
    if crate::metrics::metric_index(metric).is_none() {
        return Err(invalid(
            file,
            "critical.metric",
            format!(
                "`{metric}` is not a metric (allowed: {})",
                crate::metrics::METRICS.join(", ")
            ),
        ));
    }
    let level = match section.get("level") {
        Some(toml::Value::Float(x)) if x.is_finite() => *x,
        Some(toml::Value::Integer(n)) => *n as f64,
        _ => return Err(invalid(file, "critical.level", "is required (a number)")),
    };
    let direction = match text("direction")? {
        "below" => critical::Direction::Below,
        "above" => critical::Direction::Above,
        other => {
            return Err(invalid(
                file,
                "critical.direction",
                format!("must be \"below\" or \"above\", got {other:?}"),
            ))
        }
    };
    Ok(Some(CriticalSpec {
        file: dir.join(text("file")?),
        metric: metric.to_string(),
        level,
        direction,
    }))
}

/// The keys a `[[claim]]` may have.
const CLAIM_KEYS: [&str; 9] = [
    "id",
    "text",
    "kind",
    "why",
    "in_paper",
    "long_run",
    "files",
    "regime",
    "explanation",
];

/// Claim `index` of the manifest `file`: a known id, its type, a regime of parameters.
fn load_claim(claim: &toml::Table, index: usize, file: &str) -> Result<ClaimSpec, ScenarioError> {
    let get = |key: &str| {
        claim
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| invalid(file, &format!("claim[{index}].{key}"), "is required"))
    };
    let id = get("id")?;
    if !claims::known_claims().any(|known| known == id) {
        return Err(invalid(
            file,
            &format!("claim[{index}].id"),
            format!(
                "`{id}` has no test; known: {}",
                claims::known_claims().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let regime_key = format!("claim[{index}].regime");
    let regime = string_list(claim.get("regime"), &regime_key, file)?;
    if let Some(unknown) = regime.iter().find(|key| registry::lookup(key).is_none()) {
        return Err(invalid(
            file,
            &regime_key,
            format!("names `{unknown}`, which is not a parameter (see `cadresim params`)"),
        ));
    }
    let explanation = match claim.get("explanation") {
        None => None,
        Some(toml::Value::String(text)) => Some(text.trim().to_string()),
        Some(_) => {
            return Err(invalid(
                file,
                &format!("claim[{index}].explanation"),
                "must be a string",
            ))
        }
    };
    let kind_key = format!("claim[{index}].kind");
    let kind = ClaimKind::parse(&get("kind")?).ok_or_else(|| {
        invalid(
            file,
            &kind_key,
            format!("must be one of: {}", ClaimKind::NAMES.join(", ")),
        )
    })?;
    let flag = |key: &str, default: bool| match claim.get(key) {
        None => Ok(default),
        Some(toml::Value::Boolean(value)) => Ok(*value),
        Some(_) => Err(invalid(
            file,
            &format!("claim[{index}].{key}"),
            "must be true or false",
        )),
    };
    let in_paper = flag("in_paper", true)?;
    let long_run = flag("long_run", false)?;
    Ok(ClaimSpec {
        id,
        text: get("text")?,
        kind,
        why: get("why")?,
        in_paper,
        long_run,
        files: files_list(claim.get("files"), &format!("claim[{index}].files"), file)?,
        regime,
        explanation,
    })
}

/// A list of strings, or the refusal naming `key`.
fn string_list(
    value: Option<&toml::Value>,
    key: &str,
    file: &str,
) -> Result<Vec<String>, ScenarioError> {
    value
        .and_then(|v| v.as_array())
        .and_then(|items| {
            items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| invalid(file, key, "must be a list of strings"))
}

/// Refuse a key of `place` (a section of the manifest) that is not one of `allowed`.
fn check_keys(
    table: &toml::Table,
    place: &str,
    allowed: &[&str],
    file: &str,
) -> Result<(), ScenarioError> {
    match table.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(invalid(
            file,
            &format!("{place}.{key}"),
            format!("is not a known key (allowed: {})", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

/// The table `[key]` of the manifest (empty when absent), its keys checked.
fn section(
    table: &toml::Table,
    key: &str,
    allowed: &[&str],
    file: &str,
) -> Result<toml::Table, ScenarioError> {
    let found = match table.get(key) {
        None => toml::Table::new(),
        Some(toml::Value::Table(found)) => found.clone(),
        Some(_) => return Err(invalid(file, key, format!("must be a table ([{key}])"))),
    };
    check_keys(&found, key, allowed, file)?;
    Ok(found)
}

/// The tables `[[key]]` of the manifest, each one's keys checked.
fn entries(
    table: &toml::Table,
    key: &str,
    allowed: &[&str],
    file: &str,
) -> Result<Vec<toml::Table>, ScenarioError> {
    let Some(value) = table.get(key) else {
        return Ok(Vec::new());
    };
    let items = value
        .as_array()
        .filter(|items| items.iter().all(toml::Value::is_table))
        .ok_or_else(|| invalid(file, key, format!("must be a list of tables ([[{key}]])")))?;
    let mut found = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let item = item.as_table().expect("checked to be a table");
        check_keys(item, &format!("{key}[{index}]"), allowed, file)?;
        found.push(item.clone());
    }
    Ok(found)
}

/// The name of `[[run]]` number `index`: plain like a scenario name (it names the run's
/// directory) and unlike every earlier run's.
fn run_name(
    run: &toml::Table,
    index: usize,
    earlier: &[RunGroup],
    file: &str,
) -> Result<String, ScenarioError> {
    let key = format!("run[{index}].name");
    let name = run
        .get("name")
        .and_then(|v| v.as_str())
        .ok_or_else(|| invalid(file, &key, "is required"))?;
    if !crate::scenario::is_plain_name(name) {
        return Err(invalid(
            file,
            &key,
            format!("must be 1-100 characters of letters, digits, '-', '_' or '.', not starting with '.', got {name:?}"),
        ));
    }
    if earlier.iter().any(|run| run.name == name) {
        return Err(invalid(
            file,
            &key,
            format!("`{name}` names an earlier [[run]] too; give each run a distinct name"),
        ));
    }
    Ok(name.to_string())
}

fn verdict_word(holds: bool) -> &'static str {
    if holds {
        "holds"
    } else {
        "does not hold"
    }
}

/// Fill the `{name}` placeholders of an explanation with the verdict's quantities: `name` is
/// a quantity's name, or the start of exactly one quantity's name before its " (" (a paired
/// difference without its correlation). A statistic reads "mean [low, high]".
pub fn explain(template: &str, quantities: &[Quantity]) -> Result<String, EvidenceError> {
    let mut text = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').map(|e| start + e).ok_or_else(|| {
            EvidenceError::Missing(format!("explanation: unclosed `{{` in {template:?}"))
        })?;
        text.push_str(&rest[..start]);
        text.push_str(&quantity_text(&rest[start + 1..end], quantities)?);
        rest = &rest[end + 1..];
    }
    text.push_str(rest);
    Ok(text)
}

fn quantity_text(name: &str, quantities: &[Quantity]) -> Result<String, EvidenceError> {
    let exact: Vec<&Quantity> = quantities.iter().filter(|q| q.name() == name).collect();
    let prefixed: Vec<&Quantity> = quantities
        .iter()
        .filter(|q| q.name().starts_with(&format!("{name} (")))
        .collect();
    let found = match (exact.as_slice(), prefixed.as_slice()) {
        ([one], _) | ([], [one]) => *one,
        _ => {
            return Err(EvidenceError::Missing(format!(
                "explanation: `{{{name}}}` names no single quantity of the claim"
            )))
        }
    };
    Ok(match found {
        Quantity::Stat(_, stat) => format!("{:.3} [{:.3}, {:.3}]", stat.mean, stat.low, stat.high),
        Quantity::Value(_, value) => format!("{value:.3}"),
        Quantity::Text(_, value) => value.clone(),
    })
}

/// RESULTS.md for decided claims (each file named with its run length from `lengths`, keyed
/// by the file as the claim names it), then `appendix` (the sensitivity and robustness sections);
/// figures are referenced as `figures/<id>.png`. A claim that does not hold is followed by
/// its explanation with the run's numbers (or a note that none is recorded).
pub fn results_markdown(
    experiments: &Experiments,
    decided: &[(ClaimSpec, Verdict)],
    command: &str,
    provenance: &str,
    lengths: &std::collections::HashMap<String, String>,
    robust: Option<&[robustness::ClaimRobustness]>,
    appendix: &str,
) -> Result<String, EvidenceError> {
    let mut text = String::new();
    let _ = writeln!(text, "# Results: the paper's claims, regenerated\n");
    let _ = writeln!(
        text,
        "Written by `{command}` ({provenance}). Every number, figure and verdict below is computed from the simulation output; only the claim sentences (in `{}`) are written by hand. Seed {}.\n",
        experiments.path.display(),
        experiments.seed
    );
    let _ = writeln!(
        text,
        "Comparisons between regimes, or between points of a sweep, are paired: replicate r of every scenario and point runs the same random streams (common random numbers), so each test judges the mean of the per-replicate differences with its t-based 95% interval, and reports the correlation r of the pairs (a high r is what makes pairing sharper than comparing two separate intervals).\n"
    );
    let _ = writeln!(
        text,
        "Each claim has a type. `accounting`: it follows from what the model counts. `by design`: the defaults were chosen to produce it (docs/MODEL.md §1; tests/fidelity.rs verifies that they do), so at the defaults it is a requirement the model meets, not a finding. `behavioural`: it could have gone either way.\n"
    );
    headline(&mut text, decided, robust);
    for (index, (claim, verdict)) in decided.iter().enumerate() {
        let _ = writeln!(text, "\n## {}. {}\n", index + 1, claim.text);
        let files: Vec<String> = claim
            .files
            .iter()
            .map(|f| match lengths.get(f) {
                Some(length) => format!("`scenarios/{f}` ({length})"),
                None => format!("`scenarios/{f}`"),
            })
            .collect();
        let _ = writeln!(
            text,
            "Claim `{}` ({}). Scenario files: {}.\n",
            claim.id,
            claim.kind.name(),
            files.join(", ")
        );
        let _ = writeln!(text, "![{}](figures/{}.png)\n", claim.id, claim.id);
        if claim.long_run {
            let _ = writeln!(
                text,
                "**Long run.** The claim is about the corps' long run: runs at a short fixed horizon (quick mode, the robustness samples) can decide it otherwise while the corps still relaxes, so only the full run decides it.\n"
            );
        }
        quantity_table(&mut text, &verdict.quantities);
        let _ = writeln!(
            text,
            "\n**Verdict: {}.** Test: {}.",
            verdict_word(verdict.holds),
            verdict.test
        );
        let _ = writeln!(
            text,
            "\n**Effect.** {}: {}.",
            verdict.effect.what,
            verdict.effect.text()
        );
        let _ = writeln!(text, "\n**Welfare.** {}", welfare_words(verdict));
        if !verdict.holds {
            let instead = match &claim.explanation {
                Some(template) => explain(template, &verdict.quantities)?,
                None => format!(
                    "No explanation of this verdict is recorded for `{}` in `{}`.",
                    claim.id,
                    experiments.path.display()
                ),
            };
            let _ = writeln!(text, "\n**What the data show instead.** {instead}");
        }
    }
    text.push_str(appendix);
    Ok(text)
}

/// The headline table: per claim its type and reason, the verdict, the effect without
/// thresholds, welfare's paired difference and the share of robustness samples where it
/// holds (when they ran).
fn headline(
    text: &mut String,
    decided: &[(ClaimSpec, Verdict)],
    robust: Option<&[robustness::ClaimRobustness]>,
) {
    let _ = writeln!(
        text,
        "The effect is the claim's size without the test's thresholds (a paired difference with its 95% interval, signed so that a positive value is what the claim says; each section names it); welfare is the paired difference of welfare between the regime the claim favours and the other (a positive value favours it too); the robustness share is the share of robustness samples where the claim holds, with its Wilson 95% interval (section \"Robustness\").\n"
    );
    let _ = writeln!(
        text,
        "| claim | type | why | verdict | effect | welfare, favoured minus other | holds in robustness samples |\n|---|---|---|---|---|---|---|"
    );
    for (claim, verdict) in decided {
        let source = if claim.in_paper {
            ""
        } else {
            " Not a claim of the paper: cadresim asks it besides."
        };
        let welfare = verdict.welfare.as_ref().map_or("–".to_string(), |w| {
            format!("{} ({})", w.text(), welfare_reading(w))
        });
        let share = robust
            .and_then(|rows| rows.iter().find(|row| row.claim == claim.id))
            .map_or("not run".to_string(), |row| {
                format!("{:.2} [{:.2}, {:.2}]", row.share(), row.low, row.high)
            });
        let _ = writeln!(
            text,
            "| `{}` | {} | {}{source} | {} | {} | {welfare} | {share} |",
            claim.id,
            claim.kind.name(),
            claim.why,
            verdict_word(verdict.holds),
            verdict.effect.text(),
        );
    }
}

/// Whether welfare's paired difference supports the claim's favoured regime.
fn welfare_reading(welfare: &Effect) -> &'static str {
    match welfare.sign() {
        1 => "supports",
        -1 => "contradicts",
        _ => "no clear difference",
    }
}

/// The sentence on welfare under a claim's verdict.
fn welfare_words(verdict: &Verdict) -> String {
    match &verdict.welfare {
        None => "The claim favours no regime, so no welfare difference is reported.".to_string(),
        Some(welfare) => {
            let reading = match welfare.sign() {
                1 => "welfare is higher where the claim points, so welfare supports it",
                -1 => "welfare is lower where the claim points: welfare contradicts the claim",
                _ => "its 95% interval holds 0: welfare does not tell the regimes apart",
            };
            format!(
                "Welfare, {} (paired): {}; {reading}.",
                welfare.what,
                welfare.text()
            )
        }
    }
}

/// A claim's quantities, each to the digits its interval supports.
fn quantity_table(text: &mut String, quantities: &[Quantity]) {
    let _ = writeln!(text, "| quantity | value | 95% interval |\n|---|---|---|");
    for quantity in quantities {
        let (value, interval) = match quantity {
            Quantity::Stat(_, stat) => {
                let shown = crate::stats::estimate_text(stat.mean, Some((stat.low, stat.high)));
                match shown.split_once(' ') {
                    Some((value, interval)) => (value.to_string(), interval.to_string()),
                    None => (shown, String::new()),
                }
            }
            Quantity::Value(_, value) => (crate::stats::estimate_text(*value, None), String::new()),
            Quantity::Text(_, value) => (value.clone(), String::new()),
        };
        let interval = match interval.is_empty() {
            true => String::new(),
            false => format!("{interval} "),
        };
        let _ = writeln!(text, "| {} | {value} | {interval}|", quantity.name());
    }
}

/// How an experiment's replicates ran, for RESULTS.md: until the long-run rule found them
/// long enough, or a fixed horizon with the steps its means average.
pub fn run_length(run: &crate::params::RunParams) -> String {
    if run.until_settled {
        format!(
            "until settled (long-run rule, at most {} steps)",
            grouped(run.max_steps)
        )
    } else {
        format!(
            "fixed horizon: {} steps, means over steps {}–{}",
            grouped(run.steps),
            grouped(run.burn_in),
            grouped(run.steps - 1)
        )
    }
}

/// An integer with thousands separated by commas (51,200).
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut text = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

/// One experiment in the section "Run lengths": its label, how it ran (`run_length`) and its
/// count of settled equilibria.
pub struct Length {
    pub label: String,
    pub length: String,
    pub settled: SettledCount,
}

/// The section "Run lengths and long-run estimates": for every experiment how its replicates
/// ran and how many of its replicate equilibria at the whole hierarchy had settled.
pub fn settling_section(rows: &[Length]) -> String {
    let mut text = String::from("\n## Run lengths and long-run estimates\n\n");
    text.push_str(
        "The regimes run each replicate until the long-run rule finds the run long enough (README, \"Long-run equilibria\"; docs/MODEL.md §7.11): the warm-up chosen by MSER-5 ends in the first half, the retained steps pass Heidelberger–Welch, do not drift between doublings and give the long-run mean innovation to 2% (at least 0.002). Every equilibrium metric is then its mean over the retained steps. A replicate that reaches `run.max_steps` first is counted as not settled here and averages the second half of its run; at the defaults the regimes need tens of thousands of steps, and their means at the cap lie within max(0.005, 5%) of references of at least ten relaxation times (docs/MODEL.md §7.11). The sweeps and analyses cannot afford such runs: they use the fixed horizon stated here and beside their numbers, and their means then include the part of the relaxation not yet done by that horizon (at 4,000 steps, about +3% for pressure and +14% for scoped tolerance at the defaults; docs/MODEL.md §7.11). For a fixed horizon, \"settled\" is the moving-mean criterion of docs/MODEL.md §7.11 (`converged_at` ≤ `burn_in`), which a slow relaxation can pass. A path sweep holds each value for a fixed number of steps, so its points describe the corps after those steps.\n\n",
    );
    text.push_str("| experiment | run length | settled | equilibria |\n|---|---|---|---|\n");
    for row in rows {
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} |",
            row.label, row.length, row.settled.settled, row.settled.equilibria
        );
    }
    text
}

/// The (claim id, holds) pairs of a RESULTS.md summary table.
pub fn verdicts_of(markdown: &str) -> Vec<(String, bool)> {
    markdown
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            // | `id` | verdict |, or | `id` | type | why | verdict | (then, since the effect
            // sizes, effect, welfare and robustness share).
            let verdict = match cells.len() {
                4 => Some(cells[2]),
                n if n >= 6 && ClaimKind::parse(cells[2]).is_some() => Some(cells[4]),
                _ => None,
            };
            let named = verdict.is_some() && cells[1].starts_with('`');
            if let (Some(verdict), true) = (verdict, named) {
                let id = cells[1].trim_matches('`').to_string();
                match verdict {
                    "holds" => Some((id, true)),
                    "does not hold" => Some((id, false)),
                    _ => None,
                }
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Estimate;

    #[test]
    fn explanations_take_their_numbers_from_the_quantities() {
        let quantities = vec![
            Quantity::Value("largest step, rational".into(), 0.135),
            Quantity::Stat(
                "private_gain, b minus a (paired, r = 0.20)".into(),
                Estimate {
                    mean: -9.1475,
                    low: -11.5,
                    high: -6.8,
                },
            ),
            Quantity::Text("class, a".into(), "lazy-routine".into()),
        ];
        let text = explain(
            "falls by {private_gain, b minus a} while {largest step, rational}; {class, a}.",
            &quantities,
        )
        .unwrap();
        assert_eq!(
            text,
            "falls by -9.148 [-11.500, -6.800] while 0.135; lazy-routine."
        );
        for bad in ["{private_gain}", "{nothing}", "open {brace"] {
            assert!(explain(bad, &quantities).is_err(), "{bad}");
        }
    }

    #[test]
    fn headline_rows_of_every_format_give_their_verdicts() {
        let report = "| claim | verdict |\n|---|---|\n| `a` | holds |\n\n\
            | `b` | by design | why | does not hold |\n\
            | `c` | accounting | why | holds | 0.14 [0.13, 0.15] | 489 [485, 493] (supports) | 0.67 [0.55, 0.77] |\n\
            | `d` | behavioural | why | maybe | 1 | 2 | 3 |\n| `e` | 0.5 | x | holds |";
        assert_eq!(
            verdicts_of(report),
            vec![
                ("a".to_string(), true),
                ("b".to_string(), false),
                ("c".to_string(), true)
            ]
        );
    }

    #[test]
    fn welfare_is_read_from_its_interval_and_numbers_keep_the_digits_they_carry() {
        let welfare = |ci95| Effect {
            what: "a minus b".into(),
            value: 489.254,
            ci95,
        };
        assert_eq!(welfare_reading(&welfare(Some((485.4, 493.1)))), "supports");
        assert_eq!(
            welfare_reading(&welfare(Some((-493.1, -485.4)))),
            "contradicts"
        );
        assert_eq!(
            welfare_reading(&welfare(Some((-1.0, 980.0)))),
            "no clear difference"
        );
        assert_eq!(welfare_reading(&welfare(None)), "no clear difference");
        assert_eq!(
            welfare(Some((485.4327, 493.0753))).text(),
            "489.3 [485.4, 493.1]"
        );
        let mut text = String::new();
        quantity_table(
            &mut text,
            &[
                Quantity::Stat(
                    "welfare, a".into(),
                    Estimate {
                        mean: 5030.3472,
                        low: 4975.0419,
                        high: 5085.6526,
                    },
                ),
                Quantity::Value("share".into(), 0.123456),
                Quantity::Text("class".into(), "lazy-routine".into()),
            ],
        );
        assert_eq!(
            text,
            "| quantity | value | 95% interval |\n|---|---|---|\n| welfare, a | 5030 | [4975, 5086] |\n| share | 0.123 | |\n| class | lazy-routine | |\n"
        );
    }
}
