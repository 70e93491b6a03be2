//! Printing results and errors: `key: value` lines for people, the core's JSON for scripts.

use dga_epayment::{Error, ErrorKind, FieldError};
use serde::Serialize;
use serde_json::Value;
use std::process::ExitCode;

/// Exit status of a failed command (clap's usage errors exit with 2 on their own).
pub const EXIT_FAILURE: u8 = 1;
/// The call may or may not have taken effect at DGA: check the status before doing anything
/// else.
pub const EXIT_OUTCOME_UNKNOWN: u8 = 3;

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// Anything the SDK reports.
    Dga(Error),
    /// A local file or stream could not be read or written.
    Io { message: String },
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Dga(e)
    }
}

impl Failure {
    pub fn io(what: impl std::fmt::Display, e: std::io::Error) -> Self {
        Failure::Io {
            message: format!("{what}: {e}"),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Failure::Dga(e) => e.kind().code(),
            Failure::Io { .. } => "io",
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Failure::Dga(e) => e.to_json(),
            Failure::Io { message } => serde_json::json!({ "kind": "io", "message": message }),
        }
    }

    fn exit_code(&self) -> u8 {
        match self {
            Failure::Dga(e) if e.kind() == ErrorKind::OutcomeUnknown => EXIT_OUTCOME_UNKNOWN,
            _ => EXIT_FAILURE,
        }
    }

    /// Reports the failure: `error[<kind>]: <message>` on stderr (one more line per field
    /// problem), and with `--json` the error's JSON on stdout too.
    pub fn report(&self, json: bool) -> ExitCode {
        eprintln!("error[{}]: {}", self.code(), self.headline());
        if let Failure::Dga(e) = self {
            for problem in e.field_errors() {
                eprintln!("  {}", field_line(problem));
            }
            if let Error::OutcomeUnknown {
                reference1,
                reference2,
                ..
            } = e
            {
                eprintln!(
                    "hint: run `dgapay status {}` and act on what it says before trying again",
                    shell_words(&[reference1, reference2])
                );
            }
        }
        if json {
            print_json(&self.to_json());
        }
        ExitCode::from(self.exit_code())
    }

    /// The first line. Field problems get a line each below it instead of being joined.
    fn headline(&self) -> String {
        match self {
            Failure::Dga(e) if !e.field_errors().is_empty() => {
                let n = e.field_errors().len();
                let what = match e.kind() {
                    ErrorKind::Callback => "invalid callback",
                    _ => "invalid input",
                };
                format!("{what} ({n} problem{})", if n == 1 { "" } else { "s" })
            }
            Failure::Dga(e) => e.to_string(),
            Failure::Io { message } => message.clone(),
        }
    }
}

/// `field: message`, with where a JSON syntax error is.
pub fn field_line(p: &FieldError) -> String {
    match (p.line, p.column) {
        (Some(l), Some(c)) => format!("{} (line {l}, column {c}): {}", p.field, p.message),
        _ => format!("{}: {}", p.field, p.message),
    }
}

/// Arguments as they would be typed in a shell (quoted when needed; an empty last one left
/// out).
fn shell_words(words: &[&String]) -> String {
    let mut out: Vec<String> = words
        .iter()
        .map(|w| {
            if !w.is_empty()
                && w.chars()
                    .all(|c| c.is_alphanumeric() || "-_./:@".contains(c))
            {
                w.to_string()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect();
    while out.len() > 1 && out.last().is_some_and(|w| w == "''") {
        out.pop();
    }
    out.join(" ")
}

/// Pretty JSON on stdout.
pub fn print_json(v: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
    );
}

/// Serializes a result into its JSON form (the core's normalized form).
pub fn to_value(v: &impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// A command's result: its JSON with `--json`, else `key: value` lines followed by `extra`.
pub fn print_result(v: &Value, json: bool, extra: &[(&str, String)]) {
    if json {
        print_json(v)
    } else {
        print_fields(v, extra)
    }
}

/// Prints an object as aligned `key: value` lines, then `extra` lines in the same layout.
pub fn print_fields(v: &Value, extra: &[(&str, String)]) {
    let Some(map) = v.as_object() else {
        println!("{}", plain(v));
        return;
    };
    let lines: Vec<(&str, String)> = map
        .iter()
        .map(|(k, v)| (k.as_str(), plain(v)))
        .chain(extra.iter().map(|(k, v)| (*k, v.clone())))
        .collect();
    let width = lines
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        + 1;
    for (key, text) in lines {
        let label = format!("{key}:");
        println!("{label:<width$} {text}");
    }
}

/// A JSON value as a person reads it: strings without quotes (an empty one as `""`), `-` for
/// null, nested values as compact JSON.
pub fn plain(v: &Value) -> String {
    match v {
        Value::Null => "-".to_owned(),
        Value::String(s) if s.is_empty() => "\"\"".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_quote_only_when_needed() {
        let (a, b, e) = ("INV-1".to_owned(), "a b".to_owned(), String::new());
        assert_eq!(shell_words(&[&a, &e]), "INV-1");
        assert_eq!(shell_words(&[&a, &b]), "INV-1 'a b'");
        assert_eq!(shell_words(&[&e, &a]), "'' INV-1");
    }

    #[test]
    fn syntax_errors_show_where() {
        let mut p = FieldError::new("body", "is not valid JSON");
        assert_eq!(field_line(&p), "body: is not valid JSON");
        p.line = Some(3);
        p.column = Some(7);
        assert_eq!(field_line(&p), "body (line 3, column 7): is not valid JSON");
    }
}
