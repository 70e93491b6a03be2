//! `Client`: options and create requests read by the schema's snake names (the core checks
//! them); a call that may touch the network releases the GIL.

use crate::bridge::{Bridge, Outcome};
use crate::convert::{body_bytes, checked, keywords, type_name};
use crate::errors::{IntoPyResult, to_py_err};
use crate::reconcile::StatusMany;
use crate::records;
use dga_epayment::schema::{CLIENT_OPTIONS, CREATE_PAYMENT, VERIFICATION_STATS};
use dga_epayment::{
    self as dga, CallbackReply, Config, ConfigBuilder, CreatePayment, Endpoint, Error,
};
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyTuple, PyType};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;

/// A DGA e-Payment client: one connection pool and one token cache, safe to share between
/// threads and usable in a forked child. Every call releases the GIL while it waits.
#[pyclass(frozen, module = "dga_epayment._native", name = "Client")]
pub struct PyClient {
    inner: dga::blocking::Client,
}

fn client(
    py: Python<'_>,
    base: ConfigBuilder,
    func: &str,
    kw: Option<&Bound<'_, PyDict>>,
    required: bool,
) -> PyResult<PyClient> {
    let (options, errors) = keywords(func, &CLIENT_OPTIONS, kw, required, false)?;
    let config = Config::from_keywords_over(base, &Value::Object(options));
    let config = checked(errors, config).py(py)?;
    let inner = dga::blocking::Client::new(config);
    crate::logs::flush(py);
    inner.py(py).map(|inner| PyClient { inner })
}

type Record<'py> = PyResult<Bound<'py, PyAny>>;

impl PyClient {
    /// `f` on this client without the GIL; its result made Python's by `to_py`.
    fn call<'py, T: Send, R>(
        &self,
        py: Python<'py>,
        f: impl FnOnce(&dga::blocking::Client) -> dga::Result<T> + Send,
        to_py: impl FnOnce(Python<'py>, T) -> PyResult<R>,
    ) -> PyResult<R> {
        crate::logs::before_call(py)?;
        let client = &self.inner;
        let r = py.detach(move || f(client));
        // The call's own records (logged on the runtime's threads) before its result.
        crate::logs::flush(py);
        to_py(py, r.py(py)?)
    }

    fn create_request(
        &self,
        py: Python<'_>,
        request: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<CreatePayment> {
        let (wire, errors) = keywords("create_payment", &CREATE_PAYMENT, request, true, true)?;
        // Checked here, so every bad field is named at once and by the keyword it came as.
        let source = self.inner.config().source();
        let request = CreatePayment::from_json(&Value::Object(wire))
            .and_then(|r| r.validate(source).map(|()| r));
        let mut checked = checked(errors, request);
        if let Err(Error::Validation { errors }) = &mut checked {
            for e in errors {
                if let Some(f) = CREATE_PAYMENT.field(&e.field) {
                    e.field = f.snake.to_owned();
                }
            }
        }
        checked.py(py)
    }
}

/// `void`'s error naming `payment_reference` by its keyword, not the core's `paymentReference`.
fn keyword_named(mut e: Error) -> Error {
    if let Error::Validation { errors } = &mut e {
        let named = errors.iter_mut().filter(|f| f.field == "paymentReference");
        named.for_each(|f| f.field = "payment_reference".into());
    }
    e
}

#[pymethods]
impl PyClient {
    /// Takes the options of the schema's `ClientOptions` as keywords (durations in seconds).
    #[new]
    #[pyo3(signature = (**options))]
    fn new(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        client(py, ConfigBuilder::default(), "Client", options, true)
    }

    /// A client configured from the `DGA_*` environment variables, with any keyword given
    /// here taking precedence.
    #[classmethod]
    #[pyo3(signature = (**options))]
    fn from_env(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        client(py, ConfigBuilder::from_env(), "from_env", options, false)
    }

    /// The agency's AgentID this client uses.
    #[getter]
    fn agent_id(&self) -> String {
        self.inner.config().agent_id().to_owned()
    }

    /// `"production"`, `"uat"` or `"test"`.
    #[getter]
    fn environment(&self) -> &'static str {
        self.inner.config().environment().name()
    }

    /// The gateway the client talks to.
    #[getter]
    fn gateway_url(&self) -> String {
        self.inner.config().gateway_url().to_string()
    }

    /// The default `source` for `create_payment`, if configured.
    #[getter]
    fn source(&self) -> Option<String> {
        self.inner.config().source().map(str::to_owned)
    }

