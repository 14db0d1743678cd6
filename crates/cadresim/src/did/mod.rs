//! Difference-in-differences inside the model, where the truth is known: the design of a
//! scenario whose schedule adopts a policy in some units at different steps (its `where`
//! entries), the counterfactual scenario without those entries (the same seeds, so the two
//! runs are identical until the first adoption), the unit x step panels of both runs, the
//! true effects (factual - counterfactual), and the rows the estimators of [`estimate`] give
//! on every replicate's panel, with their truth and, over replicates, bias, RMSE, coverage
//! and pre-trend rejection. Numbers in, numbers out: `output::did` writes the tables,
//! `charts::did` draws them, `study::did` runs the whole.

// The estimators on plain numbers live in the analysis crate.
pub use cadresim_analysis::did::estimate;

use serde::{Deserialize, Serialize};

use crate::hierarchy::Hierarchy;
use crate::metrics::{metric_index, METRICS};
use crate::runner::ReplicateResult;
use crate::scenario::Scenario;
use crate::stats;
use estimate::{Control, Estimate, Panel};

/// Who adopts when: the level named by the scenario's `where` entries, its units (in the
/// order the model records them) and each unit's cohort, the step of its first adoption
/// (None: never treated within the run).
#[derive(Clone, Debug, PartialEq)]
pub struct Design {
    pub level: String,
    pub codes: Vec<String>,
    pub names: Vec<String>,
    pub cohorts: Vec<Option<i64>>,
}

impl Design {
    /// The distinct cohorts, ascending.
    pub fn cohort_steps(&self) -> Vec<i64> {
        let mut steps: Vec<i64> = self.cohorts.iter().flatten().copied().collect();
        steps.sort_unstable();
        steps.dedup();
        steps
    }

    /// Units never treated within the run.
    pub fn never_treated(&self) -> usize {
        self.cohorts.iter().filter(|c| c.is_none()).count()
    }
}

/// The adoption design of `scenario`, or why it has none a staggered design can use.
pub fn design(scenario: &Scenario) -> Result<Design, String> {
    let entries: Vec<_> = scenario
        .schedule
        .iter()
        .filter_map(|entry| entry.where_.as_ref().map(|w| (entry.at, w)))
        .collect();
    let Some((_, first)) = entries.first() else {
        return Err("has no schedule entry with `where`: a staggered design needs units adopting a policy at different steps".into());
    };
    let level = first.level.clone();
    if let Some((_, other)) = entries.iter().find(|(_, w)| w.level != level) {
        return Err(format!(
            "adopts at two levels (`{level}` and `{}`): every `where` entry must name the same level",
            other.level
        ));
    }
    let params = &scenario.params;
    let index = params
        .hierarchy
        .levels
        .iter()
        .position(|l| l.name == level)
        .ok_or_else(|| format!("names the level `{level}`, which it does not have"))?;
    let hierarchy = Hierarchy::new(&params.hierarchy).map_err(|why| why.to_string())?;
    let tree = params.hierarchy.tree.as_ref().map(|tree| &*tree.units);
    let (codes, names) = hierarchy.unit_labels(index, tree);
    let mut cohorts: Vec<Option<i64>> = vec![None; codes.len()];
    for (at, where_) in &entries {
        for unit in &where_.units {
            for k in (0..codes.len()).filter(|&k| codes[k] == *unit || names[k] == *unit) {
                let at = *at as i64;
                cohorts[k] = Some(cohorts[k].map_or(at, |c| c.min(at)));
            }
        }
    }
    let design = Design {
        level,
        codes,
        names,
        cohorts,
    };
    check(&design, params.run.steps as i64)?;
    Ok(design)
}

/// Refuse designs the estimators cannot use: adoption at step 0 (no period before it) or
/// after the run, a single cohort without never-treated units.
fn check(design: &Design, steps: i64) -> Result<(), String> {
    let cohorts = design.cohort_steps();
    if let Some(first) = cohorts.first().filter(|&&c| c < 1) {
        return Err(format!(
            "adopts at step {first}: a unit needs at least one step before its adoption"
        ));
    }
    if let Some(last) = cohorts.last().filter(|&&c| c >= steps) {
        return Err(format!(
            "adopts at step {last}, but the run has steps 0 to {}: every adoption must fall inside the run",
            steps - 1
        ));
    }
    if cohorts.len() == 1 && design.never_treated() == 0 {
        return Err(format!(
            "every unit of `{}` adopts at step {}: with a single cohort the design needs never-treated units",
            design.level, cohorts[0]
        ));
    }
    Ok(())
}

