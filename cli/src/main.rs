//! `dgapay`: the command line over the `dga-epayment` core. No protocol logic lives here:
//! every request, answer, enum and retry rule comes from the core.

mod api;
mod callback;
mod connect;
mod demo;
mod input;
mod output;
mod reconcile;

use clap::{CommandFactory, Parser, Subcommand};
use connect::Dga;
use std::path::PathBuf;
use std::process::ExitCode;

const ABOUT: &str = "DGA (สพร.) e-Payment with Krungthai Bank, from the command line";

const LONG_ABOUT: &str = "\
DGA (สพร.) e-Payment with Krungthai Bank, from the command line.

New here? Run `dgapay demo`: it starts a local sandbox and walks one payment end to end
(create, checkout, the citizen paying, the callback verified, void, close, a refused call).

token, create, status, close, void and reconcile call the configured DGA environment. They
read DGA_CONSUMER_KEY, DGA_CONSUMER_SECRET, DGA_AGENT_ID, DGA_ENVIRONMENT, DGA_GATEWAY_URL and
DGA_SOURCE (also DGA_PROXY, DGA_CA_FILE); the connection flags, before or after the command's
name, override them.";

/// The commands that take the connection flags, as an error about one names them.
const DGA_COMMANDS: &str = "token, create, status, close, void and reconcile";

const AFTER_HELP: &str = "\
Exit status: 0 success; 1 failure (the error is on stderr as `error[<kind>]: <message>`);
2 bad command line: an unknown flag, a value refused before anything is sent (an amount, an
AgentID, an empty reference), missing configuration, an input file that cannot be read;
3 outcome unknown: a create or void may have reached DGA but no answer came back, so run
`dgapay status` before trying again. A closed stdout (`| head`) ends a command quietly.";

#[derive(Parser)]
#[command(
    name = "dgapay",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP,
    propagate_version = true
)]
struct Cli {
    /// Print machine-readable JSON on stdout instead of text (errors too, besides stderr)
    #[arg(long, global = true)]
    json: bool,

    /// Log the SDK's HTTP calls, retries and token refreshes on stderr (never secrets)
    #[arg(short, long, global = true)]
    verbose: bool,

    // The connection flags given before the command's name (each DGA command takes them after
    // it too, and those win).
    #[command(flatten)]
    connection: connect::ConnectionArgs,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Walk one payment end to end against an embedded sandbox (start here)
    ///
    /// Starts the sandbox and a local callback receiver on free loopback ports, then through
    /// the SDK's public API: gets a token; creates a FastPay payment of 1000.50 THB; submits
    /// its checkout form to the gateway page and pays there as a citizen's browser would;
    /// waits for the callback and verifies it against DGA's status; voids the payment; creates
    /// a QRPayment and closes it unpaid; and shows DGA refusing a duplicate reference. Prints
    /// one line per step and exits 0 only when every step behaved as DGA's guide says.
    /// Needs no network, credentials or configuration.
    Demo {
        /// The language of the printed steps: en (English) or th (ภาษาไทย)
        #[arg(long, value_enum, default_value_t = demo::Lang::En)]
        lang: demo::Lang,
    },

    /// Run the DGA + KTB sandbox in the foreground until Ctrl-C
    ///
    /// Its first line on stdout is `listening on http://HOST:PORT` (the real port when 0 is
    /// asked; `https://` when --tls-cert and --tls-key are given). Credentials: Consumer-Key
    /// sandbox-key, ConsumerSecret sandbox-secret, any 13-digit AgentID; sources DGA and
    /// SANDBOX.
    Sandbox(dga_sandbox::SandboxArgs),

    /// Get a token from DGA (checks the credentials and the connection)
    Token(Dga<api::TokenArgs>),

    /// Create a payment transaction
    ///
    /// From a JSON request (--request) or from flags. Every missing or bad field is reported
    /// at once, before anything is sent. The result carries what the citizen's browser needs
    /// to pay at KTB (see --checkout-html and `dgapay checkout`) and the references for
    /// status, close and void.
    Create(Box<Dga<api::CreateArgs>>),

    /// Read a transaction's state from DGA
    Status(Dga<api::RefArgs>),

    /// Close an unpaid transaction (a paid one cannot be closed)
    Close(Dga<api::RefArgs>),

    /// Void a paid FastPay transaction
    Void(Dga<api::VoidArgs>),

