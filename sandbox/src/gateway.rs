//! The stand-in for Krungthai Bank's hosted payment page.

use std::sync::{Arc, MutexGuard};

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::callback;
use crate::model::{self, error_code};
use crate::respond::{self, esc};
use crate::state::{App, FinishError, Inner, Outcome, Txn};

const BANNER: &str = r#"<p class="banner">dga-sandbox: หน้าจำลองของธนาคารกรุงไทย ไม่มีการตัดเงินจริง /
a stand-in for the Krungthai Bank payment page; no real money moves.</p>"#;

/// A refused gateway request, rendered as an HTML page.
struct Refusal {
    status: StatusCode,
    title: &'static str,
    detail: String,
}

impl Refusal {
    fn page(self) -> Response {
        error_page(self.status, self.title, &self.detail)
    }
}

fn error_page(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = format!(
        "{BANNER}\n<h1 class=\"error\">{}</h1>\n<p>{}</p>\n",
        esc(title),
        esc(detail)
    );
    respond::html(status, respond::page(title, &body))
}

fn method_not_allowed(method: &Method, expected: &str) -> Response {
    error_page(
        StatusCode::METHOD_NOT_ALLOWED,
        "ไม่รองรับ / Method not allowed",
        &format!("{method} is not allowed here; use {expected}."),
    )
}

/// Finds the order a form names and checks its security key.
fn find_order<'a>(
    app: &'a App,
    pairs: &[(String, String)],
) -> Result<(MutexGuard<'a, Inner>, usize), Refusal> {
    let order_ref = model::param(pairs, "orderRef").unwrap_or("").trim();
    let key = model::param(pairs, "securityKey").unwrap_or("").trim();
    let inner = app.lock();
    let Some(idx) = inner.find_order(order_ref) else {
        return Err(Refusal {
            status: StatusCode::BAD_REQUEST,
            title: "ไม่พบรายการ / Unknown order",
            detail: format!("There is no order with orderRef {order_ref:?}."),
        });
    };
    if inner.txns[idx].security_key != key {
        return Err(Refusal {
            status: StatusCode::BAD_REQUEST,
            title: "รหัสความปลอดภัยไม่ถูกต้อง / Invalid security key",
            detail:
                "The securityKey does not match the one the create call returned for this order."
                    .into(),
        });
    }
    Ok((inner, idx))
}

fn amount_text(txn: &Txn) -> String {
    let mut amount = txn.new.amount;
    amount.rescale(2);
    format!("{amount} THB")
}

/// `POST /ktb/payForm`: the checkout form the agency's page submits.
pub(crate) fn pay_form(app: &App, method: &Method, body: &[u8]) -> Response {
    if method != Method::POST {
        return method_not_allowed(method, "POST");
    }
    let pairs = model::parse_pairs(body);
    let (inner, idx) = match find_order(app, &pairs) {
        Ok(found) => found,
        Err(refusal) => return refusal.page(),
    };
    let txn = &inner.txns[idx];
    let amount = model::param(&pairs, "amount").and_then(model::parse_decimal);
    if amount != Some(txn.new.amount) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "ยอดเงินไม่ถูกต้อง / Amount mismatch",
            &format!(
                "The form's amount {:?} is not the order's amount {}.",
                model::param(&pairs, "amount").unwrap_or(""),
                txn.new.amount.normalize()
            ),
        );
    }
    let action = if txn.status == model::PaidStatus::Pending {
        format!(
            r#"<form method="post" action="/ktb/pay">
<input type="hidden" name="orderRef" value="{order_ref}">
<input type="hidden" name="securityKey" value="{key}">
<button type="submit" name="action" value="pay" id="pay">ชำระเงิน / Pay</button>
<button type="submit" name="action" value="fail" id="fail">ชำระไม่สำเร็จ / Fail</button>
<button type="submit" name="action" value="cancel" id="cancel">ยกเลิก / Cancel</button>
</form>"#,
            order_ref = esc(&txn.order_ref),
            key = esc(&txn.security_key),
        )
    } else {
        format!(
            r#"<p class="error">รายการนี้ไม่อยู่ในสถานะรอชำระเงิน / This order is no longer pending: {}.</p>"#,
            esc(txn.status.name())
        )
    };
    let body = format!(
        r#"{BANNER}
<h1>ชำระเงิน / Payment</h1>
<table>
<tr><th>เลขที่คำสั่งซื้อ / Order ref</th><td id="orderRef">{order_ref}</td></tr>
<tr><th>จำนวนเงิน / Amount</th><td id="amount">{amount}</td></tr>
<tr><th>ช่องทางการชำระเงิน / Payment method</th><td id="payMethod">{method}</td></tr>
<tr><th>ผู้ชำระเงิน / Payer</th><td id="customerName">{name}</td></tr>
<tr><th>รหัสอ้างอิง 1 / Reference 1</th><td>{ref1}</td></tr>
<tr><th>รหัสอ้างอิง 2 / Reference 2</th><td>{ref2}</td></tr>
<tr><th>ร้านค้า / Merchant</th><td>{merchant}</td></tr>
</table>
{action}
"#,
        order_ref = esc(&txn.order_ref),
        amount = esc(&amount_text(txn)),
        method = esc(txn.new.payment_type.label()),
        name = esc(&txn.customer_name()),
        ref1 = esc(&txn.new.ref1),
        ref2 = esc(&txn.new.ref2),
        merchant = esc(model::param(&pairs, "merchantId").unwrap_or("")),
    );
    respond::html(
        StatusCode::OK,
        respond::page("KTB e-Payment (sandbox)", &body),
    )
}

