//! The package's record classes (`_records.py`) filled here, field by field by the schema's
//! type, without JSON text in between; the record keeps the core's value (`_Wire`) and makes
//! a dict of it only when asked (`to_dict`, `==`, pickling).

use crate::convert::{decimal_type, json_to_py, py_to_json, type_name};
use crate::errors::IntoPyResult;
use dga_epayment::schema::{self, FieldType};
use dga_epayment::{self as dga, CallbackReply, Error, FieldValue};
use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyString};
use serde_json::{Value, json};

static RECORDS: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
static PLANS: PyOnceLock<Vec<Plan>> = PyOnceLock::new();
static DATETIME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A record's JSON form, or the core's status (its JSON form made when asked).
#[pyclass(frozen, module = "dga_epayment._native", name = "_Wire")]
pub struct Wire(WireData);

enum WireData {
    Json(Value),
    Status(Box<dga::PaymentStatus>),
}

#[pymethods]
impl Wire {
    /// A new dict of the JSON form (ints stay ints, other numbers are `Decimal`).
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.0 {
            WireData::Json(v) => json_to_py(py, v),
            WireData::Status(s) => json_to_py(py, &s.to_json()),
        }
    }
}

/// A record class, its allocation function, and per field: the attribute, the wire key, the
/// schema's type and the class's own converter (for the types not done here).
struct Plan {
    name: &'static str,
    cls: Py<PyAny>,
    alloc: ffi::allocfunc,
    fields: Vec<(Py<PyString>, &'static str, FieldType, Py<PyAny>)>,
}

fn plans(py: Python<'_>) -> PyResult<&Vec<Plan>> {
    PLANS.get_or_try_init(py, || {
        let mut out = Vec::new();
        for record in [
            &schema::PAYMENT,
            &schema::PAYMENT_STATUS,
            &schema::CONFIRMATION,
        ] {
            let cls = class(py, record.name)?;
            let mut fields = Vec::new();
            for entry in cls.getattr("_fields")?.try_iter()? {
                let (snake, key, convert): (Bound<'_, PyString>, String, Bound<'_, PyAny>) =
                    entry?.extract()?;
                let f = record.field(&key).ok_or_else(|| {
                    PyTypeError::new_err(format!("{} has no field {key}", record.name))
                })?;
                fields.push((snake.unbind(), f.wire, f.kind, convert.unbind()));
            }
            // SAFETY: a heap type (made by `type()`): its `tp_alloc` slot holds an `allocfunc`.
            let slot = unsafe { ffi::PyType_GetSlot(cls.as_ptr().cast(), ffi::Py_tp_alloc) };
            let alloc: Option<ffi::allocfunc> = unsafe { std::mem::transmute(slot) };
            out.push(Plan {
                name: record.name,
                cls: cls.unbind(),
                alloc: alloc.ok_or_else(|| PyTypeError::new_err("no tp_alloc"))?,
                fields,
            });
        }
        Ok::<_, PyErr>(out)
    })
}

/// A scalar JSON value as Python's (what the classes' converters take), else the full path.
fn scalar<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) if n.is_i64() => n.as_i64().into_pyobject(py)?.into_any(),
        other => json_to_py(py, other)?,
    })
}

/// An empty record of the plan's class (as `object.__new__` makes it: the class's own refuses).
fn blank<'py>(py: Python<'py>, plan: &Plan) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: the class's allocation function, with the GIL: a new reference, or NULL and an error.
    unsafe { Bound::from_owned_ptr_or_err(py, (plan.alloc)(plan.cls.as_ptr().cast(), 0)) }
}

