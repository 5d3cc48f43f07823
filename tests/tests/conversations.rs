//! Conversations (leads) end to end, as clients drive them: GraphQL over HTTP for
//! queries and mutations, graphql-transport-ws for `messageAdded`, against NDS
//! started as `nds dev` starts it (identity, catalog and chat for real; mail as
//! `.eml` files).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use nds_proto::chat::v1 as chat;
use nds_proto::chat::v1::chat_service_client::ChatServiceClient;
use nds_proto::common::v1::MetricsScope;
use nds_proto::common::v1::metrics_scope::Scope;
use nds_tests::TestSystem;
use nds_tests::client::{data, error_code};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Message notifications sent to `email` about `conversation_id`.
fn notifications(system: &TestSystem, email: &str, conversation_id: &str) -> usize {
    system
        .mails()
        .iter()
        .filter(|mail| mail.contains(&format!("To: {email}")) && mail.contains(conversation_id))
        .count()
}

async fn wait_for_notifications(system: &TestSystem, email: &str, conversation_id: &str, expected: usize) {
    for _ in 0..100 {
        if notifications(system, email, conversation_id) >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(notifications(system, email, conversation_id), expected, "mails to {email}");
}

/// A salesperson of the agency: (user id, token).
async fn hire_salesperson(system: &TestSystem, manager: &str, agency_id: &str, email: &str) -> (String, String) {
    let invited = system
        .graphql(
            "mutation($agency: ID!, $email: String!) { inviteStaff(agencyId: $agency, email: $email, role: SALESPERSON) { id } }",
            json!({ "agency": agency_id, "email": email }),
            Some(manager),
        )
        .await
        .unwrap();
    data(&invited, "inviteStaff");
    let token = system.accept_invitation(email, "Vendedora", "vendedora-2026-segura").await;
    (system.user_id(&token).await, token)
}

async fn listing(system: &TestSystem, manager: &str, publish: bool) -> String {
    let created = system
        .graphql(
            "mutation($input: ListingInput!) { createListing(input: $input) { id } }",
            json!({ "input": {
                "make": "VW", "model": "Jetta", "year": 2021, "price": 38_900_000, "mileageKm": 41_000,
                "bodyType": "SEDAN", "fuel": "GASOLINE", "transmission": "AUTOMATIC", "color": "Rojo",
                "condition": "USED", "city": "Ciudad de México", "state": "CDMX" } }),
            Some(manager),
        )
        .await
        .unwrap();
    let id = data(&created, "createListing")["id"].as_str().unwrap().to_string();
    if publish {
        let published = system
            .graphql("mutation($id: ID!) { publishListing(id: $id) { status } }", json!({ "id": id }), Some(manager))
            .await
            .unwrap();
        assert_eq!(data(&published, "publishListing")["status"], "PUBLISHED");
    }
    id
}

async fn sign_up(system: &TestSystem, email: &str) -> String {
    let response = system
        .graphql(
            "mutation($email: String!) { signUp(input: { email: $email, password: \"compradora-2026\", name: \"Sofía\" }) { accessToken } }",
            json!({ "email": email }),
            None,
        )
        .await
        .unwrap();
    data(&response, "signUp")["accessToken"].as_str().unwrap().to_string()
}

/// Everyone the scenarios need: one agency with a manager and two salespeople, a
/// published and a draft listing, a buyer, and a second agency with its manager.
struct World {
    system: TestSystem,
    agency_id: String,
    manager: String,
    salespeople: Vec<(String, String, String)>,
    published: String,
    draft: String,
    buyer: String,
    buyer_email: String,
    other_manager: String,
    other_salesperson_id: String,
}

async fn world() -> World {
    world_with(&[]).await
}

async fn world_with(extra: &[(&str, &str)]) -> World {
    let system = TestSystem::start(extra).await.unwrap();
    let agency = system.onboard_agency("Autos Reforma", "ARE010101AB1", "gerente@reforma.mx").await;
    let (agency_id, manager) = (agency.id, agency.manager_token);
    let mut salespeople = Vec::new();
    for email in ["ana@reforma.mx", "beto@reforma.mx"] {
        let (id, token) = hire_salesperson(&system, &manager, &agency_id, email).await;
        salespeople.push((id, token, email.to_string()));
    }
    let published = listing(&system, &manager, true).await;
    let draft = listing(&system, &manager, false).await;
    let buyer_email = "compradora@example.com".to_string();
    let buyer = sign_up(&system, &buyer_email).await;
    let other = system.onboard_agency("Autos Sur", "ASU010101AB1", "gerente@sur.mx").await;
    let (other_agency, other_manager) = (other.id, other.manager_token);
    let (other_salesperson_id, _) = hire_salesperson(&system, &other_manager, &other_agency, "carla@sur.mx").await;
    World {
        system,
        agency_id,
        manager,
        salespeople,
        published,
        draft,
        buyer,
        buyer_email,
        other_manager,
        other_salesperson_id,
    }
}

const CONVERSATION: &str = "id status assigneeId unreadCount messageCount listingId agencyId listing { id make }";

async fn start(world: &World, listing_id: &str, message: &str) -> Value {
    world
        .system
        .graphql(
            &format!("mutation($listing: ID!, $message: String!) {{ startConversation(listingId: $listing, message: $message) {{ {CONVERSATION} }} }}"),
            json!({ "listing": listing_id, "message": message }),
            Some(&world.buyer),
        )
        .await
        .unwrap()
}

async fn send(system: &TestSystem, token: &str, conversation_id: &str, body: &str) -> Value {
    system
        .graphql(
            "mutation($id: ID!, $body: String!) { sendMessage(conversationId: $id, body: $body) { id body sender senderId sequence } }",
            json!({ "id": conversation_id, "body": body }),
            Some(token),
        )
        .await
        .unwrap()
}

async fn conversation(system: &TestSystem, token: &str, id: &str) -> Value {
    let response = system
        .graphql(
            &format!("query($id: ID!) {{ conversation(id: $id) {{ {CONVERSATION} }} }}"),
            json!({ "id": id }),
            Some(token),
        )
        .await
        .unwrap();
    data(&response, "conversation").clone()
}

/// A graphql-transport-ws connection after `connection_ack`.
async fn connect_socket(system: &TestSystem, token: Option<&str>) -> Socket {
    let mut request = format!("ws://{}/graphql/ws", system.http_addr).into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let payload = match token {
        Some(token) => json!({ "authorization": format!("Bearer {token}") }),
        None => json!({}),
    };
    socket.send(WsMessage::text(json!({ "type": "connection_init", "payload": payload }).to_string())).await.unwrap();
    let ack = next_frame(&mut socket).await.expect("connection_ack");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    socket
}

async fn subscribe(socket: &mut Socket, conversation_id: &str) {
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": {
        "query": "subscription($id: ID!) { messageAdded(conversationId: $id) { body sender senderId conversationId } }",
        "variables": { "id": conversation_id } } });
    socket.send(WsMessage::text(subscribe.to_string())).await.unwrap();
}

