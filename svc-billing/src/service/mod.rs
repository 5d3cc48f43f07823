//! Billing's use cases over the domain, the store and the clients. The gRPC
//! adapter and the webhook route call these; so do jobs and background workers.

pub mod feed;
pub mod jobs;
pub mod payments;
pub mod queries;
pub mod webhooks;
pub mod workers;

use std::sync::Arc;

use nds_common::auth::{AgencyAction, AgencyGroups, AgencyRef, Principal};
use nds_common::mail::SharedMailer;
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::clients::catalog::GrpcCatalog;
use crate::clients::identity::GrpcDirectory;
use crate::clients::stripe_api::StripeApi;
use crate::error::BillingError;

/// Prices and links billing needs, from config.
#[derive(Clone, Debug)]
pub struct BillingSettings {
    pub promotion_price_minor: i64,
    pub currency: String,
    pub platform_fee_percent: f64,
    /// Monthly price per published listing, in minor units.
    pub listing_price_minor: i64,
    /// The staff panel's base URL: Stripe's payout onboarding returns there.
    pub panel_url: String,
}

#[derive(Clone)]
pub struct Billing {
    pub database: DatabaseConnection,
    pub stripe: StripeApi,
    pub catalog: GrpcCatalog,
    pub directory: GrpcDirectory,
    /// Agency → group for tenant checks, from identity.
    pub agencies: AgencyGroups,
    pub mailer: SharedMailer,
    pub settings: BillingSettings,
    /// Wakes the webhook worker when an event was stored.
    pub wake: Arc<Notify>,
}

impl Billing {
    /// The agency as tenant checks need it, its group from the caller's own
    /// memberships or from identity (never from billing's copy, which a platform
    /// admin's action could have written without a group).
    pub async fn agency_ref(&self, principal: &Principal, agency_id: Uuid) -> Result<AgencyRef, BillingError> {
        Ok(self.agencies.agency_ref(principal, agency_id).await?)
    }

    pub async fn require_on_agency(
        &self,
        principal: &Principal,
        agency_id: Uuid,
        action: AgencyAction,
    ) -> Result<AgencyRef, BillingError> {
        let agency = self.agency_ref(principal, agency_id).await?;
        principal.require_on_agency(agency, action)?;
        Ok(agency)
    }
}

/// Ids from callers are parsed by the one parser every service uses.
pub fn parse_id(raw: &str, field: &str) -> Result<Uuid, BillingError> {
    Ok(nds_common::convert::parse_id(raw, field)?)
}
