//! The tonic adapter: authenticate, `into_inner()`, validate, call the service, convert.

use std::sync::Arc;

use nds_common::convert::{filters_from_wire, filters_to_wire, sort_from_wire};
use nds_common::error::to_status;
use nds_common::grpc::CallContext;
use nds_common::runtime::Runtime;
use nds_proto::catalog::v1::Listing;
use nds_proto::common::v1::PageInfo;
use nds_proto::search::v1::search_service_server::SearchService as SearchServiceRpc;
use nds_proto::search::v1::{
    Facet, FacetValue, GetIndexStatusRequest, GetIndexStatusResponse, SearchHit, SearchRequest, SearchResponse,
};
use prost::Message;
use tonic::{Request, Response, Status};

use crate::service::{SearchInput, SearchOutput, SearchService};

pub struct SearchGrpc {
    service: Arc<SearchService>,
    runtime: Runtime,
}

impl SearchGrpc {
    pub fn new(service: Arc<SearchService>, runtime: Runtime) -> Self {
        Self { service, runtime }
    }
}

fn output_to_wire(output: SearchOutput) -> SearchResponse {
    let hit = |hit: crate::service::HitOut| SearchHit {
        listing_id: hit.listing_id.to_string(),
        score: hit.score,
        // An undecodable card is left out: the caller then asks catalog, as for a missing one.
        listing: (!hit.card.is_empty()).then(|| Listing::decode(hit.card.as_bytes()).ok()).flatten(),
    };
    SearchResponse {
        promoted: output.promoted.into_iter().map(hit).collect(),
        results: output.results.into_iter().map(hit).collect(),
        page_info: Some(PageInfo {
            has_next_page: output.has_next_page,
            end_cursor: output.end_cursor,
            total_count: output.total_count,
        }),
        applied_filters: Some(filters_to_wire(&output.applied_filters)),
        facets: output
            .facets
            .into_iter()
            .map(|facet| Facet {
                field: facet.field,
                values: facet.values.into_iter().map(|(value, count)| FacetValue { value, count }).collect(),
            })
            .collect(),
        understood_by: output.understood_by,
    }
}

#[tonic::async_trait]
impl SearchServiceRpc for SearchGrpc {
    async fn search(&self, request: Request<SearchRequest>) -> Result<Response<SearchResponse>, Status> {
        // Anonymous callers may search; a token that is sent must be valid.
        self.runtime.authenticator.authenticate(request.metadata()).await?;
        let context = CallContext::from_metadata(request.metadata(), self.runtime.config.default_deadline);
        let request = request.into_inner();
        let forced = request.filters.as_ref().map(filters_from_wire).transpose()?.unwrap_or_default();
        let sort = sort_from_wire(request.sort, "sort")?;
        let page = request.page.unwrap_or_default();
        let input = SearchInput::parse(&request.text, forced, sort, page.first, &page.after, &request.locale)
            .map_err(to_status)?;
        let output = self.service.search(&input, &context, nds_common::clock::now_unix()).await.map_err(to_status)?;
        Ok(Response::new(output_to_wire(output)))
    }

    async fn get_index_status(
        &self,
        request: Request<GetIndexStatusRequest>,
    ) -> Result<Response<GetIndexStatusResponse>, Status> {
        let principal = self.runtime.authenticator.authenticate(request.metadata()).await?;
        let status = self.service.index_status(principal.as_ref()).await.map_err(to_status)?;
        Ok(Response::new(GetIndexStatusResponse {
            documents: status.documents,
            feed_sequence: status.feed_sequence,
            backend: status.backend.to_string(),
            physical_index: status.physical_index,
        }))
    }
}
