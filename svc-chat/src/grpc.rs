//! The tonic adapter of `nds.chat.v1.ChatService`: authenticate, call the
//! service, convert (`convert.rs`); page sizes and cursors are `domain::paging`.

use std::sync::Arc;

use futures::StreamExt;
use nds_common::Shutdown;
use nds_common::auth::{Authenticator, Principal};
use nds_common::convert::{conversation_metrics, filters_to_wire};
use nds_common::error::to_status;
use nds_common::grpc::{CallContext, ServerStream, until_authorization_lapses};
use nds_common::metrics_series::Series;
use nds_proto::chat::v1 as wire;
use nds_proto::chat::v1::chat_service_server::ChatService;
use nds_proto::chat::v1::{InterpretQueryRequest, InterpretQueryResponse};
use nds_proto::common::v1::PageInfo;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tonic::{Request, Response, Status};

use crate::convert::{
    conversation_to_wire, live_to_wire, locale_from_wire, message_to_wire, source_name, status_from_wire,
};
use crate::domain::paging::{
    conversation_cursor, message_cursor, page_size, parse_conversation_cursor, parse_message_cursor,
};
use crate::error::ChatError;
use crate::service::Conversations;
use nds_interpreter::{MAX_QUERY_CHARS, QueryInterpreter};

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
        let locale = locale_from_wire(&request.locale).map_err(to_status)?;
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
            let page = message.page.unwrap_or_default();
            let limit = page_size(page.first)?;
            let after = parse_conversation_cursor(&page.after)?;
            self.conversations.list(&principal, after.as_ref(), limit).await
        };
        reply(result.await, |page| {
            let end_cursor = page
                .conversations
                .last()
                .map(|last| conversation_cursor(last.conversation.last_message_at_unix, &last.conversation.id))
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
            let page = message.page.clone().unwrap_or_default();
            let limit = page_size(page.first)?;
            let before = parse_message_cursor(&page.after)?;
            self.conversations.list_messages(&principal, &message.conversation_id, before, limit).await
        };
        reply(result.await, |page| wire::ListMessagesResponse {
            messages: page.messages.iter().map(message_to_wire).collect(),
            page_info: Some(PageInfo {
                has_next_page: page.has_more,
                end_cursor: page.messages.last().map(|last| message_cursor(last.sequence)).unwrap_or_default(),
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
            let interval = nds_common::convert::metrics_interval_from_wire(message.interval)?;
            self.conversations.metrics(&principal, scope, range.from_unix, range.to_unix, interval).await
        };
        reply(result.await, |(metrics, series)| wire::GetMetricsResponse {
            conversations_started: metrics.started,
            conversations_answered: metrics.answered,
            median_first_response_seconds: metrics.median_first_response_seconds,
            buckets: nds_common::convert::metrics_series_to_wire(series.as_ref().map(|series| {
                Series {
                    buckets: series.buckets.clone(),
                    values: series
                        .values
                        .iter()
                        .map(|metrics| {
                            metrics
                                .iter()
                                .flat_map(|metrics| {
                                    conversation_metrics(
                                        metrics.started,
                                        metrics.answered,
                                        metrics.median_first_response_seconds,
                                    )
                                })
                                .collect()
                        })
                        .collect(),
                }
            })),
        })
    }
}
