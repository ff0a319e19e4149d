//! Rank correlations against a fixed target, computed the way GP fitness needs them.
//!
//! The target (trained accuracies) is ranked once ([`RankedTarget`]); each candidate output
//! then costs one sort of order-preserving integer keys (radix sort for large inputs), one walk
//! over tie groups and one dot product. Ties get average ranks (Spearman) and τ-b's tie
//! corrections (Kendall), so the values equal `scipy.stats.spearmanr` / `kendalltau`.

mod top;

use crate::error::{CoreError, Result};
use crate::simd::{simd_dispatch, SimdLevel};

/// Buckets holding more keys than this are sorted by another bucket pass; smaller ones are
/// left to the final insertion pass.
const CROWDED: usize = 32;
/// Inputs this short are insertion-sorted directly.
const SHORT: usize = 64;

const SIGN: u64 = 1 << 63;
/// Magnitude bits at and above this are infinities and NaNs.
const NON_FINITE: u64 = 0x7FF0_0000_0000_0000;

/// Order-preserving integer keys for one vector of floats, packed without gaps.
///
/// A float's magnitude bits are monotone in its magnitude, and roughly linear in its logarithm,
/// so keys made from them spread heavy-tailed outputs evenly. Plain sign-flipped bit patterns
/// would leave a huge empty stretch between zero and the smallest magnitudes present (the
/// binades of tiny numbers), and with it most buckets of a distribution pass. Here negatives
/// map to `[0, neg_span]`, zero (`-0.0` equal to `0.0`) to the next key, and positives to the
/// range just above, each side measured from the smallest magnitude actually present.
struct KeyCodec {
    neg_max: u64,
    pos_min: u64,
    zero_key: u64,
    max_key: u64,
}

impl KeyCodec {
    /// Fits the packing to the bit patterns `bits`; `None` if one is NaN or infinite.
    #[inline(always)]
    fn fit(bits: &[u64]) -> Option<Self> {
        let (mut neg_min, mut neg_max) = (u64::MAX, 0u64);
        let (mut pos_min, mut pos_max) = (u64::MAX, 0u64);
        let mut non_finite = false;
        let mut has_zero = false;
        // Branch-free selects, so that the loop compiles to SIMD code.
        for &b in bits {
            let mag = b & !SIGN;
            non_finite |= mag >= NON_FINITE;
            has_zero |= mag == 0;
            let neg = b >= SIGN && mag != 0;
            let pos = b < SIGN && mag != 0;
            neg_min = neg_min.min(if neg { mag } else { u64::MAX });
            neg_max = neg_max.max(if neg { mag } else { 0 });
            pos_min = pos_min.min(if pos { mag } else { u64::MAX });
            pos_max = pos_max.max(if pos { mag } else { 0 });
        }
        if non_finite {
            return None;
        }
        // Finite magnitudes are below 2^63, so neither span nor their sum can overflow.
        let zero_key = if neg_min != u64::MAX {
            neg_max - neg_min + 1
        } else {
            0
        };
        let max_key = if pos_min != u64::MAX {
            zero_key + 1 + (pos_max - pos_min)
        } else if has_zero {
            zero_key
        } else {
            // Only negatives (or nothing at all).
            zero_key.saturating_sub(1)
        };
        Some(Self {
            neg_max,
            pos_min,
            zero_key,
            max_key,
        })
    }

    /// Replaces each bit pattern in `bits` by its key (the smallest key present is 0).
    #[inline(always)]
    fn encode(&self, bits: &mut [u64]) {
        let pos_base = self.zero_key + 1;
        for b in bits {
            let mag = *b & !SIGN;
            // Every arm is computed by SIMD code; wrapping keeps the unused ones harmless.
            let from_neg = self.neg_max.wrapping_sub(mag);
            let from_pos = pos_base.wrapping_add(mag.wrapping_sub(self.pos_min));
            *b = if mag == 0 {
                self.zero_key
            } else if *b >= SIGN {
                from_neg
            } else {
                from_pos
            };
        }
    }
}

