//! The index behaviour suite: the semantics every backend must have, run for
//! real against tantivy on disk. (Elasticsearch cannot run here; its request
//! shapes and reply parsing are checked against recorded pairs in
//! `elasticsearch_replay.rs`, built to express these same semantics.)

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use nds_common::vehicle::{BodyType, Fuel, SearchFilters, SearchSort};
use support::{NOW, TempDir, doc, id};
use svc_search::domain::{IndexChange, IndexQuery, ListingCard, ListingDoc};
use svc_search::index::SearchIndex;
use svc_search::index::tantivy::TantivyIndex;
use uuid::Uuid;

/// Applies upserts and commits.
async fn put(index: &dyn SearchIndex, docs: Vec<ListingDoc>) {
    index.apply(docs.into_iter().map(IndexChange::Upsert).collect()).await.unwrap();
    index.commit().await.unwrap();
}

fn filters(edit: impl FnOnce(&mut SearchFilters)) -> SearchFilters {
    let mut filters = SearchFilters::default();
    edit(&mut filters);
    filters
}

async fn ids(index: &dyn SearchIndex, filters: SearchFilters, sort: SearchSort) -> Vec<Uuid> {
    let page = index.search(&IndexQuery::results(filters, sort, 0, 100)).await.unwrap();
    page.hits.into_iter().map(|hit| hit.id).collect()
}

fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort();
    ids
}

fn catalogue() -> Vec<ListingDoc> {
    let mut corolla = doc(1, "toyota", "corolla", 250_000);
    corolla.description = "Corolla con quemacocos y cámara de reversa".into();
    corolla.city = "queretaro".into();
    let mut rav4 = doc(2, "toyota", "rav4", 480_000);
    rav4.body_type = Some(BodyType::Suv);
    rav4.fuel = Some(Fuel::Hybrid);
    rav4.year = 2023;
    rav4.mileage_km = 12_000;
    rav4.description = "Camioneta familiar, asientos de piel".into();
    let mut versa = doc(3, "nissan", "versa", 180_000);
    versa.year = 2018;
    versa.mileage_km = 90_000;
    versa.description = "Economical sedan, leather seats, one owner".into();
    let mut frontier = doc(4, "nissan", "frontier", 620_000);
    frontier.body_type = Some(BodyType::Pickup);
    frontier.fuel = Some(Fuel::Diesel);
    frontier.year = 2022;
    frontier.mileage_km = 30_000;
    frontier.description = "Work truck with towing package".into();
    let mut civic = doc(5, "honda", "civic", 90_000);
    civic.year = 2012;
    civic.mileage_km = 160_000;
    civic.transmission = Some(nds_common::vehicle::Transmission::Manual);
    vec![corolla, rav4, versa, frontier, civic]
}

async fn structured_filters_narrow_the_results(index: &dyn SearchIndex) {
    put(index, catalogue()).await;
    assert_eq!(
        sorted(ids(index, filters(|f| f.makes = vec!["Toyota".into()]), SearchSort::Relevance).await),
        vec![id(1), id(2)]
    );
    assert_eq!(
        ids(index, filters(|f| f.body_types = vec![BodyType::Pickup]), SearchSort::Relevance).await,
        vec![id(4)]
    );
    let band = filters(|f| {
        f.price_min = Some(18_000_000);
        f.price_max = Some(25_000_000);
    });
    assert_eq!(sorted(ids(index, band, SearchSort::Relevance).await), vec![id(1), id(3)]);
    let recent = filters(|f| {
        f.year_min = Some(2022);
        f.mileage_max = Some(20_000);
    });
    assert_eq!(ids(index, recent, SearchSort::Relevance).await, vec![id(2)]);
    assert_eq!(ids(index, filters(|f| f.city = Some("Querétaro".into())), SearchSort::Relevance).await, vec![id(1)]);
    let nothing = filters(|f| {
        f.makes = vec!["toyota".into()];
        f.fuels = vec![Fuel::Diesel];
    });
    assert!(ids(index, nothing, SearchSort::Relevance).await.is_empty());
    // Short and long value lists are built differently (disjunction, FST): same answer.
    let mut many_models: Vec<String> = (0..40).map(|n| format!("model-{n}")).collect();
    many_models.extend(["versa".to_string(), "civic".to_string()]);
    for models in [many_models.clone(), many_models[38..].to_vec()] {
        let found = ids(index, filters(|f| f.models = models), SearchSort::Relevance).await;
        assert_eq!(sorted(found), vec![id(3), id(5)]);
    }
    assert_eq!(index.count().await.unwrap(), 5);
}

