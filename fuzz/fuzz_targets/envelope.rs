//! DGA's response envelope {status, errorCode, message, data}, and the Api error or confirmation made from it.
//! The checks live in `dga_epayment::fuzzing` so `core/tests/fuzz_corpus.rs` replays the
//! same ones on the committed corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dga_epayment::fuzzing::check_envelope(data));
