//! Golden outputs: the SHA-256 of every file that every bundled scenario, every bundled sweep,
//! a quick reproduction and a DiD study write, compared with `tests/golden/*.txt` (rust-analyzer's
//! expect-test pattern). A change that moves any output byte fails here, naming the files.
//! After an intended change, rewrite the expectations with
//! `CADRESIM_UPDATE_GOLDEN=1 cargo test --release --test integration golden::` and commit them with it.
//!
//! Runs are shortened (a fixed number of steps, two replicates) so the whole set takes well
//! under a minute; what varies between runs of the same build is normalised before hashing:
//! the output directory's path, the checkout's path, the build's commit, and the wall-clock
//! fields of manifests (`started`, `finished`).

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::{cadresim, succeeded};
use sha2::{Digest, Sha256};

/// Environment variable that rewrites the expectations instead of comparing with them.
const UPDATE: &str = "CADRESIM_UPDATE_GOLDEN";

/// Steps each bundled scenario runs here: enough to pass its last schedule entry.
const SCENARIOS: &[(&str, u64)] = &[
    ("adaptive-markup", 40),
    ("china", 2),
    ("china-history", 325),
    ("ft-blanket", 40),
    ("ft-incentives", 40),
    ("ft-no-correction", 40),
    ("ft-poor-screening", 40),
    ("ft-scoped", 40),
    ("history", 130),
    ("incentives", 40),
    ("lifelong", 40),
    ("pressure", 40),
    ("rational", 40),
    ("staggered-adoption", 100),
    ("staggered-adoption-china", 105),
    ("staggered-adoption-prefecture", 105),
];

/// The bundled sweeps (each point runs `--steps 12 --replicates 2`; a path keeps its own
/// steps per point).
const SWEEPS: &[&str] = &[
    "boundary-penalty",
    "critical-penalty",
    "lazy-trap",
    "mechanisms",
    "penalty-curve",
    "phase-diagram",
    "rational-vs-bounded",
    "screening",
    "sensitivity",
    "welfare-accountability",
];

/// A small scenario that runs until the long-run rule stops it (or its cap of 1,600 steps).
const UNTIL_SETTLED: &str = r#"
description = "golden: a small hierarchy run until settled"

[run]
until_settled = true
max_steps = 1600
replicates = 2

[[hierarchy.levels]]
name = "county"
branching = 3
cadres = 5

[[hierarchy.levels]]
name = "township"
branching = 4
cadres = 6
"#;

#[test]
fn every_bundled_scenario_writes_the_golden_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut hashes = BTreeMap::new();
    for (name, steps) in SCENARIOS {
        let out = dir.path().join(name);
        let file = format!("scenarios/{name}.toml");
        run(
            &[
                "run",
                &file,
                "--steps",
                &steps.to_string(),
                "--replicates",
                "2",
            ],
            &out,
        );
        hashes.extend(hash_tree(&out, name));
    }
    let out = dir.path().join("default");
    run(&["run", "--steps", "40", "--replicates", "2"], &out);
    hashes.extend(hash_tree(&out, "default"));
    let file = dir.path().join("until-settled.toml");
    fs::write(&file, UNTIL_SETTLED).unwrap();
    let out = dir.path().join("until-settled");
    run(&["run", file.to_str().unwrap()], &out);
    hashes.extend(hash_tree(&out, "until-settled"));
    expect(hashes, "tests/golden/run.txt");
}

#[test]
fn every_bundled_sweep_writes_the_golden_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut hashes = BTreeMap::new();
    for name in SWEEPS {
        let out = dir.path().join(name);
        let file = format!("scenarios/sweeps/{name}.toml");
        run(
            &["sweep", &file, "--steps", "12", "--replicates", "2"],
            &out,
        );
        hashes.extend(hash_tree(&out, name));
    }
    expect(hashes, "tests/golden/sweep.txt");
}

#[test]
fn a_quick_reproduction_writes_the_golden_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reproduce");
    run(&["reproduce", "--quick"], &out);
    expect(hash_tree(&out, "reproduce"), "tests/golden/reproduce.txt");
}

#[test]
fn a_did_study_writes_the_golden_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("did");
    let file = "scenarios/staggered-adoption-china.toml";
    run(&["did", file, "--replicates", "2"], &out);
    expect(hash_tree(&out, "did"), "tests/golden/did.txt");
}

/// The planted-truth calibration (the China calibration is too long for the tests: it is
/// checked to load in tests/calibrate.rs).
#[test]
fn a_calibration_writes_the_golden_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calibrate");
    run(&["calibrate", "scenarios/calibration/tiny.toml"], &out);
    expect(hash_tree(&out, "calibrate"), "tests/golden/calibrate.txt");
}

