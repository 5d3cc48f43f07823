//! The search database: the feed cursor of each index lineage.

pub mod entities;
pub mod feed_cursor;
