//! HTTP plumbing: the listener whose connections can be reset on purpose, request routing,
//! fault injection and the request log.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::model::{self, error_code};
use crate::respond::control_error;
use crate::state::{App, Endpoint, FaultKind};
use crate::{api, control, gateway, respond};

/// Largest request body read.
const MAX_BODY: usize = 1024 * 1024;

/// The three payment bases (production, uat, test) share one state.
const PAYMENT_PREFIXES: [&str; 3] = [
    "/ws/dga/payment/",
    "/ws/dga/uat/payment/",
    "/ws/dga/dev/payment/",
];

/// What the `malformed` fault answers: the start of a create response, cut short.
const MALFORMED_BODY: &str =
    r#"{"status": 0, "errorCode": null, "message": "Success", "data": {"orderRef": ""#;

/// How long a client may take over the TLS handshake before its connection is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The listener: plain TCP, or TLS whose handshakes run in their own tasks (one slow or
/// broken client must not hold up the others) and arrive here when done. Either way its
/// connections can be aborted with a reset by a handler (the `reset` faults).
pub(crate) enum KillableListener {
    Plain(TcpListener),
    Tls {
        handshaken: tokio::sync::mpsc::Receiver<(KillableStream, SocketAddr)>,
        addr: SocketAddr,
    },
}

impl KillableListener {
    pub(crate) fn plain(listener: TcpListener) -> KillableListener {
        KillableListener::Plain(listener)
    }

    /// Starts accepting and handshaking on the current runtime.
    pub(crate) fn tls(
        listener: TcpListener,
        acceptor: tokio_rustls::TlsAcceptor,
    ) -> KillableListener {
        let addr = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let (done, handshaken) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = tokio::select! {
                    accepted = accept_tcp(&listener) => accepted,
                    // The server stopped: stop accepting (and free the port) at once.
                    () = done.closed() => return,
                };
                let acceptor = acceptor.clone();
                let done = done.clone();
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                    match handshake.await {
                        Ok(Ok(tls)) => {
                            let stream = KillableStream::new(Transport::Tls(Box::new(tls)));
                            let _ = done.send((stream, peer)).await;
                        }
                        Ok(Err(e)) => log::info!("TLS handshake with {peer} failed: {e}"),
                        Err(_) => log::info!("TLS handshake with {peer} timed out"),
                    }
                });
            }
        });
        KillableListener::Tls { handshaken, addr }
    }
}

/// Accepts the next TCP connection, riding out the errors a busy server sees.
async fn accept_tcp(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                let _ = stream.set_nodelay(true);
                return (stream, addr);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionRefused
                        | io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::ConnectionReset
                ) => {}
            Err(e) => {
                // e.g. out of file descriptors: wait for some to be closed.
                log::error!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self {
            KillableListener::Plain(listener) => {
                let (stream, addr) = accept_tcp(listener).await;
                (KillableStream::new(Transport::Plain(stream)), addr)
            }
            KillableListener::Tls { handshaken, .. } => match handshaken.recv().await {
                Some(accepted) => accepted,
                // The accept task ended (the runtime is stopping): nothing more will come.
                None => std::future::pending().await,
            },
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        match self {
            KillableListener::Plain(listener) => listener.local_addr(),
            KillableListener::Tls { addr, .. } => Ok(*addr),
        }
    }
}

pub(crate) enum Transport {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl Transport {
    fn tcp(&self) -> &TcpStream {
        match self {
            Transport::Plain(s) => s,
            Transport::Tls(s) => s.get_ref().0,
        }
    }
}

/// Forwards an I/O call to the plain or TLS stream.
macro_rules! forward {
    ($inner:expr, $s:ident => $call:expr) => {
        match $inner {
            Transport::Plain($s) => $call,
            Transport::Tls($s) => $call,
        }
    };
}

/// A connection with a kill switch. Once tripped, every read or write fails with
/// `ConnectionReset`, so hyper drops the connection; the TCP socket then closes with
/// `SO_LINGER` 0, which sends a RST instead of a FIN (and, over TLS, no close_notify).
pub(crate) struct KillableStream {
    inner: Transport,
    killed: Arc<AtomicBool>,
}

impl KillableStream {
    fn new(inner: Transport) -> KillableStream {
        KillableStream {
            inner,
            killed: Arc::new(AtomicBool::new(false)),
        }
    }

    fn check(&self) -> io::Result<()> {
        if self.killed.load(Ordering::Acquire) {
            let _ = self.inner.tcp().set_zero_linger();
            Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "connection reset by a sandbox fault",
            ))
        } else {
            Ok(())
        }
    }
}

impl Drop for KillableStream {
    fn drop(&mut self) {
        if self.killed.load(Ordering::Acquire) {
            let _ = self.inner.tcp().set_zero_linger();
        }
    }
}

