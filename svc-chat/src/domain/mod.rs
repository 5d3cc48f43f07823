//! Conversations as rules, without storage or transport: lead statuses, what a
//! message body may be, and who may do what with a conversation.

pub mod access;
pub mod conversation;
