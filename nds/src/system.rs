//! Assembles NDS in one process: the runtime, the services' gRPC server, the edge,
//! the services' HTTP routes (billing's webhook, catalog's media). `nds dev` runs
//! all of it; `nds serve <service>` one part; tests start it on random ports with
//! their own data directory.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::serve::ListenerExt;
use nds_common::auth::principal::SCOPE_INTERNAL;
use nds_common::config::{Config, ServiceName};
use nds_common::grpc::{GrpcServeOptions, serve_grpc};
use nds_common::runtime::Runtime;
use nds_common::service_token::{ServiceCredentialsConfig, ServiceTokens};
use nds_common::shutdown::Shutdown;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tonic::service::RoutesBuilder;

/// What one process runs.
#[derive(Clone, Debug)]
pub struct SystemOptions {
    pub services: Vec<ServiceName>,
    pub edge: bool,
    /// The buyer site (`web/`), a client of the edge over HTTP.
    pub site: bool,
    /// The staff panel (`web/`), likewise.
    pub panel: bool,
    /// Apply migrations before starting (`nds dev`; production runs `nds migrate` as a hook).
    pub migrate: bool,
}

impl SystemOptions {
    pub fn everything() -> Self {
        Self { services: ServiceName::ALL.to_vec(), edge: true, site: true, panel: true, migrate: true }
    }

    /// Runs nothing: the base that `nds serve <one thing>` adds its one thing to.
    pub fn nothing() -> Self {
        Self { services: Vec::new(), edge: false, site: false, panel: false, migrate: false }
    }
}

pub struct RunningSystem {
    pub runtime: Runtime,
    pub grpc_addr: Option<SocketAddr>,
    pub http_addr: Option<SocketAddr>,
    /// The services' own HTTP listener (billing's webhook, catalog's media routes),
    /// when they run without the edge.
    pub webhook_addr: Option<SocketAddr>,
    /// The buyer site's listener.
    pub site_addr: Option<SocketAddr>,
    /// The staff panel's listener.
    pub panel_addr: Option<SocketAddr>,
    tasks: JoinSet<anyhow::Result<()>>,
}

impl RunningSystem {
    pub fn shutdown(&self) -> &Shutdown {
        &self.runtime.shutdown
    }

    /// Waits until every listener stopped (after the shutdown signal), or one failed.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        while let Some(result) = self.tasks.join_next().await {
            match result {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    self.runtime.shutdown.trigger();
                    return Err(error);
                }
                Err(join_error) => {
                    self.runtime.shutdown.trigger();
                    return Err(anyhow::anyhow!("a listener task failed: {join_error}"));
                }
            }
        }
        Ok(())
    }

    /// Triggers shutdown and waits for the listeners to finish.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.runtime.shutdown.trigger();
        self.wait().await
    }
}

/// Applies one service's migrations to its configured database.
pub async fn migrate_service(config: &Config, service: ServiceName) -> anyhow::Result<()> {
    config.require_database_url(service)?;
    let url = config.database_url(service);
    let result = match service {
        ServiceName::Identity => svc_identity::migrate(&url).await,
        ServiceName::Catalog => svc_catalog::migrate(&url).await,
        ServiceName::Search => svc_search::migrate(&url).await,
        ServiceName::Billing => svc_billing::migrate(&url).await,
        ServiceName::Chat => svc_chat::migrate(&url).await,
    };
    result.with_context(|| format!("migrating {}", service.as_str()))
}

/// Billing's options in this process: its calls on its own behalf carry the runtime's service token.
pub fn billing_options(runtime: &Runtime) -> svc_billing::BillingOptions {
    svc_billing::BillingOptions {
        service_credentials: svc_billing::clients::ServiceCredentials { tokens: runtime.service_tokens.clone() },
        ..svc_billing::BillingOptions::default()
    }
}

