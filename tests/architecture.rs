//! The import rules ARCHITECTURE.md states, checked on the source: the model knows no file
//! format, plotters is used only by the charts, and no module imports one above it; and the
//! crates' dependencies, checked with `cargo metadata`: the model crate depends on the
//! keystream crate only of the workspace and on no format, I/O or face crate, and the analysis
//! crate only on the model and the numerical crates it names.

use std::fs;
use std::path::{Path, PathBuf};

/// The source folders of the command line (this package: `cli.rs`, `commands/`), of the
/// library it stands on and of the keystream, model and analysis crates below that (their
/// modules keep their paths: `params.rs`, `model/`, `calibrate/abc.rs`).
const ROOTS: [&str; 5] = [
    "src",
    "crates/cadresim/src",
    "crates/cadresim-keystream/src",
    "crates/cadresim-model/src",
    "crates/cadresim-analysis/src",
];

/// Every `.rs` file under `path` (or `path` itself, or both crates' when each has one, as
/// with `lib.rs`), subfolders included.
fn sources(path: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let found: Vec<PathBuf> = ROOTS
        .iter()
        .map(|folder| root.join(folder).join(path))
        .filter(|candidate| candidate.exists())
        .collect();
    assert!(!found.is_empty(), "{path} is in no crate of the workspace");
    let mut files = Vec::new();
    for path in found {
        collect(&path, &mut files);
    }
    files.sort();
    files
}

/// `path` if it is a `.rs` file, else every `.rs` file below it.
fn collect(path: &Path, files: &mut Vec<PathBuf>) {
    if path.is_file() {
        if path.extension().is_some_and(|e| e == "rs") {
            files.push(path.to_path_buf());
        }
        return;
    }
    for entry in fs::read_dir(path).unwrap() {
        collect(&entry.unwrap().path(), files);
    }
}

/// Every `.rs` file of one crate's source folder (`folder` from the workspace's root), which
/// must hold more than ten.
fn crate_sources(folder: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    collect(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(folder),
        &mut files,
    );
    assert!(files.len() > 10, "the sources in {folder} were not found");
    files
}

/// Lines of the non-test part of a file that mention any of `forbidden`.
fn offending(file: &Path, forbidden: &[&str]) -> Vec<String> {
    let text = fs::read_to_string(file).unwrap();
    let code = text.split("#[cfg(test)]").next().unwrap();
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .filter(|line| forbidden.iter().any(|word| line.contains(word)))
        .map(|line| format!("{}: {}", file.display(), line.trim()))
        .collect()
}

fn assert_none(places: &[&str], forbidden: &[&str]) {
    let found: Vec<String> = places
        .iter()
        .flat_map(|place| sources(place))
        .flat_map(|file| offending(&file, forbidden))
        .collect();
    assert!(found.is_empty(), "forbidden imports:\n{}", found.join("\n"));
}

#[test]
fn the_model_knows_no_file_format() {
    assert_none(
        &[
            "model",
            "hierarchy.rs",
            "metrics.rs",
            "runner.rs",
            "params.rs",
            "rng.rs",
            "stats.rs",
            "longrun.rs",
            "sensitivity/estimators.rs",
            "discovery/prim.rs",
            "discovery/condition.rs",
        ],
        &[
            "toml",
            "crate::sensitivity::",
            "crate::discovery::",
            "crate::scenario",
            "crate::registry",
            "crate::output",
            "crate::charts",
            "crate::sweep",
            "std::fs",
            "serde_json",
            "csv::",
        ],
    );
}

#[test]
fn the_analyses_know_no_file_format_and_no_face() {
    let files = crate_sources("crates/cadresim-analysis/src");
    let found: Vec<String> = files
        .iter()
        .flat_map(|file| {
            offending(
                file,
                &[
                    "std::fs",
                    "std::io",
                    "std::process",
                    "std::time",
                    "std::env",
                    "std::thread",
                    "std::{",
                    "toml",
                    "csv",
                    "serde_json",
                    "print!",
                    "println!",
                    "eprintln!",
                    "dbg!",
                    "cadresim::",
                ],
            )
        })
        .collect();
    assert!(found.is_empty(), "forbidden imports:\n{}", found.join("\n"));
}

