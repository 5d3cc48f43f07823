//! Listing rows: reads, and writes that always carry their change row.

use nds_common::db::{like_anywhere, like_prefix};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, SqlErr,
};
use uuid::Uuid;

use super::entities::{listing, price_history};
use super::feed::append_change;
use super::rows::{listing_from_row, listing_to_row, price_point_from_row, price_point_row, status_names};
use super::{CatalogStore, WriteTransaction};
use crate::domain::inventory_order::{SortColumn, SortedAfter, SortedOrder, encode_sorted_cursor};
use crate::domain::inventory_search::{InventorySearch, SearchWord};
use crate::domain::paging::{Page, PageOf, encode_cursor};
use crate::domain::sitemap::SitemapEntry;
use crate::domain::{ChangeKind, Listing, ListingStatus, Owner, PricePoint};
use crate::error::CatalogError;

/// Which listings a list or scan returns. `None` means "no restriction".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListingFilter {
    pub agencies: Option<Vec<Uuid>>,
    pub statuses: Option<Vec<ListingStatus>>,
    /// Leave out listings of suspended agencies (what the public may list).
    pub public_only: bool,
    /// Typed words, each matching the make, the model or the VIN's start.
    pub search: InventorySearch,
}

impl ListingFilter {
    fn condition(&self) -> Condition {
        let mut condition = Condition::all();
        if let Some(agencies) = &self.agencies {
            condition = condition.add(listing::Column::AgencyId.is_in(agencies.clone()));
        }
        if let Some(statuses) = &self.statuses {
            condition = condition.add(listing::Column::Status.is_in(status_names(statuses)));
        }
        if self.public_only {
            condition = condition.add(listing::Column::AgencySuspended.eq(false));
        }
        for word in &self.search.words {
            condition = condition.add(word_condition(word));
        }
        condition
    }
}

/// One typed word: inside the make or the model (stored folded, as words are), at
/// the start of the VIN (stored in capitals), or the canonical make it names.
fn word_condition(word: &SearchWord) -> Condition {
    let vin = Expr::expr(Func::lower(Expr::col(listing::Column::Vin)));
    let mut condition = Condition::any()
        .add(listing::Column::Make.like(like_anywhere(&word.text)))
        .add(listing::Column::Model.like(like_anywhere(&word.text)))
        .add(vin.like(like_prefix(&word.text)));
    if let Some(make) = word.make {
        condition = condition.add(listing::Column::Make.eq(make));
    }
    condition
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Newest first (lists shown to people).
    NewestFirst,
    /// Oldest first (scans for reindexing: stable while rows are added).
    OldestFirst,
}

/// What anyone may open: published, and its agency not suspended (the store's
/// form of `domain::access`'s rule, for lists the public pages through), written
/// as the filter public lists already use.
fn public_condition() -> Condition {
    ListingFilter { statuses: Some(vec![ListingStatus::Published]), public_only: true, ..ListingFilter::default() }
        .condition()
}

/// The partial unique index on live VINs is the truth; its violation is a CONFLICT.
fn map_write_error(error: DbErr) -> CatalogError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => CatalogError::DuplicateLiveVin,
        _ => CatalogError::Database(error),
    }
}

impl CatalogStore {
    pub async fn get_listing(&self, id: Uuid) -> Result<Option<Listing>, CatalogError> {
        listing::Entity::find_by_id(id).one(self.database()).await?.map(listing_from_row).transpose()
    }

