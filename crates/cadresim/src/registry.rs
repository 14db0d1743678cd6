//! The parameter registry: every scenario key as `section.key`, its kind, allowed values,
//! default and meaning. Scenario loading, schedule validation and `cadresim params` all read
//! this one table, so what is documented is what is validated.

use crate::metrics::WHOLE_HIERARCHY;
use crate::params::{
    Decomposition, ErrorClass, LevelSpec, Markup, Params, Rule, TableFormat, TreeRef,
    MAX_INNOVATION_LEVELS,
};

/// Largest number of steps a run may have (streams are keyed by 24 bits of step).
pub const MAX_STEPS: u64 = 1 << 24;
/// Largest number of replicates of one scenario.
pub const MAX_REPLICATES: u64 = 1_000_000;
/// Keys a schedule may not change: the number of innovation levels fixes the action set
/// that every cadre's attractions are defined over.
pub const UNSCHEDULABLE: [&str; 1] = ["work.innovation_levels"];

/// Largest number of hierarchy levels.
pub const MAX_LEVELS: usize = 8;

/// A parameter value the model cannot use: the key and what is allowed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("`{key}` {message}")]
pub struct ParamError {
    /// `section.key`.
    pub key: String,
    pub message: String,
}

impl ParamError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        ParamError {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Whether `prefix` (`section.group`) is a group of keys written as a table of its own,
/// such as `[accountability.forms]`.
pub fn is_group(prefix: &str) -> bool {
    PARAMS.iter().any(|spec| {
        spec.key
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// A TOML number as a real (None for anything else).
fn number_of(value: &toml::Value) -> Option<f64> {
    match value {
        toml::Value::Float(number) => Some(*number),
        toml::Value::Integer(number) => Some(*number as f64),
        _ => None,
    }
}

/// Four numbers in [0, 1] whose sum is 1 (to 1e-9). Refused: the sum of the four numbers
/// given, for the error, or None when the value is not four numbers.
fn parse_shares(value: &toml::Value) -> Result<[f64; 4], Option<f64>> {
    let items = value
        .as_array()
        .filter(|items| items.len() == 4)
        .ok_or(None)?;
    let mut shares = [0.0; 4];
    for (share, item) in shares.iter_mut().zip(items) {
        *share = number_of(item).ok_or(None)?;
    }
    let sum = shares.iter().sum::<f64>();
    let shares_of_one = shares
        .iter()
        .all(|share| Range::Probability.contains(*share))
        && (sum - 1.0).abs() <= 1e-9;
    match shares_of_one {
        true => Ok(shares),
        false => Err(Some(sum)),
    }
}

/// Largest magnitude of a real parameter that is not a probability: far beyond any
/// meaningful value, small enough that payoffs summed over millions of cadres stay finite.
pub const MAX_MAGNITUDE: f64 = 1e6;
/// Smallest value of a strictly positive parameter (targets and shape parameters divide).
pub const MIN_POSITIVE: f64 = 1e-6;
/// Largest standard deviation of a log-normal multiplier (exp(5 z) stays finite for any z a
/// normal draw yields).
pub const MAX_LOG_SD: f64 = 5.0;

/// The numeric range a real-valued parameter accepts (always finite and bounded, so that
/// every value that passes gives finite results).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Range {
    /// In [-MAX_MAGNITUDE, MAX_MAGNITUDE].
    Any,
    /// In [0, MAX_MAGNITUDE].
    NonNegative,
    /// In [MIN_POSITIVE, MAX_MAGNITUDE].
    Positive,
    /// In [0, 1].
    Probability,
    /// In [1, MAX_MAGNITUDE].
    AtLeastOne,
    /// In (0, 1].
    OpenUnit,
    /// A log-normal standard deviation, in [0, MAX_LOG_SD].
    LogSd,
}

impl Range {
    fn contains(self, value: f64) -> bool {
        value.is_finite()
            && match self {
                Range::Any => value.abs() <= MAX_MAGNITUDE,
                Range::NonNegative => (0.0..=MAX_MAGNITUDE).contains(&value),
                Range::Positive => (MIN_POSITIVE..=MAX_MAGNITUDE).contains(&value),
                Range::Probability => (0.0..=1.0).contains(&value),
                Range::AtLeastOne => (1.0..=MAX_MAGNITUDE).contains(&value),
                Range::OpenUnit => value > 0.0 && value <= 1.0,
                Range::LogSd => (0.0..=MAX_LOG_SD).contains(&value),
            }
    }

    fn describe(self) -> &'static str {
        match self {
            Range::Any => "a number in [-1e6, 1e6]",
            Range::NonNegative => "a number in [0, 1e6]",
            Range::Positive => "a number in [1e-6, 1e6]",
            Range::Probability => "a number in [0, 1]",
            Range::AtLeastOne => "a number in [1, 1e6]",
            Range::OpenUnit => "a number in (0, 1]",
            Range::LogSd => "a number in [0, 5]",
        }
    }
}

/// How a parameter is stored and what it accepts.
#[derive(Clone, Copy)]
pub enum Field {
    Real(fn(&mut Params) -> &mut f64, Range),
    Count(fn(&mut Params) -> &mut u64, u64, u64),
    Flag(fn(&mut Params) -> &mut bool),
    Rule,
    Decomposition,
    Scope,
    Markup,
    Levels,
    Tree,
    ByUnit,
    /// `output.effects`: true, false or "auto".
    Effects,
    /// `output.format`: "csv" or "parquet".
    Format,
    /// Four shares in [0, 1] summing to 1, one per form of discipline.
    Shares(fn(&mut Params) -> &mut [f64; 4]),
}

/// One parameter of the registry.
#[derive(Clone, Copy)]
pub struct ParamSpec {
    /// `section.key`.
    pub key: &'static str,
    pub field: Field,
    /// One-line meaning.
    pub meaning: &'static str,
    /// Values a researcher could defend, with the reason (numeric parameters of the model
    /// and of the measurement; None for run settings, the hierarchy and non-numeric keys).
    pub plausible: Option<Plausible>,
}

/// A plausible range of a numeric parameter and why.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plausible {
    pub low: f64,
    pub high: f64,
    /// One line: a source where one exists, else "modelling choice" and what the ends mean.
    pub reason: &'static str,
}

impl ParamSpec {
    pub fn section(&self) -> &'static str {
        self.key.split('.').next().unwrap_or("")
    }

