//! What the service answers with: rows turned into the shapes callers see (no
//! password hashes, roles parsed).

use nds_common::auth::{Membership, Role};
use uuid::Uuid;

use crate::domain::roles::parse_role;
use crate::store::entities::{membership, user};

#[derive(Clone, Debug)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub suspended: bool,
    pub created_at: i64,
    pub memberships: Vec<Membership>,
}

impl UserView {
    pub fn new(user: user::Model, memberships: &[membership::Model]) -> UserView {
        UserView {
            id: user.id,
            email: user.email,
            name: user.name,
            suspended: user.suspended,
            created_at: user.created_at,
            memberships: self::memberships(memberships),
        }
    }
}

/// Rows to memberships; a row with an unknown role (never written by this code)
/// is skipped rather than trusted.
pub fn memberships(rows: &[membership::Model]) -> Vec<Membership> {
    rows.iter()
        .filter_map(|row| {
            let role: Role = parse_role(&row.role)?;
            Some(Membership { role, group_id: row.group_id, agency_id: row.agency_id })
        })
        .collect()
}

/// Tokens and the user they were issued to.
#[derive(Clone, Debug)]
pub struct SessionTokens {
    pub access_token: String,
    /// Empty for service tokens (they re-authenticate with their secret).
    pub refresh_token: String,
    pub access_expires_at: i64,
    pub user: Option<UserView>,
}
