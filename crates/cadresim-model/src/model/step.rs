//! One step of one peer group: phases 1-12 of docs/MODEL.md §3 in order (act, errors,
//! detection, processing, damage, inaction, assessment, tournament, payoff, record, learn,
//! turnover). Reads shared unit data, writes only the group's own arrays.

use crate::metrics::Tally;
use crate::model::population::{Derived, FormDraw, PeerGroup, Screen, IDLE, LATENT_SLOTS, ROUTINE};
use crate::model::rational;
use crate::params::{ErrorClass, Params, Rule, MAX_ACTIONS};
use crate::rng::logit::logit_choice;
use crate::rng::{Phase, ReplicateKey, Stream};

/// Call `f::<ACTIONS>(args)` with the row width `actions` as a constant, one compiled copy
/// per width, so that a row of attractions can live in registers.
macro_rules! by_row_width {
    ($actions:expr, $f:ident $args:tt) => {{
        const _: () = assert!(MAX_ACTIONS == 18, "list every row width below");
        by_row_width!(@ $actions, $f $args; 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18)
    }};
    (@ $actions:expr, $f:ident $args:tt; $($width:literal)*) => {
        match $actions {
            $($width => $f::<$width> $args,)*
            _ => unreachable!("actions are 3..={MAX_ACTIONS}"),
        }
    };
}

/// What a peer group reads during a step (all read-only, shared by every group).
pub struct StepContext<'a> {
    pub params: &'a Params,
    pub derived: &'a Derived,
    pub key: &'a ReplicateKey,
    pub step: u64,
    /// Per-cadre target faced by the cadres of each unit.
    pub unit_target: &'a [f64],
    pub unit_capacity: &'a [f64],
    /// Jurisdiction attainment J of each unit in the previous step (1 at step 0).
    pub jurisdiction: &'a [f64],
    /// Parameters of the regimes other than `params` (schedule entries with `where`).
    pub regional: &'a [Regime],
    /// Regime of every unit (0: `params`); empty when there is only one.
    pub unit_regime: &'a [u8],
    /// Leadership cost each cadre of each unit bears this step; empty without leadership
    /// responsibility.
    pub leadership_cost: &'a [f64],
    /// b of each unit: detection of its cadres' new errors is d + (1 - d) b; empty without
    /// leadership supervision.
    pub detection_boost: &'a [f64],
}

/// The parameters in force in one part of the hierarchy, with their derived constants.
pub struct Regime {
    pub params: Params,
    pub derived: Derived,
}

impl Regime {
    pub fn new(params: Params) -> Self {
        let derived = Derived::new(&params);
        Regime { params, derived }
    }
}

impl StepContext<'_> {
    /// Regime of a unit.
    #[inline]
    fn regime_of(&self, unit: usize) -> usize {
        self.unit_regime.get(unit).map_or(0, |&r| r as usize)
    }

    /// Parameters and derived constants of a regime.
    #[inline]
    fn regime(&self, regime: usize) -> (&Params, &Derived) {
        match regime {
            0 => (self.params, self.derived),
            r => (&self.regional[r - 1].params, &self.regional[r - 1].derived),
        }
    }

    /// Parameters in force at a unit.
    #[inline]
    fn params_at(&self, unit: usize) -> &Params {
        self.regime(self.regime_of(unit)).0
    }
}

/// Per-thread working arrays, reused across groups and steps.
#[derive(Default)]
pub struct Scratch {
    attainment: Vec<f64>,
    success_intensity: Vec<f64>,
    sanctions: Vec<f64>,
    payoff: Vec<f64>,
    felt: Vec<f32>,
    vetoed: Vec<bool>,
    promoted: Vec<bool>,
    score: Vec<f64>,
    candidates: Vec<u32>,
    old_action: Vec<u8>,
    leaving: Vec<bool>,
    mean_attraction: Vec<f32>,
}

fn reset<T: Clone>(buffer: &mut Vec<T>, len: usize, value: T) {
    buffer.clear();
    buffer.resize(len, value);
}

impl Scratch {
    fn prepare(&mut self, n: usize, actions: usize) {
        // Written for every cadre (or action) before they are read: only sized.
        self.attainment.resize(n, 0.0);
        self.success_intensity.resize(n, 0.0);
        self.sanctions.resize(n, 0.0);
        self.payoff.resize(n, 0.0);
        self.felt.resize(n, 0.0);
        self.vetoed.resize(n, false);
        self.score.resize(n, 0.0);
        self.old_action.resize(n, 0);
        self.leaving.resize(n, false);
        self.mean_attraction.resize(actions, 0.0);
        // Written for some cadres only: cleared.
        reset(&mut self.promoted, n, false);
        self.candidates.clear();
    }
}

/// Walks the units of a group alongside its cadres (no division in the loop).
struct UnitCursor {
    unit: usize,
    next_boundary: usize,
    per_unit: usize,
}

impl UnitCursor {
    fn new(per_unit: usize) -> Self {
        Self::starting_at(0, per_unit)
    }

    /// A cursor whose first cadre is the first of unit `unit` (within the group).
    fn starting_at(unit: usize, per_unit: usize) -> Self {
        UnitCursor {
            unit,
            next_boundary: (unit + 1) * per_unit,
            per_unit,
        }
    }

    /// Unit (within the group) of cadre `i`; call with i = 0, 1, 2, ...
    #[inline]
    fn at(&mut self, i: usize) -> usize {
        if i == self.next_boundary {
            self.unit += 1;
            self.next_boundary += self.per_unit;
        }
        self.unit
    }
}

/// Where a cadre's counts go: its group's tally and, in a group whose units are recorded
/// one by one (`output.by_unit`), its unit's tally too. Each update is applied to the group
/// tally exactly as it would be alone, so recording units never changes the group's sums.
pub(crate) struct Tallies<'a, U: UnitTallies> {
    group: &'a mut Tally,
    units: U,
}

