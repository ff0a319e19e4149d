//! Evaluation of postfix programs over a matrix, in fixed-size row blocks.
//!
//! Each block runs the whole program with a stack of block-sized buffers, so every function
//! application is a tight loop over at most [`BLOCK`] values that the compiler vectorises, and
//! the working set stays in L1 whatever the number of rows.

use crate::error::{CoreError, Result};
use crate::function::{nan_max, nan_min, protected_div, protected_log, Function};
use crate::matrix::Matrix;
use crate::program::{Node, Program};

/// Rows per block.
pub const BLOCK: usize = 256;

/// Reusable buffers for evaluating programs; one per thread.
#[derive(Default)]
pub struct Evaluator {
    buffers: Vec<Box<[f64; BLOCK]>>,
}

impl Evaluator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Evaluates `program` on every row of `data`; the program's features must exist in `data`.
    pub fn evaluate(&mut self, program: &Program, data: &Matrix) -> Result<Vec<f64>> {
        if let Some(v) = program.max_feature() {
            if v as usize >= data.n_cols() {
                return Err(CoreError::shape(
                    "matrix",
                    format!("at least {} columns (the expression uses x{v})", v + 1),
                    format!("{} columns", data.n_cols()),
                ));
            }
        }
        let mut out = vec![0.0; data.n_rows()];
        self.evaluate_into(program, data, &mut out);
        Ok(out)
    }

    /// Like [`Evaluator::evaluate`] without the column check; `out` has one slot per row.
    pub fn evaluate_into(&mut self, program: &Program, data: &Matrix, out: &mut [f64]) {
        debug_assert_eq!(out.len(), data.n_rows());
        let nodes = program.nodes();
        // Stack depth never exceeds the number of nodes.
        while self.buffers.len() < nodes.len() {
            self.buffers.push(Box::new([0.0; BLOCK]));
        }
        let n = data.n_rows();
        let mut start = 0;
        while start < n {
            let len = BLOCK.min(n - start);
            let top = self.run_block(nodes, data, start, len);
            out[start..start + len].copy_from_slice(&self.buffers[top][..len]);
            start += len;
        }
    }

    /// Runs the program on rows `start..start + len`; returns the index of the result buffer.
    fn run_block(&mut self, nodes: &[Node], data: &Matrix, start: usize, len: usize) -> usize {
        let mut sp = 0usize; // number of occupied buffers
        for node in nodes {
            match *node {
                Node::Var(v) => {
                    let col = &data.column(v as usize)[start..start + len];
                    self.buffers[sp][..len].copy_from_slice(col);
                    sp += 1;
                }
                Node::Const(c) => {
                    self.buffers[sp][..len].fill(c);
                    sp += 1;
                }
                Node::Func(f) if f.arity() == 1 => {
                    apply_unary(f, &mut self.buffers[sp - 1][..len]);
                }
                Node::Func(f) => {
                    let (lower, upper) = self.buffers.split_at_mut(sp - 1);
                    apply_binary(f, &mut lower[sp - 2][..len], &upper[0][..len]);
                    sp -= 1;
                }
            }
        }
        sp - 1
    }
}

#[inline(always)]
fn map1(x: &mut [f64], f: impl Fn(f64) -> f64) {
    for v in x.iter_mut() {
        *v = f(*v);
    }
}

#[inline(always)]
fn map2(a: &mut [f64], b: &[f64], f: impl Fn(f64, f64) -> f64) {
    for (x, &y) in a.iter_mut().zip(b) {
        *x = f(*x, y);
    }
}

fn apply_unary(f: Function, x: &mut [f64]) {
    match f {
        Function::Neg => map1(x, |v| -v),
        Function::Abs => map1(x, f64::abs),
        Function::Log => map1(x, protected_log),
        Function::Sqrt => map1(x, |v| v.abs().sqrt()),
        Function::Square => map1(x, |v| v * v),
        _ => unreachable!("binary function in unary position"),
    }
}

fn apply_binary(f: Function, a: &mut [f64], b: &[f64]) {
    match f {
        Function::Add => map2(a, b, |x, y| x + y),
        Function::Sub => map2(a, b, |x, y| x - y),
        Function::Mul => map2(a, b, |x, y| x * y),
        Function::Div => map2(a, b, protected_div),
        Function::Min => map2(a, b, nan_min),
        Function::Max => map2(a, b, nan_max),
        _ => unreachable!("unary function in binary position"),
    }
}

/// Straightforward recursive-free scalar evaluation of one row; the reference the block
/// evaluator is tested against.
pub fn evaluate_row(program: &Program, row: &[f64]) -> f64 {
    let mut stack: Vec<f64> = Vec::with_capacity(program.len());
    for node in program.nodes() {
        let v = match *node {
            Node::Var(v) => row[v as usize],
            Node::Const(c) => c,
            Node::Func(f) if f.arity() == 1 => {
                let a = stack.pop().unwrap_or(f64::NAN);
                f.apply1(a)
            }
            Node::Func(f) => {
                let b = stack.pop().unwrap_or(f64::NAN);
                let a = stack.pop().unwrap_or(f64::NAN);
                f.apply2(a, b)
            }
        };
        stack.push(v);
    }
    stack.pop().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_agree_with_scalar_reference() {
        let n = 3 * BLOCK + 17;
        let data = Matrix::from_fn(n, 3, |r, c| ((r * 7 + c * 13) % 29) as f64 - 9.5);
        let p = Program::from_tokens(&[
            "x0", "x1", "div", "log", "x2", "sqrt", "mul", "x0", "square", "max", "c0.5", "sub",
            "x1", "min", "neg", "abs",
        ])
        .expect("valid");
        let out = Evaluator::new().evaluate(&p, &data).expect("evaluates");
        for (r, v) in out.iter().enumerate() {
            let row: Vec<f64> = (0..3).map(|c| data.column(c)[r]).collect();
            assert_eq!(v.to_bits(), evaluate_row(&p, &row).to_bits(), "row {r}");
        }
    }

    #[test]
    fn missing_feature_is_an_error() {
        let data = Matrix::from_fn(4, 2, |r, _| r as f64);
        let p = Program::from_tokens(&["x5"]).expect("valid");
        assert!(Evaluator::new().evaluate(&p, &data).is_err());
    }
}
