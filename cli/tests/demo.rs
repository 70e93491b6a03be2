//! `dgapay demo`: the first command a newcomer runs must pass, in text and in JSON.

mod common;

use common::dgapay;

const STEPS: [&str; 9] = [
    "start", "token", "create", "checkout", "callback", "status", "void", "close", "refused",
];

#[test]
fn demo_walks_every_step() {
    let run = dgapay(&["demo"]);
    run.assert_code(0);
    let step_lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with('✓') || l.starts_with('✗'))
        .collect();
    assert_eq!(step_lines.len(), STEPS.len(), "{}", run.stdout);
    for (line, name) in step_lines.iter().zip(STEPS) {
        assert!(line.starts_with('✓'), "step {name} failed: {line}");
        assert!(line.contains(name), "{line} is not step {name}");
    }
    let out = &run.stdout;
    // Amounts, Thai text and the guide's outcomes are shown.
    for shown in [
        "1000.50 THB",
        "นายสมชาย ใจดี",
        "ชำระเงินสำเร็จ",
        "303",
        "\"result\":true",
        "Void",
        "Expired",
        "ReferenceNumberDuplicate (21)",
        "All 9 steps behaved",
    ] {
        assert!(out.contains(shown), "{shown:?} missing from:\n{out}");
    }
    assert!(!out.contains("sandbox-secret"), "{out}");
}

#[test]
fn demo_json_summary() {
    let run = dgapay(&["demo", "--json"]);
    run.assert_code(0);
    let summary = run.json();
    assert_eq!(summary["ok"], true);
    assert!(summary["failure"].is_null());
    let steps = summary["steps"].as_array().expect("steps");
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, STEPS);
    for step in steps {
        assert_eq!(step["ok"], true, "{step}");
        assert!(step["elapsedMs"].is_u64(), "{step}");
        assert!(!step["detail"].as_str().unwrap().is_empty(), "{step}");
    }
    assert_eq!(summary["notRun"], serde_json::json!([]));
}

#[test]
fn demo_in_thai() {
    let run = dgapay(&["demo", "--lang", "th"]);
    run.assert_code(0);
    let out = &run.stdout;
    let step_lines = out.lines().filter(|l| l.starts_with('✓')).count();
    assert_eq!(step_lines, STEPS.len(), "{out}");
    for shown in [
        "ชำระเงินหนึ่งรายการตั้งแต่ต้นจนจบ",
        "✓ 2 สร้างรายการ",
        "ได้รับ callback และยืนยันกับสถานะของ สพร. แล้ว: Success (ชำระเงินสำเร็จ)",
        "ทั้ง 9 ขั้นตอนเป็นไปตามคู่มือของ สพร.",
    ] {
        assert!(out.contains(shown), "{shown:?} missing from:\n{out}");
    }
    // The default stays English.
    assert!(!out.contains("behaved as DGA's guide says"), "{out}");
}
