//! Conversation storage on PostgreSQL and SQLite: one open conversation per buyer
//! and listing, gap-free message sequences, read markers and unread counts, paging
//! backwards, visibility of lists, mail throttling and round-robin turns.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

use nds_common::testing::TestDatabase;
use sea_orm::DatabaseConnection;
use svc_chat::domain::conversation::{ConversationStatus, SenderSide};
use svc_chat::store::conversations::{self as store, NewConversation, Visibility};
use svc_chat::store::is_unique_violation;
use uuid::Uuid;

async fn connect(database: &TestDatabase) -> DatabaseConnection {
    svc_chat::migrate(database.url()).await.unwrap();
    // Migrating twice is harmless.
    svc_chat::migrate(database.url()).await.unwrap();
    nds_common::db::connect(database.url()).await.unwrap()
}

fn new_conversation(buyer: Uuid, listing: Uuid, agency: Uuid) -> NewConversation {
    NewConversation {
        listing_id: listing,
        agency_id: agency,
        group_id: Uuid::new_v4(),
        buyer_id: buyer,
        listing_title: "2021 volkswagen jetta".into(),
        assignee_id: None,
    }
}

async fn one_open_conversation_per_buyer_and_listing(database: &TestDatabase) {
    let connection = connect(database).await;
    let (buyer, listing, agency) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let first = store::insert(&connection, &new_conversation(buyer, listing, agency), 100).await.unwrap();
    let duplicate = store::insert(&connection, &new_conversation(buyer, listing, agency), 101).await.unwrap_err();
    assert!(is_unique_violation(&duplicate), "{duplicate}");
    assert_eq!(store::find_open(&connection, buyer, listing).await.unwrap().unwrap().id, first.id);

    // Another buyer, or the same buyer about another listing, may start one.
    store::insert(&connection, &new_conversation(Uuid::new_v4(), listing, agency), 100).await.unwrap();
    store::insert(&connection, &new_conversation(buyer, Uuid::new_v4(), agency), 100).await.unwrap();

    // Once the lead is closed, the buyer may start afresh.
    store::set_status(&connection, &first.id, ConversationStatus::Lost, 102).await.unwrap();
    assert!(store::find_open(&connection, buyer, listing).await.unwrap().is_none());
    let second = store::insert(&connection, &new_conversation(buyer, listing, agency), 103).await.unwrap();
    assert_ne!(second.id, first.id);
    // Reopening the closed one would make two open: refused by the index.
    let reopened = store::set_status(&connection, &first.id, ConversationStatus::Open, 104).await.unwrap_err();
    assert!(is_unique_violation(&reopened), "{reopened}");
}

async fn messages_are_numbered_and_unread_counts_follow_read_markers(database: &TestDatabase) {
    let connection = connect(database).await;
    let (buyer, seller) = (Uuid::new_v4(), Uuid::new_v4());
    let conversation =
        store::insert(&connection, &new_conversation(buyer, Uuid::new_v4(), Uuid::new_v4()), 100).await.unwrap();
    let (buyer_id, seller_id) = (buyer.to_string(), seller.to_string());
    let (first, after_first) =
        store::append_message(&connection, &conversation.id, &buyer_id, SenderSide::Buyer, "Hola", 110).await.unwrap();
    assert_eq!((first.sequence, after_first.status.as_str()), (1, "NEW"));
    assert_eq!(after_first.first_response_at_unix, None);
    assert_eq!(store::unread_count(&connection, &conversation.id, &seller_id).await.unwrap(), 1);
    assert_eq!(store::unread_count(&connection, &conversation.id, &buyer_id).await.unwrap(), 0, "own messages");

    let (answer, after_answer) =
        store::append_message(&connection, &conversation.id, &seller_id, SenderSide::Agency, "Sí", 130).await.unwrap();
    assert_eq!(answer.sequence, 2);
    assert_eq!(after_answer.status, "OPEN", "the agency's first answer opens the lead");
    assert_eq!(after_answer.first_response_at_unix, Some(130));
    // Writing reads everything before: the seller's marker moved to their answer.
    assert_eq!(store::unread_count(&connection, &conversation.id, &seller_id).await.unwrap(), 0);
    for body in ["¿Precio final?", "¿Y el enganche?"] {
        store::append_message(&connection, &conversation.id, &buyer_id, SenderSide::Buyer, body, 140).await.unwrap();
    }
    store::append_message(&connection, &conversation.id, &seller_id, SenderSide::Agency, "Más tarde", 150)
        .await
        .unwrap();
    let (_, latest) =
        store::append_message(&connection, &conversation.id, &seller_id, SenderSide::Agency, "...", 160).await.unwrap();
    assert_eq!(latest.first_response_at_unix, Some(130), "the first response time never moves");
    assert_eq!(latest.message_count, 6);
    assert_eq!(
        store::unread_count(&connection, &conversation.id, &buyer_id).await.unwrap(),
        2,
        "their own messages moved their marker"
    );
    store::advance_read_marker(&connection, &conversation.id, &buyer_id, 5).await.unwrap();
    assert_eq!(store::unread_count(&connection, &conversation.id, &buyer_id).await.unwrap(), 1);
    store::advance_read_marker(&connection, &conversation.id, &buyer_id, 2).await.unwrap();
    assert_eq!(store::unread_count(&connection, &conversation.id, &buyer_id).await.unwrap(), 1, "never backwards");

    // History backwards, two at a time.
    let page = store::messages_before(&connection, &conversation.id, None, 2).await.unwrap();
    assert_eq!(page.iter().map(|message| message.sequence).collect::<Vec<_>>(), [6, 5, 4], "one extra = more");
    let older = store::messages_before(&connection, &conversation.id, Some(5), 2).await.unwrap();
    assert_eq!(older.iter().map(|message| message.sequence).collect::<Vec<_>>(), [4, 3, 2]);
    let oldest = store::messages_before(&connection, &conversation.id, Some(2), 2).await.unwrap();
    assert_eq!(oldest.iter().map(|message| message.body.as_str()).collect::<Vec<_>>(), ["Hola"]);

    let unknown = Uuid::new_v4().to_string();
    assert!(store::append_message(&connection, &unknown, &buyer_id, SenderSide::Buyer, "x", 1).await.is_err());
    assert_eq!(store::message_count(&connection, &unknown).await.unwrap(), 0, "nothing written");
}

