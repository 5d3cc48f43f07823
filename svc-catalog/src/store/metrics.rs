//! Aggregates for the metrics RPC, per scope.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

use nds_common::metrics_series::{Buckets, count_per_bucket};

use super::CatalogStore;
use super::entities::listing;
use crate::error::CatalogError;

pub use nds_common::auth::MetricsScope;

fn condition(scope: MetricsScope) -> Condition {
    match scope {
        MetricsScope::Platform => Condition::all(),
        MetricsScope::Group(group_id) => Condition::all().add(listing::Column::GroupId.eq(group_id)),
        MetricsScope::Agency(agency_id) => Condition::all().add(listing::Column::AgencyId.eq(agency_id)),
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListingMetrics {
    /// (status, count) for every status that has listings.
    pub by_status: Vec<(String, i64)>,
    /// Listings created in the range.
    pub created_in_range: u64,
    /// Views counted so far (flushed from the cache by `flush-view-counters`).
    pub views: i64,
}

impl CatalogStore {
    pub async fn listing_metrics(
        &self,
        scope: MetricsScope,
        from: i64,
        to: i64,
    ) -> Result<ListingMetrics, CatalogError> {
        let mut by_status: Vec<(String, i64)> = listing::Entity::find()
            .select_only()
            .column(listing::Column::Status)
            .column_as(Expr::cust("COUNT(*)"), "n")
            .filter(condition(scope))
            .group_by(listing::Column::Status)
            .into_tuple()
            .all(self.database())
            .await?;
        by_status.sort();
        let created_in_range = listing::Entity::find()
            .filter(condition(scope))
            .filter(listing::Column::CreatedAt.gte(from))
            .filter(listing::Column::CreatedAt.lt(to))
            .count(self.database())
            .await?;
        // SUM(bigint) is numeric on PostgreSQL: cast back so both backends decode an i64.
        let views: Option<i64> = listing::Entity::find()
            .select_only()
            .column_as(Expr::cust("CAST(COALESCE(SUM(view_count), 0) AS BIGINT)"), "views")
            .filter(condition(scope))
            .into_tuple()
            .one(self.database())
            .await?;
        Ok(ListingMetrics { by_status, created_in_range, views: views.unwrap_or(0) })
    }

    /// Listings created in each bucket.
    pub async fn listings_created_per_bucket(
        &self,
        scope: MetricsScope,
        buckets: &Buckets,
    ) -> Result<Vec<u64>, CatalogError> {
        let select = listing::Entity::find().filter(condition(scope));
        Ok(count_per_bucket(select, listing::Column::CreatedAt, buckets, self.database()).await?)
    }
}
