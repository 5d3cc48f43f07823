//! Listings, favourites and saved searches (svc-catalog).

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use nds_common::convert::{
    body_type_from_wire, body_type_to_wire, condition_from_wire, condition_to_wire, filters_from_wire, filters_to_wire,
    fuel_from_wire, fuel_to_wire, sort_to_wire, transmission_from_wire, transmission_to_wire,
};
use nds_proto::catalog::v1 as catalog;
use nds_proto::common::v1 as wire;

use super::identity::Agency;
use super::paging::{MAX_CURSOR_LENGTH, PageInfo, connection_cost, page_info, page_request, timestamp};
use super::search::SearchInput;
use super::vocabulary::{BodyType, Condition, Fuel, SearchFilters, SearchSort, Transmission};
use crate::clients::clients;
use crate::context::request_context;
use crate::error::{GrpcResultExt, bad_input, error_with_code, graphql_error, status_error};
use crate::expensive::{Work, expensive};
use crate::loaders::{fetch_listings, loaders};
use nds_common::error::ErrorCode;

/// Currency of prices when the client does not say.
const DEFAULT_CURRENCY: &str = "MXN";

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ListingStatus {
    Draft,
    Published,
    Sold,
    Archived,
}

impl ListingStatus {
    fn from_wire(raw: i32) -> ListingStatus {
        match catalog::ListingStatus::try_from(raw) {
            Ok(catalog::ListingStatus::Published) => ListingStatus::Published,
            Ok(catalog::ListingStatus::Sold) => ListingStatus::Sold,
            Ok(catalog::ListingStatus::Archived) => ListingStatus::Archived,
            Ok(catalog::ListingStatus::Draft | catalog::ListingStatus::Unspecified) | Err(_) => ListingStatus::Draft,
        }
    }

    fn to_wire(self) -> catalog::ListingStatus {
        match self {
            ListingStatus::Draft => catalog::ListingStatus::Draft,
            ListingStatus::Published => catalog::ListingStatus::Published,
            ListingStatus::Sold => catalog::ListingStatus::Sold,
            ListingStatus::Archived => catalog::ListingStatus::Archived,
        }
    }
}

/// A car for sale.
pub struct Listing(pub catalog::Listing);

fn wire_enum<T>(converted: Result<T, nds_common::ApiError>) -> async_graphql::Result<T> {
    converted.map_err(|_| error_with_code(ErrorCode::Internal, "listing holds a value outside the vocabulary"))
}

