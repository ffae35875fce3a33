//! OAuth 2.0 user tokens for X, refreshed before they expire.
//!
//! X's access tokens last two hours; `POST /2/oauth2/token` with `grant_type=refresh_token` gives a new
//! one *and a new refresh token*, and the old refresh token stops working. So a refresh goes: take the
//! token store's lock, re-read the store (another process may have just refreshed), refresh, write the
//! new pair durably ([`crate::tokens::TokenStore`]), and only then use it. A public client sends its
//! `client_id` in the form; a confidential one (with `client_secret`) authenticates with HTTP Basic.

use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};

use crate::channels::adapter::Upkeep;
use crate::dispatch::boundary::{Boundary, SendError};
use crate::dispatch::http::{HeaderValue, Method, Request, Response};
use crate::dispatch::outcome::{Outcome, retry_after};
use crate::secrets::Secret;
use crate::tokens::{TokenStore, Tokens, fingerprint};

/// Refresh this long before the access token expires.
pub const MARGIN: Duration = Duration::minutes(5);
/// With no post for this long, the daemon's upkeep refreshes anyway: X does not document how long an
/// unused refresh token lasts (about six months, by community reports), so herald never lets one idle
/// near that. It also finds a revoked authorisation before a post is due.
pub const KEEP_ALIVE: Duration = Duration::days(30);
/// X's access tokens last two hours: a stored token expiring at `t` was refreshed at `t - LIFETIME`.
const LIFETIME: Duration = Duration::hours(2);

/// One channel's OAuth 2.0 session.
#[derive(Debug)]
pub struct Session {
    pub channel: String,
    pub client_id: Secret,
    pub client_secret: Option<Secret>,
    /// The refresh token as configured (environment or secrets file): the seed of the store.
    pub configured_refresh: Secret,
    pub store: TokenStore,
    /// `{base_url}/2/oauth2/token`.
    pub token_url: String,
    current: tokio::sync::Mutex<Option<Tokens>>,
}

impl Session {
    pub fn new(
        channel: &str,
        base_url: &str,
        client_id: Secret,
        client_secret: Option<Secret>,
        configured_refresh: Secret,
        store: TokenStore,
    ) -> Arc<Self> {
        Arc::new(Self {
            channel: channel.to_string(),
            client_id,
            client_secret,
            configured_refresh,
            store,
            token_url: format!("{}/2/oauth2/token", base_url.trim_end_matches('/')),
            current: tokio::sync::Mutex::new(None),
        })
    }

    /// The `Authorization` value for the next request: `Bearer <access token>`, refreshed first when
    /// it expires within [`MARGIN`] or when `refused` (the platform just answered 401 to it).
    pub async fn authorization(&self, http: &Boundary, refused: bool) -> Result<Secret, Outcome> {
        let mut current = self.current.lock().await;
        let now = Utc::now();
        if let Some(t) = current.as_ref()
            && !refused
            && t.fresh_for(now, MARGIN)
        {
            return Ok(t.access_token.bearer());
        }
        let refused_token = current.as_ref().map(|t| t.access_token.clone());
        let tokens = self.refresh(http, now, refused_token).await?;
        let header = tokens.access_token.bearer();
        *current = Some(tokens);
        Ok(header)
    }

    /// The daemon's upkeep: refreshes when the last refresh is older than [`KEEP_ALIVE`] (or there has
    /// been none), so the refresh token never idles long enough to expire.
    pub async fn keep_alive(&self, http: &Boundary) -> Upkeep {
        let last = match self.store.load_seeded(&self.channel, &self.configured_refresh) {
            Ok(stored) => stored.map(|t| t.expires_at - LIFETIME),
            Err(e) => {
                return Upkeep::Failed { reason: format!("the token store cannot be read: {e}"), needs_person: false };
            }
        };
        if last.is_some_and(|at| Utc::now() - at < KEEP_ALIVE) {
            return Upkeep::Nothing;
        }
        match self.authorization(http, false).await {
            Ok(_) => match self.current.lock().await.as_ref() {
                Some(t) => Upkeep::Refreshed { until: t.expires_at },
                None => Upkeep::Nothing,
            },
            Err(Outcome::NeedsReauth { platform_message }) => Upkeep::Failed {
                reason: format!("X refused the token refresh: {platform_message}"),
                needs_person: true,
            },
            Err(other) => {
                Upkeep::Failed { reason: format!("the X token could not be refreshed: {other}"), needs_person: false }
            }
        }
    }

