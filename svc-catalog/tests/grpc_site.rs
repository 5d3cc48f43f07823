//! What the buyer site needs beyond listings and search, over gRPC: a buyer deletes
//! their own saved searches, sold and archived cars answer a "no longer available"
//! page, and sitemap.xml pages through every published listing.

// A test crate: helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use nds_common::ErrorCode;
use nds_common::auth::MembershipClaim;
use nds_common::testing::TestDatabase;
use nds_common::testing::tokens::sign_access_token;
use nds_proto::catalog::v1 as wire;
use nds_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use nds_proto::common::v1 as common;
use tonic::transport::Channel;
use uuid::Uuid;

use support::*;

fn buyer_with_id(user_id: Uuid) -> String {
    let membership = MembershipClaim { role: "BUYER".into(), group_id: None, agency_id: None };
    sign_access_token("user", user_id.to_string(), vec![membership], vec![])
}

async fn save(client: &mut CatalogServiceClient<Channel>, token: &str, name: &str) -> wire::SavedSearch {
    let filters = common::SearchFilters { makes: vec!["nissan".into()], ..Default::default() };
    client
        .save_search(request(
            wire::SaveSearchRequest { name: name.into(), text: String::new(), filters: Some(filters) },
            Some(token),
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn saved_names(client: &mut CatalogServiceClient<Channel>, token: &str) -> Vec<String> {
    let listed =
        client.list_saved_searches(request(wire::ListSavedSearchesRequest {}, Some(token))).await.unwrap().into_inner();
    listed.saved_searches.into_iter().map(|search| search.name).collect()
}

async fn delete(
    client: &mut CatalogServiceClient<Channel>,
    token: Option<&str>,
    id: &str,
) -> Result<wire::DeleteSavedSearchResponse, tonic::Status> {
    client
        .delete_saved_search(request(wire::DeleteSavedSearchRequest { id: id.into() }, token))
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_buyer_deletes_only_their_own_saved_searches() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let alice = buyer_with_id(Uuid::new_v4());
    let bob = buyer_with_id(Uuid::new_v4());
    let alices_versa = save(&mut client, &alice, "versa").await;
    let alices_sentra = save(&mut client, &alice, "sentra").await;
    let bobs = save(&mut client, &bob, "bob's").await;

    // Bob sends Alice's id: it is not his, so it does not exist for him.
    let refused = delete(&mut client, Some(&bob), &alices_versa.id).await.unwrap_err();
    assert_eq!(code_of(&refused), ErrorCode::NotFound, "{}", refused.message());
    assert_eq!(saved_names(&mut client, &alice).await, vec!["sentra", "versa"], "nothing of Alice's was deleted");
    assert_eq!(saved_names(&mut client, &bob).await, vec!["bob's"]);

    // Nobody signed in, or an id that is not an id: refused, nothing deleted.
    let anonymous = delete(&mut client, None, &alices_versa.id).await.unwrap_err();
    assert_eq!(code_of(&anonymous), ErrorCode::Unauthenticated);
    let garbage = delete(&mut client, Some(&alice), "not-an-id").await.unwrap_err();
    assert_eq!(code_of(&garbage), ErrorCode::BadUserInput);
    assert_eq!(field_of(&garbage).as_deref(), Some("id"));
    assert_eq!(saved_names(&mut client, &alice).await, vec!["sentra", "versa"]);

    // Alice deletes her own: gone for her, Bob's untouched; a second delete finds nothing.
    delete(&mut client, Some(&alice), &alices_versa.id).await.unwrap();
    assert_eq!(saved_names(&mut client, &alice).await, vec!["sentra"]);
    assert_eq!(saved_names(&mut client, &bob).await, vec!["bob's"]);
    let again = delete(&mut client, Some(&alice), &alices_versa.id).await.unwrap_err();
    assert_eq!(code_of(&again), ErrorCode::NotFound);
    let never = delete(&mut client, Some(&alice), &Uuid::now_v7().to_string()).await.unwrap_err();
    assert_eq!(code_of(&never), ErrorCode::NotFound);

    // The per-user limit counts what is left: deleting frees a place.
    delete(&mut client, Some(&alice), &alices_sentra.id).await.unwrap();
    assert!(saved_names(&mut client, &alice).await.is_empty());
    delete(&mut client, Some(&bob), &bobs.id).await.unwrap();
    assert!(saved_names(&mut client, &bob).await.is_empty());
    catalog.stop().await;
}

async fn transition(
    client: &mut CatalogServiceClient<Channel>,
    token: &str,
    listing: &wire::Listing,
    to: wire::ListingStatus,
) -> wire::Listing {
    let message = wire::ListingTransitionRequest { id: listing.id.clone(), expected_version: listing.version };
    let response = match to {
        wire::ListingStatus::Sold => client.mark_listing_sold(request(message, Some(token))).await,
        wire::ListingStatus::Archived => client.archive_listing(request(message, Some(token))).await,
        wire::ListingStatus::Published => client.publish_listing(request(message, Some(token))).await,
        wire::ListingStatus::Draft | wire::ListingStatus::Unspecified => {
            client.unpublish_listing(request(message, Some(token))).await
        }
    };
    response.unwrap().into_inner()
}

async fn retired(client: &mut CatalogServiceClient<Channel>, id: &str) -> Result<wire::RetiredListing, tonic::Status> {
    client
        .get_retired_listing(request(wire::GetRetiredListingRequest { id: id.into() }, None))
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn sold_and_archived_listings_answer_their_gone_page_and_nothing_else_does() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let world = World::new();
    let manager = manager_token(world.own);

    let on_sale = create_published(&mut client, &manager, &vin(1)).await;
    let to_sell = create_published(&mut client, &manager, &vin(2)).await;
    let sold = transition(&mut client, &manager, &to_sell, wire::ListingStatus::Sold).await;
    let to_withdraw = create_published(&mut client, &manager, &vin(3)).await;
    let withdrawn = transition(&mut client, &manager, &to_withdraw, wire::ListingStatus::Archived).await;
    let draft = create(&mut client, &manager, &vin(4)).await;
    // Archived straight from draft: it was never public, so it must not leak now.
    let to_discard = create(&mut client, &manager, &vin(5)).await;
    let discarded = transition(&mut client, &manager, &to_discard, wire::ListingStatus::Archived).await;

    let gone = retired(&mut client, &sold.id).await.unwrap();
    assert_eq!(
        gone,
        wire::RetiredListing {
            id: sold.id.clone(),
            agency_id: world.own.agency_id.to_string(),
            status: wire::ListingStatus::Sold as i32,
            make: "nissan".into(),
            model: "versa".into(),
            year: 2022,
            body_type: common::BodyType::Sedan as i32,
            price: Some(common::Money { amount_minor: 28_500_000, currency: "MXN".into() }),
        }
    );
    assert_eq!(retired(&mut client, &withdrawn.id).await.unwrap().status, wire::ListingStatus::Archived as i32);

    for (what, id) in [
        ("a published listing", on_sale.id.as_str()),
        ("a draft", draft.id.as_str()),
        ("a draft archived without ever being published", discarded.id.as_str()),
        ("an unknown id", &Uuid::now_v7().to_string()),
    ] {
        let refused = retired(&mut client, id).await.unwrap_err();
        assert_eq!(code_of(&refused), ErrorCode::NotFound, "{what}: {}", refused.message());
    }
    let garbage = retired(&mut client, "not-an-id").await.unwrap_err();
    assert_eq!(field_of(&garbage).as_deref(), Some("id"));

    // Back on sale after a withdrawal: it is a live listing again, not a gone one.
    let back = transition(&mut client, &manager, &withdrawn, wire::ListingStatus::Draft).await;
    transition(&mut client, &manager, &back, wire::ListingStatus::Published).await;
    assert_eq!(code_of(&retired(&mut client, &withdrawn.id).await.unwrap_err()), ErrorCode::NotFound);
    catalog.stop().await;
}

async fn sitemap_page(
    client: &mut CatalogServiceClient<Channel>,
    first: u32,
    after: &str,
    include_total: bool,
) -> Result<wire::ListSitemapResponse, tonic::Status> {
    client
        .list_sitemap(request(wire::ListSitemapRequest { first, after: after.into(), include_total }, None))
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn the_sitemap_pages_through_every_published_listing_once_and_nothing_private() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let world = World::new();
    let manager = manager_token(world.own);
    let other = manager_token(world.foreign);

    let mut published = Vec::new();
    for serial in 0..5 {
        let token = if serial % 2 == 0 { &manager } else { &other };
        published.push(create_published(&mut client, token, &vin(serial + 1)).await);
    }
    create(&mut client, &manager, &vin(20)).await;
    let to_sell = create_published(&mut client, &manager, &vin(21)).await;
    transition(&mut client, &manager, &to_sell, wire::ListingStatus::Sold).await;

    let mut seen = Vec::new();
    let mut after = String::new();
    let mut pages = 0;
    loop {
        let page = sitemap_page(&mut client, 2, &after, false).await.unwrap();
        assert_eq!(page.total_count, None, "not counted unless asked");
        assert!(page.entries.len() <= 2);
        seen.extend(page.entries.iter().map(|entry| (entry.id.clone(), entry.updated_at_unix)));
        pages += 1;
        if !page.has_next_page {
            break;
        }
        after = page.end_cursor;
    }
    assert_eq!(pages, 3);
    let mut expected: Vec<(String, i64)> =
        published.iter().map(|listing| (listing.id.clone(), listing.updated_at_unix)).collect();
    expected.sort();
    assert_eq!(seen, expected, "every published listing once, in id order, with its last change");

    // One call with the defaults: a whole sitemap file, counted when asked.
    let whole = sitemap_page(&mut client, 0, "", true).await.unwrap();
    assert_eq!(whole.entries.len(), 5);
    assert!(!whole.has_next_page);
    assert_eq!(whole.total_count, Some(5));

    let garbage = sitemap_page(&mut client, 10, "not-a-cursor", false).await.unwrap_err();
    assert_eq!(code_of(&garbage), ErrorCode::BadUserInput);
    assert_eq!(field_of(&garbage).as_deref(), Some("after"));
    catalog.stop().await;
}
