//! Integration tests: real loopback HTTP against `dga_sandbox::start` on a free port.

mod api;
mod common;
mod control;
mod faults;
mod gateway;
mod safety;
mod tls;
