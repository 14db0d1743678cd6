//! The cadre model: one replicate of one scenario, advanced step by step. Peer groups are
//! advanced in parallel; everything shared (unit targets, jurisdiction attainment, adaptive
//! markups, metric reduction) is computed serially in a fixed order.
//!
//! Architecture Invariant: nothing in this module does IO, reads a clock or draws from an
//! unseeded generator; a replicate is a pure function of (scenario, seed, replicate).

pub mod kernel;
pub mod population;
pub mod rational;
pub mod step;

use rayon::prelude::*;

use crate::hierarchy::Hierarchy;
use crate::metrics::{Tally, UnitMeasures, METRIC_COUNT};
use crate::params::{Decomposition, Params, Plan};
use crate::rng::logit::lognormal_mean_one;
use crate::rng::{Phase, ReplicateKey};
use kernel::Kernel;
use population::{Derived, PeerGroup};
use step::{Regime, Scratch, StepContext};

/// Per-unit state (indexed by global unit number).
struct Units {
    capacity: Vec<f64>,
    /// tau_u before any capacity scaling (what children compound).
    target: Vec<f64>,
    /// The per-cadre target the unit's cadres face.
    cadre_target: Vec<f64>,
    /// Markup the unit applies to its children.
    markup: Vec<f64>,
    /// Jurisdiction attainment of the previous step.
    jurisdiction: Vec<f64>,
    subtree_output: Vec<f64>,
    subtree_cadres: Vec<f64>,
    /// Leadership responsibility and supervision (docs/MODEL.md §7.14).
    leadership: Leadership,
}

/// Per-unit state of leadership responsibility: what each unit's cadres bear next step for
/// the sanctions below them, their recent such cost, and the detection it adds below.
#[derive(Default)]
struct Leadership {
    /// Sanctions for errors of each unit's own cadres in the step just taken.
    sanctions: Vec<f64>,
    /// Cost each cadre of each unit bears in the next step (empty while never in force).
    cost: Vec<f64>,
    /// R: exponentially weighted recent cost per cadre of each unit.
    recent: Vec<f64>,
    /// b of each unit (from its parent's R; empty while supervision was never in force).
    boost: Vec<f64>,
}

impl Units {
    /// How many of `units` have a jurisdiction attainment below 1.
    fn missed(&self, units: std::ops::Range<usize>) -> f64 {
        self.jurisdiction[units]
            .iter()
            .map(|&j| f64::from(u8::from(j < 1.0)))
            .sum()
    }
}

thread_local! {
    /// Working arrays of the thread's current peer group (no state survives a group).
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// The units of one level, each recorded with its whole subtree (`output.by_unit`).
struct UnitRecording {
    level: usize,
    /// Index within the level of the ancestor of each group's units, for groups below the
    /// level (`NOT_RECORDED` for the others).
    owner_of_group: Vec<u32>,
    /// Index within the level of each unit's ancestor (`NOT_RECORDED` above the level).
    owner_of_unit: Vec<u32>,
    /// Units in each recorded subtree.
    subtree_units: Vec<f64>,
    sums: Vec<Tally>,
    markups: Vec<f64>,
    /// Units of each recorded subtree whose jurisdiction missed its target.
    missed: Vec<f64>,
    /// Metrics of every step: `records[step * units + unit]`.
    records: Vec<[f64; METRIC_COUNT]>,
    /// Successful honest innovations of every step, `[step * units + unit]`.
    successes: Vec<f64>,
}

const NOT_RECORDED: u32 = u32::MAX;

impl UnitRecording {
    fn new(hierarchy: &Hierarchy, level: usize, steps: usize) -> Self {
        let shape = &hierarchy.levels[level];
        let owner = |unit: usize| {
            hierarchy
                .ancestor_at(unit, level)
                .map_or(NOT_RECORDED, |a| (a - shape.first_unit) as u32)
        };
        let owner_of_unit: Vec<u32> = (0..hierarchy.units).map(owner).collect();
        let owner_of_group = hierarchy
            .group_shapes()
            .iter()
            .map(|group| match group.level > level {
                true => owner_of_unit[group.first_unit],
                false => NOT_RECORDED,
            })
            .collect();
        let mut subtree_units = vec![0.0; shape.units];
        for &owner in owner_of_unit.iter().filter(|&&o| o != NOT_RECORDED) {
            subtree_units[owner as usize] += 1.0;
        }
        UnitRecording {
            level,
            owner_of_group,
            owner_of_unit,
            subtree_units,
            sums: vec![Tally::default(); shape.units],
            markups: vec![0.0; shape.units],
            missed: vec![0.0; shape.units],
            records: Vec::with_capacity(steps * shape.units),
            successes: Vec::with_capacity(steps * shape.units),
        }
    }
}

/// What a face shows of one cadre at the current step (`Simulation::cadres_of`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CadreView {
    pub unit: usize,
    /// This step's action: 0 idle, 1 routine, 2.. innovation at increasing intensity.
    pub action: u8,
    /// Errors not (yet) detected, and exempted errors on record (each saturating at 255 per
    /// class and veto status).
    pub hidden_errors: u32,
    pub exempted: u32,
    /// Steps in post (0: recruited this step).
    pub tenure: u32,
}

