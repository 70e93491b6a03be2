//! Background delivery of payment callbacks to the agency, with retries.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::model;
use crate::state::{App, CallbackEntry, CallbackJob};

/// How long one delivery attempt may take, connect to last response byte.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Most of an agency's answer that is read (and kept in the log); reading stops there, so an
/// endless answer costs neither memory nor time.
const MAX_ANSWER: usize = 64 * 1024;

/// Starts delivering `job` on the current tokio runtime; returns at once.
pub(crate) fn spawn(app: Arc<App>, job: CallbackJob) {
    tokio::spawn(deliver(app, job));
}

async fn deliver(app: Arc<App>, job: CallbackJob) {
    for attempt in 1..=job.max_attempts {
        let at = model::log_time(model::now_bangkok());
        let result = attempt_once(&app.http, &job).await;
        let accepted = result.accepted;
        let entry = CallbackEntry {
            seq: 0,
            at,
            reference1: job.reference1.clone(),
            reference2: job.reference2.clone(),
            url: job.url.clone(),
            attempt,
            http_status: result.http_status,
            accepted,
            error: result.error,
            request_body: job.body.clone(),
            response_body: result.response_body,
        };
        if !app.lock().log_callback(job.generation, entry) {
            return; // the sandbox was reset meanwhile
        }
        if accepted {
            log::info!(
                "callback for {} accepted on attempt {attempt}",
                job.reference1
            );
            return;
        }
        if attempt < job.max_attempts {
            tokio::time::sleep(job.retry_delay).await;
        }
    }
    log::warn!(
        "callback for {} not accepted after {} attempts",
        job.reference1,
        job.max_attempts
    );
}

struct Attempt {
    http_status: Option<u16>,
    accepted: bool,
    error: Option<String>,
    response_body: Option<String>,
}

async fn attempt_once(http: &reqwest::Client, job: &CallbackJob) -> Attempt {
    let sent = http
        .post(&job.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(job.body.clone())
        .timeout(ATTEMPT_TIMEOUT)
        .send()
        .await;
    let mut response = match sent {
        Ok(r) => r,
        Err(e) => return transport_error(None, &e),
    };
    let status = response.status();
    let mut bytes = Vec::new();
    let mut too_long = false;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_ANSWER - bytes.len();
                if chunk.len() > room {
                    bytes.extend_from_slice(&chunk[..room]);
                    too_long = true;
                    break; // dropping the response closes the connection
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return transport_error(Some(status.as_u16()), &e),
        }
    }
    drop(response);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let error = if status.is_redirection() {
        Some(format!(
            "agency answered HTTP {} (a redirect, not followed)",
            status.as_u16()
        ))
    } else if !status.is_success() {
        Some(format!("agency answered HTTP {}", status.as_u16()))
    } else if too_long {
        Some(format!(
            "agency answer is longer than {} KiB; reading stopped there",
            MAX_ANSWER / 1024
        ))
    } else {
        judge_ack(&bytes).err()
    };
    Attempt {
        http_status: Some(status.as_u16()),
        accepted: error.is_none(),
        error,
        response_body: Some(text),
    }
}

/// The agency accepts a callback by answering JSON whose `result` (key matched
/// case-insensitively after trimming) is `true`.
fn judge_ack(body: &[u8]) -> Result<(), String> {
    let value: Value =
        model::parse_json(body).map_err(|e| format!("agency answer is not valid JSON: {e}"))?;
    let obj = value
        .as_object()
        .ok_or_else(|| "agency answer is not a JSON object".to_string())?;
    match model::field(obj, "result") {
        Some(Value::Bool(true)) => Ok(()),
        Some(Value::Bool(false)) => Err("agency answered result: false".to_string()),
        Some(other) => Err(format!("agency answer has result {other}, not true")),
        None => Err("agency answer has no result".to_string()),
    }
}

fn transport_error(http_status: Option<u16>, e: &reqwest::Error) -> Attempt {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    if e.is_timeout() {
        message = format!("timed out after {} s: {message}", ATTEMPT_TIMEOUT.as_secs());
    }
    Attempt {
        http_status,
        accepted: false,
        error: Some(message),
        response_body: None,
    }
}

#[cfg(test)]
mod tests {
    use super::judge_ack;

    #[test]
    fn ack_needs_result_true() {
        assert!(
            judge_ack(br#"{"requestTimeStamp": 1, "message": "Success", "result": true}"#).is_ok()
        );
        assert!(judge_ack(br#"{" Result": true}"#).is_ok());
        assert!(judge_ack(br#"{"result": false}"#).is_err());
        assert!(judge_ack(br#"{"result": "true"}"#).is_err());
        assert!(judge_ack(br#"{"requestTimeStamp": 1 "result": true}"#).is_err());
        assert!(judge_ack(b"[true]").is_err());
        assert!(judge_ack(b"").is_err());
        assert!(judge_ack(b"\xEF\xBB\xBF{\"result\": true}").is_ok());
    }
}
