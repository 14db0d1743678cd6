//! The single-precision exponential of the logit choice, written out so that it inlines
//! into the step and gives the same bits on every platform.
//!
//! The algorithm is Arm's `expf` from the optimized-routines library (Szabolcs Nagy, 2017,
//! MIT licence), which glibc (since 2.28) and musl ship: x/ln 2 = k/32 + r with |r| <= 1/64,
//! 2^(k/32) from a 32-entry table, 2^(r/32) by a cubic polynomial, all in double precision,
//! then one rounding to single. Its error is at most 0.502 ulp. It is written without fused
//! multiply-add, as glibc's baseline x86-64 build computes it, and gives the same bits as that
//! build on every float the logit can pass it (tested); special cases follow glibc. glibc
//! itself picks an FMA build on processors that have FMA, which rounds differently on about
//! one float in a billion there.

/// 2^(i/32) as the bits of a double, minus i << 47, so that adding k << 47 to entry k mod 32
/// gives the bits of 2^(k/32) (the table of `__exp2f_data`; each entry is the double nearest
/// 2^(i/32), checked by a test).
const TABLE: [u64; 32] = [
    0x3ff0000000000000,
    0x3fefd9b0d3158574,
    0x3fefb5586cf9890f,
    0x3fef9301d0125b51,
    0x3fef72b83c7d517b,
    0x3fef54873168b9aa,
    0x3fef387a6e756238,
    0x3fef1e9df51fdee1,
    0x3fef06fe0a31b715,
    0x3feef1a7373aa9cb,
    0x3feedea64c123422,
    0x3feece086061892d,
    0x3feebfdad5362a27,
    0x3feeb42b569d4f82,
    0x3feeab07dd485429,
    0x3feea47eb03a5585,
    0x3feea09e667f3bcd,
    0x3fee9f75e8ec5f74,
    0x3feea11473eb0187,
    0x3feea589994cce13,
    0x3feeace5422aa0db,
    0x3feeb737b0cdc5e5,
    0x3feec49182a3f090,
    0x3feed503b23e255d,
    0x3feee89f995ad3ad,
    0x3feeff76f2fb5e47,
    0x3fef199bdd85529c,
    0x3fef3720dcef9069,
    0x3fef5818dcfba487,
    0x3fef7c97337b9b5f,
    0x3fefa4afa2a490da,
    0x3fefd0765b6e4540,
];
/// 32 / ln 2 (0x1.71547652b82fep+0 times 32).
const INV_LN2_32: f64 = f64::from_bits(0x3ff71547652b82fe) * 32.0;
/// 0x1.8p+52: adding it rounds a double of magnitude below 2^51 to an integer (ties to even),
/// which is then the low bits of the sum.
const SHIFT: f64 = f64::from_bits(0x4338000000000000);
/// The polynomial for 2^(r/32): C0 r^3 + C1 r^2 + C2 r + 1.
const C0: f64 = f64::from_bits(0x3fac6af84b912394) / 32768.0;
const C1: f64 = f64::from_bits(0x3fcebfce50fac4f3) / 1024.0;
const C2: f64 = f64::from_bits(0x3fe62e42ff0c52d6) / 32.0;

/// e^x in single precision (at most 0.502 ulp from the exact value).
#[inline(always)]
pub fn expf(x: f32) -> f32 {
    // |x| >= 88, infinities and NaN (the top 12 bits of the float, sign removed).
    if (x.to_bits() >> 20) & 0x7ff >= 0x42b {
        return special(x);
    }
    table_and_polynomial(x)
}

/// e^x = 2^(k/32) 2^(r/32) for |x| below about 104.
#[inline(always)]
fn table_and_polynomial(x: f32) -> f32 {
    let z = INV_LN2_32 * x as f64;
    let shifted = z + SHIFT;
    let k = shifted.to_bits();
    let r = z - (shifted - SHIFT);
    let scale = f64::from_bits(TABLE[(k % 32) as usize].wrapping_add(k << 47));
    let cubic = C0 * r + C1;
    let linear = C2 * r + 1.0;
    let y = cubic * (r * r) + linear;
    (y * scale) as f32
}

