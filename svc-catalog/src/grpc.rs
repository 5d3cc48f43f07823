//! The tonic adapter: authenticate, unwrap, call the service, convert. No rules here.

use futures::StreamExt;
use nds_common::Shutdown;
use nds_common::auth::{Authenticator, Principal};
use nds_common::convert::sort_from_wire;
use nds_common::error::to_status;
use nds_common::grpc::{ServerStream, until_authorization_lapses};
use nds_proto::catalog::v1 as wire;
use nds_proto::catalog::v1::catalog_service_server::CatalogService as CatalogServiceApi;
use tonic::{Request, Response, Status};

use crate::convert::*;
use crate::domain::inventory_order::{InventoryOrder, inventory_page};
use crate::domain::inventory_search::InventorySearch;
use crate::domain::lifecycle::Transition;
use crate::error::CatalogError;
use crate::service::{CatalogService, ListingsQuery, MetricsQuery};

pub use nds_proto::catalog::v1::catalog_service_server::CatalogServiceServer;

#[derive(Clone)]
pub struct CatalogGrpc {
    service: CatalogService,
    authenticator: Authenticator,
    shutdown: Shutdown,
}

impl CatalogGrpc {
    pub fn new(service: CatalogService, authenticator: Authenticator, shutdown: Shutdown) -> Self {
        Self { service, authenticator, shutdown }
    }

    pub fn into_server(self) -> CatalogServiceServer<CatalogGrpc> {
        CatalogServiceServer::new(self)
    }

    async fn caller<T>(&self, request: &Request<T>) -> Result<Option<Principal>, Status> {
        self.authenticator.authenticate(request.metadata()).await.map_err(Status::from)
    }

    async fn transition(
        &self,
        request: Request<wire::ListingTransitionRequest>,
        transition: Transition,
    ) -> Result<Response<wire::Listing>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let id = parse_id(&message.id, "id")?;
            self.service.transition_listing(caller.as_ref(), id, message.expected_version, transition).await
        };
        reply(result.await.map(|listing| listing_to_wire(&listing)))
    }
}

fn reply<T>(result: Result<T, CatalogError>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(to_status)
}

type ChangeStream = ServerStream<wire::ListingChange>;

#[tonic::async_trait]
impl CatalogServiceApi for CatalogGrpc {
    type StreamChangesStream = ChangeStream;

