//! Conversations and their messages. A message and its conversation's counters
//! change in one transaction; the conversation row is the per-conversation lock
//! that hands out message sequence numbers.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use super::entities::{agency_rotation, conversation, message, participant};
use crate::domain::conversation::{ConversationStatus, SenderSide};

pub struct NewConversation {
    pub listing_id: Uuid,
    pub agency_id: Uuid,
    pub group_id: Uuid,
    pub buyer_id: Uuid,
    pub listing_title: String,
    pub assignee_id: Option<Uuid>,
}

pub async fn insert<C: ConnectionTrait>(
    database: &C,
    new: &NewConversation,
    now: i64,
) -> Result<conversation::Model, DbErr> {
    conversation::ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        listing_id: Set(new.listing_id.to_string()),
        agency_id: Set(new.agency_id.to_string()),
        group_id: Set(new.group_id.to_string()),
        buyer_id: Set(new.buyer_id.to_string()),
        listing_title: Set(new.listing_title.clone()),
        status: Set(ConversationStatus::New.as_str().to_string()),
        assignee_id: Set(new.assignee_id.map(|id| id.to_string())),
        message_count: Set(0),
        created_at_unix: Set(now),
        updated_at_unix: Set(now),
        last_message_at_unix: Set(now),
        first_response_at_unix: Set(None),
    }
    .insert(database)
    .await
}

pub async fn by_id<C: ConnectionTrait>(database: &C, id: Uuid) -> Result<Option<conversation::Model>, DbErr> {
    conversation::Entity::find_by_id(id.to_string()).one(database).await
}

/// The buyer's open (NEW or OPEN) conversation about a listing, if any.
pub async fn find_open<C: ConnectionTrait>(
    database: &C,
    buyer_id: Uuid,
    listing_id: Uuid,
) -> Result<Option<conversation::Model>, DbErr> {
    let open = [ConversationStatus::New.as_str(), ConversationStatus::Open.as_str()];
    conversation::Entity::find()
        .filter(conversation::Column::BuyerId.eq(buyer_id.to_string()))
        .filter(conversation::Column::ListingId.eq(listing_id.to_string()))
        .filter(conversation::Column::Status.is_in(open))
        .one(database)
        .await
}

fn participant_id(conversation_id: &str, user_id: &str) -> String {
    format!("{conversation_id}:{user_id}")
}

async fn ensure_participant<C: ConnectionTrait>(
    database: &C,
    conversation_id: &str,
    user_id: &str,
) -> Result<(), DbErr> {
    let row = participant::ActiveModel {
        id: Set(participant_id(conversation_id, user_id)),
        conversation_id: Set(conversation_id.to_string()),
        user_id: Set(user_id.to_string()),
        last_read_sequence: Set(0),
        last_notified_at_unix: Set(None),
    };
    participant::Entity::insert(row).on_conflict_do_nothing_on([participant::Column::Id]).exec(database).await?;
    Ok(())
}

/// Moves a user's read marker forward (never back).
pub async fn advance_read_marker<C: ConnectionTrait>(
    database: &C,
    conversation_id: &str,
    user_id: &str,
    sequence: i64,
) -> Result<(), DbErr> {
    ensure_participant(database, conversation_id, user_id).await?;
    participant::Entity::update_many()
        .col_expr(participant::Column::LastReadSequence, Expr::value(sequence))
        .filter(participant::Column::Id.eq(participant_id(conversation_id, user_id)))
        .filter(participant::Column::LastReadSequence.lt(sequence))
        .exec(database)
        .await?;
    Ok(())
}