async fn keywords_match_spanish_and_english_with_or_without_accents(index: &dyn SearchIndex) {
    put(index, catalogue()).await;
    let keyword = |word: &str| filters(|f| f.keywords = vec![word.to_string()]);
    // Spanish plural finds the singular; accents don't matter either way.
    assert_eq!(ids(index, keyword("camionetas"), SearchSort::Relevance).await, vec![id(2)]);
    assert_eq!(ids(index, keyword("camara"), SearchSort::Relevance).await, vec![id(1)]);
    assert_eq!(ids(index, keyword("QUEMACOCOS"), SearchSort::Relevance).await, vec![id(1)]);
    // English stemming: "trucks" finds "truck", "owners" finds "owner".
    assert_eq!(ids(index, keyword("trucks"), SearchSort::Relevance).await, vec![id(4)]);
    assert_eq!(ids(index, keyword("owners"), SearchSort::Relevance).await, vec![id(3)]);
    // Make and model are searchable as words, and every keyword must match.
    assert_eq!(ids(index, keyword("frontier"), SearchSort::Relevance).await, vec![id(4)]);
    let both = filters(|f| f.keywords = vec!["leather".into(), "economical".into()]);
    assert_eq!(ids(index, both, SearchSort::Relevance).await, vec![id(3)]);
    let contradiction = filters(|f| f.keywords = vec!["leather".into(), "towing".into()]);
    assert!(ids(index, contradiction, SearchSort::Relevance).await.is_empty());
    // Hits carry a relevance score.
    let page = index.search(&IndexQuery::results(keyword("piel"), SearchSort::Relevance, 0, 10)).await.unwrap();
    assert!(page.hits[0].score > 0.0);
}

async fn sorts_order_results_as_the_contract_says(index: &dyn SearchIndex) {
    put(index, catalogue()).await;
    let all = SearchFilters::default;
    assert_eq!(ids(index, all(), SearchSort::PriceAsc).await, vec![id(5), id(3), id(1), id(2), id(4)]);
    assert_eq!(ids(index, all(), SearchSort::PriceDesc).await, vec![id(4), id(2), id(1), id(3), id(5)]);
    assert_eq!(ids(index, all(), SearchSort::MileageAsc).await, vec![id(2), id(4), id(1), id(3), id(5)]);
    // Year desc; the two 2020s break ties by newest listing (id 1 is older than... both 2020: 1 and none else).
    assert_eq!(ids(index, all(), SearchSort::YearDesc).await, vec![id(2), id(4), id(1), id(3), id(5)]);
    // Newest listing first (published_at grows with the number).
    assert_eq!(ids(index, all(), SearchSort::Newest).await, vec![id(5), id(4), id(3), id(2), id(1)]);
}

async fn paging_walks_every_result_exactly_once(index: &dyn SearchIndex) {
    let docs: Vec<ListingDoc> = (1..=23).map(|number| doc(number, "kia", "rio", 100_000 + number as i64)).collect();
    put(index, docs).await;
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = index
            .search(&IndexQuery::results(SearchFilters::default(), SearchSort::PriceAsc, offset, 10))
            .await
            .unwrap();
        assert_eq!(page.total, 23);
        if page.hits.is_empty() {
            break;
        }
        offset += page.hits.len();
        seen.extend(page.hits.into_iter().map(|hit| hit.id));
    }
    assert_eq!(seen, (1..=23).map(id).collect::<Vec<_>>());
}

async fn facets_count_every_match_per_field_and_price_band(index: &dyn SearchIndex) {
    put(index, catalogue()).await;
    let mut query = IndexQuery::results(SearchFilters::default(), SearchSort::Relevance, 0, 2);
    query.with_facets = true;
    // Exclusions (the promoted ids) leave hits and total, not facets.
    query.exclude_ids = vec![id(1)];
    let page = index.search(&query).await.unwrap();
    assert_eq!(page.total, 4);
    assert_eq!(page.hits.len(), 2);
    assert!(page.hits.iter().all(|hit| hit.id != id(1)));
    let facet = |field: &str| -> Vec<(String, u64)> {
        let facet = page.facets.iter().find(|facet| facet.field == field).unwrap();
        facet.values.iter().map(|value| (value.value.clone(), value.count)).collect()
    };
    assert_eq!(facet("make"), vec![("nissan".into(), 2), ("toyota".into(), 2), ("honda".into(), 1)]);
    assert_eq!(facet("body_type"), vec![("SEDAN".into(), 3), ("PICKUP".into(), 1), ("SUV".into(), 1)]);
    assert_eq!(facet("fuel"), vec![("GASOLINE".into(), 3), ("DIESEL".into(), 1), ("HYBRID".into(), 1)]);
    assert_eq!(facet("transmission"), vec![("AUTOMATIC".into(), 4), ("MANUAL".into(), 1)]);
    assert_eq!(
        facet("price_band"),
        vec![
            ("0-100000".into(), 1),
            ("100000-200000".into(), 1),
            ("200000-350000".into(), 1),
            ("350000-500000".into(), 1),
            ("500000-800000".into(), 1),
            ("800000-".into(), 0),
        ]
    );
    // Facets follow the filters.
    let mut toyota = IndexQuery::results(filters(|f| f.makes = vec!["toyota".into()]), SearchSort::Relevance, 0, 0);
    toyota.with_facets = true;
    let page = index.search(&toyota).await.unwrap();
    assert!(page.hits.is_empty());
    let make = page.facets.iter().find(|facet| facet.field == "make").unwrap();
    assert_eq!(make.values.len(), 1);
    assert_eq!(make.values[0].count, 2);
}

