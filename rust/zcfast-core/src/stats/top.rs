//! Measures that weight the top of the ranking, where a search picks its architectures.
//!
//! - weighted Kendall τ with hyperbolic weights, as `scipy.stats.weightedtau` defines it
//!   (Vigna 2015): a pair (i, j) weighs `1/(r_i + 1) + 1/(r_j + 1)`, `r` being the element's
//!   position in decreasing lexicographic order by (x, y); the result averages that τ with
//!   the one for the order by (y, x). O(n log n): per element, a Fenwick tree over the
//!   target's dense ranks counts concordant minus discordant partners, so the weighted sums
//!   are sums over elements;
//! - Spearman's ρ over the `k` architectures with the highest targets;
//! - precision@k: the share of the `k` highest scores that are among the `k` highest targets;
//! - NDCG@k with the target's percentile rank as the gain.
//!
//! Ties in the scores share the places they occupy (fractionally at the k-th place), so a
//! tied block of scores earns what its members earn on average, never the best of them.

use super::{for_each_tie_group, RankScratch, RankedTarget};

/// Per-element buffers of the top-weighted measures.
#[derive(Default)]
pub(crate) struct TopScratch {
    /// Concordant minus discordant partners of each element.
    balance: Vec<i64>,
    /// Partners tied with each element in the scores.
    tied_x: Vec<u32>,
    /// Elements in (y, x) order, and the fill pointers of the counting sort that makes it.
    order_yx: Vec<u32>,
    fill: Vec<u32>,
    fenwick: Vec<u32>,
    /// Target-top membership (0..1) of each element, and the gains of NDCG.
    member: Vec<f64>,
}

impl RankedTarget {
    /// Weighted Kendall τ of `x` against the target (hyperbolic weights, additive, the
    /// average over the two lexicographic rankings), equal to `scipy.stats.weightedtau`;
    /// `None` if `x` is non-finite or constant.
    pub fn weighted_tau(&self, x: &[f64], scratch: &mut RankScratch) -> Option<f64> {
        debug_assert_eq!(x.len(), self.len());
        // Rows in ascending (x, y, index) order.
        if !scratch.sort(x, Some(&self.order)) {
            return None;
        }
        let n = x.len();
        self.partner_balance(scratch);
        let (pos, top) = (&scratch.pos, &mut scratch.top);
        // The (y, x, index) order: a stable counting sort of the (x, y) order by dense rank.
        top.fill.clear();
        top.fill
            .extend_from_slice(&self.dense_start[..self.n_distinct]);
        top.order_yx.resize(n, 0);
        for &row in pos.iter() {
            let d = self.dense[row as usize] as usize;
            top.order_yx[top.fill[d] as usize] = row;
            top.fill[d] += 1;
        }
        let by_xy = self.weighted_tau_for(pos.iter().rev().copied(), top)?;
        let by_yx = self.weighted_tau_for(top.order_yx.iter().rev().copied(), top)?;
        Some(super::clamp_unit((by_xy + by_yx) / 2.0))
    }

    /// Fills `balance` (concordant minus discordant partners) and `tied_x` of every row, from
    /// the (x, y) order in `scratch.pos` and the equal-x groups in `scratch.keys`.
    fn partner_balance(&self, scratch: &mut RankScratch) {
        let n = self.len();
        let (keys, pos, top) = (&scratch.keys, &scratch.pos, &mut scratch.top);
        top.balance.resize(n, 0);
        top.tied_x.resize(n, 0);
        top.fenwick.clear();
        top.fenwick.resize(self.n_distinct + 1, 0);
        let mut seen = 0i64;
        for_each_tie_group(keys, |start, end| {
            // Within the group rows are in ascending y; `lo..hi` is the run of equal y.
            let mut lo = start;
            while lo < end {
                let d = self.dense[pos[lo] as usize] as usize;
                let mut hi = lo + 1;
                while hi < end && self.dense[pos[hi] as usize] as usize == d {
                    hi += 1;
                }
                let below_seen = prefix(&top.fenwick, d) as i64;
                let above_seen = seen - prefix(&top.fenwick, d + 1) as i64;
                let below_all = self.dense_start[d] as i64;
                let above_all = (n as u32 - self.dense_start[d + 1]) as i64;
                let (below_group, above_group) = ((lo - start) as i64, (end - hi) as i64);
                let below_later = below_all - below_seen - below_group;
                let above_later = above_all - above_seen - above_group;
                let balance = below_seen + above_later - above_seen - below_later;
                for &row in &pos[lo..hi] {
                    top.balance[row as usize] = balance;
                    top.tied_x[row as usize] = (end - start - 1) as u32;
                }
                lo = hi;
            }
            for &row in &pos[start..end] {
                add(&mut top.fenwick, self.dense[row as usize] as usize);
            }
            seen += (end - start) as i64;
        });
    }

    /// Weighted τ for the ranking that lists rows from most to least important.
    fn weighted_tau_for(
        &self,
        ranking: impl Iterator<Item = u32>,
        top: &TopScratch,
    ) -> Option<f64> {
        let others = (self.len() - 1) as f64;
        let (mut num, mut dx, mut dy) = (0.0, 0.0, 0.0);
        for (r, row) in ranking.enumerate() {
            let (i, w) = (row as usize, 1.0 / (r as f64 + 1.0));
            let tied_y = self.dense_start[self.dense[i] as usize + 1]
                - self.dense_start[self.dense[i] as usize]
                - 1;
            num += w * top.balance[i] as f64;
            dx += w * (others - top.tied_x[i] as f64);
            dy += w * (others - tied_y as f64);
        }
        (dx > 0.0).then(|| num / (dx * dy).sqrt())
    }

