//! Calibration files: `base` (the scenario the targets refer to, relative to the file), the
//! file's own scenario sections over it, and `[calibrate]` with its settings, parameters and
//! targets, read and checked into a `CalibrationSpec`. Errors name the file and the key
//! (`calibrate.parameter[2].range`) and say what is allowed.

use std::path::Path;

use super::abc::Acceptor;
use super::space::{Parameter, Prior};
use super::{CalibrationSpec, DesignSeeds, Settings, Statistic, Target};
use crate::hierarchy::Size;
use crate::metrics::{metric_index, BOUNDS, METRICS, WHOLE_HIERARCHY};
use crate::registry::{self, did_you_mean, lookup, Field, ParamSpec};
use crate::scenario::{self, base_scenario, check_file_name, Scenario, ScenarioError};

const CALIBRATE_KEYS: [&str; 14] = [
    "seed",
    "replicates",
    "budget",
    "wave_runs",
    "max_waves",
    "cut",
    "population",
    "generations",
    "acceptor",
    "emulator_variance",
    "design_seeds",
    "predictive_runs",
    "parameter",
    "target",
];
const PARAMETER_KEYS: [&str; 3] = ["key", "prior", "range"];
const TARGET_KEYS: [&str; 10] = [
    "name",
    "metric",
    "statistic",
    "denominator",
    "steps",
    "level",
    "value",
    "sd_obs",
    "sd_discrepancy",
    "source",
];

fn invalid(file: &str, key: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        file: file.to_string(),
        key: key.into(),
        message: message.into(),
    }
}

/// Read and check a calibration file.
pub fn load(path: &Path) -> Result<CalibrationSpec, ScenarioError> {
    let (text, stem) = scenario::read_text(path)?;
    parse(&text, path, &stem)
}

/// Parse calibration text; `path` locates `base` and names the file in errors.
pub fn parse(text: &str, path: &Path, stem: &str) -> Result<CalibrationSpec, ScenarioError> {
    let file = path.display().to_string();
    check_file_name(stem, &file)?;
    let mut table = scenario::parse_table(text, &file)?;
    let calibrate = match table.remove("calibrate") {
        Some(toml::Value::Table(calibrate)) => calibrate,
        Some(_) => return Err(invalid(&file, "calibrate", "must be a table ([calibrate])")),
        None => {
            return Err(invalid(
                &file,
                "calibrate",
                "is missing: a calibration file needs a [calibrate] section",
            ))
        }
    };
    let scenario = base_scenario(table, path, &file, stem, "calibrate")?;
    if scenario.params.run.until_settled {
        return Err(invalid(
            &file,
            "run.until_settled",
            "is true in the base scenario, but a calibration runs every point for the base's fixed run.steps (its targets are windows of steps); set it false",
        ));
    }
    check_keys(&calibrate, &CALIBRATE_KEYS, "calibrate", &file)?;
    let parameters = parse_parameters(&calibrate, &scenario, &file)?;
    let targets = parse_targets(&calibrate, &scenario, &file)?;
    let settings = parse_settings(&calibrate, parameters.len(), &file)?;
    let spec = CalibrationSpec {
        name: stem.to_string(),
        file,
        scenario,
        settings,
        parameters,
        targets,
    };
    check_corners(&spec)?;
    Ok(spec)
}

/// Refuse ranges whose corners make an invalid scenario together (a rule between
/// parameters, such as `targets.markup_max` >= every markup), before anything runs. Such
/// rules compare two values, so the corners of the box suffice (of at most 12 parameters).
fn check_corners(spec: &CalibrationSpec) -> Result<(), ScenarioError> {
    let dims = spec.parameters.len().min(12);
    for corner in 0..1u32 << dims {
        let point: Vec<f64> = (0..spec.parameters.len())
            .map(|d| match d < dims {
                true => f64::from((corner >> d) & 1),
                false => 0.0,
            })
            .collect();
        let settings = spec.settings_at(&point);
        let at: Vec<String> = settings.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        let source = format!(
            "{} (calibrate.parameter ranges at {})",
            spec.file,
            at.join(", ")
        );
        spec.scenario.clone().set(&settings, &source)?;
    }
    Ok(())
}

