//! Scenario files: reading TOML, validating every key against the registry, the policy
//! schedule, and the built-in default set. Errors name the file, the key and what is allowed.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::hierarchy::Hierarchy;
use crate::params::{Changes, Params, Plan};
use crate::registry::{
    self, check_consistency, did_you_mean, lookup, ParamError, ParamSpec, SECTIONS,
};
use crate::{adoption, tree};

/// A scenario: a name, a description, resolved parameters and a policy schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub params: Params,
    pub schedule: Vec<ScheduleEntry>,
}

/// Parameter changes applied at the start of step `at`, everywhere or in part of the
/// hierarchy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleEntry {
    pub at: u64,
    /// `section.key` -> value, already validated.
    pub set: toml::Table,
    /// Where the changes apply: the subtrees of some units of one level (None: everywhere).
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub where_: Option<Where>,
}

/// `where = { province = ["33", "浙江省"] }`: units of a level, by code or name (stored
/// and recorded in manifests in the shape a scenario file writes it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "WrittenWhere", try_from = "WrittenWhere")]
pub struct Where {
    pub level: String,
    pub units: Vec<String>,
}

type WrittenWhere = std::collections::BTreeMap<String, Vec<String>>;

impl From<Where> for WrittenWhere {
    fn from(where_: Where) -> Self {
        WrittenWhere::from([(where_.level, where_.units)])
    }
}

impl TryFrom<WrittenWhere> for Where {
    type Error = String;

    fn try_from(written: WrittenWhere) -> Result<Self, String> {
        let mut entries = written.into_iter();
        match (entries.next(), entries.next()) {
            (Some((level, units)), None) => Ok(Where { level, units }),
            _ => Err("`where` must name exactly one level".to_string()),
        }
    }
}

/// Sections and keys a schedule entry with `where` may not set, and why: what they govern
/// is shared by units that a `where` can tell apart.
pub const NOT_BY_UNIT: [(&str, &str); 5] = [
    ("targets.", "targets are handed down the whole hierarchy from the centre in one cascade (only targets.miss_penalty may differ)"),
    ("cadres.", "recruitment and turnover draw the same kind of cadre everywhere"),
    ("incentives.", "a peer group holds one tournament under one set of rules, and a peer group can span units inside and outside the selection (only incentives.innovation_reward may differ)"),
    ("behaviour.", "how cadres learn is part of the model of cognition, not a policy, and recruits take their peer group's mean attractions"),
    ("equilibrium.", "it measures the whole run, not a place"),
];

/// Why `key` cannot be set by a schedule entry with `where` (None: it can).
pub fn not_by_unit(key: &str) -> Option<&'static str> {
    if matches!(key, "targets.miss_penalty" | "incentives.innovation_reward") {
        return None;
    }
    NOT_BY_UNIT
        .iter()
        .find(|(prefix, _)| key.starts_with(prefix))
        .map(|(_, why)| *why)
}

/// A scenario that cannot be used, with the file and key at fault.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ScenarioError {
    #[error("{file}: cannot read the file: {reason}")]
    Read { file: String, reason: String },
    #[error("{file}:{line}:{column}: TOML syntax error: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: `{key}` {message}")]
    Invalid {
        file: String,
        key: String,
        message: String,
    },
    /// A command-line override (`--steps`, `--replicates`) that the scenario cannot take.
    #[error("{flag} {message}")]
    Override { flag: &'static str, message: String },
}

impl ScenarioError {
    fn invalid(file: &str, key: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError::Invalid {
            file: file.to_string(),
            key: key.into(),
            message: message.into(),
        }
    }
}

/// The five regimes of the built-in default set, as (file, text).
pub const BUILT_IN: [(&str, &str); 5] = [
    ("pressure", include_str!("../../../scenarios/pressure.toml")),
    (
        "ft-scoped",
        include_str!("../../../scenarios/ft-scoped.toml"),
    ),
    (
        "ft-blanket",
        include_str!("../../../scenarios/ft-blanket.toml"),
    ),
    (
        "ft-no-correction",
        include_str!("../../../scenarios/ft-no-correction.toml"),
    ),
    (
        "ft-incentives",
        include_str!("../../../scenarios/ft-incentives.toml"),
    ),
];

/// The built-in default set (the five regimes of the reference behaviour).
pub fn built_in() -> Vec<Scenario> {
    BUILT_IN
        .iter()
        .map(|(stem, text)| {
            parse(text, &format!("scenarios/{stem}.toml"), stem)
                .expect("built-in scenarios are valid")
        })
        .collect()
}

/// Read an input file as UTF-8 text; returns (text, file stem).
pub fn read_text(path: &Path) -> Result<(String, String), ScenarioError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|error| ScenarioError::Read {
        file: file.clone(),
        reason: error.to_string(),
    })?;
    let text = String::from_utf8(bytes).map_err(|error| ScenarioError::Read {
        file,
        reason: format!(
            "not valid UTF-8 (at byte {})",
            error.utf8_error().valid_up_to()
        ),
    })?;
    let stem = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".to_string());
    Ok((text, stem))
}

