//! zcfast-core: genetic programming over cached metric matrices with rank-correlation fitness.
//!
//! The pieces, bottom up:
//! - [`matrix::Matrix`]: column-major features (rows = architectures, columns = metrics);
//! - [`program::Program`]: expressions as flat postfix arrays over [`function::Function`]s;
//! - [`eval::Evaluator`]: blocked, vectorisable evaluation of a program over a matrix;
//! - [`stats`]: Spearman / Kendall τ-b / Pearson against a target ranked once;
//! - [`fitness`]: tasks and (multi-task) fitness;
//! - [`gp::Evolver`]: the evolution loop.
//!
//! [`simd::SimdLevel`] picks, at run time, the widest instruction set the evaluation and
//! ranking loops were compiled for; every level gives bit-identical results.
//!
//! The evaluator maps a matrix to one value per row, and fitness is computed on that vector;
//! a later per-architecture reduction over ragged layer tables slots in between the two.
//!
//! No Python here: the `zcfast-py` crate wraps this one.

pub mod error;
pub mod eval;
pub mod fastmath;
pub mod fitness;
pub mod function;
pub mod gp;
pub mod matrix;
pub mod program;
pub mod rng;
pub mod simd;
pub mod stats;

pub use error::{CoreError, Result};
pub use fitness::{Aggregate, Metric, Task};
pub use function::Function;
pub use gp::{Config, Evolver, GenerationStats, Individual};
pub use matrix::Matrix;
pub use program::{Node, Program};
