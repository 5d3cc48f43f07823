//! Listing photos end to end over catalog's real surfaces: reservations over gRPC,
//! bytes over the media route, processing off the request path, the local media
//! store under the data directory (read back here from disk), serving with cache
//! headers. Every refusal of the photo issue is here, each checked to store nothing.

// A test crate: helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Duration;

use image::{ImageFormat, Rgb, RgbImage};
use nds_common::ErrorCode;
use nds_common::testing::TestDatabase;
use nds_proto::catalog::v1 as wire;
use nds_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use reqwest::StatusCode;
use support::*;
use tonic::transport::Channel;

/// A photo-like picture: gradients, so encoders have something to do.
fn picture(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 128]))
}

fn encoded(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encoded(&picture(width, height), ImageFormat::Jpeg)
}

/// Every file under the catalog's media directory, relative to it.
fn stored_files(catalog: &TestCatalog) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, found: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, found);
            } else {
                found.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let root: PathBuf = catalog.runtime.config.data_dir.join("media");
    let mut found = Vec::new();
    walk(&root, &root, &mut found);
    found.sort();
    found
}

/// The stored files once they equal `expected`, or after 10 s as they are then. A
/// photo's staged original is deleted just after the photo is marked ready or
/// failed (never before: a failed commit must keep it), so a test that saw the
/// state may list the store a moment before that delete.
async fn stored_files_once_settled(catalog: &TestCatalog, expected: &[String]) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut files = stored_files(catalog);
    while files != expected && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        files = stored_files(catalog);
    }
    files
}

async fn draft_to_publish(client: &mut CatalogServiceClient<Channel>, token: &str) -> wire::Listing {
    let listing = draft(client, token).await;
    publish(client, token, &listing).await
}

