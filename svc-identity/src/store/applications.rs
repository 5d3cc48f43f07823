//! Agency applications and their one-time review.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::application;
use crate::domain::application::{ApplicationDraft, GroupChoice};
use nds_common::clock::now_unix;

pub const STATUS_PENDING: &str = "PENDING";
pub const STATUS_APPROVED: &str = "APPROVED";
pub const STATUS_REJECTED: &str = "REJECTED";

pub async fn insert<C: ConnectionTrait>(connection: &C, draft: &ApplicationDraft) -> Result<application::Model, DbErr> {
    let (group_id, group_name) = match &draft.group {
        GroupChoice::Existing(id) => (Some(*id), None),
        GroupChoice::New(name) => (None, Some(name.clone())),
    };
    application::ActiveModel {
        id: Set(Uuid::now_v7()),
        status: Set(STATUS_PENDING.to_string()),
        company_name: Set(draft.company_name.clone()),
        contact_name: Set(draft.contact_name.clone()),
        contact_email: Set(draft.contact_email.as_str().to_string()),
        contact_phone: Set(draft.contact_phone.clone().unwrap_or_default()),
        tax_id: Set(draft.tax_id.clone()),
        address: Set(draft.address.clone()),
        city: Set(draft.city.clone()),
        state: Set(draft.state.clone()),
        group_id: Set(group_id),
        group_name: Set(group_name),
        expected_listings: Set(draft.expected_listings),
        rejection_reason: Set(None),
        agency_id: Set(None),
        reviewed_by: Set(None),
        created_at: Set(now_unix()),
        reviewed_at: Set(None),
    }
    .insert(connection)
    .await
}

pub async fn find<C: ConnectionTrait>(connection: &C, id: Uuid) -> Result<Option<application::Model>, DbErr> {
    application::Entity::find_by_id(id).one(connection).await
}

/// Which applications a listing may show.
#[derive(Clone, Debug)]
pub enum Visibility {
    All,
    /// Group admins: applications naming one of their groups.
    Groups(Vec<Uuid>),
}

/// One page, oldest first (the review queue), and the total matching.
pub async fn list<C: ConnectionTrait>(
    connection: &C,
    status: Option<&str>,
    visibility: &Visibility,
    offset: u64,
    limit: u64,
) -> Result<(Vec<application::Model>, u64), DbErr> {
    let mut condition = Condition::all();
    if let Some(status) = status {
        condition = condition.add(application::Column::Status.eq(status));
    }
    if let Visibility::Groups(groups) = visibility {
        condition = condition.add(application::Column::GroupId.is_in(groups.iter().copied()));
    }
    let query = application::Entity::find().filter(condition);
    let total = query.clone().count(connection).await?;
    let rows = query
        .order_by_asc(application::Column::CreatedAt)
        .order_by_asc(application::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(connection)
        .await?;
    Ok((rows, total))
}

/// The review outcome written by [`decide`].
pub struct Review<'a> {
    pub status: &'a str,
    pub rejection_reason: Option<&'a str>,
    pub agency_id: Option<Uuid>,
    pub group_id: Option<Uuid>,
    pub reviewer: Uuid,
    pub now: i64,
}

/// Records the decision only if the application is still pending: a second
/// review (or a concurrent one) matches no row, and the caller answers CONFLICT.
pub async fn decide<C: ConnectionTrait>(connection: &C, id: Uuid, review: &Review<'_>) -> Result<bool, DbErr> {
    let mut update = application::Entity::update_many()
        .col_expr(application::Column::Status, Expr::value(review.status.to_string()))
        .col_expr(application::Column::RejectionReason, Expr::value(review.rejection_reason.map(str::to_string)))
        .col_expr(application::Column::AgencyId, Expr::value(review.agency_id))
        .col_expr(application::Column::ReviewedBy, Expr::value(Some(review.reviewer)))
        .col_expr(application::Column::ReviewedAt, Expr::value(Some(review.now)));
    if let Some(group_id) = review.group_id {
        update = update.col_expr(application::Column::GroupId, Expr::value(Some(group_id)));
    }
    let result = update
        .filter(application::Column::Id.eq(id))
        .filter(application::Column::Status.eq(STATUS_PENDING))
        .exec(connection)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn find_many<C: ConnectionTrait>(connection: &C, ids: &[Uuid]) -> Result<Vec<application::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    application::Entity::find().filter(application::Column::Id.is_in(ids.iter().copied())).all(connection).await
}
