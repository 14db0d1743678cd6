//! What commands do to the directories they read and write: no `--out` that eats an input,
//! no directory touched before its input is validated, `--force` removing exactly what
//! cadresim wrote (its leftover temporary files and stale discoveries included), manifests
//! that match their files after every analysis or redraw, and locks on every writer. Each
//! test reproduces the misuse on real files.

use std::fs;
use std::path::Path;

use crate::common;
use common::{cadresim, Files, SMALL, SWEEP};

/// Run cadresim; returns (exit code, stderr).
fn run(args: &[&str]) -> (i32, String) {
    let output = cadresim().args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn succeeds(args: &[&str]) {
    let (code, message) = run(args);
    assert_eq!(code, 0, "{args:?}: {message}");
}

fn one_line_refusal((code, message): (i32, String), needle: &str) {
    assert_eq!(code, 2, "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(message.contains(needle), "{message}");
}

/// Every file under `dir` (relative paths, sorted).
fn listing(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap();
                found.push(relative.display().to_string());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn discover_refuses_an_output_that_is_or_contains_its_sweep() {
    let files = Files::new();
    let sweep = files.arg("s");
    succeeds(&["sweep", &files.arg("sweep.toml"), "--out", &sweep]);
    let before = listing(&files.path("s"));
    for out in [sweep.clone(), files.arg(""), format!("{sweep}/parts/..")] {
        let refused = run(&[
            "discover",
            &sweep,
            "--where",
            "mean_innovation < 0.5",
            "--out",
            &out,
            "--force",
        ]);
        one_line_refusal(refused, "is or contains the sweep directory");
    }
    assert_eq!(listing(&files.path("s")), before);
}

#[test]
fn an_experiments_run_name_cannot_reach_outside_the_reproduction() {
    let files = Files::new();
    fs::create_dir(files.path("victim")).unwrap();
    fs::write(files.path("victim/summary.csv"), "theirs").unwrap();
    fs::write(
        files.path("experiments.toml"),
        "[[run]]\nname = \"../../victim\"\nfiles = [\"small.toml\"]\n",
    )
    .unwrap();
    let refused = run(&[
        "reproduce",
        "--quick",
        "--experiments",
        &files.arg("experiments.toml"),
        "--out",
        &files.arg("rep"),
    ]);
    one_line_refusal(refused, "run[0].name` must be 1-100 characters");
    assert_eq!(
        fs::read_to_string(files.path("victim/summary.csv")).unwrap(),
        "theirs"
    );
    assert!(!files.path("rep").exists());
}

/// A scenario whose `where` entries divide the hierarchy into 257 parts: it loads, but its
/// plan is refused.
/// 300 counties, `entries` of them each under a `where` entry of its own: `entries` + 1
/// regimes (the units no `where` selects are one more).
fn regimes(entries: usize) -> String {
    let mut text = SMALL.replace("branching = 3", "branching = 300");
    for k in 1..=entries {
        text += &format!(
            "\n[[schedule]]\nat = 5\nwhere = {{ county = [\"{k}\"] }}\nset = {{ \"accountability.detection\" = {} }}\n",
            0.2 + k as f64 / 1000.0
        );
    }
    text
}

#[test]
fn a_schedule_may_divide_the_hierarchy_into_256_regimes_and_no_more() {
    let files = Files::new();
    fs::write(files.path("most.toml"), regimes(255)).unwrap();
    fs::write(files.path("many.toml"), regimes(256)).unwrap();
    let (most, many) = (files.arg("most.toml"), files.arg("many.toml"));
    let short = ["--steps", "6", "--replicates", "1"];
    succeeds(&[&["run", &most, "--out", &files.arg("most")][..], &short].concat());
    let refused = run(&[&["run", &many, "--out", &files.arg("many")][..], &short].concat());
    one_line_refusal(refused, "more than 256 parts");
}

#[test]
fn force_validates_everything_before_touching_the_directory() {
    let files = Files::new();
    fs::write(files.path("many.toml"), regimes(256)).unwrap();
    fs::write(
        files.path("many-sweep.toml"),
        SWEEP.replace("small.toml", "many.toml"),
    )
    .unwrap();
    let (run_dir, sweep_dir) = (files.arg("r"), files.arg("s"));
    succeeds(&["run", &files.arg("small.toml"), "--out", &run_dir]);
    succeeds(&["sweep", &files.arg("sweep.toml"), "--out", &sweep_dir]);
    let before = (listing(&files.path("r")), listing(&files.path("s")));
    let refused = run(&["run", &files.arg("many.toml"), "--out", &run_dir, "--force"]);
    one_line_refusal(refused, "more than 256 parts");
    let sweep = files.arg("many-sweep.toml");
    let refused = run(&["sweep", &sweep, "--out", &sweep_dir, "--force"]);
    one_line_refusal(refused, "more than 256 parts");
    assert_eq!(
        (listing(&files.path("r")), listing(&files.path("s"))),
        before
    );
}

#[test]
fn reproduce_resume_refuses_a_directory_that_holds_no_reproduction() {
    let files = Files::new();
    fs::write(
        files.path("experiments.toml"),
        "[quick]\nreplicates = 2\nsteps = 20\n\n[[run]]\nname = \"small\"\nfiles = [\"small.toml\"]\n",
    )
    .unwrap();
    let experiments = files.arg("experiments.toml");
    let reproduce = |out: &str, extra: &str| {
        run(&[
            "reproduce",
            "--quick",
            "--experiments",
            &experiments,
            "--out",
            out,
            extra,
        ])
    };
    let docs = files.path("docs");
    fs::create_dir_all(docs.join("figures")).unwrap();
    fs::write(docs.join("RESULTS.md"), "mine").unwrap();
    fs::write(docs.join("figures/a.png"), "mine").unwrap();
    let before = listing(&docs);
    let refused = reproduce(&files.arg("docs"), "--resume");
    one_line_refusal(refused, "no unfinished `reproduce` run");
    assert_eq!(listing(&docs), before);
    assert_eq!(fs::read_to_string(docs.join("RESULTS.md")).unwrap(), "mine");
    // A reproduction, interrupted or not, resumes; so does a missing directory.
    let out = files.arg("rep");
    assert_eq!(reproduce(&out, "--resume").0, 0);
    fs::remove_file(files.path("rep/RESULTS.md")).unwrap();
    assert_eq!(reproduce(&out, "--resume").0, 0);
    assert!(files.path("rep/RESULTS.md").exists());
}

/// A Morris sweep over the small scenario: 4 trajectories of 3 points.
const MORRIS: &str = r#"
base = "small.toml"

[sweep]
design = "morris"
trajectories = 4
replicates = 2

[[sweep.axis]]
param = "accountability.penalty"
from = 1.0
to = 12.0

[[sweep.axis]]
param = "accountability.detection"
from = 0.2
to = 0.8
"#;

/// The manifest's listed files: each must exist with its recorded SHA-256.
fn listed_files_match(dir: &Path) -> Vec<String> {
    let text = fs::read_to_string(dir.join("manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    let listed = manifest["files"].as_object().unwrap();
    for (name, hash) in listed {
        let bytes = fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let digest = cadresim::output::manifest::sha256_hex(&bytes);
        assert_eq!(
            hash.as_str(),
            Some(digest.as_str()),
            "{name} differs from its hash"
        );
    }
    listed.keys().cloned().collect()
}

/// The files of `dir/charts` whose names start with `prefix`.
fn charts_named(dir: &Path, prefix: &str) -> Vec<String> {
    listing(&dir.join("charts"))
        .into_iter()
        .filter(|name| name.starts_with(prefix))
        .collect()
}

#[test]
fn a_new_sensitivity_analysis_replaces_the_old_one_and_its_manifest_stays_true() {
    let files = Files::new();
    fs::write(files.path("morris.toml"), MORRIS).unwrap();
    let (dir, out) = (files.path("m"), files.arg("m"));
    succeeds(&["sweep", &files.arg("morris.toml"), "--out", &out]);
    assert_eq!(charts_named(&dir, "sensitivity").len(), 16);
    succeeds(&[
        "sensitivity",
        &out,
        "--metric",
        "welfare",
        "--level",
        "county",
    ]);
    assert_eq!(
        charts_named(&dir, "sensitivity"),
        [
            "sensitivity-convergence-welfare.png",
            "sensitivity-convergence-welfare.svg",
            "sensitivity-welfare.png",
            "sensitivity-welfare.svg"
        ]
    );
    let listed = listed_files_match(&dir);
    let charts: Vec<&String> = listed
        .iter()
        .filter(|n| n.contains("sensitivity-"))
        .collect();
    assert_eq!(charts.len(), 4, "{listed:?}");
    // An analysis that fails half-way (a chart cannot be written) leaves a manifest that is
    // true of every file it lists.
    fs::create_dir_all(dir.join("charts/sensitivity-share_idle.png/x")).unwrap();
    let (code, message) = run(&["sensitivity", &out, "--metric", "share_idle"]);
    assert_eq!(code, 1, "{message}");
    let listed = listed_files_match(&dir);
    assert!(
        !listed.contains(&"sensitivity.csv".to_string()),
        "{listed:?}"
    );
    // A directory that does not exist is refused, never created.
    let typo = files.path("typo/m");
    let refused = run(&["sensitivity", &typo.display().to_string()]);
    one_line_refusal(refused, "no such directory");
    assert!(!files.path("typo").exists());
}

#[test]
fn plot_keeps_the_manifest_true_and_plot_and_compare_take_the_lock() {
    let files = Files::new();
    let (a, b) = (files.arg("a"), files.arg("b"));
    succeeds(&["run", &files.arg("small.toml"), "--out", &a]);
    succeeds(&["run", &files.arg("small.toml"), "--out", &b, "--seed", "7"]);
    succeeds(&["plot", &a, "--size", "800x500"]);
    listed_files_match(&files.path("a"));
    succeeds(&["replay", &files.arg("a/manifest.json")]);
    let handle = fs::File::open(files.path("a")).unwrap();
    handle.lock().unwrap();
    one_line_refusal(run(&["plot", &a]), "another cadresim command is writing");
    handle.unlock().unwrap();
    let c = files.arg("c");
    fs::create_dir(files.path("c")).unwrap();
    let handle = fs::File::open(files.path("c")).unwrap();
    handle.lock().unwrap();
    let refused = run(&["compare", &a, &files.arg("a"), "--out", &c]);
    one_line_refusal(refused, "another cadresim command is writing");
    handle.unlock().unwrap();
}

#[test]
fn compare_refuses_a_non_empty_output_unless_forced_and_never_its_inputs() {
    let files = Files::new();
    let (a, b, c) = (files.arg("a"), files.arg("b"), files.arg("c"));
    succeeds(&["run", &files.arg("small.toml"), "--out", &a]);
    succeeds(&["run", &files.arg("small.toml"), "--out", &b]);
    succeeds(&["compare", &a, &b, "--out", &c]);
    one_line_refusal(
        run(&["compare", &a, &b, "--out", &c]),
        "a result already exists",
    );
    succeeds(&["compare", &a, &b, "--out", &c, "--force"]);
    let before = listing(&files.path("a"));
    let refused = run(&["compare", &a, &b, "--out", &a, "--force"]);
    one_line_refusal(refused, "is or contains the result directory");
    assert_eq!(listing(&files.path("a")), before);
}

#[test]
fn force_removes_leftover_temporary_files_and_stale_discoveries() {
    let files = Files::new();
    let (s, r) = (files.arg("s"), files.arg("r"));
    succeeds(&["sweep", &files.arg("sweep.toml"), "--out", &s]);
    succeeds(&["discover", &s, "--where", "mean_innovation < 0.5"]);
    let discovery = files.path("s/discover-mean_innovation-lt-0.5");
    assert!(discovery.join("manifest.json").exists());
    fs::create_dir(files.path("s/discover-mine")).unwrap();
    fs::write(files.path("s/discover-mine/notes.txt"), "kept").unwrap();
    succeeds(&["sweep", &files.arg("sweep.toml"), "--out", &s, "--force"]);
    assert!(!discovery.exists(), "a stale discovery was kept");
    assert!(files.path("s/discover-mine/notes.txt").exists());
    succeeds(&["run", &files.arg("small.toml"), "--out", &r]);
    for name in [
        ".summary.csv.a1B2c3.partial",
        ".manifest.json.zzzzzz.partial",
    ] {
        fs::write(files.path("r").join(name), "half").unwrap();
    }
    fs::write(files.path("r/.notes.partial"), "mine").unwrap();
    succeeds(&["run", &files.arg("small.toml"), "--out", &r, "--force"]);
    let left: Vec<String> = listing(&files.path("r"))
        .into_iter()
        .filter(|name| name.ends_with(".partial"))
        .collect();
    assert_eq!(left, [".notes.partial"]);
}

#[cfg(unix)]
#[test]
fn result_files_are_written_as_the_umask_allows() {
    use std::os::unix::fs::PermissionsExt;
    let files = Files::new();
    let binary = assert_cmd::cargo::cargo_bin("cadresim");
    let command = format!(
        "umask 022; exec '{}' run '{}' --out '{}'",
        binary.display(),
        files.arg("small.toml"),
        files.arg("r")
    );
    let output = std::process::Command::new("sh")
        .args(["-c", &command])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    for name in ["manifest.json", "summary.csv", "charts/equilibria.png"] {
        let mode = fs::metadata(files.path("r").join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "{name}");
    }
}
