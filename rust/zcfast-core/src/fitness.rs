//! Fitness of a program: the rank correlation of its per-architecture values with the targets
//! (the last two stages of the pipeline), over one or several tasks.

use crate::error::{CoreError, Result};
use crate::matrix::Matrix;
use crate::named::serde_by_name;
use crate::pipeline::ArchEvaluator;
use crate::program::Program;
use crate::stats::{RankScratch, RankedTarget};
use crate::units::Units;

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

serde_by_name!(Metric);

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

serde_by_name!(Aggregate);

/// Smallest number of architectures a task may have.
pub const MIN_ROWS: usize = 3;

/// One benchmark task: a table of units, and the targets of its architectures, ranked once.
#[derive(Clone, Debug)]
pub struct Task {
    units: Units,
    targets: Vec<f64>,
    ranked: RankedTarget,
}

impl Task {
    /// A task over a flat table (one row per architecture); see [`Task::new`].
    pub fn flat(data: Matrix, targets: Vec<f64>, label: &str) -> Result<Self> {
        Self::new(Units::flat(data), targets, label)
    }

    /// Validates and prepares a task: one target per architecture of `units`. `label` names
    /// the targets in error messages (e.g. `"targets[1]"`).
    pub fn new(units: Units, targets: Vec<f64>, label: &str) -> Result<Self> {
        let (n_archs, data) = (units.n_archs(), units.data());
        if n_archs != targets.len() {
            let what = if units.is_grouped() {
                "architecture"
            } else {
                "matrix row"
            };
            return Err(CoreError::shape(
                label,
                format!("one target per {what} ({n_archs})"),
                format!("{} targets", targets.len()),
            ));
        }
        if n_archs < MIN_ROWS {
            return Err(CoreError::shape(
                "matrix",
                format!("at least {MIN_ROWS} architectures"),
                format!("{n_archs}"),
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
            units,
            targets,
            ranked,
        })
    }

    pub fn units(&self) -> &Units {
        &self.units
    }

    /// The table of units (for a flat task: one row per architecture).
    pub fn data(&self) -> &Matrix {
        self.units.data()
    }

    pub fn targets(&self) -> &[f64] {
        &self.targets
    }

    pub fn n_archs(&self) -> usize {
        self.units.n_archs()
    }

    /// Rows evaluated per program (units: layers of a layer-wise table).
    pub fn n_units(&self) -> usize {
        self.units.n_units()
    }

    /// The task restricted to the architectures `archs` (train/validation splits).
    pub fn subset(&self, archs: &[usize], label: &str) -> Result<Self> {
        let targets = archs.iter().map(|&a| self.targets[a]).collect();
        Self::new(self.units.select_archs(archs), targets, label)
    }
}

/// Per-thread buffers for scoring.
#[derive(Default)]
pub struct Scratch {
    pipeline: ArchEvaluator,
    ranks: RankScratch,
    output: Vec<f64>,
}

impl Scratch {
    pub fn new() -> Self {
        Self::default()
    }
}

/// Fitness of `program` on one task; `None` when its output is non-finite or constant. The
/// program must fit the task (see [`ArchEvaluator::check`]).
pub fn score_task(
    program: &Program,
    task: &Task,
    metric: Metric,
    scratch: &mut Scratch,
) -> Option<f64> {
    scratch.output.resize(task.n_archs(), 0.0);
    scratch
        .pipeline
        .evaluate_into(program, &task.units, &mut scratch.output);
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
