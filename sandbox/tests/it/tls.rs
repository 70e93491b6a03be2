//! HTTPS: `SandboxConfig::tls` and `--tls-cert/--tls-key`, with a CA made for the test.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use dga_sandbox::TlsPem;
use serde_json::json;

use crate::common::*;

/// A CA and a server certificate it signed for 127.0.0.1 and localhost, PEM.
pub struct Pki {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

pub fn pki() -> Pki {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "dga-sandbox test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut server =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    server
        .distinguished_name
        .push(DnType::CommonName, "dga-sandbox");
    let cert = server.signed_by(&key, &issuer).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

fn tls_of(pki: &Pki) -> TlsPem {
    TlsPem {
        cert_pem: pki.cert_pem.clone().into_bytes(),
        key_pem: pki.key_pem.clone().into_bytes(),
    }
}

fn trusting(ca_pem: &str) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// The error and all its sources, as one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[test]
fn serves_https_with_the_given_certificate() {
    let pki = pki();
    let mut env = start_with(dga_sandbox::SandboxConfig {
        tls: Some(tls_of(&pki)),
        ..test_config()
    });
    let port = env.sandbox.addr().port();
    assert_eq!(env.url, format!("https://127.0.0.1:{port}"));
    env.http = trusting(&pki.ca_pem);
    let token = env.token();
    let ref1 = unique_ref("tls");
    let data = env.create(&token, &create_body(&ref1));
    assert_eq!(data["gatewayUrl"], format!("{}/ktb/payForm", env.url));
    assert_eq!(env.status_data(&token, &ref1, "")["paidStatus"], "Pending");
    // localhost is in the certificate too.
    let config = env
        .http
        .get(format!("https://localhost:{port}/__sandbox/config"))
        .send()
        .unwrap();
    assert_eq!(config.status(), 200);

    // Without the CA: refused for the certificate.
    let error = client()
        .get(format!("{}/__sandbox/config", env.url))
        .send()
        .expect_err("an unknown CA is refused");
    let text = chain(&error);
    assert!(text.to_lowercase().contains("certificate"), "{text}");
    // Plain HTTP to the TLS port gets no answer.
    let plain = client()
        .get(format!("http://127.0.0.1:{port}/__sandbox/config"))
        .timeout(Duration::from_secs(5))
        .send();
    assert!(plain.is_err(), "{plain:?}");
    // The server still serves after those failed handshakes.
    assert_eq!(env.status(&token, &ref1, "").0, 200);
}

#[test]
fn a_stalled_handshake_does_not_block_others() {
    let pki = pki();
    let mut env = start_with(dga_sandbox::SandboxConfig {
        tls: Some(tls_of(&pki)),
        ..test_config()
    });
    env.http = trusting(&pki.ca_pem);
    // Connected, never says hello.
    let _silent: Vec<_> = (0..5)
        .map(|_| std::net::TcpStream::connect(env.sandbox.addr()).unwrap())
        .collect();
    let started = std::time::Instant::now();
    env.token();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn faults_reset_over_tls_too() {
    let pki = pki();
    let mut env = start_with(dga_sandbox::SandboxConfig {
        tls: Some(tls_of(&pki)),
        ..test_config()
    });
    env.http = trusting(&pki.ca_pem);
    let token = env.token();
    env.add_fault(json!({"endpoint": "create", "kind": "reset_after"}));
    let ref1 = unique_ref("tls-reset-after");
    let error = env
        .create_request(&token, &create_body(&ref1))
        .expect_err("no answer");
    assert!(!error.is_timeout() && !error.is_status(), "{error:?}");
    assert_eq!(env.status_data(&token, &ref1, "")["paidStatus"], "Pending");
}

#[test]
fn bad_pem_is_an_error_at_start_and_the_key_stays_out_of_debug() {
    let pki = pki();
    for (cert, key, needle) in [
        ("not pem", pki.key_pem.as_str(), "certificate"),
        (pki.cert_pem.as_str(), "not pem", "key"),
        (pki.key_pem.as_str(), pki.key_pem.as_str(), "certificate"),
    ] {
        let error = dga_sandbox::start(dga_sandbox::SandboxConfig {
            tls: Some(TlsPem {
                cert_pem: cert.as_bytes().to_vec(),
                key_pem: key.as_bytes().to_vec(),
            }),
            ..test_config()
        })
        .expect_err("refused");
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        assert!(error.to_string().contains(needle), "{error}");
    }
    // A key that does not belong to the certificate.
    let other = self::pki();
    let error = dga_sandbox::start(dga_sandbox::SandboxConfig {
        tls: Some(TlsPem {
            cert_pem: pki.cert_pem.clone().into_bytes(),
            key_pem: other.key_pem.clone().into_bytes(),
        }),
        ..test_config()
    })
    .expect_err("mismatched key");
    assert!(
        error.to_string().contains("do not work together"),
        "{error}"
    );

    let config = dga_sandbox::SandboxConfig {
        tls: Some(tls_of(&pki)),
        ..test_config()
    };
    let debug = format!("{config:?}");
    let key_body = pki.key_pem.lines().nth(1).unwrap();
    assert!(!debug.contains(key_body), "{debug}");
    assert!(debug.contains("redacted"), "{debug}");
}

/// PEM files in a fresh temporary directory.
fn write_pki(pki: &Pki, tag: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("dga-sandbox-tls-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, &pki.cert_pem).unwrap();
    std::fs::write(&key, &pki.key_pem).unwrap();
    (cert, key)
}

#[test]
fn binary_serves_https_from_pem_files() {
    let pki = pki();
    let (cert, key) = write_pki(&pki, "ok");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dga-sandbox"))
        .args(["--port", "0", "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .trim_end()
        .strip_prefix("listening on ")
        .expect(&first)
        .to_string();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let response = trusting(&pki.ca_pem)
        .get(format!(
            "{url}/ws/auth/validate?ConsumerSecret=sandbox-secret&AgentID={AGENT_ID}"
        ))
        .header("Consumer-Key", "sandbox-key")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    assert!(child.wait().unwrap().success());
    let _ = std::fs::remove_dir_all(cert.parent().unwrap());
}

#[test]
fn binary_tls_flag_errors_are_clear() {
    let pki = pki();
    let (cert, key) = write_pki(&pki, "bad");
    let run = |args: &[&std::ffi::OsStr]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dga-sandbox"))
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        (child.wait().unwrap().code(), stderr)
    };
    // One without the other: a usage error.
    let (code, stderr) = run(&["--tls-cert".as_ref(), cert.as_os_str()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--tls-key"), "{stderr}");
    // A missing file names itself.
    let (code, stderr) = run(&[
        "--tls-cert".as_ref(),
        "/nonexistent/cert.pem".as_ref(),
        "--tls-key".as_ref(),
        key.as_os_str(),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("/nonexistent/cert.pem"), "{stderr}");
    // The key where the certificate belongs: exit 1, no panic.
    let (code, stderr) = run(&[
        "--tls-cert".as_ref(),
        key.as_os_str(),
        "--tls-key".as_ref(),
        key.as_os_str(),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("certificate") && !stderr.contains("panicked"),
        "{stderr}"
    );
    // The key's contents never appear in a message.
    assert!(!stderr.contains(pki.key_pem.lines().nth(1).unwrap()));
    let _ = std::fs::remove_dir_all(cert.parent().unwrap());
}