    /// Takes the channel's lock in the token store (not in a dry run, which stores nothing), and
    /// refreshes unless the store already holds a fresh token other than the one refused.
    async fn refresh(&self, http: &Boundary, now: DateTime<Utc>, refused: Option<Secret>) -> Result<Tokens, Outcome> {
        let lock = if http.is_dry_run() {
            None
        } else {
            Some(self.store.lock_async(&self.channel).await.map_err(|e| store_failure(&e.to_string()))?)
        };
        let seed = fingerprint(&self.configured_refresh);
        let stored = self
            .store
            .load_seeded(&self.channel, &self.configured_refresh)
            .map_err(|e| store_failure(&e.to_string()))?;
        let refresh_token = match stored {
            Some(t) => {
                if t.fresh_for(now, MARGIN) && Some(&t.access_token) != refused.as_ref() {
                    return Ok(t); // another process refreshed it a moment ago
                }
                t.refresh_token
            }
            // First run, or the operator configured a new refresh token after authorising again.
            _ => self.configured_refresh.clone(),
        };
        let response = match http.send(self.request(&refresh_token), placeholder).await {
            Ok(r) => r,
            Err(SendError::NotSent(reason) | SendError::Lost(reason)) => {
                return Err(Outcome::RetryLater { after: None, reason: format!("X token refresh: {reason}") });
            }
        };
        let tokens = parse(&response, &refresh_token, &seed, now)?;
        // A dry run sends nothing and so rotates nothing: its placeholder tokens are never stored.
        if let Some(lock) = &lock
            && let Err(e) = self.store.save(&tokens, lock)
        {
            // The old refresh token is dead now: keep the new one in memory and say so loudly.
            tracing::error!(channel = %self.channel, error = %e, "the refreshed X token could not be stored; it is kept in memory only and the channel will need authorising again after a restart");
        }
        Ok(tokens)
    }

    /// `POST /2/oauth2/token` with `grant_type=refresh_token`.
    pub fn request(&self, refresh_token: &Secret) -> Request {
        let mut fields = vec![
            ("grant_type".to_string(), HeaderValue::Plain("refresh_token".into())),
            ("refresh_token".to_string(), HeaderValue::Secret(refresh_token.clone())),
        ];
        let req = Request::new(Method::Post, &self.token_url);
        match &self.client_secret {
            Some(secret) => {
                let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    self.client_id.expose(),
                    secret.expose()
                ));
                // The base64 of the pair is itself a credential, wherever an echo shows it.
                crate::secrets::also_redact(&basic);
                req.secret_header("authorization", Secret::new(format!("Basic {basic}"))).form(fields)
            }
            None => {
                fields.push(("client_id".to_string(), HeaderValue::Secret(self.client_id.clone())));
                req.form(fields)
            }
        }
    }
}

fn placeholder(_: &Request) -> Response {
    Response::new(
        200,
        r#"{"token_type":"bearer","expires_in":7200,"access_token":"dry-run","refresh_token":"dry-run","scope":"tweet.write"}"#,
    )
}

fn store_failure(message: &str) -> Outcome {
    Outcome::RetryLater { after: None, reason: format!("the token store cannot be used: {message}") }
}

