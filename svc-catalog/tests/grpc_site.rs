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
