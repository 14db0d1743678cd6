//! Hierarchies given as a tree of units (`hierarchy.tree`): loading, every validation error
//! (one line, exit 2), determinism on uneven peer groups, and uniform hierarchies keeping
//! the bytes they had before trees existed.

use crate::common;

use std::fs;
use std::path::Path;

use cadresim::hierarchy::Size;
use common::{cadresim, succeeded};
use tempfile::TempDir;

/// An uneven tree: provinces with 1 and 3 prefectures, prefectures with 0 to 4 counties.
const TREE: &str = "code,name,parent,level
1,North,,province
2,South,,province
101,North-a,1,prefecture
10101,North-a-1,101,county
10102,North-a-2,101,county
201,South-a,2,prefecture
202,South-b,2,prefecture
203,South-c,2,prefecture
20101,South-a-1,201,county
20301,South-c-1,203,county
20302,South-c-2,203,county
20303,South-c-3,203,county
20304,South-c-4,203,county
";

const LEVELS: &str = r#"
[[hierarchy.levels]]
name = "province"
cadres = 7

[[hierarchy.levels]]
name = "prefecture"
cadres = 5

[[hierarchy.levels]]
name = "county"
cadres = 4
"#;

/// Write a scenario using `tree` (as `units.csv` beside it) and return its path.
fn scenario(dir: &Path, tree: &str, extra: &str) -> std::path::PathBuf {
    fs::write(dir.join("units.csv"), tree).unwrap();
    let path = dir.join("tree.toml");
    let text = format!(
        "[run]\nsteps = 40\nburn_in = 20\nreplicates = 2\n\n[hierarchy]\ntree = \"units.csv\"\n{extra}\n{LEVELS}"
    );
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_tree_loads_with_its_counts() {
    let dir = TempDir::new().unwrap();
    let loaded = cadresim::scenario::load(&scenario(dir.path(), TREE, "")).unwrap();
    let size = Size::of(&loaded.params.hierarchy).unwrap();
    // 2 provinces x 7 + 4 prefectures x 5 + 7 counties x 4.
    assert_eq!((size.units, size.cadres), (13, 14 + 20 + 28));
    // Peer groups: the provinces; prefectures under each province; counties under 101, 201
    // and 203 (202 has none).
    assert_eq!(size.groups, 1 + 2 + 3);
    let reference = loaded.params.hierarchy.tree.as_ref().unwrap();
    assert_eq!(reference.sha256.len(), 64);
    assert!(reference.file.ends_with("units.csv"));
}

fn run(dir: &Path, scenario: &Path, name: &str, threads: &str) -> Vec<u8> {
    let out = dir.join(name);
    let output = cadresim()
        .arg("run")
        .arg(scenario)
        .args(["--threads", threads, "--out"])
        .arg(&out)
        .output()
        .unwrap();
    succeeded(&output);
    fs::read(out.join("timeseries.csv")).unwrap()
}

#[test]
fn an_uneven_tree_gives_the_same_bytes_for_any_thread_count_and_replays() {
    let dir = TempDir::new().unwrap();
    let path = scenario(dir.path(), TREE, "");
    let one = run(dir.path(), &path, "one", "1");
    let two = run(dir.path(), &path, "two", "2");
    assert_eq!(one, two);
    let text = String::from_utf8(one).unwrap();
    assert!(text.contains(",prefecture,") && text.contains(",county,"));
    // The manifest records the tree by path and hash; replay reads it again.
    let output = cadresim()
        .arg("replay")
        .arg(dir.path().join("one/manifest.json"))
        .output()
        .unwrap();
    succeeded(&output);
    // A changed tree file is noticed by replay.
    fs::write(
        dir.path().join("units.csv"),
        TREE.replace("North-a-2", "Changed"),
    )
    .unwrap();
    let output = cadresim()
        .arg("replay")
        .arg(dir.path().join("one/manifest.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("has changed since it was recorded"),
        "{stderr}"
    );
}

/// Run a scenario that must be refused; returns its one-line error.
fn refused(path: &Path) -> String {
    let dir = TempDir::new().unwrap();
    let output = cadresim()
        .arg("run")
        .arg(path)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(!dir.path().join("out").exists(), "nothing is written");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    stderr
}

#[test]
fn every_bad_tree_is_refused_in_one_line() {
    let head = "code,name,parent,level\n1,a,,province\n101,b,1,prefecture\n";
    let cases = [
        (
            format!("{head}10101,c,109,county\n"),
            "line 4: the parent \"109\" of unit \"10101\" is not a code in the file",
        ),
        (
            format!("{head}10101,c,10102,county\n10102,d,10101,county\n"),
            "is its own ancestor (10101 -> 10102 -> 10101)",
        ),
        (
            format!("{head}101,c,1,prefecture\n10101,d,101,county\n"),
            "line 4: code \"101\" repeats line 3",
        ),
        (
            format!("{head}10101,c,1,county\n"),
            "line 4: unit \"10101\" is a county but its parent \"1\" is a province",
        ),
        ("code,name,parent,level\n".to_string(), "has no units"),
        (head.to_string(), "has no unit of level \"county\""),
    ];
    for (tree, expected) in cases {
        let dir = TempDir::new().unwrap();
        let message = refused(&scenario(dir.path(), &tree, ""));
        assert!(message.contains("tree.toml: `hierarchy.tree`"), "{message}");
        assert!(message.contains("units.csv: "), "{message}");
        assert!(message.contains(expected), "{message} lacks {expected}");
    }
}

#[test]
fn branching_with_a_tree_and_a_missing_file_are_refused() {
    let dir = TempDir::new().unwrap();
    let path = scenario(dir.path(), TREE, "");
    let text =
        fs::read_to_string(&path)
            .unwrap()
            .replacen("cadres = 7", "cadres = 7\nbranching = 2", 1);
    fs::write(&path, text).unwrap();
    let message = refused(&path);
    assert!(
        message.contains("`hierarchy.levels` level 0 (\"province\") has `branching`, which a tree of units does not allow"),
        "{message}"
    );
    fs::remove_file(dir.path().join("units.csv")).unwrap();
    let path = dir.path().join("missing.toml");
    fs::write(
        &path,
        format!("[hierarchy]\ntree = \"nowhere.csv\"\n{LEVELS}"),
    )
    .unwrap();
    let message = refused(&path);
    assert!(message.contains("nowhere.csv: cannot read it"), "{message}");
}

#[test]
fn a_tree_too_large_for_memory_is_refused_before_running() {
    let dir = TempDir::new().unwrap();
    let big = LEVELS.replace("cadres = 4\n", "cadres = 400000000\n");
    fs::write(dir.path().join("units.csv"), TREE).unwrap();
    let path = dir.path().join("big.toml");
    fs::write(
        &path,
        format!("[run]\nreplicates = 1\n[hierarchy]\ntree = \"units.csv\"\n{big}"),
    )
    .unwrap();
    let message = refused(&path);
    assert!(message.contains("the run would need about"), "{message}");
}

#[test]
fn the_china_scenario_has_the_real_counts() {
    let loaded = cadresim::scenario::load(Path::new("scenarios/china.toml")).unwrap();
    let size = Size::of(&loaded.params.hierarchy).unwrap();
    assert_eq!(size.units, 31 + 342 + 2_978 + 41_352);
    assert_eq!(
        size.cadres,
        31 * 9_000 + 342 * 4_500 + 2_978 * 900 + 41_352 * 65
    );
    assert!((7_000_000..7_400_000).contains(&size.cadres));
}

/// The columns `timeseries.csv` and `summary.csv` had when the hashes below were recorded;
/// later columns (docs/MODEL.md §7.14) are left out before hashing.
const TIMESERIES_COLUMNS: &str = "scenario,replicate,step,level,share_idle,share_routine,share_innovating,mean_innovation,mean_attainment,share_missed,output,damage,private_gain,welfare,mean_payoff,errors,detected,sanctioned,exempted,wrongly_exempted,wrongly_sanctioned,veto_events,caught_idle,dismissals,abuse_rate,markup";
const SUMMARY_COLUMNS: &str = "scenario,replicate,level,share_idle,share_routine,share_innovating,mean_innovation,mean_attainment,share_missed,output,damage,private_gain,welfare,mean_payoff,errors,detected,sanctioned,exempted,wrongly_exempted,wrongly_sanctioned,veto_events,caught_idle,dismissals,abuse_rate,markup,converged_at,settled,class";

/// SHA-256 (hex) of a CSV file (plain cells, no quoting) cut down to `columns`, in order.
fn hash_of_columns(path: &Path, columns: &str) -> String {
    use sha2::{Digest, Sha256};
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let keep: Vec<usize> = columns
        .split(',')
        .map(|c| header.iter().position(|h| *h == c).unwrap())
        .collect();
    let mut kept = format!("{columns}\n");
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let row: Vec<&str> = keep.iter().map(|&i| cells[i]).collect();
        kept.push_str(&row.join(","));
        kept.push('\n');
    }
    Sha256::digest(kept.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 of `timeseries.csv` and `summary.csv` of two uniform scenarios, recorded before
/// hierarchies could be trees: the generalisation must not change a byte. (Re-recorded when
/// floats gained their decimal point, `4` becoming `4.0`: the old hashes were reproduced
/// from the new files by writing each float back in the old form.) Columns added since are
/// left out.
#[test]
fn uniform_hierarchies_keep_their_bytes() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let output = cadresim()
        .args([
            "run",
            "scenarios/pressure.toml",
            "scenarios/adaptive-markup.toml",
        ])
        .args(["--steps", "40", "--replicates", "2", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    succeeded(&output);
    assert_eq!(
        hash_of_columns(&out.join("timeseries.csv"), TIMESERIES_COLUMNS),
        "e42d93bde2df7249eb2819b8d555009a6fffc6486f10665ec092a1201b811119"
    );
    assert_eq!(
        hash_of_columns(&out.join("summary.csv"), SUMMARY_COLUMNS),
        "5951aba6c8212d1e5dc5d695bbf379eaf270bb609eda79d85c00950337fff904"
    );
}

/// Run the uneven tree with `by_unit` (or without); returns the output directory.
fn run_by_unit(dir: &Path, by_unit: Option<&str>, threads: &str) -> std::path::PathBuf {
    let name = format!("{}-{threads}", by_unit.unwrap_or("none"));
    let extra = by_unit
        .map(|level| format!("\n[output]\nby_unit = \"{level}\"\n"))
        .unwrap_or_default();
    let sub = dir.join(&name);
    fs::create_dir_all(&sub).unwrap();
    let path = scenario(&sub, TREE, &extra);
    let out = sub.join("out");
    let output = cadresim()
        .arg("run")
        .arg(&path)
        .args(["--threads", threads, "--out"])
        .arg(&out)
        .output()
        .unwrap();
    succeeded(&output);
    out
}

/// Sum of `metric` per (replicate, step) over the rows of `path` that pass `keep`.
fn sums(
    path: &Path,
    metric: &str,
    keep: impl Fn(&csv::StringRecord, &csv::StringRecord) -> bool,
) -> std::collections::BTreeMap<(String, String), f64> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (replicate, step, value) = (column("replicate"), column("step"), column(metric));
    let mut totals = std::collections::BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        if keep(&header, &record) {
            let key = (record[replicate].to_string(), record[step].to_string());
            *totals.entry(key).or_insert(0.0) += record[value].parse::<f64>().unwrap();
        }
    }
    totals
}

fn level_is(header: &csv::StringRecord, record: &csv::StringRecord, levels: &[&str]) -> bool {
    let level = header.iter().position(|h| h == "level").unwrap();
    levels.contains(&&record[level])
}

#[test]
fn units_recorded_one_by_one_add_up_to_their_levels() {
    let dir = TempDir::new().unwrap();
    let plain = run_by_unit(dir.path(), None, "2");
    let provinces = run_by_unit(dir.path(), Some("province"), "2");
    let prefectures = run_by_unit(dir.path(), Some("prefecture"), "1");
    // Recording units changes nothing else.
    for name in ["timeseries.csv", "summary.csv", "equilibrium.csv"] {
        assert_eq!(
            fs::read(plain.join(name)).unwrap(),
            fs::read(provinces.join(name)).unwrap(),
            "{name}"
        );
    }
    assert!(!plain.join("timeseries_by_unit.csv").exists());
    let series = fs::read_to_string(provinces.join("timeseries_by_unit.csv")).unwrap();
    assert!(series.starts_with("scenario,replicate,step,unit_code,unit_name,level,share_idle,"));
    assert!(series.contains("\ntree,0,0,1,North,province,"));
    for metric in [
        "errors",
        "sanctioned",
        "dismissals",
        "veto_events",
        "output",
    ] {
        let all = sums(&plain.join("timeseries.csv"), metric, |h, r| {
            level_is(h, r, &["all"])
        });
        let by_province = sums(&provinces.join("timeseries_by_unit.csv"), metric, |_, _| {
            true
        });
        let below = sums(&plain.join("timeseries.csv"), metric, |h, r| {
            level_is(h, r, &["prefecture", "county"])
        });
        let by_prefecture = sums(
            &prefectures.join("timeseries_by_unit.csv"),
            metric,
            |_, _| true,
        );
        assert_eq!(all.len(), 2 * 40);
        for (key, total) in &all {
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
            assert!(close(by_province[key], *total), "{metric} {key:?}");
            assert!(close(by_prefecture[key], below[key]), "{metric} {key:?}");
        }
    }
    let summary = fs::read_to_string(provinces.join("summary_by_unit.csv")).unwrap();
    assert_eq!(
        summary.lines().count(),
        1 + 2 * 2,
        "2 replicates x 2 provinces"
    );
    let ranking = fs::read_to_string(provinces.join("charts/units_ranking_tree.svg")).unwrap();
    assert!(
        ranking.contains("95% CI over replicates"),
        "2 replicates: intervals"
    );
    assert!(provinces.join("charts/units_over_time_tree.png").exists());
    // The same bytes for one thread.
    let one = run_by_unit(&dir.path().join("again"), Some("province"), "1");
    assert_eq!(
        fs::read(one.join("timeseries_by_unit.csv")).unwrap(),
        fs::read(provinces.join("timeseries_by_unit.csv")).unwrap()
    );
}

#[test]
fn by_unit_must_name_a_level() {
    let dir = TempDir::new().unwrap();
    let path = scenario(dir.path(), TREE, "\n[output]\nby_unit = \"village\"\n");
    let message = refused(&path);
    assert!(
        message.contains("`output.by_unit` must be a level of hierarchy.levels (province, prefecture, county), got \"village\""),
        "{message}"
    );
}

#[test]
fn a_schedule_with_where_changes_only_the_selected_subtrees() {
    let dir = TempDir::new().unwrap();
    let by_prefecture = "\n[output]\nby_unit = \"prefecture\"\n";
    let run_with = |name: &str, schedule: &str| {
        let sub = dir.path().join(name);
        fs::create_dir_all(&sub).unwrap();
        let path = scenario(&sub, TREE, by_prefecture);
        let text = fs::read_to_string(&path).unwrap() + schedule;
        fs::write(&path, text).unwrap();
        let out = sub.join("out");
        let output = cadresim()
            .arg("run")
            .arg(&path)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        succeeded(&output);
        fs::read_to_string(out.join("timeseries_by_unit.csv")).unwrap()
    };
    let plain = run_with("plain", "");
    let north = run_with(
        "north",
        "\n[[schedule]]\nat = 5\nwhere = { province = [\"North\"] }\nset = { \"fault_tolerance.enabled\" = true, \"accountability.penalty\" = 2.0 }\n",
    );
    let rows = |text: &str, code: &str| -> Vec<String> {
        text.lines()
            .filter(|line| line.split(',').nth(3) == Some(code))
            .map(str::to_string)
            .collect()
    };
    // South's prefectures (and everything under them) are untouched; North's is changed.
    for code in ["201", "202", "203"] {
        assert_eq!(rows(&plain, code), rows(&north, code), "{code}");
    }
    assert_ne!(rows(&plain, "101"), rows(&north, "101"));
    // Before step 5 nothing differs anywhere.
    let early = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|line| {
                line.split(',')
                    .nth(2)
                    .is_some_and(|s| s.parse::<u32>().is_ok_and(|s| s < 5))
            })
            .map(str::to_string)
            .collect()
    };
    assert_eq!(early(&plain), early(&north));
}

