//! What a study would cost before it starts (`--dry-run`): the replicate runs and steps of
//! its plans, their cadre-steps, and the time they would take on this machine. The speed is
//! timed on a few plans of every group (a scenario, or a sweep's points), a few hundred steps
//! each, with every thread busy as in the study itself (small corps side by side, one per
//! thread; a large corps, whose replicates run one after another, alone over all threads),
//! so that a group whose points differ in cost (the rational rule is several times slower
//! per cadre-step) is timed on a mix of them. Runs until settled have a range: from the first check of the long-run rule to
//! `run.max_steps`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::hierarchy::Size;
use crate::params::Plan;
use crate::runner;

/// Plans timed per group, evenly spread over its points.
const PROBES_PER_GROUP: usize = 8;
/// Steps of a timed run: enough to pass the first steps, which are cheaper than the rest...
const PROBE_STEPS: u64 = 200;
/// ...and fewer for large corps, so that a timed run does about this many cadre-steps...
const PROBE_WORK: u64 = 2_500_000;
/// ...but never fewer than these.
const PROBE_MIN_STEPS: u64 = 20;

/// Part of a study whose speed is timed together: its plans, each with the times it runs,
/// and the plans its speed is timed on.
#[derive(Clone, Debug)]
pub struct Group {
    pub work: Vec<(Plan, u64)>,
    pub probes: Vec<Plan>,
    /// Work that runs only if the results ask for it (a robustness sample's second stage):
    /// counted in the most, not in the fewest.
    pub optional: bool,
}

impl Group {
    /// One plan run `times` times, timed on itself.
    pub fn single(plan: Plan, times: u64) -> Group {
        Group {
            probes: vec![plan.clone()],
            work: vec![(plan, times)],
            optional: false,
        }
    }

    /// Plans (a sweep's points), timed on at most eight of `candidates`, evenly spread (on
    /// the work's own plans when there are none).
    pub fn points(work: Vec<(Plan, u64)>, candidates: &[Plan]) -> Group {
        let candidates: Vec<&Plan> = match candidates.is_empty() {
            true => work.iter().map(|(plan, _)| plan).collect(),
            false => candidates.iter().collect(),
        };
        let probes = spread(candidates.len(), PROBES_PER_GROUP)
            .into_iter()
            .map(|index| candidates[index].clone())
            .collect();
        Group {
            work,
            probes,
            optional: false,
        }
    }

    /// The same group run `times` times over.
    pub fn times(mut self, times: u64) -> Group {
        for (_, count) in &mut self.work {
            *count *= times;
        }
        self
    }

    /// The same group, run only if the results ask for it.
    pub fn optional(self) -> Group {
        Group {
            optional: true,
            ..self
        }
    }
}

/// At most `most` indices of `0..len`, evenly spread, the first and the last included.
fn spread(len: usize, most: usize) -> Vec<usize> {
    let k = len.min(most);
    match k {
        0 => Vec::new(),
        1 => vec![0],
        _ => (0..k).map(|i| i * (len - 1) / (k - 1)).collect(),
    }
}

/// The cost of a study.
#[derive(Clone, Debug, PartialEq)]
pub struct Cost {
    /// Replicate runs of every plan (× the times it runs), fewest and most.
    pub runs: (u64, u64),
    /// Steps per replicate run, fewest and most over the plans.
    pub steps: (u64, u64),
    /// Cadre-steps of the whole study, fewest and most.
    pub cadre_steps: (u64, u64),
    /// Seconds the whole study would keep one thread busy, fewest and most: each group's
    /// cadre-steps at the speed timed on it.
    pub thread_seconds: (f64, f64),
    /// Timed runs the speeds come from.
    pub timed: usize,
    pub threads: usize,
}

impl Cost {
    /// Seconds the study would take (fewest, most): its thread-seconds spread over the
    /// threads (replicates run side by side, and a replicate alone spreads its peer groups
    /// over them).
    pub fn seconds(&self) -> (f64, f64) {
        let lanes = self.threads.max(1) as f64;
        (self.thread_seconds.0 / lanes, self.thread_seconds.1 / lanes)
    }

    /// Cadre-steps per second per thread over the whole study (its most).
    pub fn rate(&self) -> f64 {
        match self.thread_seconds.1 > 0.0 {
            true => self.cadre_steps.1 as f64 / self.thread_seconds.1,
            false => 0.0,
        }
    }

    /// One paragraph for the terminal.
    pub fn describe(&self) -> String {
        let range = |(low, high): (u64, u64)| match low == high {
            true => format!("{low}"),
            false => format!("{low} to {high}"),
        };
        let (fast, slow) = self.seconds();
        let time = match (duration(fast), duration(slow)) {
            (a, b) if a == b => format!("about {a}"),
            (a, b) => format!("about {a} to {b}"),
        };
        format!(
            "dry run: {} replicate runs x {} steps = {:.2e}{} cadre-steps; {time} on {} threads here (timed on {} of at most {PROBE_STEPS} steps of its scenarios and points, every thread busy: {:.2e} cadre-steps per second per thread on average). Nothing was run or written.",
            range(self.runs),
            range(self.steps),
            self.cadre_steps.0 as f64,
            match self.cadre_steps.0 == self.cadre_steps.1 {
                true => String::new(),
                false => format!(" to {:.2e}", self.cadre_steps.1 as f64),
            },
            self.threads,
            match self.timed {
                1 => "1 run".to_string(),
                n => format!("{n} runs"),
            },
            self.rate(),
        )
    }
}

