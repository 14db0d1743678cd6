//! Sweep designs: the validated sweep (`SweepSpec`, its axes) and turning it into points
//! (grid: cartesian product; lhs: Latin hypercube, one sample per stratum on every axis;
//! path: a continuation along the first axis; sobol and morris: the unit-hypercube rows of
//! `sweep::sampling` mapped onto the axes) and into each point's scenario. Sweep files are
//! read by `sweep::file`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::boundary::{self, BoundarySpec};
use super::sampling;
use crate::registry::{self, lookup, ParamError};
use crate::rng::{Phase, ReplicateKey};
use crate::scenario::Scenario;

/// Most points a sweep may have.
pub const MAX_POINTS: u64 = 1_000_000;

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
    /// A numeric range: `steps` values from `from` to `to` (grid and path, which require
    /// `steps`), or a continuous range (lhs, sobol, morris).
    Range {
        from: f64,
        to: f64,
        steps: Option<usize>,
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

    /// Number of values (of a list, or the steps of a range).
    pub fn values_count(&self) -> usize {
        self.grid_len()
    }

    /// Number of grid values.
    pub(super) fn grid_len(&self) -> usize {
        match &self.values {
            AxisValues::List(values) => values.len(),
            AxisValues::Range { steps, .. } => steps.unwrap_or(1),
            AxisValues::Variants(variants) => variants.len(),
        }
    }

    /// The value at unit coordinate `u` in [0, 1]: a numeric range maps `u` linearly (or
    /// linearly in log space) onto `from..to`; k listed values or variants cut the unit
    /// interval into k equal parts, value i taking [i/k, (i+1)/k) (u = 1 takes the last).
    pub fn at_unit(&self, u: f64) -> AxisValue {
        match &self.values {
            AxisValues::Range {
                from, to, scale, ..
            } => self.at_fraction(*from, *to, *scale, u),
            _ => {
                let count = self.grid_len();
                let index = ((u * count as f64).floor() as usize).min(count - 1);
                self.grid_value(index)
            }
        }
    }

    /// Grid value `index`: (settings, label).
    fn grid_value(&self, index: usize) -> AxisValue {
        match &self.values {
            AxisValues::List(values) => {
                let value = values[index].clone();
                let label = match (&value, self.param.as_deref().map(crate::registry::lookup)) {
                    // A whole number given for a real parameter is labelled as the real it is.
                    (toml::Value::Integer(n), Some(Some(spec)))
                        if matches!(spec.field, crate::registry::Field::Real(..)) =>
                    {
                        value_label(&toml::Value::Float(*n as f64))
                    }
                    _ => value_label(&value),
                };
                (vec![(self.param.clone().unwrap_or_default(), value)], label)
            }
            AxisValues::Range {
                from,
                to,
                steps,
                scale,
            } => {
                let steps = steps.unwrap_or(1);
                let fraction = if steps > 1 {
                    index as f64 / (steps - 1) as f64
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

/// A Latin hypercube of `n` points over `continuous.len()` axes, column by column: for every
/// axis and point, (stratum, fraction). Each axis's `n` strata are shuffled (Fisher-Yates) on
/// the design stream `(step 0, group = axis index)` of `key`, so each point takes exactly one
/// stratum per axis; a continuous axis then draws its fraction uniformly inside the stratum,
/// `(stratum + u) / n`, while a discrete one draws nothing (fraction `stratum / n`).
pub fn latin_strata(n: usize, continuous: &[bool], key: &ReplicateKey) -> Vec<Vec<(usize, f64)>> {
    continuous
        .iter()
        .enumerate()
        .map(|(index, &continuous)| {
            let mut stream = key.stream(0, index as u64, Phase::Init);
            let mut strata: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                let j = stream.below(i + 1);
                strata.swap(i, j);
            }
            strata
                .into_iter()
                .map(|stratum| {
                    let within = if continuous { stream.uniform() } else { 0.0 };
                    (stratum, (stratum as f64 + within) / n as f64)
                })
                .collect()
        })
        .collect()
}

/// The text of a value in points.csv.
pub fn value_label(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => text.clone(),
        toml::Value::Float(number) => crate::output::tables::number(*number),
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
    /// Saltelli's sample of a scrambled Sobol' sequence, for Sobol' indices.
    Sobol,
    /// Morris one-at-a-time trajectories, for elementary effects.
    Morris,
    /// Tipping points: for every grid point of the other axes, the value of the first axis
    /// (a range) at which a condition starts to hold, found by bisection.
    Boundary,
}

impl Design {
    /// The name a sweep file gives the design.
    pub fn name(self) -> &'static str {
        match self {
            Design::Grid => "grid",
            Design::Lhs => "lhs",
            Design::Path => "path",
            Design::Sobol => "sobol",
            Design::Morris => "morris",
            Design::Boundary => "boundary",
        }
    }

    /// Designs made for sensitivity analysis.
    pub fn is_sensitivity(self) -> bool {
        matches!(self, Design::Sobol | Design::Morris)
    }
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
    /// LHS sample count, or Sobol' base rows.
    pub samples: usize,
    /// Sobol': also the cross-sampled BA rows that second-order indices need.
    #[serde(default)]
    pub second_order: bool,
    /// Morris: number of trajectories.
    #[serde(default)]
    pub trajectories: usize,
    /// Morris: number of grid levels p (even).
    #[serde(default)]
    pub levels: usize,
    /// `[sweep.boundary]` of a boundary design.
    #[serde(default)]
    pub boundary: Option<BoundarySpec>,
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

impl SweepSpec {
    /// How many points the design has, computed without making them (saturating).
    pub fn point_count(&self) -> u64 {
        let factors = self.axes.len();
        match self.design {
            Design::Lhs => self.samples as u64,
            Design::Sobol => (self.samples as u64)
                .saturating_mul(sampling::saltelli_block(factors, self.second_order) as u64),
            Design::Morris => (self.trajectories as u64).saturating_mul(factors as u64 + 1),
            Design::Boundary => {
                let searches = self.axes[1..].iter().fold(1u64, |count, axis| {
                    count.saturating_mul(axis.grid_len() as u64)
                });
                let per_search = self.boundary.as_ref().map_or(0, |b| b.max_evaluations);
                searches.saturating_mul(per_search as u64)
            }
            Design::Grid | Design::Path => self.axes.iter().fold(1u64, |count, axis| {
                count.saturating_mul(axis.grid_len() as u64)
            }),
        }
    }

    /// What a researcher should know before running the design.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.design == Design::Sobol && !self.samples.is_power_of_two() {
            warnings.push(format!(
                "{}: samples = {} is not a power of two; a Sobol' sequence is balanced only at powers of two (use {} or {})",
                self.source_path.display(),
                self.samples,
                self.samples.next_power_of_two() / 2,
                self.samples.next_power_of_two()
            ));
        }
        warnings
    }

    /// The points of the design, in id order.
    pub fn points(&self) -> Vec<Point> {
        match self.design {
            Design::Grid => self.grid_points(&self.axes),
            Design::Lhs => self.lhs_points(),
            Design::Path => self.path_points(),
            Design::Boundary => {
                let initial = self.boundary_range().grid(self.boundary_spec().initial);
                self.searches()
                    .iter()
                    .flat_map(|search| {
                        initial
                            .iter()
                            .enumerate()
                            .map(|(k, x)| self.boundary_point(search, k, *x))
                            .collect::<Vec<_>>()
                    })
                    .collect()
            }
            Design::Sobol | Design::Morris => self
                .unit_rows()
                .iter()
                .enumerate()
                .map(|(id, row)| {
                    let values = self.axes.iter().zip(row).map(|(a, u)| a.at_unit(*u));
                    self.point(id, values)
                })
                .collect(),
        }
    }

    /// The unit-hypercube coordinates of every point of a sobol or morris design, one row
    /// per point in id order (one column per axis); empty for other designs. The Sobol'
    /// scrambling and the Morris draws come from the design key of the seed, like LHS.
    pub fn unit_rows(&self) -> Vec<Vec<f64>> {
        let key = ReplicateKey::new(self.base.params.run.seed, u64::MAX);
        match self.design {
            Design::Sobol => {
                let scramble = key.stream(1, 0, Phase::Init).next_u64() as u32;
                sampling::saltelli_rows(self.samples, self.axes.len(), self.second_order, scramble)
            }
            Design::Morris => {
                let mut stream = key.stream(2, 0, Phase::Init);
                sampling::morris_rows(self.trajectories, self.axes.len(), self.levels, &mut stream)
            }
            _ => Vec::new(),
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

    /// A run-length override (`--steps`) for this sweep: a path runs that many steps at each
    /// value (`steps_per_point`), held to what the file allows (at least 2, a path of at
    /// most `registry::MAX_STEPS` steps; otherwise the refusal); other designs take it
    /// through their base's run settings.
    pub fn set_path_steps(&mut self, steps: Option<u64>) -> Result<(), String> {
        let (Design::Path, Some(steps)) = (self.design, steps) else {
            return Ok(());
        };
        let values = self.axes[0].grid_len() as u64;
        if steps < 2 || steps.saturating_mul(values) > registry::MAX_STEPS {
            return Err(format!(
                "--steps: a path design runs --steps steps at each of its {values} values, so it must be 2 to {}, got {steps}",
                registry::MAX_STEPS / values.max(1)
            ));
        }
        self.steps_per_point = steps as usize;
        Ok(())
    }

    /// The scenario that runs a whole path: the base with the group's other settings, the
    /// first path value from step 0 and each later value by schedule at its first step.
    pub fn path_scenario(&self, points: &[&Point]) -> Result<Scenario, ParamError> {
        let first = points
            .first()
            .ok_or_else(|| ParamError::new("sweep", "empty path"))?;
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
                .ok_or_else(|| ParamError::new(&key, "missing on a path point"))?;
            let mut set = toml::Table::new();
            set.insert(key.clone(), value);
            scenario.schedule.push(crate::scenario::ScheduleEntry {
                at: spp * point.position as u64,
                set,
                where_: None,
            });
        }
        scenario.schedule.sort_by_key(|entry| entry.at);
        scenario.name = format!("path-{}", first.group);
        Ok(scenario)
    }

    /// Boundary: one search per grid point of the axes after the first, in grid order (one
    /// search without settings when the first axis is the only one).
    pub fn searches(&self) -> Vec<Point> {
        if self.axes.len() == 1 {
            return vec![self.point(0, std::iter::empty())];
        }
        self.grid_points(&self.axes[1..])
    }

    /// Boundary: the settings of `[sweep.boundary]`.
    pub fn boundary_spec(&self) -> &BoundarySpec {
        self.boundary
            .as_ref()
            .expect("a boundary design has [sweep.boundary]")
    }

    /// The variants of the axis labelled `label`, each with its settings as `key = value`
    /// text in the file's order; None when there is no such variants axis.
    pub fn variants_of(&self, label: &str) -> Option<Vec<(String, Vec<String>)>> {
        let axis = self.axes.iter().find(|axis| axis.label == label)?;
        let AxisValues::Variants(variants) = &axis.values else {
            return None;
        };
        let settings = |table: &toml::Table| -> Vec<String> {
            table
                .iter()
                .map(|(key, value)| format!("`{key} = {value}`"))
                .collect()
        };
        Some(
            variants
                .iter()
                .map(|(name, table)| (name.clone(), settings(table)))
                .collect(),
        )
    }

    /// Boundary: the range the first axis is searched over.
    pub fn boundary_range(&self) -> boundary::Range {
        match &self.axes[0].values {
            AxisValues::Range {
                from, to, scale, ..
            } => boundary::Range {
                from: *from,
                to: *to,
                log: *scale == Scale::Log,
            },
            _ => {
                unreachable!("the first axis of a boundary design is a range (checked on loading)")
            }
        }
    }

    /// Boundary: evaluation `k` of `search`, at `x` on the first axis. Its id is
    /// `search × max_evaluations + k`, so an interrupted search finds its points again.
    pub fn boundary_point(&self, search: &Point, k: usize, x: f64) -> Point {
        let axis = &self.axes[0];
        let value = toml::Value::Float(x);
        let mut labels = vec![value_label(&value)];
        labels.extend(search.labels.iter().cloned());
        let mut settings = vec![(axis.param.clone().unwrap_or_default(), value)];
        settings.extend(search.settings.iter().cloned());
        Point {
            id: search.id * self.boundary_spec().max_evaluations + k,
            group: search.id,
            position: k,
            labels,
            settings,
        }
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
        let continuous: Vec<bool> = self
            .axes
            .iter()
            .map(|axis| matches!(axis.values, AxisValues::Range { .. }))
            .collect();
        let strata = latin_strata(n, &continuous, &key);
        let columns: Vec<Vec<AxisValue>> = self
            .axes
            .iter()
            .zip(&strata)
            .map(|(axis, column)| {
                column
                    .iter()
                    .map(|&(stratum, fraction)| match &axis.values {
                        AxisValues::Range {
                            from, to, scale, ..
                        } => axis.at_fraction(*from, *to, *scale, fraction),
                        _ => axis.grid_value(stratum * axis.grid_len() / n),
                    })
                    .collect()
            })
            .collect();
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
    pub fn scenario_for(&self, point: &Point) -> Result<Scenario, ParamError> {
        let mut scenario = self.base.clone();
        for (key, value) in &point.settings {
            let spec =
                lookup(key).ok_or_else(|| ParamError::new(key, "is not a known parameter"))?;
            spec.set(&mut scenario.params, value)?;
        }
        registry::check_consistency(&scenario.params)?;
        // A point that changes the hierarchy must leave the base schedule's `where` valid.
        if point
            .settings
            .iter()
            .any(|(key, _)| key.starts_with("hierarchy."))
        {
            scenario.check_wheres()?;
        }
        scenario.name = format!("point-{}", point.id);
        Ok(scenario)
    }
}
