//! The language-model path against a local OpenAI-compatible stand-in that
//! speaks the real chat-completions wire format over loopback HTTP.

// The stand-in's helpers live outside `#[test]` functions, where clippy's
// test exemption does not reach; a broken stand-in must fail the test loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

use nds_common::vehicle::{BodyType, Fuel, SearchFilters};
use nds_interpreter::{
    InProcessInterpretCache, InterpretCache, InterpretationSource, Interpreter, LanguageModelConfig, QueryInterpreter,
};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the stand-in answers.
#[derive(Clone)]
enum Behaviour {
    /// 200 with this assistant message content.
    Answer(String),
    /// Sleeps this long before answering (past the client's timeout).
    Slow(Duration, String),
    /// 500 with an OpenAI-style error body.
    ServerError,
}

struct StandIn {
    base_url: String,
    requests: Arc<AtomicUsize>,
    bodies: Arc<tokio::sync::Mutex<Vec<Value>>>,
}

async fn start_stand_in(behaviour: Behaviour) -> StandIn {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let bodies = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let (counter, recorded) = (requests.clone(), bodies.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (behaviour, counter, recorded) = (behaviour.clone(), counter.clone(), recorded.clone());
            tokio::spawn(async move {
                serve_one(stream, behaviour, counter, recorded).await;
            });
        }
    });
    StandIn { base_url: format!("http://{address}/v1"), requests, bodies }
}