#[test]
fn plotters_is_used_only_by_the_charts() {
    assert_none(
        &[
            "model",
            "output",
            "sweep",
            "reproduce",
            "sensitivity",
            "discovery",
            "did",
            "commands",
            "study",
            "serve",
            "lib.rs",
            "main.rs",
            "cli.rs",
            "scenario.rs",
            "registry.rs",
            "runner.rs",
            "metrics.rs",
        ],
        &["plotters", "resvg"],
    );
}

#[test]
fn lower_layers_do_not_import_higher_ones() {
    // The named boundaries of the layers ARCHITECTURE.md lists under each crate (lowest
    // first); the checks below are those boundaries, not the whole order.
    assert_none(
        &["output"],
        &[
            "crate::charts",
            "crate::sweep",
            "crate::reproduce",
            "crate::sensitivity",
            "crate::discovery",
        ],
    );
    assert_none(
        &["charts"],
        &[
            "crate::sweep",
            "crate::reproduce",
            "crate::sensitivity",
            "crate::discovery",
        ],
    );
    assert_none(
        &[
            "sweep",
            "reproduce",
            "sensitivity",
            "discovery",
            "effects.rs",
        ],
        &["crate::charts", "crate::study"],
    );
    assert_none(&["sweep"], &["crate::sensitivity"]);
    // The explorer's server is a face like the command line: nothing imports it, and it
    // reaches the model through the study layer, never through the command line.
    assert_none(
        &[
            "model",
            "output",
            "charts",
            "sweep",
            "reproduce",
            "sensitivity",
            "discovery",
            "did",
            "study",
            "scenario.rs",
            "registry.rs",
            "runner.rs",
        ],
        &["crate::serve"],
    );
    assert_none(&["commands/run.rs"], &["cadresim::serve"]);
    assert_none(&["serve"], &["cadresim_cli", "println!"]);
    // The HTTP stack stays in the server.
    assert_none(
        &[
            "model",
            "output",
            "charts",
            "sweep",
            "reproduce",
            "sensitivity",
            "discovery",
            "did",
            "study",
            "commands",
            "lib.rs",
            "main.rs",
            "cli.rs",
            "scenario.rs",
            "registry.rs",
            "runner.rs",
        ],
        &["axum", "tokio"],
    );
    // The difference-in-differences analysis sits between the runner and the store: it
    // knows no file format and no face.
    assert_none(
        &["did"],
        &[
            "crate::output",
            "crate::charts",
            "crate::sweep",
            "crate::reproduce",
            "crate::study",
            "std::fs",
            "csv::",
            "toml",
        ],
    );
    // Its estimators take plain numbers: no scenario, run or model.
    assert_none(
        &["did/estimate.rs"],
        &[
            "crate::scenario",
            "crate::runner",
            "crate::model",
            "crate::hierarchy",
            "crate::metrics",
        ],
    );
    // The analyses own their rows and read no file: the store writes and reads them.
    assert_none(
        &[
            "sensitivity",
            "discovery",
            "comparison.rs",
            "effects.rs",
            "rows.rs",
        ],
        &["crate::output", "std::fs", "csv::"],
    );
    assert_none(
        &["rows.rs"],
        &[
            "crate::sensitivity",
            "crate::discovery",
            "crate::reproduce",
            "crate::sweep",
            "crate::runner",
            "crate::study",
        ],
    );
    assert_none(&["output", "charts"], &["crate::study"]);
    assert_none(&["study"], &["cadresim_cli"]);
    assert_none(
        &["scenario.rs", "registry.rs"],
        &["crate::model", "crate::runner", "crate::output"],
    );
}

#[test]
fn the_study_layer_never_prints_parses_arguments_or_exits() {
    assert_none(
        &["study"],
        &[
            "println!",
            "eprintln!",
            "print!(",
            "eprint!(",
            "std::process",
            "clap",
            "indicatif",
        ],
    );
}

