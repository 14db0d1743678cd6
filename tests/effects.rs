//! Effects on a calendar (`effects.csv`): each schedule entry against its counterfactual
//! without it, under the same seeds. Known truths: the two runs are identical before the
//! entry; an entry that changes nothing has effect exactly 0 with interval [0, 0]; a strong
//! entry has an effect whose interval excludes 0. Then the files: header, rows, charts,
//! manifest, thread count, replay, and scenarios that write no effects.

use std::fs;
use std::path::Path;

use cadresim::effects::{self, Event, HORIZONS};
use cadresim::metrics::{metric_index, METRIC_COUNT};
use cadresim::runner::{self, ScenarioResult};
use cadresim::scenario::{self, Scenario};
use tempfile::TempDir;

use crate::common;
use common::{cadresim, records, succeeded, SMALL};

/// The small scenario with `replicates` replicates, penalty 8, and `extra` (a schedule).
fn small(replicates: u64, extra: &str) -> String {
    let body = SMALL.replace("replicates = 2", &format!("replicates = {replicates}"));
    format!("{body}\n[accountability]\npenalty = 8.0\n{extra}")
}

/// Strict accountability relaxed at step 20 (penalty 8 -> 0.5).
const RELAXED: &str = r#"
[[schedule]]
at = 20
set = { "accountability.penalty" = 0.5 }
"#;

fn parse(text: &str) -> Scenario {
    scenario::parse(text, "test.toml", "test").expect("a valid scenario")
}

/// The scenario's run and its counterfactual without entry `entry`.
fn factual_and_counterfactual(
    scenario: &Scenario,
    entry: usize,
) -> (ScenarioResult, ScenarioResult) {
    let plans = [
        scenario.plan().unwrap(),
        effects::counterfactual(scenario, entry).unwrap(),
    ];
    let mut results = runner::run(&plans, &|_| {});
    let counterfactual = results.pop().unwrap();
    (results.pop().unwrap(), counterfactual)
}

/// Every record (all levels) of every replicate at steps `steps`, as bits.
fn bits(result: &ScenarioResult, steps: std::ops::Range<usize>) -> Vec<u64> {
    let levels = result.levels.len();
    let mut out = Vec::new();
    for replicate in 0..result.replicates.len() {
        for step in steps.clone() {
            for level in 0..levels {
                out.extend(
                    result
                        .record(replicate, step, level)
                        .iter()
                        .map(|v| v.to_bits()),
                );
            }
        }
    }
    out
}

#[test]
fn the_runs_are_identical_before_the_entry_and_differ_after_it() {
    let everywhere = RELAXED.to_string();
    let in_part = format!("{RELAXED}where = {{ county = [\"2\"] }}\n");
    for schedule in [everywhere, in_part] {
        let scenario = parse(&small(2, &schedule));
        let (factual, counterfactual) = factual_and_counterfactual(&scenario, 0);
        assert_eq!(
            bits(&factual, 0..20),
            bits(&counterfactual, 0..20),
            "{schedule}"
        );
        assert_ne!(
            bits(&factual, 20..30),
            bits(&counterfactual, 20..30),
            "{schedule}"
        );
    }
}

#[test]
fn the_counterfactual_runs_to_fifty_steps_after_the_entry_or_the_run_s_end() {
    let scenario = parse(&small(1, RELAXED).replace("steps = 30", "steps = 200"));
    let plan = effects::counterfactual(&scenario, 0).unwrap();
    assert_eq!(plan.params.run.steps, 71);
    assert!(plan.changes.is_empty(), "the entry is removed");
    let short = parse(&small(1, RELAXED));
    assert_eq!(
        effects::counterfactual(&short, 0).unwrap().params.run.steps,
        30
    );
}

