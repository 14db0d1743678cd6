//! What a complete directory promises and what no command destroys: refusals under misuse,
//! damaged parts, locking, `--force` replacing exactly what cadresim wrote, merges that
//! cannot eat their inputs. Each test reproduces the misuse on real files.

use std::fs;
use std::path::Path;

use crate::common;
use common::{cadresim, Files, SMALL, SWEEP};

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Run cadresim; returns (exit code, stderr).
fn run(args: &[&str]) -> (i32, String) {
    let output = cadresim().args(args).output().unwrap();
    (output.status.code().unwrap_or(-1), stderr(&output))
}

fn one_line_refusal((code, message): (i32, String), needle: &str) {
    assert_eq!(code, 2, "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(message.contains(needle), "{message}");
}

#[test]
fn resume_refuses_a_directory_that_is_not_the_same_sweep() {
    let files = Files::new();
    let out = files.arg("d");
    assert_eq!(run(&["run", &files.arg("small.toml"), "--out", &out]).0, 0);
    let refused = run(&["sweep", &files.arg("sweep.toml"), "--out", &out, "--resume"]);
    one_line_refusal(refused, "no unfinished `sweep` run");
    // Nothing was lost.
    assert!(files.path("d/manifest.json").exists());
    assert!(files.path("d/charts").is_dir());
    // An empty or missing directory simply starts the sweep, and so does one holding only
    // what a command killed before it recorded its run left (a temporary file, empty parts).
    fs::create_dir(files.path("empty")).unwrap();
    fs::create_dir_all(files.path("leftover/parts")).unwrap();
    fs::write(files.path("leftover/.sweep.lock.json.abcdef.partial"), "{").unwrap();
    fs::write(
        files.path("leftover/parts/.point-000001.csv.ghijkl.partial"),
        "",
    )
    .unwrap();
    for dir in ["empty", "missing", "leftover"] {
        let out = files.arg(dir);
        let (code, message) = run(&["sweep", &files.arg("sweep.toml"), "--out", &out, "--resume"]);
        assert_eq!(code, 0, "{message}");
        assert!(files.path(dir).join("manifest.json").exists());
    }
    assert!(!files
        .path("leftover/.sweep.lock.json.abcdef.partial")
        .exists());
    // Without --resume too (it removes cadresim's temporary files, nothing else).
    fs::create_dir(files.path("killed")).unwrap();
    fs::write(files.path("killed/.summary.csv.abcdef.partial"), "").unwrap();
    let (code, message) = run(&[
        "run",
        &files.arg("small.toml"),
        "--out",
        &files.arg("killed"),
    ]);
    assert_eq!(code, 0, "{message}");
    // A finished sweep of the same file resumes as a no-op with identical tables.
    let before = fs::read(files.path("missing/sweep.csv")).unwrap();
    let out = files.arg("missing");
    assert_eq!(
        run(&["sweep", &files.arg("sweep.toml"), "--out", &out, "--resume"]).0,
        0
    );
    assert_eq!(fs::read(files.path("missing/sweep.csv")).unwrap(), before);
}

/// A finished sweep in `out`; returns its sweep.csv.
fn finished_sweep(files: &Files, out: &str) -> Vec<u8> {
    let (code, message) = run(&["sweep", &files.arg("sweep.toml"), "--out", out]);
    assert_eq!(code, 0, "{message}");
    fs::read(Path::new(out).join("sweep.csv")).unwrap()
}

/// Run the sweep as `outs.len()` shards, shard k into `outs[k - 1]`.
fn run_shards(files: &Files, outs: &[String]) {
    for (index, out) in outs.iter().enumerate() {
        let shard = format!("{}/{}", index + 1, outs.len());
        let sweep = files.arg("sweep.toml");
        let (code, message) = run(&["sweep", &sweep, "--out", out, "--shard", &shard]);
        assert_eq!(code, 0, "{message}");
    }
}

#[test]
fn damaged_parts_are_run_again_on_resume_and_refused_by_merge() {
    let files = Files::new();
    let out = files.arg("s");
    let complete = finished_sweep(&files, &out);
    let part = |id: usize| files.path(&format!("s/parts/point-{id:06}.csv"));
    // Truncate one part at a row boundary, empty another, copy a third over a fourth.
    let text = fs::read_to_string(part(0)).unwrap();
    let kept: Vec<&str> = text.lines().take(3).collect();
    fs::write(part(0), kept.join("\n") + "\n").unwrap();
    fs::write(part(1), "").unwrap();
    fs::copy(part(2), part(3)).unwrap();
    let output = cadresim()
        .args(["sweep", &files.arg("sweep.toml"), "--out", &out, "--resume"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let warnings = stderr(&output);
    for id in [0, 1, 3] {
        assert!(
            warnings.contains(&format!("point-{id:06}.csv")),
            "no warning for point {id}: {warnings}"
        );
    }
    assert!(!warnings.contains("point-000002.csv"), "{warnings}");
    assert_eq!(fs::read(files.path("s/sweep.csv")).unwrap(), complete);

    // The same damage in a shard makes merge refuse, naming the file.
    let shard = |k: usize| files.arg(&format!("shard-{k}"));
    run_shards(&files, &[shard(1), shard(2)]);
    let damaged = files.path("shard-1/parts/point-000000.csv");
    let text = fs::read_to_string(&damaged).unwrap();
    let kept: Vec<&str> = text.lines().take(2).collect();
    fs::write(&damaged, kept.join("\n") + "\n").unwrap();
    let (code, message) = run(&["merge", &shard(1), &shard(2), "--out", &files.arg("merged")]);
    assert_eq!(code, 1, "{message}");
    assert!(
        message.contains("shard-1/parts/point-000000.csv"),
        "{message}"
    );
    assert!(!files.path("merged/manifest.json").exists());
}

#[test]
fn merge_refuses_an_output_that_is_or_contains_an_input() {
    let files = Files::new();
    let shard = |k: usize| files.arg(&format!("shards/{k}"));
    run_shards(&files, &[shard(1), shard(2)]);
    let parts_before = fs::read_dir(files.path("shards/1/parts")).unwrap().count();
    for out in [shard(1), files.arg("shards"), format!("{}/../1", shard(2))] {
        let refused = run(&["merge", &shard(1), &shard(2), "--out", &out, "--force"]);
        one_line_refusal(refused, "merge into a new directory");
    }
    assert_eq!(
        fs::read_dir(files.path("shards/1/parts")).unwrap().count(),
        parts_before
    );
}

#[test]
fn a_second_writer_is_refused_while_a_directory_is_locked() {
    let files = Files::new();
    let out = files.path("locked");
    fs::create_dir(&out).unwrap();
    let handle = fs::File::open(&out).unwrap();
    handle.lock().unwrap();
    let out = out.display().to_string();
    let refused = run(&["run", &files.arg("small.toml"), "--out", &out, "--force"]);
    one_line_refusal(refused, "another cadresim command is writing");
    let refused = run(&["sweep", &files.arg("sweep.toml"), "--out", &out, "--resume"]);
    one_line_refusal(refused, "another cadresim command is writing");
    // Commands that add to an existing result (no --out) do not point to one.
    for command in ["plot", "sensitivity"] {
        let (code, message) = run(&[command, &out]);
        one_line_refusal((code, message.clone()), "wait for it to finish");
        assert!(!message.contains("--out"), "{message}");
        let (code, message) = run(&[command, &files.arg("small.toml")]);
        one_line_refusal(
            (code, message.clone()),
            "is not a directory; name a result directory",
        );
        assert!(!message.contains("--out"), "{message}");
    }
    assert_eq!(
        fs::read_dir(&out).unwrap().count(),
        0,
        "nothing was written"
    );
    handle.unlock().unwrap();
    assert_eq!(run(&["run", &files.arg("small.toml"), "--out", &out]).0, 0);
}

#[test]
fn force_never_clears_a_folder_that_holds_no_cadresim_result() {
    let files = Files::new();
    let out = files.arg("mine");
    fs::create_dir_all(files.path("mine/charts")).unwrap();
    fs::write(files.path("mine/charts/drawn.svg"), "kept").unwrap();
    fs::write(files.path("mine/RESULTS.md"), "kept").unwrap();
    fs::write(files.path("mine/paper.tex"), "kept").unwrap();
    let small = files.arg("small.toml");
    for force in [&[][..], &["--force"][..]] {
        let args = [&["run", &small, "--steps", "3", "--out", &out][..], force].concat();
        one_line_refusal(run(&args), "holds files that no cadresim command wrote");
    }
    for name in ["charts/drawn.svg", "RESULTS.md", "paper.tex"] {
        assert_eq!(
            fs::read_to_string(files.path(&format!("mine/{name}"))).unwrap(),
            "kept"
        );
    }
    // What a run killed before its manifest left is cleared by --force.
    fs::remove_file(files.path("mine/paper.tex")).unwrap();
    one_line_refusal(
        run(&["run", &small, "--steps", "3", "--out", &out]),
        "a result already exists there",
    );
    assert_eq!(
        run(&["run", &small, "--steps", "3", "--out", &out, "--force"]).0,
        0
    );
    // Replayed into its own directory: refused, even with --force.
    let manifest = files.arg("mine/manifest.json");
    one_line_refusal(
        run(&["replay", &manifest, "--out", &out, "--force"]),
        "is the directory of the manifest replayed",
    );
}

#[test]
fn force_replaces_what_cadresim_wrote_and_the_manifest_lists_every_chart() {
    let files = Files::new();
    let out = files.arg("r");
    fs::write(
        files.path("other.toml"),
        format!("name = \"other\"\n{SMALL}"),
    )
    .unwrap();
    assert_eq!(run(&["run", &files.arg("other.toml"), "--out", &out]).0, 0);
    fs::create_dir_all(files.path("r/notes")).unwrap();
    fs::write(files.path("r/notes/mine.txt"), "kept").unwrap();
    assert_eq!(
        run(&["run", &files.arg("small.toml"), "--out", &out, "--force"]).0,
        0
    );
    let charts: Vec<String> = fs::read_dir(files.path("r/charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        charts.iter().all(|name| !name.contains("other")),
        "old charts left: {charts:?}"
    );
    assert_eq!(
        fs::read_to_string(files.path("r/notes/mine.txt")).unwrap(),
        "kept"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(files.path("r/manifest.json")).unwrap()).unwrap();
    let listed = manifest["files"].as_object().unwrap();
    for chart in &charts {
        assert!(
            listed.contains_key(&format!("charts/{chart}")),
            "{chart} not in the manifest"
        );
    }
    let leftovers: Vec<_> = fs::read_dir(files.path("r"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn an_output_that_names_a_file_is_refused_with_exit_2() {
    let files = Files::new();
    one_line_refusal(
        run(&[
            "run",
            &files.arg("small.toml"),
            "--out",
            &files.arg("small.toml"),
        ]),
        "is not a directory",
    );
}

#[test]
fn replay_checks_the_files_on_disk_and_validates_the_manifest() {
    let files = Files::new();
    let out = files.arg("r");
    assert_eq!(run(&["run", &files.arg("small.toml"), "--out", &out]).0, 0);
    let manifest = files.arg("r/manifest.json");
    assert_eq!(run(&["replay", &manifest]).0, 0);
    // A file replaced after the run is reported, though the re-run still matches.
    let summary = fs::read(files.path("r/summary.csv")).unwrap();
    fs::write(files.path("r/timeseries.csv"), &summary).unwrap();
    let (code, message) = run(&["replay", &manifest]);
    assert_eq!(code, 1, "{message}");
    assert!(message.contains("timeseries.csv"), "{message}");
    assert!(message.contains("differ from its hashes"), "{message}");
    // Tampered parameters are refused as a scenario file would be, not simulated.
    let text = fs::read_to_string(&manifest).unwrap();
    for (from, to, key) in [
        (
            "\"innovation_levels\": 4",
            "\"innovation_levels\": 1000",
            "work.innovation_levels",
        ),
        ("\"branching\": 3", "\"branching\": 0", "hierarchy.levels"),
        (
            "\"penalty\": 8.0",
            "\"penalty\": 1e300",
            "accountability.penalty",
        ),
    ] {
        assert!(text.contains(from), "{from}");
        fs::write(files.path("tampered.json"), text.replace(from, to)).unwrap();
        one_line_refusal(run(&["replay", &files.arg("tampered.json")]), key);
    }
}

#[test]
fn a_base_schedule_that_changes_a_swept_parameter_is_refused() {
    let files = Files::new();
    fs::write(
        files.path("small.toml"),
        format!("{SMALL}\n[[schedule]]\nat = 20\nset = {{ \"accountability.penalty\" = 2.0 }}\n"),
    )
    .unwrap();
    let refused = run(&["sweep", &files.arg("sweep.toml"), "--out", &files.arg("s")]);
    one_line_refusal(refused, "accountability.penalty");
    assert!(!files.path("s").exists());
    fs::write(
        files.path("keep.toml"),
        SWEEP.replace("[sweep]\n", "[sweep]\nbase_schedule = \"keep\"\n"),
    )
    .unwrap();
    let (code, message) = run(&["sweep", &files.arg("keep.toml"), "--out", &files.arg("k")]);
    assert_eq!(code, 0, "{message}");
}

#[test]
fn values_that_would_give_non_finite_results_are_refused() {
    let files = Files::new();
    for (section, key, value) in [
        ("work", "innovation_gain", "1e308"),
        ("accountability", "penalty", "1e300"),
        ("work", "salary", "1e308"),
        ("targets", "central", "5e-324"),
        ("cadres", "capacity_sd", "50.0"),
    ] {
        let text = format!("{SMALL}\n[{section}]\n{key} = {value}\n");
        fs::write(files.path("bad.toml"), text).unwrap();
        let out = files.arg("bad");
        one_line_refusal(run(&["run", &files.arg("bad.toml"), "--out", &out]), key);
        assert!(!files.path("bad").exists());
    }
}

#[test]
fn sweeps_with_too_many_points_or_too_large_points_are_refused_before_writing() {
    let files = Files::new();
    let many = r#"
base = "small.toml"
[sweep]
[[sweep.axis]]
param = "accountability.penalty"
from = 0.5
to = 16.0
steps = 100000
[[sweep.axis]]
param = "accountability.detection"
from = 0.1
to = 0.9
steps = 100000
"#;
    fs::write(files.path("many.toml"), many).unwrap();
    one_line_refusal(
        run(&["sweep", &files.arg("many.toml"), "--out", &files.arg("m")]),
        "10000000000 points",
    );
    let huge = r#"
base = "small.toml"
[sweep]
[[sweep.axis]]
name = "size"
variants = { small = {}, huge = { "hierarchy.levels" = [{ name = "a", branching = 4000, cadres = 1000 }, { name = "b", branching = 1000, cadres = 1000 }] } }
"#;
    fs::write(files.path("huge.toml"), huge).unwrap();
    one_line_refusal(
        run(&["sweep", &files.arg("huge.toml"), "--out", &files.arg("h")]),
        "of memory",
    );
    assert!(!files.path("m").exists() && !files.path("h").exists());
}

#[test]
fn crafted_result_directories_cannot_make_plot_write_elsewhere_or_exhaust_memory() {
    let files = Files::new();
    let out = files.arg("r");
    assert_eq!(run(&["run", &files.arg("small.toml"), "--out", &out]).0, 0);
    let original = fs::read_to_string(files.path("r/timeseries.csv")).unwrap();
    // A scenario name that is a path.
    let crafted = original.replace("\nsmall,", "\n../../escaped,");
    fs::write(files.path("r/timeseries.csv"), crafted).unwrap();
    let (code, message) = run(&["plot", &out]);
    assert_ne!(code, 0, "{message}");
    assert!(message.contains("not one cadresim writes"), "{message}");
    assert!(
        !files.path("escaped.png").exists() && !files.dir.path().join("../escaped.png").exists()
    );
    // A step no file of that size could hold.
    let crafted = original.replacen("\nsmall,0,0,", "\nsmall,0,99999999999,", 1);
    fs::write(files.path("r/timeseries.csv"), crafted).unwrap();
    let (code, message) = run(&["plot", &out]);
    assert_ne!(code, 0, "{message}");
    assert!(
        message.contains("more than the file could hold"),
        "{message}"
    );
    // A charts folder that is a link to somewhere else is not written through.
    fs::write(files.path("r/timeseries.csv"), &original).unwrap();
    fs::remove_dir_all(files.path("r/charts")).unwrap();
    fs::create_dir(files.path("elsewhere")).unwrap();
    std::os::unix::fs::symlink(files.path("elsewhere"), files.path("r/charts")).unwrap();
    one_line_refusal(run(&["plot", &out]), "symbolic link");
    assert_eq!(fs::read_dir(files.path("elsewhere")).unwrap().count(), 0);
}

#[test]
fn compare_gives_same_named_directories_distinct_charts() {
    let files = Files::new();
    for group in ["a", "b"] {
        let out = files.arg(&format!("{group}/default"));
        assert_eq!(run(&["run", &files.arg("small.toml"), "--out", &out]).0, 0);
    }
    let (code, message) = run(&[
        "compare",
        &files.arg("a/default"),
        &files.arg("b/default"),
        "--out",
        &files.arg("cmp"),
    ]);
    assert_eq!(code, 0, "{message}");
    assert!(files.path("cmp/behaviour-default-small.png").exists());
    assert!(files.path("cmp/behaviour-default-2-small.png").exists());
    // Another command's result is refused by name, not reported as damaged.
    finished_sweep(&files, &files.arg("sweep"));
    let compare = ["compare", &files.arg("a/default"), &files.arg("sweep")];
    one_line_refusal(
        run(&[&compare[..], &["--out", &files.arg("cmp2")]].concat()),
        "holds the result of `cadresim sweep`; compare reads result directories of `cadresim run`",
    );
}

#[test]
fn errors_name_the_bad_value_and_stay_on_one_line() {
    let files = Files::new();
    let scope = format!(
        "{SMALL}\n[fault_tolerance]\nenabled = true\nscope = [\"exploratory\", \"bribery\"]\n"
    );
    fs::write(files.path("scope.toml"), scope).unwrap();
    one_line_refusal(
        run(&["run", &files.arg("scope.toml"), "--out", &files.arg("o")]),
        "\"bribery\"",
    );
    fs::write(files.path("key.toml"), "\"a\\nb\" = 1\n").unwrap();
    one_line_refusal(
        run(&["run", &files.arg("key.toml"), "--out", &files.arg("o")]),
        "a\\nb",
    );
    // A malformed manifest is reported by plot, not silently ignored.
    assert_eq!(
        run(&["run", &files.arg("small.toml"), "--out", &files.arg("r")]).0,
        0
    );
    fs::write(files.path("r/manifest.json"), "{ not json").unwrap();
    let (code, message) = run(&["plot", &files.arg("r")]);
    assert_eq!(code, 0, "{message}");
    assert!(message.contains("not a cadresim manifest"), "{message}");
}

#[test]
fn status_reports_each_shard_and_whether_they_can_be_merged() {
    let files = Files::new();
    let shard = |k: usize| files.arg(&format!("shards/shard-{k}"));
    run_shards(&files, &[shard(1)]);
    // Exit 0 once the shards can be merged, 3 while work remains.
    let status_code = |extra: &[&str], code: i32| {
        let mut args = vec!["status".to_string(), shard(1), shard(2)];
        args.extend(extra.iter().map(|s| s.to_string()));
        let output = cadresim().args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(code), "{}", stderr(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let status = |extra: &[&str]| status_code(extra, 3);
    let (code, message) = run(&["status", &files.arg("small.toml")]);
    one_line_refusal(
        (code, message.clone()),
        "is not a directory; name a result directory",
    );
    // Shard 1 of 1 was run; shard 2 does not exist yet.
    let text = status(&[]);
    assert!(text.contains("shard 1/1"), "{text}");
    assert!(text.contains("6/6 points done"), "{text}");
    assert!(text.contains("not started"), "{text}");
    assert!(text.contains("not mergeable yet"), "{text}");
    // Two shards of one sweep, one part damaged, then repaired by --resume.
    fs::remove_dir_all(files.path("shards")).unwrap();
    run_shards(&files, &[shard(1), shard(2)]);
    fs::write(files.path("shards/shard-2/parts/point-000001.csv"), "").unwrap();
    let text = status(&[]);
    assert!(text.contains("2/3 points done, 1 damaged"), "{text}");
    assert!(text.contains("1 point is not done yet"), "{text}");
    let sweep = files.arg("sweep.toml");
    let resumed = run(&[
        "sweep",
        &sweep,
        "--out",
        &shard(2),
        "--shard",
        "2/2",
        "--resume",
    ]);
    assert_eq!(resumed.0, 0, "{}", resumed.1);
    let json: serde_json::Value = serde_json::from_str(&status_code(&["--json"], 0)).unwrap();
    assert_eq!(json["mergeable"], true);
    assert_eq!(json["directories"][1]["done"], 3);
    let command = json["merge_command"].as_str().unwrap();
    assert!(command.starts_with("cadresim merge") && command.ends_with("--out output/sweep"));
}
