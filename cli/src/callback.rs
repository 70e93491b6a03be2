//! `callback parse`, `callback ack` and `checkout`: offline tools over the core's functions.

use crate::input;
use crate::output::{Failure, out, print_json};
use clap::{Args, Subcommand};
use dga_epayment::{Payment, callback_ack, checkout_form_html, parse_callback};
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum CallbackCommand {
    /// Check a callback body as DGA would POST it and print it normalized
    ///
    /// On a valid body prints the callback as the SDK reads it (camelCase keys, enum names or
    /// the raw value when unknown, amounts as decimal strings, dates yyyy-MM-ddTHH:mm:ss or
    /// null) and exits 0. On an invalid one prints every problem to stderr, one line per field
    /// (or the line and column of a JSON syntax error), and exits 1.
    ///
    /// A valid callback is not proof of payment (callbacks are unsigned): confirm it with
    /// DGA's status before marking an order paid.
    Parse {
        /// The body; stdin when absent or `-`
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Print the JSON an agency answers a callback with
    ///
    /// `result: true` tells DGA the callback was taken; with --reject it is false, so DGA
    /// sends the callback again.
    Ack(AckArgs),
}

#[derive(Args, Debug)]
pub struct AckArgs {
    /// Refuse the callback (result: false) so DGA delivers it again
    #[arg(long)]
    pub reject: bool,
    /// The message to send back
    #[arg(long, short, value_name = "M", default_value = "Success")]
    pub message: String,
}

pub fn run(command: &CallbackCommand) -> Result<(), Failure> {
    match command {
        CallbackCommand::Parse { file } => {
            let body = input::read(file.as_deref())?;
            print_json(&parse_callback(&body)?.to_json())
        }
        CallbackCommand::Ack(args) => {
            out(&format!("{}\n", callback_ack(!args.reject, &args.message)))
        }
    }
}

/// `dgapay checkout [FILE]`: a payment's JSON (as `create --json` prints it) → the page that
/// sends the citizen's browser to KTB.
pub fn checkout(file: Option<&std::path::Path>) -> Result<(), Failure> {
    let bytes = input::read(file)?;
    let payment = Payment::from_json(&input::json(&bytes, "payment")?)?;
    out(&checkout_form_html(&payment)?)
}
