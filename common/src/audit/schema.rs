//! The `audit_log` table, for the migrations of every service that keeps one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, pk_uuid, string, text};

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    Actor,
    Action,
    TargetType,
    TargetId,
    Detail,
    CreatedAt,
}

pub const TARGET_INDEX: &str = "idx_audit_log_target";
pub const ACTION_INDEX: &str = "idx_audit_log_action_id";

pub fn create_table() -> TableCreateStatement {
    Table::create()
        .table(AuditLog::Table)
        .col(pk_uuid(AuditLog::Id))
        .col(string(AuditLog::Actor))
        .col(string(AuditLog::Action))
        .col(string(AuditLog::TargetType))
        .col(string(AuditLog::TargetId))
        .col(text(AuditLog::Detail))
        .col(big_integer(AuditLog::CreatedAt))
        .to_owned()
}

/// One target's history, oldest first.
pub fn target_index() -> IndexCreateStatement {
    Index::create()
        .name(TARGET_INDEX)
        .table(AuditLog::Table)
        .col(AuditLog::TargetType)
        .col(AuditLog::TargetId)
        .to_owned()
}

/// The log is read newest first, often for one action: this serves both.
pub fn action_index() -> IndexCreateStatement {
    Index::create().name(ACTION_INDEX).table(AuditLog::Table).col(AuditLog::Action).col(AuditLog::Id).to_owned()
}

pub fn drop_action_index() -> IndexDropStatement {
    Index::drop().name(ACTION_INDEX).table(AuditLog::Table).to_owned()
}

pub fn drop_table() -> TableDropStatement {
    Table::drop().table(AuditLog::Table).to_owned()
}
