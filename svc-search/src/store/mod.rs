//! The search database: the feed cursor of each index lineage.

pub mod feed_cursor;
