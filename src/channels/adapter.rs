//! The small trait every platform adapter implements, what it is given to publish, and the journal
//! it keeps of the steps already done.
//!
//! An adapter turns a rendered post into the platform's API calls, through the
//! [`Boundary`](crate::dispatch::boundary::Boundary) (never an HTTP client of its own), and classifies
//! the answers into an [`Outcome`]. Multi-step publishes (upload then post, container then publish,
//! thread parts) record each finished step in a [`Journal`] *before* taking the next one; the caller
//! persists the journal, so after a crash or a lost answer the next attempt resumes instead of
//! repeating a public side effect, and [`Adapter::find_existing`] knows what to look for.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::{Rules, media};
use crate::config::{Channel, Media};
use crate::dispatch::boundary::Boundary;
use crate::dispatch::http::Response;
use crate::dispatch::outcome::Outcome;

/// Journal step: it is unclear whether the post went out — the request that makes it public was
/// answered with a server error (5xx) or a request timeout (408), its answer was lost, or herald
/// stopped while it was on its way. The value is an [`Unclear`]. The next attempt looks on the account
/// before it publishes again, and trusts "not there" only once the request can no longer land
/// ([`crate::dispatch::deliver::attempt`]).
pub const UNCLEAR: &str = "herald.unclear";

/// Why a lookup is needed before the post is sent again, and from when it is to be believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unclear {
    /// The post, if it went out, was created after this (a lookup lists the account from here on).
    pub since: DateTime<Utc>,
    /// The last moment a request that may create the post could still have been on its way: the
    /// answer's time, or for a crash the last step recorded plus the request timeout. A platform that
    /// takes seconds to create a post may show it only some time after this.
    pub at: DateTime<Utc>,
}

impl Unclear {
    /// As stored in the journal: two RFC 3339 times, `SINCE AT`.
    fn to_value(self) -> String {
        format!("{} {}", self.since.to_rfc3339(), self.at.to_rfc3339())
    }

    /// Reads a stored value; a lone time (as stored before) is the answer's time.
    fn parse(value: &str) -> Option<Self> {
        let time = |t: &str| DateTime::parse_from_rfc3339(t).ok().map(|t| t.with_timezone(&Utc));
        match value.split_once(' ') {
            Some((since, at)) => Some(Self { since: time(since)?, at: time(at)? }),
            None => time(value).map(|at| Self { since: at - chrono::Duration::minutes(5), at }),
        }
    }
}

/// A rendered post, ready for one channel.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The text, or the numbered parts of a thread.
    pub parts: &'a [String],
    /// A link sent in its own field (Facebook posts without images); a link anywhere else is in `parts`.
    pub link: Option<&'a str>,
    pub media: &'a [Media],
    pub channel: &'a Channel,
    /// The project's `campaigns/` folder: a media file's public URL is its path below this folder,
    /// appended to the channel's `media_base_url`.
    pub campaigns_dir: &'a Path,
}

/// The bytes of `media`, for uploading to a platform whose rules are `rules`: a regular file only,
/// never more than `rules.max_image_bytes` read (see [`media::read_bounded`]), read off the async
/// threads. A file that changed since it was checked (now too large, a pipe, another type) is a
/// rejection that names the file. The bytes are shared ([`bytes::Bytes`]), so a request that carries
/// them, its retries and a dry run's transcript hold one copy.
pub async fn read_media(media: &Media, rules: &'static Rules) -> Result<bytes::Bytes, Outcome> {
    let (path, kind) = (media.path.clone(), media.kind);
    let read = tokio::task::spawn_blocking(move || media::read_bounded(&path, kind, rules.max_image_bytes)).await;
    match read {
        Ok(Ok(bytes)) => Ok(bytes::Bytes::from(bytes)),
        Ok(Err(e)) => Err(unreadable(media, rules, &e)),
        Err(e) => Err(Outcome::Rejected {
            platform_message: String::new(),
            explanation: format!("reading the image {} stopped: {e} (a bug)", media.file),
        }),
    }
}

/// Like [`read_media`], as standard base64 text, for a platform that takes images in JSON: the text
/// is encoded while the file is read, so the raw bytes are never held beside it.
pub async fn read_media_base64(media: &Media, rules: &'static Rules) -> Result<String, Outcome> {
    let (path, kind) = (media.path.clone(), media.kind);
    let read = tokio::task::spawn_blocking(move || media::read_base64(&path, kind, rules.max_image_bytes)).await;
    match read {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(e)) => Err(unreadable(media, rules, &e)),
        Err(e) => Err(Outcome::Rejected {
            platform_message: String::new(),
            explanation: format!("reading the image {} stopped: {e} (a bug)", media.file),
        }),
    }
}

fn unreadable(media: &Media, rules: &Rules, e: &media::MediaError) -> Outcome {
    let explanation = match e {
        media::MediaError::TooLarge { size, limit } => format!(
            "the image {} is {}, over {}'s limit of {}",
            media.file,
            media::size_in_words(*size),
            rules.display,
            media::size_in_words(*limit)
        ),
        other => format!("the image {} {other}", media.file),
    };
    Outcome::Rejected { platform_message: String::new(), explanation }
}

