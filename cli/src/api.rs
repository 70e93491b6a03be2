//! `token`, `create`, `status`, `close`, `void`: one call each through the core's client.

use crate::connect::ConnectionArgs;
use crate::input;
use crate::output::{Failure, hide_secrets, print_fields, print_json, print_result, to_value};
use clap::Args;
use dga_epayment::{
    CreatePayment, Error, FieldError, PaymentType, blocking::Client, checkout_form_html,
    parse_amount, schema,
};
use serde_json::{Value, json};
use std::path::PathBuf;

/// How many characters of a token `dgapay token` shows without `--reveal`.
const TOKEN_SHOWN: usize = 4;

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// Print the whole token instead of its first characters (it is a credential: keep it out
    /// of logs and screenshots)
    #[arg(long)]
    pub reveal: bool,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// The request as JSON in the guide's camelCase form (customerID, customerTitleName,
    /// customerFirstName, customerMiddleName, customerLastName, paymentType, amount as a
    /// string, requestReference1..3, source, data); `-` reads it from stdin
    #[arg(long, value_name = "FILE|-", conflicts_with = "CreateFields")]
    pub request: Option<PathBuf>,

    #[command(flatten)]
    pub fields: CreateFields,

    /// Also write the checkout page (an auto-submitting form that sends the citizen's browser
    /// to KTB) to FILE
    #[arg(long, value_name = "FILE")]
    pub checkout_html: Option<PathBuf>,
}

/// The request as flags; every missing or bad one is reported at once.
#[derive(Args, Debug)]
#[command(next_help_heading = "Request fields (instead of --request)")]
pub struct CreateFields {
    /// Payer: citizen ID, juristic ID, hospital number or other ID
    #[arg(long, value_name = "ID")]
    pub customer_id: Option<String>,
    /// Title, e.g. นาย, นาง, นางสาว
    #[arg(long)]
    pub title: Option<String>,
    /// Payer's first name
    #[arg(long, value_name = "NAME")]
    pub first_name: Option<String>,
    /// Payer's middle name (optional)
    #[arg(long, value_name = "NAME")]
    pub middle_name: Option<String>,
    /// Payer's last name
    #[arg(long, value_name = "NAME")]
    pub last_name: Option<String>,
    /// FastPay (card) or QRPayment (Thai QR)
    #[arg(long, value_name = "TYPE")]
    pub payment_type: Option<String>,
    /// Amount in baht, exact, at most 2 decimal places, e.g. 1000.50
    #[arg(long, allow_hyphen_values = true)]
    pub amount: Option<String>,
    /// The agency's own payment reference (status, close and void use it)
    #[arg(long, value_name = "REF")]
    pub reference1: Option<String>,
    /// Second reference (optional; status, close and void use it)
    #[arg(long, value_name = "REF")]
    pub reference2: Option<String>,
    /// Third reference (optional)
    #[arg(long, value_name = "REF")]
    pub reference3: Option<String>,
    /// Extra data agreed with DGA beforehand, a JSON object passed through untouched
    #[arg(long, value_name = "JSON")]
    pub data: Option<String>,
}

#[derive(Args, Debug)]
pub struct RefArgs {
    /// reference1: the requestReference1 given at create
    #[arg(value_name = "REF1")]
    pub reference1: String,
    /// reference2: the requestReference2 given at create (empty when none was given)
    #[arg(value_name = "REF2", default_value = "", hide_default_value = true)]
    pub reference2: String,
}

#[derive(Args, Debug)]
pub struct VoidArgs {
    /// reference1: the requestReference1 given at create
    #[arg(value_name = "REF1")]
    pub reference1: String,
    /// reference2: the requestReference2 given at create (pass "" when none was given)
    #[arg(value_name = "REF2")]
    pub reference2: String,
    /// The refId the payment got when it was paid (from status or the callback)
    #[arg(value_name = "PAYMENT_REFERENCE")]
    pub payment_reference: String,
}

/// `first 4 characters…`, or `…` alone when the token is too short to show any of it.
pub fn mask(token: &str) -> String {
    if token.chars().count() > 2 * TOKEN_SHOWN {
        let head: String = token.chars().take(TOKEN_SHOWN).collect();
        format!("{head}…")
    } else {
        "…".to_owned()
    }
}

pub fn token(conn: &ConnectionArgs, args: &TokenArgs, json: bool) -> Result<(), Failure> {
    let client = conn.client()?;
    let token = client.token()?;
    let shown = if args.reveal {
        token.expose().to_owned()
    } else {
        mask(token.expose())
    };
    let age_ms = token.age().as_millis() as u64;
    if json {
        print_json(&json!({ "token": shown, "ageMs": age_ms, "revealed": args.reveal }))
    } else {
        print_fields(
            &json!({ "token": shown, "age": format!("{age_ms} ms") }),
            &[],
        )
    }
}

