use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kid: String,
    /// The Ed25519 key pair's PKCS#8 DER, sealed (`domain::key_sealing`). Rows
    /// written before sealing hold it in base64 until identity's next start.
    pub private_key_sealed: String,
    /// Base64url public key (the JWK `x`).
    pub public_key_x: String,
    pub created_at: i64,
    /// When it stopped signing; it keeps verifying until tokens it signed expired.
    pub retired_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
