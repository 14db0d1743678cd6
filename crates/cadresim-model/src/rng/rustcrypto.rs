//! The ChaCha8 words behind `rng::Stream` from RustCrypto's `chacha20` crate (its
//! `ChaCha8Rng`: 64-bit block counter, 64-bit stream, four blocks at a time, AVX2 or SSE2
//! chosen at run time) instead of the model's own keystream: the same words in the same order,
//! so every output is the same. Compiled only with the model's `chacha20` feature, for the
//! comparison of the two in docs/REPRODUCIBILITY.md.

use chacha20::rand_core::{Rng, SeedableRng};

/// A ChaCha8 keystream read as rand_core's block generators read theirs.
pub struct Keystream(chacha20::ChaCha8Rng);

impl Keystream {
    /// The keystream of `key` and `stream` from its first word.
    #[inline(always)]
    pub fn new(key: &[u32; 8], stream: u64) -> Self {
        let mut seed = [0u8; 32];
        for (bytes, word) in seed.chunks_exact_mut(4).zip(key) {
            bytes.copy_from_slice(&word.to_le_bytes());
        }
        let mut generator = chacha20::ChaCha8Rng::from_seed(seed);
        generator.set_stream(stream);
        Keystream(generator)
    }

    /// The key's bytes as the eight little-endian words ChaCha reads (the keystream crate's
    /// reading, so both back ends key the same way).
    #[inline(always)]
    pub fn key_words(key: &[u8; 32]) -> [u32; 8] {
        cadresim_keystream::Keystream::key_words(key)
    }
}

impl rand::RngCore for Keystream {
    #[inline(always)]
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    #[inline(always)]
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    /// rand_chacha's and chacha20's words agree for several keys and streams, in 32- and
    /// 64-bit reads mixed across block and buffer boundaries.
    #[test]
    fn the_words_are_rand_chachas() {
        for (seed, stream) in [(0u8, 0u64), (7, 1 << 40 | 3 << 4 | 1), (255, u64::MAX)] {
            let key = [seed; 32];
            let mut ours = Keystream::new(&Keystream::key_words(&key), stream);
            let mut theirs = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::from_seed(key);
            theirs.set_stream(stream);
            for i in 0..1_000 {
                if i % 3 == 0 {
                    assert_eq!(ours.next_u64(), theirs.next_u64(), "word {i}");
                } else {
                    assert_eq!(ours.next_u32(), theirs.next_u32(), "word {i}");
                }
            }
        }
    }
}
