//! Sweep files: reading and validating `base`, `[sweep]` and its axes into a `SweepSpec`.
//! Errors name the sweep file and the key, like scenario errors.

use std::path::Path;

use super::boundary::{BoundarySpec, DEFAULT_INITIAL, DEFAULT_MAX_EVALUATIONS, DEFAULT_PRECISION};
use super::design::{Axis, AxisValues, Design, Scale, SweepSpec, MAX_POINTS};
use super::sampling::{MAX_SOBOL_FACTORS, MAX_SOBOL_ROWS};
use crate::registry::{self, did_you_mean, lookup, ParamError};
use crate::scenario::{self, base_scenario, check_file_name, Scenario, ScenarioError};

fn invalid(file: &str, key: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        file: file.to_string(),
        key: key.into(),
        message: message.into(),
    }
}

const SWEEP_KEYS: [&str; 10] = [
    "design",
    "boundary",
    "samples",
    "second_order",
    "trajectories",
    "levels",
    "replicates",
    "axis",
    "steps_per_point",
    "base_schedule",
];
/// Fewest Sobol' base rows: the convergence table recomputes the indices on an eighth of them.
const MIN_SOBOL_ROWS: i64 = 8;
const AXIS_KEYS: [&str; 8] = [
    "param", "name", "values", "from", "to", "steps", "scale", "variants",
];

/// Read and validate a sweep file.
pub fn load(path: &Path) -> Result<SweepSpec, ScenarioError> {
    let (text, stem) = scenario::read_text(path)?;
    parse(&text, path, &stem)
}

/// Parse sweep text; `path` locates `base` and names the file in errors.
pub fn parse(text: &str, path: &Path, stem: &str) -> Result<SweepSpec, ScenarioError> {
    let file = path.display().to_string();
    check_file_name(stem, &file)?;
    let mut table = scenario::parse_table(text, &file)?;
    let sweep = table.remove("sweep").ok_or_else(|| {
        invalid(
            &file,
            "sweep",
            "is missing: a sweep file needs a [sweep] section",
        )
    })?;
    let sweep = sweep
        .as_table()
        .cloned()
        .ok_or_else(|| invalid(&file, "sweep", "must be a table ([sweep])"))?;
    let mut base = base_scenario(table, path, &file, stem, "sweep")?;
    check_sweep_keys(&sweep, &file)?;
    let design = parse_design(&sweep, &file)?;
    let count = |key: &str, low: i64, high: i64| count_of(&sweep, &file, key, low, high);
    if let Some(replicates) = count("replicates", 1, registry::MAX_REPLICATES as i64)? {
        base.params.run.replicates = replicates as u64;
    }
    let samples = match design {
        Design::Sobol => count("samples", MIN_SOBOL_ROWS, MAX_SOBOL_ROWS as i64)?,
        _ => count("samples", 1, 1_000_000)?,
    };
    let samples = only_with(
        design,
        &[Design::Lhs, Design::Sobol],
        samples,
        &file,
        "samples",
    )?;
    let steps_per_point = count("steps_per_point", 2, registry::MAX_STEPS as i64)?;
    let steps_per_point = only_with(
        design,
        &[Design::Path],
        steps_per_point,
        &file,
        "steps_per_point",
    )?;
    let trajectories = count("trajectories", 2, 1_000_000)?;
    let trajectories = only_with(
        design,
        &[Design::Morris],
        trajectories,
        &file,
        "trajectories",
    )?;
    let levels = parse_levels(&sweep, design, &file)?;
    let second_order = parse_second_order(&sweep, design, &file)?;
    let boundary = parse_boundary(&sweep, design, &file)?;
    let axes = parse_axes(&sweep, &file, &base, design)?;
    check_base_schedule(&sweep, &axes, &base, &file)?;
    match design {
        Design::Path => check_path(&axes[0], steps_per_point, &base, &file)?,
        Design::Sobol | Design::Morris => check_factors(&axes, design, &file)?,
        Design::Boundary => check_boundary_axis(&axes[0], &file)?,
        Design::Grid | Design::Lhs => {}
    }
    let spec = SweepSpec {
        name: stem.to_string(),
        source_text: text.to_string(),
        source_path: path.to_path_buf(),
        base,
        design,
        samples,
        second_order,
        trajectories,
        levels,
        boundary,
        steps_per_point,
        axes,
    };
    let count = spec.point_count();
    if count > MAX_POINTS {
        return Err(invalid(
            &file,
            "sweep.axis",
            format!("makes {count} points; a sweep may have at most {MAX_POINTS} (use fewer steps or values, or design = \"lhs\")"),
        ));
    }
    // Every point must make a valid scenario.
    for point in spec.points() {
        spec.scenario_for(&point)
            .map_err(|ParamError { key, message }| {
                invalid(
                    &file,
                    key,
                    format!("makes point {} invalid: {message}", point.id),
                )
            })?;
    }
    Ok(spec)
}

