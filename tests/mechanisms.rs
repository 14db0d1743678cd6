//! The mechanisms beyond the first model (docs/MODEL.md §7.14): each one's direction on a
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

/// 120 cadres: 4 counties of 10, each with 5 townships of 4; 60 steps.
const MEDIUM: &str = r#"
[run]
steps = 60
burn_in = 20
replicates = 1

[[hierarchy.levels]]
name = "county"
branching = 4
cadres = 10

[[hierarchy.levels]]
name = "township"
branching = 5
cadres = 4
"#;

fn medium(extra: &str) -> Scenario {
    scenario::parse(&format!("{MEDIUM}\n{extra}"), "medium.toml", "medium").unwrap()
}

/// Per replicate (four), the mean over steps 20..59 of `metric` at `level` (2 = all), or of
/// a function of the whole record.
fn replicate_means(
    scenario: &Scenario,
    level: usize,
    value: impl Fn(&[f64; cadresim::metrics::METRIC_COUNT]) -> f64,
) -> Vec<f64> {
    (0..4)
        .map(|replicate| {
            let plan = scenario.plan().unwrap();
            let mut simulation = Simulation::new(&plan, replicate);
            for _ in 0..60 {
                simulation.step();
            }
            let rows = simulation.records();
            (20..60)
                .map(|step| value(&rows[step * 3 + level]))
                .sum::<f64>()
                / 40.0
        })
        .collect()
}

fn metric(name: &str) -> impl Fn(&[f64; cadresim::metrics::METRIC_COUNT]) -> f64 {
    let index = metric_index(name).unwrap();
    move |row| row[index]
}

/// `a`'s mean exceeds `b`'s by more than twice the standard error of the difference.
fn assert_above(a: &[f64], b: &[f64], what: &str) {
    let stats = |v: &[f64]| {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var / n)
    };
    let ((ma, va), (mb, vb)) = (stats(a), stats(b));
    let margin = 2.0 * (va + vb).sqrt();
    assert!(
        ma - mb > margin,
        "{what}: {ma:.4} not above {mb:.4} by {margin:.4}"
    );
}

/// `accountability.reopen_rate`: under lifelong accountability and scoped tolerance,
/// re-opened exemptions are sanctioned (counted in `reopened` and `sanctioned`), and the
/// corps innovates less than when exemptions are final.
#[test]
fn reopened_exemptions_deter_innovation() {
    let base = "[fault_tolerance]\nenabled = true\n[accountability]\nlifelong = true\n";
    let final_ = medium(base);
    let reopening = medium(&format!("{base}reopen_rate = 0.3\n"));
    let reopened = replicate_means(&reopening, 2, metric("reopened"));
    assert!(reopened.iter().all(|&r| r > 0.0), "{reopened:?}");
    assert!(replicate_means(&final_, 2, metric("reopened"))
        .iter()
        .all(|&r| r == 0.0));
    let innovation = |s: &Scenario| replicate_means(s, 2, metric("mean_innovation"));
    assert_above(
        &innovation(&final_),
        &innovation(&reopening),
        "final vs re-opened",
    );
}

/// `accountability.leadership_share`: the county cadres bear, one step later, the share of
/// the townships' sanctions (without vetoes or tolerance each sanction is the penalty, so
/// the cost is share x penalty x sanctions, exactly); the townships, with nobody below
/// them, bear nothing.
#[test]
fn superiors_bear_a_share_of_their_subordinates_sanctions() {
    let scenario = medium("[accountability]\nveto_share = 0.0\nleadership_share = 0.25\n");
    let plan = scenario.plan().unwrap();
    let mut simulation = Simulation::new(&plan, 0);
    for _ in 0..60 {
        simulation.step();
    }
    let rows = simulation.records();
    let (cost, sanctioned) = (metric("leadership_cost"), metric("sanctioned"));
    let mut borne = 0.0;
    for step in 1..60 {
        let expected = 0.25 * 8.0 * sanctioned(&rows[(step - 1) * 3 + 1]);
        assert!(
            (cost(&rows[step * 3]) - expected).abs() < 1e-9,
            "step {step}"
        );
        assert_eq!(
            cost(&rows[step * 3 + 1]),
            0.0,
            "townships have no cadres below"
        );
        borne += cost(&rows[step * 3]);
    }
    assert!(borne > 0.0);
}

/// `accountability.leadership_supervision`: superiors who bore leadership costs raise the
/// detection of their subordinates' errors (detected / errors at township level).
#[test]
fn leadership_costs_tighten_supervision_below() {
    let rate = |row: &[f64; cadresim::metrics::METRIC_COUNT]| {
        metric("detected")(row) / metric("errors")(row).max(1.0)
    };
    let share = "[accountability]\nleadership_share = 0.5\n";
    let loose = replicate_means(&medium(share), 1, rate);
    let tight = replicate_means(
        &medium(&format!("{share}leadership_supervision = 1.0\n")),
        1,
        rate,
    );
    assert_above(&tight, &loose, "supervised vs not");
}