/// The next JSON frame (pings skipped), or None after `wait` of silence.
async fn next_frame_within(socket: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        let frame = tokio::time::timeout(wait, socket.next()).await.ok()??.ok()?;
        match frame {
            WsMessage::Text(text) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] == "ping" || value["type"] == "pong" {
                    continue;
                }
                return Some(value);
            }
            WsMessage::Close(_) => return None,
            WsMessage::Binary(_) | WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_) => continue,
        }
    }
}

fn with_token<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// The subscription failed with `code` (a resolver error: `next` with errors, then `complete`).
async fn assert_refused(socket: &mut Socket, code: &str) {
    let refused = next_frame(socket).await.expect("an answer");
    let error = match refused["type"].as_str() {
        Some("error") => &refused["payload"][0],
        Some("next") => &refused["payload"]["errors"][0],
        _ => panic!("not a refusal: {refused}"),
    };
    assert_eq!(error["extensions"]["code"], code, "{refused}");
    assert_eq!(refused["payload"]["data"], Value::Null, "{refused}");
    if refused["type"] == "next" {
        let complete = next_frame(socket).await.expect("complete");
        assert_eq!(complete["type"], "complete", "{complete}");
    }
}

async fn next_frame(socket: &mut Socket) -> Option<Value> {
    next_frame_within(socket, Duration::from_secs(10)).await
}

