//! Output is a pure function of (scenario, seed): identical bytes for any thread count, on
//! every run and whichever processor-specific variants the math library picks; a different
//! seed changes it.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use tempfile::TempDir;

/// timeseries.csv, summary.csv and effects.csv (of history.toml's schedule) of a run.
type Tables = (Vec<u8>, Vec<u8>, Vec<u8>);

fn run(dir: &Path, name: &str, extra: &[&str]) -> Tables {
    run_with_tunables(dir, name, extra, None)
}

/// `run` with the environment variable GLIBC_TUNABLES set to `tunables` (unset when None).
fn run_with_tunables(dir: &Path, name: &str, extra: &[&str], tunables: Option<&str>) -> Tables {
    let out = dir.join(name);
    let mut command = Command::cargo_bin("cadresim").unwrap();
    match tunables {
        Some(value) => command.env("GLIBC_TUNABLES", value),
        None => command.env_remove("GLIBC_TUNABLES"),
    };
    command
        .args([
            "run",
            "scenarios/history.toml",
            "scenarios/lifelong.toml",
            "scenarios/ft-scoped.toml",
        ])
        .args(["--replicates", "3", "--steps", "130", "--out"])
        .arg(&out)
        .args(extra);
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        fs::read(out.join("timeseries.csv")).unwrap(),
        fs::read(out.join("summary.csv")).unwrap(),
        fs::read(out.join("effects.csv")).unwrap(),
    )
}

#[test]
fn thread_count_and_repetition_do_not_change_results() {
    let dir = TempDir::new().unwrap();
    let one = run(dir.path(), "one", &["--threads", "1"]);
    let two = run(dir.path(), "two", &["--threads", "2"]);
    let again = run(dir.path(), "again", &["--threads", "2"]);
    let three = run(dir.path(), "three", &["--threads", "3"]);
    assert!(
        one.0 == two.0,
        "timeseries.csv differs between 1 and 2 threads"
    );
    assert!(
        one.1 == two.1,
        "summary.csv differs between 1 and 2 threads"
    );
    assert!(
        one.2 == two.2,
        "effects.csv differs between 1 and 2 threads"
    );
    assert!(two == again, "two runs with the same seed differ");
    assert!(one == three, "3 threads differ from 1");
    let other_seed = run(dir.path(), "seed", &["--threads", "2", "--seed", "2"]);
    assert!(
        other_seed.0 != one.0,
        "another seed gives the same time series"
    );
    assert!(other_seed.1 != one.1, "another seed gives the same summary");
}

/// glibc chooses exp, expf and log among processor-specific variants at load time (FMA, AVX,
/// SSE2). Hiding AVX2, FMA and AVX-512 from it (glibc >= 2.33; elsewhere the variable is
/// ignored) makes it use the variants a processor without them gets, as on an older node of
/// a cluster; the results must not change.
#[test]
fn the_math_library_variant_does_not_change_results() {
    let dir = TempDir::new().unwrap();
    let usual = run(dir.path(), "usual", &["--threads", "2"]);
    let hidden = "glibc.cpu.hwcaps=-AVX2,-FMA,-FMA4,-AVX512F";
    let older = run_with_tunables(dir.path(), "older", &["--threads", "2"], Some(hidden));
    assert!(
        usual.0 == older.0,
        "timeseries.csv differs when the math library uses its non-FMA variants"
    );
    assert!(
        usual.1 == older.1,
        "summary.csv differs when the math library uses its non-FMA variants"
    );
    assert!(
        usual.2 == older.2,
        "effects.csv differs when the math library uses its non-FMA variants"
    );
}
