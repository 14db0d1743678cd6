//! The model's parameters: one struct per scenario section, with the defaults of the
//! specification, and the `Plan` a simulation runs (parameters over time). Validation and
//! the key-by-key registry live in `registry`; this module knows no file format.

use serde::{Deserialize, Serialize};

/// Largest number of innovation levels (`work.innovation_levels`).
pub const MAX_INNOVATION_LEVELS: u64 = 16;
/// Largest number of actions a cadre chooses from: idle, routine and every innovation level.
pub const MAX_ACTIONS: usize = MAX_INNOVATION_LEVELS as usize + 2;

/// Parameter changes over a run: `(step, parameters from that step on)`.
pub type Changes = Vec<(u64, Params)>;

/// What the model runs for one scenario: its name, the parameters at step 0 and, for every
/// step at which a schedule changes any parameter, the whole set in force from that step.
/// Built from a validated scenario by `Scenario::plan`; the model sees only this.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The scenario's name (a directory name and a CSV value).
    pub name: String,
    /// Parameters at step 0; `run` and `hierarchy` hold for the whole run.
    pub params: Params,
    /// `(step, parameters from that step on)`, strictly increasing in step.
    pub changes: Changes,
    /// The changes of every other regime: the parts of the hierarchy that schedule entries
    /// with `where` select follow `regional[r - 1]` (regime r), starting from `params`.
    pub regional: Vec<Changes>,
    /// Regime of every unit in hierarchy order (0: `changes`); empty when there is one.
    pub unit_regime: Vec<u8>,
}

impl Plan {
    /// A plan without scheduled changes.
    pub fn constant(name: impl Into<String>, params: Params) -> Self {
        Plan {
            name: name.into(),
            params,
            changes: Vec::new(),
            regional: Vec::new(),
            unit_regime: Vec::new(),
        }
    }

    /// The parameters that come into force at `step`, if a change is scheduled there.
    pub fn change_at(&self, step: u64) -> Option<&Params> {
        change_in(&self.changes, step)
    }

    /// The parameters that come into force at `step` in regime `regime` (>= 1).
    pub fn regional_change_at(&self, regime: usize, step: u64) -> Option<&Params> {
        change_in(&self.regional[regime - 1], step)
    }

    /// The step of the last scheduled change in any regime (0 without one).
    pub fn last_change(&self) -> u64 {
        self.regional
            .iter()
            .chain(std::iter::once(&self.changes))
            .filter_map(|changes| changes.last().map(|(at, _)| *at))
            .max()
            .unwrap_or(0)
    }

    /// The parameters in force at `step` (every change at or before it applied).
    pub fn params_at(&self, step: u64) -> &Params {
        self.changes
            .iter()
            .take_while(|(at, _)| *at <= step)
            .last()
            .map_or(&self.params, |(_, params)| params)
    }
}

fn change_in(changes: &[(u64, Params)], step: u64) -> Option<&Params> {
    changes
        .binary_search_by_key(&step, |(at, _)| *at)
        .ok()
        .map(|index| &changes[index].1)
}

