//! Rank correlations against naive O(n^2) definitions, on random data with many ties.

use proptest::prelude::*;
use zcfast_core::stats::{kendall, pearson, spearman};

// The benchmarks' deterministic generator and textbook ranks double as test oracles.
#[path = "../../benches/rust/common.rs"]
mod common;

fn average_ranks(x: &[f64]) -> Vec<f64> {
    x.iter()
        .map(|&v| {
            let below = x.iter().filter(|&&w| w < v).count() as f64;
            let equal = x.iter().filter(|&&w| w == v).count() as f64;
            below + (equal + 1.0) / 2.0
        })
        .collect()
}

fn naive_pearson(a: &[f64], b: &[f64]) -> f64 {
    // r does not depend on scale; dividing by the largest magnitude keeps tiny inputs
    // (1e-300) from underflowing in the squares.
    let unit = |x: &[f64]| -> Vec<f64> {
        let m = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        x.iter().map(|v| v / m).collect()
    };
    let (a, b) = (&unit(a)[..], &unit(b)[..]);
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

fn naive_kendall_b(a: &[f64], b: &[f64]) -> f64 {
    let (mut conc, mut disc, mut tie_a, mut tie_b) = (0i64, 0i64, 0i64, 0i64);
    for i in 0..a.len() {
        for j in i + 1..a.len() {
            let da = (a[i] - a[j]).signum() * f64::from(u8::from(a[i] != a[j]));
            let db = (b[i] - b[j]).signum() * f64::from(u8::from(b[i] != b[j]));
            if da == 0.0 && db == 0.0 {
                continue;
            } else if da == 0.0 {
                tie_a += 1;
            } else if db == 0.0 {
                tie_b += 1;
            } else if da == db {
                conc += 1;
            } else {
                disc += 1;
            }
        }
    }
    (conc - disc) as f64 / (((conc + disc + tie_a) * (conc + disc + tie_b)) as f64).sqrt()
}

fn vectors() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (3usize..700).prop_flat_map(|n| {
        // Few distinct values force ties; the odd huge or tiny value tests the key mapping.
        let value = prop_oneof![
            (0i32..6).prop_map(f64::from),
            -1e6f64..1e6,
            Just(-0.0),
            Just(1e300),
            Just(-1e-300),
        ];
        (
            prop::collection::vec(value.clone(), n),
            prop::collection::vec(value, n),
        )
    })
}

fn varies(x: &[f64]) -> bool {
    x.iter().any(|&v| v != x[0])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn spearman_is_pearson_of_average_ranks((a, b) in vectors()) {
        prop_assume!(varies(&a) && varies(&b));
        let expected = naive_pearson(&average_ranks(&a), &average_ranks(&b));
        let got = spearman(&a, &b).expect("valid input");
        prop_assert!((got - expected).abs() < 1e-9, "{} vs {}", got, expected);
    }

    #[test]
    fn kendall_matches_pair_counting((a, b) in vectors()) {
        prop_assume!(varies(&a) && varies(&b));
        let expected = naive_kendall_b(&a, &b);
        let got = kendall(&a, &b).expect("valid input");
        prop_assert!((got - expected).abs() < 1e-9, "{} vs {}", got, expected);
    }

    #[test]
    fn pearson_matches_definition((a, b) in vectors()) {
        // Pearson is not rank-based: keep magnitudes where the naive sums cannot overflow.
        let tame = |x: Vec<f64>| -> Vec<f64> { x.into_iter().map(|v| v.clamp(-1e7, 1e7)).collect() };
        let (a, b) = (tame(a), tame(b));
        prop_assume!(varies(&a) && varies(&b));
        let expected = naive_pearson(&a, &b);
        let got = pearson(&a, &b).expect("valid input");
        prop_assert!((got - expected).abs() < 1e-9, "{} vs {}", got, expected);
    }
}

#[test]
fn large_inputs_use_the_radix_path_and_agree() {
    let n = 20_000;
    let a: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 4099) as f64 * 0.37 - 700.0)
        .collect();
    let b: Vec<f64> = (0..n)
        .map(|i| ((i * 104_729) % 3001) as f64 + a[i] * 0.5)
        .collect();
    let rho = spearman(&a, &b).expect("valid");
    let expected = naive_pearson(&common::average_ranks(&a), &common::average_ranks(&b));
    assert!((rho - expected).abs() < 1e-9);
}

/// Candidate outputs shaped like evolved programs': heavy tails, both signs, exact zeros and
/// sentinel values, with no, few or many ties.
fn shaped_outputs(n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = common::Lcg::new(seed);
    let mut next = || rng.next_f64();
    let mut out = Vec::new();
    let heavy: Vec<f64> = (0..n).map(|_| (next() * 40.0 - 20.0).exp()).collect();
    out.push(heavy.clone());
    out.push(heavy.iter().map(|v| v * (next() - 0.5)).collect());
    let mut few_ties = heavy.clone();
    for i in (0..n).step_by(37) {
        few_ties[i] = 0.0;
    }
    out.push(few_ties);
    out.push(heavy.iter().map(|v| (v.ln() / 4.0).round()).collect());
    out.push(
        heavy
            .iter()
            .enumerate()
            .map(|(i, &v)| if i % 5 == 0 { -1e300 } else { v - 1.0 })
            .collect(),
    );
    out
}

#[test]
fn fitness_kernels_agree_with_the_definitions_on_every_simd_level() {
    use zcfast_core::simd::SimdLevel;
    use zcfast_core::stats::{RankScratch, RankedTarget};
    for n in [5, 64, 65, 1000, 5000] {
        let target: Vec<f64> = (0..n).map(|i| ((i * 7919) % 997) as f64 / 10.0).collect();
        let ranked = RankedTarget::new(&target, "targets").expect("valid");
        let target_ranks = common::average_ranks(&target);
        for (k, x) in shaped_outputs(n, n as u64).iter().enumerate() {
            let rho = naive_pearson(&common::average_ranks(x), &target_ranks);
            let tau = (n <= 1000).then(|| naive_kendall_b(x, &target));
            for level in SimdLevel::available() {
                let mut scratch = RankScratch::with_simd(level);
                let got = ranked.spearman(x, &mut scratch).expect("varies");
                assert!(
                    (got - rho).abs() < 1e-9,
                    "n {n}, case {k}, {level:?}: {got} vs {rho}"
                );
                if let Some(tau) = tau {
                    let got = ranked.kendall(x, &mut scratch).expect("varies");
                    assert!(
                        (got - tau).abs() < 1e-9,
                        "n {n}, case {k}, {level:?}: {got} vs {tau}"
                    );
                }
            }
        }
    }
}
