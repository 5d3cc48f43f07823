//! Demo inventory for `nds dev`: realistic Mexican-market listings, created through
//! the same write path as real ones (validation, price history, change feed), from
//! a seeded RNG so every run produces the same catalogue.

use nds_common::runtime::Runtime;
use nds_common::vehicle::{BodyType, Condition, Fuel, Transmission};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::domain::lifecycle::Transition;
use crate::domain::validation::{ListingInput, validate_listing};
use crate::domain::vin::Vin;
use crate::domain::{Money, Owner};
use crate::error::CatalogError;
use crate::service::{CatalogService, current_year};

/// An agency of the demo data set (identity seeds them; catalog only needs these).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoAgencyRef {
    pub agency_id: Uuid,
    pub group_id: Uuid,
    pub city: String,
    pub state: String,
}

const DEMO_SEED: u64 = 0x4e44_5320_4d58;

/// (make, model, body type, fuel, price of a new one in pesos).
const MODELS: &[(&str, &str, BodyType, Fuel, i64)] = &[
    ("nissan", "versa", BodyType::Sedan, Fuel::Gasoline, 330_000),
    ("nissan", "sentra", BodyType::Sedan, Fuel::Gasoline, 420_000),
    ("nissan", "march", BodyType::Hatchback, Fuel::Gasoline, 270_000),
    ("nissan", "kicks", BodyType::Suv, Fuel::Gasoline, 440_000),
    ("nissan", "x-trail", BodyType::Suv, Fuel::Gasoline, 650_000),
    ("nissan", "np300", BodyType::Pickup, Fuel::Diesel, 520_000),
    ("volkswagen", "jetta", BodyType::Sedan, Fuel::Gasoline, 480_000),
    ("volkswagen", "vento", BodyType::Sedan, Fuel::Gasoline, 310_000),
    ("volkswagen", "tiguan", BodyType::Suv, Fuel::Gasoline, 700_000),
    ("volkswagen", "taos", BodyType::Suv, Fuel::Gasoline, 560_000),
    ("chevrolet", "aveo", BodyType::Sedan, Fuel::Gasoline, 290_000),
    ("chevrolet", "onix", BodyType::Sedan, Fuel::Gasoline, 340_000),
    ("chevrolet", "tracker", BodyType::Suv, Fuel::Gasoline, 460_000),
    ("chevrolet", "silverado", BodyType::Pickup, Fuel::Gasoline, 900_000),
    ("toyota", "corolla", BodyType::Sedan, Fuel::Hybrid, 470_000),
    ("toyota", "yaris", BodyType::Sedan, Fuel::Gasoline, 330_000),
    ("toyota", "rav4", BodyType::Suv, Fuel::Hybrid, 750_000),
    ("toyota", "hilux", BodyType::Pickup, Fuel::Diesel, 640_000),
    ("toyota", "sienna", BodyType::Minivan, Fuel::Hybrid, 1_000_000),
    ("honda", "civic", BodyType::Sedan, Fuel::Gasoline, 560_000),
    ("honda", "cr-v", BodyType::Suv, Fuel::Gasoline, 680_000),
    ("honda", "city", BodyType::Sedan, Fuel::Gasoline, 380_000),
    ("mazda", "cx-5", BodyType::Suv, Fuel::Gasoline, 620_000),
    ("kia", "rio", BodyType::Sedan, Fuel::Gasoline, 330_000),
    ("kia", "sportage", BodyType::Suv, Fuel::Gasoline, 620_000),
    ("ford", "ranger", BodyType::Pickup, Fuel::Diesel, 720_000),
    ("ford", "mustang", BodyType::Coupe, Fuel::Gasoline, 1_100_000),
    ("hyundai", "tucson", BodyType::Suv, Fuel::Gasoline, 600_000),
    ("tesla", "model 3", BodyType::Sedan, Fuel::Electric, 900_000),
];

const COLORS: &[&str] = &["blanco", "negro", "gris", "plata", "rojo", "azul"];

const OPENINGS: &[&str] = &[
    "Único dueño, servicios de agencia al corriente.",
    "Excelentes condiciones, factura original.",
    "Seminuevo certificado, listo para entrega inmediata.",
    "Muy bien cuidado, nunca chocado.",
    "Auto de confianza, ideal para la familia.",
];
const CLOSINGS: &[&str] = &[
    "Aceptamos tu auto a cuenta.",
    "Financiamiento disponible con enganche desde 20%.",
    "Agenda tu prueba de manejo.",
    "Garantía de agencia incluida.",
];

