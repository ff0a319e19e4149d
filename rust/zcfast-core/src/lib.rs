//! zcfast-core: genetic programming over cached metric matrices with rank-correlation fitness.
//!
//! The pieces, bottom up:
//! - [`matrix::Matrix`]: column-major features (rows = units, columns = metrics);
//! - [`units::Units`]: a matrix whose rows are grouped into architectures by offsets (one row
//!   per architecture for a flat table, one per layer for a layer table);
//! - [`program::Program`]: expressions as flat postfix arrays over [`function::Function`]s and,
//!   in layer-wise programs, [`reduce::Reducer`]s;
//! - [`eval::Evaluator`]: blocked, vectorisable evaluation of a reduction-free expression;
//! - [`pipeline::ArchEvaluator`]: program + units → one value per architecture;
//! - [`stats`]: Spearman / Kendall τ-b / Pearson against a target ranked once;
//! - [`fitness`]: tasks and (multi-task) fitness;
//! - [`gp::Evolver`]: the evolution loop, scoring each generation through a [`gp::Scorer`].
//!
//! Every fitness evaluation is the same pipeline: evaluate the program on the units, reduce per
//! architecture, rank against the targets, aggregate over tasks.
//!
//! [`simd::SimdLevel`] picks, at run time, the widest instruction set the evaluation and
//! ranking loops were compiled for; every level gives bit-identical results.
//!
//! No Python here: the `zcfast-py` crate wraps this one.

pub mod error;
pub mod eval;
pub mod fastmath;
pub mod fitness;
pub mod function;
pub mod gp;
mod infix;
pub mod matrix;
mod named;
pub mod pipeline;
pub mod program;
pub mod reduce;
pub mod rng;
pub mod simd;
pub mod stats;
pub mod units;

pub use error::{CoreError, Result};
pub use fitness::{Aggregate, Measure, Metric, Task};
pub use function::Function;
pub use gp::{Config, Evolver, GenerationStats, Individual, Scorer, SimdScorer};
pub use matrix::Matrix;
pub use pipeline::ArchEvaluator;
pub use program::{Node, Program};
pub use reduce::Reducer;
pub use units::Units;
