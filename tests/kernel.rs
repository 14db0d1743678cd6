//! The AVX2 build of the step gives the same bytes as the portable build, on every regime
//! the bundled scenarios exercise (lifelong accountability, fault tolerance, the rational
//! rule, adaptive markups, schedules with `where`, units recorded one by one).

use cadresim::model::kernel::Kernel;
use cadresim::model::Simulation;
use cadresim::scenario::{self, Scenario};

/// Every record (per level and per unit) of `steps` steps of replicate 0 with `kernel`.
fn records(scenario: &Scenario, steps: u64, kernel: Kernel) -> Vec<u64> {
    let plan = scenario.plan().unwrap();
    let mut simulation = Simulation::new(&plan, 0);
    simulation.use_kernel(kernel);
    for _ in 0..steps {
        simulation.step();
    }
    let (levels, units) = simulation.into_records();
    levels
        .iter()
        .chain(&units)
        .flatten()
        .map(|value| value.to_bits())
        .collect()
}

#[test]
fn avx2_and_portable_kernels_give_the_same_bytes() {
    if !Kernel::Avx2.is_available() {
        let expected = std::env::var("CADRESIM_EXPECT_SIMD").unwrap_or_default();
        assert!(
            !expected.split(',').any(|e| e.trim() == "avx2"),
            "CADRESIM_EXPECT_SIMD names avx2, which this processor's detection lacks"
        );
        eprintln!("this processor has no AVX2: only the portable kernel runs here");
        return;
    }
    let cases = [
        ("pressure", 60),
        ("ft-scoped", 60),
        ("ft-blanket", 60),
        ("lifelong", 60),
        ("adaptive-markup", 60),
        ("rational", 30),
        ("incentives", 60),
        ("staggered-adoption", 100),
    ];
    for (name, steps) in cases {
        let mut scenario = scenario::load(format!("scenarios/{name}.toml").as_ref()).unwrap();
        scenario.params.run.until_settled = false;
        scenario.params.run.steps = steps;
        scenario.params.run.burn_in = steps / 2;
        let portable = records(&scenario, steps, Kernel::Portable);
        assert!(!portable.is_empty());
        assert_eq!(
            portable,
            records(&scenario, steps, Kernel::Avx2),
            "{name}: the kernels differ"
        );
    }
}