#[test]
fn an_entry_that_changes_nothing_has_effect_exactly_zero() {
    let unchanged = "[[schedule]]\nat = 12\nset = { \"accountability.penalty\" = 8.0 }\n";
    let scenario = parse(&small(3, unchanged));
    let (factual, counterfactual) = factual_and_counterfactual(&scenario, 0);
    let rows = effects::effects(&factual, Event { entry: 0, at: 12 }, &counterfactual);
    // Steps 13, 14, 15, 17 and 22 exist in a run of 30 steps; 32 and 62 do not.
    assert_eq!(rows.len(), METRIC_COUNT * 5);
    for row in &rows {
        assert_eq!(row.event, "1@12");
        assert_eq!(
            (row.effect, row.ci95, row.n),
            (0.0, Some((0.0, 0.0)), 3),
            "{row:?}"
        );
    }
}

#[test]
fn relaxing_strict_accountability_raises_innovation_within_five_steps() {
    let scenario = parse(&small(6, RELAXED).replace("steps = 30", "steps = 80"));
    let (factual, counterfactual) = factual_and_counterfactual(&scenario, 0);
    let rows = effects::effects(&factual, Event { entry: 0, at: 20 }, &counterfactual);
    assert_eq!(rows.len(), METRIC_COUNT * HORIZONS.len());
    let innovation = rows
        .iter()
        .find(|row| row.metric == "mean_innovation" && row.k == 5)
        .unwrap();
    let (low, high) = innovation.ci95.unwrap();
    assert!(innovation.effect > 0.0 && low > 0.0, "{innovation:?}");
    assert!(low <= innovation.effect && innovation.effect <= high);
    // The effect is the mean over replicates of factual - counterfactual at step 25.
    let metric = metric_index("mean_innovation").unwrap();
    let all = factual.levels.len() - 1;
    let mean = (0..6)
        .map(|r| factual.record(r, 25, all)[metric] - counterfactual.record(r, 25, all)[metric])
        .sum::<f64>()
        / 6.0;
    assert!((innovation.effect - mean).abs() < 1e-12);
}

#[test]
fn scenarios_without_a_schedule_or_with_many_entries_report_no_effects() {
    assert!(!effects::reports_effects(&parse(&small(1, ""))));
    assert!(effects::reports_effects(&parse(&small(1, RELAXED))));
    let many: String = (1..=5)
        .map(|at| {
            format!("[[schedule]]\nat = {at}\nset = {{ \"accountability.penalty\" = 4.0 }}\n")
        })
        .collect();
    assert!(!effects::reports_effects(&parse(&small(1, &many))));
    let on = format!("[output]\neffects = true\n{many}");
    assert!(effects::reports_effects(&parse(&small(1, &on))));
    let off = format!("[output]\neffects = false\n{RELAXED}");
    assert!(!effects::reports_effects(&parse(&small(1, &off))));
}

/// Run `body` as `name.toml` into `dir/name` with `extra` arguments.
fn run(dir: &Path, name: &str, body: &str, extra: &[&str]) -> std::path::PathBuf {
    let file = dir.join(format!("{name}.toml"));
    fs::write(&file, body).unwrap();
    let out = dir.join(name);
    let output = cadresim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    succeeded(&output);
    out
}

