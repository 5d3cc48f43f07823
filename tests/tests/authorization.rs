#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Who may do what, to whom: a role × operation × tenant matrix over the public
//! GraphQL API, against NDS started as `nds dev` starts it (with the local Stripe
//! stand-in, so paid actions that pass their checks really complete).
//!
//! Two automobile groups, each with one agency, so every role exists twice: a
//! group admin, an agency manager and a salesperson per tenant, two buyers, the
//! platform admin and anonymous callers. Each agency has a draft and a published
//! listing (and spare ones that allowed status changes use up). Every case of the
//! table runs; all mismatches are collected and reported together, so one run
//! shows the whole picture. A refused mutation must leave its target as it was
//! (a listing read back by its owner, a lead by its buyer, the mails sent, the
//! requests Stripe got); an allowed one must have changed it, where it changes
//! something.
//!
//! Cases run in table order, which matters in two places: metrics run both before
//! and after paid actions (billing's own agency rows must not change who may read
//! an agency's metrics), and rows whose allowed callers change shared state list
//! them last.
//!
//! A case whose correct outcome the implementation does not give yet keeps the
//! correct expectation and carries a known gap (`Cell::gap`): it is printed in a
//! list instead of failing the test, and fails it once the gap is closed (so the
//! marker goes with the fix).

use std::fmt;

use nds_tests::TestSystem;
use nds_tests::client::{data, error_code};
use serde_json::{Value, json};
use svc_billing::testing::StripeStandIn;

const STRIPE_KEY: &str = "sk_test_e2e_authorization";
const WEBHOOK_SECRET: &str = "whsec_e2e_authorization";
const PASSWORD: &str = "autorizacion-2026-segura";
/// Spare listings per agency and status, used up by allowed status changes.
const SPARES: usize = 6;

// ---------------------------------------------------------------------------
// Operations (GraphQL documents)
// ---------------------------------------------------------------------------

const READ_LISTING: &str = "query($id: ID!) { listing(id: $id) { id status version price } }";
const RECORD_VIEW: &str = "mutation($id: ID!) { recordListingView(id: $id) }";
const UPDATE_LISTING: &str =
    "mutation($id: ID!, $input: ListingPatch!) { updateListing(id: $id, input: $input) { id version price } }";
const PUBLISH_LISTING: &str = "mutation($id: ID!) { publishListing(id: $id) { id status } }";
const ARCHIVE_LISTING: &str = "mutation($id: ID!) { archiveListing(id: $id) { id status } }";
const MARK_LISTING_SOLD: &str = "mutation($id: ID!) { markListingSold(id: $id) { id status } }";
const CREATE_LISTING: &str = "mutation($input: ListingInput!) { createListing(input: $input) { id status } }";
const LISTINGS: &str = "query($agency: ID, $status: ListingStatus) { listings(agencyId: $agency, status: $status, first: 100) { totalCount edges { node { id } } } }";
const METRICS: &str =
    "query($scope: MetricsScopeInput!) { metrics(scope: $scope) { values { source name label value } } }";
const PENDING_INVITATIONS: &str = "query($agency: ID!) { pendingInvitations(agencyId: $agency) { id email role } }";
const AGENCY_BILLING: &str =
    "query($agency: ID!) { agencyBilling(agencyId: $agency) { agencyId subscription listingsBilledThisPeriod } }";
const AGENCY_STAFF: &str = "query($agency: ID!) { agencyStaff(agencyId: $agency) { id name } }";
const CONVERSATION: &str = "query($id: ID!) { conversation(id: $id) { id messageCount assigneeId } }";
const CONVERSATIONS: &str = "{ conversations(first: 50) { totalCount edges { node { id } } } }";
const SEND_MESSAGE: &str =
    "mutation($id: ID!) { sendMessage(conversationId: $id, body: \"¿Sigue disponible el auto?\") { id } }";
const MARK_READ: &str = "mutation($id: ID!) { markConversationRead(conversationId: $id) { id } }";
const ASSIGN: &str =
    "mutation($id: ID!, $to: ID!) { assignConversation(conversationId: $id, salespersonId: $to) { id assigneeId } }";
const START_CONVERSATION: &str =
    "mutation($listing: ID!) { startConversation(listingId: $listing, message: \"Hola, me interesa\") { id } }";
const FAVOURITES: &str = "{ favourites(first: 50) { totalCount edges { node { id } } } }";
const ADD_FAVOURITE: &str = "mutation($listing: ID!) { addFavourite(listingId: $listing) }";
const REMOVE_FAVOURITE: &str = "mutation($listing: ID!) { removeFavourite(listingId: $listing) }";
const SAVED_SEARCHES: &str = "{ savedSearches { id name } }";
const PROMOTE: &str = "mutation($listing: ID!) { promoteListing(listingId: $listing) { kind clientSecret } }";
const SUBSCRIBE: &str = "mutation($agency: ID!) { subscribeAgency(agencyId: $agency) { kind clientSecret } }";
const PAYOUTS: &str = "mutation($agency: ID!) { startPayoutOnboarding(agencyId: $agency) { url } }";
const DEPOSIT: &str = "mutation($listing: ID!) { payDeposit(listingId: $listing, amount: 500000) { kind } }";
const APPLICATIONS: &str = "{ agencyApplications(first: 100) { totalCount edges { node { id companyName status } } } }";
const REVIEW: &str = "mutation($id: ID!) { reviewAgencyApplication(id: $id, approve: true) { id status } }";
const INVITE: &str = "mutation($agency: ID!, $email: String!, $role: Role!) { inviteStaff(agencyId: $agency, email: $email, role: $role) { id } }";
const FIND_USERS: &str = "query($email: String!) { users(email: $email) { id email suspended } }";
const GROUPS: &str = "{ groups(first: 50) { totalCount edges { node { id agencies { id suspended } } } } }";
const AUDIT_LOG: &str = "{ auditLog(first: 50) { totalCount edges { node { id action actorEmail } } } }";
const SUSPEND_USER: &str =
    "mutation($id: ID!, $suspended: Boolean!) { suspendUser(userId: $id, suspended: $suspended) { id suspended } }";
const SUSPEND_AGENCY: &str =
    "mutation($id: ID!, $suspended: Boolean!) { suspendAgency(agencyId: $id, suspended: $suspended) { id suspended } }";

// ---------------------------------------------------------------------------
// Actors and the world they act in
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Actor {
    PlatformAdmin,
    GroupAdminA,
    GroupAdminB,
    ManagerA,
    ManagerB,
    SalespersonA,
    SalespersonB,
    BuyerA,
    BuyerB,
    Anonymous,
}

use Actor::{
    Anonymous, BuyerA, BuyerB, GroupAdminA, GroupAdminB, ManagerA, ManagerB, PlatformAdmin, SalespersonA, SalespersonB,
};

const EVERYONE: [Actor; 10] = [
    PlatformAdmin,
    GroupAdminA,
    GroupAdminB,
    ManagerA,
    ManagerB,
    SalespersonA,
    SalespersonB,
    BuyerA,
    BuyerB,
    Anonymous,
];

