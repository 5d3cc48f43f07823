//! The command line: `nds dev`, `nds serve`, `nds migrate`, `nds job`.

use clap::{Parser, Subcommand, ValueEnum};
use nds_common::config::ServiceName;

#[derive(Parser, Debug)]
#[command(
    name = "nds",
    version,
    about = "NDS: the backend of an online car marketplace",
    long_about = "NDS: the backend of an online car marketplace.\n\n\
        Subcommands: dev (everything in one process, embedded defaults, demo data), \
        serve <identity|catalog|search|billing|chat|edge|site|panel> (one service, what Kubernetes runs), \
        migrate [identity|catalog|search|billing|chat] (apply database migrations), \
        job <expire-promotions|start-usage-new-month|flush-view-counters|reindex> (one scheduled job, once).\n\n\
        Configuration comes from NDS_* environment variables (see the README)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run every service and the edge in one process on embedded defaults (SQLite, in-process
    /// cache, tantivy, `.eml` mail, rule-based interpreter), loading demo data on first start.
    Dev {
        /// Where embedded databases, the search index and mail go (NDS_DATA_DIR).
        #[arg(long)]
        data_dir: Option<std::path::PathBuf>,
        /// Skip loading the demo data.
        #[arg(long)]
        no_demo: bool,
    },
    /// Run one service (gRPC on NDS_GRPC_ADDR), the edge (HTTP on NDS_HTTP_ADDR), the buyer
    /// site (HTTP on NDS_SITE_ADDR) or the staff panel (HTTP on NDS_PANEL_ADDR); the two
    /// front ends call the edge at NDS_EDGE_URL.
    Serve {
        #[arg(value_enum)]
        target: ServeTarget,
    },
    /// Apply database migrations of one service, or of every service when omitted.
    Migrate {
        #[arg(value_enum)]
        service: Option<MigrateTarget>,
    },
    /// Run one scheduled job once (what a Kubernetes CronJob runs). Every job takes a lock
    /// named after itself and is safe to run twice.
    Job {
        #[arg(value_enum)]
        name: JobName,
    },
    /// Operator tasks against identity's database (NDS_IDENTITY_DATABASE_URL).
    Admin {
        #[command(subcommand)]
        task: AdminTask,
    },
}

impl Command {
    /// The name this process reports in traces (`service.name`): `nds-search`,
    /// `nds-job-reindex`, or `nds` for the all-in-one `nds dev`.
    pub fn process_name(&self) -> String {
        match self {
            Command::Serve { target } => match target.to_possible_value() {
                Some(value) => format!("nds-{}", value.get_name()),
                None => "nds".to_string(),
            },
            Command::Job { name } => format!("nds-job-{}", name.as_str()),
            Command::Dev { .. } | Command::Migrate { .. } | Command::Admin { .. } => "nds".to_string(),
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum AdminTask {
    /// Create the first platform admin (or grant the role to an existing account).
    /// The password comes from NDS_ADMIN_PASSWORD, so it never lands in shell history.
    CreatePlatformAdmin {
        #[arg(long)]
        email: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ServeTarget {
    Identity,
    Catalog,
    Search,
    Billing,
    Chat,
    Edge,
    Site,
    Panel,
}

impl ServeTarget {
    pub fn service(self) -> Option<ServiceName> {
        match self {
            ServeTarget::Identity => Some(ServiceName::Identity),
            ServeTarget::Catalog => Some(ServiceName::Catalog),
            ServeTarget::Search => Some(ServiceName::Search),
            ServeTarget::Billing => Some(ServiceName::Billing),
            ServeTarget::Chat => Some(ServiceName::Chat),
            ServeTarget::Edge | ServeTarget::Site | ServeTarget::Panel => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MigrateTarget {
    Identity,
    Catalog,
    Search,
    Billing,
    Chat,
}

impl MigrateTarget {
    pub fn service(self) -> ServiceName {
        match self {
            MigrateTarget::Identity => ServiceName::Identity,
            MigrateTarget::Catalog => ServiceName::Catalog,
            MigrateTarget::Search => ServiceName::Search,
            MigrateTarget::Billing => ServiceName::Billing,
            MigrateTarget::Chat => ServiceName::Chat,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum JobName {
    /// End promotions that are due, reset them in catalog, mail the agencies (hourly).
    ExpirePromotions,
    /// Record each agency's opening usage for the new month (monthly).
    StartUsageNewMonth,
    /// Move listing view counters from the cache to the database (every few minutes).
    FlushViewCounters,
    /// Rebuild the search index from catalog and swap it in (optional, nightly).
    Reindex,
    /// Start signing with a new key; the old one verifies until its tokens expire.
    #[value(name = "identity-rotate-signing-key")]
    RotateSigningKey,
    /// Delete expired and revoked refresh-token sessions.
    #[value(name = "identity-prune-sessions")]
    PruneSessions,
}

impl JobName {
    pub fn as_str(self) -> &'static str {
        match self {
            JobName::ExpirePromotions => "expire-promotions",
            JobName::StartUsageNewMonth => "start-usage-new-month",
            JobName::FlushViewCounters => "flush-view-counters",
            JobName::Reindex => "reindex",
            JobName::RotateSigningKey => "identity-rotate-signing-key",
            JobName::PruneSessions => "identity-prune-sessions",
        }
    }

    /// The database the job works on.
    pub fn database(self) -> ServiceName {
        match self {
            JobName::ExpirePromotions | JobName::StartUsageNewMonth => ServiceName::Billing,
            JobName::FlushViewCounters => ServiceName::Catalog,
            JobName::Reindex => ServiceName::Search,
            JobName::RotateSigningKey | JobName::PruneSessions => ServiceName::Identity,
        }
    }
}
