//! A reconcile input error as the core's error JSON (the shape of [`crate::Error::to_json`]),
//! for a binding that raises it as its validation error.

use crate::reconcile::InputError;
use crate::{Error, FieldError};
use serde_json::Value;

impl InputError {
    /// A validation error naming the place (`unit`: `line` of a file, `item` of an iterable)
    /// and the reason; `errors[0]` is the field `input` with the line.
    pub fn to_error_json(&self, unit: &str) -> Value {
        let mut input = FieldError::new("input", self.reason.clone());
        input.line = usize::try_from(self.line).ok();
        let mut v = Error::validation(vec![input]).to_json();
        // The place in the caller's words, not the generic "invalid input: ...".
        v["message"] = format!("{unit} {}: {}", self.line, self.reason).into();
        v
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
        assert_eq!(v["transient"], false);
    }
}