async fn concurrent_senders_get_distinct_sequences(database: &TestDatabase) {
    let connection = connect(database).await;
    let conversation =
        store::insert(&connection, &new_conversation(Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4()), 1).await.unwrap();
    let mut tasks = Vec::new();
    for index in 0..8 {
        let (connection, id) = (connection.clone(), conversation.id.clone());
        tasks.push(tokio::spawn(async move {
            let sender = Uuid::new_v4().to_string();
            store::append_message(&connection, &id, &sender, SenderSide::Buyer, &format!("m{index}"), 2).await
        }));
    }
    let mut sequences = Vec::new();
    for task in tasks {
        sequences.push(task.await.unwrap().unwrap().0.sequence);
    }
    sequences.sort_unstable();
    assert_eq!(sequences, (1..=8).collect::<Vec<_>>());
}

async fn lists_show_each_caller_only_their_conversations(database: &TestDatabase) {
    let connection = connect(database).await;
    let (agency, other_agency) = (Uuid::new_v4(), Uuid::new_v4());
    let (buyer, seller, colleague) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let mut ids = Vec::new();
    for (index, (owner, at_agency, assignee)) in [
        (buyer, agency, Some(seller)),
        (buyer, other_agency, None),
        (Uuid::new_v4(), agency, None),
        (Uuid::new_v4(), agency, Some(colleague)),
    ]
    .into_iter()
    .enumerate()
    {
        let mut new = new_conversation(owner, Uuid::new_v4(), at_agency);
        new.assignee_id = assignee;
        ids.push(store::insert(&connection, &new, 100 + index as i64).await.unwrap().id);
    }
    let listed = |visibility: Visibility| {
        let connection = connection.clone();
        async move {
            let (rows, total) = store::list_visible(&connection, &visibility, None, 10).await.unwrap();
            assert_eq!(rows.len() as u64, total);
            rows.into_iter().map(|row| row.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        listed(Visibility { buyer_id: Some(buyer), ..Visibility::default() }).await,
        [ids[1].clone(), ids[0].clone()]
    );
    assert_eq!(
        listed(Visibility { whole_agencies: vec![agency], ..Visibility::default() }).await,
        [ids[3].clone(), ids[2].clone(), ids[0].clone()]
    );
    assert_eq!(
        listed(Visibility { salesperson_agencies: vec![agency], user_id: Some(seller), ..Visibility::default() }).await,
        [ids[2].clone(), ids[0].clone()],
        "a salesperson: theirs and the unassigned ones"
    );
    assert!(listed(Visibility::default()).await.is_empty(), "a stranger sees nothing");
    assert_eq!(listed(Visibility { everything: true, ..Visibility::default() }).await.len(), 4);

    // Keyset paging: most recent first, no repeats.
    let everything = Visibility { everything: true, ..Visibility::default() };
    let (first_page, _) = store::list_visible(&connection, &everything, None, 2).await.unwrap();
    assert_eq!(first_page.len(), 3, "two and one more");
    let cursor = (first_page[1].last_message_at_unix, first_page[1].id.clone());
    let (second_page, _) = store::list_visible(&connection, &everything, Some(&cursor), 2).await.unwrap();
    assert_eq!(second_page.iter().map(|row| &row.id).collect::<Vec<_>>(), [&ids[1], &ids[0]]);
}

async fn mail_is_claimed_once_per_window_and_turns_rotate(database: &TestDatabase) {
    let connection = connect(database).await;
    let (conversation, user) = (Uuid::new_v4().to_string(), Uuid::new_v4().to_string());
    assert!(store::claim_notification(&connection, &conversation, &user, 1_000, 600).await.unwrap());
    assert!(!store::claim_notification(&connection, &conversation, &user, 1_100, 600).await.unwrap());
    assert!(!store::claim_notification(&connection, &conversation, &user, 1_599, 600).await.unwrap());
    assert!(store::claim_notification(&connection, &conversation, &user, 1_600, 600).await.unwrap());
    let other = Uuid::new_v4().to_string();
    assert!(store::claim_notification(&connection, &conversation, &other, 1_100, 600).await.unwrap());

    let (agency, other_agency) = (Uuid::new_v4(), Uuid::new_v4());
    let mut turns = Vec::new();
    for _ in 0..3 {
        turns.push(store::next_turn(&connection, agency).await.unwrap());
    }
    assert_eq!(turns, [0, 1, 2]);
    assert_eq!(store::next_turn(&connection, other_agency).await.unwrap(), 0);
}

nds_common::storage_suite!(
    one_open_conversation_per_buyer_and_listing,
    messages_are_numbered_and_unread_counts_follow_read_markers,
    concurrent_senders_get_distinct_sequences,
    lists_show_each_caller_only_their_conversations,
    mail_is_claimed_once_per_window_and_turns_rotate
);
