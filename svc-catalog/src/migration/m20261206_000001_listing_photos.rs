//! Listing photos and their upload reservations. A photo row exists from the moment
//! its bytes arrive (PROCESSING) until it is deleted; its variants are named in
//! `variants` (JSON) once written; `source_url` is set for photos taken in from a
//! URL an API integration sent. Upload tokens are stored as SHA-256 only.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, integer, pk_uuid, string_len, string_len_null, text, uuid,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ListingPhotos {
    Table,
    Id,
    ListingId,
    AgencyId,
    Position,
    Status,
    FailureCode,
    FailureReason,
    Width,
    Height,
    Placeholder,
    Variants,
    SourceUrl,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PhotoUploads {
    Table,
    TokenHash,
    ListingId,
    AgencyId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ListingPhotos::Table)
                    .col(pk_uuid(ListingPhotos::Id))
                    .col(uuid(ListingPhotos::ListingId))
                    .col(uuid(ListingPhotos::AgencyId))
                    .col(integer(ListingPhotos::Position))
                    .col(string_len(ListingPhotos::Status, 16))
                    .col(string_len_null(ListingPhotos::FailureCode, 32))
                    .col(string_len_null(ListingPhotos::FailureReason, 300))
                    .col(integer(ListingPhotos::Width))
                    .col(integer(ListingPhotos::Height))
                    .col(string_len(ListingPhotos::Placeholder, 7))
                    .col(text(ListingPhotos::Variants))
                    .col(string_len_null(ListingPhotos::SourceUrl, 2048))
                    .col(big_integer(ListingPhotos::CreatedAt))
                    .col(big_integer(ListingPhotos::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("listing_photos_listing")
                    .table(ListingPhotos::Table)
                    .col(ListingPhotos::ListingId)
                    .col(ListingPhotos::Position)
                    .to_owned(),
            )
            .await?;
        // A URL sent by an API integration is taken in once per listing, however
        // often the listing is saved with it (partial unique indexes read the same on
        // PostgreSQL and SQLite).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX listing_photos_source_url ON listing_photos (listing_id, source_url) \
                 WHERE source_url IS NOT NULL",
            )
            .await?;
        // The recovery sweep finds photos left PROCESSING by a stopped process.
        manager
            .create_index(
                Index::create()
                    .name("listing_photos_status")
                    .table(ListingPhotos::Table)
                    .col(ListingPhotos::Status)
                    .col(ListingPhotos::UpdatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PhotoUploads::Table)
                    .col(string_len(PhotoUploads::TokenHash, 64).primary_key())
                    .col(uuid(PhotoUploads::ListingId))
                    .col(uuid(PhotoUploads::AgencyId))
                    .col(big_integer(PhotoUploads::CreatedAt))
                    .col(big_integer(PhotoUploads::ExpiresAt))
                    .col(big_integer_null(PhotoUploads::UsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("photo_uploads_listing")
                    .table(PhotoUploads::Table)
                    .col(PhotoUploads::ListingId)
                    .col(PhotoUploads::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(PhotoUploads::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ListingPhotos::Table).to_owned()).await
    }
}
