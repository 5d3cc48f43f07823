//! The gRPC contracts between NDS services, generated from `proto/nds/**.proto`.
//!
//! Re-exports tonic and prost so every crate uses the same versions.

pub use prost;
pub use prost_types;
pub use tonic;

/// The encoded `FileDescriptorSet` of every NDS proto, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/nds_descriptor.bin"));

pub mod common {
    pub mod v1 {
        tonic::include_proto!("nds.common.v1");
    }
}
pub mod identity {
    pub mod v1 {
        tonic::include_proto!("nds.identity.v1");
    }
}
pub mod catalog {
    pub mod v1 {
        tonic::include_proto!("nds.catalog.v1");

        /// Most ids one `GetListings` call may carry: catalog refuses more, so callers
        /// (the edge's listing loader) split larger batches. One number for both sides.
        pub const GET_LISTINGS_MAX_IDS: usize = 100;

        /// Most entries one `ListSitemap` page carries: the sitemap protocol's limit of
        /// URLs per file (sitemaps.org), so one page makes one sitemap file. Catalog caps
        /// larger requests, the edge refuses them. At about 50 bytes an entry, a full
        /// page stays well below gRPC's 4 MiB message limit.
        pub const SITEMAP_PAGE_MAX_ENTRIES: u32 = 50_000;
    }
}
pub mod search {
    pub mod v1 {
        tonic::include_proto!("nds.search.v1");
    }
}
pub mod billing {
    pub mod v1 {
        tonic::include_proto!("nds.billing.v1");
    }
}
pub mod chat {
    pub mod v1 {
        tonic::include_proto!("nds.chat.v1");
    }
}

/// The gRPC service names, as health checks and reflection report them.
pub mod service_names {
    pub const IDENTITY: &str = "nds.identity.v1.IdentityService";
    pub const CATALOG: &str = "nds.catalog.v1.CatalogService";
    pub const SEARCH: &str = "nds.search.v1.SearchService";
    pub const BILLING: &str = "nds.billing.v1.BillingService";
    pub const CHAT: &str = "nds.chat.v1.ChatService";
    pub const ALL: [&str; 5] = [IDENTITY, CATALOG, SEARCH, BILLING, CHAT];
}
