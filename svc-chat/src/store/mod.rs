//! Chat's storage (sea-orm over PostgreSQL or SQLite): conversations, messages,
//! read markers and mail throttles, round-robin turns.

pub mod conversations;
pub mod entities;

pub use nds_common::clock::now_unix;

/// Whether a write failed on a unique index (a concurrent duplicate).
pub fn is_unique_violation(error: &sea_orm::DbErr) -> bool {
    matches!(error.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}