/// A duration in words, to two significant figures at most.
fn duration(seconds: f64) -> String {
    let round = |x: f64| {
        if x >= 10.0 {
            format!("{:.0}", x)
        } else {
            format!("{:.1}", x)
        }
    };
    match seconds {
        s if s < 60.0 => format!("{} s", round(s)),
        s if s < 3600.0 => format!("{} min", round(s / 60.0)),
        s => format!("{} h", round(s / 3600.0)),
    }
}

/// The cost of running `groups` on `threads` threads, timed here.
pub fn cost(groups: &[Group], threads: usize) -> Cost {
    let (speeds, timed) = timed_speeds(groups, threads);
    tally(groups, &speeds, timed, threads)
}

/// The cost of `groups` given each one's seconds per cadre-step on a busy thread.
fn tally(groups: &[Group], speeds: &[f64], timed: usize, threads: usize) -> Cost {
    let mut cost = Cost {
        runs: (0, 0),
        steps: (u64::MAX, 0),
        cadre_steps: (0, 0),
        thread_seconds: (0.0, 0.0),
        timed,
        threads,
    };
    for (group, seconds) in groups.iter().zip(speeds) {
        for (plan, times) in &group.work {
            let run = &plan.params.run;
            let (fewest, most) = match run.until_settled {
                true => (
                    runner::checkpoints(plan.last_change(), run.max_steps)[0],
                    run.max_steps,
                ),
                false => (run.steps, run.steps),
            };
            let runs = run.replicates * times;
            let cadres = cadres(plan);
            let work = (cadres * fewest * runs, cadres * most * runs);
            let surely = u64::from(!group.optional);
            cost.runs = (cost.runs.0 + surely * runs, cost.runs.1 + runs);
            cost.steps = (cost.steps.0.min(fewest), cost.steps.1.max(most));
            cost.cadre_steps = (
                cost.cadre_steps.0 + surely * work.0,
                cost.cadre_steps.1 + work.1,
            );
            cost.thread_seconds.0 += (surely * work.0) as f64 * seconds;
            cost.thread_seconds.1 += work.1 as f64 * seconds;
        }
    }
    cost.steps.0 = cost.steps.0.min(cost.steps.1);
    cost
}

fn cadres(plan: &Plan) -> u64 {
    Size::of(&plan.params.hierarchy).map_or(0, |size| size.cadres)
}

/// Seconds per cadre-step of every group on a busy thread, and the runs timed.
fn timed_speeds(groups: &[Group], threads: usize) -> (Vec<f64>, usize) {
    let (distinct, timed_as) = distinct_probes(groups);
    let (large, small): (Vec<usize>, Vec<usize>) =
        (0..distinct.len()).partition(|&at| runner::is_large(&distinct[at]));
    let mut speed = vec![(0u64, 0f64); distinct.len()];
    let jobs = padded(&small, threads);
    for (at, work, seconds) in side_by_side(&distinct, &jobs, threads) {
        speed[at].0 += work;
        speed[at].1 += seconds;
    }
    for &at in &large {
        speed[at] = spread_over(&distinct[at], threads);
    }
    let mut totals = vec![(0u64, 0f64); groups.len()];
    for (group, at) in timed_as {
        totals[group].0 += speed[at].0;
        totals[group].1 += speed[at].1;
    }
    let per = |(work, seconds): (u64, f64)| seconds / work.max(1) as f64;
    let all = totals
        .iter()
        .fold((0, 0.0), |sum, t| (sum.0 + t.0, sum.1 + t.1));
    let speeds = totals
        .iter()
        .map(|&total| per(if total.0 > 0 { total } else { all }))
        .collect();
    (speeds, jobs.len() + large.len())
}

/// The groups' probes, each distinct one once (a probe runs a short replicate whatever the
/// plan's run settings, so the same experiments at another length are timed once), and for
/// every probe of every group, `(group, index among the distinct)`.
fn distinct_probes(groups: &[Group]) -> (Vec<Plan>, Vec<(usize, usize)>) {
    let mut distinct: Vec<Plan> = Vec::new();
    let mut timed_as = Vec::new();
    for (index, group) in groups.iter().enumerate() {
        for plan in &group.probes {
            let probe = probe_plan(plan);
            let at = match distinct.iter().position(|known| *known == probe) {
                Some(at) => at,
                None => {
                    distinct.push(probe);
                    distinct.len() - 1
                }
            };
            timed_as.push((index, at));
        }
    }
    (distinct, timed_as)
}

