//! Values between Python and the core's JSON: numbers exact (ints stay ints, other numbers
//! become `Decimal`, never a float), keyword arguments read by the schema's snake names.

use dga_epayment::schema::{self, FieldType, Record};
use dga_epayment::{Error, FieldError};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType,
};
use serde_json::{Map, Value};
use std::borrow::Cow;

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

pub fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DECIMAL.import(py, "decimal", "Decimal")
}

pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    let name = obj.get_type().name();
    name.map_or_else(|_| "object".into(), |n| n.to_string())
}

/// JSON as Python values by Python's own parser: ints stay ints (however big), every other
/// number is an exact `Decimal` (never a float), as `arbitrary_precision` kept its digits.
pub fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("parse_float", decimal_type(py)?)?;
    LOADS
        .import(py, "json", "loads")?
        .call((v.to_string(),), Some(&kwargs))
}

fn number(path: &str, text: String) -> Result<Value, String> {
    serde_json::from_str::<Value>(&text)
        .ok()
        .filter(Value::is_number)
        .ok_or_else(|| format!("{path} {text} is not a finite number"))
}

/// A Python value as JSON: dict (str keys), list, tuple, str, bytes (UTF-8 text, e.g. a PEM),
/// int (an IntEnum as its number), Decimal, float (its shortest exact text), bool, None.
pub fn py_to_json(obj: &Bound<'_, PyAny>, path: &str) -> Result<Value, String> {
    let text =
        |r: PyResult<Bound<'_, PyString>>| r.map(|s| s.to_string()).map_err(|e| e.to_string());
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_string_lossy().into_owned()));
    }
    if obj.is_instance_of::<PyBytes>() || obj.is_instance_of::<PyByteArray>() {
        let bytes = body_bytes(obj).map_err(|e| e.to_string())?;
        return String::from_utf8(bytes)
            .map(Value::String)
            .map_err(|_| format!("{path} is not UTF-8 text"));
    }
    if obj.is_instance_of::<PyInt>() {
        // int(x) first: str() of an IntEnum member is its name on Python < 3.11.
        let plain = obj.py().get_type::<PyInt>().call1((obj,));
        return number(path, text(plain.and_then(|i| i.str()))?);
    }
    if obj.is_instance_of::<PyFloat>() {
        return number(path, text(obj.repr())?);
    }
    if decimal_type(obj.py()).is_ok_and(|d| obj.is_instance(d).unwrap_or(false)) {
        // Its digits without an exponent.
        let plain = obj.call_method1("__format__", ("f",));
        return number(path, text(plain.and_then(|s| s.str()))?);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, v) in d.iter() {
            let key = k
                .cast::<PyString>()
                .map_err(|_| format!("{path} has a key that is not a str: {}", type_name(&k)))?
                .to_string_lossy()
                .into_owned();
            let value = py_to_json(&v, &format!("{path}.{key}"))?;
            map.insert(key, value);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for (i, item) in obj.try_iter().map_err(|e| e.to_string())?.enumerate() {
            let item = item.map_err(|e| e.to_string())?;
            items.push(py_to_json(&item, &format!("{path}[{i}]"))?);
        }
        return Ok(Value::Array(items));
    }
    Err(format!("{path} cannot be sent as JSON: {}", type_name(obj)))
}

/// An amount: `Decimal`, `str` or `int` as exact text (the core judges it). A float is refused:
/// it cannot hold most amounts of money exactly (0.1 + 0.2 is 0.30000000000000004).
fn amount_to_json(obj: &Bound<'_, PyAny>) -> Result<Value, String> {
    if obj.is_instance_of::<PyFloat>() {
        return Err(
            "is a float; pass a decimal.Decimal or a str such as \"1000.50\" (a float cannot \
             hold an amount of money exactly)"
                .into(),
        );
    }
    match py_to_json(obj, "amount")? {
        Value::Number(n) => Ok(Value::String(n.to_string())),
        other => Ok(other),
    }
}

/// A request or callback body: `bytes`, `bytearray` or `str` (sent as UTF-8).
pub fn body_bytes(body: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(s) = body.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned().into_bytes());
    }
    match body.extract::<Cow<'_, [u8]>>() {
        Ok(bytes) => Ok(bytes.into_owned()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "body must be bytes or str, got {}",
            type_name(body)
        ))),
    }
}

/// Keyword arguments checked against a record's snake names as Python checks a signature
/// (an unknown keyword or a missing required one is a `TypeError`), as a JSON object keyed by
/// `key(field)`. With `typed`, values are converted by the field's type (text must be a str,
/// amounts exact); problems are collected, named by the wire name, as the core names them.
pub fn keywords(
    func: &str,
    record: &Record,
    kwargs: Option<&Bound<'_, PyDict>>,
    required: bool,
    typed: bool,
) -> PyResult<(Map<String, Value>, Vec<FieldError>)> {
    let mut out = Map::new();
    let mut errors = Vec::new();
    if let Some(kwargs) = kwargs {
        for (k, v) in kwargs.iter() {
            let key: String = k.extract()?;
            let Some(f) = record.fields.iter().find(|f| f.snake == key) else {
                return Err(PyTypeError::new_err(format!(
                    "{func}() got an unexpected keyword argument '{key}'"
                )));
            };
            let name = if typed { f.wire } else { f.snake };
            let value = match f.kind {
                _ if !typed => py_to_json(&v, f.snake),
                FieldType::String if !v.is_none() && !v.is_instance_of::<PyString>() => {
                    return Err(PyTypeError::new_err(format!(
                        "{func}() argument '{key}' must be str, not {}",
                        type_name(&v)
                    )));
                }
                FieldType::Decimal if !v.is_none() => amount_to_json(&v),
                _ => py_to_json(&v, f.wire),
            };
            match value {
                Ok(value) => {
                    out.insert(name.to_owned(), value);
                }
                // The message without the field's name, which the error puts before it.
                Err(msg) => {
                    let msg = msg.strip_prefix(&format!("{name} ")).unwrap_or(&msg);
                    errors.push(FieldError::new(name, msg));
                }
            }
        }
    }
    let given = |f: &schema::Field| kwargs.is_some_and(|d| d.contains(f.snake).unwrap_or(false));
    if let Some(f) = record
        .fields
        .iter()
        .find(|f| required && f.required && !given(f))
    {
        return Err(PyTypeError::new_err(format!(
            "{func}() missing required keyword argument: '{}'",
            f.snake
        )));
    }
    Ok((out, errors))
}

/// `r`, unless the binding found problems while converting: then a `ValidationError` naming
/// them and the core's own for the other fields.
pub fn checked<T>(mut errors: Vec<FieldError>, r: Result<T, Error>) -> Result<T, Error> {
    match r {
        Ok(v) if errors.is_empty() => Ok(v),
        other => {
            let core = other.err();
            for fe in core.as_ref().map(Error::field_errors).unwrap_or_default() {
                if !errors.iter().any(|x| x.field == fe.field) {
                    errors.push(fe.clone());
                }
            }
            Err(Error::Validation { errors })
        }
    }
}