#[Object]
impl Listing {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// The agency's public card; it may lag identity by a few seconds.
    async fn agency(&self, context: &Context<'_>) -> async_graphql::Result<Agency> {
        loaders(context)?
            .agency_cards()
            .load_one(self.0.agency_id.clone())
            .await?
            .map(Agency)
            .ok_or_else(|| error_with_code(ErrorCode::NotFound, "agency not found"))
    }
    async fn status(&self) -> ListingStatus {
        ListingStatus::from_wire(self.0.status)
    }
    /// Optimistic-concurrency version: pass it back to `updateListing`.
    async fn version(&self) -> i64 {
        self.0.version
    }
    async fn make(&self) -> &str {
        &self.0.make
    }
    async fn model(&self) -> &str {
        &self.0.model
    }
    async fn year(&self) -> i32 {
        self.0.year
    }
    async fn trim(&self) -> Option<&str> {
        (!self.0.trim.is_empty()).then_some(self.0.trim.as_str())
    }
    /// Validated: 17 characters, check digit where it applies.
    async fn vin(&self) -> Option<&str> {
        (!self.0.vin.is_empty()).then_some(self.0.vin.as_str())
    }
    /// Minor units (centavos).
    async fn price(&self) -> i64 {
        self.0.price.as_ref().map(|price| price.amount_minor).unwrap_or_default()
    }
    async fn currency(&self) -> String {
        self.0.price.as_ref().map(|price| price.currency.clone()).unwrap_or_else(|| DEFAULT_CURRENCY.to_string())
    }
    async fn mileage_km(&self) -> i64 {
        self.0.mileage_km
    }
    async fn body_type(&self) -> async_graphql::Result<BodyType> {
        wire_enum(body_type_from_wire(self.0.body_type, "bodyType")).map(Into::into)
    }
    async fn fuel(&self) -> async_graphql::Result<Fuel> {
        wire_enum(fuel_from_wire(self.0.fuel, "fuel")).map(Into::into)
    }
    async fn transmission(&self) -> async_graphql::Result<Transmission> {
        wire_enum(transmission_from_wire(self.0.transmission, "transmission")).map(Into::into)
    }
    async fn color(&self) -> &str {
        &self.0.color
    }
    async fn condition(&self) -> async_graphql::Result<Condition> {
        wire_enum(condition_from_wire(self.0.condition, "condition")).map(Into::into)
    }
    async fn city(&self) -> &str {
        &self.0.city
    }
    async fn state(&self) -> Option<&str> {
        (!self.0.state.is_empty()).then_some(self.0.state.as_str())
    }
    async fn description(&self) -> Option<&str> {
        (!self.0.description.is_empty()).then_some(self.0.description.as_str())
    }
    /// Photo URLs as an API integration sent them (fetched and processed into
    /// `gallery` in time; until then shown as they are).
    async fn photos(&self) -> &[String] {
        &self.0.photos
    }
    /// Uploaded photos in order, with their sizes. The public sees ready ones; the
    /// agency's staff also see those processing and those refused, with the reason.
    async fn gallery(&self, context: &Context<'_>) -> async_graphql::Result<Vec<super::photos::ListingPhoto>> {
        super::photos::listing_gallery(context, &self.0.id).await
    }
    /// The first ready photo: what a listing card shows (one batched catalog call
    /// per page of cards).
    async fn cover(&self, context: &Context<'_>) -> async_graphql::Result<Option<super::photos::ListingPhoto>> {
        let gallery = super::photos::listing_gallery(context, &self.0.id).await?;
        Ok(gallery.into_iter().find(super::photos::ListingPhoto::is_cover_photo))
    }
    /// Free-form per-car extras.
    async fn attributes(&self) -> Json<serde_json::Value> {
        let value = serde_json::from_str(&self.0.attributes_json).unwrap_or_else(|_| serde_json::json!({}));
        Json(value)
    }
    async fn promoted_until(&self) -> Option<DateTime<Utc>> {
        self.0.promoted_until_unix.and_then(timestamp)
    }
    /// Views counted so far (`recordListingView`); only the listing's agency sees it, others get 0.
    async fn view_count(&self) -> i64 {
        i64::try_from(self.0.view_count).unwrap_or(i64::MAX)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        timestamp(self.0.created_at_unix).unwrap_or_default()
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        timestamp(self.0.updated_at_unix).or_else(|| timestamp(self.0.created_at_unix)).unwrap_or_default()
    }
}

#[derive(SimpleObject)]
pub struct ListingEdge {
    pub cursor: String,
    pub node: Listing,
}

#[derive(SimpleObject)]
pub struct ListingConnection {
    pub edges: Vec<ListingEdge>,
    pub page_info: PageInfo,
    pub total_count: i64,
}

impl ListingConnection {
    pub fn from_response(response: catalog::ListListingsResponse) -> Self {
        let (page_info, total_count) = page_info(response.page_info.as_ref());
        Self {
            edges: response
                .listings
                .into_iter()
                .map(|listing| ListingEdge { cursor: listing.id.clone(), node: Listing(listing) })
                .collect(),
            page_info,
            total_count,
        }
    }
}

/// One URL of sitemap.xml: a published listing and when it last changed.
#[derive(SimpleObject)]
pub struct ListingSitemapEntry {
    pub id: ID,
    pub last_modified: DateTime<Utc>,
}

/// One sitemap file's worth of published listings, in id order.
#[derive(SimpleObject)]
pub struct ListingSitemapPage {
    pub entries: Vec<ListingSitemapEntry>,
    pub page_info: PageInfo,
    /// Every published listing (counted only when this field is selected).
    pub total: i64,
}