/// The counterfactual of a design: the scenario without its `where` entries (the adoption
/// events), named `<name>-counterfactual`.
pub fn counterfactual(scenario: &Scenario) -> Scenario {
    let mut without = scenario.clone();
    without.schedule.retain(|entry| entry.where_.is_none());
    without.name = format!("{}-counterfactual", scenario.name);
    without
}

/// Both runs of a design, prepared: units of the adoption level recorded one by one, and a
/// run of fixed length (`run.steps`), so that the two panels have the same steps.
pub fn prepare(scenario: &mut Scenario, design: &Design) {
    scenario.params.output.by_unit = Some(design.level.clone());
    scenario.params.run.until_settled = false;
}

/// The outcome metrics a design estimates when none are asked for.
pub const DEFAULT_OUTCOMES: [&str; 2] = ["mean_innovation", "output"];

/// The outcome that counts successful honest innovations per unit and step (not a metric
/// column of the run tables: the model records it per unit for `did`).
pub const SUCCESSES: &str = "successes";

/// What a panel holds: a metric (by index in `METRICS`) or the success count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Metric(usize),
    Successes,
}

/// The metrics that count events per step, which a Poisson observation can count (besides
/// `successes`).
pub const COUNTS: [&str; 9] = [
    "errors",
    "detected",
    "sanctioned",
    "exempted",
    "wrongly_exempted",
    "wrongly_sanctioned",
    "veto_events",
    "caught_idle",
    "dismissals",
];

/// How the studies observe an outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Observe {
    /// The outcome itself.
    #[default]
    Exact,
    /// A Poisson count with the outcome as its mean, per unit and step (a count outcome
    /// as patent or project counts measure it).
    Poisson,
}

impl Observe {
    /// The name `--observe` takes.
    pub fn name(self) -> &'static str {
        match self {
            Observe::Exact => "exact",
            Observe::Poisson => "poisson",
        }
    }

    /// The observation named `name` (as `--observe` takes it).
    pub fn named(name: &str) -> Option<Observe> {
        match name {
            "exact" => Some(Observe::Exact),
            "poisson" => Some(Observe::Poisson),
            _ => None,
        }
    }
}

/// Every outcome, or a one-line error naming the first unknown one (or the first that a
/// Poisson observation cannot count).
pub fn outcomes(names: &[String], observe: Observe) -> Result<Vec<Outcome>, String> {
    names
        .iter()
        .map(|name| {
            let outcome = if name == SUCCESSES {
                Outcome::Successes
            } else {
                let index = metric_index(name).ok_or_else(|| {
                    format!(
                        "--outcome `{name}` is not a metric; allowed: {SUCCESSES}, {}",
                        METRICS.join(", ")
                    )
                })?;
                Outcome::Metric(index)
            };
            if observe == Observe::Poisson && name != SUCCESSES && !COUNTS.contains(&name.as_str()) {
                return Err(format!(
                    "--observe poisson counts events: --outcome `{name}` is not a count; allowed: {SUCCESSES}, {}",
                    COUNTS.join(", ")
                ));
            }
            Ok(outcome)
        })
        .collect()
}

/// One outcome of one replicate as two panels, factual and counterfactual, and the
/// factual as observed (with `Observe::Poisson`): `[unit * steps + step]`.
pub struct Panels {
    pub steps: usize,
    pub factual: Vec<f64>,
    pub counterfactual: Vec<f64>,
    pub observed: Option<Vec<f64>>,
}