/// `probes` cycled to a whole number of rounds of `threads`, so that every thread is busy
/// while they are timed, as with the study's replicates side by side.
fn padded(probes: &[usize], threads: usize) -> Vec<usize> {
    let count = probes.len().div_ceil(threads.max(1)) * threads.max(1);
    (0..count).map(|job| probes[job % probes.len()]).collect()
}

/// Time every job, `threads` at a time, each on a thread of its own: `(probe, cadre-steps,
/// seconds)` each.
fn side_by_side(probes: &[Plan], jobs: &[usize], threads: usize) -> Vec<(usize, u64, f64)> {
    let next = AtomicUsize::new(0);
    let timings = Mutex::new(Vec::with_capacity(jobs.len()));
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, jobs.len().max(1)) {
            scope.spawn(|| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .build()
                    .expect("a thread pool of one thread");
                while let Some(&at) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let (work, seconds) = pool.install(|| time_run(&probes[at]));
                    let mut timings = timings.lock().unwrap_or_else(|e| e.into_inner());
                    timings.push((at, work, seconds));
                }
            });
        }
    });
    timings.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// Time a probe of a large corps, whose replicates run one after another, each over all
/// `threads`: its cadre-steps and thread-seconds.
fn spread_over(probe: &Plan, threads: usize) -> (u64, f64) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .expect("a thread pool");
    let (work, seconds) = pool.install(|| time_run(probe));
    (work, seconds * threads.max(1) as f64)
}

/// One replicate of `plan` for a few steps: the run that times it.
fn probe_plan(plan: &Plan) -> Plan {
    let steps = (PROBE_WORK / cadres(plan).max(1)).clamp(PROBE_MIN_STEPS, PROBE_STEPS);
    let mut short = plan.clone();
    short.params.run.steps = steps;
    short.params.run.burn_in = steps / 2;
    short.params.run.until_settled = false;
    short.params.run.replicates = 1;
    short.changes.retain(|(step, _)| *step < steps);
    for regional in &mut short.regional {
        regional.retain(|(step, _)| *step < steps);
    }
    short
}

/// Cadre-steps and seconds of a probe, on this thread.
fn time_run(probe: &Plan) -> (u64, f64) {
    let started = Instant::now();
    runner::run_replicate(probe, 0, &|_| {});
    let work = cadres(probe) * probe.params.run.steps;
    (work, started.elapsed().as_secs_f64().max(1e-9))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_unit_that_fits() {
        assert_eq!(duration(4.26), "4.3 s");
        assert_eq!(duration(95.0), "1.6 min");
        assert_eq!(duration(7200.0), "2.0 h");
    }

    #[test]
    fn probes_fill_whole_rounds_of_the_threads() {
        assert_eq!(padded(&[3, 5, 7], 2), [3, 5, 7, 3]);
        assert_eq!(padded(&[3, 5], 2), [3, 5]);
        assert_eq!(padded(&[4], 3), [4, 4, 4]);
        assert!(padded(&[], 2).is_empty());
    }

    #[test]
    fn probes_are_spread_evenly_with_both_ends() {
        assert_eq!(spread(32, 8), [0, 4, 8, 13, 17, 22, 26, 31]);
        assert_eq!(spread(3, 8), [0, 1, 2]);
        assert_eq!(spread(1, 8), [0]);
        assert!(spread(0, 8).is_empty());
    }

    #[test]
    fn seconds_divide_the_work_by_the_speed_and_the_threads() {
        let cost = Cost {
            runs: (1, 1),
            steps: (200, 200),
            cadre_steps: (1_000_000, 1_000_000),
            thread_seconds: (1.0, 1.0),
            timed: 2,
            threads: 4,
        };
        assert_eq!(cost.seconds(), (0.25, 0.25));
        assert_eq!(cost.rate(), 1e6);
    }

    #[test]
    fn each_group_costs_its_work_at_its_own_speed() {
        let plan = crate::scenario::built_in().remove(0).plan().unwrap();
        let mut short = plan.clone();
        short.params.run.until_settled = false;
        short.params.run.steps = 100;
        short.params.run.replicates = 2;
        let cadres = cadres(&short);
        let groups = [
            Group::single(short.clone(), 3),
            Group::points(vec![(short.clone(), 1)], &[short.clone()]).times(2),
            Group::single(short.clone(), 1).optional(),
        ];
        let cost = tally(&groups, &[1e-8, 4e-8, 1e-8], 2, 2);
        assert_eq!(cost.runs, (2 * 3 + 2 * 2, 2 * 3 + 2 * 2 + 2));
        assert_eq!(cost.cadre_steps, (1000 * cadres, 1200 * cadres));
        let sure = 600.0 * cadres as f64 * 1e-8 + 400.0 * cadres as f64 * 4e-8;
        let most = sure + 200.0 * cadres as f64 * 1e-8;
        assert!((cost.thread_seconds.0 - sure).abs() < 1e-12 * sure);
        assert!((cost.thread_seconds.1 - most).abs() < 1e-12 * most);
        assert_eq!(cost.seconds().1, cost.thread_seconds.1 / 2.0);
    }
}