fn generic_set<'py>(
    obj: &Bound<'py, PyAny>,
    name: &Bound<'py, PyAny>,
    value: &Bound<'py, PyAny>,
) -> PyResult<()> {
    // SAFETY: three live references; the generic setter is `object.__setattr__`, which the
    // record classes forbid to anyone else (they are read-only).
    let rc = unsafe { ffi::PyObject_GenericSetAttr(obj.as_ptr(), name.as_ptr(), value.as_ptr()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(PyErr::fetch(obj.py()))
    }
}

fn opt_date<'py>(
    py: Python<'py>,
    d: &Option<chrono::NaiveDateTime>,
) -> PyResult<Bound<'py, PyAny>> {
    use chrono::{Datelike, Timelike};
    match d {
        // Whole seconds, as the JSON form (`yyyy-MM-ddTHH:mm:ss`) has them.
        Some(d) => DATETIME.import(py, "datetime", "datetime")?.call1((
            d.year(),
            d.month(),
            d.day(),
            d.hour(),
            d.minute(),
            d.second(),
        )),
        None => Ok(py.None().into_bound(py)),
    }
}

/// The enum members seen, by field and number (each looked up once by the class's converter).
static MEMBERS: std::sync::Mutex<Vec<Member>> = std::sync::Mutex::new(Vec::new());

/// A field's wire name, the value's number, and its member.
type Member = ((String, i64), Py<PyAny>);

/// An enum field's value: for a number of the guide's table, the member found the first time;
/// otherwise `fresh()`.
fn member<'py>(
    py: Python<'py>,
    wire: &str,
    number: Option<i64>,
    fresh: impl FnOnce() -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let Some(n) = number else { return fresh() };
    let members = || MEMBERS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, m)) = members().iter().find(|((w, k), _)| w == wire && *k == n) {
        return Ok(m.bind(py).clone());
    }
    let m = fresh()?;
    members().push(((wire.to_owned(), n), m.clone().unbind()));
    Ok(m)
}

/// A status's field by its wire name from the core's struct (as its JSON form gives it); `None`
/// for a field the core's accessor does not have.
fn status_field<'py>(
    py: Python<'py>,
    s: &dga::PaymentStatus,
    wire: &str,
    convert: &Bound<'py, PyAny>,
) -> Option<PyResult<Bound<'py, PyAny>>> {
    Some(match s.field(wire)? {
        FieldValue::Enum(number, v) => member(py, wire, number, || {
            scalar(py, &v.to_json()).and_then(|v| convert.call1((v,)))
        }),
        FieldValue::Text(t) => Ok(PyString::new(py, t).into_any()),
        FieldValue::OptText(t) => Ok(t.map_or_else(
            || py.None().into_bound(py),
            |t| PyString::new(py, t).into_any(),
        )),
        FieldValue::Date(d) => opt_date(py, &d),
        FieldValue::Decimal(Some(d)) => decimal_type(py).and_then(|t| t.call1((d.to_string(),))),
        FieldValue::Decimal(None) => Ok(py.None().into_bound(py)),
    })
}

/// A record of the plan's class holding `wire`, filled field by field: a status's from the
/// core's struct where `status_field` knows the field (the hot path: status, callbacks), else
/// from the JSON form by the schema's type.
fn fill<'py>(py: Python<'py>, plan: &Plan, wire: WireData) -> PyResult<Bound<'py, PyAny>> {
    let obj = blank(py, plan)?;
    let mut json: Option<Value> = None;
    for (snake, key, kind, convert) in &plan.fields {
        let convert = convert.bind(py);
        let native = match &wire {
            WireData::Status(s) => status_field(py, s, key, convert),
            WireData::Json(_) => None,
        };
        let value = match native {
            Some(v) => v?,
            None => {
                let v = match &wire {
                    WireData::Json(v) => v,
                    WireData::Status(s) => json.get_or_insert_with(|| s.to_json()),
                };
                match (kind, v.get(*key).unwrap_or(&Value::Null)) {
                    (_, Value::Null) => py.None().into_bound(py),
                    (FieldType::String, Value::String(s)) => PyString::new(py, s).into_any(),
                    (FieldType::Decimal, Value::String(s)) => decimal_type(py)?.call1((s,))?,
                    (FieldType::Date, Value::String(s)) => {
                        match chrono::NaiveDateTime::parse_from_str(s, dga::DATE_FORMAT) {
                            Ok(d) => opt_date(py, &Some(d))?,
                            Err(_) => convert.call1((s.as_str(),))?,
                        }
                    }
                    (_, raw) => convert.call1((scalar(py, raw)?,))?,
                }
            }
        };
        generic_set(&obj, snake.bind(py).as_any(), &value)?;
    }
    let wire = Bound::new(py, Wire(wire))?;
    generic_set(&obj, pyo3::intern!(py, "_wire").as_any(), wire.as_any())?;
    Ok(obj)
}

