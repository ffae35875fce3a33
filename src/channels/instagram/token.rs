//! Long-lived Instagram Login tokens, refreshed before they run out.
//!
//! A channel with `auth = "instagram-login"` publishes with an Instagram User token that lasts 60
//! days. Meta refreshes it with `GET graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token
//! &access_token=…` (the token goes in the URL: the request is shown with `***` and errors never
//! repeat the URL), only once it is at least 24 hours old and while it still works; the answer is a
//! new token, good for 60 days from then.
//!
//! [`Session`] keeps the token in use. It starts from the configured one (environment or secrets
//! file) unless the token store ([`crate::tokens::TokenStore`]) holds a newer one descending from it,
//! and refreshes once fewer than [`REFRESH_WITHIN`] remain: before a publish, and from the daemon's
//! upkeep, so a token is kept alive through a quiet month too. A token whose expiry is not known
//! (no `token_expires`, nothing stored) is refreshed at first use, which tells its expiry.
//!
//! A refresh is durable before it is used (the store's lock, a re-read, an fsynced write). A failed
//! refresh never stops a post: the current token is used while it lasts, and the refresh is tried
//! again later — in an hour after a network or server error, in a day after a refusal (such as a
//! token less than 24 hours old). The daemon alerts, at most once a day, when a refusal leaves the
//! channel with a token that runs out within [`ALERT_WITHIN`], or when the token has run out.

use std::sync::Mutex;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::channels::adapter::Upkeep;
use crate::dispatch::boundary::{Boundary, SendError};
use crate::dispatch::http::{Method, Request, Response};
use crate::dispatch::outcome::Outcome;
use crate::secrets::Secret;
use crate::tokens::{TokenStore, Tokens, fingerprint};

/// Refresh once the token has less than this left (tokens last 60 days: about every month).
pub const REFRESH_WITHIN: Duration = Duration::days(30);
/// A refusal is reported as needing a person when the token runs out within this.
pub const ALERT_WITHIN: Duration = Duration::days(7);
/// After a network or server error, try again in this long (unless Meta says how long).
const RETRY_SOON: Duration = Duration::hours(1);
/// After a refusal, try again in this long (a token under 24 hours old cannot be refreshed yet).
const RETRY_LATER: Duration = Duration::days(1);

/// One Instagram Login channel's token.
#[derive(Debug)]
pub struct Session {
    channel: String,
    configured: Secret,
    /// The configured token's expiry, from the channel's `token_expires` (midnight UTC of that day).
    configured_expires: Option<DateTime<Utc>>,
    store: TokenStore,
    /// `{host}/refresh_access_token`.
    url: String,
    state: Mutex<State>,
    /// Held (shared) by each publish while it uses the token, and (exclusively) by a refresh: a token
    /// is never swapped under a post half-way through its requests.
    in_use: tokio::sync::RwLock<()>,
}

#[derive(Debug, Default)]
struct State {
    /// `None` until the store has been read.
    token: Option<Secret>,
    expires_at: Option<DateTime<Utc>>,
    /// No refresh before this (after a failed one).
    not_before: Option<DateTime<Utc>>,
    /// A failure only a person can mend, not yet reported by the daemon's upkeep.
    alert: Option<String>,
}

/// Whether a token expiring at `expires_at` (unknown: `None`) should be refreshed at `now`. An
/// expired one is tried too: the noted expiry may be stale, and Meta's answer settles it.
pub fn due(now: DateTime<Utc>, expires_at: Option<DateTime<Utc>>, not_before: Option<DateTime<Utc>>) -> bool {
    if not_before.is_some_and(|t| now < t) {
        return false;
    }
    expires_at.is_none_or(|at| at - now <= REFRESH_WITHIN)
}

