//! The claims of an NDS access token: shared by identity (which signs) and every
//! verifier, so both sides agree on one struct.

use serde::{Deserialize, Serialize};

/// `token_use` of access tokens; refresh and invitation tokens are opaque or carry
/// another value, so they can never pass as access tokens.
pub const TOKEN_USE_ACCESS: &str = "access";
/// The JOSE `typ` header of access tokens (RFC 9068).
pub const TOKEN_TYPE_HEADER: &str = "at+jwt";
/// Access tokens live ten minutes: short enough that logging out or losing a
/// role costs little, long enough not to hammer identity with refreshes. Identity
/// signs them for exactly this long; verifiers refuse tokens claiming a longer life.
pub const ACCESS_TOKEN_TTL_SECONDS: i64 = 600;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipClaim {
    /// Role name as in the contract: PLATFORM_ADMIN, GROUP_ADMIN, AGENCY_MANAGER, SALESPERSON, BUYER.
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// User id (UUID) or `service:<client id>`.
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub token_use: String,
    /// "user" or "service".
    pub kind: String,
    #[serde(default)]
    pub memberships: Vec<MembershipClaim>,
    #[serde(default)]
    pub scopes: Vec<String>,
}