    pub fn name(&self) -> &'static str {
        self.key.split_once('.').map_or("", |(_, name)| name)
    }

    /// Whether a `[[schedule]]` entry may change this parameter.
    pub fn schedulable(&self) -> bool {
        !matches!(self.section(), "run" | "hierarchy" | "output")
            && !UNSCHEDULABLE.contains(&self.key)
    }

    /// What the parameter accepts, in words.
    pub fn allowed(&self) -> String {
        match self.field {
            Field::Real(_, range) => range.describe().to_string(),
            Field::Count(_, min, max) if max == u64::MAX => format!("an integer >= {min}"),
            Field::Count(_, min, max) => format!("an integer in {min}..={max}"),
            Field::Flag(_) => "true or false".to_string(),
            Field::Rule => "\"satisficing\", \"logit\" or \"rational\"".to_string(),
            Field::Decomposition => "\"uniform\" or \"by-capacity\"".to_string(),
            Field::Scope => "a list of \"exploratory\", \"negligence\", \"violation\"".to_string(),
            Field::Markup => "a number in [0, 1e6], or a list of them, one per level".to_string(),
            Field::Levels => format!(
                "1 to {MAX_LEVELS} tables {{ name, branching >= 1, cadres >= 1 }}, names unique (without branching when hierarchy.tree is set)"
            ),
            Field::ByUnit => "the name of a level of hierarchy.levels".to_string(),
            Field::Effects => "true, false or \"auto\"".to_string(),
            Field::Format => "\"csv\" or \"parquet\"".to_string(),
            Field::Shares(_) => {
                "a list of 4 shares in [0, 1] summing to 1 (talk, light, heavy, prosecution)"
                    .to_string()
            }
            Field::Tree => "the path of a CSV file of units (code, name, parent, level), relative to the scenario file".to_string(),
        }
    }

    /// The parameter's value in `params`, as TOML text.
    pub fn value_text(&self, params: &Params) -> String {
        let mut params = params.clone();
        match self.field {
            Field::Real(get, _) => format_real(*get(&mut params)),
            Field::Count(get, _, _) => get(&mut params).to_string(),
            Field::Flag(get) => get(&mut params).to_string(),
            Field::Rule => format!("\"{}\"", rule_name(params.behaviour.rule)),
            Field::Decomposition => {
                format!("\"{}\"", decomposition_name(params.targets.decomposition))
            }
            Field::Scope => {
                let names: Vec<String> = params
                    .fault_tolerance
                    .scope
                    .iter()
                    .map(|class| format!("\"{}\"", class.name()))
                    .collect();
                format!("[{}]", names.join(", "))
            }
            Field::Markup => match &params.targets.markup {
                Markup::Scalar(value) => format_real(*value),
                Markup::PerLevel(values) => {
                    let texts: Vec<String> = values.iter().map(|v| format_real(*v)).collect();
                    format!("[{}]", texts.join(", "))
                }
            },
            Field::Levels => {
                let texts: Vec<String> = params
                    .hierarchy
                    .levels
                    .iter()
                    .map(|level| match level.branching {
                        Some(branching) => format!("{}:{}x{}", level.name, branching, level.cadres),
                        None => format!("{}:{}", level.name, level.cadres),
                    })
                    .collect();
                texts.join(", ")
            }
            Field::ByUnit => match &params.output.by_unit {
                Some(level) => format!("{level:?}"),
                None => "none".to_string(),
            },
            Field::Tree => match &params.hierarchy.tree {
                Some(tree) => format!("{:?}", tree.file),
                None => "none".to_string(),
            },
            Field::Effects => match params.output.effects {
                Some(flag) => flag.to_string(),
                None => "\"auto\"".to_string(),
            },
            Field::Format => format!("\"{}\"", params.output.format.name()),
            Field::Shares(get) => {
                let texts: Vec<String> = get(&mut params).iter().map(|v| format_real(*v)).collect();
                format!("[{}]", texts.join(", "))
            }
        }
    }

    /// Set the parameter from a TOML value; the error says what is allowed.
    pub fn set(&self, params: &mut Params, value: &toml::Value) -> Result<(), ParamError> {
        let wrong = || {
            ParamError::new(
                self.key,
                format!("must be {}, got {}", self.allowed(), describe_value(value)),
            )
        };
        match self.field {
            Field::Real(get, range) => {
                let number = match value {
                    toml::Value::Float(number) => *number,
                    toml::Value::Integer(number) => *number as f64,
                    _ => return Err(wrong()),
                };
                if !range.contains(number) {
                    return Err(wrong());
                }
                *get(params) = number;
            }
            Field::Count(get, min, max) => {
                let number = match value {
                    toml::Value::Integer(number) if *number >= 0 => *number as u64,
                    _ => return Err(wrong()),
                };
                if number < min || number > max {
                    return Err(wrong());
                }
                *get(params) = number;
            }
            Field::Flag(get) => match value {
                toml::Value::Boolean(flag) => *get(params) = *flag,
                _ => return Err(wrong()),
            },
            Field::Rule => {
                params.behaviour.rule = match value.as_str() {
                    Some("satisficing") => Rule::Satisficing,
                    Some("logit") => Rule::Logit,
                    Some("rational") => Rule::Rational,
                    _ => return Err(wrong()),
                }
            }
            Field::Decomposition => {
                params.targets.decomposition = match value.as_str() {
                    Some("uniform") => Decomposition::Uniform,
                    Some("by-capacity") => Decomposition::ByCapacity,
                    _ => return Err(wrong()),
                }
            }
            Field::Scope => params.fault_tolerance.scope = self.parse_scope(value)?,
            Field::Markup => params.targets.markup = parse_markup(value).ok_or_else(wrong)?,
            Field::Levels => {
                params.hierarchy.levels = parse_levels(value, self)?;
            }
            Field::Shares(get) => {
                *get(params) = parse_shares(value).map_err(|sum| match sum {
                    Some(sum) => ParamError::new(
                        self.key,
                        format!(
                            "must be {}, got {} (sum {})",
                            self.allowed(),
                            describe_value(value),
                            format_real(sum)
                        ),
                    ),
                    None => wrong(),
                })?
            }
            Field::Tree => {
                params.hierarchy.tree = Some(parse_tree(value).ok_or_else(wrong)?);
            }
            Field::ByUnit => {
                let level = value.as_str().filter(|name| !name.is_empty());
                params.output.by_unit = Some(level.ok_or_else(wrong)?.to_string());
            }
            Field::Effects => {
                params.output.effects = match value {
                    toml::Value::Boolean(flag) => Some(*flag),
                    toml::Value::String(text) if text == "auto" => None,
                    _ => return Err(wrong()),
                }
            }
            Field::Format => {
                let name = value.as_str().ok_or_else(wrong)?;
                params.output.format = TableFormat::named(name).ok_or_else(wrong)?;
            }
        }
        Ok(())
    }
}

impl ParamSpec {
    /// A list of error classes, each once, in order.
    fn parse_scope(&self, value: &toml::Value) -> Result<Vec<ErrorClass>, ParamError> {
        let wrong = |what: &toml::Value, suffix: &str| {
            ParamError::new(
                self.key,
                format!(
                    "must be {}, got {}{suffix}",
                    self.allowed(),
                    describe_value(what)
                ),
            )
        };
        let items = value.as_array().ok_or_else(|| wrong(value, ""))?;
        let mut scope = Vec::new();
        for item in items {
            let class = match item.as_str() {
                Some("exploratory") => ErrorClass::Exploratory,
                Some("negligence") => ErrorClass::Negligence,
                Some("violation") => ErrorClass::Violation,
                _ => return Err(wrong(item, " in the list")),
            };
            if !scope.contains(&class) {
                scope.push(class);
            }
        }
        scope.sort();
        Ok(scope)
    }
}

/// A markup: one non-negative number, or a list of them (one per level).
fn parse_markup(value: &toml::Value) -> Option<Markup> {
    let as_markup = |item: &toml::Value| {
        match item {
            toml::Value::Float(number) => Some(*number),
            toml::Value::Integer(number) => Some(*number as f64),
            _ => None,
        }
        .filter(|number| Range::NonNegative.contains(*number))
    };
    Some(match value {
        toml::Value::Array(items) => {
            Markup::PerLevel(items.iter().map(as_markup).collect::<Option<Vec<f64>>>()?)
        }
        scalar => Markup::Scalar(as_markup(scalar)?),
    })
}