/// One automobile group with its one agency, its people and its listings.
struct Tenant {
    agency_id: String,
    group_id: String,
    application_id: String,
    group_admin: String,
    manager: String,
    manager_id: String,
    salesperson: String,
    salesperson_id: String,
    draft: String,
    published: String,
    spare_drafts: Vec<String>,
    spare_published: Vec<String>,
}

struct World {
    system: TestSystem,
    stripe: StripeStandIn,
    admin: String,
    a: Tenant,
    b: Tenant,
    buyer_a: String,
    buyer_b: String,
    /// Buyer A's lead on agency A's published listing.
    conversation: String,
    /// Buyer A's saved search.
    saved_search: String,
    /// An application to join group A, still pending.
    pending_application: String,
}

impl World {
    fn token(&self, actor: Actor) -> Option<&str> {
        Some(match actor {
            PlatformAdmin => &self.admin,
            GroupAdminA => &self.a.group_admin,
            GroupAdminB => &self.b.group_admin,
            ManagerA => &self.a.manager,
            ManagerB => &self.b.manager,
            SalespersonA => &self.a.salesperson,
            SalespersonB => &self.b.salesperson,
            BuyerA => &self.buyer_a,
            BuyerB => &self.buyer_b,
            Anonymous => return None,
        })
    }

    /// The manager of the agency owning `listing_id` (who reads it back).
    fn owner_of(&self, listing_id: &str) -> &str {
        let owns = |tenant: &Tenant| {
            tenant.draft == listing_id
                || tenant.published == listing_id
                || tenant.spare_drafts.iter().chain(&tenant.spare_published).any(|id| id == listing_id)
        };
        if owns(&self.a) {
            &self.a.manager
        } else if owns(&self.b) {
            &self.b.manager
        } else {
            panic!("listing {listing_id} belongs to no tenant")
        }
    }

    async fn call(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        self.system.graphql(query, variables, token).await.unwrap()
    }
}

fn listing_input(agency_id: Option<&str>, model: &str) -> Value {
    json!({
        "agencyId": agency_id,
        "make": "Mazda", "model": model, "year": 2022, "price": 45_900_000, "mileageKm": 21_000,
        "bodyType": "SUV", "fuel": "GASOLINE", "transmission": "AUTOMATIC", "color": "Gris",
        "condition": "USED", "city": "Guadalajara", "state": "Jalisco",
    })
}

async fn create_listing(system: &TestSystem, manager: &str, publish: bool) -> String {
    let created =
        system.graphql(CREATE_LISTING, json!({ "input": listing_input(None, "CX-5") }), Some(manager)).await.unwrap();
    let id = data(&created, "createListing")["id"].as_str().unwrap().to_string();
    if publish {
        let published = system.graphql(PUBLISH_LISTING, json!({ "id": id }), Some(manager)).await.unwrap();
        assert_eq!(data(&published, "publishListing")["status"], "PUBLISHED");
    }
    id
}

/// An onboarded agency with a salesperson, a group admin (appointed by the
/// platform admin over gRPC: the public API has no such operation), and listings.
async fn tenant(system: &TestSystem, name: &str, tax_id: &str, domain: &str) -> Tenant {
    let agency = system.onboard_agency(name, tax_id, &format!("gerente@{domain}")).await;
    let manager_id = system.user_id(&agency.manager_token).await;
    let salesperson_email = format!("ventas@{domain}");
    let invited = system
        .graphql(
            INVITE,
            json!({ "agency": agency.id, "email": salesperson_email, "role": "SALESPERSON" }),
            Some(&agency.manager_token),
        )
        .await
        .unwrap();
    data(&invited, "inviteStaff");
    let salesperson = system.accept_invitation(&salesperson_email, "Ventas", PASSWORD).await;
    let salesperson_id = system.user_id(&salesperson).await;

    let group_admin_email = format!("direccion@{domain}");
    let (group_id, group_admin) = system.appoint_group_admin(&agency.id, &group_admin_email, PASSWORD).await;

    let manager = agency.manager_token;
    let draft = create_listing(system, &manager, false).await;
    let published = create_listing(system, &manager, true).await;
    let mut spare_drafts = Vec::new();
    let mut spare_published = Vec::new();
    for _ in 0..SPARES {
        spare_drafts.push(create_listing(system, &manager, false).await);
        spare_published.push(create_listing(system, &manager, true).await);
    }
    Tenant {
        agency_id: agency.id,
        group_id,
        application_id: String::new(),
        group_admin,
        manager,
        manager_id,
        salesperson,
        salesperson_id,
        draft,
        published,
        spare_drafts,
        spare_published,
    }
}

