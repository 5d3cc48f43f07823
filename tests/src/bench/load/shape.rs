//! The production shape on one machine: each service its own `nds serve` process
//! (the `nds` binary beside this one), one PostgreSQL database per service, Redis,
//! and the edge in front, as the chart deploys them; the catalogue multiplied to
//! the size asked and indexed before any load starts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use base64::Engine;
use nds_common::config::{Config, ServiceName};
use nds_common::runtime::Runtime;
use nds_common::testing::TestDatabase;
use tokio::io::AsyncWriteExt;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use super::catalogue;
use crate::bench::{named_processes_cpu_time, pid_cpu_time, process_cpu_time};
use crate::free_port;

/// Redis database of the load runs, emptied at each start: the tests use others.
const REDIS_URL: &str = "redis://127.0.0.1:6379/13";
const SERVICE_CLIENT: &str = "nds-load";

/// One `nds serve <target>` child process.
struct Served {
    label: &'static str,
    child: tokio::process::Child,
}

/// The shape's processes, and the directory of their data and logs.
struct Processes {
    root: PathBuf,
    served: Vec<Served>,
}

/// Everything the load runs against, and what seeding it took.
pub struct ProductionShape {
    /// Kept to the end: dropping one drops its database.
    _databases: Vec<TestDatabase>,
    processes: Processes,
    pub edge_url: String,
    /// The harness's own runtime on the services' databases (seeding, sampling).
    pub runtime: Runtime,
    /// The demo's accounts (with passwords) and agencies, once seeded.
    pub accounts: Vec<svc_identity::DemoAccount>,
    pub agencies: Vec<svc_identity::DemoAgency>,
    /// What seeding and indexing took, for the report.
    pub seeding: String,
}

/// A CPU reading of every process of the shape, PostgreSQL, Redis and the load generator.
pub struct CpuReading(Vec<(String, Duration)>);

