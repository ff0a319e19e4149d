//! `zcfast._core`: the Python face of zcfast-core.
//!
//! This crate only converts arguments, releases the GIL around real work and maps errors; the
//! user-facing API, its defaults and most validation live in the `zcfast` Python package.

mod errors;
mod evolver;

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use zcfast_core::{stats, ArchEvaluator, Function, Matrix, Program, Reducer, Units};

use errors::{guard, internal, IntoPyResult, ShapeError};

/// Copies a NumPy matrix (any strides) into the core's column-major layout.
pub(crate) fn to_matrix(array: &PyReadonlyArray2<'_, f64>) -> Matrix {
    let view = array.as_array();
    let (rows, cols) = view.dim();
    Matrix::from_fn(rows, cols, |r, c| view[[r, c]])
}

/// A table of units: flat without offsets, a layer table with them (validated by the core).
pub(crate) fn to_units(
    values: &PyReadonlyArray2<'_, f64>,
    offsets: Option<&PyReadonlyArray1<'_, i64>>,
) -> PyResult<Units> {
    let data = to_matrix(values);
    let Some(offsets) = offsets else {
        return Ok(Units::flat(data));
    };
    let offsets = offsets
        .as_array()
        .iter()
        .map(|&o| usize::try_from(o))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            ShapeError::new_err("offsets: expected non-negative offsets, found a negative one")
        })?;
    Units::grouped(data, offsets).py_err()
}

pub(crate) fn to_vec(array: &PyReadonlyArray1<'_, f64>) -> Vec<f64> {
    array.as_array().iter().copied().collect()
}

fn correlation(
    py: Python<'_>,
    a: PyReadonlyArray1<'_, f64>,
    b: PyReadonlyArray1<'_, f64>,
    f: fn(&[f64], &[f64]) -> zcfast_core::Result<f64>,
) -> PyResult<f64> {
    match (a.as_slice(), b.as_slice()) {
        (Ok(a), Ok(b)) if a.len() < 4096 => guard(|| f(a, b)).map_err(internal)?.py_err(),
        _ => {
            let (a, b) = (to_vec(&a), to_vec(&b));
            py.detach(|| guard(|| f(&a, &b)))
                .map_err(internal)?
                .py_err()
        }
    }
}

/// Spearman's rank correlation (ties get average ranks).
#[pyfunction]
fn spearman(
    py: Python<'_>,
    a: PyReadonlyArray1<'_, f64>,
    b: PyReadonlyArray1<'_, f64>,
) -> PyResult<f64> {
    correlation(py, a, b, stats::spearman)
}

/// Kendall's tau-b.
#[pyfunction]
fn kendall(
    py: Python<'_>,
    a: PyReadonlyArray1<'_, f64>,
    b: PyReadonlyArray1<'_, f64>,
) -> PyResult<f64> {
    correlation(py, a, b, stats::kendall)
}

/// Pearson's correlation.
#[pyfunction]
fn pearson(
    py: Python<'_>,
    a: PyReadonlyArray1<'_, f64>,
    b: PyReadonlyArray1<'_, f64>,
) -> PyResult<f64> {
    correlation(py, a, b, stats::pearson)
}

/// Weighted Kendall tau with hyperbolic weights (scipy.stats.weightedtau).
#[pyfunction]
fn weighted_tau(
    py: Python<'_>,
    a: PyReadonlyArray1<'_, f64>,
    b: PyReadonlyArray1<'_, f64>,
) -> PyResult<f64> {
    correlation(py, a, b, stats::weighted_tau)
}

/// The top-weighted measure `name` (top_spearman, precision, ndcg) of `a` against `b`.
#[pyfunction]
fn top_measure(
    py: Python<'_>,
    name: &str,
    a: PyReadonlyArray1<'_, f64>,
    b: PyReadonlyArray1<'_, f64>,
    fraction: f64,
) -> PyResult<f64> {
    let f = match name {
        "top_spearman" => stats::top_spearman,
        "precision" => stats::precision,
        "ndcg" => stats::ndcg,
        _ => {
            return Err(errors::UnknownNameError::new_err(format!(
                "name: expected top_spearman, precision or ndcg, found {name:?}"
            )))
        }
    };
    let (a, b) = (to_vec(&a), to_vec(&b));
    py.detach(|| guard(|| f(&a, &b, fraction)))
        .map_err(internal)?
        .py_err()
}

/// Evaluates the postfix `tokens`: one value per row of `values`, or per architecture when
/// `offsets` group the rows into architectures.
#[pyfunction]
#[pyo3(signature = (tokens, values, offsets=None))]
fn evaluate<'py>(
    py: Python<'py>,
    tokens: Vec<String>,
    values: PyReadonlyArray2<'py, f64>,
    offsets: Option<PyReadonlyArray1<'py, i64>>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let program = Program::from_tokens(&tokens).py_err()?;
    let units = to_units(&values, offsets.as_ref())?;
    let out = py
        .detach(|| guard(|| ArchEvaluator::new().evaluate(&program, &units)))
        .map_err(internal)?
        .py_err()?;
    Ok(out.into_pyarray(py))
}

/// Checks postfix `tokens`; returns (size, depth, largest feature index or -1, layer-wise).
#[pyfunction]
fn describe(tokens: Vec<String>) -> PyResult<(usize, usize, i64, bool)> {
    let p = Program::from_tokens(&tokens).py_err()?;
    Ok((
        p.len(),
        p.depth(),
        p.max_feature().map_or(-1, i64::from),
        p.is_layerwise(),
    ))
}

/// Infix formula of postfix `tokens`, with `names` for the features.
#[pyfunction]
fn format_infix(tokens: Vec<String>, names: Vec<String>) -> PyResult<String> {
    Ok(Program::from_tokens(&tokens).py_err()?.to_infix(&names))
}

/// Names of the functions expressions can use.
#[pyfunction]
fn function_names() -> Vec<&'static str> {
    Function::names()
}

/// Names of the reductions layer-wise expressions can use.
#[pyfunction]
fn reducer_names() -> Vec<&'static str> {
    Reducer::names()
}

#[pymodule(gil_used = false)]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(spearman, m)?)?;
    m.add_function(wrap_pyfunction!(kendall, m)?)?;
    m.add_function(wrap_pyfunction!(pearson, m)?)?;
    m.add_function(wrap_pyfunction!(weighted_tau, m)?)?;
    m.add_function(wrap_pyfunction!(top_measure, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(describe, m)?)?;
    m.add_function(wrap_pyfunction!(format_infix, m)?)?;
    m.add_function(wrap_pyfunction!(function_names, m)?)?;
    m.add_function(wrap_pyfunction!(reducer_names, m)?)?;
    m.add_function(wrap_pyfunction!(evolver::default_config, m)?)?;
    m.add_class::<evolver::Evolver>()?;
    Ok(())
}
