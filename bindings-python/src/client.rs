//! `Client`: options and create requests are read by the schema's snake names (the core
//! checks them); every call that may touch the network releases the GIL (`py.detach`) after
//! taking owned copies of its inputs.

use crate::bridge::{Bridge, Outcome};
use crate::convert::{body_bytes, checked, keywords};
use crate::errors::IntoPyResult;
use crate::records;
use dga_epayment::schema::{CLIENT_OPTIONS, CREATE_PAYMENT};
use dga_epayment::{self as dga, CallbackReply, Config, ConfigBuilder, CreatePayment, Endpoint};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};
use serde_json::Value;

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
    Ok(PyClient {
        inner: inner.py(py)?,
    })
}

type Record<'py> = PyResult<Bound<'py, PyAny>>;

impl PyClient {
    /// `f` on this client without the GIL; its JSON as the record class `record`.
    fn call<'py, T: Send>(
        &self,
        py: Python<'py>,
        f: impl FnOnce(&dga::blocking::Client) -> dga::Result<T> + Send,
        to_py: impl FnOnce(Python<'py>, T) -> Record<'py>,
    ) -> Record<'py> {
        crate::logs::ensure_pump(py)?;
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
        // With problems of its own, the request's other ones too: every bad field at once.
        let source = self.inner.config().source();
        let request = CreatePayment::from_json(&Value::Object(wire)).and_then(|r| {
            if errors.is_empty() {
                Ok(r)
            } else {
                r.validate(source).map(|()| r)
            }
        });
        checked(errors, request).py(py)
    }

    fn async_client(&self) -> dga::Client {
        self.inner.as_async().clone()
    }
}

