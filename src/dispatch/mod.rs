//! Publishing machinery shared by every platform adapter.
//!
//! Owns the plain values an adapter builds and reads ([`http::Request`], [`http::Response`]), the one
//! place where a request leaves herald or, in a dry run, stops ([`boundary::Boundary`]), what a publish
//! attempt can end as ([`outcome::Outcome`]), when to try again ([`retry::RetryPolicy`]), per-channel concurrency caps and rate-limit quiet times
//! ([`limits`]), and the delivery of one post with retries and reconciliation ([`deliver`]). Adapters
//! never call an HTTP client themselves.

pub mod boundary;
pub mod deliver;
pub mod http;
pub mod limits;
pub mod outcome;
pub mod retry;
