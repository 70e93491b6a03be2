//! Binding crate; filled in by its issue.
