//! The mechanisms beyond the first model (docs/MODEL.md §7.13): each one's direction on a
//! small hierarchy, and its measurement where the definition fixes it exactly.

use cadresim::metrics::metric_index;
use cadresim::model::Simulation;
use cadresim::scenario::{self, Scenario};

/// Two levels: 3 counties of 4 cadres, each with 4 townships of one cadre.
const SMALL: &str = r#"
[run]
steps = 30
burn_in = 10
replicates = 1

[[hierarchy.levels]]
name = "county"
branching = 3
cadres = 4

[[hierarchy.levels]]
name = "township"
branching = 4
cadres = 1
"#;

fn small(extra: &str) -> Scenario {
    scenario::parse(&format!("{SMALL}\n{extra}"), "small.toml", "small").unwrap()
}

/// Records of every step of replicate 0: `[step * (levels + 1) + level]`, level 2 = all.
fn records(scenario: &Scenario) -> Vec<[f64; cadresim::metrics::METRIC_COUNT]> {
    let plan = scenario.plan().unwrap();
    let mut simulation = Simulation::new(&plan, 0);
    for _ in 0..scenario.params.run.steps {
        simulation.step();
    }
    simulation.records().to_vec()
}

/// `share_units_missed`: no unit misses an unreachable-low target, every unit misses an
/// unreachable-high one; a one-cadre unit misses exactly when its cadre does; the whole
/// hierarchy's share is the units-weighted mean of the levels' (3 counties, 12 townships).
#[test]
fn share_of_units_missing_their_jurisdiction_target() {
    let units_missed = metric_index("share_units_missed").unwrap();
    let cadres_missed = metric_index("share_missed").unwrap();
    for (central, expected) in [(0.01, 0.0), (100.0, 1.0)] {
        let scenario = small(&format!("[targets]\ncentral = {central}\n"));
        for record in records(&scenario) {
            assert_eq!(record[units_missed], expected);
        }
    }
    let rows = records(&small(""));
    let mut varied = false;
    for step in rows.chunks(3) {
        let (county, township, all) = (step[0], step[1], step[2]);
        assert_eq!(township[units_missed], township[cadres_missed]);
        let weighted = (3.0 * county[units_missed] + 12.0 * township[units_missed]) / 15.0;
        assert!((all[units_missed] - weighted).abs() < 1e-12);
        varied |= township[units_missed] > 0.0 && township[units_missed] < 1.0;
    }
    assert!(varied, "the default targets split the townships");
}
