//! The robustness check of the claims, as plain numbers: which parameters vary (every numeric
//! parameter with a plausible range that no claim names), their Latin-hypercube samples,
//! applying a sample to a scenario, and summarising the verdicts (the share of samples where
//! each claim holds with its Wilson interval, and a PRIM box of where it fails, in words).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::ClaimSpec;
use crate::calibrate::{self, Posterior};
use crate::discovery::bagging;
use crate::discovery::prim::{self, Cases, Column, Limit};
use crate::discovery::{densest_covering, DEFAULT_COVERAGE};
use crate::params::Params;
use crate::registry::{self, check_consistency, Field, ParamError, PARAMS};
use crate::rng::ReplicateKey;
use crate::scenario::Scenario;
use crate::stats::wilson95;
use crate::sweep::design::{latin_strata, AxisValues};
use crate::sweep::SweepSpec;

/// Replicate index of the robustness design's random streams (the sweep designs use
/// `u64::MAX`): the samples are a function of the experiments' seed alone.
const DESIGN_REPLICATE: u64 = u64::MAX - 1;

/// One varied parameter: its key and plausible range; integer parameters take whole values.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Factor {
    pub key: String,
    pub low: f64,
    pub high: f64,
    pub integer: bool,
}

/// Every numeric parameter with a plausible range that no claim names, in registry order.
pub fn factors(claims: &[ClaimSpec]) -> Vec<Factor> {
    let named: BTreeSet<&str> = claims
        .iter()
        .flat_map(|claim| claim.regime.iter().map(String::as_str))
        .collect();
    PARAMS
        .iter()
        .filter(|spec| !named.contains(spec.key))
        .filter_map(|spec| {
            spec.plausible.map(|range| Factor {
                key: spec.key.to_string(),
                low: range.low,
                high: range.high,
                integer: matches!(spec.field, Field::Count(..)),
            })
        })
        .collect()
}

/// The parameters a scenario sets away from the defaults: in its sections or its schedule.
pub fn set_by_scenario(scenario: &Scenario) -> BTreeSet<String> {
    let defaults = Params::default();
    let mut keys: BTreeSet<String> = PARAMS
        .iter()
        .filter(|spec| spec.value_text(&scenario.params) != spec.value_text(&defaults))
        .map(|spec| spec.key.to_string())
        .collect();
    for entry in &scenario.schedule {
        keys.extend(entry.set.keys().cloned());
    }
    keys
}

/// The parameters a sweep sets: its base scenario's and its axes'.
pub fn set_by_sweep(spec: &SweepSpec) -> BTreeSet<String> {
    let mut keys = set_by_scenario(&spec.base);
    for axis in &spec.axes {
        match &axis.values {
            AxisValues::Variants(variants) => {
                keys.extend(variants.iter().flat_map(|(_, set)| set.keys().cloned()));
            }
            _ => keys.extend(axis.param.clone()),
        }
    }
    keys
}

/// The first of `set` that is a factor (numeric, plausible, named by no claim): varying it
/// would change a regime the experiments define.
pub fn unnamed<'a>(set: &'a BTreeSet<String>, factors: &[Factor]) -> Option<&'a str> {
    set.iter()
        .map(String::as_str)
        .find(|key| factors.iter().any(|factor| factor.key == *key))
}

/// `n` Latin-hypercube samples of the factors (one row per sample, one value per factor),
/// each uniform within its plausible range; an integer factor's range `low..=high` is cut
/// into equal parts, one per whole value. A function of `seed` alone.
pub fn samples(factors: &[Factor], n: usize, seed: u64) -> Vec<Vec<f64>> {
    let key = ReplicateKey::new(seed, DESIGN_REPLICATE);
    let strata = latin_strata(n, &vec![true; factors.len()], &key);
    (0..n)
        .map(|sample| {
            factors
                .iter()
                .zip(&strata)
                .map(|(factor, column)| factor.at(column[sample].1))
                .collect()
        })
        .collect()
}

impl Factor {
    /// The value at `fraction` in [0, 1) of the plausible range.
    fn at(&self, fraction: f64) -> f64 {
        if self.integer {
            let count = self.high - self.low + 1.0;
            (self.low + (fraction * count).floor()).min(self.high)
        } else {
            self.low + (self.high - self.low) * fraction
        }
    }

