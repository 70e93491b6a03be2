//! Reconcile input files as agencies export them, read by `Driver::from_file` (what
//! `dgapay reconcile` and every binding's file reader use) and asked of a sandbox.
mod common;

use common::*;
use dga_epayment::reconcile::Driver;
use dga_epayment::{PaidStatus, PaymentType};

/// A row's reference1, reference2, paid status or error name, and passed-through cells.
type Row = (String, String, String, Vec<String>);

/// Runs a file through the driver: its passed-through columns and its rows.
fn reconcile(
    client: &dga_epayment::blocking::Client,
    name: &str,
    content: &[u8],
) -> (Vec<String>, Vec<Row>) {
    let path = std::env::temp_dir().join(format!("dga-{name}-{}", std::process::id()));
    std::fs::write(&path, content).unwrap();
    let driver = Driver::from_file(client.as_async(), path.to_str().unwrap(), 4, 0)
        .unwrap()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    std::fs::remove_file(&path).unwrap();
    let wait = std::time::Duration::from_secs(30);
    let mut rows = Vec::new();
    while let Some(row) = driver.next_blocking(wait).unwrap().unwrap() {
        let o = row.unwrap();
        let status = match &o.result {
            Ok(s) => s.paid_status.to_string(),
            Err(_) => o.error_name(),
        };
        let r = o.reference;
        rows.push((r.reference1, r.reference2, status, r.extra));
    }
    (driver.extra_headers().to_vec(), rows)
}

/// A Thai Excel export: Thai column names, `;` separated (Excel's "CSV" where the list
/// separator is `;`), a BOM and CRLF; and the same list tab separated. The header is not
/// asked about: DGA gets one status call per reference.
#[test]
fn reconcile_reads_thai_headers_and_semicolon_or_tab_separated_files() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = client_for(&sb);
    let (paid, _) = paid_payment(&client, &ctl, PaymentType::FastPay, "10.00");
    let (r1, r2) = (&paid.reference1, &paid.reference2);
    let before = ctl.count("status");
    let semicolon = format!(
        "\u{feff}ลำดับ;เลขที่อ้างอิง 1;เลขที่อ้างอิง 2;ชื่อผู้ชำระ\r\n\
         1;{r1};{r2};\"สมศรี; มีสุข\"\r\n\
         2;NOT-THERE;;สมชาย\r\n"
    );
    let tab = format!("เลขอ้างอิง1\tเลขอ้างอิง2\n{r1}\t{r2}\nNOT-THERE\t\n");
    for (name, content, extra) in [
        ("thai-semicolon.csv", semicolon, vec!["ลำดับ", "ชื่อผู้ชำระ"]),
        ("thai-tab.txt", tab, vec![]),
    ] {
        let (headers, rows) = reconcile(&client, name, content.as_bytes());
        assert_eq!(headers, extra, "{name}");
        let got: Vec<(&str, &str, &str)> = rows
            .iter()
            .map(|(a, b, s, _)| (a.as_str(), b.as_str(), s.as_str()))
            .collect();
        let success = PaidStatus::Success.to_string();
        assert_eq!(
            got,
            [
                (r1.as_str(), r2.as_str(), success.as_str()),
                ("NOT-THERE", "", "TransactionNotFound")
            ],
            "{name}"
        );
        if name == "thai-semicolon.csv" {
            assert_eq!(rows[0].3, ["1", "สมศรี; มีสุข"]);
        }
    }
    assert_eq!(
        ctl.count("status") - before,
        4,
        "the headers were not asked about"
    );
}
