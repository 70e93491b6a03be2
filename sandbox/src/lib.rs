//! A local emulator of DGA's e-Payment service and Krungthai Bank's hosted gateway page.
//!
//! Agencies and the SDK's tests run a whole payment flow on loopback with it: token, create,
//! the gateway page (pay, fail, cancel), the callback to the agency, status, close and void,
//! plus a control API to simulate outcomes, inject faults and read what happened.
//! See `README.md` beside this crate for the HTTP surface.
//!
//! ```no_run
//! let sandbox = dga_sandbox::start(dga_sandbox::SandboxConfig {
//!     port: 0,
//!     ..Default::default()
//! })?;
//! println!("DGA sandbox at {}", sandbox.url());
//! sandbox.shutdown();
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The sandbox is deliberately independent of the `dga-epayment` client crate, so that it is
//! a second reading of the guide against which the client is tested.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

mod api;
mod callback;
mod control;
mod gateway;
mod model;
mod respond;
mod server;
mod state;

/// How long a stopping sandbox waits for requests in flight before it drops them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Everything the sandbox can be told at start; the control API can change it at run time
/// (`POST /__sandbox/config`) and `POST /__sandbox/reset` restores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    /// Address to listen on, e.g. `"127.0.0.1"`.
    pub host: String,
    /// Port to listen on; 0 picks a free port.
    pub port: u16,
    /// The `Consumer-Key` header the token and payment endpoints accept.
    pub consumer_key: String,
    /// The `ConsumerSecret` the token endpoint accepts.
    pub consumer_secret: String,
    /// `source` codes create accepts.
    pub sources: Vec<String>,
    /// Where payment callbacks are POSTed; `None` delivers none.
    pub callback_url: Option<String>,
    /// How long a token lives; `None` = forever.
    pub token_ttl: Option<Duration>,
    /// Callback delivery attempts before giving up (at least 1).
    pub callback_max_attempts: u32,
    /// Wait between two delivery attempts.
    pub callback_retry_delay: Duration,
    /// Where the gateway page sends the browser after a payment; `None` = the sandbox's own
    /// result page `/ktb/result/success`.
    pub success_url: Option<String>,
    /// As `success_url`, after a failed payment (`/ktb/result/fail`).
    pub fail_url: Option<String>,
    /// As `success_url`, after a cancelled payment (`/ktb/result/cancel`).
    pub cancel_url: Option<String>,
}

/// The port `dga-sandbox` listens on by default.
pub const DEFAULT_PORT: u16 = 8580;

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            host: "127.0.0.1".into(),
            port: DEFAULT_PORT,
            consumer_key: "sandbox-key".into(),
            consumer_secret: "sandbox-secret".into(),
            sources: vec!["DGA".into(), "SANDBOX".into()],
            callback_url: None,
            token_ttl: None,
            callback_max_attempts: 5,
            callback_retry_delay: Duration::from_secs(1),
            success_url: None,
            fail_url: None,
            cancel_url: None,
        }
    }
}

/// A running sandbox. Dropping it (or [`Sandbox::shutdown`]) stops the server and waits for
/// its thread.
pub struct Sandbox {
    addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("addr", &self.addr).finish()
    }
}

/// Connections the kernel may queue before the server accepts them. std's 128 overflows when
/// a test opens hundreds of connections at once (the dropped ones retry only after 1 s); the
/// kernel caps it at `net.core.somaxconn`.
const LISTEN_BACKLOG: i32 = 1024;

/// Binds a listening socket like `std::net::TcpListener::bind`, with a deeper accept queue.
fn listen(host: &str, port: u16) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    use std::net::ToSocketAddrs;
    let mut last = None;
    for addr in (host, port).to_socket_addrs()? {
        let bound = Socket::new(Domain::for_address(addr), Type::STREAM, None).and_then(|s| {
            // As std does on Unix: a restarted sandbox can take its port back at once.
            #[cfg(unix)]
            s.set_reuse_address(true)?;
            s.bind(&addr.into())?;
            s.listen(LISTEN_BACKLOG)?;
            Ok(s)
        });
        match bound {
            Ok(s) => return Ok(s.into()),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the host resolves to no address",
        )
    }))
}

/// Starts a sandbox. The listener is bound before this returns (so the port is known and a
/// bind error is returned here); the server runs on its own thread with its own tokio
/// runtime, so this is callable from plain synchronous code.
pub fn start(config: SandboxConfig) -> io::Result<Sandbox> {
    let std_listener = listen(&config.host, config.port).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot listen on {}:{}: {e}", config.host, config.port),
        )
    })?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let http = reqwest::Client::builder()
        // The sandbox talks to agency callback URLs directly, never through a proxy from the
        // environment (a loopback callback through a corporate proxy would fail).
        .no_proxy()
        .build()
        .map_err(io::Error::other)?;
    let app = Arc::new(state::App::new(config, addr, http));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let (ready_tx, ready) = std::sync::mpsc::channel::<io::Result<()>>();

    // The runtime is built, used and dropped on the sandbox's own thread only, so `start` and
    // `Drop` are safe to call from anywhere, async code included.
    let thread = std::thread::Builder::new()
        .name("dga-sandbox".into())
        .spawn(move || {
            let setup = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("dga-sandbox-worker")
                .build()
                .and_then(|runtime| {
                    let listener = {
                        let _guard = runtime.enter();
                        tokio::net::TcpListener::from_std(std_listener)?
                    };
                    Ok((runtime, listener))
                });
            let (runtime, listener) = match setup {
                Ok(ready) => ready,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            let _ = ready_tx.send(Ok(()));
            runtime.block_on(serve(app, listener, stopped));
            runtime.shutdown_timeout(Duration::from_secs(1));
        })?;
    match ready.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            let _ = thread.join();
            return Err(e);
        }
        Err(_) => {
            let _ = thread.join();
            return Err(io::Error::other(
                "the sandbox thread stopped while starting",
            ));
        }
    }
    Ok(Sandbox {
        addr,
        stop,
        thread: Some(thread),
    })
}