/// `POST /ktb/pay`: the citizen's choice on the gateway page.
pub(crate) fn pay(app: &Arc<App>, method: &Method, body: &[u8]) -> Response {
    if method != Method::POST {
        return method_not_allowed(method, "POST");
    }
    let pairs = model::parse_pairs(body);
    let (mut inner, idx) = match find_order(app, &pairs) {
        Ok(found) => found,
        Err(refusal) => return refusal.page(),
    };
    let action = model::param(&pairs, "action").unwrap_or("");
    let Some(outcome) = Outcome::parse(action) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "คำสั่งไม่ถูกต้อง / Unknown action",
            &format!("action must be pay, fail or cancel, not {action:?}."),
        );
    };
    let job = match inner.finish(idx, outcome, true) {
        Ok(job) => job,
        Err(e) => return finish_error_page(e),
    };
    let txn = &inner.txns[idx];
    let target = match outcome {
        Outcome::Pay => &txn.success_url,
        Outcome::Fail => &txn.fail_url,
        Outcome::Cancel => &txn.cancel_url,
    };
    let location = with_order_ref(target, &txn.order_ref);
    drop(inner);
    if let Some(job) = job {
        callback::spawn(Arc::clone(app), job);
    }
    match HeaderValue::try_from(location.as_str()) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => error_page(
            StatusCode::OK,
            "เสร็จสิ้น / Done",
            &format!(
                "The payment was recorded, but the return URL {location:?} is not a valid redirect target."
            ),
        ),
    }
}

pub(crate) fn finish_error_page(e: FinishError) -> Response {
    match e {
        FinishError::Closed => error_page(
            StatusCode::CONFLICT,
            "รายการถูกปิดแล้ว / Transaction closed",
            &format!(
                "The agency closed this transaction; it can no longer be paid (error {}, PaidPaymentCannotBeClosed).",
                error_code::PAID_PAYMENT_CANNOT_BE_CLOSED
            ),
        ),
        FinishError::Locked(status) => error_page(
            StatusCode::CONFLICT,
            "รายการเสร็จสิ้นแล้ว / Transaction locked",
            &format!(
                "This transaction already has an outcome ({}); error {} (TransactionLocked).",
                status.name(),
                error_code::TRANSACTION_LOCKED
            ),
        ),
    }
}

/// `url` with `orderRef=<order_ref>` added to its query.
fn with_order_ref(url: &str, order_ref: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.query_pairs_mut().append_pair("orderRef", order_ref);
            parsed.into()
        }
        Err(_) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            let encoded: String =
                url::form_urlencoded::byte_serialize(order_ref.as_bytes()).collect();
            format!("{url}{sep}orderRef={encoded}")
        }
    }
}

/// `GET /ktb/result/success|fail|cancel?orderRef=..`: where the sandbox sends the browser
/// when the agency configured no result URLs.
pub(crate) fn result_page(app: &App, method: &Method, which: &str, query: &str) -> Response {
    if method != Method::GET {
        return method_not_allowed(method, "GET");
    }
    let title = match which {
        "success" => "ชำระเงินสำเร็จ / Payment successful",
        "fail" => "ชำระเงินไม่สำเร็จ / Payment failed",
        _ => "ยกเลิกการชำระเงิน / Payment cancelled",
    };
    let pairs = model::parse_pairs(query.as_bytes());
    let order_ref = model::param(&pairs, "orderRef").unwrap_or("");
    let inner = app.lock();
    let status = match inner.find_order(order_ref.trim()) {
        Some(idx) => {
            let txn = &inner.txns[idx];
            format!("{} ({})", txn.status.name(), txn.status.description_th())
        }
        None => "unknown order".to_string(),
    };
    let body = format!(
        r#"{BANNER}
<h1>{title}</h1>
<table>
<tr><th>เลขที่คำสั่งซื้อ / Order ref</th><td id="orderRef">{order_ref}</td></tr>
<tr><th>สถานะ / Status</th><td id="status">{status}</td></tr>
</table>
<p><a href="/">รายการทั้งหมด / All transactions</a></p>
"#,
        title = esc(title),
        order_ref = esc(order_ref),
        status = esc(&status),
    );
    respond::html(StatusCode::OK, respond::page(title, &body))
}

#[cfg(test)]
mod tests {
    use super::with_order_ref;

    #[test]
    fn order_ref_is_added_to_the_query() {
        assert_eq!(
            with_order_ref("http://a.test/ok", "123"),
            "http://a.test/ok?orderRef=123"
        );
        assert_eq!(
            with_order_ref("http://a.test/ok?x=1", "123"),
            "http://a.test/ok?x=1&orderRef=123"
        );
        assert_eq!(with_order_ref("/relative", "1 2"), "/relative?orderRef=1+2");
    }
}
