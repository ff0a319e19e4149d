//! Column-major feature matrices (rows = architectures, or layers of a layer-wise table;
//! columns = metrics).

use crate::error::{CoreError, Result};

/// An owned, column-major `f64` matrix: each feature is one contiguous column, which is what
/// the evaluator streams through.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    n_rows: usize,
    n_cols: usize,
    data: Vec<f64>,
}

impl Matrix {
    /// Builds a matrix from column-major data.
    pub fn from_columns(n_rows: usize, n_cols: usize, data: Vec<f64>) -> Result<Self> {
        if data.len() != n_rows * n_cols {
            return Err(CoreError::shape(
                "matrix",
                format!(
                    "{} values for {n_rows} rows x {n_cols} columns",
                    n_rows * n_cols
                ),
                format!("{} values", data.len()),
            ));
        }
        Ok(Self {
            n_rows,
            n_cols,
            data,
        })
    }

    /// Builds a matrix from an accessor `get(row, col)`, e.g. over a strided NumPy view.
    pub fn from_fn(n_rows: usize, n_cols: usize, get: impl Fn(usize, usize) -> f64) -> Self {
        let mut data = Vec::with_capacity(n_rows * n_cols);
        for c in 0..n_cols {
            for r in 0..n_rows {
                data.push(get(r, c));
            }
        }
        Self {
            n_rows,
            n_cols,
            data,
        }
    }

    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// The column-major values, to reuse the allocation.
    pub fn into_data(self) -> Vec<f64> {
        self.data
    }

    pub fn column(&self, c: usize) -> &[f64] {
        &self.data[c * self.n_rows..(c + 1) * self.n_rows]
    }

    /// A new matrix made of the given rows, in that order.
    pub fn select_rows(&self, rows: &[usize]) -> Self {
        Self::from_fn(rows.len(), self.n_cols, |r, c| self.column(c)[rows[r]])
    }

    /// The first column, if any, that holds a NaN or infinite value, with the row.
    pub fn first_non_finite(&self) -> Option<(usize, usize)> {
        (0..self.n_cols).find_map(|c| {
            self.column(c)
                .iter()
                .position(|v| !v.is_finite())
                .map(|r| (r, c))
        })
    }
}