impl ListingSitemapPage {
    fn from_response(response: catalog::ListSitemapResponse) -> Self {
        Self {
            entries: response
                .entries
                .into_iter()
                .map(|entry| ListingSitemapEntry {
                    id: ID(entry.id),
                    last_modified: timestamp(entry.updated_at_unix).unwrap_or_default(),
                })
                .collect(),
            page_info: PageInfo {
                has_next_page: response.has_next_page,
                end_cursor: (!response.end_cursor.is_empty()).then_some(response.end_cursor),
            },
            total: response.total_count.map_or(0, |total| i64::try_from(total).unwrap_or(i64::MAX)),
        }
    }
}

/// `first`/`after` of a sitemap page: up to one sitemap file (catalog's own limit),
/// a whole file when omitted.
pub fn sitemap_request(
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<catalog::ListSitemapRequest> {
    let max = catalog::SITEMAP_PAGE_MAX_ENTRIES;
    let first = match first {
        None => max,
        Some(first) => u32::try_from(first)
            .ok()
            .filter(|first| (1..=max).contains(first))
            .ok_or_else(|| bad_input("first", format!("must be between 1 and {max}")))?,
    };
    let after = after.unwrap_or_default();
    if after.len() > MAX_CURSOR_LENGTH {
        return Err(bad_input("after", "not a cursor"));
    }
    Ok(catalog::ListSitemapRequest { first, after, include_total: false })
}

/// What a "no longer available" page (HTTP 410) may show of a sold or archived
/// listing: enough to name the car and look for similar ones.
pub struct RetiredListing(pub catalog::RetiredListing);

#[Object]
impl RetiredListing {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// SOLD or ARCHIVED.
    async fn status(&self) -> ListingStatus {
        ListingStatus::from_wire(self.0.status)
    }
    async fn make(&self) -> &str {
        &self.0.make
    }
    async fn model(&self) -> &str {
        &self.0.model
    }
    async fn year(&self) -> i32 {
        self.0.year
    }
    async fn body_type(&self) -> async_graphql::Result<BodyType> {
        wire_enum(body_type_from_wire(self.0.body_type, "bodyType")).map(Into::into)
    }
    /// Minor units (centavos): the last price it was offered at.
    async fn price(&self) -> i64 {
        self.0.price.as_ref().map(|price| price.amount_minor).unwrap_or_default()
    }
    async fn currency(&self) -> String {
        self.0.price.as_ref().map(|price| price.currency.clone()).unwrap_or_else(|| DEFAULT_CURRENCY.to_string())
    }
    /// The agency's public card (it may lag identity by a few seconds); null when
    /// the agency no longer exists.
    async fn agency(&self, context: &Context<'_>) -> async_graphql::Result<Option<Agency>> {
        Ok(loaders(context)?.agency_cards().load_one(self.0.agency_id.clone()).await?.map(Agency))
    }
}

/// A buyer's saved search: the structured filters, not only the text.
pub struct SavedSearch(pub catalog::SavedSearch);

#[Object]
impl SavedSearch {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn text(&self) -> Option<&str> {
        (!self.0.text.is_empty()).then_some(self.0.text.as_str())
    }
    async fn filters(&self) -> async_graphql::Result<SearchFilters> {
        let filters = filters_from_wire(&self.0.filters.clone().unwrap_or_default()).map_err(graphql_error)?;
        Ok(filters.into())
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        timestamp(self.0.created_at_unix)
    }
}

fn money(amount_minor: i64, currency: Option<String>) -> wire::Money {
    wire::Money { amount_minor, currency: currency.unwrap_or_else(|| DEFAULT_CURRENCY.to_string()).to_uppercase() }
}

fn attributes_json(attributes: Option<Json<serde_json::Value>>) -> async_graphql::Result<String> {
    match attributes {
        None => Ok(String::new()),
        Some(Json(value)) if value.is_object() => Ok(value.to_string()),
        Some(_) => Err(bad_input("attributes", "must be a JSON object")),
    }
}

/// A new listing; it starts as DRAFT. Agency, status and promotion are not the caller's to set.
#[derive(InputObject)]
pub struct ListingInput {
    /// The agency it belongs to; needed only by staff of several agencies.
    pub agency_id: Option<ID>,
    pub make: String,
    pub model: String,
    pub year: i32,
    pub trim: Option<String>,
    pub vin: Option<String>,
    /// Minor units (centavos).
    pub price: i64,
    pub currency: Option<String>,
    pub mileage_km: i64,
    pub body_type: BodyType,
    pub fuel: Fuel,
    pub transmission: Transmission,
    pub color: String,
    pub condition: Condition,
    pub city: String,
    pub state: Option<String>,
    pub description: Option<String>,
    pub photos: Option<Vec<String>>,
    pub attributes: Option<Json<serde_json::Value>>,
}

/// A partial update: only the fields given change.
#[derive(InputObject)]
pub struct ListingPatch {
    /// The version last read; a stale one is a CONFLICT.
    pub expected_version: Option<i64>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub year: Option<i32>,
    pub trim: Option<String>,
    pub vin: Option<String>,
    pub price: Option<i64>,
    pub currency: Option<String>,
    pub mileage_km: Option<i64>,
    pub body_type: Option<BodyType>,
    pub fuel: Option<Fuel>,
    pub transmission: Option<Transmission>,
    pub color: Option<String>,
    pub condition: Option<Condition>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub description: Option<String>,
    pub photos: Option<Vec<String>>,
    pub attributes: Option<Json<serde_json::Value>>,
}

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// A listing the caller may see (published, or their agency's), else null.
    async fn listing(&self, context: &Context<'_>, id: ID) -> async_graphql::Result<Option<Listing>> {
        let call = &request_context(context)?.call;
        let mut found = fetch_listings(clients(context)?, call, vec![id.0.clone()]).await?;
        Ok(found.remove(&id.0).map(Listing))
    }

    /// A sold or archived listing, with what its "no longer available" page (410)
    /// needs; null for published listings (read those with `listing`), drafts and
    /// unknown ids.
    async fn retired_listing(&self, context: &Context<'_>, id: ID) -> async_graphql::Result<Option<RetiredListing>> {
        let request = request_context(context)?;
        let message = catalog::GetRetiredListingRequest { id: id.0 };
        match clients(context)?.catalog().get_retired_listing(request.call.request(message)).await {
            Ok(response) => Ok(Some(RetiredListing(response.into_inner()))),
            Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
            Err(status) => Err(status_error(status)),
        }
    }

    /// Published listings' ids and last changes for sitemap.xml, in id order: pages of
    /// up to 50,000 (one sitemap file, the default), followed with `pageInfo.endCursor`.
    async fn listing_sitemap(
        &self,
        context: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<ListingSitemapPage> {
        let request = request_context(context)?;
        let mut message = sitemap_request(first, after)?;
        // Counting reads the whole index: only when someone reads the number.
        message.include_total = context.look_ahead().field("total").exists();
        let response = clients(context)?.catalog().list_sitemap(request.call.request(message)).await.or_graphql()?;
        Ok(ListingSitemapPage::from_response(response))
    }

    /// Staff: their agency's listings in any status. Anyone else: published only.
    /// `search` narrows them: every word must match the make, the model or the start
    /// of the VIN (case and accents ignored; at most 100 characters and 6 words).
    /// `sort`: newest first unless PRICE_ASC, PRICE_DESC, YEAR_DESC or MILEAGE_ASC
    /// (RELEVANCE is BAD_USER_INPUT); a cursor is only valid with its own sort.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)] // one per GraphQL argument
    async fn listings(
        &self,
        context: &Context<'_>,
        agency_id: Option<ID>,
        status: Option<ListingStatus>,
        search: Option<String>,
        sort: Option<SearchSort>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ListingConnection> {
        let request = request_context(context)?;
        let message = catalog::ListListingsRequest {
            agency_id: agency_id.map(|id| id.0).unwrap_or_default(),
            status: status.map(ListingStatus::to_wire).unwrap_or(catalog::ListingStatus::Unspecified) as i32,
            page: Some(page_request(first, after)?),
            search: search.unwrap_or_default(),
            sort: sort_to_wire(sort.map(Into::into)) as i32,
        };
        let response = clients(context)?.catalog().list_listings(request.call.request(message)).await.or_graphql()?;
        Ok(ListingConnection::from_response(response))
    }

    /// The signed-in buyer's favourites.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn favourites(
        &self,
        context: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ListingConnection> {
        let request = request_context(context)?;
        let message = catalog::ListFavouritesRequest { page: Some(page_request(first, after)?) };
        let response = clients(context)?.catalog().list_favourites(request.call.request(message)).await.or_graphql()?;
        Ok(ListingConnection::from_response(response))
    }

    async fn saved_searches(&self, context: &Context<'_>) -> async_graphql::Result<Vec<SavedSearch>> {
        let request = request_context(context)?;
        let message = catalog::ListSavedSearchesRequest {};
        let response =
            clients(context)?.catalog().list_saved_searches(request.call.request(message)).await.or_graphql()?;
        Ok(response.saved_searches.into_iter().map(SavedSearch).collect())
    }
}

#[derive(Default)]
pub struct CatalogMutation;

async fn transition(
    context: &Context<'_>,
    id: ID,
    call: impl AsyncFnOnce(
        nds_proto::catalog::v1::catalog_service_client::CatalogServiceClient<tonic::transport::Channel>,
        tonic::Request<catalog::ListingTransitionRequest>,
    ) -> Result<tonic::Response<catalog::Listing>, tonic::Status>,
) -> async_graphql::Result<Listing> {
    let request = request_context(context)?;
    let message = catalog::ListingTransitionRequest { id: id.0, expected_version: 0 };
    Ok(Listing(call(clients(context)?.catalog(), request.call.request(message)).await.or_graphql()?))
}

#[Object]
impl CatalogMutation {
    /// Agency staff; the listing starts as DRAFT.
    async fn create_listing(&self, context: &Context<'_>, input: ListingInput) -> async_graphql::Result<Listing> {
        let request = request_context(context)?;
        let attributes_json = attributes_json(input.attributes)?;
        let message = catalog::CreateListingRequest {
            agency_id: input.agency_id.map(|id| id.0).unwrap_or_default(),
            input: Some(catalog::ListingInput {
                make: input.make,
                model: input.model,
                year: input.year,
                trim: input.trim.unwrap_or_default(),
                vin: input.vin.unwrap_or_default(),
                price: Some(money(input.price, input.currency)),
                mileage_km: input.mileage_km,
                body_type: body_type_to_wire(input.body_type.into()) as i32,
                fuel: fuel_to_wire(input.fuel.into()) as i32,
                transmission: transmission_to_wire(input.transmission.into()) as i32,
                color: input.color,
                condition: condition_to_wire(input.condition.into()) as i32,
                city: input.city,
                state: input.state.unwrap_or_default(),
                description: input.description.unwrap_or_default(),
                photos: input.photos.unwrap_or_default(),
                attributes_json,
            }),
        };
        Ok(Listing(clients(context)?.catalog().create_listing(request.call.request(message)).await.or_graphql()?))
    }

    async fn update_listing(
        &self,
        context: &Context<'_>,
        id: ID,
        input: ListingPatch,
    ) -> async_graphql::Result<Listing> {
        let request = request_context(context)?;
        let attributes_json = match input.attributes {
            None => None,
            Some(attributes) => Some(attributes_json(Some(attributes))?),
        };
        let price = match (input.price, input.currency) {
            (None, None) => None,
            (Some(amount), currency) => Some(money(amount, currency)),
            (None, Some(_)) => return Err(bad_input("currency", "give the price together with its currency")),
        };
        let replace_photos = input.photos.is_some();
        let message = catalog::UpdateListingRequest {
            id: id.0,
            expected_version: input.expected_version.unwrap_or_default(),
            patch: Some(catalog::ListingPatch {
                make: input.make,
                model: input.model,
                year: input.year,
                trim: input.trim,
                vin: input.vin,
                price,
                mileage_km: input.mileage_km,
                body_type: input.body_type.map(|value| body_type_to_wire(value.into()) as i32).unwrap_or_default(),
                fuel: input.fuel.map(|value| fuel_to_wire(value.into()) as i32).unwrap_or_default(),
                transmission: input
                    .transmission
                    .map(|value| transmission_to_wire(value.into()) as i32)
                    .unwrap_or_default(),
                color: input.color,
                condition: input.condition.map(|value| condition_to_wire(value.into()) as i32).unwrap_or_default(),
                city: input.city,
                state: input.state,
                description: input.description,
                photos: input.photos.unwrap_or_default(),
                replace_photos,
                attributes_json,
            }),
        };
        Ok(Listing(clients(context)?.catalog().update_listing(request.call.request(message)).await.or_graphql()?))
    }

    /// Counts a view of a published listing: apps call it when a buyer opens the
    /// listing's page (the views in `metrics`). Catalog decides what counts: a listing
    /// that is not public is NOT_FOUND for the public and never counted.
    async fn record_listing_view(&self, context: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let request = request_context(context)?;
        let message = catalog::RecordViewRequest { listing_id: id.0 };
        clients(context)?.catalog().record_view(request.call.request(message)).await.or_graphql()?;
        Ok(true)
    }

    async fn publish_listing(&self, context: &Context<'_>, id: ID) -> async_graphql::Result<Listing> {
        transition(context, id, async |mut client, request| client.publish_listing(request).await).await
    }

    async fn mark_listing_sold(&self, context: &Context<'_>, id: ID) -> async_graphql::Result<Listing> {
        transition(context, id, async |mut client, request| client.mark_listing_sold(request).await).await
    }

    async fn archive_listing(&self, context: &Context<'_>, id: ID) -> async_graphql::Result<Listing> {
        transition(context, id, async |mut client, request| client.archive_listing(request).await).await
    }

    async fn add_favourite(&self, context: &Context<'_>, listing_id: ID) -> async_graphql::Result<bool> {
        let request = request_context(context)?;
        let message = catalog::FavouriteRequest { listing_id: listing_id.0 };
        clients(context)?.catalog().add_favourite(request.call.request(message)).await.or_graphql()?;
        Ok(true)
    }

    async fn remove_favourite(&self, context: &Context<'_>, listing_id: ID) -> async_graphql::Result<bool> {
        let request = request_context(context)?;
        let message = catalog::FavouriteRequest { listing_id: listing_id.0 };
        clients(context)?.catalog().remove_favourite(request.call.request(message)).await.or_graphql()?;
        Ok(true)
    }

    /// Stores the structured filters the text is understood as, plus any forced ones.
    #[graphql(directive = expensive::apply(Work::TextInterpretation))]
    async fn save_search(
        &self,
        context: &Context<'_>,
        name: String,
        input: SearchInput,
    ) -> async_graphql::Result<SavedSearch> {
        let request = request_context(context)?;
        let text = input.text.clone().unwrap_or_default();
        let filters = super::search::understood_filters(context, &input).await?;
        let message = catalog::SaveSearchRequest { name, text, filters: Some(filters_to_wire(&filters)) };
        Ok(SavedSearch(clients(context)?.catalog().save_search(request.call.request(message)).await.or_graphql()?))
    }

    /// Deletes one of the signed-in buyer's saved searches. An id that is not theirs is
    /// NOT_FOUND and deletes nothing.
    async fn delete_saved_search(&self, context: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let request = request_context(context)?;
        let message = catalog::DeleteSavedSearchRequest { id: id.0 };
        clients(context)?.catalog().delete_saved_search(request.call.request(message)).await.or_graphql()?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sitemap_pages_are_one_sitemap_file_by_default_and_never_more() {
        assert_eq!(sitemap_request(None, None).unwrap().first, catalog::SITEMAP_PAGE_MAX_ENTRIES);
        assert_eq!(sitemap_request(Some(50_000), None).unwrap().first, 50_000);
        assert_eq!(sitemap_request(Some(1), Some("abc".into())).unwrap().after, "abc");
        for refused in [0, -1, 50_001, i32::MAX, i32::MIN] {
            let error = sitemap_request(Some(refused), None).unwrap_err();
            assert!(error.message.contains("between 1 and 50000"), "{refused}: {}", error.message);
        }
        assert!(sitemap_request(None, Some("x".repeat(MAX_CURSOR_LENGTH + 1))).is_err());
    }
}
