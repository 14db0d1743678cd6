//! The cadres of one peer group as a struct of arrays, with initialisation and recruitment.
//! Each peer group owns its arrays, so groups advance in parallel without sharing state.

use crate::metrics::Tally;
use crate::params::{ErrorClass, Params};
use crate::rng::beta::Beta;
pub use crate::rng::logit::{logit_choice, lognormal_mean_one};
use crate::rng::Stream;

/// Action code of idling (effort `work.idle_effort`, no innovation). Actions are numbered
/// idle, routine, then innovation levels 1..=K at codes 2..=K+1 (intensity k/K).
pub const IDLE: usize = 0;
/// Action code of routine work (full effort, no innovation).
pub const ROUTINE: usize = 1;

/// Error slots of the latent stock: class (exploratory, negligence, violation) x veto-class.
pub const LATENT_SLOTS: usize = 6;

/// The cadres of one peer group (struct of arrays, index = position in the group).
pub struct PeerGroup {
    /// Global peer-group index (keys the random streams).
    pub id: u64,
    pub level: usize,
    /// Global index of the group's first unit; its units are contiguous.
    pub first_unit: usize,
    pub cadres_per_unit: usize,
    /// theta: productivity multiplier.
    pub ability: Box<[f32]>,
    /// Public-service motivation in [0, 1].
    pub psm: Box<[f32]>,
    /// kappa: error proneness.
    pub proneness: Box<[f32]>,
    /// Simon aspiration level.
    pub aspiration: Box<[f32]>,
    /// Attractions, `actions` per cadre, row-major.
    pub attraction: Box<[f32]>,
    /// This step's action.
    pub action: Box<[u8]>,
    pub opportunist: Box<[bool]>,
    pub tenure: Box<[u32]>,
    /// Sum of the cadre's attainment over its steps in post before this one (for the
    /// tenure-average evaluation, `incentives.tenure_weight`).
    pub attainment_sum: Box<[f32]>,
    /// Latent (undetected) errors by slot `class * 2 + veto`, saturating at 255.
    pub latent: Box<[[u8; LATENT_SLOTS]]>,
    /// Exempted errors on record (open to re-opening under lifelong accountability), by
    /// the same slots, saturating at 255.
    pub exempted: Box<[[u8; LATENT_SLOTS]]>,
    /// Score of the lowest-scoring promoted cadre of the previous step.
    pub cutoff: Option<f64>,
    /// The body that screens the group's detected errors for exemption.
    pub screen: Screen,
    /// Sums of the step just taken.
    pub tally: Tally,
    /// Output of each of the group's units in the step just taken.
    pub unit_output: Box<[f64]>,
    /// Sanctions for errors of each of the group's units' cadres in the step just taken
    /// (what leadership responsibility passes up).
    pub unit_sanctions: Box<[f64]>,
    /// Sums of the step just taken per unit, when the group's level is recorded unit by
    /// unit (`output.by_unit`).
    pub unit_tallies: Option<Box<[Tally]>>,
}

/// A peer group's screening body (docs/MODEL.md §7.14): its attraction to granting the
/// exemptions its investigations judge tolerable (0: it grants every one), and this step's
/// exemptions granted and found to have covered a violation.
#[derive(Clone, Copy, Debug, Default)]
pub struct Screen {
    pub attraction: f64,
    pub granted: u32,
    pub found: u32,
    /// This step's detected errors and exemptions by class.
    pub judged: [u32; 3],
    pub exempted: [u32; 3],
    /// What the group has seen: the recent share of each class's detected errors exempted
    /// (0 until it has seen one).
    pub belief: [f64; 3],
}

impl Screen {
    /// Whether the body grants an exemption judged tolerable: always while its attraction is
    /// 0, else with probability exp(beta A).
    #[inline(always)]
    pub fn grants(&self, rationality: f64, stream: &mut Stream) -> bool {
        self.attraction == 0.0 || stream.chance((rationality * self.attraction).exp())
    }

