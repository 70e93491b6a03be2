//! Where the connection flags are taken: by the commands that call DGA, before their name or
//! after it; refused by the ones that do not call DGA (sandbox, demo, callback, checkout).

mod common;

use common::{AGENT_ID, Run, Sandbox, create_flags, finished};
use serde_json::json;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Every connection flag with a value it takes.
const FLAGS: [(&str, &str); 7] = [
    ("--consumer-key", "X"),
    ("--consumer-secret", "X"),
    ("--agent-id", AGENT_ID),
    ("--environment", "uat"),
    ("--gateway-url", "http://127.0.0.1:9"),
    ("--source", "DGA"),
    ("--timeout-ms", "100"),
];

/// The commands that do not call DGA, as typed (a sandbox started would run until killed).
const OFFLINE: [&[&str]; 5] = [
    &["sandbox", "--port", "0"],
    &["demo"],
    &["callback", "parse"],
    &["callback", "ack"],
    &["checkout"],
];

/// `dgapay ARGS` with no `DGA_*` variable, killed (and the test failed) if it has not ended
/// within 20 s.
fn bounded(args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dgapay"));
    cmd.args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.starts_with("DGA_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd.spawn().expect("dgapay runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let run = finished(child);
            panic!(
                "dgapay {args:?} still running after 20 s (killed)\nstdout:\n{}\nstderr:\n{}",
                run.stdout, run.stderr
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    finished(child)
}

/// After the command's name, a connection flag is an unknown argument to clap (exit 2); before
/// it, the command refuses it by name (exit 2). Either way nothing starts.
#[test]
fn commands_that_do_not_call_dga_refuse_the_connection_flags() {
    for command in OFFLINE {
        for (flag, value) in FLAGS {
            let mut after = command.to_vec();
            after.extend([flag, value]);
            let mut before = vec![flag, value];
            before.extend_from_slice(command);
            for args in [after, before] {
                let run = bounded(&args);
                run.assert_code(2);
                assert!(
                    run.stderr.contains(&format!("'{flag}'")),
                    "{args:?}: {}",
                    run.stderr
                );
                assert!(
                    !run.stdout.contains("listening on") && !run.stdout.contains('✓'),
                    "{args:?} started: {}",
                    run.stdout
                );
            }
        }
    }
    // The refusal says which commands take the flag.
    let run = bounded(&["--consumer-key", "X", "sandbox", "--port", "0"]);
    assert!(
        run.stderr
            .contains("token, create, status, close, void and reconcile"),
        "{}",
        run.stderr
    );
}

#[test]
fn only_the_commands_that_call_dga_list_the_connection_flags() {
    for command in [
        &["sandbox"][..],
        &["demo"],
        &["callback"],
        &["callback", "parse"],
        &["callback", "ack"],
        &["checkout"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let run = bounded(&args);
        run.assert_code(0);
        for (flag, _) in FLAGS {
            assert!(!run.stdout.contains(flag), "{args:?} lists {flag}");
        }
    }
    for command in [
        &[][..],
        &["token"],
        &["create"],
        &["status"],
        &["close"],
        &["void"],
        &["reconcile"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let run = bounded(&args);
        run.assert_code(0);
        for (flag, _) in FLAGS {
            assert!(run.stdout.contains(flag), "{args:?} does not list {flag}");
        }
    }
}

/// Every command that calls DGA takes the connection flags before its name, after it and
/// after its references; after the name wins over before it.
#[test]
fn commands_that_call_dga_take_the_flags_before_and_after_their_name() {
    let sb = Sandbox::start();
    let mut flags = sb.flags();
    flags.extend(["--environment", "uat", "--timeout-ms", "10000"].map(String::from));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    // `args` with the flags inserted at `at`.
    let with_flags = |args: &[&str], at: usize| -> Run {
        let mut all = args.to_vec();
        all.splice(at..at, flags.iter().copied());
        bounded(&all)
    };

    with_flags(&["token"], 0).assert_code(0);
    with_flags(&["token"], 1).assert_code(0);
    // Some before the name, the rest after it.
    let split = [
        "--gateway-url",
        &sb.url,
        "--consumer-key",
        "sandbox-key",
        "token",
        "--consumer-secret",
        "sandbox-secret",
        "--agent-id",
        AGENT_ID,
    ];
    bounded(&split).assert_code(0);
    // The wrong gateway before the name loses to the right one after it.
    let run = with_flags(&["--gateway-url", "http://127.0.0.1:9", "token"], 3);
    run.assert_code(0);

    let create = [&create_flags("WHERE-1", "FastPay")[..], &["--json"]].concat();
    with_flags(&create, 1).assert_code(0);
    let mut second = create.clone();
    second[14] = "WHERE-2";
    with_flags(&second, create.len()).assert_code(0);

    with_flags(&["status", "WHERE-1", "B-2"], 1).assert_code(0);
    with_flags(&["status", "WHERE-1", "B-2"], 3).assert_code(0);
    with_flags(&["close", "WHERE-2", "B-2"], 3).assert_code(0);

    sb.control(
        "POST",
        "simulate",
        Some(json!({"reference1": "WHERE-1", "reference2": "B-2", "outcome": "pay", "deliverCallback": false})),
    );
    let status = with_flags(&["status", "WHERE-1", "B-2", "--json"], 4);
    status.assert_code(0);
    let ref_id = status.json()["refId"]
        .as_str()
        .unwrap_or_else(|| panic!("no refId: {}", status.stdout))
        .to_owned();
    with_flags(&["void", "WHERE-1", "B-2", &ref_id], 4).assert_code(0);

    let dir = std::env::temp_dir().join(format!("dgapay-where-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("refs.txt");
    std::fs::write(&file, "WHERE-1,B-2\nWHERE-2,B-2\n").unwrap();
    let file = file.to_str().unwrap();
    for at in [1, 2] {
        let run = with_flags(&["reconcile", file], at);
        run.assert_code(0);
        assert_eq!(run.stdout.lines().count(), 3, "{}", run.stdout);
    }
    std::fs::remove_dir_all(&dir).unwrap();

    // A flag after the name is the one used: a bad value there is refused by name.
    let run = with_flags(&["status", "WHERE-1", "--environment", "bogus"], 0);
    run.assert_code(2);
    assert!(run.stderr.contains("environment"), "{}", run.stderr);
}
