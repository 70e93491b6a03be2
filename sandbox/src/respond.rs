//! Response builders shared by every part of the sandbox.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::model::error_code;

pub(crate) fn json(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        value.to_string(),
    )
        .into_response()
}

/// The payment endpoints' envelope around a successful result.
pub(crate) fn envelope_ok(data: Value) -> Response {
    json(
        StatusCode::OK,
        &json!({"status": 0, "errorCode": null, "message": "Success", "data": data}),
    )
}

/// The payment endpoints' envelope for an error (status 3 = Error).
pub(crate) fn envelope_error(http: StatusCode, code: u16, message: &str) -> Response {
    json(
        http,
        &json!({"status": 3, "errorCode": code, "message": message, "data": null}),
    )
}

pub(crate) fn not_found(path: &str) -> Response {
    envelope_error(
        StatusCode::NOT_FOUND,
        error_code::INVALID_REQUEST,
        &format!("No such endpoint: {path}"),
    )
}

pub(crate) fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Control API errors: `{"error": "..."}`.
pub(crate) fn control_error(status: StatusCode, message: &str) -> Response {
    json(status, &json!({"error": message}))
}

/// Whether a request declares a JSON body: `Content-Type: application/json`, any parameters
/// (`; charset=utf-8`), any case.
pub(crate) fn is_json_request(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
}

/// HTML-escapes a value for use in text or a quoted attribute.
pub(crate) fn esc(text: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_quoted_attribute(text)
}

/// A complete HTML page with the sandbox's small style sheet.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="th">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, "Noto Sans Thai", sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }}
.banner {{ background: #fff4ce; border: 1px solid #e0c45c; padding: .5rem 1rem; border-radius: 4px; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
th, td {{ border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top; }}
th {{ background: #f0f4fa; }}
button {{ font-size: 1.05rem; padding: .5rem 1.2rem; margin-right: .5rem; cursor: pointer; }}
#pay {{ background: #00a6e6; color: white; border: none; }}
.error {{ color: #a00; }}
code {{ background: #f4f4f4; padding: 0 .2rem; }}
</style>
</head>
<body>
{body}
</body>
</html>
"#,
        title = esc(title),
    )
}