/// One replicate of a plan in progress.
pub struct Simulation<'p> {
    plan: &'p Plan,
    /// The parameters in force at the current step (regime 0: everywhere no schedule
    /// entry with `where` selects).
    params: Params,
    derived: Derived,
    /// The parameters in force in the other regimes (`regional[r - 1]` for regime r).
    regional: Vec<Regime>,
    hierarchy: Hierarchy,
    key: ReplicateKey,
    step: u64,
    units: Units,
    groups: Vec<PeerGroup>,
    /// Metrics of every step: `records[step * (levels + 1) + level]`, level `levels` = all.
    records: Vec<[f64; METRIC_COUNT]>,
    by_unit: Option<UnitRecording>,
    /// The compiled step in use (changes speed, never results).
    kernel: Kernel,
}

impl<'p> Simulation<'p> {
    /// Build and initialise replicate `replicate` of a plan made from a validated scenario.
    pub fn new(plan: &'p Plan, replicate: u64) -> Self {
        let params = plan.params.clone();
        let hierarchy =
            Hierarchy::new(&params.hierarchy).expect("hierarchy validated at load time");
        let key = ReplicateKey::new(params.run.seed, replicate);
        let derived = Derived::new(&params);
        let mut groups: Vec<PeerGroup> = hierarchy
            .group_shapes()
            .iter()
            .enumerate()
            .map(|(id, shape)| {
                PeerGroup::new(
                    id as u64,
                    shape.level,
                    shape.first_unit,
                    shape.units,
                    hierarchy.levels[shape.level].cadres_per_unit,
                    derived.actions,
                )
            })
            .collect();
        // Peer groups in index order tile the units in order: give each its capacities.
        let mut capacity = vec![1.0; hierarchy.units];
        let mut slices = Vec::with_capacity(groups.len());
        let mut rest = &mut capacity[..];
        for group in &groups {
            let (own, later) = rest.split_at_mut(group.unit_output.len());
            slices.push(own);
            rest = later;
        }
        groups
            .par_iter_mut()
            .zip(slices.into_par_iter())
            .with_max_len(1)
            .for_each(|(group, capacities)| {
                let mut stream = key.stream(0, group.id, Phase::Init);
                for value in capacities.iter_mut() {
                    *value = lognormal_mean_one(&mut stream, params.cadres.capacity_sd);
                }
                for i in 0..group.len() {
                    group.recruit(i, &params, &derived, None, false, &mut stream);
                }
            });
        let mut subtree_cadres = vec![0.0; hierarchy.units];
        for unit in (0..hierarchy.units).rev() {
            let own = hierarchy.levels[hierarchy.level_of_unit(unit)].cadres_per_unit as f64;
            let below: f64 = hierarchy.children(unit).map(|c| subtree_cadres[c]).sum();
            subtree_cadres[unit] = own + below;
        }
        let units = Units {
            capacity,
            target: vec![0.0; hierarchy.units],
            cadre_target: vec![0.0; hierarchy.units],
            markup: vec![0.0; hierarchy.units],
            jurisdiction: vec![1.0; hierarchy.units],
            subtree_output: vec![0.0; hierarchy.units],
            subtree_cadres,
            leadership: Leadership::default(),
        };
        let steps = params.run.steps as usize;
        let records = Vec::with_capacity(steps * (hierarchy.levels.len() + 1));
        let by_unit = params.by_unit_level().map(|level| {
            for group in groups.iter_mut().filter(|group| group.level == level) {
                let units = vec![Tally::default(); group.unit_output.len()];
                group.unit_tallies = Some(units.into_boxed_slice());
            }
            UnitRecording::new(&hierarchy, level, steps)
        });
        let mut simulation = Simulation {
            plan,
            params,
            derived,
            hierarchy,
            key,
            step: 0,
            units,
            groups,
            records,
            by_unit,
            kernel: Kernel::detect(),
            regional: plan
                .regional
                .iter()
                .map(|_| Regime::new(plan.params.clone()))
                .collect(),
        };
        simulation.reset_markups();
        simulation
    }

