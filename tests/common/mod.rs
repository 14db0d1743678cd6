//! What several test files share: the binary under test and a small, fast scenario.

use assert_cmd::Command;

/// The `cadresim` binary built for the tests.
pub fn cadresim() -> Command {
    Command::cargo_bin("cadresim").expect("binary builds")
}

/// A small, fast scenario body (two levels, few steps).
#[allow(dead_code)]
pub const SMALL: &str = r#"
[run]
steps = 30
burn_in = 10
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

/// Every record of a CSV file (header aside).
#[allow(dead_code)]
pub fn records(path: &std::path::Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path)
        .expect("a CSV file")
        .records()
        .map(|record| record.expect("a CSV record"))
        .collect()
}

/// Fail with the command's stderr unless it succeeded.
#[allow(dead_code)]
pub fn succeeded(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
