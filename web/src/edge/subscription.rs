//! The edge's `messageAdded` subscription over graphql-transport-ws, followed by
//! the web server on a person's behalf (their token stays on the server) and
//! relayed to the browser as server-sent events.

use futures::{SinkExt, Stream, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::EdgeError;

/// One message as the thread page shows it.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddedMessage {
    pub id: String,
    pub sender: String,
    pub body: String,
    pub sent_at: Option<String>,
    pub sequence: i64,
}

pub type MessageAddedStream = std::pin::Pin<Box<dyn Stream<Item = AddedMessage> + Send>>;

const SUBSCRIPTION: &str =
    "subscription ThreadMessages($id: ID!) { messageAdded(conversationId: $id) { id sender body sentAt sequence } }";

/// Opens the socket, authorises with the token and subscribes; the stream ends
/// when the edge closes it (token expiry, shutdown) or on any protocol error.
pub async fn subscribe_message_added(
    websocket_url: &str,
    token: &str,
    conversation_id: &str,
) -> Result<MessageAddedStream, EdgeError> {
    let mut request = websocket_url.into_client_request().map_err(|error| EdgeError::Unavailable(error.to_string()))?;
    request.headers_mut().insert("sec-websocket-protocol", http::HeaderValue::from_static("graphql-transport-ws"));
    let (mut socket, _) =
        tokio_tungstenite::connect_async(request).await.map_err(|error| EdgeError::Unavailable(error.to_string()))?;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(WsMessage::text(init.to_string())).await.map_err(|error| EdgeError::Unavailable(error.to_string()))?;
    // Wait for the acknowledgement before subscribing.
    loop {
        let Some(frame) = socket.next().await else {
            return Err(EdgeError::Unavailable("the edge closed the socket".into()));
        };
        let frame = frame.map_err(|error| EdgeError::Unavailable(error.to_string()))?;
        let WsMessage::Text(text) = frame else { continue };
        let message: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
        match message.get("type").and_then(Value::as_str) {
            Some("connection_ack") => break,
            Some("ping") => {
                let pong = json!({ "type": "pong" }).to_string();
                socket.send(WsMessage::text(pong)).await.ok();
            }
            _ => return Err(EdgeError::Unavailable("the edge refused the subscription socket".into())),
        }
    }
    let subscribe = json!({
        "id": "1",
        "type": "subscribe",
        "payload": { "query": SUBSCRIPTION, "variables": { "id": conversation_id } },
    });
    socket
        .send(WsMessage::text(subscribe.to_string()))
        .await
        .map_err(|error| EdgeError::Unavailable(error.to_string()))?;
    let (mut sink, stream) = socket.split();
    let (sender, receiver) = tokio::sync::mpsc::channel::<AddedMessage>(16);
    tokio::spawn(async move {
        let mut stream = stream;
        loop {
            // The browser left: stop following the edge at once, not at the next message.
            let frame = tokio::select! {
                _ = sender.closed() => break,
                frame = stream.next() => frame,
            };
            let Some(Ok(frame)) = frame else { break };
            let WsMessage::Text(text) = frame else { continue };
            let message: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
            match message.get("type").and_then(Value::as_str) {
                Some("next") => {
                    let added = message.pointer("/payload/data/messageAdded").cloned().unwrap_or(Value::Null);
                    let Ok(added) = serde_json::from_value::<AddedMessage>(added) else { break };
                    if sender.send(added).await.is_err() {
                        break;
                    }
                }
                Some("ping") => {
                    let pong = json!({ "type": "pong" }).to_string();
                    if sink.send(WsMessage::text(pong)).await.is_err() {
                        break;
                    }
                }
                _ => break,
            }
        }
        sink.close().await.ok();
    });
    Ok(Box::pin(tokio_stream_from(receiver)))
}

fn tokio_stream_from(mut receiver: tokio::sync::mpsc::Receiver<AddedMessage>) -> impl Stream<Item = AddedMessage> {
    futures::stream::poll_fn(move |context| receiver.poll_recv(context))
}
