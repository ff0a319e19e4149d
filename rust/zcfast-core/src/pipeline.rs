//! The first two stages of every fitness evaluation, flat or layer-wise:
//!
//! ```text
//! units (column-major table) --program--> one value per unit
//!                            --reduce by offsets--> one value per architecture
//! ```
//!
//! ([`crate::stats`] then ranks that vector against the task's targets.) A flat program on a
//! flat table is one blocked evaluation. A layer-wise program is evaluated in two steps: the
//! operand of each reduction runs over all units at once (blocked, vectorised, reading the
//! table's columns in place, so no architecture's rows are copied out) and is reduced by the
//! offsets into one column per reduction; the nodes above the reductions then run over those
//! columns, one row per architecture.

use crate::error::{CoreError, Result};
use crate::eval::{check_features, Evaluator};
use crate::matrix::Matrix;
use crate::program::{Node, Program};
use crate::reduce::reduce;
use crate::simd::SimdLevel;
use crate::units::Units;

/// The value of an architecture whose program reads a missing-value marker (see
/// [`crate::units::MISSING`]): the lowest float, so that it ranks below every real score while
/// correlations stay defined.
pub const DEGENERATE: f64 = f64::MIN;

/// Reusable buffers that map a program and a table of units to one value per architecture;
/// one per thread.
#[derive(Default)]
pub struct ArchEvaluator {
    evaluator: Evaluator,
    /// Values of one reduction's operand, one per unit.
    unit_values: Vec<f64>,
    /// Reduced terms, one column (of `n_archs` values) per reduction.
    terms: Vec<f64>,
    /// The program above its reductions, each replaced by the feature of its term column.
    outer: Vec<Node>,
    sizes: Vec<usize>,
}

impl ArchEvaluator {
    pub fn new() -> Self {
        Self::default()
    }

    /// An evaluator whose loops use the given instruction set (see [`Evaluator::with_simd`]).
    pub fn with_simd(simd: SimdLevel) -> Self {
        Self {
            evaluator: Evaluator::with_simd(simd),
            ..Self::default()
        }
    }

    /// Checks that `program` can be evaluated on `units`: its features exist, and a layer
    /// table gets a layer-wise program.
    pub fn check(program: &Program, units: &Units) -> Result<()> {
        check_features(program, units.data().n_cols())?;
        if units.is_grouped() && !program.is_layerwise() {
            return Err(CoreError::invalid(
                "expression",
                "a layer-wise expression (features inside reductions such as mean_layers) for a \
                 layer table",
                "an expression without reductions",
            ));
        }
        Ok(())
    }

    /// One value per architecture of `units`, after [`ArchEvaluator::check`].
    pub fn evaluate(&mut self, program: &Program, units: &Units) -> Result<Vec<f64>> {
        Self::check(program, units)?;
        let mut out = vec![0.0; units.n_archs()];
        self.evaluate_into(program, units, &mut out);
        Ok(out)
    }

    /// Writes one value per architecture to `out`; `program` must pass
    /// [`ArchEvaluator::check`] for `units`. Architectures where the program reads a
    /// missing-value marker get [`DEGENERATE`].
    pub fn evaluate_into(&mut self, program: &Program, units: &Units, out: &mut [f64]) {
        debug_assert_eq!(out.len(), units.n_archs());
        if program.is_layerwise() {
            let n_archs = units.n_archs();
            let n_terms = self.reduce_terms(program, units);
            let terms = Matrix::from_columns(n_archs, n_terms, std::mem::take(&mut self.terms))
                .expect("one column of n_archs values per reduction");
            self.evaluator.evaluate_nodes_into(&self.outer, &terms, out);
            self.terms = terms.into_data();
        } else {
            // One unit per architecture: the program's values are the architectures' values.
            self.evaluator
                .evaluate_nodes_into(program.nodes(), units.data(), out);
        }
        mark_degenerate(program, units, out);
    }

    /// Evaluates and reduces every reduction's operand into `self.terms` and rewrites the
    /// program above them into `self.outer`; returns the number of terms.
    fn reduce_terms(&mut self, program: &Program, units: &Units) -> usize {
        let n_archs = units.n_archs();
        self.outer.clear();
        self.terms.clear();
        self.sizes.clear();
        self.unit_values.resize(units.n_units(), 0.0);
        let nodes = program.nodes();
        let mut n_terms = 0;
        for (i, &node) in nodes.iter().enumerate() {
            let mut size = 1;
            for _ in 0..node.arity() {
                size += self.sizes.pop().unwrap_or(0);
            }
            self.sizes.push(size);
            let Node::Reduce(reducer) = node else {
                self.outer.push(node);
                continue;
            };
            // Reductions do not nest, so the operand's nodes were copied one for one.
            let operand = &nodes[i + 1 - size..i];
            self.outer.truncate(self.outer.len() - operand.len());
            self.evaluator
                .evaluate_nodes_into(operand, units.data(), &mut self.unit_values);
            self.terms.resize((n_terms + 1) * n_archs, 0.0);
            reduce(
                reducer,
                &self.unit_values,
                units.offsets(),
                &mut self.terms[n_terms * n_archs..],
            );
            self.outer.push(Node::Var(n_terms as u32));
            n_terms += 1;
        }
        n_terms
    }
}

