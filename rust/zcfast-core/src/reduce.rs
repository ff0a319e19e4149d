//! Reductions: how the per-unit values of a layer-wise program become one value per
//! architecture.
//!
//! A layer-wise table groups its rows (units: the layers of each network) into architectures
//! by offsets, the Arrow list layout: architecture `a` owns rows `offsets[a]..offsets[a + 1]`.
//! A reduction node of a program maps the values of its operand on those rows to one number.

use crate::error::{CoreError, Result};
use crate::function::{nan_max, nan_min, protected_log};
use crate::named::serde_by_name;

/// A reduction over the units (layers) of each architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Reducer {
    Sum,
    Mean,
    Max,
    Min,
    /// Mean of `ln|x|` (protected like `log`): the log of the geometric mean of `|x|`, which
    /// weighs every layer alike however many orders of magnitude apart they are.
    MeanLog,
    /// Population standard deviation: how unevenly a quantity is spread over the layers.
    Std,
}

impl Reducer {
    pub const ALL: [Reducer; 6] = [
        Reducer::Sum,
        Reducer::Mean,
        Reducer::Max,
        Reducer::Min,
        Reducer::MeanLog,
        Reducer::Std,
    ];

    /// The name used in formulas and settings, e.g. `mean_layers`.
    pub fn name(self) -> &'static str {
        match self {
            Reducer::Sum => "sum_layers",
            Reducer::Mean => "mean_layers",
            Reducer::Max => "max_layers",
            Reducer::Min => "min_layers",
            Reducer::MeanLog => "meanlog_layers",
            Reducer::Std => "std_layers",
        }
    }

    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|r| r.name() == name)
            .ok_or_else(|| CoreError::unknown("reducers", Self::names().join(", "), name))
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|r| r.name()).collect()
    }

    /// The reduction of one architecture's values (at least one).
    pub fn apply(self, values: &[f64]) -> f64 {
        debug_assert!(!values.is_empty());
        let n = values.len() as f64;
        match self {
            Reducer::Sum => values.iter().sum(),
            Reducer::Mean => values.iter().sum::<f64>() / n,
            Reducer::Max => values[1..].iter().fold(values[0], |m, &v| nan_max(m, v)),
            Reducer::Min => values[1..].iter().fold(values[0], |m, &v| nan_min(m, v)),
            Reducer::MeanLog => values.iter().map(|&v| protected_log(v)).sum::<f64>() / n,
            Reducer::Std => {
                let mean = values.iter().sum::<f64>() / n;
                let ss: f64 = values.iter().map(|&v| (v - mean) * (v - mean)).sum();
                (ss / n).sqrt()
            }
        }
    }
}

serde_by_name!(Reducer);

/// Reduces `values` (one per unit) into `out` (one per architecture). `offsets` groups the
/// units (`None`: one unit per architecture).
pub fn reduce(reducer: Reducer, values: &[f64], offsets: Option<&[usize]>, out: &mut [f64]) {
    match offsets {
        None => {
            for (o, v) in out.iter_mut().zip(values) {
                *o = reducer.apply(std::slice::from_ref(v));
            }
        }
        Some(offsets) => {
            debug_assert_eq!(offsets.len(), out.len() + 1);
            for (o, w) in out.iter_mut().zip(offsets.windows(2)) {
                *o = reducer.apply(&values[w[0]..w[1]]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reductions_match_their_definitions() {
        let v = [3.0, -1.0, 4.0, 0.5];
        assert_eq!(Reducer::Sum.apply(&v), 6.5);
        assert_eq!(Reducer::Mean.apply(&v), 1.625);
        assert_eq!(Reducer::Max.apply(&v), 4.0);
        assert_eq!(Reducer::Min.apply(&v), -1.0);
        let meanlog = (3.0f64.ln() + 0.0 + 4.0f64.ln() + 0.5f64.ln()) / 4.0;
        assert!((Reducer::MeanLog.apply(&v) - meanlog).abs() < 1e-15);
        let var = v.iter().map(|x| (x - 1.625) * (x - 1.625)).sum::<f64>() / 4.0;
        assert!((Reducer::Std.apply(&v) - var.sqrt()).abs() < 1e-15);
        assert!(Reducer::Max.apply(&[1.0, f64::NAN, 2.0]).is_nan());
    }

    #[test]
    fn reduce_groups_by_offsets() {
        let values = [1.0, 2.0, 3.0, 10.0, 20.0, 7.0];
        let mut out = [0.0; 3];
        reduce(Reducer::Sum, &values, Some(&[0, 3, 5, 6]), &mut out);
        assert_eq!(out, [6.0, 30.0, 7.0]);
        let mut out = [0.0; 2];
        reduce(Reducer::Std, &[2.0, 5.0], None, &mut out);
        assert_eq!(out, [0.0, 0.0]);
    }

    #[test]
    fn names_round_trip() {
        for r in Reducer::ALL {
            assert_eq!(Reducer::from_name(r.name()), Ok(r));
        }
        assert!(Reducer::from_name("median_layers").is_err());
    }
}
