//! What the benchmark harness (in `tests/`) calls: synthetic listings, a
//! tantivy index built from them, and a query mix timed in-process. The
//! harness adds the end-to-end side (through the edge) and prints the ratios.

use std::path::Path;
use std::time::{Duration, Instant};

use nds_common::convert::{body_type_to_wire, condition_to_wire, fuel_to_wire, transmission_to_wire};
use nds_common::vehicle::{BodyType, Condition, Fuel, SearchFilters, SearchSort, Transmission};
use nds_proto::catalog::v1::{Listing, ListingStatus};
use nds_proto::common::v1 as wire;
use uuid::Uuid;

use crate::convert::public_card;
use crate::domain::{IndexQuery, ListingDoc};
use crate::error::SearchError;
use crate::index::SearchIndex;
use crate::index::tantivy::TantivyIndex;

const MAKES_AND_MODELS: [(&str, &[&str]); 8] = [
    ("toyota", &["corolla", "camry", "rav4", "hilux", "tacoma"]),
    ("nissan", &["versa", "sentra", "kicks", "frontier", "march"]),
    ("volkswagen", &["jetta", "vento", "tiguan", "golf"]),
    ("chevrolet", &["aveo", "onix", "tracker", "silverado"]),
    ("honda", &["civic", "cr-v", "hr-v", "city"]),
    ("mazda", &["mazda3", "cx-5", "cx-30", "mazda2"]),
    ("kia", &["rio", "forte", "seltos", "sportage"]),
    ("ford", &["figo", "escape", "lobo", "ranger"]),
];
const CITIES: [&str; 6] = ["ciudad de mexico", "guadalajara", "monterrey", "puebla", "queretaro", "merida"];
const COLORS: [&str; 6] = ["white", "black", "silver", "red", "blue", "gray"];
const EXTRAS: [&str; 8] = [
    "quemacocos",
    "asientos de piel",
    "camara de reversa",
    "pantalla tactil",
    "unico dueno",
    "sunroof",
    "leather seats",
    "servicios de agencia",
];

