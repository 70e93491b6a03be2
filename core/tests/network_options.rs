//! Agency network options: an HTTP proxy and extra CA certificates.

mod common;

use common::*;
use dga_epayment::{ErrorKind, PaymentType, blocking::Client};

const CA: &str = include_str!("data/agency-ca.pem");

#[test]
fn every_call_goes_through_the_configured_proxy() {
    // The sandbox doubles as the proxy: a proxy receives `GET http://host/path` and the sandbox
    // routes by path. The gateway itself is an address nothing listens on, so a call can only
    // succeed by going through the proxy.
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = Client::new(
        config_for(&sb)
            .gateway_url("http://127.0.0.1:9")
            .proxy(sb.url())
            .build()
            .unwrap(),
    )
    .unwrap();
    let p = client
        .create_payment(&payment_request(PaymentType::FastPay, "12.34"))
        .unwrap();
    client.status(&p.reference1, &p.reference2).unwrap();
    assert_eq!(ctl.count("token"), 1);
    assert_eq!(ctl.count("create"), 1);
    assert_eq!(ctl.count("status"), 1);

    // Without the proxy the same gateway is unreachable.
    let direct = Client::new(
        config_for(&sb)
            .gateway_url("http://127.0.0.1:9")
            .build()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(direct.token().unwrap_err().kind(), ErrorKind::Auth);
}

#[test]
fn extra_ca_certificates_are_accepted_and_garbage_is_refused() {
    let sb = start_sandbox();
    let client = Client::new(config_for(&sb).add_ca_pem(CA).build().unwrap()).unwrap();
    client.token().unwrap();

    let e = config_for(&sb)
        .add_ca_pem("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
        .add_ca_file("/nonexistent/ca.pem")
        .build()
        .unwrap_err();
    let fields: Vec<_> = e.field_errors().iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["caFile", "caPem"], "{e}");
}

#[test]
fn a_bad_proxy_url_is_a_validation_error_that_does_not_echo_it() {
    let sb = start_sandbox();
    let e = config_for(&sb)
        .proxy("::not a url with pass-w0rd::")
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert_eq!(e.field_errors()[0].field, "proxy");
    assert!(!e.to_string().contains("pass-w0rd"), "{e}");
}
