//! The contract NDS started from (`tests/fixtures/graphql/contract-origin.graphql`) and the schema snapshot
//! (`edge-graphql/schema.graphql`): API changes must be visible in review, and the
//! contract's names, arguments and enum values must keep existing.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

/// Contract operations that belong to work not yet landed, each with its issue.
/// The test fails when one of them appears, so this list only shrinks.
const PENDING: &[(&str, &str, &str)] = &[];

fn contract_path() -> std::path::PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.join("../tests/fixtures/graphql/contract-origin.graphql")
}

struct Field {
    type_name: String,
    field: String,
    arguments: BTreeSet<String>,
}

fn fields_and_enums(sdl: &str) -> (Vec<Field>, Vec<(String, BTreeSet<String>)>) {
    let document = parse_schema(sdl).unwrap();
    let mut fields = Vec::new();
    let mut enums = Vec::new();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(definition) = definition else { continue };
        let name = definition.node.name.node.to_string();
        match definition.node.kind {
            TypeKind::Object(object) => {
                for field in object.fields {
                    fields.push(Field {
                        type_name: name.clone(),
                        field: field.node.name.node.to_string(),
                        arguments: field
                            .node
                            .arguments
                            .iter()
                            .map(|argument| argument.node.name.node.to_string())
                            .collect(),
                    });
                }
            }
            TypeKind::Enum(enumeration) => {
                enums.push((name, enumeration.values.iter().map(|value| value.node.value.node.to_string()).collect()));
            }
            _ => {}
        }
    }
    (fields, enums)
}

fn our_sdl() -> String {
    edge_graphql::schema::schema_builder().finish().sdl()
}

#[test]
fn every_contract_operation_and_field_exists_with_its_arguments() {
    let contract = std::fs::read_to_string(contract_path()).unwrap();
    let (contract_fields, contract_enums) = fields_and_enums(&contract);
    let (our_fields, our_enums) = fields_and_enums(&our_sdl());
    let mut missing = Vec::new();
    for expected in &contract_fields {
        let pending =
            PENDING.iter().any(|(type_name, field, _)| *type_name == expected.type_name && *field == expected.field);
        let found = our_fields.iter().find(|ours| ours.type_name == expected.type_name && ours.field == expected.field);
        match (found, pending) {
            (Some(_), true) => {
                panic!("{}.{} is now served: remove it from PENDING", expected.type_name, expected.field)
            }
            (None, true) => {}
            (None, false) => missing.push(format!("{}.{}", expected.type_name, expected.field)),
            (Some(ours), false) => {
                let lacking: Vec<_> = expected.arguments.difference(&ours.arguments).collect();
                assert!(lacking.is_empty(), "{}.{} lacks arguments {lacking:?}", expected.type_name, expected.field);
            }
        }
    }
    assert!(missing.is_empty(), "contract fields missing from the schema: {missing:?}");
    for (name, values) in contract_enums {
        let ours = our_enums.iter().find(|(ours, _)| *ours == name).map(|(_, values)| values);
        let ours = ours.unwrap_or_else(|| panic!("enum {name} missing"));
        assert!(values.is_subset(ours), "enum {name}: contract {values:?}, ours {ours:?}");
    }
}

#[test]
fn schema_snapshot_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let current = our_sdl();
    if std::env::var("NDS_UPDATE_SCHEMA").as_deref() == Ok("1") {
        std::fs::write(&path, &current).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "the GraphQL schema changed: review it and run `NDS_UPDATE_SCHEMA=1 cargo test -p edge-graphql --test contract`"
    );
}
