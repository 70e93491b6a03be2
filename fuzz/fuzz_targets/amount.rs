//! parse_amount on the input as JSON and as a string: exact value, to_string re-reads to the same value and scale.
//! The checks live in `dga_epayment::fuzzing` so `core/tests/fuzz_corpus.rs` replays the
//! same ones on the committed corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dga_epayment::fuzzing::check_amount(data));
