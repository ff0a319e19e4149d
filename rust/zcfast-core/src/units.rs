//! Tables of units grouped into architectures.
//!
//! A flat metric table has one unit (row) per architecture. A layer-wise table has one unit
//! per layer, and `offsets` (the Arrow list layout) say which rows belong to which
//! architecture: architecture `a` owns rows `offsets[a]..offsets[a + 1]`.
//!
//! A value of exactly ±[`MISSING`] marks a metric that could not be computed (the
//! NAS-Bench-Suite-Zero sentinel, which `replace_missing` and `zcfast.metrics` write for
//! NaN/inf). The table remembers where such values are, so that an architecture whose
//! program reads one can be ranked last instead of wherever protected arithmetic puts it.

use crate::error::{CoreError, Result};
use crate::matrix::Matrix;

/// Magnitude of the missing-value marker.
pub const MISSING: f64 = 1e8;

/// A column-major table of units and, for a layer-wise table, the offsets that group them.
#[derive(Clone, Debug, PartialEq)]
pub struct Units {
    data: Matrix,
    /// `None` for a flat table (unit `a` is architecture `a`).
    offsets: Option<Vec<usize>>,
    /// Per column, the units holding the missing-value marker.
    missing: Vec<Vec<u32>>,
}

impl Units {
    /// A flat table: every row is one architecture.
    pub fn flat(data: Matrix) -> Self {
        let missing = missing_units(&data);
        Self {
            data,
            offsets: None,
            missing,
        }
    }

    /// A layer-wise table: `offsets` (`n_archs + 1` values) start at 0, end at the number of
    /// rows, and rise strictly (every architecture has at least one unit).
    pub fn grouped(data: Matrix, offsets: Vec<usize>) -> Result<Self> {
        check_offsets(&offsets, data.n_rows())?;
        let missing = missing_units(&data);
        Ok(Self {
            data,
            offsets: Some(offsets),
            missing,
        })
    }

    /// Units of column `c` that hold the missing-value marker.
    pub fn missing(&self, c: usize) -> &[u32] {
        &self.missing[c]
    }

    /// The architecture that unit `u` belongs to.
    pub fn arch_of(&self, u: usize) -> usize {
        match &self.offsets {
            None => u,
            Some(offsets) => offsets.partition_point(|&o| o <= u) - 1,
        }
    }

    pub fn data(&self) -> &Matrix {
        &self.data
    }

    /// The offsets of a layer-wise table (`None` for a flat one).
    pub fn offsets(&self) -> Option<&[usize]> {
        self.offsets.as_deref()
    }

    pub fn is_grouped(&self) -> bool {
        self.offsets.is_some()
    }

    pub fn n_archs(&self) -> usize {
        self.offsets
            .as_ref()
            .map_or(self.data.n_rows(), |o| o.len() - 1)
    }

    pub fn n_units(&self) -> usize {
        self.data.n_rows()
    }

    /// The table restricted to the architectures `archs`, in that order.
    pub fn select_archs(&self, archs: &[usize]) -> Self {
        let Some(offsets) = &self.offsets else {
            return Self::flat(self.data.select_rows(archs));
        };
        let mut rows = Vec::new();
        let mut new_offsets = Vec::with_capacity(archs.len() + 1);
        new_offsets.push(0);
        for &a in archs {
            rows.extend(offsets[a]..offsets[a + 1]);
            new_offsets.push(rows.len());
        }
        let data = self.data.select_rows(&rows);
        Self {
            missing: missing_units(&data),
            data,
            offsets: Some(new_offsets),
        }
    }
}

fn missing_units(data: &Matrix) -> Vec<Vec<u32>> {
    (0..data.n_cols())
        .map(|c| {
            let column = data.column(c);
            (0..column.len() as u32)
                .filter(|&u| column[u as usize].abs() == MISSING)
                .collect()
        })
        .collect()
}

fn check_offsets(offsets: &[usize], n_rows: usize) -> Result<()> {
    let Some((&first, &last)) = offsets.first().zip(offsets.last()) else {
        return Err(CoreError::shape(
            "offsets",
            "n_archs + 1 values",
            "an empty array",
        ));
    };
    if first != 0 {
        return Err(CoreError::invalid(
            "offsets",
            "offsets that start at 0",
            format!("offsets[0] = {first}"),
        ));
    }
    if let Some(a) = offsets.windows(2).position(|w| w[1] <= w[0]) {
        let (lo, hi) = (offsets[a], offsets[a + 1]);
        let found = if hi == lo {
            format!(
                "architecture {a} with no rows (offsets[{a}] = offsets[{}] = {lo})",
                a + 1
            )
        } else {
            format!("offsets[{a}] = {lo} > offsets[{}] = {hi}", a + 1)
        };
        return Err(CoreError::invalid(
            "offsets",
            "strictly increasing offsets (every architecture has at least one layer)",
            found,
        ));
    }
    if last != n_rows {
        return Err(CoreError::shape(
            "offsets",
            format!("a last offset equal to the number of rows ({n_rows})"),
            format!("{last}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize) -> Matrix {
        Matrix::from_fn(n, 2, |r, c| (r * 10 + c) as f64)
    }

    #[test]
    fn offsets_are_validated() {
        assert!(Units::grouped(data(5), vec![0, 2, 5]).is_ok());
        for bad in [
            vec![],
            vec![1, 5],
            vec![0, 3, 2, 5],
            vec![0, 2, 2, 5],
            vec![0, 4],
        ] {
            assert!(Units::grouped(data(5), bad.clone()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn missing_markers_are_found_and_mapped_to_architectures() {
        let mut values: Vec<f64> = (0..12).map(f64::from).collect();
        values[2] = -MISSING;
        values[6 + 4] = MISSING;
        let data = Matrix::from_columns(6, 2, values).expect("shape");
        let u = Units::grouped(data, vec![0, 1, 4, 6]).expect("offsets");
        assert_eq!((u.missing(0), u.missing(1)), (&[2u32][..], &[4u32][..]));
        assert_eq!((u.arch_of(0), u.arch_of(2), u.arch_of(4)), (0, 1, 2));
        assert_eq!(u.select_archs(&[2]).missing(1), &[0u32][..]);
    }

    #[test]
    fn selecting_architectures_keeps_their_units_together() {
        let u = Units::grouped(data(6), vec![0, 1, 4, 6]).expect("valid");
        let s = u.select_archs(&[2, 0]);
        assert_eq!(s.offsets(), Some(&[0, 2, 3][..]));
        assert_eq!(s.data().column(0), &[40.0, 50.0, 0.0]);
        assert_eq!(s.n_archs(), 2);
        let f = Units::flat(data(3)).select_archs(&[1]);
        assert_eq!((f.n_archs(), f.data().column(1)), (1, &[11.0][..]));
    }
}
