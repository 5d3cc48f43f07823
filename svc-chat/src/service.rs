//! The conversation use cases: who may do what (domain::access), what is stored
//! (store), who hears about it (realtime, mail). Transport-free: grpc.rs adapts.

use std::sync::Arc;
use std::time::Duration;

use nds_common::ApiError;
use nds_common::auth::{AgencyAction, AgencyGroups, AgencyRef, Principal, Role};
use nds_common::grpc::{CallContext, retry_unavailable};
use nds_common::mail::OutgoingMail;
use nds_common::metrics_series::{Buckets, Interval, Series};
use nds_common::runtime::Runtime;
use nds_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use nds_proto::catalog::v1::{GetListingRequest, ListingStatus};
use nds_proto::identity::v1::identity_service_client::IdentityServiceClient;
use nds_proto::identity::v1::{GetUsersRequest, ListAgencyStaffRequest, Role as WireRole, User};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::domain::access::{self, ConversationParties, Standing};
use crate::domain::conversation::{ConversationStatus, MessageBody, SenderSide};
use crate::error::ChatError;
use crate::realtime::{LiveMessage, MessageHub, Presence, PresenceGuard, RateLimiter};
use crate::store::conversations::{self as store, MetricsFilter, NewConversation, Visibility};
use crate::store::entities::{conversation, message};
use crate::store::{is_unique_violation, now_unix};

/// Tunables of the conversations (defaults in [`ChatSettings::default`]).
#[derive(Clone, Debug)]
pub struct ChatSettings {
    /// A participant who is not connected gets at most one mail per conversation per window.
    pub notification_window: Duration,
    pub messages_per_minute: i64,
    /// Where links in mails point (`NDS_PUBLIC_URL`).
    pub public_url: String,
}

impl Default for ChatSettings {
    fn default() -> Self {
        Self {
            notification_window: Duration::from_secs(10 * 60),
            messages_per_minute: 30,
            public_url: "http://localhost:8080".to_string(),
        }
    }
}

/// A conversation as one caller sees it (their unread count).
#[derive(Clone, Debug)]
pub struct ConversationView {
    pub conversation: conversation::Model,
    pub unread_count: u64,
}

pub struct MessagePage {
    pub messages: Vec<message::Model>,
    pub has_more: bool,
    pub total: u64,
}

pub struct ConversationPage {
    pub conversations: Vec<ConversationView>,
    pub has_more: bool,
    pub total: u64,
}

/// An open live stream: the receiver, and the caller's presence while it lives.
pub struct LiveSubscription {
    pub conversation_id: String,
    pub receiver: tokio::sync::broadcast::Receiver<Arc<LiveMessage>>,
    pub presence: Option<PresenceGuard>,
}

pub struct Metrics {
    pub started: u64,
    pub answered: u64,
    pub median_first_response_seconds: i64,
}

pub use nds_common::auth::MetricsScope;

#[derive(Clone)]
pub struct Conversations {
    inner: Arc<Inner>,
}

struct Inner {
    database: DatabaseConnection,
    runtime: Runtime,
    hub: Arc<MessageHub>,
    presence: Presence,
    limiter: RateLimiter,
    settings: ChatSettings,
    agencies: AgencyGroups,
}

fn parse_uuid(raw: &str) -> Option<Uuid> {
    Uuid::parse_str(raw.trim()).ok()
}

fn parties(row: &conversation::Model) -> Option<ConversationParties> {
    Some(ConversationParties {
        agency: AgencyRef { agency_id: parse_uuid(&row.agency_id)?, group_id: parse_uuid(&row.group_id)? },
        buyer_id: parse_uuid(&row.buyer_id)?,
        assignee_id: row.assignee_id.as_deref().and_then(parse_uuid),
    })
}

pub fn live_message(row: &message::Model) -> LiveMessage {
    LiveMessage {
        id: row.id.clone(),
        conversation_id: row.conversation_id.clone(),
        sender_id: row.sender_id.clone(),
        sender_side: row.sender_side.clone(),
        body: row.body.clone(),
        sent_at_unix: row.sent_at_unix,
        sequence: row.sequence,
    }
}

fn listing_title(listing: &nds_proto::catalog::v1::Listing) -> String {
    format!("{} {} {}", listing.year, listing.make, listing.model)
}

