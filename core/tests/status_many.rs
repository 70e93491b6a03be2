//! `Client::status_many`: many status reads in input order, with bounded concurrency, on the
//! async client (what `dgapay reconcile` and the bindings' loops use).
mod common;

use common::*;
use dga_epayment::reconcile::read_references;
use dga_epayment::{PaidStatus, PaymentType};

#[test]
fn status_many_reads_every_reference_in_input_order() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = client_for(&sb);
    let paid = paid_payment(&client, &ctl, PaymentType::FastPay, "10.00").0;
    let pending = client
        .create_payment(&payment_request(PaymentType::QrPayment, "20.00"))
        .unwrap();
    let input = format!(
        "reference1,reference2,note\n{},{},a\nNOT-THERE,,b\n{},{},c\n",
        paid.reference1, paid.reference2, pending.reference1, pending.reference2
    );
    let refs = read_references(std::io::Cursor::new(input.into_bytes())).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcomes = rt.block_on(async {
        let mut many = client
            .as_async()
            .status_many(futures_util::stream::iter(refs), 4, 0);
        let mut out = Vec::new();
        while let Some(o) = many.next().await {
            out.push(o.unwrap());
        }
        out
    });
    assert_eq!(outcomes.len(), 3);
    assert_eq!(outcomes[0].reference.reference1, paid.reference1);
    assert_eq!(
        outcomes[0].result.as_ref().unwrap().paid_status,
        PaidStatus::Success
    );
    assert!(outcomes[1].is_not_found());
    assert_eq!(outcomes[1].reference.extra, vec!["b".to_owned()]);
    assert_eq!(
        outcomes[2].result.as_ref().unwrap().paid_status,
        PaidStatus::Pending
    );
}

#[test]
fn the_driver_gives_pushed_references_in_order_and_counts_them() {
    use dga_epayment::reconcile::{Driver, Reference, TextWriter};
    let sb = start_sandbox();
    let client = client_for(&sb);
    let pending = client
        .create_payment(&payment_request(PaymentType::QrPayment, "20.00"))
        .unwrap();
    let driver = Driver::start(client.as_async(), 3, 0).unwrap();
    assert!(driver.has_room());
    let refs = [
        (" NOT-THERE ", ""),
        (&pending.reference1[..], &pending.reference2[..]),
    ];
    for (i, (r1, r2)) in refs.into_iter().enumerate() {
        driver.push(Reference::pushed(i as u64 + 1, r1, r2));
    }
    driver.push(Reference::pushed(3, "  ", ""));
    assert!(!driver.has_room(), "an input error closes the input");
    let wait = std::time::Duration::from_secs(30);
    let next = || driver.next_blocking(wait).unwrap().unwrap();
    let first = next().unwrap().unwrap();
    assert!(first.is_not_found());
    assert_eq!(first.reference.reference1, "NOT-THERE");
    let second = next().unwrap().unwrap();
    assert_eq!(
        second.result.as_ref().unwrap().paid_status,
        PaidStatus::Pending
    );
    let bad = next().unwrap().unwrap_err();
    assert_eq!((bad.line, &bad.reason[..]), (3, "reference1 is empty"));
    assert!(next().is_none());
    let summary = driver.summary();
    assert_eq!((summary.total, summary.unreadable), (2, 0));
    let mut csv = TextWriter::new("csv", driver.extra_headers(), false)
        .unwrap()
        .unwrap();
    assert!(
        csv.take()
            .unwrap()
            .starts_with("reference1,reference2,paidStatus")
    );
    assert!(csv.write(&second).unwrap().starts_with(&pending.reference1));
    assert!(TextWriter::new("xml", &[], false).is_none());
}

#[test]
fn the_driver_checks_a_file_whole_before_any_call() {
    use dga_epayment::reconcile::Driver;
    let sb = start_sandbox();
    let client = client_for(&sb);
    let path = std::env::temp_dir().join(format!("dga-driver-{}.csv", std::process::id()));
    std::fs::write(&path, "reference1,note\nA,x\n,y\n").unwrap();
    let checked = Driver::from_file(client.as_async(), path.to_str().unwrap(), 4, 0).unwrap();
    std::fs::remove_file(&path).unwrap();
    let Err(e) = checked else {
        panic!("a file with a bad line was accepted");
    };
    assert_eq!(e.line, 3);
    assert!(Driver::from_file(client.as_async(), "/no/such/file", 4, 0).is_err());
}

/// Refused credentials: the first refusal ends the calls; every later reference gets a row with
/// the same `Auth` error at once (not at the rate: 20 at 10 a second would take 1.9 s), and DGA
/// gets no more token requests than for one reference.
#[test]
fn refused_credentials_stop_the_calls_and_every_reference_gets_its_row() {
    use dga_epayment::reconcile::{Driver, Reference};
    use dga_epayment::{Error, blocking::Client};
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let bad_client =
        || Client::new(config_for(&sb).consumer_secret("wrong").build().unwrap()).unwrap();
    let run = |n: u64| {
        let client = bad_client();
        let driver = Driver::start(client.as_async(), 1, 10).unwrap();
        let wait = std::time::Duration::from_secs(30);
        let mut rows = Vec::new();
        let mut pushed = 0;
        loop {
            while pushed < n && driver.has_room() {
                pushed += 1;
                driver.push(Reference::pushed(pushed, &format!("RC-{pushed}"), ""));
            }
            if pushed == n {
                driver.close_input();
            }
            match driver.next_blocking(wait).unwrap() {
                Ok(Some(row)) => rows.push(row.unwrap()),
                Ok(None) => break,
                Err(()) => {}
            }
        }
        (rows, driver.summary())
    };
    let (one, _) = run(1);
    let tokens_for_one = ctl.count("token");
    assert!(matches!(
        &one[0].result,
        Err(Error::Auth {
            transient: false,
            ..
        })
    ));
    let t0 = std::time::Instant::now();
    let (rows, summary) = run(20);
    let took = t0.elapsed();
    assert!(took < std::time::Duration::from_secs(1), "{took:?}");
    assert_eq!(rows.len(), 20);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.reference.line, i as u64 + 1);
        assert!(
            matches!(
                &row.result,
                Err(Error::Auth {
                    transient: false,
                    ..
                })
            ),
            "{:?}",
            row.result
        );
        assert_eq!(row.error_name(), "Auth");
    }
    assert_eq!((summary.total, summary.unreadable), (20, 20));
    assert_eq!(ctl.count("token"), 2 * tokens_for_one);
    assert_eq!(ctl.count("status"), 0);
}