fn check_keys(
    table: &toml::Table,
    allowed: &[&str],
    at: &str,
    file: &str,
) -> Result<(), ScenarioError> {
    for key in table.keys() {
        if !allowed.contains(&key.as_str()) {
            let hint = did_you_mean(key, allowed.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(invalid(
                file,
                format!("{at}.{key}"),
                format!("is not a key here{hint}; allowed: {}", allowed.join(", ")),
            ));
        }
    }
    Ok(())
}

fn integer(
    table: &toml::Table,
    key: &str,
    default: i64,
    (min, max): (i64, i64),
    file: &str,
) -> Result<i64, ScenarioError> {
    match table.get(key) {
        None => Ok(default),
        Some(toml::Value::Integer(n)) if (min..=max).contains(n) => Ok(*n),
        Some(other) => Err(invalid(
            file,
            format!("calibrate.{key}"),
            format!(
                "must be an integer in {min}..={max}, got {}",
                registry::describe_value(other)
            ),
        )),
    }
}

fn number(value: Option<&toml::Value>) -> Option<f64> {
    match value {
        Some(toml::Value::Float(x)) if x.is_finite() => Some(*x),
        Some(toml::Value::Integer(n)) => Some(*n as f64),
        _ => None,
    }
}

fn parse_settings(
    calibrate: &toml::Table,
    dims: usize,
    file: &str,
) -> Result<Settings, ScenarioError> {
    let wave_default = (10 * dims).max(20) as i64;
    let seed = integer(calibrate, "seed", 1, (0, i64::MAX), file)? as u64;
    let replicates = integer(calibrate, "replicates", 8, (2, 1000), file)? as u64;
    let budget = integer(calibrate, "budget", 2000, (1, 1_000_000), file)? as usize;
    let wave_runs = integer(calibrate, "wave_runs", wave_default, (5, 100_000), file)? as usize;
    let max_waves = integer(calibrate, "max_waves", 6, (1, 50), file)? as usize;
    let population = integer(calibrate, "population", 1000, (50, 1_000_000), file)? as usize;
    let generations = integer(calibrate, "generations", 10, (0, 100), file)? as usize;
    let predictive_runs = integer(calibrate, "predictive_runs", 20, (0, 10_000), file)? as usize;
    let cut = match calibrate.get("cut") {
        None => 3.0,
        value => number(value).filter(|c| *c > 0.0).ok_or_else(|| {
            invalid(
                file,
                "calibrate.cut",
                "must be a positive number (usually 3)",
            )
        })?,
    };
    let acceptor = choice(
        calibrate,
        "acceptor",
        [
            ("stochastic", Acceptor::Stochastic),
            ("uniform", Acceptor::Uniform),
        ],
        file,
    )?;
    let inflate_emulators = choice(
        calibrate,
        "emulator_variance",
        [("fitted", false), ("validated", true)],
        file,
    )?;
    let design_seeds = choice(
        calibrate,
        "design_seeds",
        [
            ("distinct", DesignSeeds::Distinct),
            ("shared", DesignSeeds::Shared),
        ],
        file,
    )?;
    if wave_runs + predictive_runs > budget {
        return Err(invalid(
            file,
            "calibrate.budget",
            format!(
                "must allow at least one wave and the predictive check ({wave_runs} + {predictive_runs} runs), got {budget}"
            ),
        ));
    }
    Ok(Settings {
        seed,
        replicates,
        budget,
        wave_runs,
        max_waves,
        cut,
        population,
        generations,
        acceptor,
        inflate_emulators,
        predictive_runs,
        design_seeds,
    })
}

/// A setting that names one of two choices, the first of which is the default.
fn choice<T: Copy>(
    calibrate: &toml::Table,
    key: &str,
    [(first, default), (second, other)]: [(&str, T); 2],
    file: &str,
) -> Result<T, ScenarioError> {
    match calibrate.get(key) {
        None => Ok(default),
        Some(toml::Value::String(name)) if name == first => Ok(default),
        Some(toml::Value::String(name)) if name == second => Ok(other),
        Some(value) => Err(invalid(
            file,
            format!("calibrate.{key}"),
            format!(
                "must be \"{first}\" or \"{second}\", got {}",
                registry::describe_value(value)
            ),
        )),
    }
}

fn tables<'a>(
    calibrate: &'a toml::Table,
    key: &str,
    file: &str,
) -> Result<Vec<&'a toml::Table>, ScenarioError> {
    let entries = match calibrate.get(key) {
        Some(toml::Value::Array(entries)) if !entries.is_empty() => entries,
        _ => {
            return Err(invalid(
                file,
                format!("calibrate.{key}"),
                format!("is missing: give at least one [[calibrate.{key}]]"),
            ))
        }
    };
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            entry
                .as_table()
                .ok_or_else(|| invalid(file, format!("calibrate.{key}[{i}]"), "must be a table"))
        })
        .collect()
}

