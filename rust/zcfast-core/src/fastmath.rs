//! A natural logarithm that the compiler can vectorise.
//!
//! `f64::ln` calls libm one element at a time and would dominate the cost of evaluating a tree
//! with a `log` node. This version uses only arithmetic and bit operations, so a loop over a
//! block of rows becomes SIMD code, and it stays within a few ulp of the correctly rounded value
//! (checked against `f64::ln` in the tests), which keeps rankings identical in practice.

const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-01;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
const SQRT2: f64 = std::f64::consts::SQRT_2;
/// 2^52 as a float: adding it to a 52-bit integer stored in the mantissa converts bits to value.
const TWO52: f64 = 4_503_599_627_370_496.0;

/// ln(x) for positive normal x; non-finite input is returned unchanged (inf stays inf, NaN NaN).
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    let bits = x.to_bits();
    // Exponent as a float without an int-to-float instruction (which has no AVX2 form).
    let exp_field = f64::from_bits(0x4330_0000_0000_0000 | (bits >> 52)) - TWO52;
    let m0 = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000);
    let big = m0 > SQRT2;
    let m = if big { m0 * 0.5 } else { m0 };
    let e = exp_field - 1023.0 + if big { 1.0 } else { 0.0 };
    // ln(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716: a series in s^2 to 1e-17.
    let s = (m - 1.0) / (m + 1.0);
    let z = s * s;
    let p = 1.0 / 23.0;
    let p = p * z + 1.0 / 21.0;
    let p = p * z + 1.0 / 19.0;
    let p = p * z + 1.0 / 17.0;
    let p = p * z + 1.0 / 15.0;
    let p = p * z + 1.0 / 13.0;
    let p = p * z + 1.0 / 11.0;
    let p = p * z + 1.0 / 9.0;
    let p = p * z + 1.0 / 7.0;
    let p = p * z + 1.0 / 5.0;
    let p = p * z + 1.0 / 3.0;
    // 2s + 2s*z*p, with the small correction term added last for accuracy.
    let lnm = 2.0 * s + 2.0 * s * z * p;
    let r = e * LN2_HI + (lnm + e * LN2_LO);
    if x.is_finite() {
        r
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
