//! Callback verification: a callback is unsigned, so it only says where to look; DGA's own
//! status decides, in one place for every binding and framework handler
//! (docs/architecture.md#the-callback-contract).
//!
//! Anyone can POST to a callback URL, and each delivery costs a status call under the
//! agency's own Consumer-Key; so the verifications are bounded
//! (docs/architecture.md#callback-floods): at most `max_concurrent_verifications` at once, at
//! most `verification_rate` status calls per second (a token bucket), concurrent deliveries of
//! one reference share one status call, and a final status DGA gave answers further deliveries
//! that claim it for `verification_reuse` — never a Pending or an error answer, never after this
//! client voided or closed that payment.

use crate::client::{Inner, LOG};
use crate::enums::{ErrorCode, PaidStatus};
use crate::error::{Error, Mismatch, Result, VerificationReason};
use crate::logs::Every;
use crate::model::{Callback, PaymentStatus};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;

type Shared = watch::Receiver<Option<Result<PaymentStatus>>>;
type Key = (String, String);

/// Callback verifications in one process.
#[derive(Default)]
pub(crate) struct Verifications {
    running: AtomicUsize,
    flights: Mutex<HashMap<Key, Shared>>,
    budget: Mutex<Option<Bucket>>,
    /// Final statuses DGA gave, by reference, and when.
    answers: Mutex<HashMap<Key, (PaymentStatus, Instant)>>,
    pub(crate) counters: Counters,
    /// A flood's WARNINGs, one a second of each kind: callbacks taken unverified, unreadable,
    /// of a payment DGA does not know, not the agency's, refused while busy.
    warn_unverified: Every,
    warn_unreadable: Every,
    warn_unknown: Every,
    warn_not_ours: Every,
    warn_busy: Every,
}

/// What a client's callback verifications cost DGA and what they refused, for monitoring a
/// flood: every counter only grows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationStats {
    /// Status requests sent to DGA to verify callbacks (retries included; token fetches not).
    pub status_calls: u64,
    /// Deliveries answered from another delivery's status call (in flight, or a final status
    /// within `verification_reuse`).
    pub reused: u64,
    /// Deliveries refused at once because the agency's `known_reference` said no.
    pub refused_unknown: u64,
    /// Deliveries refused with 503 `busy` (too many at once, or over `verification_rate`).
    pub refused_busy: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) status_calls: AtomicU64,
    reused: AtomicU64,
    refused_unknown: AtomicU64,
    refused_busy: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> VerificationStats {
        VerificationStats {
            status_calls: self.status_calls.load(Ordering::Relaxed),
            reused: self.reused.load(Ordering::Relaxed),
            refused_unknown: self.refused_unknown.load(Ordering::Relaxed),
            refused_busy: self.refused_busy.load(Ordering::Relaxed),
        }
    }
}

