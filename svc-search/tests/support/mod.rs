//! Test data shared by the integration tests: listing documents and catalog
//! listings built from one compact description, and temporary directories.

#![allow(dead_code)]

pub mod feed;
pub mod replay;
pub mod tokens;

use nds_common::vehicle::{BodyType, Condition, Fuel, Transmission};
use nds_proto::catalog::v1::{ChangeKind, Listing, ListingChange, ListingStatus};
use svc_search::domain::{ListingCard, ListingDoc};
use uuid::Uuid;

pub const NOW: i64 = 1_790_000_000;

/// A temporary directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("svc-search-{label}-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

pub fn id(number: u64) -> Uuid {
    Uuid::from_u64_pair(0x5EA2C4, number)
}

pub fn agency() -> Uuid {
    Uuid::from_u64_pair(0xA6E4C1, 1)
}

/// A published listing document with sensible defaults.
pub fn doc(number: u64, make: &str, model: &str, price_pesos: i64) -> ListingDoc {
    ListingDoc {
        id: id(number),
        version: 1,
        agency_id: agency(),
        make: make.into(),
        model: model.into(),
        year: 2020,
        trim: String::new(),
        description: String::new(),
        attributes_text: String::new(),
        price_minor: price_pesos * 100,
        currency: "MXN".into(),
        mileage_km: 50_000,
        body_type: Some(BodyType::Sedan),
        fuel: Some(Fuel::Gasoline),
        transmission: Some(Transmission::Automatic),
        condition: Some(Condition::Used),
        color: "white".into(),
        city: "guadalajara".into(),
        promoted_until_unix: None,
        promotion_rank: 0,
        published_at_unix: NOW - 86_400 + number as i64,
        card: ListingCard::default(),
    }
}

/// The catalog listing a document comes from, in a status.
pub fn listing(doc: &ListingDoc, status: ListingStatus) -> Listing {
    svc_search::bench_support::catalog_listing(doc, status)
}

pub fn change(sequence: i64, doc: &ListingDoc, status: ListingStatus) -> ListingChange {
    ListingChange {
        sequence,
        kind: ChangeKind::Updated as i32,
        listing: Some(listing(doc, status)),
        changed_at_unix: NOW,
        traceparent: String::new(),
    }
}
