//! Throughput of the model (cadre-steps per second, printed by criterion as elem/s):
//! - `step/pressure_1M_cadres`: one step of a 1,011,100-cadre uniform hierarchy, every core;
//! - `replicate/default_1_thread`: a whole replicate of the default pressure scenario (4,632
//!   cadres) on one thread, run until settled as the scenario says, end to end (setup, every
//!   step, recording, the long-run estimate);
//! - `step/rational_default_1_thread`: one step of the default hierarchy (4,632 cadres) with
//!   `behaviour.rule = "rational"` (every cadre's exact expected payoff of every action), one
//!   thread;
//! - `step/china_7M_cadres`: one step of `scenarios/china.toml` (the 2023 tree, 7,186,080
//!   cadres, provinces recorded one by one), every core.
//!
//! Each prints its hierarchy's per-cadre state size.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use cadresim::model::Simulation;
use cadresim::params::LevelSpec;
use cadresim::scenario::{self, Scenario};

/// The default pressure scenario on a large hierarchy: 10x10, 10x10, 10x10, 25x40.
pub fn large_scenario() -> Scenario {
    let mut scenario = scenario::built_in().remove(0);
    let level = |name: &str, branching, cadres| LevelSpec {
        name: name.to_string(),
        branching: Some(branching),
        cadres,
    };
    scenario.params.hierarchy.levels = vec![
        level("province", 10, 10),
        level("prefecture", 10, 10),
        level("county", 10, 10),
        level("township", 25, 40),
    ];
    scenario.params.run.steps = 1_000_000;
    scenario
}

fn step_throughput(c: &mut Criterion) {
    let scenario = large_scenario();
    let plan = scenario.plan().unwrap();
    let mut simulation = Simulation::new(&plan, 0);
    let cadres = simulation.hierarchy().cadres as u64;
    eprintln!(
        "hierarchy: {cadres} cadres, {:.1} bytes of per-cadre state",
        simulation.state_bytes_per_cadre()
    );
    // Let the population leave its uniform initial state before measuring.
    for _ in 0..20 {
        simulation.step();
    }
    let mut group = c.benchmark_group("step");
    group.throughput(Throughput::Elements(cadres));
    group.sample_size(20);
    group.measurement_time(std::time::Duration::from_secs(10));
    group.bench_function("pressure_1M_cadres", |b| b.iter(|| simulation.step()));
    group.finish();
}

/// A whole replicate of the default pressure scenario on one thread, setup and recording
/// included.
fn default_replicate(c: &mut Criterion) {
    let scenario = scenario::built_in().remove(0);
    let plan = scenario.plan().unwrap();
    let simulation = Simulation::new(&plan, 0);
    let cadres = simulation.hierarchy().cadres as u64;
    eprintln!(
        "default: {cadres} cadres, {:.1} bytes of per-cadre state",
        simulation.state_bytes_per_cadre()
    );
    drop(simulation);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    // The replicate runs until settled: its length, the same on every run (a function of the
    // seed), sets the throughput.
    let first = pool.install(|| cadresim::runner::run_replicate(&plan, 0, &|_| {}));
    let steps = (first.records.len() / first.equilibria.len()) as u64;
    eprintln!("default: {steps} steps until settled");
    let mut group = c.benchmark_group("replicate");
    group.throughput(Throughput::Elements(cadres * steps));
    group.sample_size(20);
    group.bench_function("default_1_thread", |b| {
        b.iter(|| pool.install(|| cadresim::runner::run_replicate(&plan, 0, &|_| {})))
    });
    group.finish();
}

/// One step of the default hierarchy under the rational rule, on one thread.
fn rational_step(c: &mut Criterion) {
    let mut scenario = scenario::built_in().remove(0);
    scenario.params.behaviour.rule = cadresim::params::Rule::Rational;
    scenario.params.run.until_settled = false;
    scenario.params.run.steps = 1_000_000;
    let plan = scenario.plan().unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut simulation = pool.install(|| Simulation::new(&plan, 0));
    let cadres = simulation.hierarchy().cadres as u64;
    for _ in 0..20 {
        pool.install(|| simulation.step());
    }
    let mut group = c.benchmark_group("step");
    group.throughput(Throughput::Elements(cadres));
    group.sample_size(20);
    group.bench_function("rational_default_1_thread", |b| {
        b.iter(|| pool.install(|| simulation.step()))
    });
    group.finish();
}

/// One step of the real administrative tree with seven million cadres.
fn china_step(c: &mut Criterion) {
    let scenario = scenario::load(std::path::Path::new("scenarios/china.toml")).unwrap();
    let plan = scenario.plan().unwrap();
    let mut simulation = Simulation::new(&plan, 0);
    let cadres = simulation.hierarchy().cadres as u64;
    eprintln!(
        "china: {cadres} cadres, {:.1} bytes of per-cadre state",
        simulation.state_bytes_per_cadre()
    );
    for _ in 0..5 {
        simulation.step();
    }
    let mut group = c.benchmark_group("step");
    group.throughput(Throughput::Elements(cadres));
    group.sample_size(10);
    group.measurement_time(std::time::Duration::from_secs(20));
    group.bench_function("china_7M_cadres", |b| b.iter(|| simulation.step()));
    group.finish();
}

criterion_group!(
    benches,
    step_throughput,
    default_replicate,
    rational_step,
    china_step
);
criterion_main!(benches);
