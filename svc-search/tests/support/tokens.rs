//! Access tokens signed with a throw-away Ed25519 key (the one common's verifier
//! tests use) and an authenticator that trusts it.

use std::sync::Arc;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use nds_common::auth::{AccessClaims, Authenticator, JwtVerifier, MembershipClaim, StaticJwks, TOKEN_TYPE_HEADER};
use uuid::Uuid;

// The throw-away Ed25519 test key common's verifier tests use.
const KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIII492je9j7PJVtoqdFjd9AoUPPRjfwAuRmdYI/BdGfC\n-----END PRIVATE KEY-----\n";
const KEY_X: &str = "5vYO9rV2aWSQ-l5Sv3kbT3UWrvO9y8qVrn5zje5KC-E";

pub fn sign(kind: &str, subject: String, memberships: Vec<MembershipClaim>, scopes: Vec<String>) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = AccessClaims {
        iss: "nds".into(),
        aud: "nds-api".into(),
        sub: subject,
        exp: now + 600,
        iat: now,
        jti: Uuid::new_v4().to_string(),
        token_use: "access".into(),
        kind: kind.into(),
        memberships,
        scopes,
    };
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("test".into());
    header.typ = Some(TOKEN_TYPE_HEADER.into());
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_pem(KEY_PEM.as_bytes()).unwrap()).unwrap()
}

pub fn search_service_token() -> String {
    sign("service", "service:search".into(), vec![], vec!["internal".into()])
}

pub fn manager_token(agency_id: Uuid, group_id: Uuid) -> String {
    let membership = MembershipClaim {
        role: "AGENCY_MANAGER".into(),
        group_id: Some(group_id.to_string()),
        agency_id: Some(agency_id.to_string()),
    };
    sign("user", Uuid::new_v4().to_string(), vec![membership], vec![])
}

pub fn authenticator() -> Authenticator {
    let jwks = serde_json::json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": KEY_X, "kid": "test", "alg": "EdDSA", "use": "sig"}]});
    Authenticator::new(Arc::new(JwtVerifier::new(Arc::new(StaticJwks(jwks.to_string())), "nds", "nds-api")))
}

pub fn platform_admin_token() -> String {
    let membership = MembershipClaim { role: "PLATFORM_ADMIN".into(), group_id: None, agency_id: None };
    sign("user", Uuid::new_v4().to_string(), vec![membership], vec![])
}

pub fn buyer_token() -> String {
    let membership = MembershipClaim { role: "BUYER".into(), group_id: None, agency_id: None };
    sign("user", Uuid::new_v4().to_string(), vec![membership], vec![])
}
