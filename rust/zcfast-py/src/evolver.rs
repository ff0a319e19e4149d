//! The `Evolver` class: a core evolver plus its thread pool, stepped from Python.

use std::sync::Mutex;

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use zcfast_core::{Config, GenerationStats, Individual, Program, Task};

use crate::errors::{guard, internal, ConfigError, IntoPyResult, ShapeError};
use crate::{to_units, to_vec};

/// One task as Python hands it over: unit values, optional offsets, targets.
type TaskArrays<'py> = (
    PyReadonlyArray2<'py, f64>,
    Option<PyReadonlyArray1<'py, i64>>,
    PyReadonlyArray1<'py, f64>,
);

/// Runs generations of one evolution; Python steps it and reads results between steps.
#[pyclass(frozen, module = "zcfast._core")]
pub struct Evolver {
    inner: Mutex<zcfast_core::Evolver>,
    pool: rayon::ThreadPool,
}

fn lock_error() -> PyErr {
    PyRuntimeError::new_err("the evolver's state is unavailable after an earlier failure")
}

/// The settings object (a dict with `zcfast.Settings`' fields), checked by the core.
fn to_config(settings: &Bound<'_, PyDict>) -> PyResult<Config> {
    pythonize::depythonize::<Config>(settings).map_err(|err| {
        // Name the setting that failed: the deserialiser's message does not always.
        let culprit = settings.iter().find(|(key, value)| {
            let alone = PyDict::new(settings.py());
            alone.set_item(key, value).is_ok() && pythonize::depythonize::<Config>(&alone).is_err()
        });
        match culprit {
            Some((key, value)) => ConfigError::new_err(format!("{key}: {err}, found {value}")),
            None => ConfigError::new_err(format!("settings: {err}")),
        }
    })
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

fn stats_dict<'py>(py: Python<'py>, s: &GenerationStats) -> PyResult<Bound<'py, PyDict>> {
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
}

#[pymethods]
impl Evolver {
    /// `tasks`: (values, offsets or None, targets) per task; `settings`: every setting by name.
    #[new]
    fn new(
        py: Python<'_>,
        tasks: Vec<TaskArrays<'_>>,
        settings: &Bound<'_, PyDict>,
    ) -> PyResult<Self> {
        let config = to_config(settings)?;
        let single = tasks.len() == 1;
        let mut prepared = Vec::with_capacity(tasks.len());
        for (i, (values, offsets, targets)) in tasks.iter().enumerate() {
            let label = if single {
                "targets".to_string()
            } else {
                format!("targets[{i}]")
            };
            prepared.push((to_units(values, offsets.as_ref())?, to_vec(targets), label));
        }
        if prepared.is_empty() {
            return Err(ShapeError::new_err(
                "matrix: expected at least one task, found none",
            ));
        }
        let n_threads = config.n_threads;
        let inner = py
            .detach(|| {
                guard(|| {
                    let tasks = prepared
                        .into_iter()
                        .map(|(units, targets, label)| Task::new(units, targets, &label))
                        .collect::<zcfast_core::Result<Vec<_>>>()?;
                    zcfast_core::Evolver::new(config, tasks)
                })
            })
            .map_err(internal)?
            .py_err()?;
        // 0 lets rayon use one thread per available core.
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
            let mut inner = self.inner.lock().map_err(|_| None)?;
            guard(|| (0..n).map(|_| inner.step().clone()).collect::<Vec<_>>()).map_err(Some)
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
        let stats = stats.map_err(|e| e.map_or_else(lock_error, internal))?;
        stats.iter().map(|s| stats_dict(py, s)).collect()
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
        self.inner
            .lock()
            .map_err(|_| lock_error())?
            .task_scores(&program)
            .py_err()
    }

    /// Architecture indices of each task that were held out for validation.
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

/// The core's default settings (every setting by name), so the Python API can be checked
/// against them.
#[pyfunction]
pub fn default_config(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    pythonize::pythonize(py, &Config::default())
        .map_err(|e| PyRuntimeError::new_err(format!("could not convert the settings: {e}")))
}
