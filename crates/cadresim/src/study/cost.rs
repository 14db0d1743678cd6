//! What a study would cost before it starts (`--dry-run`): the replicate runs and steps of
//! its plans, their cadre-steps, and the time they would take on this machine, estimated
//! from a short timed run of the largest plan on one thread. Runs until settled have a
//! range: from the first check of the long-run rule to `run.max_steps`.

use std::time::Instant;

use crate::hierarchy::Size;
use crate::params::Plan;
use crate::runner;

/// Steps of the timed run that measures this machine's speed.
const TIMED_STEPS: u64 = 20;

/// The cost of a study.
#[derive(Clone, Debug, PartialEq)]
pub struct Cost {
    /// Replicate runs of every plan (× the times it runs).
    pub runs: u64,
    /// Steps per replicate run, fewest and most over the plans.
    pub steps: (u64, u64),
    /// Cadre-steps of the whole study, fewest and most.
    pub cadre_steps: (u64, u64),
    /// Cadre-steps per second on one thread, measured here.
    pub rate: f64,
    /// The plan the speed was measured on.
    pub timed_on: String,
    pub threads: usize,
}

impl Cost {
    /// Seconds the study would take (fewest, most): its cadre-steps over the measured speed
    /// times the threads it can use (no more than its replicate runs).
    pub fn seconds(&self) -> (f64, f64) {
        let lanes = (self.threads as u64).min(self.runs.max(1)) as f64;
        let time = |work: u64| work as f64 / (self.rate * lanes);
        (time(self.cadre_steps.0), time(self.cadre_steps.1))
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
            "dry run: {} replicate runs x {} steps = {:.2e}{} cadre-steps; {time} on {} threads here (measured {:.2e} cadre-steps per second per thread on {} steps of `{}`). Nothing was run or written.",
            self.runs,
            range(self.steps),
            self.cadre_steps.0 as f64,
            match self.cadre_steps.0 == self.cadre_steps.1 {
                true => String::new(),
                false => format!(" to {:.2e}", self.cadre_steps.1 as f64),
            },
            self.threads,
            self.rate,
            TIMED_STEPS,
            self.timed_on
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

/// The cost of running each plan `times` times (a sweep runs one plan per point).
pub fn cost(plans: &[(&Plan, u64)], threads: usize) -> Cost {
    let mut cost = Cost {
        runs: 0,
        steps: (u64::MAX, 0),
        cadre_steps: (0, 0),
        rate: 0.0,
        timed_on: String::new(),
        threads,
    };
    for (plan, times) in plans {
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
        cost.runs += runs;
        cost.steps = (cost.steps.0.min(fewest), cost.steps.1.max(most));
        cost.cadre_steps.0 += cadres * fewest * runs;
        cost.cadre_steps.1 += cadres * most * runs;
    }
    if let Some((largest, _)) = plans.iter().max_by_key(|(plan, _)| cadres(plan)) {
        cost.rate = measured_rate(largest);
        cost.timed_on = largest.name.clone();
    }
    cost.steps.0 = cost.steps.0.min(cost.steps.1);
    cost
}

fn cadres(plan: &Plan) -> u64 {
    Size::of(&plan.params.hierarchy).map_or(0, |size| size.cadres)
}

/// Cadre-steps per second of one replicate of `plan` for a few steps, on this thread.
fn measured_rate(plan: &Plan) -> f64 {
    let mut short = plan.clone();
    short.params.run.steps = TIMED_STEPS;
    short.params.run.burn_in = TIMED_STEPS / 2;
    short.params.run.until_settled = false;
    short.params.run.replicates = 1;
    short.changes.retain(|(step, _)| *step < TIMED_STEPS);
    for regional in &mut short.regional {
        regional.retain(|(step, _)| *step < TIMED_STEPS);
    }
    let started = Instant::now();
    runner::run_replicate(&short, 0, &|_| {});
    let seconds = started.elapsed().as_secs_f64().max(1e-6);
    (cadres(&short) * TIMED_STEPS) as f64 / seconds
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
    fn seconds_divide_the_work_by_the_speed_and_the_threads_it_can_use() {
        let cost = Cost {
            runs: 1,
            steps: (200, 200),
            cadre_steps: (1_000_000, 1_000_000),
            rate: 1e6,
            timed_on: "x".into(),
            threads: 4,
        };
        assert_eq!(cost.seconds(), (1.0, 1.0), "one run uses one thread");
        let cost = Cost { runs: 8, ..cost };
        assert_eq!(cost.seconds(), (0.25, 0.25));
    }
}