/// The panels of `outcome` of one replicate's factual and counterfactual runs, whose
/// recorded level has `units` units.
pub fn panels(
    factual: &ReplicateResult,
    counterfactual: &ReplicateResult,
    units: usize,
    outcome: Outcome,
) -> Panels {
    let of = |run: &ReplicateResult| -> (usize, Vec<f64>) {
        let values: Vec<f64> = match outcome {
            Outcome::Metric(metric) => run.unit_records.iter().map(|r| r[metric]).collect(),
            Outcome::Successes => run.unit_successes.clone(),
        };
        let units = units.max(1);
        let steps = values.len() / units;
        let mut y = vec![0.0; units * steps];
        for (index, value) in values.into_iter().enumerate() {
            y[(index % units) * steps + index / units] = value;
        }
        (steps, y)
    };
    let (steps, factual) = of(factual);
    let (_, counterfactual) = of(counterfactual);
    Panels {
        steps,
        factual,
        counterfactual,
        observed: None,
    }
}

/// Observe the factual panel as Poisson counts with its values as means, from a stream of
/// its own: keyed by the run's seed, the replicate and the outcome's position, drawn in
/// (unit, step) order, so the counts depend on nothing else.
pub fn observe_poisson(panels: &mut Panels, seed: u64, replicate: usize, outcome: usize) {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Poisson};
    let key = splitmix(splitmix(splitmix(seed) ^ replicate as u64) ^ outcome as u64);
    let mut stream = rand_chacha::ChaCha8Rng::seed_from_u64(key);
    let counts = panels
        .factual
        .iter()
        .map(|&mean| match Poisson::new(mean) {
            Ok(poisson) if mean > 0.0 => poisson.sample(&mut stream),
            _ => 0.0,
        })
        .collect();
    panels.observed = Some(counts);
}

/// SplitMix64's finaliser: a well-mixed 64-bit key from another.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The estimators, as `att.csv` names them.
pub const TWFE: &str = "twfe";
pub const TWFE_EVENT: &str = "twfe-event";
pub const CALLAWAY_SANTANNA: &str = "callaway-santanna";
pub const SUN_ABRAHAM: &str = "sun-abraham";

/// The control groups, as `att.csv` names them.
pub fn control_name(control: Control) -> &'static str {
    match control {
        Control::NeverTreated => "never-treated",
        Control::NotYetTreated => "not-yet-treated",
    }
}

/// Which event times are reported: `leads` before adoption to `lags` after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub leads: i64,
    pub lags: i64,
}

impl Window {
    pub fn contains(&self, event_time: i64) -> bool {
        (-self.leads..=self.lags).contains(&event_time)
    }
}

/// One row of `att.csv`: an estimate on one replicate's panel, with its 95% interval and
/// the truth it estimates (see `Truth`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttRow {
    pub replicate: usize,
    pub outcome: String,
    pub estimator: String,
    /// Empty for the estimators without a control-group choice.
    pub control: String,
    /// The cohort of an ATT(g, t) row; None for an aggregate.
    pub cohort: Option<i64>,
    /// None for an overall estimate.
    pub event_time: Option<i64>,
    pub estimate: f64,
    pub se: Option<f64>,
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
    pub truth: f64,
}

/// One row of `pretrend.csv`: the Wald test that every reported pre-adoption estimate of
/// one estimator is zero, on one replicate's panel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PretrendRow {
    pub replicate: usize,
    pub outcome: String,
    pub estimator: String,
    pub control: String,
    pub statistic: f64,
    pub df: usize,
    pub p_value: f64,
}

/// One row of `spillover.csv`: the mean effect of the adoptions on the never-treated units
/// (their outcome minus their counterfactual) at one step of one replicate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpilloverRow {
    pub replicate: usize,
    pub outcome: String,
    pub step: usize,
    pub effect: f64,
}

/// The true effects of one replicate's panel: `effect[unit * steps + step]` = factual -
/// counterfactual, with the cohorts they are averaged by.
pub struct Truth<'a> {
    pub steps: usize,
    pub cohorts: &'a [Option<i64>],
    pub effect: Vec<f64>,
}

impl<'a> Truth<'a> {
    pub fn new(panels: &Panels, cohorts: &'a [Option<i64>]) -> Self {
        let effect = panels
            .factual
            .iter()
            .zip(&panels.counterfactual)
            .map(|(f, c)| f - c)
            .collect();
        Truth {
            steps: panels.steps,
            cohorts,
            effect,
        }
    }

