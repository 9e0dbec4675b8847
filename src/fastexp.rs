//! `exp(x)` for `x <= 0` written with arithmetic and bit operations only, so
//! that loops calling it vectorise (the platform `exp` is an opaque call).
//!
//! Cody–Waite reduction `x = n ln2 + r`, `|r| <= ln2 / 2`, a degree-12 Taylor
//! polynomial for `exp(r)` (truncation error below 2e-16 relative) and the
//! scaling by `2^n` built in the exponent bits. Results are within a few ulp
//! of the correctly rounded value; inputs below -708 give `exp(-708)`
//! (about 3e-308), far below anything that changes a sum of kernel terms.
//! Every vector width gives the same bits; the fused multiply-add variant
//! (for CPUs with FMA) differs from the plain one in the last bits only.

const LOG2E: f64 = std::f64::consts::LOG2_E;
/// ln 2 split in a high part with trailing zero bits (n * LN2_HI is exact) and the rest.
#[allow(clippy::excessive_precision)]
const LN2_HI: f64 = 6.931_471_803_691_238_164_9e-1;
#[allow(clippy::excessive_precision)]
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
/// 1.5 * 2^52: adding it rounds to an integer held in the low mantissa bits.
const SHIFT: f64 = 6_755_399_441_055_744.0;

/// 1/k! for k = 12 down to 2.
const INV_FACT: [f64; 11] = [
    1.0 / 479_001_600.0,
    1.0 / 39_916_800.0,
    1.0 / 3_628_800.0,
    1.0 / 362_880.0,
    1.0 / 40_320.0,
    1.0 / 5_040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    1.0 / 2.0,
];

/// `a * b + c`, fused (one rounding) when `FMA`.
#[inline(always)]
fn madd<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// `exp(x)` for `-708 <= x <= 0` (and `exp(-708)` below). With `FMA` the
/// multiply-adds are fused: callers enable it only where the CPU has FMA
/// (otherwise `mul_add` is a slow library call).
#[inline(always)]
pub fn exp_nonpositive_with<const FMA: bool>(x: f64) -> f64 {
    let x = x.max(-708.0);
    let t = madd::<FMA>(x, LOG2E, SHIFT);
    let n = t - SHIFT;
    let r = madd::<FMA>(-n, LN2_LO, madd::<FMA>(-n, LN2_HI, x));
    let mut p = INV_FACT[0];
    for c in &INV_FACT[1..] {
        p = madd::<FMA>(p, r, *c);
    }
    p = madd::<FMA>(p, r, 1.0);
    p = madd::<FMA>(p, r, 1.0);
    // The low bits of t hold n (two's complement); n + 1023 is the biased exponent.
    let scale = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    p * scale
}

/// `exp(x)` for `-708 <= x <= 0`, without fused multiply-adds.
#[inline(always)]
pub fn exp_nonpositive(x: f64) -> f64 {
    exp_nonpositive_with::<false>(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_std_exp() {
        let mut worst: f64 = 0.0;
        let mut x = 0.0;
        while x > -700.0 {
            let (a, b) = (exp_nonpositive(x), x.exp());
            worst = worst.max(((a - b) / b).abs());
            x -= 0.001_234_567;
        }
        assert!(worst < 1e-15, "worst relative error {worst:e}");
        let mut worst: f64 = 0.0;
        let mut x = 0.0;
        while x > -700.0 {
            let (a, b) = (exp_nonpositive_with::<true>(x), x.exp());
            worst = worst.max(((a - b) / b).abs());
            x -= 0.001_234_567;
        }
        assert!(worst < 1e-15, "worst relative error with FMA {worst:e}");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert!(exp_nonpositive(-1e6) < 1e-300);
        assert!(exp_nonpositive(-1e6) >= 0.0);
    }
}
