//! Where the API commands connect: the `DGA_*` environment variables, overridden by flags.

use clap::Args;
use dga_epayment::{ConfigBuilder, blocking::Client};
use std::time::Duration;

/// Longest connect timeout (the core's default); a shorter `--timeout-ms` lowers it too.
const CONNECT_TIMEOUT_CAP: Duration = Duration::from_secs(5);

/// No `Debug`: it holds the ConsumerSecret.
#[derive(Args, Clone, Default)]
#[command(next_help_heading = "Connection (token, create, status, close, void, reconcile)")]
pub struct ConnectionArgs {
    /// Consumer-Key from DGA's registration [default: $DGA_CONSUMER_KEY]
    #[arg(long, value_name = "KEY")]
    pub consumer_key: Option<String>,

    /// ConsumerSecret from DGA's registration [default: $DGA_CONSUMER_SECRET]. Prefer the
    /// environment variable: a command line is visible to other users of the machine.
    #[arg(long, value_name = "SECRET")]
    pub consumer_secret: Option<String>,

    /// 13-digit citizen ID of the responsible officer [default: $DGA_AGENT_ID]
    #[arg(long, value_name = "ID")]
    pub agent_id: Option<String>,

    /// DGA environment: production, uat or test [default: $DGA_ENVIRONMENT, else uat]
    #[arg(long, value_name = "ENV")]
    pub environment: Option<String>,

    /// Gateway base URL in place of https://api.egov.go.th, e.g. a sandbox at
    /// http://127.0.0.1:8580 [default: $DGA_GATEWAY_URL]
    #[arg(long, value_name = "URL")]
    pub gateway_url: Option<String>,

    /// Source code DGA assigned to the agency; create uses it when the request names none
    /// [default: $DGA_SOURCE]
    #[arg(long, value_name = "SOURCE")]
    pub source: Option<String>,

    /// Timeout of each HTTP request in milliseconds, connecting included [default: 30000]
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: Option<u64>,
}

/// A command that calls DGA: its own arguments, then the connection flags, which it takes
/// after its name as well as before it (where `dgapay --help` lists them).
#[derive(Args)]
pub struct Dga<A: Args> {
    #[command(flatten)]
    pub args: A,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

impl<A: Args> Dga<A> {
    /// The connection: a flag after the command's name wins over the same flag before it.
    pub fn connection(&self, before: &ConnectionArgs) -> ConnectionArgs {
        let (after, before) = (&self.connection, before.clone());
        ConnectionArgs {
            consumer_key: after.consumer_key.clone().or(before.consumer_key),
            consumer_secret: after.consumer_secret.clone().or(before.consumer_secret),
            agent_id: after.agent_id.clone().or(before.agent_id),
            environment: after.environment.clone().or(before.environment),
            gateway_url: after.gateway_url.clone().or(before.gateway_url),
            source: after.source.clone().or(before.source),
            timeout_ms: after.timeout_ms.or(before.timeout_ms),
        }
    }
}

impl ConnectionArgs {
    /// The first flag given, as typed (`--consumer-key`).
    pub fn first_given(&self) -> Option<&'static str> {
        [
            ("--consumer-key", self.consumer_key.is_some()),
            ("--consumer-secret", self.consumer_secret.is_some()),
            ("--agent-id", self.agent_id.is_some()),
            ("--environment", self.environment.is_some()),
            ("--gateway-url", self.gateway_url.is_some()),
            ("--source", self.source.is_some()),
            ("--timeout-ms", self.timeout_ms.is_some()),
        ]
        .into_iter()
        .find_map(|(flag, given)| given.then_some(flag))
    }

    /// A client from the environment with the flags applied. No network call is made; a
    /// missing or bad setting is a `Validation` error naming each one.
    pub fn client(&self) -> dga_epayment::Result<Client> {
        let mut b = ConfigBuilder::from_env()
            .user_agent_suffix(format!("dgapay/{}", env!("CARGO_PKG_VERSION")));
        if let Some(v) = &self.consumer_key {
            b = b.consumer_key(v);
        }
        if let Some(v) = &self.consumer_secret {
            b = b.consumer_secret(v);
        }
        if let Some(v) = &self.agent_id {
            b = b.agent_id(v);
        }
        if let Some(v) = &self.environment {
            b = b.environment_name(v);
        }
        if let Some(v) = &self.gateway_url {
            b = b.gateway_url(v);
        }
        if let Some(v) = &self.source {
            b = b.source(v);
        }
        if let Some(ms) = self.timeout_ms {
            let t = Duration::from_millis(ms);
            b = b
                .request_timeout(t)
                .connect_timeout(t.min(CONNECT_TIMEOUT_CAP));
        }
        Client::new(b.build().map_err(name_the_flags)?)
    }
}

/// The core's hint says "set it in code or with DGA_…"; on the command line the way is a flag
/// (`consumerKey` → `--consumer-key`) or that variable.
fn name_the_flags(e: dga_epayment::Error) -> dga_epayment::Error {
    match e {
        dga_epayment::Error::Validation { mut errors } => {
            for fe in &mut errors {
                let flag: String = fe
                    .field
                    .chars()
                    .flat_map(|c| {
                        let dash = c.is_ascii_uppercase().then_some('-');
                        dash.into_iter()
                            .chain(std::iter::once(c.to_ascii_lowercase()))
                    })
                    .collect();
                fe.message = fe
                    .message
                    .replace("set it in code or with", &format!("pass --{flag} or set"));
            }
            dga_epayment::Error::Validation { errors }
        }
        other => other,
    }
}
