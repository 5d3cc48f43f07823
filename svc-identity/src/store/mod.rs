//! Storage: sea-orm entities and the repository functions the service calls.
//! Functions take any `ConnectionTrait` so they compose inside transactions.

pub mod applications;
pub mod entities;
pub mod invitations;
pub mod keys;
pub mod metrics;
pub mod orgs;
pub mod password_resets;
pub mod service_accounts;
pub mod sessions;
pub mod users;

use sea_orm::{DbErr, SqlErr};

use crate::error::IdentityError;

/// Turns a unique-constraint violation into CONFLICT with `message`; other
/// database errors stay database errors.
pub fn conflict_on_unique(error: DbErr, message: &str) -> IdentityError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => IdentityError::Conflict(message.to_string()),
        Some(_) | None => IdentityError::Database(error),
    }
}
