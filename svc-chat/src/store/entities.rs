//! sea-orm rows of chat's tables (see the migration for the constraints).

macro_rules! entity_boilerplate {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod conversation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "conversations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub listing_id: String,
        pub agency_id: String,
        pub group_id: String,
        pub buyer_id: String,
        pub listing_title: String,
        pub status: String,
        pub assignee_id: Option<String>,
        pub message_count: i64,
        pub created_at_unix: i64,
        pub updated_at_unix: i64,
        pub last_message_at_unix: i64,
        pub first_response_at_unix: Option<i64>,
    }
    entity_boilerplate!();
}

pub mod message {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "messages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub conversation_id: String,
        pub sequence: i64,
        pub sender_id: String,
        pub sender_side: String,
        #[sea_orm(column_type = "Text")]
        pub body: String,
        pub sent_at_unix: i64,
    }
    entity_boilerplate!();
}

pub mod participant {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "participants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub conversation_id: String,
        pub user_id: String,
        pub last_read_sequence: i64,
        pub last_notified_at_unix: Option<i64>,
    }
    entity_boilerplate!();
}

pub mod agency_rotation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agency_rotations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub agency_id: String,
        pub next_turn: i64,
    }
    entity_boilerplate!();
}
