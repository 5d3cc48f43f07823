//! Fault tests: PostgreSQL and Redis go away under a running NDS and come back.
//!
//! The machine's shared servers are never touched (other tests use them right now):
//! each test starts its own private `redis-server` / `postgres` on a free loopback
//! port, kills it and starts it again on the same port, and checks what
//! RELIABILITY.md promises: Redis down → public reads still answer (the cache fails
//! open, rate limits count in-process) and Redis is used again once back;
//! PostgreSQL down → writes fail fast with a clear error, write nothing, and later
//! writes succeed on the same NDS with everything acknowledged before still there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::IpAddr;
use std::time::{Duration, Instant};

use nds_common::config::ServiceName;
use nds_tests::TestSystem;
use nds_tests::client::{LOG_IN, data, error_code};
use serde_json::{Value, json};

use private_servers::{PrivatePostgres, PrivateRedis};

/// Private PostgreSQL and Redis servers for one test, cleaned up on drop.
mod private_servers {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use bb8_redis::redis::{self, AsyncCommands};
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    /// A loopback port nobody listens on right now.
    pub fn free_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    /// Polls `ready` every 50 ms until it holds or `timeout` passes.
    async fn wait_until(timeout: Duration, what: &str, mut ready: impl AsyncFnMut() -> bool) {
        let deadline = Instant::now() + timeout;
        while !ready().await {
            assert!(Instant::now() < deadline, "{what} within {timeout:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends `signal` (a `kill` name: INT, QUIT, ...) to a child process.
    fn signal(child: &Child, signal: &str) {
        Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status().ok();
    }

    /// Waits (blocking; for Drop) up to `timeout` for a child to exit, then kills it.
    fn reap(child: &mut Child, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().ok();
        child.wait().ok();
    }

    // ---------------------------------------------------------------- Redis

    /// A `redis-server` of this test on its own port (no persistence: a restart starts empty).
    pub struct PrivateRedis {
        pub port: u16,
        child: Option<Child>,
    }

    impl PrivateRedis {
        pub async fn start() -> PrivateRedis {
            let mut redis = PrivateRedis { port: free_port(), child: None };
            redis.spawn().await;
            redis
        }

        pub fn url(&self) -> String {
            format!("redis://127.0.0.1:{}", self.port)
        }

        async fn spawn(&mut self) {
            assert!(self.child.is_none(), "redis already running");
            let child = Command::new("redis-server")
                .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|error| panic!("redis-server must be installed: {error}"));
            self.child = Some(child);
            let port = self.port;
            wait_until(Duration::from_secs(15), "private redis answers PING", async || ping(port).await.is_ok()).await;
        }

        /// SIGKILL, as a crashed or partitioned Redis looks to clients; returns once it is gone.
        pub async fn kill(&mut self) {
            let mut child = self.child.take().expect("redis running");
            child.kill().unwrap();
            child.wait().unwrap();
            assert!(ping(self.port).await.is_err(), "killed redis still answers");
        }

        /// Starts again on the same port, empty.
        pub async fn restart(&mut self) {
            self.spawn().await;
        }

        /// `KEYS pattern`, sorted.
        pub async fn keys(&self, pattern: &str) -> Vec<String> {
            let mut connection = connect(self.port).await.unwrap();
            let mut keys: Vec<String> = connection.keys(pattern).await.unwrap();
            keys.sort();
            keys
        }
    }

    impl Drop for PrivateRedis {
        fn drop(&mut self) {
            if let Some(mut child) = self.child.take() {
                child.kill().ok();
                child.wait().ok();
            }
        }
    }

    /// A fresh connection, bounded: a dead Redis must fail the call, not hang it.
    async fn connect(port: u16) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}"))?;
        match tokio::time::timeout(Duration::from_secs(2), client.get_multiplexed_async_connection()).await {
            Ok(connection) => connection,
            Err(_) => Err(redis::RedisError::from((redis::ErrorKind::Io, "redis timed out"))),
        }
    }

    async fn ping(port: u16) -> redis::RedisResult<()> {
        let mut connection = connect(port).await?;
        redis::cmd("PING").query_async::<String>(&mut connection).await.map(|_| ())
    }

    // ----------------------------------------------------------- PostgreSQL

    /// A PostgreSQL cluster of this test in a temporary directory, on its own port.
    pub struct PrivatePostgres {
        pub port: u16,
        root: PathBuf,
        bin: PathBuf,
        /// The account the server runs as when the tests run as root (PostgreSQL refuses root).
        owner: Option<(u32, u32)>,
        child: Option<Child>,
    }