/// The root package's library and binary are built without test harnesses (`test = false` in
/// Cargo.toml, which saves two thin-LTO links in `cargo test --release`): a unit test written
/// there would never run, so there must be none. The command line is tested from tests/.
#[test]
fn the_command_line_has_no_unit_tests_for_its_harnesses_are_not_built() {
    let files = crate_sources("src");
    let found: Vec<String> = files
        .iter()
        .filter(|file| {
            let text = fs::read_to_string(file).unwrap();
            text.contains("#[test]") || text.contains("#[cfg(test)]")
        })
        .map(|file| file.display().to_string())
        .collect();
    assert!(found.is_empty(), "unit tests that would not run: {found:?}");
}

#[test]
fn calibration_is_numbers_in_numbers_out_and_the_gaussian_processes_stay_in_the_emulator() {
    // The calibration methods know no result directory, chart or face; only `file` reads
    // (the calibration file), through the scenario reader; nothing imports the sweep layer
    // above it.
    assert_none(
        &[
            "calibrate/abc.rs",
            "calibrate/emulator.rs",
            "calibrate/history.rs",
            "calibrate/linalg.rs",
            "calibrate/sbc.rs",
            "calibrate/smc.rs",
            "calibrate/stochastic.rs",
            "calibrate/space.rs",
            "calibrate/mod.rs",
        ],
        &[
            "crate::output",
            "crate::charts",
            "crate::study",
            "crate::runner",
            "std::fs",
            "csv::",
            "println!",
        ],
    );
    assert_none(
        &["calibrate"],
        &["crate::study", "crate::charts", "crate::sweep"],
    );
    // egobox-gp, linfa and ndarray only behind the emulator's own type.
    assert_none(
        &[
            "model",
            "output",
            "charts",
            "sweep",
            "reproduce",
            "sensitivity",
            "discovery",
            "did",
            "study",
            "commands",
            "serve",
            "calibrate/abc.rs",
            "calibrate/history.rs",
            "calibrate/linalg.rs",
            "calibrate/sbc.rs",
            "calibrate/smc.rs",
            "calibrate/space.rs",
            "calibrate/stochastic.rs",
            "calibrate/file.rs",
            "calibrate/mod.rs",
            "lib.rs",
            "runner.rs",
        ],
        &["egobox", "linfa", "ndarray"],
    );
}