/// Appends a message: the next sequence number, the conversation's activity times,
/// NEW → OPEN and the first-response time on the agency's first answer, and the
/// sender's read marker — all or nothing.
pub async fn append_message<C: ConnectionTrait + TransactionTrait>(
    database: &C,
    conversation_id: &str,
    sender_id: &str,
    side: SenderSide,
    body: &str,
    now: i64,
) -> Result<(message::Model, conversation::Model), DbErr> {
    let transaction = database.begin().await?;
    // The UPDATE locks the conversation row: concurrent senders queue here.
    let updated = conversation::Entity::update_many()
        .col_expr(conversation::Column::MessageCount, Expr::col(conversation::Column::MessageCount).add(1))
        .col_expr(conversation::Column::LastMessageAtUnix, Expr::value(now))
        .col_expr(conversation::Column::UpdatedAtUnix, Expr::value(now))
        .filter(conversation::Column::Id.eq(conversation_id))
        .exec(&transaction)
        .await?;
    if updated.rows_affected != 1 {
        return Err(DbErr::RecordNotFound(format!("conversation {conversation_id}")));
    }
    if side == SenderSide::Agency {
        conversation::Entity::update_many()
            .col_expr(conversation::Column::FirstResponseAtUnix, Expr::value(now))
            .filter(conversation::Column::Id.eq(conversation_id))
            .filter(conversation::Column::FirstResponseAtUnix.is_null())
            .exec(&transaction)
            .await?;
        conversation::Entity::update_many()
            .col_expr(conversation::Column::Status, Expr::value(ConversationStatus::Open.as_str()))
            .filter(conversation::Column::Id.eq(conversation_id))
            .filter(conversation::Column::Status.eq(ConversationStatus::New.as_str()))
            .exec(&transaction)
            .await?;
    }
    let conversation = conversation::Entity::find_by_id(conversation_id.to_string())
        .one(&transaction)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("conversation {conversation_id}")))?;
    let message = message::ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        conversation_id: Set(conversation_id.to_string()),
        sequence: Set(conversation.message_count),
        sender_id: Set(sender_id.to_string()),
        sender_side: Set(side.as_str().to_string()),
        body: Set(body.to_string()),
        sent_at_unix: Set(now),
    }
    .insert(&transaction)
    .await?;
    advance_read_marker(&transaction, conversation_id, sender_id, message.sequence).await?;
    transaction.commit().await?;
    Ok((message, conversation))
}

/// Messages from others after the user's read marker.
pub async fn unread_count<C: ConnectionTrait>(
    database: &C,
    conversation_id: &str,
    user_id: &str,
) -> Result<u64, DbErr> {
    let marker = participant::Entity::find_by_id(participant_id(conversation_id, user_id))
        .one(database)
        .await?
        .map(|row| row.last_read_sequence)
        .unwrap_or(0);
    message::Entity::find()
        .filter(message::Column::ConversationId.eq(conversation_id))
        .filter(message::Column::Sequence.gt(marker))
        .filter(message::Column::SenderId.ne(user_id))
        .count(database)
        .await
}

/// A page of history, newest first, strictly before `before_sequence` when given.
/// Returns one more row than `limit` when there is more.
pub async fn messages_before<C: ConnectionTrait>(
    database: &C,
    conversation_id: &str,
    before_sequence: Option<i64>,
    limit: u64,
) -> Result<Vec<message::Model>, DbErr> {
    let mut query = message::Entity::find().filter(message::Column::ConversationId.eq(conversation_id));
    if let Some(before) = before_sequence {
        query = query.filter(message::Column::Sequence.lt(before));
    }
    query.order_by_desc(message::Column::Sequence).limit(limit + 1).all(database).await
}

pub async fn message_count<C: ConnectionTrait>(database: &C, conversation_id: &str) -> Result<u64, DbErr> {
    message::Entity::find().filter(message::Column::ConversationId.eq(conversation_id)).count(database).await
}

/// Which conversations a caller may list.
#[derive(Clone, Debug, Default)]
pub struct Visibility {
    pub everything: bool,
    pub buyer_id: Option<Uuid>,
    /// Agencies whose every conversation the caller sees (managers).
    pub whole_agencies: Vec<Uuid>,
    /// Agencies where the caller sees the unassigned ones and those assigned to `user_id`.
    pub salesperson_agencies: Vec<Uuid>,
    pub user_id: Option<Uuid>,
}

impl Visibility {
    fn condition(&self) -> Option<Condition> {
        if self.everything {
            return Some(Condition::all());
        }
        let mut any = Condition::any();
        let mut empty = true;
        if let Some(buyer) = self.buyer_id {
            any = any.add(conversation::Column::BuyerId.eq(buyer.to_string()));
            empty = false;
        }
        if !self.whole_agencies.is_empty() {
            let ids: Vec<String> = self.whole_agencies.iter().map(Uuid::to_string).collect();
            any = any.add(conversation::Column::AgencyId.is_in(ids));
            empty = false;
        }
        if let (false, Some(user)) = (self.salesperson_agencies.is_empty(), self.user_id) {
            let ids: Vec<String> = self.salesperson_agencies.iter().map(Uuid::to_string).collect();
            let mine_or_nobodys = Condition::any()
                .add(conversation::Column::AssigneeId.is_null())
                .add(conversation::Column::AssigneeId.eq(user.to_string()));
            any = any.add(Condition::all().add(conversation::Column::AgencyId.is_in(ids)).add(mine_or_nobodys));
            empty = false;
        }
        (!empty).then_some(any)
    }
}

/// Where the previous page ended: (last activity, id), most recent first.
pub type ConversationCursor = (i64, String);