/// Prints the answer to a call that changed something at DGA. When stdout cannot take it, what
/// was done and its references go to stderr, so that the payment is not lost.
/// The text form shows the fields `record` marks secret masked; `--json` keeps them (`dgapay
/// checkout` needs the payment's key).
fn print_done(
    v: Value,
    record: &schema::Record,
    json: bool,
    done: &str,
    refs: &[(&str, &str)],
) -> Result<(), Failure> {
    let shown = if json {
        v
    } else {
        hide_secrets(v, record, mask)
    };
    print_result(&shown, json, &[]).inspect_err(|_| {
        let refs: Vec<String> = refs.iter().map(|(k, r)| format!("{k} {r:?}")).collect();
        eprintln!(
            "{done} at DGA, but stdout could not take the answer: {}",
            refs.join(", ")
        );
    })
}

pub fn create(conn: &ConnectionArgs, args: &CreateArgs, json: bool) -> Result<(), Failure> {
    let client = conn.client()?;
    let request = match &args.request {
        Some(path) => {
            let bytes = input::read(Some(path))?;
            CreatePayment::from_json(&input::json(&bytes, "request")?)?
        }
        None => args.fields.to_request(&client)?,
    };
    let payment = client.create_payment(&request)?;
    if let Some(path) = &args.checkout_html {
        let html = checkout_form_html(&payment)?;
        std::fs::write(path, html).map_err(|e| Failure::io(path.display(), e))?;
        eprintln!("checkout page written to {}", path.display());
    }
    print_done(
        to_value(&payment),
        &schema::PAYMENT,
        json,
        "the payment was created",
        &[
            ("orderRef", &payment.order_ref),
            ("reference1", &payment.reference1),
            ("reference2", &payment.reference2),
        ],
    )
}

impl CreateFields {
    /// The request the flags describe. A bad amount or data is reported together with every
    /// other problem the core finds.
    fn to_request(&self, client: &Client) -> Result<CreatePayment, Error> {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let mut problems = Vec::new();
        let amount = self.amount.as_ref().and_then(|a| {
            parse_amount(&Value::String(a.clone()))
                .map_err(|m| problems.push(FieldError::new("amount", m)))
                .ok()
        });
        let data = self.data.as_ref().and_then(|d| {
            serde_json::from_str::<Value>(d)
                .map_err(|e| problems.push(FieldError::new("data", format!("is not JSON: {e}"))))
                .ok()
        });
        let request = CreatePayment {
            customer_id: text(&self.customer_id),
            customer_title_name: text(&self.title),
            customer_first_name: text(&self.first_name),
            customer_middle_name: text(&self.middle_name),
            customer_last_name: text(&self.last_name),
            payment_type: self.payment_type.as_deref().map(PaymentType::from_name),
            amount,
            request_reference1: text(&self.reference1),
            request_reference2: text(&self.reference2),
            request_reference3: text(&self.reference3),
            data,
            ..CreatePayment::default()
        };
        if problems.is_empty() {
            return Ok(request);
        }
        // With everything else the core finds, in its order.
        let mut errors = match request.validate(client.config().source()) {
            Err(e) => e.field_errors().to_vec(),
            Ok(()) => Vec::new(),
        };
        errors.retain(|p| !problems.iter().any(|q| q.field == p.field));
        errors.extend(problems);
        Err(Error::Validation { errors })
    }
}

pub fn status(conn: &ConnectionArgs, args: &RefArgs, json: bool) -> Result<(), Failure> {
    let status = conn.client()?.status(&args.reference1, &args.reference2)?;
    let thai = status.paid_status.description_th().unwrap_or("-");
    print_result(&status.to_json(), json, &[("สถานะ", thai.to_owned())])
}

pub fn close(conn: &ConnectionArgs, args: &RefArgs, json: bool) -> Result<(), Failure> {
    let done = conn.client()?.close(&args.reference1, &args.reference2)?;
    print_done(
        to_value(&done),
        &schema::CONFIRMATION,
        json,
        "the payment was closed",
        &[
            ("reference1", &args.reference1),
            ("reference2", &args.reference2),
        ],
    )
}

pub fn void(conn: &ConnectionArgs, args: &VoidArgs, json: bool) -> Result<(), Failure> {
    let done = conn
        .client()?
        .void(&args.reference1, &args.reference2, &args.payment_reference)?;
    print_done(
        to_value(&done),
        &schema::CONFIRMATION,
        json,
        "the payment was voided",
        &[
            ("reference1", &args.reference1),
            ("reference2", &args.reference2),
            ("paymentReference", &args.payment_reference),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_masked() {
        assert_eq!(mask("8e1ac089-0000-aaaa"), "8e1a…");
        assert_eq!(mask("short"), "…");
    }
}
