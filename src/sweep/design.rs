//! Sweep files and designs: parsing and validating `[sweep]` and its axes, and turning them
//! into points (grid: cartesian product; lhs: Latin hypercube, one sample per stratum on
//! every axis). Errors name the sweep file and the key, like scenario errors.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::registry::{self, did_you_mean, lookup};
use crate::rng::{Phase, ReplicateKey};
use crate::scenario::{self, Scenario, ScenarioError};

/// How an axis spaces its numeric values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scale {
    Linear,
    Log,
}

/// The values one axis takes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AxisValues {
    /// Explicit values of one parameter (numbers, booleans or strings).
    List(Vec<toml::Value>),
    /// A numeric range: `steps` values from `from` to `to` (grid), or a continuous range
    /// sampled by strata (lhs).
    Range {
        from: f64,
        to: f64,
        steps: usize,
        scale: Scale,
    },
    /// Named variants, each setting several keys.
    Variants(Vec<(String, toml::Table)>),
}

/// The settings one axis value makes, and its label in points.csv.
pub type AxisValue = (Vec<(String, toml::Value)>, String);

/// One axis of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// Column name in points.csv: the parameter key, or the axis name for variants.
    pub label: String,
    /// The parameter the axis sets (None for variants).
    pub param: Option<String>,
    pub values: AxisValues,
}

impl Axis {
    /// Numeric axes can be drawn on a continuous x axis.
    pub fn is_numeric(&self) -> bool {
        match &self.values {
            AxisValues::Range { .. } => true,
            AxisValues::List(values) => values
                .iter()
                .all(|v| matches!(v, toml::Value::Float(_) | toml::Value::Integer(_))),
            AxisValues::Variants(_) => false,
        }
    }

    pub fn is_log(&self) -> bool {
        matches!(
            self.values,
            AxisValues::Range {
                scale: Scale::Log,
                ..
            }
        )
    }

    /// Number of grid values.
    fn grid_len(&self) -> usize {
        match &self.values {
            AxisValues::List(values) => values.len(),
            AxisValues::Range { steps, .. } => *steps,
            AxisValues::Variants(variants) => variants.len(),
        }
    }

    /// Grid value `index`: (settings, label).
    fn grid_value(&self, index: usize) -> AxisValue {
        match &self.values {
            AxisValues::List(values) => {
                let value = values[index].clone();
                let label = value_label(&value);
                (vec![(self.param.clone().unwrap_or_default(), value)], label)
            }
            AxisValues::Range {
                from,
                to,
                steps,
                scale,
            } => {
                let fraction = if *steps > 1 {
                    index as f64 / (*steps - 1) as f64
                } else {
                    0.0
                };
                self.at_fraction(*from, *to, *scale, fraction)
            }
            AxisValues::Variants(variants) => {
                let (name, set) = &variants[index];
                let settings = set.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                (settings, name.clone())
            }
        }
    }

    fn at_fraction(&self, from: f64, to: f64, scale: Scale, fraction: f64) -> AxisValue {
        let value = match scale {
            Scale::Linear => from + (to - from) * fraction,
            Scale::Log => (from.ln() + (to.ln() - from.ln()) * fraction).exp(),
        };
        let value = toml::Value::Float(value);
        let label = value_label(&value);
        (vec![(self.param.clone().unwrap_or_default(), value)], label)
    }
}

/// The text of a value in points.csv.
pub fn value_label(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => text.clone(),
        toml::Value::Float(number) => format!("{number}"),
        toml::Value::Integer(number) => number.to_string(),
        toml::Value::Boolean(flag) => flag.to_string(),
        other => other.to_string(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Design {
    Grid,
    Lhs,
    /// Continuation: the first axis's values are visited in order, the population carried
    /// over from one point to the next, `steps_per_point` steps at each.
    Path,
}

/// A validated sweep file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepSpec {
    pub name: String,
    /// The sweep file as read (for the manifest and for resume checks).
    pub source_text: String,
    pub source_path: PathBuf,
    /// The base scenario (file and inline sections resolved).
    pub base: Scenario,
    pub design: Design,
    /// LHS sample count.
    pub samples: usize,
    /// Steps at each point of a path design (absent in sweeps written before paths existed).
    #[serde(default)]
    pub steps_per_point: usize,
    pub axes: Vec<Axis>,
}

/// One point of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub id: usize,
    /// Points of one group run together (a path); shards split by group. Grid and LHS
    /// points are groups of their own.
    pub group: usize,
    /// Position along the path (0 for grid and LHS points).
    pub position: usize,
    /// Axis labels of this point, in axis order.
    pub labels: Vec<String>,
    /// The parameter settings of this point.
    pub settings: Vec<(String, toml::Value)>,
}

fn invalid(file: &str, key: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        file: file.to_string(),
        key: key.into(),
        message: message.into(),
    }
}