/// A North-American-format VIN as a Mexican plant would stamp it ('3'), unique per index.
fn demo_vin(rng: &mut StdRng, index: usize) -> Option<Vin> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
    let mut body: String = (0..11).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    body.replace_range(0..1, "3");
    Vin::with_check_digit(&format!("{body}{:06}", index % 1_000_000))
}

fn demo_input(rng: &mut StdRng, index: usize, agency: &DemoAgencyRef, this_year: i32) -> ListingInput {
    let (make, model, body_type, fuel, new_price) = MODELS[rng.random_range(0..MODELS.len())];
    let age = rng.random_range(0..=10);
    let year = this_year - age;
    let condition = match age {
        0 => Condition::New,
        1..=3 if rng.random_bool(0.4) => Condition::Certified,
        _ => Condition::Used,
    };
    let mileage_km = if condition == Condition::New {
        rng.random_range(0..50)
    } else {
        i64::from(age) * rng.random_range(9_000..22_000) + rng.random_range(0..5_000)
    };
    // About 12% a year, ±7%, rounded to 1,000 pesos, in centavos.
    let value = new_price as f64 * 0.88f64.powi(age) * rng.random_range(0.93..1.07);
    let price_pesos = ((value / 1_000.0).round() as i64).max(30) * 1_000;
    let transmission = if body_type == BodyType::Pickup || rng.random_bool(0.8) {
        Transmission::Automatic
    } else {
        Transmission::Manual
    };
    let vin = if rng.random_bool(0.7) { demo_vin(rng, index) } else { None };
    let description = format!(
        "{} {} {} {year}, {} km. {}",
        OPENINGS[rng.random_range(0..OPENINGS.len())],
        make,
        model,
        mileage_km,
        CLOSINGS[rng.random_range(0..CLOSINGS.len())]
    );
    ListingInput {
        make: make.into(),
        model: model.into(),
        year,
        trim: String::new(),
        vin: vin.map(String::from).unwrap_or_default(),
        price: Some(Money { amount_minor: price_pesos * 100, currency: "MXN".into() }),
        mileage_km,
        body_type: Some(body_type),
        fuel: Some(fuel),
        transmission: Some(transmission),
        color: COLORS[rng.random_range(0..COLORS.len())].into(),
        condition: Some(condition),
        city: agency.city.clone(),
        state: agency.state.clone(),
        description,
        // No made-up photo URLs: a page would show broken images. Pages show a placeholder.
        photos: Vec::new(),
        attributes_json: serde_json::json!({ "duenos": rng.random_range(1..=3), "factura": "original" }).to_string(),
    }
}

/// Inserts `count` demo listings spread over `agencies` (about 85% published, the
/// rest drafts or sold) unless the catalog already has listings. Returns how many
/// were inserted.
pub async fn seed_demo(runtime: &Runtime, agencies: &[DemoAgencyRef], count: usize) -> Result<usize, CatalogError> {
    let service = crate::connect_service(runtime).await?;
    let inserted = seed_with(&service, agencies, count).await;
    service.store().database().clone().close().await.ok();
    inserted
}

pub(crate) async fn seed_with(
    service: &CatalogService,
    agencies: &[DemoAgencyRef],
    count: usize,
) -> Result<usize, CatalogError> {
    if agencies.is_empty() || service.store().count_listings().await? > 0 {
        return Ok(0);
    }
    let mut rng = StdRng::seed_from_u64(DEMO_SEED);
    let this_year = current_year();
    for index in 0..count {
        let agency = &agencies[index % agencies.len()];
        let owner = Owner { agency_id: agency.agency_id, group_id: agency.group_id };
        let fields = validate_listing(&demo_input(&mut rng, index, agency, this_year), this_year)?;
        let listing = service.insert_new_listing(owner, fields).await?;
        let roll: f64 = rng.random();
        if roll < 0.93 {
            let published = service.apply_transition(listing, Transition::Publish).await?;
            if roll >= 0.85 {
                service.apply_transition(published, Transition::MarkSold).await?;
            }
        }
    }
    tracing::info!(count, "demo listings seeded");
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_inputs_are_valid_and_deterministic() {
        let agency = DemoAgencyRef {
            agency_id: Uuid::nil(),
            group_id: Uuid::nil(),
            city: "Guadalajara".into(),
            state: "Jalisco".into(),
        };
        let generate = || {
            let mut rng = StdRng::seed_from_u64(DEMO_SEED);
            (0..200).map(|index| demo_input(&mut rng, index, &agency, 2026)).collect::<Vec<_>>()
        };
        let first = generate();
        assert_eq!(first, generate());
        for input in &first {
            let fields = validate_listing(input, 2026).unwrap_or_else(|error| panic!("{input:?}: {error:?}"));
            assert!(fields.price.amount_minor >= 3_000_000);
        }
    }
}