impl Conversations {
    pub fn new(
        database: DatabaseConnection,
        runtime: Runtime,
        hub: Arc<MessageHub>,
        settings: ChatSettings,
    ) -> Conversations {
        let presence = Presence::new(runtime.cache.clone());
        let limiter = RateLimiter::new(runtime.cache.clone(), settings.messages_per_minute);
        let agencies = AgencyGroups::new(runtime.channels.identity.clone());
        Conversations { inner: Arc::new(Inner { database, runtime, hub, presence, limiter, settings, agencies }) }
    }

    pub fn hub(&self) -> &Arc<MessageHub> {
        &self.inner.hub
    }

    fn database(&self) -> &DatabaseConnection {
        &self.inner.database
    }

    /// The conversation and the caller's standing in it; NOT_FOUND when the caller
    /// may not see it, exactly as when it does not exist.
    async fn visible(&self, principal: &Principal, id: &str) -> Result<(conversation::Model, Standing), ChatError> {
        let not_found = ChatError::NotFound("conversation");
        let id = parse_uuid(id).ok_or(ChatError::NotFound("conversation"))?;
        let row = store::by_id(self.database(), id).await?.ok_or(not_found)?;
        let parties = parties(&row).ok_or(ChatError::NotFound("conversation"))?;
        let standing = access::standing(principal, &parties).ok_or(ChatError::NotFound("conversation"))?;
        Ok((row, standing))
    }

    async fn view(&self, principal: &Principal, row: conversation::Model) -> Result<ConversationView, ChatError> {
        let unread_count = match principal.user_id() {
            Some(user) => store::unread_count(self.database(), &row.id, &user.to_string()).await?,
            None => 0,
        };
        Ok(ConversationView { conversation: row, unread_count })
    }

    pub async fn get(&self, principal: &Principal, id: &str) -> Result<ConversationView, ChatError> {
        let (row, _) = self.visible(principal, id).await?;
        self.view(principal, row).await
    }

    /// A buyer's first message about a listing (or a new message in their open conversation about it).
    pub async fn start(
        &self,
        principal: &Principal,
        call: &CallContext,
        listing_id: &str,
        text: &str,
    ) -> Result<ConversationView, ChatError> {
        let buyer = principal.user_id().ok_or(ChatError::Forbidden("only signed-in users start conversations"))?;
        let body = MessageBody::parse(text, "message")?;
        let listing_uuid = parse_uuid(listing_id)
            .ok_or_else(|| ChatError::InvalidInput { field: "listingId", message: "not a listing id".to_string() })?;
        // Read with the buyer's own token: catalog's visibility rules apply (drafts are NOT_FOUND).
        let listing = self.fetch_listing(call, listing_uuid).await?;
        if listing.status != ListingStatus::Published as i32 {
            return Err(ChatError::ListingNotPublished);
        }
        let agency_id = parse_uuid(&listing.agency_id).ok_or(ChatError::NotFound("listing"))?;
        let group_id = parse_uuid(&listing.group_id).ok_or(ChatError::NotFound("listing"))?;
        if principal.staff_agencies().any(|agency| agency == agency_id) {
            return Err(ChatError::Forbidden("staff cannot open a lead with their own agency"));
        }
        if !self.inner.limiter.allow(buyer).await {
            return Err(ChatError::RateLimited);
        }
        let existing = store::find_open(self.database(), buyer, listing_uuid).await?;
        let row = match existing {
            Some(row) => row,
            None => {
                let assignee_id = self.round_robin(agency_id).await;
                let new = NewConversation {
                    listing_id: listing_uuid,
                    agency_id,
                    group_id,
                    buyer_id: buyer,
                    listing_title: listing_title(&listing),
                    assignee_id,
                };
                match store::insert(self.database(), &new, now_unix()).await {
                    Ok(row) => row,
                    // A concurrent start of the same buyer won: use theirs.
                    Err(error) if is_unique_violation(&error) => store::find_open(self.database(), buyer, listing_uuid)
                        .await?
                        .ok_or(ChatError::Database(error))?,
                    Err(error) => return Err(error.into()),
                }
            }
        };
        let (_, row) = self.append(&row, buyer, SenderSide::Buyer, &body).await?;
        self.view(principal, row).await
    }

    async fn fetch_listing(
        &self,
        call: &CallContext,
        listing_id: Uuid,
    ) -> Result<nds_proto::catalog::v1::Listing, ChatError> {
        let channel = self.inner.runtime.channels.catalog.clone();
        let response = retry_unavailable(call, || {
            let mut client = CatalogServiceClient::new(channel.clone());
            let request = call.request(GetListingRequest { id: listing_id.to_string() });
            async move { client.get_listing(request).await }
        })
        .await
        .map_err(|status| ChatError::Api(nds_common::ApiError::from_status(&status)))?;
        Ok(response.into_inner())
    }