const SWEEP_KEYS: [&str; 5] = ["design", "samples", "replicates", "axis", "steps_per_point"];
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
    // The base scenario: a file relative to the sweep file, then inline sections over it.
    let mut merged = match table.remove("base") {
        None => toml::Table::new(),
        Some(toml::Value::String(base)) => {
            let base_path = path.parent().unwrap_or(Path::new(".")).join(&base);
            let base_file = base_path.display().to_string();
            let base_text = std::fs::read_to_string(&base_path).map_err(|error| {
                invalid(&file, "base", format!("cannot read {base_file}: {error}"))
            })?;
            let base_table = scenario::parse_table(&base_text, &base_file)?;
            // Validate the base file on its own first, so its errors name it.
            scenario::from_table(&base_table, &base_file, stem)?;
            base_table
        }
        Some(other) => {
            return Err(invalid(
                &file,
                "base",
                format!(
                    "must be a path string, got {}",
                    registry::describe_value(&other)
                ),
            ))
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
    let mut base = scenario::from_table(&merged, &file, stem)?;
    for key in sweep.keys() {
        if !SWEEP_KEYS.contains(&key.as_str()) {
            let hint = did_you_mean(key, SWEEP_KEYS)
                .map(|h| format!("; did you mean `{h}`?"))
                .unwrap_or_default();
            return Err(invalid(
                &file,
                format!("sweep.{key}"),
                format!(
                    "is not a known key of [sweep] (allowed: {}){hint}",
                    SWEEP_KEYS.join(", ")
                ),
            ));
        }
    }
    let design = match sweep.get("design").map(|v| v.as_str()) {
        None | Some(Some("grid")) => Design::Grid,
        Some(Some("lhs")) => Design::Lhs,
        Some(Some("path")) => Design::Path,
        Some(_) => {
            return Err(invalid(
                &file,
                "sweep.design",
                "must be \"grid\", \"lhs\" or \"path\"",
            ))
        }
    };
    let count = |key: &str, low: i64, high: i64| -> Result<Option<usize>, ScenarioError> {
        match sweep.get(key) {
            None => Ok(None),
            Some(toml::Value::Integer(n)) if (low..=high).contains(n) => Ok(Some(*n as usize)),
            Some(other) => Err(invalid(
                &file,
                format!("sweep.{key}"),
                format!(
                    "must be an integer in {low}..={high}, got {}",
                    registry::describe_value(other)
                ),
            )),
        }
    };
    let samples = count("samples", 1, 1_000_000)?;
    if let Some(replicates) = count("replicates", 1, registry::MAX_REPLICATES as i64)? {
        base.params.run.replicates = replicates as u64;
    }
    let samples = match (design, samples) {
        (Design::Lhs, Some(samples)) => samples,
        (Design::Lhs, None) => {
            return Err(invalid(
                &file,
                "sweep.samples",
                "is required with design = \"lhs\"",
            ))
        }
        (_, Some(_)) => {
            return Err(invalid(
                &file,
                "sweep.samples",
                "only applies to design = \"lhs\"",
            ))
        }
        (_, None) => 0,
    };
    let steps_per_point = count("steps_per_point", 2, registry::MAX_STEPS as i64)?;
    let steps_per_point = match (design, steps_per_point) {
        (Design::Path, Some(steps)) => steps,
        (Design::Path, None) => {
            return Err(invalid(
                &file,
                "sweep.steps_per_point",
                "is required with design = \"path\"",
            ))
        }
        (_, Some(_)) => {
            return Err(invalid(
                &file,
                "sweep.steps_per_point",
                "only applies to design = \"path\"",
            ))
        }
        (_, None) => 0,
    };
    let axes_value = sweep.get("axis").ok_or_else(|| {
        invalid(
            &file,
            "sweep.axis",
            "is missing: add at least one [[sweep.axis]]",
        )
    })?;
    let axes_list = axes_value
        .as_array()
        .filter(|list| !list.is_empty())
        .ok_or_else(|| {
            invalid(
                &file,
                "sweep.axis",
                "must be a non-empty list of [[sweep.axis]] tables",
            )
        })?;
    let mut axes = Vec::new();
    for (index, value) in axes_list.iter().enumerate() {
        axes.push(parse_axis(value, index, &file, &base)?);
    }
    for (index, axis) in axes.iter().enumerate() {
        if axes[..index].iter().any(|other| other.label == axis.label) {
            return Err(invalid(
                &file,
                format!("sweep.axis[{index}]"),
                format!(
                    "sets `{}` like an earlier axis; each axis needs its own key or name",
                    axis.label
                ),
            ));
        }
    }
    if design == Design::Path {
        let path_axis = &axes[0];
        if !matches!(path_axis.values, AxisValues::List(_)) || path_axis.param.is_none() {
            return Err(invalid(
                &file,
                "sweep.axis[0]",
                "of a path design must be `param` with `values` listing the path in order",
            ));
        }
        let total = path_axis.grid_len() as u64 * steps_per_point as u64;
        if total > registry::MAX_STEPS {
            return Err(invalid(
                &file,
                "sweep.steps_per_point",
                format!(
                    "makes a path of {total} steps; at most {}",
                    registry::MAX_STEPS
                ),
            ));
        }
    }
    let spec = SweepSpec {
        name: stem.to_string(),
        source_text: text.to_string(),
        source_path: path.to_path_buf(),
        base,
        design,
        samples,
        steps_per_point,
        axes,
    };
    // Every point must make a valid scenario.
    for point in spec.points() {
        spec.scenario_for(&point).map_err(|(key, message)| {
            invalid(
                &file,
                key,
                format!("makes point {} invalid: {message}", point.id),
            )
        })?;
    }
    Ok(spec)
}

fn parse_axis(
    value: &toml::Value,
    index: usize,
    file: &str,
    base: &Scenario,
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
    let check_setting =
        |place: String, key: &str, value: &toml::Value| -> Result<(), ScenarioError> {
            let spec = lookup(key).ok_or_else(|| {
                let hint = did_you_mean(key, registry::PARAMS.iter().map(|p| p.key))
                    .map(|h| format!("; did you mean `{h}`?"))
                    .unwrap_or_default();
                invalid(
                    file,
                    &place,
                    format!("`{key}` is not a known parameter{hint}"),
                )
            })?;
            if spec.section() == "run" {
                return Err(invalid(
                    file,
                    &place,
                    format!("`{key}` cannot be swept (run settings are common to all points)"),
                ));
            }
            spec.set(&mut base.params.clone(), value)
                .map_err(|message| invalid(file, &place, format!("`{key}` {message}")))
        };
    if let Some(variants) = table.get("variants") {
        if table.contains_key("param") || table.contains_key("values") || table.contains_key("from")
        {
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
            let settings = settings.as_table().ok_or_else(|| {
                invalid(
                    file,
                    format!("{here}.variants.{variant}"),
                    "must be a table of \"section.key\" = value",
                )
            })?;
            for (key, value) in settings {
                check_setting(format!("{here}.variants.{variant}"), key, value)?;
            }
            parsed.push((variant.clone(), settings.clone()));
        }
        return Ok(Axis {
            label: name.to_string(),
            param: None,
            values: AxisValues::Variants(parsed),
        });
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
        let list = values
            .as_array()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| invalid(file, format!("{here}.values"), "must be a non-empty list"))?;
        for value in list {
            check_setting(format!("{here}.values"), &param, value)?;
        }
        AxisValues::List(list.clone())
    } else {
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
        let steps = match table.get("steps") {
            Some(toml::Value::Integer(n)) if (1..=100_000).contains(n) => *n as usize,
            _ => {
                return Err(invalid(
                    file,
                    format!("{here}.steps"),
                    "must be an integer in 1..=100000",
                ))
            }
        };
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
        for bound in [from, to] {
            check_setting(format!("{here}.from"), &param, &toml::Value::Float(bound))?;
        }
        AxisValues::Range {
            from,
            to,
            steps,
            scale,
        }
    };
    Ok(Axis {
        label,
        param: Some(param),
        values,
    })
}

