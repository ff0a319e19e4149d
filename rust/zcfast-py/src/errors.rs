//! Maps core errors to the exception classes defined in `zcfast.exceptions`.

use pyo3::prelude::*;
use zcfast_core::CoreError;

pyo3::import_exception!(zcfast.exceptions, ShapeError);
pyo3::import_exception!(zcfast.exceptions, InvalidValueError);
pyo3::import_exception!(zcfast.exceptions, UnknownNameError);
pyo3::import_exception!(zcfast.exceptions, ConfigError);

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
