//! One typed configuration, read from `NDS_*` variables.
//!
//! The loader takes the variables as an argument so tests never touch the process
//! environment; `Config::from_process_env()` is the one place that reads it.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;

use crate::secret::Secret;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{name} is invalid: {reason}")]
    Invalid { name: String, reason: String },
    #[error("{name} is required {context}")]
    Missing { name: String, context: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchBackendKind {
    Tantivy,
    Elasticsearch,
}

/// The services that own a database, in start-up order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceName {
    Identity,
    Catalog,
    Search,
    Billing,
    Chat,
}

impl ServiceName {
    pub const ALL: [ServiceName; 5] =
        [ServiceName::Identity, ServiceName::Catalog, ServiceName::Search, ServiceName::Billing, ServiceName::Chat];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceName::Identity => "identity",
            ServiceName::Catalog => "catalog",
            ServiceName::Search => "search",
            ServiceName::Billing => "billing",
            ServiceName::Chat => "chat",
        }
    }

    pub fn parse(name: &str) -> Option<ServiceName> {
        ServiceName::ALL.into_iter().find(|service| service.as_str() == name)
    }

    fn env_prefix(self) -> &'static str {
        match self {
            ServiceName::Identity => "NDS_IDENTITY",
            ServiceName::Catalog => "NDS_CATALOG",
            ServiceName::Search => "NDS_SEARCH",
            ServiceName::Billing => "NDS_BILLING",
            ServiceName::Chat => "NDS_CHAT",
        }
    }
}

#[derive(Clone, Debug)]
pub struct LanguageModelSettings {
    pub base_url: String,
    pub api_key: Secret<String>,
    pub model: String,
    pub timeout: Duration,
}

/// TLS trust and credentials for Elasticsearch, beside its URL.
#[derive(Clone, Debug, Default)]
pub struct ElasticsearchAccess {
    /// PEM CA bundle to trust (ECK's `<name>-es-http-certs-public`), on top of the system's roots.
    pub ca_file: Option<PathBuf>,
    /// Basic-auth user and password (ECK's `<name>-es-elastic-user`).
    pub credentials: Option<(String, Secret<String>)>,
}

/// Where listing photos are kept (catalog owns them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaStorage {
    /// Files under `data_dir/media`: `nds dev` and tests.
    Local,
    /// Any S3-compatible store: AWS S3, GCS's XML API, MinIO.
    S3(S3Settings),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    /// Unset for AWS itself; the store's URL for MinIO or GCS.
    pub endpoint: Option<String>,
    pub region: String,
    /// Unset: the SDK's usual sources (instance role, web identity).
    pub credentials: Option<(String, Secret<String>)>,
}

#[derive(Clone, Debug)]
pub struct MediaSettings {
    pub storage: MediaStorage,
    /// Where browsers reach catalog's media routes (uploads and photos).
    pub public_url: String,
    /// False when `public_url` is the default: a process serving the media routes on
    /// its own edge then names its real address.
    pub public_url_configured: bool,
}

#[derive(Clone, Debug)]
pub struct StripeSettings {
    pub secret_key: Option<Secret<String>>,
    /// Several during a rotation: an event verifies if any of them matches.
    pub webhook_secrets: Vec<Secret<String>>,
    pub api_base: String,
    pub platform_fee_percent: f64,
    /// Promotion price in minor units of `currency`.
    pub promotion_price_minor: i64,
    pub currency: String,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub environment: Environment,
    pub log_filter: String,
    pub log_format: LogFormat,
    pub data_dir: PathBuf,
    pub grpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
    pub webhook_addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    /// Per service; `None` means the embedded SQLite file under `data_dir`.
    pub database_urls: HashMap<ServiceName, Secret<String>>,
    /// `None` means the in-process cache.
    pub redis_url: Option<Secret<String>>,
    pub search_backend: SearchBackendKind,
    pub elasticsearch_url: Option<String>,
    /// How search reaches a TLS-protected, password-protected cluster (ECK's defaults).
    pub elasticsearch_access: ElasticsearchAccess,
    /// gRPC endpoints of the other services; `None` means "in this process".
    pub service_urls: HashMap<ServiceName, String>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub stripe: StripeSettings,
    pub language_model: Option<LanguageModelSettings>,
    /// `None` writes `.eml` files under `data_dir/mail`.
    pub smtp_url: Option<Secret<String>>,
    pub mail_from: String,
    pub public_url: String,
    pub cors_origins: Vec<String>,
    pub graphql_introspection: bool,
    pub graphiql: bool,
    pub apq_allowlist: bool,
    /// Registered persisted queries (JSON object: SHA-256 hex → query) for the allow-list mode.
    pub persisted_queries_file: Option<PathBuf>,
    pub shutdown_drain: Duration,
    pub shutdown_grace: Duration,
    /// Deadline for a call that arrives without one.
    pub default_deadline: Duration,
    /// GraphQL requests per minute per client address / per bearer token at the edge.
    pub rate_limit_per_client: u32,
    pub rate_limit_per_user: u32,
    /// Proxies in front of the edge (the ingress): a request from one of these names
    /// its client in `X-Forwarded-For`. Empty trusts no one: the peer is the client.
    pub trusted_proxies: Vec<IpNet>,
    /// Identity's key-encryption key (base64), which seals the private signing keys at
    /// rest. `None`: development keeps one in the data directory; production refuses.
    pub key_encryption_key: Option<Secret<String>>,
    /// Earlier key-encryption keys that still open what they sealed (while changing it).
    pub key_encryption_keys_previous: Vec<Secret<String>>,
    /// This process's service account, for calls on its own behalf (jobs, feeds, billing → catalog).
    pub service_credentials: Option<crate::service_token::ServiceCredentialsConfig>,
    /// The two front ends (`web/`): where they listen and how they reach the edge.
    pub web: WebSettings,
    pub media: MediaSettings,
}

