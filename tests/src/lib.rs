//! End-to-end test support: start NDS exactly as `nds dev` does, on random ports,
//! with its own data directory, and talk to it as clients do (GraphQL over HTTP,
//! gRPC), plus the benchmark harness (`src/bench`).

pub mod bench;
pub mod browser;
pub mod client;
pub mod inventory;
pub mod otlp;
pub mod photos;
pub mod stripe;

/// A loopback port free a moment ago, for a child process told where to listen
/// (chromedriver, the load test's `nds serve` processes).
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Loads `nds dev`'s demo data into a running test system (benchmarks).
pub async fn demo_load(runtime: &nds_common::runtime::Runtime) -> anyhow::Result<String> {
    nds::demo::load(runtime).await
}

use std::net::SocketAddr;
use std::path::PathBuf;

use nds::system::{self, RunningSystem, SystemOptions};
use nds_common::config::Config;
use serde_json::Value;

/// A whole NDS in this process, with embedded defaults under a temporary directory.
pub struct TestSystem {
    pub running: Option<RunningSystem>,
    pub grpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
    pub site_addr: SocketAddr,
    pub panel_addr: SocketAddr,
    pub data_dir: PathBuf,
    http: reqwest::Client,
}

impl TestSystem {
    /// Starts everything `nds dev` starts; `extra` adds or overrides NDS_* variables.
    pub async fn start(extra: &[(&str, &str)]) -> anyhow::Result<TestSystem> {
        let data_dir = std::env::temp_dir().join(format!("nds-e2e-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&data_dir)?;
        // Every listener on port 0; the site's links to the panel name the panel's
        // bound address (`nds::system::start` binds it first).
        let mut vars = vec![
            ("NDS_PANEL_ADDR".to_string(), "127.0.0.1:0".to_string()),
            ("NDS_DATA_DIR".to_string(), data_dir.display().to_string()),
            ("NDS_GRPC_ADDR".to_string(), "127.0.0.1:0".to_string()),
            ("NDS_HTTP_ADDR".to_string(), "127.0.0.1:0".to_string()),
            ("NDS_SITE_ADDR".to_string(), "127.0.0.1:0".to_string()),
            ("NDS_SHUTDOWN_DRAIN_SECS".to_string(), "0".to_string()),
            ("NDS_SHUTDOWN_GRACE_SECS".to_string(), "2".to_string()),
        ];
        vars.extend(extra.iter().map(|(name, value)| (name.to_string(), value.to_string())));
        let config = Config::from_vars(vars)?;
        let running = system::start(config, SystemOptions::everything()).await?;
        let grpc_addr = running.grpc_addr.ok_or_else(|| anyhow::anyhow!("no gRPC listener"))?;
        let http_addr = running.http_addr.ok_or_else(|| anyhow::anyhow!("no HTTP listener"))?;
        let site_addr = running.site_addr.ok_or_else(|| anyhow::anyhow!("no site listener"))?;
        let panel_addr = running.panel_addr.ok_or_else(|| anyhow::anyhow!("no panel listener"))?;
        Ok(TestSystem {
            running: Some(running),
            grpc_addr,
            http_addr,
            site_addr,
            panel_addr,
            data_dir,
            http: reqwest::Client::new(),
        })
    }

    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc_addr)
    }

    /// The staff panel, as a browser reaches it.
    pub fn panel_url(&self, path: &str) -> String {
        format!("http://{}{}", self.panel_addr, path)
    }

    /// The buyer site, as a browser reaches it.
    pub fn site_url(&self, path: &str) -> String {
        format!("http://{}{}", self.site_addr, path)
    }

    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{}", self.http_addr, path)
    }

    /// POSTs a GraphQL document and returns the whole JSON response.
    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .post(self.http_url("/graphql"))
            .json(&serde_json::json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Ok(request.send().await?.json().await?)
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(running) = self.running.take() {
            running.stop().await?;
        }
        Ok(())
    }
}

impl Drop for TestSystem {
    fn drop(&mut self) {
        if let Some(running) = &self.running {
            running.shutdown().trigger();
        }
        std::fs::remove_dir_all(&self.data_dir).ok();
    }
}
