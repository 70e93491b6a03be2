//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the same checks the
//! fuzz targets run (`dga_epayment::fuzzing`), on the stable toolchain: every seed and every
//! input the fuzzer once crashed on stays a regression test. The fuzzing itself is
//! `scripts/fuzz.sh` (nightly).

use dga_epayment::fuzzing::TARGETS;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = corpus_dir(target);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the corpus of {target} ({}) is missing: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_target_has_a_seed_corpus_and_a_fuzz_target() {
    for (target, _) in TARGETS {
        assert!(
            !inputs(target).is_empty(),
            "fuzz/corpus/{target}/ holds no input"
        );
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/fuzz_targets")
            .join(format!("{target}.rs"));
        assert!(source.is_file(), "no fuzz target {}", source.display());
    }
}

#[test]
fn the_corpus_replays_without_a_panic_or_a_broken_invariant() {
    let mut failures = Vec::new();
    let mut count = 0;
    for (target, check) in TARGETS {
        for file in inputs(target) {
            let data = std::fs::read(&file).expect("read a corpus input");
            count += 1;
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failures.push(format!("{}: {message}", file.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} corpus inputs fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The corpus is small but not trivial: one file per target would not be a replay.
    assert!(count >= 5 * TARGETS.len(), "only {count} corpus inputs");
}
