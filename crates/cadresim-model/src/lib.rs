//! cadresim's simulation, on the keystream crate below it: parameters (`params`), the random
//! streams (`rng`), the hierarchy of units (`hierarchy`), the cadres and their step
//! (`model`), replicates and their metrics (`runner`, `metrics`), and the statistics and
//! long-run estimates computed from numbers (`stats`, `longrun`).
//!
//! Architecture Invariant: this crate does no I/O, reads no clock and knows no file format;
//! of the workspace it depends on the keystream crate only. Output is a pure function of the
//! parameters and the seed, bit-identical for any thread count.

pub mod hierarchy;
pub mod longrun;
pub mod metrics;
pub mod model;
pub mod params;
pub mod rng;
pub mod runner;
pub mod stats;