/// The per-unit side of `Tallies`: nothing, or one tally per unit of the group.
pub(crate) trait UnitTallies {
    fn select(&mut self, unit_in_group: usize);
    fn add(&mut self, update: impl Fn(&mut Tally));
}

/// Groups whose units are not recorded one by one.
pub(crate) struct NoUnits;

impl UnitTallies for NoUnits {
    #[inline(always)]
    fn select(&mut self, _: usize) {}
    #[inline(always)]
    fn add(&mut self, _: impl Fn(&mut Tally)) {}
}

/// One tally per unit of the group, the selected one receiving updates.
struct PerUnit<'a> {
    tallies: &'a mut [Tally],
    unit: usize,
}

impl UnitTallies for PerUnit<'_> {
    #[inline]
    fn select(&mut self, unit_in_group: usize) {
        self.unit = unit_in_group;
    }
    #[inline]
    fn add(&mut self, update: impl Fn(&mut Tally)) {
        update(&mut self.tallies[self.unit]);
    }
}

impl<U: UnitTallies> Tallies<'_, U> {
    #[inline(always)]
    fn add(&mut self, update: impl Fn(&mut Tally) + Copy) {
        update(self.group);
        self.units.add(update);
    }
}

/// 1.0 when `condition` holds, else 0.0.
#[inline(always)]
fn one_if(condition: bool) -> f64 {
    f64::from(u8::from(condition))
}

/// Slot of the latent stock for an error.
#[inline]
fn latent_slot(class: ErrorClass, veto: bool) -> usize {
    class as usize * 2 + usize::from(veto)
}

/// Advance one peer group by one step. Always inlined, so that each `model::kernel`
/// compiles the whole step for its own instruction set.
#[inline(always)]
pub fn advance(group: &mut PeerGroup, ctx: &StepContext, scratch: &mut Scratch) {
    let n = group.len();
    scratch.prepare(n, ctx.derived.actions);
    group.tally = Tally {
        cadres: n as f64,
        ..Tally::default()
    };
    if let Some(units) = group.unit_tallies.as_mut() {
        units.fill(Tally {
            cadres: group.cadres_per_unit as f64,
            ..Tally::default()
        });
    }
    group.unit_output.fill(0.0);
    group.unit_sanctions.fill(0.0);
    let rule = ctx.params.behaviour.rule;
    if rule == Rule::Rational {
        choose_actions(group, ctx);
    }
    act(group, ctx, scratch);
    tournament_and_payoff(group, ctx, scratch);
    if rule != Rule::Rational {
        learn(group, ctx, scratch);
    }
    turnover(group, ctx, scratch);
}

/// Set every cadre's action to its argmax, except recruits in their first step (tenure 0
/// after step 0), who keep the action drawn at recruitment. What the payoffs share is
/// computed once per regime met in the group (`rational::Stakes`).
#[inline(always)]
fn choose_actions(group: &mut PeerGroup, ctx: &StepContext) {
    let mut stakes: Option<(usize, rational::Stakes)> = None;
    for i in 0..group.len() {
        if ctx.step > 0 && group.tenure[i] == 0 {
            continue;
        }
        let unit = group.first_unit + i / group.cadres_per_unit;
        let regime = ctx.regime_of(unit);
        let (params, derived) = ctx.regime(regime);
        let cadre = rational::CadreView {
            capability: group.ability[i] as f64 * ctx.unit_capacity[unit],
            target: ctx.unit_target[unit],
            psm: group.psm[i] as f64,
            proneness: group.proneness[i] as f64,
            opportunist: group.opportunist[i],
            tenure: group.tenure[i] as f64,
            attainment_sum: group.attainment_sum[i] as f64,
            jurisdiction: ctx.jurisdiction[unit],
            belief: (!params.fault_tolerance.lists).then_some(group.screen.belief),
        };
        let shared = match stakes {
            Some((known, shared)) if known == regime => shared,
            _ => {
                let shared = rational::Stakes::new(params, cadre.belief.as_ref());
                stakes = Some((regime, shared));
                shared
            }
        };
        let menu = rational::Menu {
            effort: &derived.effort,
            intensity: &derived.intensity,
        };
        group.action[i] = rational::best_action(params, &shared, menu, &cadre, group.cutoff) as u8;
    }
}

/// Phase 1, outside innovation: a chance of private gain worth 2 U `work.private_gain`
/// comes with probability `work.corruption_opportunity` and is taken when worth more than
/// its expected sanction; returns whether it was taken (docs/MODEL.md §7.14).
#[inline(always)]
fn take_private_gain(
    work: &crate::params::WorkParams,
    derived: &Derived,
    stream: &mut Stream,
    private_gain: &mut f64,
) -> bool {
    if !stream.chance(work.corruption_opportunity) {
        return false;
    }
    let value = 2.0 * work.private_gain * stream.uniform();
    let taken = value > derived.corruption_deterrent;
    if taken {
        *private_gain += value;
    }
    taken
}

/// The consequences of one detected error for its cadre, and for the screening body.
struct Accused<'a> {
    proneness: &'a mut f32,
    sanctions: &'a mut f64,
    vetoed: &'a mut bool,
    screen: &'a mut Screen,
}

