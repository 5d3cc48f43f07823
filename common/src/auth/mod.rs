//! Who is calling, and may they do this.
//!
//! Identity signs access tokens; every service verifies them itself from the JWKS
//! ([`verifier`]) and asks the same questions through [`Principal`]'s helpers, so a
//! tenant check is one call instead of ad-hoc code in each handler.

pub mod agencies;
pub mod claims;
pub mod principal;
pub mod verifier;

pub use agencies::AgencyGroups;
pub use claims::{ACCESS_TOKEN_TTL_SECONDS, AccessClaims, MembershipClaim, TOKEN_TYPE_HEADER, TOKEN_USE_ACCESS};
pub use principal::{AgencyAction, AgencyRef, Membership, MetricsScope, Principal, PrincipalKind, Role};
pub use verifier::{Authenticator, JwksSource, JwtVerifier, SessionCheck, SessionStatus, StaticJwks};
