//! Records the git commit the binary is built from, for result manifests: the hash of HEAD,
//! with `-dirty` when files that go into the binary differ from it.
use std::process::Command;

/// What the binary is built from, relative to this package (build scripts run in its folder):
/// a change to any of these can change its results. The command line (the root package's
/// `src`) is among them: it turns arguments into requests.
const INPUTS: [&str; 11] = [
    "src",
    "build.rs",
    "Cargo.toml",
    "../cadresim-keystream",
    "../cadresim-model",
    "../cadresim-analysis",
    "../../src",
    "../../scenarios",
    "../../assets",
    "../../Cargo.toml",
    "../../Cargo.lock",
];

fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn main() {
    println!("cargo:rerun-if-changed=../../.git/HEAD");
    println!("cargo:rerun-if-changed=../../.git/refs");
    for input in INPUTS {
        println!("cargo:rerun-if-changed={input}");
    }
    let commit = git(&["rev-parse", "HEAD"]).unwrap_or_default();
    // --no-optional-locks: reading the status must not rewrite the index.
    let mut status = vec![
        "--no-optional-locks",
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
    ];
    status.extend(INPUTS);
    let dirty = !commit.is_empty() && git(&status).is_some_and(|changes| !changes.is_empty());
    let suffix = if dirty { "-dirty" } else { "" };
    println!("cargo:rustc-env=CADRESIM_GIT_COMMIT={commit}{suffix}");
}