    pub fn hierarchy(&self) -> &Hierarchy {
        &self.hierarchy
    }

    /// Advance with `kernel` instead of the fastest one this processor runs (for tests
    /// that compare kernels; results are the same).
    pub fn use_kernel(&mut self, kernel: Kernel) {
        self.kernel = kernel;
    }

    /// Steps taken so far.
    pub fn steps_taken(&self) -> u64 {
        self.step
    }

    /// Bytes of per-cadre state arrays, divided by the number of cadres.
    pub fn state_bytes_per_cadre(&self) -> f64 {
        let bytes: usize = self.groups.iter().map(PeerGroup::state_bytes).sum();
        bytes as f64 / self.hierarchy.cadres.max(1) as f64
    }

    /// Metrics recorded so far, `[step * (levels + 1) + level]`.
    pub fn records(&self) -> &[[f64; METRIC_COUNT]] {
        &self.records
    }

    /// Consume the simulation, keeping its records: per level, and per unit of the level
    /// recorded unit by unit (`[step * units + unit]`, empty without `output.by_unit`).
    pub fn into_records(self) -> (Vec<[f64; METRIC_COUNT]>, Vec<[f64; METRIC_COUNT]>) {
        let (levels, units, _) = self.into_all_records();
        (levels, units)
    }

    /// `into_records`, and each recorded unit's successful honest innovations per step
    /// (`[step * units + unit]`, empty without `output.by_unit`).
    pub fn into_all_records(
        self,
    ) -> (Vec<[f64; METRIC_COUNT]>, Vec<[f64; METRIC_COUNT]>, Vec<f64>) {
        match self.by_unit {
            Some(by_unit) => (self.records, by_unit.records, by_unit.successes),
            None => (self.records, Vec::new(), Vec::new()),
        }
    }

    /// Every unit applies its level's fixed markup to its children again.
    fn reset_markups(&mut self) {
        for (index, level) in self.hierarchy.levels.iter().enumerate() {
            if index + 1 < self.hierarchy.levels.len() {
                let markup = self.params.targets.markup.at(index + 1);
                let units = level.first_unit..level.first_unit + level.units;
                self.units.markup[units].fill(markup);
            }
        }
    }

    /// Recompute every unit's target top-down from the centre.
    fn refresh_targets(&mut self) {
        let targets = &self.params.targets;
        let top = targets.central * (1.0 + targets.markup.at(0));
        for unit in 0..self.hierarchy.units {
            let target = match self.hierarchy.parent(unit) {
                None => top,
                Some(parent) => self.units.target[parent] * (1.0 + self.units.markup[parent]),
            };
            self.units.target[unit] = target;
            self.units.cadre_target[unit] = match targets.decomposition {
                Decomposition::Uniform => target,
                Decomposition::ByCapacity => target * self.units.capacity[unit],
            };
        }
    }

