//! The checkout page in a real browser (headless Chromium): it submits itself to the gateway
//! at once. (The no-script button is checked in the unit tests: `--dump-dom` needs script.)
//! Needs `chromium` (Debian package); `scripts/test-all.sh` installs it and runs this with
//! `--ignored`.

mod common;

use common::*;
use dga_epayment::{PaidStatus, PaymentType, checkout_form_html};
use std::path::PathBuf;
use std::process::Command;

fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "Chromium not found at {}: apt-get install chromium, or set CHROMIUM",
        path.display()
    );
    path
}

/// Loads `html` from a file in headless Chromium and returns the DOM it ends on.
fn browse(html: &str) -> String {
    let dir = std::env::temp_dir().join(format!("dga-browser-{}", unique_ref("b")));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("checkout.html");
    std::fs::write(&page, html).unwrap();
    let mut cmd = Command::new(chromium());
    // The closed network refuses Chromium's background connections: keep it from trying.
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--virtual-time-budget=10000",
    ])
    .arg(format!("--user-data-dir={}", dir.join("profile").display()));
    let out = cmd
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "chromium failed: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
#[ignore = "needs Chromium: run by scripts/test-all.sh (or cargo test -- --ignored)"]
fn the_checkout_page_takes_the_browser_to_the_gateway_by_itself() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = client_for(&sb);
    let mut req = payment_request(PaymentType::FastPay, "1234.50");
    req.customer_first_name = "สมชาย <b>\"ใจดี\"</b>".into();
    let payment = client.create_payment(&req).unwrap();
    let dom = browse(&checkout_form_html(&payment).unwrap());

    // The browser posted the form and now shows KTB's (the sandbox's) page for this order.
    assert!(dom.contains(&payment.order_ref), "{dom}");
    assert!(dom.contains("1234.50"), "{dom}");
    assert!(dom.contains("id=\"pay\""), "{dom}");
    assert!(
        !dom.contains("<b>\"ใจดี\"</b>"),
        "customer text is escaped: {dom}"
    );
    let posted: Vec<_> = ctl
        .get("/__sandbox/requests")
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["endpoint"] == "gateway" && r["method"] == "POST")
        .map(|r| (r["path"].clone(), r["httpStatus"].clone()))
        .collect();
    assert_eq!(
        posted,
        [(serde_json::json!("/ktb/payForm"), serde_json::json!(200))]
    );
    assert_eq!(
        client
            .status(&payment.reference1, &payment.reference2)
            .unwrap()
            .paid_status,
        PaidStatus::Pending,
        "nothing is paid until the citizen presses pay"
    );
}