/// e^x for |x| >= 88, infinities and NaN, as glibc returns them.
#[cold]
#[inline(never)]
fn special(x: f32) -> f32 {
    if x == f32::NEG_INFINITY {
        0.0
    } else if !x.is_finite() {
        x + x
    } else if x > f32::from_bits(0x42b17217) {
        // Above ln(2^128): overflow.
        f32::INFINITY
    } else if x < f32::from_bits(0xc2cff1b4) {
        // Below ln(2^-150): underflow to zero.
        0.0
    } else if x < f32::from_bits(0xc2ce8ecf) {
        // Below ln(2^-149): glibc returns the smallest subnormal.
        f32::from_bits(1)
    } else {
        table_and_polynomial(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_holds_the_nearest_doubles_to_powers_of_two() {
        for (i, &entry) in TABLE.iter().enumerate() {
            let value = f64::from_bits(entry.wrapping_add((i as u64) << 47));
            // 2^(i/32) computed independently; the table's double is the nearest one.
            let exact = (i as f64 / 32.0).exp2();
            assert!(
                (value - exact).abs() <= f64::EPSILON * exact,
                "entry {i}: {value} vs {exact}"
            );
        }
    }

    /// Distance of e^x (in double) from the nearest midpoint between two floats, in floats' ulps.
    fn from_midpoint(exact: f64) -> f64 {
        let below = exact as f32;
        let (low, high) = if (below as f64) <= exact {
            (below, f32::from_bits(below.to_bits() + 1))
        } else {
            (f32::from_bits(below.to_bits() - 1), below)
        };
        let ulp = high as f64 - low as f64;
        let midpoint = low as f64 + ulp / 2.0;
        (exact - midpoint).abs() / ulp
    }

    /// Every 61st float from -104 to 89: the result is the float nearest e^x, except where
    /// e^x lies within 0.003 ulp of a midpoint between floats (0.502 ulp accuracy).
    #[test]
    fn rounds_to_nearest_except_next_to_midpoints() {
        let mut checked = 0;
        let mut bits = (-104.0f32).to_bits();
        let stop = (-0.0f32).to_bits();
        let mut step_through = |x: f32| {
            let exact = (x as f64).exp();
            let nearest = exact as f32;
            let got = expf(x);
            if got != nearest {
                assert!(
                    from_midpoint(exact) < 0.003 || exact < f32::MIN_POSITIVE as f64,
                    "expf({x:e}) = {got:e}, nearest {nearest:e}"
                );
            }
            checked += 1;
        };
        while bits > stop {
            step_through(f32::from_bits(bits));
            bits -= 61;
        }
        let mut x = 0.0f32;
        while x < 89.0 {
            step_through(x);
            x = f32::from_bits(x.to_bits() + 61);
        }
        assert!(checked > 30_000_000);
    }

    /// The logit's arguments are never positive. Over every float in [-104, 0) the results
    /// hash to what glibc 2.36's baseline x86-64 `expf` gives (run with
    /// `GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA,-FMA4,-AVX512F`); its FMA build differs on
    /// one of these 1.1 billion floats (-63.09946), by one ulp.
    #[test]
    fn matches_glibc_on_every_float_from_minus_104_to_0() {
        let mut hash = 0xcbf2_9ce4_8422_2325u64;
        let mut bits = (-104.0f32).to_bits();
        while bits > (-0.0f32).to_bits() {
            let y = expf(f32::from_bits(bits));
            hash = (hash ^ u64::from(y.to_bits())).wrapping_mul(0x0100_0000_01b3);
            bits -= 1;
        }
        assert_eq!(hash, 0xed29_7017_e93e_ab23);
    }

    #[test]
    fn special_values_follow_glibc() {
        assert_eq!(expf(0.0), 1.0);
        assert_eq!(expf(-0.0), 1.0);
        assert_eq!(expf(f32::NEG_INFINITY), 0.0);
        assert_eq!(expf(f32::INFINITY), f32::INFINITY);
        assert!(expf(f32::NAN).is_nan());
        assert_eq!(expf(89.0), f32::INFINITY);
        assert_eq!(expf(-105.0), 0.0);
        assert_eq!(expf(-103.5), f32::from_bits(1));
        assert_eq!(expf(-1000.0), 0.0);
        assert_eq!(expf(1.0), std::f32::consts::E);
    }
}