    /// Take one step: schedule, phases 1-12 in every peer group, jurisdiction attainment,
    /// record, adaptive markups.
    pub fn step(&mut self) {
        let step = self.step;
        if let Some(params) = self.plan.change_at(step) {
            let markup_changed = params.targets.markup != self.params.targets.markup;
            self.params = params.clone();
            self.derived = Derived::new(&self.params);
            if markup_changed {
                self.reset_markups();
            }
        }
        for (index, regime) in self.regional.iter_mut().enumerate() {
            if let Some(params) = self.plan.regional_change_at(index + 1, step) {
                *regime = Regime::new(params.clone());
            }
        }
        self.refresh_targets();
        let context = StepContext {
            params: &self.params,
            derived: &self.derived,
            key: &self.key,
            step,
            unit_target: &self.units.cadre_target,
            unit_capacity: &self.units.capacity,
            jurisdiction: &self.units.jurisdiction,
            regional: &self.regional,
            unit_regime: &self.plan.unit_regime,
            leadership_cost: &self.units.leadership.cost,
            detection_boost: &self.units.leadership.boost,
        };
        // Every group is its own piece of work: groups differ in size by orders of
        // magnitude (a tree's top group and its townships), and rayon's default splitting
        // would leave long runs of groups to one thread while the other idles. One scratch
        // per worker thread, kept across steps and replicates.
        let kernel = self.kernel;
        self.groups
            .par_iter_mut()
            .with_max_len(1)
            .for_each(|group| {
                SCRATCH.with(|scratch| kernel.advance(group, &context, &mut scratch.borrow_mut()))
            });
        self.update_jurisdiction();
        self.record();
        self.adapt_markups();
        self.update_leadership();
        self.step += 1;
    }

    /// Run every remaining step, calling `progress` with the cadre-steps of each step.
    pub fn run(&mut self, progress: &(dyn Fn(u64) + Sync)) {
        while self.step < self.params.run.steps {
            self.step();
            progress(self.hierarchy.cadres as u64);
        }
    }

    /// Phase 10: reduce group tallies to per-level and all-level metrics (fixed order).
    fn record(&mut self) {
        let levels = self.hierarchy.levels.len();
        let mut level_tallies = vec![Tally::default(); levels];
        for group in &self.groups {
            level_tallies[group.level].add(&group.tally);
        }
        let mut all = Tally::default();
        let mut markup_sum = 0.0;
        let mut missed_sum = 0.0;
        for (index, tally) in level_tallies.iter().enumerate() {
            let level = &self.hierarchy.levels[index];
            let markup = if index == 0 {
                self.params.targets.markup.at(0)
            } else {
                self.mean_parent_markup(index)
            };
            let units = level.first_unit..level.first_unit + level.units;
            let missed = self.units.missed(units);
            markup_sum += markup * level.units as f64;
            missed_sum += missed;
            self.records.push(tally.metrics(&UnitMeasures {
                markup,
                share_missed: missed / level.units as f64,
            }));
            all.add(tally);
        }
        let units = self.hierarchy.units as f64;
        self.records.push(all.metrics(&UnitMeasures {
            markup: markup_sum / units,
            share_missed: missed_sum / units,
        }));
        self.record_units();
    }