/// A small deterministic generator (SplitMix64): same seed, same listings.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut value = self.0;
        value = (value ^ (value >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        value = (value ^ (value >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        value ^ (value >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// `count` realistic listings: makes, models, prices, mileage, Spanish/English
/// descriptions, about 1 % promoted.
pub fn synthetic_listings(count: usize, seed: u64) -> Vec<ListingDoc> {
    let mut generator = Generator(seed);
    let now = 1_790_000_000_i64;
    (0..count)
        .map(|position| {
            let (make, models) = *generator.pick(&MAKES_AND_MODELS);
            let model = *generator.pick(models);
            let year = 2008 + generator.below(18) as i32;
            let extra = *generator.pick(&EXTRAS);
            let promoted = generator.below(100) == 0;
            let mut doc = ListingDoc {
                id: Uuid::from_u64_pair(seed, position as u64),
                version: 1 + generator.below(5) as i64,
                agency_id: Uuid::from_u64_pair(seed ^ 0xA6E4, generator.below(500)),
                make: make.to_string(),
                model: model.to_string(),
                year,
                trim: ["base", "sport", "limited", "advance"][generator.below(4) as usize].to_string(),
                description: format!("{make} {model} {year} en excelente estado, {extra}"),
                attributes_text: extra.to_string(),
                price_minor: (80_000 + generator.below(900_000) as i64) * 100,
                currency: "MXN".into(),
                mileage_km: generator.below(250_000) as i64,
                body_type: Some(*generator.pick(BodyType::ALL)),
                fuel: Some(*generator.pick(Fuel::ALL)),
                transmission: Some(*generator.pick(Transmission::ALL)),
                condition: Some(*generator.pick(Condition::ALL)),
                color: generator.pick(&COLORS).to_string(),
                city: generator.pick(&CITIES).to_string(),
                promoted_until_unix: promoted.then_some(now + 86_400 * 10),
                promotion_rank: if promoted { generator.below(10) as i32 } else { 0 },
                published_at_unix: now - generator.below(86_400 * 180) as i64,
                card: Default::default(),
            };
            doc.card = public_card(&catalog_listing(&doc, ListingStatus::Published));
            doc
        })
        .collect()
}

/// The catalog listing a document comes from, in `status`: what the feed would carry.
pub fn catalog_listing(doc: &ListingDoc, status: ListingStatus) -> Listing {
    let wire_or_unset = |value: Option<i32>| value.unwrap_or_default();
    Listing {
        id: doc.id.to_string(),
        agency_id: doc.agency_id.to_string(),
        group_id: Uuid::from_u64_pair(0x6120, 1).to_string(),
        status: status as i32,
        version: doc.version,
        make: doc.make.clone(),
        model: doc.model.clone(),
        year: doc.year,
        trim: doc.trim.clone(),
        vin: String::new(),
        price: Some(wire::Money { amount_minor: doc.price_minor, currency: doc.currency.clone() }),
        mileage_km: doc.mileage_km,
        body_type: wire_or_unset(doc.body_type.map(|value| body_type_to_wire(value) as i32)),
        fuel: wire_or_unset(doc.fuel.map(|value| fuel_to_wire(value) as i32)),
        transmission: wire_or_unset(doc.transmission.map(|value| transmission_to_wire(value) as i32)),
        color: doc.color.clone(),
        condition: wire_or_unset(doc.condition.map(|value| condition_to_wire(value) as i32)),
        city: doc.city.clone(),
        state: String::new(),
        description: doc.description.clone(),
        photos: vec![format!("https://img.nds.mx/listings/{}/1.jpg", doc.id.simple())],
        attributes_json: "{}".into(),
        promoted_until_unix: doc.promoted_until_unix,
        promotion_rank: doc.promotion_rank,
        created_at_unix: doc.published_at_unix,
        updated_at_unix: doc.published_at_unix,
        published_at_unix: doc.published_at_unix,
        view_count: 0,
        agency_suspended: false,
    }
}

/// Builds a tantivy index under `directory` from `listings` (through the
/// rebuild path, as `nds job reindex` does) and returns it with the build time.
pub async fn build_tantivy_index(
    directory: &Path,
    listings: Vec<ListingDoc>,
) -> Result<(TantivyIndex, Duration), SearchError> {
    let started = Instant::now();
    let index = TantivyIndex::open(directory)?;
    let mut rebuild = index.begin_rebuild().await?;
    for chunk in listings.chunks(10_000) {
        rebuild.add(chunk.to_vec()).await?;
    }
    rebuild.swap_in().await?;
    Ok((index, started.elapsed()))
}

/// The query mix: filters only, keywords in both languages, sorts, facets.
pub fn query_mix() -> Vec<IndexQuery> {
    let filters = |edit: fn(&mut SearchFilters)| {
        let mut filters = SearchFilters::default();
        edit(&mut filters);
        filters
    };
    let mut queries = vec![
        IndexQuery::results(filters(|f| f.makes = vec!["toyota".into()]), SearchSort::Relevance, 0, 20),
        IndexQuery::results(filters(|f| f.keywords = vec!["quemacocos".into()]), SearchSort::Relevance, 0, 20),
        IndexQuery::results(filters(|f| f.keywords = vec!["leather".into()]), SearchSort::PriceAsc, 0, 20),
        IndexQuery::results(
            filters(|f| {
                f.body_types = vec![BodyType::Suv];
                f.price_max = Some(40_000_000);
            }),
            SearchSort::YearDesc,
            0,
            20,
        ),
        IndexQuery::results(filters(|f| f.city = Some("monterrey".into())), SearchSort::Newest, 20, 20),
    ];
    let mut with_facets = IndexQuery::results(SearchFilters::default(), SearchSort::Relevance, 0, 20);
    with_facets.with_facets = true;
    queries.push(with_facets);
    queries.push(IndexQuery::promoted(SearchFilters::default(), 1_790_000_000, 2));
    queries
}

/// Latency percentiles of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latencies {
    pub queries: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub mean: Duration,
}

/// Runs every query of `queries` `rounds` times and reports latencies.
pub async fn run_query_mix(
    index: &dyn SearchIndex,
    queries: &[IndexQuery],
    rounds: usize,
) -> Result<Latencies, SearchError> {
    let mut samples = Vec::with_capacity(queries.len() * rounds);
    for _ in 0..rounds {
        for query in queries {
            let started = Instant::now();
            index.search(query).await?;
            samples.push(started.elapsed());
        }
    }
    Ok(latencies(samples))
}

/// Percentiles of measured durations (empty input gives zeros).
pub fn latencies(mut samples: Vec<Duration>) -> Latencies {
    samples.sort();
    let at = |fraction: f64| {
        if samples.is_empty() {
            return Duration::ZERO;
        }
        let position = ((samples.len() as f64 - 1.0) * fraction).round() as usize;
        samples[position.min(samples.len() - 1)]
    };
    let total: Duration = samples.iter().sum();
    let mean = if samples.is_empty() { Duration::ZERO } else { total / samples.len() as u32 };
    Latencies { queries: samples.len(), p50: at(0.5), p99: at(0.99), mean }
}
