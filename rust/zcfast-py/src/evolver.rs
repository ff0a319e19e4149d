//! The `Evolver` class: a core evolver plus its thread pool, stepped from Python.

use std::sync::Mutex;

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use zcfast_core::{Aggregate, Config, Function, Individual, Metric, Program, Task};

use crate::errors::{ConfigError, IntoPyResult, ShapeError};
use crate::{to_matrix, to_vec};

/// Runs generations of one evolution; Python steps it and reads results between steps.
#[pyclass(frozen, module = "zcfast._core")]
pub struct Evolver {
    inner: Mutex<zcfast_core::Evolver>,
    pool: rayon::ThreadPool,
}

fn lock_error() -> PyErr {
    PyRuntimeError::new_err("the evolver's state is unavailable after an earlier failure")
}

fn individual_dict<'py>(py: Python<'py>, ind: &Individual) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("tokens", ind.program.to_tokens())?;
    d.set_item("fitness", ind.fitness)?;
    d.set_item("penalized", ind.penalized)?;
    d.set_item("validation_fitness", ind.validation_fitness)?;
    d.set_item("size", ind.program.len())?;
    d.set_item("depth", ind.program.depth())?;
    Ok(d)
}

#[pymethods]
impl Evolver {
    #[new]
    #[pyo3(signature = (
        matrices, targets, *, population_size, tournament_size, p_crossover,
        p_subtree_mutation, p_hoist_mutation, p_point_mutation, p_point_replace, max_size,
        max_depth, init_depth, parsimony, elitism, functions, constants, fitness, aggregate,
        validation_fraction, seed, n_threads
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        matrices: Vec<PyReadonlyArray2<'_, f64>>,
        targets: Vec<PyReadonlyArray1<'_, f64>>,
        population_size: usize,
        tournament_size: usize,
        p_crossover: f64,
        p_subtree_mutation: f64,
        p_hoist_mutation: f64,
        p_point_mutation: f64,
        p_point_replace: f64,
        max_size: usize,
        max_depth: usize,
        init_depth: (usize, usize),
        parsimony: f64,
        elitism: usize,
        functions: Vec<String>,
        constants: Option<(f64, f64)>,
        fitness: &str,
        aggregate: &str,
        validation_fraction: Option<f64>,
        seed: u64,
        n_threads: usize,
    ) -> PyResult<Self> {
        if matrices.len() != targets.len() {
            return Err(ShapeError::new_err(format!(
                "targets: expected one target vector per matrix ({}), found {}",
                matrices.len(),
                targets.len()
            )));
        }
        let functions = functions
            .iter()
            .map(|f| Function::from_name(f))
            .collect::<zcfast_core::Result<Vec<_>>>()
            .py_err()?;
        let config = Config {
            population_size,
            tournament_size,
            p_crossover,
            p_subtree_mutation,
            p_hoist_mutation,
            p_point_mutation,
            p_point_replace,
            max_size,
            max_depth,
            init_depth,
            parsimony,
            elitism,
            functions,
            constants,
            metric: Metric::from_name(fitness).py_err()?,
            aggregate: Aggregate::from_name(aggregate).py_err()?,
            validation_fraction,
            seed,
        };
        let data: Vec<_> = matrices
            .iter()
            .zip(&targets)
            .map(|(m, t)| (to_matrix(m), to_vec(t)))
            .collect();
        let single = data.len() == 1;
        let inner = py
            .detach(|| {
                let tasks = data
                    .into_iter()
                    .enumerate()
                    .map(|(i, (m, t))| {
                        let label = if single {
                            "targets".to_string()
                        } else {
                            format!("targets[{i}]")
                        };
                        Task::new(m, t, &label)
                    })
                    .collect::<zcfast_core::Result<Vec<_>>>()?;
                zcfast_core::Evolver::new(config, tasks)
            })
            .py_err()?;
        if n_threads == 0 {
            return Err(ConfigError::new_err(
                "n_threads: expected a positive integer, found 0",
            ));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n_threads)
            .build()
            .map_err(|e| PyRuntimeError::new_err(format!("could not start threads: {e}")))?;
        Ok(Self {
            inner: Mutex::new(inner),
            pool,
        })
    }

    /// Runs `n` generations with the GIL released; returns their statistics as dicts.
    fn step<'py>(&self, py: Python<'py>, n: usize) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let run = || {
            let mut inner = self.inner.lock().map_err(|_| ())?;
            Ok::<_, ()>((0..n).map(|_| inner.step().clone()).collect::<Vec<_>>())
        };
        let parallel = self.inner.lock().map_err(|_| lock_error())?.is_parallel();
        // The lock is taken on the thread that steps: a guard cannot cross threads. Small
        // generations stay on this thread, as handing work to the pool would cost more.
        let stats = py.detach(|| {
            if parallel {
                self.pool.install(run)
            } else {
                run()
            }
        });
        let stats = stats.map_err(|_| lock_error())?;
        stats
            .iter()
            .map(|s| {
                let d = PyDict::new(py);
                d.set_item("generation", s.generation)?;
                d.set_item("best_fitness", s.best_fitness)?;
                d.set_item("best_size", s.best_size)?;
                d.set_item("best_validation_fitness", s.best_validation_fitness)?;
                d.set_item("mean_fitness", s.mean_fitness)?;
                d.set_item("mean_size", s.mean_size)?;
                d.set_item("invalid_fraction", s.invalid_fraction)?;
                d.set_item("evaluations", s.evaluations)?;
                Ok(d)
            })
            .collect()
    }

    /// Generations run so far.
    #[getter]
    fn generation(&self) -> PyResult<usize> {
        Ok(self.inner.lock().map_err(|_| lock_error())?.generation())
    }

    /// The reported best individual, or None before the first step.
    fn best<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let best = self.inner.lock().map_err(|_| lock_error())?.best();
        best.map(|b| individual_dict(py, &b)).transpose()
    }

    /// The Pareto front (fitness against size), smallest first.
    fn front<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let front = py.detach(|| self.inner.lock().map(|e| e.front()).map_err(|_| ()));
        let front = front.map_err(|_| lock_error())?;
        front.iter().map(|ind| individual_dict(py, ind)).collect()
    }

    /// Fitness of `tokens` on each training task and each validation task (None if invalid).
    #[allow(clippy::type_complexity)]
    fn task_scores(&self, tokens: Vec<String>) -> PyResult<(Vec<Option<f64>>, Vec<Option<f64>>)> {
        let program = Program::from_tokens(&tokens).py_err()?;
        Ok(self
            .inner
            .lock()
            .map_err(|_| lock_error())?
            .task_scores(&program))
    }

    /// Row indices of each task that were held out for validation.
    fn validation_rows<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyArray1<u64>>>> {
        let inner = self.inner.lock().map_err(|_| lock_error())?;
        Ok(inner
            .validation_rows()
            .iter()
            .map(|rows| {
                rows.iter()
                    .map(|&r| r as u64)
                    .collect::<Vec<_>>()
                    .into_pyarray(py)
            })
            .collect())
    }
}

/// The core's default settings, so the Python API can be checked against them.
#[pyfunction]
pub fn default_config<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
    let c = Config::default();
    let d = PyDict::new(py);
    d.set_item("population_size", c.population_size)?;
    d.set_item("tournament_size", c.tournament_size)?;
    d.set_item("p_crossover", c.p_crossover)?;
    d.set_item("p_subtree_mutation", c.p_subtree_mutation)?;
    d.set_item("p_hoist_mutation", c.p_hoist_mutation)?;
    d.set_item("p_point_mutation", c.p_point_mutation)?;
    d.set_item("p_point_replace", c.p_point_replace)?;
    d.set_item("max_size", c.max_size)?;
    d.set_item("max_depth", c.max_depth)?;
    d.set_item("init_depth", c.init_depth)?;
    d.set_item("parsimony", c.parsimony)?;
    d.set_item("elitism", c.elitism)?;
    let names: Vec<&str> = c.functions.iter().map(|f| f.name()).collect();
    d.set_item("functions", names)?;
    d.set_item("constants", c.constants)?;
    d.set_item("fitness", c.metric.name())?;
    d.set_item("aggregate", c.aggregate.name())?;
    Ok(d)
}