/// A text as compared with what a platform lists on the account: whitespace collapsed (platforms trim
/// and fold line breaks, but keep the words). Lookups after a lost answer match posts with it.
pub fn same_text_key(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The most pages of the account's posts a lookup reads, newest first, before it gives up. A lookup
/// that reads them all without reaching posts older than the lost attempt cannot say the post is
/// absent: it answers [`too_many_posts`], never [`Lookup::NotFound`].
pub const LOOKUP_MAX_PAGES: usize = 20;

/// The answer of a lookup that read [`LOOKUP_MAX_PAGES`] pages of `per_page` posts on `platform`
/// without reaching the posts made before `since`.
pub fn too_many_posts(platform: &str, per_page: usize, since: DateTime<Utc>) -> Lookup {
    Lookup::Unavailable {
        reason: format!(
            "more than {} posts since {} on the {platform} account: herald cannot be sure the post is not among the older ones; check the account by hand",
            LOOKUP_MAX_PAGES * per_page,
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
    }
}

impl Outgoing<'_> {
    /// The public address the platform fetches `media` from, when the channel has a `media_base_url`
    /// (`{media_base_url}/{path below campaigns/}`, each path segment percent-encoded).
    pub fn media_url(&self, media: &Media) -> Option<String> {
        let base = self.channel.media_base_url.as_deref()?;
        let rel = media.path.strip_prefix(self.campaigns_dir).unwrap_or(Path::new(&media.file));
        let segments: Vec<String> = rel
            .components()
            .filter_map(|c| match c {
                std::path::Component::Normal(s) => Some(crate::dispatch::http::percent_encode(&s.to_string_lossy())),
                _ => None,
            })
            .collect();
        Some(format!("{}/{}", base.trim_end_matches('/'), segments.join("/")))
    }

    /// The whole text (thread parts joined), for matching a post found on the account.
    pub fn full_text(&self) -> String {
        self.parts.join("\n")
    }
}

/// The steps of one publication already done on the platform (an uploaded image's id, a created
/// container, a published thread part), by name. Every [`Journal::record`] is handed to the sink at
/// once, so the caller can store it before the adapter's next request.
pub struct Journal<'a> {
    entries: BTreeMap<String, String>,
    sink: Sink<'a>,
}

/// Where a journal's changes go (the ledger, in the daemon).
type Sink<'a> = Box<dyn FnMut(&BTreeMap<String, String>) + Send + 'a>;

impl std::fmt::Debug for Journal<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("entries", &self.entries).finish_non_exhaustive()
    }
}

impl<'a> Journal<'a> {
    /// A journal resumed from `entries` (empty for a first attempt) that reports every change to `sink`.
    pub fn new(entries: BTreeMap<String, String>, sink: impl FnMut(&BTreeMap<String, String>) + Send + 'a) -> Self {
        Self { entries, sink: Box::new(sink) }
    }

    /// A journal kept in memory only (`herald send`, tests).
    pub fn in_memory() -> Journal<'static> {
        Journal::new(BTreeMap::new(), |_| {})
    }

    pub fn get(&self, step: &str) -> Option<&str> {
        self.entries.get(step).map(String::as_str)
    }

    /// Records a finished step and hands the journal to the sink before returning.
    pub fn record(&mut self, step: &str, value: impl Into<String>) {
        self.entries.insert(step.to_string(), value.into());
        (self.sink)(&self.entries);
    }

    /// Notes the answer to the request that makes the post public: one that does not say whether the
    /// post was created (5xx, 408) is recorded as [`UNCLEAR`]. Every adapter calls it there.
    pub fn note_public_answer(&mut self, response: &Response) {
        if response.status >= 500 || response.status == 408 {
            let now = Utc::now();
            // The request left at most a request timeout ago; five minutes covers any timeout herald uses.
            self.mark_unclear(Unclear { since: now - chrono::Duration::minutes(5), at: now });
        }
    }

    /// Records that it is unclear whether the post went out. An earlier mark is widened, never
    /// narrowed: the earliest `since` and the latest `at` are kept.
    pub fn mark_unclear(&mut self, unclear: Unclear) {
        let merged = match self.unclear() {
            Some(old) => Unclear { since: old.since.min(unclear.since), at: old.at.max(unclear.at) },
            None => unclear,
        };
        self.record(UNCLEAR, merged.to_value());
    }

    /// Whether, and since when, it is unclear that the post went out (see [`UNCLEAR`]).
    pub fn unclear(&self) -> Option<Unclear> {
        self.get(UNCLEAR).and_then(Unclear::parse)
    }

    /// Forgets a step (e.g. a container that expired), and hands the journal to the sink.
    pub fn forget(&mut self, step: &str) {
        if self.entries.remove(step).is_some() {
            (self.sink)(&self.entries);
        }
    }

    pub fn entries(&self) -> &BTreeMap<String, String> {
        &self.entries
    }
}

