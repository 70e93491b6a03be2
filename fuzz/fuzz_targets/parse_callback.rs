//! parse_callback on arbitrary bytes; an Ok callback round-trips through its normalized JSON.
//! The checks live in `dga_epayment::fuzzing` so `core/tests/fuzz_corpus.rs` replays the
//! same ones on the committed corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dga_epayment::fuzzing::check_callback(data));
