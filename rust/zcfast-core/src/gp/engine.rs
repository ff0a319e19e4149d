//! The evolution loop: generational GP with elitism, run one generation per [`Evolver::step`].
//!
//! Determinism: every random decision for slot `i` of generation `g` comes from the stream
//! (seed, g, i), and scoring is a pure function of the program, so the population, and hence
//! the result, is the same for any number of threads. Stepping one generation at a time lets
//! the caller show progress and stop between generations. Fitness comes from a [`Scorer`]
//! ([`SimdScorer`] unless [`Evolver::with_scorer`] is given another).

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

use rayon::prelude::*;

use super::config::Config;
use super::front::Front;
use super::operators::{self, Limits, Primitives, Shape};
use super::scorer::{Batch, Scorer, SimdScorer};
use crate::error::{CoreError, Result};
use crate::fitness::{score, score_task, Measure, Scratch, Task};
use crate::pipeline::ArchEvaluator;
use crate::program::Program;
use crate::rng::Rng;

/// Below this many unit evaluations per generation, waking threads costs more than it saves,
/// so the generation runs on the calling thread (the result is the same either way).
const PARALLEL_MIN_WORK: usize = 250_000;

/// Stream ids that keep the different uses of randomness apart.
const STREAM_SPLIT: u64 = 1;
const STREAM_BREED: u64 = 2;

/// The memo hashes programs of a few dozen small nodes millions of times per run; a
/// multiply-rotate hash (FxHash's) costs a fraction of SipHash and needs no DoS resistance here.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
type FastSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

/// A scored program. `fitness` is the aggregated correlation on the training rows
/// (`-inf` when the output is invalid); selection uses `penalized`.
#[derive(Clone, Debug, PartialEq)]
pub struct Individual {
    pub program: Program,
    pub fitness: f64,
    pub penalized: f64,
    /// Aggregated correlation on the validation rows, when there are any.
    pub validation_fitness: Option<f64>,
}

/// Summary of one generation.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerationStats {
    pub generation: usize,
    /// Training fitness and size of the generation's best individual (by penalized fitness).
    pub best_fitness: f64,
    pub best_size: usize,
    pub best_validation_fitness: Option<f64>,
    /// Mean training fitness over the valid individuals, and mean size over all.
    pub mean_fitness: f64,
    pub mean_size: f64,
    pub invalid_fraction: f64,
    /// Programs actually scored this generation (not found in the memo).
    pub evaluations: usize,
}

/// One evolution run, stepped a generation at a time.
///
/// Generic over its [`Scorer`] rather than holding a `dyn` one: the default keeps the name
/// `Evolver` meaning what it always has, and cloning (the benchmarks start from clones) needs
/// no boxed-clone machinery. The hot loop is inside the scorer either way.
#[derive(Clone)]
pub struct Evolver<S = SimdScorer> {
    config: Config,
    n_features: usize,
    /// Whether the tasks are layer tables, so programs are layer-wise (reduce over units).
    layerwise: bool,
    train: Vec<Task>,
    validation: Vec<Task>,
    validation_rows: Vec<Vec<usize>>,
    population: Vec<Individual>,
    generation: usize,
    memo: FastMap<Program, f64>,
    front: Front,
    best: Option<Individual>,
    history: Vec<GenerationStats>,
    scorer: S,
}

impl Evolver {
    /// Validates the settings and tasks (all with the same columns, all flat or all layer
    /// tables) and splits off validation architectures if asked to. No program is scored
    /// until the first [`Evolver::step`]. Scores with [`SimdScorer`].
    pub fn new(config: Config, tasks: Vec<Task>) -> Result<Self> {
        Self::with_scorer(config, tasks, SimdScorer)
    }
}

