//! Fitness of a program: the rank correlation of its per-architecture values with the targets
//! (the last two stages of the pipeline), over one or several tasks.

use crate::error::{CoreError, Result};
use crate::matrix::Matrix;
use crate::named::serde_by_name;
use crate::pipeline::ArchEvaluator;
use crate::program::Program;
use crate::stats::{top_count, RankScratch, RankedTarget};
use crate::units::Units;

/// Correlation used as fitness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Spearman,
    Kendall,
    Pearson,
    /// Weighted Kendall τ (hyperbolic weights; `scipy.stats.weightedtau`): pairs near the top
    /// of either ranking count most.
    WeightedTau,
    /// Spearman's ρ over the top fraction of architectures by target.
    TopSpearman,
    /// Share of the top fraction by score that is in the top fraction by target.
    Precision,
    /// NDCG of the top fraction by score, gains = target percentile ranks.
    Ndcg,
}

impl Metric {
    pub const ALL: [Metric; 7] = [
        Metric::Spearman,
        Metric::Kendall,
        Metric::Pearson,
        Metric::WeightedTau,
        Metric::TopSpearman,
        Metric::Precision,
        Metric::Ndcg,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Spearman => "spearman",
            Metric::Kendall => "kendall",
            Metric::Pearson => "pearson",
            Metric::WeightedTau => "weighted_tau",
            Metric::TopSpearman => "top_spearman",
            Metric::Precision => "precision",
            Metric::Ndcg => "ndcg",
        }
    }

    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|m| m.name()).collect();
                CoreError::unknown("fitness", names.join(", "), name)
            })
    }
}

/// What a fitness evaluation measures: the correlation, and the share of architectures that
/// counts as the top for the top-weighted ones.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measure {
    pub metric: Metric,
    pub top_fraction: f64,
}

/// The top share used where none is given (the `top_fraction` setting's default).
pub const DEFAULT_TOP_FRACTION: f64 = 0.1;

impl From<Metric> for Measure {
    fn from(metric: Metric) -> Self {
        Self {
            metric,
            top_fraction: DEFAULT_TOP_FRACTION,
        }
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
    measure: Measure,
    scratch: &mut Scratch,
) -> Option<f64> {
    scratch.output.resize(task.n_archs(), 0.0);
    scratch
        .pipeline
        .evaluate_into(program, &task.units, &mut scratch.output);
    let (out, ranks, target) = (&scratch.output, &mut scratch.ranks, &task.ranked);
    let k = || top_count(measure.top_fraction, out.len());
    match measure.metric {
        Metric::Spearman => target.spearman(out, ranks),
        Metric::Kendall => target.kendall(out, ranks),
        Metric::Pearson => target.pearson(out),
        Metric::WeightedTau => target.weighted_tau(out, ranks),
        Metric::TopSpearman => target.top_spearman(out, k(), ranks),
        Metric::Precision => target.precision(out, k(), ranks),
        Metric::Ndcg => target.ndcg(out, k(), ranks),
    }
}

/// Aggregated fitness over `tasks`; `None` if the program is invalid on any of them.
pub fn score(
    program: &Program,
    tasks: &[Task],
    measure: Measure,
    aggregate: Aggregate,
    scratch: &mut Scratch,
) -> Option<f64> {
    let mut sum = 0.0;
    let mut min = f64::INFINITY;
    for task in tasks {
        let s = score_task(program, task, measure, scratch)?;
        sum += s;
        min = min.min(s);
    }
    Some(match aggregate {
        Aggregate::Mean => sum / tasks.len() as f64,
        Aggregate::Min => min,
    })
}
