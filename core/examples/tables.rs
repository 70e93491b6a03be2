//! Prints the core's tables as one JSON document, the input of `scripts/gen-tables.py`, which
//! writes every binding's generated enums, typings and constants from it
//! (docs/development.md#generated-files):
//! `{"enums": enum_tables(), "enumDocs": enum_docs(), "errorKinds": [{code, number, doc, fields}],
//! "endpoints": [{name, doc}], "verificationReasons": [{code, doc}], "schema": schema(),
//! "apiRecords": schema::api_records()}`.
//! `cargo run -q -p dga-epayment --example tables`

use dga_epayment::schema::api_records;
use dga_epayment::{Endpoint, ErrorKind, VerificationReason, enum_docs, enum_tables, schema};
use serde_json::json;

fn main() {
    let tables = json!({
        "enums": enum_tables(),
        "enumDocs": enum_docs(),
        "errorKinds": ErrorKind::ALL.iter().map(|k| json!({
            "code": k.code(), "number": k.number(), "doc": k.doc().trim(), "fields": k.fields(),
        })).collect::<Vec<_>>(),
        "endpoints": Endpoint::ALL.iter().map(|e| json!({
            "name": e.name(), "doc": e.doc().trim(),
        })).collect::<Vec<_>>(),
        "verificationReasons": VerificationReason::ALL.iter().map(|r| json!({
            "code": r.code(), "doc": r.doc().trim(),
        })).collect::<Vec<_>>(),
        "schema": schema(),
        "apiRecords": api_records(),
    });
    println!("{}", serde_json::to_string_pretty(&tables).expect("JSON"));
}