/// A token bucket: `rate` per second, up to twice that saved up.
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// The most calls saved up at `rate`: twice the rate.
    fn burst(rate: u32) -> u32 {
        rate.saturating_mul(2)
    }

    /// A full bucket at `now`.
    fn full(rate: u32, now: Instant) -> Bucket {
        let tokens = f64::from(Bucket::burst(rate));
        Bucket { tokens, at: now }
    }

    /// Takes one token at `now` if there is one. A `now` earlier than the last one (a caller
    /// that read the clock before waiting for the lock) refills nothing and leaves `at` where it
    /// is: moving it back would let the next caller refill the same interval twice.
    fn take(&mut self, now: Instant, rate: u32) -> bool {
        let (rate, burst) = (f64::from(rate), f64::from(Bucket::burst(rate)));
        if now > self.at {
            self.tokens = (self.tokens + (now - self.at).as_secs_f64() * rate).min(burst);
            self.at = now;
        }
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl Verifications {
    /// Takes one status call from the budget; false when it is spent (`rate` 0: no limit).
    fn spend(&self, rate: u32) -> bool {
        if rate == 0 {
            return true;
        }
        let mut b = lock(&self.budget);
        // The clock is read under the lock, so the bucket sees times in order.
        let now = Instant::now();
        b.get_or_insert_with(|| Bucket::full(rate, now))
            .take(now, rate)
    }

    /// A final status DGA gave for `key` within `window` that `claimed` matches.
    fn reusable(
        &self,
        key: &Key,
        claimed: Option<&PaidStatus>,
        window: Duration,
    ) -> Option<PaymentStatus> {
        let mut answers = lock(&self.answers);
        let (status, at) = answers.get(key)?;
        if at.elapsed() >= window {
            answers.remove(key);
            return None;
        }
        (claimed == Some(&status.paid_status)).then(|| status.clone())
    }

    fn remember(&self, key: Key, status: &PaymentStatus, window: Duration) {
        if window.is_zero() || status.paid_status == PaidStatus::Pending {
            return;
        }
        let mut answers = lock(&self.answers);
        // Bounded by the window: old entries go when the map grows.
        if answers.len() >= 4096 {
            answers.retain(|_, (_, at)| at.elapsed() < window);
        }
        answers.insert(key, (status.clone(), Instant::now()));
    }

    /// Forgets what DGA said for a payment this client is voiding or closing.
    pub(crate) fn forget(&self, reference1: &str, reference2: &str) {
        lock(&self.answers).remove(&(reference1.trim().to_owned(), reference2.trim().to_owned()));
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A verification's slot, given back on drop.
struct Permit<'a>(&'a AtomicUsize);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Ends a shared status call however the leader ends (a cancelled future included): removes
/// it from the map, so the next delivery asks DGA afresh; followers of a leader that went away
/// see the channel close.
struct Flight<'a> {
    verifications: &'a Verifications,
    key: (String, String),
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        lock(&self.verifications.flights).remove(&self.key);
    }
}

impl Inner {
    /// See [`crate::Client::receive_callback`].
    pub(crate) async fn receive_callback(&self, body: &[u8], verify: bool) -> Result<Callback> {
        if !verify {
            let callback = crate::model::parse_callback(body)?;
            // Anyone can post a callback: taken unverified, its values are the sender's.
            if let Some(skipped) = self.state()?.verifications.warn_unverified.allow() {
                log::warn!(target: LOG, "callback for reference1={} reference2={} taken without asking DGA (verify off): its values are the sender's, not DGA's; verify outside tests{skipped}", callback.ref1, callback.ref2);
            }
            return Ok(callback);
        }
        let n = crate::model::read_notification(body)?;
        // Once a second at most: a flood of forged bodies (each with other references) must not
        // cost a log line each.
        let warn = || self.state().ok()?.verifications.warn_unreadable.allow();
        if let Some(skipped) = (!n.problems.is_empty()).then(warn).flatten() {
            let fields: Vec<&str> = n.problems.iter().map(|e| e.field.as_str()).collect();
            log::warn!(
                target: LOG,
                "callback for reference1={} reference2={} has missing or unreadable fields ({}); \
                 deciding by DGA's status{}",
                n.ref1,
                n.ref2,
                fields.join(", "),
                skipped
            );
        }
        self.confirm(
            &n.ref1,
            &n.ref2,
            n.paid_status.as_ref(),
            n.callback.as_ref(),
        )
        .await
    }