/// Reusable buffers for ranking; one per thread.
pub struct RankScratch {
    keys: Vec<u64>,
    pos: Vec<u32>,
    keys_tmp: Vec<u64>,
    pos_tmp: Vec<u32>,
    counts: Vec<u32>,
    crowded: Vec<(u32, u32)>,
    fenwick: Vec<u32>,
    top: top::TopScratch,
    simd: SimdLevel,
}

impl Default for RankScratch {
    fn default() -> Self {
        Self::new()
    }
}

impl RankScratch {
    pub fn new() -> Self {
        Self::with_simd(SimdLevel::detect())
    }

    /// Scratch whose sort is compiled for `simd`, which the CPU must support (see
    /// [`SimdLevel::available`]); every level gives the same result.
    pub fn with_simd(simd: SimdLevel) -> Self {
        assert!(
            SimdLevel::available().contains(&simd),
            "{simd:?} is not supported by this CPU"
        );
        Self {
            keys: Vec::new(),
            pos: Vec::new(),
            keys_tmp: Vec::new(),
            pos_tmp: Vec::new(),
            counts: Vec::new(),
            crowded: Vec::new(),
            fenwick: Vec::new(),
            top: top::TopScratch::default(),
            simd,
        }
    }

    simd_dispatch! {
        /// Stable sort of `x` by value, starting from the sequence `initial` (row indices) or
        /// the identity; afterwards `self.keys` holds the sorted keys (equal keys for equal
        /// values) and `self.pos` the row indices. Returns false if `x` holds a NaN or infinity.
        fn sort(&mut self, x: &[f64], initial: Option<&[u32]>) -> bool;
        copies sort_avx512, sort_avx2 of sort_inline
    }

    simd_dispatch! {
        /// Ranks `x` (average ranks for ties) and returns `(Σ (rank_i - mean rank) *
        /// weights_i, Σ (rank_i - mean rank)²)`; `weights` must sum to zero, and all of it is
        /// exact for half-integer weights (centred ranks). `None` if `x` holds NaN or infinity.
        fn rank_dot(&mut self, x: &[f64], weights: &[f64]) -> Option<(f64, f64)>;
        copies rank_dot_avx512, rank_dot_avx2 of rank_dot_inline
    }

    #[inline(always)]
    fn rank_dot_inline(&mut self, x: &[f64], weights: &[f64]) -> Option<(f64, f64)> {
        assert_eq!(x.len(), weights.len(), "one weight per value");
        if !self.sort_inline(x, None) {
            return None;
        }
        let (keys, pos) = (&self.keys, &self.pos);
        let n = keys.len() as f64;
        // Counted rather than searched for, so that the loop compiles to SIMD code.
        let tied = keys.windows(2).filter(|w| w[0] == w[1]).count();
        if tied > keys.len() / 16 {
            // Many ties: every group gets its average rank in one walk.
            let mean = (n - 1.0) / 2.0;
            let (mut dot, mut ss) = (0.0, 0.0);
            for_each_tie_group(keys, |start, end| {
                let r = (start + end - 1) as f64 / 2.0 - mean;
                let group: f64 = pos[start..end].iter().map(|&p| weights[p as usize]).sum();
                dot += r * group;
                ss += (end - start) as f64 * r * r;
            });
            return Some((dot, ss));
        }
        // Untied, the rank of sorted position j is j + 1; as the weights sum to zero, any
        // constant added to every rank drops out, so position j itself can stand for its rank.
        let mut lanes = [0.0f64; 8];
        let mut base = 0.0f64;
        let mut chunks = pos.chunks_exact(8);
        for chunk in &mut chunks {
            for (l, (acc, &p)) in lanes.iter_mut().zip(chunk).enumerate() {
                *acc += (base + l as f64) * weights[p as usize];
            }
            base += 8.0;
        }
        let mut dot: f64 = lanes.iter().sum();
        for (l, &p) in chunks.remainder().iter().enumerate() {
            dot += (base + l as f64) * weights[p as usize];
        }
        let mut ss = (n * n * n - n) / 12.0;
        if tied > 0 {
            // A few ties: move their terms to the group's average rank.
            for_each_tie_group(keys, |start, end| {
                if end - start > 1 {
                    let average = (start + end - 1) as f64 / 2.0;
                    for (j, &p) in (start..end).zip(&pos[start..end]) {
                        dot += (average - j as f64) * weights[p as usize];
                    }
                    let t = (end - start) as f64;
                    ss -= (t * t * t - t) / 12.0;
                }
            });
        }
        Some((dot, ss))
    }

