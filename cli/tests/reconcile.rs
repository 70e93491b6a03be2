//! `dgapay reconcile` against a sandbox started in the test.

mod common;

use common::{AGENT_ID, Run, Sandbox, dgapay_with, finished};
use dga_epayment::{CreatePayment, Decimal, PaymentType, blocking::Client};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn client(sb: &Sandbox) -> Client {
    Client::new(
        dga_epayment::Config::builder()
            .consumer_key("sandbox-key")
            .consumer_secret("sandbox-secret")
            .agent_id(AGENT_ID)
            .gateway_url(&sb.url)
            .source("DGA")
            .build()
            .unwrap(),
    )
    .unwrap()
}

/// Creates a payment; its reference1.
fn create(c: &Client, reference1: &str, kind: PaymentType, amount: i64) -> String {
    c.create_payment(&CreatePayment {
        customer_id: AGENT_ID.into(),
        customer_title_name: "นาง".into(),
        customer_first_name: "สมศรี".into(),
        customer_last_name: "มีสุข".into(),
        payment_type: Some(kind),
        amount: Some(Decimal::new(amount, 2)),
        request_reference1: reference1.into(),
        request_reference2: "B-2".into(),
        ..Default::default()
    })
    .unwrap()
    .reference1
}

fn simulate(sb: &Sandbox, reference1: &str, outcome: &str) {
    sb.control(
        "POST",
        "simulate",
        Some(json!({"reference1": reference1, "reference2": "B-2", "outcome": outcome, "deliverCallback": false})),
    );
}

fn reconcile(sb: &Sandbox, args: &[&str], stdin: &[u8]) -> Run {
    let mut all = vec!["reconcile", "--rate", "0"];
    all.extend_from_slice(args);
    sb.run_with(&all, Some(stdin))
}

/// The amount column, exact.
fn amount(row: &Value) -> Decimal {
    row["amount"].as_str().unwrap().parse().unwrap()
}

fn jsonl(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Paid, failed, pending and unknown references, passed-through columns, output in input order.
#[test]
fn mixed_statuses_in_input_order_with_columns_passed_through() {
    let sb = Sandbox::start();
    let c = client(&sb);
    let paid1 = create(&c, "REC-PAID-1", PaymentType::FastPay, 100050);
    let pending = create(&c, "REC-PEND-1", PaymentType::QrPayment, 2500);
    let failed = create(&c, "REC-FAIL-1", PaymentType::FastPay, 999);
    let paid2 = create(&c, "REC-PAID-2", PaymentType::QrPayment, 10000);
    simulate(&sb, &paid1, "pay");
    simulate(&sb, &paid2, "pay");
    simulate(&sb, &failed, "fail");
    let input = format!(
        "invoice,reference1,reference2,customer\n\
         INV-1,{paid1},B-2,สมศรี\n\
         INV-2,NOPE-1,,นาย ก\n\
         INV-3,{pending},B-2,\"มีสุข, สมศรี\"\n\
         INV-4,{failed},B-2,x\n\
         INV-5,NOPE-2,B-2,y\n\
         INV-6,{paid2},B-2,z\n"
    );
    let run = reconcile(
        &sb,
        &["--format", "jsonl", "--concurrency", "4"],
        input.as_bytes(),
    );
    run.assert_code(0);
    let rows = jsonl(&run);
    let refs: Vec<&str> = rows
        .iter()
        .map(|r| r["reference1"].as_str().unwrap())
        .collect();
    assert_eq!(
        refs,
        [&*paid1, "NOPE-1", &*pending, &*failed, "NOPE-2", &*paid2]
    );
    let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "reference1",
            "reference2",
            "paidStatus",
            "paidStatusTh",
            "description",
            "amount",
            "feeAmount",
            "refId",
            "paidDate",
            "paidChannel",
            "paymentType",
            "error",
            "invoice",
            "customer"
        ]
    );
    assert_eq!(rows[0]["paidStatus"], "Success");
    assert_eq!(rows[0]["paidStatusTh"], "ชำระเงินสำเร็จ");
    assert_eq!(amount(&rows[0]), Decimal::new(100050, 2));
    assert_eq!(rows[0]["paymentType"], "FastPay");
    assert!(
        rows[0]["refId"].as_str().is_some_and(|s| !s.is_empty()),
        "{}",
        rows[0]
    );
    assert!(rows[0]["paidDate"].as_str().is_some(), "{}", rows[0]);
    assert_eq!(rows[0]["error"], Value::Null);
    assert_eq!(rows[0]["invoice"], "INV-1");
    assert_eq!(rows[0]["customer"], "สมศรี");
    assert_eq!(rows[1]["error"], "TransactionNotFound");
    assert_eq!(rows[1]["paidStatus"], Value::Null);
    assert_eq!(rows[1]["customer"], "นาย ก");
    assert_eq!(rows[2]["paidStatus"], "Pending");
    assert_eq!(rows[2]["customer"], "มีสุข, สมศรี");
    assert_eq!(rows[3]["paidStatus"], "Failed");
    assert_eq!(rows[4]["error"], "TransactionNotFound");
    assert_eq!(rows[5]["paidStatus"], "Success");
    assert_eq!(amount(&rows[5]), Decimal::new(10000, 2));
    assert!(run.stderr.contains("6 references"), "{}", run.stderr);
    for status in [
        "Success: 2",
        "TransactionNotFound: 2",
        "Pending: 1",
        "Failed: 1",
    ] {
        assert!(run.stderr.contains(status), "{status}: {}", run.stderr);
    }
    assert!(
        !run.stderr.contains('\u{1b}'),
        "no progress bar when stderr is not a terminal"
    );
}

