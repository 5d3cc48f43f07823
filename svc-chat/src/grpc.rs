//! The tonic adapter of `nds.chat.v1.ChatService`: authenticate, validate, call
//! the domain, convert.

use std::sync::Arc;

use futures::StreamExt;
use nds_common::Shutdown;
use nds_common::auth::{Authenticator, Principal};
use nds_common::convert::filters_to_wire;
use nds_common::error::to_status;
use nds_common::grpc::{CallContext, ServerStream, until_authorization_lapses};
use nds_proto::chat::v1 as wire;
use nds_proto::chat::v1::chat_service_server::ChatService;
use nds_proto::chat::v1::{InterpretQueryRequest, InterpretQueryResponse};
use nds_proto::common::v1::{PageInfo, PageRequest};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tonic::{Request, Response, Status};

use crate::domain::conversation::{ConversationStatus, SenderSide};
use crate::error::ChatError;
use crate::realtime::LiveMessage;
use crate::service::{ConversationView, Conversations};
use crate::store::entities::message;
use nds_interpreter::{InterpretationSource, MAX_QUERY_CHARS, QueryInterpreter};

/// Page size when the caller does not say, and the most one page holds.
const DEFAULT_PAGE: u64 = 20;
const MAX_PAGE: u64 = 100;

pub struct ChatGrpc {
    interpreter: Arc<QueryInterpreter>,
    conversations: Conversations,
    authenticator: Authenticator,
    default_deadline: std::time::Duration,
    shutdown: Shutdown,
}

impl ChatGrpc {
    pub fn new(
        interpreter: Arc<QueryInterpreter>,
        conversations: Conversations,
        authenticator: Authenticator,
        default_deadline: std::time::Duration,
        shutdown: Shutdown,
    ) -> Self {
        Self { interpreter, conversations, authenticator, default_deadline, shutdown }
    }

    /// The signed-in caller: conversations are never anonymous.
    async fn principal<T>(&self, request: &Request<T>) -> Result<Principal, Status> {
        match self.authenticator.authenticate(request.metadata()).await {
            Ok(Some(principal)) => Ok(principal),
            Ok(None) => Err(to_status(ChatError::Unauthenticated)),
            Err(error) => Err(error.into_status()),
        }
    }
}

fn source_name(source: InterpretationSource) -> &'static str {
    match source {
        InterpretationSource::Cache => "cache",
        InterpretationSource::Rules | InterpretationSource::RulesAfterModelFailure => "rules",
        InterpretationSource::RulesAndModel => "rules+model",
    }
}

fn validate_locale(locale: &str) -> Result<Option<&str>, ChatError> {
    match locale {
        "" => Ok(None),
        "es" | "en" | "es-MX" | "en-US" => Ok(Some(locale)),
        other => Err(ChatError::InvalidInput { field: "locale", message: format!("unsupported locale {other:?}") }),
    }
}

fn status_to_wire(raw: &str) -> wire::ConversationStatus {
    match ConversationStatus::parse(raw) {
        Some(ConversationStatus::New) => wire::ConversationStatus::New,
        Some(ConversationStatus::Open) => wire::ConversationStatus::Open,
        Some(ConversationStatus::Won) => wire::ConversationStatus::Won,
        Some(ConversationStatus::Lost) => wire::ConversationStatus::Lost,
        None => wire::ConversationStatus::Unspecified,
    }
}

fn status_from_wire(raw: i32) -> Result<ConversationStatus, ChatError> {
    match wire::ConversationStatus::try_from(raw) {
        Ok(wire::ConversationStatus::New) => Ok(ConversationStatus::New),
        Ok(wire::ConversationStatus::Open) => Ok(ConversationStatus::Open),
        Ok(wire::ConversationStatus::Won) => Ok(ConversationStatus::Won),
        Ok(wire::ConversationStatus::Lost) => Ok(ConversationStatus::Lost),
        Ok(wire::ConversationStatus::Unspecified) | Err(_) => {
            Err(ChatError::InvalidInput { field: "status", message: "unknown status".to_string() })
        }
    }
}

fn side_to_wire(raw: &str) -> wire::SenderSide {
    match SenderSide::parse(raw) {
        Some(SenderSide::Buyer) => wire::SenderSide::Buyer,
        Some(SenderSide::Agency) => wire::SenderSide::Agency,
        None => wire::SenderSide::Unspecified,
    }
}