/// Phase 4: investigate and judge a detected error; returns true when it is exempted.
#[inline(always)]
fn process_detected<U: UnitTallies>(
    class: ErrorClass,
    veto: bool,
    (params, derived): (&Params, &Derived),
    stream: &mut Stream,
    accused: &mut Accused,
    tally: &mut Tallies<U>,
) -> bool {
    let tolerance = &params.fault_tolerance;
    investigate(params, tally);
    let screened = tolerance.enabled && (!veto || tolerance.tolerate_veto);
    let eligible = screened && tolerance.in_scope(class);
    let tolerated = screened
        && stream.chance(tolerance.screening_accuracy) == tolerance.in_scope(class)
        && accused.screen.grants(params.behaviour.rationality, stream);
    if eligible {
        tally.add(|t| t.eligible += 1.0);
    }
    accused.screen.judged[class as usize] += 1;
    accused.screen.exempted[class as usize] += u32::from(tolerated);
    if tolerated {
        tally.add(|t| t.exempted += 1.0);
        if eligible {
            tally.add(|t| t.eligible_exempted += 1.0);
        }
        accused.screen.granted += 1;
        let liability = tolerance.approver_liability;
        if class == ErrorClass::Violation
            && liability > 0.0
            && stream.chance(params.accountability.detection)
        {
            accused.screen.found += 1;
        }
        if class == ErrorClass::Violation {
            tally.add(|t| t.wrongly_exempted += 1.0);
        }
        if tolerance.error_correction {
            let learned = *accused.proneness as f64 * (1.0 - tolerance.correction_learning);
            *accused.proneness = learned.max(tolerance.proneness_floor) as f32;
        }
    } else {
        sanction(class, veto, (params, derived), stream, accused, tally);
    }
    tolerated
}

/// The public cost of one investigation (`accountability.enforcement_cost`).
#[inline(always)]
fn investigate<U: UnitTallies>(params: &Params, tally: &mut Tallies<U>) {
    let cost = params.accountability.enforcement_cost;
    if cost > 0.0 {
        tally.add(|t| t.enforcement_cost += cost);
    }
}

/// Sanction an error: its form of discipline, its penalty and, for a veto-class error under
/// the one-vote veto, the veto.
#[inline(always)]
fn sanction<U: UnitTallies>(
    class: ErrorClass,
    veto: bool,
    (params, derived): (&Params, &Derived),
    stream: &mut Stream,
    accused: &mut Accused,
    tally: &mut Tallies<U>,
) {
    let accountability = &params.accountability;
    tally.add(|t| t.sanctioned += 1.0);
    if class == ErrorClass::Exploratory {
        tally.add(|t| t.wrongly_sanctioned += 1.0);
    }
    let form = derived.forms[FormDraw::case(class, veto)].draw(stream);
    tally.add(|t| t.forms[form] += 1.0);
    let sanction = accountability.penalty * derived.severity[form];
    if veto && accountability.one_vote_veto {
        *accused.sanctions += sanction * accountability.veto_multiplier;
        *accused.vetoed = true;
        tally.add(|t| t.veto_events += 1.0);
    } else {
        *accused.sanctions += sanction;
    }
}

/// Under lifelong accountability, re-open each exemption on `record` with probability
/// `accountability.reopen_rate` and sanction it (docs/MODEL.md §7.14).
#[inline(always)]
fn reopen_exemptions<U: UnitTallies>(
    record: &mut [u8; LATENT_SLOTS],
    regime: (&Params, &Derived),
    stream: &mut Stream,
    accused: &mut Accused,
    tally: &mut Tallies<U>,
) {
    let rate = regime.0.accountability.reopen_rate;
    for (slot, count) in record.iter_mut().enumerate() {
        let class = ErrorClass::ALL[slot / 2];
        let veto = slot % 2 == 1;
        for _ in 0..*count {
            if stream.chance(rate) {
                *count -= 1;
                tally.add(|t| t.reopened += 1.0);
                investigate(regime.0, tally);
                sanction(class, veto, regime, stream, accused, tally);
            }
        }
    }
}

/// Phases 1-7 for every cadre, into the group's tally and, when its units are recorded one
/// by one, theirs.
#[inline(always)]
fn act(group: &mut PeerGroup, ctx: &StepContext, scratch: &mut Scratch) {
    let mut tally = std::mem::take(&mut group.tally);
    match group.unit_tallies.take() {
        None => act_runs(
            group,
            ctx,
            scratch,
            &mut Tallies {
                group: &mut tally,
                units: NoUnits,
            },
        ),
        Some(mut units) => {
            let per_unit = PerUnit {
                tallies: &mut units,
                unit: 0,
            };
            act_runs(
                group,
                ctx,
                scratch,
                &mut Tallies {
                    group: &mut tally,
                    units: per_unit,
                },
            );
            group.unit_tallies = Some(units);
        }
    }
    group.tally = tally;
}

/// Phases 1-7 over runs of consecutive units under the same regime (one run unless
/// schedule entries with `where` divide the group), drawing from one stream in cadre order.
#[inline(always)]
fn act_runs<U: UnitTallies>(
    group: &mut PeerGroup,
    ctx: &StepContext,
    scratch: &mut Scratch,
    tally: &mut Tallies<U>,
) {
    let mut stream = ctx.key.stream(ctx.step, group.id, Phase::Act);
    let units = group.unit_output.len();
    let mut start = 0;
    while start < units {
        let regime = ctx.regime_of(group.first_unit + start);
        let mut end = start + 1;
        while end < units && ctx.regime_of(group.first_unit + end) == regime {
            end += 1;
        }
        let (params, derived) = ctx.regime(regime);
        let run = Run {
            params,
            derived,
            units: start..end,
        };
        act_cadres(group, &run, ctx, scratch, tally, &mut stream);
        start = end;
    }
    let params = ctx.params_at(group.first_unit);
    let liability = params.fault_tolerance.approver_liability;
    group.screen.learn(liability, params.behaviour.recency);
}

/// Units of a group (positions within it) under one regime's parameters.
struct Run<'a> {
    params: &'a Params,
    derived: &'a Derived,
    units: std::ops::Range<usize>,
}

