//! The sandbox's in-memory state: transactions, tokens, faults, and the two logs.
//!
//! One mutex guards it all; it is never held across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};

use crate::SandboxConfig;
use crate::model::{self, PaidStatus, PaymentType};

/// The request and callback logs keep at most this many entries (oldest dropped first; `seq`
/// keeps counting, so a gap shows that entries were dropped).
const LOG_CAP: usize = 100_000;

/// Masked card number of every sandbox FastPay payment (the guide's example).
const CARD_NO: &str = "403375******6369";

pub(crate) struct App {
    /// The address the listener is bound to.
    pub addr: SocketAddr,
    /// `"http"` or `"https"`.
    pub scheme: &'static str,
    /// The configuration given to `start`, restored by `/__sandbox/reset`.
    pub startup: SandboxConfig,
    /// Client for callback delivery.
    pub http: reqwest::Client,
    inner: Mutex<Inner>,
}

impl App {
    pub fn new(
        config: SandboxConfig,
        addr: SocketAddr,
        scheme: &'static str,
        http: reqwest::Client,
    ) -> App {
        App {
            addr,
            scheme,
            inner: Mutex::new(Inner::new(config.clone())),
            startup: config,
            http,
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the state half-updated in a way that
        // matters more than refusing all further requests would.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http(s)://host:port` as seen by clients: the bound address, or the request's `Host`
    /// header when bound to an unspecified address (0.0.0.0 / ::).
    pub fn base_url(&self, host_header: Option<&str>) -> String {
        if !self.addr.ip().is_unspecified() {
            return format!("{}://{}", self.scheme, self.addr);
        }
        let sane = |h: &&str| {
            !h.is_empty()
                && h.len() < 256
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        };
        match host_header.filter(sane) {
            Some(host) => format!("{}://{host}", self.scheme),
            None => crate::loopback_url(self.scheme, self.addr),
        }
    }
}

/// Endpoints as the request log and the fault injector name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Token,
    Create,
    Close,
    Void,
    Status,
    Gateway,
    Other,
}

impl Endpoint {
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Token => "token",
            Endpoint::Create => "create",
            Endpoint::Close => "close",
            Endpoint::Void => "void",
            Endpoint::Status => "status",
            Endpoint::Gateway => "gateway",
            Endpoint::Other => "other",
        }
    }

    /// Faults apply to the token and payment endpoints only.
    pub fn faultable(self) -> bool {
        matches!(
            self,
            Endpoint::Token
                | Endpoint::Create
                | Endpoint::Close
                | Endpoint::Void
                | Endpoint::Status
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FaultKind {
    Latency(u64),
    HttpStatus(u16),
    Reset,
    /// Processes the request (state changes happen), then resets the connection with no
    /// answer: a create that reached DGA whose answer was lost.
    ResetAfter,
    Malformed,
    TokenExpired,
    /// Answer exactly this status and body without processing: lets every language's tests
    /// feed the client any answer DGA might give (tests/vectors/responses.json).
    Respond(u16, Arc<str>),
}

impl FaultKind {
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Latency(_) => "latency",
            FaultKind::HttpStatus(_) => "http_status",
            FaultKind::Reset => "reset",
            FaultKind::ResetAfter => "reset_after",
            FaultKind::Malformed => "malformed",
            FaultKind::TokenExpired => "token_expired",
            FaultKind::Respond(..) => "respond",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Fault {
    pub id: u64,
    /// `None` matches every faultable endpoint ("any").
    pub target: Option<Endpoint>,
    pub kind: FaultKind,
    pub remaining: u32,
}

impl Fault {
    pub fn to_json(&self) -> Value {
        let (latency, status, body) = match &self.kind {
            FaultKind::Latency(ms) => (*ms, None, None),
            FaultKind::HttpStatus(code) => (0, Some(*code), None),
            FaultKind::Respond(code, body) => (0, Some(*code), Some(body.to_string())),
            _ => (0, None, None),
        };
        let mut v = json!({
            "id": self.id,
            "endpoint": self.target.map_or("any", Endpoint::name),
            "kind": self.kind.name(),
            "count": self.remaining,
            "latencyMs": latency,
            "httpStatus": status,
        });
        if let (Some(body), Some(obj)) = (body, v.as_object_mut()) {
            obj.insert("body".into(), Value::String(body));
        }
        v
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RequestEntry {
    pub seq: u64,
    pub at: String,
    pub method: String,
    pub endpoint: &'static str,
    pub path: String,
    pub http_status: Option<u16>,
    pub fault: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CallbackEntry {
    pub seq: u64,
    pub at: String,
    pub reference1: String,
    pub reference2: String,
    pub url: String,
    pub attempt: u32,
    pub http_status: Option<u16>,
    pub accepted: bool,
    pub error: Option<String>,
    pub request_body: String,
    pub response_body: Option<String>,
}

/// What create stores, validated.
pub(crate) struct NewTxn {
    pub ref1: String,
    pub ref2: String,
    pub ref3: String,
    pub customer_id: String,
    pub title: String,
    pub first: String,
    pub middle: String,
    pub last: String,
    pub source: String,
    pub payment_type: PaymentType,
    pub amount: Decimal,
    pub data: Value,
}

pub(crate) struct Txn {
    pub order_ref: String,
    pub new: NewTxn,
    pub security_key: String,
    pub success_url: String,
    pub fail_url: String,
    pub cancel_url: String,
    pub status: PaidStatus,
    /// `yyyy-MM-ddTHH:mm:ss`, "" until paid.
    pub paid_date: String,
    /// 7 digits, "" until paid.
    pub ref_id: String,
    pub card_no: Option<String>,
    pub void_date: String,
    pub created_at: String,
}

impl Txn {
    /// The status endpoint's `data`; with `numeric`, the callback body (enums as numbers).
    pub fn status_data(&self, numeric: bool) -> Value {
        let paid = !self.paid_date.is_empty();
        let (status, payment_type) = if numeric {
            (
                json!(self.status.number()),
                json!(self.new.payment_type.number()),
            )
        } else {
            (
                json!(self.status.name()),
                json!(self.new.payment_type.name()),
            )
        };
        json!({
            "paidStatus": status,
            "description": (self.status != PaidStatus::Pending).then(|| self.status.description_th()),
            "paidDate": self.paid_date,
            "paidChannel": if paid { self.new.payment_type.channel_th() } else { "" },
            "confirmPaidDate": self.paid_date,
            "refId": self.ref_id,
            "ref1": self.new.ref1,
            "ref2": self.new.ref2,
            "cardNo": self.card_no,
            "paymentType": payment_type,
            "amount": model::decimal_json(self.new.amount),
            "feeAmount": 0,
            "voidDate": self.void_date,
            "requestRefundDate": "",
        })
    }

    /// A row of `GET /__sandbox/transactions`.
    pub fn listing(&self) -> Value {
        let mut row = json!({
            "orderRef": self.order_ref,
            "source": self.new.source,
            "customerID": self.new.customer_id,
            "customerTitleName": self.new.title,
            "customerFirstName": self.new.first,
            "customerMiddleName": self.new.middle,
            "customerLastName": self.new.last,
            "requestReference3": self.new.ref3,
            "createdAt": self.created_at,
            "securityKey": self.security_key,
            "data": self.new.data,
        });
        if let (Some(row), Value::Object(status)) = (row.as_object_mut(), self.status_data(false)) {
            row.extend(status);
        }
        row
    }

    pub fn customer_name(&self) -> String {
        let n = &self.new;
        [&n.title, &n.first, &n.middle, &n.last]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Pay,
    Fail,
    Cancel,
}

impl Outcome {
    pub fn parse(text: &str) -> Option<Outcome> {
        match text.trim().to_ascii_lowercase().as_str() {
            "pay" => Some(Outcome::Pay),
            "fail" => Some(Outcome::Fail),
            "cancel" => Some(Outcome::Cancel),
            _ => None,
        }
    }
}

/// Why a payment outcome cannot be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FinishError {
    /// The agency closed the transaction (Expired): error 14.
    Closed,
    /// The transaction already has an outcome: TransactionLocked, error 22.
    Locked(PaidStatus),
}

/// A callback to deliver in the background.
pub(crate) struct CallbackJob {
    pub url: String,
    pub reference1: String,
    pub reference2: String,
    pub body: String,
    pub max_attempts: u32,
    pub retry_delay: Duration,
    /// Deliveries started before a reset stop logging and retrying after it.
    pub generation: u64,
}

pub(crate) struct Inner {
    pub config: SandboxConfig,
    pub txns: Vec<Txn>,
    by_ref1: HashMap<String, usize>,
    by_order: HashMap<String, usize>,
    /// token → issue time
    tokens: HashMap<String, Instant>,
    pub faults: Vec<Fault>,
    next_fault_id: u64,
    requests: VecDeque<RequestEntry>,
    request_seq: u64,
    callbacks: VecDeque<CallbackEntry>,
    callback_seq: u64,
    pub generation: u64,
    /// Not reset, so order references stay unique for the life of the process.
    order_seq: u32,
    ref_seq: u32,
}

impl Inner {
    fn new(config: SandboxConfig) -> Inner {
        Inner {
            config,
            txns: Vec::new(),
            by_ref1: HashMap::new(),
            by_order: HashMap::new(),
            tokens: HashMap::new(),
            faults: Vec::new(),
            next_fault_id: 1,
            requests: VecDeque::new(),
            request_seq: 0,
            callbacks: VecDeque::new(),
            callback_seq: 0,
            generation: 0,
            order_seq: fastrand::u32(..10_000),
            ref_seq: fastrand::u32(..1_000_000),
        }
    }

    /// Back to the startup state (the order sequence excepted).
    pub fn reset(&mut self, startup: &SandboxConfig) {
        let (order_seq, ref_seq, generation) = (self.order_seq, self.ref_seq, self.generation);
        *self = Inner::new(startup.clone());
        self.order_seq = order_seq;
        self.ref_seq = ref_seq;
        self.generation = generation + 1;
    }

    // ---- tokens ----

    pub fn issue_token(&mut self) -> String {
        let token = uuid::Uuid::new_v4().to_string();
        self.tokens.insert(token.clone(), Instant::now());
        token
    }

    /// A token is live while younger than the *current* token TTL.
    pub fn token_live(&mut self, token: &str) -> bool {
        let ttl = self.config.token_ttl;
        match self.tokens.get(token) {
            Some(issued) if ttl.is_none_or(|ttl| issued.elapsed() < ttl) => true,
            Some(_) => {
                self.tokens.remove(token);
                false
            }
            None => false,
        }
    }

    /// Invalidates every token; returns how many were still live.
    pub fn expire_tokens(&mut self) -> usize {
        let ttl = self.config.token_ttl;
        let live = self
            .tokens
            .values()
            .filter(|issued| ttl.is_none_or(|ttl| issued.elapsed() < ttl))
            .count();
        self.tokens.clear();
        live
    }

    // ---- transactions ----

    pub fn find(&self, ref1: &str, ref2: &str) -> Option<usize> {
        self.by_ref1
            .get(ref1)
            .copied()
            .filter(|&i| self.txns[i].new.ref2 == ref2)
    }

    pub fn ref1_taken(&self, ref1: &str) -> Option<&Txn> {
        self.by_ref1.get(ref1).map(|&i| &self.txns[i])
    }

    pub fn find_order(&self, order_ref: &str) -> Option<usize> {
        self.by_order.get(order_ref).copied()
    }

    /// Stores a new Pending transaction; `base` is the sandbox's own `http://host:port`.
    pub fn insert(&mut self, new: NewTxn, base: &str) -> &Txn {
        let now = model::now_bangkok();
        let order_ref = self.next_order_ref(now);
        let result_url = |configured: &Option<String>, page: &str| {
            configured
                .clone()
                .unwrap_or_else(|| format!("{base}/ktb/result/{page}"))
        };
        let txn = Txn {
            order_ref: order_ref.clone(),
            security_key: model::random_hex(64),
            success_url: result_url(&self.config.success_url, "success"),
            fail_url: result_url(&self.config.fail_url, "fail"),
            cancel_url: result_url(&self.config.cancel_url, "cancel"),
            status: PaidStatus::Pending,
            paid_date: String::new(),
            ref_id: String::new(),
            card_no: None,
            void_date: String::new(),
            created_at: model::guide_date(now),
            new,
        };
        let idx = self.txns.len();
        self.by_ref1.insert(txn.new.ref1.clone(), idx);
        self.by_order.insert(order_ref, idx);
        self.txns.push(txn);
        &self.txns[idx]
    }

    /// `yyyyMMddHHmmss` + a 4-digit sequence, unused so far. When all 10,000 numbers of a
    /// second are taken, the next second is used.
    fn next_order_ref(&mut self, now: DateTime<FixedOffset>) -> String {
        let mut at = now;
        loop {
            let stamp = at.format("%Y%m%d%H%M%S").to_string();
            for _ in 0..10_000 {
                self.order_seq = (self.order_seq + 1) % 10_000;
                let candidate = format!("{stamp}{:04}", self.order_seq);
                if !self.by_order.contains_key(&candidate) {
                    return candidate;
                }
            }
            at += chrono::TimeDelta::seconds(1);
        }
    }

    /// Applies a payment outcome (gateway page or simulate) to a Pending transaction, and
    /// prepares its callback when one is configured and `deliver` is set.
    pub fn finish(
        &mut self,
        idx: usize,
        outcome: Outcome,
        deliver: bool,
    ) -> Result<Option<CallbackJob>, FinishError> {
        let ref_id = format!("{}", 1_000_000 + self.ref_seq % 9_000_000);
        let txn = &mut self.txns[idx];
        match txn.status {
            PaidStatus::Pending => {}
            PaidStatus::Expired => return Err(FinishError::Closed),
            other => return Err(FinishError::Locked(other)),
        }
        match outcome {
            Outcome::Pay => {
                self.ref_seq = self.ref_seq.wrapping_add(1);
                txn.status = PaidStatus::Success;
                txn.paid_date = model::guide_date(model::now_bangkok());
                txn.ref_id = ref_id;
                if txn.new.payment_type == PaymentType::FastPay {
                    txn.card_no = Some(CARD_NO.to_string());
                }
            }
            Outcome::Fail => txn.status = PaidStatus::Failed,
            Outcome::Cancel => txn.status = PaidStatus::Rejected,
        }
        let txn = &self.txns[idx];
        Ok(match (&self.config.callback_url, deliver) {
            (Some(url), true) => Some(CallbackJob {
                url: url.clone(),
                reference1: txn.new.ref1.clone(),
                reference2: txn.new.ref2.clone(),
                body: txn.status_data(true).to_string(),
                max_attempts: self.config.callback_max_attempts.max(1),
                retry_delay: self.config.callback_retry_delay,
                generation: self.generation,
            }),
            _ => None,
        })
    }

    // ---- faults ----

    pub fn add_fault(&mut self, target: Option<Endpoint>, kind: FaultKind, count: u32) -> &Fault {
        let id = self.next_fault_id;
        self.next_fault_id += 1;
        self.faults.push(Fault {
            id,
            target,
            kind,
            remaining: count,
        });
        let last = self.faults.len() - 1;
        &self.faults[last]
    }

    /// Consumes one count of the first fault matching `endpoint`.
    pub fn take_fault(&mut self, endpoint: Endpoint) -> Option<FaultKind> {
        let i = self
            .faults
            .iter()
            .position(|f| f.target.is_none_or(|t| t == endpoint))?;
        let fault = &mut self.faults[i];
        let kind = fault.kind.clone();
        fault.remaining = fault.remaining.saturating_sub(1);
        if fault.remaining == 0 {
            self.faults.remove(i);
        }
        Some(kind)
    }

    // ---- logs ----

    pub fn log_request(
        &mut self,
        at: String,
        method: String,
        endpoint: Endpoint,
        path: String,
        http_status: Option<u16>,
        fault: Option<&'static str>,
    ) {
        self.request_seq += 1;
        push_capped(
            &mut self.requests,
            RequestEntry {
                seq: self.request_seq,
                at,
                method,
                endpoint: endpoint.name(),
                path,
                http_status,
                fault,
            },
        );
    }

    pub fn requests(&self) -> &VecDeque<RequestEntry> {
        &self.requests
    }

    /// Records a delivery attempt; `false` when a reset happened since the job started (the
    /// delivery then stops).
    pub fn log_callback(&mut self, generation: u64, entry: CallbackEntry) -> bool {
        if generation != self.generation {
            return false;
        }
        self.callback_seq += 1;
        push_capped(
            &mut self.callbacks,
            CallbackEntry {
                seq: self.callback_seq,
                ..entry
            },
        );
        true
    }

    pub fn callbacks(&self) -> &VecDeque<CallbackEntry> {
        &self.callbacks
    }
}

fn push_capped<T>(log: &mut VecDeque<T>, entry: T) {
    if log.len() >= LOG_CAP {
        log.pop_front();
    }
    log.push_back(entry);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_refs_stay_unique_past_10000_in_one_second() {
        let mut inner = Inner::new(SandboxConfig::default());
        let now = model::now_bangkok();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_050 {
            let order_ref = inner.next_order_ref(now);
            assert_eq!(order_ref.len(), 18);
            inner.by_order.insert(order_ref.clone(), 0);
            assert!(seen.insert(order_ref));
        }
    }
}
