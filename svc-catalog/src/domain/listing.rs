//! A listing as the catalog knows it, independent of the wire and of the database.

use std::fmt;
use std::str::FromStr;

use nds_common::vehicle::{BodyType, Condition, Fuel, Transmission};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::vin::Vin;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ListingStatus {
    Draft,
    Published,
    Sold,
    Archived,
}

impl ListingStatus {
    pub const ALL: [ListingStatus; 4] =
        [ListingStatus::Draft, ListingStatus::Published, ListingStatus::Sold, ListingStatus::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            ListingStatus::Draft => "DRAFT",
            ListingStatus::Published => "PUBLISHED",
            ListingStatus::Sold => "SOLD",
            ListingStatus::Archived => "ARCHIVED",
        }
    }

    /// Only published listings are public.
    pub fn is_public(self) -> bool {
        self == ListingStatus::Published
    }
}

impl FromStr for ListingStatus {
    type Err = String;

    fn from_str(name: &str) -> Result<ListingStatus, String> {
        ListingStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == name)
            .ok_or_else(|| format!("unknown listing status {name:?}"))
    }
}

impl fmt::Display for ListingStatus {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// An amount in minor units (centavos, cents) of an ISO 4217 currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: String,
}

pub const DEFAULT_CURRENCY: &str = "MXN";

/// The agency a listing belongs to; its group rides along for tenant checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub agency_id: Uuid,
    pub group_id: Uuid,
}

/// What agency staff edit: every field has passed validation (see `validation`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListingFields {
    pub make: String,
    pub model: String,
    pub year: i32,
    pub trim: Option<String>,
    pub vin: Option<Vin>,
    pub price: Money,
    pub mileage_km: i64,
    pub body_type: BodyType,
    pub fuel: Fuel,
    pub transmission: Transmission,
    pub color: String,
    pub condition: Condition,
    pub city: String,
    pub state: Option<String>,
    pub description: Option<String>,
    pub photos: Vec<String>,
    /// Always a JSON object.
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Promotion {
    pub until_unix: i64,
    pub rank: i32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    pub id: Uuid,
    pub owner: Owner,
    pub status: ListingStatus,
    /// Bumped by every change; optimistic concurrency and idempotent consumers use it.
    pub version: i64,
    pub fields: ListingFields,
    pub promotion: Option<Promotion>,
    pub created_at_unix: i64,
    pub updated_at_unix: i64,
    pub published_at_unix: Option<i64>,
    pub view_count: i64,
    /// Its agency is suspended: out of search and hidden from the public.
    /// (Feed snapshots written before this field read as not suspended.)
    #[serde(default)]
    pub agency_suspended: bool,
}

/// Why a change row was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeKind {
    Created,
    Updated,
    StatusChanged,
    PromotionChanged,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 4] =
        [ChangeKind::Created, ChangeKind::Updated, ChangeKind::StatusChanged, ChangeKind::PromotionChanged];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "CREATED",
            ChangeKind::Updated => "UPDATED",
            ChangeKind::StatusChanged => "STATUS_CHANGED",
            ChangeKind::PromotionChanged => "PROMOTION_CHANGED",
        }
    }
}

impl FromStr for ChangeKind {
    type Err = String;

    fn from_str(name: &str) -> Result<ChangeKind, String> {
        ChangeKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| format!("unknown change kind {name:?}"))
    }
}

/// One entry of the change feed: the listing as it was right after the change.
#[derive(Clone, Debug, PartialEq)]
pub struct ListingChange {
    pub sequence: i64,
    pub kind: ChangeKind,
    pub listing: Listing,
    pub changed_at_unix: i64,
    /// The trace of the request that made the change, for whoever acts on it later.
    pub traceparent: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PricePoint {
    pub price: Money,
    pub changed_at_unix: i64,
}