    /// Decides a callback for `ref1`/`ref2` claiming `claimed` by DGA's status.
    pub(crate) async fn confirm(
        &self,
        ref1: &str,
        ref2: &str,
        claimed: Option<&PaidStatus>,
        callback: Option<&Callback>,
    ) -> Result<PaymentStatus> {
        // Not a reference DGA could have: refused before it costs a permit or a log line.
        crate::model::check_callback_references(ref1.trim(), ref2.trim())?;
        let _permit = self.verification_permit()?;
        let verifications = &self.state()?.verifications;
        let refs = || format!("{ref1}/{ref2}");
        let claimed_text = || claimed.map_or_else(|| "unreadable".to_owned(), |c| c.to_string());
        let key = (ref1.trim().to_owned(), ref2.trim().to_owned());
        let window = self.config.verification_reuse;
        if let Some(status) = verifications.reusable(&key, claimed, window) {
            verifications
                .counters
                .reused
                .fetch_add(1, Ordering::Relaxed);
            if let Some(cb) = callback {
                log_differences(cb, &status);
            }
            return Ok(status);
        }
        let status = match self.shared_status(ref1, ref2).await {
            Err(Error::Api {
                error_code: Some(ErrorCode::TransactionNotFound),
                ..
            }) => {
                if let Some(skipped) = verifications.warn_unknown.allow() {
                    log::warn!(target: LOG, "callback for unknown payment reference1={ref1} reference2={ref2}{skipped}");
                }
                return Err(Error::Verification {
                    reason: VerificationReason::UnknownPayment,
                    mismatches: vec![Mismatch {
                        field: "ref1/ref2".into(),
                        callback: refs(),
                        dga: "no such transaction".into(),
                    }],
                    dga_asked: true,
                });
            }
            other => other?,
        };
        let refuse = |reason: VerificationReason, status: &PaymentStatus| {
            log::warn!(
                target: LOG,
                "callback for reference1={ref1} reference2={ref2} claims paidStatus {} but DGA \
                 does not confirm it ({}); not accepted",
                claimed_text(),
                reason.code()
            );
            Err(Error::Verification {
                reason,
                mismatches: vec![Mismatch {
                    field: "paidStatus".into(),
                    callback: claimed_text(),
                    dga: status.paid_status.to_string(),
                }],
                dga_asked: true,
            })
        };
        if status.paid_status == PaidStatus::Pending {
            return refuse(VerificationReason::PendingAtDga, &status);
        }
        if let Some(c) = claimed
            && c.is_known()
            && *c != PaidStatus::Pending
            && *c != status.paid_status
        {
            return refuse(VerificationReason::StatusDiffers, &status);
        }
        verifications.remember(key, &status, window);
        if let Some(cb) = callback {
            log_differences(cb, &status);
        }
        Ok(status)
    }

    /// The error for a delivery the agency's `known_reference` refused: counted, logged at
    /// most once a second, DGA not asked (reply 404).
    pub(crate) fn refuse_unknown(&self, ref1: &str, ref2: &str) -> Error {
        if let Ok(state) = self.state() {
            let v = &state.verifications;
            v.counters.refused_unknown.fetch_add(1, Ordering::Relaxed);
            if let Some(skipped) = v.warn_not_ours.allow() {
                log::warn!(target: LOG, "callback for reference1={ref1} reference2={ref2}: not a payment of this agency (known_reference); refused without asking DGA{skipped}");
            }
        }
        Error::Verification {
            reason: VerificationReason::UnknownPayment,
            mismatches: vec![Mismatch {
                field: "ref1/ref2".into(),
                callback: format!("{ref1}/{ref2}"),
                dga: crate::error::NOT_ASKED.into(),
            }],
            dga_asked: false,
        }
    }

    fn busy(&self, why: &str) -> Error {
        if let Ok(state) = self.state() {
            let v = &state.verifications;
            v.counters.refused_busy.fetch_add(1, Ordering::Relaxed);
            if let Some(skipped) = v.warn_busy.allow() {
                log::warn!(target: LOG, "callback refused with 503 without asking DGA: {why}{skipped}");
            }
        }
        Error::Verification {
            reason: VerificationReason::Busy,
            mismatches: Vec::new(),
            dga_asked: false,
        }
    }