    /// Mean effect on the units of cohort `g` at step `t`, and how many units it has.
    pub fn cohort(&self, g: i64, t: i64) -> (f64, usize) {
        let mut sum = 0.0;
        let mut n = 0;
        for (unit, _) in self
            .cohorts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == Some(g))
        {
            sum += self.effect[unit * self.steps + t as usize];
            n += 1;
        }
        (if n > 0 { sum / n as f64 } else { 0.0 }, n)
    }

    /// ATT(e): the cohorts' true effects e steps after adoption, weighted by cohort size, over
    /// the cohorts observed e steps after adoption (Callaway & Sant'Anna's dynamic weights).
    pub fn event(&self, e: i64) -> f64 {
        let mut cohorts: Vec<i64> = self.cohorts.iter().flatten().copied().collect();
        cohorts.sort_unstable();
        cohorts.dedup();
        let (mut sum, mut weight) = (0.0, 0.0);
        for g in cohorts
            .into_iter()
            .filter(|g| (0..self.steps as i64).contains(&(g + e)))
        {
            let (effect, n) = self.cohort(g, g + e);
            sum += effect * n as f64;
            weight += n as f64;
        }
        if weight > 0.0 {
            sum / weight
        } else {
            0.0
        }
    }

    /// The mean effect over every treated unit and step (the estimand of static TWFE and of
    /// Callaway & Sant'Anna's simple aggregation).
    pub fn overall(&self) -> f64 {
        let (mut sum, mut n) = (0.0, 0usize);
        for (unit, cohort) in self.cohorts.iter().enumerate() {
            let Some(g) = cohort else { continue };
            for t in (*g as usize)..self.steps {
                sum += self.effect[unit * self.steps + t];
                n += 1;
            }
        }
        if n > 0 {
            sum / n as f64
        } else {
            0.0
        }
    }

    /// The mean effect on never-treated units at every step (empty without such units).
    pub fn spillover(&self) -> Vec<f64> {
        let never: Vec<usize> = (0..self.cohorts.len())
            .filter(|&u| self.cohorts[u].is_none())
            .collect();
        if never.is_empty() {
            return Vec::new();
        }
        (0..self.steps)
            .map(|t| {
                let sum: f64 = never.iter().map(|u| self.effect[u * self.steps + t]).sum();
                sum / never.len() as f64
            })
            .collect()
    }
}

/// What the estimators give on one replicate's panel of one outcome.
pub struct Estimated {
    pub att: Vec<AttRow>,
    pub pretrend: Vec<PretrendRow>,
}

/// Every estimator on one replicate's panel of one outcome, the rows restricted to `window`.
/// An estimator that cannot be computed on this panel (a control group that is empty, say)
/// gives no rows; the reason is returned beside the rows.
pub fn estimate_all(
    replicate: usize,
    outcome: &str,
    design: &Design,
    panels: &Panels,
    window: Window,
) -> (Estimated, Vec<String>) {
    let panel = Panel {
        first: 0,
        periods: panels.steps,
        cohort: &design.cohorts,
        y: panels.observed.as_ref().unwrap_or(&panels.factual),
    };
    let truth = Truth::new(panels, &design.cohorts);
    let mut rows = Rows {
        replicate,
        outcome,
        window,
        truth: &truth,
        estimated: Estimated {
            att: Vec::new(),
            pretrend: Vec::new(),
        },
        failures: Vec::new(),
        clusters: design.cohorts.len(),
    };
    rows.twfe(&panel);
    let controls = [Control::NeverTreated, Control::NotYetTreated];
    for control in controls {
        if control == Control::NeverTreated && design.never_treated() == 0 {
            continue;
        }
        rows.callaway_santanna(&panel, control);
    }
    rows.sun_abraham(&panel);
    (rows.estimated, rows.failures)
}

/// Collects the rows of one panel.
struct Rows<'a> {
    replicate: usize,
    outcome: &'a str,
    window: Window,
    truth: &'a Truth<'a>,
    estimated: Estimated,
    failures: Vec<String>,
    /// Units: the clusters of the regression standard errors.
    clusters: usize,
}

