//! Printing results and errors: `key: value` lines for people, the core's JSON for scripts.
//! Everything for stdout goes through [`out`], so a closed or full stdout is an answer, never a
//! panic.

use dga_epayment::schema::Record;
use dga_epayment::{Error, ErrorKind, FieldError};
use serde::Serialize;
use serde_json::Value;
use std::io::{self, Write};
use std::process::ExitCode;

/// Exit status of a failed command.
pub const EXIT_FAILURE: u8 = 1;
/// Bad command line or input (clap's usage errors exit with 2 on their own): a flag's or an
/// input's value refused before anything is sent, missing configuration, an unreadable input
/// file.
pub const EXIT_BAD_INPUT: u8 = 2;
/// The call may or may not have taken effect at DGA: check the status before doing anything
/// else.
pub const EXIT_OUTCOME_UNKNOWN: u8 = 3;

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// Anything the SDK reports.
    Dga(Error),
    /// A local file or stream could not be read or written; `exit` is 2 for an input, 1
    /// otherwise.
    Io { message: String, exit: u8 },
    /// Stdout's reader went away (a broken pipe): nothing more is wanted, so nothing is said
    /// and the status is that of what was done.
    Closed,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Dga(e)
    }
}

impl Failure {
    /// An output (or the sandbox) that failed: exit 1.
    pub fn io(what: impl std::fmt::Display, e: io::Error) -> Self {
        Failure::Io {
            message: format!("{what}: {e}"),
            exit: EXIT_FAILURE,
        }
    }

    /// An input file (or stdin) that cannot be read: a bad command line, exit 2.
    pub fn unreadable(what: impl std::fmt::Display, e: io::Error) -> Self {
        Failure::Io {
            message: format!("{what}: {e}"),
            exit: EXIT_BAD_INPUT,
        }
    }

    /// A failed write to stdout: [`Failure::Closed`] for a broken pipe.
    pub fn stdout(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::Closed
        } else {
            Failure::io("stdout", e)
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Failure::Dga(e) => e.kind().code(),
            Failure::Io { .. } | Failure::Closed => "io",
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Failure::Dga(e) => e.to_json(),
            _ => serde_json::json!({ "kind": "io", "message": self.headline() }),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Dga(e) => match e.kind() {
                ErrorKind::OutcomeUnknown => EXIT_OUTCOME_UNKNOWN,
                // Caught before any call: the command line (or its configuration) is wrong.
                ErrorKind::Validation => EXIT_BAD_INPUT,
                _ => EXIT_FAILURE,
            },
            Failure::Io { exit, .. } => *exit,
            Failure::Closed => 0,
        }
    }

    /// Reports the failure: `error[<kind>]: <message>` on stderr (one more line per field
    /// problem), and with `--json` the error's JSON on stdout too (unless stdout is what
    /// failed).
    pub fn report(&self, json: bool) -> ExitCode {
        if matches!(self, Failure::Closed) {
            return ExitCode::from(self.exit_code());
        }
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
            // The error is on stderr already; a stdout that cannot take its JSON changes nothing.
            let _ = print_json(&self.to_json());
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
            Failure::Io { message, .. } => message.clone(),
            Failure::Closed => "stdout: closed".to_owned(),
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

/// Writes `text` to stdout and flushes it: the one way anything reaches stdout. A reader that
/// went away is [`Failure::Closed`], any other error `error[io]: stdout: …`.
pub fn out(text: &str) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(Failure::stdout)
}

/// Pretty JSON on stdout.
pub fn print_json(v: &Value) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
    out(&format!("{text}\n"))
}

/// Serializes a result into its JSON form (the core's normalized form).
pub fn to_value(v: &impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// A command's result: its JSON with `--json`, else `key: value` lines followed by `extra`.
pub fn print_result(v: &Value, json: bool, extra: &[(&str, String)]) -> Result<(), Failure> {
    if json {
        print_json(v)
    } else {
        print_fields(v, extra)
    }
}

/// Prints an object as aligned `key: value` lines, then `extra` lines in the same layout.
pub fn print_fields(v: &Value, extra: &[(&str, String)]) -> Result<(), Failure> {
    let Some(map) = v.as_object() else {
        return out(&format!("{}\n", plain(v)));
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
    let mut text = String::new();
    for (key, value) in lines {
        let label = format!("{key}:");
        text.push_str(&format!("{label:<width$} {value}\n"));
    }
    out(&text)
}

/// `v` with the string fields `record` marks secret replaced by `hide(value)`, for text a
/// person reads (the JSON form keeps them: a checkout page needs its key).
pub fn hide_secrets(mut v: Value, record: &Record, hide: impl Fn(&str) -> String) -> Value {
    for field in record.secrets() {
        if let Some(Value::String(s)) = v.get_mut(field.wire) {
            *s = hide(s);
        }
    }
    v
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
