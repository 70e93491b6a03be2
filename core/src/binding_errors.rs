//! The errors a binding raises itself (an argument it cannot read, a call that ended before
//! DGA's answer), built as the core's own so every language words and shapes them alike.

use crate::{Endpoint, Error};
use std::fmt::Display;

impl Error {
    /// `Validation` naming the one argument (or field of one) that could not be read.
    pub fn argument(field: &str, message: impl Into<String>) -> Self {
        Error::invalid(field, message)
    }

    /// A transient `Network` error: the call ended before DGA's answer (cancelled), so it may
    /// be tried again.
    pub fn unanswered(endpoint: Endpoint, message: impl Into<String>) -> Self {
        Error::network(endpoint, message)
    }

    /// A `Protocol` error: a result the binding could not make into a value of `language`.
    pub fn unconvertible(endpoint: Endpoint, language: &str, reason: &dyn Display) -> Self {
        let message = format!("the result could not be converted for {language}: {reason}");
        Error::Protocol { endpoint, message }
    }

    /// The SDK's runtime could not start (the operating system refused threads): transient.
    pub fn runtime_failed(endpoint: Endpoint, e: &std::io::Error) -> Self {
        Error::network(endpoint, format!("the SDK's runtime could not start: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_errors_are_the_cores_own() {
        let v = Error::argument("amount", "must be finite").to_json();
        assert_eq!(
            (v["kind"].as_str(), v["errors"][0]["field"].as_str()),
            (Some("validation"), Some("amount"))
        );
        let v = Error::unanswered(Endpoint::Status, "cancelled").to_json();
        assert_eq!(
            (v["kind"].as_str(), v["transient"].as_bool()),
            (Some("network"), Some(true))
        );
        let e = std::io::Error::other("no threads");
        let v = Error::runtime_failed(Endpoint::Create, &e).to_json();
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains("runtime could not start: no threads")
        );
    }
}
