//! A reconcile input error as the core's error JSON (the shape of [`crate::Error::to_json`]),
//! for a binding that raises it as its validation error.

use crate::ErrorKind;
use crate::reconcile::InputError;
use serde_json::{Value, json};

impl InputError {
    /// A validation error naming the place (`unit`: `line` of a file, `item` of an iterable)
    /// and the reason; `errors[0]` is the field `input` with the line.
    pub fn to_error_json(&self, unit: &str) -> Value {
        let kind = ErrorKind::Validation;
        json!({
            "kind": kind.code(),
            "kindNumber": kind.number(),
            "transient": false,
            "message": format!("{unit} {}: {}", self.line, self.reason),
            "errors": [{"field": "input", "message": self.reason, "line": self.line}],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_place_and_the_reason() {
        let e = InputError {
            line: 3,
            reason: "reference1 is empty".into(),
        };
        let v = e.to_error_json("item");
        assert_eq!(v["kind"], "validation");
        assert_eq!(v["kindNumber"], 1);
        assert_eq!(v["message"], "item 3: reference1 is empty");
        assert_eq!(v["errors"][0]["field"], "input");
        assert_eq!(v["errors"][0]["line"], 3);
    }
}
