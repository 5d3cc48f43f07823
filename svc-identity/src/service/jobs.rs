//! Scheduled jobs: idempotent, guarded by a lock, safe to run twice.

use nds_common::job_lock::{JobRun, run_exclusively};

use super::IdentityService;
use super::sessions::REFRESH_TOKEN_TTL_SECONDS;
use crate::error::{IdentityError, IdentityResult};
use crate::store::{keys as key_store, sessions as session_store};
use nds_common::clock::now_unix;

/// Rotates the signing key when it is older than this.
pub const KEY_ROTATION_AGE_SECONDS: i64 = 30 * 24 * 3600;

pub const JOB_ROTATE_SIGNING_KEY: &str = "identity-rotate-signing-key";
pub const JOB_PRUNE_SESSIONS: &str = "identity-prune-sessions";
pub const JOBS: [&str; 2] = [JOB_ROTATE_SIGNING_KEY, JOB_PRUNE_SESSIONS];

impl IdentityService {
    pub async fn run_job(&self, name: &str) -> IdentityResult<String> {
        let database = self.database.clone();
        let outcome = match name {
            JOB_ROTATE_SIGNING_KEY => run_exclusively(&database, name, || self.rotate_if_due()).await?,
            JOB_PRUNE_SESSIONS => run_exclusively(&database, name, || self.prune_sessions()).await?,
            unknown => {
                return Err(IdentityError::invalid(
                    "job",
                    format!("unknown identity job {unknown:?}; known: {}", JOBS.join(", ")),
                ));
            }
        };
        Ok(match outcome {
            JobRun::Ran(report) => report,
            JobRun::Skipped => format!("{name}: another run holds the lock; nothing done"),
        })
    }

    /// Rotates only when the signing key is due, so a second run is a no-op;
    /// also drops keys no live token can need.
    async fn rotate_if_due(&self) -> IdentityResult<String> {
        let pruned = self.keys.prune().await?;
        let due = match key_store::active(&self.database).await? {
            None => true,
            Some(key) => now_unix() - key.created_at >= KEY_ROTATION_AGE_SECONDS,
        };
        if !due {
            return Ok(format!("signing key is recent; not rotated; {pruned} old keys pruned"));
        }
        let kid = self.keys.rotate().await?;
        Ok(format!("signing key rotated to {kid}; {pruned} old keys pruned"))
    }

    /// Deletes refresh tokens that expired more than a day ago (the day keeps
    /// reuse detection working for a stale replay shortly after expiry).
    async fn prune_sessions(&self) -> IdentityResult<String> {
        let cutoff = now_unix() - 24 * 3600;
        let deleted = session_store::delete_expired_before(&self.database, cutoff).await?;
        Ok(format!("{deleted} expired refresh tokens deleted (tokens live {REFRESH_TOKEN_TTL_SECONDS} s)"))
    }
}