    /// Phase 10 for `output.by_unit`: each recorded unit's own cadres, then the groups below
    /// it in group order; the markup is the mean over its subtree's units.
    fn record_units(&mut self) {
        let Some(by_unit) = self.by_unit.as_mut() else {
            return;
        };
        let first = self.hierarchy.levels[by_unit.level].first_unit;
        by_unit.sums.fill(Tally::default());
        by_unit.markups.fill(0.0);
        by_unit.missed.fill(0.0);
        for (index, group) in self.groups.iter().enumerate() {
            if let Some(tallies) = &group.unit_tallies {
                for (k, tally) in tallies.iter().enumerate() {
                    by_unit.sums[group.first_unit - first + k].add(tally);
                }
            } else if by_unit.owner_of_group[index] != NOT_RECORDED {
                by_unit.sums[by_unit.owner_of_group[index] as usize].add(&group.tally);
            }
        }
        for (unit, &owner) in by_unit.owner_of_unit.iter().enumerate() {
            if owner != NOT_RECORDED {
                let applied = match self.hierarchy.parent(unit) {
                    None => self.params.targets.markup.at(0),
                    Some(parent) => self.units.markup[parent],
                };
                by_unit.markups[owner as usize] += applied;
                by_unit.missed[owner as usize] += self.units.missed(unit..unit + 1);
            }
        }
        for (k, sum) in by_unit.sums.iter().enumerate() {
            let units = by_unit.subtree_units[k];
            by_unit.records.push(sum.metrics(&UnitMeasures {
                markup: by_unit.markups[k] / units,
                share_missed: by_unit.missed[k] / units,
            }));
            by_unit.successes.push(sum.successes);
        }
    }

    /// Mean over the units of level `index` (> 0) of the markup their parent applied.
    fn mean_parent_markup(&self, index: usize) -> f64 {
        let hierarchy = &self.hierarchy;
        let above = &hierarchy.levels[index - 1];
        let parents = above.first_unit..above.first_unit + above.units;
        if hierarchy.levels[index].branching.is_some() {
            // Every parent has as many children: the mean over the parents.
            return self.units.markup[parents].iter().sum::<f64>() / above.units as f64;
        }
        let weighted: f64 = parents
            .map(|p| self.units.markup[p] * hierarchy.children(p).len() as f64)
            .sum();
        weighted / hierarchy.levels[index].units as f64
    }

    /// Jurisdiction attainment of every unit in the step just taken.
    fn update_jurisdiction(&mut self) {
        let units = &mut self.units;
        let mut unit = 0;
        for group in &self.groups {
            for output in group.unit_output.iter() {
                units.subtree_output[unit] = *output;
                unit += 1;
            }
        }
        for unit in (0..self.hierarchy.units).rev() {
            let below: f64 = self
                .hierarchy
                .children(unit)
                .map(|child| units.subtree_output[child])
                .sum();
            units.subtree_output[unit] += below;
            units.jurisdiction[unit] = units.subtree_output[unit]
                / (units.cadre_target[unit] * units.subtree_cadres[unit]);
        }
    }

    /// Adaptive markups, from this step's jurisdiction attainment.
    fn adapt_markups(&mut self) {
        let units = &mut self.units;
        let step_size = self.params.targets.adaptive_markup;
        if step_size > 0.0 {
            let ceiling = self.params.targets.markup_max;
            let levels = &self.hierarchy.levels;
            let parents = levels[levels.len() - 1].first_unit;
            for unit in (0..parents).filter(|&u| !self.hierarchy.children(u).is_empty()) {
                let markup = &mut units.markup[unit];
                *markup = if units.jurisdiction[unit] < 1.0 {
                    *markup + step_size
                } else {
                    *markup - step_size / 2.0
                }
                .clamp(0.0, ceiling);
            }
        }
    }

    /// The parameters in force at a unit (its regime's).
    fn params_at(&self, unit: usize) -> &Params {
        match self.plan.unit_regime.get(unit).copied().unwrap_or(0) {
            0 => &self.params,
            r => &self.regional[r as usize - 1].params,
        }
    }