impl ProductionShape {
    /// Databases, migrations, processes, demo data, `listings` listings in all, the index.
    pub async fn start(listings: usize) -> anyhow::Result<ProductionShape> {
        let nds = nds_binary()?;
        flush_redis(REDIS_URL).await?;
        let root = std::env::temp_dir().join(format!("nds-load-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root)?;

        let mut databases = Vec::new();
        for _ in ServiceName::ALL {
            databases.push(TestDatabase::postgres().await);
        }
        let database_vars: Vec<(String, String)> = ServiceName::ALL
            .iter()
            .zip(&databases)
            .map(|(service, database)| (format!("{}_DATABASE_URL", prefix(*service)), database.url().to_string()))
            .collect();
        let grpc_ports: Vec<(ServiceName, u16)> =
            ServiceName::ALL.iter().map(|service| Ok((*service, free_port()?))).collect::<anyhow::Result<_>>()?;

        // Migrations, identity's key-encryption key and the service account the
        // services call each other with, as the chart's hook and secrets provide them.
        let key_encryption_key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>());
        let kek = [("NDS_KEY_ENCRYPTION_KEY".to_string(), key_encryption_key.clone())];
        let bootstrap_config = Config::from_vars(harness_vars(&root, &database_vars, &grpc_ports, &kek))?;
        for service in ServiceName::ALL {
            nds::system::migrate_service(&bootstrap_config, service).await?;
        }
        let bootstrap = nds::system::job_runtime(bootstrap_config).await?;
        let secret = svc_identity::ensure_service_account(
            &bootstrap,
            SERVICE_CLIENT,
            &[nds_common::auth::principal::SCOPE_INTERNAL],
        )
        .await?;
        let credentials = [
            ("NDS_KEY_ENCRYPTION_KEY".to_string(), key_encryption_key),
            ("NDS_SERVICE_CLIENT_ID".to_string(), SERVICE_CLIENT.to_string()),
            ("NDS_SERVICE_CLIENT_SECRET".to_string(), secret.expose().clone()),
        ];

        let shared = shared_vars(&grpc_ports, &credentials);
        let mut processes = Processes { root: root.clone(), served: Vec::new() };
        // Search starts last: it opens the index the reindex below builds.
        for (service, port) in grpc_ports.iter().filter(|(service, _)| *service != ServiceName::Search) {
            processes.serve(&nds, *service, *port, &database_vars, &shared).await?;
        }
        // The harness's runtime signs in as the service account: identity runs now.
        let runtime = nds::system::job_runtime(Config::from_vars(harness_vars(
            &root,
            &database_vars,
            &grpc_ports,
            &credentials,
        ))?)
        .await?;

        let started = Instant::now();
        let demo = nds::demo::seed(&runtime).await?.context("the new databases were seeded before")?;
        let catalog = nds_common::db::connect(&runtime.database_url(ServiceName::Catalog)).await?;
        let total = catalogue::multiply(&catalog, listings).await?;
        catalog.close().await.ok();
        let seeded = started.elapsed();
        let started = Instant::now();
        let reindex = svc_search::run_job(&runtime, "reindex").await?;
        let indexed = started.elapsed();
        let seeding = format!(
            "seeded {total} listings in {:.0} s (demo data through the domain, then copies in SQL); \
             indexed them in {:.0} s ({reindex})\n",
            seeded.as_secs_f64(),
            indexed.as_secs_f64()
        );

        let search_port = grpc_ports.iter().find(|(service, _)| *service == ServiceName::Search).map(|(_, port)| *port);
        processes
            .serve(&nds, ServiceName::Search, search_port.context("search has a port")?, &database_vars, &shared)
            .await?;
        let edge_port = free_port()?;
        let mut edge_vars = shared.clone();
        edge_vars.push(("NDS_HTTP_ADDR".into(), format!("127.0.0.1:{edge_port}")));
        edge_vars.push(("NDS_DATA_DIR".into(), root.join("edge").display().to_string()));
        processes.spawn(&nds, "edge", "edge", &edge_vars)?;
        let edge_url = format!("http://127.0.0.1:{edge_port}");
        wait_for_http(&format!("{edge_url}/healthz")).await?;
        Ok(ProductionShape {
            _databases: databases,
            processes,
            edge_url,
            runtime,
            accounts: demo.identity.accounts,
            agencies: demo.identity.agencies,
            seeding,
        })
    }

    /// CPU time so far of each process (and of PostgreSQL, Redis and this harness).
    pub fn cpu(&self) -> CpuReading {
        let mut reading: Vec<(String, Duration)> = self
            .processes
            .served
            .iter()
            .map(|served| (served.label.to_string(), served.child.id().and_then(pid_cpu_time).unwrap_or_default()))
            .collect();
        reading.push(("postgres".into(), named_processes_cpu_time("postgres")));
        reading.push(("redis".into(), named_processes_cpu_time("redis-server")));
        reading.push(("load generator".into(), process_cpu_time().unwrap_or_default()));
        CpuReading(reading)
    }

    /// Where the processes' logs are.
    pub fn logs(&self) -> &Path {
        &self.processes.root
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        for served in &mut self.processes.served {
            served.child.start_kill().ok();
            served.child.wait().await.ok();
        }
        std::fs::remove_dir_all(&self.processes.root).ok();
        Ok(())
    }
}

impl Processes {
    async fn serve(
        &mut self,
        nds: &Path,
        service: ServiceName,
        port: u16,
        database_vars: &[(String, String)],
        shared: &[(String, String)],
    ) -> anyhow::Result<()> {
        let mut vars = shared.to_vec();
        // One database per service: each process gets its own URL only.
        let own_database = format!("{}_DATABASE_URL", prefix(service));
        vars.extend(database_vars.iter().filter(|(name, _)| *name == own_database).cloned());
        vars.push(("NDS_GRPC_ADDR".into(), format!("127.0.0.1:{port}")));
        vars.push(("NDS_DATA_DIR".into(), self.root.join(service.as_str()).display().to_string()));
        self.spawn(nds, service.as_str(), service.as_str(), &vars)?;
        wait_for_grpc(port).await
    }

    fn spawn(
        &mut self,
        nds: &Path,
        label: &'static str,
        target: &str,
        vars: &[(String, String)],
    ) -> anyhow::Result<()> {
        let log = std::fs::File::create(self.root.join(format!("{label}.log")))?;
        let mut command = tokio::process::Command::new(nds);
        command.args(["serve", target]).stdout(log.try_clone()?).stderr(log).kill_on_drop(true);
        // Only what this shape sets: nothing of the harness's own NDS_* environment.
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("NDS_")) {
            command.env_remove(name);
        }
        command.envs(vars.iter().cloned());
        let child = command.spawn().with_context(|| format!("starting {} serve {target}", nds.display()))?;
        self.served.push(Served { label, child });
        Ok(())
    }
}

impl CpuReading {
    /// Cores each process used between `earlier` and this reading, over `wall`.
    pub fn cores_since(&self, earlier: &CpuReading, wall: Duration) -> Vec<(String, f64)> {
        self.0
            .iter()
            .map(|(label, now)| {
                let before = earlier.0.iter().find(|(name, _)| name == label).map(|(_, cpu)| *cpu).unwrap_or_default();
                (label.clone(), now.saturating_sub(before).as_secs_f64() / wall.as_secs_f64().max(1e-9))
            })
            .collect()
    }
}