/// Read and validate a scenario file; its name defaults to the file stem.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let (text, stem) = read_text(path)?;
    parse(&text, &path.display().to_string(), &stem)
}

/// Parse a TOML document into a table, with line and column on syntax errors.
pub fn parse_table(text: &str, file: &str) -> Result<toml::Table, ScenarioError> {
    text.parse::<toml::Table>().map_err(|error| {
        let offset = error.span().map(|span| span.start).unwrap_or(0);
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
        ScenarioError::Syntax {
            file: file.to_string(),
            line,
            column,
            message: syntax_message(error.message(), &text[offset.min(text.len())..]),
        }
    })
}

/// The parser's message on one line; when it gives none, the character it stopped at.
fn syntax_message(message: &str, rest: &str) -> String {
    let message = message.trim().replace('\n', "; ");
    if !message.is_empty() {
        return message;
    }
    match rest.chars().next() {
        Some(c) => format!("unexpected character {c:?}"),
        None => "unexpected end of file".to_string(),
    }
}

/// Parse and validate scenario text; `file` is used in errors, `stem` as the default name.
pub fn parse(text: &str, file: &str, stem: &str) -> Result<Scenario, ScenarioError> {
    let table = parse_table(text, file)?;
    from_table(&table, file, stem)
}

/// Build a scenario from a parsed TOML table (shared with sweep files).
pub fn from_table(table: &toml::Table, file: &str, stem: &str) -> Result<Scenario, ScenarioError> {
    let mut scenario = Scenario {
        name: stem.to_string(),
        description: String::new(),
        params: Params::default(),
        schedule: Vec::new(),
    };
    let mut schedule_value = None;
    for (key, value) in table {
        match key.as_str() {
            "name" | "description" => {
                let text = value.as_str().ok_or_else(|| {
                    ScenarioError::invalid(
                        file,
                        key,
                        format!("must be a string, got {}", registry::describe_value(value)),
                    )
                })?;
                if key == "name" {
                    scenario.name = text.to_string();
                } else {
                    scenario.description = text.trim().to_string();
                }
            }
            "schedule" => schedule_value = Some(value),
            section if SECTIONS.contains(&section) => {
                let entries = value.as_table().ok_or_else(|| {
                    ScenarioError::invalid(file, section, "must be a table (a [section])")
                })?;
                for (name, value) in entries {
                    let full = format!("{section}.{name}");
                    match value.as_table() {
                        // A group of keys such as [accountability.forms].
                        Some(group) if registry::is_group(&full) => {
                            for (member, value) in group {
                                let key = format!("{full}.{member}");
                                set_key(&mut scenario.params, file, &key, section, value)?;
                            }
                        }
                        _ => set_key(&mut scenario.params, file, &full, section, value)?,
                    }
                }
            }
            other => return Err(unknown_key(file, other, other, None)),
        }
    }
    check_name(&scenario.name, file)?;
    check_consistency(&scenario.params)
        .map_err(|ParamError { key, message }| ScenarioError::invalid(file, key, message))?;
    if let Some(written) = table
        .get("hierarchy")
        .and_then(|section| section.get("tree"))
    {
        load_tree(&mut scenario.params, written.is_str(), file)?;
    }
    if let Some(value) = schedule_value {
        scenario.schedule = parse_schedule(value, file, &scenario.params)?;
    }
    Ok(scenario)
}

/// Set `key` (in `section`) from a scenario file's value.
fn set_key(
    params: &mut Params,
    file: &str,
    key: &str,
    section: &str,
    value: &toml::Value,
) -> Result<(), ScenarioError> {
    let name = key.split_once('.').map_or(key, |(_, name)| name);
    let spec = lookup(key).ok_or_else(|| unknown_key(file, key, name, Some(section)))?;
    spec.set(params, value)
        .map_err(|error| ScenarioError::invalid(file, key, error.message))
}

/// Read the units of `hierarchy.tree`: a path written in a scenario file is relative to
/// that file; one recorded in a manifest is used as recorded and must still have its hash.
fn load_tree(params: &mut Params, relative: bool, file: &str) -> Result<(), ScenarioError> {
    let levels = params.hierarchy.levels.clone();
    let Some(reference) = params.hierarchy.tree.as_mut() else {
        return Ok(());
    };
    if relative {
        // Recorded absolute, so a replay, resume or merge finds it from any directory.
        let beside = Path::new(file).parent().unwrap_or(Path::new(""));
        let path = beside.join(&reference.file);
        reference.file = std::path::absolute(&path)
            .unwrap_or(path)
            .display()
            .to_string();
    }
    let where_ = |message: String| {
        ScenarioError::invalid(
            file,
            "hierarchy.tree",
            format!("{}: {message}", reference.file),
        )
    };
    let (units, sha256) = tree::read(Path::new(&reference.file), &levels).map_err(where_)?;
    if !relative && reference.sha256 != sha256 {
        return Err(where_(format!(
            "has changed since it was recorded (SHA-256 {} then, {} now)",
            reference.sha256, sha256
        )));
    }
    reference.sha256 = sha256;
    reference.units = std::sync::Arc::new(units);
    Ok(())
}

