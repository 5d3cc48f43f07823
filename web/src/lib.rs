//! nds-web: the two front ends of NDS, rendered on the server in Rust.
//!
//! - the **site** (`nds serve site`): the public pages buyers use;
//! - the **panel** (`nds serve panel`): the staff dashboard.
//!
//! Both are clients of the GraphQL edge like any front end (`edge`), with typed
//! operations checked at compile time against `edge-graphql/schema.graphql`; they
//! link no service crate and call no gRPC. Pages work with JavaScript off; htmx
//! and a few lines of our own only enhance them.

pub mod assets;
pub mod edge;
pub mod error;
pub mod i18n;
pub mod names;
pub mod panel;
pub mod posted;
pub mod session;
pub mod site;
pub mod state;
pub mod thread;
pub mod validate;
pub mod views;
pub mod visitor;

pub use panel::panel_router;
pub use site::site_router;
pub use state::{App, SharedState, WebState};
