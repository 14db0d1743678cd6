//! The reference behaviour of the specification (the patterns of docs/MODEL.md §1) on the
//! bundled scenarios: fixed seeds, four replicates of the specification's 200 steps, and
//! differences required to exceed twice their standard error.

use cadresim::metrics::{metric_index, METRIC_COUNT};
use cadresim::params::Markup;
use cadresim::runner;
use cadresim::scenario::{self, Scenario};

const REPLICATES: u64 = 4;

/// A bundled scenario with four replicates, run for the specification's fixed length
/// (run.steps = 200, equilibrium over steps 100..199): the specification states its
/// reference behaviour there. The long-run estimates of the bundled regimes are checked
/// against long reference runs in docs/MODEL.md (accuracy of the long-run rule).
fn load(name: &str) -> Scenario {
    let mut scenario = scenario::load(format!("scenarios/{name}.toml").as_ref()).unwrap();
    scenario.params.run.replicates = REPLICATES;
    scenario.params.run.until_settled = false;
    scenario
}

/// Equilibrium means of every replicate at level "all".
fn equilibria(scenario: &Scenario) -> Vec<[f64; METRIC_COUNT]> {
    let results = runner::run(&[scenario.plan().unwrap()], &|_| {});
    results[0]
        .replicates
        .iter()
        .map(|r| r.equilibria.last().unwrap().means)
        .collect()
}

/// Replicate values of one metric.
fn metric(equilibria: &[[f64; METRIC_COUNT]], name: &str) -> Vec<f64> {
    let index = metric_index(name).unwrap();
    equilibria.iter().map(|m| m[index]).collect()
}

fn mean_and_se(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (variance / n).sqrt())
}

/// `a` exceeds `b` by more than twice the standard error of the difference.
fn assert_above(a: &[f64], b: &[f64], what: &str) {
    let (mean_a, se_a) = mean_and_se(a);
    let (mean_b, se_b) = mean_and_se(b);
    let margin = 2.0 * (se_a * se_a + se_b * se_b).sqrt();
    assert!(
        mean_a - mean_b > margin,
        "{what}: {mean_a:.4} is not above {mean_b:.4} by more than {margin:.4}"
    );
}

fn with_penalty(mut scenario: Scenario, penalty: f64) -> Scenario {
    scenario.params.accountability.penalty = penalty;
    scenario
}

#[test]
fn pressure_default_is_lazy_routine_with_little_innovation() {
    let pressure = equilibria(&load("pressure"));
    let (innovation, _) = mean_and_se(&metric(&pressure, "mean_innovation"));
    let (idle, _) = mean_and_se(&metric(&pressure, "share_idle"));
    assert!(
        (0.05..0.2).contains(&innovation),
        "mean_innovation {innovation}"
    );
    assert!((0.1..0.35).contains(&idle), "share_idle {idle}");
    let results = runner::run(&[load("pressure").plan().unwrap()], &|_| {});
    let statistics = results[0].level_statistics(results[0].levels.len() - 1);
    assert_eq!(statistics.modal_class(), "lazy-routine");
}

#[test]
fn innovation_falls_as_penalty_rises_and_scoped_tolerance_lies_above() {
    let penalties = [0.5, 2.0, 8.0, 16.0];
    let pressure: Vec<Vec<f64>> = penalties
        .iter()
        .map(|&p| {
            metric(
                &equilibria(&with_penalty(load("pressure"), p)),
                "mean_innovation",
            )
        })
        .collect();
    let scoped: Vec<Vec<f64>> = penalties
        .iter()
        .map(|&p| {
            metric(
                &equilibria(&with_penalty(load("ft-scoped"), p)),
                "mean_innovation",
            )
        })
        .collect();
    for i in 1..penalties.len() {
        assert_above(
            &pressure[i - 1],
            &pressure[i],
            &format!(
                "pressure: innovation at penalty {} vs {}",
                penalties[i - 1],
                penalties[i]
            ),
        );
    }
    for i in 0..penalties.len() {
        assert_above(
            &scoped[i],
            &pressure[i],
            &format!("scoped tolerance vs none at penalty {}", penalties[i]),
        );
    }
    // Flatter: the scoped curve loses less from 2 to 16 than the pressure curve, relatively.
    let ratio = |curve: &Vec<Vec<f64>>| mean_and_se(&curve[3]).0 / mean_and_se(&curve[1]).0;
    assert!(
        ratio(&scoped) > ratio(&pressure),
        "scoped curve is not flatter"
    );
}