/// A tree reference: a path as written in a scenario file, or `{ file, sha256 }` as a
/// manifest records it. The units are read by the scenario reader.
fn parse_tree(value: &toml::Value) -> Option<TreeRef> {
    match value {
        toml::Value::String(file) if !file.is_empty() => Some(TreeRef {
            file: file.clone(),
            ..TreeRef::default()
        }),
        toml::Value::Table(_) => value.clone().try_into().ok(),
        _ => None,
    }
}

/// The levels of `[[hierarchy.levels]]`; errors say which level is wrong and how.
fn parse_levels(value: &toml::Value, spec: &ParamSpec) -> Result<Vec<LevelSpec>, ParamError> {
    let bad = |why: String| ParamError::new(spec.key, format!("must be {}: {why}", spec.allowed()));
    let items = value
        .as_array()
        .ok_or_else(|| bad(format!("got {}", describe_value(value))))?;
    let mut levels = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let table = item
            .as_table()
            .ok_or_else(|| bad(format!("level {index} is {}", describe_value(item))))?;
        for key in table.keys() {
            if !matches!(key.as_str(), "name" | "branching" | "cadres") {
                return Err(bad(format!("level {index} has unknown key `{key}`")));
            }
        }
        let name = table
            .get("name")
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad(format!("level {index} needs a string `name`")))?;
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err(bad(format!(
                "level {index} `name` {name:?} must be non-empty, without control characters"
            )));
        }
        let count = |key: &str| -> Result<u64, ParamError> {
            match table.get(key) {
                Some(toml::Value::Integer(n)) if *n >= 1 => Ok(*n as u64),
                Some(other) => Err(bad(format!(
                    "level {index} `{key}` must be an integer >= 1, got {}",
                    describe_value(other)
                ))),
                None => Err(bad(format!("level {index} needs `{key}`"))),
            }
        };
        levels.push(LevelSpec {
            name: name.to_string(),
            branching: match table.get("branching") {
                Some(_) => Some(count("branching")?),
                None => None,
            },
            cadres: count("cadres")?,
        });
    }
    Ok(levels)
}

/// A short description of a TOML value for error messages.
pub fn describe_value(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) if text.chars().count() > 60 => {
            let start: String = text.chars().take(57).collect();
            format!("the string {:?}", start + "...")
        }
        toml::Value::String(text) => format!("the string {text:?}"),
        toml::Value::Integer(number) => number.to_string(),
        toml::Value::Float(number) => format_real(*number),
        toml::Value::Boolean(flag) => flag.to_string(),
        toml::Value::Datetime(_) => "a date".to_string(),
        toml::Value::Array(items) => describe_list(items),
        toml::Value::Table(_) => "a table".to_string(),
    }
}

/// A short list of plain values as written (`[0.5, 0.5]`), a long one by its length.
fn describe_list(items: &[toml::Value]) -> String {
    let plain = |item: &toml::Value| !matches!(item, toml::Value::Array(_) | toml::Value::Table(_));
    if items.is_empty() {
        return "an empty list".to_string();
    }
    if !items.iter().all(plain) {
        return "a nested list".to_string();
    }
    if items.len() > 8 {
        return format!("a list of {} values", items.len());
    }
    let texts: Vec<String> = items
        .iter()
        .map(|item| match item {
            toml::Value::String(text) => format!("{text:?}"),
            other => describe_value(other),
        })
        .collect();
    format!("[{}]", texts.join(", "))
}

/// A real as TOML writes it (always with a decimal point or exponent).
pub fn format_real(value: f64) -> String {
    if value.is_nan() {
        "nan".to_string()
    } else if value.is_infinite() {
        if value > 0.0 { "inf" } else { "-inf" }.to_string()
    } else if value == value.trunc() && value.abs() < 1e15 {
        format!("{value:.1}")
    } else {
        format!("{value}")
    }
}

pub fn rule_name(rule: Rule) -> &'static str {
    match rule {
        Rule::Satisficing => "satisficing",
        Rule::Logit => "logit",
        Rule::Rational => "rational",
    }
}

pub fn decomposition_name(decomposition: Decomposition) -> &'static str {
    match decomposition {
        Decomposition::Uniform => "uniform",
        Decomposition::ByCapacity => "by-capacity",
    }
}

/// The sections of a scenario file, in order.
pub const SECTIONS: [&str; 11] = [
    "run",
    "hierarchy",
    "targets",
    "cadres",
    "work",
    "accountability",
    "fault_tolerance",
    "incentives",
    "behaviour",
    "equilibrium",
    "output",
];

/// Keys that no longer exist, with the key that replaced them.
pub const RENAMED: [(&str, &str); 2] = [
    (
        "equilibrium.passive_not_innovating",
        "equilibrium.lazy_innovation",
    ),
    (
        "equilibrium.innovative_share",
        "equilibrium.innovative_innovation",
    ),
];

/// What to say of a key that was replaced: its replacement and why.
pub fn replaced(key: &str) -> Option<String> {
    RENAMED.iter().find(|(old, _)| *old == key).map(|(_, new)| {
        format!("was replaced by `{new}`: the equilibrium classes are now abusive, lazy-idle, lazy-routine, innovative and mixed (docs/MODEL.md §7.11), decided by share_idle and mean_innovation")
    })
}

/// Find a parameter by `section.key`.
pub fn lookup(key: &str) -> Option<&'static ParamSpec> {
    PARAMS.iter().find(|spec| spec.key == key)
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

use Field::{Count, Flag, Real};
use Range::{Any, AtLeastOne, LogSd, NonNegative, OpenUnit, Positive, Probability};