    /// Spearman's ρ of `x` against the target on the `k` rows with the highest targets;
    /// `None` if `x` is non-finite or constant there.
    pub fn top_spearman(&self, x: &[f64], k: usize, scratch: &mut RankScratch) -> Option<f64> {
        let k = k.clamp(2, self.len());
        let rows = &self.order[self.len() - k..];
        let sub_x: Vec<f64> = rows.iter().map(|&r| x[r as usize]).collect();
        let sub_y: Vec<f64> = rows
            .iter()
            .map(|&r| self.centred_rank[r as usize])
            .collect();
        let target = RankedTarget::new(&sub_y, "targets").ok()?;
        target.spearman(&sub_x, scratch)
    }

    /// Precision@k: the share of the `k` highest scores that belong to the `k` highest
    /// targets (tied blocks on either side count fractionally); `None` if `x` is non-finite
    /// or constant.
    pub fn precision(&self, x: &[f64], k: usize, scratch: &mut RankScratch) -> Option<f64> {
        let k = k.clamp(1, self.len());
        if !scratch.sort(x, None) || scratch.keys.first() == scratch.keys.last() {
            return None;
        }
        self.top_membership(k, &mut scratch.top.member);
        let member = &scratch.top.member;
        let mean_member = |rows: &[u32]| {
            rows.iter().map(|&r| member[r as usize]).sum::<f64>() / rows.len() as f64
        };
        let hits = top_blocks(&scratch.keys, &scratch.pos, k, mean_member, |_| 1.0);
        Some(hits / k as f64)
    }

    /// NDCG@k with gain = the target's percentile rank (average rank / n): the discounted
    /// gain of the `k` highest scores over that of the `k` highest targets; `None` if `x` is
    /// non-finite or constant.
    pub fn ndcg(&self, x: &[f64], k: usize, scratch: &mut RankScratch) -> Option<f64> {
        let k = k.clamp(1, self.len());
        if !scratch.sort(x, None) || scratch.keys.first() == scratch.keys.last() {
            return None;
        }
        let n = self.len() as f64;
        let gain = |r: u32| (self.centred_rank[r as usize] + (n + 1.0) / 2.0) / n;
        let mean_gain =
            |rows: &[u32]| rows.iter().map(|&r| gain(r)).sum::<f64>() / rows.len() as f64;
        let dcg = top_blocks(&scratch.keys, &scratch.pos, k, mean_gain, discount);
        let ideal: f64 = self.order[self.len() - k..]
            .iter()
            .rev()
            .enumerate()
            .map(|(j, &r)| gain(r) * discount(j))
            .sum();
        Some(dcg / ideal)
    }

    /// Weight of each row in the top `k` by target: 1 inside, 0 outside, and the share of the
    /// remaining places for a tied block that straddles the k-th place.
    fn top_membership(&self, k: usize, member: &mut Vec<f64>) {
        member.clear();
        member.resize(self.len(), 0.0);
        let mut slots = k;
        for d in (0..self.n_distinct).rev() {
            let (lo, hi) = (
                self.dense_start[d] as usize,
                self.dense_start[d + 1] as usize,
            );
            let share = (slots as f64 / (hi - lo) as f64).min(1.0);
            for &r in &self.order[lo..hi] {
                member[r as usize] = share;
            }
            slots = slots.saturating_sub(hi - lo);
            if slots == 0 {
                break;
            }
        }
    }
}

/// Σ over the first `k` places by decreasing score of `value(block) × weight(place)`, where a
/// block is a run of tied scores, `value` its rows' mean, and every place it occupies (up to
/// the k-th) earns it.
fn top_blocks(
    keys: &[u64],
    pos: &[u32],
    k: usize,
    value: impl Fn(&[u32]) -> f64,
    weight: impl Fn(usize) -> f64,
) -> f64 {
    let n = keys.len();
    let mut place = 0usize;
    let mut total = 0.0;
    let mut end = n;
    while end > 0 && place < k {
        let mut start = end - 1;
        while start > 0 && keys[start - 1] == keys[end - 1] {
            start -= 1;
        }
        let v = value(&pos[start..end]);
        let used = (end - start).min(k - place);
        total += v * (place..place + used).map(&weight).sum::<f64>();
        place += used;
        end = start;
    }
    total
}

/// NDCG's discount of the place `j` (0-based): 1 / log2(j + 2).
fn discount(j: usize) -> f64 {
    1.0 / ((j + 2) as f64).log2()
}

/// Number of inserted dense ranks below `d`.
fn prefix(tree: &[u32], d: usize) -> u32 {
    let (mut i, mut sum) = (d, 0);
    while i > 0 {
        sum += tree[i];
        i &= i - 1;
    }
    sum
}

fn add(tree: &mut [u32], d: usize) {
    let mut i = d + 1;
    while i < tree.len() {
        tree[i] += 1;
        i += i & i.wrapping_neg();
    }
}
