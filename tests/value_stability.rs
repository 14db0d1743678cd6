//! Value stability (rand's convention): the literal values of every draw and function that
//! defines cadresim's numbers. A crate upgrade, a compiler or a new platform that changes
//! any of them fails here before it moves a result; docs/REPRODUCIBILITY.md says which
//! crates define which values.

use cadresim::rng::beta::Beta;
use cadresim::rng::expf::expf;
use cadresim::rng::logit::{logit_choice, lognormal_mean_one};
use cadresim::rng::{Phase, ReplicateKey};

/// Every pinned value as text: floats in Rust's shortest round-trip form, so equal text
/// means equal bits.
fn values() -> Vec<String> {
    let mut values = Vec::new();
    let key = ReplicateKey::new(1, 0);
    values.push(format!("key {:02x?}", &key.0[..8]));
    values.push(format!(
        "words {} {}",
        key.stream(0, 0, Phase::Act).next_u64(),
        key.stream(123, 45, Phase::Learn).next_u64()
    ));
    let mut stream = ReplicateKey::new(7, 3).stream(1, 2, Phase::Act);
    let uniform: Vec<f64> = (0..3).map(|_| stream.uniform()).collect();
    values.push(format!("uniform {uniform:?}"));
    let below: Vec<usize> = (0..6).map(|_| stream.below(10)).collect();
    values.push(format!("below(10) {below:?}"));
    let normal: Vec<f64> = (0..3).map(|_| stream.normal()).collect();
    values.push(format!("normal {normal:?}"));
    let lognormal: Vec<f64> = (0..2)
        .map(|_| lognormal_mean_one(&mut stream, 0.3))
        .collect();
    values.push(format!("lognormal(0.3) {lognormal:?}"));
    for (alpha, beta) in [(2.0, 5.0), (0.5, 0.8)] {
        let beta_draws = Beta::new(alpha, beta).expect("positive parameters");
        let draws: Vec<f64> = (0..3).map(|_| beta_draws.sample(&mut stream)).collect();
        values.push(format!("beta({alpha}, {beta}) {draws:?}"));
    }
    let exps: Vec<u32> = [-10.5f32, -1.0, 0.0, 0.3, 5.25]
        .iter()
        .map(|&x| expf(x).to_bits())
        .collect();
    values.push(format!("expf bits {exps:x?}"));
    values.push(format!("poisson(3.5) {:?}", poisson_counts()));
    // The draws every cadre makes every step: chance (errors, detection) and the logit
    // choice of an action (single-precision weights through expf, then the pick).
    let mut stream = ReplicateKey::new(7, 3).stream(2, 5, Phase::Learn);
    let chances: Vec<bool> = [0.0, 0.25, 0.5, 0.75, 1.0]
        .iter()
        .map(|&p| stream.chance(p))
        .collect();
    values.push(format!("chance {chances:?}"));
    let attraction = [0.5f32, -0.25, 1.5, 0.0];
    let choices: Vec<u8> = (0..8)
        .map(|_| logit_choice(&attraction, 2.0, &mut stream))
        .collect();
    values.push(format!("logit(2) {choices:?}"));
    values
}

/// rand_distr's Poisson counts as the DiD's `--observe poisson` draws them (from a ChaCha8
/// generator seeded by a 64-bit key).
fn poisson_counts() -> Vec<f64> {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Poisson};
    let mut generator = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let poisson = Poisson::new(3.5).expect("a positive mean");
    (0..6).map(|_| poisson.sample(&mut generator)).collect()
}

#[test]
fn the_values_that_define_results_are_stable() {
    let expected = [
        "key [b1, 0d, a4, 8c, ea, 4c, 09, 67]",
        "words 10277857186718049765 6429765409659157958",
        "uniform [0.8047755863517523, 0.1981630485970527, 0.5557069589849561]",
        "below(10) [7, 5, 8, 8, 8, 0]",
        "normal [-1.0648259793439907, 2.256828371645286, 0.5877468102170952]",
        "lognormal(0.3) [1.226712042919042, 0.9926144835176488]",
        "beta(2, 5) [0.2276200855792711, 0.1667155922611688, 0.29205328972044864]",
        "beta(0.5, 0.8) [0.06590319287670335, 0.002553830194618331, 0.5056341963618916]",
        "expf bits [37e6fe13, 3ebc5ab2, 3f800000, 3facc82d, 433e90f7]",
        "poisson(3.5) [2.0, 3.0, 4.0, 1.0, 5.0, 3.0]",
        "chance [false, false, false, false, true]",
        "logit(2) [2, 2, 2, 3, 2, 2, 2, 2]",
    ];
    let found = values();
    assert_eq!(found, expected, "found:\n{}", found.join("\n"));
}
