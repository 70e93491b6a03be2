//! Real HTTPS against the sandbox serving TLS with a certificate from a CA made here: the
//! public roots do not know that CA, `add_ca_pem` / `add_ca_file` make it trusted, and plain
//! HTTP stays refused off loopback.

mod common;

use common::*;
use dga_epayment::{Config, ErrorKind, PaidStatus, PaymentType, blocking::Client};
use dga_sandbox::{Sandbox, TlsPem};

/// A CA and a server certificate it signed for 127.0.0.1 and localhost, PEM.
struct Pki {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

fn pki() -> Pki {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "dga-epayment test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let server =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let cert = server.signed_by(&key, &issuer).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

fn tls_sandbox(pki: &Pki) -> Sandbox {
    start_sandbox_with(|c| {
        c.tls = Some(TlsPem {
            cert_pem: pki.cert_pem.clone().into_bytes(),
            key_pem: pki.key_pem.clone().into_bytes(),
        })
    })
}

/// Token, create, status: the whole client path over TLS.
fn round_trip(client: &Client) {
    client.token().unwrap();
    let req = payment_request(PaymentType::FastPay, "1000.50");
    let p = client.create_payment(&req).unwrap();
    assert_eq!(p.reference1, req.request_reference1);
    assert!(
        p.gateway_url.starts_with("https://127.0.0.1:"),
        "{}",
        p.gateway_url
    );
    let st = client.status(&p.reference1, &p.reference2).unwrap();
    assert_eq!(st.paid_status, PaidStatus::Pending);
}

/// An untrusted certificate is a `Network` error naming the certificate problem, not
/// transient and not retried: asking again will not change it (docs/architecture.md#errors).
fn assert_refused_for_the_certificate(e: &dga_epayment::Error) {
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert!(!e.is_transient(), "{e}");
    assert_eq!(e.to_json()["transient"], false);
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
}

#[test]
fn without_the_ca_the_certificate_is_refused() {
    let pki = pki();
    let sb = tls_sandbox(&pki);
    assert!(sb.url().starts_with("https://127.0.0.1:"));
    let client = client_for(&sb);
    let e = client.token().unwrap_err();
    assert_refused_for_the_certificate(&e);
    // Not retried: a token round that retried says "after 5 attempts".
    assert!(!e.to_string().contains("attempts"), "{e}");
    assert_refused_for_the_certificate(&client.status("x", "").unwrap_err());
    // Another CA does not help either.
    let other = self::pki();
    let client = Client::new(config_for(&sb).add_ca_pem(other.ca_pem).build().unwrap()).unwrap();
    assert_refused_for_the_certificate(&client.token().unwrap_err());
    // Nothing got through to the sandbox (its request log, read with the CA).
    let log: serde_json::Value = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap()
        .get(format!("{}/__sandbox/requests", sb.url()))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(log, serde_json::json!([]));
}

#[test]
fn with_the_ca_pem_everything_works() {
    let pki = pki();
    let sb = tls_sandbox(&pki);
    let client = Client::new(
        config_for(&sb)
            .add_ca_pem(pki.ca_pem.clone())
            .build()
            .unwrap(),
    )
    .unwrap();
    round_trip(&client);
}

#[test]
fn with_the_ca_file_everything_works() {
    let pki = pki();
    let sb = tls_sandbox(&pki);
    let dir = std::env::temp_dir().join(format!("dga-core-https-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ca.pem");
    std::fs::write(&file, &pki.ca_pem).unwrap();
    let client = Client::new(
        config_for(&sb)
            .add_ca_file(file.to_str().unwrap())
            .build()
            .unwrap(),
    )
    .unwrap();
    round_trip(&client);
    // Also through the JSON configuration the bindings use.
    let json = serde_json::json!({
        "consumerKey": "sandbox-key",
        "consumerSecret": "sandbox-secret",
        "agentId": AGENT_ID,
        "gatewayUrl": sb.url(),
        "source": "SANDBOX",
        "caFile": file.to_str().unwrap(),
    });
    let config = Config::from_json(&json).unwrap();
    round_trip(&Client::new(config).unwrap());
    let _ = std::fs::remove_dir_all(&dir);

    // A CA file that is missing is a Validation error at build, before any call.
    let e = config_for(&sb)
        .add_ca_file("/nonexistent/ca.pem")
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
}

#[test]
fn plain_http_is_refused_off_loopback() {
    for url in [
        "http://api.egov.go.th",
        "http://10.0.0.7:8580",
        "http://dga-sandbox.internal",
    ] {
        let e = Config::builder()
            .consumer_key("k")
            .consumer_secret("s")
            .agent_id(AGENT_ID)
            .gateway_url(url)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Validation, "{url}: {e}");
        assert!(e.to_string().contains("HTTPS"), "{url}: {e}");
    }
    for url in [
        "http://127.0.0.1:8580",
        "http://localhost:8580",
        "http://[::1]:8580",
    ] {
        Config::builder()
            .consumer_key("k")
            .consumer_secret("s")
            .agent_id(AGENT_ID)
            .gateway_url(url)
            .build()
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}
