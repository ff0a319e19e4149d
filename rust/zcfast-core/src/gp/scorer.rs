//! The seam between the evolution loop and whatever computes fitness.
//!
//! Each generation, [`Evolver::step`](super::Evolver::step) hands the programs it has not
//! scored yet to a [`Scorer`] as one [`Batch`] and reads back one fitness per program. The
//! engine keeps everything around that call (breeding, the memo of the previous generation,
//! selection, statistics), so another evaluator, such as one that scores a whole population on
//! a GPU, is one type implementing [`Scorer`], plugged in with
//! [`Evolver::with_scorer`](super::Evolver::with_scorer). [`SimdScorer`] is the default.

use rayon::prelude::*;

use crate::error::Result;
use crate::fitness::{score, Aggregate, Measure, Scratch, Task};
use crate::program::Program;

/// One generation's programs to score, and what to score them against.
#[derive(Clone, Copy, Debug)]
pub struct Batch<'a> {
    /// Distinct programs, none of them scored in the previous generation (the engine's memo
    /// answers those), in the order the fitness values must come back. May be empty.
    ///
    /// Each reads only the tasks' columns and, on layer tables, reads them only inside
    /// reductions; a program that reads no column is a constant (an invalid score).
    pub programs: &'a [&'a Program],
    /// The training tasks, the same for every batch of a run: all flat or all layer tables,
    /// with the same columns.
    pub tasks: &'a [Task],
    pub measure: Measure,
    /// How the per-task values of one program combine.
    pub aggregate: Aggregate,
    /// Whether to spread the work over the current rayon pool. When false, stay on the
    /// calling thread: callers (the Python bindings) install their sized pool only for
    /// generations worth threads, so the current pool may be rayon's global one.
    pub parallel: bool,
}

/// Computes the training fitness of a generation's programs.
///
/// # Contract
///
/// - [`Scorer::score`] returns one value per program of [`Batch::programs`], in order: the
///   per-task correlations combined by [`Batch::aggregate`], or `f64::NEG_INFINITY` (the worst
///   fitness) when the program is invalid on any task: non-finite or constant output, or a
///   program this backend cannot evaluate. The engine also reads NaN and `+inf` as the worst
///   fitness, and a result of the wrong length is a bug it panics on.
/// - The value of a program must be a pure function of the program and the batch's tasks,
///   measure and aggregate: independent of which other programs share the batch, their order,
///   the thread count and [`Batch::parallel`]. The memo reuses values across generations and
///   a run's result must not depend on the thread count. Another backend may round
///   differently from [`SimdScorer`] (different, but still deterministic, runs).
/// - It is called on the thread that runs [`Evolver::step`](super::Evolver::step), inside the
///   rayon pool the caller installed; see [`Batch::parallel`].
/// - It cannot fail: `step` has no error to return. A backend that can fail as a whole (no
///   device) should find out in [`Scorer::prepare`]; a failure in the middle of a run should
///   panic (the bindings report panics as internal errors) rather than return the worst
///   fitness, which would silently steer the evolution.
/// - `Send + Sync`, because an evolver shares itself, scorer included, with rayon's workers
///   while breeding, and the bindings step it from whichever thread holds it.
pub trait Scorer: Send + Sync {
    /// Called once, by [`Evolver::with_scorer`](super::Evolver::with_scorer), with the
    /// training tasks that every batch will carry (after any validation split), before any
    /// batch: the place to copy tables to a device or check that the backend can run. An
    /// error fails the construction of the evolver.
    fn prepare(&mut self, tasks: &[Task]) -> Result<()> {
        let _ = tasks;
        Ok(())
    }

    /// The fitness of each program of `batch`, in order (see the trait's contract).
    fn score(&mut self, batch: &Batch<'_>) -> Vec<f64>;
}

/// The CPU pipeline: per program, evaluate on the units (blocked, vectorised at the widest
/// [`SimdLevel`](crate::simd::SimdLevel) the CPU has), reduce per architecture, rank against
/// each task's targets and aggregate; one program per rayon task, with per-thread buffers.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimdScorer;

impl Scorer for SimdScorer {
    fn score(&mut self, batch: &Batch<'_>) -> Vec<f64> {
        let Batch {
            programs,
            tasks,
            measure,
            aggregate,
            parallel,
        } = *batch;
        let run = |scratch: &mut Scratch, p: &&Program| {
            score(p, tasks, measure, aggregate, scratch).unwrap_or(f64::NEG_INFINITY)
        };
        if parallel {
            programs.par_iter().map_init(Scratch::new, run).collect()
        } else {
            let mut scratch = Scratch::new();
            programs.iter().map(|p| run(&mut scratch, p)).collect()
        }
    }
}