/// Plain `reference1[,reference2]` lines, as CSV: header, BOM in and out, formula cells.
#[test]
fn csv_output_bom_and_formula_cells() {
    let sb = Sandbox::start();
    let c = client(&sb);
    let paid = create(&c, "=REC-F-1", PaymentType::FastPay, 5000);
    simulate(&sb, &paid, "pay");
    let input = format!("\u{feff}{paid},B-2\n@SUM(A1)\n-1,+2\n");
    let run = reconcile(&sb, &["--bom"], input.as_bytes());
    run.assert_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "\u{feff}reference1,reference2,paidStatus,paidStatusTh,description,amount,feeAmount,\
         refId,paidDate,paidChannel,paymentType,error"
    );
    assert!(
        lines[1].starts_with("'=REC-F-1,B-2,Success,ชำระเงินสำเร็จ,"),
        "{}",
        lines[1]
    );
    let cells: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(
        cells[5].parse::<Decimal>().unwrap(),
        Decimal::new(5000, 2),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2], "'@SUM(A1),,,,,,,,,,,TransactionNotFound");
    assert_eq!(lines[3], "'-1,'+2,,,,,,,,,,TransactionNotFound");
    assert_eq!(lines.len(), 4);
    // Without --bom, no mark.
    let run = reconcile(&sb, &[], b"X-1\n");
    assert!(run.stdout.starts_with("reference1,"), "{}", run.stdout);
}

