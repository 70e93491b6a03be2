//! Running the real `dgapay` binary, and a sandbox for it to talk to.

#![allow(dead_code)] // each test file uses a part

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

pub const AGENT_ID: &str = "1234567890121";

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout as JSON (panics with the output when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit status {} instead of {code}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

/// `dgapay ARGS` with no `DGA_*` variable from the environment running the tests, `env` set,
/// and `stdin` fed in.
pub fn dgapay_with(args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Run {
    dgapay_to(args, env, stdin, Stdio::piped())
}

/// [`dgapay_with`] with stdout sent to `stdout` ([`broken_pipe`], [`dev_full`]); `Run::stdout`
/// holds what was read of it, if it was piped.
pub fn dgapay_to(args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>, stdout: Stdio) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dgapay"));
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(stdout)
        .stderr(Stdio::piped())
        .env_remove("RUST_LOG");
    for (k, _) in std::env::vars() {
        if k.starts_with("DGA_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    let mut child = cmd.spawn().expect("dgapay runs");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(input).expect("write stdin");
    }
    let out = child.wait_with_output().expect("dgapay finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

/// The write end of a pipe whose reader is gone (as after `| head -1`): a write to it fails
/// with a broken pipe, every time.
/// A spawned dgapay (stdout and stderr piped) run to its end.
pub fn finished(child: std::process::Child) -> Run {
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn broken_pipe() -> Stdio {
    let mut reader = Command::new("true")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("true runs");
    let writer = reader.stdin.take().expect("its stdin");
    reader.wait().expect("true ends");
    Stdio::from(writer)
}

/// `/dev/full`: every write fails with "no space left on device".
pub fn dev_full() -> Stdio {
    Stdio::from(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full"),
    )
}

pub fn dgapay(args: &[&str]) -> Run {
    dgapay_with(args, &[], None)
}

/// The connection flags for a sandbox at `url` with its default credentials.
pub fn sandbox_flags(url: &str) -> Vec<String> {
    [
        "--gateway-url",
        url,
        "--consumer-key",
        "sandbox-key",
        "--consumer-secret",
        "sandbox-secret",
        "--agent-id",
        AGENT_ID,
        "--source",
        "DGA",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// A sandbox on a free port, with the flags that point `dgapay` at it.
pub struct Sandbox {
    pub sandbox: dga_sandbox::Sandbox,
    pub url: String,
}

impl Sandbox {
    pub fn start() -> Sandbox {
        let sandbox = dga_sandbox::start(dga_sandbox::SandboxConfig {
            port: 0,
            ..Default::default()
        })
        .expect("sandbox starts");
        let url = sandbox.url();
        Sandbox { sandbox, url }
    }

    /// The connection flags for this sandbox (credentials and all: no environment needed).
    pub fn flags(&self) -> Vec<String> {
        sandbox_flags(&self.url)
    }

    /// `dgapay` with this sandbox's flags before `args`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, None)
    }

    pub fn run_with(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        self.run_to(args, stdin, Stdio::piped())
    }

    /// [`Sandbox::run_with`] with stdout sent to `stdout`.
    pub fn run_to(&self, args: &[&str], stdin: Option<&[u8]>, stdout: Stdio) -> Run {
        let flags = self.flags();
        let mut all: Vec<&str> = flags.iter().map(String::as_str).collect();
        all.extend_from_slice(args);
        dgapay_to(&all, &[], stdin, stdout)
    }

    /// A control API call (`/__sandbox/...`).
    pub fn control(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let http = reqwest::blocking::Client::new();
        let url = format!("{}/__sandbox/{path}", self.url);
        let request = match method {
            "GET" => http.get(url),
            "POST" => http.post(url).json(&body.unwrap_or(Value::Null)),
            other => panic!("unsupported method {other}"),
        };
        request
            .send()
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.json())
            .expect("control API answers")
    }

    /// How many calls reached the given endpoint (`create`, `status`, …).
    pub fn calls_to(&self, endpoint: &str) -> usize {
        let log = self.control("GET", "requests", None);
        log.as_array()
            .expect("request log")
            .iter()
            .filter(|r| r["endpoint"] == endpoint)
            .count()
    }
}

/// `dgapay create` with a valid payment: `reference1` (reference2 `B-2`) and `kind`.
#[allow(dead_code)] // not every test binary creates
pub fn create_flags<'a>(reference1: &'a str, kind: &'a str) -> Vec<&'a str> {
    vec![
        "create",
        "--customer-id",
        AGENT_ID,
        "--title",
        "นาง",
        "--first-name",
        "สมศรี",
        "--last-name",
        "มีสุข",
        "--payment-type",
        kind,
        "--amount",
        "1000.50",
        "--reference1",
        reference1,
        "--reference2",
        "B-2",
    ]
}
