//! Fixtures for tests of catalog and of the services that call it (billing, search).

use nds_proto::catalog::v1 as wire;
use nds_proto::common::v1 as common;

/// A complete, valid listing input (no VIN unless given).
pub fn listing_input(vin: &str) -> wire::ListingInput {
    wire::ListingInput {
        make: "Nissan".into(),
        model: "Versa".into(),
        year: 2022,
        trim: "Advance".into(),
        vin: vin.into(),
        price: Some(common::Money { amount_minor: 28_500_000, currency: "MXN".into() }),
        mileage_km: 35_000,
        body_type: common::BodyType::Sedan as i32,
        fuel: common::Fuel::Gasoline as i32,
        transmission: common::Transmission::Automatic as i32,
        color: "Blanco".into(),
        condition: common::Condition::Used as i32,
        city: "Guadalajara".into(),
        state: String::new(),
        description: "Único dueño, servicios de agencia.".into(),
        photos: vec!["https://photos.example.invalid/versa/1.jpg".into()],
        attributes_json: r#"{"camara_reversa": true}"#.into(),
    }
}