/// Phases 1-7 for every cadre: act, errors, detection and processing (late detection
/// included), damage, inaction accountability and target assessment.
#[inline(always)]
fn act_cadres<U: UnitTallies>(
    group: &mut PeerGroup,
    run: &Run,
    ctx: &StepContext,
    scratch: &mut Scratch,
    tally: &mut Tallies<U>,
    stream: &mut Stream,
) {
    let params = run.params;
    let work = &params.work;
    let accountability = &params.accountability;
    let tolerance = &params.fault_tolerance;
    let derived = run.derived;
    let damage_undetected = work.error_damage * work.damage_persistence;
    let damage_exempted = if tolerance.error_correction {
        work.error_damage * (1.0 - tolerance.correction_efficacy)
    } else {
        damage_undetected
    };
    let per_unit = group.cadres_per_unit;
    let mut cursor = UnitCursor::starting_at(run.units.start, per_unit);
    for i in run.units.start * per_unit..run.units.end * per_unit {
        let unit_in_group = cursor.at(i);
        tally.units.select(unit_in_group);
        let unit = group.first_unit + unit_in_group;
        let action = group.action[i] as usize;
        let effort = derived.effort[action];
        let intensity = derived.intensity[action];
        let innovating = intensity > 0.0;
        // Phase 1: act.
        let self_serving =
            innovating && group.opportunist[i] && stream.chance(work.self_serving_rate);
        let honest_innovation = innovating && !self_serving;
        let success = honest_innovation && stream.chance(work.innovation_success);
        let success_intensity = if success { intensity } else { 0.0 };
        let ability = group.ability[i] as f64;
        let opportunist = group.opportunist[i];
        let belief = group.screen.belief[ErrorClass::Exploratory as usize];
        let capability = ability * ctx.unit_capacity[unit];
        let output = capability * (effort + work.innovation_gain * success_intensity);
        let mut private_gain = if self_serving {
            work.private_gain * intensity
        } else {
            0.0
        };
        let corrupt = !self_serving
            && work.corruption_opportunity > 0.0
            && group.opportunist[i]
            && take_private_gain(work, derived, stream, &mut private_gain);
        // Phase 2: new errors.
        let proneness = group.proneness[i] as f64;
        let mut new_errors = [ErrorClass::Negligence; 3];
        let mut error_count = 0;
        if stream.chance(proneness * work.routine_error * effort) {
            new_errors[error_count] = ErrorClass::Negligence;
            error_count += 1;
        }
        if self_serving {
            if stream.chance(work.violation_error * intensity) {
                new_errors[error_count] = ErrorClass::Violation;
                error_count += 1;
            }
        } else if innovating && stream.chance(proneness * work.innovation_error * intensity) {
            new_errors[error_count] = ErrorClass::Exploratory;
            error_count += 1;
        }
        if corrupt && stream.chance(work.violation_error) {
            new_errors[error_count] = ErrorClass::Violation;
            error_count += 1;
        }
        // Phases 3-5: detection, processing, damage.
        let mut sanctions = 0.0;
        let mut vetoed = false;
        let mut damage = 0.0;
        let mut undetected = [0u8; LATENT_SLOTS];
        // Work on a local copy of the proneness (written back below) so it can stay in a register.
        let mut proneness_now = group.proneness[i];
        let mut accused = Accused {
            proneness: &mut proneness_now,
            sanctions: &mut sanctions,
            vetoed: &mut vetoed,
            screen: &mut group.screen,
        };
        let mut exempted_now = [0u8; LATENT_SLOTS];
        let detection = match ctx.detection_boost.get(unit) {
            Some(&boost) => accountability.detection + (1.0 - accountability.detection) * boost,
            None => accountability.detection,
        };
        for &class in &new_errors[..error_count] {
            let veto = stream.chance(accountability.veto_share);
            tally.add(|t| t.errors += 1.0);
            if stream.chance(detection) {
                tally.add(|t| t.detected += 1.0);
                let exempted =
                    process_detected(class, veto, (params, derived), stream, &mut accused, tally);
                damage += if exempted {
                    let slot = latent_slot(class, veto);
                    exempted_now[slot] = exempted_now[slot].saturating_add(1);
                    damage_exempted
                } else {
                    work.error_damage
                };
            } else {
                damage += damage_undetected;
                undetected[latent_slot(class, veto)] += 1;
            }
        }
        let stock = &mut group.latent[i];
        if accountability.lifelong {
            for (slot, count) in stock.iter_mut().enumerate() {
                let class = ErrorClass::ALL[slot / 2];
                let veto = slot % 2 == 1;
                for _ in 0..*count {
                    if stream.chance(accountability.late_detection) {
                        *count -= 1;
                        tally.add(|t| t.detected += 1.0);
                        let regime = (params, derived);
                        if process_detected(class, veto, regime, stream, &mut accused, tally) {
                            exempted_now[slot] = exempted_now[slot].saturating_add(1);
                        }
                    }
                }
            }
        }
        // Without a new error there is nothing to add to the stock.
        if error_count > 0 {
            for (count, new) in stock.iter_mut().zip(undetected) {
                *count = count.saturating_add(new);
            }
        }
        let record = &mut group.exempted[i];
        if accountability.lifelong && accountability.reopen_rate > 0.0 {
            let regime = (params, derived);
            reopen_exemptions(record, regime, stream, &mut accused, tally);
        }
        if exempted_now != [0; LATENT_SLOTS] {
            for (count, new) in record.iter_mut().zip(exempted_now) {
                *count = count.saturating_add(new);
            }
        }
        group.proneness[i] = proneness_now;
        group.unit_sanctions[unit_in_group] += sanctions;
        // Phase 6: inaction accountability.
        if action == IDLE && stream.chance(accountability.inaction_detection) {
            sanctions += accountability.inaction_penalty;
            tally.add(|t| t.caught_idle += 1.0);
            investigate(params, tally);
        }
        // Leadership responsibility for the last step's sanctions below the unit.
        if let Some(&borne) = ctx.leadership_cost.get(unit) {
            if borne > 0.0 {
                sanctions += borne;
                tally.add(|t| t.leadership_cost += borne);
            }
        }
        if private_gain > 0.0 && work.corruption_social_cost > 0.0 {
            let cost = work.corruption_social_cost * private_gain;
            tally.add(|t| t.corruption_cost += cost);
        }
        // Phase 7: target assessment.
        let attainment = output / ctx.unit_target[unit];
        let shortfall = (1.0 - attainment).max(0.0);
        tally.add(|t| {
            // Counts as additions of 0 or 1 (exact), without branching on random outcomes.
            t.idle += one_if(action == IDLE);
            t.routine += one_if(action == ROUTINE);
            t.innovating += one_if(action > ROUTINE);
            t.innovation += intensity;
            t.attainment += attainment;
            t.missed += one_if(attainment < 1.0);
            t.output += output;
            t.damage += damage;
            t.private_gain += private_gain;
            t.successes += one_if(success);
            t.ability += ability;
            t.opportunists += one_if(opportunist);
            t.belief += belief;
        });
        group.unit_output[unit_in_group] += output;
        // Phase 9 (all but the promotion reward, added after the tournament).
        let intrinsic = if honest_innovation {
            work.psm_weight * group.psm[i] as f64 * intensity
        } else {
            0.0
        };
        let reward = if success {
            params.incentives.innovation_reward
        } else {
            0.0
        };
        scratch.payoff[i] = work.salary + intrinsic + reward + private_gain
            - work.effort_cost * effort
            - work.innovation_cost * intensity
            - sanctions
            - params.targets.miss_penalty * shortfall;
        scratch.attainment[i] = attainment;
        scratch.success_intensity[i] = success_intensity;
        scratch.sanctions[i] = sanctions;
        scratch.vetoed[i] = vetoed;
    }
}