#[test]
fn a_where_that_cannot_apply_is_refused() {
    let cases = [
        ("where = { province = [\"East\"] }\nset = { \"accountability.penalty\" = 2.0 }", "`schedule[0].where` `province` has no unit with code or name \"East\""),
        ("where = { district = [\"1\"] }\nset = { \"accountability.penalty\" = 2.0 }", "names the level `district`, which is not one of province, prefecture, county"),
        ("where = { province = [\"1\"] }\nset = { \"incentives.promotion_quota\" = 0.3 }", "`schedule[0].set.incentives.promotion_quota` cannot be set for part of the hierarchy (`where`): a peer group holds one tournament"),
        ("where = { province = [\"1\"] }\nset = { \"behaviour.explore\" = 0.1 }", "cannot be set for part of the hierarchy (`where`): how cadres learn"),
    ];
    for (entry, expected) in cases {
        let dir = TempDir::new().unwrap();
        let path = scenario(dir.path(), TREE, "");
        let text = fs::read_to_string(&path).unwrap() + "\n[[schedule]]\nat = 5\n" + entry + "\n";
        fs::write(&path, text).unwrap();
        let message = refused(&path);
        assert!(message.contains(expected), "{message} lacks {expected}");
    }
}

#[test]
fn a_run_with_where_replays() {
    let dir = TempDir::new().unwrap();
    let path = scenario(dir.path(), TREE, "");
    let text = fs::read_to_string(&path).unwrap()
        + "\n[[schedule]]\nat = 5\nwhere = { province = [\"South\"] }\nset = { \"fault_tolerance.enabled\" = true }\n";
    fs::write(&path, text).unwrap();
    run(dir.path(), &path, "out", "2");
    let manifest = fs::read_to_string(dir.path().join("out/manifest.json")).unwrap();
    assert!(manifest.contains("\"where\": {\n"), "{manifest}");
    let output = cadresim()
        .arg("replay")
        .arg(dir.path().join("out/manifest.json"))
        .output()
        .unwrap();
    succeeded(&output);
}

