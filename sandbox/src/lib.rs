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
    /// `source` codes create accepts (at least one).
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
    /// Serve HTTPS with this certificate and key instead of plain HTTP; `None` = HTTP.
    pub tls: Option<TlsPem>,
}

/// A server certificate (chain) and its private key, both PEM, for serving HTTPS.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsPem {
    /// The server certificate first, then any intermediates (PEM `CERTIFICATE` blocks).
    pub cert_pem: Vec<u8>,
    /// The private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC) PEM.
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for TlsPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a secret: never in Debug output.
        f.debug_struct("TlsPem")
            .field("cert_pem", &format_args!("{} bytes", self.cert_pem.len()))
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// A rustls server configuration from PEM, on the ring provider (the one reqwest uses here).
fn tls_acceptor(pem: &TlsPem) -> io::Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let invalid = |what: &str, e: &dyn std::fmt::Display| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("{what}: {e}"))
    };
    let certs = CertificateDer::pem_slice_iter(&pem.cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid("the TLS certificate is not valid PEM", &e))?;
    if certs.is_empty() {
        return Err(invalid(
            "the TLS certificate file",
            &"no PEM CERTIFICATE block in it",
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(&pem.key_pem)
        .map_err(|e| invalid("the TLS key is not a PEM private key", &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid("TLS setup", &e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| invalid("the TLS certificate and key do not work together", &e))?;
    // The server speaks HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
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
            tls: None,
        }
    }
}

/// A running sandbox. Dropping it (or [`Sandbox::shutdown`]) stops the server and waits for
/// its thread.
pub struct Sandbox {
    addr: SocketAddr,
    scheme: &'static str,
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
/// runtime, so this is callable from plain synchronous code. A config with no `sources` is an
/// `InvalidInput` error (every create would be refused).
pub fn start(config: SandboxConfig) -> io::Result<Sandbox> {
    if config.sources.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            control::NO_SOURCES,
        ));
    }
    let tls = config.tls.as_ref().map(tls_acceptor).transpose()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
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
        // A redirect is an answer like any other (not accepted), never followed: the sandbox
        // must not be turned into a client of whatever the agency's URL points to.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(io::Error::other)?;
    let app = Arc::new(state::App::new(config, addr, scheme, http));
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
            let listener = match tls {
                Some(acceptor) => {
                    let _guard = runtime.enter();
                    server::KillableListener::tls(listener, acceptor)
                }
                None => server::KillableListener::plain(listener),
            };
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
        scheme,
        stop,
        thread: Some(thread),
    })
}

async fn serve(
    app: Arc<state::App>,
    listener: server::KillableListener,
    stopped: tokio::sync::watch::Receiver<bool>,
) {
    let wait_stop = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        // An error means the handle is gone: stop as well.
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let service = server::router(app).into_make_service_with_connect_info::<server::Conn>();
    let graceful =
        axum::serve(listener, service).with_graceful_shutdown(wait_stop(stopped.clone()));
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

/// `http(s)://ip:port` for an address, with loopback in place of an unspecified address.
pub(crate) fn loopback_url(scheme: &str, addr: SocketAddr) -> String {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("{scheme}://{addr}")
}

impl Sandbox {
    /// The address the sandbox listens on (the real port when 0 was asked).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (`https://` when serving TLS), without a trailing slash (a
    /// loopback address when the sandbox listens on every interface).
    pub fn url(&self) -> String {
        loopback_url(self.scheme, self.addr)
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
    /// Serve HTTPS with this certificate (PEM; the server certificate first, then any
    /// intermediates). Needs --tls-key.
    #[arg(long, value_name = "FILE", value_parser = read_pem_file, requires = "tls_key")]
    pub tls_cert: Option<PemFile>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", value_parser = read_pem_file, requires = "tls_cert")]
    pub tls_key: Option<PemFile>,
}

/// A file named on the command line and its contents, read while the flags are parsed, so
/// that a missing file is a usage error naming the flag.
#[derive(Clone, PartialEq, Eq)]
pub struct PemFile {
    /// The path as given.
    pub path: std::path::PathBuf,
    /// The file's bytes.
    pub contents: Vec<u8>,
}

impl std::fmt::Debug for PemFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The contents may be a private key.
        f.debug_struct("PemFile").field("path", &self.path).finish()
    }
}

fn read_pem_file(text: &str) -> Result<PemFile, String> {
    match std::fs::read(text) {
        Ok(contents) => Ok(PemFile {
            path: text.into(),
            contents,
        }),
        Err(e) => Err(format!("cannot read {text}: {e}")),
    }
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
            tls: match (&self.tls_cert, &self.tls_key) {
                (Some(cert), Some(key)) => Some(TlsPem {
                    cert_pem: cert.contents.clone(),
                    key_pem: key.contents.clone(),
                }),
                _ => None,
            },
            ..SandboxConfig::default()
        }
    }
}

/// Whether `host` names only this machine (`127.0.0.1`, `::1`, `localhost`).
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Runs a sandbox until Ctrl-C or SIGTERM. The first line on stdout is exactly
/// `listening on http://HOST:PORT` (`https://` with TLS; the real port when 0 was asked), so
/// that a test in any language can start the binary and read where it is; the defaults a
/// newcomer needs follow. A host other than loopback gets a warning on stderr.
pub fn run_foreground(config: SandboxConfig) -> io::Result<()> {
    let stop = StopSignals::install()?;
    let sandbox = start(config.clone())?;
    if !is_loopback_host(&config.host) {
        eprintln!(
            "dga-sandbox: warning: listening on {}, not a loopback address: other machines can \
             reach the sandbox, drive its control API and read its transactions. Use --host \
             127.0.0.1 unless that is what you want.",
            config.host
        );
    }
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
    stop.wait()?;
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

/// Ctrl-C and SIGTERM, listened for from creation on: a parent that reads the first line and
/// stops the sandbox at once must get a clean exit, not the default action of the signal.
struct StopSignals {
    runtime: tokio::runtime::Runtime,
    #[cfg(unix)]
    signals: (tokio::signal::unix::Signal, tokio::signal::unix::Signal),
}

impl StopSignals {
    fn install() -> io::Result<StopSignals> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        #[cfg(unix)]
        let signals = {
            use tokio::signal::unix::{SignalKind, signal};
            let _guard = runtime.enter();
            (
                signal(SignalKind::interrupt())?,
                signal(SignalKind::terminate())?,
            )
        };
        Ok(StopSignals {
            runtime,
            #[cfg(unix)]
            signals,
        })
    }

    fn wait(self) -> io::Result<()> {
        #[cfg(unix)]
        {
            let (mut int, mut term) = self.signals;
            self.runtime.block_on(async {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            });
            Ok(())
        }
        #[cfg(not(unix))]
        {
            self.runtime.block_on(tokio::signal::ctrl_c())
        }
    }
}