    /// The factor's value in `params` (its default, for the row of the defaults).
    pub fn value_in(&self, params: &Params) -> f64 {
        let spec = registry::lookup(&self.key).expect("factors are registry keys");
        spec.value_text(params)
            .parse()
            .expect("a numeric parameter's text is a number")
    }
}

/// Stream of ChaCha8, seeded by the experiments' seed, of the posterior draws.
const POSTERIOR_STREAM: u64 = u64::MAX - 2;

/// Replace, in every sample row, each factor the posterior calibrated by a draw from the
/// posterior: systematic resampling of its particles, in an order shuffled by `seed`, so the
/// calibrated keys keep their joint posterior and are independent of the other factors'
/// hypercube. Returns the keys drawn, in factor order.
pub fn draw_from_posterior(
    rows: &mut [Vec<f64>],
    factors: &[Factor],
    posterior: &Posterior,
    seed: u64,
) -> Vec<String> {
    let columns: Vec<(usize, usize)> = factors
        .iter()
        .enumerate()
        .filter_map(|(f, factor)| {
            let k = posterior.keys.iter().position(|key| *key == factor.key)?;
            Some((f, k))
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(POSTERIOR_STREAM);
    let mut draws =
        calibrate::resample(&posterior.points, &posterior.weights, rows.len(), &mut rng);
    draws.shuffle(&mut rng);
    for (row, draw) in rows.iter_mut().zip(&draws) {
        for &(f, k) in &columns {
            row[f] = draw[k];
        }
    }
    columns
        .iter()
        .map(|&(f, _)| factors[f].key.clone())
        .collect()
}

/// Set every factor to its value in `values`; fails if the parameters become inconsistent.
pub fn apply(params: &mut Params, factors: &[Factor], values: &[f64]) -> Result<(), ParamError> {
    for (factor, value) in factors.iter().zip(values) {
        let spec = registry::lookup(&factor.key).expect("factors are registry keys");
        let value = if factor.integer {
            toml::Value::Integer(*value as i64)
        } else {
            toml::Value::Float(*value)
        };
        spec.set(params, &value)?;
    }
    check_consistency(params)
}

/// One restricted parameter of a failure box: inclusive limits (None where the box keeps the
/// sampled end), PRIM's quasi-p-value in the final box, and the share of bootstrap resamples
/// whose box restricts it.
#[derive(Clone, Debug, PartialEq)]
pub struct Bound {
    pub key: String,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub p_value: Option<f64>,
    pub inclusion: Option<f64>,
}

/// Where a claim fails: PRIM's densest box with coverage >= 0.5 of the failing samples.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureBox {
    pub bounds: Vec<Bound>,
    pub coverage: f64,
    pub density: f64,
    pub mass: f64,
    /// The box restricts the dummy factor (uniform noise): it fits noise.
    pub spurious: bool,
}

/// How one claim fared over the samples.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimRobustness {
    pub claim: String,
    pub samples: usize,
    pub holding: usize,
    /// Wilson 95% interval of the share holding.
    pub low: f64,
    pub high: f64,
    /// Where it fails (None when it holds everywhere or fails everywhere).
    pub failure: Option<FailureBox>,
    /// The claim's effect (its size without thresholds) over the samples.
    pub effect: EffectSpread,
}

/// The median and the 5% and 95% quantiles (type 7) of a claim's effect over the samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EffectSpread {
    pub median: f64,
    pub q05: f64,
    pub q95: f64,
}

impl EffectSpread {
    pub fn of(values: &[f64]) -> Self {
        EffectSpread {
            median: crate::stats::quantile(values, 0.5),
            q05: crate::stats::quantile(values, 0.05),
            q95: crate::stats::quantile(values, 0.95),
        }
    }

    /// "0.12 [0.05, 0.20]": three significant digits of the largest.
    pub fn text(&self) -> String {
        let scale = [self.median, self.q05, self.q95]
            .iter()
            .fold(0.0f64, |m, x| m.max(x.abs()));
        let d = if scale > 0.0 && scale.is_finite() {
            (2 - scale.log10().floor() as i32).clamp(0, 9) as usize
        } else {
            3
        };
        format!("{:.d$} [{:.d$}, {:.d$}]", self.median, self.q05, self.q95)
    }
}

