//! Understanding the text of a search: chat's `InterpretQuery` first, with a
//! short budget; when chat is slow, down or answers garbage, the rule-based
//! interpreter linked in-process (the same rules chat runs) answers instead.

use std::time::Duration;

use async_trait::async_trait;
use nds_common::grpc::CallContext;
use nds_common::vehicle::SearchFilters;
use nds_proto::chat::v1::InterpretQueryRequest;
use nds_proto::chat::v1::chat_service_client::ChatServiceClient;
use tonic::transport::Channel;

use nds_common::convert::filters_from_wire;

/// The most a search waits for chat before using the local rules.
pub const CHAT_BUDGET: Duration = Duration::from_millis(300);

/// How a text was understood, and by whom.
#[derive(Debug, Clone, PartialEq)]
pub struct Understood {
    pub filters: SearchFilters,
    /// "chat:<chat's source>" or "local-rules".
    pub source: String,
}

#[async_trait]
pub trait QueryUnderstanding: Send + Sync + 'static {
    async fn understand(&self, text: &str, locale: Option<&str>, context: &CallContext) -> Understood;
}

/// The in-process rules only.
#[derive(Default)]
pub struct LocalRules {
    rules: nds_interpreter::Interpreter,
}

impl LocalRules {
    pub fn interpret(&self, text: &str, locale: Option<&str>) -> Understood {
        Understood { filters: self.rules.interpret(text, locale), source: "local-rules".into() }
    }
}

#[async_trait]
impl QueryUnderstanding for LocalRules {
    async fn understand(&self, text: &str, locale: Option<&str>, _context: &CallContext) -> Understood {
        self.interpret(text, locale)
    }
}

/// Chat over gRPC, falling back to [`LocalRules`].
pub struct ChatWithFallback {
    channel: Channel,
    budget: Duration,
    fallback: LocalRules,
}

impl ChatWithFallback {
    pub fn new(channel: Channel, budget: Duration) -> Self {
        Self { channel, budget, fallback: LocalRules::default() }
    }
}

#[async_trait]
impl QueryUnderstanding for ChatWithFallback {
    async fn understand(&self, text: &str, locale: Option<&str>, context: &CallContext) -> Understood {
        let budget = self.budget.min(context.remaining());
        if budget >= Duration::from_millis(5) {
            let mut request = context.request(InterpretQueryRequest {
                text: text.to_string(),
                locale: locale.unwrap_or_default().to_string(),
            });
            request.set_timeout(budget);
            let mut client = ChatServiceClient::new(self.channel.clone());
            match tokio::time::timeout(budget, client.interpret_query(request)).await {
                Ok(Ok(response)) => {
                    let response = response.into_inner();
                    match response.filters.as_ref().map(filters_from_wire).transpose() {
                        Ok(filters) => {
                            return Understood {
                                filters: filters.unwrap_or_default(),
                                source: format!("chat:{}", response.source),
                            };
                        }
                        Err(error) => {
                            tracing::warn!(error = %error, "chat's interpretation is unusable; using local rules")
                        }
                    }
                }
                Ok(Err(status)) => {
                    tracing::warn!(code = ?status.code(), message = status.message(), "chat InterpretQuery failed; using local rules");
                }
                Err(_) => tracing::warn!(
                    budget_ms = budget.as_millis() as u64,
                    "chat InterpretQuery too slow; using local rules"
                ),
            }
        }
        self.fallback.interpret(text, locale)
    }
}