/// A bad line in a file is found before DGA is asked anything: exit 2, the line named.
#[test]
fn malformed_and_non_utf8_input_is_refused_naming_the_line() {
    let sb = Sandbox::start();
    let dir = std::env::temp_dir().join(format!("dgapay-reconcile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "A-1\nA-2,B\nA-3,B,C\nA-4\n").unwrap();
    let run = reconcile(&sb, &[bad.to_str().unwrap()], b"");
    run.assert_code(2);
    assert!(run.stderr.contains("line 3: 3 columns"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(sb.calls_to("status"), 0, "no status call for a bad file");

    // "ชำระ" in Windows-874 on line 2.
    let thai = dir.join("tis620.csv");
    std::fs::write(&thai, b"reference1,note\nA-1,\xAA\xD3\xC3\xD0\n").unwrap();
    let run = reconcile(&sb, &[thai.to_str().unwrap()], b"");
    run.assert_code(2);
    assert!(
        run.stderr.contains("line 2: column 2 is not UTF-8"),
        "{}",
        run.stderr
    );

    // stdin is read once: the rows before the bad line are written, then exit 2.
    let run = reconcile(&sb, &["--concurrency", "1"], b"A-1\nA-2\n,B\nA-4\n");
    run.assert_code(2);
    assert!(
        run.stderr.contains("line 3: reference1 is empty"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout.lines().count(), 3, "{}", run.stdout);
    assert_eq!(sb.calls_to("status"), 2);

    // A file that cannot be read is bad input too: 2, not "rerun for some rows" (1).
    let run = reconcile(&sb, &[dir.join("missing.csv").to_str().unwrap()], b"");
    run.assert_code(2);
    assert!(run.stderr.contains("missing.csv"), "{}", run.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A status fault in the middle of a run: that row carries the error kind, the rest are read,
/// exit 1. The input is fed in two parts so the fault lands on the sixth reference.
#[test]
fn a_status_fault_in_the_middle() {
    let sb = Sandbox::start();
    let flags = sb.flags();
    let mut args: Vec<&str> = flags.iter().map(String::as_str).collect();
    args.extend([
        "reconcile",
        "--rate",
        "0",
        "--concurrency",
        "1",
        "--format",
        "jsonl",
    ]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_dgapay"))
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for i in 1..=5 {
        writeln!(stdin, "MID-{i}").unwrap();
    }
    stdin.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while sb.calls_to("status") < 5 {
        assert!(Instant::now() < deadline, "five status calls");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Every attempt the retry policy allows for status gets a 503.
    sb.control(
        "POST",
        "faults",
        Some(json!({"endpoint": "status", "kind": "http_status", "httpStatus": 503, "count": 3})),
    );
    for i in 6..=10 {
        writeln!(stdin, "MID-{i}").unwrap();
    }
    drop(stdin);
    let run = finished(child);
    run.assert_code(1);
    let rows = jsonl(&run);
    assert_eq!(rows.len(), 10);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["reference1"], format!("MID-{}", i + 1));
        let want = if i == 5 {
            "Network"
        } else {
            "TransactionNotFound"
        };
        assert_eq!(row["error"], want, "row {}: {row}", i + 1);
    }
    assert!(
        run.stderr.contains("line 6: MID-6 : error[network]"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("error:Network: 1"), "{}", run.stderr);
    assert!(
        run.stderr.contains("(1 could not be read)"),
        "{}",
        run.stderr
    );
}

/// Runs reconcile over `n` unknown references with `--rate 0`; (peak RSS in kB from
/// /proc/<pid>/status VmHWM, rows per second).
fn run_many(sb: &Sandbox, n: usize) -> (u64, f64) {
    let dir = std::env::temp_dir().join(format!("dgapay-many-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("refs.csv");
    let mut text = String::from("reference1,reference2,note\n");
    for i in 0..n {
        text.push_str(&format!("BULK-{i:06},B,หมายเหตุ {i}\n"));
    }
    std::fs::write(&file, text).unwrap();
    let flags = sb.flags();
    let mut args: Vec<&str> = flags.iter().map(String::as_str).collect();
    args.extend(["reconcile", "--rate", "0", file.to_str().unwrap()]);
    let out_file = dir.join("out.csv");
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dgapay"))
        .args(&args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_file).unwrap())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut hwm = 0;
    let code = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path)
            && let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            hwm = hwm.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let secs = started.elapsed().as_secs_f64();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    let out = std::fs::read_to_string(&out_file).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), n + 1);
    for (i, line) in lines[1..].iter().enumerate() {
        assert!(
            line.starts_with(&format!("BULK-{i:06},B,")),
            "row {i}: {line}"
        );
    }
    assert!(
        stderr.contains(&format!("{n} references, TransactionNotFound: {n}")),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    (hwm, n as f64 / secs)
}

/// 10,000 references finish with `--rate 0`, in order, with a peak RSS within 1.5x of 1,000's
/// (the reorder window bounds memory; a file's size does not).
#[test]
fn ten_thousand_references_in_bounded_memory() {
    let sb = Sandbox::start();
    let (rss_1k, rate_1k) = run_many(&sb, 1_000);
    let (rss_10k, rate_10k) = run_many(&sb, 10_000);
    eprintln!(
        "reconcile --rate 0: 1,000 refs peak RSS {rss_1k} kB, {rate_1k:.0} rows/s; \
         10,000 refs peak RSS {rss_10k} kB, {rate_10k:.0} rows/s"
    );
    assert!(rss_1k > 0 && rss_10k > 0, "VmHWM read");
    assert!(
        rss_10k as f64 <= 1.5 * rss_1k as f64,
        "10k peak {rss_10k} kB > 1.5 x 1k peak {rss_1k} kB"
    );
}

/// A file of `n` references `PREFIX-1`.. in a directory of its own; (the directory, the file).
fn refs_file(prefix: &str, n: usize) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("dgapay-{prefix}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("refs.txt");
    let text: String = (1..=n).map(|i| format!("{prefix}-{i}\n")).collect();
    std::fs::write(&file, text).unwrap();
    (dir, file)
}

/// SIGINT or SIGTERM in the middle: no call starts after it, the calls in flight are answered,
/// every row so far is written (in input order), the count is on stderr, exit 128 + signal.
/// The signal comes once `after` calls were made, each taking `latency_ms`. With `--rate 1` and
/// calls slower than a second, the next reference waits for its turn, which comes while the run
/// waits for the calls in flight: that one is not sent.
fn interrupted(signal: &str, code: i32, rate: &str, after: usize, latency_ms: u64) {
    let sb = Sandbox::start();
    sb.control(
        "POST",
        "faults",
        Some(
            json!({"endpoint": "status", "kind": "latency", "latencyMs": latency_ms, "count": 1000}),
        ),
    );
    let (dir, file) = refs_file(&format!("SIG{signal}"), 40);
    let flags = sb.flags();
    let mut args: Vec<&str> = flags.iter().map(String::as_str).collect();
    args.extend([
        "reconcile",
        "--rate",
        rate,
        "--concurrency",
        "8",
        file.to_str().unwrap(),
    ]);
    let child = Command::new(env!("CARGO_BIN_EXE_dgapay"))
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while sb.calls_to("status") < after {
        assert!(Instant::now() < deadline, "{after} status calls");
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let run = finished(child);
    run.assert_code(code);
    let rows: Vec<&str> = run.stdout.lines().skip(1).collect();
    assert!(
        rows.len() >= after && rows.len() < 40,
        "{} rows\n{}",
        rows.len(),
        run.stderr
    );
    if rate == "1" {
        assert_eq!(
            rows.len(),
            after,
            "the reference waiting for its turn is not sent"
        );
    }
    for (i, row) in rows.iter().enumerate() {
        assert!(
            row.starts_with(&format!("SIG{signal}-{},", i + 1)),
            "row {i}: {row}"
        );
    }
    assert!(
        run.stderr.contains(&format!(
            "reconcile: interrupted after {} of 40 references",
            rows.len()
        )),
        "{}",
        run.stderr
    );
    assert_eq!(
        sb.calls_to("status"),
        rows.len(),
        "every call made has its row, and none started after the signal"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ctrl_c_writes_the_rows_answered_and_exits_130() {
    interrupted("INT", 130, "0", 4, 300);
}

#[test]
fn sigterm_writes_the_rows_answered_and_exits_143() {
    interrupted("TERM", 143, "1", 2, 1500);
}

/// Rows reach a pipe as they are answered, not when a block fills or the run ends.
#[test]
fn rows_reach_a_pipe_one_by_one() {
    let sb = Sandbox::start();
    let flags = sb.flags();
    let mut args: Vec<&str> = flags.iter().map(String::as_str).collect();
    args.extend(["reconcile", "--rate", "0"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_dgapay"))
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            if tx.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    let wait = Duration::from_secs(20);
    for i in 1..=2 {
        writeln!(stdin, "PIPED-{i}").unwrap();
        stdin.flush().unwrap();
        if i == 1 {
            // The first line tells whether the input has a header.
            let header = rx
                .recv_timeout(wait)
                .expect("the header while stdin is open");
            assert!(header.starts_with("reference1,"), "{header}");
        }
        let row = rx.recv_timeout(wait).expect("the row while stdin is open");
        assert!(row.starts_with(&format!("PIPED-{i},")), "{row}");
    }
    drop(stdin);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// A reference echoed on stderr is cut to 64 characters and its control characters escaped: a
/// huge cell or an escape sequence never reaches the terminal raw.
#[test]
fn references_on_stderr_are_cut_and_escaped() {
    let sb = Sandbox::start();
    // Every attempt the retry policy allows for status gets a 503: the row is unreadable.
    sb.control(
        "POST",
        "faults",
        Some(json!({"endpoint": "status", "kind": "http_status", "httpStatus": 503, "count": 3})),
    );
    let long = "L".repeat(200);
    let input = format!("{long},B-1\nRC-1\u{1b}[31mRED,B-1\n");
    let run = reconcile(&sb, &["--concurrency", "1"], input.as_bytes());
    assert!(
        run.stderr
            .contains(&format!("line 1: {}… B-1: error[", "L".repeat(64))),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&"L".repeat(65)), "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "{}", run.stderr);
    // The rows themselves keep the references whole.
    assert!(run.stdout.contains(&long), "{}", run.stdout);
}

/// `--json` makes reconcile write JSON lines (`--format jsonl`), one object per row with the same
/// columns; an explicit `--format csv` still wins.
#[test]
fn json_flag_writes_json_lines() {
    let sb = Sandbox::start();
    let run = reconcile(&sb, &["--json"], b"J-1,B\nJ-2\n");
    run.assert_code(0);
    let rows = jsonl(&run);
    assert_eq!(rows.len(), 2, "{}", run.stdout);
    assert_eq!(rows[0]["reference1"], "J-1");
    assert_eq!(rows[0]["reference2"], "B");
    assert_eq!(rows[1]["error"], "TransactionNotFound");
    let run = reconcile(&sb, &["--json", "--format", "csv"], b"J-1\n");
    assert!(run.stdout.starts_with("reference1,"), "{}", run.stdout);
}

/// Missing configuration is a bad command line (2); a closed stdout ends the run quietly.
#[test]
fn missing_configuration_exits_2_and_a_closed_stdout_is_quiet() {
    let run = common::dgapay_with(&["reconcile"], &[], Some(b"A-1\n"));
    run.assert_code(2);
    assert!(run.stderr.contains("consumerSecret"), "{}", run.stderr);

    let sb = Sandbox::start();
    let run = sb.run_to(
        &["reconcile", "--rate", "0"],
        Some(b"A-1\nA-2\n"),
        common::broken_pipe(),
    );
    run.assert_code(0);
    assert!(!run.stderr.contains("error["), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

/// Refused credentials: every reference still gets its row (exit 1, as for any unreadable
/// row), but stderr names the refusal once and then counts the references not sent, instead of
/// one identical line per reference.
#[test]
fn refused_credentials_are_said_once() {
    let sb = Sandbox::start();
    let (dir, file) = refs_file("REFUSED", 5);
    let args = [
        "--gateway-url",
        &sb.url,
        "--consumer-key",
        "sandbox-key",
        "--consumer-secret",
        "wrong-secret",
        "--agent-id",
        AGENT_ID,
        "reconcile",
        "--concurrency",
        "1",
        "--format",
        "jsonl",
        file.to_str().unwrap(),
    ];
    let run = dgapay_with(&args, &[], None);
    run.assert_code(1);
    let rows = jsonl(&run);
    assert_eq!(rows.len(), 5, "{}", run.stdout);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["reference1"], format!("REFUSED-{}", i + 1));
        assert_eq!(row["error"], "Auth", "row {}: {row}", i + 1);
    }
    assert_eq!(
        run.stderr.matches("error[auth]").count(),
        2,
        "the refusal once, then the summary line:\n{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("line 1: REFUSED-1 : error[auth]: authentication failed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("reconcile: 4 more references not sent: error[auth]: authentication failed"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("REFUSED-2"), "{}", run.stderr);
    assert!(!run.stderr.contains("wrong-secret"), "{}", run.stderr);
    assert!(run.stderr.contains("5 references"), "{}", run.stderr);
    assert_eq!(
        sb.calls_to("token"),
        1,
        "no reference sent after the refusal"
    );

    // A call in flight when the refusal comes is refused too: still said once, and counted
    // apart from the ones not sent. The token's answer is held so both calls are out first.
    sb.control(
        "POST",
        "faults",
        Some(json!({"endpoint": "token", "kind": "latency", "latencyMs": 300, "count": 2})),
    );
    let mut args = args.to_vec();
    args[10] = "2";
    args.extend(["--rate", "0"]);
    let run = dgapay_with(&args, &[], None);
    run.assert_code(1);
    assert_eq!(jsonl(&run).len(), 5, "{}", run.stdout);
    let said: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("error[auth]"))
        .collect();
    assert_eq!(said.len(), 2, "{}", run.stderr);
    assert!(
        said[0].starts_with("line 1: REFUSED-1 : "),
        "{}",
        run.stderr
    );
    assert!(
        said[1].starts_with(
            "reconcile: 4 more references: 1 refused too, 3 not sent: error[auth]: authentication failed"
        ),
        "{}",
        run.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