/// Every parameter, in section order.
pub static PARAMS: &[ParamSpec] = &[
    ParamSpec { key: "run.steps", field: Count(|p| &mut p.run.steps, 1, MAX_STEPS), meaning: "number of steps (annual assessment cycles) of a run", plausible: None },
    ParamSpec { key: "run.burn_in", field: Count(|p| &mut p.run.burn_in, 0, MAX_STEPS), meaning: "first step of the equilibrium window (must be < steps)", plausible: None },
    ParamSpec { key: "run.replicates", field: Count(|p| &mut p.run.replicates, 1, MAX_REPLICATES), meaning: "independent replicates of the scenario", plausible: None },
    ParamSpec { key: "run.until_settled", field: Flag(|p| &mut p.run.until_settled), meaning: "run the replicates until the long-run rule finds them long enough (MSER-5 warm-up, fitted relaxation, drift between doublings, stationarity, precision; docs/MODEL.md §7.11), instead of run.steps", plausible: None },
    ParamSpec { key: "run.max_steps", field: Count(|p| &mut p.run.max_steps, 1, MAX_STEPS), meaning: "with run.until_settled: the most steps a replicate may take (at least 200; one that reaches it is reported as not settled)", plausible: None },
    ParamSpec { key: "run.precision", field: Real(|p| &mut p.run.precision, Probability), meaning: "with run.until_settled: relative precision asked of the long-run mean innovation (standard error at most this share of it, never below 0.002; the fitted relaxation's remaining bias at most half that; 0: never precise enough, every run goes to run.max_steps)", plausible: None },
    ParamSpec { key: "run.seed", field: Count(|p| &mut p.run.seed, 0, i64::MAX as u64), meaning: "master seed; replicate r uses the streams of (seed, r)", plausible: None },
    ParamSpec { key: "hierarchy.levels", field: Field::Levels, meaning: "layers below the centre, top first: units per parent unit and cadres per unit", plausible: None },
    ParamSpec { key: "hierarchy.tree", field: Field::Tree, meaning: "the units themselves, one CSV row each (code, name, parent, level), instead of uniform branching", plausible: None },
    ParamSpec { key: "targets.central", field: Real(|p| &mut p.targets.central, Positive), meaning: "per-cadre target set by the centre", plausible: Some(Plausible { low: 0.5, high: 2.0, reason: "modelling choice: the target's scale against ability (mean 1), half to twice" }) },
    ParamSpec { key: "targets.markup", field: Field::Markup, meaning: "markup each level adds to its parent's target (scalar or one per level)", plausible: Some(Plausible { low: 0.0, high: 0.2, reason: "the founding paper describes a markup at every layer (层层加码) without its size; 0-20% per layer is a modelling choice" }) },
    ParamSpec { key: "targets.decomposition", field: Field::Decomposition, meaning: "uniform targets, or each unit's own target scaled by its capacity", plausible: None },
    ParamSpec { key: "targets.miss_penalty", field: Real(|p| &mut p.targets.miss_penalty, NonNegative), meaning: "payoff lost per unit of target shortfall", plausible: Some(Plausible { low: 0.5, high: 2.0, reason: "modelling choice: half to twice one step's salary per unit of shortfall" }) },
    ParamSpec { key: "targets.adaptive_markup", field: Real(|p| &mut p.targets.adaptive_markup, NonNegative), meaning: "step by which a unit raises its markup when its jurisdiction misses (0 = fixed markups)", plausible: Some(Plausible { low: 0.0, high: 0.05, reason: "modelling choice: 0 keeps the paper's fixed markups; up to 5 points a step when a jurisdiction misses" }) },
    ParamSpec { key: "targets.markup_max", field: Real(|p| &mut p.targets.markup_max, NonNegative), meaning: "upper bound of adaptive markups (>= every markup)", plausible: Some(Plausible { low: 0.3, high: 0.8, reason: "modelling choice: a ceiling on adaptive markups, above every fixed markup" }) },
    ParamSpec { key: "cadres.ability_sd", field: Real(|p| &mut p.cadres.ability_sd, LogSd), meaning: "log-sd of cadre ability (mean 1)", plausible: Some(Plausible { low: 0.1, high: 0.4, reason: "modelling choice: modest to wide spread of ability" }) },
    ParamSpec { key: "cadres.capacity_sd", field: Real(|p| &mut p.cadres.capacity_sd, LogSd), meaning: "log-sd of unit capacity (mean 1)", plausible: Some(Plausible { low: 0.05, high: 0.3, reason: "modelling choice: near-equal to uneven unit capacities" }) },
    ParamSpec { key: "cadres.psm_alpha", field: Real(|p| &mut p.cadres.psm_alpha, Positive), meaning: "Beta alpha of public-service motivation", plausible: Some(Plausible { low: 1.0, high: 4.0, reason: "modelling choice: Beta shapes from flat (1) to concentrated (4) public-service motivation" }) },
    ParamSpec { key: "cadres.psm_beta", field: Real(|p| &mut p.cadres.psm_beta, Positive), meaning: "Beta beta of public-service motivation", plausible: Some(Plausible { low: 1.0, high: 4.0, reason: "modelling choice: Beta shapes from flat (1) to concentrated (4) public-service motivation" }) },
    ParamSpec { key: "cadres.opportunist_share", field: Real(|p| &mut p.cadres.opportunist_share, Probability), meaning: "share of recruits who may disguise rent-seeking as reform", plausible: Some(Plausible { low: 0.02, high: 0.25, reason: "modelling choice: from a few to a quarter of recruits who would disguise rent-seeking as reform" }) },
    ParamSpec { key: "cadres.turnover", field: Real(|p| &mut p.cadres.turnover, Probability), meaning: "yearly probability that a cadre leaves", plausible: Some(Plausible { low: 0.01, high: 0.08, reason: "modelling choice: yearly exits from long careers (1%) to frequent rotation (8%)" }) },
    ParamSpec { key: "cadres.selection_ability", field: Real(|p| &mut p.cadres.selection_ability, Any), meaning: "a: recruits' log-ability shifts by -a (I - 1), I the enforcement intensity (detection over an error's life, d*, x penalty over the default's 0.5 x 8)", plausible: Some(Plausible { low: 0.0, high: 0.2, reason: "0 = no selection; Jiang, Shao & Zhang (The Price of Probity, 2020) find stronger anticorruption enforcement lowers recruits' ability: a > 0, size a modelling choice" }) },
    ParamSpec { key: "cadres.selection_opportunism", field: Real(|p| &mut p.cadres.selection_opportunism, Any), meaning: "b: the share of opportunists among recruits is opportunist_share x exp(-b (I - 1)), at most 1", plausible: Some(Plausible { low: -0.5, high: 1.0, reason: "0 = no selection; enforcement deters rent-seekers (b > 0), while Jiang, Shao & Zhang (2020) find entry shifting to the well connected (b < 0 possible): a modelling choice" }) },
    ParamSpec { key: "work.salary", field: Real(|p| &mut p.work.salary, Any), meaning: "fixed payoff per step", plausible: Some(Plausible { low: 0.5, high: 2.0, reason: "modelling choice: the fixed payoff, half to twice the unit" }) },
    ParamSpec { key: "work.idle_effort", field: Real(|p| &mut p.work.idle_effort, Probability), meaning: "effort of an idle cadre (routine and innovation: 1)", plausible: Some(Plausible { low: 0.2, high: 0.6, reason: "modelling choice: how little an idle cadre still does" }) },
    ParamSpec { key: "work.effort_cost", field: Real(|p| &mut p.work.effort_cost, NonNegative), meaning: "payoff cost per unit of effort", plausible: Some(Plausible { low: 0.15, high: 0.5, reason: "modelling choice: cost of full effort, about half to one and a half times the default" }) },
    ParamSpec { key: "work.innovation_levels", field: Count(|p| &mut p.work.innovation_levels, 1, MAX_INNOVATION_LEVELS), meaning: "K: innovation intensities k/K, k = 1..K", plausible: Some(Plausible { low: 2.0, high: 8.0, reason: "modelling choice: coarse to fine innovation intensities" }) },
    ParamSpec { key: "work.innovation_cost", field: Real(|p| &mut p.work.innovation_cost, NonNegative), meaning: "payoff cost per unit of innovation intensity", plausible: Some(Plausible { low: 0.1, high: 0.4, reason: "modelling choice: half to twice the default cost of innovating" }) },
    ParamSpec { key: "work.innovation_success", field: Real(|p| &mut p.work.innovation_success, Probability), meaning: "probability that honest innovation succeeds", plausible: Some(Plausible { low: 0.3, high: 0.7, reason: "modelling choice: exploratory reforms succeed less or more often than not" }) },
    ParamSpec { key: "work.innovation_gain", field: Real(|p| &mut p.work.innovation_gain, NonNegative), meaning: "extra output per unit of successful innovation", plausible: Some(Plausible { low: 0.6, high: 2.0, reason: "modelling choice: half to nearly twice the default return of a success" }) },
    ParamSpec { key: "work.psm_weight", field: Real(|p| &mut p.work.psm_weight, NonNegative), meaning: "intrinsic payoff of honest innovation per unit of psm and intensity", plausible: Some(Plausible { low: 0.1, high: 0.8, reason: "modelling choice: weak to strong intrinsic reward of honest innovation" }) },
    ParamSpec { key: "work.routine_error", field: Real(|p| &mut p.work.routine_error, Probability), meaning: "negligence probability at effort 1 (times proneness)", plausible: Some(Plausible { low: 0.005, high: 0.05, reason: "modelling choice: routine negligence from rare to one case in twenty" }) },
    ParamSpec { key: "work.innovation_error", field: Real(|p| &mut p.work.innovation_error, Probability), meaning: "exploratory-error probability at intensity 1 (times proneness)", plausible: Some(Plausible { low: 0.05, high: 0.3, reason: "modelling choice: exploratory errors from rare to common (the paper: 'do more, err more')" }) },
    ParamSpec { key: "work.violation_error", field: Real(|p| &mut p.work.violation_error, Probability), meaning: "violation probability of self-serving 'reform' at intensity 1", plausible: Some(Plausible { low: 0.15, high: 0.5, reason: "modelling choice: violations of self-serving 'reform' at full intensity" }) },
    ParamSpec { key: "work.error_damage", field: Real(|p| &mut p.work.error_damage, NonNegative), meaning: "public loss of an error that is caught and sanctioned", plausible: Some(Plausible { low: 0.5, high: 2.0, reason: "modelling choice: half to twice the default loss of a caught error" }) },
    ParamSpec { key: "work.damage_persistence", field: Real(|p| &mut p.work.damage_persistence, AtLeastOne), meaning: "damage multiplier of an error never corrected", plausible: Some(Plausible { low: 1.5, high: 4.0, reason: "modelling choice: an uncorrected error costs 1.5 to 4 times a corrected one" }) },
    ParamSpec { key: "work.self_serving_rate", field: Real(|p| &mut p.work.self_serving_rate, Probability), meaning: "probability that an opportunist's innovation is self-serving", plausible: Some(Plausible { low: 0.25, high: 0.75, reason: "modelling choice: how often an opportunist's 'reform' serves itself" }) },
    ParamSpec { key: "work.private_gain", field: Real(|p| &mut p.work.private_gain, NonNegative), meaning: "private gain per unit of intensity of self-serving 'reform'", plausible: Some(Plausible { low: 0.4, high: 1.6, reason: "modelling choice: half to twice the default private gain" }) },
    ParamSpec { key: "work.corruption_opportunity", field: Real(|p| &mut p.work.corruption_opportunity, Probability), meaning: "probability per step that an opportunist who is not self-serving meets a chance of private gain outside reform (taken when worth more than its expected sanction)", plausible: Some(Plausible { low: 0.0, high: 0.5, reason: "0 = misconduct only inside innovation (the specification); up to every other year: modelling choice" }) },
    ParamSpec { key: "work.corruption_social_cost", field: Real(|p| &mut p.work.corruption_social_cost, NonNegative), meaning: "social cost per unit of private gain beyond the transfer itself (subtracted from welfare)", plausible: Some(Plausible { low: 0.0, high: 2.0, reason: "0 = a pure transfer; corruption distorts allocation beyond the bribe (Shleifer & Vishny, QJE 1993): up to twice the gain, a modelling choice" }) },
    ParamSpec { key: "accountability.detection", field: Real(|p| &mut p.accountability.detection, Probability), meaning: "probability that a new error is detected", plausible: Some(Plausible { low: 0.2, high: 0.8, reason: "modelling choice: from one detected error in five to four in five (inspection varies by sector and campaign)" }) },
    ParamSpec { key: "accountability.penalty", field: Real(|p| &mut p.accountability.penalty, NonNegative), meaning: "sanction of a detected, unexempted error", plausible: Some(Plausible { low: 2.0, high: 16.0, reason: "modelling choice: from a warning-level cost to a career-ending one (about 16 years' salary)" }) },
    ParamSpec { key: "accountability.one_vote_veto", field: Flag(|p| &mut p.accountability.one_vote_veto), meaning: "veto-class errors multiply the sanction, bar promotion and risk dismissal", plausible: None },
    ParamSpec { key: "accountability.veto_share", field: Real(|p| &mut p.accountability.veto_share, Probability), meaning: "probability that an error is veto-class", plausible: Some(Plausible { low: 0.05, high: 0.4, reason: "modelling choice: share of errors serious enough for the one-vote veto" }) },
    ParamSpec { key: "accountability.veto_multiplier", field: Real(|p| &mut p.accountability.veto_multiplier, AtLeastOne), meaning: "sanction multiplier of a veto", plausible: Some(Plausible { low: 1.5, high: 4.0, reason: "modelling choice: how much harder a veto-class error is punished" }) },
    ParamSpec { key: "accountability.veto_dismissal", field: Real(|p| &mut p.accountability.veto_dismissal, Probability), meaning: "probability that a vetoed cadre is dismissed", plausible: Some(Plausible { low: 0.2, high: 0.8, reason: "modelling choice: chance that a veto ends the post" }) },
    ParamSpec { key: "accountability.lifelong", field: Flag(|p| &mut p.accountability.lifelong), meaning: "lifelong accountability: latent errors can be detected in later steps", plausible: None },
    ParamSpec { key: "accountability.late_detection", field: Real(|p| &mut p.accountability.late_detection, Probability), meaning: "yearly detection probability of a latent error under lifelong accountability", plausible: Some(Plausible { low: 0.02, high: 0.2, reason: "modelling choice: yearly chance that an old error surfaces" }) },
    ParamSpec { key: "accountability.inaction_detection", field: Real(|p| &mut p.accountability.inaction_detection, Probability), meaning: "probability that an idle cadre is held to account for inaction", plausible: Some(Plausible { low: 0.0, high: 0.3, reason: "0 = inaction goes unpunished, the paper's 'do nothing, err never'; up to 0.3 as campaigns against inaction" }) },
    ParamSpec { key: "accountability.inaction_penalty", field: Real(|p| &mut p.accountability.inaction_penalty, NonNegative), meaning: "sanction for inaction", plausible: Some(Plausible { low: 0.5, high: 2.0, reason: "modelling choice: half to twice the default sanction for caught idleness" }) },
    ParamSpec { key: "accountability.forms.talk", field: Real(|p| &mut p.accountability.forms.talk, NonNegative), meaning: "severity of the first form of discipline (criticism, talks, written self-criticism), as a multiple of accountability.penalty", plausible: Some(Plausible { low: 0.0, high: 0.3, reason: "modelling choice: a talk costs reputation, not rank; up to 0.3 x penalty" }) },
    ParamSpec { key: "accountability.forms.light", field: Real(|p| &mut p.accountability.forms.light, NonNegative), meaning: "severity of the second form (light party or government discipline), as a multiple of accountability.penalty; the unit of severity (the specification's single sanction), so it has no plausible range of its own: varying it varies the penalty", plausible: None },
    ParamSpec { key: "accountability.forms.heavy", field: Real(|p| &mut p.accountability.forms.heavy, NonNegative), meaning: "severity of the third form (heavy discipline, demotion, major job adjustment), as a multiple of accountability.penalty", plausible: Some(Plausible { low: 1.5, high: 4.0, reason: "modelling choice: as harsh as a one-vote veto (veto_multiplier's range)" }) },
    ParamSpec { key: "accountability.forms.prosecution", field: Real(|p| &mut p.accountability.forms.prosecution, NonNegative), meaning: "severity of the fourth form (expulsion, criminal prosecution), as a multiple of accountability.penalty", plausible: Some(Plausible { low: 3.0, high: 12.0, reason: "modelling choice: loss of post, pension and liberty, several times a light sanction" }) },
    ParamSpec { key: "accountability.forms.exploratory", field: Field::Shares(|p| &mut p.accountability.forms.exploratory), meaning: "shares of the four forms for a sanctioned exploratory error (not veto-class)", plausible: None },
    ParamSpec { key: "accountability.forms.negligence", field: Field::Shares(|p| &mut p.accountability.forms.negligence), meaning: "shares of the four forms for a sanctioned negligence error (not veto-class)", plausible: None },
    ParamSpec { key: "accountability.forms.violation", field: Field::Shares(|p| &mut p.accountability.forms.violation), meaning: "shares of the four forms for a sanctioned violation (not veto-class)", plausible: None },
    ParamSpec { key: "accountability.forms.veto", field: Field::Shares(|p| &mut p.accountability.forms.veto), meaning: "shares of the four forms for a sanctioned veto-class error of any class (CCDI 2020 Q1, all cases: 0.709, 0.224, 0.032, 0.035)", plausible: None },
    ParamSpec { key: "accountability.reopen_rate", field: Real(|p| &mut p.accountability.reopen_rate, Probability), meaning: "under lifelong accountability: probability per step that each earlier exemption is re-opened and sanctioned", plausible: Some(Plausible { low: 0.0, high: 0.2, reason: "0 = exemptions are final; the founding paper names the conflict between lifelong accountability and tolerance without a rate: modelling choice up to one in five per year" }) },
    ParamSpec { key: "accountability.leadership_share", field: Real(|p| &mut p.accountability.leadership_share, NonNegative), meaning: "share of a sanctioned error's sanction borne, the next step, by the cadres of the parent unit (leadership responsibility), split equally", plausible: Some(Plausible { low: 0.0, high: 0.5, reason: "0 = no leadership responsibility; the accountability regulations hold leaders answerable for their subordinates: up to half the sanction, a modelling choice" }) },
    ParamSpec { key: "accountability.leadership_supervision", field: Real(|p| &mut p.accountability.leadership_supervision, NonNegative), meaning: "sigma: detection below a unit becomes 1 - (1 - d) exp(-sigma R), R the unit's recent leadership cost per cadre", plausible: Some(Plausible { low: 0.0, high: 1.0, reason: "0 = superiors do not tighten supervision; at 1 a recent cost of one salary per cadre closes 63% of the undetected gap: modelling choice" }) },
    ParamSpec { key: "accountability.enforcement_cost", field: Real(|p| &mut p.accountability.enforcement_cost, NonNegative), meaning: "public cost of one investigation (every detected error, re-opened exemption and caught idler; subtracted from welfare)", plausible: Some(Plausible { low: 0.0, high: 1.0, reason: "0 = free enforcement; up to a year's salary per case, a modelling choice" }) },
    ParamSpec { key: "fault_tolerance.enabled", field: Flag(|p| &mut p.fault_tolerance.enabled), meaning: "fault-tolerance mechanism in force", plausible: None },
    ParamSpec { key: "fault_tolerance.scope", field: Field::Scope, meaning: "error classes eligible for exemption (the three distinctions)", plausible: None },
    ParamSpec { key: "fault_tolerance.screening_accuracy", field: Real(|p| &mut p.fault_tolerance.screening_accuracy, Probability), meaning: "probability that an investigation judges eligibility correctly", plausible: Some(Plausible { low: 0.55, high: 1.0, reason: "modelling choice: from barely better than a coin to perfect screening of honest mistakes" }) },
    ParamSpec { key: "fault_tolerance.tolerate_veto", field: Flag(|p| &mut p.fault_tolerance.tolerate_veto), meaning: "veto-class errors may be exempted too", plausible: None },
    ParamSpec { key: "fault_tolerance.error_correction", field: Flag(|p| &mut p.fault_tolerance.error_correction), meaning: "exempted errors are corrected and the cadre learns from them", plausible: None },
    ParamSpec { key: "fault_tolerance.correction_efficacy", field: Real(|p| &mut p.fault_tolerance.correction_efficacy, Probability), meaning: "share of an exempted error's damage that correction removes", plausible: Some(Plausible { low: 0.3, high: 0.95, reason: "modelling choice: error correction from weak to nearly complete" }) },
    ParamSpec { key: "fault_tolerance.correction_learning", field: Real(|p| &mut p.fault_tolerance.correction_learning, Probability), meaning: "proportional fall of error proneness after a corrected error", plausible: Some(Plausible { low: 0.05, high: 0.4, reason: "modelling choice: how much a corrected cadre's proneness falls" }) },
    ParamSpec { key: "fault_tolerance.proneness_floor", field: Real(|p| &mut p.fault_tolerance.proneness_floor, Probability), meaning: "lowest error proneness correction can reach", plausible: Some(Plausible { low: 0.1, high: 0.5, reason: "modelling choice: the lowest proneness learning can reach" }) },
    ParamSpec { key: "fault_tolerance.approver_liability", field: Real(|p| &mut p.fault_tolerance.approver_liability, NonNegative), meaning: "cost to a peer group's screening body of an exemption found (with probability accountability.detection) to have covered a violation; the body learns how readily to grant exemptions", plausible: Some(Plausible { low: 0.0, high: 8.0, reason: "0 = the body bears nothing (the specification); up to a light sanction: practice studies find tolerance rules rarely invoked, symbolically or distortedly implemented (Zhang & Wang 2022), a modelling choice" }) },
    ParamSpec { key: "fault_tolerance.lists", field: Flag(|p| &mut p.fault_tolerance.lists), meaning: "published power, responsibility and tolerance lists make the exemption rule known; false: cadres deciding by expected payoff (behaviour.rule = rational) use the share of each class's detected errors their group has seen exempted", plausible: None },
    ParamSpec { key: "incentives.promotion_quota", field: Real(|p| &mut p.incentives.promotion_quota, OpenUnit), meaning: "share of each peer group promoted every step", plausible: Some(Plausible { low: 0.05, high: 0.3, reason: "modelling choice: share of a peer group promoted per step" }) },
    ParamSpec { key: "incentives.promotion_reward", field: Real(|p| &mut p.incentives.promotion_reward, NonNegative), meaning: "payoff of a promotion", plausible: Some(Plausible { low: 0.5, high: 4.0, reason: "modelling choice: half a year's to four years' salary as the value of promotion" }) },
    ParamSpec { key: "incentives.innovation_reward", field: Real(|p| &mut p.incentives.innovation_reward, NonNegative), meaning: "payoff of a successful innovation", plausible: Some(Plausible { low: 0.0, high: 1.0, reason: "0 = no reward for innovation, as under pressure alone; the bundled incentive scenarios use 0.5 (a modelling choice: the paper gives no number)" }) },
    ParamSpec { key: "incentives.target_weight", field: Real(|p| &mut p.incentives.target_weight, NonNegative), meaning: "tournament weight of target attainment", plausible: Some(Plausible { low: 0.5, high: 1.5, reason: "modelling choice: weight of target attainment in evaluation" }) },
    ParamSpec { key: "incentives.innovation_weight", field: Real(|p| &mut p.incentives.innovation_weight, NonNegative), meaning: "tournament weight of successful innovation intensity", plausible: Some(Plausible { low: 0.0, high: 1.0, reason: "0 = innovation not evaluated, as under pressure alone; the bundled incentive scenarios use 1 (a modelling choice: the paper gives no number)" }) },
    ParamSpec { key: "incentives.jurisdiction_weight", field: Real(|p| &mut p.incentives.jurisdiction_weight, NonNegative), meaning: "tournament weight of the unit's jurisdiction attainment (previous step)", plausible: Some(Plausible { low: 0.0, high: 1.0, reason: "modelling choice: from ignoring to weighing the jurisdiction's attainment" }) },
    ParamSpec { key: "incentives.seniority_weight", field: Real(|p| &mut p.incentives.seniority_weight, NonNegative), meaning: "tournament weight of tenure", plausible: Some(Plausible { low: 0.0, high: 1.0, reason: "modelling choice: from ignoring to weighing seniority" }) },
    ParamSpec { key: "incentives.evaluation_noise", field: Real(|p| &mut p.incentives.evaluation_noise, NonNegative), meaning: "sd of the normal noise in tournament scores", plausible: Some(Plausible { low: 0.05, high: 0.3, reason: "modelling choice: precise to noisy evaluation" }) },
    ParamSpec { key: "incentives.tenure_weight", field: Real(|p| &mut p.incentives.tenure_weight, Probability), meaning: "weight w of the tenure-average attainment in the tournament ((1 - w) x this step's + w x the mean over the cadre's steps in post)", plausible: Some(Plausible { low: 0.0, high: 1.0, reason: "0 = annual attainment only (the default); Li & Zhou (J. Public Econ. 2005) find promotion more sensitive to tenure-average than to annual performance, i.e. w > 0.5" }) },
    ParamSpec { key: "behaviour.rule", field: Field::Rule, meaning: "decision rule: aspiration learning, logit learning, or exact expected payoff", plausible: None },
    ParamSpec { key: "behaviour.rationality", field: Real(|p| &mut p.behaviour.rationality, NonNegative), meaning: "logit precision beta over attractions", plausible: Some(Plausible { low: 1.0, high: 16.0, reason: "modelling choice: logit precision from nearly random (1) to nearly best response (16)" }) },
    ParamSpec { key: "behaviour.recency", field: Real(|p| &mut p.behaviour.recency, Probability), meaning: "weight of this step's own felt payoff in the attraction", plausible: Some(Plausible { low: 0.05, high: 0.4, reason: "modelling choice: slow to fast forgetting of old payoffs" }) },
    ParamSpec { key: "behaviour.vicarious", field: Real(|p| &mut p.behaviour.vicarious, Probability), meaning: "weight of an observed peer's felt payoff", plausible: Some(Plausible { low: 0.02, high: 0.3, reason: "modelling choice: weight of peers' payoffs in learning" }) },
    ParamSpec { key: "behaviour.peers_observed", field: Count(|p| &mut p.behaviour.peers_observed, 0, 16), meaning: "peers observed per step (with replacement)", plausible: Some(Plausible { low: 1.0, high: 5.0, reason: "modelling choice: peers whose payoffs a cadre sees each step" }) },
    ParamSpec { key: "behaviour.loss_aversion", field: Real(|p| &mut p.behaviour.loss_aversion, AtLeastOne), meaning: "lambda: sanctions are felt lambda times", plausible: Some(Plausible { low: 1.5, high: 2.5, reason: "2.25 is Tversky & Kahneman's (1992) median estimate; later estimates mostly lie between 1.5 and 2.5" }) },
    ParamSpec { key: "behaviour.aspiration_rate", field: Real(|p| &mut p.behaviour.aspiration_rate, Probability), meaning: "speed at which aspiration follows payoff", plausible: Some(Plausible { low: 0.02, high: 0.4, reason: "modelling choice: sluggish to quick adjustment of aspirations" }) },
    ParamSpec { key: "behaviour.explore", field: Real(|p| &mut p.behaviour.explore, Probability), meaning: "probability that a satisfied cadre redraws anyway", plausible: Some(Plausible { low: 0.005, high: 0.05, reason: "modelling choice: rare to occasional random experimentation" }) },
    ParamSpec { key: "behaviour.socialization", field: Flag(|p| &mut p.behaviour.socialization), meaning: "recruits take their peer group's mean attractions", plausible: None },
    ParamSpec { key: "behaviour.socialization_weight", field: Real(|p| &mut p.behaviour.socialization_weight, Probability), meaning: "with socialization: weight w of the group's mean in a recruit's attractions (w x mean + (1 - w) x a fresh cadre's 0)", plausible: Some(Plausible { low: 0.0, high: 1.0, reason: "modelling choice: from recruits who ignore the prevailing culture (0) to recruits who take it whole (1, the default); the slow relaxation of the corps comes from this inheritance" }) },
    ParamSpec { key: "output.by_unit", field: Field::ByUnit, meaning: "record every unit of this level with its subtree (timeseries_by_unit.csv, summary_by_unit.csv)", plausible: None },
    ParamSpec { key: "output.series_every", field: Count(|p| &mut p.output.series_every, 0, MAX_STEPS), meaning: "timeseries.csv holds every this many steps from step 0 (below run.steps, or run.max_steps with run.until_settled); 0 chooses: every step for runs of run.steps, every ceil(steps / 2000) with run.until_settled (equilibria always use every step)", plausible: None },
    ParamSpec { key: "output.format", field: Field::Format, meaning: "how the run's tables are stored: \"csv\" (the default) or \"parquet\" (Apache Parquet, typed columns, Snappy-compressed, in row groups of 65,536 rows; same columns as the CSV); every command that reads results reads both", plausible: None },
    ParamSpec { key: "output.effects", field: Field::Effects, meaning: "effects.csv and charts/effects-<scenario>: each schedule entry's effect k = 1, 2, 3, 5, 10, 20, 50 steps after it, against a counterfactual run without it (same seeds; one extra run of up to 51 steps after the entry per entry); \"auto\": for scenarios with 1 to 4 schedule entries", plausible: None },
    ParamSpec { key: "equilibrium.abusive_abuse_rate", field: Real(|p| &mut p.equilibrium.abusive_abuse_rate, Probability), meaning: "class 'abusive' when abuse_rate >= this", plausible: Some(Plausible { low: 0.15, high: 0.35, reason: "measurement choice around the specified 0.25 (docs/MODEL.md §7.11)" }) },
    ParamSpec { key: "equilibrium.lazy_idle", field: Real(|p| &mut p.equilibrium.lazy_idle, Probability), meaning: "class 'lazy-idle' (lazy governance as inaction) when share_idle >= this", plausible: Some(Plausible { low: 0.4, high: 0.6, reason: "measurement choice around the specified 0.5 (docs/MODEL.md §7.11)" }) },
    ParamSpec { key: "equilibrium.lazy_innovation", field: Real(|p| &mut p.equilibrium.lazy_innovation, Probability), meaning: "class 'lazy-routine' (lazy governance as not daring) when mean_innovation < this (at most equilibrium.innovative_innovation)", plausible: Some(Plausible { low: 0.1, high: 0.2, reason: "measurement choice around the specified 0.15 (docs/MODEL.md §7.11)" }) },
    ParamSpec { key: "equilibrium.innovative_innovation", field: Real(|p| &mut p.equilibrium.innovative_innovation, Probability), meaning: "class 'innovative' when mean_innovation >= this", plausible: Some(Plausible { low: 0.25, high: 0.4, reason: "measurement choice around the specified 0.3 (docs/MODEL.md §7.11)" }) },
    ParamSpec { key: "equilibrium.window", field: Count(|p| &mut p.equilibrium.window, 1, MAX_STEPS), meaning: "W: window (steps) of the moving mean used for converged_at", plausible: Some(Plausible { low: 10.0, high: 40.0, reason: "measurement choice around the specified 20 steps (docs/MODEL.md §7.11)" }) },
    ParamSpec { key: "equilibrium.tolerance", field: Real(|p| &mut p.equilibrium.tolerance, NonNegative), meaning: "largest change of the moving mean counted as converged", plausible: Some(Plausible { low: 0.005, high: 0.02, reason: "measurement choice around the specified 0.01 (docs/MODEL.md §7.11)" }) },
];

