//! Throughput of `status` against the embedded sandbox, with baselines measured in the same
//! run: the same GET sent with a bare reqwest client (token fetched once, no retry machinery),
//! reading the body only ("bare"), and also parsing it as JSON ("bare+json", what a
//! hand-written client does with the answer; the ratio is against this one). Blocking `Client`
//! against `reqwest::blocking` on 1, 8 and 32 threads, then the async `Client` against an async
//! `reqwest::Client` with 1, 8 and 64 calls in flight. The ratio is the SDK's overhead;
//! absolute numbers depend on the machine.
//!
//! cargo run --release -p dga-epayment --example bench_status [-- SECONDS_PER_RUN]

use dga_epayment::{Config, CreatePayment, PaymentType, blocking::Client};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn run(threads: usize, secs: f64, call: Arc<dyn Fn() + Send + Sync>) -> f64 {
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
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
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
    println!("status calls per second against the sandbox ({secs} s per run)");
    println!(
        "{:>9} {:>12} {:>12} {:>12} {:>8}",
        "threads", "bare", "bare+json", "Client", "ratio"
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
        let (plain, base) = (bare(false), bare(true));
        let (c, r1, r2) = (client.clone(), p.reference1.clone(), p.reference2.clone());
        let sdk = run(
            threads,
            secs,
            Arc::new(move || {
                c.status(&r1, &r2).unwrap();
            }),
        );
        println!(
            "{threads:>9} {plain:>12.0} {base:>12.0} {sdk:>12.0} {:>8.2}",
            sdk / base
        );
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
        "{:>9} {:>12} {:>12} {:>12} {:>8}",
        "in flight", "bare", "bare+json", "Client", "ratio"
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
        let (plain, base) = (bare(false), bare(true));
        let (c, r1, r2) = (client.clone(), p.reference1.clone(), p.reference2.clone());
        let sdk = rt.block_on(run_async(in_flight, secs, move || {
            let (c, r1, r2) = (c.clone(), r1.clone(), r2.clone());
            async move {
                c.status(&r1, &r2).await.unwrap();
            }
        }));
        println!(
            "{in_flight:>9} {plain:>12.0} {base:>12.0} {sdk:>12.0} {:>8.2}",
            sdk / base
        );
    }
}

/// Calls per second with `in_flight` tasks each making calls one after another.
async fn run_async<F, Fut>(in_flight: usize, secs: f64, call: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
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
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}
