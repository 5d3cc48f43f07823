//! A small local HTTP server that replays recorded Elasticsearch exchanges:
//! each incoming request must match the next recording (method, path, body),
//! and gets the recorded response. Mismatches are collected and reported by
//! [`Replay::assert_complete`].

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

#[derive(Clone, Debug)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    pub json: Option<Value>,
    pub ndjson: Option<Vec<Value>>,
    pub status: u16,
    pub body: Option<Value>,
}

/// Loads `tests/recordings/<name>.json`.
pub fn recording(name: &str) -> Vec<Exchange> {
    let path = format!("{}/tests/recordings/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
    let file: Value = serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"));
    assert!(file["source"].as_str().is_some_and(|source| !source.is_empty()), "{path} must say where it comes from");
    file["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|exchange| {
            let request = &exchange["request"];
            let response = &exchange["response"];
            Exchange {
                method: request["method"].as_str().unwrap().to_string(),
                path: request["path"].as_str().unwrap().to_string(),
                json: request.get("json").cloned(),
                ndjson: request.get("ndjson").and_then(Value::as_array).cloned(),
                status: response["status"].as_u64().unwrap() as u16,
                body: response.get("body").cloned(),
            }
        })
        .collect()
}

/// `*` matches any run of characters.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (position, part) in parts.iter().enumerate() {
        if position == 0 {
            let Some(stripped) = rest.strip_prefix(part) else { return false };
            rest = stripped;
        } else if position == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(found) = rest.find(part) else { return false };
            rest = &rest[found + part.len()..];
        }
    }
    true
}

/// Expected objects match as subsets; arrays element-wise with equal length;
/// strings as globs; numbers by value.
pub fn json_matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => expected
            .iter()
            .all(|(key, value)| actual.get(key).is_some_and(|actual_value| json_matches(value, actual_value))),
        (Value::Array(expected), Value::Array(actual)) => {
            expected.len() == actual.len() && expected.iter().zip(actual).all(|(left, right)| json_matches(left, right))
        }
        (Value::String(expected), Value::String(actual)) => glob(expected, actual),
        (Value::Number(expected), Value::Number(actual)) => expected.as_f64() == actual.as_f64(),
        _ => expected == actual,
    }
}

#[derive(Default)]
struct State {
    expected: VecDeque<Exchange>,
    failures: Vec<String>,
    served: usize,
}

pub struct Replay {
    pub url: String,
    state: Arc<Mutex<State>>,
}

fn check(expected: &Exchange, method: &Method, uri: &Uri, body: &[u8]) -> Result<(), String> {
    if expected.method != method.as_str() {
        return Err(format!("expected {} {}, got {method} {uri}", expected.method, expected.path));
    }
    if !glob(&expected.path, uri.path()) {
        return Err(format!("expected path {}, got {}", expected.path, uri.path()));
    }
    let text = std::str::from_utf8(body).map_err(|_| "body is not UTF-8".to_string())?;
    if let Some(json) = &expected.json {
        let actual: Value = serde_json::from_str(text).map_err(|error| format!("{uri}: body is not JSON: {error}"))?;
        if !json_matches(json, &actual) {
            return Err(format!("{uri}: body\n{actual}\ndoes not match the recording\n{json}"));
        }
    }
    if let Some(lines) = &expected.ndjson {
        if !text.ends_with('\n') {
            return Err(format!("{uri}: NDJSON must end with a newline"));
        }
        let actual: Vec<Value> = text
            .lines()
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()
            .map_err(|error| format!("{uri}: a line is not JSON: {error}"))?;
        if !json_matches(&Value::Array(lines.clone()), &Value::Array(actual.clone())) {
            return Err(format!("{uri}: NDJSON {actual:?} does not match the recording {lines:?}"));
        }
    }
    Ok(())
}

impl Replay {
    pub async fn start(exchanges: Vec<Exchange>) -> Replay {
        let state = Arc::new(Mutex::new(State { expected: exchanges.into(), ..State::default() }));
        let handler_state = state.clone();
        let app = axum::Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
            let state = handler_state.clone();
            async move {
                let mut state = state.lock().unwrap();
                let Some(expected) = state.expected.pop_front() else {
                    state.failures.push(format!("unexpected extra request {method} {uri}"));
                    return StatusCode::IM_A_TEAPOT.into_response();
                };
                if let Err(failure) = check(&expected, &method, &uri, &body) {
                    state.failures.push(failure);
                    return StatusCode::IM_A_TEAPOT.into_response();
                }
                state.served += 1;
                let status = StatusCode::from_u16(expected.status).unwrap();
                let mut response: Response = match expected.body {
                    Some(body) if method != Method::HEAD => (status, axum::Json(body)).into_response(),
                    _ => status.into_response(),
                };
                response.headers_mut().insert("x-elastic-product", HeaderValue::from_static("Elasticsearch"));
                response
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        Replay { url: format!("http://{address}"), state }
    }

    /// Every recorded exchange was requested, in order, and nothing else.
    pub fn assert_complete(&self) {
        let state = self.state.lock().unwrap();
        assert!(state.failures.is_empty(), "replay mismatches:\n{}", state.failures.join("\n"));
        assert!(
            state.expected.is_empty(),
            "{} recorded exchanges never requested (served {})",
            state.expected.len(),
            state.served
        );
    }
}
