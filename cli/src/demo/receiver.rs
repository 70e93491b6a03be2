//! The demo's agency: a small web server that takes DGA's callback the way an agency should.
//!
//! It parses the raw body, confirms it with DGA's own status (callbacks are unsigned), answers
//! `result: true` only for a confirmed callback (`false` makes DGA send it again), and hands
//! the outcome to the demo. It also serves the pages the citizen's browser is sent back to.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use dga_epayment::{CallbackReply, PaymentStatus, blocking::Client};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use tokio::sync::oneshot;

/// Where DGA posts callbacks, on the receiver.
pub const CALLBACK_PATH: &str = "/dga/callback";

/// One callback as the agency handled it.
#[derive(Debug)]
pub struct Delivery {
    /// DGA's confirmed status, or why the callback was not accepted.
    pub verified: Result<PaymentStatus, String>,
    /// What the agency answered.
    pub ack: String,
}

/// The running receiver; dropping it stops the server.
pub struct Receiver {
    base: String,
    stop: Option<oneshot::Sender<()>>,
}

impl Receiver {
    /// `http://127.0.0.1:PORT`
    pub fn base(&self) -> &str {
        &self.base
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

struct Agency {
    client: Client,
    deliveries: Sender<Delivery>,
}

/// Serves on `listener` (already bound, so its address can be registered before the server
/// runs) on a thread of its own with its own runtime.
pub fn start(
    listener: TcpListener,
    client: Client,
    deliveries: Sender<Delivery>,
) -> std::io::Result<Receiver> {
    let base = format!("http://{}", listener.local_addr()?);
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let app = Router::new()
        .route(CALLBACK_PATH, post(callback))
        .route("/payment/{outcome}", get(returned))
        .with_state(Arc::new(Agency { client, deliveries }));
    let (stop, stopped) = oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("demo-agency".into())
        .spawn(move || {
            runtime.block_on(async move {
                let served = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => {
                        axum::serve(l, app)
                            .with_graceful_shutdown(async {
                                let _ = stopped.await;
                            })
                            .await
                    }
                    Err(e) => Err(e),
                };
                if let Err(e) = served {
                    log::error!("demo callback receiver stopped: {e}");
                }
            })
        })?;
    Ok(Receiver {
        base,
        stop: Some(stop),
    })
}

async fn callback(State(agency): State<Arc<Agency>>, body: Bytes) -> impl IntoResponse {
    // receive_callback asks DGA with the blocking client: keep it off the runtime.
    let client = agency.client.clone();
    let received = tokio::task::spawn_blocking(move || client.receive_callback(&body, true)).await;
    let (verified, reply) = match received {
        Ok(Ok(status)) => (Ok(status), CallbackReply::accepted("Success")),
        Ok(Err(e)) => (Err(e.to_string()), CallbackReply::for_error(&e)),
        Err(e) => (
            Err(format!("verification did not finish: {e}")),
            CallbackReply::handler_failed(),
        ),
    };
    let _ = agency.deliveries.send(Delivery {
        verified,
        ack: reply.body.clone(),
    });
    (
        StatusCode::from_u16(reply.http_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, CallbackReply::CONTENT_TYPE)],
        reply.body,
    )
}

/// The agency's success / fail / cancel page.
async fn returned(Path(outcome): Path<String>) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html lang=\"th\"><meta charset=\"utf-8\"><title>dgapay demo</title>\
         <p>Payment {}</p></html>",
        html_escape::encode_text(&outcome)
    ))
}