#[test]
fn scoped_tolerance_lifts_innovation_and_welfare_with_little_abuse() {
    let pressure = equilibria(&load("pressure"));
    let scoped = equilibria(&load("ft-scoped"));
    let innovation_pressure = metric(&pressure, "mean_innovation");
    let doubled: Vec<f64> = innovation_pressure.iter().map(|v| 2.0 * v).collect();
    assert_above(
        &metric(&scoped, "mean_innovation"),
        &doubled,
        "scoped vs twice pressure",
    );
    assert_above(
        &metric(&scoped, "welfare"),
        &metric(&pressure, "welfare"),
        "welfare",
    );
    let (abuse, _) = mean_and_se(&metric(&scoped, "abuse_rate"));
    assert!(abuse < 0.1, "abuse_rate {abuse}");
}

#[test]
fn blanket_scope_shelters_violations_and_private_gain() {
    let scoped = equilibria(&load("ft-scoped"));
    let blanket = equilibria(&load("ft-blanket"));
    for name in ["wrongly_exempted", "private_gain", "abuse_rate"] {
        assert_above(&metric(&blanket, name), &metric(&scoped, name), name);
    }
}

#[test]
fn tolerance_without_correction_leaves_more_damage() {
    let scoped = equilibria(&load("ft-scoped"));
    let uncorrected = equilibria(&load("ft-no-correction"));
    assert_above(
        &metric(&uncorrected, "damage"),
        &metric(&scoped, "damage"),
        "damage",
    );
    assert_above(
        &metric(&scoped, "welfare"),
        &metric(&uncorrected, "welfare"),
        "welfare",
    );
}

#[test]
fn incentives_need_tolerance_two_factor() {
    let pressure = equilibria(&load("pressure"));
    let mut incentives_only = load("pressure");
    incentives_only.params.incentives.innovation_reward = 0.5;
    incentives_only.params.incentives.innovation_weight = 1.0;
    let incentives_only = equilibria(&incentives_only);
    let scoped = metric(&equilibria(&load("ft-scoped")), "mean_innovation");
    let both = metric(&equilibria(&load("ft-incentives")), "mean_innovation");
    let mean = |values: &[f64]| mean_and_se(values).0;
    let base = mean(&metric(&pressure, "mean_innovation"));
    let alone = mean(&metric(&incentives_only, "mean_innovation"));
    // "Barely": incentives alone move innovation by less than a third of what tolerance does.
    assert!(
        alone - base < (mean(&scoped) - base) / 3.0,
        "incentives alone moved {base:.3} to {alone:.3}; tolerance to {:.3}",
        mean(&scoped)
    );
    // Two factors: incentives add more on top of tolerance than on their own.
    assert!(
        mean(&both) - mean(&scoped) > alone - base,
        "incentives add {:.3} with tolerance, {:.3} without",
        mean(&both) - mean(&scoped),
        alone - base
    );
    for other in ["ft-blanket", "ft-no-correction"] {
        let values = metric(&equilibria(&load(other)), "mean_innovation");
        assert_above(&both, &values, &format!("ft-incentives vs {other}"));
    }
    assert_above(&both, &scoped, "ft-incentives vs ft-scoped");
}

#[test]
fn lifelong_accountability_and_markups_deepen_the_lazy_equilibrium() {
    let pressure = equilibria(&load("pressure"));
    let lifelong = equilibria(&load("lifelong"));
    assert_above(
        &metric(&pressure, "mean_innovation"),
        &metric(&lifelong, "mean_innovation"),
        "lifelong lowers innovation",
    );
    let mut marked_up = load("pressure");
    marked_up.params.targets.markup = Markup::Scalar(0.25);
    let marked_up = equilibria(&marked_up);
    assert_above(
        &metric(&marked_up, "share_idle"),
        &metric(&pressure, "share_idle"),
        "markup 0.25 raises share_idle",
    );
}