/// Every parameter of one scenario, resolved (defaults filled in).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Length, replicates and seed: `[run]`.
    pub run: RunParams,
    /// Levels of government below the centre: `[hierarchy]`.
    pub hierarchy: HierarchyParams,
    /// Targets and markups: `[targets]`.
    pub targets: TargetParams,
    /// Cadre attributes at recruitment: `[cadres]`.
    pub cadres: CadreParams,
    /// Effort, innovation, output and errors: `[work]`.
    pub work: WorkParams,
    /// Detection and punishment: `[accountability]`.
    pub accountability: AccountabilityParams,
    /// Exemption of honest errors: `[fault_tolerance]`.
    pub fault_tolerance: FaultToleranceParams,
    /// Rewards and promotion: `[incentives]`.
    pub incentives: IncentiveParams,
    /// Decision rule and learning: `[behaviour]`.
    pub behaviour: BehaviourParams,
    /// Equilibrium detection and classes: `[equilibrium]`.
    pub equilibrium: EquilibriumParams,
    /// What is recorded beyond the levels: `[output]`.
    #[serde(default)]
    pub output: OutputParams,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct OutputParams {
    /// `output.by_unit`: the level whose units are each recorded with their whole subtree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_unit: Option<String>,
    /// `output.series_every`: `timeseries.csv` holds every this many steps from step 0; 0
    /// (the default) chooses: every step for runs of `run.steps`, at most
    /// `AUTOMATIC_SERIES_STEPS` recorded steps per replicate with `run.until_settled`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub series_every: u64,
    /// `output.effects`: whether `effects.csv` reports each schedule entry's effect against
    /// a counterfactual run without it; None ("auto", the default) for scenarios with at
    /// most `AUTOMATIC_EFFECT_EVENTS` entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effects: Option<bool>,
    /// `output.format`: how the run's tables are stored (CSV, the default, or Parquet).
    #[serde(default, skip_serializing_if = "TableFormat::is_csv")]
    pub format: TableFormat,
}

/// The file format of a run's tables (`output.format`; `output::store` writes and reads them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TableFormat {
    #[default]
    Csv,
    Parquet,
}

impl TableFormat {
    /// Every format, by name.
    pub const ALL: [(&'static str, TableFormat); 2] =
        [("csv", TableFormat::Csv), ("parquet", TableFormat::Parquet)];

    /// The format called `name` (`csv`, `parquet`).
    pub fn named(name: &str) -> Option<TableFormat> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    pub fn name(self) -> &'static str {
        match self {
            TableFormat::Csv => "csv",
            TableFormat::Parquet => "parquet",
        }
    }

    fn is_csv(&self) -> bool {
        *self == TableFormat::Csv
    }
}

/// Schedule entries a scenario may have, at most, for `output.effects = "auto"` to report
/// their effects (each entry costs one counterfactual run of up to 51 steps after it).
pub const AUTOMATIC_EFFECT_EVENTS: usize = 4;

/// Recorded steps per replicate, at most, that `output.series_every = 0` keeps of a run with
/// `run.until_settled`.
pub const AUTOMATIC_SERIES_STEPS: u64 = 2_000;

fn is_zero(value: &u64) -> bool {
    *value == 0
}

impl Params {
    /// Steps of the equilibrium window of a run that stops once settled
    /// (`run.until_settled`): `run.burn_in` steps' worth, at least `equilibrium.window`.
    pub fn settled_window(&self) -> u64 {
        self.run.burn_in.max(self.equilibrium.window)
    }

    /// Steps between the rows of `timeseries.csv` for a run of `steps` steps
    /// (`output.series_every`, 0 choosing as that key says).
    pub fn series_stride(&self, steps: u64) -> u64 {
        match self.output.series_every {
            0 if self.run.until_settled => steps.div_ceil(AUTOMATIC_SERIES_STEPS).max(1),
            0 => 1,
            every => every,
        }
    }

    /// Index of the level recorded unit by unit (`output.by_unit`), if any.
    pub fn by_unit_level(&self) -> Option<usize> {
        let name = self.output.by_unit.as_ref()?;
        self.hierarchy
            .levels
            .iter()
            .position(|level| &level.name == name)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunParams {
    /// `run.steps`: number of steps (annual assessment cycles) of a run.
    pub steps: u64,
    /// `run.burn_in`: first step of the equilibrium window (must be < steps).
    pub burn_in: u64,
    /// `run.replicates`: independent replicates of the scenario.
    pub replicates: u64,
    /// `run.seed`: master seed; replicate r uses the streams of (seed, r).
    pub seed: u64,
    /// `run.until_settled`: each replicate runs until it has settled after the last schedule
    /// entry, then one equilibrium window, instead of `run.steps` steps.
    #[serde(default, skip_serializing_if = "is_false")]
    pub until_settled: bool,
    /// `run.max_steps`: with `run.until_settled`, the most steps a replicate may take (one that
    /// reaches it is reported as not settled).
    #[serde(
        default = "default_max_steps",
        skip_serializing_if = "is_default_max_steps"
    )]
    pub max_steps: u64,
    /// `run.precision`: with `run.until_settled`, the relative precision asked of the long-run
    /// mean innovation (its batch-means standard error at most this share of it, never below
    /// 0.002; the fitted relaxation's remaining bias at most half that).
    #[serde(
        default = "default_precision",
        skip_serializing_if = "is_default_precision"
    )]
    pub precision: f64,
}

