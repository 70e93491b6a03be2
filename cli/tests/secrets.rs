//! The ConsumerSecret never appears in what `dgapay` prints, whatever fails.

mod common;

use common::{AGENT_ID, Sandbox, dgapay_with};

const SECRET: &str = "S3cr3t-ข้อมูลลับ-7f1e9c2d";

fn assert_hidden(run: &common::Run) {
    assert!(
        !run.stdout.contains(SECRET),
        "secret on stdout:\n{}",
        run.stdout
    );
    assert!(
        !run.stderr.contains(SECRET),
        "secret on stderr:\n{}",
        run.stderr
    );
}

#[test]
fn rejected_secret_is_never_printed() {
    let sb = Sandbox::start();
    let env = [
        ("DGA_CONSUMER_KEY", "sandbox-key"),
        ("DGA_CONSUMER_SECRET", SECRET),
        ("DGA_AGENT_ID", AGENT_ID),
        ("DGA_GATEWAY_URL", sb.url.as_str()),
        ("DGA_SOURCE", "DGA"),
    ];
    // The refused secret fails (1); a create missing its fields is refused before it is sent (2).
    for (args, code) in [
        (&["token"][..], 1),
        (&["-v", "token", "--reveal"][..], 1),
        (&["-v", "--json", "status", "R1"][..], 1),
        (&["--json", "create", "--amount", "1"][..], 2),
    ] {
        let run = dgapay_with(args, &env, None);
        run.assert_code(code);
        assert!(run.stderr.contains("error["), "{}", run.stderr);
        assert_hidden(&run);
    }
}

#[test]
fn secret_is_never_printed_when_unreachable() {
    let env = [
        ("DGA_CONSUMER_KEY", "k"),
        ("DGA_CONSUMER_SECRET", SECRET),
        ("DGA_AGENT_ID", AGENT_ID),
        ("DGA_GATEWAY_URL", "http://127.0.0.1:9"),
    ];
    let run = dgapay_with(
        &["-v", "--json", "--timeout-ms", "300", "status", "R1"],
        &env,
        None,
    );
    run.assert_code(1);
    assert_hidden(&run);
}
