//! The rows of the result tables as the analyses make and read them, and the one text form of
//! a number in a table cell. Every analysis's rows are here, below the store that writes them:
//! a replicate's equilibrium at one level and a sweep's points (which several analyses read),
//! sensitivity indices, PRIM's trajectory and box, differences from a baseline, schedule
//! effects, boundary searches, the robustness check's verdicts, shares and failure boxes, and
//! the structural factorial's verdicts and shares. The library's `output::tables` writes and
//! reads every one of them, one module per kind of result. Where a table's columns are a
//! row's fields, the row derives serde and its number cells are these functions'
//! (`serialize_with`): PRIM's trajectory and box, the robustness check's and the structural
//! factorial's tables. The others are written column by column because their columns are not
//! fixed fields: a summary's and a boundary search's depend on the metrics or the design, a
//! sensitivity table has a sample-size column only for convergence, a difference is a view of
//! a paired or Welch comparison, and effects are also stored as Parquet.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A float cell: the shortest digits that read back to the same value, always with a decimal
/// point or an exponent (`4.0`, `0.1`, `1e-7`), so that every CSV reader types the column as
/// float (polars and DuckDB infer a column written `4` as integer).
pub fn number(value: f64) -> String {
    format!("{value:?}")
}

/// A float cell that may be missing: empty where it is.
pub fn optional(value: Option<f64>) -> String {
    value.map(number).unwrap_or_default()
}

/// serde: a float as [`number`] writes it.
pub fn serialize_number<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&number(*value))
}

/// serde: a float that may be missing, as [`optional`] writes it.
pub fn serialize_optional<S: Serializer>(
    value: &Option<f64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&optional(*value))
}

/// serde: text values written as one cell, joined by `|`.
pub fn serialize_joined<S: Serializer>(
    values: &[String],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&values.join("|"))
}

/// serde: a float whose NaN means "not decided", written as an empty cell.
pub fn serialize_nan_empty<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&optional(Some(*value).filter(|v| !v.is_nan())))
}

/// serde: an empty cell read back as NaN, else a float.
pub fn deserialize_nan_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text.is_empty() {
        return Ok(f64::NAN);
    }
    text.parse().map_err(serde::de::Error::custom)
}

/// One row of `summary.csv` (or `sweep.csv`) read back: a replicate's equilibrium at one level.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    /// The scenario name (the point id in `sweep.csv`).
    pub scenario: String,
    pub replicate: usize,
    pub level: String,
    /// The equilibrium mean of every metric, in `METRICS` order.
    pub means: Vec<f64>,
    /// The equilibrium class.
    pub class: String,
    /// Whether the replicate had settled before its equilibrium window (None in a table
    /// without the column).
    pub settled: Option<bool>,
}

/// `points.csv` read back: the axis columns and, per point in file order, its id and labels.
#[derive(Clone, Debug, Default)]
pub struct PointsTable {
    pub columns: Vec<String>,
    pub points: Vec<(String, Vec<String>)>,
}

/// One index of one parameter for one metric: a row of `sensitivity.csv` and, with its sample
/// size, of `sensitivity_convergence.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct SensitivityRow {
    /// `sobol` or `morris`.
    pub method: String,
    pub metric: String,
    pub level: String,
    /// The axis label; `a|b` for S2; empty for noise_share.
    pub parameter: String,
    /// `S1`, `ST`, `S2`, `mu`, `mu_star`, `sigma` or `noise_share`.
    pub index: String,
    /// Base rows (sobol) or trajectories (morris) the estimate used.
    pub sample_size: usize,
    /// None where it cannot be computed (a noise share with one replicate).
    pub estimate: Option<f64>,
    /// The 95% interval, where the index has one.
    pub interval: Option<(f64, f64)>,
}

/// One box of a PRIM trajectory: a row of `trajectory.csv` (its columns are these fields).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrajectoryRow {
    /// The box's position on the peeling and pasting trajectory, from 0 = every case.
    #[serde(rename = "box")]
    pub index: usize,
    #[serde(serialize_with = "serialize_number")]
    pub coverage: f64,
    #[serde(serialize_with = "serialize_number")]
    pub density: f64,
    #[serde(serialize_with = "serialize_number")]
    pub mass: f64,
    pub restricted: usize,
    pub n: usize,
}

/// One restricted parameter of a discovered box: a row of `box.csv` (its columns are these
/// fields).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BoxRow {
    pub parameter: String,
    /// Inclusive bounds (numeric parameters; both or neither).
    #[serde(serialize_with = "serialize_optional")]
    pub lower: Option<f64>,
    #[serde(serialize_with = "serialize_optional")]
    pub upper: Option<f64>,
    /// Kept values (categorical parameters), written joined by `|`.
    #[serde(serialize_with = "serialize_joined")]
    pub values: Vec<String>,
    #[serde(serialize_with = "serialize_optional")]
    pub p_value: Option<f64>,
    /// Share of bagged PRIM's bootstrap resamples whose box restricts the parameter.
    #[serde(serialize_with = "serialize_optional")]
    pub inclusion: Option<f64>,
}