/// The bundled scenario, sweep and calibration files are exactly the ones listed above.
#[test]
fn the_golden_lists_name_every_bundled_file() {
    let stems = |dir: &str| -> Vec<String> {
        let mut stems: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "toml"))
            .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
            .filter(|stem| stem != "experiments")
            .collect();
        stems.sort();
        stems
    };
    let listed: Vec<&str> = SCENARIOS.iter().map(|(name, _)| *name).collect();
    assert_eq!(stems("scenarios"), listed);
    assert_eq!(stems("scenarios/sweeps"), SWEEPS);
    assert_eq!(
        stems("scenarios/calibration"),
        ["china", "tiny", "tiny-base"]
    );
}

/// Run the binary from the repository root into `out` on two threads.
fn run(args: &[&str], out: &Path) {
    let output = cadresim()
        .args(args)
        .arg("--out")
        .arg(out)
        .args(["--threads", "2"])
        .output()
        .unwrap();
    succeeded(&output);
}

/// `case/relative/path` -> SHA-256 (hex) of every file under `root`, normalised.
fn hash_tree(root: &Path, case: &str) -> BTreeMap<String, String> {
    let commit = build_commit(root);
    let mut hashes = BTreeMap::new();
    for path in files_under(root) {
        let relative = path.strip_prefix(root).unwrap().to_string_lossy();
        let bytes = normalised(&fs::read(&path).unwrap(), root, commit.as_deref());
        let digest = Sha256::digest(&bytes);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        hashes.insert(format!("{case}/{relative}"), hex);
    }
    hashes
}

/// The commit the first manifest under `root` records, if any (it differs from build to
/// build).
fn build_commit(root: &Path) -> Option<String> {
    let manifest = files_under(root)
        .into_iter()
        .find(|path| path.ends_with("manifest.json"))?;
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(manifest).ok()?).ok()?;
    Some(manifest.get("git_commit")?.as_str()?.to_string())
}

/// Every file under `root`, sorted.
fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// A file's bytes with what varies between runs of one build replaced: the output
/// directory's path and the commit in text, wall-clock fields in JSON.
fn normalised(bytes: &[u8], root: &Path, commit: Option<&str>) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return bytes.to_vec();
    };
    // The output directory, then the checkout (data files are recorded by absolute path).
    let mut text = text
        .replace(&root.display().to_string(), "<OUT>")
        .replace(env!("CARGO_MANIFEST_DIR"), "<REPO>");
    if let Some(commit) = commit.filter(|c| !c.is_empty()) {
        // The whole commit, then its 12-digit short form (RESULTS.md's provenance), each
        // with or without `-dirty` (a build from a changed work tree).
        let clean = commit.trim_end_matches("-dirty");
        let short = &clean[..clean.len().min(12)];
        for form in [commit, clean, &format!("{short}-dirty"), short] {
            text = text.replace(form, "<COMMIT>");
        }
    }
    if let Ok(mut json) = serde_json::from_str::<serde_json::Value>(&text) {
        if json.is_object() {
            drop_clock(&mut json);
            text = serde_json::to_string_pretty(&json).unwrap();
        }
    }
    text.into_bytes()
}

/// Remove the wall-clock fields of a JSON document, at any depth.
fn drop_clock(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|key, _| !matches!(key.as_str(), "started" | "finished"));
            map.values_mut().for_each(drop_clock);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_clock),
        _ => {}
    }
}

/// Compare with the expectations in `file` (or rewrite them with CADRESIM_UPDATE_GOLDEN=1),
/// failing with every file whose bytes changed, appeared or disappeared.
fn expect(hashes: BTreeMap<String, String>, file: &str) {
    let actual: String = hashes
        .iter()
        .map(|(path, hash)| format!("{hash}  {path}\n"))
        .collect();
    if std::env::var_os(UPDATE).is_some_and(|v| v == "1") {
        fs::create_dir_all(Path::new(file).parent().unwrap()).unwrap();
        fs::write(file, &actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(file)
        .unwrap_or_else(|_| panic!("{file} is missing: run with {UPDATE}=1 to write it"));
    let parse = |text: &str| -> BTreeMap<String, String> {
        text.lines()
            .filter_map(|line| line.split_once("  "))
            .map(|(hash, path)| (path.to_string(), hash.to_string()))
            .collect()
    };
    let (want, got) = (parse(&expected), parse(&actual));
    let mut changes = Vec::new();
    for (path, hash) in &want {
        match got.get(path) {
            None => changes.push(format!("missing: {path}")),
            Some(other) if other != hash => changes.push(format!("changed: {path}")),
            Some(_) => {}
        }
    }
    changes.extend(
        got.keys()
            .filter(|path| !want.contains_key(*path))
            .map(|path| format!("new: {path}")),
    );
    assert!(
        changes.is_empty(),
        "outputs differ from {file} ({} files); if the change is intended, rerun with {UPDATE}=1 and commit the file:\n{}",
        changes.len(),
        changes.join("\n")
    );
}
