//! The core's errors as the package's exceptions, built in one place (`_errors._from_json`)
//! from `Error::to_json`: the kind picks the class, its keys become attributes.

use crate::convert::json_to_py;
use dga_epayment::Error;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use serde_json::Value;

static FROM_JSON: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

pub fn to_py_err(py: Python<'_>, e: &Error) -> PyErr {
    // DGA's own words of an api error: the JSON's message is the whole text.
    let dga_message = match e {
        Error::Api { message, .. } => Some(message.as_str()),
        _ => None,
    };
    from_json(py, &e.to_json(), dga_message)
}

/// The exception of an error JSON (`Error::to_json`'s shape).
pub fn from_json(py: Python<'_>, json: &Value, dga_message: Option<&str>) -> PyErr {
    let make = FROM_JSON.import(py, "dga_epayment._errors", "_from_json");
    let exc = make.and_then(|make| make.call1((json_to_py(py, json)?, dga_message)));
    exc.map_or_else(|conversion_failed| conversion_failed, PyErr::from_value)
}

pub fn runtime_error(e: std::io::Error) -> PyErr {
    pyo3::exceptions::PyRuntimeError::new_err(e.to_string())
}

pub trait IntoPyResult<T> {
    fn py(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, &e))
    }
}