/// Checks that involve several parameters; the error names the key at fault.
pub fn check_consistency(params: &Params) -> Result<(), ParamError> {
    if params.run.burn_in >= params.run.steps {
        return Err(ParamError::new(
            "run.burn_in",
            format!(
                "must be < run.steps ({}), got {}",
                params.run.steps, params.run.burn_in
            ),
        ));
    }
    if params.run.until_settled && params.run.max_steps < crate::params::FIRST_CHECK {
        return Err(ParamError::new(
            "run.max_steps",
            format!(
                "must be at least {} with run.until_settled (the long-run rule is first applied {} steps after the last schedule entry), got {}",
                crate::params::FIRST_CHECK,
                crate::params::FIRST_CHECK,
                params.run.max_steps
            ),
        ));
    }
    let levels = &params.hierarchy.levels;
    if levels.is_empty() || levels.len() > MAX_LEVELS {
        return Err(ParamError::new(
            "hierarchy.levels",
            format!("must have 1 to {MAX_LEVELS} levels, got {}", levels.len()),
        ));
    }
    for (index, level) in levels.iter().enumerate() {
        if level.name.is_empty() || level.name == WHOLE_HIERARCHY {
            return Err(ParamError::new(
                "hierarchy.levels",
                format!("level {index} needs a non-empty name other than \"all\""),
            ));
        }
        let tree = params.hierarchy.tree.is_some();
        if tree && level.branching.is_some() {
            return Err(ParamError::new(
                "hierarchy.levels",
                format!("level {index} (\"{}\") has `branching`, which a tree of units does not allow: hierarchy.tree gives every unit's children", level.name),
            ));
        }
        if !tree && level.branching.is_none() {
            return Err(ParamError::new(
                "hierarchy.levels",
                format!("level {index} (\"{}\") needs `branching` (or give the units in hierarchy.tree)", level.name),
            ));
        }
        if levels[..index].iter().any(|other| other.name == level.name) {
            return Err(ParamError::new(
                "hierarchy.levels",
                format!("level names must be unique; \"{}\" repeats", level.name),
            ));
        }
    }
    if let Some(name) = &params.output.by_unit {
        if params.by_unit_level().is_none() {
            let names: Vec<&str> = levels.iter().map(|l| l.name.as_str()).collect();
            return Err(ParamError::new(
                "output.by_unit",
                format!(
                    "must be a level of hierarchy.levels ({}), got {name:?}",
                    names.join(", ")
                ),
            ));
        }
    }
    check_thresholds(params)?;
    check_series(params)?;
    if let Markup::PerLevel(values) = &params.targets.markup {
        if values.len() != levels.len() {
            return Err(ParamError::new(
                "targets.markup",
                format!(
                    "a list must have one value per level ({}), got {}",
                    levels.len(),
                    values.len()
                ),
            ));
        }
    }
    let largest = params
        .targets
        .markup
        .values()
        .into_iter()
        .fold(0.0, f64::max);
    if params.targets.markup_max < largest {
        return Err(ParamError::new(
            "targets.markup_max",
            format!(
                "must be >= every markup ({}), got {}",
                format_real(largest),
                format_real(params.targets.markup_max)
            ),
        ));
    }
    Ok(())
}