async fn promoted_pass_takes_active_promotions_by_rank_then_relevance(index: &dyn SearchIndex) {
    let mut docs = catalogue();
    docs[0].promoted_until_unix = Some(NOW + 3600); // corolla, rank 1
    docs[0].promotion_rank = 1;
    docs[1].promoted_until_unix = Some(NOW + 3600); // rav4, rank 5
    docs[1].promotion_rank = 5;
    docs[2].promoted_until_unix = Some(NOW - 1); // versa: expired
    docs[2].promotion_rank = 9;
    docs[3].promoted_until_unix = Some(NOW + 60); // frontier, rank 3
    docs[3].promotion_rank = 3;
    put(index, docs).await;
    let page = index.search(&IndexQuery::promoted(SearchFilters::default(), NOW, 2)).await.unwrap();
    let promoted: Vec<Uuid> = page.hits.iter().map(|hit| hit.id).collect();
    assert_eq!(promoted, vec![id(2), id(4)]);
    // Matching the filters is required; the expired one never appears.
    let nissan = filters(|f| f.makes = vec!["nissan".into()]);
    let page = index.search(&IndexQuery::promoted(nissan, NOW, 2)).await.unwrap();
    assert_eq!(page.hits.iter().map(|hit| hit.id).collect::<Vec<_>>(), vec![id(4)]);
    // Once time passes the promotion's end, it is no longer promoted.
    let later = index.search(&IndexQuery::promoted(SearchFilters::default(), NOW + 7200, 2)).await.unwrap();
    assert!(later.hits.is_empty());
}

async fn stale_versions_never_overwrite_newer_documents(index: &dyn SearchIndex) {
    let mut newer = doc(1, "toyota", "corolla", 250_000);
    newer.version = 3;
    let mut older = newer.clone();
    older.version = 2;
    older.price_minor = 1;
    let outcome = index.apply(vec![IndexChange::Upsert(newer.clone())]).await.unwrap();
    assert_eq!(outcome.applied, 1);
    // Within one uncommitted batch and after the commit alike.
    let outcome = index.apply(vec![IndexChange::Upsert(older.clone())]).await.unwrap();
    assert_eq!(outcome.stale, 1);
    index.commit().await.unwrap();
    let outcome = index.apply(vec![IndexChange::Upsert(older), IndexChange::Upsert(newer.clone())]).await.unwrap();
    assert_eq!((outcome.applied, outcome.stale), (0, 2));
    index.commit().await.unwrap();
    let cheap = filters(|f| f.price_max = Some(100));
    assert!(ids(index, cheap, SearchSort::Relevance).await.is_empty());
    assert_eq!(index.count().await.unwrap(), 1);
}

async fn removals_hide_listings_and_block_older_replays(index: &dyn SearchIndex) {
    let mut listing = doc(1, "toyota", "corolla", 250_000);
    listing.version = 2;
    put(index, vec![listing.clone(), doc(2, "kia", "rio", 150_000)]).await;
    index.apply(vec![IndexChange::Remove { id: id(1), version: 3 }]).await.unwrap();
    index.commit().await.unwrap();
    assert_eq!(ids(index, SearchFilters::default(), SearchSort::Relevance).await, vec![id(2)]);
    assert_eq!(index.count().await.unwrap(), 1);
    // Replaying the publish at version 2 does not bring it back.
    let outcome = index.apply(vec![IndexChange::Upsert(listing.clone())]).await.unwrap();
    assert_eq!(outcome.stale, 1);
    index.commit().await.unwrap();
    assert_eq!(index.count().await.unwrap(), 1);
    // A republish at a newer version does.
    listing.version = 4;
    put(index, vec![listing]).await;
    assert_eq!(index.count().await.unwrap(), 2);
}

