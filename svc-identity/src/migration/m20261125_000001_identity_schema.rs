use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, boolean, integer, pk_uuid, string, string_null, string_uniq, text, text_null, uuid,
    uuid_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    Suspended,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AutomobileGroups {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Agencies {
    Table,
    Id,
    GroupId,
    Name,
    City,
    State,
    Suspended,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    UserId,
    Role,
    GroupId,
    AgencyId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    TokenHash,
    FamilyId,
    UserId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Kid,
    PrivateKeyPkcs8,
    PublicKeyX,
    CreatedAt,
    RetiredAt,
}

#[derive(DeriveIden)]
enum AgencyApplications {
    Table,
    Id,
    Status,
    CompanyName,
    ContactName,
    ContactEmail,
    ContactPhone,
    TaxId,
    Address,
    City,
    State,
    GroupId,
    GroupName,
    ExpectedListings,
    RejectionReason,
    AgencyId,
    ReviewedBy,
    CreatedAt,
    ReviewedAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    TokenHash,
    AgencyId,
    GroupId,
    Email,
    Role,
    InvitedBy,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
    AcceptedBy,
}

#[derive(DeriveIden)]
enum ServiceAccounts {
    Table,
    Id,
    ClientId,
    SecretHash,
    Scopes,
    CreatedAt,
}

fn index(name: &str, table: impl IntoIden, columns: &[&'static str]) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for column in columns {
        statement.col(Alias::new(*column));
    }
    statement
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_uuid(Users::Id))
                    .col(string_uniq(Users::Email))
                    .col(string(Users::Name))
                    .col(text(Users::PasswordHash))
                    .col(boolean(Users::Suspended).default(false))
                    .col(big_integer(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AutomobileGroups::Table)
                    .col(pk_uuid(AutomobileGroups::Id))
                    .col(string_uniq(AutomobileGroups::Name))
                    .col(big_integer(AutomobileGroups::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Agencies::Table)
                    .col(pk_uuid(Agencies::Id))
                    .col(uuid(Agencies::GroupId))
                    .col(string(Agencies::Name))
                    .col(string(Agencies::City))
                    .col(string(Agencies::State))
                    .col(boolean(Agencies::Suspended).default(false))
                    .col(big_integer(Agencies::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agencies_group")
                            .from(Agencies::Table, Agencies::GroupId)
                            .to(AutomobileGroups::Table, AutomobileGroups::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(pk_uuid(Memberships::Id))
                    .col(uuid(Memberships::UserId))
                    .col(string(Memberships::Role))
                    .col(uuid_null(Memberships::GroupId))
                    .col(uuid_null(Memberships::AgencyId))
                    .col(big_integer(Memberships::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_memberships_user")
                            .from(Memberships::Table, Memberships::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_memberships_user", Memberships::Table, &["user_id"])).await?;
        manager.create_index(index("idx_memberships_agency", Memberships::Table, &["agency_id"])).await?;
        manager.create_index(index("idx_memberships_group", Memberships::Table, &["group_id"])).await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(pk_uuid(RefreshTokens::Id))
                    .col(string_uniq(RefreshTokens::TokenHash))
                    .col(uuid(RefreshTokens::FamilyId))
                    .col(uuid(RefreshTokens::UserId))
                    .col(big_integer(RefreshTokens::CreatedAt))
                    .col(big_integer(RefreshTokens::ExpiresAt))
                    .col(big_integer_null(RefreshTokens::UsedAt))
                    .col(big_integer_null(RefreshTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_tokens_user")
                            .from(RefreshTokens::Table, RefreshTokens::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_refresh_tokens_family", RefreshTokens::Table, &["family_id"])).await?;
        manager.create_index(index("idx_refresh_tokens_user", RefreshTokens::Table, &["user_id"])).await?;
        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    .col(string(SigningKeys::Kid).primary_key())
                    .col(text(SigningKeys::PrivateKeyPkcs8))
                    .col(string(SigningKeys::PublicKeyX))
                    .col(big_integer(SigningKeys::CreatedAt))
                    .col(big_integer_null(SigningKeys::RetiredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AgencyApplications::Table)
                    .col(pk_uuid(AgencyApplications::Id))
                    .col(string(AgencyApplications::Status))
                    .col(string(AgencyApplications::CompanyName))
                    .col(string(AgencyApplications::ContactName))
                    .col(string(AgencyApplications::ContactEmail))
                    .col(string(AgencyApplications::ContactPhone))
                    .col(string(AgencyApplications::TaxId))
                    .col(text(AgencyApplications::Address))
                    .col(string(AgencyApplications::City))
                    .col(string(AgencyApplications::State))
                    .col(uuid_null(AgencyApplications::GroupId))
                    .col(string_null(AgencyApplications::GroupName))
                    .col(integer(AgencyApplications::ExpectedListings))
                    .col(text_null(AgencyApplications::RejectionReason))
                    .col(uuid_null(AgencyApplications::AgencyId))
                    .col(uuid_null(AgencyApplications::ReviewedBy))
                    .col(big_integer(AgencyApplications::CreatedAt))
                    .col(big_integer_null(AgencyApplications::ReviewedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_agency_applications_status", AgencyApplications::Table, &["status", "created_at"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .col(pk_uuid(Invitations::Id))
                    .col(string_uniq(Invitations::TokenHash))
                    .col(uuid(Invitations::AgencyId))
                    .col(uuid(Invitations::GroupId))
                    .col(string(Invitations::Email))
                    .col(string(Invitations::Role))
                    .col(uuid_null(Invitations::InvitedBy))
                    .col(big_integer(Invitations::CreatedAt))
                    .col(big_integer(Invitations::ExpiresAt))
                    .col(big_integer_null(Invitations::AcceptedAt))
                    .col(uuid_null(Invitations::AcceptedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invitations_agency")
                            .from(Invitations::Table, Invitations::AgencyId)
                            .to(Agencies::Table, Agencies::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServiceAccounts::Table)
                    .col(pk_uuid(ServiceAccounts::Id))
                    .col(string_uniq(ServiceAccounts::ClientId))
                    .col(string(ServiceAccounts::SecretHash))
                    .col(text(ServiceAccounts::Scopes))
                    .col(big_integer(ServiceAccounts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // The same table in every service that keeps an audit log.
        manager.create_table(nds_common::audit::schema::create_table()).await?;
        manager.create_index(nds_common::audit::schema::target_index()).await?;
        Ok(())
    }
}