impl Session {
    pub fn new(
        channel: &str,
        host: &str,
        configured: Secret,
        token_expires: Option<NaiveDate>,
        store: TokenStore,
    ) -> Self {
        Self {
            channel: channel.to_string(),
            configured,
            configured_expires: token_expires.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc()),
            store,
            url: format!("{}/refresh_access_token", host.trim_end_matches('/')),
            state: Mutex::new(State::default()),
            in_use: tokio::sync::RwLock::new(()),
        }
    }

    /// Keeps the token from being refreshed while the guard lives (a publish's requests).
    pub async fn hold(&self) -> tokio::sync::RwLockReadGuard<'_, ()> {
        self.in_use.read().await
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The token to use now.
    pub fn current(&self) -> Secret {
        let mut state = self.state();
        self.load(&mut state);
        state.token.clone().unwrap_or_else(|| self.configured.clone())
    }

    /// When the token in use runs out, when known.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        let mut state = self.state();
        self.load(&mut state);
        state.expires_at
    }

    /// The failure a person must act on, once (the daemon's upkeep reports it).
    pub fn take_alert(&self) -> Option<String> {
        self.state().alert.take()
    }

    /// Reads the store once: a stored token descending from the configured one is newer than it.
    fn load(&self, state: &mut State) {
        if state.token.is_some() {
            return;
        }
        let (token, expires_at) = match self.stored() {
            Some(t) => (t.access_token, Some(t.expires_at)),
            None => (self.configured.clone(), self.configured_expires),
        };
        state.token = Some(token);
        state.expires_at = expires_at;
    }

    /// The stored token, if it descends from the configured one (an unreadable store is as good as
    /// none: the configured token still works, and the error is logged).
    fn stored(&self) -> Option<Tokens> {
        match self.store.load_seeded(&self.channel, &self.configured) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(channel = %self.channel, error = %e, "the stored Instagram token cannot be read; using the configured one");
                None
            }
        }
    }

    /// Refreshes the token when it is due. Never fails a post: the result says what happened, for
    /// the log; a failure only a person can mend is also kept for [`Session::take_alert`].
    pub async fn keep_fresh(&self, http: &Boundary) -> Upkeep {
        let now = Utc::now();
        let (expires_at, not_before) = {
            let mut state = self.state();
            self.load(&mut state);
            (state.expires_at, state.not_before)
        };
        if !due(now, expires_at, not_before) {
            return Upkeep::Nothing;
        }
        let outcome = self.refresh(http, now).await;
        let mut state = self.state();
        match outcome {
            Ok(Some(tokens)) => {
                let until = tokens.expires_at;
                state.token = Some(tokens.access_token);
                state.expires_at = Some(until);
                state.not_before = None;
                state.alert = None;
                Upkeep::Refreshed { until }
            }
            // Another process refreshed it meanwhile: adopt what it stored.
            Ok(None) => {
                if let Some(t) = self.stored() {
                    state.token = Some(t.access_token);
                    state.expires_at = Some(t.expires_at);
                }
                Upkeep::Nothing
            }
            Err(failure) => {
                state.not_before = Some(now + failure.wait);
                let left = state.expires_at.map(|at| at - now);
                let needs_person = failure.revoked || (failure.refused && left.is_some_and(|l| l <= ALERT_WITHIN));
                let reason = failure.explain(left, now);
                if needs_person {
                    state.alert = Some(reason.clone());
                }
                Upkeep::Failed { reason, needs_person }
            }
        }
    }

    /// Under the channel's lock in the token store (none in a dry run, which stores nothing):
    /// `Ok(None)` when another process already refreshed it.
    async fn refresh(&self, http: &Boundary, now: DateTime<Utc>) -> Result<Option<Tokens>, Failure> {
        let lock = if http.is_dry_run() {
            None
        } else {
            Some(self.store.lock_async(&self.channel).await.map_err(|e| Failure::soon(e.to_string()))?)
        };
        let _no_post_in_flight = self.in_use.write().await;
        let token = match lock.as_ref().and_then(|_| self.stored()) {
            Some(t) if !due(now, Some(t.expires_at), None) => return Ok(None),
            Some(t) => t.access_token,
            None => self.current(),
        };
        let response = match http.send(self.request(&token), placeholder).await {
            Ok(r) => r,
            Err(SendError::NotSent(reason) | SendError::Lost(reason)) => return Err(Failure::soon(reason)),
        };
        let tokens = parse(&response, &fingerprint(&self.configured), now)?;
        if let Some(lock) = &lock
            && let Err(e) = self.store.save(&tokens, lock)
        {
            // The new token is used from memory; after a restart the configured one is used again.
            tracing::error!(channel = %self.channel, error = %e, "the refreshed Instagram token could not be stored; it is used from memory, and after a restart the configured token is used again");
        }
        Ok(Some(tokens))
    }

    /// `GET /refresh_access_token?grant_type=ig_refresh_token&access_token=…` (unversioned).
    pub fn request(&self, token: &Secret) -> Request {
        Request::new(Method::Get, &self.url)
            .query("grant_type", "ig_refresh_token")
            .secret_query("access_token", token.clone())
    }
}

