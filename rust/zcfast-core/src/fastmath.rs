//! A natural logarithm that the compiler can vectorise.
//!
//! `f64::ln` calls libm one element at a time and would dominate the cost of evaluating a tree
//! with a `log` node. This version uses only arithmetic and bit operations, so a loop over a
//! block of rows becomes SIMD code, and it stays within about one ulp of the correctly rounded
//! value (checked against `f64::ln` in the tests).

// The constants keep every digit of their published values.
#![allow(clippy::excessive_precision)]

const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-01;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
const SQRT2: f64 = std::f64::consts::SQRT_2;
/// 2^52 as a float: adding it to a 52-bit integer stored in the mantissa converts bits to value.
const TWO52: f64 = 4_503_599_627_370_496.0;

// Minimax coefficients of fdlibm's `__ieee754_log` for R(z) ~ ln((1+s)/(1-s)) / s - 2, z = s^2.
const LG1: f64 = 6.666_666_666_666_735_130e-01;
const LG2: f64 = 3.999_999_999_940_941_908e-01;
const LG3: f64 = 2.857_142_874_366_239_149e-01;
const LG4: f64 = 2.222_219_843_214_978_396e-01;
const LG5: f64 = 1.818_357_216_161_805_012e-01;
const LG6: f64 = 1.531_383_769_920_937_332e-01;
const LG7: f64 = 1.479_819_860_511_658_591e-01;

/// ln(x) for positive normal x; non-finite input is returned unchanged (inf stays inf, NaN NaN).
///
/// fdlibm's reduction and polynomial (x = 2^k (1 + f), 1 + f in [sqrt(2)/2, sqrt(2))), written
/// with selects instead of branches so that loops over it vectorise.
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    let bits = x.to_bits();
    // Exponent as a float without an int-to-float instruction (which has no AVX2 form).
    let exp_field = f64::from_bits(0x4330_0000_0000_0000 | (bits >> 52)) - TWO52;
    let m0 = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000);
    let big = m0 > SQRT2;
    let m = if big { m0 * 0.5 } else { m0 };
    let k = exp_field - 1023.0 + if big { 1.0 } else { 0.0 };
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    let result = k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f);
    if x.is_finite() {
        result
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_std_ln_to_a_few_ulp() {
        let mut x = 1e-10_f64;
        let mut worst = 0.0_f64;
        while x < 1e300 {
            for k in 0..50 {
                let v = x * (1.0 + k as f64 * 0.0137);
                let exact = v.ln();
                let got = ln(v);
                let err = if exact.abs() > 1e-300 {
                    ((got - exact) / exact).abs()
                } else {
                    (got - exact).abs()
                };
                worst = worst.max(err);
            }
            x *= 1.7;
        }
        assert!(worst < 2e-15, "worst relative error {worst}");
        assert_eq!(ln(1.0), 0.0);
        assert!(ln(f64::INFINITY).is_infinite());
        assert!(ln(f64::NAN).is_nan());
    }

    #[test]
    fn absolute_error_near_one() {
        for k in 1..2000 {
            let v = 1.0 + (k as f64 - 1000.0) * 1e-6;
            assert!((ln(v) - v.ln()).abs() < 1e-16, "{v}");
        }
    }
}
