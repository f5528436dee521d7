//! Use cases of Shuyuan, shared by the web layer and the CLI. Each state change runs in one transaction with
//! the audit event that records it; access events with no state change go through the group-commit
//! [`audit::AuditWriter`].

pub mod actor;
pub mod aggregation;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod basedb;
pub mod business_items;
pub mod calendar;
pub mod channels;
pub mod catalog;
pub mod corrections;
pub mod demands;
pub mod demo;
pub mod disputes;
pub mod error;
pub mod orgs;
pub mod platform;
pub mod secrets;
pub mod serving;
pub mod setup;
pub mod sharing;
pub mod sources;
pub mod upstream;
pub mod users;
pub mod worker;

pub use actor::Actor;
pub use error::{Error, Result};
pub use platform::Platform;