type Started = PyResult<Py<PyAny>>;

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
        let c = self.inner.config();
        format!(
            "Client(agent_id={:?}, environment={:?}, gateway_url={:?}, source={})",
            c.agent_id(),
            c.environment().name(),
            c.gateway_url().as_str(),
            c.source()
                .map_or_else(|| "None".to_owned(), |s| format!("{s:?}"))
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

    /// The transaction's current state at DGA.
    #[pyo3(signature = (reference1, reference2 = ""))]
    fn status<'py>(&self, py: Python<'py>, reference1: String, reference2: &str) -> Record<'py> {
        let reference2 = reference2.to_owned();
        self.call(
            py,
            move |c| c.status(&reference1, &reference2),
            records::status,
        )
    }

    /// Closes an unpaid transaction so it can no longer be paid.
    #[pyo3(signature = (reference1, reference2 = ""))]
    fn close<'py>(&self, py: Python<'py>, reference1: String, reference2: &str) -> Record<'py> {
        let reference2 = reference2.to_owned();
        self.call(
            py,
            move |c| c.close(&reference1, &reference2),
            records::confirmation,
        )
    }

    /// Voids a paid FastPay transaction (`payment_reference` is the status's `ref_id`).
    fn void<'py>(
        &self,
        py: Python<'py>,
        reference1: String,
        reference2: String,
        payment_reference: String,
    ) -> Record<'py> {
        self.call(
            py,
            move |c| c.void(&reference1, &reference2, &payment_reference),
            records::confirmation,
        )
    }

    /// Decides a parsed callback by DGA's own status (the callback contract) and returns DGA's
    /// status, or raises `VerificationError` (`reason`: `unknown_payment`, `pending_at_dga` or
    /// `status_differs`).
    fn verify_callback<'py>(&self, py: Python<'py>, callback: &Bound<'py, PyAny>) -> Record<'py> {
        let cb = records::to_json(callback, "PaymentStatus")?;
        let cb = dga::PaymentStatus::from_json(&cb).py(py)?;
        self.call(py, move |c| c.verify_callback(&cb), records::status)
    }

    /// Parses a raw callback body and, with `verify` (the default), confirms it with DGA.
    #[pyo3(signature = (body, *, verify = true))]
    fn receive_callback<'py>(
        &self,
        py: Python<'py>,
        body: &Bound<'py, PyAny>,
        verify: bool,
    ) -> Record<'py> {
        let bytes = body_bytes(body)?;
        self.call(
            py,
            move |c| c.receive_callback(&bytes, verify),
            records::status,
        )
    }

    /// The whole callback endpoint in one call: parse and (with `verify`) confirm the body,
    /// call `handler(status)` with DGA's verified status, and return the reply to send DGA.
    /// `result` is true only when the handler returned without raising; a handler's exception
    /// is logged on the `dga_epayment` logger, not sent to DGA.
    #[pyo3(signature = (body, handler, *, verify = true))]
    fn handle_callback<'py>(
        &self,
        py: Python<'py>,
        body: &Bound<'py, PyAny>,
        handler: &Bound<'py, PyAny>,
        verify: bool,
    ) -> Record<'py> {
        let (status, refusal) = self._receive_for_reply(py, body, verify)?;
        let Some(status) = status else {
            return Ok(refusal.expect("a refusal without a status"));
        };
        let r = match handler.call1((status,)) {
            Ok(_) => CallbackReply::accepted("Success"),
            // KeyboardInterrupt, SystemExit and the like are not the handler failing: let
            // them through.
            Err(err) if !err.is_instance_of::<PyException>(py) => return Err(err),
            Err(err) => {
                log_handler_failure(py, &err)?;
                CallbackReply::handler_failed()
            }
        };
        records::reply(py, &r)
    }

    // The awaitable forms, for `AsyncClient` (`bridge.rs`): each returns a future of
    // `event_loop` that the core's call settles.

    #[pyo3(signature = (bridge, event_loop, **request))]
    fn _create_async(
        &self,
        py: Python<'_>,
        bridge: &Bound<'_, Bridge>,
        event_loop: &Bound<'_, PyAny>,
        request: Option<&Bound<'_, PyDict>>,
    ) -> Started {
        let request = self.create_request(py, request)?;
        let (r1, r2) = request.references();
        let c = self.async_client();
        Bridge::start(
            bridge,
            event_loop,
            Some((Endpoint::Create, r1, r2)),
            async move { Outcome::Payment(c.create_payment(&request).await) },
        )
    }

    fn _status_async(
        &self,
        bridge: &Bound<'_, Bridge>,
        event_loop: &Bound<'_, PyAny>,
        reference1: String,
        reference2: String,
    ) -> Started {
        let c = self.async_client();
        Bridge::start(bridge, event_loop, None, async move {
            Outcome::Status(c.status(&reference1, &reference2).await)
        })
    }

    fn _close_async(
        &self,
        bridge: &Bound<'_, Bridge>,
        event_loop: &Bound<'_, PyAny>,
        reference1: String,
        reference2: String,
    ) -> Started {
        let c = self.async_client();
        let refs = (reference1.trim().to_owned(), reference2.trim().to_owned());
        Bridge::start(
            bridge,
            event_loop,
            Some((Endpoint::Close, refs.0, refs.1)),
            async move { Outcome::Confirmation(c.close(&reference1, &reference2).await) },
        )
    }

    fn _void_async(
        &self,
        bridge: &Bound<'_, Bridge>,
        event_loop: &Bound<'_, PyAny>,
        reference1: String,
        reference2: String,
        payment_reference: String,
    ) -> Started {
        let c = self.async_client();
        let refs = (reference1.trim().to_owned(), reference2.trim().to_owned());
        Bridge::start(
            bridge,
            event_loop,
            Some((Endpoint::Void, refs.0, refs.1)),
            async move {
                Outcome::Confirmation(c.void(&reference1, &reference2, &payment_reference).await)
            },
        )
    }

    fn _verify_async(
        &self,
        py: Python<'_>,
        bridge: &Bound<'_, Bridge>,
        event_loop: &Bound<'_, PyAny>,
        callback: &Bound<'_, PyAny>,
    ) -> Started {
        let cb = records::to_json(callback, "PaymentStatus")?;
        let cb = dga::PaymentStatus::from_json(&cb).py(py)?;
        let c = self.async_client();
        Bridge::start(bridge, event_loop, None, async move {
            Outcome::Status(c.verify_callback(&cb).await)
        })
    }

    #[pyo3(signature = (bridge, event_loop, body, verify, for_reply = false))]
    fn _receive_async(
        &self,
        bridge: &Bound<'_, Bridge>,
        event_loop: &Bound<'_, PyAny>,
        body: &Bound<'_, PyAny>,
        verify: bool,
        for_reply: bool,
    ) -> Started {
        let bytes = body_bytes(body)?;
        let c = self.async_client();
        Bridge::start(bridge, event_loop, None, async move {
            let r = c.receive_callback(&bytes, verify).await;
            if for_reply {
                Outcome::ForReply(r)
            } else {
                Outcome::Status(r)
            }
        })
    }

    /// For `AsyncClient.handle_callback`: the status, or the reply refusing the callback.
    #[allow(clippy::type_complexity)]
    fn _receive_for_reply<'py>(
        &self,
        py: Python<'py>,
        body: &Bound<'py, PyAny>,
        verify: bool,
    ) -> PyResult<(Option<Bound<'py, PyAny>>, Option<Bound<'py, PyAny>>)> {
        let bytes = body_bytes(body)?;
        crate::logs::ensure_pump(py)?;
        let client = &self.inner;
        let received = py.detach(move || client.receive_callback(&bytes, verify));
        crate::logs::flush(py);
        Ok(match received {
            Ok(s) => (Some(records::status(py, s)?), None),
            Err(e) => {
                log::warn!(target: "dga_epayment", "callback refused: {e}");
                crate::logs::flush(py);
                (
                    None,
                    Some(records::reply(py, &CallbackReply::for_error(&e))?),
                )
            }
        })
    }
}

/// The agency's handler raised: its traceback goes to the `dga_epayment` logger (the agency's
/// own logs), DGA only hears that it should deliver again.
fn log_handler_failure(py: Python<'_>, err: &PyErr) -> PyResult<()> {
    let logger = py
        .import("logging")?
        .call_method1("getLogger", ("dga_epayment",))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("exc_info", err.value(py))?;
    logger.call_method(
        "error",
        ("the callback handler raised; answered DGA with result false",),
        Some(&kwargs),
    )?;
    Ok(())
}