    async fn create_listing(
        &self,
        request: Request<wire::CreateListingRequest>,
    ) -> Result<Response<wire::Listing>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let agency_id = parse_optional_id(&message.agency_id, "agencyId")?;
            let input = listing_input_from_wire(message.input.unwrap_or_default())?;
            self.service.create_listing(caller.as_ref(), agency_id, &input).await
        };
        reply(result.await.map(|listing| listing_to_wire(&listing)))
    }

    async fn update_listing(
        &self,
        request: Request<wire::UpdateListingRequest>,
    ) -> Result<Response<wire::Listing>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let id = parse_id(&message.id, "id")?;
            let patch = listing_patch_from_wire(message.patch.unwrap_or_default())?;
            self.service.update_listing(caller.as_ref(), id, message.expected_version, &patch).await
        };
        reply(result.await.map(|listing| listing_to_wire(&listing)))
    }

    async fn publish_listing(
        &self,
        request: Request<wire::ListingTransitionRequest>,
    ) -> Result<Response<wire::Listing>, Status> {
        self.transition(request, Transition::Publish).await
    }

    async fn mark_listing_sold(
        &self,
        request: Request<wire::ListingTransitionRequest>,
    ) -> Result<Response<wire::Listing>, Status> {
        self.transition(request, Transition::MarkSold).await
    }

    async fn archive_listing(
        &self,
        request: Request<wire::ListingTransitionRequest>,
    ) -> Result<Response<wire::Listing>, Status> {
        self.transition(request, Transition::Archive).await
    }

    async fn unpublish_listing(
        &self,
        request: Request<wire::ListingTransitionRequest>,
    ) -> Result<Response<wire::Listing>, Status> {
        self.transition(request, Transition::Unpublish).await
    }

    async fn get_listing(&self, request: Request<wire::GetListingRequest>) -> Result<Response<wire::Listing>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let id = parse_id(&message.id, "id")?;
            self.service.get_listing(caller.as_ref(), id).await
        };
        reply(result.await.map(|listing| listing_to_wire(&listing)))
    }

    async fn get_listings(
        &self,
        request: Request<wire::GetListingsRequest>,
    ) -> Result<Response<wire::GetListingsResponse>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let ids = message.ids.iter().map(|id| parse_id(id, "ids")).collect::<Result<Vec<_>, _>>()?;
            self.service.get_listings(caller.as_ref(), &ids).await
        };
        reply(
            result
                .await
                .map(|listings| wire::GetListingsResponse { listings: listings.iter().map(listing_to_wire).collect() }),
        )
    }

    async fn get_retired_listing(
        &self,
        request: Request<wire::GetRetiredListingRequest>,
    ) -> Result<Response<wire::RetiredListing>, Status> {
        // Public, and the same for every caller: no token is needed or read.
        let message = request.into_inner();
        let result = async {
            let id = parse_id(&message.id, "id")?;
            self.service.get_retired_listing(id).await
        };
        reply(result.await.map(|listing| retired_listing_to_wire(&listing)))
    }

    async fn list_listings(
        &self,
        request: Request<wire::ListListingsRequest>,
    ) -> Result<Response<wire::ListListingsResponse>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let agency_id = parse_optional_id(&message.agency_id, "agencyId")?;
            let status = status_from_wire(message.status, "status")?;
            let order = InventoryOrder::from_sort(sort_from_wire(message.sort, "sort")?)?;
            let page = message.page.unwrap_or_default();
            let page = inventory_page(order, page.first, &page.after)?;
            let search = InventorySearch::parse(&message.search)?;
            self.service.list_listings(caller.as_ref(), ListingsQuery { agency_id, status, search }, page).await
        };
        reply(result.await.map(listings_page_to_wire))
    }

    async fn list_sitemap(
        &self,
        request: Request<wire::ListSitemapRequest>,
    ) -> Result<Response<wire::ListSitemapResponse>, Status> {
        // Public, and the same for every caller: no token is needed or read.
        let message = request.into_inner();
        let result = async {
            let page = sitemap_page_from_wire(&message)?;
            self.service.listing_sitemap(page, message.include_total).await
        };
        reply(result.await.map(sitemap_page_to_wire))
    }

    async fn get_price_history(
        &self,
        request: Request<wire::GetPriceHistoryRequest>,
    ) -> Result<Response<wire::GetPriceHistoryResponse>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let id = parse_id(&message.listing_id, "listingId")?;
            self.service.price_history(caller.as_ref(), id).await
        };
        reply(
            result.await.map(|points| wire::GetPriceHistoryResponse {
                points: points.iter().map(price_point_to_wire).collect(),
            }),
        )
    }

    async fn record_view(
        &self,
        request: Request<wire::RecordViewRequest>,
    ) -> Result<Response<wire::RecordViewResponse>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let id = parse_id(&message.listing_id, "listingId")?;
            self.service.record_view(caller.as_ref(), id).await
        };
        reply(result.await.map(|_| wire::RecordViewResponse {}))
    }

    async fn set_promotion(
        &self,
        request: Request<wire::SetPromotionRequest>,
    ) -> Result<Response<wire::Listing>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let id = parse_id(&message.listing_id, "listingId")?;
            self.service.set_promotion(caller.as_ref(), id, message.promoted_until_unix, message.rank).await
        };
        reply(result.await.map(|listing| listing_to_wire(&listing)))
    }

    async fn set_agency_suspended(
        &self,
        request: Request<wire::SetAgencySuspendedRequest>,
    ) -> Result<Response<wire::SetAgencySuspendedResponse>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let agency_id = parse_id(&message.agency_id, "agencyId")?;
            self.service.set_agency_suspended(caller.as_ref(), agency_id, message.suspended).await
        };
        reply(result.await.map(|listings_changed| wire::SetAgencySuspendedResponse { listings_changed }))
    }

    async fn add_favourite(
        &self,
        request: Request<wire::FavouriteRequest>,
    ) -> Result<Response<wire::FavouriteResponse>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let id = parse_id(&message.listing_id, "listingId")?;
            self.service.add_favourite(caller.as_ref(), id).await
        };
        reply(result.await.map(|changed| wire::FavouriteResponse { changed }))
    }

    async fn remove_favourite(
        &self,
        request: Request<wire::FavouriteRequest>,
    ) -> Result<Response<wire::FavouriteResponse>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let id = parse_id(&message.listing_id, "listingId")?;
            self.service.remove_favourite(caller.as_ref(), id).await
        };
        reply(result.await.map(|changed| wire::FavouriteResponse { changed }))
    }

    async fn list_favourites(
        &self,
        request: Request<wire::ListFavouritesRequest>,
    ) -> Result<Response<wire::ListListingsResponse>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let page = page_from_wire(message.page)?;
            self.service.list_favourites(caller.as_ref(), page).await
        };
        reply(result.await.map(listings_page_to_wire))
    }

    async fn save_search(
        &self,
        request: Request<wire::SaveSearchRequest>,
    ) -> Result<Response<wire::SavedSearch>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let filters = search_filters_from_wire(message.filters.unwrap_or_default())?;
            self.service.save_search(caller.as_ref(), &message.name, &message.text, filters).await
        };
        reply(result.await.map(|search| saved_search_to_wire(&search)))
    }

    async fn list_saved_searches(
        &self,
        request: Request<wire::ListSavedSearchesRequest>,
    ) -> Result<Response<wire::ListSavedSearchesResponse>, Status> {
        let caller = self.caller(&request).await?;
        let result = self.service.list_saved_searches(caller.as_ref()).await;
        reply(result.map(|searches| wire::ListSavedSearchesResponse {
            saved_searches: searches.iter().map(saved_search_to_wire).collect(),
        }))
    }

    async fn delete_saved_search(
        &self,
        request: Request<wire::DeleteSavedSearchRequest>,
    ) -> Result<Response<wire::DeleteSavedSearchResponse>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let id = parse_id(&message.id, "id")?;
            self.service.delete_saved_search(caller.as_ref(), id).await
        };
        reply(result.await.map(|()| wire::DeleteSavedSearchResponse {}))
    }

    async fn stream_changes(
        &self,
        request: Request<wire::StreamChangesRequest>,
    ) -> Result<Response<Self::StreamChangesStream>, Status> {
        let caller = self.caller(&request).await?;
        // Authorized now; ends when the token expires (a feed consumer reconnects
        // with a fresh one from where it was) or the caller is suspended.
        let lapse = self.authenticator.authorization_lapse(request.metadata(), caller.as_ref());
        let message = request.into_inner();
        let stream = self
            .service
            .stream_changes(caller.as_ref(), message.after_sequence, self.shutdown.clone())
            .await
            .map_err(to_status)?;
        let stream = stream.map(|item| item.map(|change| change_to_wire(&change)).map_err(to_status));
        Ok(Response::new(until_authorization_lapses(stream, lapse)))
    }

    /// Pages of every listing for a full reindex. Unlike `list_listings`, a page's
    /// `total_count` is 0: counting on each page made a scan of a million listings quadratic.
    async fn scan_listings(
        &self,
        request: Request<wire::ScanListingsRequest>,
    ) -> Result<Response<wire::ScanListingsResponse>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let status = status_from_wire(message.status, "status")?;
            let page = page_from_wire(message.page)?;
            self.service.scan_listings(caller.as_ref(), status, page).await
        };
        reply(result.await.map(|(page, feed_sequence)| {
            let listed = listings_page_to_wire(page);
            wire::ScanListingsResponse { listings: listed.listings, page_info: listed.page_info, feed_sequence }
        }))
    }

    async fn get_metrics(
        &self,
        request: Request<wire::GetMetricsRequest>,
    ) -> Result<Response<wire::GetMetricsResponse>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let scope = nds_common::convert::metrics_scope_from_wire(message.scope)?;
            let range = message.range.unwrap_or_default();
            // An unset end means "now"; an unset start, the beginning of time.
            let to_unix = if range.to_unix == 0 { crate::service::now_unix() + 1 } else { range.to_unix };
            let interval = nds_common::convert::metrics_interval_from_wire(message.interval)?;
            let query = MetricsQuery { scope, from_unix: range.from_unix, to_unix, interval };
            self.service.metrics(caller.as_ref(), query).await
        };
        reply(result.await.map(|(values, series)| {
            let to_wire = |value: crate::service::MetricValue| nds_proto::common::v1::Metric {
                name: value.name.to_string(),
                value: value.value,
                label: value.label,
            };
            wire::GetMetricsResponse {
                metrics: values.into_iter().map(to_wire).collect(),
                buckets: nds_common::convert::metrics_series_to_wire(series.map(|series| series.map(to_wire))),
            }
        }))
    }

    async fn reserve_photo_uploads(
        &self,
        request: Request<wire::ReservePhotoUploadsRequest>,
    ) -> Result<Response<wire::ReservePhotoUploadsResponse>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let listing_id = parse_id(&message.listing_id, "listingId")?;
            let count = usize::try_from(message.count).unwrap_or(usize::MAX);
            self.service.reserve_photo_uploads(caller.as_ref(), listing_id, count).await
        };
        reply(result.await.map(upload_reservation_to_wire))
    }

    async fn get_listing_photos(
        &self,
        request: Request<wire::GetListingPhotosRequest>,
    ) -> Result<Response<wire::GetListingPhotosResponse>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let ids = message.listing_ids.iter().map(|id| parse_id(id, "listingIds")).collect::<Result<Vec<_>, _>>()?;
            self.service.listing_photos(caller.as_ref(), &ids).await
        };
        reply(result.await.map(|galleries| wire::GetListingPhotosResponse {
            listings: galleries.iter().map(gallery_to_wire).collect(),
        }))
    }

    async fn reorder_listing_photos(
        &self,
        request: Request<wire::ReorderListingPhotosRequest>,
    ) -> Result<Response<wire::ListingPhotos>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let listing_id = parse_id(&message.listing_id, "listingId")?;
            let ordered = message.photo_ids.iter().map(|id| parse_id(id, "photoIds")).collect::<Result<Vec<_>, _>>()?;
            self.service.reorder_photos(caller.as_ref(), listing_id, &ordered).await
        };
        reply(result.await.map(|gallery| gallery_to_wire(&gallery)))
    }

    async fn delete_listing_photo(
        &self,
        request: Request<wire::DeleteListingPhotoRequest>,
    ) -> Result<Response<wire::ListingPhotos>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let result = async {
            let listing_id = parse_id(&message.listing_id, "listingId")?;
            let photo_id = parse_id(&message.photo_id, "photoId")?;
            self.service.delete_photo(caller.as_ref(), listing_id, photo_id).await
        };
        reply(result.await.map(|gallery| gallery_to_wire(&gallery)))
    }
}
