//! What the sweep machinery costs on top of the simulations: the same 20 points x 2
//! replicates of the default scenario (200 steps), once as bare simulations and once through
//! the sweep (point-by-point commits, tables).

use criterion::{criterion_group, criterion_main, Criterion};
use rayon::prelude::*;

use cadresim::runner;
use cadresim::sweep::{self, file, SweepLock};

fn sweep_overhead(c: &mut Criterion) {
    let mut spec = file::load("benches/fixtures/sweep-20x8.toml".as_ref()).unwrap();
    spec.base.params.run.replicates = 2;
    let points = spec.points();
    let mut group = c.benchmark_group("sweep_20_points_x_2_replicates");
    group.sample_size(10);
    group.bench_function("simulations_only", |b| {
        b.iter(|| {
            points.par_iter().for_each(|point| {
                let plan = spec.scenario_for(point).unwrap().plan().unwrap();
                (0..2u64).into_par_iter().for_each(|r| {
                    runner::run_replicate(&plan, r, &|_| {});
                });
            })
        })
    });
    group.bench_function("through_the_sweep", |b| {
        b.iter(|| {
            let dir = tempfile::TempDir::new().unwrap();
            let out = dir.path().join("sweep");
            let mut lock = SweepLock::new(&spec, None);
            let _guard = sweep::prepare(&out, &mut lock, false, false, false).unwrap();
            sweep::run_points(&spec, &points, &out, &|_| {}).unwrap();
            sweep::assemble(&spec, &points, std::slice::from_ref(&out), &out).unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, sweep_overhead);
criterion_main!(benches);
