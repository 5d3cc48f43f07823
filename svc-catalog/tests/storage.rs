//! The repository's behaviour, run against PostgreSQL and SQLite alike.

// A test crate: helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nds_common::testing::TestDatabase;
use nds_common::vehicle::{BodyType, Condition, Fuel, SearchFilters, Transmission};
use sea_orm::{ConnectionTrait, DbBackend, QueryTrait, Statement, TransactionTrait};
use svc_catalog::domain::paging::Page;
use svc_catalog::domain::saved_search::SavedSearch;
use svc_catalog::domain::validation::{ListingInput, validate_listing};
use svc_catalog::domain::{ChangeKind, Listing, ListingStatus, Money, Owner};
use svc_catalog::error::CatalogError;
use svc_catalog::store::CatalogStore;
use svc_catalog::store::listings::{ListingFilter, Order};
use svc_catalog::store::metrics::MetricsScope;
use uuid::Uuid;

async fn store(database: &TestDatabase) -> CatalogStore {
    svc_catalog::migrate(database.url()).await.unwrap();
    // Migrating twice is a no-op.
    svc_catalog::migrate(database.url()).await.unwrap();
    CatalogStore::new(nds_common::db::connect(database.url()).await.unwrap())
}

fn owner() -> Owner {
    Owner { agency_id: Uuid::new_v4(), group_id: Uuid::new_v4() }
}

fn listing(owner: Owner, vin: &str) -> Listing {
    let input = ListingInput {
        make: "toyota".into(),
        model: "corolla".into(),
        year: 2020,
        vin: vin.into(),
        price: Some(Money { amount_minor: 30_000_000, currency: "MXN".into() }),
        mileage_km: 50_000,
        body_type: Some(BodyType::Sedan),
        fuel: Some(Fuel::Hybrid),
        transmission: Some(Transmission::Automatic),
        color: "gris".into(),
        condition: Some(Condition::Used),
        city: "Monterrey".into(),
        attributes_json: r#"{"llantas": "nuevas", "duenos": 1}"#.into(),
        photos: vec!["https://img.example.com/a.jpg".into()],
        ..ListingInput::default()
    };
    Listing {
        id: Uuid::now_v7(),
        owner,
        status: ListingStatus::Draft,
        version: 1,
        fields: validate_listing(&input, 2026).unwrap(),
        promotion: None,
        created_at_unix: 1_700_000_000,
        updated_at_unix: 1_700_000_000,
        published_at_unix: None,
        view_count: 0,
        agency_suspended: false,
    }
}

fn next(listing: &Listing, change: impl FnOnce(&mut Listing)) -> Listing {
    let mut updated = listing.clone();
    updated.version += 1;
    change(&mut updated);
    updated
}

async fn a_listing_reads_back_with_its_change_and_first_price(database: &TestDatabase) {
    let store = store(database).await;
    let created = listing(owner(), "1M8GDM9AXKP042788");
    let sequence = store.insert_listing(&created, 100).await.unwrap();
    assert_eq!(sequence, 1);
    assert_eq!(store.get_listing(created.id).await.unwrap(), Some(created.clone()));
    let changes = store.changes_of(created.id).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind, ChangeKind::Created);
    assert_eq!(changes[0].listing, created);
    let prices = store.price_history(created.id).await.unwrap();
    assert_eq!(prices.len(), 1);
    assert_eq!(prices[0].price.amount_minor, 30_000_000);
    assert_eq!(store.get_listing(Uuid::now_v7()).await.unwrap(), None);
}

async fn a_stale_update_is_rejected_and_writes_nothing(database: &TestDatabase) {
    let store = store(database).await;
    let created = listing(owner(), "");
    store.insert_listing(&created, 100).await.unwrap();
    let cheaper = next(&created, |listing| listing.fields.price.amount_minor = 29_000_000);
    store.update_listing(&cheaper, 1, ChangeKind::Updated, true, 200).await.unwrap();

    let racing = next(&created, |listing| listing.fields.mileage_km = 1);
    let error = store.update_listing(&racing, 1, ChangeKind::Updated, false, 300).await.unwrap_err();
    assert!(matches!(error, CatalogError::StaleVersion { expected: 1, actual: 2 }), "{error:?}");
    assert_eq!(store.get_listing(created.id).await.unwrap(), Some(cheaper));
    assert_eq!(store.changes_of(created.id).await.unwrap().len(), 2);
    assert_eq!(store.price_history(created.id).await.unwrap().len(), 2);
    assert_eq!(store.current_sequence().await.unwrap(), 2);
}