fn prefix(service: ServiceName) -> String {
    format!("NDS_{}", service.as_str().to_uppercase())
}

/// What every process of the shape shares: where the others are, Redis, the
/// service account, production-like logs, and limits lifted (all load comes from
/// one address and a handful of accounts, on purpose).
fn shared_vars(grpc_ports: &[(ServiceName, u16)], credentials: &[(String, String)]) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = grpc_ports
        .iter()
        .map(|(service, port)| (format!("{}_URL", prefix(*service)), format!("http://127.0.0.1:{port}")))
        .collect();
    vars.extend(credentials.iter().cloned());
    for (name, value) in [
        ("NDS_REDIS_URL", REDIS_URL),
        ("NDS_LOG_FORMAT", "json"),
        ("NDS_METRICS_ADDR", "127.0.0.1:0"),
        ("NDS_WEBHOOK_ADDR", "127.0.0.1:0"),
        ("NDS_SHUTDOWN_DRAIN_SECS", "0"),
        ("NDS_SHUTDOWN_GRACE_SECS", "2"),
        ("NDS_RATE_LIMIT_PER_CLIENT", "100000000"),
        ("NDS_RATE_LIMIT_PER_USER", "100000000"),
    ] {
        vars.push((name.to_string(), value.to_string()));
    }
    vars
}

/// The harness's own configuration: every database, every service's address, and
/// search's data directory (the reindex job writes the index the search process opens).
fn harness_vars(
    root: &Path,
    database_vars: &[(String, String)],
    grpc_ports: &[(ServiceName, u16)],
    credentials: &[(String, String)],
) -> Vec<(String, String)> {
    let mut vars = shared_vars(grpc_ports, credentials);
    vars.extend(database_vars.iter().cloned());
    vars.push(("NDS_DATA_DIR".into(), root.join(ServiceName::Search.as_str()).display().to_string()));
    vars
}

/// `NDS_BIN`, or the `nds` built beside this harness (`cargo build --release -p nds`).
fn nds_binary() -> anyhow::Result<PathBuf> {
    let path = match std::env::var_os("NDS_BIN") {
        Some(path) => PathBuf::from(path),
        None => std::env::current_exe()?.with_file_name("nds"),
    };
    anyhow::ensure!(
        path.exists(),
        "no nds binary at {} (build it with the same profile, or set NDS_BIN)",
        path.display()
    );
    Ok(path)
}

/// Empties the load runs' Redis database (a raw FLUSHDB: the harness needs no client for one command).
async fn flush_redis(url: &str) -> anyhow::Result<()> {
    let (address, database) =
        url.trim_start_matches("redis://").split_once('/').context("redis URL with a database")?;
    let mut connection = tokio::net::TcpStream::connect(address).await.context("Redis must run for the load test")?;
    let select = format!("*2\r\n$6\r\nSELECT\r\n${}\r\n{database}\r\n*1\r\n$7\r\nFLUSHDB\r\n", database.len());
    connection.write_all(select.as_bytes()).await?;
    let mut replies = Vec::new();
    let mut buffer = [0u8; 64];
    while replies.iter().filter(|byte| **byte == b'\n').count() < 2 {
        let read = tokio::io::AsyncReadExt::read(&mut connection, &mut buffer).await?;
        anyhow::ensure!(read > 0, "Redis closed the connection");
        replies.extend_from_slice(&buffer[..read]);
    }
    anyhow::ensure!(replies == b"+OK\r\n+OK\r\n", "Redis answered {:?}", String::from_utf8_lossy(&replies));
    Ok(())
}

const STARTUP: Duration = Duration::from_secs(60);

async fn wait_for_grpc(port: u16) -> anyhow::Result<()> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    loop {
        if let Ok(channel) = tonic::transport::Endpoint::from_shared(format!("http://{address}"))?.connect().await {
            let status = HealthClient::new(channel).check(HealthCheckRequest { service: String::new() }).await;
            if status.is_ok_and(|response| response.get_ref().status == ServingStatus::Serving as i32) {
                return Ok(());
            }
        }
        anyhow::ensure!(started.elapsed() < STARTUP, "the service on {address} did not start (see its log)");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_for_http(url: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        if reqwest::get(url).await.is_ok_and(|response| response.status().is_success()) {
            return Ok(());
        }
        anyhow::ensure!(started.elapsed() < STARTUP, "{url} did not answer (see the edge's log)");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
