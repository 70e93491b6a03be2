//! `dgapay demo`: one payment end to end against the embedded sandbox, through the SDK's
//! public API only, with a summary a newcomer can read.

mod browser;
mod receiver;

use crate::api::mask;
use crate::output::{Failure, out, print_json};
use dga_epayment::{
    Config, CreatePayment, Decimal, Error, ErrorCode, PaidStatus, Payment, PaymentStatus,
    PaymentType, blocking::Client, checkout_form_html,
};
use dga_sandbox::SandboxConfig;
use receiver::{CALLBACK_PATH, Delivery};
use reqwest::StatusCode;
use reqwest::blocking::Client as Browser;
use serde_json::{Value, json};
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};
use unicode_width::UnicodeWidthStr;

/// A well-formed AgentID with a correct check digit
/// (docs/protocol.md#q11--the-guides-agentid-fails-its-check-digit).
const AGENT_ID: &str = "1234567890121";
/// Every HTTP exchange of the demo, the SDK's and the browser's.
const HTTP_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the demo waits for the callback after paying.
const CALLBACK_TIMEOUT: Duration = Duration::from_secs(10);
/// Past this the demo gives up whatever it is doing.
const WATCHDOG: Duration = Duration::from_secs(90);

/// The steps, in order (also their names in the summary).
const STEPS: [&str; 9] = [
    "start", "token", "create", "checkout", "callback", "status", "void", "close", "refused",
];

/// The steps' names in Thai, in the same order.
const STEPS_TH: [&str; 9] = [
    "เริ่มระบบ",
    "ขอ Token",
    "สร้างรายการ",
    "หน้าชำระเงิน",
    "รับ callback",
    "ตรวจสถานะ",
    "Void ยกเลิกการชำระ",
    "ปิดรายการ",
    "รหัสอ้างอิงซ้ำ",
];

/// The language of the text summary (`--lang`); the JSON summary is the same in both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Thai (ภาษาไทย).
    Th,
}

/// `tr!(lang, "English {}", "ไทย {}", args…)`: the text in the summary's language.
macro_rules! tr {
    ($lang:expr, $en:literal, $th:literal $(, $arg:expr)* $(,)?) => {
        match $lang {
            Lang::En => format!($en $(, $arg)*),
            Lang::Th => format!($th $(, $arg)*),
        }
    };
}

struct Step {
    name: &'static str,
    ok: bool,
    detail: String,
    elapsed: Duration,
}

/// The summary, printed as it grows (text) or at the end (`--json`).
struct Summary {
    json: bool,
    lang: Lang,
    started: Instant,
    steps: Vec<Step>,
    /// Stdout failed: the walk stops there.
    stdout_failed: Option<Failure>,
}

type StepResult<T> = Result<(T, String), String>;

impl Summary {
    /// Runs one step; `None` when it failed (the walk stops there).
    fn step<T>(&mut self, f: impl FnOnce() -> StepResult<T>) -> Option<T> {
        let name = STEPS[self.steps.len()];
        let started = Instant::now();
        let (value, ok, detail) = match f() {
            Ok((v, detail)) => (Some(v), true, detail),
            Err(detail) => (None, false, detail),
        };
        let step = Step {
            name,
            ok,
            detail,
            elapsed: started.elapsed(),
        };
        if !self.json {
            let mark = if step.ok { "✓" } else { "✗" };
            let n = self.steps.len();
            let ms = step.elapsed.as_millis();
            let line = match self.lang {
                Lang::En => format!("{mark} {n} {:<9}{ms:>6} ms  {}\n", step.name, step.detail),
                Lang::Th => {
                    // Thai vowel and tone marks take no column: pad by display width.
                    let name = STEPS_TH[n];
                    let pad = 18usize.saturating_sub(UnicodeWidthStr::width(name));
                    format!("{mark} {n} {name}{:pad$}{ms:>6} ms  {}\n", "", step.detail)
                }
            };
            self.print(&line);
        }
        self.steps.push(step);
        value.filter(|_| self.stdout_failed.is_none())
    }

    /// Prints to stdout unless it has failed already; a failure is kept for [`Summary::finish`].
    fn print(&mut self, text: &str) {
        if self.stdout_failed.is_none() {
            self.stdout_failed = out(text).err();
        }
    }

