//! [`Client::status_many`] driven from a language's own iteration: the binding pushes the
//! references it reads from its iterable ([`StatusFeed::send`]) only while there is room, so a
//! long or endless input is never read ahead, and awaits the rows in input order
//! ([`StatusFeed::next`]). The calls run as one task on the SDK's runtime; dropping the feed
//! (or [`StatusFeed::end`] with `close`) stops the calls not yet made.

use crate::Client;
use crate::reconcile::{InputError, Outcome, Reference};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc};

type Input = Result<Reference, InputError>;
/// One row: the outcome of a reference, or the input item that was not one (the last row).
pub type Row = Result<Outcome, InputError>;

/// What [`StatusFeed::send`] did with an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Queued.
    Queued,
    /// No room: await [`StatusFeed::ready`] and send it again.
    Full,
    /// The iteration is over: stop reading the input.
    Over,
}

/// One `status_many` iteration fed by a binding.
pub struct StatusFeed {
    input: Option<mpsc::Sender<Input>>,
    rows: Arc<Mutex<mpsc::Receiver<Row>>>,
    task: tokio::task::AbortHandle,
    sent: u64,
}

impl StatusFeed {
    /// Starts the iteration: at most `concurrency` calls at once, `rate` a second (0: no limit).
    pub fn start(client: &Client, concurrency: usize, rate: u32) -> std::io::Result<Self> {
        let (input, mut input_rx) = mpsc::channel::<Input>(concurrency.clamp(1, 64));
        let (rows_tx, rows) = mpsc::channel::<Row>(1);
        let client = client.clone();
        let task = crate::runtime::spawn(async move {
            let refs = futures_util::stream::poll_fn(move |cx| input_rx.poll_recv(cx));
            let mut many = client.status_many(refs, concurrency, rate);
            while let Some(row) = many.next().await {
                if rows_tx.send(row).await.is_err() {
                    return; // the iteration was closed
                }
            }
        })?;
        Ok(StatusFeed {
            input: Some(input),
            rows: Arc::new(Mutex::new(rows)),
            task: task.abort_handle(),
            sent: 0,
        })
    }

    /// Queues the next item: `(reference1, reference2)`, or why the item is not a reference
    /// (the iteration then ends with it, after the rows before it).
    pub fn send(&mut self, item: Result<(String, String), String>) -> Sent {
        let Some(input) = &self.input else {
            return Sent::Over;
        };
        let line = self.sent + 1;
        let queued = input.try_send(match item {
            Ok((reference1, reference2)) => Ok(Reference {
                line,
                reference1,
                reference2,
                extra: Vec::new(),
            }),
            Err(reason) => Err(InputError { line, reason }),
        });
        match queued {
            Ok(()) => {
                self.sent = line;
                Sent::Queued
            }
            Err(mpsc::error::TrySendError::Full(_)) => Sent::Full,
            Err(mpsc::error::TrySendError::Closed(_)) => Sent::Over,
        }
    }

    /// Resolves when [`StatusFeed::send`] has room again (or the iteration is over).
    pub fn ready(&self) -> impl Future<Output = ()> + Send + 'static {
        let input = self.input.clone();
        async move {
            if let Some(input) = input {
                drop(input.reserve().await);
            }
        }
    }

    /// The next row in input order; `None` after the last.
    pub fn next(&self) -> impl Future<Output = Option<Row>> + Send + 'static {
        let rows = self.rows.clone();
        async move { rows.lock().await.recv().await }
    }

    /// The input is over; with `close`, the rows are no longer wanted either (calls stop).
    pub fn end(&mut self, close: bool) {
        self.input = None;
        if close {
            self.task.abort();
        }
    }
}

impl Drop for StatusFeed {
    fn drop(&mut self) {
        self.task.abort();
    }
}
