//! The model's parameters: one struct per scenario section, with the defaults of the
//! specification, and the `Plan` a simulation runs (parameters over time). Validation and
//! the key-by-key registry live in `registry`; this module knows no file format.

use serde::{Deserialize, Serialize};

/// Largest number of innovation levels (`work.innovation_levels`).
pub const MAX_INNOVATION_LEVELS: u64 = 16;
/// Largest number of actions a cadre chooses from: idle, routine and every innovation level.
pub const MAX_ACTIONS: usize = MAX_INNOVATION_LEVELS as usize + 2;

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
    pub changes: Vec<(u64, Params)>,
}

impl Plan {
    /// A plan without scheduled changes.
    pub fn constant(name: impl Into<String>, params: Params) -> Self {
        Plan {
            name: name.into(),
            params,
            changes: Vec::new(),
        }
    }

    /// The parameters that come into force at `step`, if a change is scheduled there.
    pub fn change_at(&self, step: u64) -> Option<&Params> {
        self.changes
            .binary_search_by_key(&step, |(at, _)| *at)
            .ok()
            .map(|index| &self.changes[index].1)
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

/// Every parameter of one scenario, resolved (defaults filled in).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub run: RunParams,
    pub hierarchy: HierarchyParams,
    pub targets: TargetParams,
    pub cadres: CadreParams,
    pub work: WorkParams,
    pub accountability: AccountabilityParams,
    pub fault_tolerance: FaultToleranceParams,
    pub incentives: IncentiveParams,
    pub behaviour: BehaviourParams,
    pub equilibrium: EquilibriumParams,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunParams {
    pub steps: u64,
    pub burn_in: u64,
    pub replicates: u64,
    pub seed: u64,
}

impl Default for RunParams {
    fn default() -> Self {
        RunParams {
            steps: 200,
            burn_in: 100,
            replicates: 8,
            seed: 1,
        }
    }
}

/// One layer of the hierarchy below the centre.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelSpec {
    pub name: String,
    /// Units under each unit of the level above (the centre is one implicit unit).
    pub branching: u64,
    /// Cadres per unit.
    pub cadres: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HierarchyParams {
    pub levels: Vec<LevelSpec>,
}

impl Default for HierarchyParams {
    fn default() -> Self {
        let level = |name: &str, branching, cadres| LevelSpec {
            name: name.to_string(),
            branching,
            cadres,
        };
        HierarchyParams {
            levels: vec![
                level("province", 4, 6),
                level("prefecture", 4, 8),
                level("county", 4, 10),
                level("township", 5, 12),
            ],
        }
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
    pub central: f64,
    pub markup: Markup,
    pub decomposition: Decomposition,
    pub miss_penalty: f64,
    pub adaptive_markup: f64,
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
    pub ability_sd: f64,
    pub capacity_sd: f64,
    pub psm_alpha: f64,
    pub psm_beta: f64,
    pub opportunist_share: f64,
    pub turnover: f64,
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
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkParams {
    pub salary: f64,
    pub idle_effort: f64,
    pub effort_cost: f64,
    pub innovation_levels: u64,
    pub innovation_cost: f64,
    pub innovation_success: f64,
    pub innovation_gain: f64,
    pub psm_weight: f64,
    pub routine_error: f64,
    pub innovation_error: f64,
    pub violation_error: f64,
    pub error_damage: f64,
    pub damage_persistence: f64,
    pub self_serving_rate: f64,
    pub private_gain: f64,
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
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountabilityParams {
    pub detection: f64,
    pub penalty: f64,
    pub one_vote_veto: bool,
    pub veto_share: f64,
    pub veto_multiplier: f64,
    pub veto_dismissal: f64,
    pub lifelong: bool,
    pub late_detection: f64,
    pub inaction_detection: f64,
    pub inaction_penalty: f64,
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
        }
    }
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
    pub enabled: bool,
    pub scope: Vec<ErrorClass>,
    pub screening_accuracy: f64,
    pub tolerate_veto: bool,
    pub error_correction: bool,
    pub correction_efficacy: f64,
    pub correction_learning: f64,
    pub proneness_floor: f64,
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
    pub promotion_quota: f64,
    pub promotion_reward: f64,
    pub innovation_reward: f64,
    pub target_weight: f64,
    pub innovation_weight: f64,
    pub jurisdiction_weight: f64,
    pub seniority_weight: f64,
    pub evaluation_noise: f64,
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
    pub rule: Rule,
    pub rationality: f64,
    pub recency: f64,
    pub vicarious: f64,
    pub peers_observed: u64,
    pub loss_aversion: f64,
    pub aspiration_rate: f64,
    pub explore: f64,
    pub socialization: bool,
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
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquilibriumParams {
    pub abusive_abuse_rate: f64,
    pub lazy_idle: f64,
    pub passive_not_innovating: f64,
    pub innovative_share: f64,
    pub window: u64,
    pub tolerance: f64,
}

impl Default for EquilibriumParams {
    fn default() -> Self {
        EquilibriumParams {
            abusive_abuse_rate: 0.25,
            lazy_idle: 0.5,
            passive_not_innovating: 0.7,
            innovative_share: 0.3,
            window: 20,
            tolerance: 0.01,
        }
    }
}
