//! Conversations as rules, without storage or transport: lead statuses, what a
//! message body may be, who may do what with a conversation, and how pages of
//! them are sized and continued.

pub mod access;
pub mod conversation;
pub mod paging;
