//! The ChaCha8 words behind cadresim's `rng::Stream` (in the model crate): exactly those of
//! `rand_chacha::ChaCha8Rng` with
//! the same key and stream, in the same order, eight blocks (128 words) at a time. On x86-64
//! processors with AVX-512 (F and VL) the eight blocks are computed word-sliced, one 256-bit
//! vector per state word; with AVX2 only, one block per 128-bit lane, four groups of two
//! interleaved so that their rounds overlap; on 64-bit ARM with NEON, RustCrypto's `chacha20`
//! computes them (four blocks at a time); elsewhere rand_chacha computes them. A block
//! depends only on (key, stream, counter), so the path taken and the number of blocks at once
//! change speed, never the words; the tests compare every path with rand_chacha.
//!
//! Eight blocks measured fastest on the default hierarchy, whose streams mostly use 50-200
//! words: four leave the rounds' latency exposed, sixteen compute words no draw uses.
//! RustCrypto's `chacha20` 0.10 gives the same words but a default replicate about 3% slower
//! on x86-64 (docs/REPRODUCIBILITY.md), so cadresim keeps this crate there and uses chacha20's
//! NEON code on 64-bit ARM; rand_chacha's portable code is the fallback on every other
//! processor.

// The SIMD paths call intrinsics and target-feature functions, which need `unsafe`; every
// block says why it is sound.
#![allow(unsafe_code)]

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Words per block.
const BLOCK: usize = 16;
/// Blocks computed at once.
const BLOCKS: usize = 8;
/// Words computed at once.
const WORDS: usize = BLOCK * BLOCKS;
/// "expand 32-byte k" (the SIMD paths' first row).
#[cfg(target_arch = "x86_64")]
const CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// A ChaCha8 keystream (8 rounds, 64-bit block counter in words 12-13, 64-bit stream in
/// words 14-15), read as rand_core's block generators read theirs: 32-bit draws take the next
/// word, 64-bit draws the next two (the first as the low half).
pub struct Keystream {
    /// The last blocks computed, block after block.
    words: [u32; WORDS],
    /// Index in `words` of the next word to read (WORDS: none left).
    position: usize,
    /// Key words (4-11) of every block.
    key: [u32; 8],
    /// The stream (words 14-15).
    stream: u64,
    /// Counter of the next block to compute (words 12-13).
    counter: u64,
}

impl Keystream {
    /// The keystream of `key` and `stream` from its first word.
    #[inline(always)]
    pub fn new(key: &[u32; 8], stream: u64) -> Self {
        Keystream {
            words: [0; WORDS],
            position: WORDS,
            key: *key,
            stream,
            counter: 0,
        }
    }

