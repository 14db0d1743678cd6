//! What several test files share: the binary under test and a small, fast scenario.

use assert_cmd::Command;

/// The `cadresim` binary built for the tests.
pub fn cadresim() -> Command {
    Command::cargo_bin("cadresim").expect("binary builds")
}

/// A small, fast scenario body (two levels, few steps).
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
