//! Throughput of the model step on a 1,011,100-cadre hierarchy (cadre-steps per second),
//! using every core of the machine. Also prints the per-cadre state size.

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

criterion_group!(benches, step_throughput);
criterion_main!(benches);
