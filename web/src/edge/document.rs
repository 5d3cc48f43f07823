//! The document an operation sends: its own definition and the fragments it
//! spreads, cut from the file graphql_client read (a file holds several
//! operations). The edge validates every operation of a document it receives,
//! so sending the whole file would fail on the others' variables; and a smaller
//! document is less for the edge to parse.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock, PoisonError};

/// Top-level definitions of a document: (name, text).
fn definitions(document: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for line in document.lines() {
        let line = line.split('#').next().unwrap_or_default();
        if line.trim().is_empty() {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        depth += line.matches('{').count();
        depth = depth.saturating_sub(line.matches('}').count());
        if depth == 0 && current.contains('}') {
            let name = definition_name(&current);
            found.push((name, std::mem::take(&mut current)));
        }
    }
    found
}

/// `query Name(…) {` → "Name"; `fragment Name on T {` → "Name".
fn definition_name(text: &str) -> String {
    let mut words = text
        .split(|character: char| !(character.is_alphanumeric() || character == '_'))
        .filter(|word| !word.is_empty());
    words.next();
    words.next().unwrap_or_default().to_string()
}

/// Names after `...` (fragment spreads, not inline fragments).
fn spreads(text: &str) -> BTreeSet<String> {
    text.split("...")
        .skip(1)
        .filter_map(|rest| {
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|character| character.is_alphanumeric() || *character == '_')
                .collect();
            (!name.is_empty() && name != "on").then_some(name)
        })
        .collect()
}

/// The operation `operation` of `document` with the fragments it needs.
pub fn operation_document(document: &str, operation: &str) -> String {
    let all = definitions(document);
    let Some((_, text)) =
        all.iter().find(|(name, text)| name == operation && !text.trim_start().starts_with("fragment"))
    else {
        return document.to_string();
    };
    let mut out = text.clone();
    let mut needed = spreads(text);
    let mut added = BTreeSet::new();
    while let Some(name) = needed.iter().find(|name| !added.contains(*name)).cloned() {
        added.insert(name.clone());
        if let Some((_, fragment)) =
            all.iter().find(|(fragment_name, text)| *fragment_name == name && text.trim_start().starts_with("fragment"))
        {
            needed.extend(spreads(fragment));
            out.push_str(fragment);
        }
    }
    out
}

/// [`operation_document`], computed once per operation.
pub fn cached_operation_document(document: &'static str, operation: &'static str) -> &'static str {
    static CACHE: OnceLock<Mutex<HashMap<&'static str, &'static str>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    cache.entry(operation).or_insert_with(|| Box::leak(operation_document(document, operation).into_boxed_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# comment\nquery A($id: ID!) {\n  x(id: $id) { ...Card }\n}\n\nquery B($input: In!) {\n  y(input: $input) { ...Other }\n}\n\nfragment Card on T {\n  id\n  nested { ...Inner }\n}\n\nfragment Other on T {\n  id\n}\n\nfragment Inner on U {\n  name\n}\n";

    #[test]
    fn keeps_the_operation_and_the_fragments_it_spreads() {
        let document = operation_document(FILE, "A");
        assert!(document.contains("query A"));
        assert!(document.contains("fragment Card"));
        assert!(document.contains("fragment Inner"), "fragments of fragments too");
        assert!(!document.contains("query B"));
        assert!(!document.contains("fragment Other"));
        let document = operation_document(FILE, "B");
        assert!(document.contains("fragment Other") && !document.contains("fragment Card"));
    }
}