#[test]
fn staggered_adoption_runs_and_labels_units_the_font_can_draw() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let output = cadresim()
        .args(["run", "scenarios/staggered-adoption.toml"])
        .args(["--steps", "100", "--replicates", "1", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    succeeded(&output);
    let svg = fs::read_to_string(out.join("charts/behaviour-staggered-adoption.svg")).unwrap();
    // 广东省 is named in the file; the chart shows its code (the font has no CJK glyphs).
    assert!(svg.contains("step 60 (province 33, 44, 51, 35):"), "legend");
    let summary = fs::read_to_string(out.join("summary_by_unit.csv")).unwrap();
    assert_eq!(summary.lines().count(), 1 + 31);
    assert!(summary.contains(",44,广东省,province,"));
}

#[test]
fn a_single_replicate_ranking_promises_no_interval() {
    let dir = TempDir::new().unwrap();
    let path = scenario(dir.path(), TREE, "\n[output]\nby_unit = \"province\"\n");
    let out = dir.path().join("out");
    let output = cadresim()
        .arg("run")
        .arg(&path)
        .args(["--replicates", "1", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    succeeded(&output);
    let ranking = fs::read_to_string(out.join("charts/units_ranking_tree.svg")).unwrap();
    assert!(ranking.contains("one replicate: no interval"), "caption");
    assert!(!ranking.contains("95% CI"), "no interval is promised");
}
