//! The client option `workerThreads`: the first client built before the first call sets the
//! worker threads of the process's one runtime; a later client asking for another count
//! changes nothing. A test binary of its own, since the runtime is the process's.
mod common;

use common::*;
use dga_epayment::{Config, PaymentType, blocking::Client};
use serde_json::json;

#[test]
fn the_first_client_built_sets_the_runtime_worker_threads() {
    let sb = start_sandbox();
    for bad in [0, 257] {
        let e = config_for(&sb).worker_threads(bad).build().unwrap_err();
        assert!(
            e.field_errors().iter().any(|f| f.field == "workerThreads"),
            "{bad}: {e}"
        );
    }
    let from_json = json!({"consumerKey": "k", "consumerSecret": "s", "agentId": AGENT_ID,
                           "workerThreads": 3});
    assert_eq!(
        Config::from_json(&from_json).unwrap().worker_threads(),
        Some(3)
    );

    let client = Client::new(config_for(&sb).worker_threads(1).build().unwrap()).unwrap();
    assert_eq!(
        core_threads().len(),
        0,
        "building a client starts no thread"
    );
    let p = client
        .create_payment(&payment_request(PaymentType::FastPay, "10.00"))
        .unwrap();
    client.status(&p.reference1, &p.reference2).unwrap();
    assert_eq!(core_threads().len(), 1);

    // Built after the runtime: its count is logged and ignored.
    let later = Client::new(config_for(&sb).worker_threads(3).build().unwrap()).unwrap();
    later.status(&p.reference1, &p.reference2).unwrap();
    assert_eq!(core_threads().len(), 1);
}