async fn only_one_published_listing_per_vin(database: &TestDatabase) {
    let store = store(database).await;
    let vin = "1M8GDM9AXKP042788";
    let first = listing(owner(), vin);
    let second = listing(owner(), vin);
    store.insert_listing(&first, 100).await.unwrap();
    // Drafts may share a VIN (a car re-entered by another agency).
    store.insert_listing(&second, 100).await.unwrap();
    let first_live = next(&first, |listing| listing.status = ListingStatus::Published);
    store.update_listing(&first_live, 1, ChangeKind::StatusChanged, false, 200).await.unwrap();
    let second_live = next(&second, |listing| listing.status = ListingStatus::Published);
    let error = store.update_listing(&second_live, 1, ChangeKind::StatusChanged, false, 200).await.unwrap_err();
    assert!(matches!(error, CatalogError::DuplicateLiveVin), "{error:?}");
    assert_eq!(store.current_sequence().await.unwrap(), 3, "the rejected publish wrote no change row");
    assert_eq!(store.get_listing(second.id).await.unwrap().unwrap().status, ListingStatus::Draft);

    // Once the first is sold, the VIN is free again.
    let first_sold = next(&first_live, |listing| listing.status = ListingStatus::Sold);
    store.update_listing(&first_sold, 2, ChangeKind::StatusChanged, false, 300).await.unwrap();
    store.update_listing(&second_live, 1, ChangeKind::StatusChanged, false, 300).await.unwrap();
}

async fn feed_positions_are_gapless_and_in_order(database: &TestDatabase) {
    let store = store(database).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let created = listing(owner(), "");
        store.insert_listing(&created, 100).await.unwrap();
        ids.push(created.id);
    }
    let changes = store.changes_after(0, 100).await.unwrap();
    let sequences: Vec<i64> = changes.iter().map(|change| change.sequence).collect();
    assert_eq!(sequences, vec![1, 2, 3, 4, 5]);
    assert_eq!(changes.iter().map(|change| change.listing.id).collect::<Vec<_>>(), ids);
    let tail = store.changes_after(3, 1).await.unwrap();
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].sequence, 4);
    assert!(store.changes_after(5, 10).await.unwrap().is_empty());
}

async fn pages_cover_every_listing_once_and_filters_hold(database: &TestDatabase) {
    let store = store(database).await;
    let mine = owner();
    let theirs = owner();
    for index in 0..7 {
        let mut created = listing(if index < 5 { mine } else { theirs }, "");
        if index % 2 == 0 {
            created.status = ListingStatus::Published;
        }
        store.insert_listing(&created, 100).await.unwrap();
    }
    let everything = ListingFilter::default();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.list_listings(&everything, Page { first: 3, after }, Order::NewestFirst).await.unwrap();
        assert_eq!(page.total_count, 7);
        seen.extend(page.items.iter().map(|listing| listing.id));
        if !page.has_next_page {
            break;
        }
        after = Some(svc_catalog::domain::paging::decode_cursor(&page.end_cursor.unwrap()).unwrap());
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(seen, sorted, "newest first");
    sorted.dedup();
    assert_eq!(sorted.len(), 7, "no listing twice, none missing");

    let my_published = ListingFilter {
        agencies: Some(vec![mine.agency_id]),
        statuses: Some(vec![ListingStatus::Published]),
        ..ListingFilter::default()
    };
    let page = store.list_listings(&my_published, Page { first: 10, after: None }, Order::OldestFirst).await.unwrap();
    assert_eq!(page.total_count, 3);
    assert!(page.items.iter().all(|listing| listing.owner == mine && listing.status == ListingStatus::Published));
    assert_eq!(store.owner_of_agency(mine.agency_id).await.unwrap(), Some(mine));
    assert_eq!(store.owner_of_agency(Uuid::new_v4()).await.unwrap(), None);
}