/// What a lookup on the account found, after an attempt whose outcome was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The post is live: the earlier attempt went through.
    Found { remote_id: String, url: Option<String> },
    /// The post is certainly not there: publishing again is safe.
    NotFound,
    /// The lookup could not answer (network, permissions, the platform offers no way): the outcome
    /// stays unknown and a person decides.
    Unavailable { reason: String },
}

/// What keeping a channel's credentials fresh did (see [`Adapter::upkeep`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upkeep {
    /// Nothing was due.
    Nothing,
    /// A token was refreshed and stored; it now lasts until `until`.
    Refreshed { until: DateTime<Utc> },
    /// A refresh was due and did not happen; the channel keeps its current token. `needs_person`
    /// when only authorising the channel again will help before the token runs out.
    Failed { reason: String, needs_person: bool },
}

/// A platform adapter.
#[allow(async_fn_in_trait)] // the registry is a closed enum: no `dyn` use, so no Send bound is needed here
pub trait Adapter {
    /// Publishes `post`, resuming after the steps already in `journal` and recording each new one;
    /// every request goes through `http`.
    async fn publish(&self, post: &Outgoing<'_>, journal: &mut Journal<'_>, http: &Boundary) -> Outcome;

    /// After an [`Outcome::Unknown`]: is `post` live on the account? `journal` holds the steps the lost
    /// attempt recorded; `since` is when that attempt started. A lookup that finds some steps done
    /// (the first parts of a thread) records them and answers [`Lookup::NotFound`], so the next
    /// [`Adapter::publish`] resumes after them.
    async fn find_existing(
        &self,
        post: &Outgoing<'_>,
        journal: &mut Journal<'_>,
        since: DateTime<Utc>,
        http: &Boundary,
    ) -> Lookup;

    /// A harmless authenticated request (reads the account, never posts): `Ok` says who the
    /// credentials belong to.
    async fn probe(&self, http: &Boundary) -> Result<String, Outcome>;

    /// Keeps long-lived credentials alive between posts (refreshing a token that runs out in weeks,
    /// not hours): the daemon calls it every hour. Most platforms have nothing to do.
    async fn upkeep(&self, _http: &Boundary) -> Upkeep {
        Upkeep::Nothing
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::channels::{MediaType, Platform};

    #[test]
    fn every_record_reaches_the_sink_before_the_next_step() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let mut j = Journal::new(BTreeMap::new(), move |e| s.lock().unwrap().push(e.clone()));
        j.record("part.1", "100");
        j.record("part.2", "101");
        j.forget("part.9");
        j.forget("part.2");
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3, "forgetting a missing step is not a change");
        assert_eq!(seen[1].get("part.2").map(String::as_str), Some("101"));
        assert!(!seen[2].contains_key("part.2"));
    }

    #[test]
    fn an_unclear_mark_survives_the_ledger_and_only_widens() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let mut j = Journal::in_memory();
        assert_eq!(j.unclear(), None);
        j.mark_unclear(Unclear { since: t("2027-03-08T14:00:00Z"), at: t("2027-03-08T14:00:30Z") });
        j.mark_unclear(Unclear { since: t("2027-03-08T14:01:00Z"), at: t("2027-03-08T14:02:00Z") });
        let stored = Journal::new(j.entries().clone(), |_| {});
        assert_eq!(stored.unclear(), Some(Unclear { since: t("2027-03-08T14:00:00Z"), at: t("2027-03-08T14:02:00Z") }));
        // A mark written by an earlier herald (one time: the server error's) is still read.
        let old =
            Journal::new(BTreeMap::from([(UNCLEAR.to_string(), "2027-03-08T14:00:30+00:00".to_string())]), |_| {});
        assert_eq!(old.unclear(), Some(Unclear { since: t("2027-03-08T13:55:30Z"), at: t("2027-03-08T14:00:30Z") }));
    }

    #[test]
    fn media_urls_are_the_path_below_campaigns_on_the_public_host() {
        let mut ch = Channel::new("instagram", Platform::Instagram, "@hs4a");
        let media = Media {
            file: "media/water day.jpg".into(),
            path: PathBuf::from("/srv/project/campaigns/2027/media/water day.jpg"),
            alt: None,
            kind: MediaType::Jpeg,
        };
        let parts = [String::new()];
        let url = |ch: &Channel| {
            Outgoing {
                parts: &parts,
                link: None,
                media: &[],
                channel: ch,
                campaigns_dir: Path::new("/srv/project/campaigns"),
            }
            .media_url(&media)
        };
        assert_eq!(url(&ch), None);
        ch.media_base_url = Some("https://media.example.org/herald/".into());
        assert_eq!(url(&ch).as_deref(), Some("https://media.example.org/herald/2027/media/water%20day.jpg"));
    }
}
