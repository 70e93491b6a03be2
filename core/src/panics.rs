//! A panic caught at a binding's boundary (no panic may cross into the host language), as the
//! message of the `internal` error the binding gives instead.

/// The message for a caught panic's payload: what it said, and that it is a bug to report.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".to_owned());
    format!("internal error in dga-epayment (please report it): {what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_is_named_whatever_its_type() {
        let text = std::panic::catch_unwind(|| panic!("boom {}", 1)).unwrap_err();
        assert!(panic_message(&*text).ends_with("(please report it): boom 1"));
        let literal = std::panic::catch_unwind(|| panic!("plain")).unwrap_err();
        assert!(panic_message(&*literal).ends_with(": plain"));
        let other = std::panic::catch_unwind(|| std::panic::panic_any(7_u8)).unwrap_err();
        assert!(panic_message(&*other).ends_with(": unknown cause"));
    }
}
