//! Throughput of `status` against the embedded sandbox, with baselines measured in the same
//! run: the same GET sent with a bare reqwest client (token fetched once, no retry machinery),
//! reading the body only ("bare"), and also parsing it as JSON ("bare+json", what a
//! hand-written client does with the answer; the ratio is against this one). Blocking `Client`
//! against `reqwest::blocking` on 1, 8 and 32 threads, then the async `Client` against an async
//! `reqwest::Client` with 1, 8 and 64 calls in flight. The ratio is the SDK's overhead;
//! absolute numbers depend on the machine. With ROUNDS, each row is measured that many times,
//! the baseline and the SDK alternating (a loaded machine's drift hits both alike); the row
//! shows the median of each column and of the rounds' ratios, and the ratios' range.
//!
//! cargo run --release -p dga-epayment --example bench_status [-- SECONDS_PER_RUN [ROUNDS]]

use dga_epayment::{Config, CreatePayment, PaymentType, blocking::Client};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Calls per second, and the process's CPU time per call in microseconds (the sandbox's
/// included: the same for every client, and steadier than a rate on a busy machine).
#[derive(Clone, Copy)]
struct Measured {
    rate: f64,
    cpu_us: f64,
}

fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn measured(done: u64, started: Instant, cpu: Duration) -> Measured {
    Measured {
        rate: done as f64 / started.elapsed().as_secs_f64(),
        cpu_us: (cpu_time() - cpu).as_secs_f64() * 1e6 / done.max(1) as f64,
    }
}

fn run(threads: usize, secs: f64, call: Arc<dyn Fn() + Send + Sync>) -> Measured {
    let cpu = cpu_time();
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (stop, done, call) = (stop.clone(), done.clone(), call.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    call();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    measured(done.load(Ordering::Relaxed), started, cpu)
}

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let rounds: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1);
    let sb = dga_sandbox::start(dga_sandbox::SandboxConfig {
        port: 0,
        ..Default::default()
    })
    .unwrap();
    let config = Config::builder()
        .consumer_key("sandbox-key")
        .consumer_secret("sandbox-secret")
        .agent_id("1234567890121")
        .gateway_url(sb.url())
        .source("SANDBOX")
        .build()
        .unwrap();
    let client = Client::new(config.clone()).unwrap();
    let p = client
        .create_payment(&CreatePayment {
            customer_id: "1234567890121".into(),
            customer_title_name: "นาย".into(),
            customer_first_name: "ทดสอบ".into(),
            customer_last_name: "ระบบ".into(),
            payment_type: Some(PaymentType::FastPay),
            amount: Some("100.00".parse().unwrap()),
            request_reference1: "BENCH-1".into(),
            ..Default::default()
        })
        .unwrap();
    let token = client.token().unwrap().expose().to_owned();
    let url = format!(
        "{}?reference1={}&reference2=",
        config.endpoint_url(dga_epayment::Endpoint::Status),
        p.reference1
    );
    let raw = reqwest::blocking::Client::new();
    println!("status calls per second against the sandbox ({secs} s per run, {rounds} rounds)");
    println!(
        "{:>9} {:>12} {:>12} {:>12} {:>8} {:>12} {:>6}",
        "threads", "bare", "bare+json", "Client", "ratio", "range", "cpu"
    );
    for threads in [1, 8, 32] {
        let bare = |parse: bool| {
            let (raw, url, token) = (raw.clone(), url.clone(), token.clone());
            run(
                threads,
                secs,
                Arc::new(move || {
                    let r = raw
                        .get(&url)
                        .header("Consumer-Key", "sandbox-key")
                        .header("Token", &token)
                        .send()
                        .unwrap();
                    assert!(r.status().is_success());
                    let body = r.bytes().unwrap();
                    if parse {
                        std::hint::black_box(serde_json::from_slice::<Value>(&body).unwrap());
                    }
                }),
            )
        };
        let (c, r1, r2) = (client.clone(), p.reference1.clone(), p.reference2.clone());
        let sdk = || {
            let (c, r1, r2) = (c.clone(), r1.clone(), r2.clone());
            run(
                threads,
                secs,
                Arc::new(move || {
                    c.status(&r1, &r2).unwrap();
                }),
            )
        };
        report(threads, rounds, || (bare(false), bare(true)), sdk);
    }

    // The async client, awaited from a runtime of the caller's own (as an agency's server has).
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let raw = reqwest::Client::new();
    let client = client.as_async().clone();
    println!(
        "{:>9} {:>12} {:>12} {:>12} {:>8} {:>12} {:>6}",
        "in flight", "bare", "bare+json", "Client", "ratio", "range", "cpu"
    );
    for in_flight in [1usize, 8, 64] {
        let bare = |parse: bool| {
            let (raw, url, token) = (raw.clone(), url.clone(), token.clone());
            rt.block_on(run_async(in_flight, secs, move || {
                let (raw, url, token) = (raw.clone(), url.clone(), token.clone());
                async move {
                    let r = raw
                        .get(&url)
                        .header("Consumer-Key", "sandbox-key")
                        .header("Token", &token)
                        .send()
                        .await
                        .unwrap();
                    assert!(r.status().is_success());
                    let body = r.bytes().await.unwrap();
                    if parse {
                        std::hint::black_box(serde_json::from_slice::<Value>(&body).unwrap());
                    }
                }
            }))
        };
        let (c, r1, r2) = (client.clone(), p.reference1.clone(), p.reference2.clone());
        let sdk = || {
            let (c, r1, r2) = (c.clone(), r1.clone(), r2.clone());
            rt.block_on(run_async(in_flight, secs, move || {
                let (c, r1, r2) = (c.clone(), r1.clone(), r2.clone());
                async move {
                    c.status(&r1, &r2).await.unwrap();
                }
            }))
        };
        report(in_flight, rounds, || (bare(false), bare(true)), sdk);
    }
}

