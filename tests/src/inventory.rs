//! A small, known inventory for the tests that look at pages: one onboarded
//! agency and a handful of published cars, waited for until search shows them.

// Test support: a failed expectation here is a failed test, said loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use serde_json::json;

use crate::TestSystem;
use crate::client::{Agency, data};

/// (make, model, year, pesos, km, body, fuel, transmission, colour, city).
pub type Car =
    (&'static str, &'static str, i64, i64, i64, &'static str, &'static str, &'static str, &'static str, &'static str);

/// Toyota SUVs on both sides of 400 mil, automatic and manual, and other makes:
/// enough for a search to have something to include and something to leave out.
pub const CARS: &[Car] = &[
    ("toyota", "rav4", 2020, 389_000, 52_000, "SUV", "HYBRID", "AUTOMATIC", "blanco", "Monterrey"),
    ("toyota", "rav4", 2022, 529_000, 21_000, "SUV", "HYBRID", "AUTOMATIC", "gris", "Monterrey"),
    ("toyota", "hilux", 2019, 359_000, 88_000, "PICKUP", "DIESEL", "MANUAL", "blanco", "Monterrey"),
    ("toyota", "corolla", 2021, 315_000, 40_000, "SEDAN", "GASOLINE", "AUTOMATIC", "rojo", "Monterrey"),
    ("honda", "cr-v", 2020, 399_000, 47_000, "SUV", "GASOLINE", "AUTOMATIC", "azul", "Monterrey"),
    ("nissan", "kicks", 2021, 329_000, 35_000, "SUV", "GASOLINE", "AUTOMATIC", "negro", "Monterrey"),
    ("volkswagen", "jetta", 2019, 279_000, 61_000, "SEDAN", "GASOLINE", "MANUAL", "rojo", "Monterrey"),
    ("mazda", "cx-5", 2018, 349_000, 73_000, "SUV", "GASOLINE", "AUTOMATIC", "rojo", "Monterrey"),
];

pub struct Inventory {
    pub agency: Agency,
    /// Listing ids, in the order of [`CARS`].
    pub listing_ids: Vec<String>,
}

pub async fn create_listing(system: &TestSystem, manager_token: &str, car: &Car) -> String {
    let (make, model, year, pesos, km, body, fuel, transmission, color, city) = *car;
    let created = system
        .graphql(
            "mutation($input: ListingInput!) { createListing(input: $input) { id } }",
            json!({ "input": {
                "make": make, "model": model, "year": year, "price": pesos * 100, "mileageKm": km,
                "bodyType": body, "fuel": fuel, "transmission": transmission, "color": color,
                "condition": "USED", "city": city, "state": "Nuevo León",
                "description": format!("{make} {model} {year}, un dueño, servicios de agencia.") } }),
            Some(manager_token),
        )
        .await
        .unwrap();
    data(&created, "createListing")["id"].as_str().unwrap().to_string()
}

pub async fn publish(system: &TestSystem, manager_token: &str, id: &str) {
    let published = system
        .graphql("mutation($id: ID!) { publishListing(id: $id) { status } }", json!({ "id": id }), Some(manager_token))
        .await
        .unwrap();
    assert_eq!(data(&published, "publishListing")["status"], "PUBLISHED");
}

/// Waits until a search without filters counts `expected` listings.
pub async fn wait_until_searchable(system: &TestSystem, expected: i64) {
    for _ in 0..100 {
        let response =
            system.graphql("{ search(input: {}) { results { totalCount } } }", json!({}), None).await.unwrap();
        if data(&response, "search")["results"]["totalCount"].as_i64() == Some(expected) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("search never showed {expected} listings");
}

impl Inventory {
    /// Onboards "Autos del Valle" and publishes every car of [`CARS`].
    pub async fn publish_all(system: &TestSystem) -> Inventory {
        let agency = system.onboard_agency("Autos del Valle", "ADV010203AB1", "gerente@autosdelvalle.mx").await;
        let mut listing_ids = Vec::new();
        for car in CARS {
            let id = create_listing(system, &agency.manager_token, car).await;
            publish(system, &agency.manager_token, &id).await;
            listing_ids.push(id);
        }
        wait_until_searchable(system, CARS.len() as i64).await;
        Inventory { agency, listing_ids }
    }
}