/// Sets [`DEGENERATE`] for every architecture with a missing-value marker in a column the
/// program reads.
fn mark_degenerate(program: &Program, units: &Units, out: &mut [f64]) {
    for node in program.nodes() {
        if let Node::Var(c) = *node {
            for &u in units.missing(c as usize) {
                out[units.arch_of(u as usize)] = DEGENERATE;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::evaluate_row;

    fn table() -> Units {
        // 3 architectures with 2, 1 and 3 layers; columns x0, x1
        let data = Matrix::from_columns(
            6,
            2,
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.5, -1.0, 2.0, 8.0, 0.25, 4.0],
        )
        .expect("shape");
        Units::grouped(data, vec![0, 2, 3, 6]).expect("offsets")
    }

    fn eval(tokens: &[&str], units: &Units) -> Vec<f64> {
        let p = Program::from_tokens(tokens).expect("valid");
        ArchEvaluator::new().evaluate(&p, units).expect("evaluates")
    }

    #[test]
    fn reductions_group_units_by_architecture() {
        let u = table();
        assert_eq!(eval(&["x0", "sum_layers"], &u), vec![3.0, 3.0, 15.0]);
        assert_eq!(
            eval(&["x0", "x1", "mul", "max_layers"], &u),
            vec![0.5, 6.0, 32.0]
        );
        // outer arithmetic over two reduced terms
        let got = eval(&["x0", "sum_layers", "x1", "mean_layers", "div"], &u);
        let mean_x1 = [-0.25, 2.0, (8.0 + 0.25 + 4.0) / 3.0];
        let want: Vec<f64> = [3.0, 3.0, 15.0]
            .iter()
            .zip(mean_x1)
            .map(|(s, m)| s / m)
            .collect();
        assert_eq!(got, want);
        // a constant above the reductions
        assert_eq!(
            eval(&["x0", "min_layers", "c2e0", "mul"], &u),
            [2.0, 6.0, 8.0]
        );
    }

    #[test]
    fn architectures_reading_a_missing_marker_rank_last() {
        let data = Matrix::from_columns(3, 2, vec![1.0, -1e8, 3.0, 5.0, 6.0, 1e8]).expect("shape");
        let flat = Units::flat(data);
        assert_eq!(eval(&["x0"], &flat), [1.0, DEGENERATE, 3.0]);
        assert_eq!(
            eval(&["x0", "x1", "div"], &flat),
            [0.2, DEGENERATE, DEGENERATE]
        );
        let u = table();
        let marked = Units::grouped(
            Matrix::from_columns(6, 1, vec![1.0, 2.0, 3.0, 1e8, 5.0, 6.0]).expect("shape"),
            vec![0, 2, 3, 6],
        )
        .expect("offsets");
        assert_eq!(eval(&["x0", "sum_layers"], &marked), [3.0, 3.0, DEGENERATE]);
        assert_eq!(eval(&["x0", "sum_layers"], &u), [3.0, 3.0, 15.0]);
    }

    #[test]
    fn flat_tables_are_the_one_unit_case() {
        let data = Matrix::from_fn(4, 2, |r, c| (r + 2 * c) as f64 + 0.5);
        let flat = Units::flat(data.clone());
        let ones = Units::grouped(data.clone(), vec![0, 1, 2, 3, 4]).expect("offsets");
        let p = Program::from_tokens(&["x0", "x1", "mul"]).expect("valid");
        let direct = ArchEvaluator::new().evaluate(&p, &flat).expect("flat");
        for (r, v) in direct.iter().enumerate() {
            let row = [data.column(0)[r], data.column(1)[r]];
            assert_eq!(*v, evaluate_row(&p, &row));
        }
        let summed = eval(&["x0", "x1", "mul", "sum_layers"], &ones);
        assert_eq!(summed, direct);
        assert_eq!(eval(&["x0", "x1", "mul", "sum_layers"], &flat), direct);
        // a flat program on a layer table is refused
        assert!(ArchEvaluator::new().evaluate(&p, &ones).is_err());
    }
}
