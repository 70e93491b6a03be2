//! The native half of the Python package `dga_epayment` (imported as `dga_epayment._native`).
//!
//! It translates only: keyword arguments to the core's JSON by the schema's snake names,
//! records to their JSON form (the package's record classes convert it by the schema's field
//! types), errors from `Error::to_json`. Every protocol fact (wire names, enum tables, retry
//! rules, callback replies) stays in the `dga-epayment` crate.

mod bridge;
mod client;
mod convert;
mod errors;
mod logs;
mod reconcile;
mod records;

use convert::{body_bytes, json_to_py};
use dga_epayment as dga;
use errors::IntoPyResult;
use pyo3::prelude::*;

#[global_allocator]
static ALLOCATOR: dga::alloc::Allocator = dga::alloc::Allocator;

/// Parses a callback body from DGA (bytes or str); raises `CallbackError` listing every
/// problem. Verify it with `Client.verify_callback` before acting on it.
#[pyfunction]
fn parse_callback<'py>(py: Python<'py>, body: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let status = dga::parse_callback(&body_bytes(body)?).py(py)?;
    records::status(py, status)
}

/// The references a callback body names, `(ref1, ref2)`, read as leniently as
/// `receive_callback` reads them (for the agency's `known_reference` lookup).
#[pyfunction]
fn _callback_references(py: Python<'_>, body: &Bound<'_, PyAny>) -> PyResult<(String, String)> {
    dga::callback_references(&body_bytes(body)?).py(py)
}

/// The acknowledgement JSON DGA expects as the answer to a callback.
#[pyfunction]
#[pyo3(signature = (accepted, message = "Success"))]
fn callback_ack(accepted: bool, message: &str) -> String {
    dga::callback_ack(accepted, message)
}

/// Whether `citizen_id` is a well-formed 13-digit Thai citizen ID with a valid check digit.
#[pyfunction]
fn validate_citizen_id(citizen_id: &str) -> bool {
    dga::validate_citizen_id(citizen_id)
}

/// The guide's enum tables, from the core: `{"PaidStatus": [{"name", "number",
/// "descriptionTh"}, ...], ...}`.
#[pyfunction]
fn enum_tables(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    json_to_py(py, &dga::enum_tables())
}

/// The core's error kinds: `[{"code": "validation", "number": 1}, ...]`.
#[pyfunction]
fn error_kinds(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    json_to_py(py, &dga::error_kinds())
}

/// The core's schema: every record that crosses a binding, with wire and snake names, types.
#[pyfunction]
fn schema(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    json_to_py(py, &dga::schema())
}

/// The native half of dga_epayment (private: import dga_epayment).
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    // The core's log records reach Python's logging without a runtime thread taking the GIL.
    logs::install();
    m.add_class::<client::PyClient>()?;
    m.add_class::<reconcile::StatusMany>()?;
    m.add_class::<reconcile::StatusResult>()?;
    for f in [
        wrap_pyfunction!(parse_callback, m)?,
        wrap_pyfunction!(callback_ack, m)?,
        wrap_pyfunction!(validate_citizen_id, m)?,
        wrap_pyfunction!(records::checkout_form_html, m)?,
        wrap_pyfunction!(enum_tables, m)?,
        wrap_pyfunction!(error_kinds, m)?,
        wrap_pyfunction!(schema, m)?,
    ] {
        m.add_function(f)?;
    }
    // The package's own helpers and the version: setattr, so not in `__all__`.
    for f in [
        wrap_pyfunction!(_callback_references, m)?,
        wrap_pyfunction!(records::_checkout_fields, m)?,
        wrap_pyfunction!(records::_read_record, m)?,
        wrap_pyfunction!(records::_callback_reply, m)?,
        wrap_pyfunction!(logs::_pump_logs, m)?,
        wrap_pyfunction!(logs::_at_exit, m)?,
    ] {
        let name: String = f.getattr("__name__")?.extract()?;
        m.setattr(name, f)?;
    }
    m.setattr("_Bridge", py.get_type::<bridge::Bridge>())?;
    m.setattr("_RowWriter", py.get_type::<reconcile::RowWriter>())?;
    m.setattr("_Wire", py.get_type::<records::Wire>())?;
    m.setattr("_CONTENT_TYPE", dga::CallbackReply::CONTENT_TYPE)?;
    m.setattr("__version__", dga::VERSION)?;
    Ok(())
}