/// Misconduct outside innovation (`work.corruption_opportunity`): opportunists take chances
/// of private gain worth more than their expected sanction, so a higher penalty deters it;
/// its social cost and the cost of investigations are what the definitions say, and welfare
/// subtracts both.
#[test]
fn corruption_is_deterred_and_costs_enter_welfare() {
    let scenario = |penalty: f64| {
        medium(&format!(
            "[cadres]\nopportunist_share = 0.5\n[work]\ncorruption_opportunity = 0.5\ncorruption_social_cost = 1.5\n[accountability]\npenalty = {penalty}\nenforcement_cost = 0.2\ninaction_detection = 0.1\n"
        ))
    };
    let gain = |s: &Scenario| replicate_means(s, 2, metric("private_gain"));
    assert_above(
        &gain(&scenario(1.0)),
        &gain(&scenario(16.0)),
        "penalty 1 vs 16",
    );
    let plan = scenario(2.0).plan().unwrap();
    let mut simulation = Simulation::new(&plan, 0);
    for _ in 0..60 {
        simulation.step();
    }
    for row in simulation.records() {
        let m = |name| metric(name)(row);
        assert!((m("corruption_cost") - 1.5 * m("private_gain")).abs() < 1e-9);
        let investigations = m("detected") + m("reopened") + m("caught_idle");
        assert!((m("enforcement_cost") - 0.2 * investigations).abs() < 1e-9);
        let welfare = m("output")
            - m("damage")
            - m("private_gain")
            - m("corruption_cost")
            - m("enforcement_cost");
        assert!((m("welfare") - welfare).abs() < 1e-9);
    }
}

/// Selection into the service (`cadres.selection_ability`, `cadres.selection_opportunism`):
/// under enforcement twice the default's (penalty 16), recruits are less able and fewer are
/// opportunists, so the corps in post becomes so; the corps of step 0 entered before the
/// regime and is unchanged.
#[test]
fn stronger_enforcement_selects_less_able_and_fewer_opportunist_recruits() {
    let base = "[accountability]\npenalty = 16.0\n[cadres]\nturnover = 0.1\n";
    let plain = medium(base);
    let selective = medium(&format!(
        "{base}selection_ability = 0.2\nselection_opportunism = 1.0\n"
    ));
    let first = |s: &Scenario| {
        let plan = s.plan().unwrap();
        let mut simulation = Simulation::new(&plan, 0);
        simulation.step();
        simulation.records()[2]
    };
    assert_eq!(first(&plain), first(&selective));
    for (metric_name, what) in [
        ("mean_ability", "ability"),
        ("share_opportunist", "opportunists"),
    ] {
        let with = replicate_means(&selective, 2, metric(metric_name));
        let without = replicate_means(&plain, 2, metric(metric_name));
        assert_above(&without, &with, what);
    }
}

/// The screeners' incentives (`fault_tolerance.approver_liability`): a screening body that
/// pays for exemptions found to have covered violations learns to grant fewer, so the
/// exemption rate among eligible errors falls; without violations to be found it pays
/// nothing and the run is the same as without liability, bit for bit.
#[test]
fn liable_screeners_exempt_fewer_eligible_errors() {
    let base = "[fault_tolerance]\nenabled = true\n";
    let liable = format!("{base}approver_liability = 8.0\n");
    let rate = |extra: &str| {
        let scenario = medium(&format!("[cadres]\nopportunist_share = 0.3\n{extra}"));
        replicate_means(&scenario, 2, metric("eligible_exemption_rate"))
    };
    assert_above(&rate(base), &rate(&liable), "free vs liable screeners");
    let honest = |extra: &str| {
        records(&small(&format!(
            "[cadres]\nopportunist_share = 0.0\n{extra}"
        )))
    };
    assert_eq!(honest(base), honest(&liable));
}

/// Ambiguous scope (`fault_tolerance.lists = false`): cadres deciding by expected payoff use
/// what their group has seen exempted instead of the rule. Having seen nothing they expect
/// every error to be sanctioned, so under scoped tolerance they innovate less than with
/// published lists, which make the rule known.
#[test]
fn without_published_lists_cadres_innovate_less() {
    let base = "[behaviour]\nrule = \"rational\"\n[fault_tolerance]\nenabled = true\n";
    let innovation = |extra: &str| {
        replicate_means(
            &medium(&format!("{base}{extra}")),
            2,
            metric("mean_innovation"),
        )
    };
    assert_above(
        &innovation(""),
        &innovation("lists = false\n"),
        "lists vs none",
    );
}
