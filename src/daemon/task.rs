//! One post's task: wait for the channel, claim the post in the ledger (with the text about to be
//! sent), render, publish through [`crate::dispatch::deliver`], and record the outcome. Also the
//! lookup of a post a crash left `sending`, and marking a post missed. Every ledger write happens
//! before the next side effect. A claim or an outcome the ledger does not take is the daemon's ledger
//! trouble ([`Shared::ledger_failed`]): alerted once, `/healthz` failing, the post considered again
//! at the recheck.

use std::sync::Arc;

use crate::channels::adapter::{Journal, Outgoing, Unclear};
use crate::config::CAMPAIGNS_DIR;
use crate::dispatch::boundary::Boundary;
use crate::dispatch::deliver::{self, Next};
use crate::dispatch::outcome::Outcome;
use crate::ledger::{Finish, LedgerError, OccurrenceKey, Record, Status};
use crate::schedule::Occurrence;

use super::alert::Kind;
use super::metrics::Event;
use super::plan::Plan;
use super::{Channels, Done, Shared, alert_for, finish_for_a_person, human};

/// The journal entry holding the text as it is sent (thread parts separated by U+001E), recorded before
/// the first request: a lookup after a crash searches for it.
const SENT_TEXT: &str = "herald.text";

/// Runs a ledger call (a committed transaction, with its fsync) on the blocking pool, so the runtime's
/// threads stay free to start other due posts on time.
async fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Runs a ledger call from synchronous code inside a task (the journal's sink): on a multi-threaded
/// runtime the thread's other tasks move elsewhere meanwhile.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// One due post: claim, render, publish, record.
pub(super) async fn publish(
    shared: Arc<Shared>,
    plan: Arc<Plan>,
    channels: Arc<Channels>,
    occ: Occurrence,
    key: OccurrenceKey,
    retry: bool,
) -> Done {
    // Wait for a slot under the channel's cap and for its rate-limit quiet time *before* claiming: a
    // post waiting here is still `scheduled`, so a pause, a shutdown or the catch-up window still apply.
    let limits = channels.limits.get(&plan.project.config.channels[occ.channel].name).cloned();
    let _slot = match &limits {
        Some(l) => {
            let slot = l.start().await;
            l.wait_clear().await;
            Some(slot)
        }
        None => None,
    };
    if shared.stopping.load(std::sync::atomic::Ordering::SeqCst) {
        return Done { key, retry_at: None }; // never claimed: the next start considers it
    }
    let now = shared.clock.now();
    let late = (now - occ.at_utc).to_std().unwrap_or_default();
    if !retry && late > plan.catch_up(&occ) {
        let reason = format!("it waited for the channel's rate limit and is now {} late", human(late));
        mark_missed(&shared, &plan, &key, reason);
        return Done { key, retry_at: None };
    }
    // The text about to be sent is journaled with the claim (one commit): a lookup after a crash
    // searches for what was sent, even if the file is edited meanwhile.
    let rendered = crate::render::render(&plan.project, &occ);
    let steps: Vec<(String, String)> =
        rendered.as_ref().map(|r| vec![(SENT_TEXT.to_string(), r.parts.join("\u{1e}"))]).unwrap_or_default();
    let claimed = {
        let (store, key) = (shared.store.clone(), key.clone());
        off_runtime(move || match store.claim_with(&key, now, &steps) {
            Ok(record) => Claim::Claimed(Box::new(record)),
            Err(
                LedgerError::AlreadySent { .. }
                | LedgerError::NotClaimable { .. }
                | LedgerError::NotDue { .. }
                | LedgerError::Paused { .. },
            ) => Claim::Skip,
            Err(e) => Claim::Failed(e),
        })
        .await
    };
    let record = match claimed {
        Claim::Claimed(record) => *record,
        // Sent, settled, paused or not due: nothing to do (a reload or resume considers it again).
        Claim::Skip => return Done { key, retry_at: None },
        // The ledger is locked or failing: the post stays `scheduled` (or `retrying`) there, and the
        // daemon's recheck considers it again once the ledger answers (alerted once, `/healthz` fails
        // meanwhile) rather than every few seconds forever.
        Claim::Failed(e) => {
            shared.ledger_failed(&format!("claim the due post {key}"), &e);
            return Done { key, retry_at: None };
        }
    };
    shared.metrics.lateness(late.as_secs_f64());
    run_attempt(&shared, &plan, &channels, &occ, key, record, rendered, None).await
}

/// Marks a post that is still waiting (`scheduled`) as missed, and reports it. A retry or a post
/// already settled is left alone.
pub(super) fn mark_missed(shared: &Shared, plan: &Plan, key: &OccurrenceKey, reason: String) {
    match shared.store.get(key) {
        Ok(Some(r)) if r.status == Status::Scheduled => {
            finish_for_a_person(shared, plan, key, Kind::Missed, reason);
        }
        Ok(_) => {}
        // Still `scheduled`, and too late to go out: the recheck's sweep reports it.
        Err(e) => shared.ledger_failed(&format!("read {key} to mark it missed"), &e),
    }
}

/// How a claim went.
enum Claim {
    Claimed(Box<Record>),
    Skip,
    Failed(LedgerError),
}

/// A post found `sending` at start: the platform is asked whether it went out.
pub(super) async fn reconcile(shared: Arc<Shared>, plan: Arc<Plan>, channels: Arc<Channels>, record: Record) -> Done {
    let key = record.key.clone();
    let Some(occ) = plan.find_any(&key) else {
        let error = "herald stopped while sending this post, and the post is no longer in the campaign files to look it up; check the account".to_string();
        tracing::warn!(key = %key, "{error}");
        finish_for_a_person(&shared, &plan, &key, Kind::Unknown, error);
        return Done { key, retry_at: None };
    };
    let unclear = interrupted(&record, &plan.retry_policy());
    let rendered = crate::render::render(&plan.project, &occ);
    run_attempt(&shared, &plan, &channels, &occ, key, record, rendered, Some(unclear)).await
}

/// What a crash leaves unclear about a post it found `sending`: the post, if it went out, was created
/// after the claim; and a request may have left as late as the last step the ledger recorded (its
/// `updated_at`), then been on its way for up to the request timeout.
fn interrupted(record: &Record, policy: &crate::dispatch::retry::RetryPolicy) -> Unclear {
    let since = record.attempt_started_at.unwrap_or(record.key.at());
    let last_step = record.updated_at.max(since);
    Unclear { since, at: last_step + chrono::Duration::from_std(policy.request_timeout).unwrap_or_default() }
}

/// Publishes (or, with `interrupted`, only looks up) a claimed post, `rendered` for its channel, and
/// records the outcome.
#[allow(clippy::too_many_arguments)] // the task's whole context; a struct would only rename it
async fn run_attempt(
    shared: &Arc<Shared>,
    plan: &Plan,
    channels: &Channels,
    occ: &Occurrence,
    key: OccurrenceKey,
    record: Record,
    rendered: Result<crate::render::Rendered, crate::render::RenderError>,
    interrupted: Option<Unclear>,
) -> Done {
    let channel = &plan.project.config.channels[occ.channel];
    // When the platform cannot be asked, a post being looked up after a crash stays unknown (it may
    // be live); a post about to be sent fails.
    let cannot = |why: String| match interrupted {
        Some(_) => {
            Outcome::Unknown { reason: format!("herald stopped while sending this post and cannot look it up: {why}") }
        }
        None => Outcome::Rejected { platform_message: String::new(), explanation: why },
    };
    let mut rendered = match rendered {
        Ok(r) => r,
        Err(e) => return finish(shared, plan, occ, key, &record, cannot(e.to_string()), None).await,
    };
    // Look up what was sent, not what the files say now (an editor may have fixed a typo since).
    if interrupted.is_some()
        && let Some(sent) = record.journal.get(SENT_TEXT)
    {
        rendered.parts = sent.split('\u{1e}').map(str::to_string).collect();
    }
    let (Some(adapter), Some(limits)) = (channels.adapters.get(&channel.name), channels.limits.get(&channel.name))
    else {
        let why = channels
            .problems
            .get(&channel.name)
            .cloned()
            .unwrap_or_else(|| format!("channel `{}` has no adapter", channel.name));
        return finish(shared, plan, occ, key, &record, cannot(why), None).await;
    };
    let (store, clock) = (shared.store.clone(), shared.clock);
    let sink_key = key.clone();
    let mut journal = Journal::new(record.journal.clone(), move |entries| {
        if let Err(e) = blocking(|| store.save_journal(&sink_key, entries, clock.now())) {
            tracing::error!(key = %sink_key, error = %e, "cannot record a publishing step in the ledger");
        }
    });
    let campaigns_dir = plan.project.root.join(CAMPAIGNS_DIR);
    let outgoing = Outgoing {
        parts: &rendered.parts,
        link: rendered.link_field.as_deref(),
        media: &rendered.media,
        channel,
        campaigns_dir: &campaigns_dir,
    };
    // A dry run gets a boundary of its own per post, so its transcript can be shown whole.
    let http =
        if shared.http.is_dry_run() { Boundary::dry_run() } else { shared.http.clone() }.for_channel(limits.clone());
    let policy = plan.retry_policy();
    let now = move || clock.now();
    let outcome = match interrupted {
        None => deliver::attempt(adapter, &outgoing, &mut journal, &http, &policy, &now).await,
        Some(unclear) => deliver::recover(adapter, &outgoing, &mut journal, &http, unclear, &policy, &now)
            .await
            .unwrap_or(Outcome::RetryLater {
                after: None,
                reason: "herald stopped while sending it; the account was checked and it is not there".into(),
            }),
    };
    if http.is_dry_run() {
        for req in http.transcript() {
            // A rehearsal logs the publications; their requests are there at `debug`.
            if shared.clock.rehearsal().is_some() {
                tracing::debug!(key = %key, "dry run, not sent:\n{}", req.redacted());
            } else {
                tracing::info!(key = %key, "dry run, not sent:\n{}", req.redacted());
            }
        }
    }
    // A crash is not the platform's refusal, so the lookup after it does not use up the post's
    // retries: a post certainly absent goes out at once, one not seen yet is looked for again when the
    // lookup can be believed.
    if interrupted.is_some()
        && let Outcome::RetryLater { reason, after } = &outcome
    {
        let now = shared.clock.now();
        let at = now + chrono::Duration::from_std(after.unwrap_or_default()).unwrap_or_default();
        if let Err(e) = shared.store.finish(&key, Finish::Retry { at, error: reason.clone() }, now) {
            tracing::error!(key = %key, error = %e, "cannot record the outcome in the ledger");
            shared.ledger_unusable(&format!("record the outcome of {key}"), &e);
        }
        match journal.unclear() {
            None => tracing::info!(key = %key, "not found on the platform after the interruption: sending it now"),
            Some(_) => {
                tracing::info!(key = %key, retry_at = %at.to_rfc3339(), "not on the platform yet after the interruption: {reason}")
            }
        }
        return Done { key, retry_at: Some(at) };
    }
    let outcome = deliver::after_attempt(outcome, &journal, record.attempts, &policy, shared.clock.now());
    let hash = crate::ledger::text_hash_parts(&rendered.parts);
    finish(shared, plan, occ, key, &record, outcome, Some(hash)).await
}

/// Records `outcome` in the ledger, logs it, counts it and alerts a person when needed.
async fn finish(
    shared: &Arc<Shared>,
    plan: &Plan,
    occ: &Occurrence,
    key: OccurrenceKey,
    record: &Record,
    outcome: Outcome,
    text_hash: Option<String>,
) -> Done {
    let now = shared.clock.now();
    let (finish, event) = match &outcome {
        Outcome::Published { remote_id, url } => (
            Finish::Sent { remote_id: remote_id.clone(), url: url.clone(), text_hash: text_hash.unwrap_or_default() },
            Event::Sent,
        ),
        Outcome::Unknown { reason } => (Finish::Unknown { error: reason.clone() }, Event::Unknown),
        other => match deliver::next(other, record.attempts, &plan.retry_policy(), rand::random::<f64>()) {
            Next::RetryAfter(wait) => (
                Finish::Retry {
                    at: now + chrono::Duration::from_std(wait).unwrap_or_default(),
                    error: other.to_string(),
                },
                Event::Retried,
            ),
            Next::GiveUp | Next::Done => (Finish::Failed { error: other.to_string() }, Event::Failed),
        },
    };
    let retry_at = match &finish {
        Finish::Retry { at, .. } => Some(*at),
        _ => None,
    };
    let recorded = {
        let (store, key) = (shared.store.clone(), key.clone());
        off_runtime(move || store.finish(&key, finish, now)).await
    };
    if let Err(e) = recorded {
        tracing::error!(key = %key, error = %e, outcome = %outcome, "cannot record the outcome in the ledger");
        shared.ledger_unusable(&format!("record the outcome of {key}"), &e);
    }
    shared.metrics.count(key.channel(), event);
    let campaign = &plan.project.campaigns[occ.campaign];
    let post = &campaign.posts[occ.post].id;
    let url = match &outcome {
        Outcome::Published { url, remote_id } => url.clone().unwrap_or_else(|| remote_id.clone()),
        _ => String::new(),
    };
    tracing::info!(
        campaign = %campaign.id,
        post = %post,
        channel = %key.channel(),
        scheduled = %occ.at_utc.to_rfc3339(),
        attempt = record.attempts,
        url = %url,
        "{outcome}"
    );
    let kind = match (&outcome, event) {
        (Outcome::NeedsReauth { .. }, _) => Some(Kind::NeedsReauth),
        (_, Event::Failed) => Some(Kind::Failed),
        (_, Event::Unknown) => Some(Kind::Unknown),
        _ => None,
    };
    if let Some(kind) = kind {
        shared.alerter.send(alert_for(plan, kind, &key, outcome.to_string())).await;
    }
    Done { key, retry_at }
}