    /// Read the status of every payment in a list, to find the callbacks that never came
    ///
    /// Input (FILE, or stdin when absent): `reference1[,reference2]` lines, or a CSV whose
    /// header names reference1 (ref1, requestReference1, or in Thai เลขที่อ้างอิง 1 and the
    /// like) and optionally reference2, separated by `,`, `;` or tab (the first on the first
    /// line); the other columns are passed through to the output after its own. A UTF-8 byte-order mark is skipped; input that is
    /// not UTF-8 (Windows-874 Thai, say) is refused naming the line. A file is checked whole
    /// before DGA is asked anything.
    ///
    /// Output on stdout, one row per reference in input order: reference1, reference2,
    /// paidStatus, paidStatusTh, description, amount, feeAmount, refId, paidDate, paidChannel,
    /// paymentType, error (TransactionNotFound for a reference DGA does not know; the error
    /// kind, e.g. Network, for one whose status could not be read), then the passed-through
    /// columns. CSV cells starting with = + - @, a tab or a CR get a leading ' so no
    /// spreadsheet runs them. With --json (or --format jsonl) one JSON object per row, the same
    /// columns. Each row is flushed as it is answered. A summary by status goes to stderr, with
    /// one line per unreadable reference (cut to 64 characters, control characters escaped); a
    /// progress bar too when stderr is a terminal.
    ///
    /// Ctrl-C or SIGTERM: no call starts after it, the calls in flight are answered, every row
    /// so far is written, and stderr says how many (a second signal stops at once).
    ///
    /// Exit status: 0 every status was read; 1 some could not be (their rows say why); 2 bad
    /// input (the line and the reason on stderr), an input file that cannot be read, or missing
    /// configuration; 130 after SIGINT, 143 after SIGTERM.
    Reconcile(Dga<reconcile::ReconcileArgs>),

    /// Tools for the callback DGA POSTs to the agency after a payment
    #[command(subcommand)]
    Callback(callback::CallbackCommand),

    /// Turn a created payment's JSON into the checkout page (HTML on stdout)
    ///
    /// The input is the payment as `dgapay create --json` prints it. The page is a form that
    /// posts the payment's hidden fields to the KTB gateway, submitted at once by script.
    Checkout {
        /// The payment JSON; stdin when absent or `-`
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

impl Command {
    /// The name of a command that does not call DGA, none for one that does.
    fn offline_name(&self) -> Option<&'static str> {
        match self {
            Command::Demo { .. } => Some("demo"),
            Command::Sandbox(_) => Some("sandbox"),
            Command::Callback(_) => Some("callback"),
            Command::Checkout { .. } => Some("checkout"),
            Command::Token(_)
            | Command::Create(_)
            | Command::Status(_)
            | Command::Close(_)
            | Command::Void(_)
            | Command::Reconcile(_) => None,
        }
    }
}

fn init_logging(verbose: bool) {
    let filters = if verbose {
        "warn,dga_epayment=debug,dga_sandbox=info"
    } else {
        "warn"
    };
    env_logger::Builder::new()
        .parse_filters(filters)
        .parse_env("RUST_LOG")
        .format_target(true)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // After a command's name clap refuses a connection flag the command does not take; before
    // it, the flag belongs to dgapay, so the command that ignores it refuses it here.
    if let (Some(command), Some(flag)) = (cli.command.offline_name(), cli.connection.first_given())
    {
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "the argument '{flag}' is not used by '{command}': only {DGA_COMMANDS} \
                     connect to DGA"
                ),
            )
            .exit();
    }
    init_logging(cli.verbose);
    let before = &cli.connection;
    let json = cli.json;
    let result = match &cli.command {
        Command::Demo { lang } => return demo::run(json, *lang),
        Command::Sandbox(args) => dga_sandbox::run_foreground(args.to_config())
            .map_err(|e| output::Failure::io("sandbox", e)),
        Command::Token(c) => api::token(&c.connection(before), &c.args, json),
        Command::Create(c) => api::create(&c.connection(before), &c.args, json),
        Command::Status(c) => api::status(&c.connection(before), &c.args, json),
        Command::Close(c) => api::close(&c.connection(before), &c.args, json),
        Command::Void(c) => api::void(&c.connection(before), &c.args, json),
        Command::Reconcile(c) => return reconcile::run(&c.connection(before), &c.args, json),
        Command::Callback(command) => callback::run(command),
        Command::Checkout { file } => callback::checkout(file.as_deref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(json),
    }
}