    #[inline(always)]
    fn sort_inline(&mut self, x: &[f64], initial: Option<&[u32]>) -> bool {
        let n = x.len();
        self.keys.resize(n, 0);
        self.pos.resize(n, 0);
        match initial {
            Some(order) => {
                for ((k, p), &i) in self.keys.iter_mut().zip(&mut self.pos).zip(order) {
                    *k = x[i as usize].to_bits();
                    *p = i;
                }
            }
            None => {
                for (k, &v) in self.keys.iter_mut().zip(x) {
                    *k = v.to_bits();
                }
                for (i, p) in self.pos.iter_mut().enumerate() {
                    *p = i as u32;
                }
            }
        }
        let Some(codec) = KeyCodec::fit(&self.keys) else {
            return false;
        };
        codec.encode(&mut self.keys);
        self.keys_tmp.resize(n, 0);
        self.pos_tmp.resize(n, 0);
        self.crowded.clear();
        if n <= SHORT {
            insertion_sort(&mut self.keys, &mut self.pos);
        } else if bucket_pass(
            &self.keys,
            &self.pos,
            Some((0, codec.max_key)),
            &mut self.keys_tmp,
            &mut self.pos_tmp,
            &mut self.counts,
            &mut self.crowded,
        ) {
            // The pass wrote its output to the spare buffers: swap instead of copying back.
            std::mem::swap(&mut self.keys, &mut self.keys_tmp);
            std::mem::swap(&mut self.pos, &mut self.pos_tmp);
            finish_buckets(
                &mut self.keys,
                &mut self.pos,
                &mut self.keys_tmp,
                &mut self.pos_tmp,
                &mut self.counts,
                &mut self.crowded,
            );
        }
        true
    }
}

/// One stable distribution pass of `keys` (carrying `pos`) into `keys_out` / `pos_out`.
///
/// Buckets are consecutive ranges of the key offset `key - min`, which for float keys is linear
/// within a binade and logarithmic across binades, so both narrow and heavy-tailed outputs
/// spread over many buckets, most of them with zero or one key.
/// Buckets with more than [`CROWDED`] keys are appended to `crowded` as (start, end). Returns
/// false (writing nothing) when every key is equal.
#[inline(always)]
fn bucket_pass(
    keys: &[u64],
    pos: &[u32],
    bounds: Option<(u64, u64)>,
    keys_out: &mut [u64],
    pos_out: &mut [u32],
    counts: &mut Vec<u32>,
    crowded: &mut Vec<(u32, u32)>,
) -> bool {
    let n = keys.len();
    let (lo, hi) = bounds.unwrap_or_else(|| {
        keys.iter()
            .fold((u64::MAX, 0), |(lo, hi), &k| (lo.min(k), hi.max(k)))
    });
    if lo == hi {
        return false;
    }
    let range_bits = 64 - (hi - lo).leading_zeros();
    // Four buckets per key keep collisions, and with them the mispredicted branches of the
    // insertion pass, rare; past the L1-sized count table two per key do as well.
    let per_key = if n < 4096 { 2 } else { 1 };
    let bits = (usize::BITS - n.leading_zeros() + per_key)
        .min(16)
        .min(range_bits);
    let shift = range_bits - bits;
    let digit = |k: u64| ((k - lo) >> shift) as usize;
    counts.clear();
    counts.resize((1usize << bits) + 1, 0);
    for &k in keys {
        counts[digit(k) + 1] += 1;
    }
    let largest = counts.iter().copied().max().unwrap_or(0) as usize;
    running_sums(counts);
    // counts[b] is now the start of bucket b (and the end of bucket b - 1).
    if largest > CROWDED {
        for w in counts.windows(2) {
            if (w[1] - w[0]) as usize > CROWDED {
                crowded.push((w[0], w[1]));
            }
        }
    }
    for (&k, &p) in keys.iter().zip(pos) {
        let slot = &mut counts[digit(k)];
        let dst = *slot as usize;
        *slot += 1;
        keys_out[dst] = k;
        pos_out[dst] = p;
    }
    true
}

