//! Time to draw every chart of a 5-scenario, 8-replicate, 200-step run (the default set)
//! from its result directory, PNG and SVG.

use criterion::{criterion_group, criterion_main, Criterion};

use cadresim::charts;
use cadresim::output::{series, write_tables};
use cadresim::runner;
use cadresim::scenario;

fn draw_default_set(c: &mut Criterion) {
    let dir = tempfile::TempDir::new().unwrap();
    let scenarios = scenario::built_in();
    let plans: Vec<_> = scenarios.iter().map(|s| s.plan().unwrap()).collect();
    let results = runner::run(&plans, &|_| {});
    write_tables(dir.path(), &results, Default::default()).unwrap();
    let out = dir.path().join("charts");
    let mut group = c.benchmark_group("charts");
    group.sample_size(10);
    group.bench_function("default_set_5x8x200", |b| {
        b.iter(|| {
            let mut data = series::read_result(dir.path()).unwrap();
            data.scenarios = scenarios.clone();
            charts::draw_all(&[data], &out, (1600, 1000), false).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, draw_default_set);
criterion_main!(benches);
