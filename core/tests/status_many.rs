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