/// Validate a scenario read back (from a manifest) exactly as a scenario file: its parameters
/// and schedule are written as the TOML a file would hold and read again. `file` names the
/// source in errors.
pub fn revalidate(scenario: &Scenario, file: &str) -> Result<Scenario, ScenarioError> {
    let place = format!("{file} (scenario {:?})", scenario.name);
    let unwritable = |error: toml::ser::Error| {
        ScenarioError::invalid(&place, "scenario", format!("cannot be checked: {error}"))
    };
    let table = written_table(scenario).map_err(unwritable)?;
    from_table(&table, &place, &scenario.name)
}

/// A scenario as the TOML a file would hold: every parameter, the name, the description and
/// the schedule (a tree as its recorded absolute path and hash). Read back, it is the same
/// scenario.
fn written_table(scenario: &Scenario) -> Result<toml::Table, toml::ser::Error> {
    let mut table = toml::Table::new();
    table.insert("name".into(), scenario.name.clone().into());
    table.insert("description".into(), scenario.description.clone().into());
    table.extend(toml::Table::try_from(&scenario.params)?);
    if !scenario.schedule.is_empty() {
        let schedule = toml::Value::try_from(&scenario.schedule)?;
        table.insert("schedule".into(), schedule);
    }
    Ok(table)
}

/// The text of a scenario file holding `scenario` completely (every parameter written out),
/// for a face that lets a researcher download what it ran.
pub fn to_toml_text(scenario: &Scenario) -> Result<String, ScenarioError> {
    let table = written_table(scenario).map_err(|error| {
        ScenarioError::invalid(
            &scenario.name,
            "scenario",
            format!("cannot be written: {error}"),
        )
    })?;
    Ok(toml::to_string(&table).expect("a table that serialized once writes as text"))
}

/// Whether `name` is a plain scenario name: 1-100 letters, digits, '-', '_' or '.', not
/// starting with '.' (it becomes part of file names and a CSV value).
pub fn is_plain_name(name: &str) -> bool {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    !name.is_empty() && name.len() <= 100 && name.chars().all(plain) && !name.starts_with('.')
}

/// A scenario name becomes a directory name and a CSV value: keep it plain.
fn check_name(name: &str, file: &str) -> Result<(), ScenarioError> {
    if !is_plain_name(name) {
        return Err(ScenarioError::invalid(
            file,
            "name",
            format!("must be 1-100 characters of letters, digits, '-', '_' or '.', got {name:?}"),
        ));
    }
    Ok(())
}

/// Refuse a top-level key of a sweep or calibration file (`own`: its section, `sweep` or
/// `calibrate`) that is neither `base`, `own` nor a scenario's key or section; the list of
/// what is allowed names all of them. A parameter's name at the top level (`penalty`) is
/// left to the scenario's check, which names its section.
fn check_file_keys(table: &toml::Table, file: &str, own: &str) -> Result<(), ScenarioError> {
    let scenario = ["name", "description", "schedule"]
        .iter()
        .chain(SECTIONS.iter());
    let allowed: Vec<&str> = ["base", own].into_iter().chain(scenario.copied()).collect();
    let parameter = |key: &str| {
        registry::replaced(key).is_some() || registry::PARAMS.iter().any(|s| s.name() == key)
    };
    match table
        .keys()
        .find(|key| !allowed.contains(&key.as_str()) && !parameter(key))
    {
        None => Ok(()),
        Some(key) => {
            let hint = did_you_mean(key, allowed.iter().copied())
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            Err(ScenarioError::invalid(
                file,
                key,
                format!(
                    "is not a known key or section; {hint}allowed: {}",
                    allowed.join(", ")
                ),
            ))
        }
    }
}

fn unknown_key(file: &str, full: &str, name: &str, section: Option<&str>) -> ScenarioError {
    if let Some(message) = registry::replaced(full) {
        return ScenarioError::invalid(file, full, message);
    }
    let mut candidates: Vec<String> = match section {
        Some(section) => registry::PARAMS
            .iter()
            .filter(|spec| spec.section() == section)
            .map(|spec| spec.key.to_string())
            .collect(),
        None => ["name", "description", "schedule"]
            .iter()
            .chain(SECTIONS.iter())
            .map(|s| s.to_string())
            .collect(),
    };
    let hint = did_you_mean(full, candidates.iter().map(String::as_str))
        .map(str::to_string)
        .or_else(|| {
            // The same key name in another section, e.g. `penalty` at the top level.
            registry::PARAMS
                .iter()
                .find(|spec| spec.name() == name)
                .map(|spec| spec.key.to_string())
        });
    candidates.sort();
    let message = match (hint, section) {
        (Some(hint), _) => format!("is not a known key; did you mean `{hint}`?"),
        (None, Some(section)) => {
            format!("is not a known key of [{section}]; see `cadresim params` for the keys")
        }
        (None, None) => format!(
            "is not a known key or section; allowed: name, description, schedule, {}",
            SECTIONS.join(", ")
        ),
    };
    ScenarioError::invalid(file, full, message)
}

