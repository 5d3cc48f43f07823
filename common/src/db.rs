//! Database connections (sea-orm over PostgreSQL in production, SQLite embedded)
//! and migrations. Pools fail fast so a database restart costs a failed call, not
//! a hung one, and later calls recover on fresh connections.

use std::time::Duration;

use sea_orm::sea_query::LikeExpr;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement};
use sea_orm_migration::MigratorTrait;

use crate::error::ErrorCode;

pub use sea_orm;

/// How long a request waits for a pooled connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_file_path(url)
        && let Some(parent) = std::path::Path::new(&path).parent()
    {
        std::fs::create_dir_all(parent)
            .map_err(|error| DbErr::Custom(format!("cannot create {}: {error}", parent.display())))?;
    }
    let mut options = ConnectOptions::new(url.to_string());
    options
        .connect_timeout(CONNECT_TIMEOUT)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .idle_timeout(Duration::from_secs(300))
        .max_lifetime(Duration::from_secs(1800))
        // A connection that idled across a server restart is tested before use.
        .test_before_acquire(true)
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // One writer at a time is all SQLite allows; more connections only queue.
        options.max_connections(4).min_connections(1);
    } else {
        options.max_connections(16).min_connections(0);
    }
    let connection = Database::connect(options).await?;
    if connection.get_database_backend() == DbBackend::Sqlite {
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA busy_timeout=5000", "PRAGMA foreign_keys=ON"] {
            connection.execute_raw(Statement::from_string(DbBackend::Sqlite, pragma)).await?;
        }
    }
    Ok(connection)
}

/// Connects and applies every pending migration of `M`.
pub async fn connect_and_migrate<M: MigratorTrait>(url: &str) -> Result<DatabaseConnection, DbErr> {
    let connection = connect(url).await?;
    M::up(&connection, None).await?;
    Ok(connection)
}

fn sqlite_file_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

/// The contract's code for a database failure, the same in every service: a
/// database that cannot be reached (down, restarting, connection lost, pool
/// exhausted) is UNAVAILABLE, which clients may retry; anything else is our bug,
/// INTERNAL.
pub fn error_code(error: &DbErr) -> ErrorCode {
    use sea_orm::sqlx::Error as SqlxError;
    let runtime = match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return ErrorCode::Unavailable,
        DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime,
        _ => return ErrorCode::Internal,
    };
    let sea_orm::RuntimeErr::SqlxError(error) = runtime else {
        return ErrorCode::Internal;
    };
    match error.as_ref() {
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed => ErrorCode::Unavailable,
        // PostgreSQL's connection exceptions (08…), operator intervention such as a
        // shutdown or a restart in progress (57P…), and too many connections.
        SqlxError::Database(database) => match database.code().as_deref() {
            Some(code) if code.starts_with("08") || code.starts_with("57P") || code == "53300" => {
                ErrorCode::Unavailable
            }
            _ => ErrorCode::Internal,
        },
        _ => ErrorCode::Internal,
    }
}

/// A LIKE pattern finding a typed fragment anywhere; its `%`, `_` and `\` match
/// themselves (the escape character is `\`, said explicitly: SQLite has no default).
pub fn like_anywhere(fragment: &str) -> LikeExpr {
    LikeExpr::new(format!("%{}%", escape_like(fragment))).escape('\\')
}

/// A LIKE pattern finding values that start with a typed fragment (escaped as above).
pub fn like_prefix(fragment: &str) -> LikeExpr {
    LikeExpr::new(format!("{}%", escape_like(fragment))).escape('\\')
}

