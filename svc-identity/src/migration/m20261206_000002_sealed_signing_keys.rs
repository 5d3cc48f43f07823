//! Private signing keys are stored sealed (envelope encryption, see
//! `domain::key_sealing`). The column is renamed for what it now holds; rows that
//! still hold base64 PKCS#8 are sealed by identity at its next start
//! (`KeyRing::ensure_signing_key`), which needs the key-encryption key a migration
//! does not have.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    PrivateKeyPkcs8,
    PrivateKeySealed,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SigningKeys::Table)
                    .rename_column(SigningKeys::PrivateKeyPkcs8, SigningKeys::PrivateKeySealed)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SigningKeys::Table)
                    .rename_column(SigningKeys::PrivateKeySealed, SigningKeys::PrivateKeyPkcs8)
                    .to_owned(),
            )
            .await
    }
}