/// The record class `name` holding `wire`.
fn record<'py>(py: Python<'py>, name: &str, wire: WireData) -> PyResult<Bound<'py, PyAny>> {
    match plans(py)?.iter().find(|p| p.name == name) {
        Some(plan) => fill(py, plan, wire),
        None => Err(PyTypeError::new_err(format!("no record class {name}"))),
    }
}

/// The package's record class `name` (`_records.RECORDS`).
fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let records = RECORDS.import(py, "dga_epayment._records", "RECORDS")?;
    records.as_any().get_item(name)
}

/// A payment as the package's `Payment`.
pub fn payment(py: Python<'_>, p: dga::Payment) -> PyResult<Bound<'_, PyAny>> {
    record(py, "Payment", WireData::Json(p.to_json()))
}

/// A status as the package's `PaymentStatus`.
pub fn status(py: Python<'_>, s: dga::PaymentStatus) -> PyResult<Bound<'_, PyAny>> {
    record(py, "PaymentStatus", WireData::Status(Box::new(s)))
}

/// A confirmation as the package's `Confirmation`.
pub fn confirmation(py: Python<'_>, c: dga::Confirmation) -> PyResult<Bound<'_, PyAny>> {
    record(py, "Confirmation", WireData::Json(c.to_json()))
}

/// The JSON form of a record of class `name` (a `TypeError` for anything else).
pub fn to_json(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Value> {
    if !obj.is_instance(&class(obj.py(), name)?)? {
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
    let json = |field| py_to_json(data, field).map_err(|m| Error::argument(field, m));
    let normalized = match name {
        "Payment" => dga::Payment::from_json(&json("payment").py(py)?)
            .py(py)?
            .to_json(),
        _ => dga::PaymentStatus::from_json(&json("status").py(py)?)
            .py(py)?
            .to_json(),
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
    class(py, "CallbackReply")?.call_method1("_from_wire", (json_to_py(py, &v)?,))
}

/// `CallbackReply`'s constructors by name: `accepted` (`arg`: the message), `handler_failed`
/// (500), `unavailable` (503), `too_large` (`arg`: the limit, 413), or `refusal` (`arg`: the
/// `DgaError` that refused the callback; its kind, reason and message decide).
#[pyfunction]
#[pyo3(signature = (name, arg = None))]
pub fn _callback_reply<'py>(
    py: Python<'py>,
    name: &str,
    arg: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let r = match (name, arg) {
        ("accepted", Some(message)) => CallbackReply::accepted(&message.extract::<String>()?),
        ("too_large", Some(limit)) => CallbackReply::too_large(limit.extract()?),
        ("handler_failed", _) => CallbackReply::handler_failed(),
        ("unavailable", _) => CallbackReply::unavailable(),
        ("refusal", Some(e)) => {
            let text = |name| e.getattr(name).and_then(|v| v.extract::<Option<String>>());
            let (kind, reason, message) = (text("kind")?, text("reason").ok().flatten(), e.str()?);
            let error = json!({"kind": kind, "reason": reason, "message": message.to_string()});
            CallbackReply::for_error_json(&error)
        }
        _ => return Err(PyTypeError::new_err(format!("no reply {name}"))),
    };
    reply(py, &r)
}