/// Number promoted in a peer group of `n`: max(1, floor(quota n + 1/2)).
pub fn promotion_count(quota: f64, n: usize) -> usize {
    ((quota * n as f64 + 0.5).floor() as usize).max(1)
}

/// Phases 8-9: tournament, then payoffs and felt payoffs.
#[inline(always)]
fn tournament_and_payoff(group: &mut PeerGroup, ctx: &StepContext, scratch: &mut Scratch) {
    let incentives = &ctx.params.incentives;
    let mut stream = ctx.key.stream(ctx.step, group.id, Phase::Tournament);
    let n = group.len();
    let mut cursor = UnitCursor::new(group.cadres_per_unit);
    for i in 0..n {
        let unit = group.first_unit + cursor.at(i);
        let noise = if incentives.evaluation_noise > 0.0 {
            incentives.evaluation_noise * stream.normal()
        } else {
            0.0
        };
        let attainment = scratch.attainment[i];
        let evaluated = incentives.evaluated_attainment(
            attainment,
            group.attainment_sum[i] as f64,
            group.tenure[i] as f64,
        );
        group.attainment_sum[i] += attainment as f32;
        scratch.score[i] = incentives.target_weight * evaluated
            + incentives.innovation_weight * scratch.success_intensity[i]
            + incentives.jurisdiction_weight * ctx.jurisdiction[unit]
            + incentives.seniority_weight * group.tenure[i] as f64
            + noise;
        if !scratch.vetoed[i] {
            scratch.candidates.push(i as u32);
        }
    }
    let quota = promotion_count(incentives.promotion_quota, n);
    let score = &scratch.score;
    select_best(&mut scratch.candidates, score, quota, group.cutoff);
    let mut cutoff: Option<f64> = None;
    for &i in &scratch.candidates {
        scratch.promoted[i as usize] = true;
        let s = score[i as usize];
        cutoff = Some(cutoff.map_or(s, |c| c.min(s)));
    }
    group.cutoff = cutoff;
    let excess_loss = ctx.params.behaviour.loss_aversion - 1.0;
    for i in 0..n {
        if scratch.promoted[i] {
            scratch.payoff[i] += incentives.promotion_reward;
        }
        scratch.felt[i] = (scratch.payoff[i] - excess_loss * scratch.sanctions[i]) as f32;
        group.tally.payoff += scratch.payoff[i];
        if let Some(units) = group.unit_tallies.as_mut() {
            units[i / group.cadres_per_unit].payoff += scratch.payoff[i];
        }
    }
}

/// Keep in `candidates` (positions in increasing order) the `quota` best by score (higher
/// first, in the order of `f64::total_cmp`), then position (lower first), in no particular
/// order. `hint`, the last step's cutoff, only makes the search faster.
#[inline(always)]
fn select_best(candidates: &mut Vec<u32>, score: &[f64], quota: usize, hint: Option<f64>) {
    if candidates.len() <= quota {
        return;
    }
    if let Some(threshold) = hint {
        keep_contenders(candidates, score, quota, threshold);
    }
    let better = |a: &u32, b: &u32| {
        score[*b as usize]
            .total_cmp(&score[*a as usize])
            .then(a.cmp(b))
    };
    candidates.select_nth_unstable_by(quota - 1, better);
    candidates.truncate(quota);
}

/// Drop the candidates scoring below `threshold` when at least `quota` score at or above it:
/// every one of the `quota` best is then among those kept (one below the threshold has at
/// least `quota` better), so the selection that follows finds the same cadres among fewer.
/// The last cutoff leaves about the quota half the time; lower thresholds, which leave more,
/// measured slower.
#[inline(always)]
fn keep_contenders(candidates: &mut Vec<u32>, score: &[f64], quota: usize, threshold: f64) {
    let contenders = candidates
        .iter()
        .map(|&i| usize::from(score[i as usize] >= threshold))
        .sum::<usize>();
    if contenders >= quota {
        candidates.retain(|&i| score[i as usize] >= threshold);
    }
}

