//! # dga-epayment
//!
//! The client for DGA's (สพร.) e-Payment service with Krungthai Bank: token cache with single
//! flight, the retry rules of docs/architecture.md, exact money (`rust_decimal`), lenient
//! reading of what DGA sends, strict checking of what we send, callback parsing, verification
//! and acknowledgement, and the checkout form that sends a citizen to KTB.
//!
//! The [`Client`] is async (its calls run on the SDK's own runtime, whatever runtime awaits
//! them); [`blocking::Client`] has the same methods for synchronous code.
//!
//! ```no_run
//! use dga_epayment::{Client, Config, CreatePayment, PaymentType};
//! use rust_decimal::Decimal;
//!
//! # async fn run() -> Result<(), dga_epayment::Error> {
//! let client = Client::new(
//!     Config::builder()
//!         .consumer_key("sandbox-key")
//!         .consumer_secret("sandbox-secret")
//!         .agent_id("1234567890121")
//!         .gateway_url("http://127.0.0.1:8580")
//!         .source("SANDBOX")
//!         .build()?,
//! )?;
//! let payment = client.create_payment(&CreatePayment {
//!     customer_id: "1234567890121".into(),
//!     customer_title_name: "นาย".into(),
//!     customer_first_name: "ทดสอบ".into(),
//!     customer_last_name: "ระบบ".into(),
//!     payment_type: Some(PaymentType::FastPay),
//!     amount: Some(Decimal::new(100050, 2)), // 1000.50
//!     request_reference1: "INV-0001".into(),
//!     ..Default::default()
//! }).await?;
//! let html = dga_epayment::checkout_form_html(&payment)?; // send this page to the citizen
//! let status = client.status(&payment.reference1, &payment.reference2).await?;
//! # let _ = (html, status);
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

#[cfg(feature = "mimalloc")]
pub mod alloc;
mod binding_errors;
pub mod blocking;
pub mod callback_json;
mod citizen_id;
mod client;
pub mod completions;
mod config;
mod config_json;
mod enums;
mod envelope;
mod error;
mod fields;
#[doc(hidden)]
pub mod fuzzing;
mod http;
#[cfg(target_os = "linux")]
mod inbox;
mod input_error;
mod lenient;
pub mod logs;
mod model;
pub mod panics;
pub mod reconcile;
pub mod reconcile_json;
mod reply;
mod retry;
pub mod runtime;
pub mod schema;
mod shared_client;
mod slots;
mod token;
mod verify;

pub use citizen_id::{CitizenIdCheck, check_citizen_id, validate_citizen_id};
pub use client::{Client, StatusFuture};
#[doc(hidden)]
pub use client::{Outcome as DetachedOutcome, log_unreceived};
pub use config::{
    CallRule, Config, ConfigBuilder, DEFAULT_GATEWAY_URL, DEFAULT_MAX_CONCURRENT_VERIFICATIONS,
    DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_POOL_IDLE_TIMEOUT,
    DEFAULT_TOKEN_FAILURE_COOLDOWN, DEFAULT_TOKEN_MAX_AGE, DEFAULT_VERIFICATION_RATE,
    DEFAULT_VERIFICATION_REUSE, Environment, RetryPolicy, Secret, TOKEN_PATH,
};
pub use config_json::CONFIG_KEYS;
pub use enums::{
    BankCode, ErrorCode, PaidStatus, PaymentType, ResponseStatus, enum_docs, enum_tables,
};
pub use error::{
    Endpoint, Error, ErrorKind, FieldError, Mismatch, Result, VerificationReason, error_kinds,
};
pub use fields::{EnumJson, FieldValue};
pub use lenient::{DATE_FORMAT, format_date, parse_amount, parse_date};
pub use model::{
    CALLBACK_FIELDS, Callback, Confirmation, CreatePayment, MAX_REFERENCE_CHARS, Payment,
    PaymentStatus, callback_ack, callback_references, checkout_form_html, parse_callback,
};
pub use reconcile::{read_references, status_many};
pub use reply::CallbackReply;
pub use schema::schema;
pub use shared_client::shared_client;
pub use token::Token;
pub use verify::VerificationStats;

/// The SDK's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Re-exported so callers use the same `Decimal` type.
pub use rust_decimal::Decimal;