/// The buyer site and the staff panel: HTML servers whose only backend is the edge.
#[derive(Clone, Debug)]
pub struct WebSettings {
    pub site_addr: SocketAddr,
    pub panel_addr: SocketAddr,
    /// Base URL of the GraphQL edge (`/graphql` is appended).
    pub edge_url: String,
    /// Where the panel is reached from a browser (links from the site, e.g. after an invitation).
    pub panel_url: String,
    /// False when `panel_url` is the default: a process whose panel is bound to an
    /// ephemeral port (tests) then names its real address.
    pub panel_url_configured: bool,
    /// Stripe.js key for the Payment Element; `None` shows that payments are not configured.
    pub stripe_publishable_key: Option<String>,
}

/// Every variable the loader reads, with its meaning: the README's table comes from here.
pub const VARIABLES: &[(&str, &str, &str)] = &[
    (
        "NDS_ENV",
        "development",
        "`development` or `production` (production turns GraphiQL and introspection off by default)",
    ),
    ("NDS_LOG", "info", "tracing filter, e.g. `info,svc_catalog=debug`"),
    ("NDS_LOG_FORMAT", "text", "`text` or `json`"),
    ("NDS_DATA_DIR", "./.nds", "embedded databases, tantivy index and `.eml` mail of `nds dev`"),
    ("NDS_GRPC_ADDR", "0.0.0.0:50051", "gRPC listener (all services in `nds dev`)"),
    ("NDS_HTTP_ADDR", "0.0.0.0:8080", "the edge's HTTP listener (GraphQL, JWKS, health)"),
    (
        "NDS_WEBHOOK_ADDR",
        "0.0.0.0:8081",
        "a service's own HTTP listener in `nds serve billing` (Stripe's webhook) and `nds serve catalog` (photo uploads and photos under `/media`)",
    ),
    ("NDS_METRICS_ADDR", "0.0.0.0:9090", "Prometheus `/metrics` of a served service"),
    (
        "NDS_<SERVICE>_DATABASE_URL",
        "SQLite under the data dir",
        "PostgreSQL URL per service: IDENTITY, CATALOG, SEARCH, BILLING, CHAT",
    ),
    ("NDS_REDIS_URL", "in-process cache", "Redis URL for cache, rate limits and chat fan-out"),
    ("NDS_SEARCH_BACKEND", "tantivy", "`tantivy` or `elasticsearch`"),
    ("NDS_ELASTICSEARCH_URL", "", "Elasticsearch base URL when the backend is elasticsearch"),
    (
        "NDS_ELASTICSEARCH_CA_FILE",
        "system roots only",
        "PEM file of a CA to trust for Elasticsearch's TLS (ECK: `ca.crt` of `<name>-es-http-certs-public`)",
    ),
    ("NDS_ELASTICSEARCH_USERNAME", "unset", "Elasticsearch basic-auth user (ECK: `elastic`)"),
    ("NDS_ELASTICSEARCH_PASSWORD", "unset", "its password (ECK: the `<name>-es-elastic-user` Secret)"),
    ("NDS_<SERVICE>_URL", "this process", "gRPC endpoint of another service, e.g. `http://nds-catalog:50051`"),
    ("NDS_JWT_ISSUER", "nds", "`iss` of access tokens"),
    ("NDS_JWT_AUDIENCE", "nds-api", "`aud` of access tokens"),
    ("NDS_STRIPE_SECRET_KEY", "unset", "Stripe API key; paid actions answer PAYMENT_NOT_CONFIGURED without it"),
    ("NDS_STRIPE_WEBHOOK_SECRETS", "unset", "comma-separated webhook signing secrets (several during rotation)"),
    ("NDS_STRIPE_API_BASE", "https://api.stripe.com", "Stripe API base URL (tests point it at a local stand-in)"),
    ("NDS_PLATFORM_FEE_PERCENT", "5", "platform commission on buyer deposits"),
    ("NDS_PROMOTION_PRICE", "49900", "price of a 30-day promotion in minor units"),
    ("NDS_CURRENCY", "MXN", "default ISO currency"),
    ("NDS_LLM_BASE_URL", "unset", "OpenAI-compatible endpoint; unset = rules only"),
    ("NDS_LLM_API_KEY", "", "API key for the language model"),
    ("NDS_LLM_MODEL", "gpt-4o-mini", "model name"),
    ("NDS_LLM_TIMEOUT_MS", "1500", "language-model timeout before falling back to the rules"),
    ("NDS_SMTP_URL", "`.eml` files", "SMTP URL, e.g. `smtps://user:pass@smtp.example.com:465`"),
    ("NDS_MAIL_FROM", "NDS <no-reply@nds.local>", "sender of platform mail"),
    (
        "NDS_PUBLIC_URL",
        "http://localhost:8090",
        "the buyer site's address as a browser reaches it: the base of links in mail",
    ),
    ("NDS_CORS_ORIGINS", "* in development", "comma-separated allowed origins"),
    ("NDS_GRAPHQL_INTROSPECTION", "on in development", "`true`/`false`"),
    ("NDS_GRAPHIQL", "on in development", "`true`/`false`"),
    ("NDS_APQ_ALLOWLIST", "false", "accept only registered persisted queries"),
    ("NDS_PERSISTED_QUERIES_FILE", "unset", "JSON object of SHA-256 hex → query: the registered queries"),
    ("NDS_SHUTDOWN_DRAIN_SECS", "5", "NOT_SERVING before draining on SIGTERM"),
    ("NDS_SHUTDOWN_GRACE_SECS", "20", "time in-flight calls get to finish"),
    ("NDS_DEFAULT_DEADLINE_MS", "5000", "deadline of a call that arrives without one"),
    (
        "NDS_RATE_LIMIT_PER_CLIENT",
        "600",
        "GraphQL requests (and WebSocket upgrades) per minute per client address at the edge",
    ),
    ("NDS_RATE_LIMIT_PER_USER", "300", "GraphQL requests per minute per bearer token at the edge"),
    (
        "NDS_TRUSTED_PROXIES",
        "none (`nds dev`: loopback)",
        "comma-separated CIDRs (or addresses) of the proxies in front of the edge; from them the client is the right-most `X-Forwarded-For` hop outside these networks",
    ),
    (
        "NDS_SERVICE_CLIENT_ID",
        "unset (`nds dev` creates one)",
        "service account this process uses for calls on its own behalf",
    ),
    ("NDS_SERVICE_CLIENT_SECRET", "unset", "its secret"),
    (
        "NDS_KEY_ENCRYPTION_KEY",
        "unset (`nds dev`: a file in the data dir)",
        "identity: 32 random bytes in base64 (`openssl rand -base64 32`) sealing the private signing keys at rest; required in production",
    ),
    (
        "NDS_KEY_ENCRYPTION_KEY_PREVIOUS",
        "unset",
        "identity: comma-separated earlier key-encryption keys; keys they sealed are resealed with the current one at start",
    ),
    ("NDS_MEDIA_STORE", "local", "listing photos: `local` (under the data dir) or `s3` (any S3-compatible store)"),
    ("NDS_MEDIA_BUCKET", "unset", "the bucket when NDS_MEDIA_STORE=s3"),
    ("NDS_MEDIA_ENDPOINT", "AWS", "S3-compatible endpoint URL (MinIO, `https://storage.googleapis.com` for GCS)"),
    ("NDS_MEDIA_REGION", "us-east-1", "the bucket's region"),
    ("NDS_MEDIA_ACCESS_KEY_ID", "unset (instance role)", "S3 access key id"),
    ("NDS_MEDIA_SECRET_ACCESS_KEY", "unset", "its secret"),
    (
        "NDS_MEDIA_PUBLIC_URL",
        "the edge's `/media`",
        "where browsers reach catalog's media routes (photo uploads and photos), e.g. `https://api.example.com/media`",
    ),
    ("NDS_SITE_ADDR", "0.0.0.0:8090", "the buyer site's HTTP listener (`nds serve site`)"),
    ("NDS_PANEL_ADDR", "0.0.0.0:8091", "the staff panel's HTTP listener (`nds serve panel`)"),
    ("NDS_EDGE_URL", "http://127.0.0.1:8080", "base URL of the GraphQL edge the site and the panel call"),
    (
        "NDS_PANEL_URL",
        "http://localhost:8091",
        "the panel's address as a browser reaches it (Stripe's payout onboarding returns there)",
    ),
    ("NDS_STRIPE_PUBLISHABLE_KEY", "unset", "Stripe.js key for the Payment Element on the site and the panel"),
];