impl ClaimRobustness {
    pub fn share(&self) -> f64 {
        self.holding as f64 / self.samples.max(1) as f64
    }

    /// Where the claim fails, in words.
    pub fn fails_where(&self) -> String {
        if self.holding == self.samples {
            return "holds at every sample".to_string();
        }
        if self.holding == 0 {
            return "fails at every sample".to_string();
        }
        match &self.failure {
            Some(failure) if failure.spurious => format!(
                "fails at {} samples; PRIM's box restricts the dummy factor (uniform noise), so it fits noise and is not reported",
                self.samples - self.holding
            ),
            Some(failure) if !failure.bounds.is_empty() => {
                let conditions: Vec<String> = failure.bounds.iter().map(Bound::words).collect();
                format!(
                    "fails when {} ({:.0}% of the samples there fail; they hold {:.0}% of all failures)",
                    conditions.join(" and "),
                    failure.density * 100.0,
                    failure.coverage * 100.0
                )
            }
            Some(_) => format!(
                "fails at {} samples, in no box with a limit of quasi-p-value below {SIGNIFICANCE}",
                self.samples - self.holding
            ),
            None => format!(
                "fails at {} of {} samples: too few (or too few holding) for a box",
                self.samples - self.holding,
                self.samples
            ),
        }
    }
}

impl Bound {
    /// "`key` ≥ 0.4", "`key` ≤ 0.02" or "0.1 ≤ `key` ≤ 0.3".
    pub fn words(&self) -> String {
        let number = |x: f64| registry::format_real(significant(x));
        match (self.lower, self.upper) {
            (Some(low), Some(high)) => {
                format!("{} ≤ `{}` ≤ {}", number(low), self.key, number(high))
            }
            (Some(low), None) => format!("`{}` ≥ {}", self.key, number(low)),
            (None, Some(high)) => format!("`{}` ≤ {}", self.key, number(high)),
            (None, None) => format!("`{}` anywhere", self.key),
        }
    }
}

/// `x` to three significant digits.
fn significant(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = 2 - x.abs().log10().floor() as i32;
    let factor = 10f64.powi(digits);
    (x * factor).round() / factor
}

/// Summarise the verdicts: `values[s]` are the factor values of sample s, `holds[s][c]`
/// whether claim c held there and `effects[s][c]` its effect (the samples of the design,
/// without the defaults).
pub fn summarise(
    claims: &[String],
    factors: &[Factor],
    values: &[Vec<f64>],
    holds: &[Vec<bool>],
    effects: &[Vec<f64>],
    seed: u64,
) -> Vec<ClaimRobustness> {
    let mut columns: Vec<Column> = (0..factors.len())
        .map(|j| Column::Numeric(values.iter().map(|row| row[j]).collect()))
        .collect();
    columns.push(Column::Numeric(bagging::dummy_values(values.len(), seed)));
    claims
        .iter()
        .enumerate()
        .map(|(c, claim)| {
            let fails: Vec<bool> = holds.iter().map(|row| !row[c]).collect();
            let holding = fails.iter().filter(|f| !**f).count();
            let (low, high) = wilson95(holding, fails.len());
            let failing = fails.len() - holding;
            let failure = (holding >= MIN_CASES_FOR_A_BOX && failing >= MIN_CASES_FOR_A_BOX)
                .then(|| failure_box(&columns, &fails, factors, seed));
            let effect: Vec<f64> = effects.iter().map(|row| row[c]).collect();
            ClaimRobustness {
                claim: claim.clone(),
                samples: fails.len(),
                holding,
                low,
                high,
                failure,
                effect: EffectSpread::of(&effect),
            }
        })
        .collect()
}

/// Fewest failing (and holding) samples for which a failure box is sought: PRIM's minimum
/// mass of 0.05 needs a few cases to mean anything.
pub const MIN_CASES_FOR_A_BOX: usize = 3;

/// Largest quasi-p-value of a limit kept in a failure box.
pub const SIGNIFICANCE: f64 = 0.05;