    /// `step N (name) failed: why` for the first failed step.
    fn failure(&self) -> Option<String> {
        let (n, s) = self.steps.iter().enumerate().find(|(_, s)| !s.ok)?;
        Some(format!("step {n} ({}) failed: {}", s.name, s.detail))
    }

    fn not_run(&self) -> &'static [&'static str] {
        &STEPS[self.steps.len()..]
    }

    fn to_json(&self) -> Value {
        let steps: Vec<_> = self
            .steps
            .iter()
            .enumerate()
            .map(|(n, s)| {
                json!({
                    "step": n,
                    "name": s.name,
                    "ok": s.ok,
                    "detail": s.detail,
                    "elapsedMs": s.elapsed.as_millis() as u64,
                })
            })
            .collect();
        let failure = self.failure();
        json!({
            "ok": failure.is_none(),
            "steps": steps,
            "notRun": self.not_run(),
            "failure": failure,
            "totalMs": self.started.elapsed().as_millis() as u64,
        })
    }

    /// Prints the end of the summary; success only when every step ran and passed. When stdout
    /// failed, the walk stopped there: a closed stdout ends it quietly, another error is
    /// reported; either way a walk that did not finish is not a success.
    fn finish(mut self) -> ExitCode {
        let failure = self.failure();
        if self.json {
            self.stdout_failed = print_json(&self.to_json()).err();
        } else {
            let mut text = String::from("\n");
            match &failure {
                None => text.push_str(&tr!(
                    self.lang,
                    "All {} steps behaved as DGA's guide says ({} ms).\n",
                    "ทั้ง {} ขั้นตอนเป็นไปตามคู่มือของ สพร. ({} ms)\n",
                    self.steps.len(),
                    self.started.elapsed().as_millis()
                )),
                Some(f) => {
                    text.push_str(&tr!(
                        self.lang,
                        "The demo FAILED: {}\n",
                        "การสาธิตล้มเหลว: {}\n",
                        f
                    ));
                    if !self.not_run().is_empty() {
                        let not_run = self.not_run().join(", ");
                        text.push_str(&tr!(
                            self.lang,
                            "Not run: {}.\n",
                            "ขั้นตอนที่ไม่ได้รัน: {}\n",
                            not_run
                        ));
                    }
                }
            }
            self.print(&text);
        }
        let passed = failure.is_none() && self.not_run().is_empty();
        match self.stdout_failed {
            Some(Failure::Closed) | None if passed => ExitCode::SUCCESS,
            Some(f @ Failure::Io { .. }) => f.report(false),
            _ => ExitCode::FAILURE,
        }
    }
}

/// What the walk shares between steps.
struct World {
    client: Client,
    callbacks: Receiver<Delivery>,
    // Kept alive until the walk ends.
    _sandbox: dga_sandbox::Sandbox,
    _agency: receiver::Receiver,
}

pub fn run(json: bool, lang: Lang) -> ExitCode {
    std::thread::spawn(|| {
        std::thread::sleep(WATCHDOG);
        eprintln!(
            "dgapay demo: gave up after {} s: a step did not finish",
            WATCHDOG.as_secs()
        );
        std::process::exit(1);
    });
    let mut summary = Summary {
        json,
        lang,
        started: Instant::now(),
        steps: Vec::new(),
        stdout_failed: None,
    };
    if !json {
        let title = tr!(
            lang,
            "dgapay demo — one payment end to end, against a DGA sandbox on this machine\n\n",
            "dgapay demo — ชำระเงินหนึ่งรายการตั้งแต่ต้นจนจบ กับระบบจำลองของ สพร. บนเครื่องนี้\n\n",
        );
        summary.print(&title);
    }
    if summary.stdout_failed.is_none() {
        walk(&mut summary);
    }
    summary.finish()
}

/// A payer with a Thai name.
struct Payer {
    title: &'static str,
    first: &'static str,
    last: &'static str,
}

impl Payer {
    fn name(&self) -> String {
        format!("{}{} {}", self.title, self.first, self.last)
    }