impl<S: Scorer> Evolver<S> {
    /// [`Evolver::new`] with another fitness backend; fails, too, if
    /// [`Scorer::prepare`] does.
    pub fn with_scorer(config: Config, tasks: Vec<Task>, mut scorer: S) -> Result<Self> {
        config.validate()?;
        let Some(first) = tasks.first() else {
            return Err(CoreError::shape("matrix", "at least one task", "none"));
        };
        let n_features = first.data().n_cols();
        let layerwise = first.units().is_grouped();
        for (i, t) in tasks.iter().enumerate() {
            if t.data().n_cols() != n_features {
                return Err(CoreError::shape(
                    &format!("matrix[{i}]"),
                    format!("{n_features} columns, like matrix[0]"),
                    format!("{} columns", t.data().n_cols()),
                ));
            }
            if t.units().is_grouped() != layerwise {
                return Err(CoreError::invalid(
                    &format!("matrix[{i}]"),
                    "tasks that are all flat tables or all layer tables",
                    "a mix of both",
                ));
            }
        }
        if layerwise && config.reducers.is_empty() {
            return Err(CoreError::config(
                "reducers",
                "at least one reduction for a layer table",
                "an empty list",
            ));
        }
        let Split {
            train,
            validation,
            validation_rows,
        } = match config.validation_fraction {
            None => Split {
                train: tasks,
                validation: Vec::new(),
                validation_rows: Vec::new(),
            },
            Some(fraction) => split(&tasks, fraction, config.seed)?,
        };
        scorer.prepare(&train)?;
        Ok(Self {
            front: Front::new(config.max_size),
            config,
            n_features,
            layerwise,
            train,
            validation,
            validation_rows,
            population: Vec::new(),
            generation: 0,
            memo: FastMap::default(),
            best: None,
            history: Vec::new(),
            scorer,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The fitness backend (to read what it kept, e.g. counters or device timings).
    pub fn scorer(&self) -> &S {
        &self.scorer
    }

    /// Generations run so far.
    pub fn generation(&self) -> usize {
        self.generation
    }

    pub fn history(&self) -> &[GenerationStats] {
        &self.history
    }

    pub fn population(&self) -> &[Individual] {
        &self.population
    }

    /// Whether a generation is big enough to be worth spreading over threads.
    pub fn is_parallel(&self) -> bool {
        let units: usize = self.train.iter().map(Task::n_units).sum();
        self.config.population_size.saturating_mul(units) >= PARALLEL_MIN_WORK
    }

    /// Whether programs are layer-wise (the tasks are layer tables).
    pub fn is_layerwise(&self) -> bool {
        self.layerwise
    }

    /// Architectures of each task held out for validation (empty without validation).
    pub fn validation_rows(&self) -> &[Vec<usize>] {
        &self.validation_rows
    }

    /// Runs one generation: the initial population on the first call, then selection and
    /// variation. Uses the current rayon thread pool.
    pub fn step(&mut self) -> &GenerationStats {
        let programs = if self.generation == 0 {
            self.initial_programs()
        } else {
            self.offspring()
        };
        let evaluations = self.score_all(&programs);
        self.population = programs
            .into_iter()
            .map(|program| {
                let fitness = self.memo[&program];
                let penalized = fitness - self.config.parsimony * program.len() as f64;
                Individual {
                    program,
                    fitness,
                    penalized,
                    validation_fitness: None,
                }
            })
            .collect();
        for ind in &self.population {
            self.front.offer(&ind.program, ind.fitness);
        }
        self.record(evaluations);
        self.generation += 1;
        self.history.last().expect("a generation was just recorded")
    }

    /// The reported best: the highest validation fitness among the generation bests and the
    /// front when there are validation rows, else the highest penalized training fitness.
    pub fn best(&self) -> Option<Individual> {
        if self.validation.is_empty() {
            return self.best.clone();
        }
        let mut best = self.best.clone();
        for ind in self.front() {
            let better = match (&best, ind.validation_fitness) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(b), Some(v)) => match b.validation_fitness {
                    None => true,
                    Some(bv) => v > bv || (v == bv && ind.program.len() < b.program.len()),
                },
            };
            if better {
                best = Some(ind);
            }
        }
        best
    }

    /// The Pareto front of training fitness against size, smallest first.
    pub fn front(&self) -> Vec<Individual> {
        self.front
            .pareto()
            .into_iter()
            .map(|(fitness, program)| {
                let penalized = fitness - self.config.parsimony * program.len() as f64;
                let validation_fitness = self.validation_score(&program);
                Individual {
                    program,
                    fitness,
                    penalized,
                    validation_fitness,
                }
            })
            .collect()
    }

    /// Fitness of `program` on each training task and, if any, each validation task.
    #[allow(clippy::type_complexity)]
    pub fn task_scores(&self, program: &Program) -> Result<(Vec<Option<f64>>, Vec<Option<f64>>)> {
        for task in &self.train {
            ArchEvaluator::check(program, task.units())?;
        }
        let mut scratch = Scratch::new();
        let mut per = |tasks: &[Task]| -> Vec<Option<f64>> {
            tasks
                .iter()
                .map(|t| score_task(program, t, self.measure(), &mut scratch))
                .collect()
        };
        Ok((per(&self.train), per(&self.validation)))
    }

    fn validation_score(&self, program: &Program) -> Option<f64> {
        if self.validation.is_empty() {
            return None;
        }
        score(
            program,
            &self.validation,
            self.measure(),
            self.config.aggregate,
            &mut Scratch::new(),
        )
    }

    fn measure(&self) -> Measure {
        Measure {
            metric: self.config.fitness,
            top_fraction: self.config.top_fraction,
        }
    }

    fn primitives(&self) -> Primitives<'_> {
        let reducers: &[_] = if self.layerwise {
            &self.config.reducers
        } else {
            &[]
        };
        Primitives::new(
            &self.config.functions,
            self.n_features,
            self.config.constants,
            reducers,
        )
    }