    /// The newest `/usr/lib/postgresql/<version>/bin` holding the server.
    fn postgres_bin() -> PathBuf {
        let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .unwrap_or_else(|error| panic!("PostgreSQL server binaries under /usr/lib/postgresql: {error}"))
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let version = entry.file_name().to_str()?.parse().ok()?;
                let bin = entry.path().join("bin");
                bin.join("postgres").exists().then_some((version, bin))
            })
            .collect();
        candidates.sort();
        candidates.pop().map(|(_, bin)| bin).expect("a PostgreSQL server under /usr/lib/postgresql/*/bin")
    }

    fn id(arguments: &[&str]) -> u32 {
        let output = Command::new("id").args(arguments).output().unwrap();
        assert!(output.status.success(), "id {arguments:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap().trim().parse().unwrap()
    }

    impl PrivatePostgres {
        /// initdb into a temporary directory and start the server.
        pub async fn start() -> PrivatePostgres {
            let owner = (id(&["-u"]) == 0).then(|| (id(&["-u", "postgres"]), id(&["-g", "postgres"])));
            let root = std::env::temp_dir().join(format!("nds-faults-pg-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&root).unwrap();
            std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700)).unwrap();
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::chown(&root, Some(uid), Some(gid)).unwrap();
            }
            let mut postgres = PrivatePostgres { port: free_port(), root, bin: postgres_bin(), owner, child: None };
            let data = postgres.data_dir();
            let status = postgres
                .command("initdb")
                .arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
                .stdout(postgres.log())
                .stderr(postgres.log())
                .status()
                .unwrap();
            assert!(status.success(), "initdb failed:\n{}", postgres.log_text());
            postgres.spawn().await;
            postgres
        }

        fn data_dir(&self) -> PathBuf {
            self.root.join("data")
        }

        fn log_path(&self) -> PathBuf {
            self.root.join("server.log")
        }

        fn log(&self) -> std::fs::File {
            std::fs::OpenOptions::new().create(true).append(true).open(self.log_path()).unwrap()
        }

        pub fn log_text(&self) -> String {
            std::fs::read_to_string(self.log_path()).unwrap_or_default()
        }

        /// A command of the server's bin directory, as the server's account, in its directory.
        fn command(&self, program: &str) -> Command {
            let mut command = Command::new(self.bin.join(program));
            command.current_dir(&self.root).stdin(Stdio::null());
            if let Some((uid, gid)) = self.owner {
                command.uid(uid).gid(gid);
            }
            command
        }

        pub fn url(&self, database: &str) -> String {
            format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
        }

        fn accepting(bin: &Path, port: u16) -> bool {
            Command::new(bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string(), "-t", "1"])
                .status()
                .is_ok_and(|status| status.success())
        }

        async fn spawn(&mut self) {
            assert!(self.child.is_none(), "postgres already running");
            let child = self
                .command("postgres")
                .arg("-D")
                .arg(self.data_dir())
                .args(["-p", &self.port.to_string(), "-k"])
                .arg(&self.root)
                .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"])
                .args(["-c", "shared_buffers=16MB"])
                .stdout(self.log())
                .stderr(self.log())
                .spawn()
                .unwrap();
            self.child = Some(child);
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if Self::accepting(&self.bin, self.port) {
                    return;
                }
                if let Some(status) = self.child.as_mut().and_then(|child| child.try_wait().ok().flatten()) {
                    panic!("private postgres exited with {status}:\n{}", self.log_text());
                }
                assert!(Instant::now() < deadline, "private postgres up within 30 s:\n{}", self.log_text());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }

        /// `CREATE DATABASE name`; returns its URL.
        pub async fn create_database(&self, name: &str) -> String {
            let admin = nds_common::db::connect(&self.url("postgres")).await.unwrap();
            admin
                .execute_raw(Statement::from_string(DbBackend::Postgres, format!("CREATE DATABASE {name}")))
                .await
                .unwrap();
            admin.close().await.ok();
            self.url(name)
        }

        /// A fast shutdown (what `pg_ctl restart` does: every connection is terminated);
        /// returns once the server is gone and refuses connections.
        pub async fn stop(&mut self) {
            let mut child = self.child.take().expect("postgres running");
            signal(&child, "INT");
            let deadline = Instant::now() + Duration::from_secs(30);
            while child.try_wait().unwrap().is_none() {
                assert!(Instant::now() < deadline, "private postgres stops within 30 s:\n{}", self.log_text());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(!Self::accepting(&self.bin, self.port), "stopped postgres still accepts connections");
        }

        /// Starts the same cluster again on the same port.
        pub async fn restart(&mut self) {
            self.spawn().await;
        }
    }

    impl Drop for PrivatePostgres {
        fn drop(&mut self) {
            if let Some(mut child) = self.child.take() {
                // Immediate shutdown: nothing of this cluster is kept.
                signal(&child, "QUIT");
                reap(&mut child, Duration::from_secs(10));
            }
            std::fs::remove_dir_all(&self.root).ok();
        }
    }
}