/// What a service brings besides its gRPC routes.
#[derive(Default)]
struct ServiceExtras {
    /// HTTP routes it owns (billing's webhook, catalog's media).
    http: Option<axum::Router>,
    /// Background parts whose death health must report (billing's workers).
    health_signal: Option<nds_common::grpc::HealthSignal>,
}

/// Adds one service to the gRPC routes.
async fn add_service(
    routes: &mut RoutesBuilder,
    runtime: &Runtime,
    service: ServiceName,
) -> anyhow::Result<ServiceExtras> {
    match service {
        ServiceName::Identity => {
            routes.add_service(svc_identity::build(runtime).await.context("starting identity")?);
        }
        ServiceName::Catalog => {
            let parts = svc_catalog::build(runtime).await.context("starting catalog")?;
            routes.add_service(parts.grpc);
            return Ok(ServiceExtras { http: Some(parts.media), health_signal: None });
        }
        ServiceName::Search => {
            routes.add_service(svc_search::build(runtime).await.context("starting search")?);
        }
        ServiceName::Billing => {
            let parts = svc_billing::build_with(runtime, billing_options(runtime)).await.context("starting billing")?;
            routes.add_service(parts.grpc);
            return Ok(ServiceExtras {
                http: Some(parts.webhook),
                health_signal: Some(parts.workers.health_signal(service_health_name(service))),
            });
        }
        ServiceName::Chat => {
            routes.add_service(svc_chat::build(runtime).await.context("starting chat")?);
        }
    }
    Ok(ServiceExtras::default())
}

/// The service account `nds dev` uses for calls on its own behalf (created on start).
const DEV_SERVICE_CLIENT: &str = "nds-dev";

pub fn service_health_name(service: ServiceName) -> &'static str {
    use nds_proto::service_names;
    match service {
        ServiceName::Identity => service_names::IDENTITY,
        ServiceName::Catalog => service_names::CATALOG,
        ServiceName::Search => service_names::SEARCH,
        ServiceName::Billing => service_names::BILLING,
        ServiceName::Chat => service_names::CHAT,
    }
}

/// Small responses must not wait for Nagle's algorithm (~40 ms with delayed ACKs).
fn set_nodelay(stream: &mut tokio::net::TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(error = %error, "cannot set TCP_NODELAY");
    }
}

/// The runtime of a process that runs no server (`nds job`): the other services are
/// reached at their configured URLs, and the service token is fetched up front.
pub async fn job_runtime(config: Config) -> anyhow::Result<Runtime> {
    let config = Arc::new(config);
    let cache = nds_common::cache::from_config(config.redis_url.as_ref().map(|url| url.expose().as_str()), "nds:")?;
    let mailer = nds_common::mail::from_config(
        config.smtp_url.as_ref().map(|url| url.expose().as_str()),
        &config.mail_from,
        &config.data_dir,
    )?;
    let local_grpc_url = format!("http://127.0.0.1:{}", config.grpc_addr.port());
    let runtime = Runtime::new(config, cache, mailer, &local_grpc_url, Shutdown::new())?;
    if let Some(tokens) = &runtime.service_tokens {
        tokens.refresh().await.context("obtaining the service token from identity")?;
    }
    Ok(runtime)
}

/// The edge's view of the runtime: when the media routes are mounted on this very
/// edge and nobody named their public address, photo URLs point at this listener
/// (tests bind port 0, so only the bound address is right).
fn edge_runtime(runtime: &Runtime, edge_address: SocketAddr, serves_media: bool) -> Runtime {
    let mut config = (*runtime.config).clone();
    if !with_local_media(&mut config, edge_address, serves_media) {
        return runtime.clone();
    }
    Runtime { config: Arc::new(config), ..runtime.clone() }
}

/// Points the media URL at this edge when it serves the media routes and nobody
/// named their public address; true when it changed anything.
fn with_local_media(config: &mut Config, edge_address: SocketAddr, serves_media: bool) -> bool {
    if !serves_media || config.media.public_url_configured {
        return false;
    }
    config.media.public_url = format!("http://127.0.0.1:{}/media", edge_address.port());
    true
}