struct Vars(HashMap<String, String>);

impl Vars {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).map(str::trim).filter(|value| !value.is_empty())
    }

    fn string_or(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or(default).to_string()
    }

    fn parse_or<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|error: T::Err| ConfigError::Invalid { name: name.to_string(), reason: error.to_string() }),
        }
    }

    fn bool_or(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(default),
            Some("1" | "true" | "yes" | "on") => Ok(true),
            Some("0" | "false" | "no" | "off") => Ok(false),
            Some(other) => Err(ConfigError::Invalid {
                name: name.to_string(),
                reason: format!("expected true or false, got {other:?}"),
            }),
        }
    }

    fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|raw| raw.split(',').map(str::trim).filter(|item| !item.is_empty()).map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// A comma-separated list of CIDR networks; a bare address is a network of one.
    fn networks(&self, name: &str) -> Result<Vec<IpNet>, ConfigError> {
        self.list(name)
            .iter()
            .map(|item| {
                let network = item.parse::<IpNet>().ok().or_else(|| item.parse::<IpAddr>().ok().map(IpNet::from));
                network.map(|network| network.trunc()).ok_or_else(|| ConfigError::Invalid {
                    name: name.to_string(),
                    reason: format!("{item:?} is not a CIDR network (e.g. 10.0.0.0/8 or fd00::/8) or an IP address"),
                })
            })
            .collect()
    }
}

