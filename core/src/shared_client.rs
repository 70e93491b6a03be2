//! One blocking client per configuration for the whole process, for hosts whose requests are
//! short-lived but whose process is not (PHP-FPM, a CGI host, a plugin through the C ABI's
//! `dga_client_shared`): only the first request pays for a connection and a token.

use crate::runtime::PerProcess;
use crate::{Config, Error, blocking::Client};
use std::sync::Mutex;

/// Per process: a forked child builds its own list, since the parent's clients hold the
/// parent's connections and token state (leaked there, never used nor dropped).
static SHARED: PerProcess<Mutex<Vec<(Config, Client)>>> = PerProcess::new();

/// The process's client for `config` (compared after parsing, so key order and defaults spelled
/// out do not matter), made on first use and kept for the life of the process.
pub fn shared_client(config: Config) -> Result<Client, Error> {
    let shared = SHARED.get_or_try_init(|| Ok::<_, Error>(Mutex::default()))?;
    // A panic elsewhere while the lock was held leaves a list that is still whole.
    let mut clients = shared.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, client)) = clients.iter().find(|(c, _)| *c == config) {
        return Ok(client.clone());
    }
    let client = Client::new(config.clone())?;
    clients.push((config, client.clone()));
    Ok(client)
}