/// One row: `rounds` measurements, the baselines and the SDK alternating which goes first.
/// "ratio" is the median of the rounds' rate ratios (SDK / bare+json), "range" their spread;
/// "cpu" is bare+json's CPU time per call over the SDK's (above 1: the SDK spends less).
fn report(
    concurrency: usize,
    rounds: usize,
    mut baselines: impl FnMut() -> (Measured, Measured),
    mut sdk: impl FnMut() -> Measured,
) {
    let (mut plain, mut base, mut sdks, mut ratios, mut cpu) =
        (vec![], vec![], vec![], vec![], vec![]);
    for round in 0..rounds {
        let (p, b, s) = if round % 2 == 0 {
            let (p, b) = baselines();
            (p, b, sdk())
        } else {
            let s = sdk();
            let (p, b) = baselines();
            (p, b, s)
        };
        plain.push(p.rate);
        base.push(b.rate);
        sdks.push(s.rate);
        ratios.push(s.rate / b.rate);
        cpu.push(b.cpu_us / s.cpu_us);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    };
    let ratio = median(&mut ratios);
    let range = format!("{:.2}-{:.2}", ratios[0], ratios[ratios.len() - 1]);
    println!(
        "{concurrency:>9} {:>12.0} {:>12.0} {:>12.0} {ratio:>8.2} {range:>12} {:>6.2}",
        median(&mut plain),
        median(&mut base),
        median(&mut sdks),
        median(&mut cpu),
    );
}

/// Calls per second with `in_flight` tasks each making calls one after another.
async fn run_async<F, Fut>(in_flight: usize, secs: f64, call: F) -> Measured
where
    F: Fn() -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let cpu = cpu_time();
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..in_flight)
        .map(|_| {
            let (stop, done, call) = (stop.clone(), done.clone(), call.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    call().await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    measured(done.load(Ordering::Relaxed), started, cpu)
}
