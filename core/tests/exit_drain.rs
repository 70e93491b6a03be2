//! The exit drain (`runtime::drain`) returns only once a create whose caller went away has
//! logged its outcome: a binding takes its log down right after (Python's interpreter, .NET's
//! domain), so a line logged later would reach stderr instead of the agency's handlers. Its own
//! test binary: the drain is process-wide.
mod common;

use common::*;
use dga_epayment::runtime;
use std::sync::Mutex;
use std::time::Duration;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Keeps the line it is given only after a pause, as a slow handler (a file, Sentry) would:
/// the window in which a drain that did not wait for the line would already have returned.
struct SlowCapture;

impl log::Log for SlowCapture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, r: &log::Record) {
        let line = r.args().to_string();
        if line.contains("finished after its caller went away") {
            std::thread::sleep(Duration::from_millis(300));
        }
        LINES.lock().unwrap().push(line);
    }
    fn flush(&self) {}
}

#[test]
fn the_drain_waits_for_a_detached_create_to_log_its_outcome() {
    static LOGGER: SlowCapture = SlowCapture;
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Warn);
    let sb = start_sandbox();
    let client = async_client_for(&sb);
    let (r1, _rt) = create_given_up(&sb, &client, 400);
    assert_eq!(
        runtime::drain(Some(Duration::from_secs(10))),
        0,
        "nothing left running"
    );
    let lines = LINES.lock().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("finished after its caller went away") && l.contains(&r1)),
        "the outcome was logged before the drain returned: {lines:?}"
    );
}
