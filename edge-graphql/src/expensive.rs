//! Fields whose work is out of proportion to their one complexity point: a password
//! hashed or verified (argon2id, tens of milliseconds of CPU), a mail sent, a text
//! interpreted (a language-model call when one is configured). The rate limit counts
//! requests and one 64 KiB document can alias hundreds of such fields, so every
//! operation gets a small budget of them, checked on the parsed document before
//! anything runs: over it, the whole request is refused with BAD_USER_INPUT.
//!
//! A field is marked where it is declared, with one attribute:
//! `#[graphql(directive = expensive::apply(Work::PasswordHashOrMail))]`. The mark is
//! part of the public schema (`@expensive(work: …)`), so clients see what is
//! budgeted, and the edge reads the marks back from that schema when it starts.
//! A marked field counts once per appearance in a document: mark fields whose cost
//! does not multiply with a list around them (today all are root fields).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest};
use async_graphql::parser::types::{
    BaseType, ExecutableDocument, OperationType, Selection, SelectionSet, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Enum, Pos, Request, ServerError, ServerResult, TypeDirective};
use nds_common::error::ErrorCode;

use crate::error::error_with_code;

/// What one operation may spend, in [`Work::weight`]s: one password hash or mail,
/// or up to three text interpretations.
pub const BUDGET_PER_OPERATION: u32 = 3;
/// Fragments spreading fragments deeper than this are refused (no client needs it,
/// and the check recurses through them).
const MAX_FRAGMENT_NESTING: usize = 32;

/// What makes a field expensive.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "ExpensiveWork")]
pub enum Work {
    /// Hashes or verifies a password, or sends mail: one per operation.
    PasswordHashOrMail,
    /// Interprets free text (rules, or a language model when configured): three per operation.
    TextInterpretation,
}

impl Work {
    pub fn weight(self) -> u32 {
        match self {
            Work::PasswordHashOrMail => BUDGET_PER_OPERATION,
            Work::TextInterpretation => 1,
        }
    }
}

/// Costly work: each operation may spend a budget of 3, where a password hash or a
/// mail costs 3 and a text interpretation 1. Over budget the request is refused
/// whole (BAD_USER_INPUT) before anything runs.
#[TypeDirective(location = "FieldDefinition")]
pub fn expensive(work: Work) {}

/// The work one document (or fragment) asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Tally {
    password_hashes_or_mails: u32,
    text_interpretations: u32,
}

impl Tally {
    fn add(&mut self, work: Work) {
        match work {
            Work::PasswordHashOrMail => self.password_hashes_or_mails = self.password_hashes_or_mails.saturating_add(1),
            Work::TextInterpretation => self.text_interpretations = self.text_interpretations.saturating_add(1),
        }
    }

    fn merge(&mut self, other: Tally) {
        self.password_hashes_or_mails = self.password_hashes_or_mails.saturating_add(other.password_hashes_or_mails);
        self.text_interpretations = self.text_interpretations.saturating_add(other.text_interpretations);
    }

    fn weight(&self) -> u32 {
        self.password_hashes_or_mails
            .saturating_mul(Work::PasswordHashOrMail.weight())
            .saturating_add(self.text_interpretations.saturating_mul(Work::TextInterpretation.weight()))
    }
}

/// A field as the check needs it: the named type it returns, and its mark.
struct FieldCost {
    returns: String,
    work: Option<Work>,
}

struct Catalogue {
    query: String,
    mutation: String,
    subscription: String,
    /// Fields of every object and interface type, by type and field name.
    types: HashMap<String, HashMap<String, FieldCost>>,
    /// Types under which some marked field can be selected. The check descends only
    /// into these: a page of listings costs it a look at its root fields, not a
    /// walk over every card.
    reaching: HashSet<String>,
}

