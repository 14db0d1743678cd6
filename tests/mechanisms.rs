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

/// Mean over steps 10..29 of a metric at level "all", per replicate (four replicates).
fn late_means(scenario: &Scenario, metric: &str) -> Vec<f64> {
    let index = metric_index(metric).unwrap();
    (0..4)
        .map(|replicate| {
            let plan = scenario.plan().unwrap();
            let mut simulation = Simulation::new(&plan, replicate);
            for _ in 0..30 {
                simulation.step();
            }
            let rows = simulation.records();
            (10..30).map(|step| rows[step * 3 + 2][index]).sum::<f64>() / 20.0
        })
        .collect()
}

/// `[accountability.forms]`: the four form counts add up to `sanctioned`; when exploratory
/// errors draw mostly talks (the first form, 0.1 x penalty) the corps innovates more than
/// under the single light sanction, replicate by replicate.
#[test]
fn milder_forms_for_honest_errors_raise_innovation() {
    let graded = small(
        "[accountability.forms]\nexploratory = [0.7, 0.3, 0.0, 0.0]\nviolation = [0.2, 0.4, 0.2, 0.2]\n",
    );
    let rows = records(&graded);
    let index = |name: &str| metric_index(name).unwrap();
    let forms =
        ["talk", "light", "heavy", "prosecution"].map(|form| index(&format!("sanctioned_{form}")));
    let mut talks = 0.0;
    for row in &rows {
        let sum: f64 = forms.iter().map(|&i| row[i]).sum();
        assert_eq!(sum, row[index("sanctioned")]);
        talks += row[forms[0]];
    }
    assert!(talks > 0.0);
    let default = late_means(&small(""), "mean_innovation");
    let milder = late_means(&graded, "mean_innovation");
    for (mild, single) in milder.iter().zip(&default) {
        assert!(mild > single, "{milder:?} vs {default:?}");
    }
}

/// The forms are written as their own table, one key at a time in a schedule, and a list of
/// shares that does not sum to 1 is refused naming the key.
#[test]
fn forms_are_read_as_a_table_and_checked() {
    let scenario = small(
        "[accountability.forms]\ntalk = 0.2\nveto = [0, 0, 0.5, 0.5]\n\n[[schedule]]\nat = 5\nset = { \"accountability.forms.negligence\" = [1, 0, 0, 0] }\n",
    );
    let forms = &scenario.params.accountability.forms;
    assert_eq!((forms.talk, forms.veto), (0.2, [0.0, 0.0, 0.5, 0.5]));
    let plan = scenario.plan().unwrap();
    assert_eq!(
        plan.change_at(5).unwrap().accountability.forms.negligence,
        [1.0, 0.0, 0.0, 0.0]
    );
    let error = scenario::parse(
        &format!("{SMALL}\n[accountability.forms]\nviolation = [0.5, 0.2, 0.2, 0.2]\n"),
        "small.toml",
        "small",
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("small.toml"), "{error}");
    assert!(
        error.contains("`accountability.forms.violation`"),
        "{error}"
    );
    assert!(error.contains("summing to 1"), "{error}");
    assert_eq!(error.lines().count(), 1);
}