    /// Learn from this step's cost per exemption granted (`liability` x found / granted) at
    /// rate `recency`; nothing is learned in a step without exemptions. The group's belief
    /// follows the share exempted of each class it saw judged, at the same rate.
    pub fn learn(&mut self, liability: f64, recency: f64) {
        for class in 0..3 {
            if self.judged[class] > 0 {
                let seen = self.exempted[class] as f64 / self.judged[class] as f64;
                self.belief[class] = (1.0 - recency) * self.belief[class] + recency * seen;
            }
        }
        self.judged = [0; 3];
        self.exempted = [0; 3];
        if self.granted > 0 && (liability > 0.0 || self.attraction != 0.0) {
            let cost = liability * self.found as f64 / self.granted as f64;
            self.attraction = (1.0 - recency) * self.attraction - recency * cost;
        }
        self.granted = 0;
        self.found = 0;
    }
}

/// Constants of a step derived from the parameters in force.
pub struct Derived {
    pub actions: usize,
    pub effort: Vec<f64>,
    pub intensity: Vec<f64>,
    pub psm: Beta,
    /// How the form of a sanction is drawn, by `FormDraw::case`.
    pub forms: [FormDraw; 4],
    /// Severity of each form of discipline, x `accountability.penalty`.
    pub severity: [f64; 4],
    /// Expected sanction of taking a chance of private gain outside reform: what it must
    /// be worth to be taken (`work.corruption_opportunity`).
    pub corruption_deterrent: f64,
    /// Who joins under this regime, when enforcement selects recruits (None: as at step 0).
    pub selection: Option<Selection>,
}

/// Recruits under an enforcement regime (docs/MODEL.md §7.14): their ability multiplier and
/// the share of opportunists among them.
#[derive(Clone, Copy, Debug)]
pub struct Selection {
    pub ability: f64,
    pub opportunist_share: f64,
}

impl Selection {
    /// None when neither elasticity is set; else the multipliers at the enforcement
    /// intensity I = d* S / (0.5 x 8), d* the detection over an error's life.
    fn of(params: &Params) -> Option<Self> {
        let cadres = &params.cadres;
        if cadres.selection_ability == 0.0 && cadres.selection_opportunism == 0.0 {
            return None;
        }
        let detection = crate::model::rational::effective_detection(params);
        let excess = detection * params.accountability.penalty / (0.5 * 8.0) - 1.0;
        Some(Selection {
            ability: (-cadres.selection_ability * excess).exp(),
            opportunist_share: (cadres.opportunist_share
                * (-cadres.selection_opportunism * excess).exp())
            .min(1.0),
        })
    }
}

/// The draw of a sanctioned error's form of discipline (docs/MODEL.md §7.14).
#[derive(Clone, Copy, Debug)]
pub struct FormDraw {
    /// Cumulative shares of the forms, mildest first.
    cumulative: [f64; 4],
    /// The form that has every share, when one has (no draw is then made).
    certain: Option<usize>,
    /// The last form with a positive share (when rounding leaves a draw above every
    /// cumulative share).
    last: usize,
}

impl FormDraw {
    fn new(shares: &[f64; 4]) -> Self {
        let mut cumulative = [0.0; 4];
        let mut sum = 0.0;
        for (total, share) in cumulative.iter_mut().zip(shares) {
            sum += share;
            *total = sum;
        }
        FormDraw {
            cumulative,
            certain: shares.iter().position(|&share| share == 1.0),
            last: shares.iter().rposition(|&share| share > 0.0).unwrap_or(0),
        }
    }

    /// Index into `Derived::forms` of an error of `class`, veto-class or not.
    #[inline(always)]
    pub fn case(class: ErrorClass, veto: bool) -> usize {
        if veto {
            3
        } else {
            class as usize
        }
    }

    /// The form: the certain one, or the first whose cumulative share exceeds a uniform draw
    /// (the last form with a positive share when rounding leaves none).
    #[inline(always)]
    pub fn draw(&self, stream: &mut Stream) -> usize {
        if let Some(form) = self.certain {
            return form;
        }
        let u = stream.uniform();
        self.cumulative
            .iter()
            .position(|&c| u < c)
            .unwrap_or(self.last)
    }
}