fn parse_parameters(
    calibrate: &toml::Table,
    scenario: &Scenario,
    file: &str,
) -> Result<Vec<Parameter>, ScenarioError> {
    let mut parameters: Vec<Parameter> = Vec::new();
    for (i, table) in tables(calibrate, "parameter", file)?
        .into_iter()
        .enumerate()
    {
        let at = format!("calibrate.parameter[{i}]");
        check_keys(table, &PARAMETER_KEYS, &at, file)?;
        let parameter = parse_parameter(table, scenario, &at, file)?;
        if parameters.iter().any(|p| p.key == parameter.key) {
            return Err(invalid(
                file,
                format!("{at}.key"),
                format!("`{}` is calibrated twice", parameter.key),
            ));
        }
        parameters.push(parameter);
    }
    Ok(parameters)
}

fn parse_parameter(
    table: &toml::Table,
    scenario: &Scenario,
    at: &str,
    file: &str,
) -> Result<Parameter, ScenarioError> {
    let (key, spec) = parse_key(table, scenario, at, file)?;
    let integer = match spec.field {
        // A markup given as one number is the same markup at every level.
        Field::Real(..) | Field::Markup => false,
        Field::Count(..) => true,
        _ => {
            return Err(invalid(
                file,
                format!("{at}.key"),
                format!("`{key}` is not a number; only numeric parameters can be calibrated"),
            ))
        }
    };
    let prior = parse_prior(table, at, file)?;
    let (low, high) = parse_range(table, prior, &key, at, file)?;
    if integer && low.round() == high.round() {
        return Err(invalid(
            file,
            format!("{at}.range"),
            format!(
                "holds one whole value ({}) of the count `{key}`: its values are rounded, so give a range over at least two",
                low.round()
            ),
        ));
    }
    for end in [low, high] {
        let value = if integer {
            toml::Value::Integer(end.round() as i64)
        } else {
            toml::Value::Float(end)
        };
        let mut params = scenario.params.clone();
        spec.set(&mut params, &value).map_err(|error| {
            invalid(
                file,
                format!("{at}.range"),
                format!("{end} is not allowed for `{key}`: {}", error.message),
            )
        })?;
    }
    Ok(Parameter {
        key,
        prior,
        low,
        high,
        integer,
    })
}

/// The parameter's key: a parameter of the registry that no schedule entry sets.
fn parse_key(
    table: &toml::Table,
    scenario: &Scenario,
    at: &str,
    file: &str,
) -> Result<(String, &'static ParamSpec), ScenarioError> {
    let key = match table.get("key") {
        Some(toml::Value::String(key)) => key.clone(),
        _ => {
            return Err(invalid(
                file,
                format!("{at}.key"),
                "must be a parameter key (a string), e.g. \"accountability.penalty\"",
            ))
        }
    };
    if let Some(entry) = scenario.schedule.iter().find(|e| e.set.contains_key(&key)) {
        return Err(invalid(
            file,
            format!("{at}.key"),
            format!(
                "`{key}` is set by the base scenario's schedule at step {}, which would overwrite the calibrated value; calibrate a key no schedule entry sets",
                entry.at
            ),
        ));
    }
    let spec = lookup(&key).ok_or_else(|| {
        let hint = did_you_mean(&key, registry::PARAMS.iter().map(|s| s.key))
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        invalid(
            file,
            format!("{at}.key"),
            format!("`{key}` is not a parameter{hint}; `cadresim params` lists them"),
        )
    })?;
    if spec.section() == "run" {
        return Err(invalid(
            file,
            format!("{at}.key"),
            format!("`{key}` cannot be calibrated: the calibration sets the run settings of every point (calibrate a parameter of the model)"),
        ));
    }
    Ok((key, spec))
}

fn parse_prior(table: &toml::Table, at: &str, file: &str) -> Result<Prior, ScenarioError> {
    match table.get("prior") {
        None => Ok(Prior::Uniform),
        Some(toml::Value::String(p)) if p == "uniform" => Ok(Prior::Uniform),
        Some(toml::Value::String(p)) if p == "log-uniform" => Ok(Prior::LogUniform),
        Some(other) => Err(invalid(
            file,
            format!("{at}.prior"),
            format!(
                "must be \"uniform\" or \"log-uniform\", got {}",
                registry::describe_value(other)
            ),
        )),
    }
}