    fn limits(&self) -> Limits {
        Limits {
            max_size: self.config.max_size,
            max_depth: self.config.max_depth,
        }
    }

    fn initial_programs(&self) -> Vec<Program> {
        let prims = self.primitives();
        let limits = self.limits();
        let make = |slot: usize| {
            let mut rng = Rng::stream(self.config.seed, &[STREAM_BREED, 0, slot as u64]);
            operators::initial_program(&prims, limits, self.config.init_depth, slot, &mut rng)
        };
        let slots = 0..self.config.population_size;
        if self.is_parallel() {
            slots.into_par_iter().map(make).collect()
        } else {
            slots.map(make).collect()
        }
    }

    fn offspring(&self) -> Vec<Program> {
        let cfg = &self.config;
        let penalized: Vec<f64> = self.population.iter().map(|i| i.penalized).collect();
        let mut ranked: Vec<usize> = (0..self.population.len()).collect();
        ranked.sort_by(|&a, &b| penalized[b].total_cmp(&penalized[a]).then(a.cmp(&b)));
        let elites: Vec<Program> = ranked[..cfg.elitism]
            .iter()
            .map(|&i| self.population[i].program.clone())
            .collect();
        let prims = self.primitives();
        let limits = self.limits();
        let generation = self.generation as u64;
        let sizes: Vec<Vec<usize>> = self
            .population
            .iter()
            .map(|i| i.program.subtree_sizes())
            .collect();
        let shapes: Vec<Shape> = self
            .population
            .iter()
            .zip(&sizes)
            .map(|(i, s)| Shape::new(&i.program, s))
            .collect();
        let breed = |slot: usize| {
            let mut rng = Rng::stream(cfg.seed, &[STREAM_BREED, generation, slot as u64]);
            let pick = |rng: &mut Rng| operators::tournament(&penalized, cfg.tournament_size, rng);
            let p = pick(&mut rng);
            let parent = &self.population[p].program;
            let child = match choose_operator(cfg, rng.uniform()) {
                Operator::Crossover => {
                    let d = pick(&mut rng);
                    operators::crossover(&shapes[p], &shapes[d], &mut rng)
                }
                Operator::SubtreeMutation => {
                    operators::subtree_mutation(&shapes[p], &prims, &mut rng)
                }
                Operator::HoistMutation => operators::hoist_mutation(&shapes[p], &mut rng),
                Operator::PointMutation => {
                    operators::point_mutation(&shapes[p], &prims, cfg.point_replace, &mut rng)
                }
                Operator::Reproduction => return parent.clone(),
            };
            if limits.admit(&child) {
                Program::from_valid(child)
            } else {
                parent.clone()
            }
        };
        let slots = cfg.elitism..cfg.population_size;
        let children: Vec<Program> = if self.is_parallel() {
            slots.into_par_iter().map(breed).collect()
        } else {
            slots.map(breed).collect()
        };
        elites.into_iter().chain(children).collect()
    }

    /// Has the scorer score every distinct program not yet in the memo; returns how many.
    /// The memo keeps only the previous generation: copies of parents (reproduction, elites,
    /// rejected variations) are where duplicates come from, and it keeps memory bounded. It
    /// lives here, not in the scorer, so that every backend skips the same programs and
    /// `evaluations` means the same for all.
    fn score_all(&mut self, programs: &[Program]) -> usize {
        let previous = std::mem::take(&mut self.memo);
        let mut fresh: Vec<&Program> = Vec::new();
        let mut seen: FastSet<&Program> = FastSet::default();
        for p in programs {
            if let Some(&f) = previous.get(p) {
                self.memo.insert(p.clone(), f);
            } else if seen.insert(p) {
                fresh.push(p);
            }
        }
        let batch = Batch {
            programs: &fresh,
            tasks: &self.train,
            measure: self.measure(),
            aggregate: self.config.aggregate,
            parallel: self.is_parallel(),
        };
        let scores = self.scorer.score(&batch);
        assert_eq!(
            scores.len(),
            fresh.len(),
            "a Scorer must return one fitness per program"
        );
        let n = fresh.len();
        for (p, s) in fresh.into_iter().zip(scores) {
            // NaN would rank above every fitness in selection (total order); a correlation is
            // never infinite. Both mean the scorer found the program invalid.
            let s = if s.is_finite() { s } else { f64::NEG_INFINITY };
            self.memo.insert(p.clone(), s);
        }
        n
    }

