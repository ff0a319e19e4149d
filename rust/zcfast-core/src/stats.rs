//! Rank correlations against a fixed target, computed the way GP fitness needs them.
//!
//! The target (trained accuracies) is ranked once ([`RankedTarget`]); each candidate output
//! then costs one sort of order-preserving integer keys (radix sort for large inputs), one walk
//! over tie groups and one dot product. Ties get average ranks (Spearman) and τ-b's tie
//! corrections (Kendall), so the values equal `scipy.stats.spearmanr` / `kendalltau`.

use crate::error::{CoreError, Result};

/// Ranges this small are finished with insertion sort.
const INSERTION_MAX: usize = 24;
/// Ranges up to this size use a comparison sort instead of bucket passes.
const PACKED_MAX: usize = 256;

/// Maps finite floats to integers with the same order; `-0.0` and `0.0` map to the same key.
#[inline(always)]
fn order_key(x: f64) -> u64 {
    let bits = (x + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// Reusable buffers for ranking; one per thread.
#[derive(Default)]
pub struct RankScratch {
    keys: Vec<u64>,
    pos: Vec<u32>,
    keys_tmp: Vec<u64>,
    pos_tmp: Vec<u32>,
    counts: Vec<u32>,
    fenwick: Vec<u32>,
}

impl RankScratch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stable sort of `x` by value, starting from the sequence `initial` (row indices) or the
    /// identity; afterwards `self.keys` holds the sorted keys and `self.pos` the row indices.
    /// Returns false if `x` holds a NaN or infinity.
    fn sort(&mut self, x: &[f64], initial: Option<&[u32]>) -> bool {
        let n = x.len();
        self.keys.clear();
        self.pos.clear();
        let mut non_finite = 0u64;
        match initial {
            Some(order) => {
                for &i in order {
                    let v = x[i as usize];
                    non_finite |= is_non_finite(v);
                    self.keys.push(order_key(v));
                }
                self.pos.extend_from_slice(order);
            }
            None => {
                for &v in x {
                    non_finite |= is_non_finite(v);
                    self.keys.push(order_key(v));
                }
                self.pos.extend(0..n as u32);
            }
        }
        if non_finite != 0 {
            return false;
        }
        self.keys_tmp.resize(n, 0);
        self.pos_tmp.resize(n, 0);
        bucket_sort(
            &mut self.keys,
            &mut self.pos,
            &mut self.keys_tmp,
            &mut self.pos_tmp,
            &mut self.counts,
        );
        true
    }
}

/// Stable sort of `keys` (carrying `pos` along) by MSD bucket sort.
///
/// One counting pass distributes the keys into about `n / 2` buckets spaced evenly between the
/// smallest and largest value (a pass costs O(n), and with real data most buckets hold a key
/// or two); small buckets are finished by insertion sort, crowded ones recurse on their own
/// range. Where even spacing cannot separate the keys (a range too wide for a float, or one
/// bucket taking everything), the level buckets on the highest differing key bits instead,
/// which always makes progress.
fn bucket_sort(
    keys: &mut [u64],
    pos: &mut [u32],
    keys_tmp: &mut [u64],
    pos_tmp: &mut [u32],
    counts: &mut Vec<u32>,
) {
    sort_level(keys, pos, keys_tmp, pos_tmp, counts, true);
}

fn sort_level(
    keys: &mut [u64],
    pos: &mut [u32],
    keys_tmp: &mut [u64],
    pos_tmp: &mut [u32],
    counts: &mut Vec<u32>,
    by_value: bool,
) {
    let n = keys.len();
    if n <= INSERTION_MAX {
        insertion_sort(keys, pos);
        return;
    }
    if n <= PACKED_MAX {
        packed_sort(keys, pos);
        return;
    }
    let (mut lo, mut hi) = (u64::MAX, 0u64);
    for &k in keys.iter() {
        lo = lo.min(k);
        hi = hi.max(k);
    }
    if lo == hi {
        return;
    }
    let span = 64 - (lo ^ hi).leading_zeros();
    let bits = (usize::BITS - n.leading_zeros() - 1).clamp(4, 16);
    let (v_lo, v_hi) = (key_value(lo), key_value(hi));
    let scale = (1u64 << bits) as f64 / (v_hi - v_lo);
    let by_value = by_value && scale.is_finite() && scale > 0.0;
    let bits = if by_value { bits } else { bits.min(span) };
    let n_buckets = 1usize << bits;
    let shift = span - bits.min(span);
    let mask = (1u64 << bits) - 1;
    // Both digit functions are non-decreasing in the key, so buckets come out in order.
    let digit = |k: u64| -> usize {
        if by_value {
            (((key_value(k) - v_lo) * scale) as usize).min(n_buckets - 1)
        } else {
            ((k >> shift) & mask) as usize
        }
    };
    counts.clear();
    counts.resize(n_buckets + 1, 0);
    for &k in keys.iter() {
        counts[digit(k) + 1] += 1;
    }
    for b in 1..counts.len() {
        counts[b] += counts[b - 1];
    }
    for i in 0..n {
        let b = digit(keys[i]);
        let dst = counts[b] as usize;
        counts[b] += 1;
        keys_tmp[dst] = keys[i];
        pos_tmp[dst] = pos[i];
    }
    keys.copy_from_slice(&keys_tmp[..n]);
    pos.copy_from_slice(&pos_tmp[..n]);
    // counts[b] is now the end of bucket b (and the start of bucket b + 1).
    let mut crowded: Vec<(usize, usize)> = Vec::new();
    let mut start = 0usize;
    for &end in &counts[..counts.len() - 1] {
        let end = end as usize;
        if end - start > INSERTION_MAX {
            crowded.push((start, end));
        } else if end - start > 1 {
            insertion_sort(&mut keys[start..end], &mut pos[start..end]);
        }
        start = end;
    }
    for (s, e) in crowded {
        // A level that left every key in one bucket switches to bits, which always split.
        let progress = e - s < n;
        sort_level(
            &mut keys[s..e],
            &mut pos[s..e],
            &mut keys_tmp[s..e],
            &mut pos_tmp[s..e],
            counts,
            by_value && progress,
        );
    }
}

/// The float a key was made from (inverse of [`order_key`]).
#[inline(always)]
fn key_value(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Comparison sort of (key, sequence position) packed into one integer: stable by
/// construction, and cheaper than bucket passes for a few hundred keys.
fn packed_sort(keys: &mut [u64], pos: &mut [u32]) {
    let mut packed: Vec<u128> = keys
        .iter()
        .enumerate()
        .map(|(i, &k)| (u128::from(k) << 32) | i as u128)
        .collect();
    packed.sort_unstable();
    let old_pos = pos.to_vec();
    for (i, p) in packed.into_iter().enumerate() {
        keys[i] = (p >> 32) as u64;
        pos[i] = old_pos[(p & 0xFFFF_FFFF) as usize];
    }
}

/// Stable insertion sort of a short range.
#[inline]
fn insertion_sort(keys: &mut [u64], pos: &mut [u32]) {
    for i in 1..keys.len() {
        let (k, p) = (keys[i], pos[i]);
        let mut j = i;
        while j > 0 && keys[j - 1] > k {
            keys[j] = keys[j - 1];
            pos[j] = pos[j - 1];
            j -= 1;
        }
        keys[j] = k;
        pos[j] = p;
    }
}

#[inline(always)]
fn is_non_finite(v: f64) -> u64 {
    const EXP: u64 = 0x7FF0_0000_0000_0000;
    ((v.to_bits() & EXP) == EXP) as u64
}

/// Average (1-based) ranks of `x`, ties averaged; `None` if `x` holds NaN or infinity.
pub fn average_ranks(x: &[f64], scratch: &mut RankScratch) -> Option<Vec<f64>> {
    if !scratch.sort(x, None) {
        return None;
    }
    let mut ranks = vec![0.0; x.len()];
    for_each_tie_group(&scratch.keys, |start, end| {
        let r = (start + end + 1) as f64 / 2.0;
        for &p in &scratch.pos[start..end] {
            ranks[p as usize] = r;
        }
    });
    Some(ranks)
}

#[inline(always)]
fn for_each_tie_group(keys: &[u64], mut f: impl FnMut(usize, usize)) {
    let n = keys.len();
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && keys[end] == keys[start] {
            end += 1;
        }
        f(start, end);
        start = end;
    }
}

/// The target of a correlation, ranked and centred once.
#[derive(Clone, Debug)]
pub struct RankedTarget {
    /// Average rank minus the mean rank, per row.
    centred_rank: Vec<f64>,
    rank_ss: f64,
    /// Row indices in ascending target order.
    order: Vec<u32>,
    /// 0-based dense rank of each row's target (equal values share one).
    dense: Vec<u32>,
    n_distinct: usize,
    /// Pairs tied in the target.
    tied_pairs: u64,
    /// Target minus its mean, per row, and the sum of squares (for Pearson).
    centred: Vec<f64>,
    ss: f64,
}

impl RankedTarget {
    /// Prepares `y`; it must be finite, have at least two rows and not be constant.
    pub fn new(y: &[f64], arg: &str) -> Result<Self> {
        let n = y.len();
        if n < 2 {
            return Err(CoreError::shape(
                arg,
                "at least 2 values",
                format!("{n} values"),
            ));
        }
        let mut scratch = RankScratch::new();
        if !scratch.sort(y, None) {
            let i = y.iter().position(|v| !v.is_finite()).unwrap_or(0);
            return Err(CoreError::invalid(
                arg,
                "finite values",
                format!("{} at position {i}", y[i]),
            ));
        }
        let mean_rank = (n as f64 + 1.0) / 2.0;
        let mut centred_rank = vec![0.0; n];
        let mut dense = vec![0u32; n];
        let mut n_distinct = 0usize;
        let mut tied_pairs = 0u64;
        for_each_tie_group(&scratch.keys, |start, end| {
            let r = (start + end + 1) as f64 / 2.0 - mean_rank;
            for &p in &scratch.pos[start..end] {
                centred_rank[p as usize] = r;
                dense[p as usize] = n_distinct as u32;
            }
            let t = (end - start) as u64;
            tied_pairs += t * (t - 1) / 2;
            n_distinct += 1;
        });
        if n_distinct < 2 {
            return Err(CoreError::invalid(
                arg,
                "values that are not all equal",
                format!("every value equal to {}", y[0]),
            ));
        }
        let rank_ss = centred_rank.iter().map(|r| r * r).sum();
        let mean = y.iter().sum::<f64>() / n as f64;
        let centred: Vec<f64> = y.iter().map(|v| v - mean).collect();
        let ss = centred.iter().map(|v| v * v).sum();
        Ok(Self {
            centred_rank,
            rank_ss,
            order: scratch.pos.clone(),
            dense,
            n_distinct,
            tied_pairs,
            centred,
            ss,
        })
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Spearman's ρ of `x` against the target; `None` if `x` is non-finite or constant.
    pub fn spearman(&self, x: &[f64], scratch: &mut RankScratch) -> Option<f64> {
        debug_assert_eq!(x.len(), self.len());
        if !scratch.sort(x, None) {
            return None;
        }
        let mean_rank = (x.len() as f64 + 1.0) / 2.0;
        let mut dot = 0.0;
        let mut ss_x = 0.0;
        for_each_tie_group(&scratch.keys, |start, end| {
            let r = (start + end + 1) as f64 / 2.0 - mean_rank;
            let group: f64 = scratch.pos[start..end]
                .iter()
                .map(|&p| self.centred_rank[p as usize])
                .sum();
            dot += r * group;
            ss_x += (end - start) as f64 * r * r;
        });
        if ss_x <= 0.0 {
            return None;
        }
        Some(clamp_unit(dot / (ss_x * self.rank_ss).sqrt()))
    }

    /// Kendall's τ-b of `x` against the target, in O(n log n) (Knight's method);
    /// `None` if `x` is non-finite or constant.
    pub fn kendall(&self, x: &[f64], scratch: &mut RankScratch) -> Option<f64> {
        debug_assert_eq!(x.len(), self.len());
        // Stable sort by x starting from target order: rows end up ordered by (x, target).
        if !scratch.sort(x, Some(&self.order)) {
            return None;
        }
        let n = x.len() as u64;
        let mut x_tied = 0u64;
        let mut both_tied = 0u64;
        for_each_tie_group(&scratch.keys, |start, end| {
            let t = (end - start) as u64;
            x_tied += t * (t - 1) / 2;
            let mut run = 1u64;
            for k in start + 1..end {
                if self.dense[scratch.pos[k] as usize] == self.dense[scratch.pos[k - 1] as usize] {
                    run += 1;
                } else {
                    both_tied += run * (run - 1) / 2;
                    run = 1;
                }
            }
            both_tied += run * (run - 1) / 2;
        });
        let total = n * (n - 1) / 2;
        if x_tied == total {
            return None;
        }
        let discordant = self.count_inversions(&scratch.pos, &mut scratch.fenwick);
        let con_minus_dis = total as i128 - x_tied as i128 - self.tied_pairs as i128
            + both_tied as i128
            - 2 * discordant as i128;
        let denom = ((total - x_tied) as f64) * ((total - self.tied_pairs) as f64);
        Some(clamp_unit(con_minus_dis as f64 / denom.sqrt()))
    }

    /// Pairs (i < j) in `rows` whose target dense rank strictly decreases.
    fn count_inversions(&self, rows: &[u32], tree: &mut Vec<u32>) -> u64 {
        tree.clear();
        tree.resize(self.n_distinct + 1, 0);
        let mut inversions = 0u64;
        for (seen, &row) in rows.iter().enumerate() {
            let y = self.dense[row as usize] as usize + 1;
            // Number of earlier rows with dense rank <= y.
            let mut le = 0u64;
            let mut i = y;
            while i > 0 {
                le += tree[i] as u64;
                i &= i - 1;
            }
            inversions += seen as u64 - le;
            let mut i = y;
            while i < tree.len() {
                tree[i] += 1;
                i += i & i.wrapping_neg();
            }
        }
        inversions
    }

    /// Pearson's r of `x` against the target; `None` if `x` is non-finite or constant.
    pub fn pearson(&self, x: &[f64]) -> Option<f64> {
        debug_assert_eq!(x.len(), self.len());
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        if !mean.is_finite() {
            return None;
        }
        let mut dot = 0.0;
        let mut ss_x = 0.0;
        for (v, c) in x.iter().zip(&self.centred) {
            let d = v - mean;
            dot += d * c;
            ss_x += d * d;
        }
        if !(ss_x > 0.0 && ss_x.is_finite() && dot.is_finite()) {
            return None;
        }
        let r = dot / (ss_x.sqrt() * self.ss.sqrt());
        r.is_finite().then(|| clamp_unit(r))
    }
}

#[inline(always)]
fn clamp_unit(r: f64) -> f64 {
    r.clamp(-1.0, 1.0)
}

fn check_pair(a: &[f64], b: &[f64]) -> Result<()> {
    if a.len() != b.len() {
        return Err(CoreError::shape(
            "b",
            format!("the same length as a ({})", a.len()),
            format!("length {}", b.len()),
        ));
    }
    if let Some(i) = a.iter().position(|v| !v.is_finite()) {
        return Err(CoreError::invalid(
            "a",
            "finite values",
            format!("{} at position {i}", a[i]),
        ));
    }
    Ok(())
}

fn constant_error(arg: &str, x: &[f64]) -> CoreError {
    CoreError::invalid(
        arg,
        "values that are not all equal (a correlation with a constant is undefined)",
        format!("every value equal to {}", x[0]),
    )
}

/// Spearman's ρ between `a` and `b` (average ranks for ties).
pub fn spearman(a: &[f64], b: &[f64]) -> Result<f64> {
    check_pair(a, b)?;
    if b.len() < 2 {
        return Err(CoreError::shape(
            "b",
            "at least 2 values",
            format!("{} values", b.len()),
        ));
    }
    let mut scratch = RankScratch::new();
    let mut rb = average_ranks(b, &mut scratch).ok_or_else(|| {
        let i = b.iter().position(|v| !v.is_finite()).unwrap_or(0);
        CoreError::invalid("b", "finite values", format!("{} at position {i}", b[i]))
    })?;
    let mean = (b.len() as f64 + 1.0) / 2.0;
    rb.iter_mut().for_each(|r| *r -= mean);
    let ss_b: f64 = rb.iter().map(|r| r * r).sum();
    if ss_b <= 0.0 {
        return Err(constant_error("b", b));
    }
    // Walk a's tie groups in sorted order: no rank vector for `a` is materialised.
    if !scratch.sort(a, None) {
        unreachable!("check_pair rejects non-finite a");
    }
    let (mut dot, mut ss_a) = (0.0, 0.0);
    for_each_tie_group(&scratch.keys, |start, end| {
        let r = (start + end + 1) as f64 / 2.0 - mean;
        let group: f64 = scratch.pos[start..end]
            .iter()
            .map(|&p| rb[p as usize])
            .sum();
        dot += r * group;
        ss_a += (end - start) as f64 * r * r;
    });
    if ss_a <= 0.0 {
        return Err(constant_error("a", a));
    }
    Ok(clamp_unit(dot / (ss_a * ss_b).sqrt()))
}

/// Kendall's τ-b between `a` and `b`.
pub fn kendall(a: &[f64], b: &[f64]) -> Result<f64> {
    check_pair(a, b)?;
    let target = RankedTarget::new(b, "b")?;
    target
        .kendall(a, &mut RankScratch::new())
        .ok_or_else(|| constant_error("a", a))
}

/// Pearson's r between `a` and `b`.
pub fn pearson(a: &[f64], b: &[f64]) -> Result<f64> {
    check_pair(a, b)?;
    let target = RankedTarget::new(b, "b")?;
    target.pearson(a).ok_or_else(|| constant_error("a", a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_value_inverts_order_key() {
        for x in [-1e300, -2.5, -1e-300, 0.0, 1e-300, 3.25, 1e300] {
            assert_eq!(key_value(order_key(x)), x);
        }
    }

    #[test]
    fn keys_preserve_order_and_merge_signed_zeros() {
        let xs = [-1e300, -2.0, -1e-300, -0.0, 0.0, 1e-300, 3.0, 1e300];
        for w in xs.windows(2) {
            assert!(order_key(w[0]) <= order_key(w[1]));
        }
        assert_eq!(order_key(-0.0), order_key(0.0));
    }

    #[test]
    fn bucket_sort_is_a_stable_sort() {
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            state >> 33
        };
        let cases: Vec<Vec<f64>> = vec![
            (0..3000)
                .map(|i| ((i * 7919) % 1013) as f64 - 500.0)
                .collect(),
            (0..5000).map(|_| (next() % 7) as f64).collect(),
            (0..4000)
                .map(|_| f64::from_bits(next() << 20) * 1e-300)
                .collect(),
            (0..2000)
                .map(|i| {
                    if i % 9 == 0 {
                        -1e8
                    } else {
                        (next() % 100_000) as f64 * 1e-3
                    }
                })
                .collect(),
            (0..1000).map(|i| -(i as f64)).collect(),
            vec![1.0; 100],
            (0..3000)
                .map(|i| {
                    if i % 2 == 0 {
                        -1e308
                    } else {
                        1e308 - i as f64 * 1e292
                    }
                })
                .collect(),
            (0..3000)
                .map(|i| 1.0 + (i % 5) as f64 * f64::EPSILON)
                .collect(),
            (0..3000)
                .map(|i| ((i * 37) % 3000) as f64 - 1500.5)
                .collect(),
        ];
        for x in cases {
            let mut s = RankScratch::new();
            assert!(s.sort(&x, None));
            let mut expected: Vec<u32> = (0..x.len() as u32).collect();
            expected.sort_by_key(|&i| order_key(x[i as usize]));
            assert_eq!(s.pos, expected, "sort must equal a stable sort by key");
        }
    }

    #[test]
    fn small_known_values() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [5.0, 6.0, 7.0, 8.0, 7.0];
        // scipy.stats.spearmanr -> 0.8207826816681233; kendalltau -> 0.7378647873726218
        assert!((spearman(&a, &b).expect("ok") - 0.820_782_681_668_123_3).abs() < 1e-12);
        assert!((kendall(&a, &b).expect("ok") - 0.737_864_787_372_621_8).abs() < 1e-12);
        assert!((pearson(&a, &a).expect("ok") - 1.0).abs() < 1e-12);
    }

    #[test]
    fn invalid_inputs() {
        assert!(spearman(&[1.0, 2.0], &[1.0]).is_err());
        assert!(spearman(&[1.0, f64::NAN], &[1.0, 2.0]).is_err());
        assert!(spearman(&[1.0, 1.0], &[1.0, 2.0]).is_err());
        assert!(kendall(&[1.0, 2.0], &[3.0, 3.0]).is_err());
        assert!(pearson(&[1.0], &[1.0]).is_err());
        let t = RankedTarget::new(&[1.0, 2.0, 3.0], "y").expect("ok");
        let mut s = RankScratch::new();
        assert_eq!(t.spearman(&[f64::INFINITY, 1.0, 2.0], &mut s), None);
        assert_eq!(t.kendall(&[2.0, 2.0, 2.0], &mut s), None);
        assert_eq!(t.pearson(&[2.0, 2.0, 2.0]), None);
    }
}