async fn bind_front_end(name: &str, address: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address).await.with_context(|| format!("binding the {name} on {address}"))
}

/// What starting a front end (the site or the panel) needs from the process.
struct FrontEndContext<'a> {
    config: &'a Config,
    runtime: &'a Runtime,
    shutdown: &'a Shutdown,
}

impl FrontEndContext<'_> {
    /// Binds `address`, serves the app there until shutdown; returns the bound address.
    async fn start(
        &self,
        tasks: &mut JoinSet<anyhow::Result<()>>,
        app: nds_web::App,
        listener: TcpListener,
    ) -> anyhow::Result<SocketAddr> {
        let (name, router): (&'static str, fn(nds_web::SharedState) -> axum::Router) = match app {
            nds_web::App::Site => ("site", nds_web::site_router),
            nds_web::App::Panel => ("panel", nds_web::panel_router),
        };
        let bound = listener.local_addr()?;
        let state = nds_web::WebState::for_app(app, self.config, self.runtime.cache.clone(), self.shutdown.clone())
            .with_context(|| format!("building the {name}"))?;
        let router = router(state);
        let shutdown = self.shutdown.clone();
        tasks.spawn(async move {
            tracing::info!(address = ?listener.local_addr().ok(), "{name} serving");
            axum::serve(listener.tap_io(set_nodelay), router.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async move { shutdown.wait().await })
                .await
                .with_context(|| format!("{name} HTTP server"))
        });
        Ok(bound)
    }
}