impl SweepSpec {
    /// The points of the design, in id order.
    pub fn points(&self) -> Vec<Point> {
        match self.design {
            Design::Grid => self.grid_points(&self.axes),
            Design::Lhs => self.lhs_points(),
            Design::Path => self.path_points(),
        }
    }

    /// Column names of points.csv: one per axis (a path adds `branch` after the path axis).
    pub fn columns(&self) -> Vec<String> {
        let mut columns: Vec<String> = self.axes.iter().map(|a| a.label.clone()).collect();
        if self.design == Design::Path {
            columns.insert(1, "branch".to_string());
        }
        columns
    }

    /// A path for every combination of the other axes; along a path the branch is
    /// `outbound` until the direction of the values first turns, `return` after.
    fn path_points(&self) -> Vec<Point> {
        let path_axis = &self.axes[0];
        let length = path_axis.grid_len();
        let numbers: Vec<f64> = (0..length)
            .map(|i| path_axis.grid_value(i).1.parse().unwrap_or(i as f64))
            .collect();
        let mut turn = length;
        for i in 1..length.saturating_sub(1) {
            let before = numbers[i] - numbers[i - 1];
            let after = numbers[i + 1] - numbers[i];
            if before * after < 0.0 {
                turn = i;
                break;
            }
        }
        let combos = self.grid_points(&self.axes[1..]);
        let mut points = Vec::with_capacity(combos.len().max(1) * length);
        let combos = if combos.is_empty() {
            vec![self.point(0, std::iter::empty())]
        } else {
            combos
        };
        for (group, combo) in combos.iter().enumerate() {
            for position in 0..length {
                let (mut settings, label) = path_axis.grid_value(position);
                settings.extend(combo.settings.iter().cloned());
                let branch = if position <= turn {
                    "outbound"
                } else {
                    "return"
                };
                let mut labels = vec![label, branch.to_string()];
                labels.extend(combo.labels.iter().cloned());
                points.push(Point {
                    id: group * length + position,
                    group,
                    position,
                    labels,
                    settings,
                });
            }
        }
        points
    }