    /// Leadership responsibility (docs/MODEL.md §7.14): each unit's cadres will bear, next
    /// step, `leadership_share` x the sanctions of its children's cadres this step, split
    /// equally; their recent cost R follows it at the rate `behaviour.recency`, and their
    /// children's detection rises by b = 1 - exp(-`leadership_supervision` R). Nothing is
    /// computed until a regime turns either on; from then on the state is kept.
    fn update_leadership(&mut self) {
        let on = |p: &Params| {
            let a = &p.accountability;
            (a.leadership_share > 0.0, a.leadership_supervision > 0.0)
        };
        let regimes = std::iter::once(&self.params).chain(self.regional.iter().map(|r| &r.params));
        let (share_on, supervision_on) =
            regimes.fold((false, false), |(s, v), p| (s || on(p).0, v || on(p).1));
        let units = self.hierarchy.units;
        let leadership = &mut self.units.leadership;
        if !share_on && leadership.cost.is_empty() {
            return;
        }
        if leadership.cost.is_empty() {
            leadership.cost = vec![0.0; units];
            leadership.recent = vec![0.0; units];
            leadership.sanctions = vec![0.0; units];
        }
        let mut unit = 0;
        for group in &self.groups {
            for sanctions in group.unit_sanctions.iter() {
                self.units.leadership.sanctions[unit] = *sanctions;
                unit += 1;
            }
        }
        for unit in 0..units {
            let params = self.params_at(unit);
            let (share, recency) = (
                params.accountability.leadership_share,
                params.behaviour.recency,
            );
            let below: f64 = self
                .hierarchy
                .children(unit)
                .map(|child| self.units.leadership.sanctions[child])
                .sum();
            let cadres = self.hierarchy.levels[self.hierarchy.level_of_unit(unit)].cadres_per_unit;
            let cost = share * below / cadres as f64;
            let leadership = &mut self.units.leadership;
            leadership.cost[unit] = cost;
            leadership.recent[unit] = (1.0 - recency) * leadership.recent[unit] + recency * cost;
        }
        if !supervision_on && self.units.leadership.boost.is_empty() {
            return;
        }
        let mut boost = std::mem::take(&mut self.units.leadership.boost);
        boost.resize(units, 0.0);
        for (unit, value) in boost.iter_mut().enumerate() {
            *value = match self.hierarchy.parent(unit) {
                None => 0.0,
                Some(parent) => {
                    let sigma = self.params_at(parent).accountability.leadership_supervision;
                    1.0 - (-sigma * self.units.leadership.recent[parent]).exp()
                }
            };
        }
        self.units.leadership.boost = boost;
    }

    /// Per-cadre target of each unit at the current step (after `refresh_targets`).
    pub fn unit_targets(&mut self) -> Vec<f64> {
        self.refresh_targets();
        self.units.cadre_target.clone()
    }

    /// The cadres of `units` (global unit indices), unit by unit in the order given, as a
    /// face shows them (the explorer's agent view); `out` is cleared first.
    pub fn cadres_of(&self, units: &[usize], out: &mut Vec<CadreView>) {
        out.clear();
        for &unit in units {
            let Some(group) = self.groups.iter().find(|group| {
                let count = group.len() / group.cadres_per_unit.max(1);
                (group.first_unit..group.first_unit + count).contains(&unit)
            }) else {
                continue;
            };
            let first = (unit - group.first_unit) * group.cadres_per_unit;
            for cadre in first..first + group.cadres_per_unit {
                out.push(CadreView {
                    unit,
                    action: group.action[cadre],
                    hidden_errors: group.latent[cadre].iter().map(|&n| u32::from(n)).sum(),
                    exempted: group.exempted[cadre].iter().map(|&n| u32::from(n)).sum(),
                    tenure: group.tenure[cadre],
                });
            }
        }
    }

    /// The sanctions (in years' salary) the cadres of each of `units` bore for their errors
    /// in the step just taken, in the order given.
    pub fn sanctions_of(&self, units: &[usize]) -> Vec<f64> {
        units
            .iter()
            .map(|&unit| {
                self.groups
                    .iter()
                    .find_map(|group| {
                        let count = group.len() / group.cadres_per_unit.max(1);
                        (group.first_unit..group.first_unit + count)
                            .contains(&unit)
                            .then(|| group.unit_sanctions[unit - group.first_unit])
                    })
                    .unwrap_or(0.0)
            })
            .collect()
    }

    /// Members of a peer group (for tests): (level, units, cadres).
    pub fn group_shape(&self, group: usize) -> (usize, std::ops::Range<usize>, usize) {
        let (level, units) = self.hierarchy.group_units(group);
        (level, units, self.groups[group].len())
    }
}