/// PRIM (default options) on the failing samples, with the dummy factor as the last column:
/// the densest box with coverage >= 0.5; the restrictions that recur in fewer than
/// `bagging::KEEP` of `bagging::DEFAULT_RESAMPLES` bootstrap resamples lifted; then, while
/// some kept limit's quasi-p-value, computed in the current box, is not below
/// `SIGNIFICANCE`, the least significant one lifted (the EMA Workbench's
/// `PrimBox.drop_restriction`, one at a time) and the box's statistics recomputed.
fn failure_box(columns: &[Column], fails: &[bool], factors: &[Factor], seed: u64) -> FailureBox {
    let cases = Cases {
        columns,
        outcome: fails,
    };
    let options = prim::Options::default();
    let trajectory = prim::prim(&cases, &options);
    let choose = |t: &[prim::TrajectoryBox]| densest_covering(t, DEFAULT_COVERAGE);
    let chosen = &trajectory[choose(&trajectory)];
    let initial = cases.initial_box();
    let inclusion = bagging::inclusion(&cases, &options, bagging::DEFAULT_RESAMPLES, seed, &choose);
    let mut limits: Vec<Limit> = (0..columns.len())
        .map(|j| match inclusion[j] >= bagging::KEEP {
            true => chosen.limits[j].clone(),
            false => initial[j].clone(),
        })
        .collect();
    let p_values = loop {
        let p_values = prim::quasi_p_values(&cases, &limits, &initial);
        let weakest = (0..columns.len())
            .filter_map(|j| p_values[j].map(|p| (j, p)))
            .filter(|&(_, p)| p >= SIGNIFICANCE)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match weakest {
            Some((j, _)) => limits[j] = initial[j].clone(),
            None => break p_values,
        }
    };
    let all: Vec<usize> = (0..fails.len()).collect();
    let relaxed = cases.statistics(limits.clone(), &cases.inside(&limits, &all), &initial);
    let bounds = factors
        .iter()
        .enumerate()
        .filter_map(|(j, factor)| match (&limits[j], &initial[j]) {
            (Limit::Range(low, high), Limit::Range(first, last)) if limits[j] != initial[j] => {
                Some(Bound {
                    key: factor.key.clone(),
                    lower: (low > first).then_some(*low),
                    upper: (high < last).then_some(*high),
                    p_value: p_values[j],
                    inclusion: Some(inclusion[j]),
                })
            }
            _ => None,
        })
        .collect();
    let dummy = columns.len() - 1;
    FailureBox {
        bounds,
        coverage: relaxed.coverage,
        density: relaxed.density,
        mass: relaxed.mass,
        spurious: limits[dummy] != initial[dummy],
    }
}

/// What the robustness run did, for the section of RESULTS.md.
pub struct Settings<'a> {
    pub samples: usize,
    pub replicates: u64,
    pub steps: u64,
    /// The second stage's replicates (0: none), at how many samples 1..N it ran, and how
    /// many verdicts (sample and claim) it decided.
    pub confirm: u64,
    pub confirmed: usize,
    pub redecided: usize,
    pub factors: &'a [Factor],
    /// The verdicts at the defaults under these settings, per claim.
    pub at_defaults: &'a [(String, bool)],
    /// The calibration directory and the factors drawn from its posterior.
    pub posterior: Option<(String, &'a [String])>,
}

