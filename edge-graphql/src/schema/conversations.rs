//! Conversations (leads) between buyers and agencies, and their live messages (svc-chat).

use async_graphql::{Context, Enum, ID, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use nds_common::error::ErrorCode;
use nds_proto::chat::v1 as chat;

use super::catalog::Listing;
use super::paging::{PageInfo, connection_cost, page_info, page_request, timestamp};
use crate::clients::clients;
use crate::context::request_context;
use crate::error::{GrpcResultExt, error_with_code, status_error};
use crate::expensive::{Work, expensive};
use crate::loaders::loaders;

/// A lead's progress: NEW until the agency answers, then OPEN, finally WON or LOST.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ConversationStatus {
    New,
    Open,
    Won,
    Lost,
}

impl ConversationStatus {
    fn from_wire(raw: i32) -> ConversationStatus {
        match chat::ConversationStatus::try_from(raw) {
            Ok(chat::ConversationStatus::Open) => ConversationStatus::Open,
            Ok(chat::ConversationStatus::Won) => ConversationStatus::Won,
            Ok(chat::ConversationStatus::Lost) => ConversationStatus::Lost,
            Ok(chat::ConversationStatus::New | chat::ConversationStatus::Unspecified) | Err(_) => {
                ConversationStatus::New
            }
        }
    }

    fn to_wire(self) -> chat::ConversationStatus {
        match self {
            ConversationStatus::New => chat::ConversationStatus::New,
            ConversationStatus::Open => chat::ConversationStatus::Open,
            ConversationStatus::Won => chat::ConversationStatus::Won,
            ConversationStatus::Lost => chat::ConversationStatus::Lost,
        }
    }
}

/// Which side wrote a message.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum MessageSender {
    Buyer,
    Agency,
}

/// One message of a conversation.
pub struct Message(pub chat::Message);

#[Object]
impl Message {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn conversation_id(&self) -> ID {
        ID(self.0.conversation_id.clone())
    }
    async fn sender_id(&self) -> ID {
        ID(self.0.sender_id.clone())
    }
    async fn sender(&self) -> MessageSender {
        match chat::SenderSide::try_from(self.0.sender_side) {
            Ok(chat::SenderSide::Agency) => MessageSender::Agency,
            Ok(chat::SenderSide::Buyer | chat::SenderSide::Unspecified) | Err(_) => MessageSender::Buyer,
        }
    }
    /// Plain text, control characters removed, at most 4000 characters.
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        timestamp(self.0.sent_at_unix)
    }
    /// Position in the conversation, from 1.
    async fn sequence(&self) -> i64 {
        i64::try_from(self.0.sequence).unwrap_or(i64::MAX)
    }
}

#[derive(SimpleObject)]
pub struct MessageEdge {
    pub cursor: String,
    pub node: Message,
}

/// Newest first: `after` pages backwards through the history.
#[derive(SimpleObject)]
pub struct MessageConnection {
    pub edges: Vec<MessageEdge>,
    pub page_info: PageInfo,
    pub total_count: i64,
}

/// A lead: a buyer's conversation with the agency of a listing.
pub struct Conversation {
    pub inner: chat::Conversation,
}

#[Object]
impl Conversation {
    async fn id(&self) -> ID {
        ID(self.inner.id.clone())
    }
    /// The listing, when the caller may still see it (a buyer does not see it once unpublished).
    async fn listing(&self, context: &Context<'_>) -> async_graphql::Result<Option<Listing>> {
        Ok(loaders(context)?.listings().load_one(self.inner.listing_id.clone()).await?.map(Listing))
    }
    async fn listing_id(&self) -> ID {
        ID(self.inner.listing_id.clone())
    }
    async fn agency_id(&self) -> ID {
        ID(self.inner.agency_id.clone())
    }
    async fn buyer_id(&self) -> ID {
        ID(self.inner.buyer_id.clone())
    }
    async fn status(&self) -> ConversationStatus {
        ConversationStatus::from_wire(self.inner.status)
    }
    /// The salesperson in charge; null while unassigned.
    async fn assignee_id(&self) -> Option<ID> {
        (!self.inner.assignee_id.is_empty()).then(|| ID(self.inner.assignee_id.clone()))
    }
    /// Messages from the other side the caller has not read yet.
    async fn unread_count(&self) -> i64 {
        i64::try_from(self.inner.unread_count).unwrap_or(i64::MAX)
    }
    async fn message_count(&self) -> i64 {
        i64::try_from(self.inner.message_count).unwrap_or(i64::MAX)
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        timestamp(self.inner.created_at_unix)
    }
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        timestamp(self.inner.updated_at_unix)
    }
    async fn last_message_at(&self) -> Option<DateTime<Utc>> {
        timestamp(self.inner.last_message_at_unix)
    }
    /// When the agency first answered; null until then.
    async fn first_response_at(&self) -> Option<DateTime<Utc>> {
        timestamp(self.inner.first_response_at_unix)
    }
    /// The history, newest first.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn messages(
        &self,
        context: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<MessageConnection> {
        let request = request_context(context)?;
        let message = chat::ListMessagesRequest {
            conversation_id: self.inner.id.clone(),
            page: Some(page_request(first, after)?),
        };
        let response = clients(context)?.chat().list_messages(request.call.request(message)).await.or_graphql()?;
        let (page_info, total_count) = page_info(response.page_info.as_ref());
        Ok(MessageConnection {
            edges: response
                .messages
                .into_iter()
                .map(|message| MessageEdge { cursor: message.sequence.to_string(), node: Message(message) })
                .collect(),
            page_info,
            total_count,
        })
    }
}

impl From<chat::Conversation> for Conversation {
    fn from(inner: chat::Conversation) -> Self {
        Conversation { inner }
    }
}