/// Why a refresh did not happen.
#[derive(Debug)]
struct Failure {
    reason: String,
    /// Meta answered no (rather than not answering, or being busy).
    refused: bool,
    /// Meta says the token itself is invalid, expired or revoked: only a person can help.
    revoked: bool,
    /// When to try again.
    wait: Duration,
}

impl Failure {
    fn soon(reason: String) -> Self {
        Self { reason, refused: false, revoked: false, wait: RETRY_SOON }
    }

    /// For the log and the alert: what failed, what herald does now, and what a person should do.
    fn explain(&self, left: Option<Duration>, now: DateTime<Utc>) -> String {
        if self.revoked {
            return format!(
                "Instagram refused to refresh the token ({}): authorise the channel again and configure the new token and its `token_expires`",
                self.reason
            );
        }
        let left = match left {
            Some(l) if l <= Duration::zero() => "it has expired: authorise the channel again".to_string(),
            Some(l) => format!("it expires {}", (now + l).format("%Y-%m-%d %H:%M UTC")),
            None => "its expiry is not known".to_string(),
        };
        let again = if self.wait >= RETRY_LATER { "tomorrow".to_string() } else { "later".to_string() };
        format!(
            "the Instagram token could not be refreshed ({}); herald keeps using it and tries again {again} ({left})",
            self.reason
        )
    }
}