/// The section "Robustness" of RESULTS.md.
pub fn robustness_section(
    settings: &Settings,
    claims: &[ClaimSpec],
    rows: &[ClaimRobustness],
    figure: &str,
) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{}",
        match &settings.posterior {
            None => "\n## Robustness: do the claims survive other plausible values?\n",
            Some(_) => "\n## Robustness on the calibrated posterior\n",
        }
    );
    if let Some((dir, drawn)) = &settings.posterior {
        let keys: Vec<String> = drawn.iter().map(|k| format!("`{k}`")).collect();
        let _ = writeln!(
            text,
            "As the section before, except that the {} parameters calibrated in `{dir}` that the robustness check varies ({}) take draws from the calibration's posterior (systematic resampling of its particles, in shuffled order, so they keep their joint posterior), instead of uniform values in their plausible ranges; the other parameters are drawn as before (docs/CALIBRATION.md).\n",
            drawn.len(),
            keys.join(", ")
        );
    }
    let _ = writeln!(
        text,
        "Each experiment was re-run at {} Latin-hypercube samples of the {} numeric parameters that no claim names, each drawn uniformly within its plausible range (the ranges and their reasons are in docs/PARAMETERS.md), with {} replicates and a fixed horizon of {} steps per scenario and sweep point (far shorter than the regimes' relaxation, so each sample decides the claims for the corps after that many steps), and every claim was decided at every sample by its own test. Fewer replicates than the full runs make each paired test weaker, so a claim can fail at a sample by chance. The parameters the claims name stay at the experiments' values:",
        settings.samples,
        settings.factors.len(),
        settings.replicates,
        settings.steps
    );
    for claim in claims {
        let named: Vec<String> = claim.regime.iter().map(|k| format!("`{k}`")).collect();
        let _ = writeln!(text, "- `{}`: {}", claim.id, named.join(", "));
    }
    if settings.confirm > 0 {
        let _ = writeln!(
            text,
            "\nTwo stages: where a claim's effect was not clear at a sample (its 95% interval held 0), so that its verdict could rest on too few replicates, the experiments that claim reads were run again with {} replicates (the first {} of them the same runs) and the claim decided by that second stage; the sample's other claims keep the first stage's verdicts. The second stage decided {} verdicts at {} of the {} samples.",
            settings.confirm, settings.replicates, settings.redecided, settings.confirmed, settings.samples
        );
    }
    let held: Vec<String> = settings
        .at_defaults
        .iter()
        .map(|(id, holds)| format!("`{id}` {}", super::verdict_word(*holds)))
        .collect();
    let _ = writeln!(
        text,
        "\nAt the defaults with these settings (sample 0, not counted below): {}.\n",
        held.join(", ")
    );
    let _ = writeln!(text, "![robustness]({figure})\n");
    let _ = writeln!(
        text,
        "| claim | holds at | share | 95% interval (Wilson) | effect: median [5%, 95%] | where it fails (PRIM box) |\n|---|---|---|---|---|---|"
    );
    for row in rows {
        let long_run = claims
            .iter()
            .any(|claim| claim.id == row.claim && claim.long_run);
        let _ = writeln!(
            text,
            "| `{}`{} | {} of {} | {:.2} | [{:.2}, {:.2}] | {} | {} |",
            row.claim,
            if long_run { " (long run)" } else { "" },
            row.holding,
            row.samples,
            row.share(),
            row.low,
            row.high,
            row.effect.text(),
            row.fails_where()
        );
    }
    let _ = writeln!(
        text,
        "\nThe effect is each claim's size without thresholds, as in its section, at every sample: its median and 5% and 95% quantiles over the samples show how far it moves, whatever the verdict. A claim marked (long run) is about the corps' long run, which the samples' short fixed horizon does not reach: its share here is that of the corps after {} steps.",
        settings.steps
    );
    let _ = writeln!(
        text,
        "\nA failure box is PRIM's densest box (Friedman & Fisher 1999, as in the EMA Workbench; peeling alpha 0.05, minimum mass 0.05) that still holds at least half of the claim's failing samples, bagged (Kwakkel & Cunningham 2016: only restrictions that recur in at least 80% of 100 bootstrap resamples' boxes are kept), then with the least significant limit dropped while any has a quasi-p-value of 0.05 or more, each recomputed in the box that remains (the EMA Workbench's `drop_restriction`), and the box's statistics recomputed. A dummy factor (uniform noise, one value per sample) joins the parameters; a box that restricts it fits noise and is not reported. A box is sought only where at least {MIN_CASES_FOR_A_BOX} samples fail and {MIN_CASES_FOR_A_BOX} hold. With {} samples over {} parameters a box is a pointer to where to look, not a finding: its limits and quasi-p-values are in `failures.csv`, and `cadresim discover` on a dedicated sweep can test it.",
        settings.samples,
        settings.factors.len()
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factor(key: &str, low: f64, high: f64, integer: bool) -> Factor {
        Factor {
            key: key.into(),
            low,
            high,
            integer,
        }
    }

    #[test]
    fn samples_take_one_stratum_per_factor_and_whole_values_for_integers() {
        let factors = [
            factor("cadres.turnover", 0.01, 0.08, false),
            factor("work.innovation_levels", 2.0, 8.0, true),
        ];
        let rows = samples(&factors, 14, 7);
        assert_eq!(rows, samples(&factors, 14, 7));
        let mut strata: Vec<usize> = rows
            .iter()
            .map(|row| ((row[0] - 0.01) / 0.07 * 14.0).floor() as usize)
            .collect();
        strata.sort();
        assert_eq!(strata, (0..14).collect::<Vec<_>>());
        let mut counts = [0; 7];
        for row in &rows {
            assert_eq!(row[1], row[1].round());
            counts[row[1] as usize - 2] += 1;
        }
        assert_eq!(counts, [2; 7], "14 strata over 7 whole values: two each");
    }

    #[test]
    fn named_parameters_are_not_factors() {
        let claim = ClaimSpec {
            id: "lifelong".into(),
            text: String::new(),
            kind: crate::reproduce::ClaimKind::Accounting,
            why: String::new(),
            in_paper: true,
            long_run: false,
            files: Vec::new(),
            regime: vec!["cadres.turnover".into()],
            explanation: None,
        };
        let keys: Vec<String> = factors(&[claim]).into_iter().map(|f| f.key).collect();
        assert!(!keys.contains(&"cadres.turnover".to_string()));
        assert!(keys.contains(&"behaviour.aspiration_rate".to_string()));
        assert!(!keys.iter().any(|k| k.starts_with("run.")));
    }

    #[test]
    fn a_planted_failure_region_is_boxed_in_words() {
        let factors = [
            factor("behaviour.aspiration_rate", 0.0, 1.0, false),
            factor("cadres.turnover", 0.0, 1.0, false),
        ];
        let values = samples(&factors, 200, 3);
        let holds: Vec<Vec<bool>> = values
            .iter()
            .map(|row| vec![true, row[0] <= 0.6, false])
            .collect();
        let claims = ["a".to_string(), "b".to_string(), "c".to_string()];
        let effects: Vec<Vec<f64>> = (0..values.len())
            .map(|s| vec![1.0, 2.0 * s as f64, 0.0])
            .collect();
        let rows = summarise(&claims, &factors, &values, &holds, &effects, 1);
        // The effects' median and 5-95% quantiles over the 200 samples (type 7: 0, 2, ...,
        // 398 at h = 199 q).
        let spread = rows[1].effect;
        assert!((spread.median - 199.0).abs() < 1e-9, "{spread:?}");
        assert!((spread.q05 - 19.9).abs() < 1e-9, "{spread:?}");
        assert!((spread.q95 - 378.1).abs() < 1e-9, "{spread:?}");
        assert_eq!(spread.text(), "199 [20, 378]");
        assert_eq!(rows[0].fails_where(), "holds at every sample");
        assert_eq!((rows[0].holding, rows[0].samples), (200, 200));
        assert_eq!(rows[2].fails_where(), "fails at every sample");
        let failure = rows[1].failure.as_ref().expect("a box");
        assert_eq!(failure.bounds.len(), 1);
        assert_eq!(failure.bounds[0].key, "behaviour.aspiration_rate");
        let lower = failure.bounds[0].lower.expect("a lower limit");
        assert!((0.55..=0.65).contains(&lower), "{lower}");
        // Kept by bagging, significant in the final box, and the dummy factor is free.
        assert!(failure.bounds[0].inclusion.is_some_and(|i| i >= 0.8));
        assert!(failure.bounds[0].p_value.is_some_and(|p| p < SIGNIFICANCE));
        assert!(!failure.spurious);
        assert!(rows[1]
            .fails_where()
            .starts_with("fails when `behaviour.aspiration_rate` ≥ 0."));
        let (low, high) = wilson95(rows[1].holding, 200);
        assert_eq!((rows[1].low, rows[1].high), (low, high));
    }

    #[test]
    fn failures_at_random_get_no_significant_box() {
        let factors = [
            factor("behaviour.aspiration_rate", 0.0, 1.0, false),
            factor("cadres.turnover", 0.0, 1.0, false),
            factor("behaviour.explore", 0.0, 1.0, false),
        ];
        let values = samples(&factors, 120, 5);
        // Fails at every third sample, whatever the parameters.
        let holds: Vec<Vec<bool>> = (0..values.len()).map(|s| vec![s % 3 != 0]).collect();
        let effects = vec![vec![0.0]; values.len()];
        let rows = summarise(&["a".to_string()], &factors, &values, &holds, &effects, 2);
        let failure = rows[0].failure.as_ref().expect("a box is sought");
        assert!(
            failure.bounds.is_empty() || failure.spurious,
            "{:?}",
            failure.bounds
        );
    }
}