/// The types a marked field can be selected under: those with a marked field or a
/// field of a reaching type, unions with a reaching member, interfaces with a
/// reaching implementation (fragments select those).
fn reaching_types(
    types: &HashMap<String, HashMap<String, FieldCost>>,
    possible_types: &HashMap<String, Vec<String>>,
) -> HashSet<String> {
    let mut reaching = HashSet::new();
    loop {
        let before = reaching.len();
        for (name, fields) in types {
            if fields.values().any(|field| field.work.is_some() || reaching.contains(&field.returns)) {
                reaching.insert(name.clone());
            }
        }
        for (name, members) in possible_types {
            if members.iter().any(|member| reaching.contains(member)) {
                reaching.insert(name.clone());
            }
        }
        if reaching.len() == before {
            return reaching;
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExpensiveFieldsError {
    #[error("the schema's own SDL does not parse: {0}")]
    Sdl(String),
    #[error("{field} is marked @expensive without a work the edge knows")]
    UnknownWork { field: String },
}

/// The marked fields of a schema, and the check of documents against the budget.
#[derive(Clone)]
pub struct ExpensiveFields(Arc<Catalogue>);

impl ExpensiveFields {
    /// Reads the marks (and the types fields return) from a schema's SDL.
    pub fn from_sdl(sdl: &str) -> Result<Self, ExpensiveFieldsError> {
        let document =
            async_graphql::parser::parse_schema(sdl).map_err(|error| ExpensiveFieldsError::Sdl(error.to_string()))?;
        let mut catalogue = Catalogue {
            query: "Query".into(),
            mutation: "Mutation".into(),
            subscription: "Subscription".into(),
            types: HashMap::new(),
            reaching: HashSet::new(),
        };
        // Unions' members and interfaces' implementations.
        let mut possible_types: HashMap<String, Vec<String>> = HashMap::new();
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    if let Some(name) = schema.query {
                        catalogue.query = name.node.to_string();
                    }
                    if let Some(name) = schema.mutation {
                        catalogue.mutation = name.node.to_string();
                    }
                    if let Some(name) = schema.subscription {
                        catalogue.subscription = name.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(definition) => {
                    let type_name = definition.node.name.node.to_string();
                    let fields = match definition.node.kind {
                        TypeKind::Object(object) => {
                            for interface in object.implements {
                                possible_types.entry(interface.node.to_string()).or_default().push(type_name.clone());
                            }
                            object.fields
                        }
                        TypeKind::Interface(interface) => interface.fields,
                        TypeKind::Union(union) => {
                            let members = union.members.into_iter().map(|member| member.node.to_string());
                            possible_types.entry(type_name).or_default().extend(members);
                            continue;
                        }
                        TypeKind::Scalar | TypeKind::Enum(_) | TypeKind::InputObject(_) => continue,
                    };
                    let mut costs = HashMap::with_capacity(fields.len());
                    for field in fields {
                        let field = field.node;
                        let name = field.name.node.to_string();
                        let work = field_work(&field.directives)
                            .map_err(|()| ExpensiveFieldsError::UnknownWork { field: format!("{type_name}.{name}") })?;
                        costs.insert(name, FieldCost { returns: named_type(&field.ty.node).to_string(), work });
                    }
                    catalogue.types.insert(type_name, costs);
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        catalogue.reaching = reaching_types(&catalogue.types, &possible_types);
        Ok(Self(Arc::new(catalogue)))
    }

    /// The fields of a schema marked `@expensive`, as `Type.field`.
    pub fn marked(&self) -> Vec<String> {
        let mut marked: Vec<String> = self
            .0
            .types
            .iter()
            .flat_map(|(type_name, fields)| {
                fields
                    .iter()
                    .filter(|(_, cost)| cost.work.is_some())
                    .map(move |(field, _)| format!("{type_name}.{field}"))
            })
            .collect();
        marked.sort();
        marked
    }

    /// Refuses a request whose operation asks for more than [`BUDGET_PER_OPERATION`].
    /// A document that does not parse is left to the schema, which reports it.
    pub fn check(&self, request: &mut Request) -> ServerResult<()> {
        let operation_name = request.operation_name.clone();
        let Ok(document) = request.parsed_query() else {
            return Ok(());
        };
        for (name, operation) in document.operations.iter() {
            // A named operation is the only one that runs.
            if operation_name.as_deref().is_some_and(|wanted| name.map(|name| name.as_str()) != Some(wanted)) {
                continue;
            }
            let root = match operation.node.ty {
                OperationType::Query => &self.0.query,
                OperationType::Mutation => &self.0.mutation,
                OperationType::Subscription => &self.0.subscription,
            };
            let mut walk = Walk { catalogue: &self.0, document, fragments: HashMap::new(), nesting: 0 };
            let tally = walk.selection_set(root, &operation.node.selection_set.node)?;
            if tally.weight() > BUDGET_PER_OPERATION {
                return Err(over_budget(tally));
            }
        }
        Ok(())
    }
}

/// The work an `@expensive(work: …)` mark names; Err for a work this edge does not know.
fn field_work(
    directives: &[async_graphql::Positioned<async_graphql::parser::types::ConstDirective>],
) -> Result<Option<Work>, ()> {
    let Some(mark) = directives.iter().find(|directive| directive.node.name.node == "expensive") else {
        return Ok(None);
    };
    let value = mark.node.get_argument("work").map(|value| value.node.clone()).ok_or(())?;
    <Work as async_graphql::InputType>::parse(Some(value)).map(Some).map_err(|_| ())
}

/// `[Listing!]!` → `Listing`.
fn named_type(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named_type(inner),
    }
}

fn over_budget(tally: Tally) -> ServerError {
    let message = format!(
        "this operation asks for {} password hashes or mails and {} text interpretations; one operation may do \
         one password hash or mail, or up to {} text interpretations: send them as separate requests",
        tally.password_hashes_or_mails,
        tally.text_interpretations,
        BUDGET_PER_OPERATION / Work::TextInterpretation.weight(),
    );
    error_with_code(ErrorCode::BadUserInput, message).into_server_error(Pos::default())
}

struct Walk<'a> {
    catalogue: &'a Catalogue,
    document: &'a ExecutableDocument,
    /// What each named fragment asks for, once walked: a fragment spread many times
    /// is walked once, so nested spreads cannot make the check itself explode.
    fragments: HashMap<&'a str, Tally>,
    nesting: usize,
}

impl<'a> Walk<'a> {
    fn selection_set(&mut self, type_name: &str, set: &'a SelectionSet) -> ServerResult<Tally> {
        let mut tally = Tally::default();
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    // Unknown fields (and `__typename`) are the schema's to refuse.
                    let Some(cost) =
                        self.catalogue.types.get(type_name).and_then(|fields| fields.get(field.name.node.as_str()))
                    else {
                        continue;
                    };
                    if let Some(work) = cost.work {
                        tally.add(work);
                    }
                    if self.catalogue.reaching.contains(&cost.returns) {
                        tally.merge(self.selection_set(&cost.returns, &field.selection_set.node)?);
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let on =
                        fragment.type_condition.as_ref().map_or(type_name, |condition| condition.node.on.node.as_str());
                    tally.merge(self.selection_set(on, &fragment.selection_set.node)?);
                }
                Selection::FragmentSpread(spread) => {
                    tally.merge(self.fragment(spread.node.fragment_name.node.as_str())?);
                }
            }
        }
        Ok(tally)
    }

    fn fragment(&mut self, name: &'a str) -> ServerResult<Tally> {
        if let Some(tally) = self.fragments.get(name) {
            return Ok(*tally);
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return Ok(Tally::default());
        };
        if self.nesting >= MAX_FRAGMENT_NESTING {
            let message = format!("fragments are nested more than {MAX_FRAGMENT_NESTING} deep");
            return Err(error_with_code(ErrorCode::BadUserInput, message).into_server_error(Pos::default()));
        }
        // A cycle meets its own entry: counted as nothing (the schema refuses cycles).
        self.fragments.insert(name, Tally::default());
        self.nesting += 1;
        let walked =
            self.selection_set(fragment.node.type_condition.node.on.node.as_str(), &fragment.node.selection_set.node);
        self.nesting -= 1;
        let tally = walked?;
        self.fragments.insert(name, tally);
        Ok(tally)
    }
}

/// The same check for requests that reach the schema over WebSocket
/// (graphql-transport-ws carries queries and mutations too).
struct ExpensiveFieldsExtension(ExpensiveFields);

#[async_trait::async_trait]
impl Extension for ExpensiveFieldsExtension {
    async fn prepare_request(
        &self,
        context: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        self.0.check(&mut request)?;
        next.run(context, request).await
    }
}

impl ExtensionFactory for ExpensiveFields {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ExpensiveFieldsExtension(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> ExpensiveFields {
        ExpensiveFields::from_sdl(&crate::schema::schema_builder().finish().sdl()).unwrap()
    }

    fn check(document: &str) -> Result<(), String> {
        let mut request = Request::new(document);
        fields().check(&mut request).map_err(|error| error.message)
    }

    const LOG_IN: &str = r#"logIn(email: "a@example.com", password: "x") { accessToken }"#;

    #[test]
    fn every_field_that_hashes_a_password_sends_mail_or_interprets_text_is_marked() {
        let expected = [
            "Mutation.acceptInvitation",
            "Mutation.applyForAgency",
            "Mutation.changePassword",
            "Mutation.inviteStaff",
            "Mutation.logIn",
            "Mutation.requestPasswordReset",
            "Mutation.resetPassword",
            "Mutation.reviewAgencyApplication",
            "Mutation.saveSearch",
            "Mutation.sendMessage",
            "Mutation.signUp",
            "Mutation.startConversation",
            "Query.interpretQuery",
            "Query.search",
        ];
        assert_eq!(fields().marked(), expected);
    }

    #[test]
    fn one_password_hash_or_three_interpretations_fit_an_operation() {
        assert_eq!(check(&format!("mutation {{ {LOG_IN} }}")), Ok(()));
        assert_eq!(
            check(
                "{ a: interpretQuery(text: \"x\") { makes } b: search(input: {}) { facets { field } } c: interpretQuery(text: \"y\") { makes } }"
            ),
            Ok(())
        );
        assert_eq!(
            check("{ listings { edges { node { id } } } me { email } }"),
            Ok(()),
            "cheap fields cost nothing here"
        );
    }

    #[test]
    fn aliases_fragments_and_inline_fragments_all_count() {
        assert!(check(&format!("mutation {{ a: {LOG_IN} b: {LOG_IN} }}")).is_err());
        let spread = format!("mutation {{ a: {LOG_IN} ...more }} fragment more on Mutation {{ b: {LOG_IN} }}");
        assert!(check(&spread).is_err());
        let inline = format!("mutation {{ a: {LOG_IN} ... on Mutation {{ b: {LOG_IN} }} }}");
        assert!(check(&inline).is_err());
        let twice = "query { ...f ...f } fragment f on Query { a: interpretQuery(text: \"x\") { makes } b: interpretQuery(text: \"y\") { makes } }";
        assert!(check(twice).is_err(), "a fragment spread twice counts twice");
        let error = check(&format!("mutation {{ a: {LOG_IN} b: {LOG_IN} }}")).unwrap_err();
        assert!(error.contains("2 password hashes or mails and 0 text interpretations"), "{error}");
    }

    #[test]
    fn only_the_operation_that_runs_is_judged() {
        let document = format!("mutation heavy {{ a: {LOG_IN} b: {LOG_IN} }} mutation light {{ {LOG_IN} }}");
        let mut light = Request::new(document.clone()).operation_name("light");
        assert!(fields().check(&mut light).is_ok());
        let mut heavy = Request::new(document).operation_name("heavy");
        assert!(fields().check(&mut heavy).is_err());
    }

    #[test]
    fn nested_spreads_are_walked_once_each_and_bounded() {
        // Each fragment spreads the next twice: 2^30 expansions if walked naively.
        let mut document = String::from("query { ...f0 }");
        for level in 0..30 {
            document.push_str(&format!(" fragment f{level} on Query {{ ...f{next} ...f{next} }}", next = level + 1));
        }
        document.push_str(" fragment f30 on Query { __typename }");
        assert_eq!(check(&document), Ok(()));
        let mut deeper = String::from("query { ...f0 }");
        for level in 0..40 {
            deeper.push_str(&format!(" fragment f{level} on Query {{ ...f{} }}", level + 1));
        }
        deeper.push_str(" fragment f40 on Query { __typename }");
        assert!(check(&deeper).unwrap_err().contains("nested"));
        let cycle = "query { ...a } fragment a on Query { ...b } fragment b on Query { ...a }";
        assert_eq!(check(cycle), Ok(()), "cycles are the schema's to refuse");
    }

    #[test]
    fn marked_fields_count_below_the_root_and_through_unions() {
        let sdl = r#"
            schema { query: Query }
            enum ExpensiveWork { PASSWORD_HASH_OR_MAIL TEXT_INTERPRETATION }
            directive @expensive(work: ExpensiveWork!) on FIELD_DEFINITION
            type Query { page: Page plain: Plain thing: Thing named: Named }
            type Page implements Named { name: String slow: Int @expensive(work: PASSWORD_HASH_OR_MAIL) }
            type Plain implements Named { name: String value: Int }
            interface Named { name: String }
            union Thing = Plain | Page
        "#;
        let fields = ExpensiveFields::from_sdl(sdl).unwrap();
        let check = |document: &str| fields.check(&mut Request::new(document)).is_ok();
        assert!(check("{ page { slow } plain { value } }"));
        assert!(!check("{ page { slow } again: page { slow } }"), "nested marks count");
        assert!(!check("{ thing { ... on Page { slow } } page { slow } }"), "through a union");
        assert!(!check("{ named { ... on Page { a: slow b: slow } } }"), "through an interface");
        let reaching: HashSet<&str> = fields.0.reaching.iter().map(String::as_str).collect();
        assert_eq!(reaching, HashSet::from(["Query", "Page", "Thing", "Named"]), "Plain is never walked into");
    }

    #[test]
    fn unparsable_documents_are_left_to_the_schema() {
        assert_eq!(check("{ listings("), Ok(()));
    }
}
