//! Listing photos through the public API, with NDS started as `nds dev` starts it:
//! the edge hands out upload URLs on its own port, the bytes go there (never through
//! GraphQL), the gallery and the search card carry variants a browser can pick from.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nds_tests::TestSystem;
use nds_tests::client::data;
use nds_tests::inventory::{CARS, create_listing, publish, wait_until_searchable};
use nds_tests::photos::{sample_jpeg, settled_gallery, upload_photo};
use serde_json::json;

#[tokio::test]
async fn a_manager_uploads_photos_and_buyers_get_sized_variants_in_the_gallery_and_on_search_cards() {
    let system = TestSystem::start(&[]).await.unwrap();
    let agency = system.onboard_agency("Autos Foto", "AFO010203AB1", "gerente@autosfoto.mx").await;
    let manager = agency.manager_token.clone();
    let listing = create_listing(&system, &manager, &CARS[0]).await;

    let first = upload_photo(&system, &manager, &listing, sample_jpeg(1600, 1200, [200, 40, 40])).await;
    let second = upload_photo(&system, &manager, &listing, sample_jpeg(1200, 900, [40, 40, 200])).await;
    let gallery = settled_gallery(&system, &manager, &listing).await;
    assert_eq!(gallery.len(), 2);
    assert_eq!(gallery[0]["id"], first.as_str());
    assert_eq!(gallery[1]["id"], second.as_str());
    assert_eq!(gallery[0]["status"], "READY", "{}", gallery[0]);
    assert_eq!(gallery[0]["isCover"], true);
    assert_eq!((gallery[0]["width"].as_i64(), gallery[0]["height"].as_i64()), (Some(1600), Some(1200)));

    // The URLs point at this system's edge and serve the bytes, cacheable for a year.
    let srcset = gallery[0]["srcset"].as_str().unwrap();
    assert!(srcset.contains(" 320w") && srcset.contains(" 640w") && srcset.contains(" 1280w"), "{srcset}");
    assert!(!srcset.contains("1920w"), "never wider than the original: {srcset}");
    let url = gallery[0]["url"].as_str().unwrap();
    assert!(url.starts_with(&system.http_url("/media/p/")), "{url}");
    assert!(url.ends_with("-640.jpg"), "{url}");
    let served = reqwest::get(url).await.unwrap();
    assert_eq!(served.status().as_u16(), 200);
    assert_eq!(served.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(&served.bytes().await.unwrap()[..2], &[0xFF, 0xD8], "a JPEG");

    // The dealer makes the second photo the cover.
    let reordered = system
        .graphql(
            "mutation($id: ID!, $order: [ID!]!) { reorderListingPhotos(listingId: $id, photoIds: $order) { id isCover } }",
            json!({ "id": listing, "order": [second, first] }),
            Some(&manager),
        )
        .await
        .unwrap();
    let order = data(&reordered, "reorderListingPhotos").as_array().unwrap().clone();
    assert_eq!((order[0]["id"].as_str(), order[0]["isCover"].as_bool()), (Some(second.as_str()), Some(true)));

    // Published, the car's search card carries its cover's variants.
    publish(&system, &manager, &listing).await;
    wait_until_searchable(&system, 1).await;
    let search = system
        .graphql(
            "{ search(input: {}) { results { edges { node { id cover { id srcset(format: WEBP) placeholder } } } } } }",
            json!({}),
            None,
        )
        .await
        .unwrap();
    let card = &data(&search, "search")["results"]["edges"][0]["node"];
    assert_eq!(card["id"], listing.as_str());
    assert_eq!(card["cover"]["id"], second.as_str());
    assert!(card["cover"]["srcset"].as_str().unwrap().contains(" 640w"), "{card}");
    assert!(card["cover"]["placeholder"].as_str().unwrap().starts_with('#'));

    // Another agency's manager gets no upload URL for this car.
    let other = system.onboard_agency("Autos Ajenos", "AAJ010203AB1", "gerente@autosajenos.mx").await;
    let refused = system
        .graphql(
            "mutation($id: ID!) { reservePhotoUploads(listingId: $id) { uploads { url } } }",
            json!({ "id": listing }),
            Some(&other.manager_token),
        )
        .await
        .unwrap();
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");
    system.stop().await.unwrap();
}

/// The buyer's half of the photo journey in Chromium on a phone-sized window: the
/// listing page draws every ready photo as a `<picture>` with WebP and JPEG sizes,
/// only the first eagerly, and the browser downloads a phone-sized variant, not the
/// largest; the search card shows the cover. Works with JavaScript off too (it is
/// all markup). The panel's upload form is not built yet: the photos arrive
/// through the API, as a mobile app would send them.
#[tokio::test]
async fn the_buyer_site_shows_uploaded_photos_with_srcset_and_a_phone_downloads_a_small_variant() {
    use nds_tests::browser::{Browser, SessionOptions};

    let system = TestSystem::start(&[]).await.unwrap();
    let agency = system.onboard_agency("Autos Galería", "AGA010203AB1", "gerente@autosgaleria.mx").await;
    let manager = agency.manager_token.clone();
    let listing = create_listing(&system, &manager, &CARS[1]).await;
    let tints = [[180, 30, 30], [30, 120, 60], [40, 60, 170]];
    for tint in tints {
        upload_photo(&system, &manager, &listing, sample_jpeg(2400, 1800, tint)).await;
    }
    let gallery = settled_gallery(&system, &manager, &listing).await;
    assert!(gallery.iter().all(|photo| photo["status"] == "READY"), "{gallery:?}");
    publish(&system, &manager, &listing).await;
    wait_until_searchable(&system, 1).await;

    let browser = Browser::start().await;
    let phone = browser.session(SessionOptions::phone()).await;
    phone.goto(&system.site_url(&format!("/autos/{listing}"))).await;
    assert_eq!(phone.count(".gallery picture").await, 3);
    assert_eq!(phone.count(".gallery picture source[type='image/webp']").await, 3);
    let srcset = phone.attr(".gallery picture source", "srcset").await.unwrap();
    for width in ["320w", "640w", "1280w", "1920w"] {
        assert!(srcset.contains(width), "{width} missing from {srcset}");
    }
    let loading: Vec<String> = {
        let mut values = Vec::new();
        for index in 1..=3 {
            values.push(phone.attr(&format!(".gallery picture:nth-of-type({index}) img"), "loading").await.unwrap());
        }
        values
    };
    assert_eq!(loading, vec!["eager", "lazy", "lazy"]);
    // What the browser chose for the first photo: WebP, and not the 1920 px one.
    let chosen =
        phone.client.execute("return document.querySelector('.gallery img').currentSrc;", vec![]).await.unwrap();
    let chosen = chosen.as_str().unwrap_or_default().to_string();
    assert!(chosen.ends_with(".webp"), "the phone took {chosen}");
    assert!(chosen.contains("-640.") || chosen.contains("-1280."), "a phone-sized variant, not {chosen}");
    // And it really arrived (a page policy that blocks the media origin shows only the alt text).
    let mut loaded = 0;
    for _ in 0..50 {
        let width = phone
            .client
            .execute(
                "const img = document.querySelector('.gallery img'); return img.complete ? img.naturalWidth : 0;",
                vec![],
            )
            .await
            .unwrap();
        loaded = width.as_u64().unwrap_or_default();
        if loaded > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // naturalWidth is in CSS pixels (the variant's width over its density for this `sizes`).
    assert!(loaded > 0, "the first photo did not load");
    phone.screenshot("site-listing-photos-phone").await;

    phone.goto(&system.site_url("/")).await;
    assert_eq!(phone.count(".card-photo picture source[type='image/webp']").await, 1);
    phone.close().await;

    let plain = browser.session(SessionOptions::phone().without_javascript()).await;
    plain.goto(&system.site_url(&format!("/autos/{listing}"))).await;
    assert_eq!(plain.count(".gallery picture img[srcset]").await, 3, "the markup alone carries the sizes");
    plain.close().await;
    system.stop().await.unwrap();
}

/// The dealer's half in Chromium on a phone-sized window (issue 20's browser test):
/// a manager signs in to the panel, picks 12 photos at once, watches them upload
/// one progress bar each, makes the third the cover; the buyer site then shows the
/// 12 with srcset. With JavaScript off the same form posts the files in one go.
/// Another agency's manager gets the not-found page for this car's photos.
#[tokio::test]
async fn a_dealer_uploads_twelve_photos_from_the_panel_on_a_phone_and_buyers_see_them() {
    use nds_tests::browser::{Browser, SessionOptions};
    use std::time::Duration;

    let system = TestSystem::start(&[]).await.unwrap();
    let agency = system.onboard_agency("Autos Panel", "APA010203AB1", "gerente@autospanel.mx").await;
    let manager = agency.manager_token.clone();
    let listing = create_listing(&system, &manager, &CARS[2]).await;
    let folder = system.data_dir.join("phone-camera");
    std::fs::create_dir_all(&folder).unwrap();
    let files: Vec<std::path::PathBuf> = (0..12u8)
        .map(|index| {
            let path = folder.join(format!("IMG_{:04}.jpg", 1000 + u32::from(index)));
            std::fs::write(&path, sample_jpeg(1600, 1200, [20 * index, 200 - 10 * index, 90])).unwrap();
            path
        })
        .collect();

    let browser = Browser::start().await;
    let phone = browser.session(SessionOptions::phone()).await;
    let page = system.panel_url(&format!("/listings/{listing}/photos"));
    phone.goto(&page).await;
    phone.fill("#field-email", "gerente@autospanel.mx").await;
    phone.fill("#field-password", "gerencia-2026-segura").await;
    phone.click_and_wait("form[action='/login'] button[type=submit]").await;
    assert!(phone.url().await.contains("/photos"), "back on the photo page after signing in: {}", phone.url().await);
    let violations = phone.accessibility_violations().await;
    assert!(violations.is_empty(), "photo page: {violations:#?}");

    phone.choose_files("#photo-files", &files).await;
    phone.click("form[data-photo-upload] button[type=submit]").await;
    assert!(phone.wait_for_url("uploaded=12", Duration::from_secs(60)).await, "the uploads did not finish");
    assert!(phone.body().await.contains("Se subieron 12 fotos"), "{}", phone.body().await);
    let gallery = settled_gallery(&system, &manager, &listing).await;
    assert_eq!(gallery.len(), 12);
    assert!(gallery.iter().all(|photo| photo["status"] == "READY"), "{gallery:?}");
    phone.goto(&page).await;
    assert_eq!(phone.count(".photo-grid li.photo").await, 12);
    assert_eq!(phone.count(".photo-grid picture source[type='image/webp']").await, 12);
    phone.screenshot("panel-photos-phone").await;

    // The third photo becomes the cover.
    let third = gallery[2]["id"].as_str().unwrap().to_string();
    phone.click_and_wait(&format!("#photo-{third} .actions form:first-of-type button")).await;
    let reordered = settled_gallery(&system, &manager, &listing).await;
    assert_eq!(reordered[0]["id"], third.as_str());
    assert_eq!(reordered[0]["isCover"], true);
    phone.close().await;

    // With JavaScript off, the same form sends two more files in one post.
    let plain = browser.session(SessionOptions::phone().without_javascript()).await;
    plain.goto(&page).await;
    plain.fill("#field-email", "gerente@autospanel.mx").await;
    plain.fill("#field-password", "gerencia-2026-segura").await;
    plain.click_and_wait("form[action='/login'] button[type=submit]").await;
    plain.choose_files("#photo-files", &files[..2]).await;
    plain.click_and_wait("form[data-photo-upload] button[type=submit]").await;
    assert!(plain.body().await.contains("Se subieron 2 fotos"), "{}", plain.body().await);
    assert_eq!(settled_gallery(&system, &manager, &listing).await.len(), 14);
    // The panel's home lists the agency's cars with the way to their photos.
    plain.goto(&system.panel_url("/")).await;
    assert!(plain.body().await.contains("Toyota Hilux 2019 · 14 fotos"), "{}", plain.body().await);
    plain.click_and_wait(&format!("a[href='/listings/{listing}/photos']")).await;
    assert_eq!(plain.count(".photo-grid li.photo").await, 14);
    plain.close().await;

    // Another agency's manager, while the car is a draft: the API says not found,
    // the panel shows that page.
    other_agency(&system).await;
    let stranger = browser.session(SessionOptions::phone()).await;
    stranger.goto(&page).await;
    stranger.fill("#field-email", "gerente@autosvecinos.mx").await;
    stranger.fill("#field-password", "gerencia-2026-segura").await;
    stranger.click_and_wait("form[action='/login'] button[type=submit]").await;
    assert!(stranger.body().await.contains("No encontramos esta página"), "{}", stranger.body().await);
    assert_eq!(stranger.count("form[data-photo-upload]").await, 0);
    stranger.close().await;

    // The buyer site shows them, cover first, each with its sizes.
    publish(&system, &manager, &listing).await;
    wait_until_searchable(&system, 1).await;
    let buyer = browser.session(SessionOptions::phone()).await;
    buyer.goto(&system.site_url(&format!("/autos/{listing}"))).await;
    assert_eq!(buyer.count(".gallery picture img[srcset]").await, 14);
    buyer.close().await;

    system.stop().await.unwrap();
}

async fn other_agency(system: &TestSystem) {
    system.onboard_agency("Autos Vecinos", "AVE010203AB1", "gerente@autosvecinos.mx").await;
}