/// Where browsers reach the media routes when nothing says: `nds dev`'s edge.
pub const DEFAULT_MEDIA_PUBLIC_URL: &str = "http://127.0.0.1:8080/media";

fn media_settings(vars: &Vars) -> Result<MediaSettings, ConfigError> {
    let storage = match vars.string_or("NDS_MEDIA_STORE", "local").to_ascii_lowercase().as_str() {
        "local" => MediaStorage::Local,
        "s3" => MediaStorage::S3(S3Settings {
            bucket: vars
                .get("NDS_MEDIA_BUCKET")
                .ok_or_else(|| ConfigError::Missing {
                    name: "NDS_MEDIA_BUCKET".into(),
                    context: "when NDS_MEDIA_STORE=s3".into(),
                })?
                .to_string(),
            endpoint: vars.get("NDS_MEDIA_ENDPOINT").map(|url| url.trim_end_matches('/').to_string()),
            region: vars.string_or("NDS_MEDIA_REGION", "us-east-1"),
            credentials: match (vars.get("NDS_MEDIA_ACCESS_KEY_ID"), vars.get("NDS_MEDIA_SECRET_ACCESS_KEY")) {
                (Some(id), Some(secret)) => Some((id.to_string(), Secret::new(secret.to_string()))),
                (None, None) => None,
                _ => {
                    return Err(ConfigError::Missing {
                        name: "NDS_MEDIA_ACCESS_KEY_ID and NDS_MEDIA_SECRET_ACCESS_KEY".into(),
                        context: "together".into(),
                    });
                }
            },
        }),
        other => {
            return Err(ConfigError::Invalid {
                name: "NDS_MEDIA_STORE".into(),
                reason: format!("expected local or s3, got {other:?}"),
            });
        }
    };
    let configured = vars.get("NDS_MEDIA_PUBLIC_URL");
    let public_url = configured.unwrap_or(DEFAULT_MEDIA_PUBLIC_URL).trim_end_matches('/').to_string();
    if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
        return Err(ConfigError::Invalid {
            name: "NDS_MEDIA_PUBLIC_URL".into(),
            reason: format!("expected an http(s) URL, got {public_url:?}"),
        });
    }
    Ok(MediaSettings { storage, public_url, public_url_configured: configured.is_some() })
}

