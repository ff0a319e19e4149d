//! Evaluation of postfix programs without reductions over a matrix, in fixed-size row blocks.
//! ([`crate::pipeline`] evaluates layer-wise programs by running this on each reduction's
//! operand.)
//!
//! Each block runs the whole program with a stack of block-sized buffers, so every function
//! application is a tight loop over at most [`BLOCK`] values that the compiler vectorises, and
//! the working set stays in L1 whatever the number of rows.

use crate::error::{CoreError, Result};
use crate::function::{nan_max, nan_min, protected_div, protected_log, Function};
use crate::matrix::Matrix;
use crate::program::{Node, Program};
use crate::simd::{simd_dispatch, SimdLevel};

/// Rows per block.
pub const BLOCK: usize = 256;

/// Reusable buffers for evaluating programs; one per thread.
pub struct Evaluator {
    buffers: Vec<[f64; BLOCK]>,
    free: Vec<usize>,
    stack: Vec<Slot>,
    simd: SimdLevel,
}

impl Default for Evaluator {
    fn default() -> Self {
        Self::new()
    }
}

/// A value on the evaluation stack: a matrix column read in place, or a scratch buffer.
/// Reading terminals in place saves a copy per leaf, which is half the nodes of a tree.
#[derive(Clone, Copy)]
enum Slot {
    Col(u32),
    Buf(usize),
}

impl Evaluator {
    pub fn new() -> Self {
        Self {
            buffers: Vec::new(),
            free: Vec::new(),
            stack: Vec::new(),
            simd: SimdLevel::detect(),
        }
    }

    /// An evaluator whose loops use the given instruction set, which the CPU must support
    /// (see [`SimdLevel::available`]); for checking that every level gives the same bits.
    pub fn with_simd(simd: SimdLevel) -> Self {
        assert!(
            SimdLevel::available().contains(&simd),
            "{simd:?} is not supported by this CPU"
        );
        Self {
            simd,
            ..Self::new()
        }
    }

    /// Evaluates a flat `program` on every row of `data`; the program's features must exist
    /// in `data`.
    pub fn evaluate(&mut self, program: &Program, data: &Matrix) -> Result<Vec<f64>> {
        check_features(program, data.n_cols())?;
        if program.is_layerwise() {
            return Err(CoreError::invalid(
                "expression",
                "an expression without reductions (evaluate layer-wise ones on a layer table)",
                "a layer-wise expression",
            ));
        }
        let mut out = vec![0.0; data.n_rows()];
        self.evaluate_nodes_into(program.nodes(), data, &mut out);
        Ok(out)
    }

    /// Evaluates the postfix `nodes` (one well-formed expression without reductions, whose
    /// features exist in `data`) on every row; `out` has one slot per row.
    pub fn evaluate_nodes_into(&mut self, nodes: &[Node], data: &Matrix, out: &mut [f64]) {
        debug_assert_eq!(out.len(), data.n_rows());
        // At most one buffer per node is ever live.
        while self.buffers.len() < nodes.len() {
            self.buffers.push([0.0; BLOCK]);
        }
        let n = data.n_rows();
        let mut start = 0;
        while start < n {
            let len = BLOCK.min(n - start);
            let dst = &mut out[start..start + len];
            self.run_block(nodes, data, start, dst);
            start += len;
        }
    }

    simd_dispatch! {
        /// Runs the program on one block of rows, compiled for the CPU's widest vectors.
        fn run_block(&mut self, nodes: &[Node], data: &Matrix, start: usize, out: &mut [f64]);
        copies run_block_avx512, run_block_avx2 of run_block_inline
    }