impl Rows<'_> {
    fn push(
        &mut self,
        estimator: &'static str,
        control: &'static str,
        cohort: Option<i64>,
        event_time: Option<i64>,
        value: &Estimate,
        truth: f64,
    ) {
        let critical = match estimator {
            CALLAWAY_SANTANNA => 1.959_963_984_540_054,
            _ => stats::student_t_quantile_975(self.clusters.saturating_sub(1).max(1)),
        };
        let se = Some(value.se).filter(|se| se.is_finite());
        self.estimated.att.push(AttRow {
            replicate: self.replicate,
            outcome: self.outcome.to_string(),
            estimator: estimator.to_string(),
            control: control.to_string(),
            cohort,
            event_time,
            estimate: value.estimate,
            se,
            ci95_low: se.map(|se| value.estimate - critical * se),
            ci95_high: se.map(|se| value.estimate + critical * se),
            truth,
        });
    }

    fn fail(&mut self, estimator: &str, control: &str, why: impl std::fmt::Display) {
        let with = if control.is_empty() {
            String::new()
        } else {
            format!(" ({control} controls)")
        };
        self.failures.push(format!("{estimator}{with}: {why}"));
    }

    fn pretrend(&mut self, estimator: &'static str, control: &'static str, wald: estimate::Wald) {
        self.estimated.pretrend.push(PretrendRow {
            replicate: self.replicate,
            outcome: self.outcome.to_string(),
            estimator: estimator.to_string(),
            control: control.to_string(),
            statistic: wald.statistic,
            df: wald.df,
            p_value: wald.p_value,
        });
    }

    fn events(
        &mut self,
        estimator: &'static str,
        control: &'static str,
        events: &[estimate::EventEstimate],
    ) {
        let window = self.window;
        for event in events.iter().filter(|e| window.contains(e.event_time)) {
            let truth = self.truth.event(event.event_time);
            self.push(
                estimator,
                control,
                None,
                Some(event.event_time),
                &event.value,
                truth,
            );
        }
    }

    fn twfe(&mut self, panel: &Panel) {
        match estimate::twfe_static(panel) {
            Ok(value) => self.push(TWFE, "", None, None, &value, self.truth.overall()),
            Err(why) => self.fail(TWFE, "", why),
        }
        match estimate::twfe_event(panel, self.window.leads) {
            Ok(fit) => {
                self.events(TWFE_EVENT, "", &fit.events);
                if let Some(wald) = fit.pretrend {
                    self.pretrend(TWFE_EVENT, "", wald);
                }
            }
            Err(why) => self.fail(TWFE_EVENT, "", why),
        }
    }

    fn callaway_santanna(&mut self, panel: &Panel, control: Control) {
        let name = control_name(control);
        let fit = match estimate::callaway_santanna(panel, control, self.window.leads) {
            Ok(fit) => fit,
            Err(why) => return self.fail(CALLAWAY_SANTANNA, name, why),
        };
        let window = self.window;
        for cell in fit
            .att_gt
            .iter()
            .filter(|c| window.contains(c.period - c.cohort))
        {
            let (truth, _) = self.truth.cohort(cell.cohort, cell.period);
            let event_time = Some(cell.period - cell.cohort);
            self.push(
                CALLAWAY_SANTANNA,
                name,
                Some(cell.cohort),
                event_time,
                &cell.value,
                truth,
            );
        }
        self.events(CALLAWAY_SANTANNA, name, &fit.dynamic);
        let overall = self.truth.overall();
        self.push(CALLAWAY_SANTANNA, name, None, None, &fit.overall, overall);
        if let Some(wald) = fit.pretrend {
            self.pretrend(CALLAWAY_SANTANNA, name, wald);
        }
    }

    fn sun_abraham(&mut self, panel: &Panel) {
        match estimate::sun_abraham(panel, self.window.leads) {
            Ok(fit) => {
                self.events(SUN_ABRAHAM, "", &fit.events);
                if let Some(wald) = fit.pretrend {
                    self.pretrend(SUN_ABRAHAM, "", wald);
                }
            }
            Err(why) => self.fail(SUN_ABRAHAM, "", why),
        }
    }
}

