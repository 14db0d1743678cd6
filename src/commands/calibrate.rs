//! `cadresim calibrate`: map the command line onto the `calibrate` study, then print the
//! waves, each parameter's posterior (or, with `--check`, each parameter's coverage) and the
//! predictive check.

use std::path::PathBuf;

use super::{CommandError, Terminal};
use crate::cli::CalibrateArgs;
use cadresim::calibrate::IDENTIFIED_SD_RATIO;
use cadresim::study::calibrate::{calibrate, CalibrateOutcome, CalibrateRequest};

fn request(args: &CalibrateArgs) -> CalibrateRequest {
    let stem = args
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "calibration".into());
    let prefix = if args.check.is_some() {
        "check"
    } else {
        "calibrate"
    };
    CalibrateRequest {
        file: args.file.clone(),
        out: args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("output").join(format!("{prefix}-{stem}"))),
        force: args.force,
        check: args.check,
        resume: args.resume,
        threads: args.threads,
    }
}

pub(crate) fn run_calibrate(args: CalibrateArgs) -> Result<i32, CommandError> {
    let outcome = calibrate(&request(&args), &Terminal::default())?;
    print!("{}", report(&outcome));
    println!("results: {}", outcome.out.display());
    Ok(0)
}

/// Significant digits shown for posterior summaries.
fn short(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let digits = (3 - value.abs().log10().floor() as i32 - 1).max(0) as usize;
    format!("{value:.digits$}")
}

fn report(outcome: &CalibrateOutcome) -> String {
    let spec = &outcome.spec;
    let mut text = String::new();
    for wave in &outcome.waves {
        text += &format!(
            "wave {}: {} runs, non-implausible share {:.3}\n",
            wave.wave, wave.runs, wave.volume
        );
    }
    if !outcome.summaries.is_empty() {
        text += &format!(
            "{:<40} {:>10} {:>22} {:>9}\n",
            "parameter", "median", "90% interval", "sd ratio"
        );
        for (p, s) in spec.parameters.iter().zip(&outcome.summaries) {
            let identified = if s.sd_ratio <= IDENTIFIED_SD_RATIO {
                ""
            } else {
                "  not identified"
            };
            text += &format!(
                "{:<40} {:>10} {:>22} {:>9.2}{identified}\n",
                p.key,
                short(s.median),
                format!("[{}, {}]", short(s.q05), short(s.q95)),
                s.sd_ratio
            );
        }
    }
    for (p, (c50, c90)) in spec.parameters.iter().zip(&outcome.coverage) {
        text += &format!("{:<40} coverage 50%: {c50:.2}  90%: {c90:.2}\n", p.key);
    }
    for (target, inside) in spec.targets.iter().zip(&outcome.inside) {
        let verdict = if *inside { "inside" } else { "OUTSIDE" };
        text += &format!(
            "target {:<40} {verdict} its 95% predictive interval\n",
            target.name
        );
    }
    text += &format!("{} simulator runs\n", outcome.runs);
    text
}
