//! cadresim: an agent-based simulator of cadres under pressure-based governance.
//!
//! The library holds the model and everything around it; the `cadresim` binary only parses
//! arguments and reports errors. See ARCHITECTURE.md for the map and the invariants.

pub mod charts;
pub mod cli;
pub mod commands;
pub mod metrics;
pub mod model;
pub mod output;
pub mod params;
pub mod registry;
pub mod reproduce;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod stats;
pub mod sweep;