    /// Runs the program on rows `start..start + out.len()` and writes the result to `out`.
    #[inline(always)]
    fn run_block_inline(&mut self, nodes: &[Node], data: &Matrix, start: usize, out: &mut [f64]) {
        let len = out.len();
        let col = |c: u32| &data.column(c as usize)[start..start + len];
        self.stack.clear();
        self.free.clear();
        self.free.extend((0..nodes.len()).rev());
        for node in nodes {
            let slot = match *node {
                Node::Var(v) => Slot::Col(v),
                Node::Const(c) => {
                    let b = self.free.pop().unwrap_or_default();
                    self.buffers[b][..len].fill(c);
                    Slot::Buf(b)
                }
                Node::Reduce(_) => unreachable!("reductions are evaluated by the pipeline"),
                Node::Func(f) if f.arity() == 1 => match self.stack.pop() {
                    Some(Slot::Buf(b)) => {
                        unary_in_place(f, &mut self.buffers[b][..len]);
                        Slot::Buf(b)
                    }
                    Some(Slot::Col(c)) => {
                        let b = self.free.pop().unwrap_or_default();
                        unary_into(f, col(c), &mut self.buffers[b][..len]);
                        Slot::Buf(b)
                    }
                    None => unreachable!("programs are validated on construction"),
                },
                Node::Func(f) => {
                    let rhs = self.stack.pop();
                    let lhs = self.stack.pop();
                    match (lhs, rhs) {
                        (Some(Slot::Buf(a)), Some(Slot::Col(c))) => {
                            binary_left(f, &mut self.buffers[a][..len], col(c));
                            Slot::Buf(a)
                        }
                        (Some(Slot::Buf(a)), Some(Slot::Buf(b))) => {
                            let (x, y) = pair_mut(&mut self.buffers, a, b);
                            binary_left(f, &mut x[..len], &y[..len]);
                            self.free.push(b);
                            Slot::Buf(a)
                        }
                        (Some(Slot::Col(c)), Some(Slot::Buf(b))) => {
                            binary_right(f, col(c), &mut self.buffers[b][..len]);
                            Slot::Buf(b)
                        }
                        (Some(Slot::Col(c)), Some(Slot::Col(d))) => {
                            let b = self.free.pop().unwrap_or_default();
                            binary_into(f, col(c), col(d), &mut self.buffers[b][..len]);
                            Slot::Buf(b)
                        }
                        _ => unreachable!("programs are validated on construction"),
                    }
                }
            };
            self.stack.push(slot);
        }
        match self.stack.pop() {
            Some(Slot::Buf(b)) => out.copy_from_slice(&self.buffers[b][..len]),
            Some(Slot::Col(c)) => out.copy_from_slice(col(c)),
            None => unreachable!("programs are validated on construction"),
        }
    }
}

/// Checks that every feature `program` uses is one of the `n_cols` columns.
pub fn check_features(program: &Program, n_cols: usize) -> Result<()> {
    match program.max_feature() {
        Some(v) if v as usize >= n_cols => Err(CoreError::shape(
            "matrix",
            format!("at least {} columns (the expression uses x{v})", v + 1),
            format!("{n_cols} columns"),
        )),
        _ => Ok(()),
    }
}

/// Mutable access to buffer `a` and shared access to buffer `b` (`a != b`).
#[inline(always)]
fn pair_mut(bufs: &mut [[f64; BLOCK]], a: usize, b: usize) -> (&mut [f64; BLOCK], &[f64; BLOCK]) {
    debug_assert_ne!(a, b);
    if a < b {
        let (lo, hi) = bufs.split_at_mut(b);
        (&mut lo[a], &hi[0])
    } else {
        let (lo, hi) = bufs.split_at_mut(a);
        (&mut hi[0], &lo[b])
    }
}

// Each kernel is instantiated per function below, so every loop body is branch-free
// arithmetic that the compiler turns into SIMD code.

#[inline(always)]
fn unary_in_place(f: Function, x: &mut [f64]) {
    match f {
        Function::Neg => x.iter_mut().for_each(|v| *v = -*v),
        Function::Abs => x.iter_mut().for_each(|v| *v = v.abs()),
        Function::Log => x.iter_mut().for_each(|v| *v = protected_log(*v)),
        Function::Sqrt => x.iter_mut().for_each(|v| *v = v.abs().sqrt()),
        Function::Square => x.iter_mut().for_each(|v| *v *= *v),
        _ => unreachable!("binary function in unary position"),
    }
}

#[inline(always)]
fn unary_into(f: Function, src: &[f64], dst: &mut [f64]) {
    dst.copy_from_slice(src);
    unary_in_place(f, dst);
}