/// Binds the listeners, builds the runtime and starts every requested part.
pub async fn start(config: Config, options: SystemOptions) -> anyhow::Result<RunningSystem> {
    for service in &options.services {
        config.require_database_url(*service)?;
    }
    let config = Arc::new(config);
    let shutdown = Shutdown::new();

    let grpc_listener = if options.services.is_empty() {
        None
    } else {
        Some(
            TcpListener::bind(config.grpc_addr)
                .await
                .with_context(|| format!("binding gRPC on {}", config.grpc_addr))?,
        )
    };
    let grpc_addr = grpc_listener.as_ref().map(TcpListener::local_addr).transpose()?;
    // In-process services are reached through this process's own listener.
    let local_grpc_url = match grpc_addr {
        Some(address) => format!("http://127.0.0.1:{}", address.port()),
        None => format!("http://127.0.0.1:{}", config.grpc_addr.port()),
    };

    let cache = nds_common::cache::from_config(config.redis_url.as_ref().map(|url| url.expose().as_str()), "nds:")?;
    let mailer = nds_common::mail::from_config(
        config.smtp_url.as_ref().map(|url| url.expose().as_str()),
        &config.mail_from,
        &config.data_dir,
    )?;
    let mut runtime = Runtime::new(config.clone(), cache, mailer, &local_grpc_url, shutdown.clone())?;

    if options.migrate {
        for service in &options.services {
            migrate_service(&config, *service).await?;
        }
    }
    // With identity in this process and no configured account, make one for this process.
    if runtime.service_tokens.is_none() && options.services.contains(&ServiceName::Identity) {
        let secret = svc_identity::ensure_service_account(&runtime, DEV_SERVICE_CLIENT, &[SCOPE_INTERNAL])
            .await
            .context("creating the in-process service account")?;
        let credentials = ServiceCredentialsConfig {
            client_id: DEV_SERVICE_CLIENT.to_string(),
            client_secret: secret,
            scopes: vec![SCOPE_INTERNAL.to_string()],
        };
        runtime.service_tokens = Some(ServiceTokens::new(credentials, runtime.channels.identity.clone()));
    }

    let mut tasks = JoinSet::new();
    // The services' own HTTP routes, merged: they live under distinct paths.
    let mut service_http: Option<axum::Router> = None;
    if let Some(listener) = grpc_listener {
        let mut routes = RoutesBuilder::default();
        let mut health_signals = Vec::new();
        for service in &options.services {
            let extras = add_service(&mut routes, &runtime, *service).await?;
            if let Some(routes) = extras.http {
                service_http = Some(match service_http.take() {
                    Some(merged) => merged.merge(routes),
                    None => routes,
                });
            }
            health_signals.extend(extras.health_signal);
        }
        // Traced here, once: the routes are served on their own listener or merged into the edge's.
        service_http = service_http.map(|routes| routes.layer(nds_common::trace::TraceLayer::http()));
        let names: Vec<&'static str> = options.services.iter().map(|service| service_health_name(*service)).collect();
        let serve_options = GrpcServeOptions {
            drain: config.shutdown_drain,
            grace: config.shutdown_grace,
            default_deadline: config.default_deadline,
            health_signals,
            ..GrpcServeOptions::default()
        };
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            serve_grpc(listener, routes.routes(), &names, serve_options, shutdown).await.context("gRPC server")
        });
    }
    if let Some(tokens) = &runtime.service_tokens {
        tokens.spawn_refresher(shutdown.clone());
    }

    // The services' HTTP routes (billing's webhook, catalog's media): on the edge's
    // port when the edge runs here (`nds dev`), else on their own.
    let mut webhook_addr = None;
    if let Some(routes) = service_http.clone().filter(|_| !options.edge) {
        let listener = TcpListener::bind(config.webhook_addr)
            .await
            .with_context(|| format!("binding the service HTTP listener on {}", config.webhook_addr))?;
        webhook_addr = Some(listener.local_addr()?);
        let router = routes.route("/healthz", axum::routing::get(|| async { "ok" }));
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            axum::serve(listener.tap_io(set_nodelay), router)
                .with_graceful_shutdown(async move { shutdown.wait().await })
                .await
                .context("service HTTP server")
        });
    }

    let serves_media = service_http.is_some();
    let mut http_addr = None;
    if options.edge {
        let listener = TcpListener::bind(config.http_addr)
            .await
            .with_context(|| format!("binding HTTP on {}", config.http_addr))?;
        http_addr = Some(listener.local_addr()?);
        let edge_address = listener.local_addr()?;
        let mut router = edge_graphql::router(&edge_runtime(&runtime, edge_address, serves_media))
            .context("building the GraphQL schema")?;
        if let Some(routes) = service_http {
            router = router.merge(routes);
        }
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            tracing::info!(address = ?listener.local_addr().ok(), "edge serving");
            axum::serve(listener.tap_io(set_nodelay), router.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async move { shutdown.wait().await })
                .await
                .context("edge HTTP server")
        });
    }

    // The front ends: in one process they call this process's edge, wherever it is bound.
    let mut web_config = (*config).clone();
    if let Some(edge) = http_addr {
        web_config.web.edge_url = format!("http://127.0.0.1:{}", edge.port());
        with_local_media(&mut web_config, edge, serves_media);
    }
    // The panel is bound first: the site links to it, and a panel on an ephemeral
    // port (tests) is only known once bound. Picking a free port ahead and binding
    // it later raced other processes for it.
    let panel_listener = match options.panel {
        true => Some(bind_front_end("panel", config.web.panel_addr).await?),
        false => None,
    };
    if let Some(listener) = &panel_listener
        && config.web.panel_addr.port() == 0
        && !config.web.panel_url_configured
    {
        web_config.web.panel_url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
    }
    let front_end = FrontEndContext { config: &web_config, runtime: &runtime, shutdown: &shutdown };
    let site_addr = match options.site {
        true => {
            let listener = bind_front_end("site", config.web.site_addr).await?;
            Some(front_end.start(&mut tasks, nds_web::App::Site, listener).await?)
        }
        false => None,
    };
    let panel_addr = match panel_listener {
        Some(listener) => Some(front_end.start(&mut tasks, nds_web::App::Panel, listener).await?),
        None => None,
    };

    Ok(RunningSystem { runtime, grpc_addr, http_addr, webhook_addr, site_addr, panel_addr, tasks })
}
