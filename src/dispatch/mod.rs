//! Publishing machinery shared by every platform adapter.
//!
//! Owns the plain values an adapter builds and reads ([`http::Request`], [`http::Response`]), the one
//! place where a request leaves herald or, in a dry run, stops ([`boundary::Boundary`]), what a publish
//! attempt can end as ([`outcome::Outcome`]), and when to try again ([`retry::RetryPolicy`]). Adapters
//! never call an HTTP client themselves.

pub mod boundary;
pub mod http;
pub mod outcome;
pub mod retry;
