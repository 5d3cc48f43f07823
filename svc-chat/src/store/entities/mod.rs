//! sea-orm rows of chat's tables (see the migration for the constraints).

macro_rules! entity_boilerplate {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod agency_rotation;
pub mod conversation;
pub mod message;
pub mod participant;
