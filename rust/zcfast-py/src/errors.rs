//! Maps core errors to the exception classes defined in `zcfast.exceptions`.

use pyo3::prelude::*;
use zcfast_core::CoreError;

pyo3::import_exception!(zcfast.exceptions, ShapeError);
pyo3::import_exception!(zcfast.exceptions, InvalidValueError);
pyo3::import_exception!(zcfast.exceptions, UnknownNameError);
pyo3::import_exception!(zcfast.exceptions, ConfigError);
pyo3::import_exception!(zcfast.exceptions, InternalError);

pub fn to_py(err: CoreError) -> PyErr {
    let msg = err.to_string();
    match err {
        CoreError::Shape { .. } => ShapeError::new_err(msg),
        CoreError::InvalidValue { .. } => InvalidValueError::new_err(msg),
        CoreError::UnknownName { .. } => UnknownNameError::new_err(msg),
        CoreError::Config { .. } => ConfigError::new_err(msg),
    }
}

/// `?`-friendly conversion of core results.
pub trait IntoPyResult<T> {
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for zcfast_core::Result<T> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

/// Runs `work` and turns a panic into an error value: the last resort that keeps a bug in the
/// core from surfacing as a `PanicException`, which `except Exception` does not catch.
/// Usable inside `py.detach` (no Python objects are touched); see [`internal`].
pub fn guard<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "an unknown panic".to_string())
    })
}

/// The `InternalError` for a panic message from [`guard`].
pub fn internal(message: String) -> PyErr {
    InternalError::new_err(format!(
        "internal error in the zcfast core ({message}); please report this with the input"
    ))
}