fn conversation_to_wire(view: &ConversationView) -> wire::Conversation {
    let row = &view.conversation;
    wire::Conversation {
        id: row.id.clone(),
        listing_id: row.listing_id.clone(),
        agency_id: row.agency_id.clone(),
        group_id: row.group_id.clone(),
        buyer_id: row.buyer_id.clone(),
        status: status_to_wire(&row.status) as i32,
        assignee_id: row.assignee_id.clone().unwrap_or_default(),
        unread_count: view.unread_count,
        message_count: u64::try_from(row.message_count).unwrap_or(0),
        created_at_unix: row.created_at_unix,
        updated_at_unix: row.updated_at_unix,
        last_message_at_unix: row.last_message_at_unix,
        first_response_at_unix: row.first_response_at_unix.unwrap_or(0),
    }
}

fn message_to_wire(row: &message::Model) -> wire::Message {
    wire::Message {
        id: row.id.clone(),
        conversation_id: row.conversation_id.clone(),
        sender_id: row.sender_id.clone(),
        sender_side: side_to_wire(&row.sender_side) as i32,
        body: row.body.clone(),
        sent_at_unix: row.sent_at_unix,
        sequence: u64::try_from(row.sequence).unwrap_or(0),
    }
}

fn live_to_wire(live: &LiveMessage) -> wire::Message {
    wire::Message {
        id: live.id.clone(),
        conversation_id: live.conversation_id.clone(),
        sender_id: live.sender_id.clone(),
        sender_side: side_to_wire(&live.sender_side) as i32,
        body: live.body.clone(),
        sent_at_unix: live.sent_at_unix,
        sequence: u64::try_from(live.sequence).unwrap_or(0),
    }
}

fn page_size(page: Option<&PageRequest>) -> Result<u64, ChatError> {
    let first = page.map(|page| u64::from(page.first)).unwrap_or(0);
    match first {
        0 => Ok(DEFAULT_PAGE),
        1..=MAX_PAGE => Ok(first),
        _ => Err(ChatError::InvalidInput { field: "first", message: format!("at most {MAX_PAGE}") }),
    }
}

fn bad_cursor() -> ChatError {
    ChatError::InvalidInput { field: "after", message: "not a cursor".to_string() }
}

fn message_cursor(page: Option<&PageRequest>) -> Result<Option<i64>, ChatError> {
    match page.map(|page| page.after.as_str()).unwrap_or("") {
        "" => Ok(None),
        raw => raw.parse::<i64>().map(Some).map_err(|_| bad_cursor()),
    }
}

fn conversation_cursor(page: Option<&PageRequest>) -> Result<Option<(i64, String)>, ChatError> {
    match page.map(|page| page.after.as_str()).unwrap_or("") {
        "" => Ok(None),
        raw => {
            let (at, id) = raw.split_once(':').ok_or_else(bad_cursor)?;
            let at = at.parse::<i64>().map_err(|_| bad_cursor())?;
            let id = uuid::Uuid::parse_str(id).map_err(|_| bad_cursor())?;
            Ok(Some((at, id.to_string())))
        }
    }
}

fn reply<T, U>(result: Result<T, ChatError>, convert: impl FnOnce(&T) -> U) -> Result<Response<U>, Status> {
    result.map(|value| Response::new(convert(&value))).map_err(to_status)
}

type MessageStream = ServerStream<wire::Message>;

#[tonic::async_trait]
impl ChatService for ChatGrpc {
    type StreamMessagesStream = MessageStream;

    async fn interpret_query(
        &self,
        request: Request<InterpretQueryRequest>,
    ) -> Result<Response<InterpretQueryResponse>, Status> {
        let request = request.into_inner();
        if request.text.chars().count() > MAX_QUERY_CHARS {
            return Err(to_status(ChatError::InvalidInput {
                field: "text",
                message: format!("at most {MAX_QUERY_CHARS} characters"),
            }));
        }
        let locale = validate_locale(&request.locale).map_err(to_status)?;
        let interpretation = self.interpreter.interpret(&request.text, locale).await;
        Ok(Response::new(InterpretQueryResponse {
            filters: Some(filters_to_wire(&interpretation.filters)),
            source: source_name(interpretation.source).to_string(),
        }))
    }

    async fn start_conversation(
        &self,
        request: Request<wire::StartConversationRequest>,
    ) -> Result<Response<wire::Conversation>, Status> {
        let principal = self.principal(&request).await?;
        let call = CallContext::from_metadata(request.metadata(), self.default_deadline);
        let message = request.into_inner();
        let result = self.conversations.start(&principal, &call, &message.listing_id, &message.message).await;
        reply(result, conversation_to_wire)
    }

    async fn get_conversation(
        &self,
        request: Request<wire::GetConversationRequest>,
    ) -> Result<Response<wire::Conversation>, Status> {
        let principal = self.principal(&request).await?;
        reply(self.conversations.get(&principal, &request.into_inner().id).await, conversation_to_wire)
    }