/// Phase 11: satisficing or logit learning (own experience, then observed peers).
#[inline(always)]
fn learn(group: &mut PeerGroup, ctx: &StepContext, scratch: &mut Scratch) {
    by_row_width!(ctx.derived.actions, learn_rows(group, ctx, scratch))
}

/// Phase 11 with `ACTIONS` attractions per cadre. Each row is updated in registers: the
/// updates of a row follow one another, and through memory each would wait for the last.
#[inline(always)]
fn learn_rows<const ACTIONS: usize>(
    group: &mut PeerGroup,
    ctx: &StepContext,
    scratch: &mut Scratch,
) {
    let behaviour = &ctx.params.behaviour;
    let mut stream = ctx.key.stream(ctx.step, group.id, Phase::Learn);
    let n = group.len();
    scratch.old_action.copy_from_slice(&group.action);
    let recency = behaviour.recency as f32;
    let vicarious = behaviour.vicarious as f32;
    let aspiration_rate = behaviour.aspiration_rate;
    let (rows, rest) = group.attraction.as_chunks_mut::<ACTIONS>();
    debug_assert!(rest.is_empty() && rows.len() == n);
    for (i, stored) in rows.iter_mut().enumerate() {
        let mut row = *stored;
        let own = scratch.old_action[i] as usize;
        reinforce(&mut row, own, recency, scratch.felt[i]);
        if n > 1 {
            for _ in 0..behaviour.peers_observed {
                let mut peer = stream.below(n - 1);
                if peer >= i {
                    peer += 1;
                }
                let seen = scratch.old_action[peer] as usize;
                reinforce(&mut row, seen, vicarious, scratch.felt[peer]);
            }
        }
        let payoff = scratch.payoff[i];
        let aspiration = group.aspiration[i] as f64;
        let satisfied = payoff >= aspiration;
        group.aspiration[i] =
            ((1.0 - aspiration_rate) * aspiration + aspiration_rate * payoff) as f32;
        let redraw = match behaviour.rule {
            Rule::Logit => true,
            _ => !satisfied || stream.chance(behaviour.explore),
        };
        if redraw {
            group.action[i] = logit_choice(&row, behaviour.rationality, &mut stream);
        }
        *stored = row;
    }
}

/// A <- (1 - weight) A + weight felt for the attraction of `action`, the others unchanged.
/// Every lane is computed and the chosen one kept, so the row never leaves its registers.
#[inline(always)]
fn reinforce<const ACTIONS: usize>(
    row: &mut [f32; ACTIONS],
    action: usize,
    weight: f32,
    felt: f32,
) {
    debug_assert!(action < ACTIONS);
    for (a, value) in row.iter_mut().enumerate() {
        let updated = (1.0 - weight) * *value + weight * felt;
        *value = if a == action { updated } else { *value };
    }
}

/// Phase 12: dismissal of vetoed cadres, turnover, tenure, recruitment.
#[inline(always)]
fn turnover(group: &mut PeerGroup, ctx: &StepContext, scratch: &mut Scratch) {
    let params = ctx.params;
    let mut stream = ctx.key.stream(ctx.step, group.id, Phase::Turnover);
    let n = group.len();
    let mut any_leaver = false;
    for i in 0..n {
        // One regime (the usual case) needs no unit lookup per cadre.
        let dismissal = if ctx.unit_regime.is_empty() {
            params.accountability.veto_dismissal
        } else {
            let unit = group.first_unit + i / group.cadres_per_unit;
            ctx.params_at(unit).accountability.veto_dismissal
        };
        let dismissed = scratch.vetoed[i] && stream.chance(dismissal);
        if dismissed {
            group.tally.dismissals += 1.0;
            if let Some(units) = group.unit_tallies.as_mut() {
                units[i / group.cadres_per_unit].dismissals += 1.0;
            }
        }
        let leaves = dismissed || stream.chance(params.cadres.turnover);
        scratch.leaving[i] = leaves;
        any_leaver |= leaves;
        group.tenure[i] = group.tenure[i].saturating_add(1);
    }
    if !any_leaver {
        return;
    }
    let actions = ctx.derived.actions;
    let socialized = params.behaviour.socialization;
    if socialized {
        column_means(&group.attraction, actions, &mut scratch.mean_attraction);
        let weight = params.behaviour.socialization_weight;
        // w x mean + (1 - w) x 0; at w = 1 (the default) the means are taken as they are.
        if weight != 1.0 {
            for mean in scratch.mean_attraction.iter_mut().take(actions) {
                *mean = (weight * *mean as f64) as f32;
            }
        }
    }
    for i in 0..n {
        if scratch.leaving[i] {
            let mean = socialized.then_some(&scratch.mean_attraction[..]);
            group.recruit(i, params, ctx.derived, mean, true, &mut stream);
        }
    }
}

/// The mean attraction of each action over a group's rows (`actions` per row), each column
/// summed in double precision in row order.
#[inline(always)]
fn column_means(attraction: &[f32], actions: usize, means: &mut [f32]) {
    // One copy per row width, so the sums stay in registers across rows.
    by_row_width!(actions, column_means_of(attraction, means))
}

