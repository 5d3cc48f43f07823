//! A conversation's thread as both apps show and follow it: one message, and the
//! live stream of new ones. The buyer reads it on the site, the agency's staff in
//! the panel; only who is "mine" and how the other side is named differ. The
//! server follows the edge's `messageAdded` subscription with the person's token
//! (which never reaches the browser) and streams each message, already rendered,
//! as a server-sent event (`static/site.js` appends it to `[data-live-thread]`).

use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use http::HeaderMap;
use maud::{Markup, html};

use crate::edge::{self, operations, wire_name};
use crate::error::{PageError, path_id};
use crate::i18n::{Lang, format};
use crate::state::SharedState;
use crate::visitor::Visitor;

/// Which side of the conversation is reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// The buyer, on the site.
    Buyer,
    /// The agency's staff, in the panel.
    Agency,
}

impl Reader {
    /// The schema's `MessageSender` of this side.
    fn sender(self) -> &'static str {
        match self {
            Reader::Buyer => "BUYER",
            Reader::Agency => "AGENCY",
        }
    }

    /// How a message's author is named to this reader.
    fn author(self, lang: Lang, sender: &str) -> &'static str {
        let text = lang.text();
        match (self, sender == self.sender()) {
            (Reader::Buyer, true) => text.conversations.you,
            (Reader::Buyer, false) | (Reader::Agency, true) => text.conversations.agency,
            (Reader::Agency, false) => text.panel.leads.buyer,
        }
    }
}

/// A reply's form, on the site's thread and the panel's lead alike.
#[derive(serde::Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    pub body: String,
}

/// One message of a thread; the id lets the live stream skip what is shown.
pub fn message_item(lang: Lang, reader: Reader, id: &str, sender: &str, body: &str, sent_at: Option<&str>) -> Markup {
    let mine = sender == reader.sender();
    let when = format::parse_api_time(sent_at).map(|moment| format::relative(moment, chrono::Utc::now(), lang));
    html! {
        li.message.mine[mine] id=(format!("msg-{id}")) {
            span.who { (reader.author(lang, sender)) @if let Some(when) = when { " · " (when) } }
            p { (body) }
        }
    }
}

/// Server-sent events of a thread: each new message, rendered. A reconnecting
/// browser sends `Last-Event-ID` (the last sequence it saw) and first gets what
/// it missed, so a token refresh between two connections loses nothing.
pub async fn events(
    state: &SharedState,
    visitor: &Visitor,
    raw_id: &str,
    headers: &HeaderMap,
    reader: Reader,
) -> Result<Response, PageError> {
    let session = visitor.require_session()?;
    let id = path_id(raw_id)?;
    let lang = visitor.lang;
    let last_seen: i64 = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .unwrap_or(i64::MAX);
    // The conversation must be the caller's (the subscription checks again).
    let variables = operations::thread::Variables { id: id.clone() };
    let Some(conversation) = state.edge.run::<operations::Thread>(visitor.caller(), variables).await?.conversation
    else {
        return Err(PageError::NotFound);
    };
    let missed: Vec<Event> = conversation
        .messages
        .edges
        .into_iter()
        .rev()
        .filter(|edge| edge.node.sequence > last_seen)
        .map(|edge| {
            let message = edge.node;
            let sender = wire_name(&message.sender);
            render_event(
                lang,
                reader,
                &message.id,
                &sender,
                &message.body,
                message.sent_at.as_deref(),
                message.sequence,
            )
        })
        .collect();
    let live = edge::subscribe_message_added(state.edge.websocket_url(), &session.data.access_token, &id).await?;
    let live = live.map(move |message| {
        render_event(
            lang,
            reader,
            &message.id,
            &message.sender,
            &message.body,
            message.sent_at.as_deref(),
            message.sequence,
        )
    });
    let shutdown = state.shutdown.clone();
    let stream = futures::stream::iter(missed)
        .chain(live)
        .take_until(async move { shutdown.wait().await })
        .map(Ok::<Event, Infallible>);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(20))).into_response())
}

fn render_event(
    lang: Lang,
    reader: Reader,
    id: &str,
    sender: &str,
    body: &str,
    sent_at: Option<&str>,
    sequence: i64,
) -> Event {
    let html = message_item(lang, reader, id, sender, body, sent_at).into_string();
    Event::default().id(sequence.to_string()).data(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_side_sees_its_own_messages_as_mine_and_names_the_other() {
        let buyer = message_item(Lang::Es, Reader::Buyer, "1", "BUYER", "Hola", None).into_string();
        assert!(buyer.contains("message mine") && buyer.contains("Tú"), "{buyer}");
        let staff = message_item(Lang::Es, Reader::Agency, "1", "BUYER", "Hola", None).into_string();
        assert!(!staff.contains("mine") && staff.contains("Comprador"), "{staff}");
        let answer = message_item(Lang::Es, Reader::Agency, "2", "AGENCY", "Claro", None).into_string();
        assert!(answer.contains("message mine") && answer.contains("Agencia"), "{answer}");
    }

    #[test]
    fn only_a_uuid_names_a_conversation() {
        assert!(path_id("0b8f4f9e-3b1c-4f0e-9a57-8d5f1c2a7e10").is_ok());
        assert!(matches!(path_id("../admin"), Err(PageError::NotFound)));
    }
}