async fn favourites_are_unique_and_only_published_ones_show(database: &TestDatabase) {
    let store = store(database).await;
    let user = Uuid::new_v4();
    let mut live = listing(owner(), "");
    live.status = ListingStatus::Published;
    let draft = listing(owner(), "");
    store.insert_listing(&live, 100).await.unwrap();
    store.insert_listing(&draft, 100).await.unwrap();
    assert!(store.add_favourite(user, live.id, 1).await.unwrap());
    assert!(!store.add_favourite(user, live.id, 2).await.unwrap());
    assert!(store.add_favourite(user, draft.id, 3).await.unwrap());
    let page = store.list_favourites(user, Page { first: 10, after: None }).await.unwrap();
    assert_eq!(page.items.iter().map(|listing| listing.id).collect::<Vec<_>>(), vec![live.id]);
    assert_eq!(page.total_count, 1);
    assert!(store.list_favourites(Uuid::new_v4(), Page { first: 10, after: None }).await.unwrap().items.is_empty());
    assert!(store.remove_favourite(user, live.id).await.unwrap());
    assert!(!store.remove_favourite(user, live.id).await.unwrap());
}

async fn saved_searches_keep_their_structured_filters(database: &TestDatabase) {
    let store = store(database).await;
    let user = Uuid::new_v4();
    let filters = SearchFilters {
        makes: vec!["honda".into()],
        models: vec!["cr-v".into()],
        year_min: Some(2019),
        price_max: Some(45_000_000),
        body_types: vec![BodyType::Suv],
        city: Some("Querétaro".into()),
        ..SearchFilters::default()
    };
    let search = SavedSearch {
        id: Uuid::now_v7(),
        user_id: user,
        name: "CR-V".into(),
        text: "honda crv 2019 o más nueva".into(),
        filters,
        created_at_unix: 5,
    };
    store.insert_saved_search(&search).await.unwrap();
    assert_eq!(store.list_saved_searches(user).await.unwrap(), vec![search]);
    assert_eq!(store.count_saved_searches(user).await.unwrap(), 1);
    assert!(store.list_saved_searches(Uuid::new_v4()).await.unwrap().is_empty());
}

async fn saved_searches_are_deleted_only_by_their_owner(database: &TestDatabase) {
    let store = store(database).await;
    let owner_id = Uuid::new_v4();
    let search = SavedSearch {
        id: Uuid::now_v7(),
        user_id: owner_id,
        name: "Sentra".into(),
        text: "nissan sentra".into(),
        filters: SearchFilters { makes: vec!["nissan".into()], ..SearchFilters::default() },
        created_at_unix: 5,
    };
    store.insert_saved_search(&search).await.unwrap();
    assert!(!store.delete_saved_search(Uuid::new_v4(), search.id).await.unwrap(), "someone else's id deletes nothing");
    assert_eq!(store.list_saved_searches(owner_id).await.unwrap(), vec![search.clone()]);
    assert!(store.delete_saved_search(owner_id, search.id).await.unwrap());
    assert!(!store.delete_saved_search(owner_id, search.id).await.unwrap(), "already gone");
    assert!(store.list_saved_searches(owner_id).await.unwrap().is_empty());
}

/// The plan of the sitemap query on this backend, the planner told to avoid full scans
/// and sorts where it can (it still uses them when no index fits).
async fn sitemap_plan(store: &CatalogStore, after: Option<Uuid>) -> String {
    let backend = store.database().get_database_backend();
    let query = CatalogStore::sitemap_query(after, 50_001).build(backend);
    let values = query.values.clone().unwrap();
    match backend {
        DbBackend::Postgres => {
            let transaction = store.database().begin().await.unwrap();
            transaction.execute_unprepared("ANALYZE listings").await.unwrap();
            for setting in ["enable_seqscan", "enable_bitmapscan", "enable_sort"] {
                transaction.execute_unprepared(&format!("SET LOCAL {setting} = off")).await.unwrap();
            }
            let explain = format!("EXPLAIN {}", query.sql);
            let rows =
                transaction.query_all_raw(Statement::from_sql_and_values(backend, explain, values)).await.unwrap();
            rows.iter().map(|row| row.try_get_by_index::<String>(0).unwrap()).collect::<Vec<_>>().join("\n")
        }
        _ => {
            let explain = format!("EXPLAIN QUERY PLAN {}", query.sql);
            let rows =
                store.database().query_all_raw(Statement::from_sql_and_values(backend, explain, values)).await.unwrap();
            rows.iter().map(|row| row.try_get::<String>("", "detail").unwrap()).collect::<Vec<_>>().join("\n")
        }
    }
}