#[inline(always)]
fn column_means_of<const ACTIONS: usize>(attraction: &[f32], means: &mut [f32]) {
    let mut sums = [0.0f64; ACTIONS];
    let (rows, rest) = attraction.as_chunks::<ACTIONS>();
    debug_assert!(rest.is_empty());
    for row in rows {
        for (sum, value) in sums.iter_mut().zip(row) {
            *sum += *value as f64;
        }
    }
    for (mean, sum) in means.iter_mut().zip(sums) {
        *mean = (sum / rows.len() as f64) as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::population::{Derived, PeerGroup};
    use crate::params::ErrorClass::{Exploratory, Negligence, Violation};

    /// Process one detected error with screening accuracy `accuracy` (0 or 1 makes it exact).
    fn judge(params: &Params, class: ErrorClass, veto: bool) -> (bool, f32, f64, bool, Tally) {
        let mut stream = ReplicateKey::new(1, 0).stream(0, 0, Phase::Act);
        let (mut proneness, mut sanctions, mut vetoed) = (1.0f32, 0.0, false);
        let mut tally = Tally::default();
        let mut screen = Screen::default();
        let mut accused = Accused {
            proneness: &mut proneness,
            sanctions: &mut sanctions,
            vetoed: &mut vetoed,
            screen: &mut screen,
        };
        let mut tallies = Tallies {
            group: &mut tally,
            units: NoUnits,
        };
        let derived = Derived::new(params);
        let exempted = process_detected(
            class,
            veto,
            (params, &derived),
            &mut stream,
            &mut accused,
            &mut tallies,
        );
        (exempted, proneness, sanctions, vetoed, tally)
    }

    fn tolerant(scope: &[ErrorClass], accuracy: f64) -> Params {
        let mut params = Params::default();
        params.fault_tolerance.enabled = true;
        params.fault_tolerance.scope = scope.to_vec();
        params.fault_tolerance.screening_accuracy = accuracy;
        params
    }

    #[test]
    fn without_fault_tolerance_everything_is_sanctioned() {
        let params = Params::default();
        let (exempted, proneness, sanctions, vetoed, tally) = judge(&params, Exploratory, false);
        assert!(!exempted && !vetoed);
        assert_eq!((proneness, sanctions), (1.0, 8.0));
        assert_eq!((tally.sanctioned, tally.wrongly_sanctioned), (1.0, 1.0));
        // A veto-class error under the one-vote veto: 8 * 2.5 and a veto.
        let (_, _, sanctions, vetoed, tally) = judge(&params, Negligence, true);
        assert_eq!((sanctions, vetoed, tally.veto_events), (20.0, true, 1.0));
        assert_eq!(tally.wrongly_sanctioned, 0.0);
        let mut no_veto = Params::default();
        no_veto.accountability.one_vote_veto = false;
        let (_, _, sanctions, vetoed, tally) = judge(&no_veto, Negligence, true);
        assert_eq!((sanctions, vetoed, tally.veto_events), (8.0, false, 0.0));
    }

    #[test]
    fn scoped_tolerance_with_perfect_screening() {
        let params = tolerant(&[Exploratory], 1.0);
        let (exempted, proneness, sanctions, _, tally) = judge(&params, Exploratory, false);
        assert!(exempted);
        assert_eq!(sanctions, 0.0);
        assert!(
            (proneness - 0.8).abs() < 1e-6,
            "correction lowers proneness by 20%"
        );
        assert_eq!((tally.exempted, tally.wrongly_exempted), (1.0, 0.0));
        let (exempted, ..) = judge(&params, Negligence, false);
        assert!(!exempted);
        let (exempted, ..) = judge(&params, Violation, false);
        assert!(!exempted);
        // Veto-class errors are never tolerated unless tolerate_veto.
        let (exempted, _, sanctions, vetoed, _) = judge(&params, Exploratory, true);
        assert!(!exempted && vetoed);
        assert_eq!(sanctions, 20.0);
        let mut veto_ok = params.clone();
        veto_ok.fault_tolerance.tolerate_veto = true;
        assert!(judge(&veto_ok, Exploratory, true).0);
    }

    #[test]
    fn wrong_screening_reverses_judgements() {
        let params = tolerant(&[Exploratory], 0.0);
        assert!(!judge(&params, Exploratory, false).0);
        let (exempted, _, _, _, tally) = judge(&params, Violation, false);
        assert!(exempted);
        assert_eq!((tally.exempted, tally.wrongly_exempted), (1.0, 1.0));
    }

    #[test]
    fn blanket_scope_exempts_violations_and_correction_has_a_floor() {
        let mut params = tolerant(&[Exploratory, Negligence, Violation], 1.0);
        let (exempted, _, _, _, tally) = judge(&params, Violation, false);
        assert!(exempted);
        assert_eq!(tally.wrongly_exempted, 1.0);
        params.fault_tolerance.correction_learning = 0.9;
        let (_, proneness, ..) = judge(&params, Negligence, false);
        assert!((proneness - 0.3).abs() < 1e-6, "floor 0.3, got {proneness}");
        params.fault_tolerance.error_correction = false;
        let (exempted, proneness, ..) = judge(&params, Negligence, false);
        assert!(exempted);
        assert_eq!(proneness, 1.0);
    }

    /// `[accountability.forms]`: a certain form scales the penalty by its severity (the
    /// veto multiplier on top) and is counted; at the defaults every sanction is `light`.
    #[test]
    fn sanctions_take_the_form_their_class_and_veto_status_give() {
        let (_, _, sanctions, _, tally) = judge(&Params::default(), Exploratory, false);
        assert_eq!((sanctions, tally.forms), (8.0, [0.0, 1.0, 0.0, 0.0]));
        let mut params = Params::default();
        params.accountability.forms.exploratory = [1.0, 0.0, 0.0, 0.0];
        params.accountability.forms.veto = [0.0, 0.0, 0.0, 1.0];
        let (_, _, sanctions, _, tally) = judge(&params, Exploratory, false);
        assert_eq!((sanctions, tally.forms), (8.0 * 0.1, [1.0, 0.0, 0.0, 0.0]));
        let (_, _, sanctions, vetoed, tally) = judge(&params, Exploratory, true);
        assert_eq!(sanctions, 8.0 * 6.0 * 2.5);
        assert!(vetoed);
        assert_eq!(tally.forms, [0.0, 0.0, 0.0, 1.0]);
        // Negligence keeps the default.
        let (_, _, sanctions, _, tally) = judge(&params, Negligence, false);
        assert_eq!((sanctions, tally.forms), (8.0, [0.0, 1.0, 0.0, 0.0]));
    }

    /// A drawn form follows its shares (20,000 draws, within 4 standard errors), and a form
    /// without a share is never drawn.
    #[test]
    fn drawn_forms_follow_their_shares() {
        let mut params = Params::default();
        params.accountability.forms.violation = [0.709, 0.224, 0.032, 0.035];
        params.accountability.forms.negligence = [0.5, 0.0, 0.5, 0.0];
        let derived = Derived::new(&params);
        let mut stream = ReplicateKey::new(3, 0).stream(0, 0, Phase::Act);
        let n = 20_000;
        let mut counts = [[0usize; 4]; 2];
        for _ in 0..n {
            counts[0][derived.forms[2].draw(&mut stream)] += 1;
            counts[1][derived.forms[1].draw(&mut stream)] += 1;
        }
        for (shares, counts) in [
            (params.accountability.forms.violation, counts[0]),
            (params.accountability.forms.negligence, counts[1]),
        ] {
            for (share, count) in shares.iter().zip(counts) {
                let se = (share * (1.0 - share) / n as f64).sqrt();
                let observed = count as f64 / n as f64;
                assert!(
                    (observed - share).abs() <= 4.0 * se,
                    "{observed} vs {share}"
                );
            }
        }
        assert_eq!(counts[1][1] + counts[1][3], 0);
    }

    /// The cadres promoted in a one-unit group of four whose attainment this step and
    /// tenure-average history are given, without evaluation noise (quota: one of four).
    fn promoted_with_tenure_weight(weight: f64) -> Vec<bool> {
        let mut params = Params::default();
        params.incentives.evaluation_noise = 0.0;
        params.incentives.promotion_quota = 0.25;
        params.incentives.tenure_weight = weight;
        let derived = Derived::new(&params);
        let key = ReplicateKey::new(1, 0);
        let mut group = PeerGroup::new(0, 0, 0, 1, 4, derived.actions);
        // Cadre 0 excels this step after a poor tenure; cadre 1 has always attained 1.
        let attainment = [1.2, 1.0, 0.9, 0.8];
        group.tenure.copy_from_slice(&[5, 5, 5, 5]);
        group.attainment_sum.copy_from_slice(&[0.5, 5.0, 4.5, 4.0]);
        let ctx = StepContext {
            params: &params,
            derived: &derived,
            key: &key,
            step: 1,
            unit_target: &[1.0],
            unit_capacity: &[1.0],
            jurisdiction: &[1.0],
            regional: &[],
            unit_regime: &[],
            leadership_cost: &[],
            detection_boost: &[],
        };
        let mut scratch = Scratch::default();
        scratch.prepare(4, derived.actions);
        scratch.attainment.copy_from_slice(&attainment);
        scratch.success_intensity.fill(0.0);
        scratch.payoff.fill(0.0);
        scratch.sanctions.fill(0.0);
        scratch.vetoed.fill(false);
        tournament_and_payoff(&mut group, &ctx, &mut scratch);
        // This step's attainment joins the tenure sums.
        assert_eq!(group.attainment_sum[0], 1.7);
        scratch.promoted.clone()
    }

    /// `incentives.tenure_weight`: annual attainment decides at 0 (the default), the
    /// tenure average at 1.
    #[test]
    fn the_tenure_weight_moves_promotion_to_the_tenure_average() {
        assert_eq!(
            promoted_with_tenure_weight(0.0),
            [true, false, false, false]
        );
        assert_eq!(
            promoted_with_tenure_weight(1.0),
            [false, true, false, false]
        );
        let incentives = crate::params::IncentiveParams {
            tenure_weight: 0.5,
            ..Default::default()
        };
        // 0.5 x 1.2 + 0.5 x (0.5 + 1.2) / 6.
        let expected = 0.6 + 0.5 * 1.7 / 6.0;
        assert_eq!(incentives.evaluated_attainment(1.2, 0.5, 5.0), expected);
    }

    /// With or without a hint (any threshold), the same cadres are selected, ties included.
    #[test]
    fn hints_do_not_change_who_is_promoted() {
        let mut stream = ReplicateKey::new(5, 0).stream(0, 0, Phase::Tournament);
        for trial in 0..3_000 {
            let n = 1 + stream.below(70);
            let levels = 1 + trial % 7;
            let score: Vec<f64> = (0..n).map(|_| stream.below(levels) as f64 * 0.5).collect();
            let candidates: Vec<u32> = (0..n as u32).filter(|_| !stream.chance(0.2)).collect();
            let quota = 1 + stream.below(n);
            let hint = stream.below(levels + 2) as f64 * 0.5 - 0.5;
            let selected = |hint| {
                let mut chosen = candidates.clone();
                select_best(&mut chosen, &score, quota, hint);
                chosen.sort();
                chosen
            };
            let unhinted = selected(None);
            assert_eq!(unhinted.len(), quota.min(candidates.len()));
            assert_eq!(selected(Some(hint)), unhinted, "trial {trial}, hint {hint}");
        }
    }

    #[test]
    fn promotion_counts() {
        assert_eq!(promotion_count(0.15, 60), 9);
        assert_eq!(promotion_count(0.15, 24), 4);
        assert_eq!(promotion_count(0.15, 32), 5);
        assert_eq!(promotion_count(0.15, 10), 2);
        assert_eq!(promotion_count(0.15, 3), 1);
        assert_eq!(promotion_count(0.01, 10), 1);
        assert_eq!(promotion_count(1.0, 7), 7);
    }
}