    async fn agency_staff(&self, agency_id: Uuid) -> Result<Vec<User>, ChatError> {
        let context = self.inner.runtime.background_context();
        let channel = self.inner.runtime.channels.identity.clone();
        let response = retry_unavailable(&context, || {
            let mut client = IdentityServiceClient::new(channel.clone());
            let request = context.request(ListAgencyStaffRequest { agency_id: agency_id.to_string() });
            async move { client.list_agency_staff(request).await }
        })
        .await
        .map_err(|status| ChatError::Api(nds_common::ApiError::from_status(&status)))?;
        Ok(response.into_inner().users.into_iter().filter(|user| !user.suspended).collect())
    }

    /// The agency's staff holding one of `roles` there.
    async fn staff_with_roles(&self, agency_id: Uuid, roles: &[WireRole]) -> Result<Vec<Uuid>, ChatError> {
        let agency = agency_id.to_string();
        let mut ids: Vec<Uuid> = self
            .agency_staff(agency_id)
            .await?
            .into_iter()
            .filter(|user| {
                user.memberships.iter().any(|membership| {
                    membership.agency_id == agency && roles.iter().any(|role| *role as i32 == membership.role)
                })
            })
            .filter_map(|user| parse_uuid(&user.id))
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// The next salesperson in turn, or nobody (no salespeople, identity down).
    async fn round_robin(&self, agency_id: Uuid) -> Option<Uuid> {
        let salespeople = match self.staff_with_roles(agency_id, &[WireRole::Salesperson]).await {
            Ok(salespeople) => salespeople,
            Err(error) => {
                tracing::warn!(agency_id = %agency_id, error = %error, "cannot list salespeople; lead left unassigned");
                return None;
            }
        };
        if salespeople.is_empty() {
            return None;
        }
        let turn = match store::next_turn(self.database(), agency_id).await {
            Ok(turn) => turn,
            Err(error) => {
                tracing::warn!(agency_id = %agency_id, error = %error, "round-robin turn failed; lead left unassigned");
                return None;
            }
        };
        let index = usize::try_from(turn.rem_euclid(salespeople.len() as i64)).unwrap_or(0);
        salespeople.get(index).copied()
    }

    pub async fn send(
        &self,
        principal: &Principal,
        conversation_id: &str,
        text: &str,
    ) -> Result<message::Model, ChatError> {
        let (row, standing) = self.visible(principal, conversation_id).await?;
        let sender = principal.require_user_id().map_err(ChatError::Api)?;
        let body = MessageBody::parse(text, "body")?;
        if !self.inner.limiter.allow(sender).await {
            return Err(ChatError::RateLimited);
        }
        let side = match standing {
            Standing::Buyer => SenderSide::Buyer,
            Standing::Agency => SenderSide::Agency,
        };
        let (message, _) = self.append(&row, sender, side, &body).await?;
        Ok(message)
    }

    async fn append(
        &self,
        row: &conversation::Model,
        sender: Uuid,
        side: SenderSide,
        body: &MessageBody,
    ) -> Result<(message::Model, conversation::Model), ChatError> {
        let (message, updated) =
            store::append_message(self.database(), &row.id, &sender.to_string(), side, body.as_str(), now_unix())
                .await?;
        self.inner.hub.publish(live_message(&message)).await;
        let notifier = self.clone();
        let (conversation, sender_side) = (updated.clone(), side);
        tokio::spawn(async move {
            if let Err(error) = notifier.notify(&conversation, sender, sender_side).await {
                tracing::warn!(conversation_id = %conversation.id, error = %error, "message notification failed");
            }
        });
        Ok((message, updated))
    }

    /// Mails the other side's participants who are not watching the conversation,
    /// at most once per participant and conversation per notification window.
    async fn notify(&self, row: &conversation::Model, sender: Uuid, side: SenderSide) -> Result<(), ChatError> {
        let recipients: Vec<Uuid> = match side {
            SenderSide::Agency => parse_uuid(&row.buyer_id).into_iter().collect(),
            SenderSide::Buyer => match row.assignee_id.as_deref().and_then(parse_uuid) {
                Some(assignee) => vec![assignee],
                None => match parse_uuid(&row.agency_id) {
                    Some(agency) => self.staff_with_roles(agency, &[WireRole::AgencyManager]).await?,
                    None => Vec::new(),
                },
            },
        };
        let window = i64::try_from(self.inner.settings.notification_window.as_secs()).unwrap_or(i64::MAX);
        let mut to_mail = Vec::new();
        for recipient in recipients.into_iter().filter(|recipient| *recipient != sender) {
            let user = recipient.to_string();
            if self.inner.presence.is_connected(&row.id, &user).await {
                continue;
            }
            if store::claim_notification(self.database(), &row.id, &user, now_unix(), window).await? {
                to_mail.push(user);
            }
        }
        if to_mail.is_empty() {
            return Ok(());
        }
        let context = self.inner.runtime.background_context();
        let channel = self.inner.runtime.channels.identity.clone();
        let users = retry_unavailable(&context, || {
            let mut client = IdentityServiceClient::new(channel.clone());
            let request = context.request(GetUsersRequest { ids: to_mail.clone() });
            async move { client.get_users(request).await }
        })
        .await
        .map_err(|status| ChatError::Api(nds_common::ApiError::from_status(&status)))?
        .into_inner()
        .users;
        let link = format!("{}/conversations/{}", self.inner.settings.public_url.trim_end_matches('/'), row.id);
        for user in users.into_iter().filter(|user| !user.suspended) {
            let mail = OutgoingMail {
                to: user.email.clone(),
                subject: format!("Nuevo mensaje sobre {} / New message about {}", row.listing_title, row.listing_title),
                body: format!(
                    "Hola {name},\n\nTienes mensajes nuevos sobre {title}.\nYou have new messages about {title}.\n\n{link}\n",
                    name = user.name,
                    title = row.listing_title,
                ),
            };
            if let Err(error) = self.inner.runtime.mailer.send(&mail).await {
                tracing::warn!(conversation_id = %row.id, error = %error, "cannot send the message notification");
            }
        }
        Ok(())
    }

    pub async fn list_messages(
        &self,
        principal: &Principal,
        conversation_id: &str,
        before_sequence: Option<i64>,
        limit: u64,
    ) -> Result<MessagePage, ChatError> {
        let (row, _) = self.visible(principal, conversation_id).await?;
        let mut messages = store::messages_before(self.database(), &row.id, before_sequence, limit).await?;
        let has_more = messages.len() as u64 > limit;
        messages.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let total = store::message_count(self.database(), &row.id).await?;
        Ok(MessagePage { messages, has_more, total })
    }

    pub async fn list(
        &self,
        principal: &Principal,
        after: Option<&store::ConversationCursor>,
        limit: u64,
    ) -> Result<ConversationPage, ChatError> {
        let user_id = principal.user_id();
        let mut visibility = Visibility { everything: principal.is_platform_admin(), user_id, ..Visibility::default() };
        visibility.buyer_id = user_id;
        for membership in &principal.memberships {
            let Some(agency_id) = membership.agency_id else { continue };
            match membership.role {
                Role::AgencyManager => visibility.whole_agencies.push(agency_id),
                Role::Salesperson => visibility.salesperson_agencies.push(agency_id),
                Role::PlatformAdmin | Role::GroupAdmin | Role::Buyer => {}
            }
        }
        let (mut rows, total) = store::list_visible(self.database(), &visibility, after, limit).await?;
        let has_more = rows.len() as u64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let mut conversations = Vec::with_capacity(rows.len());
        for row in rows {
            conversations.push(self.view(principal, row).await?);
        }
        Ok(ConversationPage { conversations, has_more, total })
    }

    pub async fn assign(
        &self,
        principal: &Principal,
        conversation_id: &str,
        salesperson_id: &str,
    ) -> Result<ConversationView, ChatError> {
        let (row, _) = self.visible(principal, conversation_id).await?;
        let agency = parties(&row).ok_or(ChatError::NotFound("conversation"))?.agency;
        if !access::may_assign(principal, agency) {
            return Err(ChatError::Forbidden("only the agency's managers assign leads"));
        }
        let not_staff = || ChatError::InvalidInput {
            field: "salespersonId",
            message: "not a salesperson of this conversation's agency".to_string(),
        };
        let salesperson = parse_uuid(salesperson_id).ok_or_else(not_staff)?;
        let staff = self.staff_with_roles(agency.agency_id, &[WireRole::Salesperson, WireRole::AgencyManager]).await?;
        if !staff.contains(&salesperson) {
            return Err(not_staff());
        }
        store::set_assignee(self.database(), &row.id, salesperson, now_unix()).await?;
        self.reload(principal, &row.id).await
    }

    pub async fn set_status(
        &self,
        principal: &Principal,
        conversation_id: &str,
        status: ConversationStatus,
    ) -> Result<ConversationView, ChatError> {
        let (row, standing) = self.visible(principal, conversation_id).await?;
        if standing != Standing::Agency {
            return Err(ChatError::Forbidden("only the agency sets a lead's status"));
        }
        if status == ConversationStatus::New {
            return Err(ChatError::InvalidInput {
                field: "status",
                message: "a lead cannot go back to NEW".to_string(),
            });
        }
        match store::set_status(self.database(), &row.id, status, now_unix()).await {
            Ok(()) => {}
            Err(error) if is_unique_violation(&error) => {
                return Err(ChatError::InvalidInput {
                    field: "status",
                    message: "the buyer already has another open conversation about this listing".to_string(),
                });
            }
            Err(error) => return Err(error.into()),
        }
        self.reload(principal, &row.id).await
    }

    pub async fn mark_read(&self, principal: &Principal, conversation_id: &str) -> Result<ConversationView, ChatError> {
        let (row, _) = self.visible(principal, conversation_id).await?;
        let user = principal.require_user_id().map_err(ChatError::Api)?;
        store::advance_read_marker(self.database(), &row.id, &user.to_string(), row.message_count).await?;
        self.reload(principal, &row.id).await
    }

    async fn reload(&self, principal: &Principal, id: &str) -> Result<ConversationView, ChatError> {
        let (row, _) = self.visible(principal, id).await?;
        self.view(principal, row).await
    }

    /// Authorises, then subscribes: messages published from now on.
    pub async fn subscribe(&self, principal: &Principal, conversation_id: &str) -> Result<LiveSubscription, ChatError> {
        let (row, _) = self.visible(principal, conversation_id).await?;
        let receiver = self.inner.hub.subscribe();
        let presence = match principal.user_id() {
            Some(user) => Some(self.inner.presence.enter(&row.id, &user.to_string()).await),
            None => None,
        };
        Ok(LiveSubscription { conversation_id: row.id, receiver, presence })
    }

    pub async fn metrics(
        &self,
        principal: &Principal,
        scope: MetricsScope,
        from: i64,
        to: i64,
        interval: Option<Interval>,
    ) -> Result<(Metrics, Option<Series<Metrics>>), ChatError> {
        let filter = match scope {
            MetricsScope::Platform => {
                if !principal.is_platform_admin() {
                    return Err(ChatError::Forbidden("platform metrics are for platform administrators"));
                }
                MetricsFilter::Platform
            }
            MetricsScope::Group(group) => {
                if !principal.can_read_group(group) {
                    return Err(ChatError::Forbidden("not allowed for this group"));
                }
                MetricsFilter::Group(group)
            }
            MetricsScope::Agency(agency_id) => {
                let agency = self.inner.agencies.agency_ref(principal, agency_id).await?;
                if !principal.can_on_agency(agency, AgencyAction::ReadMetrics) {
                    return Err(ChatError::Forbidden("not allowed for this agency"));
                }
                MetricsFilter::Agency(agency_id)
            }
        };
        let to = if to <= 0 { now_unix() + 1 } else { to };
        let buckets = Buckets::series(from, to, interval).map_err(ApiError::from)?;
        let rows = store::started_between(self.database(), &filter, from, to).await?;
        let series = buckets.map(|buckets| {
            let rows_in = buckets.group(&rows, |row| row.created_at_unix);
            Series { values: rows_in.into_iter().map(|rows| vec![Metrics::of(rows)]).collect(), buckets }
        });
        Ok((Metrics::of(rows.iter()), series))
    }
}

impl Metrics {
    /// Conversations started, answered, and the median time to the first answer.
    fn of<'a>(conversations: impl IntoIterator<Item = &'a conversation::Model>) -> Self {
        let mut started = 0;
        let mut response_times = Vec::new();
        for row in conversations {
            started += 1;
            if let Some(answered) = row.first_response_at_unix {
                response_times.push(answered - row.created_at_unix);
            }
        }
        response_times.sort_unstable();
        let median = match response_times.len() {
            0 => 0,
            count if count % 2 == 1 => response_times[count / 2],
            count => (response_times[count / 2 - 1] + response_times[count / 2]) / 2,
        };
        Metrics { started, answered: response_times.len() as u64, median_first_response_seconds: median }
    }
}
