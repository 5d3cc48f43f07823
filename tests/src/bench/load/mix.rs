//! The traffic of a load step, as Goose scenarios: buyers search in Spanish and
//! English with filters (most of the traffic), open listing pages, keep favourites
//! and write to agencies; staff edit prices and publish new cars. Every request is
//! one of the site's or the panel's own GraphQL operations, sent as the web sends
//! it (`nds_web::edge::request_body`), so the edge sees what production sees.

use std::sync::{Arc, PoisonError, RwLock};

use goose::prelude::*;
use graphql_client::GraphQLQuery;
use nds_web::edge::operations::{
    AddFavourite, ListingPage, PanelCreateListing, PanelPublishListing, PanelUpdateListing, RecordListingView,
    SearchPage, StartConversation, add_favourite, listing_page, panel_create_listing, panel_publish_listing,
    panel_update_listing, record_listing_view, search_page, start_conversation,
};
use nds_web::edge::request_body;
use rand::Rng;
use serde_json::{Value, json};

/// Who the scenarios act as and on what: installed before each step.
#[derive(Clone, Debug, Default)]
pub struct MixData {
    /// Access tokens of buyers.
    pub buyers: Vec<String>,
    /// Agency managers, each with listings of their own agency to edit.
    pub staff: Vec<StaffSeat>,
    /// Published listings buyers open, keep and write about.
    pub published: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct StaffSeat {
    pub token: String,
    pub own_listings: Vec<String>,
}

static MIX: RwLock<Option<Arc<MixData>>> = RwLock::new(None);

/// What the scenarios read from now on (Goose transactions are plain functions).
/// Refuses data a scenario could not use and variables that do not fit their
/// operations, so a transaction never skips its request unnoticed.
pub fn install(data: MixData) -> anyhow::Result<()> {
    anyhow::ensure!(!data.buyers.is_empty() && !data.published.is_empty(), "the mix needs buyers and listings");
    anyhow::ensure!(data.staff.iter().all(|seat| !seat.own_listings.is_empty()), "a staff seat has no listings");
    anyhow::ensure!(!data.staff.is_empty(), "the mix needs staff");
    for (text, filters) in SEARCHES {
        search_variables(text, filters, "RELEVANCE").ok_or_else(|| anyhow::anyhow!("search {text:?} {filters}"))?;
    }
    variables::<panel_update_listing::Variables>(price_patch("id", 1)).ok_or_else(|| anyhow::anyhow!("edit"))?;
    variables::<panel_create_listing::Variables>(new_listing("Mazda", "CX-5"))
        .ok_or_else(|| anyhow::anyhow!("create"))?;
    *MIX.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(data));
    Ok(())
}

fn mix() -> Arc<MixData> {
    MIX.read().unwrap_or_else(PoisonError::into_inner).clone().unwrap_or_default()
}

/// One user in twenty is staff: marketplaces see far more buyers than sellers.
pub fn buyers() -> Result<Scenario, GooseError> {
    Ok(scenario!("buyer").set_weight(19)?.register_transaction(transaction!(buyer_visit).set_name("buyer")))
}

pub fn staff() -> Result<Scenario, GooseError> {
    Ok(scenario!("staff").set_weight(1)?.register_transaction(transaction!(staff_visit).set_name("staff")))
}

/// What a buyer does next, in these proportions. Chosen at random each time rather
/// than by Goose's transaction weights: those run every user through the same
/// sequence, and a step is only tens of transactions per user.
const BUYER_ACTIONS: &[(BuyerAction, u32)] = &[
    (BuyerAction::Search, 60),
    (BuyerAction::ListingPage, 30),
    (BuyerAction::Favourite, 5),
    (BuyerAction::Message, 5),
];

#[derive(Clone, Copy, Debug)]
enum BuyerAction {
    Search,
    ListingPage,
    Favourite,
    Message,
}

/// Staff edit three times for each car they publish.
const STAFF_ACTIONS: &[(StaffAction, u32)] = &[(StaffAction::EditPrice, 3), (StaffAction::PublishNew, 1)];

#[derive(Clone, Copy, Debug)]
enum StaffAction {
    EditPrice,
    PublishNew,
}