    fn request(&self, kind: PaymentType, amount: Decimal, reference1: &str) -> CreatePayment {
        CreatePayment {
            customer_id: AGENT_ID.into(),
            customer_title_name: self.title.into(),
            customer_first_name: self.first.into(),
            customer_last_name: self.last.into(),
            payment_type: Some(kind),
            amount: Some(amount),
            request_reference1: reference1.into(),
            request_reference2: "DEMO".into(),
            ..CreatePayment::default()
        }
    }
}

const SOMCHAI: Payer = Payer {
    title: "นาย",
    first: "สมชาย",
    last: "ใจดี",
};
const SOMYING: Payer = Payer {
    title: "นางสาว",
    first: "สมหญิง",
    last: "รักไทย",
};

fn walk(summary: &mut Summary) -> Option<()> {
    let lang = summary.lang;
    let world = summary.step(|| start(lang))?;
    let client = &world.client;

    summary.step(|| {
        let token = client.token().map_err(|e| e.to_string())?;
        Ok((
            (),
            tr!(
                lang,
                "got a token ({}) for the sandbox's credentials",
                "ได้ Token ({}) ด้วย Consumer-Key และ ConsumerSecret ของ sandbox",
                mask(token.expose())
            ),
        ))
    })?;

    let amount = Decimal::new(100050, 2);
    let payment = summary.step(|| {
        let p = client
            .create_payment(&SOMCHAI.request(PaymentType::FastPay, amount, "INV-0001"))
            .map_err(|e| e.to_string())?;
        expect(p.amount == amount, || {
            format!("DGA answered amount {} for {amount}", p.amount)
        })?;
        let detail = tr!(
            lang,
            "FastPay {} for {} → orderRef {}, reference1 {}",
            "FastPay {} ผู้ชำระ {} → orderRef {}, reference1 {}",
            baht(lang, p.amount),
            SOMCHAI.name(),
            p.order_ref,
            p.reference1
        );
        Ok((p, detail))
    })?;

    summary.step(|| pay_at_gateway(&payment, lang))?;

    let paid = summary.step(|| {
        let delivery = world
            .callbacks
            .recv_timeout(CALLBACK_TIMEOUT)
            .map_err(|_| {
                format!(
                    "no callback reached the agency within {} s",
                    CALLBACK_TIMEOUT.as_secs()
                )
            })?;
        let status = delivery
            .verified
            .map_err(|why| format!("the callback was not accepted: {why}"))?;
        expect(status.paid_status == PaidStatus::Success, || {
            format!("DGA confirmed {} instead of Success", status.paid_status)
        })?;
        let detail = tr!(
            lang,
            "callback received and verified against DGA's status: {}; agency answered {}",
            "ได้รับ callback และยืนยันกับสถานะของ สพร. แล้ว: {}; หน่วยงานตอบกลับ {}",
            describe(&status),
            delivery.ack
        );
        Ok((status, detail))
    })?;

    let ref_id = summary.step(|| {
        let s = client
            .status(&payment.reference1, &payment.reference2)
            .map_err(|e| e.to_string())?;
        expect(s.paid_status == PaidStatus::Success, || {
            format!("status is {}, expected Success", describe(&s))
        })?;
        let ref_id = s.ref_id.clone().ok_or("status gives no refId")?;
        expect(paid.ref_id.as_ref() == Some(&ref_id), || {
            format!("status refId {ref_id} differs from the callback's")
        })?;
        let channel = s.paid_channel.as_deref().unwrap_or("-");
        let detail = tr!(
            lang,
            "{}, {} paid by {}",
            "{}, ชำระ {} ผ่าน{}",
            describe(&s),
            baht(lang, s.amount),
            channel
        );
        Ok((ref_id, detail))
    })?;

    summary.step(|| {
        client
            .void(&payment.reference1, &payment.reference2, &ref_id)
            .map_err(|e| e.to_string())?;
        let s = client
            .status(&payment.reference1, &payment.reference2)
            .map_err(|e| e.to_string())?;
        expect(s.paid_status == PaidStatus::Void, || {
            format!("after void, status is {}", describe(&s))
        })?;
        Ok((
            (),
            tr!(
                lang,
                "voided refId {}; status now {}",
                "ยกเลิกการชำระเงิน (Void) refId {} แล้ว; สถานะขณะนี้ {}",
                ref_id,
                describe(&s)
            ),
        ))
    })?;

    summary.step(|| {
        let amount = Decimal::new(25000, 2);
        let p = client
            .create_payment(&SOMYING.request(PaymentType::QrPayment, amount, "INV-0002"))
            .map_err(|e| e.to_string())?;
        client
            .close(&p.reference1, &p.reference2)
            .map_err(|e| e.to_string())?;
        let s = client
            .status(&p.reference1, &p.reference2)
            .map_err(|e| e.to_string())?;
        expect(s.paid_status == PaidStatus::Expired, || {
            format!("after close, status is {}", describe(&s))
        })?;
        let detail = tr!(
            lang,
            "QRPayment {} for {} ({}) closed unpaid; status now {}",
            "QRPayment {} ผู้ชำระ {} ({}) ปิดรายการโดยยังไม่ชำระ; สถานะขณะนี้ {}",
            baht(lang, p.amount),
            SOMYING.name(),
            p.reference1,
            describe(&s)
        );
        Ok(((), detail))
    })?;

    summary.step(|| {
        let again = SOMCHAI.request(PaymentType::FastPay, amount, &payment.reference1);
        match client.create_payment(&again) {
            Err(
                e @ Error::Api {
                    error_code: Some(ErrorCode::ReferenceNumberDuplicate),
                    ..
                },
            ) => Ok((
                (),
                // In Thai the SDK's own words, not the English message: the code says it all.
                match lang {
                    Lang::En => format!("creating {} again: {e}", payment.reference1),
                    Lang::Th => format!(
                        "สร้าง {} ซ้ำ: สพร. ปฏิเสธด้วยรหัสข้อผิดพลาด 21 (ReferenceNumberDuplicate) \
                         เพราะรหัสอ้างอิงนี้ใช้แล้วกับรายการ {}",
                        payment.reference1, payment.order_ref
                    ),
                },
            )),
            Err(e) => Err(format!(
                "expected ReferenceNumberDuplicate (21) for a reused reference, got: {e}"
            )),
            Ok(p) => Err(format!(
                "DGA accepted a reused reference {} (orderRef {})",
                payment.reference1, p.order_ref
            )),
        }
    })?;
    Some(())
}

