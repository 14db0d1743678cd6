//! One replicate of the default pressure scenario on one thread, as the criterion benchmark
//! `replicate/default_1_thread` runs it, once: for counting instructions, which unlike wall
//! time do not vary between runs (`valgrind --tool=cachegrind --cache-sim=no
//! target/release/examples/replicate`; README, "Performance").

fn main() {
    let scenario = cadresim::scenario::built_in().remove(0);
    let plan = scenario.plan().expect("the built-in default is valid");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a thread pool of one thread");
    let result = pool.install(|| cadresim::runner::run_replicate(&plan, 0, &|_| {}));
    println!("{} records", result.records.len());
}