fn weighted<T: Copy>(choices: &[(T, u32)]) -> Option<T> {
    let total: u32 = choices.iter().map(|(_, weight)| weight).sum();
    let mut roll = rand::rng().random_range(0..total.max(1));
    choices.iter().find_map(|(choice, weight)| {
        if roll < *weight {
            return Some(*choice);
        }
        roll -= weight;
        None
    })
}

async fn buyer_visit(user: &mut GooseUser) -> TransactionResult {
    match weighted(BUYER_ACTIONS) {
        Some(BuyerAction::Search) => search(user).await,
        Some(BuyerAction::ListingPage) => listing_page(user).await,
        Some(BuyerAction::Favourite) => favourite(user).await,
        Some(BuyerAction::Message) => message(user).await,
        None => Ok(()),
    }
}

async fn staff_visit(user: &mut GooseUser) -> TransactionResult {
    match weighted(STAFF_ACTIONS) {
        Some(StaffAction::EditPrice) => edit_price(user).await,
        Some(StaffAction::PublishNew) => publish_new(user).await,
        None => Ok(()),
    }
}

/// What buyers type, in the two languages of the first market, with the filters
/// the site's controls add (price, body type, city).
const SEARCHES: &[(&str, &str)] = &[
    ("toyota corolla automático", "{}"),
    ("camioneta diésel", r#"{"priceMax": 60000000}"#),
    ("sedán familiar barato", r#"{"bodyTypes": ["SEDAN"]}"#),
    ("honda cr-v 2019", "{}"),
    ("pickup 4x4 en monterrey", "{}"),
    ("cheap electric car", "{}"),
    ("nissan versa", r#"{"city": "Guadalajara"}"#),
    ("suv con poco kilometraje", r#"{"mileageMax": 60000}"#),
    ("mazda 3 hatchback", r#"{"yearMin": 2018}"#),
    ("volkswagen jetta estándar", "{}"),
    ("automatic suv under 400k", r#"{"bodyTypes": ["SUV"]}"#),
    ("", r#"{"makes": ["chevrolet"], "priceMax": 35000000}"#),
];

const SORTS: &[&str] = &["RELEVANCE", "RELEVANCE", "RELEVANCE", "PRICE_ASC", "NEWEST"];

fn pick<T>(items: &[T]) -> Option<&T> {
    (!items.is_empty()).then(|| &items[rand::rng().random_range(0..items.len())])
}

fn search_variables(text: &str, filters: &str, sort: &str) -> Option<search_page::Variables> {
    let filters: Value = serde_json::from_str(filters).ok()?;
    variables(json!({ "input": { "text": text, "filters": filters, "sort": sort, "first": 20 } }))
}

async fn search(user: &mut GooseUser) -> TransactionResult {
    let (text, filters) = pick(SEARCHES).copied().unwrap_or(("", "{}"));
    let Some(variables) = search_variables(text, filters, pick(SORTS).copied().unwrap_or("RELEVANCE")) else {
        return Ok(());
    };
    post::<SearchPage>(user, "search", variables, None).await?;
    Ok(())
}

async fn listing_page(user: &mut GooseUser) -> TransactionResult {
    let mix = mix();
    let Some(id) = pick(&mix.published) else { return Ok(()) };
    post::<ListingPage>(user, "listing page", listing_page::Variables { id: id.clone() }, None).await?;
    // The site counts a view with each page it shows.
    post::<RecordListingView>(user, "view", record_listing_view::Variables { id: id.clone() }, None).await?;
    Ok(())
}

async fn favourite(user: &mut GooseUser) -> TransactionResult {
    let mix = mix();
    let (Some(id), Some(token)) = (pick(&mix.published), buyer_token(&mix, user)) else { return Ok(()) };
    let variables = add_favourite::Variables { listing_id: id.clone() };
    post::<AddFavourite>(user, "favourite", variables, Some(token.as_str())).await?;
    Ok(())
}

async fn message(user: &mut GooseUser) -> TransactionResult {
    let mix = mix();
    let (Some(id), Some(token)) = (pick(&mix.published), buyer_token(&mix, user)) else { return Ok(()) };
    let variables = start_conversation::Variables {
        listing_id: id.clone(),
        message: "Hola, ¿sigue disponible? ¿Aceptan auto a cuenta?".to_string(),
    };
    post::<StartConversation>(user, "message", variables, Some(token.as_str())).await?;
    Ok(())
}

async fn edit_price(user: &mut GooseUser) -> TransactionResult {
    let mix = mix();
    let Some(seat) = staff_seat(&mix, user) else { return Ok(()) };
    let Some(id) = pick(&seat.own_listings) else { return Ok(()) };
    let price = rand::rng().random_range(15_000_000..90_000_000_i64);
    let Some(variables) = variables(price_patch(id, price)) else { return Ok(()) };
    post::<PanelUpdateListing>(user, "edit", variables, Some(seat.token.as_str())).await?;
    Ok(())
}

/// A new price, as the panel's editor sends it (no expected version: the last edit wins).
fn price_patch(id: &str, price: i64) -> Value {
    json!({ "id": id, "input": { "price": price } })
}

async fn publish_new(user: &mut GooseUser) -> TransactionResult {
    let mix = mix();
    let Some(seat) = staff_seat(&mix, user) else { return Ok(()) };
    let Some(input) = variables(new_listing("Mazda", "CX-5")) else { return Ok(()) };
    let created = post::<PanelCreateListing>(user, "create", input, Some(seat.token.as_str())).await?;
    let Some(id) = created["createListing"]["id"].as_str() else { return Ok(()) };
    let variables = panel_publish_listing::Variables { id: id.to_string() };
    post::<PanelPublishListing>(user, "publish", variables, Some(seat.token.as_str())).await?;
    Ok(())
}

/// A used car as the panel's form sends it.
pub fn new_listing(make: &str, model: &str) -> Value {
    json!({ "input": {
        "make": make, "model": model, "year": 2021, "price": rand::rng().random_range(30_000_000..60_000_000_i64),
        "mileageKm": 42_000, "bodyType": "SUV", "fuel": "GASOLINE", "transmission": "AUTOMATIC",
        "color": "gris", "condition": "USED", "city": "Guadalajara", "state": "Jalisco",
        "description": "Un solo dueño, servicios de agencia."
    } })
}

fn buyer_token(mix: &MixData, user: &GooseUser) -> Option<String> {
    mix.buyers.get(user.weighted_users_index % mix.buyers.len().max(1)).cloned()
}

fn staff_seat<'a>(mix: &'a MixData, user: &GooseUser) -> Option<&'a StaffSeat> {
    mix.staff.get(user.weighted_users_index % mix.staff.len().max(1))
}

/// Typed variables from JSON; `install` has checked every shape the scenarios build.
fn variables<V: serde::de::DeserializeOwned>(value: Value) -> Option<V> {
    serde_json::from_value(value).ok()
}

/// Posts one operation under `name`; a GraphQL error counts as a failed request.
/// Returns the response's `data`.
async fn post<Q: GraphQLQuery>(
    user: &mut GooseUser,
    name: &str,
    variables: Q::Variables,
    token: Option<&str>,
) -> Result<Value, Box<TransactionError>> {
    let mut builder = user.get_request_builder(&GooseMethod::Post, "/graphql")?.json(&request_body::<Q>(variables));
    if let Some(token) = token {
        builder = builder.bearer_auth(token);
    }
    let request = GooseRequest::builder()
        .method(GooseMethod::Post)
        .path("/graphql")
        .name(name)
        .set_request_builder(builder)
        .build();
    let mut goose = user.request(request).await?;
    let body: Value = match goose.response {
        Ok(response) => response.json().await.unwrap_or(Value::Null),
        Err(_) => return Ok(Value::Null),
    };
    if body.get("errors").is_some() || body.get("data").is_none() {
        let code = body["errors"][0]["extensions"]["code"].as_str().unwrap_or("no data").to_string();
        user.set_failure(&format!("{name}: {code}"), &mut goose.request, None, Some(&body.to_string()))?;
    }
    Ok(body["data"].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_choices_follow_their_weights() {
        let mut searches = 0;
        for _ in 0..10_000 {
            if matches!(weighted(BUYER_ACTIONS), Some(BuyerAction::Search)) {
                searches += 1;
            }
        }
        // 60% expected; ±3% is six standard deviations (49 searches) each way.
        assert!((5_700..=6_300).contains(&searches), "{searches} searches in 10,000");
        assert!(weighted::<BuyerAction>(&[]).is_none());
    }
}
