//! Telling a person: failed, unknown and missed posts, channels that need authorising again, tokens
//! that expire before a scheduled post, and edits the daemon refused.
//!
//! Every alert goes to the log; when `[daemon] alert_webhook` is set it is also posted as JSON with a
//! `text` field (what Slack, Mattermost and most chat webhooks take) plus the details as fields. The
//! webhook address is a credential: it never appears in a log line, even when posting fails.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::secrets::Secret;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Failed,
    Unknown,
    Missed,
    NeedsReauth,
    TokenExpires,
    EditRefused,
    /// herald's own state (the ledger, the last good versions) could not be read or written: posts
    /// whose fate depends on it are held until it can.
    StateUnusable,
}

/// One alert, with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub kind: Kind,
    pub campaign: Option<String>,
    pub post: Option<String>,
    pub channel: Option<String>,
    /// `campaigns/hs4a-2027.toml:42` — where the post is written.
    pub location: Option<String>,
    pub scheduled: Option<DateTime<Utc>>,
    /// The ledger key, for `herald resolve`.
    pub key: Option<String>,
    /// The platform's own words, or herald's.
    pub message: String,
}

impl Alert {
    /// An alert about a file as a whole (an edit refused), at `location`.
    pub fn about_file(kind: Kind, location: Option<String>, message: String) -> Self {
        Self { kind, campaign: None, post: None, channel: None, location, scheduled: None, key: None, message }
    }

    /// An edit refused because of `first`, its first error (at `file` when the error names no place):
    /// the last good version keeps running.
    pub fn edit_refused(first: Option<&crate::diagnostic::Diagnostic>, file: Option<String>) -> Self {
        let location = first.and_then(crate::diagnostic::Diagnostic::location).or(file);
        Self::about_file(Kind::EditRefused, location, first.map(|d| d.message.clone()).unwrap_or_default())
    }

    /// One line for people.
    pub fn text(&self) -> String {
        let what = match self.kind {
            Kind::Failed => "post failed",
            Kind::Unknown => "post outcome unknown",
            Kind::Missed => "post missed",
            Kind::NeedsReauth => "channel needs authorising again",
            Kind::TokenExpires => "token expires before a scheduled post",
            Kind::EditRefused => "edit refused; the last good version keeps running",
            Kind::StateUnusable => "herald cannot use its state",
        };
        let mut out = format!("herald: {what}");
        if let (Some(c), Some(p)) = (&self.campaign, &self.post) {
            out.push_str(&format!(" — {c}/{p}"));
        }
        if let Some(ch) = &self.channel {
            out.push_str(&format!(" on {ch}"));
        }
        if let Some(at) = &self.scheduled {
            out.push_str(&format!(" (scheduled {})", at.format("%Y-%m-%d %H:%M UTC")));
        }
        if let Some(l) = &self.location {
            out.push_str(&format!(" [{l}]"));
        }
        out.push_str(&format!(": {}", self.message));
        if matches!(self.kind, Kind::Unknown)
            && let Some(k) = &self.key
        {
            out.push_str(&format!(" — settle it with `herald resolve {k} --sent URL | --retry | --skip`"));
        }
        out
    }
}

/// Where alerts go.
#[derive(Debug, Clone)]
pub struct Alerter {
    webhook: Option<(Secret, reqwest::Client)>,
}

impl Alerter {
    pub fn new(webhook: Option<Secret>) -> Self {
        let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().ok();
        Self { webhook: webhook.zip(client) }
    }

    /// Logs `alert` and posts it to the webhook, if any (failures to post are logged, without the address).
    /// The message (often a platform's words) is redacted and cut to an excerpt first.
    pub async fn send(&self, mut alert: Alert) {
        alert.message = crate::secrets::excerpt(&alert.message);
        tracing::warn!(
            alert = ?alert.kind,
            campaign = alert.campaign.as_deref().unwrap_or(""),
            post = alert.post.as_deref().unwrap_or(""),
            channel = alert.channel.as_deref().unwrap_or(""),
            location = alert.location.as_deref().unwrap_or(""),
            "{}",
            alert.text()
        );
        let Some((url, client)) = &self.webhook else { return };
        let body = serde_json::json!({ "text": alert.text(), "herald": alert });
        match client.post(url.expose()).json(&body).send().await {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => tracing::error!(status = r.status().as_u16(), "the alert webhook refused an alert"),
            Err(e) => tracing::error!(error = %e.without_url(), "the alert webhook could not be reached"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown() -> Alert {
        Alert {
            kind: Kind::Unknown,
            campaign: Some("hs4a-2027".into()),
            post: Some("iwd".into()),
            channel: Some("x".into()),
            location: Some("campaigns/hs4a-2027.toml:42".into()),
            scheduled: DateTime::parse_from_rfc3339("2027-03-08T14:00:00Z").ok().map(|t| t.with_timezone(&Utc)),
            key: Some("hs4a-2027/iwd/x/2027-03-08T14:00:00Z".into()),
            message: "the platform did not answer in time".into(),
        }
    }

    #[test]
    fn an_alert_names_the_post_its_file_and_line_and_how_to_settle_it() {
        let text = unknown().text();
        assert!(text.contains("hs4a-2027/iwd on x (scheduled 2027-03-08 14:00 UTC)"), "{text}");
        assert!(text.contains("[campaigns/hs4a-2027.toml:42]"), "{text}");
        assert!(text.contains("herald resolve hs4a-2027/iwd/x/2027-03-08T14:00:00Z"), "{text}");
    }

    #[tokio::test]
    async fn the_webhook_gets_slack_compatible_json() {
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::method("POST"))
            .respond_with(wiremock::ResponseTemplate::new(200))
            .mount(&server)
            .await;
        Alerter::new(Some(Secret::new(format!("{}/hooks/T000/B000/secret", server.uri())))).send(unknown()).await;
        let got = server.received_requests().await.unwrap();
        assert_eq!(got.len(), 1);
        let body: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap();
        assert!(body["text"].as_str().unwrap().starts_with("herald: post outcome unknown"));
        assert_eq!(body["herald"]["kind"], "unknown");
        assert_eq!(body["herald"]["location"], "campaigns/hs4a-2027.toml:42");
    }
}