    /// The scenario that runs a whole path: the base with the group's other settings, the
    /// first path value from step 0 and each later value by schedule at its first step.
    pub fn path_scenario(&self, points: &[&Point]) -> Result<Scenario, (String, String)> {
        let first = points
            .first()
            .ok_or_else(|| ("sweep".to_string(), "empty path".to_string()))?;
        let mut scenario = self.scenario_for(first)?;
        let spp = self.steps_per_point as u64;
        scenario.params.run.steps = spp * points.len() as u64;
        scenario.params.run.burn_in = 0;
        let key = self.axes[0].param.clone().unwrap_or_default();
        for point in &points[1..] {
            let value = point
                .settings
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| (key.clone(), "missing on a path point".to_string()))?;
            let mut set = toml::Table::new();
            set.insert(key.clone(), value);
            scenario.schedule.push(crate::scenario::ScheduleEntry {
                at: spp * point.position as u64,
                set,
            });
        }
        scenario.schedule.sort_by_key(|entry| entry.at);
        scenario.name = format!("path-{}", first.group);
        Ok(scenario)
    }

    fn grid_points(&self, axes: &[Axis]) -> Vec<Point> {
        if axes.is_empty() {
            return Vec::new();
        }
        let sizes: Vec<usize> = axes.iter().map(Axis::grid_len).collect();
        let total: usize = sizes.iter().product();
        (0..total)
            .map(|id| {
                // The first axis varies slowest.
                let mut rest = id;
                let mut indices = vec![0; sizes.len()];
                for (slot, size) in indices.iter_mut().zip(&sizes).rev() {
                    *slot = rest % size;
                    rest /= size;
                }
                self.point(
                    id,
                    indices
                        .iter()
                        .enumerate()
                        .map(|(a, i)| axes[a].grid_value(*i)),
                )
            })
            .collect()
    }

    /// Latin hypercube: every axis is cut into `samples` strata, each used by exactly one
    /// point; numeric ranges draw uniformly inside their stratum, lists and variants take the
    /// value whose share of the strata contains it. Draws come from the design stream of
    /// the seed (replicate key of (seed, 2^64 - 1)).
    fn lhs_points(&self) -> Vec<Point> {
        let n = self.samples;
        let key = ReplicateKey::new(self.base.params.run.seed, u64::MAX);
        let mut columns: Vec<Vec<AxisValue>> = Vec::new();
        for (index, axis) in self.axes.iter().enumerate() {
            let mut stream = key.stream(0, index as u64, Phase::Init);
            let mut strata: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                let j = stream.below(i + 1);
                strata.swap(i, j);
            }
            let column = strata
                .iter()
                .map(|&stratum| match &axis.values {
                    AxisValues::Range {
                        from, to, scale, ..
                    } => {
                        let fraction = (stratum as f64 + stream.uniform()) / n as f64;
                        axis.at_fraction(*from, *to, *scale, fraction)
                    }
                    _ => axis.grid_value(stratum * axis.grid_len() / n),
                })
                .collect();
            columns.push(column);
        }
        (0..n)
            .map(|id| self.point(id, columns.iter().map(|column| column[id].clone())))
            .collect()
    }

    fn point(&self, id: usize, values: impl Iterator<Item = AxisValue>) -> Point {
        let mut labels = Vec::new();
        let mut settings = Vec::new();
        for (set, label) in values {
            settings.extend(set);
            labels.push(label);
        }
        Point {
            id,
            group: id,
            position: 0,
            labels,
            settings,
        }
    }

    /// The scenario of one point: the base with the point's settings (cross-checked).
    pub fn scenario_for(&self, point: &Point) -> Result<Scenario, (String, String)> {
        let mut scenario = self.base.clone();
        for (key, value) in &point.settings {
            let spec =
                lookup(key).ok_or_else(|| (key.clone(), "is not a known parameter".to_string()))?;
            spec.set(&mut scenario.params, value)
                .map_err(|m| (key.clone(), m))?;
        }
        registry::check_consistency(&scenario.params).map_err(|(k, m)| (k.to_string(), m))?;
        scenario.name = format!("point-{}", point.id);
        Ok(scenario)
    }
}
