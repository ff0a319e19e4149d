//! Settings of an evolution run.

use crate::error::{CoreError, Result};
use crate::fitness::{Aggregate, Metric};
use crate::function::Function;

/// Everything that shapes a run. `Default` gives the settings zcfast ships with.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub population_size: usize,
    pub tournament_size: usize,
    /// Probabilities of the variation operators; whatever is left over is plain reproduction.
    pub p_crossover: f64,
    pub p_subtree_mutation: f64,
    pub p_hoist_mutation: f64,
    pub p_point_mutation: f64,
    /// Per-node replacement probability inside a point mutation.
    pub p_point_replace: f64,
    /// Largest number of nodes and depth an expression may have.
    pub max_size: usize,
    pub max_depth: usize,
    /// Depth range of the ramped half-and-half initial population.
    pub init_depth: (usize, usize),
    /// Fitness used for selection is `fitness - parsimony * size`.
    pub parsimony: f64,
    /// Best individuals copied unchanged into the next generation.
    pub elitism: usize,
    pub functions: Vec<Function>,
    /// Range of ephemeral random constants; `None` disables constants.
    pub constants: Option<(f64, f64)>,
    pub metric: Metric,
    pub aggregate: Aggregate,
    /// Fraction of each task's rows held out to choose the reported best; `None` for none.
    pub validation_fraction: Option<f64>,
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            population_size: 4000,
            tournament_size: 7,
            p_crossover: 0.7,
            p_subtree_mutation: 0.1,
            p_hoist_mutation: 0.05,
            p_point_mutation: 0.1,
            p_point_replace: 0.1,
            max_size: 31,
            max_depth: 12,
            init_depth: (1, 4),
            parsimony: 0.001,
            elitism: 2,
            functions: vec![
                Function::Add,
                Function::Sub,
                Function::Mul,
                Function::Div,
                Function::Neg,
                Function::Log,
                Function::Sqrt,
            ],
            constants: None,
            metric: Metric::Spearman,
            aggregate: Aggregate::Mean,
            validation_fraction: None,
            seed: 0,
        }
    }
}

impl Config {
    pub fn validate(&self) -> Result<()> {
        let positive = |name: &str, v: usize| {
            if v == 0 {
                Err(CoreError::config(name, "a positive integer", "0"))
            } else {
                Ok(())
            }
        };
        positive("population_size", self.population_size)?;
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
            ("p_crossover", self.p_crossover),
            ("p_subtree_mutation", self.p_subtree_mutation),
            ("p_hoist_mutation", self.p_hoist_mutation),
            ("p_point_mutation", self.p_point_mutation),
            ("p_point_replace", self.p_point_replace),
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
                "p_crossover + p_subtree_mutation + p_hoist_mutation + p_point_mutation",
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
        Ok(())
    }
}