    /// The key's bytes as the eight little-endian words ChaCha reads.
    pub fn key_words(key: &[u8; 32]) -> [u32; 8] {
        let mut words = [0u32; 8];
        for (word, bytes) in words.iter_mut().zip(key.chunks_exact(4)) {
            *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        words
    }

    /// The next blocks into `words`, the read position at the first.
    #[cold]
    #[inline(never)]
    fn refill(&mut self) {
        self.refill_with(Simd::detect());
    }

    /// `refill` with the given instructions, which the processor must have.
    #[inline(always)]
    fn refill_with(&mut self, simd: Simd) {
        match simd {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the processor has AVX-512F and VL (the caller's promise).
            Simd::Avx512 => unsafe {
                blocks_avx512(&self.key, self.stream, self.counter, &mut self.words)
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the processor has AVX2 (the caller's promise).
            Simd::Avx2 => unsafe {
                blocks_avx2(&self.key, self.stream, self.counter, &mut self.words)
            },
            #[cfg(target_arch = "aarch64")]
            Simd::Neon => self.blocks_from_chacha20(),
            _ => self.blocks_from_rand_chacha(),
        }
        self.counter = self.counter.wrapping_add(BLOCKS as u64);
        self.position = 0;
    }

    /// The next blocks as rand_chacha computes them.
    fn blocks_from_rand_chacha(&mut self) {
        let mut key = [0u8; 32];
        for (bytes, word) in key.chunks_exact_mut(4).zip(&self.key) {
            bytes.copy_from_slice(&word.to_le_bytes());
        }
        let mut generator = ChaCha8Rng::from_seed(key);
        generator.set_stream(self.stream);
        generator.set_word_pos(u128::from(self.counter) * BLOCK as u128);
        for word in &mut self.words {
            *word = generator.next_u32();
        }
    }

    /// The next blocks as RustCrypto's chacha20 computes them (with NEON on 64-bit ARM).
    #[cfg(target_arch = "aarch64")]
    fn blocks_from_chacha20(&mut self) {
        use chacha20::rand_core::{Rng, SeedableRng};
        let mut key = [0u8; 32];
        for (bytes, word) in key.chunks_exact_mut(4).zip(&self.key) {
            bytes.copy_from_slice(&word.to_le_bytes());
        }
        let mut generator = chacha20::ChaCha8Rng::from_seed(key);
        // The stream first: setting it resets the block position.
        generator.set_stream(self.stream);
        generator.set_block_pos(self.counter);
        for word in &mut self.words {
            *word = generator.next_u32();
        }
    }

    /// Two consecutive words, the first as the low half, when fewer than two are left.
    #[cold]
    #[inline(never)]
    fn next_u64_across_refill(&mut self) -> u64 {
        let low = self.next_u32();
        let high = self.next_u32();
        (u64::from(high) << 32) | u64::from(low)
    }
}

impl RngCore for Keystream {
    #[inline(always)]
    fn next_u32(&mut self) -> u32 {
        let position = if self.position < WORDS {
            self.position
        } else {
            self.refill();
            0
        };
        self.position = position + 1;
        self.words[position]
    }

    #[inline(always)]
    fn next_u64(&mut self) -> u64 {
        let position = self.position;
        if position + 1 < WORDS {
            self.position = position + 2;
            (u64::from(self.words[position + 1]) << 32) | u64::from(self.words[position])
        } else {
            self.next_u64_across_refill()
        }
    }

    /// Little-endian words; a word only partly needed is used up (as rand_core's).
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(4) {
            let bytes = self.next_u32().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// The vector instructions a refill uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Simd {
    Avx512,
    Avx2,
    /// RustCrypto's chacha20 (its NEON code).
    Neon,
    /// rand_chacha's own code (which picks its vector instructions itself).
    None,
}

impl Simd {
    /// The widest this processor has.
    #[inline(always)]
    fn detect() -> Self {
        [Simd::Avx512, Simd::Avx2, Simd::Neon]
            .into_iter()
            .find(|simd| simd.is_available())
            .unwrap_or(Simd::None)
    }

    /// Whether this processor has the instructions.
    #[inline(always)]
    fn is_available(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            match self {
                Simd::Avx512 => has!("avx512f") && has!("avx512vl"),
                Simd::Avx2 => has!("avx2"),
                Simd::Neon => false,
                Simd::None => true,
            }
        }
        // chacha20 uses NEON where the build targets it (every 64-bit ARM Linux and macOS
        // target does).
        #[cfg(target_arch = "aarch64")]
        {
            self == Simd::None || (self == Simd::Neon && cfg!(target_feature = "neon"))
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        {
            self == Simd::None
        }
    }
}

/// The counter and stream rows (words 12-15) of blocks `counter + first..`, one block per
/// four words, `LANES` blocks.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn counter_rows<const LANES: usize>(counter: u64, first: usize, stream: u64) -> [[u32; 4]; LANES] {
    std::array::from_fn(|lane| {
        let count = counter.wrapping_add((first + lane) as u64);
        [
            count as u32,
            (count >> 32) as u32,
            stream as u32,
            (stream >> 32) as u32,
        ]
    })
}

/// Blocks `counter..counter + BLOCKS` of (key, stream), block after block into `words`:
/// word-sliced, each 256-bit vector holding one of the sixteen state words of all eight
/// blocks, so that no lane is ever turned, then transposed (AVX-512VL supplies the rotate
/// and the thirty-two registers).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl")]
fn blocks_avx512(key: &[u32; 8], stream: u64, counter: u64, words: &mut [u32; WORDS]) {
    use std::arch::x86_64::*;
    const _: () = assert!(BLOCKS == 8, "one block per 32-bit lane of a 256-bit vector");
    let splat = |word: u32| _mm256_set1_epi32(word as i32);
    let counters: [[u32; BLOCKS]; 2] = std::array::from_fn(|half| {
        std::array::from_fn(|block| (counter.wrapping_add(block as u64) >> (32 * half)) as u32)
    });
    let counter_lanes = |half: usize| {
        // SAFETY: an unaligned load of the BLOCKS (8) words of `counters[half]`.
        unsafe { _mm256_loadu_si256(counters[half].as_ptr().cast()) }
    };
    let start: [__m256i; BLOCK] = std::array::from_fn(|w| match w {
        0..4 => splat(CONSTANTS[w]),
        4..12 => splat(key[w - 4]),
        12 | 13 => counter_lanes(w - 12),
        _ => splat((stream >> (32 * (w - 14))) as u32),
    });
    let mut x = start;
    macro_rules! quarter_round {
        ($a:literal, $b:literal, $c:literal, $d:literal) => {
            x[$a] = _mm256_add_epi32(x[$a], x[$b]);
            x[$d] = _mm256_rol_epi32::<16>(_mm256_xor_si256(x[$d], x[$a]));
            x[$c] = _mm256_add_epi32(x[$c], x[$d]);
            x[$b] = _mm256_rol_epi32::<12>(_mm256_xor_si256(x[$b], x[$c]));
            x[$a] = _mm256_add_epi32(x[$a], x[$b]);
            x[$d] = _mm256_rol_epi32::<8>(_mm256_xor_si256(x[$d], x[$a]));
            x[$c] = _mm256_add_epi32(x[$c], x[$d]);
            x[$b] = _mm256_rol_epi32::<7>(_mm256_xor_si256(x[$b], x[$c]));
        };
    }
    // 8 rounds: 4 double rounds of columns, then diagonals.
    for _ in 0..4 {
        quarter_round!(0, 4, 8, 12);
        quarter_round!(1, 5, 9, 13);
        quarter_round!(2, 6, 10, 14);
        quarter_round!(3, 7, 11, 15);
        quarter_round!(0, 5, 10, 15);
        quarter_round!(1, 6, 11, 12);
        quarter_round!(2, 7, 8, 13);
        quarter_round!(3, 4, 9, 14);
    }
    for (word, initial) in x.iter_mut().zip(start) {
        *word = _mm256_add_epi32(*word, initial);
    }
    // Transpose each half (words 0-7, 8-15) of the eight blocks: 8 x 8 words.
    for half in 0..2 {
        let r = &x[8 * half..8 * half + 8];
        let pairs: [__m256i; 8] = std::array::from_fn(|k| {
            let (i, j) = (2 * (k / 2), 2 * (k / 2) + 1);
            if k % 2 == 0 {
                _mm256_unpacklo_epi32(r[i], r[j])
            } else {
                _mm256_unpackhi_epi32(r[i], r[j])
            }
        });
        // Quad q < 4: words 0-3 of block q (low lane) and of block q + 4 (high lane);
        // quad q + 4: their words 4-7.
        let quads: [__m256i; 8] = std::array::from_fn(|q| {
            let base = 4 * (q / 4);
            let (t, u) = (pairs[base + (q % 4) / 2], pairs[base + 2 + (q % 4) / 2]);
            if q % 2 == 0 {
                _mm256_unpacklo_epi64(t, u)
            } else {
                _mm256_unpackhi_epi64(t, u)
            }
        });
        for block in 0..BLOCKS {
            let b = block % 4;
            let eight = if block < 4 {
                _mm256_permute2x128_si256::<0x20>(quads[b], quads[b + 4])
            } else {
                _mm256_permute2x128_si256::<0x31>(quads[b], quads[b + 4])
            };
            let at = BLOCK * block + 8 * half;
            // SAFETY: an unaligned store of 8 words at `at`, within `words` (BLOCKS blocks).
            unsafe { _mm256_storeu_si256(words[at..].as_mut_ptr().cast(), eight) };
        }
    }
}

/// Blocks `counter..counter + BLOCKS` of (key, stream), block after block into `words`:
/// four groups of two, one block per 128-bit lane of 256-bit vectors.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn blocks_avx2(key: &[u32; 8], stream: u64, counter: u64, words: &mut [u32; WORDS]) {
    use std::arch::x86_64::*;
    const GROUPS: usize = BLOCKS / 2;
    #[target_feature(enable = "avx2")]
    fn rotate<const BITS: i32>(x: __m256i) -> __m256i {
        // Byte shuffles for whole-byte rotations, shifts for the others.
        let bytes = |by: [i8; 4]| {
            let lane = std::array::from_fn::<i8, 16, _>(|i| 4 * (i as i8 / 4) + by[i % 4]);
            let mask = std::array::from_fn::<i8, 32, _>(|i| lane[i % 16]);
            // SAFETY: 32 bytes (unaligned load).
            _mm256_shuffle_epi8(x, unsafe { _mm256_loadu_si256(mask.as_ptr().cast()) })
        };
        match BITS {
            16 => bytes([2, 3, 0, 1]),
            8 => bytes([3, 0, 1, 2]),
            12 => _mm256_or_si256(_mm256_slli_epi32::<12>(x), _mm256_srli_epi32::<20>(x)),
            _ => _mm256_or_si256(_mm256_slli_epi32::<7>(x), _mm256_srli_epi32::<25>(x)),
        }
    }
    #[target_feature(enable = "avx2")]
    fn turn(x: __m256i, words: u32) -> __m256i {
        match words {
            1 => _mm256_shuffle_epi32::<0b00_11_10_01>(x),
            2 => _mm256_shuffle_epi32::<0b01_00_11_10>(x),
            _ => _mm256_shuffle_epi32::<0b10_01_00_11>(x),
        }
    }
    let row = |four: &[u32]| {
        debug_assert_eq!(four.len(), 4);
        // SAFETY: an unaligned load of 4 words; every call passes a slice of 4.
        let lanes = unsafe { _mm_loadu_si128(four.as_ptr().cast()) };
        _mm256_broadcastsi128_si256(lanes)
    };
    let (a0, b0, c0) = (row(&CONSTANTS), row(&key[..4]), row(&key[4..]));
    let d0: [__m256i; GROUPS] = std::array::from_fn(|g| {
        let rows = counter_rows::<2>(counter, 2 * g, stream);
        // SAFETY: an unaligned load of the 8 words of `rows`.
        unsafe { _mm256_loadu_si256(rows.as_ptr().cast()) }
    });
    let (mut a, mut b, mut c, mut d) = ([a0; GROUPS], [b0; GROUPS], [c0; GROUPS], d0);
    // 8 rounds: 4 double rounds, columns then diagonals (rows b-d turned by 1-3 words
    // before the diagonals, back after).
    for _ in 0..4 {
        for diagonal in [false, true] {
            for g in 0..GROUPS {
                a[g] = _mm256_add_epi32(a[g], b[g]);
                d[g] = rotate::<16>(_mm256_xor_si256(d[g], a[g]));
                c[g] = _mm256_add_epi32(c[g], d[g]);
                b[g] = rotate::<12>(_mm256_xor_si256(b[g], c[g]));
                a[g] = _mm256_add_epi32(a[g], b[g]);
                d[g] = rotate::<8>(_mm256_xor_si256(d[g], a[g]));
                c[g] = _mm256_add_epi32(c[g], d[g]);
                b[g] = rotate::<7>(_mm256_xor_si256(b[g], c[g]));
            }
            let (b_turn, d_turn) = if diagonal { (3, 1) } else { (1, 3) };
            for g in 0..GROUPS {
                b[g] = turn(b[g], b_turn);
                c[g] = turn(c[g], 2);
                d[g] = turn(d[g], d_turn);
            }
        }
    }
    for g in 0..GROUPS {
        let a = _mm256_add_epi32(a[g], a0);
        let b = _mm256_add_epi32(b[g], b0);
        let c = _mm256_add_epi32(c[g], c0);
        let d = _mm256_add_epi32(d[g], d0[g]);
        // Block 2g is the low lanes of a-d, block 2g + 1 the high lanes.
        let halves = [
            _mm256_permute2x128_si256::<0x20>(a, b),
            _mm256_permute2x128_si256::<0x20>(c, d),
            _mm256_permute2x128_si256::<0x31>(a, b),
            _mm256_permute2x128_si256::<0x31>(c, d),
        ];
        for (k, half) in halves.into_iter().enumerate() {
            let at = BLOCK * 2 * g + 8 * k;
            // SAFETY: an unaligned store of 8 words at `at`, within `words` (BLOCKS blocks).
            unsafe { _mm256_storeu_si256(words[at..].as_mut_ptr().cast(), half) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ChaCha8's first block with the all-zero 256-bit key and the all-zero IV (stream 0,
    /// counter 0) as little-endian words: test case TC1 of Strombergson, "Test Vectors for
    /// the Stream Cipher ChaCha" (draft-strombergson-chacha-test-vectors-01, 2013), whose
    /// keystream begins 3e00ef2f 895f40d6 7f5bb8e8 ...
    const ZERO_KEY_BLOCK: [u32; 16] = [
        0x2fef003e, 0xd6405f89, 0xe8b85b7f, 0xa1a5091f, 0xc30e842c, 0x3b7f9ace, 0x88e11b18,
        0x1e1a71ef, 0x72e14c98, 0x416f21b9, 0x6753449f, 0x19566d45, 0xa3424a31, 0x01b086da,
        0xb8fd7b38, 0x42fe0c0e,
    ];

    #[test]
    fn every_path_gives_the_published_known_answer() {
        for simd in paths() {
            let mut keystream = Keystream::new(&[0; 8], 0);
            keystream.refill_with(simd);
            assert_eq!(keystream.words[..BLOCK], ZERO_KEY_BLOCK, "{simd:?}");
        }
        let mut keystream = Keystream::new(&[0; 8], 0);
        let words: Vec<u32> = (0..BLOCK).map(|_| keystream.next_u32()).collect();
        assert_eq!(words, ZERO_KEY_BLOCK);
    }

    /// Every path this processor can run: rand_chacha's always, AVX2 and AVX-512 (x86-64)
    /// or NEON (64-bit ARM) if it has them (a message names any it lacks).
    /// `CADRESIM_EXPECT_SIMD` (`avx2,avx512` as `.ci/run` reads them from /proc/cpuinfo, or
    /// `neon` as `tests/aarch64/run.sh` sets it) names paths that must not be skipped.
    fn paths() -> Vec<Simd> {
        let all = [Simd::None, Simd::Avx2, Simd::Avx512, Simd::Neon];
        let (paths, missing): (Vec<Simd>, Vec<Simd>) = all.iter().partition(|s| s.is_available());
        let expected = std::env::var("CADRESIM_EXPECT_SIMD").unwrap_or_default();
        for simd in missing {
            let name = format!("{simd:?}").to_lowercase();
            assert!(
                !expected.split(',').any(|e| e.trim() == name),
                "CADRESIM_EXPECT_SIMD names {name}, which this processor's detection lacks"
            );
            eprintln!("this processor lacks {simd:?}: that path is not tested here");
        }
        paths
    }

    fn rand_chacha(key: &[u8; 32], stream: u64) -> ChaCha8Rng {
        let mut generator = ChaCha8Rng::from_seed(*key);
        generator.set_stream(stream);
        generator
    }

    fn keys() -> Vec<[u8; 32]> {
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = (i as u8).wrapping_mul(37).wrapping_add(11);
        }
        vec![key, [0; 32], [0xff; 32]]
    }

    /// `refills` refills by `simd` from block `start`, each compared with rand_chacha's
    /// words.
    fn compare_blocks(simd: Simd, key: &[u8; 32], stream: u64, start: u64, refills: usize) {
        let mut ours = Keystream::new(&Keystream::key_words(key), stream);
        ours.counter = start;
        let mut theirs = rand_chacha(key, stream);
        theirs.set_word_pos(u128::from(start) * BLOCK as u128);
        for refill in 0..refills {
            ours.refill_with(simd);
            for (k, &word) in ours.words.iter().enumerate() {
                assert_eq!(word, theirs.next_u32(), "{simd:?} refill {refill} word {k}");
            }
        }
    }

    #[test]
    fn every_path_gives_rand_chachas_words() {
        for simd in paths() {
            for key in keys() {
                for stream in [0, 1, 2, (5 << 40) | (3 << 4) | 2, u64::MAX] {
                    compare_blocks(simd, &key, stream, 0, 20);
                }
            }
        }
    }

    #[test]
    fn every_path_carries_the_block_counter_into_its_high_word() {
        for simd in paths() {
            for start in [(1u64 << 32) - 3, u64::MAX - 2] {
                compare_blocks(simd, &[9; 32], 4, start, 3);
            }
        }
    }

    /// Reads of 32 and 64 bits and of bytes, in a pattern that crosses many refills (with
    /// 64-bit reads straddling them): the same draws as rand_chacha's.
    #[test]
    fn reads_as_rand_chacha_does() {
        for key in keys() {
            let mut ours = Keystream::new(&Keystream::key_words(&key), 7);
            let mut theirs = rand_chacha(&key, 7);
            for k in 0..5_000 {
                match k % 7 {
                    0 | 3 => assert_eq!(ours.next_u64(), theirs.next_u64(), "draw {k}"),
                    5 => {
                        let (mut a, mut b) = ([0u8; 7], [0u8; 7]);
                        ours.fill_bytes(&mut a);
                        theirs.fill_bytes(&mut b);
                        assert_eq!(a, b, "draw {k}");
                    }
                    _ => assert_eq!(ours.next_u32(), theirs.next_u32(), "draw {k}"),
                }
            }
        }
    }
}