/// Replaces `counts` by its running (inclusive prefix) sums.
///
/// One running sum is a chain of dependent additions, one per bucket; four chains over the
/// four quarters, each quarter then offset by the totals before it, run about four times as
/// fast on a superscalar core.
#[inline(always)]
fn running_sums(counts: &mut [u32]) {
    let quarter = counts.len() / 4;
    let (first, rest) = counts.split_at_mut(quarter);
    let (second, rest) = rest.split_at_mut(quarter);
    let (third, fourth) = rest.split_at_mut(quarter);
    let mut sums = [0u32; 4];
    for i in 0..quarter {
        sums[0] += first[i];
        first[i] = sums[0];
        sums[1] += second[i];
        second[i] = sums[1];
        sums[2] += third[i];
        third[i] = sums[2];
        sums[3] += fourth[i];
        fourth[i] = sums[3];
    }
    for c in &mut fourth[quarter..] {
        sums[3] += *c;
        *c = sums[3];
    }
    let mut offset = sums[0];
    for (part, total) in [(second, sums[1]), (third, sums[2]), (fourth, sums[3])] {
        part.iter_mut().for_each(|c| *c += offset);
        offset += total;
    }
}

/// Completes the sort of bucketed keys: the `crowded` buckets get further passes, then one
/// insertion pass over the whole range fixes the order inside the small buckets (each key
/// moves at most [`CROWDED`] places, and usually none).
#[inline(always)]
fn finish_buckets(
    keys: &mut [u64],
    pos: &mut [u32],
    keys_tmp: &mut [u64],
    pos_tmp: &mut [u32],
    counts: &mut Vec<u32>,
    crowded: &mut Vec<(u32, u32)>,
) {
    while let Some((s, e)) = crowded.pop() {
        let (s, e) = (s as usize, e as usize);
        let before = crowded.len();
        if bucket_pass(
            &keys[s..e],
            &pos[s..e],
            None,
            &mut keys_tmp[s..e],
            &mut pos_tmp[s..e],
            counts,
            crowded,
        ) {
            keys[s..e].copy_from_slice(&keys_tmp[s..e]);
            pos[s..e].copy_from_slice(&pos_tmp[s..e]);
            // The pass recorded its crowded buckets relative to `s`.
            for range in &mut crowded[before..] {
                range.0 += s as u32;
                range.1 += s as u32;
            }
        }
    }
    insertion_sort(keys, pos);
}

/// Stable insertion sort of a short range.
#[inline(always)]
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

/// Average (1-based) ranks of `x`, ties averaged; `None` if `x` holds NaN or infinity.
pub fn average_ranks(x: &[f64], scratch: &mut RankScratch) -> Option<Vec<f64>> {
    let (mut ranks, _) = centred_ranks(x, scratch)?;
    let mean = (x.len() as f64 + 1.0) / 2.0;
    ranks.iter_mut().for_each(|r| *r += mean);
    Some(ranks)
}

