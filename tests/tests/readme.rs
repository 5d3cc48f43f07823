//! The README is the operator's reference: it must name every configuration
//! variable the loader reads and every subcommand the binary has.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clap::CommandFactory;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap()
}

#[test]
fn readme_documents_every_configuration_variable() {
    let readme = readme();
    for (name, _, _) in nds_common::config::VARIABLES {
        assert!(readme.contains(&format!("`{name}`")), "README does not document {name}");
    }
}

#[test]
fn readme_documents_every_subcommand() {
    let readme = readme();
    for subcommand in nds::cli::Cli::command().get_subcommands() {
        let name = subcommand.get_name();
        assert!(readme.contains(&format!("nds {name}")), "README does not document `nds {name}`");
    }
    assert!(readme.contains("cargo run --release -p nds -- dev") && readme.contains("tests/run"));
}