async fn serve(
    app: Arc<state::App>,
    listener: tokio::net::TcpListener,
    stopped: tokio::sync::watch::Receiver<bool>,
) {
    let wait_stop = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        // An error means the handle is gone: stop as well.
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let service = server::router(app).into_make_service_with_connect_info::<server::Conn>();
    let graceful = axum::serve(server::KillableListener(listener), service)
        .with_graceful_shutdown(wait_stop(stopped.clone()));
    let deadline = async {
        wait_stop(stopped).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = std::future::IntoFuture::into_future(graceful) => {
            if let Err(e) = result {
                log::error!("sandbox server stopped: {e}");
            }
        }
        () = deadline => log::warn!("sandbox stopped with requests still in flight"),
    }
}

/// `http://ip:port` for an address, with loopback in place of an unspecified address.
pub(crate) fn loopback_url(addr: SocketAddr) -> String {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("http://{addr}")
}

impl Sandbox {
    /// The address the sandbox listens on (the real port when 0 was asked).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash (a loopback address when the sandbox
    /// listens on every interface).
    pub fn url(&self) -> String {
        loopback_url(self.addr)
    }

    /// Stops the server gracefully (requests in flight get a few seconds to finish) and waits
    /// for its thread.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// The command line of `dga-sandbox` and `dgapay sandbox`.
#[derive(clap::Args, Debug, Clone)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free port).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Where to POST payment callbacks (the agency's callback URL).
    #[arg(long, value_name = "URL", value_parser = parse_http_url)]
    pub callback_url: Option<String>,
    /// Token lifetime in seconds (default: tokens never expire).
    #[arg(long, value_name = "SECONDS")]
    pub token_ttl: Option<u64>,
}

fn parse_http_url(text: &str) -> Result<String, String> {
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(text.to_string()),
        Ok(_) => Err("the URL must start with http:// or https://".into()),
        Err(e) => Err(format!("not a URL: {e}")),
    }
}

impl SandboxArgs {
    /// The configuration these flags describe (everything else at its default).
    pub fn to_config(&self) -> SandboxConfig {
        SandboxConfig {
            host: self.host.clone(),
            port: self.port,
            callback_url: self.callback_url.clone(),
            token_ttl: self.token_ttl.map(Duration::from_secs),
            ..SandboxConfig::default()
        }
    }
}

/// Runs a sandbox until Ctrl-C or SIGTERM. The first line on stdout is exactly
/// `listening on http://HOST:PORT` (the real port when 0 was asked), so that a test in any
/// language can start the binary and read where it is; the defaults a newcomer needs follow.
pub fn run_foreground(config: SandboxConfig) -> io::Result<()> {
    let sandbox = start(config.clone())?;
    let url = sandbox.url();
    {
        let mut out = io::stdout().lock();
        // Write errors (stdout closed by a parent that read the first line) are ignored: the
        // sandbox keeps serving.
        let _ = writeln!(out, "listening on {url}");
        let _ = out.flush();
        let _ = out.write_all(banner(&config, &url).as_bytes());
        let _ = out.flush();
    }
    wait_for_stop_signal()?;
    eprintln!("dga-sandbox: stopping");
    sandbox.shutdown();
    Ok(())
}

fn banner(config: &SandboxConfig, url: &str) -> String {
    let ttl = match config.token_ttl {
        Some(ttl) => format!("{} s", ttl.as_secs_f64()),
        None => "never expire".into(),
    };
    let callback = config
        .callback_url
        .as_deref()
        .unwrap_or("(none: set --callback-url or POST /__sandbox/config)");
    format!(
        "
DGA e-Payment sandbox {version}: a local emulator of DGA and the KTB gateway. No real money moves.
  Consumer-Key     {key}
  ConsumerSecret   {secret}
  AgentID          any 13 digits, e.g. 1234567890121
  Sources          {sources}
  Token URL        {url}/ws/auth/validate
  Payment base     {url}/ws/dga/payment/ (production)
                   {url}/ws/dga/uat/payment/ (uat)
                   {url}/ws/dga/dev/payment/ (test)
  Gateway page     {url}/ktb/payForm
  Callback URL     {callback}
  Tokens           {ttl}
  Control API      {url}/__sandbox/ (reset, config, simulate, faults, requests, callbacks)
  Transactions     {url}/ (JSON: {url}/__sandbox/transactions)
Press Ctrl-C to stop.
",
        version = env!("CARGO_PKG_VERSION"),
        key = config.consumer_key,
        secret = config.consumer_secret,
        sources = config.sources.join(", "),
    )
}

fn wait_for_stop_signal() -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut term = signal(SignalKind::terminate())?;
            tokio::select! {
                result = tokio::signal::ctrl_c() => result,
                _ = term.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await
        }
    })
}