    pub async fn get_listings(&self, ids: &[Uuid]) -> Result<Vec<Listing>, CatalogError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        listing::Entity::find()
            .filter(listing::Column::Id.is_in(ids.to_vec()))
            .all(self.database())
            .await?
            .into_iter()
            .map(listing_from_row)
            .collect()
    }

    pub async fn list_listings(
        &self,
        filter: &ListingFilter,
        page: Page,
        order: Order,
    ) -> Result<PageOf<Listing>, CatalogError> {
        let total_count = listing::Entity::find().filter(filter.condition()).count(self.database()).await?;
        Ok(PageOf { total_count, ..self.uncounted_page(filter, page, order).await? })
    }

    /// One page without the filter's total (`total_count` is 0). A full scan reads
    /// every page, and counting all the filter's rows again for each one made a
    /// million-listing reindex quadratic: 80,500 listings in 106 s, a projected 19
    /// minutes for the million (`nds-bench load`).
    pub async fn uncounted_page(
        &self,
        filter: &ListingFilter,
        page: Page,
        order: Order,
    ) -> Result<PageOf<Listing>, CatalogError> {
        let mut query = listing::Entity::find().filter(filter.condition());
        query = match (order, page.after) {
            (Order::NewestFirst, Some(after)) => query.filter(listing::Column::Id.lt(after)),
            (Order::OldestFirst, Some(after)) => query.filter(listing::Column::Id.gt(after)),
            (_, None) => query,
        };
        query = match order {
            Order::NewestFirst => query.order_by_desc(listing::Column::Id),
            Order::OldestFirst => query.order_by_asc(listing::Column::Id),
        };
        let mut rows = query.limit(page.first + 1).all(self.database()).await?;
        let has_next_page = rows.len() as u64 > page.first;
        rows.truncate(page.first as usize);
        let end_cursor = rows.last().map(|row| encode_cursor(row.id));
        let items = rows.into_iter().map(listing_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(PageOf { items, has_next_page, end_cursor, total_count: 0 })
    }

    /// A page in a sorted order (price, year, mileage): keyset on the sorted column
    /// with the id breaking ties in the same direction, so pages neither repeat
    /// nor skip a row when keys are equal.
    pub async fn list_listings_sorted(
        &self,
        filter: &ListingFilter,
        order: SortedOrder,
        first: u64,
        after: Option<SortedAfter>,
    ) -> Result<PageOf<Listing>, CatalogError> {
        let SortedOrder { column, ascending } = order;
        let sort_column = match column {
            SortColumn::Price => listing::Column::PriceMinor,
            SortColumn::Year => listing::Column::Year,
            SortColumn::Mileage => listing::Column::MileageKm,
        };
        let total_count = listing::Entity::find().filter(filter.condition()).count(self.database()).await?;
        let mut query = listing::Entity::find().filter(filter.condition());
        if let Some(after) = after {
            let (beyond, id_beyond) = if ascending {
                (sort_column.gt(after.key), listing::Column::Id.gt(after.id))
            } else {
                (sort_column.lt(after.key), listing::Column::Id.lt(after.id))
            };
            query = query.filter(
                Condition::any().add(beyond).add(Condition::all().add(sort_column.eq(after.key)).add(id_beyond)),
            );
        }
        let direction = if ascending { sea_orm::Order::Asc } else { sea_orm::Order::Desc };
        query = query.order_by(sort_column, direction.clone()).order_by(listing::Column::Id, direction);
        let mut rows = query.limit(first + 1).all(self.database()).await?;
        let has_next_page = rows.len() as u64 > first;
        rows.truncate(first as usize);
        let end_cursor = rows.last().map(|row| {
            let key = match column {
                SortColumn::Price => row.price_minor,
                SortColumn::Year => i64::from(row.year),
                SortColumn::Mileage => row.mileage_km,
            };
            encode_sorted_cursor(order, SortedAfter { key, id: row.id })
        });
        let items = rows.into_iter().map(listing_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(PageOf { items, has_next_page, end_cursor, total_count })
    }

    /// One sitemap page: public listings after `after`, in id order, with their last
    /// change. Served by the `listings_status (status, id)` index (the storage tests
    /// check the plan): a range scan, no sort, no OFFSET.
    pub fn sitemap_query(after: Option<Uuid>, limit: u64) -> Select<listing::Entity> {
        let mut query = listing::Entity::find()
            .select_only()
            .column(listing::Column::Id)
            .column(listing::Column::UpdatedAt)
            .filter(public_condition());
        if let Some(after) = after {
            query = query.filter(listing::Column::Id.gt(after));
        }
        query.order_by_asc(listing::Column::Id).limit(limit)
    }

    pub async fn public_sitemap(&self, after: Option<Uuid>, limit: u64) -> Result<Vec<SitemapEntry>, CatalogError> {
        let rows = Self::sitemap_query(after, limit).into_tuple::<(Uuid, i64)>().all(self.database()).await?;
        Ok(rows.into_iter().map(|(id, updated_at_unix)| SitemapEntry { id, updated_at_unix }).collect())
    }

    /// Public listings, counted over the `listings_status` index's published range.
    pub async fn count_public(&self) -> Result<u64, CatalogError> {
        Ok(listing::Entity::find().filter(public_condition()).count(self.database()).await?)
    }

    pub async fn count_listings(&self) -> Result<u64, CatalogError> {
        Ok(listing::Entity::find().count(self.database()).await?)
    }

    /// The owner of an agency as recorded on any of its listings (its group for tenant checks).
    pub async fn owner_of_agency(&self, agency_id: Uuid) -> Result<Option<Owner>, CatalogError> {
        let row = listing::Entity::find().filter(listing::Column::AgencyId.eq(agency_id)).one(self.database()).await?;
        Ok(row.map(|row| Owner { agency_id: row.agency_id, group_id: row.group_id }))
    }

    /// Every listing id of one agency (its suspension touches them all).
    pub async fn listing_ids_of_agency(&self, agency_id: Uuid) -> Result<Vec<Uuid>, CatalogError> {
        Ok(listing::Entity::find()
            .select_only()
            .column(listing::Column::Id)
            .filter(listing::Column::AgencyId.eq(agency_id))
            .order_by_asc(listing::Column::Id)
            .into_tuple::<Uuid>()
            .all(self.database())
            .await?)
    }

    /// Ids after `after` in id order, for jobs that walk every listing.
    pub async fn listing_ids_after(&self, after: Option<Uuid>, limit: u64) -> Result<Vec<Uuid>, CatalogError> {
        let mut query = listing::Entity::find().select_only().column(listing::Column::Id);
        if let Some(after) = after {
            query = query.filter(listing::Column::Id.gt(after));
        }
        Ok(query.order_by_asc(listing::Column::Id).limit(limit).into_tuple::<Uuid>().all(self.database()).await?)
    }

    pub async fn price_history(&self, listing_id: Uuid) -> Result<Vec<PricePoint>, CatalogError> {
        Ok(price_history::Entity::find()
            .filter(price_history::Column::ListingId.eq(listing_id))
            .order_by_asc(price_history::Column::Id)
            .all(self.database())
            .await?
            .into_iter()
            .map(price_point_from_row)
            .collect())
    }

    /// Adds flushed views; not a listing change (no version bump, no feed entry).
    pub async fn add_views(&self, listing_id: Uuid, views: i64) -> Result<bool, CatalogError> {
        let result = listing::Entity::update_many()
            .col_expr(listing::Column::ViewCount, Expr::col(listing::Column::ViewCount).add(views))
            .filter(listing::Column::Id.eq(listing_id))
            .exec(self.database())
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Inserts a new listing, its first price point and its CREATED change.
    pub async fn insert_listing(&self, listing: &Listing, now: i64) -> Result<i64, CatalogError> {
        let WriteTransaction { transaction, _gate } = self.begin_write().await?;
        listing_to_row(listing).insert(&transaction).await.map_err(map_write_error)?;
        price_point_row(listing.id, &listing.fields.price, now).insert(&transaction).await?;
        let sequence = append_change(&transaction, ChangeKind::Created, listing, now).await?;
        transaction.commit().await?;
        Ok(sequence)
    }

    /// Replaces a listing with `updated` if it is still at `expected_version`, records
    /// the price when it changed, and appends the change, all or nothing.
    pub async fn update_listing(
        &self,
        updated: &Listing,
        expected_version: i64,
        kind: ChangeKind,
        price_changed: bool,
        now: i64,
    ) -> Result<i64, CatalogError> {
        let WriteTransaction { transaction, _gate } = self.begin_write().await?;
        let mut row = listing_to_row(updated);
        row.id = sea_orm::ActiveValue::NotSet;
        let result = listing::Entity::update_many()
            .set(row)
            .filter(listing::Column::Id.eq(updated.id))
            .filter(listing::Column::Version.eq(expected_version))
            .exec(&transaction)
            .await
            .map_err(map_write_error)?;
        if result.rows_affected == 0 {
            let current = listing::Entity::find_by_id(updated.id).one(&transaction).await?;
            transaction.rollback().await?;
            return Err(match current {
                Some(row) => CatalogError::StaleVersion { expected: expected_version, actual: row.version },
                None => CatalogError::NotFound("listing"),
            });
        }
        if price_changed {
            price_point_row(updated.id, &updated.fields.price, now).insert(&transaction).await?;
        }
        let sequence = append_change(&transaction, kind, updated, now).await?;
        transaction.commit().await?;
        Ok(sequence)
    }
}