/// The sitemap query must be an index range scan in id order (no sort, no full scan),
/// so the 20th page of a million listings costs what the first does. The planner is
/// told to avoid full scans and sorts where it can: it still uses them if no index fits.
async fn the_sitemap_query_is_served_by_the_status_index(database: &TestDatabase) {
    let store = store(database).await;
    let mut first_id = None;
    for index in 0..200 {
        let mut created = listing(owner(), "");
        if index % 10 == 0 {
            created.status = ListingStatus::Published;
        }
        first_id.get_or_insert(created.id);
        store.insert_listing(&created, 100).await.unwrap();
    }
    // The first page, and a later one (the cursor is the first listing's id).
    for after in [None, first_id] {
        let plan = sitemap_plan(&store, after).await;
        // PostgreSQL may prefer the primary key (also id order) on a table this small;
        // either way an index yields the rows in order, with no sort and no full scan.
        assert!(plan.contains("listings_status") || plan.contains("Index Scan using listings_pkey"), "{plan}");
        for costly in ["Seq Scan", "Sort", "TEMP B-TREE"] {
            assert!(!plan.contains(costly), "{costly} in\n{plan}");
        }
        assert!(!plan.lines().any(|line| line.trim() == "SCAN listings"), "a full scan in\n{plan}");
    }
    let page = store.public_sitemap(None, 50_001).await.unwrap();
    assert_eq!(page.len(), 20);
    assert!(page.windows(2).all(|pair| pair[0].id < pair[1].id));
    assert_eq!(store.count_public().await.unwrap(), 20);
}

async fn views_and_metrics_add_up_per_scope(database: &TestDatabase) {
    let store = store(database).await;
    let group = Uuid::new_v4();
    let first = Owner { agency_id: Uuid::new_v4(), group_id: group };
    let second = Owner { agency_id: Uuid::new_v4(), group_id: group };
    let a = listing(first, "");
    let mut b = listing(second, "");
    b.status = ListingStatus::Published;
    b.created_at_unix = 2_000;
    store.insert_listing(&a, 100).await.unwrap();
    store.insert_listing(&b, 100).await.unwrap();
    store.insert_listing(&listing(owner(), ""), 100).await.unwrap();
    assert!(store.add_views(a.id, 4).await.unwrap());
    assert!(store.add_views(b.id, 6).await.unwrap());
    assert!(!store.add_views(Uuid::now_v7(), 1).await.unwrap());
    assert_eq!(store.get_listing(a.id).await.unwrap().unwrap().version, 1, "views are not a listing change");

    let group_metrics = store.listing_metrics(MetricsScope::Group(group), 0, 1_000_000_000_000).await.unwrap();
    assert_eq!(group_metrics.views, 10);
    assert_eq!(group_metrics.by_status, vec![("DRAFT".to_string(), 1), ("PUBLISHED".to_string(), 1)]);
    let agency = store.listing_metrics(MetricsScope::Agency(second.agency_id), 1_000, 3_000).await.unwrap();
    assert_eq!((agency.views, agency.created_in_range), (6, 1));
    let platform = store.listing_metrics(MetricsScope::Platform, 0, 1_000_000_000_000).await.unwrap();
    assert_eq!(platform.by_status.iter().map(|(_, count)| count).sum::<i64>(), 3);
}

async fn concurrent_writers_all_commit_with_distinct_gapless_positions(database: &TestDatabase) {
    let store = store(database).await;
    let writers: Vec<_> = (0..12)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.insert_listing(&listing(owner(), ""), 100).await.unwrap() })
        })
        .collect();
    let mut sequences = Vec::new();
    for writer in writers {
        sequences.push(writer.await.unwrap());
    }
    sequences.sort();
    assert_eq!(sequences, (1..=12).collect::<Vec<i64>>());
    assert_eq!(store.count_listings().await.unwrap(), 12);
}

nds_common::storage_suite!(
    concurrent_writers_all_commit_with_distinct_gapless_positions,
    a_listing_reads_back_with_its_change_and_first_price,
    a_stale_update_is_rejected_and_writes_nothing,
    only_one_published_listing_per_vin,
    feed_positions_are_gapless_and_in_order,
    pages_cover_every_listing_once_and_filters_hold,
    favourites_are_unique_and_only_published_ones_show,
    saved_searches_keep_their_structured_filters,
    saved_searches_are_deleted_only_by_their_owner,
    the_sitemap_query_is_served_by_the_status_index,
    views_and_metrics_add_up_per_scope,
);