/// Default of `run.max_steps`: the last check of the long-run rule (200·2^8 steps).
pub const DEFAULT_MAX_STEPS: u64 = 51_200;
/// Steps after the last schedule entry at which `run.until_settled` first applies its rule.
pub const FIRST_CHECK: u64 = 200;
/// Default of `run.precision`.
pub const DEFAULT_PRECISION: f64 = 0.02;

fn default_precision() -> f64 {
    DEFAULT_PRECISION
}

fn is_default_precision(value: &f64) -> bool {
    *value == DEFAULT_PRECISION
}

fn default_max_steps() -> u64 {
    DEFAULT_MAX_STEPS
}

fn is_default_max_steps(steps: &u64) -> bool {
    *steps == DEFAULT_MAX_STEPS
}

fn is_false(flag: &bool) -> bool {
    !flag
}

impl RunParams {
    /// The most steps a replicate can take: `run.max_steps` with `run.until_settled`,
    /// `run.steps` otherwise.
    pub fn most_steps(&self) -> u64 {
        if self.until_settled {
            self.max_steps
        } else {
            self.steps
        }
    }
}

impl Default for RunParams {
    fn default() -> Self {
        RunParams {
            steps: 200,
            burn_in: 100,
            replicates: 8,
            seed: 1,
            until_settled: false,
            max_steps: DEFAULT_MAX_STEPS,
            precision: DEFAULT_PRECISION,
        }
    }
}

/// One layer of the hierarchy below the centre.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelSpec {
    /// The level's name in tables and charts (not "all").
    pub name: String,
    /// Units under each unit of the level above (the centre is one implicit unit); absent
    /// when the hierarchy is a tree of units, which gives every unit's children itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branching: Option<u64>,
    /// Cadres per unit.
    pub cadres: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HierarchyParams {
    /// `hierarchy.levels`: layers below the centre, top first: units per parent unit and cadres per unit.
    pub levels: Vec<LevelSpec>,
    /// `hierarchy.tree`: the units themselves, when the hierarchy is given unit by unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree: Option<TreeRef>,
}

impl Default for HierarchyParams {
    fn default() -> Self {
        let level = |name: &str, branching, cadres| LevelSpec {
            name: name.to_string(),
            branching: Some(branching),
            cadres,
        };
        HierarchyParams {
            levels: vec![
                level("province", 4, 6),
                level("prefecture", 4, 8),
                level("county", 4, 10),
                level("township", 5, 12),
            ],
            tree: None,
        }
    }
}

/// A hierarchy given unit by unit: where the units came from (kept in manifests) and the
/// units themselves (shared, not serialized: they are read again from `file`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeRef {
    /// The file the units were read from, as an absolute path (relative in manifests written
    /// before paths were made absolute: usable from their working directory only).
    pub file: String,
    /// SHA-256 of the file's bytes (hex); empty until the file has been read.
    #[serde(default)]
    pub sha256: String,
    #[serde(skip)]
    pub units: std::sync::Arc<UnitTree>,
}

impl PartialEq for TreeRef {
    /// Two references are equal when their units are: the same content (a sweep resumed or
    /// merged from another directory, or on a node that mounts the file elsewhere, is the
    /// same sweep).
    fn eq(&self, other: &Self) -> bool {
        self.sha256 == other.sha256
    }
}

