//! sea-orm rows of search's table (see the migration for the constraints).

pub mod feed_cursor;
