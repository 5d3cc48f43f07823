//! The trace span of one GraphQL operation, named as OpenTelemetry's conventions
//! say (`query SearchListings`): by the operation's type and name, never by its
//! text or variables, which carry what people typed and tokens.

use async_graphql::parser::types::OperationType;

/// Longer operation names are cut: they are identifiers, but of any length.
const MAX_NAME_CHARS: usize = 100;

/// A span for `request`'s operation; `Span::none()` when tracing is off.
pub fn operation_span(request: &mut async_graphql::Request) -> tracing::Span {
    if !nds_common::trace::enabled() {
        return tracing::Span::none();
    }
    let requested = request.operation_name.clone();
    let (kind, name) = match request.parsed_query() {
        Ok(document) => {
            let operation = document.operations.iter().find(|(name, _)| match &requested {
                Some(requested) => name.is_some_and(|name| name.as_str() == requested),
                None => true,
            });
            match operation {
                Some((name, operation)) => (
                    kind_name(operation.node.ty),
                    name.map(|name| name.as_str().chars().take(MAX_NAME_CHARS).collect::<String>()),
                ),
                None => ("unknown", None),
            }
        }
        Err(_) => ("unparsed", None),
    };
    let span_name = match &name {
        Some(name) => format!("{kind} {name}"),
        None => kind.to_string(),
    };
    tracing::info_span!(
        "graphql.operation",
        otel.name = %span_name,
        graphql.operation.type = kind,
        graphql.operation.name = name.as_deref().unwrap_or(""),
        trace_id = tracing::field::Empty,
    )
}

fn kind_name(kind: OperationType) -> &'static str {
    match kind {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    }
}
