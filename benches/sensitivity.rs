//! What a sensitivity analysis costs: Sobol' indices of 4 metrics for 10 factors at N = 1,024
//! base rows (12,288 points x 4 replicates), with 1,000 bootstrap resamples and the
//! convergence table, on synthetic outputs (the analysis does not depend on how they arose).

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};

use cadresim::metrics::METRIC_COUNT;
use cadresim::rows::SummaryRow;
use cadresim::sensitivity::{self, Options};
use cadresim::sweep::file;

fn sweep_text() -> String {
    let mut text = String::from("[sweep]\ndesign = \"sobol\"\nsamples = 1024\nreplicates = 4\n");
    let keys = [
        "accountability.penalty",
        "accountability.detection",
        "accountability.veto_share",
        "fault_tolerance.screening_accuracy",
        "fault_tolerance.correction_efficacy",
        "incentives.promotion_reward",
        "targets.markup",
        "behaviour.rationality",
        "behaviour.aspiration_rate",
        "cadres.turnover",
    ];
    for key in keys {
        text.push_str(&format!(
            "[[sweep.axis]]\nparam = \"{key}\"\nfrom = 0.1\nto = 0.5\n"
        ));
    }
    text
}

fn analysis(c: &mut Criterion) {
    let spec = file::parse(&sweep_text(), Path::new("bench.toml"), "bench").unwrap();
    let units = spec.unit_rows();
    let rows: Vec<SummaryRow> = units
        .iter()
        .enumerate()
        .flat_map(|(point, u)| {
            (0..4).map(move |replicate| SummaryRow {
                scenario: point.to_string(),
                replicate,
                level: "all".to_string(),
                means: (0..METRIC_COUNT)
                    .map(|m| u[m % 10] * 2.0 + u[(m + 3) % 10] * u[0] + 0.01 * replicate as f64)
                    .collect(),
                class: "mixed".to_string(),
                settled: Some(true),
            })
        })
        .collect();
    let mut group = c.benchmark_group("sensitivity");
    group.sample_size(10);
    group.bench_function("sobol_10_factors_n1024_4_metrics", |b| {
        b.iter(|| sensitivity::analyse(&spec, &rows, &Options::default()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, analysis);
criterion_main!(benches);