/// Flatten `{ accountability = { penalty = 8 } }` and `{ "accountability.penalty" = 8 }` alike.
fn flatten_settings(prefix: &str, table: &toml::Table, out: &mut Vec<(String, toml::Value)>) {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) if lookup(&full).is_none() => {
                flatten_settings(&full, inner, out)
            }
            _ => out.push((full, value.clone())),
        }
    }
}

fn parse_schedule(
    value: &toml::Value,
    file: &str,
    params: &Params,
) -> Result<Vec<ScheduleEntry>, ScenarioError> {
    let entries = value.as_array().ok_or_else(|| {
        ScenarioError::invalid(file, "schedule", "must be a list of [[schedule]] tables")
    })?;
    let mut schedule = Vec::with_capacity(entries.len());
    // Built once, for the first entry with `where`.
    let mut hierarchy: Option<Hierarchy> = None;
    for (index, table, adopted) in expand_adoptions(entries, file, params)? {
        let here = format!("schedule[{index}]");
        let table = &table;
        check_entry_keys(table, file, &here)?;
        let where_ = table
            .get("where")
            .map(|value| {
                let place = adopted.clone().unwrap_or_else(|| format!("{here}.where"));
                parse_where(value, params, &mut hierarchy, file, &place)
            })
            .transpose()?;
        let at = entry_step(table, file, &here, params)?;
        let set = entry_settings(table, file, &here, params, where_.is_some())?;
        schedule.push((index, ScheduleEntry { at, set, where_ }));
    }
    schedule.sort_by_key(|(index, entry)| (entry.at, *index));
    check_repeated_settings(&schedule, file)?;
    check_evolution(&schedule, file, params)?;
    Ok(schedule.into_iter().map(|(_, entry)| entry).collect())
}

