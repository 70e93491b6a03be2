//! The README's Rust quick start, end to end against an embedded sandbox:
//! create → checkout page → (the citizen pays) → callback parsed, verified, acknowledged →
//! status → void, with the async client under the program's own tokio runtime.
//! `cargo run -p dga-epayment --example quickstart`

use dga_epayment::{
    CallbackReply, Client, Config, CreatePayment, Decimal, PaidStatus, PaymentType,
};

/// What an agency's callback endpoint does with DGA's POST (the README's `on_callback`).
async fn on_callback(client: &Client, body: &[u8]) -> CallbackReply {
    // Parses (every problem named) and re-reads the status from DGA: callbacks are unsigned.
    match client.receive_callback(body, true).await {
        Ok(status) => {
            // DGA's own status, now trusted: record it; only Success means the money is in.
            println!(
                "callback verified: {} {} THB for {}",
                status.paid_status, status.amount, status.ref1
            );
            CallbackReply::accepted("Success")
        }
        // 400 malformed, 409 disagrees with DGA, 503 DGA unreachable (it will deliver again).
        Err(e) => CallbackReply::for_error(&e),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = dga_sandbox::start(dga_sandbox::SandboxConfig {
        port: 0,
        ..Default::default()
    })?;

    let client = Client::new(
        Config::builder()
            .consumer_key("sandbox-key")
            .consumer_secret("sandbox-secret")
            .agent_id("1234567890121")
            .gateway_url(sandbox.url())
            .source("SANDBOX")
            .build()?,
    )?;

    let payment = client
        .create_payment(&CreatePayment {
            customer_id: "1234567890121".into(),
            customer_title_name: "นาย".into(),
            customer_first_name: "สมชาย".into(),
            customer_last_name: "ใจดี".into(),
            payment_type: Some(PaymentType::FastPay),
            amount: Some("1000.50".parse::<Decimal>()?),
            request_reference1: format!("INV-{}", std::process::id()),
            ..Default::default()
        })
        .await?;
    let html = dga_epayment::checkout_form_html(&payment)?;
    println!(
        "created orderRef {}; checkout page is {} bytes",
        payment.order_ref,
        html.len()
    );

    // The citizen pays on KTB's page; here the sandbox's control API stands in for them.
    let http = reqwest::Client::new();
    http.post(format!("{}/__sandbox/simulate", sandbox.url()))
        .json(&serde_json::json!({ "reference1": payment.reference1, "outcome": "pay" }))
        .send()
        .await?
        .error_for_status()?;

    // DGA's callback body (here the status fields, as the sandbox sends them).
    let status = client
        .status(&payment.reference1, &payment.reference2)
        .await?;
    let reply = on_callback(&client, serde_json::to_string(&status)?.as_bytes()).await;
    println!("answered DGA: HTTP {} {}", reply.http_status, reply.body);
    assert_eq!(reply.http_status, 200);

    if status.paid_status == PaidStatus::Success {
        let ref_id = status.ref_id.clone().unwrap_or_default();
        client
            .void(&payment.reference1, &payment.reference2, &ref_id)
            .await?;
        let after = client
            .status(&payment.reference1, &payment.reference2)
            .await?;
        println!("voided: now {}", after.paid_status);
    }
    Ok(())
}