/// `range = [low, high]`: two numbers, low below high, low above 0 for a log-uniform prior.
fn parse_range(
    table: &toml::Table,
    prior: Prior,
    key: &str,
    at: &str,
    file: &str,
) -> Result<(f64, f64), ScenarioError> {
    let range = match table.get("range") {
        Some(toml::Value::Array(ends)) if ends.len() == 2 => {
            (number(ends.first()), number(ends.get(1)))
        }
        _ => (None, None),
    };
    let (Some(low), Some(high)) = range else {
        return Err(invalid(
            file,
            format!("{at}.range"),
            format!("is missing or not two numbers: give `range = [low, high]` for `{key}`"),
        ));
    };
    if low >= high || (prior == Prior::LogUniform && low <= 0.0) {
        let why = if low >= high {
            "low must be below high"
        } else {
            "a log-uniform prior needs low > 0"
        };
        return Err(invalid(
            file,
            format!("{at}.range"),
            format!("[{low}, {high}]: {why}"),
        ));
    }
    Ok((low, high))
}

fn parse_targets(
    calibrate: &toml::Table,
    scenario: &Scenario,
    file: &str,
) -> Result<Vec<Target>, ScenarioError> {
    tables(calibrate, "target", file)?
        .into_iter()
        .enumerate()
        .map(|(i, table)| {
            let at = format!("calibrate.target[{i}]");
            check_keys(table, &TARGET_KEYS, &at, file)?;
            parse_target(table, scenario, &at, file)
        })
        .collect()
}

fn text(table: &toml::Table, key: &str, at: &str, file: &str) -> Result<String, ScenarioError> {
    match table.get(key) {
        Some(toml::Value::String(text)) if !text.trim().is_empty() => Ok(text.clone()),
        _ => Err(invalid(
            file,
            format!("{at}.{key}"),
            "must be a non-empty string",
        )),
    }
}

fn parse_target(
    table: &toml::Table,
    scenario: &Scenario,
    at: &str,
    file: &str,
) -> Result<Target, ScenarioError> {
    let name = text(table, "name", at, file)?;
    let source = text(table, "source", at, file)?;
    let metric = text(table, "metric", at, file)?;
    parse_metric_name(&metric, &format!("{at}.metric"), file)?;
    let statistic = parse_statistic(table, at, file)?;
    let level = match table.get("level") {
        None => WHOLE_HIERARCHY.to_string(),
        Some(_) => text(table, "level", at, file)?,
    };
    check_level(scenario, &level, &format!("{at}.level"), file)?;
    let steps = parse_window(table, scenario, at, file)?;
    let positive = |key: &str, allow_zero: bool| -> Result<f64, ScenarioError> {
        number(table.get(key))
            .filter(|x| if allow_zero { *x >= 0.0 } else { x.is_finite() })
            .ok_or_else(|| {
                invalid(
                    file,
                    format!("{at}.{key}"),
                    if allow_zero {
                        "must be a number >= 0"
                    } else {
                        "must be a number"
                    },
                )
            })
    };
    let value = positive("value", false)?;
    check_attainable(&metric, &statistic, value, &format!("{at}.value"), file)?;
    let sd_obs = positive("sd_obs", true)?;
    let sd_discrepancy = positive("sd_discrepancy", true)?;
    if sd_obs + sd_discrepancy <= 0.0 {
        return Err(invalid(
            file,
            format!("{at}.sd_obs"),
            "sd_obs and sd_discrepancy cannot both be 0: no model matches a figure exactly",
        ));
    }
    Ok(Target {
        name,
        metric,
        statistic,
        steps,
        level,
        value,
        sd_obs,
        sd_discrepancy,
        source,
    })
}