    async fn list_conversations(
        &self,
        request: Request<wire::ListConversationsRequest>,
    ) -> Result<Response<wire::ListConversationsResponse>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        let result = async {
            let limit = page_size(message.page.as_ref())?;
            let after = conversation_cursor(message.page.as_ref())?;
            self.conversations.list(&principal, after.as_ref(), limit).await
        };
        reply(result.await, |page| {
            let end_cursor = page
                .conversations
                .last()
                .map(|last| format!("{}:{}", last.conversation.last_message_at_unix, last.conversation.id))
                .unwrap_or_default();
            wire::ListConversationsResponse {
                conversations: page.conversations.iter().map(conversation_to_wire).collect(),
                page_info: Some(PageInfo { has_next_page: page.has_more, end_cursor, total_count: page.total }),
            }
        })
    }

    async fn send_message(
        &self,
        request: Request<wire::SendMessageRequest>,
    ) -> Result<Response<wire::Message>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        reply(self.conversations.send(&principal, &message.conversation_id, &message.body).await, message_to_wire)
    }

    async fn list_messages(
        &self,
        request: Request<wire::ListMessagesRequest>,
    ) -> Result<Response<wire::ListMessagesResponse>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        let result = async {
            let limit = page_size(message.page.as_ref())?;
            let before = message_cursor(message.page.as_ref())?;
            self.conversations.list_messages(&principal, &message.conversation_id, before, limit).await
        };
        reply(result.await, |page| wire::ListMessagesResponse {
            messages: page.messages.iter().map(message_to_wire).collect(),
            page_info: Some(PageInfo {
                has_next_page: page.has_more,
                end_cursor: page.messages.last().map(|last| last.sequence.to_string()).unwrap_or_default(),
                total_count: page.total,
            }),
        })
    }

    async fn assign_conversation(
        &self,
        request: Request<wire::AssignConversationRequest>,
    ) -> Result<Response<wire::Conversation>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        let result = self.conversations.assign(&principal, &message.conversation_id, &message.salesperson_id).await;
        reply(result, conversation_to_wire)
    }

    async fn set_conversation_status(
        &self,
        request: Request<wire::SetConversationStatusRequest>,
    ) -> Result<Response<wire::Conversation>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        let result = async {
            let status = status_from_wire(message.status)?;
            self.conversations.set_status(&principal, &message.conversation_id, status).await
        };
        reply(result.await, conversation_to_wire)
    }

    async fn mark_conversation_read(
        &self,
        request: Request<wire::MarkConversationReadRequest>,
    ) -> Result<Response<wire::Conversation>, Status> {
        let principal = self.principal(&request).await?;
        reply(
            self.conversations.mark_read(&principal, &request.into_inner().conversation_id).await,
            conversation_to_wire,
        )
    }

    async fn stream_messages(
        &self,
        request: Request<wire::StreamMessagesRequest>,
    ) -> Result<Response<Self::StreamMessagesStream>, Status> {
        let principal = self.principal(&request).await?;
        // Authorized now; ends when the token expires or the caller is suspended.
        let lapse = self.authenticator.authorization_lapse(request.metadata(), Some(&principal));
        let subscription =
            self.conversations.subscribe(&principal, &request.into_inner().conversation_id).await.map_err(to_status)?;
        let conversation_id = subscription.conversation_id;
        // Held by the stream: the caller counts as connected until it hangs up.
        let presence = subscription.presence;
        let shutdown = self.shutdown.clone();
        let stream = BroadcastStream::new(subscription.receiver)
            .filter_map(move |item| {
                let wanted = match item {
                    Ok(live) if live.conversation_id == conversation_id => Some(Ok(live_to_wire(&live))),
                    Ok(_) => None,
                    Err(BroadcastStreamRecvError::Lagged(skipped)) => {
                        tracing::warn!(skipped, "a live message stream fell behind; the history has what it missed");
                        None
                    }
                };
                std::future::ready(wanted)
            })
            .take_until(async move { shutdown.wait().await })
            .map(move |item| {
                let _keep_presence_while_streaming = &presence;
                item
            });
        Ok(Response::new(until_authorization_lapses(stream, lapse)))
    }

    async fn get_metrics(
        &self,
        request: Request<wire::GetMetricsRequest>,
    ) -> Result<Response<wire::GetMetricsResponse>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        let result = async {
            // Issue 18: a missing scope is an input error, as in every service (it
            // used to mean the whole platform here).
            let scope = nds_common::convert::metrics_scope_from_wire(message.scope)?;
            let range = message.range.unwrap_or_default();
            self.conversations.metrics(&principal, scope, range.from_unix, range.to_unix).await
        };
        reply(result.await, |metrics| wire::GetMetricsResponse {
            conversations_started: metrics.started,
            conversations_answered: metrics.answered,
            median_first_response_seconds: metrics.median_first_response_seconds,
        })
    }
}