async fn world() -> World {
    let stripe = StripeStandIn::start(STRIPE_KEY).await.unwrap();
    let stripe_url = stripe.url();
    let system = TestSystem::start(&[
        ("NDS_STRIPE_SECRET_KEY", STRIPE_KEY),
        ("NDS_STRIPE_WEBHOOK_SECRETS", WEBHOOK_SECRET),
        ("NDS_STRIPE_API_BASE", &stripe_url),
        // Hundreds of requests from one address and a few tokens within a minute.
        ("NDS_RATE_LIMIT_PER_CLIENT", "1000000"),
        ("NDS_RATE_LIMIT_PER_USER", "1000000"),
    ])
    .await
    .unwrap();
    let admin = system.admin_token().await;
    let mut a = tenant(&system, "Autos Norte", "ANO010101AB1", "norte.mx").await;
    let mut b = tenant(&system, "Autos Sur", "ASU010101AB1", "sur.mx").await;
    let buyer_a = system.sign_up_buyer("compradora.a@example.com", PASSWORD).await;
    let buyer_b = system.sign_up_buyer("comprador.b@example.com", PASSWORD).await;

    let started = system
        .graphql(
            "mutation($listing: ID!) { startConversation(listingId: $listing, message: \"¿Acepta auto a cuenta?\") { id } }",
            json!({ "listing": a.published }),
            Some(&buyer_a),
        )
        .await
        .unwrap();
    let conversation = data(&started, "startConversation")["id"].as_str().unwrap().to_string();
    let favourite = system.graphql(ADD_FAVOURITE, json!({ "listing": a.published }), Some(&buyer_a)).await.unwrap();
    assert_eq!(data(&favourite, "addFavourite"), &json!(true));
    let saved = system
        .graphql(
            "mutation { saveSearch(name: \"SUV\", input: { text: \"mazda suv\" }) { id } }",
            json!({}),
            Some(&buyer_a),
        )
        .await
        .unwrap();
    let saved_search = data(&saved, "saveSearch")["id"].as_str().unwrap().to_string();

    // An application to join group A (an existing group), left pending.
    let applied = system
        .graphql(
            "mutation($input: AgencyApplicationInput!) { applyForAgency(input: $input) { id } }",
            json!({ "input": {
                "companyName": "Autos Oriente", "contactName": "Paula", "contactEmail": "paula@oriente.mx",
                "taxId": "AOR010101AB1", "address": "Av. Juárez 10", "city": "Puebla", "state": "Puebla",
                "groupId": a.group_id, "expectedListings": 10 } }),
            None,
        )
        .await
        .unwrap();
    let pending_application = data(&applied, "applyForAgency")["id"].as_str().unwrap().to_string();
    let applications = system.graphql(APPLICATIONS, json!({}), Some(&admin)).await.unwrap();
    let application_of = |company: &str| {
        data(&applications, "agencyApplications")["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|edge| edge["node"]["companyName"] == company)
            .unwrap_or_else(|| panic!("no application of {company}: {applications}"))["node"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    a.application_id = application_of("Autos Norte");
    b.application_id = application_of("Autos Sur");

    World { system, stripe, admin, a, b, buyer_a, buyer_b, conversation, saved_search, pending_application }
}

// ---------------------------------------------------------------------------
// The table's vocabulary
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Expect {
    /// No errors, and `data.<field>` is there (not null).
    Allowed,
    /// No errors, and `data.<field>` is null: not visible, exactly as if it did not exist.
    Hidden,
    /// No errors; the returned list holds every id of `has` and none of `lacks`.
    Lists { has: Vec<String>, lacks: Vec<String> },
    /// An error with this `extensions.code`.
    Refused(&'static str),
}

impl fmt::Display for Expect {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Allowed => write!(formatter, "allowed"),
            Expect::Hidden => write!(formatter, "allowed, but null (hidden)"),
            Expect::Lists { has, lacks } => write!(formatter, "a list with {has:?} and without {lacks:?}"),
            Expect::Refused(code) => write!(formatter, "refused with {code}"),
        }
    }
}

/// What a mutation may touch: read before and after the call. A refused call
/// must leave it unchanged; an allowed one must change it when `changes` is set.
#[derive(Clone, Debug)]
enum Guard {
    None,
    /// Status, version and price, as the listing's agency manager reads them.
    Listing(String),
    /// Message count and assignee, as the conversation's buyer reads them.
    Conversation(String),
    /// The application's status, as the platform admin reads it.
    Application(String),
    /// How many mails name this address.
    Mail(String),
    /// How many requests the Stripe stand-in got.
    Stripe,
    /// Buyer A's favourites.
    FavouritesOfBuyerA,
    /// Whether the account with this e-mail is suspended, as the platform admin finds it.
    UserSuspended(String),
    /// Whether this agency is suspended, as anyone reads it.
    AgencySuspended(String),
}

#[derive(Clone)]
struct Operation {
    query: &'static str,
    variables: Value,
    field: &'static str,
    guard: Guard,
    /// An allowed call must change what the guard reads.
    changes: bool,
}

fn read(query: &'static str, field: &'static str, variables: Value) -> Operation {
    Operation { query, variables, field, guard: Guard::None, changes: false }
}

fn write(query: &'static str, field: &'static str, variables: Value, guard: Guard) -> Operation {
    Operation { query, variables, field, guard, changes: true }
}

/// One expectation of a matrix row.
struct Cell {
    actor: Actor,
    expect: Expect,
    known_gaps: Vec<&'static str>,
}

impl Cell {
    /// The correct outcome is not what the implementation gives yet, for this reason.
    // None open now; kept so the next gap found is reported without hiding the rest.
    #[allow(dead_code)]
    fn gap(mut self, description: &'static str) -> Cell {
        self.known_gaps.push(description);
        self
    }
}

fn allowed(actor: Actor) -> Cell {
    Cell { actor, expect: Expect::Allowed, known_gaps: Vec::new() }
}

fn hidden(actor: Actor) -> Cell {
    Cell { actor, expect: Expect::Hidden, known_gaps: Vec::new() }
}

fn refused(actor: Actor, code: &'static str) -> Cell {
    Cell { actor, expect: Expect::Refused(code), known_gaps: Vec::new() }
}

fn lists(actor: Actor, has: &[&String], lacks: &[&String]) -> Cell {
    let owned = |ids: &[&String]| ids.iter().map(|id| id.to_string()).collect();
    Cell { actor, expect: Expect::Lists { has: owned(has), lacks: owned(lacks) }, known_gaps: Vec::new() }
}

struct Case {
    name: String,
    actor: Actor,
    operation: Operation,
    expect: Expect,
    known_gaps: Vec<&'static str>,
}

/// One operation against the actors of `cells`, in their order; `operation`
/// builds the call for an actor (allowed status changes get their own listing).
fn row(cases: &mut Vec<Case>, name: &str, cells: Vec<Cell>, mut operation: impl FnMut(Actor) -> Operation) {
    for (index, cell) in cells.iter().enumerate() {
        assert!(
            cells[..index].iter().all(|earlier| earlier.actor != cell.actor),
            "{name}: {:?} appears twice",
            cell.actor
        );
    }
    for cell in cells {
        cases.push(Case {
            name: name.to_string(),
            actor: cell.actor,
            operation: operation(cell.actor),
            expect: cell.expect,
            known_gaps: cell.known_gaps,
        });
    }
}

/// A row that names every actor exactly once.
fn full_row(cases: &mut Vec<Case>, name: &str, cells: Vec<Cell>, operation: impl FnMut(Actor) -> Operation) {
    for actor in EVERYONE {
        assert!(cells.iter().any(|cell| cell.actor == actor), "{name}: no expectation for {actor:?}");
    }
    row(cases, name, cells, operation);
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

fn cases(world: &World) -> Vec<Case> {
    let (a, b) = (&world.a, &world.b);
    let mut cases = Vec::new();
    let mut spare_drafts_a = a.spare_drafts.iter();
    let mut spare_published_a = a.spare_published.iter();
    let mut spare_drafts_b = b.spare_drafts.iter();
    let mut spare_published_b = b.spare_published.iter();
    let mut prices = 30_000_000..;
    let mut next_price = move || prices.next().unwrap();

    // --- Reading listings -------------------------------------------------
    for (tenant, name, foreign, own_group_admin, own_manager, own_salesperson) in [
        (a, "listing(draft of agency A)", [GroupAdminB, ManagerB, SalespersonB], GroupAdminA, ManagerA, SalespersonA),
        (b, "listing(draft of agency B)", [GroupAdminA, ManagerA, SalespersonA], GroupAdminB, ManagerB, SalespersonB),
    ] {
        let [foreign_group_admin, foreign_manager, foreign_salesperson] = foreign;
        full_row(
            &mut cases,
            name,
            vec![
                allowed(PlatformAdmin),
                allowed(own_group_admin),
                hidden(foreign_group_admin),
                allowed(own_manager),
                hidden(foreign_manager),
                allowed(own_salesperson),
                hidden(foreign_salesperson),
                hidden(BuyerA),
                hidden(BuyerB),
                hidden(Anonymous),
            ],
            |_| read(READ_LISTING, "listing", json!({ "id": tenant.draft })),
        );
    }
    full_row(&mut cases, "listing(published of agency B)", EVERYONE.into_iter().map(allowed).collect(), |_| {
        read(READ_LISTING, "listing", json!({ "id": b.published }))
    });
    // A view is counted only for a public listing, but whoever may read a draft may
    // open its page: they get an answer, anyone else the draft's absence.
    full_row(
        &mut cases,
        "recordListingView(draft of agency A)",
        EVERYONE
            .into_iter()
            .map(|actor| match actor {
                PlatformAdmin | GroupAdminA | ManagerA | SalespersonA => allowed(actor),
                _ => refused(actor, "NOT_FOUND"),
            })
            .collect(),
        |_| read(RECORD_VIEW, "recordListingView", json!({ "id": a.draft })),
    );
    full_row(
        &mut cases,
        "recordListingView(published of agency B)",
        EVERYONE.into_iter().map(allowed).collect(),
        |_| read(RECORD_VIEW, "recordListingView", json!({ "id": b.published })),
    );

    // listings(agencyId, status: DRAFT): staff and overseers see drafts, anyone else an empty page.
    for (tenant, other, name, insiders) in [
        (a, b, "listings(agency A, DRAFT)", [GroupAdminA, ManagerA, SalespersonA]),
        (b, a, "listings(agency B, DRAFT)", [GroupAdminB, ManagerB, SalespersonB]),
    ] {
        let cells = EVERYONE
            .into_iter()
            .map(|actor| {
                if actor == PlatformAdmin || insiders.contains(&actor) {
                    lists(actor, &[&tenant.draft], &[&tenant.published, &other.draft])
                } else {
                    lists(actor, &[], &[&tenant.draft])
                }
            })
            .collect();
        full_row(&mut cases, name, cells, |_| {
            read(LISTINGS, "listings", json!({ "agency": tenant.agency_id, "status": "DRAFT" }))
        });
    }
    full_row(
        &mut cases,
        "listings(no agency, DRAFT)",
        vec![
            lists(PlatformAdmin, &[&a.draft, &b.draft], &[]),
            lists(GroupAdminA, &[], &[&b.draft]),
            lists(GroupAdminB, &[], &[&a.draft]),
            lists(ManagerA, &[&a.draft], &[&b.draft]),
            lists(ManagerB, &[&b.draft], &[&a.draft]),
            lists(SalespersonA, &[&a.draft], &[&b.draft]),
            lists(SalespersonB, &[&b.draft], &[&a.draft]),
            lists(BuyerA, &[], &[&a.draft, &b.draft]),
            lists(BuyerB, &[], &[&a.draft, &b.draft]),
            lists(Anonymous, &[], &[&a.draft, &b.draft]),
        ],
        |_| read(LISTINGS, "listings", json!({ "status": "DRAFT" })),
    );
    full_row(
        &mut cases,
        "listings(agency A, any status)",
        EVERYONE
            .into_iter()
            .map(|actor| match actor {
                PlatformAdmin | GroupAdminA | ManagerA | SalespersonA => lists(actor, &[&a.published, &a.draft], &[]),
                _ => lists(actor, &[&a.published], &[&a.draft, &b.published]),
            })
            .collect(),
        |_| read(LISTINGS, "listings", json!({ "agency": a.agency_id })),
    );

    // --- Metrics: each scope against each role ------------------------------
    // Runs before any paid action: until then billing knows no agency's group.
    full_row(
        &mut cases,
        "metrics(PLATFORM)",
        EVERYONE
            .into_iter()
            .map(|actor| match actor {
                PlatformAdmin => allowed(actor),
                Anonymous => refused(actor, "UNAUTHENTICATED"),
                _ => refused(actor, "FORBIDDEN"),
            })
            .collect(),
        |_| read(METRICS, "metrics", json!({ "scope": { "platform": true } })),
    );
    for (tenant, name, overseer) in [(a, "metrics(GROUP A)", GroupAdminA), (b, "metrics(GROUP B)", GroupAdminB)] {
        full_row(
            &mut cases,
            name,
            EVERYONE
                .into_iter()
                .map(|actor| match actor {
                    PlatformAdmin => allowed(actor),
                    Anonymous => refused(actor, "UNAUTHENTICATED"),
                    actor if actor == overseer => allowed(actor),
                    // Agency staff see their agency, not the group around it.
                    _ => refused(actor, "FORBIDDEN"),
                })
                .collect(),
            |_| read(METRICS, "metrics", json!({ "scope": { "groupId": tenant.group_id } })),
        );
    }
    for (tenant, name, overseer, manager) in
        [(a, "metrics(AGENCY A)", GroupAdminA, ManagerA), (b, "metrics(AGENCY B)", GroupAdminB, ManagerB)]
    {
        full_row(
            &mut cases,
            name,
            EVERYONE
                .into_iter()
                .map(|actor| match actor {
                    PlatformAdmin => allowed(actor),
                    Anonymous => refused(actor, "UNAUTHENTICATED"),
                    actor if actor == manager => allowed(actor),
                    // Before any paid action or conversation of the agency: its group
                    // comes from identity, not from billing's or chat's own rows.
                    actor if actor == overseer => allowed(actor),
                    // Salespeople included: agency metrics carry billing revenue.
                    _ => refused(actor, "FORBIDDEN"),
                })
                .collect(),
            |_| read(METRICS, "metrics", json!({ "scope": { "agencyId": tenant.agency_id } })),
        );
    }
    for (tenant, name, overseer, manager) in
        [(a, "agencyBilling(A)", GroupAdminA, ManagerA), (b, "agencyBilling(B)", GroupAdminB, ManagerB)]
    {
        full_row(
            &mut cases,
            name,
            EVERYONE
                .into_iter()
                .map(|actor| match actor {
                    PlatformAdmin => allowed(actor),
                    Anonymous => refused(actor, "UNAUTHENTICATED"),
                    actor if actor == manager || actor == overseer => allowed(actor),
                    // Scoped as metrics are: salespeople do not see what the agency pays.
                    _ => refused(actor, "FORBIDDEN"),
                })
                .collect(),
            |_| read(AGENCY_BILLING, "agencyBilling", json!({ "agency": tenant.agency_id })),
        );
    }
    for (tenant, name, overseer, manager) in
        [(a, "pendingInvitations(A)", GroupAdminA, ManagerA), (b, "pendingInvitations(B)", GroupAdminB, ManagerB)]
    {
        full_row(
            &mut cases,
            name,
            EVERYONE
                .into_iter()
                .map(|actor| match actor {
                    PlatformAdmin => allowed(actor),
                    Anonymous => refused(actor, "UNAUTHENTICATED"),
                    actor if actor == manager || actor == overseer => allowed(actor),
                    // Those who may invite the agency's staff; salespeople may not.
                    _ => refused(actor, "FORBIDDEN"),
                })
                .collect(),
            |_| read(PENDING_INVITATIONS, "pendingInvitations", json!({ "agency": tenant.agency_id })),
        );
    }
    for (tenant, name, overseer, manager, salesperson) in [
        (a, "agencyStaff(A)", GroupAdminA, ManagerA, SalespersonA),
        (b, "agencyStaff(B)", GroupAdminB, ManagerB, SalespersonB),
    ] {
        full_row(
            &mut cases,
            name,
            EVERYONE
                .into_iter()
                .map(|actor| match actor {
                    PlatformAdmin => lists(actor, &[&tenant.manager_id, &tenant.salesperson_id], &[]),
                    Anonymous => refused(actor, "UNAUTHENTICATED"),
                    // Its own staff see whom a lead can go to; its group's admins oversee it.
                    actor if actor == manager || actor == salesperson || actor == overseer => {
                        lists(actor, &[&tenant.manager_id, &tenant.salesperson_id], &[])
                    }
                    _ => refused(actor, "FORBIDDEN"),
                })
                .collect(),
            |_| read(AGENCY_STAFF, "agencyStaff", json!({ "agency": tenant.agency_id })),
        );
    }

    // --- Conversations (buyer A's lead with agency A) -------------------------
    let conversation = &world.conversation;
    let lead_side = |actor: Actor| matches!(actor, PlatformAdmin | ManagerA | SalespersonA | BuyerA);
    full_row(
        &mut cases,
        "conversation(buyer A's lead)",
        EVERYONE
            .into_iter()
            .map(|actor| match actor {
                actor if lead_side(actor) => allowed(actor),
                Anonymous => refused(actor, "UNAUTHENTICATED"),
                // Group admins oversee agencies, but leads are the agency's own.
                _ => hidden(actor),
            })
            .collect(),
        |_| read(CONVERSATION, "conversation", json!({ "id": conversation })),
    );
    full_row(
        &mut cases,
        "conversations (list)",
        EVERYONE
            .into_iter()
            .map(|actor| match actor {
                actor if lead_side(actor) => lists(actor, &[conversation], &[]),
                Anonymous => refused(actor, "UNAUTHENTICATED"),
                _ => lists(actor, &[], &[conversation]),
            })
            .collect(),
        |_| read(CONVERSATIONS, "conversations", json!({})),
    );
    full_row(
        &mut cases,
        "sendMessage(buyer A's lead)",
        EVERYONE
            .into_iter()
            .map(|actor| match actor {
                actor if lead_side(actor) => allowed(actor),
                Anonymous => refused(actor, "UNAUTHENTICATED"),
                _ => refused(actor, "NOT_FOUND"),
            })
            .collect(),
        |_| {
            write(SEND_MESSAGE, "sendMessage", json!({ "id": conversation }), Guard::Conversation(conversation.clone()))
        },
    );
    full_row(
        &mut cases,
        "markConversationRead(buyer A's lead)",
        EVERYONE
            .into_iter()
            .map(|actor| match actor {
                actor if lead_side(actor) => allowed(actor),
                Anonymous => refused(actor, "UNAUTHENTICATED"),
                _ => refused(actor, "NOT_FOUND"),
            })
            .collect(),
        |_| {
            let mut operation = write(
                MARK_READ,
                "markConversationRead",
                json!({ "id": conversation }),
                Guard::Conversation(conversation.clone()),
            );
            operation.changes = false;
            operation
        },
    );
    // Refused callers try to hand the lead to manager A; manager A then does, and
    // the platform admin hands it back to salesperson A.
    full_row(
        &mut cases,
        "assignConversation(buyer A's lead)",
        vec![
            refused(Anonymous, "UNAUTHENTICATED"),
            refused(BuyerA, "FORBIDDEN"),
            refused(BuyerB, "NOT_FOUND"),
            refused(SalespersonA, "FORBIDDEN"),
            refused(SalespersonB, "NOT_FOUND"),
            refused(ManagerB, "NOT_FOUND"),
            refused(GroupAdminA, "NOT_FOUND"),
            refused(GroupAdminB, "NOT_FOUND"),
            allowed(ManagerA),
            allowed(PlatformAdmin),
        ],
        |actor| {
            let to = if actor == PlatformAdmin { &a.salesperson_id } else { &a.manager_id };
            write(
                ASSIGN,
                "assignConversation",
                json!({ "id": conversation, "to": to }),
                Guard::Conversation(conversation.clone()),
            )
        },
    );
    row(
        &mut cases,
        "assignConversation(buyer A's lead → salesperson of agency B)",
        vec![refused(ManagerA, "BAD_USER_INPUT"), refused(PlatformAdmin, "BAD_USER_INPUT")],
        |_| {
            write(
                ASSIGN,
                "assignConversation",
                json!({ "id": conversation, "to": b.salesperson_id }),
                Guard::Conversation(conversation.clone()),
            )
        },
    );
    row(
        &mut cases,
        "startConversation(draft of agency B)",
        vec![
            refused(BuyerA, "NOT_FOUND"),
            refused(ManagerA, "NOT_FOUND"),
            refused(GroupAdminA, "NOT_FOUND"),
            refused(Anonymous, "UNAUTHENTICATED"),
        ],
        |_| read(START_CONVERSATION, "startConversation", json!({ "listing": b.draft })),
    );
    row(
        &mut cases,
        "startConversation(published of own agency A)",
        vec![refused(ManagerA, "FORBIDDEN"), refused(SalespersonA, "FORBIDDEN")],
        |_| read(START_CONVERSATION, "startConversation", json!({ "listing": a.published })),
    );

    // --- Favourites and saved searches: the caller's own -----------------------
    row(
        &mut cases,
        "removeFavourite(published of agency A) by someone else",
        vec![allowed(BuyerB), allowed(ManagerB)],
        |_| {
            let mut operation = write(
                REMOVE_FAVOURITE,
                "removeFavourite",
                json!({ "listing": a.published }),
                Guard::FavouritesOfBuyerA,
            );
            // Allowed, but only ever on the caller's own favourites: buyer A's stay.
            operation.changes = false;
            operation
        },
    );
    full_row(
        &mut cases,
        "favourites",
        EVERYONE
            .into_iter()
            .map(|actor| match actor {
                BuyerA => lists(actor, &[&a.published], &[]),
                Anonymous => refused(actor, "UNAUTHENTICATED"),
                _ => lists(actor, &[], &[&a.published]),
            })
            .collect(),
        |_| read(FAVOURITES, "favourites", json!({})),
    );
    row(
        &mut cases,
        "addFavourite(draft of agency B)",
        vec![refused(BuyerA, "NOT_FOUND"), refused(ManagerA, "NOT_FOUND"), refused(Anonymous, "UNAUTHENTICATED")],
        |_| read(ADD_FAVOURITE, "addFavourite", json!({ "listing": b.draft })),
    );
    full_row(
        &mut cases,
        "savedSearches",
        EVERYONE
            .into_iter()
            .map(|actor| match actor {
                BuyerA => lists(actor, &[&world.saved_search], &[]),
                Anonymous => refused(actor, "UNAUTHENTICATED"),
                _ => lists(actor, &[], &[&world.saved_search]),
            })
            .collect(),
        |_| read(SAVED_SEARCHES, "savedSearches", json!({})),
    );

    // --- Changing listings -------------------------------------------------------
    // Group admins read their agencies' listings but do not manage them; callers
    // who cannot see a listing are told it does not exist.
    full_row(
        &mut cases,
        "updateListing(draft of agency A)",
        vec![
            allowed(PlatformAdmin),
            refused(GroupAdminA, "FORBIDDEN"),
            refused(GroupAdminB, "NOT_FOUND"),
            allowed(ManagerA),
            refused(ManagerB, "NOT_FOUND"),
            allowed(SalespersonA),
            refused(SalespersonB, "NOT_FOUND"),
            refused(BuyerA, "NOT_FOUND"),
            refused(BuyerB, "NOT_FOUND"),
            refused(Anonymous, "NOT_FOUND"),
        ],
        |_| {
            let variables = json!({ "id": a.draft, "input": { "price": next_price() } });
            write(UPDATE_LISTING, "updateListing", variables, Guard::Listing(a.draft.clone()))
        },
    );
    full_row(
        &mut cases,
        "updateListing(published of agency B)",
        vec![
            allowed(PlatformAdmin),
            refused(GroupAdminA, "FORBIDDEN"),
            refused(GroupAdminB, "FORBIDDEN"),
            refused(ManagerA, "FORBIDDEN"),
            allowed(ManagerB),
            refused(SalespersonA, "FORBIDDEN"),
            allowed(SalespersonB),
            refused(BuyerA, "FORBIDDEN"),
            refused(BuyerB, "FORBIDDEN"),
            refused(Anonymous, "UNAUTHENTICATED"),
        ],
        |_| {
            let variables = json!({ "id": b.published, "input": { "price": next_price() } });
            write(UPDATE_LISTING, "updateListing", variables, Guard::Listing(b.published.clone()))
        },
    );
    full_row(
        &mut cases,
        "publishListing(draft of agency A)",
        vec![
            allowed(PlatformAdmin),
            refused(GroupAdminA, "FORBIDDEN"),
            refused(GroupAdminB, "NOT_FOUND"),
            allowed(ManagerA),
            refused(ManagerB, "NOT_FOUND"),
            allowed(SalespersonA),
            refused(SalespersonB, "NOT_FOUND"),
            refused(BuyerA, "NOT_FOUND"),
            refused(BuyerB, "NOT_FOUND"),
            refused(Anonymous, "NOT_FOUND"),
        ],
        |actor| {
            let target = match actor {
                PlatformAdmin | ManagerA | SalespersonA => spare_drafts_a.next().expect("enough spare drafts"),
                _ => &a.draft,
            };
            write(PUBLISH_LISTING, "publishListing", json!({ "id": target }), Guard::Listing(target.clone()))
        },
    );
    full_row(
        &mut cases,
        "archiveListing(draft of agency B)",
        vec![
            allowed(PlatformAdmin),
            refused(GroupAdminA, "NOT_FOUND"),
            refused(GroupAdminB, "FORBIDDEN"),
            refused(ManagerA, "NOT_FOUND"),
            allowed(ManagerB),
            refused(SalespersonA, "NOT_FOUND"),
            allowed(SalespersonB),
            refused(BuyerA, "NOT_FOUND"),
            refused(BuyerB, "NOT_FOUND"),
            refused(Anonymous, "NOT_FOUND"),
        ],
        |actor| {
            let target = match actor {
                PlatformAdmin | ManagerB | SalespersonB => spare_drafts_b.next().expect("enough spare drafts"),
                _ => &b.draft,
            };
            write(ARCHIVE_LISTING, "archiveListing", json!({ "id": target }), Guard::Listing(target.clone()))
        },
    );
    full_row(
        &mut cases,
        "archiveListing(published of agency B)",
        vec![
            allowed(PlatformAdmin),
            refused(GroupAdminA, "FORBIDDEN"),
            refused(GroupAdminB, "FORBIDDEN"),
            refused(ManagerA, "FORBIDDEN"),
            allowed(ManagerB),
            refused(SalespersonA, "FORBIDDEN"),
            allowed(SalespersonB),
            refused(BuyerA, "FORBIDDEN"),
            refused(BuyerB, "FORBIDDEN"),
            refused(Anonymous, "UNAUTHENTICATED"),
        ],
        |actor| {
            let target = match actor {
                PlatformAdmin | ManagerB | SalespersonB => spare_published_b.next().expect("enough spare listings"),
                _ => &b.published,
            };
            write(ARCHIVE_LISTING, "archiveListing", json!({ "id": target }), Guard::Listing(target.clone()))
        },
    );
    full_row(
        &mut cases,
        "markListingSold(published of agency A)",
        vec![
            allowed(PlatformAdmin),
            refused(GroupAdminA, "FORBIDDEN"),
            refused(GroupAdminB, "FORBIDDEN"),
            allowed(ManagerA),
            refused(ManagerB, "FORBIDDEN"),
            allowed(SalespersonA),
            refused(SalespersonB, "FORBIDDEN"),
            refused(BuyerA, "FORBIDDEN"),
            refused(BuyerB, "FORBIDDEN"),
            refused(Anonymous, "UNAUTHENTICATED"),
        ],
        |actor| {
            let target = match actor {
                PlatformAdmin | ManagerA | SalespersonA => spare_published_a.next().expect("enough spare listings"),
                _ => &a.published,
            };
            write(MARK_LISTING_SOLD, "markListingSold", json!({ "id": target }), Guard::Listing(target.clone()))
        },
    );
    // Only an agency's staff create its listings (platform admins included: the
    // catalog takes the tenant from the caller's own membership, never the request).
    full_row(
        &mut cases,
        "createListing(agencyId: agency A)",
        EVERYONE
            .into_iter()
            .map(|actor| match actor {
                ManagerA | SalespersonA => allowed(actor),
                Anonymous => refused(actor, "UNAUTHENTICATED"),
                _ => refused(actor, "FORBIDDEN"),
            })
            .collect(),
        |_| read(CREATE_LISTING, "createListing", json!({ "input": listing_input(Some(&a.agency_id), "CX-30") })),
    );

    // --- Billing: paid actions are the agency manager's (and the platform's) -------
    full_row(
        &mut cases,
        "promoteListing(published of agency A)",
        EVERYONE
            .into_iter()
            .map(|actor| match actor {
                PlatformAdmin | ManagerA => allowed(actor),
                Anonymous => refused(actor, "UNAUTHENTICATED"),
                _ => refused(actor, "FORBIDDEN"),
            })
            .collect(),
        |_| write(PROMOTE, "promoteListing", json!({ "listing": a.published }), Guard::Stripe),
    );
    row(
        &mut cases,
        "promoteListing(draft of agency B)",
        vec![
            refused(ManagerA, "NOT_FOUND"),
            refused(GroupAdminA, "NOT_FOUND"),
            refused(BuyerA, "NOT_FOUND"),
            refused(Anonymous, "UNAUTHENTICATED"),
        ],
        |_| write(PROMOTE, "promoteListing", json!({ "listing": b.draft }), Guard::Stripe),
    );
    full_row(
        &mut cases,
        "subscribeAgency(agency A)",
        vec![
            refused(Anonymous, "UNAUTHENTICATED"),
            refused(GroupAdminA, "FORBIDDEN"),
            refused(GroupAdminB, "FORBIDDEN"),
            refused(ManagerB, "FORBIDDEN"),
            refused(SalespersonA, "FORBIDDEN"),
            refused(SalespersonB, "FORBIDDEN"),
            refused(BuyerA, "FORBIDDEN"),
            refused(BuyerB, "FORBIDDEN"),
            allowed(ManagerA),
            // Already subscribed by its manager: whoever asks, a second one is a conflict.
            refused(PlatformAdmin, "CONFLICT"),
        ],
        |_| write(SUBSCRIBE, "subscribeAgency", json!({ "agency": a.agency_id }), Guard::Stripe),
    );
    row(&mut cases, "subscribeAgency(agency B)", vec![allowed(PlatformAdmin)], |_| {
        write(SUBSCRIBE, "subscribeAgency", json!({ "agency": b.agency_id }), Guard::Stripe)
    });
    full_row(
        &mut cases,
        "startPayoutOnboarding(agency A)",
        EVERYONE
            .into_iter()
            .map(|actor| match actor {
                PlatformAdmin | ManagerA => allowed(actor),
                Anonymous => refused(actor, "UNAUTHENTICATED"),
                _ => refused(actor, "FORBIDDEN"),
            })
            .collect(),
        |_| write(PAYOUTS, "startPayoutOnboarding", json!({ "agency": a.agency_id }), Guard::Stripe),
    );
    row(
        &mut cases,
        "payDeposit(draft of agency B)",
        // Unpublished listings take no deposits, and whether one exists is not told.
        vec![refused(BuyerA, "BAD_USER_INPUT"), refused(Anonymous, "UNAUTHENTICATED")],
        |_| write(DEPOSIT, "payDeposit", json!({ "listing": b.draft }), Guard::Stripe),
    );
    // After paid actions (agency B's by the platform admin, who is not its staff)
    // billing holds accounts for both agencies: the group check still follows
    // identity, not what those rows recorded.
    row(
        &mut cases,
        "metrics(AGENCY A) after a paid action of agency A",
        vec![allowed(GroupAdminA), refused(GroupAdminB, "FORBIDDEN")],
        |_| read(METRICS, "metrics", json!({ "scope": { "agencyId": a.agency_id } })),
    );
    row(
        &mut cases,
        "metrics(AGENCY B) after the platform admin subscribed agency B",
        vec![allowed(GroupAdminB), refused(GroupAdminA, "FORBIDDEN")],
        |_| read(METRICS, "metrics", json!({ "scope": { "agencyId": b.agency_id } })),
    );

    // --- Administration ------------------------------------------------------------
    let pending = &world.pending_application;
    full_row(
        &mut cases,
        "agencyApplications",
        EVERYONE
            .into_iter()
            .map(|actor| match actor {
                PlatformAdmin => lists(actor, &[&a.application_id, &b.application_id, pending], &[]),
                // Group admins: applications naming their group.
                GroupAdminA => lists(actor, &[&a.application_id, pending], &[&b.application_id]),
                GroupAdminB => lists(actor, &[&b.application_id], &[&a.application_id, pending]),
                Anonymous => refused(actor, "UNAUTHENTICATED"),
                _ => refused(actor, "FORBIDDEN"),
            })
            .collect(),
        |_| read(APPLICATIONS, "agencyApplications", json!({})),
    );
    full_row(
        &mut cases,
        "reviewAgencyApplication(pending, approve)",
        vec![
            refused(Anonymous, "UNAUTHENTICATED"),
            refused(GroupAdminA, "FORBIDDEN"),
            refused(GroupAdminB, "FORBIDDEN"),
            refused(ManagerA, "FORBIDDEN"),
            refused(ManagerB, "FORBIDDEN"),
            refused(SalespersonA, "FORBIDDEN"),
            refused(SalespersonB, "FORBIDDEN"),
            refused(BuyerA, "FORBIDDEN"),
            refused(BuyerB, "FORBIDDEN"),
            allowed(PlatformAdmin),
        ],
        |_| write(REVIEW, "reviewAgencyApplication", json!({ "id": pending }), Guard::Application(pending.clone())),
    );
    full_row(
        &mut cases,
        "inviteStaff(agency A, SALESPERSON)",
        EVERYONE
            .into_iter()
            .map(|actor| match actor {
                PlatformAdmin | GroupAdminA | ManagerA => allowed(actor),
                Anonymous => refused(actor, "UNAUTHENTICATED"),
                _ => refused(actor, "FORBIDDEN"),
            })
            .collect(),
        |actor| {
            let email = format!("invitada.{}@norte.mx", format!("{actor:?}").to_lowercase());
            let variables = json!({ "agency": a.agency_id, "email": email, "role": "SALESPERSON" });
            write(INVITE, "inviteStaff", variables, Guard::Mail(email))
        },
    );
    for role in ["GROUP_ADMIN", "PLATFORM_ADMIN"] {
        row(
            &mut cases,
            &format!("inviteStaff(agency A, {role})"),
            vec![refused(ManagerA, "BAD_USER_INPUT"), refused(GroupAdminA, "BAD_USER_INPUT")],
            |actor| {
                let email = format!("ascenso.{}.{}@norte.mx", role.to_lowercase(), format!("{actor:?}").to_lowercase());
                let variables = json!({ "agency": a.agency_id, "email": email, "role": role });
                write(INVITE, "inviteStaff", variables, Guard::Mail(email))
            },
        );
    }

    // --- Platform administration (suspensions last: they change tenant B) ------------
    let platform_admins_only = |allowed_cell: Cell| {
        EVERYONE
            .into_iter()
            .filter(|actor| *actor != PlatformAdmin)
            .map(|actor| match actor {
                Anonymous => refused(actor, "UNAUTHENTICATED"),
                _ => refused(actor, "FORBIDDEN"),
            })
            // Listed last: an allowed suspension changes what later callers are.
            .chain([allowed_cell])
            .collect::<Vec<Cell>>()
    };
    full_row(
        &mut cases,
        "users(email: sur.mx)",
        platform_admins_only(lists(PlatformAdmin, &[&b.manager_id, &b.salesperson_id], &[&a.manager_id])),
        |_| read(FIND_USERS, "users", json!({ "email": "sur.mx" })),
    );
    full_row(
        &mut cases,
        "groups",
        vec![
            lists(PlatformAdmin, &[&a.group_id, &b.group_id], &[]),
            lists(GroupAdminA, &[&a.group_id], &[&b.group_id]),
            lists(GroupAdminB, &[&b.group_id], &[&a.group_id]),
            refused(ManagerA, "FORBIDDEN"),
            refused(ManagerB, "FORBIDDEN"),
            refused(SalespersonA, "FORBIDDEN"),
            refused(SalespersonB, "FORBIDDEN"),
            refused(BuyerA, "FORBIDDEN"),
            refused(BuyerB, "FORBIDDEN"),
            refused(Anonymous, "UNAUTHENTICATED"),
        ],
        |_| read(GROUPS, "groups", json!({})),
    );
    full_row(&mut cases, "auditLog", platform_admins_only(allowed(PlatformAdmin)), |_| {
        read(AUDIT_LOG, "auditLog", json!({}))
    });
    full_row(&mut cases, "suspendAgency(agency B)", platform_admins_only(allowed(PlatformAdmin)), |_| {
        let variables = json!({ "id": b.agency_id, "suspended": true });
        write(SUSPEND_AGENCY, "suspendAgency", variables, Guard::AgencySuspended(b.agency_id.clone()))
    });
    full_row(&mut cases, "suspendUser(salesperson B)", platform_admins_only(allowed(PlatformAdmin)), |_| {
        let variables = json!({ "id": b.salesperson_id, "suspended": true });
        write(SUSPEND_USER, "suspendUser", variables, Guard::UserSuspended("ventas@sur.mx".into()))
    });
    cases
}

// ---------------------------------------------------------------------------
// The runner
// ---------------------------------------------------------------------------

/// What a call came back with.
enum Got {
    Data(Value),
    Error { code: String, message: String },
}

impl fmt::Display for Got {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Got::Data(value) => {
                let text = value.to_string();
                let shown: String = text.chars().take(160).collect();
                let ellipsis = if shown.len() < text.len() { "…" } else { "" };
                write!(formatter, "data {shown}{ellipsis}")
            }
            Got::Error { code, message } => write!(formatter, "error {code} ({message})"),
        }
    }
}

fn got(response: &Value, field: &str) -> Got {
    if response.get("errors").is_some() {
        let code = response["errors"][0]["extensions"]["code"].as_str().unwrap_or("NO_CODE").to_string();
        let message = response["errors"][0]["message"].as_str().unwrap_or_default().to_string();
        return Got::Error { code, message };
    }
    Got::Data(response["data"][field].clone())
}

/// Ids of a connection's nodes or of a list's items.
fn ids(value: &Value) -> Vec<String> {
    let items = match value.get("edges") {
        Some(edges) => edges.as_array().map(|edges| edges.iter().map(|edge| &edge["node"]).collect()),
        None => value.as_array().map(|items| items.iter().collect::<Vec<_>>()),
    };
    items.unwrap_or_default().into_iter().filter_map(|item| item["id"].as_str().map(str::to_string)).collect()
}

fn matches(expect: &Expect, got: &Got) -> bool {
    match (expect, got) {
        (Expect::Allowed, Got::Data(value)) => !value.is_null(),
        (Expect::Hidden, Got::Data(value)) => value.is_null(),
        (Expect::Lists { has, lacks }, Got::Data(value)) => {
            let found = ids(value);
            !value.is_null() && has.iter().all(|id| found.contains(id)) && lacks.iter().all(|id| !found.contains(id))
        }
        (Expect::Refused(expected), Got::Error { code, .. }) => code == expected,
        _ => false,
    }
}

impl World {
    /// What `guard` watches, as of now.
    async fn snapshot(&self, guard: &Guard) -> Value {
        match guard {
            Guard::None => Value::Null,
            Guard::Listing(id) => {
                let response = self.call(READ_LISTING, json!({ "id": id }), Some(self.owner_of(id))).await;
                data(&response, "listing").clone()
            }
            Guard::Conversation(id) => {
                let response = self.call(CONVERSATION, json!({ "id": id }), Some(&self.buyer_a)).await;
                let conversation = data(&response, "conversation");
                json!({ "messageCount": conversation["messageCount"], "assigneeId": conversation["assigneeId"] })
            }
            Guard::Application(id) => {
                let response = self.call(APPLICATIONS, json!({}), Some(&self.admin)).await;
                let edges = data(&response, "agencyApplications")["edges"].as_array().unwrap().clone();
                let node = edges.iter().map(|edge| &edge["node"]).find(|node| node["id"] == id.as_str());
                node.map(|node| node["status"].clone()).unwrap_or(Value::Null)
            }
            Guard::Mail(address) => json!(self.system.mails().iter().filter(|mail| mail.contains(address)).count()),
            Guard::Stripe => json!(self.stripe.requests().len()),
            Guard::FavouritesOfBuyerA => {
                let response = self.call(FAVOURITES, json!({}), Some(&self.buyer_a)).await;
                json!(ids(data(&response, "favourites")))
            }
            Guard::UserSuspended(email) => {
                let response = self.call(FIND_USERS, json!({ "email": email }), Some(&self.admin)).await;
                let users = data(&response, "users").as_array().unwrap().clone();
                users.iter().find(|user| user["email"] == email.as_str()).map(|user| user["suspended"].clone()).unwrap()
            }
            Guard::AgencySuspended(id) => {
                let response =
                    self.call("query($id: ID!) { agency(id: $id) { suspended } }", json!({ "id": id }), None).await;
                data(&response, "agency")["suspended"].clone()
            }
        }
    }
}

struct Finding {
    case: String,
    expected: String,
    got: String,
    /// Why the correct outcome is not there yet; empty for a plain mismatch.
    known_gaps: Vec<&'static str>,
}

fn render(findings: &[&Finding]) -> String {
    let lines = findings.iter().map(|finding| {
        let mut text = format!(
            "  - {}
      expected: {}
      got:      {}",
            finding.case, finding.expected, finding.got
        );
        for gap in &finding.known_gaps {
            text.push_str(&format!("\n      gap:      {gap}"));
        }
        text
    });
    lines.collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn every_role_sees_and_changes_only_what_it_may_in_every_tenant() {
    let world = world().await;
    // The setup itself is what the matrix relies on.
    let lead = world.call(CONVERSATION, json!({ "id": world.conversation }), Some(&world.buyer_a)).await;
    assert_eq!(data(&lead, "conversation")["assigneeId"], world.a.salesperson_id.as_str(), "round-robin assignee");
    let refused_anonymously = world.call(FAVOURITES, json!({}), None).await;
    assert_eq!(error_code(&refused_anonymously), "UNAUTHENTICATED");

    let cases = cases(&world);
    let mut findings: Vec<Finding> = Vec::new();
    for case in &cases {
        let name = format!("{} as {:?}", case.name, case.actor);
        let operation = &case.operation;
        let before = world.snapshot(&operation.guard).await;
        let response = world.call(operation.query, operation.variables.clone(), world.token(case.actor)).await;
        let outcome = got(&response, operation.field);
        let after = world.snapshot(&operation.guard).await;

        let mut problems = Vec::new();
        if !matches(&case.expect, &outcome) {
            problems.push(format!("{outcome}"));
        }
        match (&outcome, &operation.guard) {
            (_, Guard::None) => {}
            (Got::Error { .. }, _) if before != after => {
                problems.push(format!("refused, yet it changed the state: {before} → {after}"));
            }
            (Got::Data(_), _) if operation.changes && before == after => {
                problems.push(format!("answered, yet nothing changed: still {after}"));
            }
            (Got::Data(_), _) if !operation.changes && before != after => {
                problems.push(format!("it changed what it must not: {before} → {after}"));
            }
            _ => {}
        }
        match (problems.is_empty(), case.known_gaps.is_empty()) {
            (true, true) => {}
            (false, _) => findings.push(Finding {
                case: name,
                expected: case.expect.to_string(),
                got: problems.join("; "),
                known_gaps: case.known_gaps.clone(),
            }),
            // A known gap that no longer shows is closed: its marker must go.
            (true, false) => findings.push(Finding {
                case: name,
                expected: format!("the known gap to show: {}", case.known_gaps.join(" / ")),
                got: "the correct outcome, so the gap is closed: remove the case's known gap marker".into(),
                known_gaps: Vec::new(),
            }),
        }
    }

    let (gaps, mismatches): (Vec<&Finding>, Vec<&Finding>) =
        findings.iter().partition(|finding| !finding.known_gaps.is_empty());
    if !gaps.is_empty() {
        eprintln!("{} cases show known authorization gaps (reported, not failing):\n{}", gaps.len(), render(&gaps));
    }
    eprintln!("{} cases: {} mismatches, {} known gaps", cases.len(), mismatches.len(), gaps.len());
    assert!(
        mismatches.is_empty(),
        "{} of {} authorization cases do not hold:\n{}",
        mismatches.len(),
        cases.len(),
        render(&mismatches)
    );
    world.system.stop().await.unwrap();
}