/// The classes' innovation thresholds: the lazy one at most the innovative one.
fn check_thresholds(params: &Params) -> Result<(), ParamError> {
    let (lazy, innovative) = (
        params.equilibrium.lazy_innovation,
        params.equilibrium.innovative_innovation,
    );
    if lazy > innovative {
        return Err(ParamError::new(
            "equilibrium.lazy_innovation",
            format!(
                "must be at most equilibrium.innovative_innovation ({}), got {}: a corps cannot be lazy and innovative at once",
                format_real(innovative),
                format_real(lazy)
            ),
        ));
    }
    Ok(())
}

/// The series' stride leaves more than step 0 in timeseries.csv: below the run's length
/// (`run.steps`, or `run.max_steps` with `run.until_settled`).
fn check_series(params: &Params) -> Result<(), ParamError> {
    let every = params.output.series_every;
    let (key, length) = match params.run.until_settled {
        true => ("run.max_steps", params.run.max_steps),
        false => ("run.steps", params.run.steps),
    };
    if every >= length {
        return Err(ParamError::new(
            "output.series_every",
            format!("must be below {key} ({length}), or 0 to choose, so that timeseries.csv holds more than step 0; got {every}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every numeric parameter outside [run] and [output] (settings of the run and of its
    /// tables, not of the model), except the unit of severity, has a plausible range that holds its default and whose ends
    /// the parameter accepts.
    #[test]
    fn plausible_ranges_cover_every_numeric_parameter() {
        let defaults = Params::default();
        for spec in PARAMS {
            let numeric = matches!(
                spec.field,
                Field::Real(..) | Field::Count(..) | Field::Markup
            );
            // The light form is the unit of severity: varying it would vary the penalty.
            let unit = spec.key == "accountability.forms.light";
            let expected = numeric && !unit && !["run", "output"].contains(&spec.section());
            assert_eq!(spec.plausible.is_some(), expected, "{}", spec.key);
            let Some(plausible) = spec.plausible else {
                continue;
            };
            let default: f64 = spec.value_text(&defaults).parse().unwrap();
            assert!(
                plausible.low <= default
                    && default <= plausible.high
                    && plausible.low < plausible.high,
                "{}: default {default} outside [{}, {}]",
                spec.key,
                plausible.low,
                plausible.high
            );
            for end in [plausible.low, plausible.high] {
                let value = match spec.field {
                    Field::Count(..) => toml::Value::Integer(end as i64),
                    _ => toml::Value::Float(end),
                };
                spec.set(&mut defaults.clone(), &value)
                    .unwrap_or_else(|e| panic!("{}: {end}: {}", spec.key, e.message));
            }
            assert!(!plausible.reason.is_empty());
        }
    }
}
