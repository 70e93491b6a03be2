//! Callback verification: a callback is unsigned, so it only says where to look; DGA's own
//! status decides, in one place for every binding and framework handler
//! (docs/architecture.md#the-callback-contract). Concurrent deliveries of one reference share
//! one status call, and at most `max_concurrent_verifications` run at once per client.

use crate::client::{Inner, LOG};
use crate::enums::{ErrorCode, PaidStatus};
use crate::error::{Error, Mismatch, Result, VerificationReason};
use crate::model::{Callback, PaymentStatus};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use tokio::sync::watch;

type Shared = watch::Receiver<Option<Result<PaymentStatus>>>;

/// Callback verifications in flight in one process.
#[derive(Default)]
pub(crate) struct Verifications {
    running: AtomicUsize,
    flights: Mutex<HashMap<(String, String), Shared>>,
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
            return crate::model::parse_callback(body);
        }
        let n = crate::model::read_notification(body)?;
        if !n.problems.is_empty() {
            let fields: Vec<&str> = n.problems.iter().map(|e| e.field.as_str()).collect();
            log::warn!(
                target: LOG,
                "callback for reference1={} reference2={} has unreadable fields ({}); \
                 deciding by DGA's status",
                n.ref1,
                n.ref2,
                fields.join(", ")
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
        let _permit = self.verification_permit()?;
        let refs = || format!("{ref1}/{ref2}");
        let claimed_text = || claimed.map_or_else(|| "unreadable".to_owned(), |c| c.to_string());
        let status = match self.shared_status(ref1, ref2).await {
            Err(Error::Api {
                error_code: Some(ErrorCode::TransactionNotFound),
                ..
            }) => {
                log::warn!(target: LOG, "callback for unknown payment reference1={ref1} reference2={ref2}");
                return Err(Error::Verification {
                    reason: VerificationReason::UnknownPayment,
                    mismatches: vec![Mismatch {
                        field: "ref1/ref2".into(),
                        callback: refs(),
                        dga: "no such transaction".into(),
                    }],
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
        if let Some(cb) = callback {
            log_differences(cb, &status);
        }
        Ok(status)
    }

    /// A slot for one callback verification, or a `Verification` error with reason `busy`
    /// (reply 503, DGA delivers again) when all are taken: DGA is not asked.
    fn verification_permit(&self) -> Result<Permit<'_>> {
        let max = self.config.max_concurrent_verifications;
        let running = &self.state()?.verifications.running;
        if running.fetch_add(1, Ordering::AcqRel) >= max {
            running.fetch_sub(1, Ordering::AcqRel);
            log::warn!(target: LOG, "{max} callback verifications already running: refusing one (503)");
            return Err(Error::Verification {
                reason: VerificationReason::Busy,
                mismatches: Vec::new(),
            });
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
                let result = self.status(ref1, ref2).await;
                let _ = tx.send(Some(result.clone()));
                result
            }
            Ok(mut rx) => match rx.wait_for(Option::is_some).await {
                Ok(r) => r.clone().expect("waited for Some"),
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
