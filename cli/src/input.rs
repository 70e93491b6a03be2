//! Reading a FILE argument (or stdin) and the JSON in it.

use crate::output::Failure;
use dga_epayment::{Error, FieldError};
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// The bytes of `path`, or of stdin when it is absent or `-`.
pub fn read(path: Option<&Path>) -> Result<Vec<u8>, Failure> {
    match path {
        Some(p) if p.as_os_str() != "-" => std::fs::read(p)
            .map_err(|e| Failure::unreadable(format!("cannot read {}", p.display()), e)),
        _ => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| Failure::unreadable("cannot read stdin", e))?;
            Ok(buf)
        }
    }
}

/// Parses JSON input; a syntax error is a `Validation` error on `what` with its line and
/// column.
pub fn json(bytes: &[u8], what: &str) -> Result<Value, Error> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    serde_json::from_slice(bytes).map_err(|e| {
        let mut problem = FieldError::new(what, format!("is not valid JSON: {e}"));
        if e.line() > 0 {
            problem.line = Some(e.line());
            problem.column = Some(e.column());
        }
        Error::Validation {
            errors: vec![problem],
        }
    })
}
