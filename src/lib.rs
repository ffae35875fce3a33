//! herald: campaign calendars kept as TOML in git, checked, previewed and published on time.
//!
//! # Layout
//!
//! - [`cli`]: argument parsing and one file per subcommand; `main.rs` only calls [`cli::run`].
//! - [`config`]: reading a project directory. Raw `Toml*` schema types ([`config::schema`]) are filled
//!   key by key ([`config::reader`]) and validated ([`config::validate`]) into the model
//!   ([`config::model`]); validated newtypes live in [`config::names`] and [`config::time`].
//! - [`days`]: the UN international-days calendar (built in from `config/international-days.toml`).
//! - [`schedule`]: expanding posts into dated [`schedule::Occurrence`]s.
//! - [`render`]: pure rendering of an occurrence for its channel (templates, links, hashtags, length,
//!   threads).
//! - [`channels`]: the closed registry of platforms and their rules, one folder per platform.
//! - [`check`] and [`preview`]: the two read-only commands' logic ([`pacing`]: `check`'s warnings over a
//!   channel's whole calendar: publishing caps, repeated texts); [`preview_html`]: the preview as one
//!   self-contained HTML page (calendar, platform mock-ups, filters); [`ics`]: the preview and the days
//!   as iCalendar feeds.
//! - [`daemon`]: `herald run`, the scheduler that publishes on time, exactly once; [`ledger`]: its
//!   durable record of every post.
//! - [`review`]: `plan --against REF`, what the files change against another version of them (git),
//!   publication by publication.
//! - [`diagnostic`]: problems with file:line:col, rendered like rustc or as JSON.
//! - [`terminal`]: user and platform text made safe to show on a terminal (control characters, escape
//!   sequences and bidirectional controls written visibly), for every text output.
//! - [`dispatch`]: publishing machinery shared by the adapters: requests as values, the boundary where
//!   a dry run stops, outcomes, retry decisions, per-channel limits.
//! - [`secrets`] and [`tokens`]: credentials (kept out of every output) and refreshed tokens (stored
//!   durably before use).
//!
//! # Example
//!
//! The calendar knows every UN international day, fixed or movable:
//!
//! ```
//! use herald::days::Calendar;
//!
//! let calendar = Calendar::builtin();
//! let habitat = calendar.get("world-habitat-day").expect("a built-in day");
//! assert_eq!(habitat.rule.to_string(), "first Monday of October");
//! assert_eq!(habitat.date_in(2027).unwrap().to_string(), "2027-10-04");
//! ```

pub mod channels;
pub mod check;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod days;
pub mod diagnostic;
pub mod dispatch;
pub mod ics;
pub mod ledger;
pub mod pacing;
pub mod preview;
pub mod preview_html;
pub mod render;
pub mod review;
pub mod schedule;
pub mod secrets;
pub mod terminal;
pub mod tokens;

/// The reference data tests read from `../shared/data` (shared with the integration tests).
#[cfg(test)]
#[path = "../tests/support/shared_data.rs"]
mod shared_data;