/// Refuse a target value the statistic of `metric` can never take (`metrics::BOUNDS`): a
/// share above 1, a negative count; a ratio of two non-negative metrics is not negative.
fn check_attainable(
    metric: &str,
    statistic: &Statistic,
    value: f64,
    key: &str,
    file: &str,
) -> Result<(), ScenarioError> {
    let bounds = |name: &str| BOUNDS[metric_index(name).expect("a metric checked by name")];
    let (low, high) = match statistic {
        Statistic::Mean | Statistic::PerCadre => bounds(metric),
        Statistic::Ratio { denominator }
            if bounds(metric).0 >= 0.0 && bounds(denominator).0 >= 0.0 =>
        {
            (0.0, f64::INFINITY)
        }
        Statistic::Ratio { .. } => (f64::NEG_INFINITY, f64::INFINITY),
    };
    if (low..=high).contains(&value) {
        return Ok(());
    }
    let range = match high.is_finite() {
        true => format!("in [{low}, {high}]"),
        false => format!(">= {low}"),
    };
    Err(invalid(
        file,
        key,
        format!(
            "must be {range}, the values this statistic of `{metric}` can take; got {}",
            registry::format_real(value)
        ),
    ))
}

fn parse_metric_name(name: &str, key: &str, file: &str) -> Result<(), ScenarioError> {
    if METRICS.contains(&name) {
        return Ok(());
    }
    let hint = did_you_mean(name, METRICS.iter().copied())
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    Err(invalid(
        file,
        key,
        format!(
            "`{name}` is not a metric{hint}; metrics: {}",
            METRICS.join(", ")
        ),
    ))
}

fn parse_statistic(table: &toml::Table, at: &str, file: &str) -> Result<Statistic, ScenarioError> {
    let statistic = match table.get("statistic") {
        None => Statistic::Mean,
        Some(toml::Value::String(s)) if s == "mean" => Statistic::Mean,
        Some(toml::Value::String(s)) if s == "per_cadre" => Statistic::PerCadre,
        Some(toml::Value::String(s)) if s == "ratio" => {
            let denominator = text(table, "denominator", at, file)?;
            parse_metric_name(&denominator, &format!("{at}.denominator"), file)?;
            return Ok(Statistic::Ratio { denominator });
        }
        Some(other) => {
            return Err(invalid(
                file,
                format!("{at}.statistic"),
                format!(
                    "must be \"mean\", \"per_cadre\" or \"ratio\" (with `denominator`), got {}",
                    registry::describe_value(other)
                ),
            ))
        }
    };
    if table.contains_key("denominator") {
        return Err(invalid(
            file,
            format!("{at}.denominator"),
            "is only for statistic = \"ratio\"",
        ));
    }
    Ok(statistic)
}

fn check_level(
    scenario: &Scenario,
    level: &str,
    key: &str,
    file: &str,
) -> Result<(), ScenarioError> {
    let levels = &scenario.params.hierarchy.levels;
    if level == WHOLE_HIERARCHY || levels.iter().any(|l| l.name == level) {
        return Ok(());
    }
    let names: Vec<&str> = levels.iter().map(|l| l.name.as_str()).collect();
    Err(invalid(
        file,
        key,
        format!(
            "`{level}` is not a level of the base scenario; levels: {}, {WHOLE_HIERARCHY}",
            names.join(", ")
        ),
    ))
}

fn parse_window(
    table: &toml::Table,
    scenario: &Scenario,
    at: &str,
    file: &str,
) -> Result<(u64, u64), ScenarioError> {
    let steps = scenario.params.run.steps;
    let window = match table.get("steps") {
        Some(toml::Value::Array(ends)) if ends.len() == 2 => match (&ends[0], &ends[1]) {
            (toml::Value::Integer(a), toml::Value::Integer(b)) if 0 <= *a && a <= b => {
                Some((*a as u64, *b as u64))
            }
            _ => None,
        },
        _ => None,
    };
    let Some((first, last)) = window else {
        return Err(invalid(
            file,
            format!("{at}.steps"),
            "must be two step numbers [first, last] with first <= last (inclusive)",
        ));
    };
    if last >= steps {
        return Err(invalid(file, format!("{at}.steps"), format!("[{first}, {last}] lies outside the run: the base scenario runs steps 0..={} (run.steps = {steps})", steps - 1)));
    }
    Ok((first, last))
}

/// The cadres of each level of `scenario`, then of the whole hierarchy.
pub fn cadres_per_level(scenario: &Scenario) -> Result<Vec<u64>, ScenarioError> {
    let size = Size::of(&scenario.params.hierarchy)
        .map_err(|why| invalid(&scenario.name, "hierarchy", why.to_string()))?;
    let mut cadres: Vec<u64> = size
        .level_units
        .iter()
        .zip(&scenario.params.hierarchy.levels)
        .map(|(units, level)| units * level.cadres)
        .collect();
    cadres.push(size.cadres);
    Ok(cadres)
}
