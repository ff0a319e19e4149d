//! Rank correlations against naive O(n^2) definitions, on random data with many ties.

use proptest::prelude::*;
use zcfast_core::stats::{kendall, ndcg, pearson, precision, spearman, top_count, weighted_tau};

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

/// Positions (0 = most important) in decreasing lexicographic order by (a, b), later index
/// first among full ties: what `numpy.lexsort((b, a))[::-1]` gives, as scipy ranks.
fn lex_rank(a: &[f64], b: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..a.len()).collect();
    idx.sort_by(|&i, &j| {
        (a[j], b[j], j)
            .partial_cmp(&(a[i], b[i], i))
            .expect("finite")
    });
    let mut rank = vec![0; a.len()];
    for (r, &i) in idx.iter().enumerate() {
        rank[i] = r;
    }
    rank
}

/// Vigna's weighted τ by its definition: every pair, weights 1/(r+1) added, both rankings.
fn naive_weighted_tau(x: &[f64], y: &[f64]) -> f64 {
    let one = |rank: &[usize]| {
        let w: Vec<f64> = rank.iter().map(|&r| 1.0 / (r as f64 + 1.0)).collect();
        let (mut num, mut dx, mut dy) = (0.0, 0.0, 0.0);
        for i in 0..x.len() {
            for j in i + 1..x.len() {
                let wij = w[i] + w[j];
                let sx = (x[i] - x[j]).signum() * f64::from(u8::from(x[i] != x[j]));
                let sy = (y[i] - y[j]).signum() * f64::from(u8::from(y[i] != y[j]));
                num += wij * sx * sy;
                dx += wij * sx.abs();
                dy += wij * sy.abs();
            }
        }
        num / (dx * dy).sqrt()
    };
    (one(&lex_rank(x, y)) + one(&lex_rank(y, x))) / 2.0
}

/// Precision@k and NDCG@k by their definitions, ties at a block shared by its places.
fn naive_top(x: &[f64], y: &[f64], k: usize) -> (f64, f64) {
    let n = x.len();
    let avg_rank = |v: &[f64], i: usize| {
        let below = v.iter().filter(|&&w| w < v[i]).count() as f64;
        let equal = v.iter().filter(|&&w| w == v[i]).count() as f64;
        below + (equal + 1.0) / 2.0
    };
    // expected membership of row i in the top k by y, and its gain
    let member = |i: usize| {
        let above = y.iter().filter(|&&w| w > y[i]).count();
        let equal = y.iter().filter(|&&w| w == y[i]).count();
        (k.saturating_sub(above) as f64 / equal as f64).min(1.0)
    };
    let gain = |i: usize| avg_rank(y, i) / n as f64;
    let disc = |j: usize| 1.0 / ((j + 2) as f64).log2();
    let (mut hits, mut dcg) = (0.0, 0.0);
    for i in 0..n {
        let above = x.iter().filter(|&&w| w > x[i]).count();
        let equal = x.iter().filter(|&&w| w == x[i]).count();
        // row i spreads evenly over the places above..above+equal of its block
        for place in above..(above + equal).min(k) {
            hits += member(i) / equal as f64;
            dcg += gain(i) * disc(place) / equal as f64;
        }
    }
    let mut gains: Vec<f64> = (0..n).map(gain).collect();
    gains.sort_by(|a, b| b.partial_cmp(a).expect("finite"));
    let ideal: f64 = gains
        .iter()
        .take(k)
        .enumerate()
        .map(|(j, g)| g * disc(j))
        .sum();
    (hits / k as f64, dcg / ideal)
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
    fn weighted_tau_matches_the_definition((a, b) in vectors()) {
        prop_assume!(varies(&a) && varies(&b) && a.len() <= 300);
        let expected = naive_weighted_tau(&a, &b);
        let got = weighted_tau(&a, &b).expect("valid input");
        prop_assert!((got - expected).abs() < 1e-9, "{} vs {}", got, expected);
    }

    #[test]
    fn precision_and_ndcg_match_the_definitions((a, b) in vectors(), fraction in 0.01f64..1.0) {
        prop_assume!(varies(&a) && varies(&b) && a.len() <= 300);
        let k = top_count(fraction, a.len());
        let (p, g) = naive_top(&a, &b, k);
        let got_p = precision(&a, &b, fraction).expect("valid input");
        let got_g = ndcg(&a, &b, fraction).expect("valid input");
        prop_assert!((got_p - p).abs() < 1e-9, "precision {} vs {}", got_p, p);
        prop_assert!((got_g - g).abs() < 1e-9, "ndcg {} vs {}", got_g, g);
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
