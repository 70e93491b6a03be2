//! Records cross as the core's JSON: the package's record classes (`_records.py`, built from
//! the schema) hold it and convert by field type; the core reads it back when it needs the
//! record again (checkout form, callback verification).

use crate::convert::{json_to_py, py_to_json, type_name};
use crate::errors::IntoPyResult;
use dga_epayment::{self as dga, CallbackReply, Error, FieldError};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use serde_json::{Value, json};

static RECORDS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    RECORDS
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("dga_epayment._records")?.unbind())
        })
        .map(|m| m.bind(py))
}

/// The record class `name` holding the core's JSON form `v`.
pub fn to_py<'py>(py: Python<'py>, name: &str, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    module(py)?
        .getattr(name)?
        .call_method1("_from_wire", (json_to_py(py, v)?,))
}

/// A payment as the package's `Payment`.
pub fn payment(py: Python<'_>, p: dga::Payment) -> PyResult<Bound<'_, PyAny>> {
    to_py(py, "Payment", &p.to_json())
}

/// A status as the package's `PaymentStatus`.
pub fn status(py: Python<'_>, s: dga::PaymentStatus) -> PyResult<Bound<'_, PyAny>> {
    to_py(py, "PaymentStatus", &s.to_json())
}

/// A confirmation as the package's `Confirmation`.
pub fn confirmation(py: Python<'_>, c: dga::Confirmation) -> PyResult<Bound<'_, PyAny>> {
    to_py(py, "Confirmation", &c.to_json())
}

/// The JSON form of a record of class `name` (a `TypeError` for anything else).
pub fn to_json(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Value> {
    if !obj.is_instance(&module(obj.py())?.getattr(name)?)? {
        return Err(PyTypeError::new_err(format!(
            "expected a {name}, got {}",
            type_name(obj)
        )));
    }
    let data = obj.call_method0("to_dict")?;
    py_to_json(&data, name).map_err(PyTypeError::new_err)
}

/// A record's data read by the core (`Payment.from_dict`, `PaymentStatus.from_dict`): its
/// normalized JSON form, or the core's `ValidationError`.
#[pyfunction]
pub fn _read_record<'py>(
    py: Python<'py>,
    name: &str,
    data: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let field = if name == "Payment" {
        "payment"
    } else {
        "status"
    };
    let bad = |m| Error::Validation {
        errors: vec![FieldError::new(field, m)],
    };
    let v = py_to_json(data, field).map_err(bad).py(py)?;
    let normalized = match name {
        "Payment" => dga::Payment::from_json(&v).py(py)?.to_json(),
        _ => dga::PaymentStatus::from_json(&v).py(py)?.to_json(),
    };
    json_to_py(py, &normalized)
}

fn payment_of(obj: &Bound<'_, PyAny>) -> PyResult<dga::Payment> {
    dga::Payment::from_json(&to_json(obj, "Payment")?).py(obj.py())
}

/// The HTML page that sends the citizen's browser to KTB's payment page.
#[pyfunction]
pub fn checkout_form_html(py: Python<'_>, payment: &Bound<'_, PyAny>) -> PyResult<String> {
    dga::checkout_form_html(&payment_of(payment)?).py(py)
}

/// The checkout form's hidden fields, `(name, value)` in the guide's order.
#[pyfunction]
pub fn _checkout_fields(payment: &Bound<'_, PyAny>) -> PyResult<Vec<(&'static str, String)>> {
    Ok(payment_of(payment)?.checkout_fields())
}

/// A reply of the core's as the package's `CallbackReply`.
pub fn reply<'py>(py: Python<'py>, r: &CallbackReply) -> PyResult<Bound<'py, PyAny>> {
    let v = json!({"http_status": r.http_status, "accepted": r.accepted, "body": r.body});
    to_py(py, "CallbackReply", &v)
}

/// `CallbackReply.accept(message)` (200, `result: true`) or `handler_failed()` (500).
#[pyfunction]
pub fn _callback_reply<'py>(
    py: Python<'py>,
    accepted: bool,
    message: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let r = if accepted {
        CallbackReply::accepted(message)
    } else {
        CallbackReply::handler_failed()
    };
    reply(py, &r)
}
