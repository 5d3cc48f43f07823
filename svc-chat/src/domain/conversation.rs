//! Leads and their messages.

use crate::error::ChatError;

/// Longest message body, in characters, after control characters are stripped.
pub const MAX_MESSAGE_CHARS: usize = 4000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConversationStatus {
    /// Started by the buyer, not answered yet.
    New,
    /// The agency answered.
    Open,
    Won,
    Lost,
}

impl ConversationStatus {
    pub const ALL: [ConversationStatus; 4] =
        [ConversationStatus::New, ConversationStatus::Open, ConversationStatus::Won, ConversationStatus::Lost];

    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::New => "NEW",
            ConversationStatus::Open => "OPEN",
            ConversationStatus::Won => "WON",
            ConversationStatus::Lost => "LOST",
        }
    }

    pub fn parse(raw: &str) -> Option<ConversationStatus> {
        ConversationStatus::ALL.into_iter().find(|status| status.as_str() == raw)
    }

    /// Open leads take new messages in place; a closed one makes a new start begin afresh.
    pub fn is_open(self) -> bool {
        matches!(self, ConversationStatus::New | ConversationStatus::Open)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SenderSide {
    Buyer,
    Agency,
}

impl SenderSide {
    pub fn as_str(self) -> &'static str {
        match self {
            SenderSide::Buyer => "BUYER",
            SenderSide::Agency => "AGENCY",
        }
    }

    pub fn parse(raw: &str) -> Option<SenderSide> {
        match raw {
            "BUYER" => Some(SenderSide::Buyer),
            "AGENCY" => Some(SenderSide::Agency),
            _ => None,
        }
    }
}

/// A message body as stored: control characters removed (line breaks and tabs
/// kept), surrounding whitespace trimmed, not empty, at most [`MAX_MESSAGE_CHARS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub fn parse(raw: &str, field: &'static str) -> Result<MessageBody, ChatError> {
        let cleaned: String =
            raw.chars().filter(|character| !character.is_control() || matches!(character, '\n' | '\t')).collect();
        let trimmed = cleaned.trim();
        if trimmed.is_empty() {
            return Err(ChatError::InvalidInput { field, message: "a message cannot be empty".to_string() });
        }
        if trimmed.chars().count() > MAX_MESSAGE_CHARS {
            return Err(ChatError::InvalidInput {
                field,
                message: format!("a message has at most {MAX_MESSAGE_CHARS} characters"),
            });
        }
        Ok(MessageBody(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_lose_control_characters_but_keep_line_breaks() {
        let body = MessageBody::parse("  Hola\u{0}\u{7}, ¿sigue\tdisponible?\r\nGracias\u{1b}[31m ", "body").unwrap();
        assert_eq!(body.as_str(), "Hola, ¿sigue\tdisponible?\nGracias[31m");
    }

    #[test]
    fn empty_and_oversized_bodies_are_refused() {
        for empty in ["", "   ", "\u{0}\u{1}\u{2}", "\n\t "] {
            assert!(MessageBody::parse(empty, "body").is_err(), "{empty:?}");
        }
        assert!(MessageBody::parse(&"ñ".repeat(MAX_MESSAGE_CHARS), "body").is_ok());
        assert!(MessageBody::parse(&"ñ".repeat(MAX_MESSAGE_CHARS + 1), "body").is_err());
    }

    #[test]
    fn statuses_round_trip_and_only_new_and_open_are_open() {
        for status in ConversationStatus::ALL {
            assert_eq!(ConversationStatus::parse(status.as_str()), Some(status));
        }
        assert!(ConversationStatus::New.is_open() && ConversationStatus::Open.is_open());
        assert!(!ConversationStatus::Won.is_open() && !ConversationStatus::Lost.is_open());
    }
}