impl BoxRow {
    /// The inclusive bounds of a numeric parameter.
    pub fn bounds(&self) -> Option<(f64, f64)> {
        self.lower.zip(self.upper)
    }
}

/// One row of `differences.csv`: a scenario's paired difference from the baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct DifferenceRow {
    pub scenario: String,
    pub level: String,
    pub metric: String,
    pub difference: cadresim_model::stats::Difference,
}

/// One row of `effects.csv`: the effect of one schedule entry on one metric of the whole
/// hierarchy `k` steps after the entry (the mean over replicates of factual minus
/// counterfactual, and its t-based 95% interval; None with a single replicate).
#[derive(Clone, Debug, PartialEq)]
pub struct EffectRow {
    pub scenario: String,
    /// The entry: `N@STEP`, the N-th `[[schedule]]` entry of the scenario (from 1), at STEP.
    pub event: String,
    pub metric: String,
    pub k: u64,
    pub effect: f64,
    pub ci95: Option<(f64, f64)>,
    pub n: usize,
}

/// One search of a boundary design: a row of `boundary.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct BoundaryRow {
    /// The values of the axes after the first (the search's settings).
    pub labels: Vec<String>,
    /// Mean crossing over the replicates that cross, and its t-based 95% interval.
    pub estimate: Option<f64>,
    pub ci95: Option<(f64, f64)>,
    /// Replicates with a crossing, of `replicates`.
    pub crossed: usize,
    pub replicates: usize,
    /// Where the condition on the replicates' mean equilibrium changes.
    pub bracket: Option<(f64, f64)>,
    pub evaluations: usize,
    /// Empty for a clean crossing, else `below`, `above`, `non-monotone` or `mixed`.
    pub flag: String,
}

/// One verdict of the robustness check: a row of `verdicts.csv` and of a sample's part (its
/// columns are these fields).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerdictRow {
    /// 0 is the defaults; 1..=N the Latin-hypercube samples.
    pub sample: usize,
    pub claim: String,
    pub holds: bool,
    /// The claim's effect at the sample (its size without thresholds); NaN (an empty cell)
    /// for a claim not decided.
    #[serde(
        serialize_with = "serialize_nan_empty",
        deserialize_with = "deserialize_nan_empty"
    )]
    pub effect: f64,
    /// The replicates that decided it (the second stage's where the first was not clear);
    /// None in parts written before the column existed.
    #[serde(default)]
    pub replicates: Option<u64>,
}

/// One claim's robustness: a row of `robustness.csv` (its columns are these fields).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RobustnessRow {
    pub claim: String,
    pub samples: usize,
    pub holding: usize,
    #[serde(serialize_with = "serialize_number")]
    pub share: f64,
    #[serde(serialize_with = "serialize_number")]
    pub ci95_low: f64,
    #[serde(serialize_with = "serialize_number")]
    pub ci95_high: f64,
    /// The claim's effect over the samples: median, 5% and 95% quantiles.
    #[serde(serialize_with = "serialize_number")]
    pub effect_median: f64,
    #[serde(serialize_with = "serialize_number")]
    pub effect_q05: f64,
    #[serde(serialize_with = "serialize_number")]
    pub effect_q95: f64,
    /// Where the claim fails, in words.
    pub fails_where: String,
}

/// One limit of a claim's failure box: a row of `failures.csv` (its columns are these fields).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailureRow {
    pub claim: String,
    pub parameter: String,
    #[serde(serialize_with = "serialize_optional")]
    pub lower: Option<f64>,
    #[serde(serialize_with = "serialize_optional")]
    pub upper: Option<f64>,
    #[serde(serialize_with = "serialize_optional")]
    pub p_value: Option<f64>,
    #[serde(serialize_with = "serialize_optional")]
    pub inclusion: Option<f64>,
    #[serde(serialize_with = "serialize_number")]
    pub coverage: f64,
    #[serde(serialize_with = "serialize_number")]
    pub density: f64,
    #[serde(serialize_with = "serialize_number")]
    pub mass: f64,
}

/// One claim at one cell of the structural factorial: a row of `structure/verdicts.csv` (its
/// columns are these fields).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CellVerdictRow {
    pub cell: usize,
    pub claim: String,
    /// Whether the cell can decide the claim (it sets no parameter of the claim's regimes).
    pub applicable: bool,
    pub holds: bool,
    /// The claim's effect; None (an empty cell) where the cell cannot decide the claim.
    #[serde(serialize_with = "serialize_optional")]
    pub effect: Option<f64>,
}

/// One claim at one level of one switch: a row of `structure/structure.csv` (its columns are
/// these fields).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LevelShareRow {
    pub claim: String,
    pub switch: String,
    pub level: String,
    /// Cells at this level that can decide the claim, and those where it holds.
    pub cells: usize,
    pub holding: usize,
    /// holding / cells and its Wilson 95% interval; None (empty cells) without such cells.
    #[serde(serialize_with = "serialize_optional")]
    pub share: Option<f64>,
    #[serde(serialize_with = "serialize_optional")]
    pub ci95_low: Option<f64>,
    #[serde(serialize_with = "serialize_optional")]
    pub ci95_high: Option<f64>,
}