impl Derived {
    pub fn new(params: &Params) -> Self {
        let levels = params.work.innovation_levels as usize;
        let actions = levels + 2;
        let mut effort = vec![1.0; actions];
        effort[IDLE] = params.work.idle_effort;
        let intensity = (0..actions)
            .map(|a| {
                if a <= ROUTINE {
                    0.0
                } else {
                    (a - 1) as f64 / levels as f64
                }
            })
            .collect();
        Derived {
            actions,
            effort,
            intensity,
            psm: Beta::new(params.cadres.psm_alpha, params.cadres.psm_beta)
                .expect("psm_alpha and psm_beta are validated > 0"),
            forms: {
                let forms = &params.accountability.forms;
                [
                    FormDraw::new(&forms.exploratory),
                    FormDraw::new(&forms.negligence),
                    FormDraw::new(&forms.violation),
                    FormDraw::new(&forms.veto),
                ]
            },
            severity: params.accountability.forms.severities(),
            corruption_deterrent: crate::model::rational::violation_deterrent(params),
            selection: Selection::of(params),
        }
    }
}

impl PeerGroup {
    /// A group of `size` cadres with zeroed state; `recruit` fills each cadre in.
    pub fn new(
        id: u64,
        level: usize,
        first_unit: usize,
        units: usize,
        cadres_per_unit: usize,
        actions: usize,
    ) -> Self {
        let size = units * cadres_per_unit;
        PeerGroup {
            id,
            level,
            first_unit,
            cadres_per_unit,
            ability: vec![1.0; size].into_boxed_slice(),
            psm: vec![0.0; size].into_boxed_slice(),
            proneness: vec![1.0; size].into_boxed_slice(),
            aspiration: vec![0.0; size].into_boxed_slice(),
            attraction: vec![0.0; size * actions].into_boxed_slice(),
            action: vec![0; size].into_boxed_slice(),
            opportunist: vec![false; size].into_boxed_slice(),
            tenure: vec![0; size].into_boxed_slice(),
            attainment_sum: vec![0.0; size].into_boxed_slice(),
            latent: vec![[0; LATENT_SLOTS]; size].into_boxed_slice(),
            exempted: vec![[0; LATENT_SLOTS]; size].into_boxed_slice(),
            cutoff: None,
            screen: Screen::default(),
            tally: Tally::default(),
            unit_output: vec![0.0; units].into_boxed_slice(),
            unit_sanctions: vec![0.0; units].into_boxed_slice(),
            unit_tallies: None,
        }
    }

    pub fn len(&self) -> usize {
        self.action.len()
    }

    pub fn is_empty(&self) -> bool {
        self.action.is_empty()
    }

    /// Bytes of per-cadre state held by this group (arrays only).
    pub fn state_bytes(&self) -> usize {
        self.ability.len() * 4
            + self.psm.len() * 4
            + self.proneness.len() * 4
            + self.aspiration.len() * 4
            + self.attraction.len() * 4
            + self.action.len()
            + self.opportunist.len()
            + self.tenure.len() * 4
            + self.attainment_sum.len() * 4
            + self.latent.len() * LATENT_SLOTS
            + self.exempted.len() * LATENT_SLOTS
    }

    /// Replace cadre `i` by a recruit. With `socialized` attractions its first action is a
    /// logit draw on them; otherwise attractions are 0 and the action is uniform. A recruit
    /// `entering` during the run (not at step 0) is selected by the regime
    /// (`Derived::selection`).
    #[inline(always)]
    pub fn recruit(
        &mut self,
        i: usize,
        params: &Params,
        derived: &Derived,
        socialized: Option<&[f32]>,
        entering: bool,
        stream: &mut Stream,
    ) {
        let actions = derived.actions;
        let ability = lognormal_mean_one(stream, params.cadres.ability_sd);
        let selection = derived.selection.filter(|_| entering);
        self.ability[i] = match selection {
            Some(selected) => (ability * selected.ability) as f32,
            None => ability as f32,
        };
        self.psm[i] = derived.psm.sample(stream) as f32;
        let share = selection.map_or(params.cadres.opportunist_share, |s| s.opportunist_share);
        self.opportunist[i] = stream.chance(share);
        self.proneness[i] = 1.0;
        self.aspiration[i] = 0.0;
        self.tenure[i] = 0;
        self.attainment_sum[i] = 0.0;
        self.latent[i] = [0; LATENT_SLOTS];
        self.exempted[i] = [0; LATENT_SLOTS];
        let row = &mut self.attraction[i * actions..(i + 1) * actions];
        match socialized {
            Some(mean) => {
                row.copy_from_slice(mean);
                self.action[i] = logit_choice(row, params.behaviour.rationality, stream);
            }
            None => {
                row.fill(0.0);
                self.action[i] = stream.below(actions) as u8;
            }
        }
    }
}