#[derive(SimpleObject)]
pub struct ConversationEdge {
    pub cursor: String,
    pub node: Conversation,
}

#[derive(SimpleObject)]
pub struct ConversationConnection {
    pub edges: Vec<ConversationEdge>,
    pub page_info: PageInfo,
    pub total_count: i64,
}

#[derive(Default)]
pub struct ConversationQuery;

#[Object]
impl ConversationQuery {
    /// The caller's conversations, most recent activity first: a buyer's own, an
    /// agency's for its staff (a salesperson: theirs and the unassigned ones).
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn conversations(
        &self,
        context: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ConversationConnection> {
        let request = request_context(context)?;
        let message = chat::ListConversationsRequest { page: Some(page_request(first, after)?) };
        let response = clients(context)?.chat().list_conversations(request.call.request(message)).await.or_graphql()?;
        let (page_info, total_count) = page_info(response.page_info.as_ref());
        Ok(ConversationConnection {
            edges: response
                .conversations
                .into_iter()
                .map(|conversation| ConversationEdge {
                    cursor: format!("{}:{}", conversation.last_message_at_unix, conversation.id),
                    node: conversation.into(),
                })
                .collect(),
            page_info,
            total_count,
        })
    }

    /// Null when unknown or not the caller's to see.
    async fn conversation(&self, context: &Context<'_>, id: ID) -> async_graphql::Result<Option<Conversation>> {
        let request = request_context(context)?;
        let message = chat::GetConversationRequest { id: id.0 };
        match clients(context)?.chat().get_conversation(request.call.request(message)).await {
            Ok(response) => Ok(Some(response.into_inner().into())),
            Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
            Err(status) => Err(status_error(status)),
        }
    }
}

#[derive(Default)]
pub struct ConversationMutation;

#[Object]
impl ConversationMutation {
    /// A buyer writes to the agency of a published listing. Starting again while
    /// the conversation is open adds the message to it.
    #[graphql(directive = expensive::apply(Work::PasswordHashOrMail))]
    async fn start_conversation(
        &self,
        context: &Context<'_>,
        listing_id: ID,
        message: String,
    ) -> async_graphql::Result<Conversation> {
        let request = request_context(context)?;
        let message = chat::StartConversationRequest { listing_id: listing_id.0, message };
        let response = clients(context)?.chat().start_conversation(request.call.request(message)).await.or_graphql()?;
        Ok(response.into())
    }

    #[graphql(directive = expensive::apply(Work::PasswordHashOrMail))]
    async fn send_message(
        &self,
        context: &Context<'_>,
        conversation_id: ID,
        body: String,
    ) -> async_graphql::Result<Message> {
        let request = request_context(context)?;
        let message = chat::SendMessageRequest { conversation_id: conversation_id.0, body };
        let response = clients(context)?.chat().send_message(request.call.request(message)).await.or_graphql()?;
        Ok(Message(response))
    }

    /// Agency managers: hands the lead to a salesperson of the same agency.
    async fn assign_conversation(
        &self,
        context: &Context<'_>,
        conversation_id: ID,
        salesperson_id: ID,
    ) -> async_graphql::Result<Conversation> {
        let request = request_context(context)?;
        let message =
            chat::AssignConversationRequest { conversation_id: conversation_id.0, salesperson_id: salesperson_id.0 };
        let response =
            clients(context)?.chat().assign_conversation(request.call.request(message)).await.or_graphql()?;
        Ok(response.into())
    }

    /// The agency's staff: OPEN, WON or LOST.
    async fn set_conversation_status(
        &self,
        context: &Context<'_>,
        conversation_id: ID,
        status: ConversationStatus,
    ) -> async_graphql::Result<Conversation> {
        let request = request_context(context)?;
        let message =
            chat::SetConversationStatusRequest { conversation_id: conversation_id.0, status: status.to_wire() as i32 };
        let response =
            clients(context)?.chat().set_conversation_status(request.call.request(message)).await.or_graphql()?;
        Ok(response.into())
    }

    /// Everything in the conversation so far counts as read by the caller.
    async fn mark_conversation_read(
        &self,
        context: &Context<'_>,
        conversation_id: ID,
    ) -> async_graphql::Result<Conversation> {
        let request = request_context(context)?;
        let message = chat::MarkConversationReadRequest { conversation_id: conversation_id.0 };
        let response =
            clients(context)?.chat().mark_conversation_read(request.call.request(message)).await.or_graphql()?;
        Ok(response.into())
    }
}

#[derive(Default)]
pub struct ConversationSubscription;

#[Subscription]
impl ConversationSubscription {
    /// Messages added to a conversation the caller may read, from now on. Checked
    /// when subscribing: without a valid token, or for someone else's conversation,
    /// the subscription fails and delivers nothing.
    async fn message_added(
        &self,
        context: &Context<'_>,
        conversation_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Message>> + use<>> {
        let request = request_context(context)?;
        let Some(token) = request.bearer_token.as_deref() else {
            return Err(error_with_code(ErrorCode::Unauthenticated, "sign in first"));
        };
        // A live stream outlasts any request budget: no grpc-timeout, only the token.
        let mut call = tonic::Request::new(chat::StreamMessagesRequest { conversation_id: conversation_id.0 });
        let authorization = format!("Bearer {token}")
            .parse()
            .map_err(|_| error_with_code(ErrorCode::Unauthenticated, "unreadable token"))?;
        call.metadata_mut().insert("authorization", authorization);
        let stream = clients(context)?.chat().stream_messages(call).await.or_graphql()?;
        Ok(stream.map(|item| item.map(Message).map_err(status_error)))
    }
}