/// Reads one HTTP/1.1 request (headers, then Content-Length bytes) and
/// answers it like an OpenAI-compatible server.
async fn serve_one(
    mut stream: TcpStream,
    behaviour: Behaviour,
    counter: Arc<AtomicUsize>,
    recorded: Arc<tokio::sync::Mutex<Vec<Value>>>,
) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let read = stream.read(&mut chunk).await.unwrap();
        if read == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(position) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break position + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let content_length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buffer.len() < header_end + content_length {
        let read = stream.read(&mut chunk).await.unwrap();
        if read == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    counter.fetch_add(1, Ordering::SeqCst);
    assert_eq!(request_line, "POST /v1/chat/completions HTTP/1.1");
    assert!(head.to_ascii_lowercase().contains("authorization: bearer test-key"));
    let body: Value = serde_json::from_slice(&buffer[header_end..header_end + content_length]).unwrap();
    recorded.lock().await.push(body);

    let (status, payload) = match behaviour {
        Behaviour::Answer(content) => ("200 OK", completion(&content)),
        Behaviour::Slow(delay, content) => {
            tokio::time::sleep(delay).await;
            ("200 OK", completion(&content))
        }
        Behaviour::ServerError => (
            "500 Internal Server Error",
            json!({"error": {"message": "model overloaded", "type": "server_error"}}).to_string(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{payload}",
        payload.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The real chat-completions response shape.
fn completion(content: &str) -> String {
    json!({
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "stand-in",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
    })
    .to_string()
}

fn interpreter(stand_in: &StandIn, timeout: Duration, cache: Arc<dyn InterpretCache>) -> QueryInterpreter {
    let config = LanguageModelConfig {
        base_url: stand_in.base_url.clone(),
        api_key: "test-key".to_owned(),
        model: "stand-in-model".to_owned(),
        timeout,
    };
    QueryInterpreter::new(Arc::new(Interpreter::with_current_year(2026)), Some(config), cache).unwrap()
}

fn fresh_cache() -> Arc<dyn InterpretCache> {
    Arc::new(InProcessInterpretCache::new(100, Duration::from_secs(60)))
}

/// Rules alone: make toyota, max 300k, and "family hauler" unplaced.
const QUERY: &str = "toyota family hauler under 300k";

fn rules_only() -> SearchFilters {
    Interpreter::with_current_year(2026).interpret(QUERY, None)
}

#[tokio::test]
async fn a_good_answer_fills_only_the_fields_the_rules_left_empty() {
    let answer = r#"{"makes":["honda"],"body_types":["MINIVAN"],"fuels":["HYBRID"],"price_max":100000}"#;
    let stand_in = start_stand_in(Behaviour::Answer(answer.to_owned())).await;
    let service = interpreter(&stand_in, Duration::from_secs(5), fresh_cache());

    let interpretation = service.interpret(QUERY, Some("en")).await;

    assert_eq!(interpretation.source, InterpretationSource::RulesAndModel);
    let filters = interpretation.filters;
    assert_eq!(filters.makes, vec!["toyota".to_owned()], "rules win over the model");
    assert_eq!(filters.price_max, Some(30_000_000), "rules win over the model");
    assert_eq!(filters.body_types, vec![BodyType::Minivan]);
    assert_eq!(filters.fuels, vec![Fuel::Hybrid]);
    assert_eq!(filters.keywords, rules_only().keywords);

    let bodies = stand_in.bodies.lock().await;
    let request = &bodies[0];
    assert_eq!(request["model"], "stand-in-model");
    let system = request["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("PLUG_IN_HYBRID") && system.contains("MINIVAN"));
    assert!(request["messages"][1]["content"].as_str().unwrap().contains(QUERY));
}

#[tokio::test]
async fn out_of_vocabulary_values_are_dropped() {
    let answer = r#"Here you go: {"body_types":["SPACESHIP"],"colors":["octarine"],"makes":["tatra"],"fuels":["ELECTRIC","COAL"],"city":"Atlantis"}"#;
    let stand_in = start_stand_in(Behaviour::Answer(answer.to_owned())).await;
    let service = interpreter(&stand_in, Duration::from_secs(5), fresh_cache());

    let filters = service.interpret(QUERY, None).await.filters;

    let expected = SearchFilters { fuels: vec![Fuel::Electric], ..rules_only() };
    assert_eq!(filters, expected);
}

#[tokio::test]
async fn a_garbage_answer_falls_back_to_the_rules() {
    let stand_in = start_stand_in(Behaviour::Answer("I am not sure, maybe a minivan?".to_owned())).await;
    let service = interpreter(&stand_in, Duration::from_secs(5), fresh_cache());

    let interpretation = service.interpret(QUERY, None).await;

    assert_eq!(interpretation.source, InterpretationSource::RulesAfterModelFailure);
    assert_eq!(interpretation.filters, rules_only());
    assert_eq!(stand_in.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_slow_model_is_cut_off_by_the_timeout() {
    let answer = r#"{"body_types":["MINIVAN"]}"#.to_owned();
    let stand_in = start_stand_in(Behaviour::Slow(Duration::from_secs(3), answer)).await;
    let service = interpreter(&stand_in, Duration::from_millis(300), fresh_cache());

    let interpretation = service.interpret(QUERY, None).await;

    // No clock is read: had the timeout not cut the request, the stand-in's
    // late answer would have been used (RulesAndModel, with MINIVAN).
    assert_eq!(interpretation.source, InterpretationSource::RulesAfterModelFailure);
    assert_eq!(interpretation.filters, rules_only());
}

#[tokio::test]
async fn after_a_timeout_the_model_is_left_alone_for_a_while() {
    let answer = r#"{"body_types":["MINIVAN"]}"#.to_owned();
    let stand_in = start_stand_in(Behaviour::Slow(Duration::from_secs(3), answer)).await;
    let service = interpreter(&stand_in, Duration::from_millis(300), fresh_cache());

    let first = service.interpret(QUERY, None).await;
    let second = service.interpret("family hauler with room for seven", None).await;

    assert_eq!(first.source, InterpretationSource::RulesAfterModelFailure);
    assert_eq!(second.source, InterpretationSource::RulesAfterModelFailure);
    assert_eq!(stand_in.requests.load(Ordering::SeqCst), 1, "the second query must not wait for the model again");
}

#[tokio::test]
async fn a_server_error_falls_back_to_the_rules() {
    let stand_in = start_stand_in(Behaviour::ServerError).await;
    let service = interpreter(&stand_in, Duration::from_secs(5), fresh_cache());

    let interpretation = service.interpret(QUERY, None).await;

    assert_eq!(interpretation.source, InterpretationSource::RulesAfterModelFailure);
    assert_eq!(interpretation.filters, rules_only());
    assert_eq!(stand_in.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn results_are_cached_per_normalised_text_and_failures_are_not() {
    let answer = r#"{"body_types":["MINIVAN"]}"#;
    let stand_in = start_stand_in(Behaviour::Answer(answer.to_owned())).await;
    let cache = fresh_cache();
    let service = interpreter(&stand_in, Duration::from_secs(5), cache.clone());

    let first = service.interpret(QUERY, Some("en")).await;
    let second = service.interpret("  TOYOTA family   hauler UNDER 300k", Some("en")).await;

    assert_eq!(first.source, InterpretationSource::RulesAndModel);
    assert_eq!(second.source, InterpretationSource::Cache);
    assert_eq!(first.filters, second.filters);
    assert_eq!(stand_in.requests.load(Ordering::SeqCst), 1);

    let failing = start_stand_in(Behaviour::ServerError).await;
    let failing_service = interpreter(&failing, Duration::from_secs(5), fresh_cache());
    failing_service.interpret(QUERY, None).await;
    failing_service.interpret(QUERY, None).await;
    assert_eq!(failing.requests.load(Ordering::SeqCst), 2, "a failure must not be cached");
}

#[tokio::test]
async fn the_model_is_not_asked_when_the_rules_placed_every_word() {
    let stand_in = start_stand_in(Behaviour::Answer(r#"{"body_types":["VAN"]}"#.to_owned())).await;
    let service = interpreter(&stand_in, Duration::from_secs(5), fresh_cache());

    let interpretation = service.interpret("toyota corolla 2018 rojo", Some("es")).await;

    assert_eq!(interpretation.source, InterpretationSource::Rules);
    assert!(interpretation.filters.body_types.is_empty());
    assert_eq!(stand_in.requests.load(Ordering::SeqCst), 0);
}