    fn __repr__(&self) -> String {
        let (agent, env, url) = (self.agent_id(), self.environment(), self.gateway_url());
        let source = self.source().map_or("None".into(), |s| format!("{s:?}"));
        format!(
            "Client(agent_id={agent:?}, environment={env:?}, gateway_url={url:?}, source={source})"
        )
    }

    /// Creates a payment transaction from the schema's `CreatePayment` fields as keywords;
    /// every bad field is named at once, before any network call.
    #[pyo3(signature = (**request))]
    fn create_payment<'py>(
        &self,
        py: Python<'py>,
        request: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = self.create_request(py, request)?;
        self.call(py, move |c| c.create_payment(&request), records::payment)
    }

    /// The transaction's current state at DGA (a `None` reference2, a NULL column, is none).
    #[pyo3(signature = (reference1, reference2 = None), text_signature = "($self, reference1, reference2='')")]
    fn status<'py>(
        &self,
        py: Python<'py>,
        reference1: &str,
        reference2: Option<&str>,
    ) -> Record<'py> {
        let r2 = reference2.unwrap_or_default();
        self.call(py, move |c| c.status(reference1, r2), records::status)
    }

    /// Closes an unpaid transaction so it can no longer be paid.
    #[pyo3(signature = (reference1, reference2 = None), text_signature = "($self, reference1, reference2='')")]
    fn close<'py>(
        &self,
        py: Python<'py>,
        reference1: &str,
        reference2: Option<&str>,
    ) -> Record<'py> {
        let r2 = reference2.unwrap_or_default();
        self.call(py, move |c| c.close(reference1, r2), records::confirmation)
    }

    /// Voids a paid FastPay transaction (`payment_reference` is the status's `ref_id`).
    fn void<'py>(
        &self,
        py: Python<'py>,
        reference1: &str,
        reference2: Option<&str>,
        payment_reference: &str,
    ) -> Record<'py> {
        let (r2, p) = (reference2.unwrap_or_default(), payment_reference);
        self.call(
            py,
            move |c| c.void(reference1, r2, p).map_err(keyword_named),
            records::confirmation,
        )
    }

    /// Decides a parsed callback by DGA's own status (the callback contract) and returns DGA's
    /// status, or raises `VerificationError` (`reason`: `unknown_payment`, `pending_at_dga` or
    /// `status_differs`).
    fn verify_callback<'py>(&self, py: Python<'py>, callback: &Bound<'py, PyAny>) -> Record<'py> {
        let cb = callback_of(callback)?;
        self.call(py, move |c| c.verify_callback(&cb), records::status)
    }

    /// Parses a raw callback body and, with `verify` (the default), confirms it with DGA.
    /// `known_reference(reference1, reference2)`, when given, is asked first: false raises
    /// `VerificationError` (`unknown_payment`) without asking DGA; what it raises goes through.
    #[pyo3(signature = (body, *, verify = true, known_reference = None))]
    fn receive_callback<'py>(
        &self,
        py: Python<'py>,
        body: &Bound<'py, PyAny>,
        verify: bool,
        known_reference: Option<&Bound<'py, PyAny>>,
    ) -> Record<'py> {
        let bytes = body_bytes(body)?;
        if let Some(refused) = self.known(py, &bytes, known_reference)? {
            return Err(to_py_err(py, &refused));
        }
        self.call(
            py,
            move |c| c.receive_callback(&bytes, verify),
            records::status,
        )
    }

    /// The whole callback endpoint in one call: parse and (with `verify`) confirm the body,
    /// call `handler(status)` with DGA's verified status, and return the reply to send DGA.
    /// `result` is true only when the handler returned without raising; a handler's exception
    /// is logged on the `dga_epayment` logger, not sent to DGA. `known_reference(reference1,
    /// reference2)`, when given, is the agency's own lookup, asked before DGA: false answers
    /// 404 without a DGA call, an exception in it 503 (DGA delivers again).
    #[pyo3(signature = (body, handler, *, verify = true, known_reference = None))]
    fn handle_callback<'py>(
        &self,
        py: Python<'py>,
        body: &Bound<'py, PyAny>,
        handler: &Bound<'py, PyAny>,
        verify: bool,
        known_reference: Option<&Bound<'py, PyAny>>,
    ) -> Record<'py> {
        let bytes = body_bytes(body)?;
        match self.known(py, &bytes, known_reference) {
            Ok(None) => {}
            Ok(Some(refused)) => return records::reply(py, &CallbackReply::for_error(&refused)),
            Err(raised) => {
                let what = "known_reference raised; answered DGA 503";
                return failed(py, raised, what, CallbackReply::unavailable());
            }
        }
        // A refusal: the core logs what it needs (a flood's lines at most once a second).
        let received = move |c: &dga::blocking::Client| Ok(c.receive_callback(&bytes, verify));
        let status = match self.call(py, received, |_, r| Ok(r))? {
            Ok(status) => records::status(py, status)?,
            Err(e) => return records::reply(py, &CallbackReply::for_error(&e)),
        };
        // An `async def` handler's coroutine would never run: DGA must not hear `result: true`.
        let outcome = handler.call1((status,)).and_then(|v| {
            if !v.hasattr("__await__")? {
                return Ok(());
            }
            let _ = v.call_method0("close"); // not awaited, ever: no "never awaited" warning
            Err(PyTypeError::new_err(format!(
                "the handler returned a {}, which is not awaited here: make it a plain \
                 function, or use AsyncClient.handle_callback",
                type_name(&v)
            )))
        });
        if let Err(raised) = outcome {
            let what = "the callback handler raised; answered DGA with result false";
            return failed(py, raised, what, CallbackReply::handler_failed());
        }
        records::reply(py, &CallbackReply::accepted("Success"))
    }

    /// Reads the status of every reference of `references` (an iterable of `reference1`
    /// strings or `(reference1, reference2)` tuples, read lazily): at most `concurrency` calls
    /// at once and `rate` started a second (0: no limit), with the normal retries. Iterate the
    /// result: one `StatusResult` per reference, in input order, memory bounded whatever the
    /// input's length. A reference DGA does not know is a result (`not_found`), not an error;
    /// an item that is not a reference raises `ValidationError` in its place.
    #[pyo3(signature = (references, concurrency = None, rate = None),
           text_signature = "($self, references, concurrency=8, rate=20)")]
    fn status_many(
        &self,
        references: &Bound<'_, PyAny>,
        concurrency: Option<&Bound<'_, PyAny>>,
        rate: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<StatusMany> {
        let limits = crate::reconcile::limits(references.py(), concurrency, rate)?;
        StatusMany::from_iterable(self.inner.as_async(), Some(references), limits)
    }

    /// `status_many` over a file (`-`: stdin) read by the core's reader, as `dgapay reconcile`
    /// reads it (checked whole first: a bad line raises `ValidationError` before any call), or
    /// (`None`) over items pushed by `StatusMany._push`.
    #[pyo3(signature = (path, concurrency = None, rate = None),
           text_signature = "($self, path, concurrency=8, rate=20)")]
    fn _status_many_from(
        &self,
        py: Python<'_>,
        path: Option<&str>,
        concurrency: Option<&Bound<'_, PyAny>>,
        rate: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<StatusMany> {
        let limits = crate::reconcile::limits(py, concurrency, rate)?;
        match path {
            Some(path) => StatusMany::from_file(py, self.inner.as_async(), path, limits),
            None => StatusMany::from_iterable(self.inner.as_async(), None, limits),
        }
    }

    /// What callback verification has cost DGA and what it refused since this client was
    /// built: the core's counters (`VerificationStats` of its schema, by their snake names;
    /// each only grows).
    fn verification_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = serde_json::to_value(self.inner.verification_stats()).unwrap_or_default();
        let stats = PyDict::new(py);
        for f in VERIFICATION_STATS.fields {
            stats.set_item(f.snake, s[f.wire].as_u64())?;
        }
        Ok(stats)
    }

    /// `known_reference`'s answer `known` (awaited, on `AsyncClient`): `None` when it knows the
    /// references, else the error refusing them (counted, DGA not asked).
    fn _refuse_unknown(
        &self,
        py: Python<'_>,
        reference1: &str,
        reference2: &str,
        known: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Py<PyAny>>> {
        let refused = self.refusal(py, reference1, reference2, known)?;
        Ok(refused.map(|e| to_py_err(py, &e).into_value(py).into_any()))
    }

    /// For `AsyncClient`: `call` (`create`, `status`, `close`, `void`, `verify`, `receive`, or
    /// `receive_or_reply`: the reply refusing it instead of an error) with `args` as a future
    /// of `event_loop` that the core's call settles.
    #[pyo3(signature = (bridge, event_loop, call, *args, **request))]
    fn _async(
        &self,
        py: Python<'_>,
        bridge: &Bound<'_, Bridge>,
        event_loop: &Bound<'_, PyAny>,
        call: &str,
        args: &Bound<'_, PyTuple>,
        request: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let c = self.inner.as_async().clone();
        let refs = |e, r1: &str, r2: &str| Some((e, r1.trim().to_owned(), r2.trim().to_owned()));
        let (detached, call): (_, Pin<Box<dyn Future<Output = Outcome> + Send>>) = match call {
            "create" => {
                let request = self.create_request(py, request)?;
                let (r1, r2) = request.references();
                let call = async move { Outcome::Payment(c.create_payment(&request).await) };
                (Some((Endpoint::Create, r1, r2)), Box::pin(call))
            }
            "status" => {
                let (r1, r2): (String, String) = args.extract()?;
                let call = async move { Outcome::Status(c.status(&r1, &r2).await) };
                (None, Box::pin(call))
            }
            "close" => {
                let (r1, r2): (String, String) = args.extract()?;
                let detached = refs(Endpoint::Close, &r1, &r2);
                let call = async move { Outcome::Confirmation(c.close(&r1, &r2).await) };
                (detached, Box::pin(call))
            }
            "void" => {
                let (r1, r2, p): (String, String, String) = args.extract()?;
                let detached = refs(Endpoint::Void, &r1, &r2);
                let voided = async move { c.void(&r1, &r2, &p).await.map_err(keyword_named) };
                let call = async move { Outcome::Confirmation(voided.await) };
                (detached, Box::pin(call))
            }
            "verify" => {
                let cb = callback_of(&args.get_item(0)?)?;
                let call = async move { Outcome::Status(c.verify_callback(&cb).await) };
                (None, Box::pin(call))
            }
            "receive" | "receive_or_reply" => {
                let (body, verify): (Bound<'_, PyAny>, bool) = args.extract()?;
                let (bytes, or_reply) = (body_bytes(&body)?, call == "receive_or_reply");
                let call = async move {
                    match c.receive_callback(&bytes, verify).await {
                        // The refusal's reply, without an exception between (a flood's path).
                        Err(e) if or_reply => Outcome::Custom(Box::new(move |py| {
                            Ok(records::reply(py, &CallbackReply::for_error(&e))?.unbind())
                        })),
                        r => Outcome::Status(r),
                    }
                };
                (None, Box::pin(call))
            }
            _ => return Err(PyValueError::new_err(format!("no call {call}"))),
        };
        Bridge::start(bridge, event_loop, detached, call)
    }
}

/// A `PaymentStatus` of the package's as the core's.
fn callback_of(callback: &Bound<'_, PyAny>) -> PyResult<dga::PaymentStatus> {
    let cb = records::to_json(callback, "PaymentStatus")?;
    dga::PaymentStatus::from_json(&cb).py(callback.py())
}

impl PyClient {
    /// The agency's `known_reference` for the body's references: `None` to go on (also without
    /// one, or for a body whose references cannot be read: the core refuses it next), the
    /// refusal when it says no, or what it raised.
    fn known(
        &self,
        py: Python<'_>,
        body: &[u8],
        known_reference: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Error>> {
        let Some(known) = known_reference else {
            return Ok(None);
        };
        let Ok((r1, r2)) = dga::callback_references(body) else {
            return Ok(None);
        };
        let answer = known.call1((&r1, &r2))?;
        if answer.hasattr("__await__")? {
            return Err(PyTypeError::new_err(
                "known_reference returned an awaitable: use AsyncClient, or a plain function",
            ));
        }
        self.refusal(py, &r1, &r2, &answer)
    }

    /// `None` when `known_reference` answered True, else the core's refusal (counted, logged).
    fn refusal(
        &self,
        py: Python<'_>,
        r1: &str,
        r2: &str,
        known: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Error>> {
        // A forgotten `return` (None) must not refuse every genuine payment as unknown.
        let Ok(known) = known.cast::<PyBool>() else {
            return Err(PyTypeError::new_err(format!(
                "known_reference must return True or False, got {}",
                type_name(known)
            )));
        };
        if known.is_true() {
            return Ok(None);
        }
        let e = self.inner.refuse_unknown_reference(r1, r2);
        crate::logs::flush(py);
        Ok(Some(e))
    }
}

/// The agency's handler or lookup raised: its traceback goes to the `dga_epayment` logger (the
/// agency's own logs), DGA only hears `reply`. KeyboardInterrupt, SystemExit and the like are
/// not the agency's code failing: they go through.
fn failed<'py>(py: Python<'py>, raised: PyErr, what: &str, reply: CallbackReply) -> Record<'py> {
    if !raised.is_instance_of::<PyException>(py) {
        return Err(raised);
    }
    let logger = crate::logs::our_logger(py)?.bind(py);
    let kwargs = PyDict::new(py);
    kwargs.set_item("exc_info", raised.value(py))?;
    logger.call_method("error", (what,), Some(&kwargs))?;
    records::reply(py, &reply)
}
