//! Rank correlations against a fixed target, computed the way GP fitness needs them.
//!
//! The target (trained accuracies) is ranked once ([`RankedTarget`]); each candidate output
//! then costs one sort of order-preserving integer keys (radix sort for large inputs), one walk
//! over tie groups and one dot product. Ties get average ranks (Spearman) and τ-b's tie
//! corrections (Kendall), so the values equal `scipy.stats.spearmanr` / `kendalltau`.

use crate::error::{CoreError, Result};

/// Below this many rows a comparison sort of (key, position) pairs beats the radix sort.
const RADIX_MIN_ROWS: usize = 512;

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
    pairs: Vec<(u64, u32)>,
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
        if n < RADIX_MIN_ROWS {
            self.comparison_sort();
        } else {
            self.radix_sort();
        }
        true
    }

    fn comparison_sort(&mut self) {
        // Sorting (key, sequence position) pairs is stable by construction.
        self.pairs.clear();
        self.pairs
            .extend(self.keys.iter().enumerate().map(|(i, &k)| (k, i as u32)));
        self.pairs.sort_unstable();
        let old_pos = std::mem::take(&mut self.pos_tmp);
        let mut old_pos = old_pos;
        old_pos.clear();
        old_pos.extend_from_slice(&self.pos);
        for (i, &(k, p)) in self.pairs.iter().enumerate() {
            self.keys[i] = k;
            self.pos[i] = old_pos[p as usize];
        }
        self.pos_tmp = old_pos;
    }

    /// LSD radix sort on 8-bit digits; digits that are the same for every key are skipped
    /// (typically the sign and high exponent bytes), which removes several of the 8 passes.
    fn radix_sort(&mut self) {
        let n = self.keys.len();
        let mut counts = [[0u32; 256]; 8];
        for &k in &self.keys {
            for (d, c) in counts.iter_mut().enumerate() {
                c[((k >> (8 * d)) & 0xFF) as usize] += 1;
            }
        }
        self.keys_tmp.resize(n, 0);
        self.pos_tmp.resize(n, 0);
        for (d, count) in counts.iter().enumerate() {
            let shift = 8 * d;
            if count[((self.keys[0] >> shift) & 0xFF) as usize] as usize == n {
                continue;
            }
            let mut offsets = [0u32; 256];
            let mut sum = 0u32;
            for (o, &c) in offsets.iter_mut().zip(count.iter()) {
                *o = sum;
                sum += c;
            }
            for i in 0..n {
                let k = self.keys[i];
                let b = ((k >> shift) & 0xFF) as usize;
                let dst = offsets[b] as usize;
                offsets[b] += 1;
                self.keys_tmp[dst] = k;
                self.pos_tmp[dst] = self.pos[i];
            }
            std::mem::swap(&mut self.keys, &mut self.keys_tmp);
            std::mem::swap(&mut self.pos, &mut self.pos_tmp);
        }
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
    let target = RankedTarget::new(b, "b")?;
    target
        .spearman(a, &mut RankScratch::new())
        .ok_or_else(|| constant_error("a", a))
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
    fn keys_preserve_order_and_merge_signed_zeros() {
        let xs = [-1e300, -2.0, -1e-300, -0.0, 0.0, 1e-300, 3.0, 1e300];
        for w in xs.windows(2) {
            assert!(order_key(w[0]) <= order_key(w[1]));
        }
        assert_eq!(order_key(-0.0), order_key(0.0));
    }

    #[test]
    fn radix_and_comparison_sorts_agree() {
        let x: Vec<f64> = (0..3000)
            .map(|i| ((i * 7919) % 1013) as f64 - 500.0)
            .collect();
        let mut a = RankScratch::new();
        a.keys = x.iter().map(|&v| order_key(v)).collect();
        a.pos = (0..x.len() as u32).collect();
        let mut b = RankScratch {
            keys: a.keys.clone(),
            pos: a.pos.clone(),
            ..Default::default()
        };
        a.radix_sort();
        b.comparison_sort();
        assert_eq!(a.keys, b.keys);
        assert_eq!(a.pos, b.pos, "both sorts must be stable");
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
