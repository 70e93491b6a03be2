//! Generates the C header with cbindgen and checks it against the committed
//! `include/dga_epayment.h`: the build fails when they differ, so the header cannot drift from
//! the code. `DGA_UPDATE_HEADER=1 cargo build -p dga-epayment-ffi` rewrites the committed one.

use std::env::{var, var_os};
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(var("CARGO_MANIFEST_DIR").unwrap());
    let committed = crate_dir.join("../include/dga_epayment.h");
    for path in ["src", "cbindgen.toml", "../include/dga_epayment.h"] {
        println!("cargo:rerun-if-changed={path}");
    }
    println!("cargo:rerun-if-env-changed=DGA_UPDATE_HEADER");
    println!("cargo:rerun-if-env-changed=DGA_EPAYMENT_SONAME");
    let set = |name| var_os(name).is_some_and(|v| v == "1");

    // Released, the .so is installed as libdga_epayment.so.0, the name programs then record; only
    // release packaging (scripts/package.sh, the release workflow) sets DGA_EPAYMENT_SONAME=1, or
    // a program linked in a checkout would look for a .so.0 cargo never writes.
    if var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") && set("DGA_EPAYMENT_SONAME") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libdga_epayment.so.0");
    }

    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("bindings-c/cbindgen.toml is readable");
    let mut generated = Vec::new();
    cbindgen::generate_with_config(&crate_dir, config)
        .expect("cbindgen generates the header")
        .write(&mut generated);
    if std::fs::read(&committed).unwrap_or_default() == generated {
        return;
    }
    if set("DGA_UPDATE_HEADER") {
        std::fs::write(&committed, &generated).expect("include/dga_epayment.h is writable");
        println!("cargo:warning=include/dga_epayment.h regenerated; commit it");
        return;
    }
    let out = PathBuf::from(var("OUT_DIR").unwrap()).join("dga_epayment.h");
    std::fs::write(&out, &generated).unwrap();
    panic!(
        "include/dga_epayment.h does not match the code in bindings-c/src (generated: {}).\n\
         Regenerate it with:  DGA_UPDATE_HEADER=1 cargo build -p dga-epayment-ffi\n\
         then review and commit include/dga_epayment.h.",
        out.display()
    );
}
