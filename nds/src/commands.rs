//! What each subcommand does.

use anyhow::Context;
use nds_common::config::{Config, ServiceName};

use crate::cli::{AdminTask, Command, JobName, ServeTarget};
use crate::system::{self, SystemOptions};

pub async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Dev { data_dir, no_demo } => dev(config, data_dir, no_demo).await,
        Command::Serve { target } => serve(config, target).await,
        Command::Migrate { service } => {
            let services = match service {
                Some(target) => vec![target.service()],
                None => ServiceName::ALL.to_vec(),
            };
            for service in services {
                system::migrate_service(&config, service).await?;
                println!("migrated {}", service.as_str());
            }
            Ok(())
        }
        Command::Job { name } => job(config, name).await,
        Command::Admin { task: AdminTask::CreatePlatformAdmin { email } } => {
            let password =
                std::env::var("NDS_ADMIN_PASSWORD").context("set NDS_ADMIN_PASSWORD to the new admin's password")?;
            config.require_database_url(ServiceName::Identity)?;
            let runtime = system::job_runtime(config).await?;
            let user_id = svc_identity::bootstrap_platform_admin(&runtime, &email, &password).await?;
            println!("platform admin {email} ({user_id})");
            Ok(())
        }
    }
}

async fn dev(mut config: Config, data_dir: Option<std::path::PathBuf>, no_demo: bool) -> anyhow::Result<()> {
    if let Some(data_dir) = data_dir {
        config.data_dir = data_dir;
    }
    // The buyer site and the edge share this process on loopback.
    config.trust_loopback_proxies();
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let running = system::start(config, SystemOptions::everything()).await?;
    running.shutdown().trigger_on_os_signal();
    if !no_demo {
        let logins = crate::demo::load(&running.runtime).await?;
        println!("{logins}");
    }
    if let Some(address) = running.site_addr {
        println!("Site (buyers): http://localhost:{}/", address.port());
    }
    if let Some(address) = running.panel_addr {
        println!("Panel (staff): http://localhost:{}/", address.port());
    }
    if let Some(address) = running.http_addr {
        println!("GraphQL (GraphiQL): http://localhost:{}/graphql", address.port());
    }
    if let Some(address) = running.grpc_addr {
        println!("gRPC (all services, reflection on): localhost:{}", address.port());
    }
    running.wait().await
}

async fn serve(config: Config, target: ServeTarget) -> anyhow::Result<()> {
    let options = match (target, target.service()) {
        (_, Some(service)) => SystemOptions { services: vec![service], ..SystemOptions::nothing() },
        (ServeTarget::Site, None) => SystemOptions { site: true, ..SystemOptions::nothing() },
        (ServeTarget::Panel, None) => SystemOptions { panel: true, ..SystemOptions::nothing() },
        (_, None) => SystemOptions { edge: true, ..SystemOptions::nothing() },
    };
    let metrics_addr = config.metrics_addr;
    let running = system::start(config, options).await?;
    running.shutdown().trigger_on_os_signal();
    if target.service().is_some() {
        // Services expose Prometheus metrics on their own port; the edge serves /metrics itself.
        let listener = tokio::net::TcpListener::bind(metrics_addr)
            .await
            .with_context(|| format!("binding metrics on {metrics_addr}"))?;
        let shutdown = running.shutdown().clone();
        tokio::spawn(async move {
            let served = axum::serve(listener, nds_common::telemetry::metrics_router())
                .with_graceful_shutdown(async move { shutdown.wait().await })
                .await;
            if let Err(error) = served {
                tracing::error!(error = %error, "metrics listener failed");
            }
        });
    }
    running.wait().await
}

async fn job(config: Config, name: JobName) -> anyhow::Result<()> {
    config.require_database_url(name.database())?;
    let runtime = system::job_runtime(config).await?;
    let report = match name {
        JobName::ExpirePromotions | JobName::StartUsageNewMonth => {
            svc_billing::run_job_with(&runtime, name.as_str(), &system::billing_options(&runtime)).await?
        }
        JobName::FlushViewCounters => svc_catalog::run_job(&runtime, name.as_str()).await?,
        JobName::Reindex => svc_search::run_job(&runtime, name.as_str()).await?,
        JobName::RotateSigningKey | JobName::PruneSessions => svc_identity::run_job(&runtime, name.as_str()).await?,
    };
    println!("{report}");
    Ok(())
}