async fn a_rebuild_swaps_in_without_losing_the_old_index_until_then(index: &dyn SearchIndex) {
    put(index, vec![doc(1, "toyota", "corolla", 250_000)]).await;
    let generation = index.generation();
    let old_name = index.physical_name().await.unwrap();
    let mut rebuild = index.begin_rebuild().await.unwrap();
    rebuild.add(vec![doc(2, "kia", "rio", 150_000), doc(3, "kia", "forte", 190_000)]).await.unwrap();
    // Until the swap, queries see the old index.
    assert_eq!(ids(index, SearchFilters::default(), SearchSort::Relevance).await, vec![id(1)]);
    let new_name = rebuild.physical_name();
    assert_eq!(rebuild.swap_in().await.unwrap(), 2);
    assert_eq!(sorted(ids(index, SearchFilters::default(), SearchSort::Relevance).await), vec![id(2), id(3)]);
    assert_eq!(index.physical_name().await.unwrap(), new_name);
    assert_ne!(new_name, old_name);
    assert!(index.generation() > generation);
}

async fn hits_carry_the_card_of_the_version_indexed(index: &dyn SearchIndex) {
    let mut listing = doc(1, "toyota", "corolla", 250_000);
    listing.card = ListingCard::from_bytes(b"version 1".to_vec());
    put(index, vec![listing.clone(), doc(2, "kia", "rio", 150_000)]).await;
    listing.version = 2;
    listing.card = ListingCard::from_bytes(b"version 2".to_vec());
    put(index, vec![listing]).await;
    let page =
        index.search(&IndexQuery::results(SearchFilters::default(), SearchSort::PriceDesc, 0, 10)).await.unwrap();
    let cards: Vec<&[u8]> = page.hits.iter().map(|hit| hit.card.as_bytes()).collect();
    // The kia was indexed without a card (as by an older release): it comes back empty.
    assert_eq!(cards, vec![b"version 2".as_slice(), b"".as_slice()]);
}

macro_rules! tantivy_suite {
    ($($case:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let directory = TempDir::new("behaviour");
                let index = TantivyIndex::open(directory.path().join("search")).unwrap();
                super::$case(&index).await;
            }
        )+
    };
}

mod tantivy {
    use super::*;

    tantivy_suite!(
        structured_filters_narrow_the_results,
        keywords_match_spanish_and_english_with_or_without_accents,
        sorts_order_results_as_the_contract_says,
        paging_walks_every_result_exactly_once,
        facets_count_every_match_per_field_and_price_band,
        promoted_pass_takes_active_promotions_by_rank_then_relevance,
        stale_versions_never_overwrite_newer_documents,
        removals_hide_listings_and_block_older_replays,
        a_rebuild_swaps_in_without_losing_the_old_index_until_then,
        hits_carry_the_card_of_the_version_indexed,
    );
}

#[tokio::test]
async fn a_reopened_index_serves_what_was_committed_and_keeps_its_lineage() {
    let directory = TempDir::new("reopen");
    let root = directory.path().join("search");
    let (consumer, physical) = {
        let index = TantivyIndex::open(&root).unwrap();
        put(&index, vec![doc(1, "toyota", "corolla", 250_000)]).await;
        (index.consumer_name(), index.physical_name().await.unwrap())
    };
    let reopened = TantivyIndex::open(&root).unwrap();
    assert_eq!(reopened.consumer_name(), consumer);
    assert_eq!(reopened.physical_name().await.unwrap(), physical);
    assert_eq!(reopened.count().await.unwrap(), 1);
}

/// An index written by an older release (another schema) is not opened as if it
/// were current: it comes back empty, which makes the indexer rebuild it.
#[tokio::test]
async fn an_index_of_another_schema_is_emptied_for_a_rebuild() {
    let directory = TempDir::new("schema");
    let root = directory.path().join("search");
    let physical = {
        let index = TantivyIndex::open(&root).unwrap();
        put(&index, vec![doc(1, "toyota", "corolla", 250_000)]).await;
        index.physical_name().await.unwrap()
    };
    // The same directory rewritten by a release whose schema had only an id.
    let old_directory = root.join(&physical);
    std::fs::remove_dir_all(&old_directory).unwrap();
    std::fs::create_dir_all(&old_directory).unwrap();
    let mut builder = ::tantivy::schema::Schema::builder();
    let id_field = builder.add_text_field("id", ::tantivy::schema::STRING);
    let old = ::tantivy::Index::create_in_dir(&old_directory, builder.build()).unwrap();
    let mut writer: ::tantivy::IndexWriter = old.writer_with_num_threads(1, 15_000_000).unwrap();
    writer.add_document(::tantivy::doc!(id_field => id(1).to_string())).unwrap();
    writer.commit().unwrap();
    drop((writer, old));

    let reopened = TantivyIndex::open(&root).unwrap();
    assert_eq!(reopened.count_all().await.unwrap(), 0);
    put(&reopened, vec![doc(2, "kia", "rio", 150_000)]).await;
    assert_eq!(ids(&reopened, SearchFilters::default(), SearchSort::Relevance).await, vec![id(2)]);
}