impl AsyncRead for KillableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Err(e) = this.check() {
            return Poll::Ready(Err(e));
        }
        forward!(&mut this.inner, s => Pin::new(s).poll_read(cx, buf))
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Err(e) = this.check() {
            return Poll::Ready(Err(e));
        }
        forward!(&mut this.inner, s => Pin::new(s).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Err(e) = this.check() {
            return Poll::Ready(Err(e));
        }
        forward!(&mut this.inner, s => Pin::new(s).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        forward!(&self.inner, s => s.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Err(e) = this.check() {
            return Poll::Ready(Err(e));
        }
        forward!(&mut this.inner, s => Pin::new(s).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Err(e) = this.check() {
            return Poll::Ready(Err(e));
        }
        forward!(&mut this.inner, s => Pin::new(s).poll_shutdown(cx))
    }
}

/// Per-connection data handed to handlers: the connection's kill switch.
#[derive(Clone)]
pub(crate) struct Conn {
    killed: Arc<AtomicBool>,
}

impl Connected<IncomingStream<'_, KillableListener>> for Conn {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        Conn {
            killed: Arc::clone(&stream.io().killed),
        }
    }
}

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new().fallback(dispatch).with_state(app)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Token,
    Payment(Endpoint),
    PayForm,
    Pay,
    ResultPage(&'static str),
    UnknownGateway,
    /// The control API; the path after `/__sandbox`, lower-cased, slashes trimmed.
    Control(String),
    NotFound,
}

impl Route {
    /// Paths are matched case-insensitively, as IIS does.
    fn classify(path: &str) -> Route {
        let lower = path.to_ascii_lowercase();
        if lower == "/" {
            return Route::Control(String::new());
        }
        if let Some(sub) = lower.strip_prefix("/__sandbox")
            && (sub.is_empty() || sub.starts_with('/'))
        {
            return Route::Control(sub.trim_matches('/').to_string());
        }
        if lower == "/ws/auth/validate" {
            return Route::Token;
        }
        for prefix in PAYMENT_PREFIXES {
            if let Some(op) = lower.strip_prefix(prefix) {
                return match op {
                    "create" => Route::Payment(Endpoint::Create),
                    "close" => Route::Payment(Endpoint::Close),
                    "void" => Route::Payment(Endpoint::Void),
                    "status" => Route::Payment(Endpoint::Status),
                    _ => Route::NotFound,
                };
            }
        }
        match lower.strip_prefix("/ktb/") {
            Some("payform") => Route::PayForm,
            Some("pay") => Route::Pay,
            Some("result/success") => Route::ResultPage("success"),
            Some("result/fail") => Route::ResultPage("fail"),
            Some("result/cancel") => Route::ResultPage("cancel"),
            Some(_) => Route::UnknownGateway,
            None => Route::NotFound,
        }
    }

    /// How the request log names it; `None` for the control API (not logged).
    fn endpoint(&self) -> Option<Endpoint> {
        match self {
            Route::Token => Some(Endpoint::Token),
            Route::Payment(op) => Some(*op),
            Route::PayForm | Route::Pay | Route::ResultPage(_) | Route::UnknownGateway => {
                Some(Endpoint::Gateway)
            }
            Route::Control(_) => None,
            Route::NotFound => Some(Endpoint::Other),
        }
    }
}

async fn read_body(body: Body) -> Result<axum::body::Bytes, Response> {
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|e| {
        respond::envelope_error(
            StatusCode::BAD_REQUEST,
            error_code::INVALID_REQUEST,
            &format!("Invalid request: could not read the body ({e}); at most {MAX_BODY} bytes"),
        )
    })
}

/// Every request goes through here.
async fn dispatch(State(app): State<Arc<App>>, request: Request) -> Response {
    let at = model::log_time(model::now_bangkok());
    let (parts, body) = request.into_parts();
    let route = Route::classify(parts.uri.path());
    let host_refused = host_allowed(&app, &parts).err();
    let Some(endpoint) = route.endpoint() else {
        if let Some(message) = host_refused {
            return control_error(StatusCode::FORBIDDEN, &message);
        }
        return match read_body(body).await {
            Ok(body) => handle(&app, &route, &parts, &body),
            Err(response) => response,
        };
    };

    if let Some(message) = host_refused {
        app.lock().log_request(
            at,
            parts.method.to_string(),
            endpoint,
            parts.uri.path().to_string(),
            Some(403),
            None,
        );
        return control_error(StatusCode::FORBIDDEN, &message);
    }

    let fault = if endpoint.faultable() {
        app.lock().take_fault(endpoint)
    } else {
        None
    };
    let fault_name = fault.as_ref().map(FaultKind::name);
    let log = |status: Option<u16>| {
        app.lock().log_request(
            at.clone(),
            parts.method.to_string(),
            endpoint,
            parts.uri.path().to_string(),
            status,
            fault_name,
        );
    };

    match &fault {
        Some(FaultKind::HttpStatus(code)) => {
            log(Some(*code));
            return fault_status_response(*code);
        }
        Some(FaultKind::Respond(code, text)) => {
            let _ = read_body(body).await;
            log(Some(*code));
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::OK);
            return (
                status,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                text.to_string(),
            )
                .into_response();
        }
        Some(FaultKind::Reset) => {
            let _ = read_body(body).await;
            if let Some(ConnectInfo(conn)) = parts.extensions.get::<ConnectInfo<Conn>>() {
                conn.killed.store(true, Ordering::Release);
            }
            log(None);
            // Never written: the connection fails on its next write and is reset.
            return fault_status_response(503);
        }
        Some(FaultKind::TokenExpired) => {
            app.lock().expire_tokens();
        }
        _ => {}
    }

    let response = match read_body(body).await {
        Ok(body) => handle(&app, &route, &parts, &body),
        Err(response) => response,
    };
    match fault {
        Some(FaultKind::ResetAfter) => {
            // Processed above; now lose the answer.
            if let Some(ConnectInfo(conn)) = parts.extensions.get::<ConnectInfo<Conn>>() {
                conn.killed.store(true, Ordering::Release);
            }
            log(None);
            response
        }
        Some(FaultKind::Latency(ms)) => {
            log(Some(response.status().as_u16()));
            tokio::time::sleep(Duration::from_millis(ms)).await;
            response
        }
        Some(FaultKind::Malformed) => {
            log(Some(200));
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                MALFORMED_BODY,
            )
                .into_response()
        }
        _ => {
            log(Some(response.status().as_u16()));
            response
        }
    }
}