/// Runs `attempt` until it returns Ok or `timeout` passes; panics with the last failure.
async fn eventually<T>(timeout: Duration, what: &str, mut attempt: impl AsyncFnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match attempt().await {
            Ok(value) => return value,
            Err(failure) if Instant::now() >= deadline => panic!("{what} within {timeout:?}; last: {failure}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// A GraphQL call that must answer within `bound`; returns the answer and how long it took.
async fn bounded(
    system: &TestSystem,
    bound: Duration,
    query: &str,
    variables: Value,
    token: Option<&str>,
) -> (Value, Duration) {
    let started = Instant::now();
    let response = tokio::time::timeout(bound, system.graphql(query, variables, token))
        .await
        .unwrap_or_else(|_| panic!("no answer within {bound:?} (a hang) to {query}"))
        .unwrap();
    (response, started.elapsed())
}

const LISTING_INPUT: &str = "mutation($input: ListingInput!) { createListing(input: $input) { id status } }";
const LISTING: &str =
    "query($id: ID!) { listing(id: $id) { id status make model year price color city description agency { id } } }";
const SEARCH: &str =
    "query($text: String!) { search(input: { text: $text }) { results { totalCount edges { node { id price } } } } }";
const SIGN_UP: &str = "mutation($email: String!) { signUp(input: { email: $email, password: \"una-clave-larga-2026\", name: \"Comprador\" }) { accessToken user { id email } } }";
const BUYER_PASSWORD: &str = "una-clave-larga-2026";

fn listing_input(description: &str, price: i64) -> Value {
    json!({ "input": {
        "make": "VW", "model": "Jetta", "year": 2021, "price": price, "mileageKm": 41_000,
        "bodyType": "SEDAN", "fuel": "GASOLINE", "transmission": "AUTOMATIC", "color": "Rojo",
        "condition": "USED", "city": "Ciudad de México", "state": "CDMX", "description": description } })
}

/// Creates a draft listing as the manager; returns its id.
async fn create_listing(system: &TestSystem, manager: &str, description: &str, price: i64) -> String {
    let created = system.graphql(LISTING_INPUT, listing_input(description, price), Some(manager)).await.unwrap();
    let listing = data(&created, "createListing");
    assert_eq!(listing["status"], "DRAFT");
    listing["id"].as_str().unwrap().to_string()
}

/// Publishes a listing as the manager.
async fn publish(system: &TestSystem, manager: &str, id: &str) {
    let published = system
        .graphql("mutation($id: ID!) { publishListing(id: $id) { status } }", json!({ "id": id }), Some(manager))
        .await
        .unwrap();
    assert_eq!(data(&published, "publishListing")["status"], "PUBLISHED", "{published}");
}

/// Polls an anonymous search for "jetta" until it finds exactly `expected` (the
/// change feed reaches the index in about a second); returns its `results`.
async fn searchable(system: &TestSystem, expected: &[&str], what: &str) -> Value {
    let mut expected: Vec<&str> = expected.to_vec();
    expected.sort();
    eventually(Duration::from_secs(20), what, async || {
        let response = system.graphql(SEARCH, json!({ "text": "jetta" }), None).await.map_err(|e| e.to_string())?;
        if response.get("errors").is_some() {
            return Err(response.to_string());
        }
        let results = response["data"]["search"]["results"].clone();
        let mut found: Vec<&str> = results["edges"]
            .as_array()
            .map(|edges| edges.iter().filter_map(|edge| edge["node"]["id"].as_str()).collect())
            .unwrap_or_default();
        found.sort();
        (found == expected && results["totalCount"] == expected.len())
            .then(|| results.clone())
            .ok_or_else(|| response.to_string())
    })
    .await
}

/// An error answer to a write while a dependency is down: UNAVAILABLE or INTERNAL, with a message.
fn assert_clear_failure(response: &Value, field: &str, what: &str) {
    let code = error_code(response);
    assert!(matches!(code.as_str(), "UNAVAILABLE" | "INTERNAL"), "{what}: unexpected code {code} in {response}");
    let message = response["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(!message.trim().is_empty(), "{what}: an error without a message: {response}");
    assert!(
        response["data"].is_null() || response["data"][field].is_null(),
        "{what}: a failed write must not return data: {response}"
    );
}

/// One call per service that needs its database, straight over gRPC, each
/// expected to be refused with UNAVAILABLE: a database outage is retryable
/// whichever service meets it (issue 18: billing, search and chat said INTERNAL).
async fn every_service_answers_unavailable(system: &TestSystem, admin: &str, manager: &str, agency_id: &str) {
    use nds_proto::billing::v1::{GetBillingStatusRequest, billing_service_client::BillingServiceClient};
    use nds_proto::catalog::v1::{GetListingsRequest, catalog_service_client::CatalogServiceClient};
    use nds_proto::chat::v1::{ListConversationsRequest, chat_service_client::ChatServiceClient};
    use nds_proto::identity::v1::{GetMeRequest, identity_service_client::IdentityServiceClient};
    use nds_proto::search::v1::{GetIndexStatusRequest, search_service_client::SearchServiceClient};
    let channel = tonic::transport::Endpoint::from_shared(system.grpc_url()).unwrap().connect().await.unwrap();
    let call = |token: &str| nds_common::grpc::CallContext::new(Duration::from_secs(10)).with_bearer(token);
    let mut answers = Vec::new();
    let identity =
        IdentityServiceClient::new(channel.clone()).get_me(call(manager).request(GetMeRequest {})).await.map(|_| ());
    answers.push(("identity", identity));
    let listings = GetListingsRequest { ids: vec![uuid::Uuid::new_v4().to_string()] };
    let catalog =
        CatalogServiceClient::new(channel.clone()).get_listings(call(manager).request(listings)).await.map(|_| ());
    answers.push(("catalog", catalog));
    let status = GetBillingStatusRequest { agency_id: agency_id.to_string() };
    let billing =
        BillingServiceClient::new(channel.clone()).get_billing_status(call(admin).request(status)).await.map(|_| ());
    answers.push(("billing", billing));
    let search = SearchServiceClient::new(channel.clone())
        .get_index_status(call(admin).request(GetIndexStatusRequest {}))
        .await
        .map(|_| ());
    answers.push(("search", search));
    let chat = ChatServiceClient::new(channel)
        .list_conversations(call(manager).request(ListConversationsRequest { page: None }))
        .await
        .map(|_| ());
    answers.push(("chat", chat));
    for (service, answer) in answers {
        let status = answer.expect_err(&format!("{service} answered with its database down"));
        assert_eq!(status.code(), tonic::Code::Unavailable, "{service}: {status:?}");
        assert!(!status.message().trim().is_empty(), "{service}: an error without a message");
    }
}

/// Redis dies under a running NDS and comes back empty on the same port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_going_away_keeps_public_reads_answering_and_is_used_again_when_back() {
    const PER_CLIENT: usize = 120;
    let mut redis = PrivateRedis::start().await;
    let per_client = PER_CLIENT.to_string();
    let system = TestSystem::start(&[("NDS_REDIS_URL", &redis.url()), ("NDS_RATE_LIMIT_PER_CLIENT", &per_client)])
        .await
        .unwrap();
    assert_eq!(system.running.as_ref().unwrap().runtime.cache.backend_name(), "redis");

    // A published listing anyone may read and find.
    let agency = system.onboard_agency("Autos Redis", "ARE020202AB2", "gerente@autosredis.mx").await;
    let listing_id = create_listing(&system, &agency.manager_token, "Un solo dueño", 38_900_000).await;
    publish(&system, &agency.manager_token, &listing_id).await;
    let read = json!({ "id": listing_id });
    let before = system.graphql(LISTING, read.clone(), None).await.unwrap();
    let before = data(&before, "listing").clone();
    assert_eq!(before["id"], listing_id.as_str());
    assert_eq!(before["status"], "PUBLISHED");
    assert_eq!(before["price"], 38_900_000);
    let search_before = searchable(&system, &[&listing_id], "the published listing is searchable").await;

    // NDS really uses this Redis: the listing is cached there and the edge counts there.
    let listing_key = format!("nds:listing:{listing_id}");
    assert!(redis.keys("nds:listing:*").await.contains(&listing_key), "{:?}", redis.keys("nds:*").await);
    // The edge adds its counts to Redis a few times a second.
    eventually(Duration::from_secs(5), "the edge counts requests in redis", async || {
        let keys = redis.keys("nds:ratelimit:client:*").await;
        if keys.is_empty() { Err(format!("{:?}", redis.keys("nds:*").await)) } else { Ok(()) }
    })
    .await;

    redis.kill().await;

    // Public reads answer the same, quickly: the cache fails open to the database.
    for _ in 0..3 {
        let (response, took) = bounded(&system, Duration::from_secs(10), LISTING, read.clone(), None).await;
        assert_eq!(data(&response, "listing"), &before, "the listing read with Redis down");
        assert!(took < Duration::from_secs(3), "a read with Redis down took {took:?}");
    }
    let (response, took) = bounded(&system, Duration::from_secs(10), SEARCH, json!({ "text": "jetta" }), None).await;
    assert_eq!(data(&response, "search")["results"], search_before, "search with Redis down");
    assert!(took < Duration::from_secs(3), "a search with Redis down took {took:?}");

    // Rate limits still hold, counted in-process: an anonymous client is refused
    // within the limit (twice the limit if the one-minute window turns meanwhile).
    // It floods from an address of its own: the edge keeps refusing it until the
    // window turns, and the reads below come from 127.0.0.1, another client.
    let http = reqwest::Client::builder().local_address(IpAddr::from([127, 0, 0, 2])).build().unwrap();
    let url = system.http_url("/graphql");
    let mut refused = None;
    'flood: for _ in 0..(2 * PER_CLIENT + 16).div_ceil(16) {
        let batch = (0..16).map(|_| {
            http.post(&url).json(&json!({ "query": "{ __typename }" })).timeout(Duration::from_secs(10)).send()
        });
        for response in futures::future::join_all(batch).await {
            let response = response.expect("the edge answers with Redis down");
            if response.status() == reqwest::StatusCode::TOO_MANY_REQUESTS {
                refused = Some(response.json::<Value>().await.unwrap());
                break 'flood;
            }
            assert!(response.status().is_success(), "{}", response.status());
        }
    }
    let refused = refused.expect("Redis down must not mean no rate limit");
    assert_eq!(error_code(&refused), "UNAVAILABLE", "{refused}");

    redis.restart().await;
    // It starts empty: what NDS writes from now on proves it reconnected.
    let stale = redis.keys("nds:*").await;
    assert!(!stale.contains(&listing_key), "{stale:?}");

    // Without restarting NDS, it uses the new Redis again: the read is cached there and
    // the request counted there (reconnecting takes a moment, so poll).
    eventually(Duration::from_secs(20), "NDS uses the restarted redis", async || {
        let response = system.graphql(LISTING, read.clone(), None).await.map_err(|e| e.to_string())?;
        if response.get("errors").is_some() || response["data"]["listing"] != before {
            return Err(format!("read answered {response}"));
        }
        let keys = redis.keys("nds:*").await;
        let counted = keys.iter().any(|key| key.starts_with("nds:ratelimit:client:"));
        (keys.contains(&listing_key) && counted).then_some(()).ok_or_else(|| format!("keys {keys:?}"))
    })
    .await;
    let (response, _) = bounded(&system, Duration::from_secs(10), SEARCH, json!({ "text": "jetta" }), None).await;
    assert_eq!(data(&response, "search")["results"], search_before, "search after Redis came back");
    system.stop().await.unwrap();
}

/// PostgreSQL (every service's database) stops under a running NDS and starts again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarting_fails_writes_clearly_and_nds_recovers_without_losing_acknowledged_data() {
    let mut postgres = PrivatePostgres::start().await;
    let mut vars = Vec::new();
    for service in ServiceName::ALL {
        // One database per service: each has its own migration history.
        let url = postgres.create_database(&format!("nds_{}", service.as_str())).await;
        vars.push((format!("NDS_{}_DATABASE_URL", service.as_str().to_ascii_uppercase()), url));
    }
    let vars: Vec<(&str, &str)> = vars.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
    let system = TestSystem::start(&vars).await.unwrap();

    // Before: writes through identity and catalog are acknowledged.
    let agency = system.onboard_agency("Autos Postgres", "APG030303AB3", "gerente@autospostgres.mx").await;
    let manager = agency.manager_token.clone();
    let before_buyer = system.sign_up_buyer("antes@example.com", BUYER_PASSWORD).await;
    assert!(!before_buyer.is_empty());
    let before_listing = create_listing(&system, &manager, "Creado antes de la caída", 38_900_000).await;
    publish(&system, &manager, &before_listing).await;
    searchable(&system, &[&before_listing], "the listing published before the outage is searchable").await;
    let read = json!({ "id": before_listing });
    let listing_before = system.graphql(LISTING, read.clone(), Some(&manager)).await.unwrap();
    let listing_before = data(&listing_before, "listing").clone();
    assert_eq!(listing_before["description"], "Creado antes de la caída");

    let admin = system.admin_token().await;

    postgres.stop().await;

    // While it is down, every service answers UNAVAILABLE (retryable), not INTERNAL.
    every_service_answers_unavailable(&system, &admin, &manager, &agency.id).await;

    // While it is down, writes fail with a clear error, promptly (not a hang).
    let bound = Duration::from_secs(15);
    let (signed_up, took) = bounded(&system, bound, SIGN_UP, json!({ "email": "durante@example.com" }), None).await;
    assert_clear_failure(&signed_up, "signUp", "signUp with PostgreSQL down");
    assert!(took < Duration::from_secs(10), "signUp with PostgreSQL down took {took:?}");
    let (created, took) =
        bounded(&system, bound, LISTING_INPUT, listing_input("Creado durante la caída", 11_111_100), Some(&manager))
            .await;
    assert_clear_failure(&created, "createListing", "createListing with PostgreSQL down");
    assert!(took < Duration::from_secs(10), "createListing with PostgreSQL down took {took:?}");

    postgres.restart().await;

    // The same NDS recovers: a later write succeeds (earlier attempts may still fail fast).
    let recovered = Instant::now();
    let mut attempt = 0;
    let first = eventually(Duration::from_secs(30), "a sign-up succeeds after PostgreSQL restarted", async || {
        attempt += 1;
        let email = format!("despues-{attempt}@example.com");
        let (response, _) = bounded(&system, bound, SIGN_UP, json!({ "email": email }), None).await;
        match response.get("errors") {
            None => Ok(data(&response, "signUp")["user"]["email"].as_str().unwrap().to_string()),
            Some(_) => Err(response.to_string()),
        }
    })
    .await;
    assert!(first.starts_with("despues-"), "{first}");
    eprintln!("writes recovered {:?} after PostgreSQL restarted ({attempt} attempts)", recovered.elapsed());

    // Everything acknowledged before the outage is still there.
    let logged_in = system
        .graphql(LOG_IN, json!({ "email": "antes@example.com", "password": BUYER_PASSWORD }), None)
        .await
        .unwrap();
    assert_eq!(data(&logged_in, "logIn")["user"]["email"], "antes@example.com");
    let listing_after = system.graphql(LISTING, read, Some(&manager)).await.unwrap();
    assert_eq!(data(&listing_after, "listing"), &listing_before, "the listing written before the outage");

    // Nothing of the failed writes appeared: no half-made account blocks the address,
    // and the agency has only the listing written before.
    let refused = system
        .graphql(LOG_IN, json!({ "email": "durante@example.com", "password": BUYER_PASSWORD }), None)
        .await
        .unwrap();
    assert_eq!(error_code(&refused), "UNAUTHENTICATED", "the failed sign-up left an account: {refused}");
    let again = system.graphql(SIGN_UP, json!({ "email": "durante@example.com" }), None).await.unwrap();
    assert_eq!(data(&again, "signUp")["user"]["email"], "durante@example.com");
    let listings = "query($agency: ID!) { listings(agencyId: $agency, first: 50) { totalCount edges { node { id description } } } }";
    let agency_listings = system.graphql(listings, json!({ "agency": agency.id }), Some(&manager)).await.unwrap();
    let agency_listings = data(&agency_listings, "listings");
    let ids: Vec<&str> =
        agency_listings["edges"].as_array().unwrap().iter().map(|edge| edge["node"]["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![before_listing.as_str()], "only the acknowledged listing: {agency_listings}");

    // And catalog writes work again on the same NDS, and search follows the change feed again.
    let after_listing = create_listing(&system, &manager, "Creado después de la caída", 37_500_000).await;
    let agency_listings = system.graphql(listings, json!({ "agency": agency.id }), Some(&manager)).await.unwrap();
    assert_eq!(data(&agency_listings, "listings")["totalCount"], 2, "{agency_listings}");
    assert_ne!(after_listing, before_listing);
    publish(&system, &manager, &after_listing).await;
    searchable(&system, &[&before_listing, &after_listing], "a listing published after the restart is searchable")
        .await;
    system.stop().await.unwrap();
}
