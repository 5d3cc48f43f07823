//! Scheduled jobs. Each runs under `job_lock::run_exclusively` and is safe to run
//! twice: state transitions and unique keys decide what is done once.

use nds_common::job_lock::{JobRun, run_exclusively};
use nds_common::mail::OutgoingMail;
use uuid::Uuid;

use super::Billing;
use crate::domain::period::{meter_identifier, month_of};
use crate::error::BillingError;
use crate::store::{self, now_unix, promotions};

pub const EXPIRE_PROMOTIONS: &str = "expire-promotions";
pub const START_USAGE_NEW_MONTH: &str = "start-usage-new-month";
pub const JOB_NAMES: [&str; 2] = [EXPIRE_PROMOTIONS, START_USAGE_NEW_MONTH];

impl Billing {
    pub async fn run_job(&self, name: &str) -> Result<String, BillingError> {
        let run = match name {
            EXPIRE_PROMOTIONS => run_exclusively(&self.database, name, || self.expire_promotions(now_unix())).await?,
            START_USAGE_NEW_MONTH => {
                run_exclusively(&self.database, name, || self.start_usage_new_month(now_unix())).await?
            }
            other => {
                return Err(BillingError::invalid("job", format!("unknown job {other:?}; billing runs {JOB_NAMES:?}")));
            }
        };
        Ok(match run {
            JobRun::Ran(report) => report,
            JobRun::Skipped => format!("{name}: another run holds the lock; nothing done"),
        })
    }

    /// Ends due promotions, clears them in catalog, emails the agency's managers.
    pub async fn expire_promotions(&self, now: i64) -> Result<String, BillingError> {
        let mut expired = 0;
        for promotion in promotions::due_to_expire(&self.database, now).await? {
            if promotions::expire(&self.database, &promotion.id).await? {
                expired += 1;
            }
        }
        let synced = self.sync_promotions_to_catalog().await?;
        // Mail after the state change: a crash in between mails on the next run.
        let mut mailed = 0;
        for promotion in promotions::expired_unnotified(&self.database).await? {
            let Ok(agency_id) = Uuid::parse_str(&promotion.agency_id) else {
                continue;
            };
            let recipients = match self.directory.manager_emails(agency_id).await {
                Ok(recipients) => recipients,
                Err(error) => {
                    tracing::warn!(agency_id = %agency_id, error = %error, "cannot find the agency's managers; will mail next run");
                    continue;
                }
            };
            let mut all_sent = true;
            for to in recipients {
                let mail = OutgoingMail {
                    to,
                    subject: "Your listing's promotion has ended / La promoción de tu anuncio terminó".into(),
                    body: format!(
                        "The 30-day promotion of listing {listing} has ended. You can promote it again from your dashboard.\n\n\
                         La promoción de 30 días del anuncio {listing} terminó. Puedes promoverlo de nuevo desde tu panel.\n",
                        listing = promotion.listing_id
                    ),
                };
                if let Err(error) = self.mailer.send(&mail).await {
                    tracing::warn!(promotion_id = %promotion.id, error = %error, "promotion expiry mail failed; will retry");
                    all_sent = false;
                }
            }
            if all_sent {
                promotions::mark_notified(&self.database, &promotion.id).await?;
                mailed += 1;
            }
        }
        Ok(format!(
            "{EXPIRE_PROMOTIONS}: {expired} promotions ended, {synced} catalog updates, {mailed} agencies mailed"
        ))
    }

    /// Records each agency's opening count of live listings for the month of
    /// `now`, and queues the month's meter event for each of those listings of
    /// agencies with a live subscription.
    pub async fn start_usage_new_month(&self, now: i64) -> Result<String, BillingError> {
        let month = month_of(now);
        let listings = store::usage::published_listings(&self.database).await?;
        let mut per_agency: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
        let mut billable: std::collections::BTreeMap<String, bool> = std::collections::BTreeMap::new();
        for listing in &listings {
            *per_agency.entry(listing.agency_id.clone()).or_default() += 1;
            let agency_billable = match billable.get(&listing.agency_id) {
                Some(known) => *known,
                None => {
                    let known = store::accounts::billable(&self.database, &listing.agency_id).await?;
                    billable.insert(listing.agency_id.clone(), known);
                    known
                }
            };
            // Agencies without a live subscription have no usage to bill this month.
            if !agency_billable {
                continue;
            }
            store::usage::queue_meter_event(
                &self.database,
                &meter_identifier(&listing.listing_id, &month),
                &listing.listing_id,
                &listing.agency_id,
                &month,
            )
            .await?;
        }
        let mut recorded = 0;
        for (agency_id, count) in &per_agency {
            if store::usage::record_opening(&self.database, agency_id, &month, *count).await? {
                recorded += 1;
            }
        }
        let sent = self.send_meter_events().await?;
        Ok(format!(
            "{START_USAGE_NEW_MONTH}: {month}: {recorded} opening counts recorded ({} agencies with live listings), {sent} meter events sent",
            per_agency.len()
        ))
    }
}