impl Config {
    pub fn from_process_env() -> Result<Config, ConfigError> {
        Config::from_vars(std::env::vars())
    }

    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigError> {
        let vars = Vars(vars.into_iter().filter(|(name, _)| name.starts_with("NDS_")).collect());

        let environment = match vars.string_or("NDS_ENV", "development").to_ascii_lowercase().as_str() {
            "development" | "dev" => Environment::Development,
            "production" | "prod" => Environment::Production,
            other => {
                return Err(ConfigError::Invalid {
                    name: "NDS_ENV".into(),
                    reason: format!("expected development or production, got {other:?}"),
                });
            }
        };
        let development = environment == Environment::Development;
        let log_format = match vars.string_or("NDS_LOG_FORMAT", "text").to_ascii_lowercase().as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError::Invalid {
                    name: "NDS_LOG_FORMAT".into(),
                    reason: format!("expected text or json, got {other:?}"),
                });
            }
        };
        let search_backend = match vars.string_or("NDS_SEARCH_BACKEND", "tantivy").to_ascii_lowercase().as_str() {
            "tantivy" => SearchBackendKind::Tantivy,
            "elasticsearch" => SearchBackendKind::Elasticsearch,
            other => {
                return Err(ConfigError::Invalid {
                    name: "NDS_SEARCH_BACKEND".into(),
                    reason: format!("expected tantivy or elasticsearch, got {other:?}"),
                });
            }
        };
        let elasticsearch_url = vars.get("NDS_ELASTICSEARCH_URL").map(str::to_string);
        let elasticsearch_access = ElasticsearchAccess {
            ca_file: vars.get("NDS_ELASTICSEARCH_CA_FILE").map(PathBuf::from),
            credentials: match (vars.get("NDS_ELASTICSEARCH_USERNAME"), vars.get("NDS_ELASTICSEARCH_PASSWORD")) {
                (Some(user), Some(password)) => Some((user.to_string(), Secret::new(password.to_string()))),
                (None, None) => None,
                _ => {
                    return Err(ConfigError::Missing {
                        name: "NDS_ELASTICSEARCH_USERNAME and NDS_ELASTICSEARCH_PASSWORD".into(),
                        context: "together".into(),
                    });
                }
            },
        };
        if search_backend == SearchBackendKind::Elasticsearch && elasticsearch_url.is_none() {
            return Err(ConfigError::Missing {
                name: "NDS_ELASTICSEARCH_URL".into(),
                context: "when NDS_SEARCH_BACKEND=elasticsearch".into(),
            });
        }

        let mut database_urls = HashMap::new();
        let mut service_urls = HashMap::new();
        for service in ServiceName::ALL {
            let prefix = service.env_prefix();
            if let Some(url) = vars.get(&format!("{prefix}_DATABASE_URL")) {
                database_urls.insert(service, Secret::new(url.to_string()));
            }
            if let Some(url) = vars.get(&format!("{prefix}_URL")) {
                service_urls.insert(service, url.to_string());
            }
        }

        let language_model = match vars.get("NDS_LLM_BASE_URL") {
            None => None,
            Some(base_url) => Some(LanguageModelSettings {
                base_url: base_url.to_string(),
                api_key: Secret::new(vars.string_or("NDS_LLM_API_KEY", "")),
                model: vars.string_or("NDS_LLM_MODEL", "gpt-4o-mini"),
                timeout: Duration::from_millis(vars.parse_or("NDS_LLM_TIMEOUT_MS", 1500)?),
            }),
        };

        let platform_fee_percent: f64 = vars.parse_or("NDS_PLATFORM_FEE_PERCENT", 5.0)?;
        if !(0.0..=50.0).contains(&platform_fee_percent) {
            return Err(ConfigError::Invalid {
                name: "NDS_PLATFORM_FEE_PERCENT".into(),
                reason: "must be between 0 and 50".into(),
            });
        }
        let promotion_price_minor: i64 = vars.parse_or("NDS_PROMOTION_PRICE", 49_900)?;
        if promotion_price_minor <= 0 {
            return Err(ConfigError::Invalid { name: "NDS_PROMOTION_PRICE".into(), reason: "must be positive".into() });
        }

        let media = media_settings(&vars)?;

        let cors_origins = match vars.list("NDS_CORS_ORIGINS") {
            origins if origins.is_empty() && development => vec!["*".to_string()],
            origins => origins,
        };

        Ok(Config {
            environment,
            log_filter: vars.string_or("NDS_LOG", "info"),
            log_format,
            data_dir: PathBuf::from(vars.string_or("NDS_DATA_DIR", "./.nds")),
            grpc_addr: vars.parse_or("NDS_GRPC_ADDR", SocketAddr::from(([0, 0, 0, 0], 50051)))?,
            http_addr: vars.parse_or("NDS_HTTP_ADDR", SocketAddr::from(([0, 0, 0, 0], 8080)))?,
            webhook_addr: vars.parse_or("NDS_WEBHOOK_ADDR", SocketAddr::from(([0, 0, 0, 0], 8081)))?,
            metrics_addr: vars.parse_or("NDS_METRICS_ADDR", SocketAddr::from(([0, 0, 0, 0], 9090)))?,
            database_urls,
            redis_url: vars.get("NDS_REDIS_URL").map(|url| Secret::new(url.to_string())),
            search_backend,
            elasticsearch_url,
            elasticsearch_access,
            service_urls,
            jwt_issuer: vars.string_or("NDS_JWT_ISSUER", "nds"),
            jwt_audience: vars.string_or("NDS_JWT_AUDIENCE", "nds-api"),
            stripe: StripeSettings {
                secret_key: vars.get("NDS_STRIPE_SECRET_KEY").map(|key| Secret::new(key.to_string())),
                webhook_secrets: vars.list("NDS_STRIPE_WEBHOOK_SECRETS").into_iter().map(Secret::new).collect(),
                api_base: vars.string_or("NDS_STRIPE_API_BASE", "https://api.stripe.com"),
                platform_fee_percent,
                promotion_price_minor,
                currency: vars.string_or("NDS_CURRENCY", "MXN").to_ascii_uppercase(),
            },
            language_model,
            smtp_url: vars.get("NDS_SMTP_URL").map(|url| Secret::new(url.to_string())),
            mail_from: vars.string_or("NDS_MAIL_FROM", "NDS <no-reply@nds.local>"),
            public_url: vars.string_or("NDS_PUBLIC_URL", "http://localhost:8090"),
            cors_origins,
            graphql_introspection: vars.bool_or("NDS_GRAPHQL_INTROSPECTION", development)?,
            graphiql: vars.bool_or("NDS_GRAPHIQL", development)?,
            apq_allowlist: vars.bool_or("NDS_APQ_ALLOWLIST", false)?,
            persisted_queries_file: vars.get("NDS_PERSISTED_QUERIES_FILE").map(PathBuf::from),
            shutdown_drain: Duration::from_secs(vars.parse_or("NDS_SHUTDOWN_DRAIN_SECS", 5)?),
            shutdown_grace: Duration::from_secs(vars.parse_or("NDS_SHUTDOWN_GRACE_SECS", 20)?),
            default_deadline: Duration::from_millis(vars.parse_or("NDS_DEFAULT_DEADLINE_MS", 5000)?),
            rate_limit_per_client: vars.parse_or("NDS_RATE_LIMIT_PER_CLIENT", 600)?,
            rate_limit_per_user: vars.parse_or("NDS_RATE_LIMIT_PER_USER", 300)?,
            trusted_proxies: vars.networks("NDS_TRUSTED_PROXIES")?,
            key_encryption_key: vars.get("NDS_KEY_ENCRYPTION_KEY").map(|key| Secret::new(key.to_string())),
            key_encryption_keys_previous: vars
                .list("NDS_KEY_ENCRYPTION_KEY_PREVIOUS")
                .into_iter()
                .map(Secret::new)
                .collect(),
            service_credentials: match (vars.get("NDS_SERVICE_CLIENT_ID"), vars.get("NDS_SERVICE_CLIENT_SECRET")) {
                (Some(client_id), Some(secret)) => Some(crate::service_token::ServiceCredentialsConfig {
                    client_id: client_id.to_string(),
                    client_secret: Secret::new(secret.to_string()),
                    scopes: vec![crate::auth::principal::SCOPE_INTERNAL.to_string()],
                }),
                (None, None) => None,
                _ => {
                    return Err(ConfigError::Missing {
                        name: "NDS_SERVICE_CLIENT_ID and NDS_SERVICE_CLIENT_SECRET".into(),
                        context: "together".into(),
                    });
                }
            },
            web: WebSettings {
                site_addr: vars.parse_or("NDS_SITE_ADDR", SocketAddr::from(([0, 0, 0, 0], 8090)))?,
                panel_addr: vars.parse_or("NDS_PANEL_ADDR", SocketAddr::from(([0, 0, 0, 0], 8091)))?,
                edge_url: vars.string_or("NDS_EDGE_URL", "http://127.0.0.1:8080").trim_end_matches('/').to_string(),
                panel_url: vars.string_or("NDS_PANEL_URL", "http://localhost:8091").trim_end_matches('/').to_string(),
                panel_url_configured: vars.get("NDS_PANEL_URL").is_some(),
                stripe_publishable_key: vars.get("NDS_STRIPE_PUBLISHABLE_KEY").map(str::to_string),
            },
            media,
        })
    }

    /// The database URL of one service: its `NDS_<SERVICE>_DATABASE_URL`, or an
    /// SQLite file under the data directory (created on first use).
    pub fn database_url(&self, service: ServiceName) -> String {
        match self.database_urls.get(&service) {
            Some(url) => url.expose().clone(),
            None => {
                format!("sqlite://{}?mode=rwc", self.data_dir.join(format!("{}.sqlite", service.as_str())).display())
            }
        }
    }

    /// In production every database must be named: falling back to an SQLite file
    /// inside a container would silently lose data on the next restart.
    pub fn require_database_url(&self, service: ServiceName) -> Result<(), ConfigError> {
        if self.is_production() && !self.database_urls.contains_key(&service) {
            return Err(ConfigError::Missing {
                name: format!("{}_DATABASE_URL", service.env_prefix()),
                context: "in production".into(),
            });
        }
        Ok(())
    }

    /// In production photos must go to an object store: files inside a container
    /// vanish with it.
    pub fn require_media_store(&self) -> Result<(), ConfigError> {
        if self.is_production() && self.media.storage == MediaStorage::Local {
            return Err(ConfigError::Missing { name: "NDS_MEDIA_STORE=s3".into(), context: "in production".into() });
        }
        Ok(())
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    /// Trusts proxies on loopback too. `nds dev` runs the buyer site and the edge in
    /// one process on loopback, and the site names the browser in `X-Forwarded-For`;
    /// a deployment trusts only what `NDS_TRUSTED_PROXIES` names.
    pub fn trust_loopback_proxies(&mut self) {
        let loopback =
            [IpNet::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), 8), IpNet::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 128)];
        for network in loopback.into_iter().flatten() {
            if !self.trusted_proxies.contains(&network) {
                self.trusted_proxies.push(network);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
    }

    #[test]
    fn defaults_are_the_embedded_development_setup() {
        let config = Config::from_vars(vars(&[])).unwrap();
        assert_eq!(config.environment, Environment::Development);
        assert_eq!(config.grpc_addr.port(), 50051);
        assert_eq!(config.http_addr.port(), 8080);
        assert!(config.redis_url.is_none());
        assert!(config.graphiql && config.graphql_introspection);
        assert!(config.database_url(ServiceName::Catalog).starts_with("sqlite://"));
        assert_eq!(config.stripe.currency, "MXN");
    }

    #[test]
    fn photos_go_to_an_s3_bucket_when_told_and_never_to_local_files_in_production() {
        let development = Config::from_vars(vars(&[])).unwrap();
        assert_eq!(development.media.storage, MediaStorage::Local);
        assert!(!development.media.public_url_configured);
        assert!(development.require_media_store().is_ok());

        let production = Config::from_vars(vars(&[("NDS_ENV", "production")])).unwrap();
        assert!(production.require_media_store().is_err(), "local files in a container vanish with it");

        let missing_bucket = Config::from_vars(vars(&[("NDS_MEDIA_STORE", "s3")])).unwrap_err();
        assert!(matches!(missing_bucket, ConfigError::Missing { ref name, .. } if name == "NDS_MEDIA_BUCKET"));
        let half_credentials = Config::from_vars(vars(&[
            ("NDS_MEDIA_STORE", "s3"),
            ("NDS_MEDIA_BUCKET", "photos"),
            ("NDS_MEDIA_ACCESS_KEY_ID", "minio"),
        ]));
        assert!(half_credentials.is_err(), "a key id without its secret is refused");

        let s3 = Config::from_vars(vars(&[
            ("NDS_ENV", "production"),
            ("NDS_MEDIA_STORE", "S3"),
            ("NDS_MEDIA_BUCKET", "photos"),
            ("NDS_MEDIA_ENDPOINT", "http://minio:9000/"),
            ("NDS_MEDIA_PUBLIC_URL", "https://api.example.com/media/"),
        ]))
        .unwrap();
        assert!(s3.require_media_store().is_ok());
        let MediaStorage::S3(settings) = &s3.media.storage else { panic!("s3 expected") };
        assert_eq!((settings.bucket.as_str(), settings.endpoint.as_deref()), ("photos", Some("http://minio:9000")));
        assert_eq!(s3.media.public_url, "https://api.example.com/media");
        assert!(s3.media.public_url_configured);
        assert!(Config::from_vars(vars(&[("NDS_MEDIA_PUBLIC_URL", "ftp://x")])).is_err());
    }

    #[test]
    fn production_refuses_to_fall_back_to_sqlite() {
        let config = Config::from_vars(vars(&[("NDS_ENV", "production")])).unwrap();
        let error = config.require_database_url(ServiceName::Billing).unwrap_err();
        assert!(matches!(error, ConfigError::Missing { ref name, .. } if name == "NDS_BILLING_DATABASE_URL"));
        let config =
            Config::from_vars(vars(&[("NDS_ENV", "production"), ("NDS_BILLING_DATABASE_URL", "postgres://x/b")]))
                .unwrap();
        assert!(config.require_database_url(ServiceName::Billing).is_ok());
        let development = Config::from_vars(vars(&[])).unwrap();
        assert!(development.require_database_url(ServiceName::Billing).is_ok());
    }

    #[test]
    fn production_turns_developer_conveniences_off() {
        let config = Config::from_vars(vars(&[("NDS_ENV", "production")])).unwrap();
        assert!(!config.graphiql && !config.graphql_introspection);
        assert!(config.cors_origins.is_empty());
    }

    #[test]
    fn per_service_database_urls_and_endpoints_are_read() {
        let config = Config::from_vars(vars(&[
            ("NDS_CATALOG_DATABASE_URL", "postgres://db/catalog"),
            ("NDS_IDENTITY_URL", "http://identity:50051"),
        ]))
        .unwrap();
        assert_eq!(config.database_url(ServiceName::Catalog), "postgres://db/catalog");
        assert!(config.database_url(ServiceName::Billing).starts_with("sqlite://"));
        assert_eq!(config.service_urls.get(&ServiceName::Identity).map(String::as_str), Some("http://identity:50051"));
    }

    #[test]
    fn bad_values_are_named_in_the_error() {
        let error = Config::from_vars(vars(&[("NDS_GRPC_ADDR", "not-an-address")])).unwrap_err();
        assert!(matches!(error, ConfigError::Invalid { ref name, .. } if name == "NDS_GRPC_ADDR"), "{error}");
        let error = Config::from_vars(vars(&[("NDS_SEARCH_BACKEND", "elasticsearch")])).unwrap_err();
        assert!(matches!(error, ConfigError::Missing { ref name, .. } if name == "NDS_ELASTICSEARCH_URL"));
        let error = Config::from_vars(vars(&[("NDS_GRAPHIQL", "maybe")])).unwrap_err();
        assert!(matches!(error, ConfigError::Invalid { .. }));
    }

    #[test]
    fn trusted_proxies_are_networks_and_none_by_default() {
        assert!(Config::from_vars(vars(&[])).unwrap().trusted_proxies.is_empty(), "no proxy is trusted by default");
        let config =
            Config::from_vars(vars(&[("NDS_TRUSTED_PROXIES", " 10.0.0.0/8, fd00::/8 ,192.168.1.7,10.1.2.3/16")]))
                .unwrap();
        let expected: Vec<IpNet> = ["10.0.0.0/8", "fd00::/8", "192.168.1.7/32", "10.1.0.0/16"]
            .iter()
            .map(|net| net.parse().unwrap())
            .collect();
        assert_eq!(config.trusted_proxies, expected);
    }

    #[test]
    fn nds_dev_trusts_loopback_proxies_besides_the_configured_ones() {
        let mut config = Config::from_vars(vars(&[("NDS_TRUSTED_PROXIES", "10.0.0.0/8")])).unwrap();
        config.trust_loopback_proxies();
        config.trust_loopback_proxies();
        let expected: Vec<IpNet> =
            ["10.0.0.0/8", "127.0.0.0/8", "::1/128"].iter().map(|net| net.parse().unwrap()).collect();
        assert_eq!(config.trusted_proxies, expected, "added once, after what is configured");
    }

    #[test]
    fn trusted_proxies_that_are_not_networks_refuse_to_start() {
        for malformed in ["10.0.0.0/33", "10.0.0/8", "ingress", "10.0.0.0/8,,fd00::/8x"] {
            let error = Config::from_vars(vars(&[("NDS_TRUSTED_PROXIES", malformed)]))
                .expect_err(&format!("{malformed:?} must be refused"));
            assert!(
                matches!(error, ConfigError::Invalid { ref name, .. } if name == "NDS_TRUSTED_PROXIES"),
                "{malformed:?}: {error}"
            );
            assert!(error.to_string().contains("CIDR"), "the message says what is expected: {error}");
        }
    }

    #[test]
    fn webhook_secrets_are_a_list_and_masked() {
        let config = Config::from_vars(vars(&[("NDS_STRIPE_WEBHOOK_SECRETS", "whsec_a, whsec_b")])).unwrap();
        assert_eq!(config.stripe.webhook_secrets.len(), 2);
        assert!(!format!("{config:?}").contains("whsec_a"));
    }
}