fn placeholder(_: &Request) -> Response {
    Response::new(200, r#"{"access_token":"dry-run","token_type":"bearer","expires_in":5184000}"#)
}

/// The refresh answer as tokens (the token is its own refresh credential), or why not, read with the
/// Graph API's shared rules ([`crate::channels::facebook::classify`]): a throttle or a server error is
/// tried again soon, an invalid token needs a person, anything else is tried again tomorrow.
fn parse(response: &Response, seed: &str, now: DateTime<Utc>) -> Result<Tokens, Failure> {
    let body = response.json();
    if response.is_success()
        && let Some(access) = body["access_token"].as_str().filter(|t| !t.is_empty())
    {
        // Bounded: a platform answer must not overflow the clock (beyond 90 days is read as 90).
        let lifetime = body["expires_in"].as_i64().unwrap_or(60 * 86_400).clamp(0, 90 * 86_400);
        let token = Secret::new(access);
        return Ok(Tokens {
            access_token: token.clone(),
            refresh_token: token,
            expires_at: now + Duration::seconds(lifetime),
            seed: seed.to_string(),
        });
    }
    let refused = |reason: String| Failure { reason, refused: true, revoked: false, wait: RETRY_LATER };
    if response.is_success() {
        return Err(refused("Meta answered without a token".into()));
    }
    let message = body["error"]["message"].as_str().unwrap_or("no details given");
    Err(match crate::channels::facebook::classify::graph_rules(response, message, "Instagram") {
        Some(Outcome::NeedsReauth { platform_message }) => Failure { revoked: true, ..refused(platform_message) },
        Some(Outcome::RetryLater { after, reason }) => Failure {
            reason,
            refused: false,
            revoked: false,
            wait: after.and_then(|a| Duration::from_std(a).ok()).unwrap_or(RETRY_SOON).max(Duration::minutes(1)),
        },
        _ => refused(format!("HTTP {}: {message}", response.status)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_token_is_refreshed_in_the_last_month_of_its_life_or_when_its_age_is_unknown() {
        let now = at("2027-03-01T09:00:00Z");
        assert!(!due(now, Some(now + Duration::days(59)), None));
        assert!(!due(now, Some(now + Duration::days(31)), None));
        assert!(due(now, Some(now + Duration::days(29)), None));
        assert!(due(now, None, None));
        assert!(due(now, Some(now - Duration::minutes(1)), None), "a noted expiry may be stale: Meta decides");
        // After a failure: nothing before the time set.
        let later = Some(now + Duration::hours(1));
        assert!(!due(now, Some(now + Duration::days(3)), later));
        assert!(due(now + Duration::hours(1), Some(now + Duration::days(3)), later));
    }

    #[test]
    fn the_answer_gives_the_new_token_and_its_expiry() {
        let now = at("2027-03-01T09:00:00Z");
        let r = Response::new(200, r#"{"access_token":"IGQWnew","token_type":"bearer","expires_in":5183944}"#);
        let t = parse(&r, "seed", now).unwrap();
        assert_eq!(t.access_token.expose(), "IGQWnew");
        assert_eq!(t.expires_at, now + Duration::seconds(5_183_944));
        let huge = Response::new(200, r#"{"access_token":"IGQWnew","expires_in":9223372036854775807}"#);
        assert_eq!(parse(&huge, "seed", now).unwrap().expires_at, now + Duration::days(90));
    }

    #[test]
    fn failures_are_read_with_the_graph_rules() {
        let now = at("2027-03-01T09:00:00Z");
        let revoked = Response::new(
            400,
            r#"{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190}}"#,
        );
        let f = parse(&revoked, "s", now).unwrap_err();
        assert!(f.revoked && f.reason.contains("Session has expired"), "{f:?}");
        assert!(f.explain(Some(Duration::days(40)), now).contains("authorise the channel again"));
        // A throttle comes back as HTTP 400 with code 4: busy, not a refusal.
        let throttled = Response::new(
            400,
            r#"{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","code":4}}"#,
        );
        let f = parse(&throttled, "s", now).unwrap_err();
        assert!(!f.refused && !f.revoked && f.wait < RETRY_LATER, "{f:?}");
        let down = Response::new(
            500,
            r#"{"error":{"message":"An unexpected error has occurred.","code":2,"is_transient":true}}"#,
        );
        let f = parse(&down, "s", now).unwrap_err();
        assert!(!f.refused && f.wait == RETRY_SOON, "{f:?}");
        let too_new = Response::new(
            400,
            r#"{"error":{"message":"(#10) The access token must be at least 24 hours old","type":"OAuthException","code":10}}"#,
        );
        let f = parse(&too_new, "s", now).unwrap_err();
        assert!(f.refused && !f.revoked && f.wait == RETRY_LATER, "{f:?}");
        assert!(
            f.explain(None, now).contains("tries again tomorrow (its expiry is not known)"),
            "{}",
            f.explain(None, now)
        );
        assert!(parse(&Response::new(200, "{}"), "s", now).unwrap_err().refused);
    }

    #[test]
    fn the_request_carries_the_token_only_where_it_is_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let s = Session::new(
            "instagram",
            "https://graph.instagram.com/",
            Secret::new("IGQWsecret"),
            None,
            TokenStore::new(dir.path()),
        );
        let req = s.request(&s.current());
        assert_eq!(req.url, "https://graph.instagram.com/refresh_access_token");
        assert!(req.full_url().ends_with("?grant_type=ig_refresh_token&access_token=IGQWsecret"));
        let shown = req.redacted();
        assert!(shown.contains("access_token=***") && !shown.contains("IGQWsecret"), "{shown}");
    }

    #[test]
    fn a_stored_token_from_an_older_configured_one_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path());
        let old = Secret::new("IGQWold");
        let lock = store.lock("instagram").unwrap();
        let until = at("2027-05-01T00:00:00Z");
        let from_old = Tokens {
            access_token: Secret::new("IGQWrefreshed"),
            refresh_token: Secret::new("IGQWrefreshed"),
            expires_at: until,
            seed: fingerprint(&old),
        };
        store.save(&from_old, &lock).unwrap();
        drop(lock);
        let s = Session::new("instagram", "https://graph.instagram.com", old, None, store.clone());
        assert_eq!((s.current().expose(), s.expires_at()), ("IGQWrefreshed", Some(until)));
        let configured = NaiveDate::from_ymd_opt(2027, 4, 2);
        let s = Session::new("instagram", "https://graph.instagram.com", Secret::new("IGQWnew"), configured, store);
        assert_eq!(s.current().expose(), "IGQWnew", "a newly configured token wins");
        assert_eq!(s.expires_at(), Some(at("2027-04-02T00:00:00Z")));
    }
}
