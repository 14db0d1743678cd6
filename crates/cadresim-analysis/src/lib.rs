//! cadresim's analyses on plain numbers: the sensitivity designs (Saltelli's and Morris's
//! samples) and estimators (Sobol' and Morris indices, as SALib computes them), PRIM, the
//! difference-in-differences estimators, and the calibration methods (prior spaces,
//! Gaussian-process emulators, history matching, ABC-SMC, simulation-based calibration), and
//! the rows of every result table (`rows`, serde-derived where a table's columns are a row's
//! fields).
//! Numbers in, numbers out: no file, no format, no clock, no face. The library re-exports
//! each module under the path it had before this crate existed (`cadresim::calibrate::abc`,
//! `cadresim::did::estimate`, ...), and the modules keep their folders here.

pub mod calibrate {
    //! The calibration methods (docs/CALIBRATION.md); the calibration file and the study that
    //! runs the simulator are in the library.
    pub mod abc;
    pub mod emulator;
    pub mod history;
    pub mod linalg;
    pub mod sbc;
    pub mod smc;
    pub mod space;
    pub mod stochastic;
}

pub mod did {
    //! The difference-in-differences estimators; the designs and panels are in the library.
    pub mod estimate;
}

pub mod discovery {
    //! PRIM; the cases it is given and the box's description are in the library.
    pub mod prim;
}

pub mod sensitivity {
    //! The Sobol' and Morris estimators; the analysis of a sweep is in the library.
    pub mod estimators;
}

pub mod sweep {
    //! The sensitivity designs' unit-hypercube samples; mapping them to axis values is in the
    //! main package.
    pub mod sampling;
}

pub mod rows;