/// One row of the DiD `summary.csv`: one estimator's aggregate at one event time (None:
/// overall) over the replicates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryRow {
    pub outcome: String,
    pub estimator: String,
    pub control: String,
    pub event_time: Option<i64>,
    /// Replicates with an estimate.
    pub n: usize,
    pub mean_estimate: f64,
    pub mean_truth: f64,
    /// Mean of estimate - truth, with its t-based 95% interval over replicates.
    pub bias: f64,
    pub bias_ci95_low: Option<f64>,
    pub bias_ci95_high: Option<f64>,
    pub rmse: f64,
    /// Standard deviation of the estimates across replicates, and the mean standard error
    /// the estimator reported (close when the standard errors are right).
    pub sd_estimate: Option<f64>,
    pub mean_se: Option<f64>,
    /// Share of replicates whose 95% interval holds the truth (empty without intervals).
    pub coverage: Option<f64>,
    /// Share of replicates whose pre-trend test rejects at 5% (empty without a test).
    pub pretrend_rejection: Option<f64>,
}

/// The summary over replicates of every aggregate (rows without a cohort), in the order the
/// aggregates first appear in `att`.
pub fn summarize(att: &[AttRow], pretrend: &[PretrendRow]) -> Vec<SummaryRow> {
    type Key<'a> = (&'a str, &'a str, &'a str, Option<i64>);
    fn key_of(r: &AttRow) -> Key<'_> {
        (&r.outcome, &r.estimator, &r.control, r.event_time)
    }
    let mut keys: Vec<Key> = Vec::new();
    for row in att.iter().filter(|r| r.cohort.is_none()) {
        let key = key_of(row);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys.into_iter()
        .map(|(outcome, estimator, control, event_time)| {
            let rows: Vec<&AttRow> = att
                .iter()
                .filter(|r| {
                    r.cohort.is_none() && key_of(r) == (outcome, estimator, control, event_time)
                })
                .collect();
            let tests: Vec<&PretrendRow> = pretrend
                .iter()
                .filter(|p| {
                    (p.outcome.as_str(), p.estimator.as_str(), p.control.as_str())
                        == (outcome, estimator, control)
                })
                .collect();
            summary_row(&rows, &tests)
        })
        .collect()
}

fn summary_row(rows: &[&AttRow], tests: &[&PretrendRow]) -> SummaryRow {
    let n = rows.len();
    let mean = |values: &mut dyn Iterator<Item = f64>| values.sum::<f64>() / n.max(1) as f64;
    let errors: Vec<f64> = rows.iter().map(|r| r.estimate - r.truth).collect();
    let bias = stats::spread(&errors);
    let estimates: Vec<f64> = rows.iter().map(|r| r.estimate).collect();
    let with_se: Vec<f64> = rows.iter().filter_map(|r| r.se).collect();
    let covered = rows
        .iter()
        .filter_map(|r| Some((r.ci95_low?, r.ci95_high?, r.truth)))
        .map(|(low, high, truth)| (low <= truth && truth <= high) as usize as f64)
        .collect::<Vec<f64>>();
    let share = |values: &[f64]| {
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let rejected: Vec<f64> = tests
        .iter()
        .map(|t| (t.p_value < 0.05) as usize as f64)
        .collect();
    SummaryRow {
        outcome: rows[0].outcome.clone(),
        estimator: rows[0].estimator.clone(),
        control: rows[0].control.clone(),
        event_time: rows[0].event_time,
        n,
        mean_estimate: mean(&mut estimates.iter().copied()),
        mean_truth: mean(&mut rows.iter().map(|r| r.truth)),
        bias: bias.mean,
        bias_ci95_low: bias.ci95.map(|c| c.0),
        bias_ci95_high: bias.ci95.map(|c| c.1),
        rmse: mean(&mut errors.iter().map(|e| e * e)).sqrt(),
        sd_estimate: stats::spread(&estimates).sd,
        mean_se: share(&with_se),
        coverage: share(&covered),
        pretrend_rejection: share(&rejected),
    }
}