fn manifest_files(out: &Path) -> serde_json::Map<String, serde_json::Value> {
    let text = fs::read_to_string(out.join("manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    manifest["files"].as_object().unwrap().clone()
}

#[test]
fn run_writes_effects_csv_and_its_charts_and_lists_them() {
    let dir = TempDir::new().unwrap();
    let two = format!(
        "{RELAXED}\n[[schedule]]\nat = 26\nset = {{ \"fault_tolerance.enabled\" = true }}\n"
    );
    let out = run(dir.path(), "relaxed", &small(2, &two), &[]);
    let text = fs::read_to_string(out.join("effects.csv")).unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        "scenario,event,metric,k,effect,ci95_low,ci95_high,n"
    );
    // Entry 1 at step 20 reaches steps 21..=25 (k = 1, 2, 3, 5); entry 2 at 26, 27..=29
    // (k = 1, 2, 3): the run has 30 steps.
    let rows = records(&out.join("effects.csv"));
    assert_eq!(rows.len(), METRIC_COUNT * (4 + 3));
    let first: Vec<&str> = rows[0].iter().take(4).collect();
    assert_eq!(first, ["relaxed", "1@20", "share_idle", "1"]);
    assert!(rows.iter().all(|row| &row[7] == "2"));
    let listed = manifest_files(&out);
    for name in [
        "effects.csv",
        "charts/effects-relaxed.png",
        "charts/effects-relaxed.svg",
    ] {
        assert!(out.join(name).is_file(), "{name} missing");
        assert!(listed.contains_key(name), "{name} not in manifest.json");
    }
    let svg = fs::read_to_string(out.join("charts/effects-relaxed.svg")).unwrap();
    assert!(svg.contains("entry 1@20") && svg.contains("accountability.penalty = 0.5"));
    let replay = cadresim()
        .arg("replay")
        .arg(out.join("manifest.json"))
        .output()
        .unwrap();
    succeeded(&replay);
    assert!(String::from_utf8_lossy(&replay.stdout).contains("effects.csv"));
}

#[test]
fn effects_csv_is_the_same_for_any_thread_count() {
    let dir = TempDir::new().unwrap();
    let body =
        format!("name = \"threads\"\n{}", small(3, RELAXED)).replace("steps = 30", "steps = 75");
    let one = run(dir.path(), "one", &body, &["--threads", "1"]);
    let two = run(dir.path(), "two", &body, &["--threads", "2"]);
    let bytes = |out: &Path| fs::read(out.join("effects.csv")).unwrap();
    assert!(
        bytes(&one) == bytes(&two),
        "effects.csv differs between 1 and 2 threads"
    );
    assert_eq!(
        records(&one.join("effects.csv")).len(),
        METRIC_COUNT * HORIZONS.len()
    );
}

#[test]
fn a_run_until_settled_reports_every_horizon() {
    let dir = TempDir::new().unwrap();
    let body = small(2, RELAXED).replace(
        "replicates = 2",
        "replicates = 2\nuntil_settled = true\nmax_steps = 200",
    );
    let out = run(dir.path(), "settled", &body, &[]);
    let rows = records(&out.join("effects.csv"));
    assert_eq!(rows.len(), METRIC_COUNT * HORIZONS.len());
    assert!(rows.iter().any(|row| &row[3] == "50"));
}

#[test]
fn scenarios_without_effects_write_no_effects_table() {
    let dir = TempDir::new().unwrap();
    let off = format!("[output]\neffects = false\n{RELAXED}");
    for (name, body) in [("plain", small(2, "")), ("off", small(2, &off))] {
        let out = run(dir.path(), name, &body, &[]);
        assert!(!out.join("effects.csv").exists(), "{name}");
        assert!(!manifest_files(&out)
            .keys()
            .any(|file| file.contains("effects")));
        let manifest = fs::read_to_string(out.join("manifest.json")).unwrap();
        assert_eq!(manifest.contains("\"effects\""), name == "off");
    }
}

#[test]
fn an_entry_that_a_later_entry_relies_on_is_left_out_with_the_reason() {
    let schedule = r#"
[[schedule]]
at = 5
set = { "targets.markup_max" = 3.0 }

[[schedule]]
at = 10
set = { "targets.markup" = 2.5 }
"#;
    let scenario = parse(&small(1, schedule));
    let (planned, left_out) = effects::counterfactuals(std::slice::from_ref(&scenario));
    let events: Vec<String> = planned.iter().map(|c| c.event.name()).collect();
    assert_eq!(events, ["2@10"]);
    assert_eq!(left_out.len(), 1);
    assert!(
        left_out[0].contains("1@5") && left_out[0].contains("targets.markup_max"),
        "{}",
        left_out[0]
    );
}

#[test]
fn a_manifest_that_lists_no_effects_still_replays() {
    let dir = TempDir::new().unwrap();
    let out = run(dir.path(), "older", &small(2, RELAXED), &[]);
    let path = out.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let files = manifest["files"].as_object_mut().unwrap();
    files.retain(|name, _| !name.contains("effects"));
    fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    let replay = cadresim().arg("replay").arg(&path).output().unwrap();
    succeeded(&replay);
    assert!(!String::from_utf8_lossy(&replay.stdout).contains("effects.csv"));
}
