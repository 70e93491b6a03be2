//! `dgapay sandbox`: the emulator in the foreground, announcing where it listens.

mod common;

use common::{dgapay_with, sandbox_flags};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Stops the child process however the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sandbox_announces_its_address_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dgapay"))
        .args(["sandbox", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dgapay sandbox runs");
    let stdout = child.stdout.take().unwrap();
    let _running = Running(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the sandbox prints its address within 10 s");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line is {line:?}"));
    let mut args = vec!["token".to_owned()];
    args.extend(sandbox_flags(url));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = dgapay_with(&args, &[], None);
    run.assert_code(0);
    assert!(run.stdout.starts_with("token:"), "{}", run.stdout);
}
