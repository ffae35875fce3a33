//! The channels' upkeep: keeping long-lived credentials alive between posts.
//!
//! A token that lasts weeks (Instagram Login's 60 days) must be refreshed while it still works, and a
//! refresh token must not idle until it expires (X OAuth 2.0), even when no post is due for months. The loop starts an upkeep round at start-up and then at the first
//! wake an hour or more after the last one (the loop wakes at least every `max_sleep`, so this adds no
//! timer of its own). A round runs off the loop; each adapter decides whether anything is due
//! ([`crate::channels::adapter::Adapter::upkeep`]). A refresh that only a person can mend (a refused
//! refresh token, a token about to run out) alerts them.

use std::sync::Arc;

use crate::channels::adapter::Upkeep;
use crate::dispatch::boundary::Boundary;

use super::alert::{Alert, Kind};
use super::{Channels, Shared};

/// How often the channels are asked.
pub const EVERY: chrono::Duration = chrono::Duration::hours(1);

/// Asks every channel's adapter for its upkeep, in turn; logs and alerts what happened.
pub(super) async fn round(shared: Arc<Shared>, channels: Arc<Channels>) {
    let mut names: Vec<&String> = channels.adapters.keys().collect();
    names.sort();
    for name in names {
        let (Some(adapter), Some(limits)) = (channels.adapters.get(name), channels.limits.get(name)) else {
            continue;
        };
        let http = if shared.http.is_dry_run() { Boundary::dry_run() } else { shared.http.clone() }
            .for_channel(limits.clone());
        let result = adapter.upkeep(&http).await;
        for req in http.transcript() {
            tracing::info!(channel = %name, "dry run, not sent:\n{}", req.redacted());
        }
        match result {
            Upkeep::Nothing => {}
            Upkeep::Refreshed { .. } if http.is_dry_run() => {
                tracing::info!(channel = %name, "dry run: the access token would be refreshed now (nothing stored)");
            }
            Upkeep::Refreshed { until } => {
                tracing::info!(channel = %name, until = %until.to_rfc3339(), "access token refreshed and stored");
            }
            Upkeep::Failed { reason, needs_person } => {
                tracing::warn!(channel = %name, "{reason}");
                if needs_person {
                    let mut alert =
                        Alert::about_file(Kind::NeedsReauth, Some(crate::config::CONFIG_PATH.to_string()), reason);
                    alert.channel = Some(name.clone());
                    shared.alerter.send(alert).await;
                }
            }
        }
    }
}