fn escape_like(fragment: &str) -> String {
    fragment.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

pub fn is_postgres(connection: &DatabaseConnection) -> bool {
    connection.get_database_backend() == DbBackend::Postgres
}

/// Portable schema building blocks for migrations (PostgreSQL and SQLite alike):
/// ids and texts are strings, times unix seconds in big integers, flags booleans.
pub mod schema {
    use sea_orm_migration::prelude::*;

    pub fn id(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).string().not_null().primary_key().to_owned()
    }
    pub fn text(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).string().not_null().to_owned()
    }
    pub fn text_null(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).string().null().to_owned()
    }
    pub fn long_text(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).text().not_null().to_owned()
    }
    pub fn long_text_null(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).text().null().to_owned()
    }
    pub fn int(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).big_integer().not_null().default(0).to_owned()
    }
    pub fn int_null(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).big_integer().null().to_owned()
    }
    pub fn flag(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).boolean().not_null().default(false).to_owned()
    }

    pub fn table(name: &str, columns: Vec<ColumnDef>) -> TableCreateStatement {
        let mut statement = Table::create();
        statement.table(Alias::new(name)).if_not_exists();
        for mut column in columns {
            statement.col(&mut column);
        }
        statement.to_owned()
    }

    pub fn index(name: &str, table: &str, columns: &[&str], unique: bool) -> IndexCreateStatement {
        let mut statement = Index::create();
        statement.name(name).table(Alias::new(table)).if_not_exists();
        for column in columns {
            statement.col(Alias::new(*column));
        }
        if unique {
            statement.unique();
        }
        statement.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_are_extracted_from_urls() {
        assert_eq!(
            sqlite_file_path("sqlite://./.nds/catalog.sqlite?mode=rwc").as_deref(),
            Some("./.nds/catalog.sqlite")
        );
        assert_eq!(sqlite_file_path("sqlite::memory:"), None);
        assert_eq!(sqlite_file_path("postgres://localhost/x"), None);
    }

    #[tokio::test]
    async fn an_unreachable_database_is_unavailable_and_a_bad_statement_internal() {
        // Nothing listens on port 1: the connection is refused.
        let refused = connect("postgres://nds@127.0.0.1:1/nds").await.unwrap_err();
        assert_eq!(error_code(&refused), ErrorCode::Unavailable, "{refused}");

        let database = crate::testing::TestDatabase::postgres().await;
        let connection = connect(database.url()).await.unwrap();
        let statement = Statement::from_string(DbBackend::Postgres, "SELEC 1");
        let bad = connection.execute_raw(statement).await.unwrap_err();
        assert_eq!(error_code(&bad), ErrorCode::Internal, "{bad}");
        // The server ending the session (as on a restart) is retryable.
        let terminate = Statement::from_string(DbBackend::Postgres, "SELECT pg_terminate_backend(pg_backend_pid())");
        let terminated = connection.execute_raw(terminate).await.unwrap_err();
        assert_eq!(error_code(&terminated), ErrorCode::Unavailable, "{terminated}");
    }

    /// Typed wildcards match only themselves, on both backends.
    #[tokio::test]
    async fn like_patterns_take_typed_wildcards_literally() {
        use sea_orm::sea_query::ExprTrait;
        let database = crate::testing::TestDatabase::postgres().await;
        let postgres = connect(database.url()).await.unwrap();
        let sqlite = connect("sqlite::memory:").await.unwrap();
        for connection in [&postgres, &sqlite] {
            let backend = connection.get_database_backend();
            let matches = |value: &'static str, pattern: LikeExpr| async move {
                let query = sea_orm::sea_query::Query::select()
                    .expr(sea_orm::sea_query::Expr::val(value).like(pattern))
                    .to_owned();
                let row = connection.query_one(&query).await.unwrap().unwrap();
                row.try_get_by_index::<bool>(0).unwrap()
            };
            assert!(matches("50% off_x", like_anywhere("0% off_")).await);
            assert!(!matches("500 offax", like_anywhere("0% off_")).await, "{backend:?}: % and _ are literal");
            assert!(matches(r"a\b", like_anywhere(r"\")).await);
            assert!(matches("3VWabc", like_prefix("3VW")).await);
            assert!(!matches("x3VWabc", like_prefix("3VW")).await, "{backend:?}: a prefix only at the start");
        }
    }
}
