//! The integration tests, one module per file beside this one, built as a single test binary
//! (`cargo test --release` links the library into one executable, not one per file). Run one
//! file's tests with a filter on its module: `cargo test --release --test integration golden::`.

mod common;

mod adoption;
mod architecture;
mod boundary;
mod calibrate;
mod charts;
mod cli;
mod data_files;
mod determinism;
mod did;
mod directories;
mod discovery;
mod effects;
mod fidelity;
mod fuzz;
mod golden;
mod guarantees;
mod integrity;
mod kernel;
mod mechanisms;
mod model;
mod paired;
mod references;
mod replay;
mod reproduce;
mod robustness;
mod sensitivity;
mod serve;
mod structure;
mod sweep;
mod tree;
mod until_settled;
mod value_stability;