/// A page of visible conversations, most recent activity first, and the total.
pub async fn list_visible<C: ConnectionTrait>(
    database: &C,
    visibility: &Visibility,
    after: Option<&ConversationCursor>,
    limit: u64,
) -> Result<(Vec<conversation::Model>, u64), DbErr> {
    let Some(condition) = visibility.condition() else {
        return Ok((Vec::new(), 0));
    };
    let total = conversation::Entity::find().filter(condition.clone()).count(database).await?;
    let mut query = conversation::Entity::find().filter(condition);
    if let Some((last_at, last_id)) = after {
        query = query.filter(
            Condition::any().add(conversation::Column::LastMessageAtUnix.lt(*last_at)).add(
                Condition::all()
                    .add(conversation::Column::LastMessageAtUnix.eq(*last_at))
                    .add(conversation::Column::Id.lt(last_id.clone())),
            ),
        );
    }
    let rows = query
        .order_by_desc(conversation::Column::LastMessageAtUnix)
        .order_by_desc(conversation::Column::Id)
        .limit(limit + 1)
        .all(database)
        .await?;
    Ok((rows, total))
}

pub async fn set_assignee<C: ConnectionTrait>(
    database: &C,
    conversation_id: &str,
    assignee_id: Uuid,
    now: i64,
) -> Result<(), DbErr> {
    conversation::Entity::update_many()
        .col_expr(conversation::Column::AssigneeId, Expr::value(assignee_id.to_string()))
        .col_expr(conversation::Column::UpdatedAtUnix, Expr::value(now))
        .filter(conversation::Column::Id.eq(conversation_id))
        .exec(database)
        .await?;
    Ok(())
}

pub async fn set_status<C: ConnectionTrait>(
    database: &C,
    conversation_id: &str,
    status: ConversationStatus,
    now: i64,
) -> Result<(), DbErr> {
    conversation::Entity::update_many()
        .col_expr(conversation::Column::Status, Expr::value(status.as_str()))
        .col_expr(conversation::Column::UpdatedAtUnix, Expr::value(now))
        .filter(conversation::Column::Id.eq(conversation_id))
        .exec(database)
        .await?;
    Ok(())
}

/// Claims the right to mail `user_id` about a conversation: true at most once per
/// `window_seconds` (the batching of notifications), also across replicas.
pub async fn claim_notification<C: ConnectionTrait>(
    database: &C,
    conversation_id: &str,
    user_id: &str,
    now: i64,
    window_seconds: i64,
) -> Result<bool, DbErr> {
    ensure_participant(database, conversation_id, user_id).await?;
    let claimed = participant::Entity::update_many()
        .col_expr(participant::Column::LastNotifiedAtUnix, Expr::value(now))
        .filter(participant::Column::Id.eq(participant_id(conversation_id, user_id)))
        .filter(
            Condition::any()
                .add(participant::Column::LastNotifiedAtUnix.is_null())
                .add(participant::Column::LastNotifiedAtUnix.lte(now - window_seconds)),
        )
        .exec(database)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// The agency's next round-robin turn (0, 1, 2, ...), handed out once each.
pub async fn next_turn<C: ConnectionTrait + TransactionTrait>(database: &C, agency_id: Uuid) -> Result<i64, DbErr> {
    let transaction = database.begin().await?;
    let row = agency_rotation::ActiveModel { agency_id: Set(agency_id.to_string()), next_turn: Set(0) };
    agency_rotation::Entity::insert(row)
        .on_conflict_do_nothing_on([agency_rotation::Column::AgencyId])
        .exec(&transaction)
        .await?;
    agency_rotation::Entity::update_many()
        .col_expr(agency_rotation::Column::NextTurn, Expr::col(agency_rotation::Column::NextTurn).add(1))
        .filter(agency_rotation::Column::AgencyId.eq(agency_id.to_string()))
        .exec(&transaction)
        .await?;
    let turn = agency_rotation::Entity::find_by_id(agency_id.to_string())
        .one(&transaction)
        .await?
        .map(|row| row.next_turn - 1)
        .unwrap_or(0);
    transaction.commit().await?;
    Ok(turn)
}

/// Conversations started in `[from, to)` within a scope (None = the platform).
pub enum MetricsFilter {
    Platform,
    Group(Uuid),
    Agency(Uuid),
}

pub async fn started_between<C: ConnectionTrait>(
    database: &C,
    filter: &MetricsFilter,
    from: i64,
    to: i64,
) -> Result<Vec<conversation::Model>, DbErr> {
    let mut query = conversation::Entity::find()
        .filter(conversation::Column::CreatedAtUnix.gte(from))
        .filter(conversation::Column::CreatedAtUnix.lt(to));
    query = match filter {
        MetricsFilter::Platform => query,
        MetricsFilter::Group(group) => query.filter(conversation::Column::GroupId.eq(group.to_string())),
        MetricsFilter::Agency(agency) => query.filter(conversation::Column::AgencyId.eq(agency.to_string())),
    };
    query.all(database).await
}