/// The normal dependencies of every workspace package, by package name, from one run of
/// `cargo metadata`.
fn dependencies() -> std::collections::BTreeMap<String, Vec<String>> {
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    packages
        .iter()
        .map(|package| {
            let names = package["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|dependency| dependency["kind"].is_null())
                .map(|dependency| dependency["name"].as_str().expect("a name").to_string())
                .collect();
            (package["name"].as_str().expect("a name").to_string(), names)
        })
        .collect()
}

#[test]
fn the_model_and_analysis_crates_depend_on_no_format_io_or_face_crate() {
    let all = dependencies();
    let of = |name: &str| -> &Vec<String> {
        all.get(name)
            .unwrap_or_else(|| panic!("{name} is a package of the workspace"))
    };
    // chacha20 is optional (the `chacha20` feature, off: the comparison of the streams in
    // docs/REPRODUCIBILITY.md).
    let mut allowed = [
        "cadresim-keystream",
        "chacha20",
        "rand",
        "rand_chacha",
        "rand_distr",
        "rayon",
        "serde",
        "thiserror",
    ];
    allowed.sort_unstable();
    let mut found: Vec<&str> = of("cadresim-model").iter().map(String::as_str).collect();
    found.sort_unstable();
    assert_eq!(found, allowed, "cadresim-model's dependencies");
    let mut allowed = [
        "cadresim-model",
        "egobox-gp",
        "linfa",
        "ndarray",
        "rand",
        "rand_distr",
        "rayon",
        "serde",
        "sobol_burley",
    ];
    allowed.sort_unstable();
    let mut found: Vec<&str> = of("cadresim-analysis").iter().map(String::as_str).collect();
    found.sort_unstable();
    assert_eq!(found, allowed, "cadresim-analysis's dependencies");
    // Dependencies point down: the analyses build on the model, the library on both, the
    // command line on the library, the Python crate on the library and the command line (its
    // `cadresim` command), and nothing below depends on what is above it.
    assert!(of("cadresim").contains(&"cadresim-model".to_string()));
    assert!(of("cadresim").contains(&"cadresim-analysis".to_string()));
    assert!(!of("cadresim-model").contains(&"cadresim-analysis".to_string()));
    assert!(of("cadresim-cli").contains(&"cadresim".to_string()));
    assert!(of("cadresim-py").contains(&"cadresim".to_string()));
    assert!(of("cadresim-py").contains(&"cadresim-cli".to_string()));
    // The library is no face: no argument parser, no terminal, no Python, no command line.
    for face in [
        "cadresim-cli",
        "cadresim-py",
        "clap",
        "indicatif",
        "pyo3",
        "libc",
    ] {
        assert!(
            !of("cadresim").contains(&face.to_string()),
            "the cadresim library depends on {face}"
        );
    }
    assert!(!of("cadresim-cli").contains(&"cadresim-py".to_string()));
    let mut found: Vec<&str> = of("cadresim-keystream")
        .iter()
        .map(String::as_str)
        .collect();
    found.sort_unstable();
    // chacha20 only on 64-bit ARM (its NEON code).
    assert_eq!(
        found,
        ["chacha20", "rand", "rand_chacha"],
        "cadresim-keystream's dependencies"
    );
    // The build records the commit the binary is built from, marked dirty when its inputs
    // changed: every crate of the workspace but the Python face is one of them (the library's
    // build script names them relative to its own folder).
    let build =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/cadresim/build.rs"))
            .unwrap();
    for crate_name in all.keys().filter(|name| {
        name.starts_with("cadresim-") && !["cadresim-py", "cadresim-cli"].contains(&name.as_str())
    }) {
        let folder = format!("\"../{crate_name}\"");
        assert!(build.contains(&folder), "build.rs's INPUTS lack {folder}");
    }
    for folder in [
        "\"src\"",
        "\"../../src\"",
        "\"../../scenarios\"",
        "\"../../Cargo.lock\"",
    ] {
        assert!(build.contains(folder), "build.rs's INPUTS lack {folder}");
    }
}

/// The longest a function may be, in lines from its signature to its closing brace.
const LONGEST_FUNCTION: usize = 100;

/// Functions of `text` longer than `LONGEST_FUNCTION` lines: (name, first line, lines). A
/// function starts at a line whose code begins with `fn` (after `pub`, `const` or `unsafe`)
/// and ends at the first later line that is its indentation and `}`.
fn long_functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let code = line.trim_start();
        let indent = &line[..line.len() - code.len()];
        let mut rest = code;
        for prefix in [
            "pub(crate) ",
            "pub(super) ",
            "pub ",
            "const ",
            "async ",
            "unsafe ",
            "extern \"C\" ",
        ] {
            rest = rest.strip_prefix(prefix).unwrap_or(rest);
        }
        let Some(signature) = rest.strip_prefix("fn ") else {
            continue;
        };
        if line.trim_end().ends_with(';') {
            continue;
        }
        let close = format!("{indent}}}");
        let end = (start..lines.len()).find(|&i| lines[i] == close);
        let length = end.map_or(0, |end| end - start + 1);
        if length > LONGEST_FUNCTION {
            let name: String = signature
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push((name, start + 1, length));
        }
    }
    found
}

#[test]
fn no_function_is_longer_than_a_hundred_lines_but_the_phase_commented_step() {
    let mut files = Vec::new();
    for root in ROOTS {
        collect(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join(root),
            &mut files,
        );
    }
    let long: Vec<String> = files
        .iter()
        .flat_map(|file| {
            let text = fs::read_to_string(file).unwrap();
            long_functions(&text)
                .into_iter()
                .filter(|(name, _, _)| !(file.ends_with("model/step.rs") && name == "act_cadres"))
                .map(move |(name, line, length)| {
                    format!("{}:{line}: {name} has {length} lines", file.display())
                })
        })
        .collect();
    assert!(
        long.is_empty(),
        "functions over {LONGEST_FUNCTION} lines:\n{}",
        long.join("\n")
    );
    // The rule itself: a planted function one line too long is found, and its name.
    let planted = format!(
        "pub fn planted() {{\n{}}}\n",
        "    x();\n".repeat(LONGEST_FUNCTION - 1)
    );
    assert_eq!(
        long_functions(&planted),
        vec![("planted".to_string(), 1, LONGEST_FUNCTION + 1)]
    );
}