fn handle(app: &Arc<App>, route: &Route, parts: &Parts, body: &[u8]) -> Response {
    let query = parts.uri.query().unwrap_or("");
    let method = &parts.method;
    match route {
        Route::Token => api::token(app, method, &parts.headers, query),
        Route::Payment(op) => {
            let host = parts
                .headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok());
            let base = app.base_url(host);
            api::payment(app, *op, method, &parts.headers, query, body, &base)
        }
        Route::PayForm => gateway::pay_form(app, method, body),
        Route::Pay => gateway::pay(app, method, body),
        Route::ResultPage(which) => gateway::result_page(app, method, which, query),
        Route::UnknownGateway => respond::html(
            StatusCode::NOT_FOUND,
            respond::page("Not found", "<h1>404 Not found</h1>"),
        ),
        Route::Control(sub) => control::handle(app, method, &parts.headers, sub, body),
        Route::NotFound => respond::not_found(parts.uri.path()),
    }
}

/// The DNS rebinding guard: a page on another site that gets its name pointed at 127.0.0.1
/// reaches the sandbox with its own name in `Host`. Only the listening address, `localhost`
/// and `127.0.0.1` are served (any port, so that a port mapping works); when listening on
/// every interface (`0.0.0.0`, `::`) any IP address is the listening address. A name cannot
/// be rebound if it is an IP address.
fn host_allowed(app: &App, parts: &Parts) -> Result<(), String> {
    let given = match parts.headers.get(header::HOST) {
        Some(value) => value.to_str().ok(),
        None => parts.uri.authority().map(|a| a.as_str()),
    };
    let Some(given) = given else {
        return Err("the request has no usable Host header".into());
    };
    let hostname = match given.strip_prefix('[') {
        // [v6] or [v6]:port
        Some(rest) => rest.split_once(']').map(|(ip, _)| ip),
        None => Some(given.rsplit_once(':').map_or(given, |(name, _)| name)),
    }
    .unwrap_or(given);
    let ip = hostname.parse::<std::net::IpAddr>().ok();
    let ok = hostname.eq_ignore_ascii_case("localhost")
        || hostname == "127.0.0.1"
        || ip == Some(app.addr.ip())
        || (ip.is_some() && app.addr.ip().is_unspecified());
    if ok {
        Ok(())
    } else {
        let shown: String = given.chars().take(100).collect();
        Err(format!(
            "Host {shown:?} is not served (DNS rebinding guard); use {}, localhost or 127.0.0.1",
            app.addr.ip()
        ))
    }
}

fn fault_status_response(code: u16) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let body = format!(
        "<html><body><h1>{} {}</h1><p>Injected by a dga-sandbox fault.</p></body></html>",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    respond::html(status, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(Route::classify("/ws/auth/validate"), Route::Token);
        assert_eq!(
            Route::classify("/ws/dga/uat/payment/create"),
            Route::Payment(Endpoint::Create)
        );
        assert_eq!(
            Route::classify("/WS/DGA/DEV/PAYMENT/Status"),
            Route::Payment(Endpoint::Status)
        );
        assert_eq!(Route::classify("/ws/dga/payment/refund"), Route::NotFound);
        assert_eq!(Route::classify("/ktb/payForm"), Route::PayForm);
        assert_eq!(Route::classify("/__sandbox"), Route::Control(String::new()));
        assert_eq!(
            Route::classify("/__sandbox/faults/"),
            Route::Control("faults".into())
        );
        assert_eq!(Route::classify("/__sandboxes"), Route::NotFound);
        assert_eq!(Route::classify("/"), Route::Control(String::new()));
        assert_eq!(Route::classify("/favicon.ico"), Route::NotFound);
    }
}
