//! Vocabulary and pure rules of Shuyuan. Nothing here does IO: the store, the service layer and the web layer
//! build on these types, and every rule here is unit-tested without a database.

pub mod anomaly;
pub mod audit;
pub mod calendar;
pub mod channels;
pub mod catalog;
pub mod clock;
pub mod disputes;
pub mod error;
pub mod freshness;
pub mod ids;
pub mod orgs;
pub mod profile;
pub mod roles;
pub mod sharing;
pub mod sources;

pub use error::{FieldIssue, Invalid};