    fn record(&mut self, evaluations: usize) {
        let pop = &self.population;
        let gen_best = pop
            .iter()
            .enumerate()
            .max_by(|(ia, a), (ib, b)| a.penalized.total_cmp(&b.penalized).then(ib.cmp(ia)))
            .map(|(_, ind)| ind.clone())
            .expect("population is never empty");
        let mut gen_best = gen_best;
        gen_best.validation_fitness = self.validation_score(&gen_best.program);
        let valid: Vec<f64> = pop
            .iter()
            .map(|i| i.fitness)
            .filter(|f| f.is_finite())
            .collect();
        let mean_fitness = if valid.is_empty() {
            f64::NAN
        } else {
            valid.iter().sum::<f64>() / valid.len() as f64
        };
        let stats = GenerationStats {
            generation: self.generation,
            best_fitness: gen_best.fitness,
            best_size: gen_best.program.len(),
            best_validation_fitness: gen_best.validation_fitness,
            mean_fitness,
            mean_size: pop.iter().map(|i| i.program.len() as f64).sum::<f64>() / pop.len() as f64,
            invalid_fraction: (pop.len() - valid.len()) as f64 / pop.len() as f64,
            evaluations,
        };
        self.history.push(stats);
        if gen_best.fitness.is_finite() {
            let replace = match &self.best {
                None => true,
                Some(b) if self.validation.is_empty() => gen_best.penalized > b.penalized,
                Some(b) => gen_best.validation_fitness > b.validation_fitness,
            };
            if replace {
                self.best = Some(gen_best);
            }
        }
    }
}

/// Tasks divided into training and validation rows.
struct Split {
    train: Vec<Task>,
    validation: Vec<Task>,
    validation_rows: Vec<Vec<usize>>,
}

enum Operator {
    Crossover,
    SubtreeMutation,
    HoistMutation,
    PointMutation,
    Reproduction,
}

/// The operator whose slice of [0, 1) (in the order of the config's probabilities) holds `u`.
fn choose_operator(cfg: &Config, u: f64) -> Operator {
    let choices = [
        (cfg.crossover, Operator::Crossover),
        (cfg.subtree_mutation, Operator::SubtreeMutation),
        (cfg.hoist_mutation, Operator::HoistMutation),
        (cfg.point_mutation, Operator::PointMutation),
    ];
    let mut upper = 0.0;
    for (p, op) in choices {
        upper += p;
        if u < upper {
            return op;
        }
    }
    Operator::Reproduction
}

/// Splits each task's architectures at random into training and validation parts.
fn split(tasks: &[Task], fraction: f64, seed: u64) -> Result<Split> {
    let mut train = Vec::new();
    let mut validation = Vec::new();
    let mut rows_out = Vec::new();
    for (i, task) in tasks.iter().enumerate() {
        let n = task.n_archs();
        let n_val = ((n as f64) * fraction).round() as usize;
        if n_val < crate::fitness::MIN_ROWS || n - n_val < crate::fitness::MIN_ROWS {
            return Err(CoreError::config(
                "validation_fraction",
                format!(
                    "a fraction that leaves at least {} training and {} validation rows",
                    crate::fitness::MIN_ROWS,
                    crate::fitness::MIN_ROWS
                ),
                format!("{fraction} of {n} rows ({n_val} validation rows)"),
            ));
        }
        let mut rows: Vec<usize> = (0..n).collect();
        Rng::stream(seed, &[STREAM_SPLIT, i as u64]).shuffle(&mut rows);
        let (val_rows, train_rows) = rows.split_at(n_val);
        let mut val_rows = val_rows.to_vec();
        let mut train_rows = train_rows.to_vec();
        val_rows.sort_unstable();
        train_rows.sort_unstable();
        train.push(task.subset(&train_rows, &format!("targets[{i}] (training rows)"))?);
        validation.push(task.subset(&val_rows, &format!("targets[{i}] (validation rows)"))?);
        rows_out.push(val_rows);
    }
    Ok(Split {
        train,
        validation,
        validation_rows: rows_out,
    })
}