/// The token endpoint's answer as tokens, or the outcome that stops the post.
fn parse(response: &Response, old_refresh: &Secret, seed: &str, now: DateTime<Utc>) -> Result<Tokens, Outcome> {
    let body = response.json();
    if response.is_success()
        && let Some(access) = body["access_token"].as_str()
    {
        let refresh = body["refresh_token"].as_str().map_or_else(|| old_refresh.clone(), Secret::new);
        // Bounded: a platform answer must not overflow the clock (an expiry beyond a day is read as a day).
        let lifetime = body["expires_in"].as_i64().unwrap_or(7200).clamp(0, 86_400);
        return Ok(Tokens {
            access_token: Secret::new(access),
            refresh_token: refresh,
            expires_at: now + Duration::seconds(lifetime),
            seed: seed.to_string(),
        });
    }
    let error = body["error"].as_str().unwrap_or_default();
    let description = body["error_description"].as_str().unwrap_or(error).to_string();
    Err(match response.status {
        400 | 401 if error == "invalid_grant" || error == "invalid_request" || response.status == 401 => {
            Outcome::NeedsReauth {
                platform_message: format!(
                    "{description} — the refresh token was refused (revoked, expired or already used): authorise the channel again and configure the new refresh token"
                ),
            }
        }
        429 | 500..=599 => Outcome::RetryLater {
            after: retry_after(response.header("retry-after")),
            reason: format!("X token refresh answered HTTP {}: {description}", response.status),
        },
        _ => Outcome::Rejected {
            platform_message: description,
            explanation: format!("X refused the token refresh (HTTP {})", response.status),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2027-03-08T08:00:00Z").unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_refresh_rotates_both_tokens() {
        let r = Response::new(
            200,
            r#"{"token_type":"bearer","expires_in":7200,"access_token":"new-access","scope":"tweet.write offline.access","refresh_token":"new-refresh"}"#,
        );
        let t = parse(&r, &Secret::new("old"), "seed", now()).unwrap();
        assert_eq!(t.access_token.expose(), "new-access");
        assert_eq!(t.refresh_token.expose(), "new-refresh");
        assert_eq!(t.expires_at, now() + Duration::hours(2));
    }

    #[test]
    fn a_refused_refresh_token_needs_a_person() {
        let r = Response::new(
            400,
            r#"{"error":"invalid_request","error_description":"Value passed for the token was invalid."}"#,
        );
        match parse(&r, &Secret::new("old"), "seed", now()) {
            Err(Outcome::NeedsReauth { platform_message }) => {
                assert!(platform_message.contains("Value passed for the token was invalid"), "{platform_message}");
            }
            other => panic!("{other:?}"),
        }
        let r = Response::new(503, "{}").with_header("retry-after", "20");
        assert!(matches!(
            parse(&r, &Secret::new("old"), "seed", now()),
            Err(Outcome::RetryLater { after: Some(d), .. }) if d.as_secs() == 20
        ));
    }

    #[test]
    fn public_clients_send_their_id_and_confidential_ones_authenticate() {
        let dir = tempfile::tempdir().unwrap();
        let public = Session::new(
            "x",
            "https://api.x.com/",
            Secret::new("client-1"),
            None,
            Secret::new("refresh-1"),
            TokenStore::new(dir.path()),
        );
        let req = public.request(&Secret::new("refresh-1"));
        assert_eq!(req.url, "https://api.x.com/2/oauth2/token");
        let shown = req.redacted();
        assert!(shown.contains("grant_type=refresh_token") && shown.contains("client_id=***"), "{shown}");
        assert!(!shown.contains("refresh-1") && !shown.contains("client-1"), "{shown}");
        let confidential = Session::new(
            "x",
            "https://api.x.com",
            Secret::new("client-1"),
            Some(Secret::new("s3cret")),
            Secret::new("refresh-1"),
            TokenStore::new(dir.path()),
        );
        let req = confidential.request(&Secret::new("refresh-1"));
        let auth = req.headers.iter().find(|(n, _)| n == "authorization").map(|(_, v)| v.clone());
        let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("client-1:s3cret"));
        assert_eq!(auth, Some(HeaderValue::Secret(Secret::new(expected))));
        assert!(!req.redacted().contains("client_id="), "confidential clients use Basic only");
    }
}
