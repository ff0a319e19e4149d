//! Fitness of a program: rank correlation of its output with the targets, over one or several
//! tasks.

use crate::error::{CoreError, Result};
use crate::eval::Evaluator;
use crate::matrix::Matrix;
use crate::program::Program;
use crate::stats::{RankScratch, RankedTarget};

/// Correlation used as fitness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Spearman,
    Kendall,
    Pearson,
}

impl Metric {
    pub const ALL: [Metric; 3] = [Metric::Spearman, Metric::Kendall, Metric::Pearson];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Spearman => "spearman",
            Metric::Kendall => "kendall",
            Metric::Pearson => "pearson",
        }
    }

    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|m| m.name() == name)
            .ok_or_else(|| CoreError::unknown("fitness", "spearman, kendall, pearson", name))
    }
}

/// How the per-task fitness values of a program combine into one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    Mean,
    Min,
}

impl Aggregate {
    pub fn name(self) -> &'static str {
        match self {
            Aggregate::Mean => "mean",
            Aggregate::Min => "min",
        }
    }

    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "mean" => Ok(Aggregate::Mean),
            "min" => Ok(Aggregate::Min),
            _ => Err(CoreError::unknown("aggregate", "mean, min", name)),
        }
    }
}

/// Smallest number of rows a task may have.
pub const MIN_ROWS: usize = 3;

/// One benchmark task: a feature matrix and the targets of its rows, ranked once.
#[derive(Clone, Debug)]
pub struct Task {
    data: Matrix,
    targets: Vec<f64>,
    ranked: RankedTarget,
}

impl Task {
    /// Validates and prepares a task. `label` names it in error messages (e.g. `"targets[1]"`).
    pub fn new(data: Matrix, targets: Vec<f64>, label: &str) -> Result<Self> {
        if data.n_rows() != targets.len() {
            return Err(CoreError::shape(
                label,
                format!("one target per matrix row ({})", data.n_rows()),
                format!("{} targets", targets.len()),
            ));
        }
        if data.n_rows() < MIN_ROWS {
            return Err(CoreError::shape(
                "matrix",
                format!("at least {MIN_ROWS} rows"),
                format!("{} rows", data.n_rows()),
            ));
        }
        if data.n_cols() == 0 {
            return Err(CoreError::shape("matrix", "at least 1 column", "0 columns"));
        }
        if let Some((r, c)) = data.first_non_finite() {
            return Err(CoreError::invalid(
                "matrix",
                "finite values",
                format!("{} at row {r}, column {c}", data.column(c)[r]),
            ));
        }
        let ranked = RankedTarget::new(&targets, label)?;
        Ok(Self {
            data,
            targets,
            ranked,
        })
    }

    pub fn data(&self) -> &Matrix {
        &self.data
    }

    pub fn targets(&self) -> &[f64] {
        &self.targets
    }

    pub fn n_rows(&self) -> usize {
        self.data.n_rows()
    }

    /// The task restricted to `rows` (used for train/validation splits).
    pub fn subset(&self, rows: &[usize], label: &str) -> Result<Self> {
        let targets = rows.iter().map(|&r| self.targets[r]).collect();
        Self::new(self.data.select_rows(rows), targets, label)
    }
}

/// Per-thread buffers for scoring.
#[derive(Default)]
pub struct Scratch {
    evaluator: Evaluator,
    ranks: RankScratch,
    output: Vec<f64>,
}

impl Scratch {
    pub fn new() -> Self {
        Self::default()
    }
}

/// Fitness of `program` on one task; `None` when its output is non-finite or constant.
pub fn score_task(
    program: &Program,
    task: &Task,
    metric: Metric,
    scratch: &mut Scratch,
) -> Option<f64> {
    scratch.output.resize(task.n_rows(), 0.0);
    scratch
        .evaluator
        .evaluate_into(program, &task.data, &mut scratch.output);
    let out = &scratch.output;
    match metric {
        Metric::Spearman => task.ranked.spearman(out, &mut scratch.ranks),
        Metric::Kendall => task.ranked.kendall(out, &mut scratch.ranks),
        Metric::Pearson => task.ranked.pearson(out),
    }
}

/// Aggregated fitness over `tasks`; `None` if the program is invalid on any of them.
pub fn score(
    program: &Program,
    tasks: &[Task],
    metric: Metric,
    aggregate: Aggregate,
    scratch: &mut Scratch,
) -> Option<f64> {
    let mut sum = 0.0;
    let mut min = f64::INFINITY;
    for task in tasks {
        let s = score_task(program, task, metric, scratch)?;
        sum += s;
        min = min.min(s);
    }
    Some(match aggregate {
        Aggregate::Mean => sum / tasks.len() as f64,
        Aggregate::Min => min,
    })
}