/// Average ranks minus the mean rank, and their sum of squares; `None` if `x` holds NaN or
/// infinity.
fn centred_ranks(x: &[f64], scratch: &mut RankScratch) -> Option<(Vec<f64>, f64)> {
    if !scratch.sort(x, None) {
        return None;
    }
    let mean = (x.len() as f64 - 1.0) / 2.0;
    let mut ranks = vec![0.0; x.len()];
    let mut ss = 0.0;
    for_each_tie_group(&scratch.keys, |start, end| {
        let r = (start + end - 1) as f64 / 2.0 - mean;
        for &p in &scratch.pos[start..end] {
            ranks[p as usize] = r;
        }
        ss += (end - start) as f64 * r * r;
    });
    Some((ranks, ss))
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
    /// Rows whose target has a dense rank below `d`, for `d` in `0..=n_distinct`.
    dense_start: Vec<u32>,
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
        let mut dense_start = vec![0u32];
        for_each_tie_group(&scratch.keys, |start, end| {
            let r = (start + end + 1) as f64 / 2.0 - mean_rank;
            for &p in &scratch.pos[start..end] {
                centred_rank[p as usize] = r;
                dense[p as usize] = n_distinct as u32;
            }
            let t = (end - start) as u64;
            tied_pairs += t * (t - 1) / 2;
            n_distinct += 1;
            dense_start.push(end as u32);
        });
        if n_distinct < 2 {
            return Err(CoreError::invalid(
                arg,
                "values that are not all equal",
                format!("every value equal to {}", y[0]),
            ));
        }
        let rank_ss = centred_rank.iter().map(|r| r * r).sum();
        let (scale, mean) = scale_and_mean(y);
        let centred: Vec<f64> = y.iter().map(|v| v / scale - mean).collect();
        let ss = centred.iter().map(|v| v * v).sum();
        Ok(Self {
            centred_rank,
            rank_ss,
            order: scratch.pos.clone(),
            dense,
            n_distinct,
            dense_start,
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
        let (dot, ss_x) = scratch.rank_dot(x, &self.centred_rank)?;
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
    ///
    /// Both sides are scaled by their largest magnitude first, so that values near 1e±300
    /// neither overflow nor underflow in the sums.
    pub fn pearson(&self, x: &[f64]) -> Option<f64> {
        debug_assert_eq!(x.len(), self.len());
        if x.iter().any(|v| !v.is_finite()) || x.iter().all(|&v| v == x[0]) {
            return None;
        }
        let (scale, mean) = scale_and_mean(x);
        let mut dot = 0.0;
        let mut ss_x = 0.0;
        for (v, c) in x.iter().zip(&self.centred) {
            let d = v / scale - mean;
            dot += d * c;
            ss_x += d * d;
        }
        if ss_x <= 0.0 || ss_x.is_nan() {
            return None;
        }
        let r = dot / (ss_x.sqrt() * self.ss.sqrt());
        r.is_finite().then(|| clamp_unit(r))
    }
}

/// The largest magnitude of `x` (1 for all zeros) and the mean of `x` divided by it.
fn scale_and_mean(x: &[f64]) -> (f64, f64) {
    let max = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let scale = if max > 0.0 { max } else { 1.0 };
    let mean = x.iter().map(|v| v / scale).sum::<f64>() / x.len() as f64;
    (scale, mean)
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
    let (rb, ss_b) = centred_ranks(b, &mut scratch).ok_or_else(|| {
        let i = b.iter().position(|v| !v.is_finite()).unwrap_or(0);
        CoreError::invalid("b", "finite values", format!("{} at position {i}", b[i]))
    })?;
    if ss_b <= 0.0 {
        return Err(constant_error("b", b));
    }
    // No rank vector for `a` is materialised: its ranks meet b's in one pass.
    let Some((dot, ss_a)) = scratch.rank_dot(a, &rb) else {
        unreachable!("check_pair rejects non-finite a");
    };
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

/// Number of architectures in the top `fraction` of `n`: rounded half up, at least 1.
pub fn top_count(fraction: f64, n: usize) -> usize {
    ((fraction * n as f64).round() as usize).clamp(1, n.max(1))
}

fn check_fraction(fraction: f64) -> Result<()> {
    if fraction > 0.0 && fraction <= 1.0 {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "fraction",
            "a fraction in (0, 1]",
            fraction.to_string(),
        ))
    }
}

/// A top-weighted measure of `a` (scores) against `b` (targets), as a pair function.
fn top_pair(
    a: &[f64],
    b: &[f64],
    measure: impl Fn(&RankedTarget, &[f64], &mut RankScratch) -> Option<f64>,
) -> Result<f64> {
    check_pair(a, b)?;
    let target = RankedTarget::new(b, "b")?;
    measure(&target, a, &mut RankScratch::new()).ok_or_else(|| constant_error("a", a))
}

/// Weighted Kendall τ of `a` against `b`, equal to `scipy.stats.weightedtau(a, b)`.
pub fn weighted_tau(a: &[f64], b: &[f64]) -> Result<f64> {
    top_pair(a, b, |t, x, s| t.weighted_tau(x, s))
}

/// Spearman's ρ of `a` against `b` on the top `fraction` of rows by `b`.
pub fn top_spearman(a: &[f64], b: &[f64], fraction: f64) -> Result<f64> {
    check_fraction(fraction)?;
    let k = top_count(fraction, b.len());
    top_pair(a, b, |t, x, s| t.top_spearman(x, k, s))
}

/// Share of the top `fraction` of rows by `a` that are in the top `fraction` by `b`.
pub fn precision(a: &[f64], b: &[f64], fraction: f64) -> Result<f64> {
    check_fraction(fraction)?;
    let k = top_count(fraction, b.len());
    top_pair(a, b, |t, x, s| t.precision(x, k, s))
}

/// NDCG of the top `fraction` of rows by `a`, with `b`'s percentile rank as the gain.
pub fn ndcg(a: &[f64], b: &[f64], fraction: f64) -> Result<f64> {
    check_fraction(fraction)?;
    let k = top_count(fraction, b.len());
    top_pair(a, b, |t, x, s| t.ndcg(x, k, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(xs: &[f64]) -> Vec<u64> {
        let mut bits: Vec<u64> = xs.iter().map(|x| x.to_bits()).collect();
        KeyCodec::fit(&bits).expect("finite").encode(&mut bits);
        bits
    }

    #[test]
    fn keys_preserve_order_and_merge_signed_zeros() {
        let xs = [
            -f64::MAX,
            -1e300,
            -2.0,
            -1e-300,
            -5e-324,
            -0.0,
            0.0,
            5e-324,
            1e-300,
            3.0,
            1e300,
            f64::MAX,
        ];
        let k = keys(&xs);
        assert_eq!(k[0], 0);
        for w in k.windows(2) {
            assert!(w[0] <= w[1]);
        }
        assert_eq!(k[5], k[6]);
        assert_eq!(keys(&[-2.0, -1.0]), [0, 1 << 52]);
        assert_eq!(keys(&[1.0, 0.0, 4.0, -0.0]), [1, 0, 1 + (2 << 52), 0]);
        assert_eq!(keys(&[-1.0, 0.0, 1e-300]), [0, 1, 2]);
        assert_eq!(KeyCodec::fit(&[]).map(|c| c.max_key), Some(0));
        assert_eq!(average_ranks(&[], &mut RankScratch::new()), Some(vec![]));
        assert!(KeyCodec::fit(&[f64::NAN.to_bits()]).is_none());
        assert!(KeyCodec::fit(&[(-f64::INFINITY).to_bits()]).is_none());
    }

    #[test]
    fn sort_is_a_stable_sort_on_every_simd_level() {
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
            let mut expected: Vec<u32> = (0..x.len() as u32).collect();
            expected.sort_by(|&i, &j| x[i as usize].total_cmp(&x[j as usize]));
            for level in SimdLevel::available() {
                let mut s = RankScratch::with_simd(level);
                assert!(s.sort(&x, None));
                assert_eq!(
                    s.pos, expected,
                    "{level:?}: must equal a stable sort by value"
                );
            }
        }
    }

    #[test]
    fn running_sums_match_a_plain_scan() {
        for len in [0, 1, 2, 3, 4, 5, 7, 8, 9, 33, 4097] {
            let mut counts: Vec<u32> = (0..len as u32).map(|i| (i * 7 + 3) % 11).collect();
            let expected: Vec<u32> = counts
                .iter()
                .scan(0, |sum, &c| {
                    *sum += c;
                    Some(*sum)
                })
                .collect();
            running_sums(&mut counts);
            assert_eq!(counts, expected, "length {len}");
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
