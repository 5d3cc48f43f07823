//! Wire ↔ domain: chat's rows and views as the `nds.chat.v1` messages carry them,
//! and the enums and locale the messages send. The adapter (`grpc.rs`) only
//! authenticates, calls and converts.

use nds_interpreter::InterpretationSource;
use nds_proto::chat::v1 as wire;

use crate::domain::conversation::{ConversationStatus, SenderSide};
use crate::error::ChatError;
use crate::realtime::LiveMessage;
use crate::service::ConversationView;
use crate::store::entities::message;

pub fn source_name(source: InterpretationSource) -> &'static str {
    match source {
        InterpretationSource::Cache => "cache",
        InterpretationSource::Rules | InterpretationSource::RulesAfterModelFailure => "rules",
        InterpretationSource::RulesAndModel => "rules+model",
    }
}

pub fn locale_from_wire(locale: &str) -> Result<Option<&str>, ChatError> {
    match locale {
        "" => Ok(None),
        "es" | "en" | "es-MX" | "en-US" => Ok(Some(locale)),
        other => Err(ChatError::InvalidInput { field: "locale", message: format!("unsupported locale {other:?}") }),
    }
}

pub fn status_to_wire(raw: &str) -> wire::ConversationStatus {
    match ConversationStatus::parse(raw) {
        Some(ConversationStatus::New) => wire::ConversationStatus::New,
        Some(ConversationStatus::Open) => wire::ConversationStatus::Open,
        Some(ConversationStatus::Won) => wire::ConversationStatus::Won,
        Some(ConversationStatus::Lost) => wire::ConversationStatus::Lost,
        None => wire::ConversationStatus::Unspecified,
    }
}

pub fn status_from_wire(raw: i32) -> Result<ConversationStatus, ChatError> {
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

pub fn side_to_wire(raw: &str) -> wire::SenderSide {
    match SenderSide::parse(raw) {
        Some(SenderSide::Buyer) => wire::SenderSide::Buyer,
        Some(SenderSide::Agency) => wire::SenderSide::Agency,
        None => wire::SenderSide::Unspecified,
    }
}

pub fn conversation_to_wire(view: &ConversationView) -> wire::Conversation {
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

pub fn message_to_wire(row: &message::Model) -> wire::Message {
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

pub fn live_to_wire(live: &LiveMessage) -> wire::Message {
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