/// Starts the sandbox and the agency's callback receiver, and builds the client.
fn start(lang: Lang) -> StepResult<World> {
    fn err(what: &'static str) -> impl Fn(std::io::Error) -> String {
        move |e| format!("{what}: {e}")
    }
    // Bound first, so the sandbox can be told where to deliver callbacks.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(err("agency port"))?;
    let agency = format!(
        "http://{}",
        listener.local_addr().map_err(err("agency port"))?
    );
    let defaults = SandboxConfig::default();
    let (key, secret) = (
        defaults.consumer_key.clone(),
        defaults.consumer_secret.clone(),
    );
    let source = defaults.sources.first().cloned().unwrap_or_default();
    let sandbox = dga_sandbox::start(SandboxConfig {
        port: 0,
        callback_url: Some(format!("{agency}{CALLBACK_PATH}")),
        success_url: Some(format!("{agency}/payment/success")),
        fail_url: Some(format!("{agency}/payment/fail")),
        cancel_url: Some(format!("{agency}/payment/cancel")),
        ..defaults
    })
    .map_err(err("sandbox"))?;
    let config = Config::builder()
        .consumer_key(&key)
        .consumer_secret(&secret)
        .agent_id(AGENT_ID)
        .gateway_url(sandbox.url())
        .source(&source)
        .request_timeout(HTTP_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let client = Client::new(config).map_err(|e| e.to_string())?;
    let (tx, callbacks) = mpsc::channel();
    let agency = receiver::start(listener, client.clone(), tx).map_err(err("agency"))?;
    let detail = tr!(
        lang,
        "sandbox at {} (Consumer-Key {}, source {}); agency receives callbacks at {}{}",
        "sandbox ที่ {} (Consumer-Key {}, Source {}); หน่วยงานรับ callback ที่ {}{}",
        sandbox.url(),
        key,
        source,
        agency.base(),
        CALLBACK_PATH
    );
    Ok((
        World {
            client,
            callbacks,
            _sandbox: sandbox,
            _agency: agency,
        },
        detail,
    ))
}

/// The citizen's browser: gets the checkout page, which posts the payment's fields to the
/// gateway; presses pay there; is sent back to the agency's success page.
fn pay_at_gateway(payment: &Payment, lang: Lang) -> StepResult<()> {
    let html = checkout_form_html(payment).map_err(|e| e.to_string())?;
    let fields: Vec<(String, String)> = payment
        .checkout_fields()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    // The page must post exactly these fields to the gateway, as a browser would read it.
    let checkout = browser::forms(&html);
    expect(
        checkout.len() == 1
            && checkout[0].action == payment.gateway_url
            && checkout[0].fields == fields,
        || "the checkout page does not post the payment's fields to the gateway".to_owned(),
    )?;

    let browser = Browser::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(HTTP_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let gateway = reqwest::Url::parse(&payment.gateway_url).map_err(|e| e.to_string())?;
    let page = browser
        .post(gateway.clone())
        .form(&fields)
        .send()
        .map_err(|e| format!("posting the checkout form: {e}"))?;
    expect(page.status() == StatusCode::OK, || {
        format!("the gateway page answered HTTP {}", page.status())
    })?;
    let page = page.text().map_err(|e| e.to_string())?;
    let form = browser::forms(&page)
        .into_iter()
        .find(|f| f.has_button("pay"))
        .ok_or("the gateway page offers no pay button")?;
    let offered: Vec<&str> = form.buttons.iter().map(|(_, v)| v.as_str()).collect();
    let target = gateway
        .join(&form.action)
        .map_err(|e| format!("the pay form's action: {e}"))?;
    let submission = form.submission("pay").unwrap_or_default();
    let answer = browser
        .post(target.clone())
        .form(&submission)
        .send()
        .map_err(|e| format!("pressing pay: {e}"))?;
    let location = answer
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    expect(answer.status() == StatusCode::SEE_OTHER, || {
        format!("pressing pay answered HTTP {}", answer.status())
    })?;
    expect(location.starts_with(&payment.success_url), || {
        format!(
            "pressing pay redirected to {location:?}, not the success URL {}",
            payment.success_url
        )
    })?;
    let detail = tr!(
        lang,
        "checkout form ({} fields) posted to {}; the page offers {}; pressed pay at {} → 303 to {}",
        "ส่งแบบฟอร์มชำระเงิน ({} ฟิลด์) ไปที่ {}; หน้าชำระเงินมีปุ่ม {}; กดชำระที่ {} → 303 ไปที่ {}",
        fields.len(),
        gateway.path(),
        offered.join("/"),
        target.path(),
        location
    );
    Ok(((), detail))
}

fn expect(ok: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(why()) }
}

/// `1000.50 THB`, in Thai `1000.50 บาท`
fn baht(lang: Lang, amount: Decimal) -> String {
    match lang {
        Lang::En => format!("{amount:.2} THB"),
        Lang::Th => format!("{amount:.2} บาท"),
    }
}

/// `Success (ชำระเงินสำเร็จ), refId 123`
fn describe(s: &PaymentStatus) -> String {
    let mut text = s.paid_status.to_string();
    if let Some(th) = s.paid_status.description_th() {
        text.push_str(&format!(" ({th})"));
    }
    if let Some(id) = &s.ref_id {
        text.push_str(&format!(", refId {id}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_stops_at_the_first_failure_and_says_why() {
        let mut summary = Summary {
            json: true,
            lang: Lang::En,
            started: Instant::now(),
            steps: Vec::new(),
            stdout_failed: None,
        };
        assert_eq!(summary.step(|| Ok((1, "up".to_owned()))), Some(1));
        assert_eq!(summary.step::<()>(|| Err("no token".to_owned())), None);
        let v = summary.to_json();
        assert_eq!(v["ok"], false);
        assert_eq!(v["failure"], "step 1 (token) failed: no token");
        assert_eq!(v["steps"][1]["ok"], false);
        assert_eq!(v["notRun"].as_array().unwrap().len(), STEPS.len() - 2);
        assert_eq!(summary.finish(), ExitCode::FAILURE);
    }
}