/// Refuse two entries (sorted by step) that set one key at the same step in the same place:
/// which value would hold is not said.
fn check_repeated_settings(
    schedule: &[(usize, ScheduleEntry)],
    file: &str,
) -> Result<(), ScenarioError> {
    for (position, (index, entry)) in schedule.iter().enumerate() {
        let same_step = schedule[..position]
            .iter()
            .rev()
            .take_while(|(_, other)| other.at == entry.at);
        for (earlier, other) in same_step.filter(|(_, other)| other.where_ == entry.where_) {
            if let Some(key) = entry.set.keys().find(|key| other.set.contains_key(*key)) {
                return Err(ScenarioError::invalid(
                    file,
                    format!("schedule[{index}].set.{key}"),
                    format!(
                        "is set by schedule[{earlier}] too, at the same step ({}) and place; set it once",
                        entry.at
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A schedule entry's keys are `at`, `set` and `where` (`adopt` was expanded before).
fn check_entry_keys(table: &toml::Table, file: &str, here: &str) -> Result<(), ScenarioError> {
    for key in table.keys() {
        if !matches!(key.as_str(), "at" | "set" | "where") {
            let hint = did_you_mean(key, ["at", "set", "where", "adopt"])
                .map(|hint| format!("; did you mean `{hint}`?"))
                .unwrap_or_default();
            return Err(ScenarioError::invalid(
                file,
                format!("{here}.{key}"),
                format!(
                    "is not a known key of a schedule entry (allowed: at, set, where, adopt){hint}"
                ),
            ));
        }
    }
    Ok(())
}

/// A schedule entry's `at`: a step of the run.
fn entry_step(
    table: &toml::Table,
    file: &str,
    here: &str,
    params: &Params,
) -> Result<u64, ScenarioError> {
    match table.get("at") {
        Some(toml::Value::Integer(at)) if *at >= 0 && (*at as u64) < params.run.most_steps() => {
            Ok(*at as u64)
        }
        Some(other) => Err(ScenarioError::invalid(
            file,
            format!("{here}.at"),
            format!(
                "must be an integer step in 0..{} (the run), got {}",
                params.run.most_steps(),
                registry::describe_value(other)
            ),
        )),
        None => Err(ScenarioError::invalid(
            file,
            format!("{here}.at"),
            "is missing: the step at which the changes apply",
        )),
    }
}

/// A schedule entry's `set`, flattened to "section.key" = value, each key schedulable (and
/// settable for part of the hierarchy when the entry has `where`) and each value valid.
fn entry_settings(
    table: &toml::Table,
    file: &str,
    here: &str,
    params: &Params,
    has_where: bool,
) -> Result<toml::Table, ScenarioError> {
    let set_table = table.get("set").and_then(|v| v.as_table()).ok_or_else(|| {
        ScenarioError::invalid(
            file,
            format!("{here}.set"),
            "must be a table of \"section.key\" = value",
        )
    })?;
    let mut settings = Vec::new();
    flatten_settings("", set_table, &mut settings);
    let mut set = toml::Table::new();
    for (key, value) in settings {
        let place = format!("{here}.set.{key}");
        let spec = schedulable_spec(&key, file, &place)?;
        spec.set(&mut params.clone(), &value)
            .map_err(|error| ScenarioError::invalid(file, &place, error.message))?;
        if let (true, Some(why)) = (has_where, not_by_unit(&key)) {
            return Err(ScenarioError::invalid(
                file,
                place,
                format!("cannot be set for part of the hierarchy (`where`): {why}"),
            ));
        }
        set.insert(key, value);
    }
    Ok(set)
}

/// The registry's entry for a key a schedule may change.
fn schedulable_spec(
    key: &str,
    file: &str,
    place: &str,
) -> Result<&'static ParamSpec, ScenarioError> {
    match lookup(key) {
        Some(spec) if spec.schedulable() => Ok(spec),
        Some(_) => Err(ScenarioError::invalid(
            file,
            place,
            "cannot change during a run ([run], [hierarchy] and work.innovation_levels are fixed)",
        )),
        None => {
            let section = key.split('.').next().filter(|s| SECTIONS.contains(s));
            let name = key.rsplit('.').next().unwrap_or(key);
            let ScenarioError::Invalid { message, .. } = unknown_key(file, key, name, section)
            else {
                unreachable!("unknown_key builds an Invalid error")
            };
            Err(ScenarioError::invalid(file, place, message))
        }
    }
}

/// Apply the whole schedule once, in order, so that cross-parameter rules hold at every
/// step.
fn check_evolution(
    schedule: &[(usize, ScheduleEntry)],
    file: &str,
    params: &Params,
) -> Result<(), ScenarioError> {
    let mut evolving = params.clone();
    for (index, entry) in schedule {
        let place = format!("schedule[{index}].set");
        apply_settings(&mut evolving, &entry.set, file, &place)?;
        check_consistency(&evolving).map_err(|ParamError { key, message }| {
            ScenarioError::invalid(
                file,
                place,
                format!("makes `{key}` invalid at step {}: {message}", entry.at),
            )
        })?;
    }
    Ok(())
}

/// The schedule's entries as tables of `at`, `set` and `where`, each with its index in the
/// file: an entry with `adopt = { LEVEL = "FILE.csv" }` becomes one entry per step of the
/// file's rows (`adoption::read`, relative to the scenario file), in order of step, each
/// with `where = { LEVEL = [its units] }` and the entry's `set`, and the place its units'
/// errors are reported at (`schedule[i].adopt (FILE)`).
fn expand_adoptions(
    entries: &[toml::Value],
    file: &str,
    params: &Params,
) -> Result<Vec<(usize, toml::Table, Option<String>)>, ScenarioError> {
    let mut expanded = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let here = format!("schedule[{index}]");
        let table = entry.as_table().ok_or_else(|| {
            ScenarioError::invalid(file, &here, "must be a table with `at` and `set`")
        })?;
        let Some(adopt) = table.get("adopt") else {
            expanded.push((index, table.clone(), None));
            continue;
        };
        let place = format!("{here}.adopt");
        let bad = |message: String| ScenarioError::invalid(file, &place, message);
        if let Some(key) = ["at", "where"].into_iter().find(|k| table.contains_key(*k)) {
            return Err(bad(format!(
                "takes the steps and units from its file, so the entry cannot also have `{key}`"
            )));
        }
        let (level, written) = adopt
            .as_table()
            .filter(|t| t.len() == 1)
            .and_then(|t| t.iter().next())
            .and_then(|(level, path)| Some((level.clone(), path.as_str()?)))
            .ok_or_else(|| {
                bad("must be { LEVEL = \"FILE.csv\" }: a level and a CSV of `unit, step` rows, relative to the scenario file".to_string())
            })?;
        let path = Path::new(file)
            .parent()
            .unwrap_or(Path::new(""))
            .join(written);
        let rows = adoption::read(&path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        let mut by_step: std::collections::BTreeMap<u64, Vec<toml::Value>> = Default::default();
        for row in rows {
            if row.step >= params.run.most_steps() {
                return Err(bad(format!(
                    "{}: line {}: step {} is beyond the run (steps 0..{})",
                    path.display(),
                    row.line,
                    row.step,
                    params.run.most_steps()
                )));
            }
            by_step
                .entry(row.step)
                .or_default()
                .push(toml::Value::String(row.unit));
        }
        for (step, units) in by_step {
            let mut entry = table.clone();
            entry.remove("adopt");
            entry.insert("at".into(), toml::Value::Integer(step as i64));
            let mut where_ = toml::Table::new();
            where_.insert(level.clone(), toml::Value::Array(units));
            entry.insert("where".into(), toml::Value::Table(where_));
            let label = format!("{place} ({}, step {step})", path.display());
            expanded.push((index, entry, Some(label)));
        }
    }
    Ok(expanded)
}

/// `where = { LEVEL = ["code or name", ...] }`: one level of the scenario and units of it
/// that exist (checked against the tree's codes and names, or a uniform level's numbers
/// "1".."N" and names "LEVEL N").
fn parse_where(
    value: &toml::Value,
    params: &Params,
    hierarchy: &mut Option<Hierarchy>,
    file: &str,
    place: &str,
) -> Result<Where, ScenarioError> {
    let bad = |message: String| ScenarioError::invalid(file, place, message);
    let first = &params.hierarchy.levels[0].name;
    let shape = format!(
        "must be a table of one level and its units, e.g. {{ {first} = [\"code or name\", ...] }}"
    );
    let table = value
        .as_table()
        .filter(|t| t.len() == 1)
        .ok_or_else(|| bad(shape.clone()))?;
    let (level, units) = table.iter().next().expect("one entry");
    let units: Vec<String> = units
        .as_array()
        .filter(|items| !items.is_empty())
        .and_then(|items| {
            items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .ok_or_else(|| {
            bad(format!(
                "`{level}` must be a non-empty list of unit codes or names"
            ))
        })?;
    let where_ = Where {
        level: level.clone(),
        units,
    };
    check_where(&where_, params, hierarchy).map_err(bad)?;
    Ok(where_)
}

/// Whether `where_` names a level of `params` and units of it that exist, each by its code
/// or by a name no other unit of the level has (`hierarchy` is built on first use).
fn check_where(
    where_: &Where,
    params: &Params,
    hierarchy: &mut Option<Hierarchy>,
) -> Result<(), String> {
    let levels: Vec<&str> = params
        .hierarchy
        .levels
        .iter()
        .map(|l| l.name.as_str())
        .collect();
    let level = &where_.level;
    let index = levels.iter().position(|l| l == level).ok_or_else(|| {
        format!(
            "names the level `{level}`, which is not one of {}",
            levels.join(", ")
        )
    })?;
    let hierarchy = match hierarchy {
        Some(built) => built,
        None => hierarchy.insert(Hierarchy::new(&params.hierarchy).map_err(|why| why.to_string())?),
    };
    let tree = params.hierarchy.tree.as_ref().map(|tree| &*tree.units);
    let (codes, names) = hierarchy.unit_labels(index, tree);
    for unit in &where_.units {
        let matching: Vec<&str> = (0..codes.len())
            .filter(|&k| codes[k] == *unit || names[k] == *unit)
            .map(|k| codes[k].as_str())
            .collect();
        match matching.len() {
            0 => return Err(format!("`{level}` has no unit with code or name {unit:?}")),
            1 => {}
            n => {
                return Err(format!(
                    "`{level}` has {n} units matching {unit:?} (codes {}); a name shared by several units is ambiguous: give the codes of the units meant",
                    matching.join(", ")
                ))
            }
        }
    }
    Ok(())
}

/// Apply settings (`section.key` -> value) to parameters; `place` names them in errors.
fn apply_settings(
    params: &mut Params,
    set: &toml::Table,
    file: &str,
    place: &str,
) -> Result<(), ScenarioError> {
    for (key, value) in set {
        let here = format!("{place}.{key}");
        let spec = lookup(key).ok_or_else(|| {
            let message = registry::replaced(key).unwrap_or_else(|| "is not a known key".into());
            ScenarioError::invalid(file, &here, message)
        })?;
        spec.set(params, value)
            .map_err(|error| ScenarioError::invalid(file, &here, error.message))?;
    }
    Ok(())
}

/// Run settings given on the command line (`--steps`, `--replicates`, `--seed`,
/// `--until-settled`), overriding a scenario's `[run]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunOverride {
    pub steps: Option<u64>,
    pub replicates: Option<u64>,
    pub seed: Option<u64>,
    /// Sets `run.until_settled`; false leaves the scenario's setting. `steps` (a fixed
    /// length) switches it off.
    pub until_settled: bool,
}

impl Scenario {
    /// The scenario as the model runs it: the schedule resolved into the typed parameters in
    /// force from each scheduled step. Fails only if the scenario was changed after loading
    /// into something invalid (the error names the scenario and the schedule step).
    pub fn plan(&self) -> Result<Plan, ScenarioError> {
        let mut entries: Vec<(usize, &ScheduleEntry)> = self.schedule.iter().enumerate().collect();
        entries.sort_by_key(|(index, entry)| (entry.at, *index));
        // Regime 0: only the entries without `where`.
        let only_unrestricted = |_: usize| false;
        let changes = self.timeline(&entries, &only_unrestricted)?;
        let (regional, unit_regime) = if entries.iter().any(|(_, e)| e.where_.is_some()) {
            self.regimes(&entries)?
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(Plan {
            name: self.name.clone(),
            params: self.params.clone(),
            changes,
            regional,
            unit_regime,
        })
    }

    /// The changes of the entries that apply everywhere or whose index `selected` says.
    fn timeline(
        &self,
        entries: &[(usize, &ScheduleEntry)],
        selected: &dyn Fn(usize) -> bool,
    ) -> Result<Vec<(u64, Params)>, ScenarioError> {
        let file = format!("scenario `{}`", self.name);
        let mut evolving = self.params.clone();
        let mut changes: Vec<(u64, Params)> = Vec::new();
        for (index, entry) in entries {
            if entry.where_.is_some() && !selected(*index) {
                continue;
            }
            let place = format!("schedule at step {}", entry.at);
            apply_settings(&mut evolving, &entry.set, &file, &place)?;
            check_consistency(&evolving).map_err(|ParamError { key, message }| {
                ScenarioError::invalid(&file, key, message)
            })?;
            match changes.last_mut() {
                Some((at, params)) if *at == entry.at => *params = evolving.clone(),
                _ => changes.push((entry.at, evolving.clone())),
            }
        }
        Ok(changes)
    }

    /// Every unit's regime (the set of `where` entries selecting it; 0 for none) and the
    /// changes of every other regime, numbered in unit order.
    fn regimes(
        &self,
        entries: &[(usize, &ScheduleEntry)],
    ) -> Result<(Vec<Changes>, Vec<u8>), ScenarioError> {
        let file = format!("scenario `{}`", self.name);
        let hierarchy = Hierarchy::new(&self.params.hierarchy)
            .map_err(|why| ScenarioError::invalid(&file, "hierarchy.levels", why.to_string()))?;
        let tree = self.params.hierarchy.tree.as_ref().map(|tree| &*tree.units);
        // Per entry with `where`: its level and which of the level's units it selects.
        let selections: Vec<(usize, usize, Vec<bool>)> = entries
            .iter()
            .filter_map(|(index, entry)| Some((*index, entry.where_.as_ref()?)))
            .map(|(index, where_)| {
                let levels = &self.params.hierarchy.levels;
                let level = levels
                    .iter()
                    .position(|l| l.name == where_.level)
                    .unwrap_or(0);
                let (codes, names) = hierarchy.unit_labels(level, tree);
                let chosen = |k: usize| {
                    where_
                        .units
                        .iter()
                        .any(|u| *u == codes[k] || *u == names[k])
                };
                (index, level, (0..codes.len()).map(chosen).collect())
            })
            .collect();
        let mut signatures: Vec<Vec<usize>> = vec![Vec::new()];
        let mut unit_regime = Vec::with_capacity(hierarchy.units);
        for unit in 0..hierarchy.units {
            let signature: Vec<usize> = selections
                .iter()
                .filter(|(_, level, chosen)| {
                    hierarchy
                        .ancestor_at(unit, *level)
                        .is_some_and(|a| chosen[a - hierarchy.levels[*level].first_unit])
                })
                .map(|(index, _, _)| *index)
                .collect();
            let regime = match signatures.iter().position(|s| *s == signature) {
                Some(regime) => regime,
                None => {
                    signatures.push(signature);
                    signatures.len() - 1
                }
            };
            if regime > u8::MAX as usize {
                return Err(ScenarioError::invalid(
                    &file,
                    "schedule",
                    "its `where` entries divide the hierarchy into more than 256 parts (the units no `where` selects and 255 others)",
                ));
            }
            unit_regime.push(regime as u8);
        }
        let regional = signatures[1..]
            .iter()
            .map(|signature| self.timeline(entries, &|index| signature.contains(&index)))
            .collect::<Result<_, _>>()?;
        Ok((regional, unit_regime))
    }

    /// Check every `where` of the schedule against the scenario's own hierarchy, which a
    /// sweep point may have changed since the schedule was read.
    pub fn check_wheres(&self) -> Result<(), ParamError> {
        let mut hierarchy = None;
        for entry in &self.schedule {
            if let Some(where_) = &entry.where_ {
                check_where(where_, &self.params, &mut hierarchy).map_err(|message| {
                    ParamError::new(
                        "schedule.where",
                        format!("of the entry at step {}: {message}", entry.at),
                    )
                })?;
            }
        }
        Ok(())
    }

    /// Set parameters by key (`accountability.penalty`), each validated as in a scenario
    /// file, then the whole as a file's would be; `source` names where the settings come
    /// from in errors. `hierarchy.tree` cannot be set this way (it names a file).
    pub fn set(
        &mut self,
        settings: &[(String, toml::Value)],
        source: &str,
    ) -> Result<(), ScenarioError> {
        for (key, value) in settings {
            if key == "hierarchy.tree" {
                return Err(ScenarioError::invalid(
                    source,
                    key,
                    "cannot be set here; write it in the scenario file",
                ));
            }
            let spec = lookup(key).ok_or_else(|| unknown_key(source, key, key, None))?;
            spec.set(&mut self.params, value)
                .map_err(|error| ScenarioError::invalid(source, key, error.message))?;
        }
        check_consistency(&self.params)
            .map_err(|ParamError { key, message }| ScenarioError::invalid(source, key, message))?;
        self.check_wheres()
            .map_err(|ParamError { key, message }| ScenarioError::invalid(source, key, message))
    }

    /// Override the run settings given on the command line, re-checking the schedule.
    pub fn override_run(&mut self, run: &RunOverride) -> Result<(), ScenarioError> {
        let RunOverride {
            steps,
            replicates,
            seed,
            until_settled,
        } = *run;
        if until_settled {
            self.params.run.until_settled = true;
            registry::check_consistency(&self.params).map_err(|error| ScenarioError::Override {
                flag: "--until-settled",
                message: format!("scenario `{}`: {error}", self.name),
            })?;
            let most = self.params.run.max_steps;
            if let Some(entry) = self.schedule.iter().find(|entry| entry.at >= most) {
                return Err(ScenarioError::Override {
                    flag: "--until-settled",
                    message: format!(
                        "scenario `{}` has a schedule entry at step {}, not before run.max_steps ({most})",
                        self.name, entry.at
                    ),
                });
            }
        }
        if let Some(steps) = steps {
            if steps == 0 || steps > registry::MAX_STEPS {
                return Err(ScenarioError::Override {
                    flag: "--steps",
                    message: format!("must be in 1..={}, got {steps}", registry::MAX_STEPS),
                });
            }
            if self.params.run.burn_in >= steps {
                // Keep the equilibrium window in proportion: the second half of the run.
                self.params.run.burn_in = steps / 2;
            }
            // The run will have exactly `steps` steps, whether or not it was to run until
            // settled.
            if let Some(entry) = self.schedule.iter().find(|entry| entry.at >= steps) {
                return Err(ScenarioError::Override {
                    flag: "--steps",
                    message: format!(
                        "{steps} ends the run before the schedule entry at step {} of scenario `{}`",
                        entry.at, self.name
                    ),
                });
            }
            self.params.run.steps = steps;
            // An explicit length wins over running until settled.
            self.params.run.until_settled = false;
        }
        if let Some(replicates) = replicates {
            if replicates == 0 || replicates > registry::MAX_REPLICATES {
                return Err(ScenarioError::Override {
                    flag: "--replicates",
                    message: format!(
                        "must be in 1..={}, got {replicates}",
                        registry::MAX_REPLICATES
                    ),
                });
            }
            self.params.run.replicates = replicates;
        }
        if let Some(seed) = seed {
            self.params.run.seed = seed;
        }
        Ok(())
    }
}
/// A sweep is named by its file (its directory, the scenarios of its points): refuse a file
/// whose name without `.toml` is not a plain name, suggesting one that is.
pub fn check_file_name(stem: &str, file: &str) -> Result<(), ScenarioError> {
    if is_plain_name(stem) {
        return Ok(());
    }
    let plain: String = stem
        .chars()
        .map(|c| match c {
            c if c.is_ascii_alphanumeric() || matches!(c, '_' | '.') => c,
            _ => '-',
        })
        .take(100)
        .collect();
    let plain = plain.trim_start_matches(['.', '-']).trim_end_matches('-');
    let suggestion = if plain.is_empty() { "sweep" } else { plain };
    Err(ScenarioError::Invalid {
        file: file.to_string(),
        key: "file name".to_string(),
        message:
        format!(
            "{stem:?}: a sweep is named by its file, and the name must be 1-100 characters of letters, digits, '-', '_' or '.', not starting with '.'; rename the file, e.g. to {suggestion}.toml"
        ),
    })
}

/// The base scenario: `base` (a file relative to the sweep file), then the sweep file's own
/// sections over it. The base file is validated on its own first, so its errors name it.
pub fn base_scenario(
    table: toml::Table,
    path: &Path,
    file: &str,
    stem: &str,
    own: &str,
) -> Result<Scenario, ScenarioError> {
    check_file_keys(&table, file, own)?;
    let mut table = table;
    let mut merged = match table.remove("base") {
        None => toml::Table::new(),
        Some(toml::Value::String(base)) => {
            let base_path = path.parent().unwrap_or(Path::new(".")).join(&base);
            let base_file = base_path.display().to_string();
            let base_text =
                std::fs::read_to_string(&base_path).map_err(|error| ScenarioError::Invalid {
                    file: file.to_string(),
                    key: "base".to_string(),
                    message: format!("cannot read {base_file}: {error}"),
                })?;
            let base_table = parse_table(&base_text, &base_file)?;
            from_table(&base_table, &base_file, stem)?;
            base_table
        }
        Some(other) => {
            return Err(ScenarioError::Invalid {
                file: file.to_string(),
                key: "base".to_string(),
                message: format!(
                    "must be a path string, got {}",
                    registry::describe_value(&other)
                ),
            })
        }
    };
    for (key, value) in table {
        match (merged.get_mut(&key), value) {
            (Some(toml::Value::Table(existing)), toml::Value::Table(inline)) => {
                for (inner, value) in inline {
                    existing.insert(inner, value);
                }
            }
            (_, value) => {
                merged.insert(key, value);
            }
        }
    }
    // A sweep is named by its file; the base scenario's own name does not carry over.
    merged.remove("name");
    from_table(&merged, file, stem)
}
