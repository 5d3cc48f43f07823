//! Service accounts (client credentials for internal tools and jobs).

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::entities::service_account;
use nds_common::clock::now_unix;

pub async fn find<C: ConnectionTrait>(
    connection: &C,
    client_id: &str,
) -> Result<Option<service_account::Model>, DbErr> {
    service_account::Entity::find().filter(service_account::Column::ClientId.eq(client_id)).one(connection).await
}

/// Creates the account, or replaces its secret and scopes if it exists.
pub async fn upsert<C: ConnectionTrait>(
    connection: &C,
    client_id: &str,
    secret_hash: &str,
    scopes: &str,
) -> Result<(), DbErr> {
    if find(connection, client_id).await?.is_some() {
        service_account::Entity::update_many()
            .col_expr(service_account::Column::SecretHash, Expr::value(secret_hash.to_string()))
            .col_expr(service_account::Column::Scopes, Expr::value(scopes.to_string()))
            .filter(service_account::Column::ClientId.eq(client_id))
            .exec(connection)
            .await?;
        return Ok(());
    }
    service_account::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(client_id.to_string()),
        secret_hash: Set(secret_hash.to_string()),
        scopes: Set(scopes.to_string()),
        created_at: Set(now_unix()),
    }
    .insert(connection)
    .await?;
    Ok(())
}