/// Waits until chat counts `user_id` as watching the conversation (its stream is open).
async fn wait_for_presence(system: &TestSystem, conversation_id: &str, user_id: &str, present: bool) {
    let cache = &system.running.as_ref().unwrap().runtime.cache;
    let key = format!("chat:presence:{conversation_id}:{user_id}");
    for _ in 0..200 {
        if cache.get(&key).await.is_some() == present {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("presence of {user_id} never became {present}");
}

#[tokio::test]
async fn a_buyer_hears_the_assigned_salesperson_live_and_unread_counts_and_mails_follow() {
    done_when_scenario(world().await).await;
}

/// The same with chat on PostgreSQL and the cache, presence, rate limits and fan-out on Redis.
#[tokio::test]
async fn the_scenario_holds_on_postgres_and_redis() {
    let database = nds_common::testing::TestDatabase::postgres().await;
    let redis = nds_common::testing::redis_url();
    let world = world_with(&[("NDS_CHAT_DATABASE_URL", database.url()), ("NDS_REDIS_URL", &redis)]).await;
    assert_eq!(world.system.running.as_ref().unwrap().runtime.cache.backend_name(), "redis");
    done_when_scenario(world).await;
}

async fn done_when_scenario(world: World) {
    let system = &world.system;

    // The buyer writes about the listing: a NEW lead, given to a salesperson in turn.
    let started = start(&world, &world.published, "Hola, ¿sigue disponible el Jetta?").await;
    let lead = data(&started, "startConversation").clone();
    let conversation_id = lead["id"].as_str().unwrap().to_string();
    assert_eq!(lead["status"], "NEW");
    assert_eq!(lead["unreadCount"], 0, "the buyer's own message is not unread for them");
    assert_eq!(lead["agencyId"], world.agency_id.as_str());
    assert_eq!(lead["listing"]["id"], world.published.as_str(), "the listing comes through the loader");
    let round_robin = lead["assigneeId"].as_str().expect("assigned by round-robin").to_string();
    let (first_pick, other_pick) = if round_robin == world.salespeople[0].0 {
        (&world.salespeople[0], &world.salespeople[1])
    } else {
        assert_eq!(round_robin, world.salespeople[1].0);
        (&world.salespeople[1], &world.salespeople[0])
    };
    // Starting again adds to the open conversation.
    let again = start(&world, &world.published, "¿Aceptan auto a cuenta?").await;
    assert_eq!(data(&again, "startConversation")["id"], conversation_id.as_str());
    assert_eq!(data(&again, "startConversation")["messageCount"], 2);
    // The assignee was not connected: one mail for both messages.
    wait_for_notifications(system, &first_pick.2, &conversation_id, 1).await;

    // The manager hands the lead to the other salesperson, who now sees it; the first no longer does.
    let assigned = system
        .graphql(
            &format!("mutation($id: ID!, $to: ID!) {{ assignConversation(conversationId: $id, salespersonId: $to) {{ {CONVERSATION} }} }}"),
            json!({ "id": conversation_id, "to": other_pick.0 }),
            Some(&world.manager),
        )
        .await
        .unwrap();
    assert_eq!(data(&assigned, "assignConversation")["assigneeId"], other_pick.0.as_str());
    let (salesperson_id, salesperson, _) = other_pick;
    let seen = conversation(system, salesperson, &conversation_id).await;
    assert_eq!(seen["unreadCount"], 2, "two buyer messages unread by the salesperson");
    assert_eq!(conversation(system, &first_pick.1, &conversation_id).await, Value::Null);

    // The buyer subscribes; the salesperson answers; the buyer hears it live.
    let mut socket = connect_socket(system, Some(&world.buyer)).await;
    subscribe(&mut socket, &conversation_id).await;
    let buyer_id = system.user_id(&world.buyer).await;
    wait_for_presence(system, &conversation_id, &buyer_id, true).await;
    let answer = send(system, salesperson, &conversation_id, "¡Hola! Sí, sigue disponible.\u{0}").await;
    assert_eq!(data(&answer, "sendMessage")["sender"], "AGENCY");
    let frame = next_frame(&mut socket).await.expect("a live message");
    assert_eq!(frame["type"], "next", "{frame}");
    let live = &frame["payload"]["data"]["messageAdded"];
    assert_eq!(live["body"], "¡Hola! Sí, sigue disponible.", "control characters stripped");
    assert_eq!(live["sender"], "AGENCY");
    assert_eq!(live["senderId"], salesperson_id.as_str());
    assert_eq!(live["conversationId"], conversation_id.as_str());

    // Unread counts: one for the buyer until they mark it read; none left for the salesperson.
    let for_buyer = conversation(system, &world.buyer, &conversation_id).await;
    assert_eq!((for_buyer["unreadCount"].as_i64(), for_buyer["status"].as_str()), (Some(1), Some("OPEN")));
    assert_eq!(conversation(system, salesperson, &conversation_id).await["unreadCount"], 0);
    let read = system
        .graphql(
            "mutation($id: ID!) { markConversationRead(conversationId: $id) { unreadCount } }",
            json!({ "id": conversation_id }),
            Some(&world.buyer),
        )
        .await
        .unwrap();
    assert_eq!(data(&read, "markConversationRead")["unreadCount"], 0);

    // The buyer was connected: no mail. Once gone, one mail — not one per message.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(notifications(system, &world.buyer_email, &conversation_id), 0);
    socket.close(None).await.ok();
    drop(socket);
    wait_for_presence(system, &conversation_id, &buyer_id, false).await;
    for body in ["Le puedo mostrar el auto mañana.", "¿A qué hora le acomoda?"] {
        data(&send(system, salesperson, &conversation_id, body).await, "sendMessage");
    }
    wait_for_notifications(system, &world.buyer_email, &conversation_id, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(notifications(system, &world.buyer_email, &conversation_id), 1, "batched");
    let mail = system.mails().into_iter().find(|mail| mail.contains(&format!("To: {}", world.buyer_email))).unwrap();
    assert!(mail.contains("/conversations/"), "the mail links to the conversation: {mail}");

    // History backwards, two at a time, newest first.
    let history = "query($id: ID!, $after: String) { conversation(id: $id) { messages(first: 2, after: $after) { totalCount edges { cursor node { body sequence } } pageInfo { hasNextPage endCursor } } } }";
    let page = system.graphql(history, json!({ "id": conversation_id }), Some(&world.buyer)).await.unwrap();
    let page = &data(&page, "conversation")["messages"];
    assert_eq!(page["totalCount"], 5);
    assert_eq!(page["edges"][0]["node"]["sequence"], 5);
    assert_eq!(page["edges"][1]["node"]["sequence"], 4);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let mut after = page["pageInfo"]["endCursor"].clone();
    let mut bodies = Vec::new();
    loop {
        let older = system
            .graphql(history, json!({ "id": conversation_id, "after": after }), Some(&world.buyer))
            .await
            .unwrap();
        let older = &data(&older, "conversation")["messages"];
        for edge in older["edges"].as_array().unwrap() {
            bodies.push(edge["node"]["body"].as_str().unwrap().to_string());
        }
        if older["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = older["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(
        bodies,
        ["¡Hola! Sí, sigue disponible.", "¿Aceptan auto a cuenta?", "Hola, ¿sigue disponible el Jetta?"]
    );

    // Lists: the buyer's, the manager's and the assignee's show it; the other salesperson's and another agency's don't.
    let list = "{ conversations(first: 10) { totalCount edges { node { id } } } }";
    for (token, expected) in
        [(&world.buyer, 1), (&world.manager, 1), (salesperson, 1), (&first_pick.1, 0), (&world.other_manager, 0)]
    {
        let listed = system.graphql(list, json!({}), Some(token)).await.unwrap();
        assert_eq!(data(&listed, "conversations")["totalCount"], expected, "{listed}");
    }

    // Internal callers reach chat's gRPC directly: the same checks hold there.
    let mut chat = ChatServiceClient::connect(system.grpc_url()).await.unwrap();
    let stream = |id: &str| chat::StreamMessagesRequest { conversation_id: id.to_string() };
    let anonymous = chat.stream_messages(tonic::Request::new(stream(&conversation_id))).await.unwrap_err();
    assert_eq!(anonymous.code(), tonic::Code::Unauthenticated);
    let foreign = chat.stream_messages(with_token(&world.other_manager, stream(&conversation_id))).await.unwrap_err();
    assert_eq!(foreign.code(), tonic::Code::NotFound);
    let metrics = |agency: &str| chat::GetMetricsRequest {
        scope: Some(MetricsScope { scope: Some(Scope::AgencyId(agency.to_string())) }),
        range: None,
        interval: 0,
    };
    let lead_metrics =
        chat.get_metrics(with_token(&world.manager, metrics(&world.agency_id))).await.unwrap().into_inner();
    assert_eq!((lead_metrics.conversations_started, lead_metrics.conversations_answered), (1, 1));
    assert!(lead_metrics.median_first_response_seconds >= 0);
    let denied = chat.get_metrics(with_token(&world.other_manager, metrics(&world.agency_id))).await.unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    system.running.as_ref().unwrap().shutdown().trigger();
}

#[tokio::test]
async fn bad_input_and_foreign_callers_get_clear_errors_and_change_nothing() {
    let world = world().await;
    let system = &world.system;
    let stranger = sign_up(system, "curioso@example.com").await;
    let count = "{ conversations { totalCount } }";

    // Empty (after stripping) and draft listings: refused, nothing created.
    for empty in ["", "   ", "\u{0}\u{7}"] {
        assert_eq!(error_code(&start(&world, &world.published, empty).await), "BAD_USER_INPUT");
    }
    let on_draft = start(&world, &world.draft, "Hola").await;
    assert!(["NOT_FOUND", "CONFLICT"].contains(&error_code(&on_draft).as_str()), "{on_draft}");
    let listed = system.graphql(count, json!({}), Some(&world.buyer)).await.unwrap();
    assert_eq!(data(&listed, "conversations")["totalCount"], 0, "nothing written");
    let anonymous = system
        .graphql(
            "mutation($l: ID!) { startConversation(listingId: $l, message: \"Hola\") { id } }",
            json!({ "l": world.published }),
            None,
        )
        .await
        .unwrap();
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");

    let lead = start(&world, &world.published, "Hola").await;
    let conversation_id = data(&lead, "startConversation")["id"].as_str().unwrap().to_string();

    // Oversized message: refused, nothing added.
    let oversized = send(system, &world.buyer, &conversation_id, &"a".repeat(4001)).await;
    assert_eq!(error_code(&oversized), "BAD_USER_INPUT");
    assert_eq!(oversized["errors"][0]["extensions"]["field"], "body");
    assert_eq!(conversation(system, &world.buyer, &conversation_id).await["messageCount"], 1);

    // Unknown and foreign ids: NOT_FOUND alike, for a stranger and for another agency's manager.
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(error_code(&send(system, &world.buyer, &unknown, "Hola").await), "NOT_FOUND");
    assert_eq!(error_code(&send(system, &world.buyer, "not-an-id", "Hola").await), "NOT_FOUND");
    for outsider in [&stranger, &world.other_manager] {
        assert_eq!(error_code(&send(system, outsider, &conversation_id, "Hola").await), "NOT_FOUND");
        assert_eq!(conversation(system, outsider, &conversation_id).await, Value::Null);
        let read = system
            .graphql(
                "mutation($id: ID!) { markConversationRead(conversationId: $id) { id } }",
                json!({ "id": conversation_id }),
                Some(outsider),
            )
            .await
            .unwrap();
        assert_eq!(error_code(&read), "NOT_FOUND");
    }
    assert_eq!(conversation(system, &world.buyer, &conversation_id).await["messageCount"], 1, "nothing written");

    // Assignment: another agency's salesperson is refused; a salesperson may not assign; a buyer may not.
    let assign = |token: String, to: String| {
        let id = conversation_id.clone();
        async move {
            system
                .graphql(
                    "mutation($id: ID!, $to: ID!) { assignConversation(conversationId: $id, salespersonId: $to) { assigneeId } }",
                    json!({ "id": id, "to": to }),
                    Some(&token),
                )
                .await
                .unwrap()
        }
    };
    let before = conversation(system, &world.manager, &conversation_id).await["assigneeId"].clone();
    let foreign = assign(world.manager.clone(), world.other_salesperson_id.clone()).await;
    assert_eq!(error_code(&foreign), "BAD_USER_INPUT");
    assert_eq!(foreign["errors"][0]["extensions"]["field"], "salespersonId");
    let assignee = world.salespeople.iter().find(|person| before == person.0.as_str()).unwrap();
    let by_salesperson = assign(assignee.1.clone(), world.salespeople[0].0.clone()).await;
    assert_eq!(error_code(&by_salesperson), "FORBIDDEN");
    assert_eq!(
        error_code(&assign(world.buyer.clone(), world.salespeople[0].0.clone()).await),
        "FORBIDDEN",
        "the buyer sees it but may not assign"
    );
    assert_eq!(conversation(system, &world.manager, &conversation_id).await["assigneeId"], before, "unchanged");

    // Subscriptions: no token, or someone else's conversation → an error, and nothing delivered.
    let mut without_token = connect_socket(system, None).await;
    subscribe(&mut without_token, &conversation_id).await;
    assert_refused(&mut without_token, "UNAUTHENTICATED").await;
    let mut foreign_socket = connect_socket(system, Some(&stranger)).await;
    subscribe(&mut foreign_socket, &conversation_id).await;
    assert_refused(&mut foreign_socket, "NOT_FOUND").await;
    data(&send(system, &assignee.1, &conversation_id, "¿Sigue interesada?").await, "sendMessage");
    for socket in [&mut without_token, &mut foreign_socket] {
        assert_eq!(next_frame_within(socket, Duration::from_millis(500)).await, None, "nothing delivered");
    }

    // Rate limit: 30 messages a minute per user (the start counted one). The limit
    // counts in fixed minute windows, so the burst must not straddle a minute
    // boundary: a new window would start counting afresh (it flaked so, once).
    let second = chrono::Utc::now().timestamp() % 60;
    if second > 40 {
        tokio::time::sleep(Duration::from_secs((61 - second) as u64)).await;
        // The start's message was in the old window: count it again in this one.
        data(&send(system, &world.buyer, &conversation_id, "mensaje 1").await, "sendMessage");
    }
    let mut refused_at = None;
    for attempt in 2..=40 {
        let response = send(system, &world.buyer, &conversation_id, &format!("mensaje {attempt}")).await;
        if response.get("errors").is_some() {
            assert_eq!(error_code(&response), "UNAVAILABLE", "{response}");
            refused_at = Some(attempt);
            break;
        }
    }
    assert_eq!(refused_at, Some(31), "the 31st message within a minute is refused");
    system.running.as_ref().unwrap().shutdown().trigger();
}

/// Issue 15, item 11: a message stream over direct gRPC is authorized when it
/// starts; suspending the person ends it at chat's next re-check (every
/// `STREAM_RECHECK_INTERVAL`), with UNAUTHENTICATED, instead of at token expiry.
#[tokio::test]
async fn suspending_a_buyer_ends_their_open_message_stream_within_the_recheck_interval() {
    use nds_common::auth::verifier::STREAM_RECHECK_INTERVAL;
    use nds_proto::identity::v1::{SuspendUserRequest, identity_service_client::IdentityServiceClient};
    let world = world().await;
    let system = &world.system;
    let started = start(&world, &world.published, "Hola, ¿sigue disponible?").await;
    let conversation_id = data(&started, "startConversation")["id"].as_str().unwrap().to_string();

    let mut chat = ChatServiceClient::connect(system.grpc_url()).await.unwrap();
    let request = chat::StreamMessagesRequest { conversation_id: conversation_id.clone() };
    let mut stream = chat.stream_messages(with_token(&world.buyer, request)).await.unwrap().into_inner();
    // Live before the suspension: the manager's answer arrives.
    send(system, &world.manager, &conversation_id, "Sí, sigue disponible.").await;
    let answer = tokio::time::timeout(Duration::from_secs(10), stream.message()).await.unwrap().unwrap().unwrap();
    assert_eq!(answer.body, "Sí, sigue disponible.");

    let admin = system.admin_token().await;
    let context = nds_common::grpc::CallContext::new(Duration::from_secs(5)).with_bearer(&admin);
    let runtime = &system.running.as_ref().unwrap().runtime;
    let buyer_id = system.user_id(&world.buyer).await;
    IdentityServiceClient::new(runtime.channels.identity.clone())
        .suspend_user(context.request(SuspendUserRequest { user_id: buyer_id, suspended: true }))
        .await
        .unwrap();

    // The token is still valid for minutes; the suspension ends the stream anyway.
    let ended = tokio::time::timeout(STREAM_RECHECK_INTERVAL + Duration::from_secs(10), stream.message())
        .await
        .expect("the stream outlived the suspension");
    let status = ended.expect_err("the stream says why it ends");
    assert_eq!(status.code(), tonic::Code::Unauthenticated, "{}", status.message());
    assert!(matches!(stream.message().await, Ok(None)), "nothing after the reason");
    system.running.as_ref().unwrap().shutdown().trigger();
}
