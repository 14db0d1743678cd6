//! cadresim: an agent-based simulator of cadres under pressure-based governance.
//!
//! The library re-exports the model (the `cadresim-model` crate: the simulation, no I/O) and
//! holds everything around it; the command line (the root package, `cadresim-cli`) only parses
//! arguments, shows progress and reports errors. See ARCHITECTURE.md for the map, the layers
//! and the invariants.
//!
//! The main types: [`params::Params`] (every parameter) and [`params::Plan`] (what a
//! simulation runs: the parameters and the typed changes a schedule makes);
//! [`scenario::Scenario`] (a scenario file as written, turned into a plan by
//! [`scenario::Scenario::plan`]); [`model::Simulation`] (one replicate; its step is
//! `model::step::advance`); [`runner::ScenarioResult`] (every replicate of one scenario, from
//! [`runner::run`]); [`sweep::SweepSpec`] (a validated sweep); [`output::manifest::Manifest`]
//! (what a result directory holds); [`charts::SweepLayout`] (what sweep charts need of a
//! design). The studies (every workflow as a function of a typed request) are in [`study`].

pub mod adoption;
pub mod calibrate;
pub mod charts;
pub mod comparison;
pub mod did;
pub mod discovery;
pub mod effects;
pub mod output;
pub mod registry;
pub mod reproduce;
pub mod scenario;
pub mod sensitivity;
pub mod serve;
pub mod study;
pub mod sweep;
pub mod tree;

// The simulation is its own crate (no I/O, no clock, no file format); its modules keep their
// paths here, so `cadresim::params` and `crate::params` name the same module.
pub use cadresim_model::{hierarchy, longrun, metrics, model, params, rng, runner, stats};
// The rows of every result table are the analysis crate's, below the store that writes them.
pub use cadresim_analysis::rows;
