//! The Rust row of scripts/bench-bindings.sh: `status` calls per second against a running
//! sandbox, on one client, either one caller (`seq`), 8 threads sharing it (`conc8`), or 64
//! calls of the async `Client` in flight on the core's runtime (`async64`, as the bindings' async
//! calls run). Prints one JSON line; exits non-zero if any call failed or was not Pending.
//!
//! cargo run --release -p dga-epayment --example bench_calls -- URL seq|conc8|async64 SECONDS

use dga_epayment::{Config, CreatePayment, PaidStatus, PaymentType, blocking::Client};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// CPU seconds of every thread of the process (the runtime's workers included).
fn cpu_time() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes the process's CPU clock into `t`.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

/// Runs `threads` callers for `secs`; returns (good calls, errors, elapsed seconds).
fn run(client: &Client, r1: &str, r2: &str, threads: usize, secs: f64) -> (u64, u64, f64) {
    let stop = AtomicBool::new(false);
    let (calls, errors) = (AtomicU64::new(0), AtomicU64::new(0));
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    match client.status(r1, r2) {
                        Ok(st) if st.paid_status == PaidStatus::Pending => {
                            calls.fetch_add(1, Ordering::Relaxed)
                        }
                        _ => errors.fetch_add(1, Ordering::Relaxed),
                    };
                }
            });
        }
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
    });
    let elapsed = started.elapsed().as_secs_f64();
    (calls.into_inner(), errors.into_inner(), elapsed)
}

/// Keeps `in_flight` status calls of the async client running for `secs`, each replaced as it
/// ends; returns (good calls, errors, elapsed seconds).
fn run_async(
    client: &dga_epayment::Client,
    r1: &str,
    r2: &str,
    in_flight: usize,
    secs: f64,
) -> (u64, u64, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
    let started = Instant::now();
    let tasks: Vec<_> = (0..in_flight)
        .map(|_| {
            let (client, stop, counts) = (client.clone(), stop.clone(), counts.clone());
            let (r1, r2) = (r1.to_owned(), r2.to_owned());
            dga_epayment::runtime::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    match client.status(&r1, &r2).await {
                        Ok(st) if st.paid_status == PaidStatus::Pending => {
                            counts.0.fetch_add(1, Ordering::Relaxed)
                        }
                        _ => counts.1.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
            .unwrap()
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    let rt = dga_epayment::runtime::handle().unwrap();
    for t in tasks {
        rt.block_on(t).unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    (
        counts.0.load(Ordering::Relaxed),
        counts.1.load(Ordering::Relaxed),
        elapsed,
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = || -> ! {
        eprintln!("usage: bench_calls URL seq|conc8|async64 SECONDS");
        std::process::exit(2)
    };
    if args.len() != 4 {
        usage()
    }
    let (url, mode) = (&args[1], args[2].as_str());
    let secs: f64 = args[3].parse().unwrap_or_else(|_| usage());
    let threads = match mode {
        "seq" => 1,
        "conc8" => 8,
        "async64" => 64,
        _ => usage(),
    };
    let config = Config::builder()
        .consumer_key("sandbox-key")
        .consumer_secret("sandbox-secret")
        .agent_id("1234567890121")
        .gateway_url(url.as_str())
        .source("SANDBOX")
        .build()
        .unwrap();
    let client = Client::new(config.clone()).unwrap();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let p = client
        .create_payment(&CreatePayment {
            customer_id: "1234567890121".into(),
            customer_title_name: "นาย".into(),
            customer_first_name: "ทดสอบ".into(),
            customer_last_name: "ระบบ".into(),
            payment_type: Some(PaymentType::FastPay),
            amount: Some("100.00".parse().unwrap()),
            request_reference1: format!("BENCH-RS-{nanos}"),
            ..Default::default()
        })
        .unwrap();
    let async_client = dga_epayment::Client::new(config.clone()).unwrap();
    let run = |secs| {
        if mode == "async64" {
            run_async(&async_client, &p.reference1, &p.reference2, threads, secs)
        } else {
            run(&client, &p.reference1, &p.reference2, threads, secs)
        }
    };
    // The warm-up's length: scripts/bench-bindings.sh gives every language the same one.
    let warmup = std::env::var("BENCH_WARMUP")
        .ok()
        .and_then(|w| w.parse().ok());
    let warm = run(warmup.unwrap_or(0.5));
    let cpu_started = cpu_time();
    let (calls, errors, elapsed) = run(secs);
    let cpu_us = (cpu_time() - cpu_started) * 1e6 / calls.max(1) as f64;
    if warm.1 + errors > 0 {
        eprintln!("rust {mode}: {} failed calls", warm.1 + errors);
        std::process::exit(1);
    }
    println!(
        r#"{{"lang":"rust","mode":"{mode}","calls":{calls},"seconds":{elapsed:.3},"calls_per_s":{:.1},"cpu_us_per_call":{cpu_us:.1}}}"#,
        calls as f64 / elapsed
    );
}