/// The units of a tree hierarchy in file order. Invariants (kept by the reader): codes are
/// unique; a unit of level 0 has no parent, a unit of level l > 0 has a parent of level l - 1.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UnitTree {
    pub codes: Vec<String>,
    pub names: Vec<String>,
    /// Index of the unit's level in `hierarchy.levels`.
    pub level: Vec<u8>,
    /// Row of the unit's parent (None for the top level).
    pub parent: Vec<Option<u32>>,
}

impl UnitTree {
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

/// A markup: one value for every level, or one value per level (top first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Markup {
    Scalar(f64),
    PerLevel(Vec<f64>),
}

impl Markup {
    /// The markup of level `level` (0 = top).
    pub fn at(&self, level: usize) -> f64 {
        match self {
            Markup::Scalar(value) => *value,
            Markup::PerLevel(values) => values[level],
        }
    }

    pub fn values(&self) -> Vec<f64> {
        match self {
            Markup::Scalar(value) => vec![*value],
            Markup::PerLevel(values) => values.clone(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decomposition {
    Uniform,
    ByCapacity,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetParams {
    /// `targets.central`: per-cadre target set by the centre.
    pub central: f64,
    /// `targets.markup`: markup each level adds to its parent's target (scalar or one per level).
    pub markup: Markup,
    /// `targets.decomposition`: uniform targets, or each unit's own target scaled by its capacity.
    pub decomposition: Decomposition,
    /// `targets.miss_penalty`: payoff lost per unit of target shortfall.
    pub miss_penalty: f64,
    /// `targets.adaptive_markup`: step by which a unit raises its markup when its jurisdiction misses (0 = fixed markups).
    pub adaptive_markup: f64,
    /// `targets.markup_max`: upper bound of adaptive markups (>= every markup).
    pub markup_max: f64,
}

impl Default for TargetParams {
    fn default() -> Self {
        TargetParams {
            central: 1.0,
            markup: Markup::Scalar(0.08),
            decomposition: Decomposition::Uniform,
            miss_penalty: 1.0,
            adaptive_markup: 0.0,
            markup_max: 0.5,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CadreParams {
    /// `cadres.ability_sd`: log-sd of cadre ability (mean 1).
    pub ability_sd: f64,
    /// `cadres.capacity_sd`: log-sd of unit capacity (mean 1).
    pub capacity_sd: f64,
    /// `cadres.psm_alpha`: Beta alpha of public-service motivation.
    pub psm_alpha: f64,
    /// `cadres.psm_beta`: Beta beta of public-service motivation.
    pub psm_beta: f64,
    /// `cadres.opportunist_share`: share of recruits who may disguise rent-seeking as reform.
    pub opportunist_share: f64,
    /// `cadres.turnover`: yearly probability that a cadre leaves.
    pub turnover: f64,
    /// `cadres.selection_ability`: how much stronger enforcement lowers recruits' ability (log-ability shifts by -a (I - 1)).
    #[serde(default)]
    pub selection_ability: f64,
    /// `cadres.selection_opportunism`: how much stronger enforcement lowers the share of opportunists among recruits (x exp(-b (I - 1))).
    #[serde(default)]
    pub selection_opportunism: f64,
}

impl Default for CadreParams {
    fn default() -> Self {
        CadreParams {
            ability_sd: 0.2,
            capacity_sd: 0.15,
            psm_alpha: 2.0,
            psm_beta: 2.0,
            opportunist_share: 0.1,
            turnover: 0.03,
            selection_ability: 0.0,
            selection_opportunism: 0.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkParams {
    /// `work.salary`: fixed payoff per step.
    pub salary: f64,
    /// `work.idle_effort`: effort of an idle cadre (routine and innovation: 1).
    pub idle_effort: f64,
    /// `work.effort_cost`: payoff cost per unit of effort.
    pub effort_cost: f64,
    /// `work.innovation_levels`: K: innovation intensities k/K, k = 1..K.
    pub innovation_levels: u64,
    /// `work.innovation_cost`: payoff cost per unit of innovation intensity.
    pub innovation_cost: f64,
    /// `work.innovation_success`: probability that honest innovation succeeds.
    pub innovation_success: f64,
    /// `work.innovation_gain`: extra output per unit of successful innovation.
    pub innovation_gain: f64,
    /// `work.psm_weight`: intrinsic payoff of honest innovation per unit of psm and intensity.
    pub psm_weight: f64,
    /// `work.routine_error`: negligence probability at effort 1 (times proneness).
    pub routine_error: f64,
    /// `work.innovation_error`: exploratory-error probability at intensity 1 (times proneness).
    pub innovation_error: f64,
    /// `work.violation_error`: violation probability of self-serving 'reform' at intensity 1.
    pub violation_error: f64,
    /// `work.error_damage`: public loss of an error that is caught and sanctioned.
    pub error_damage: f64,
    /// `work.damage_persistence`: damage multiplier of an error never corrected.
    pub damage_persistence: f64,
    /// `work.self_serving_rate`: probability that an opportunist's innovation is self-serving.
    pub self_serving_rate: f64,
    /// `work.private_gain`: private gain per unit of intensity of self-serving 'reform'.
    pub private_gain: f64,
    /// `work.corruption_opportunity`: probability per step that an opportunist not self-serving meets a chance of private gain outside reform.
    #[serde(default)]
    pub corruption_opportunity: f64,
    /// `work.corruption_social_cost`: social cost per unit of private gain beyond the transfer.
    #[serde(default)]
    pub corruption_social_cost: f64,
}

impl Default for WorkParams {
    fn default() -> Self {
        WorkParams {
            salary: 1.0,
            idle_effort: 0.4,
            effort_cost: 0.3,
            innovation_levels: 4,
            innovation_cost: 0.2,
            innovation_success: 0.5,
            innovation_gain: 1.2,
            psm_weight: 0.4,
            routine_error: 0.02,
            innovation_error: 0.15,
            violation_error: 0.3,
            error_damage: 1.0,
            damage_persistence: 2.0,
            self_serving_rate: 0.5,
            private_gain: 0.8,
            corruption_opportunity: 0.0,
            corruption_social_cost: 0.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountabilityParams {
    /// `accountability.detection`: probability that a new error is detected.
    pub detection: f64,
    /// `accountability.penalty`: sanction of a detected, unexempted error.
    pub penalty: f64,
    /// `accountability.one_vote_veto`: veto-class errors multiply the sanction, bar promotion and risk dismissal.
    pub one_vote_veto: bool,
    /// `accountability.veto_share`: probability that an error is veto-class.
    pub veto_share: f64,
    /// `accountability.veto_multiplier`: sanction multiplier of a veto.
    pub veto_multiplier: f64,
    /// `accountability.veto_dismissal`: probability that a vetoed cadre is dismissed.
    pub veto_dismissal: f64,
    /// `accountability.lifelong`: lifelong accountability: latent errors can be detected in later steps.
    pub lifelong: bool,
    /// `accountability.late_detection`: yearly detection probability of a latent error under lifelong accountability.
    pub late_detection: f64,
    /// `accountability.inaction_detection`: probability that an idle cadre is held to account for inaction.
    pub inaction_detection: f64,
    /// `accountability.inaction_penalty`: sanction for inaction.
    pub inaction_penalty: f64,
    /// `[accountability.forms]`: the four forms of discipline a sanctioned error takes.
    #[serde(default)]
    pub forms: SanctionForms,
    /// `accountability.reopen_rate`: under lifelong accountability, probability per step that an earlier exemption is re-opened and sanctioned.
    #[serde(default)]
    pub reopen_rate: f64,
    /// `accountability.leadership_share`: share of a sanction that the sanctioned cadre's superiors bear (the next step).
    #[serde(default)]
    pub leadership_share: f64,
    /// `accountability.leadership_supervision`: how strongly superiors' recent leadership costs raise detection below them.
    #[serde(default)]
    pub leadership_supervision: f64,
    /// `accountability.enforcement_cost`: public cost of one investigation.
    #[serde(default)]
    pub enforcement_cost: f64,
}

/// The four forms of discipline (四种形态), mildest first.
pub const SANCTION_FORMS: [&str; 4] = ["talk", "light", "heavy", "prosecution"];

/// `[accountability.forms]`: the form a sanctioned error takes, drawn from shares that
/// depend on its class and veto status, and each form's severity as a multiple of
/// `accountability.penalty` (docs/MODEL.md §7.14). At the defaults every sanction is `light`,
/// of severity 1: the specification's single sanction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SanctionForms {
    /// `accountability.forms.talk`: severity of criticism and talks (first form), x penalty.
    pub talk: f64,
    /// `accountability.forms.light`: severity of light discipline (second form), x penalty.
    pub light: f64,
    /// `accountability.forms.heavy`: severity of heavy discipline or demotion (third form), x penalty.
    pub heavy: f64,
    /// `accountability.forms.prosecution`: severity of expulsion and prosecution (fourth form), x penalty.
    pub prosecution: f64,
    /// `accountability.forms.exploratory`: shares of the four forms for a sanctioned exploratory error (not veto-class).
    pub exploratory: [f64; 4],
    /// `accountability.forms.negligence`: shares of the four forms for a sanctioned negligence error (not veto-class).
    pub negligence: [f64; 4],
    /// `accountability.forms.violation`: shares of the four forms for a sanctioned violation (not veto-class).
    pub violation: [f64; 4],
    /// `accountability.forms.veto`: shares of the four forms for a sanctioned veto-class error of any class.
    pub veto: [f64; 4],
}

impl Default for SanctionForms {
    fn default() -> Self {
        const LIGHT: [f64; 4] = [0.0, 1.0, 0.0, 0.0];
        SanctionForms {
            talk: 0.1,
            light: 1.0,
            heavy: 2.5,
            prosecution: 6.0,
            exploratory: LIGHT,
            negligence: LIGHT,
            violation: LIGHT,
            veto: LIGHT,
        }
    }
}

impl SanctionForms {
    /// Severity of each form, mildest first.
    pub fn severities(&self) -> [f64; 4] {
        [self.talk, self.light, self.heavy, self.prosecution]
    }

    /// Shares of the forms for a sanctioned error of `class`, veto-class or not.
    pub fn shares(&self, class: ErrorClass, veto: bool) -> &[f64; 4] {
        match (veto, class) {
            (true, _) => &self.veto,
            (false, ErrorClass::Exploratory) => &self.exploratory,
            (false, ErrorClass::Negligence) => &self.negligence,
            (false, ErrorClass::Violation) => &self.violation,
        }
    }

    /// Expected severity of a sanctioned error of `class`, veto-class or not.
    pub fn expected_severity(&self, class: ErrorClass, veto: bool) -> f64 {
        let shares = self.shares(class, veto);
        let severities = self.severities();
        (0..4).map(|form| shares[form] * severities[form]).sum()
    }
}

impl Default for AccountabilityParams {
    fn default() -> Self {
        AccountabilityParams {
            detection: 0.5,
            penalty: 8.0,
            one_vote_veto: true,
            veto_share: 0.2,
            veto_multiplier: 2.5,
            veto_dismissal: 0.5,
            lifelong: false,
            late_detection: 0.1,
            inaction_detection: 0.0,
            inaction_penalty: 1.0,
            forms: SanctionForms::default(),
            reopen_rate: 0.0,
            leadership_share: 0.0,
            leadership_supervision: 0.0,
            enforcement_cost: 0.0,
        }
    }
}

/// `true`, the serde default of flags that are on by default.
fn yes() -> bool {
    true
}

/// The three classes of error the "three distinctions" separate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorClass {
    Exploratory,
    Negligence,
    Violation,
}

impl ErrorClass {
    pub const ALL: [ErrorClass; 3] = [
        ErrorClass::Exploratory,
        ErrorClass::Negligence,
        ErrorClass::Violation,
    ];
    pub const NAMES: [&'static str; 3] = ["exploratory", "negligence", "violation"];

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultToleranceParams {
    /// `fault_tolerance.enabled`: fault-tolerance mechanism in force.
    pub enabled: bool,
    /// `fault_tolerance.scope`: error classes eligible for exemption (the three distinctions).
    pub scope: Vec<ErrorClass>,
    /// `fault_tolerance.screening_accuracy`: probability that an investigation judges eligibility correctly.
    pub screening_accuracy: f64,
    /// `fault_tolerance.tolerate_veto`: veto-class errors may be exempted too.
    pub tolerate_veto: bool,
    /// `fault_tolerance.error_correction`: exempted errors are corrected and the cadre learns from them.
    pub error_correction: bool,
    /// `fault_tolerance.correction_efficacy`: share of an exempted error's damage that correction removes.
    pub correction_efficacy: f64,
    /// `fault_tolerance.correction_learning`: proportional fall of error proneness after a corrected error.
    pub correction_learning: f64,
    /// `fault_tolerance.proneness_floor`: lowest error proneness correction can reach.
    pub proneness_floor: f64,
    /// `fault_tolerance.approver_liability`: cost to the screening body of an exemption later found to have covered a violation.
    #[serde(default)]
    pub approver_liability: f64,
    /// `fault_tolerance.lists`: published power, responsibility and tolerance lists make the exemption rule known (false: cadres go by what their group has seen exempted).
    #[serde(default = "yes")]
    pub lists: bool,
}

impl Default for FaultToleranceParams {
    fn default() -> Self {
        FaultToleranceParams {
            enabled: false,
            scope: vec![ErrorClass::Exploratory],
            screening_accuracy: 0.85,
            tolerate_veto: false,
            error_correction: true,
            correction_efficacy: 0.7,
            correction_learning: 0.2,
            proneness_floor: 0.3,
            approver_liability: 0.0,
            lists: true,
        }
    }
}

impl FaultToleranceParams {
    pub fn in_scope(&self, class: ErrorClass) -> bool {
        self.scope.contains(&class)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncentiveParams {
    /// `incentives.promotion_quota`: share of each peer group promoted every step.
    pub promotion_quota: f64,
    /// `incentives.promotion_reward`: payoff of a promotion.
    pub promotion_reward: f64,
    /// `incentives.innovation_reward`: payoff of a successful innovation.
    pub innovation_reward: f64,
    /// `incentives.target_weight`: tournament weight of target attainment.
    pub target_weight: f64,
    /// `incentives.innovation_weight`: tournament weight of successful innovation intensity.
    pub innovation_weight: f64,
    /// `incentives.jurisdiction_weight`: tournament weight of the unit's jurisdiction attainment (previous step).
    pub jurisdiction_weight: f64,
    /// `incentives.seniority_weight`: tournament weight of tenure.
    pub seniority_weight: f64,
    /// `incentives.evaluation_noise`: sd of the normal noise in tournament scores.
    pub evaluation_noise: f64,
    /// `incentives.tenure_weight`: weight of the tenure-average attainment in the attainment the tournament scores (the rest on this step's).
    #[serde(default)]
    pub tenure_weight: f64,
}

impl IncentiveParams {
    /// The attainment the tournament scores: this step's `attainment`, or with a tenure
    /// weight w, (1 - w) x it + w x the mean over the cadre's steps in post (`sum` of the
    /// earlier ones over `tenure` steps, and this one).
    #[inline]
    pub fn evaluated_attainment(&self, attainment: f64, sum: f64, tenure: f64) -> f64 {
        let w = self.tenure_weight;
        if w == 0.0 {
            return attainment;
        }
        let average = (sum + attainment) / (tenure + 1.0);
        (1.0 - w) * attainment + w * average
    }
}

impl Default for IncentiveParams {
    fn default() -> Self {
        IncentiveParams {
            promotion_quota: 0.15,
            promotion_reward: 2.0,
            innovation_reward: 0.0,
            target_weight: 1.0,
            innovation_weight: 0.0,
            jurisdiction_weight: 0.0,
            seniority_weight: 0.0,
            evaluation_noise: 0.1,
            tenure_weight: 0.0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    Satisficing,
    Logit,
    Rational,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviourParams {
    /// `behaviour.rule`: decision rule: aspiration learning, logit learning, or exact expected payoff.
    pub rule: Rule,
    /// `behaviour.rationality`: logit precision beta over attractions.
    pub rationality: f64,
    /// `behaviour.recency`: weight of this step's own felt payoff in the attraction.
    pub recency: f64,
    /// `behaviour.vicarious`: weight of an observed peer's felt payoff.
    pub vicarious: f64,
    /// `behaviour.peers_observed`: peers observed per step (with replacement).
    pub peers_observed: u64,
    /// `behaviour.loss_aversion`: lambda: sanctions are felt lambda times.
    pub loss_aversion: f64,
    /// `behaviour.aspiration_rate`: speed at which aspiration follows payoff.
    pub aspiration_rate: f64,
    /// `behaviour.explore`: probability that a satisfied cadre redraws anyway.
    pub explore: f64,
    /// `behaviour.socialization`: recruits take their peer group's mean attractions.
    pub socialization: bool,
    /// `behaviour.socialization_weight`: w in [0, 1]: with socialization, a recruit's
    /// attractions are w × its group's mean + (1 − w) × a fresh cadre's (0).
    #[serde(
        default = "default_socialization_weight",
        skip_serializing_if = "is_default_socialization_weight"
    )]
    pub socialization_weight: f64,
}

fn default_socialization_weight() -> f64 {
    1.0
}

fn is_default_socialization_weight(weight: &f64) -> bool {
    *weight == 1.0
}

impl Default for BehaviourParams {
    fn default() -> Self {
        BehaviourParams {
            rule: Rule::Satisficing,
            rationality: 4.0,
            recency: 0.2,
            vicarious: 0.1,
            peers_observed: 2,
            loss_aversion: 2.25,
            aspiration_rate: 0.1,
            explore: 0.02,
            socialization: true,
            socialization_weight: 1.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquilibriumParams {
    /// `equilibrium.abusive_abuse_rate`: class 'abusive' when abuse_rate >= this.
    pub abusive_abuse_rate: f64,
    /// `equilibrium.lazy_idle`: class 'lazy-idle' when share_idle >= this.
    pub lazy_idle: f64,
    /// `equilibrium.lazy_innovation`: class 'lazy-routine' when mean_innovation < this.
    pub lazy_innovation: f64,
    /// `equilibrium.innovative_innovation`: class 'innovative' when mean_innovation >= this.
    pub innovative_innovation: f64,
    /// `equilibrium.window`: W: window (steps) of the moving mean used for converged_at.
    pub window: u64,
    /// `equilibrium.tolerance`: largest change of the moving mean counted as converged.
    pub tolerance: f64,
}

impl Default for EquilibriumParams {
    fn default() -> Self {
        EquilibriumParams {
            abusive_abuse_rate: 0.25,
            lazy_idle: 0.5,
            lazy_innovation: 0.15,
            innovative_innovation: 0.3,
            window: 20,
            tolerance: 0.01,
        }
    }
}