fn check_sweep_keys(sweep: &toml::Table, file: &str) -> Result<(), ScenarioError> {
    for key in sweep.keys() {
        if !SWEEP_KEYS.contains(&key.as_str()) {
            let hint = did_you_mean(key, SWEEP_KEYS)
                .map(|h| format!("; did you mean `{h}`?"))
                .unwrap_or_default();
            return Err(invalid(
                file,
                format!("sweep.{key}"),
                format!(
                    "is not a known key of [sweep] (allowed: {}){hint}",
                    SWEEP_KEYS.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn parse_design(sweep: &toml::Table, file: &str) -> Result<Design, ScenarioError> {
    match sweep.get("design").map(|v| v.as_str()) {
        None | Some(Some("grid")) => Ok(Design::Grid),
        Some(Some("lhs")) => Ok(Design::Lhs),
        Some(Some("path")) => Ok(Design::Path),
        Some(Some("sobol")) => Ok(Design::Sobol),
        Some(Some("morris")) => Ok(Design::Morris),
        Some(Some("boundary")) => Ok(Design::Boundary),
        Some(_) => Err(invalid(
            file,
            "sweep.design",
            "must be \"grid\", \"lhs\", \"path\", \"sobol\", \"morris\" or \"boundary\"",
        )),
    }
}

/// Keys of `[sweep.boundary]`.
const BOUNDARY_KEYS: [&str; 5] = [
    "where",
    "precision",
    "absolute",
    "max_evaluations",
    "initial",
];

/// `[sweep.boundary]` of a boundary design (refused with any other design).
fn parse_boundary(
    sweep: &toml::Table,
    design: Design,
    file: &str,
) -> Result<Option<BoundarySpec>, ScenarioError> {
    let table = match (sweep.get("boundary"), design) {
        (None, Design::Boundary) => {
            return Err(invalid(
                file,
                "sweep.boundary",
                "is required by design = \"boundary\": give [sweep.boundary] with where = \"METRIC < X\"",
            ))
        }
        (None, _) => return Ok(None),
        (Some(_), other) if other != Design::Boundary => {
            return Err(invalid(
                file,
                "sweep.boundary",
                "only applies to design = \"boundary\"",
            ))
        }
        (Some(value), _) => value
            .as_table()
            .ok_or_else(|| invalid(file, "sweep.boundary", "must be a table ([sweep.boundary])"))?,
    };
    for key in table.keys() {
        if !BOUNDARY_KEYS.contains(&key.as_str()) {
            return Err(invalid(
                file,
                format!("sweep.boundary.{key}"),
                format!("is not a known key (allowed: {})", BOUNDARY_KEYS.join(", ")),
            ));
        }
    }
    let condition = table.get("where").and_then(|v| v.as_str()).ok_or_else(|| {
        invalid(
            file,
            "sweep.boundary.where",
            "is required: a condition such as \"mean_innovation < 0.2\"",
        )
    })?;
    crate::discovery::condition::parse(condition)
        .map_err(|error| invalid(file, "sweep.boundary.where", error.problem))?;
    let precision = match table.get("precision") {
        None => DEFAULT_PRECISION,
        Some(toml::Value::Float(x)) if x.is_finite() && *x > 0.0 => *x,
        Some(toml::Value::Integer(x)) if *x > 0 => *x as f64,
        Some(_) => {
            return Err(invalid(
                file,
                "sweep.boundary.precision",
                "must be a number > 0",
            ))
        }
    };
    let absolute = match table.get("absolute") {
        None => false,
        Some(toml::Value::Boolean(flag)) => *flag,
        Some(_) => {
            return Err(invalid(
                file,
                "sweep.boundary.absolute",
                "must be true or false",
            ))
        }
    };
    let count = |key: &str, low: i64, high: i64| match table.get(key) {
        None => Ok(None),
        Some(toml::Value::Integer(n)) if (low..=high).contains(n) => Ok(Some(*n as usize)),
        Some(_) => Err(invalid(
            file,
            format!("sweep.boundary.{key}"),
            format!("must be an integer in {low}..={high}"),
        )),
    };
    let initial = count("initial", 3, 1_000)?.unwrap_or(DEFAULT_INITIAL);
    let max_evaluations =
        count("max_evaluations", 3, 100_000)?.unwrap_or(DEFAULT_MAX_EVALUATIONS.max(initial));
    if max_evaluations < initial {
        return Err(invalid(
            file,
            "sweep.boundary.max_evaluations",
            format!("must be at least `initial` ({initial}): the initial grid is evaluated first"),
        ));
    }
    Ok(Some(BoundarySpec {
        condition: condition.to_string(),
        precision,
        absolute,
        max_evaluations,
        initial,
    }))
}

/// The first axis of a boundary design is a numeric range, searched continuously.
fn check_boundary_axis(axis: &Axis, file: &str) -> Result<(), ScenarioError> {
    match &axis.values {
        AxisValues::Range { steps: None, .. } => Ok(()),
        AxisValues::Range { .. } => Err(invalid(
            file,
            "sweep.axis[0].steps",
            "does not apply to the first axis of design = \"boundary\", which is searched continuously (remove it)",
        )),
        _ => Err(invalid(
            file,
            "sweep.axis[0]",
            "must be a numeric range (param, from, to, optional scale) for design = \"boundary\": the search bisects it",
        )),
    }
}

/// `levels` of a Morris design: an even number of grid levels, 4 when not given.
fn parse_levels(sweep: &toml::Table, design: Design, file: &str) -> Result<usize, ScenarioError> {
    let levels = count_of(sweep, file, "levels", 2, 1_000)?;
    let levels = match (design, levels) {
        (Design::Morris, None) => 4,
        (_, levels) => only_with(design, &[Design::Morris], levels, file, "levels")?,
    };
    if levels % 2 == 1 {
        return Err(invalid(
            file,
            "sweep.levels",
            format!("must be even (Morris's step p/(2(p-1)) keeps an even grid's points on the grid), got {levels}"),
        ));
    }
    Ok(levels)
}

/// `second_order` of a Sobol' design (false when not given).
fn parse_second_order(
    sweep: &toml::Table,
    design: Design,
    file: &str,
) -> Result<bool, ScenarioError> {
    match (sweep.get("second_order"), design) {
        (None, _) => Ok(false),
        (Some(toml::Value::Boolean(flag)), Design::Sobol) => Ok(*flag),
        (Some(_), Design::Sobol) => {
            Err(invalid(file, "sweep.second_order", "must be true or false"))
        }
        (Some(_), _) => Err(invalid(
            file,
            "sweep.second_order",
            "only applies to design = \"sobol\"",
        )),
    }
}

/// Every factor of a sensitivity design takes more than one value, and a Sobol' design has
/// no more factors than its sequence has dimension pairs.
fn check_factors(axes: &[Axis], design: Design, file: &str) -> Result<(), ScenarioError> {
    if design == Design::Sobol && axes.len() > MAX_SOBOL_FACTORS {
        return Err(invalid(
            file,
            "sweep.axis",
            format!(
                "has {} axes; a sobol design takes at most {MAX_SOBOL_FACTORS} (its Sobol' sequence has {} dimensions)",
                axes.len(),
                2 * MAX_SOBOL_FACTORS
            ),
        ));
    }
    for (index, axis) in axes.iter().enumerate() {
        let single = match &axis.values {
            AxisValues::Range { from, to, .. } => from == to,
            _ => axis.grid_len() < 2,
        };
        if single {
            return Err(invalid(
                file,
                format!("sweep.axis[{index}]"),
                format!(
                    "takes a single value; every factor of a {} design must vary (remove the axis and set `{}` in the base instead)",
                    design.name(),
                    axis.label
                ),
            ));
        }
    }
    Ok(())
}

/// An optional integer `sweep.<key>` in `low..=high`.
fn count_of(
    sweep: &toml::Table,
    file: &str,
    key: &str,
    low: i64,
    high: i64,
) -> Result<Option<usize>, ScenarioError> {
    match sweep.get(key) {
        None => Ok(None),
        Some(toml::Value::Integer(n)) if (low..=high).contains(n) => Ok(Some(*n as usize)),
        Some(other) => Err(invalid(
            file,
            format!("sweep.{key}"),
            format!(
                "must be an integer in {low}..={high}, got {}",
                registry::describe_value(other)
            ),
        )),
    }
}

/// A setting `sweep.<key>` required by some designs and refused by the others (0 where it
/// does not apply).
fn only_with(
    design: Design,
    needs: &[Design],
    value: Option<usize>,
    file: &str,
    key: &str,
) -> Result<usize, ScenarioError> {
    let names: Vec<String> = needs
        .iter()
        .map(|d| format!("design = \"{}\"", d.name()))
        .collect();
    let key = format!("sweep.{key}");
    match (needs.contains(&design), value) {
        (true, Some(value)) => Ok(value),
        (true, None) => Err(invalid(
            file,
            key,
            format!("is required with design = \"{}\"", design.name()),
        )),
        (false, Some(_)) => Err(invalid(
            file,
            key,
            format!("only applies to {}", names.join(" or ")),
        )),
        (false, None) => Ok(0),
    }
}

/// Every `[[sweep.axis]]`, each with its own key or name.
fn parse_axes(
    sweep: &toml::Table,
    file: &str,
    base: &Scenario,
    design: Design,
) -> Result<Vec<Axis>, ScenarioError> {
    let axes_value = sweep.get("axis").ok_or_else(|| {
        invalid(
            file,
            "sweep.axis",
            "is missing: add at least one [[sweep.axis]]",
        )
    })?;
    let axes_list = axes_value
        .as_array()
        .filter(|list| !list.is_empty())
        .ok_or_else(|| {
            invalid(
                file,
                "sweep.axis",
                "must be a non-empty list of [[sweep.axis]] tables",
            )
        })?;
    let mut axes: Vec<Axis> = Vec::new();
    for (index, value) in axes_list.iter().enumerate() {
        // A boundary design searches its first axis continuously and grids the others.
        let design = match design {
            Design::Boundary if index == 0 => Design::Lhs,
            Design::Boundary => Design::Grid,
            other => other,
        };
        let axis = parse_axis(value, index, file, base, design)?;
        check_printable(&axis, index, file)?;
        if axes.iter().any(|other| other.label == axis.label) {
            return Err(invalid(
                file,
                format!("sweep.axis[{index}]"),
                format!(
                    "sets `{}` like an earlier axis; each axis needs its own key or name",
                    axis.label
                ),
            ));
        }
        check_shared_keys(&axes, &axis, index, file)?;
        axes.push(axis);
    }
    Ok(axes)
}

/// An axis's name and its variants' names head columns, label charts and are printed on
/// one line: refuse empty ones and control characters (a line break, a tab, ...).
fn check_printable(axis: &Axis, index: usize, file: &str) -> Result<(), ScenarioError> {
    let mut names = vec![("name", axis.label.as_str())];
    if let AxisValues::Variants(variants) = &axis.values {
        names.extend(variants.iter().map(|(name, _)| ("variants", name.as_str())));
    }
    for (key, name) in names {
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err(invalid(
                file,
                format!("sweep.axis[{index}].{key}"),
                format!("{name:?} must be non-empty, without control characters"),
            ));
        }
    }
    Ok(())
}

/// Refuse an axis that sets a key an earlier axis sets: the later axis would win at every
/// point while points.csv showed both values.
fn check_shared_keys(
    earlier: &[Axis],
    axis: &Axis,
    index: usize,
    file: &str,
) -> Result<(), ScenarioError> {
    for key in swept_keys(axis) {
        if let Some(other) = earlier.iter().position(|a| swept_keys(a).contains(&key)) {
            return Err(invalid(
                file,
                format!("sweep.axis[{index}]"),
                format!(
                    "sets `{key}`, which sweep.axis[{other}] also sets; each key may be swept by one axis only (merge the two axes into one, e.g. as variants)"
                ),
            ));
        }
    }
    Ok(())
}

/// The keys an axis sets.
fn swept_keys(axis: &Axis) -> Vec<&str> {
    match (&axis.param, &axis.values) {
        (Some(param), _) => vec![param.as_str()],
        (None, AxisValues::Variants(variants)) => variants
            .iter()
            .flat_map(|(_, settings)| settings.keys().map(String::as_str))
            .collect(),
        (None, _) => Vec::new(),
    }
}

/// A base whose schedule changes a swept parameter would run every point at the scheduled
/// value from that step on: refused unless `[sweep] base_schedule = "keep"` says so.
fn check_base_schedule(
    sweep: &toml::Table,
    axes: &[Axis],
    base: &Scenario,
    file: &str,
) -> Result<(), ScenarioError> {
    match sweep.get("base_schedule").map(|v| v.as_str()) {
        None => {}
        Some(Some("keep")) => return Ok(()),
        Some(_) => return Err(invalid(
            file,
            "sweep.base_schedule",
            "must be \"keep\" (the base scenario's schedule changes swept parameters at its steps)",
        )),
    }
    for (index, axis) in axes.iter().enumerate() {
        for key in swept_keys(axis) {
            if let Some(entry) = base.schedule.iter().find(|e| e.set.contains_key(key)) {
                return Err(invalid(
                    file,
                    format!("sweep.axis[{index}]"),
                    format!(
                        "sweeps `{key}`, which the base scenario's schedule sets at step {}, so every point would run at the scheduled value from then on; remove that schedule entry, or set [sweep] base_schedule = \"keep\" to keep it",
                        entry.at
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The first axis of a path design lists the path in order, and the path fits a run.
fn check_path(
    path_axis: &Axis,
    steps_per_point: usize,
    base: &Scenario,
    file: &str,
) -> Result<(), ScenarioError> {
    if base.params.run.until_settled {
        return Err(invalid(
            file,
            "run.until_settled",
            "is not allowed in a path design, which holds each value for sweep.steps_per_point steps",
        ));
    }
    if !matches!(path_axis.values, AxisValues::List(_)) || path_axis.param.is_none() {
        return Err(invalid(
            file,
            "sweep.axis[0]",
            "of a path design must be `param` with `values` listing the path in order",
        ));
    }
    let total = path_axis.grid_len() as u64 * steps_per_point as u64;
    if total > registry::MAX_STEPS {
        return Err(invalid(
            file,
            "sweep.steps_per_point",
            format!(
                "makes a path of {total} steps; at most {}",
                registry::MAX_STEPS
            ),
        ));
    }
    Ok(())
}

fn parse_axis(
    value: &toml::Value,
    index: usize,
    file: &str,
    base: &Scenario,
    design: Design,
) -> Result<Axis, ScenarioError> {
    let here = format!("sweep.axis[{index}]");
    let table = value
        .as_table()
        .ok_or_else(|| invalid(file, &here, "must be a table ([[sweep.axis]])"))?;
    for key in table.keys() {
        if !AXIS_KEYS.contains(&key.as_str()) {
            let hint = did_you_mean(key, AXIS_KEYS)
                .map(|h| format!("; did you mean `{h}`?"))
                .unwrap_or_default();
            return Err(invalid(
                file,
                format!("{here}.{key}"),
                format!(
                    "is not a known key of an axis (allowed: {}){hint}",
                    AXIS_KEYS.join(", ")
                ),
            ));
        }
    }
    if let Some(variants) = table.get("variants") {
        return variants_axis(table, variants, &here, file, base);
    }
    let param = table
        .get("param")
        .and_then(|v| v.as_str())
        .ok_or_else(|| {
            invalid(
                file,
                format!("{here}.param"),
                "is required: the `section.key` the axis sets (or give `name` and `variants`)",
            )
        })?
        .to_string();
    let label = table
        .get("name")
        .and_then(|v| v.as_str())
        .unwrap_or(&param)
        .to_string();
    let values = if let Some(values) = table.get("values") {
        if let Some(key) = ["from", "to", "steps", "scale"]
            .into_iter()
            .find(|key| table.contains_key(*key))
        {
            return Err(invalid(
                file,
                format!("{here}.{key}"),
                "cannot be combined with `values`: give the values as a list, or a range (from, to, steps)",
            ));
        }
        let list = values
            .as_array()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| invalid(file, format!("{here}.values"), "must be a non-empty list"))?;
        for value in list {
            check_setting(file, base, format!("{here}.values"), &param, value)?;
        }
        AxisValues::List(list.clone())
    } else {
        range_values(table, &here, &param, file, base, design)?
    };
    Ok(Axis {
        label,
        param: Some(param),
        values,
    })
}

/// A setting an axis makes: a known, sweepable key with a value it accepts.
fn check_setting(
    file: &str,
    base: &Scenario,
    place: String,
    key: &str,
    value: &toml::Value,
) -> Result<(), ScenarioError> {
    let spec = lookup(key).ok_or_else(|| {
        if let Some(message) = registry::replaced(key) {
            return invalid(file, &place, format!("`{key}` {message}"));
        }
        let hint = did_you_mean(key, registry::PARAMS.iter().map(|p| p.key))
            .map(|h| format!("; did you mean `{h}`?"))
            .unwrap_or_default();
        invalid(
            file,
            &place,
            format!("`{key}` is not a known parameter{hint}"),
        )
    })?;
    if key == "hierarchy.tree" {
        return Err(invalid(
            file,
            &place,
            "`hierarchy.tree` cannot be swept (a tree's units are read with the base scenario); set it in the base and run one sweep per tree",
        ));
    }
    if spec.section() == "run" {
        return Err(invalid(
            file,
            &place,
            format!("`{key}` cannot be swept (run settings are common to all points)"),
        ));
    }
    spec.set(&mut base.params.clone(), value)
        .map_err(|error| invalid(file, &place, format!("`{key}` {}", error.message)))
}

/// An axis of named variants, each a table of settings.
fn variants_axis(
    table: &toml::Table,
    variants: &toml::Value,
    here: &str,
    file: &str,
    base: &Scenario,
) -> Result<Axis, ScenarioError> {
    if table.contains_key("param") || table.contains_key("values") || table.contains_key("from") {
        return Err(invalid(
            file,
            format!("{here}.variants"),
            "cannot be combined with param, values or from/to",
        ));
    }
    let name = table.get("name").and_then(|v| v.as_str()).ok_or_else(|| {
        invalid(
            file,
            format!("{here}.name"),
            "is required with variants (it names the points.csv column)",
        )
    })?;
    let variants = variants
        .as_table()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            invalid(
                file,
                format!("{here}.variants"),
                "must be a table of name = { \"section.key\" = value, ... }",
            )
        })?;
    let mut parsed = Vec::new();
    for (variant, settings) in variants {
        let place = format!("{here}.variants.{variant}");
        let settings = settings
            .as_table()
            .ok_or_else(|| invalid(file, &place, "must be a table of \"section.key\" = value"))?;
        for (key, value) in settings {
            check_setting(file, base, place.clone(), key, value)?;
        }
        parsed.push((variant.clone(), settings.clone()));
    }
    Ok(Axis {
        label: name.to_string(),
        param: None,
        values: AxisValues::Variants(parsed),
    })
}

/// `from`, `to`, `steps` and `scale` of a numeric range axis (`steps` required by grid and
/// path designs, optional and unused with lhs, refused with sobol and morris).
fn range_values(
    table: &toml::Table,
    here: &str,
    param: &str,
    file: &str,
    base: &Scenario,
    design: Design,
) -> Result<AxisValues, ScenarioError> {
    let number = |key: &str| -> Result<f64, ScenarioError> {
        match table.get(key) {
            Some(toml::Value::Float(x)) if x.is_finite() => Ok(*x),
            Some(toml::Value::Integer(x)) => Ok(*x as f64),
            _ => Err(invalid(
                file,
                format!("{here}.{key}"),
                "must be a finite number (give `values`, or `from`, `to` and `steps`)",
            )),
        }
    };
    let (from, to) = (number("from")?, number("to")?);
    let steps = range_steps(table.get("steps"), design)
        .map_err(|message| invalid(file, format!("{here}.steps"), message))?;
    let scale = match table.get("scale").map(|v| v.as_str()) {
        None | Some(Some("linear")) => Scale::Linear,
        Some(Some("log")) => Scale::Log,
        _ => {
            return Err(invalid(
                file,
                format!("{here}.scale"),
                "must be \"linear\" or \"log\"",
            ))
        }
    };
    if scale == Scale::Log && (from <= 0.0 || to <= 0.0) {
        return Err(invalid(
            file,
            format!("{here}.from"),
            "a log-scaled axis needs from > 0 and to > 0",
        ));
    }
    if lookup(param).is_some_and(|spec| matches!(spec.field, registry::Field::Count(..))) {
        return Err(invalid(
            file,
            format!("{here}.from"),
            format!("`{param}` is a count; give its values as a list (`values = [...]`) instead of a range"),
        ));
    }
    for (key, bound) in [("from", from), ("to", to)] {
        check_setting(
            file,
            base,
            format!("{here}.{key}"),
            param,
            &toml::Value::Float(bound),
        )?;
    }
    check_ends(from, to, steps, design)
        .map_err(|(key, message)| invalid(file, format!("{here}.{key}"), message))?;
    Ok(AxisValues::Range {
        from,
        to,
        steps,
        scale,
    })
}

/// Whether a range's ends and steps make distinct values: its two ends differ (unless one
/// step takes `from` alone), `from` lies below `to` except on a grid or path (which visit
/// the values in order), and more than one step when they differ. The key at fault and why.
fn check_ends(
    from: f64,
    to: f64,
    steps: Option<usize>,
    design: Design,
) -> Result<(), (&'static str, String)> {
    let ordered = matches!(design, Design::Grid | Design::Path);
    if from == to && steps != Some(1) {
        return Err(("to", format!("equals `from` ({from}): a range needs two different ends (for one value, give `values = [{from}]`)")));
    }
    if from > to && !ordered {
        return Err(("to", format!("({to}) must be above `from` ({from}): only a grid or a path runs a range downwards")));
    }
    if steps == Some(1) && from != to {
        return Err((
            "steps",
            format!(
                "1 takes `from` alone and drops `to`; give at least 2 (or `values = [{from}]`)"
            ),
        ));
    }
    Ok(())
}

/// The `steps` of a range axis under `design`, or what is wrong with it.
fn range_steps(steps: Option<&toml::Value>, design: Design) -> Result<Option<usize>, String> {
    let continuous = match design {
        Design::Grid | Design::Path | Design::Boundary => false,
        Design::Lhs => true,
        Design::Sobol | Design::Morris if steps.is_some() => {
            return Err(format!(
                "does not apply to design = \"{}\", which draws the range continuously (remove it)",
                design.name()
            ))
        }
        Design::Sobol | Design::Morris => return Ok(None),
    };
    match steps {
        Some(toml::Value::Integer(n)) if (1..=100_000).contains(n) => Ok(Some(*n as usize)),
        None if continuous => Ok(None),
        _ => Err("must be an integer in 1..=100000".to_string()),
    }
}
