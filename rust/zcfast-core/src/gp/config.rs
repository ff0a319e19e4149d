//! Settings of an evolution run.

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::fitness::{Aggregate, Metric, DEFAULT_TOP_FRACTION};
use crate::function::Function;
use crate::reduce::Reducer;

/// Declares [`Config`] with each setting's type, default and meaning written once.
macro_rules! settings {
    ($($(#[doc = $doc:expr])+ $name:ident: $ty:ty = $default:expr,)+) => {
        /// Everything that shapes a run. `Default` gives the settings zcfast ships with; the
        /// Python package's `zcfast.Settings` carries the same names and defaults, and crosses
        /// into the core as one object (deserialised, unknown names refused).
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct Config {
            $($(#[doc = $doc])+ pub $name: $ty,)+
        }

        impl Default for Config {
            fn default() -> Self {
                Self { $($name: $default,)+ }
            }
        }

        impl Config {
            /// The names of the settings, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),+];
        }
    };
}

settings! {
    /// Individuals per generation (of each run of an ensemble).
    population_size: usize = 2000,
    /// Generations to run; the initial population counts as one.
    generations: usize = 100,
    /// Individuals drawn per tournament selection.
    tournament_size: usize = 7,
    /// Probability that a child is made by subtree crossover. The four operator probabilities
    /// share [0, 1]; whatever they leave is plain reproduction.
    crossover: f64 = 0.7,
    /// Probability of replacing a random subtree by a freshly grown one.
    subtree_mutation: f64 = 0.1,
    /// Probability of replacing a random subtree by one of its own subtrees.
    hoist_mutation: f64 = 0.05,
    /// Probability of a point mutation.
    point_mutation: f64 = 0.1,
    /// Per-node replacement probability inside a point mutation.
    point_replace: f64 = 0.1,
    /// Largest number of nodes an expression may have.
    max_size: usize = 31,
    /// Largest depth an expression may have (a single leaf has depth 0).
    max_depth: usize = 12,
    /// Depth range of the ramped half-and-half initial population.
    init_depth: (usize, usize) = (1, 4),
    /// Selection uses `fitness - parsimony * size`.
    parsimony: f64 = 0.001,
    /// Best individuals copied unchanged into the next generation.
    elitism: usize = 2,
    /// Functions expressions are built from.
    functions: Vec<Function> = vec![
        Function::Add,
        Function::Sub,
        Function::Mul,
        Function::Div,
        Function::Neg,
        Function::Log,
        Function::Sqrt,
    ],
    /// Reductions a layer-wise expression may use (ignored for flat tables).
    reducers: Vec<Reducer> = vec![
        Reducer::Sum,
        Reducer::Mean,
        Reducer::Max,
        Reducer::Min,
        Reducer::MeanLog,
    ],
    /// Range of ephemeral random constants; `None` disables constants.
    constants: Option<(f64, f64)> = None,
    /// Correlation used as fitness.
    fitness: Metric = Metric::Spearman,
    /// Share of architectures that counts as the top for the top-weighted fitness measures
    /// (top_spearman, precision, ndcg).
    top_fraction: f64 = DEFAULT_TOP_FRACTION,
    /// How per-task fitness values combine when there are several tasks.
    aggregate: Aggregate = Aggregate::Mean,
    /// Fraction of each task's architectures held out to choose the reported best.
    validation_fraction: Option<f64> = None,
    /// Stop after the generation in which this many seconds have passed.
    time_limit: Option<f64> = None,
    /// Stop as soon as the best training fitness reaches this value.
    target_fitness: Option<f64> = None,
    /// Runs on bootstrap samples whose rank-average is the result (the Python package runs
    /// them one after another; the core evolves one at a time).
    ensemble: usize = 10,
    /// Share of the training architectures each run of an ensemble evolves on, drawn without
    /// replacement; `None`: a bootstrap sample (done by the Python package).
    subsample: Option<f64> = Some(0.8),
    /// With an ensemble, judge the best single column out of bag too and return it where the
    /// ensemble does not beat it (done by the Python package).
    baselines: bool = true,
    /// With an ensemble over a flat table, members read each column's quantile among the
    /// training architectures as well as its value (done by the Python package).
    quantile_columns: bool = true,
    /// Learned predictors (scikit-learn regressors) whose out-of-bag estimate is reported
    /// beside the ensemble's; never returned (done by the Python package).
    learned: Vec<String> = Vec::new(),
    /// With costs, the returned formula is the cheapest whose out-of-bag estimate is within
    /// this of the best estimate (done by the Python package).
    cost_tolerance: Option<f64> = None,
    /// With costs, the returned formula is the best one costing at most this many seconds
    /// per architecture (done by the Python package).
    cost_budget: Option<f64> = None,
    /// Seed of every random decision: the same seed gives the same run.
    seed: u64 = 0,
    /// Worker threads (0: one per available core); results do not depend on it.
    n_threads: usize = 0,
}

/// Names the `learned` setting accepts.
pub const LEARNED: &[&str] = &["forest", "boosting", "gaussian_process", "kernel_ridge"];

/// Largest sizes a run accepts; beyond them memory or the tree builders' recursion would give
/// out before any result (the Python package checks the same bounds first).
pub const MAX_POPULATION: usize = 10_000_000;
pub const MAX_SIZE: usize = 100_000;
pub const MAX_DEPTH: usize = 1_000;

impl Config {
    pub fn validate(&self) -> Result<()> {
        let at_most = |name: &str, v: usize, max: usize| {
            if v > max {
                Err(CoreError::config(
                    name,
                    format!("at most {max}"),
                    v.to_string(),
                ))
            } else {
                Ok(())
            }
        };
        at_most("population_size", self.population_size, MAX_POPULATION)?;
        at_most("max_size", self.max_size, MAX_SIZE)?;
        at_most("max_depth", self.max_depth, MAX_DEPTH)?;
        let positive = |name: &str, v: usize| {
            if v == 0 {
                Err(CoreError::config(name, "a positive integer", "0"))
            } else {
                Ok(())
            }
        };
        positive("population_size", self.population_size)?;
        positive("generations", self.generations)?;
        positive("ensemble", self.ensemble)?;
        positive("tournament_size", self.tournament_size)?;
        positive("max_size", self.max_size)?;
        if self.tournament_size > self.population_size {
            return Err(CoreError::config(
                "tournament_size",
                format!("at most population_size ({})", self.population_size),
                self.tournament_size.to_string(),
            ));
        }
        if self.elitism >= self.population_size {
            return Err(CoreError::config(
                "elitism",
                format!("fewer than population_size ({})", self.population_size),
                self.elitism.to_string(),
            ));
        }
        let probs = [
            ("crossover", self.crossover),
            ("subtree_mutation", self.subtree_mutation),
            ("hoist_mutation", self.hoist_mutation),
            ("point_mutation", self.point_mutation),
            ("point_replace", self.point_replace),
        ];
        for (name, p) in probs {
            if !(0.0..=1.0).contains(&p) {
                return Err(CoreError::config(
                    name,
                    "a probability in [0, 1]",
                    p.to_string(),
                ));
            }
        }
        let total: f64 = probs[..4].iter().map(|(_, p)| p).sum();
        if total > 1.0 + 1e-12 {
            return Err(CoreError::config(
                "crossover + subtree_mutation + hoist_mutation + point_mutation",
                "at most 1",
                total.to_string(),
            ));
        }
        let (lo, hi) = self.init_depth;
        if lo > hi || hi > self.max_depth {
            return Err(CoreError::config(
                "init_depth",
                format!(
                    "(min, max) with min <= max <= max_depth ({})",
                    self.max_depth
                ),
                format!("({lo}, {hi})"),
            ));
        }
        let binary = self.functions.iter().any(|f| f.arity() == 2);
        let full = if binary {
            2usize.saturating_pow(hi as u32 + 1) - 1
        } else {
            hi + 1
        };
        if full > self.max_size {
            return Err(CoreError::config(
                "init_depth",
                format!(
                    "full trees of the largest depth within max_size ({})",
                    self.max_size
                ),
                format!("depth {hi}, whose full trees have {full} nodes"),
            ));
        }
        if !(self.parsimony >= 0.0 && self.parsimony.is_finite()) {
            return Err(CoreError::config(
                "parsimony",
                "a finite number >= 0",
                self.parsimony.to_string(),
            ));
        }
        if self.functions.is_empty() {
            return Err(CoreError::config(
                "functions",
                "at least one function",
                "an empty list",
            ));
        }
        if let Some((a, b)) = self.constants {
            if !(a.is_finite() && b.is_finite() && a < b) {
                return Err(CoreError::config(
                    "constants",
                    "a finite range (low, high) with low < high",
                    format!("({a}, {b})"),
                ));
            }
        }
        if let Some(f) = self.validation_fraction {
            if !(f > 0.0 && f < 1.0) {
                return Err(CoreError::config(
                    "validation_fraction",
                    "a fraction in (0, 1)",
                    f.to_string(),
                ));
            }
        }
        if !(self.top_fraction > 0.0 && self.top_fraction <= 1.0) {
            return Err(CoreError::config(
                "top_fraction",
                "a fraction in (0, 1]",
                self.top_fraction.to_string(),
            ));
        }
        if let Some(t) = self.time_limit {
            if !(t.is_finite() && t > 0.0) {
                return Err(CoreError::config(
                    "time_limit",
                    "a positive number of seconds",
                    t.to_string(),
                ));
            }
        }
        if let Some(name) = self.learned.iter().find(|n| !LEARNED.contains(&n.as_str())) {
            return Err(CoreError::config(
                "learned",
                format!("names from {}", LEARNED.join(", ")),
                format!("{name:?}"),
            ));
        }
        if let Some(f) = self.subsample {
            if !(f > 0.0 && f < 1.0) {
                return Err(CoreError::config(
                    "subsample",
                    "a fraction in (0, 1)",
                    f.to_string(),
                ));
            }
        }
        if let Some(t) = self.cost_tolerance {
            if !(t.is_finite() && t >= 0.0) {
                return Err(CoreError::config(
                    "cost_tolerance",
                    "a finite number >= 0",
                    t.to_string(),
                ));
            }
        }
        if let Some(b) = self.cost_budget {
            if !(b.is_finite() && b > 0.0) {
                return Err(CoreError::config(
                    "cost_budget",
                    "a positive number of seconds per architecture",
                    b.to_string(),
                ));
            }
        }
        if let Some(t) = self.target_fitness {
            if !t.is_finite() {
                return Err(CoreError::config(
                    "target_fitness",
                    "a finite number",
                    t.to_string(),
                ));
            }
        }
        Ok(())
    }
}
