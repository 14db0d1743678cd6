//! Seed derivation, random streams, and every draw and piece of math whose exact bits define
//! results. A replicate's key is derived from (master seed, replicate); every step draws from
//! independent ChaCha8 streams keyed by (step, peer group, phase), so results never depend on
//! thread scheduling. The draws: a stream's uniform, chance, standard normal and unbiased
//! integer (`Stream`), recruits' Beta draws (`beta`), the log-normal multiplier and the logit
//! choice (`logit`), and the logit's single-precision exponential (`expf`).
//! `tests/value_stability.rs` pins each of them with literal values (rand's convention): a
//! change to any of them changes published results and must be deliberate. (The analyses
//! that resample, such as PRIM's bagging and the critical penalty's bootstrap, seed ChaCha8
//! generators of their own where they are defined.)

pub mod beta;
pub mod expf;
pub mod logit;

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

// The model's own ChaCha8 keystream, or (with the `chacha20` feature, for the comparison in
// docs/REPRODUCIBILITY.md) RustCrypto's: the same words.
#[cfg(feature = "chacha20")]
mod rustcrypto;

#[cfg(not(feature = "chacha20"))]
use cadresim_keystream::Keystream;
#[cfg(feature = "chacha20")]
use rustcrypto::Keystream;

/// The phases that draw random numbers, each with its own stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Phase {
    /// Initial population of a peer group (unit capacities, cadres) at step 0.
    Init = 0,
    /// Phases 1-6: act, errors, detection, processing, damage, inaction.
    Act = 1,
    /// Phase 8: tournament noise.
    Tournament = 2,
    /// Phase 11: learning (peer observation, exploration, logit draws).
    Learn = 3,
    /// Phase 12: dismissal, turnover and recruitment.
    Turnover = 4,
}

/// Highest step a stream can be keyed by (24 bits).
pub const MAX_STREAM_STEP: u64 = (1 << 24) - 1;
/// Highest peer-group index a stream can be keyed by (36 bits).
pub const MAX_STREAM_GROUP: u64 = (1 << 36) - 1;

/// The 256-bit key of one replicate: ChaCha8 seeded from the master seed (by `seed_from_u64`),
/// stream `replicate`, first 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicateKey(pub [u8; 32]);

impl ReplicateKey {
    pub fn new(master_seed: u64, replicate: u64) -> Self {
        let mut generator = ChaCha8Rng::seed_from_u64(master_seed);
        generator.set_stream(replicate);
        let mut key = [0u8; 32];
        generator.fill_bytes(&mut key);
        ReplicateKey(key)
    }

    /// The stream of (step, peer group, phase): ChaCha8 with this key and stream id
    /// `step << 40 | group << 4 | phase` (the words of rand_chacha's `ChaCha8Rng` with that
    /// key and stream). Always inlined: the step creates four for every peer group.
    #[inline(always)]
    pub fn stream(&self, step: u64, group: u64, phase: Phase) -> Stream {
        debug_assert!(step <= MAX_STREAM_STEP && group <= MAX_STREAM_GROUP);
        let stream = (step << 40) | (group << 4) | phase as u64;
        Stream(Keystream::new(&Keystream::key_words(&self.0), stream))
    }
}

/// One random stream with the draws the model uses.
pub struct Stream(Keystream);

impl Stream {
    /// U: a uniform draw on [0, 1) from one 32-bit word (resolution 2^-32).
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        self.0.next_u32() as f64 * (1.0 / 4_294_967_296.0)
    }

    /// True with probability `p` (U < p). A probability of 0 or less draws nothing.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.uniform() < p
    }

    /// A standard normal draw.
    #[inline]
    pub fn normal(&mut self) -> f64 {
        StandardNormal.sample(&mut self.0)
    }

    /// A uniform integer in 0..n (0 < n <= 2^32), unbiased.
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        if n <= u32::MAX as usize {
            self.0.random_range(0..n as u32) as usize
        } else {
            self.0.random_range(0..n)
        }
    }

    /// A draw from a distribution.
    pub fn sample<T, D: Distribution<T>>(&mut self, distribution: &D) -> T {
        distribution.sample(&mut self.0)
    }

    /// The next raw 64-bit word (for known-answer tests).
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_every_coordinate() {
        let key = ReplicateKey::new(1, 0);
        let first = key.stream(0, 0, Phase::Act).next_u64();
        assert_ne!(first, key.stream(1, 0, Phase::Act).next_u64());
        assert_ne!(first, key.stream(0, 1, Phase::Act).next_u64());
        assert_ne!(first, key.stream(0, 0, Phase::Learn).next_u64());
        assert_ne!(
            first,
            ReplicateKey::new(1, 1).stream(0, 0, Phase::Act).next_u64()
        );
        assert_ne!(
            first,
            ReplicateKey::new(2, 0).stream(0, 0, Phase::Act).next_u64()
        );
        assert_eq!(first, key.stream(0, 0, Phase::Act).next_u64());
    }

    #[test]
    fn uniform_is_in_unit_interval() {
        let mut stream = ReplicateKey::new(7, 3).stream(5, 9, Phase::Turnover);
        for _ in 0..10_000 {
            let u = stream.uniform();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