    /// A slot for one callback verification, or a `Verification` error with reason `busy`
    /// (reply 503, DGA delivers again) when all are taken: DGA is not asked.
    fn verification_permit(&self) -> Result<Permit<'_>> {
        let max = self.config.max_concurrent_verifications;
        let running = &self.state()?.verifications.running;
        if running.fetch_add(1, Ordering::AcqRel) >= max {
            running.fetch_sub(1, Ordering::AcqRel);
            return Err(self.busy(&format!(
                "{max} callback verifications already running (max_concurrent_verifications)"
            )));
        }
        Ok(Permit(running))
    }

    /// `status` for a callback's references, one call however many verifications of the same
    /// references run at once; the result is not kept after it returns.
    async fn shared_status(&self, ref1: &str, ref2: &str) -> Result<PaymentStatus> {
        let verifications = &self.state()?.verifications;
        let key = (ref1.trim().to_owned(), ref2.trim().to_owned());
        let follow = {
            let mut flights = lock(&verifications.flights);
            match flights.get(&key) {
                Some(rx) => Ok(rx.clone()),
                None => {
                    let (tx, rx) = watch::channel(None);
                    flights.insert(key.clone(), rx);
                    Err(tx)
                }
            }
        };
        match follow {
            Err(tx) => {
                let _flight = Flight { verifications, key };
                if !verifications.spend(self.config.verification_rate) {
                    let rate = self.config.verification_rate;
                    let result = Err(self.busy(&format!(
                        "over the verification budget ({rate} status calls a second, burst {})",
                        Bucket::burst(rate)
                    )));
                    let _ = tx.send(Some(result.clone()));
                    return result;
                }
                let result = self.verification_status(ref1, ref2).await;
                let _ = tx.send(Some(result.clone()));
                result
            }
            Ok(mut rx) => match rx.wait_for(Option::is_some).await {
                Ok(r) => {
                    verifications
                        .counters
                        .reused
                        .fetch_add(1, Ordering::Relaxed);
                    r.clone().expect("waited for Some")
                }
                Err(_) => Err(Error::network(
                    crate::error::Endpoint::Status,
                    "the shared status call was interrupted",
                )),
            },
        }
    }
}

/// Logs, once, where a callback that DGA's status confirms differs from it: field names and
/// the callback's values only (DGA's are what the handler gets).
fn log_differences(cb: &Callback, dga: &PaymentStatus) {
    let mut fields = Vec::new();
    if cb.amount != dga.amount {
        fields.push(format!("amount {}", cb.amount));
    }
    if cb.ref_id.is_some() && cb.ref_id != dga.ref_id {
        fields.push(format!("refId {:?}", cb.ref_id.as_deref().unwrap_or("")));
    }
    if cb.payment_type.is_some() && cb.payment_type != dga.payment_type {
        fields.push(format!(
            "paymentType {}",
            cb.payment_type
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default()
        ));
    }
    if cb.paid_date.is_some() && cb.paid_date != dga.paid_date {
        fields.push("paidDate".to_owned());
    }
    if cb.paid_status != dga.paid_status {
        fields.push(format!("paidStatus {}", cb.paid_status));
    }
    if !fields.is_empty() {
        log::warn!(
            target: LOG,
            "callback for reference1={} reference2={} differs from DGA's status in: {} (the \
             callback's values); acting on DGA's",
            cb.ref1,
            cb.ref2,
            fields.join(", ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::Bucket;
    use std::time::{Duration, Instant};

    /// Takes from a bucket at `times` (ms after `start`, in the order given), counting the
    /// tokens it gave.
    fn given(rate: u32, times: &[u64]) -> usize {
        let start = Instant::now();
        let mut b = Bucket::full(rate, start);
        let at = |ms: u64| start + Duration::from_millis(ms);
        times.iter().filter(|&&ms| b.take(at(ms), rate)).count()
    }

    #[test]
    fn a_bucket_gives_its_burst_then_its_rate() {
        // Rate 5, burst 10: ten at once, then one per 200 ms.
        let times: Vec<u64> = (0..40).map(|i| i * 25).collect(); // 1 s, 40 asks
        assert_eq!(given(5, &times), 10 + 4);
    }

    #[test]
    fn a_clock_read_late_refills_nothing_twice() {
        // Two callers read the clock at 0 and 1,000 ms; the later one takes the lock first.
        // Moving the bucket's time back to 0 would let the caller at 1,000 ms again refill
        // the second already counted: 10 + 5 + 5 tokens instead of 10 + 5 + 0.
        let mut asks = vec![0; 10]; // the burst
        asks.extend([1000; 6]); // five refilled, one refused
        asks.extend([0; 3]); // late clocks: nothing
        asks.extend([1000; 6]); // the same second again: nothing
        assert_eq!(given(5, &asks), 15);
    }
}