macro_rules! binary_kernel {
    ($f:expr, $body:ident) => {
        match $f {
            Function::Add => $body!(|x: f64, y: f64| x + y),
            Function::Sub => $body!(|x: f64, y: f64| x - y),
            Function::Mul => $body!(|x: f64, y: f64| x * y),
            Function::Div => $body!(protected_div),
            Function::Min => $body!(nan_min),
            Function::Max => $body!(nan_max),
            _ => unreachable!("unary function in binary position"),
        }
    };
}

/// `a = f(a, b)`
#[inline(always)]
fn binary_left(f: Function, a: &mut [f64], b: &[f64]) {
    macro_rules! body {
        ($op:expr) => {{
            let op = $op;
            for (x, &y) in a.iter_mut().zip(b) {
                *x = op(*x, y);
            }
        }};
    }
    binary_kernel!(f, body)
}

/// `b = f(a, b)`
#[inline(always)]
fn binary_right(f: Function, a: &[f64], b: &mut [f64]) {
    macro_rules! body {
        ($op:expr) => {{
            let op = $op;
            for (&x, y) in a.iter().zip(b.iter_mut()) {
                *y = op(x, *y);
            }
        }};
    }
    binary_kernel!(f, body)
}

/// `out = f(a, b)`
#[inline(always)]
fn binary_into(f: Function, a: &[f64], b: &[f64], out: &mut [f64]) {
    macro_rules! body {
        ($op:expr) => {{
            let op = $op;
            for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                *o = op(x, y);
            }
        }};
    }
    binary_kernel!(f, body)
}

/// Straightforward recursive-free scalar evaluation of one row; the reference the block
/// evaluator is tested against.
pub fn evaluate_row(program: &Program, row: &[f64]) -> f64 {
    let mut stack: Vec<f64> = Vec::with_capacity(program.len());
    for node in program.nodes() {
        let v = match *node {
            Node::Var(v) => row[v as usize],
            Node::Const(c) => c,
            // A single row is a single unit: reducing it is applying the reduction to it.
            Node::Reduce(r) => {
                let a = stack.pop().unwrap_or(f64::NAN);
                r.apply(&[a])
            }
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
        for level in SimdLevel::available() {
            let out = Evaluator::with_simd(level)
                .evaluate(&p, &data)
                .expect("evaluates");
            for (r, v) in out.iter().enumerate() {
                let row: Vec<f64> = (0..3).map(|c| data.column(c)[r]).collect();
                let expected = evaluate_row(&p, &row);
                assert_eq!(v.to_bits(), expected.to_bits(), "{level:?}, row {r}");
            }
        }
    }

    #[test]
    fn every_operand_combination_matches_the_reference() {
        let n = BLOCK + 3;
        let data = Matrix::from_fn(n, 2, |r, c| (r as f64 - 40.0) * (c as f64 + 0.5) + 0.25);
        let programs: [&[&str]; 7] = [
            &["x0"],
            &["x0", "x1", "sub"],                     // column, column
            &["x0", "log", "x1", "div"],              // buffer, column
            &["x1", "x0", "sqrt", "sub"],             // column, buffer
            &["x0", "neg", "x1", "abs", "div"],       // buffer, buffer
            &["c2.5e0", "x0", "min", "c-1e0", "max"], // constants
            &["x1", "x0", "x1", "mul", "x0", "add", "sub"],
        ];
        for tokens in programs {
            let p = Program::from_tokens(tokens).expect("valid");
            let out = Evaluator::new().evaluate(&p, &data).expect("evaluates");
            for (r, v) in out.iter().enumerate() {
                let row = [data.column(0)[r], data.column(1)[r]];
                assert_eq!(
                    v.to_bits(),
                    evaluate_row(&p, &row).to_bits(),
                    "{tokens:?} row {r}"
                );
            }
        }
    }

    #[test]
    fn missing_feature_is_an_error() {
        let data = Matrix::from_fn(4, 2, |r, _| r as f64);
        let p = Program::from_tokens(&["x5"]).expect("valid");
        assert!(Evaluator::new().evaluate(&p, &data).is_err());
    }
}
