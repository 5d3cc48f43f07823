//! The `nds` binary's library half: the command line and the assembly of services,
//! shared with the end-to-end tests so they start NDS exactly as `nds dev` does.

pub mod cli;
pub mod commands;
pub mod demo;
pub mod system;
