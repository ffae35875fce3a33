//! The small trait every platform adapter implements, and what it is given to publish.
//!
//! An adapter turns a rendered post into the platform's API calls, through the
//! [`Boundary`](crate::dispatch::boundary::Boundary) (never an HTTP client of its own), and classifies
//! the answers into an [`Outcome`].

use crate::config::{Channel, Media};
use crate::dispatch::boundary::Boundary;
use crate::dispatch::outcome::Outcome;

/// A rendered post, ready for one channel.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The text, or the numbered parts of a thread.
    pub parts: &'a [String],
    /// A link sent in its own field (Facebook).
    pub link: Option<&'a str>,
    pub media: &'a [Media],
    pub channel: &'a Channel,
}

/// A platform adapter.
#[allow(async_fn_in_trait)] // the registry is a closed enum: no `dyn` use, no Send bound needed here
pub trait Adapter {
    /// Publishes `post`; every request goes through `http`.
    async fn publish(&self, post: &Outgoing<'_>, http: &Boundary) -> Outcome;

    /// A harmless authenticated request (reads the account, never posts): `Ok` says who the
    /// credentials belong to.
    async fn probe(&self, http: &Boundary) -> Result<String, Outcome>;
}
