//! sea-orm rows of billing's tables (see the migration for the constraints).

macro_rules! entity_boilerplate {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod webhook_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub event_type: String,
        pub created_unix: i64,
        pub object_id: String,
        #[sea_orm(column_type = "Text")]
        pub payload: String,
        pub status: String,
        pub attempts: i64,
        pub claimed_at_unix: Option<i64>,
        pub next_attempt_at_unix: i64,
        pub received_at_unix: i64,
        pub processed_at_unix: Option<i64>,
        #[sea_orm(column_type = "Text", nullable)]
        pub outcome: Option<String>,
    }
    entity_boilerplate!();
}

pub mod promotion {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "promotions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub listing_id: String,
        pub agency_id: String,
        pub group_id: String,
        pub payment_intent_id: Option<String>,
        pub status: String,
        pub amount_minor: i64,
        pub currency: String,
        pub starts_at_unix: Option<i64>,
        pub ends_at_unix: Option<i64>,
        pub catalog_synced: bool,
        pub expiry_notified: bool,
        pub last_event_created: i64,
        pub created_at_unix: i64,
        pub updated_at_unix: i64,
    }
    entity_boilerplate!();
}

pub mod ledger_entry {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ledger_entries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub agency_id: String,
        pub group_id: String,
        pub kind: String,
        pub amount_minor: i64,
        pub currency: String,
        pub stripe_object_id: String,
        pub created_at_unix: i64,
    }
    entity_boilerplate!();
}

pub mod agency_account {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agency_accounts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub agency_id: String,
        pub group_id: String,
        pub stripe_customer_id: Option<String>,
        pub subscription_id: Option<String>,
        pub subscription_status: String,
        pub subscription_event_created: i64,
        pub connect_account_id: Option<String>,
        pub charges_enabled: bool,
        pub account_event_created: i64,
        pub updated_at_unix: i64,
        /// The idempotency key of the subscription being created, until it is recorded.
        pub subscription_claim: Option<String>,
        /// The first usage period (`YYYY-MM`) the current subscription pays for.
        pub billed_from_period: Option<String>,
    }
    entity_boilerplate!();
}

pub mod deposit {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "deposits")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub listing_id: String,
        pub agency_id: String,
        pub group_id: String,
        pub buyer_id: String,
        pub amount_minor: i64,
        pub fee_minor: i64,
        pub currency: String,
        pub payment_intent_id: Option<String>,
        pub status: String,
        pub refund_id: Option<String>,
        pub last_event_created: i64,
        pub created_at_unix: i64,
        pub updated_at_unix: i64,
        /// Refunded so far (minor units); `refunded` once it reaches `amount_minor`.
        pub refunded_minor: i64,
    }
    entity_boilerplate!();
}

pub mod listing_state {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "listing_states")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub listing_id: String,
        pub agency_id: String,
        pub group_id: String,
        pub status: String,
        pub version: i64,
        pub updated_at_unix: i64,
    }
    entity_boilerplate!();
}

pub mod meter_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meter_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub identifier: String,
        pub listing_id: String,
        pub agency_id: String,
        pub period: String,
        pub created_at_unix: i64,
        pub sent_at_unix: Option<i64>,
        pub attempts: i64,
    }
    entity_boilerplate!();
}

pub mod usage_opening {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "usage_openings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub agency_id: String,
        pub month: String,
        pub listing_count: i64,
        pub created_at_unix: i64,
    }
    entity_boilerplate!();
}

pub mod feed_cursor {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "feed_cursors")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub sequence: i64,
    }
    entity_boilerplate!();
}

pub mod setting {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub value: String,
    }
    entity_boilerplate!();
}