/// A draft with no photo URLs (the fixture's URL would be fetched, and fail, as a photo).
async fn draft(client: &mut CatalogServiceClient<Channel>, token: &str) -> wire::Listing {
    let mut input = listing_input("");
    input.photos.clear();
    client
        .create_listing(request(
            wire::CreateListingRequest { agency_id: String::new(), input: Some(input) },
            Some(token),
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn reserve(
    client: &mut CatalogServiceClient<Channel>,
    token: &str,
    listing: &wire::Listing,
    count: u32,
) -> Result<wire::ReservePhotoUploadsResponse, tonic::Status> {
    client
        .reserve_photo_uploads(request(
            wire::ReservePhotoUploadsRequest { listing_id: listing.id.clone(), count },
            Some(token),
        ))
        .await
        .map(tonic::Response::into_inner)
}

struct Uploaded {
    status: StatusCode,
    body: serde_json::Value,
}

async fn put(catalog: &TestCatalog, upload: &wire::PhotoUpload, content_type: &str, bytes: Vec<u8>) -> Uploaded {
    let response = reqwest::Client::new()
        .put(format!("{}/{}", catalog.media_url, upload.path))
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status();
    Uploaded { status, body: response.json().await.unwrap_or_default() }
}

async fn photos(
    client: &mut CatalogServiceClient<Channel>,
    token: Option<&str>,
    listing: &wire::Listing,
) -> Vec<wire::ListingPhoto> {
    let response = client
        .get_listing_photos(request(wire::GetListingPhotosRequest { listing_ids: vec![listing.id.clone()] }, token))
        .await
        .unwrap()
        .into_inner();
    response.listings.into_iter().next().map(|gallery| gallery.photos).unwrap_or_default()
}

/// Waits until no photo of the listing is processing any more (processing is off the request path).
async fn settled(
    client: &mut CatalogServiceClient<Channel>,
    token: &str,
    listing: &wire::Listing,
) -> Vec<wire::ListingPhoto> {
    for _ in 0..600 {
        let current = photos(client, Some(token), listing).await;
        if current.iter().all(|photo| photo.status != wire::PhotoStatus::Processing as i32) {
            return current;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("photos still processing after 30 s");
}

#[tokio::test]
async fn a_dealer_uploads_photos_that_are_processed_stored_and_served_for_a_year() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let world = World::new();
    let manager = manager_token(world.own);
    let listing = draft(&mut client, &manager).await;

    let reservation = reserve(&mut client, &manager, &listing, 2).await.unwrap();
    assert_eq!(reservation.uploads.len(), 2);
    assert_eq!(reservation.max_bytes, 15 * 1024 * 1024);
    assert!(reservation.accepted_types.contains(&"image/jpeg".to_string()));

    // A landscape photo wider than every variant, and a small one narrower than most.
    let first = put(&catalog, &reservation.uploads[0], "image/jpeg", jpeg(2400, 1600)).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.body);
    assert_eq!(first.body["status"], "PROCESSING");
    let second = put(&catalog, &reservation.uploads[1], "application/octet-stream", jpeg(500, 400)).await;
    assert_eq!(second.status, StatusCode::ACCEPTED, "{}", second.body);

    let gallery = settled(&mut client, &manager, &listing).await;
    assert_eq!(gallery.len(), 2);
    let big = &gallery[0];
    assert_eq!(big.id, first.body["photoId"].as_str().unwrap());
    assert_eq!(big.status, wire::PhotoStatus::Ready as i32, "{}", big.failure_reason);
    assert!(big.cover && !gallery[1].cover, "the first ready photo is the cover");
    assert_eq!((big.width, big.height), (2400, 1600));
    assert!(big.placeholder.starts_with('#') && big.placeholder.len() == 7, "{}", big.placeholder);
    let widths = |photo: &wire::ListingPhoto, format: &str| -> Vec<u32> {
        photo.variants.iter().filter(|variant| variant.format == format).map(|variant| variant.width).collect()
    };
    assert_eq!(widths(big, "webp"), vec![320, 640, 1280, 1920]);
    assert_eq!(widths(big, "jpeg"), vec![320, 640, 1280, 1920]);
    let small = &gallery[1];
    assert!(widths(small, "webp").iter().all(|width| *width <= 500), "never upscaled: {:?}", widths(small, "webp"));
    assert!(!widths(small, "webp").is_empty());

    // What is stored is exactly the variants, and no original is left behind.
    let named: Vec<String> =
        gallery.iter().flat_map(|photo| photo.variants.iter().map(|variant| variant.path.clone())).collect();
    let mut expected = named.clone();
    expected.sort();
    assert_eq!(stored_files_once_settled(&catalog, &expected).await, expected);

    // Served with a long cache life, revalidated by ETag.
    let variant = big.variants.iter().find(|variant| variant.width == 640 && variant.format == "webp").unwrap();
    let http = reqwest::Client::new();
    let served = http.get(format!("{}/{}", catalog.media_url, variant.path)).send().await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/webp");
    assert_eq!(served.headers()["cache-control"], "public, max-age=31536000, immutable");
    let etag = served.headers()["etag"].to_str().unwrap().to_string();
    let body = served.bytes().await.unwrap();
    assert_eq!(body.len() as u64, variant.bytes);
    assert_eq!(&body[..4], b"RIFF");
    let again = http
        .get(format!("{}/{}", catalog.media_url, variant.path))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let staged = http.get(format!("{}/staging/{}", catalog.media_url, big.id)).send().await.unwrap();
    assert_eq!(staged.status(), StatusCode::NOT_FOUND, "originals are never served");

    // The public sees the ready photos of a published listing.
    let published = publish(&mut client, &manager, &listing).await;
    assert_eq!(photos(&mut client, None, &published).await.len(), 2);

    // Reordering moves the cover; deleting removes every variant from the store.
    let reordered = client
        .reorder_listing_photos(request(
            wire::ReorderListingPhotosRequest {
                listing_id: listing.id.clone(),
                photo_ids: vec![small.id.clone(), big.id.clone()],
            },
            Some(&manager),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reordered.photos[0].id, small.id);
    assert!(reordered.photos[0].cover && !reordered.photos[1].cover);
    let left = client
        .delete_listing_photo(request(
            wire::DeleteListingPhotoRequest { listing_id: listing.id.clone(), photo_id: small.id.clone() },
            Some(&manager),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(left.photos.len(), 1);
    assert_eq!((left.photos[0].id.as_str(), left.photos[0].position), (big.id.as_str(), 0));
    let files = stored_files(&catalog);
    assert!(files.iter().all(|file| !file.contains(&small.id)), "a deleted photo's variants are gone: {files:?}");
    assert_eq!(files.len(), big.variants.len());
}

#[tokio::test]
async fn every_refused_file_gets_a_clear_error_and_leaves_nothing_stored() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let manager = manager_token(World::new().own);
    let listing = draft(&mut client, &manager).await;
    let reservation = reserve(&mut client, &manager, &listing, 8).await.unwrap();
    let mut uploads = reservation.uploads.iter();

    let png = encoded(&picture(64, 48), ImageFormat::Png);
    let renamed = put(&catalog, uploads.next().unwrap(), "image/jpeg", png).await;
    assert_eq!(renamed.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", renamed.body);
    assert_eq!(renamed.body["code"], "type_mismatch");

    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec();
    let refused = put(&catalog, uploads.next().unwrap(), "application/pdf", pdf).await;
    assert_eq!(refused.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", refused.body);
    assert_eq!(refused.body["code"], "unsupported_type");
    assert!(refused.body["message"].as_str().unwrap().contains("PDF"), "{}", refused.body);

    let empty = put(&catalog, uploads.next().unwrap(), "image/jpeg", Vec::new()).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", empty.body);
    assert_eq!(empty.body["code"], "empty");

    let huge = put(&catalog, uploads.next().unwrap(), "image/jpeg", vec![0xFF; 60 * 1024 * 1024]).await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", huge.body);
    assert_eq!(huge.body["code"], "too_large");

    // 50,000 × 50,000 pixels declared in a file of a few hundred bytes.
    let bomb = put(&catalog, uploads.next().unwrap(), "image/png", png_bomb(50_000, 50_000)).await;
    assert_eq!(bomb.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bomb.body);
    assert_eq!(bomb.body["code"], "too_many_pixels");

    // A JPEG cut in half lacks its end marker: refused before anything is stored.
    let whole = jpeg(800, 600);
    let truncated = put(&catalog, uploads.next().unwrap(), "image/jpeg", whole[..whole.len() / 2].to_vec()).await;
    assert_eq!(truncated.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", truncated.body);
    assert_eq!(truncated.body["code"], "undecodable");

    // A PNG whose header is sound and whose pixel data is garbage passes every check
    // that reads no pixels, then fails in processing: marked FAILED, nothing kept.
    let accepted = put(&catalog, uploads.next().unwrap(), "image/png", png_with_garbage_data(64, 48)).await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.body);
    let gallery = settled(&mut client, &manager, &listing).await;
    assert_eq!(gallery.len(), 1, "only the damaged PNG got as far as a photo row");
    assert_eq!(gallery[0].status, wire::PhotoStatus::Failed as i32);
    assert_eq!(gallery[0].failure_code, "undecodable");
    assert!(!gallery[0].failure_reason.is_empty());
    assert!(gallery[0].variants.is_empty());
    assert!(photos(&mut client, None, &listing).await.is_empty(), "failures are private (and the draft too)");

    let nothing = Vec::<String>::new();
    assert_eq!(stored_files_once_settled(&catalog, &nothing).await, nothing, "nothing of any refused file is stored");

    // One good upload still works afterwards: the refusals did not wedge anything.
    let good = put(&catalog, uploads.next().unwrap(), "image/jpeg", jpeg(400, 300)).await;
    assert_eq!(good.status, StatusCode::ACCEPTED, "{}", good.body);
}

/// A PNG header claiming huge dimensions, with a tiny (wrong) body: the header is
/// all a bomb needs to be caught, and the check must not decode a single row.
fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale
    push_chunk(&mut bytes, b"IHDR", &ihdr);
    push_chunk(&mut bytes, b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    push_chunk(&mut bytes, b"IEND", &[]);
    bytes
}

/// A valid PNG header and a deflate stream that is not one.
fn png_with_garbage_data(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    push_chunk(&mut bytes, b"IHDR", &ihdr);
    push_chunk(&mut bytes, b"IDAT", &[0x78, 0x9c, 0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x37]);
    push_chunk(&mut bytes, b"IEND", &[]);
    bytes
}

fn push_chunk(bytes: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    bytes.extend_from_slice(&(data.len() as u32).to_be_bytes());
    bytes.extend_from_slice(kind);
    bytes.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    bytes.extend_from_slice(&crc32(&crc_input).to_be_bytes());
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[tokio::test]
async fn an_upload_token_works_once_for_its_listing_until_it_expires() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let manager = manager_token(World::new().own);
    let listing = draft(&mut client, &manager).await;
    let reservation = reserve(&mut client, &manager, &listing, 2).await.unwrap();

    let used = &reservation.uploads[0];
    assert_eq!(put(&catalog, used, "image/jpeg", jpeg(320, 240)).await.status, StatusCode::ACCEPTED);
    let replay = put(&catalog, used, "image/jpeg", jpeg(320, 240)).await;
    assert_eq!(replay.status, StatusCode::NOT_FOUND, "{}", replay.body);
    assert_eq!(replay.body["code"], "NOT_FOUND");

    // Expired: the reservation's clock is moved, not the test's.
    let connection = nds_common::db::connect(database.url()).await.unwrap();
    use sea_orm::ConnectionTrait;
    connection.execute_unprepared("UPDATE photo_uploads SET expires_at = 1 WHERE used_at IS NULL").await.unwrap();
    let late = put(&catalog, &reservation.uploads[1], "image/jpeg", jpeg(320, 240)).await;
    assert_eq!(late.status, StatusCode::NOT_FOUND, "{}", late.body);

    let forged = wire::PhotoUpload { path: "uploads/not-a-token".into(), ..Default::default() };
    assert_eq!(put(&catalog, &forged, "image/jpeg", jpeg(320, 240)).await.status, StatusCode::NOT_FOUND);

    settled(&mut client, &manager, &listing).await;
    assert_eq!(photos(&mut client, Some(&manager), &listing).await.len(), 1, "one token, one photo");
}

#[tokio::test]
async fn another_agencys_staff_can_neither_reserve_reorder_nor_delete_photos() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let world = World::new();
    let manager = manager_token(world.own);
    let draft = draft(&mut client, &manager).await;
    let live = draft_to_publish(&mut client, &manager).await;
    let reservation = reserve(&mut client, &manager, &live, 1).await.unwrap();
    assert_eq!(put(&catalog, &reservation.uploads[0], "image/jpeg", jpeg(640, 480)).await.status, StatusCode::ACCEPTED);
    let photo = settled(&mut client, &manager, &live).await.remove(0);

    for (who, token) in [
        ("a manager of a sibling agency", manager_token(world.sibling)),
        ("a salesperson of another group", salesperson_token(world.foreign)),
        ("a buyer", buyer_token()),
        ("the group's admin (reads, does not manage)", group_admin_token(world.own.group_id)),
    ] {
        let on_draft = reserve(&mut client, &token, &draft, 1).await.unwrap_err();
        assert!(
            matches!(code_of(&on_draft), ErrorCode::NotFound | ErrorCode::Forbidden),
            "{who} reserving on a draft: {on_draft:?}"
        );
        let on_live = reserve(&mut client, &token, &live, 1).await.unwrap_err();
        assert_eq!(code_of(&on_live), ErrorCode::Forbidden, "{who} reserving on a live listing");
        let reorder = client
            .reorder_listing_photos(request(
                wire::ReorderListingPhotosRequest { listing_id: live.id.clone(), photo_ids: vec![photo.id.clone()] },
                Some(&token),
            ))
            .await
            .unwrap_err();
        assert_eq!(code_of(&reorder), ErrorCode::Forbidden, "{who} reordering");
        let delete = client
            .delete_listing_photo(request(
                wire::DeleteListingPhotoRequest { listing_id: live.id.clone(), photo_id: photo.id.clone() },
                Some(&token),
            ))
            .await
            .unwrap_err();
        assert_eq!(code_of(&delete), ErrorCode::Forbidden, "{who} deleting");
    }
    // A photo id of this listing named under another listing of the agency is not found.
    let crossed = client
        .delete_listing_photo(request(
            wire::DeleteListingPhotoRequest { listing_id: draft.id.clone(), photo_id: photo.id.clone() },
            Some(&manager),
        ))
        .await
        .unwrap_err();
    assert_eq!(code_of(&crossed), ErrorCode::NotFound);
    assert_eq!(photos(&mut client, None, &live).await.len(), 1, "the photo is still there");
    assert!(!stored_files(&catalog).is_empty());
}

#[tokio::test]
async fn a_listing_holds_at_most_thirty_photos() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let manager = manager_token(World::new().own);
    let listing = draft(&mut client, &manager).await;
    let too_many = reserve(&mut client, &manager, &listing, 31).await.unwrap_err();
    assert_eq!(code_of(&too_many), ErrorCode::BadUserInput);
    assert_eq!(field_of(&too_many).as_deref(), Some("count"));
    reserve(&mut client, &manager, &listing, 30).await.unwrap();
    let full = reserve(&mut client, &manager, &listing, 1).await.unwrap_err();
    assert_eq!(code_of(&full), ErrorCode::BadUserInput, "open reservations take places too");
    assert!(full.message().contains("0 more"), "{}", full.message());
}

/// A test server on loopback: `/car.jpg` serves a photo, `/to-metadata` redirects to
/// the cloud metadata address.
async fn photo_host() -> u16 {
    use axum::routing::get;
    let photo = jpeg(800, 600);
    let app = axum::Router::new()
        .route("/car.jpg", get(move || async move { ([("content-type", "image/jpeg")], photo) }))
        .route(
            "/to-metadata",
            get(|| async { axum::response::Redirect::temporary("http://169.254.169.254/latest/meta-data/") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

/// Integrations name photos by https URL (the listing rules refuse anything else);
/// the test host speaks plain HTTP on loopback, so this drives the service's
/// ingestion directly, with a fetcher that lets exactly that one port through.
#[tokio::test]
async fn photo_urls_from_an_integration_are_fetched_once_processed_and_never_from_inside_the_network() {
    use svc_catalog::service::photo_fetch::PhotoFetcher;
    use svc_catalog::store::media::MediaStore;
    use svc_catalog::store::photos::UploadGrant;

    let port = photo_host().await;
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let manager = manager_token(World::new().own);
    let listing = draft(&mut client, &manager).await;

    let media = MediaStore::in_memory();
    let pipeline = svc_catalog::service::PhotoPipeline::new(
        media.clone(),
        svc_catalog::domain::photos::PhotoLimits::default(),
        PhotoFetcher::allowing_loopback_port_for_tests(Default::default(), port).unwrap(),
    );
    let service = service_over(&database, &catalog.runtime, pipeline).await;
    let grant = UploadGrant { listing_id: listing.id.parse().unwrap(), agency_id: listing.agency_id.parse().unwrap() };
    let urls = vec![
        format!("http://127.0.0.1:{port}/car.jpg"),
        format!("http://127.0.0.1:{port}/to-metadata"),
        "http://127.0.0.1/".to_string(),
    ];
    assert_eq!(service.ingest_photo_urls(grant, &urls).await.unwrap(), 3);

    let gallery = settled(&mut client, &manager, &listing).await;
    assert_eq!(gallery.len(), 3, "{gallery:?}");
    assert_eq!(gallery[0].status, wire::PhotoStatus::Ready as i32, "{}", gallery[0].failure_reason);
    assert_eq!((gallery[0].width, gallery[0].height), (800, 600));
    for refused in &gallery[1..] {
        assert_eq!(refused.status, wire::PhotoStatus::Failed as i32);
        assert_eq!(refused.failure_code, "fetch_forbidden_address", "{}", refused.failure_reason);
    }
    let stored = media.list("p").await.unwrap();
    assert_eq!(stored.len(), gallery[0].variants.len(), "only the fetched photo's variants: {stored:?}");

    // The same URLs again, in another order: nothing is fetched twice.
    let mut again = urls.clone();
    again.reverse();
    assert_eq!(service.ingest_photo_urls(grant, &again).await.unwrap(), 0);
    assert_eq!(settled(&mut client, &manager, &listing).await.len(), 3);
}
