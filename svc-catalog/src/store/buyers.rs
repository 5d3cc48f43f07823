//! Favourites and saved searches: buyers' own rows, always filtered by user id.

use nds_common::vehicle::SearchFilters;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use uuid::Uuid;

use super::CatalogStore;
use super::entities::{favourite, listing, saved_search};
use super::rows::{listing_from_row, saved_search_from_row};
use crate::domain::paging::{Page, PageOf, encode_cursor};
use crate::domain::saved_search::SavedSearch;
use crate::domain::{Listing, ListingStatus};
use crate::error::CatalogError;

impl CatalogStore {
    /// True when the favourite is new; adding it twice is a no-op, not an error.
    pub async fn add_favourite(&self, user_id: Uuid, listing_id: Uuid, now: i64) -> Result<bool, CatalogError> {
        let row = favourite::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id),
            listing_id: Set(listing_id),
            created_at: Set(now),
        };
        match row.insert(self.database()).await {
            Ok(_) => Ok(true),
            Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    pub async fn remove_favourite(&self, user_id: Uuid, listing_id: Uuid) -> Result<bool, CatalogError> {
        let result = favourite::Entity::delete_many()
            .filter(favourite::Column::UserId.eq(user_id))
            .filter(favourite::Column::ListingId.eq(listing_id))
            .exec(self.database())
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// A buyer's favourites that are still published, most recent first. Favourites
    /// of listings that were unpublished stay stored but are neither shown nor counted.
    pub async fn list_favourites(&self, user_id: Uuid, page: Page) -> Result<PageOf<Listing>, CatalogError> {
        let published = Query::select()
            .column(listing::Column::Id)
            .from(listing::Entity)
            .and_where(listing::Column::Status.eq(ListingStatus::Published.as_str()))
            .to_owned();
        let base = favourite::Entity::find()
            .filter(favourite::Column::UserId.eq(user_id))
            .filter(favourite::Column::ListingId.in_subquery(published));
        let total_count = base.clone().count(self.database()).await?;
        let mut query = base;
        if let Some(after) = page.after {
            query = query.filter(favourite::Column::Id.lt(after));
        }
        let mut favourites =
            query.order_by_desc(favourite::Column::Id).limit(page.first + 1).all(self.database()).await?;
        let has_next_page = favourites.len() as u64 > page.first;
        favourites.truncate(page.first as usize);
        let end_cursor = favourites.last().map(|row| encode_cursor(row.id));
        let ids: Vec<Uuid> = favourites.iter().map(|row| row.listing_id).collect();
        let mut by_id: std::collections::HashMap<Uuid, listing::Model> = listing::Entity::find()
            .filter(listing::Column::Id.is_in(ids.clone()))
            .all(self.database())
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        let items =
            ids.into_iter().filter_map(|id| by_id.remove(&id)).map(listing_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(PageOf { items, has_next_page, end_cursor, total_count })
    }

    pub async fn count_saved_searches(&self, user_id: Uuid) -> Result<u64, CatalogError> {
        Ok(saved_search::Entity::find().filter(saved_search::Column::UserId.eq(user_id)).count(self.database()).await?)
    }

    pub async fn insert_saved_search(&self, search: &SavedSearch) -> Result<(), CatalogError> {
        let filters: &SearchFilters = &search.filters;
        let filters = serde_json::to_string(filters).map_err(|error| CatalogError::Corrupt(error.to_string()))?;
        saved_search::ActiveModel {
            id: Set(search.id),
            user_id: Set(search.user_id),
            name: Set(search.name.clone()),
            text: Set(search.text.clone()),
            filters: Set(filters),
            created_at: Set(search.created_at_unix),
        }
        .insert(self.database())
        .await
        .map_err(|error: DbErr| CatalogError::Database(error))?;
        Ok(())
    }

    /// Deletes the search only if it is `user_id`'s; false when there was none of theirs.
    pub async fn delete_saved_search(&self, user_id: Uuid, id: Uuid) -> Result<bool, CatalogError> {
        let result = saved_search::Entity::delete_many()
            .filter(saved_search::Column::Id.eq(id))
            .filter(saved_search::Column::UserId.eq(user_id))
            .exec(self.database())
            .await?;
        Ok(result.rows_affected > 0)
    }

    pub async fn list_saved_searches(&self, user_id: Uuid) -> Result<Vec<SavedSearch>, CatalogError> {
        saved_search::Entity::find()
            .filter(saved_search::Column::UserId.eq(user_id))
            .order_by_desc(saved_search::Column::Id)
            .all(self.database())
            .await?
            .into_iter()
            .map(saved_search_from_row)
            .collect()
    }
}
