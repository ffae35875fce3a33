//! The ledger's contract, tested through [`SqliteStore`]: keys, every transition and every refused
//! one, plan syncs, and the file's life (durability, crashes, migrations, foreign files, several
//! processes).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;

use super::sqlite::{SCHEMA_VERSION, SqliteStore};
use super::*;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("a test time").with_timezone(&Utc)
}

/// "Now" in these tests: a week before the posts.
fn now() -> DateTime<Utc> {
    t("2027-03-01T00:00:00Z")
}

fn key(post: &str, at: &str) -> OccurrenceKey {
    OccurrenceKey::new("iwd-2027", post, "x-main", t(at)).expect("a valid key")
}

fn on(channel: &str, post: &str, at: &str) -> OccurrenceKey {
    OccurrenceKey::new("iwd-2027", post, channel, t(at)).expect("a valid key")
}

fn plan(key: &OccurrenceKey, text: &str) -> Planned {
    Planned { key: key.clone(), text_hash: text_hash(text) }
}

fn store() -> SqliteStore {
    SqliteStore::in_memory().expect("an in-memory ledger")
}

/// A ledger that schedules `keys`, each with the text "text of POST".
fn store_with(keys: &[&OccurrenceKey]) -> SqliteStore {
    let s = store();
    let planned: Vec<Planned> = keys.iter().map(|k| plan(k, &format!("text of {}", k.post()))).collect();
    s.sync_plan(&planned, now()).expect("sync");
    s
}

fn status(s: &SqliteStore, k: &OccurrenceKey) -> Status {
    s.get(k).expect("get").expect("the record exists").status
}

fn sent(remote_id: &str) -> Finish {
    Finish::Sent {
        remote_id: remote_id.into(),
        url: Some(format!("https://x.com/hs/status/{remote_id}")),
        text_hash: text_hash("as sent"),
    }
}

/// Takes a scheduled record to `target` through the store's own transitions.
fn put_in(s: &SqliteStore, k: &OccurrenceKey, target: Status) {
    let later = now() + TimeDelta::minutes(1);
    let claim = || s.claim(k, now()).expect("claim");
    match target {
        Status::Scheduled => {}
        Status::Sending => {
            claim();
        }
        Status::Sent => {
            claim();
            s.finish(k, sent("1"), later).expect("finish");
        }
        Status::Retrying => {
            claim();
            s.finish(k, Finish::Retry { at: later, error: "503".into() }, now()).expect("finish");
        }
        Status::Failed => {
            claim();
            s.finish(k, Finish::Failed { error: "rejected".into() }, now()).expect("finish");
        }
        Status::Unknown => {
            claim();
            s.finish(k, Finish::Unknown { error: "timeout".into() }, now()).expect("finish");
        }
        Status::Missed => {
            s.finish(k, Finish::Missed { reason: "3 h late".into() }, now()).expect("finish");
        }
        Status::Skipped => {
            put_in(s, k, Status::Unknown);
            s.resolve(k, Resolution::Skip, now()).expect("resolve");
        }
        Status::Cancelled => {
            let others: Vec<Planned> = s
                .records(&RecordFilter::default())
                .expect("records")
                .into_iter()
                .filter(|r| &r.key != k)
                .map(|r| Planned { key: r.key, text_hash: r.text_hash })
                .collect();
            s.sync_plan(&others, now()).expect("sync");
        }
    }
    assert_eq!(status(s, k), target, "put {k} in {target}");
}

// ---------------------------------------------------------------------------------------------
// Keys, statuses, hashes

#[test]
fn key_is_written_campaign_post_channel_time() {
    let k = key("countdown", "2027-03-08T09:00:00Z");
    assert_eq!(k.to_string(), "iwd-2027/countdown/x-main/2027-03-08T09:00:00Z");
    assert_eq!(k.to_string().parse::<OccurrenceKey>(), Ok(k));
}

#[test]
fn key_parses_any_offset_as_utc() {
    let k: OccurrenceKey = "iwd-2027/countdown/x-main/2027-03-08T10:00:00+01:00".parse().expect("a key");
    assert_eq!(k.at(), t("2027-03-08T09:00:00Z"));
    assert_eq!(k.to_string(), "iwd-2027/countdown/x-main/2027-03-08T09:00:00Z");
}

#[test]
fn bad_keys_are_refused_with_a_reason() {
    let err = |s: &str| s.parse::<OccurrenceKey>().expect_err(s);
    assert!(matches!(err("iwd-2027/countdown/x-main"), KeyError::Malformed { .. }));
    assert!(matches!(err(""), KeyError::Malformed { .. }));
    assert!(matches!(err("iwd-2027/countdown/x-main/tomorrow"), KeyError::BadTime { .. }));
    assert!(matches!(err("iwd-2027/count/down/x-main/2027-03-08T09:00:00Z"), KeyError::BadTime { .. }));
    assert!(matches!(err("IWD/countdown/x-main/2027-03-08T09:00:00Z"), KeyError::BadId { part: "campaign", .. }));
    assert!(matches!(err("iwd-2027//x-main/2027-03-08T09:00:00Z"), KeyError::BadId { part: "post", .. }));
    assert!(matches!(err("iwd-2027/countdown/x main/2027-03-08T09:00:00Z"), KeyError::BadId { part: "channel", .. }));
    assert!(matches!(err("iwd-2027/countdown/x-main/2027-03-08T09:00:00.5Z"), KeyError::SubSecond { .. }));
    let message = err("nonsense").to_string();
    assert!(message.contains("`nonsense` is not an occurrence key"), "{message}");
    assert!(message.contains("CAMPAIGN/POST/CHANNEL/TIME"), "{message}");
}

#[test]
fn new_key_refuses_ids_that_would_not_read_back() {
    let at = t("2027-03-08T09:00:00Z");
    assert!(OccurrenceKey::new("a/b", "p", "c", at).is_err());
    assert!(OccurrenceKey::new("a", "p", "", at).is_err());
    assert!(OccurrenceKey::new("a", "p", "c", at + TimeDelta::milliseconds(1)).is_err());
}

#[test]
fn keys_order_by_time_first() {
    let mut keys =
        [key("a", "2027-03-09T09:00:00Z"), key("z", "2027-03-08T09:00:00Z"), key("b", "2027-03-09T09:00:00Z")];
    keys.sort();
    let posts: Vec<&str> = keys.iter().map(|k| k.post()).collect();
    assert_eq!(posts, ["z", "a", "b"]);
}

proptest! {
    #[test]
    fn key_round_trips_through_its_text(
        campaign in "[a-z0-9][a-z0-9_-]{0,20}",
        post in "[a-z0-9][a-z0-9_-]{0,20}",
        channel in "[a-z0-9][a-z0-9_-]{0,20}",
        secs in 0i64..253_402_300_799, // up to 9999-12-31T23:59:59Z
    ) {
        let at = DateTime::from_timestamp(secs, 0).expect("in range");
        let k = OccurrenceKey::new(campaign, post, channel, at).expect("valid");
        prop_assert_eq!(k.to_string().parse::<OccurrenceKey>(), Ok(k));
    }
}

#[test]
fn statuses_are_lowercase_words() {
    for s in Status::ALL {
        assert_eq!(s.to_string(), s.as_str());
        assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        assert_eq!(s.as_str(), s.as_str().to_lowercase());
    }
    assert_eq!(Status::Cancelled.to_string(), "cancelled");
    assert!("Sent".parse::<Status>().is_err());
    assert!("done".parse::<Status>().unwrap_err().to_string().contains("scheduled, sending, sent"));
}

#[test]
fn text_hash_is_sha1_hex() {
    assert_eq!(text_hash("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(text_hash_parts(&["abc"]), text_hash("abc"));
    assert_ne!(text_hash_parts(&["a", "bc"]), text_hash("abc"));
    assert_ne!(text_hash_parts(&["a", "bc"]), text_hash_parts(&["ab", "c"]));
}

// ---------------------------------------------------------------------------------------------
// sync_plan

#[test]
fn sync_inserts_new_occurrences_as_scheduled() {
    let s = store();
    let (a, b) = (key("a", "2027-03-08T09:00:00Z"), key("b", "2027-03-08T10:00:00Z"));
    let report = s.sync_plan(&[plan(&b, "B"), plan(&a, "A")], now()).expect("sync");
    assert_eq!(report, SyncReport { inserted: vec![a.clone(), b.clone()], ..SyncReport::default() });
    let r = s.get(&a).expect("get").expect("inserted");
    assert_eq!(r.status, Status::Scheduled);
    assert_eq!(r.attempts, 0);
    assert_eq!(r.text_hash, text_hash("A"));
    assert_eq!((r.created_at, r.updated_at), (now(), now()));
    assert!(r.journal.is_empty() && r.last_error.is_none() && r.sent_at.is_none() && r.remote_id.is_none());
}

#[test]
fn sync_of_the_same_plan_changes_nothing() {
    let (a, b) = (key("a", "2027-03-08T09:00:00Z"), key("b", "2027-03-08T10:00:00Z"));
    let s = store_with(&[&a, &b]);
    let before = s.records(&RecordFilter::default()).expect("records");
    let again = [plan(&a, "text of a"), plan(&b, "text of b")];
    let report = s.sync_plan(&again, now() + TimeDelta::hours(1)).expect("sync");
    assert!(report.is_empty(), "{report:?}");
    assert_eq!(s.records(&RecordFilter::default()).expect("records"), before);
}

#[test]
fn sync_takes_the_new_text_of_pending_occurrences() {
    let (a, b, c) =
        (key("a", "2027-03-08T09:00:00Z"), key("b", "2027-03-08T10:00:00Z"), key("c", "2027-03-08T11:00:00Z"));
    let s = store_with(&[&a, &b, &c]);
    put_in(&s, &b, Status::Retrying);
    let later = now() + TimeDelta::hours(1);
    let report = s.sync_plan(&[plan(&a, "new a"), plan(&b, "new b"), plan(&c, "text of c")], later).expect("sync");
    assert_eq!(report, SyncReport { edited: vec![a.clone(), b.clone()], ..SyncReport::default() });
    let ra = s.get(&a).expect("get").expect("a");
    assert_eq!(
        (ra.status, ra.text_hash.as_str(), ra.updated_at),
        (Status::Scheduled, text_hash("new a").as_str(), later)
    );
    assert_eq!(s.get(&b).expect("get").expect("b").text_hash, text_hash("new b"));
    assert_eq!(status(&s, &b), Status::Retrying);
}

#[test]
fn sync_cancels_future_occurrences_no_longer_planned() {
    let past = key("past", "2027-02-28T09:00:00Z");
    let due = key("due", "2027-03-01T00:00:00Z");
    let future = key("future", "2027-03-08T09:00:00Z");
    let kept = key("kept", "2027-03-09T09:00:00Z");
    let s = store();
    let all = [plan(&past, "p"), plan(&due, "d"), plan(&future, "f"), plan(&kept, "k")];
    s.sync_plan(&all, t("2027-02-01T00:00:00Z")).expect("sync");

    let report = s.sync_plan(&[plan(&kept, "k")], now()).expect("sync");
    assert_eq!(report, SyncReport { cancelled: vec![future.clone()], ..SyncReport::default() });
    assert_eq!(status(&s, &future), Status::Cancelled);
    // Past and due ones are the daemon's to publish or mark missed, never cancelled by an absence
    // (the plan only reaches back as far as the catch-up window).
    assert_eq!(status(&s, &past), Status::Scheduled);
    assert_eq!(status(&s, &due), Status::Scheduled);
    assert_eq!(status(&s, &kept), Status::Scheduled);
}

#[test]
fn sync_restores_a_cancelled_occurrence_planned_again() {
    let (a, b) = (key("a", "2027-03-08T09:00:00Z"), key("b", "2027-03-08T10:00:00Z"));
    let s = store_with(&[&a, &b]);
    put_in(&s, &a, Status::Cancelled);
    let report = s.sync_plan(&[plan(&a, "a again"), plan(&b, "text of b")], now()).expect("sync");
    assert_eq!(report, SyncReport { restored: vec![a.clone()], ..SyncReport::default() });
    let r = s.get(&a).expect("get").expect("a");
    assert_eq!((r.status, r.text_hash), (Status::Scheduled, text_hash("a again")));
}

#[test]
fn sync_never_touches_what_was_attempted_or_settled() {
    let untouchable = [Status::Sending, Status::Sent, Status::Failed, Status::Unknown, Status::Missed, Status::Skipped];
    for target in untouchable {
        let k = key("p", "2027-03-08T09:00:00Z");
        let s = store_with(&[&k]);
        put_in(&s, &k, target);
        let before = s.get(&k).expect("get").expect("record");

        // Deleted from the files: not cancelled.
        let report = s.sync_plan(&[], now()).expect("sync");
        assert!(report.is_empty(), "{target}: {report:?}");
        // Edited: the record keeps its hash; only a sent one is reported.
        let report = s.sync_plan(&[plan(&k, "edited")], now()).expect("sync");
        let expected = if target == Status::Sent { vec![k.clone()] } else { vec![] };
        assert_eq!(report, SyncReport { edited_after_sent: expected, ..SyncReport::default() }, "{target}");
        assert_eq!(s.get(&k).expect("get").expect("record"), before, "{target}");
    }
}

#[test]
fn sync_reports_a_sent_post_edited_afterwards_and_keeps_what_was_sent() {
    let k = key("p", "2027-03-08T09:00:00Z");
    let s = store_with(&[&k]);
    s.claim(&k, now()).expect("claim");
    s.finish(&k, Finish::Sent { remote_id: "9".into(), url: None, text_hash: text_hash("text of p") }, now())
        .expect("finish");
    assert!(s.sync_plan(&[plan(&k, "text of p")], now()).expect("sync").is_empty());
    let report = s.sync_plan(&[plan(&k, "text of p, fixed typo")], now()).expect("sync");
    assert_eq!(report.edited_after_sent, vec![k.clone()]);
    let r = s.get(&k).expect("get").expect("record");
    assert_eq!((r.status, r.text_hash), (Status::Sent, text_hash("text of p")));
}

#[test]
fn sync_keeps_the_last_hash_of_a_key_planned_twice() {
    let k = key("p", "2027-03-08T09:00:00Z");
    let s = store();
    let report = s.sync_plan(&[plan(&k, "first"), plan(&k, "second")], now()).expect("sync");
    assert_eq!(report.inserted, vec![k.clone()]);
    assert_eq!(s.get(&k).expect("get").expect("record").text_hash, text_hash("second"));
}

#[test]
fn sync_of_100_000_occurrences_is_one_batch() {
    let start = t("2027-03-02T00:00:00Z");
    let planned: Vec<Planned> = (0..100_000)
        .map(|i| {
            let k = OccurrenceKey::new(
                format!("campaign-{}", i % 50),
                format!("post-{i}"),
                ["x-main", "ig-main", "li-main", "fb-main"][i % 4],
                start + TimeDelta::minutes(i as i64),
            )
            .expect("valid key");
            Planned { key: k, text_hash: text_hash(&format!("text {i}")) }
        })
        .collect();
    let s = store();

    let clock = Instant::now();
    let report = s.sync_plan(&planned, now()).expect("first sync");
    let first = clock.elapsed();
    assert_eq!(report.inserted.len(), 100_000);
    assert!(report.inserted.windows(2).all(|w| w[0] < w[1]), "inserted keys are sorted");

    let clock = Instant::now();
    assert!(s.sync_plan(&planned, now()).expect("second sync").is_empty());
    let second = clock.elapsed();

    let clock = Instant::now();
    assert_eq!(s.sync_plan(&planned[..50_000], now()).expect("third sync").cancelled.len(), 50_000);
    let third = clock.elapsed();
    println!("sync of 100,000 occurrences: insert {first:?}, unchanged {second:?}, cancel half {third:?}");

    let counts = s.counts().expect("counts");
    let total = |st: Status| counts.iter().filter(|c| c.status == st).map(|c| c.count).sum::<u64>();
    assert_eq!((total(Status::Scheduled), total(Status::Cancelled)), (50_000, 50_000));
}

// ---------------------------------------------------------------------------------------------
// claim, save_journal, finish, in_flight

#[test]
fn claim_marks_sending_before_the_first_request() {
    let k = key("p", "2027-03-08T09:00:00Z");
    let s = store_with(&[&k]);
    let at = t("2027-03-08T09:00:00.123456Z");
    let r = s.claim(&k, at).expect("claim");
    assert_eq!((r.status, r.attempts), (Status::Sending, 1));
    assert_eq!(r.attempt_started_at, Some(t("2027-03-08T09:00:00.123Z")), "kept to the millisecond");
    assert_eq!(s.get(&k).expect("get"), Some(r), "committed as returned");
}

#[test]
fn claim_refuses_anything_not_pending() {
    for target in Status::ALL.into_iter().filter(|s| !s.is_pending()) {
        let k = key("p", "2027-03-08T09:00:00Z");
        let s = store_with(&[&k]);
        put_in(&s, &k, target);
        let before = s.get(&k).expect("get");
        let err = s.claim(&k, now()).expect_err("refused");
        match target {
            Status::Sent => assert!(matches!(err, LedgerError::AlreadySent { .. }), "{err}"),
            _ => assert!(matches!(err, LedgerError::NotClaimable { status, .. } if status == target), "{err}"),
        }
        assert_eq!(s.get(&k).expect("get"), before, "a refused claim changes nothing");
    }
}

#[test]
fn claim_says_why_it_refuses() {
    let k = key("p", "2027-03-08T09:00:00Z");
    let s = store_with(&[&k]);
    put_in(&s, &k, Status::Sent);
    assert_eq!(
        s.claim(&k, now()).unwrap_err().to_string(),
        "iwd-2027/p/x-main/2027-03-08T09:00:00Z was already sent; it is never sent twice"
    );
    let other = key("q", "2027-03-08T09:00:00Z");
    let err = s.claim(&other, now()).unwrap_err();
    assert!(matches!(err, LedgerError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("herald status"), "{err}");
}

#[test]
fn a_retry_is_claimable_from_its_time_on() {
    let k = key("p", "2027-03-08T09:00:00Z");
    let s = store_with(&[&k]);
    s.claim(&k, now()).expect("claim");
    let retry_at = now() + TimeDelta::minutes(5);
    let r = s.finish(&k, Finish::Retry { at: retry_at, error: "HTTP 503".into() }, now()).expect("finish");
    assert_eq!((r.status, r.next_attempt_at, r.due_at()), (Status::Retrying, Some(retry_at), retry_at));
    assert_eq!(r.last_error.as_deref(), Some("HTTP 503"));

    let err = s.claim(&k, retry_at - TimeDelta::seconds(1)).expect_err("too early");
    assert!(matches!(err, LedgerError::NotDue { due, .. } if due == retry_at), "{err}");
    let r = s.claim(&k, retry_at).expect("due");
    assert_eq!((r.status, r.attempts, r.next_attempt_at), (Status::Sending, 2, None));
}

#[test]
fn the_journal_is_saved_while_sending_and_kept_for_the_next_attempt() {
    let k = key("p", "2027-03-08T09:00:00Z");
    let s = store_with(&[&k]);
    let journal = BTreeMap::from([("media".to_string(), "m-1".to_string())]);
    let err = s.save_journal(&k, &journal, now()).expect_err("not sending yet");
    assert!(matches!(err, LedgerError::NotSending { status: Status::Scheduled, .. }), "{err}");

    s.claim(&k, now()).expect("claim");
    s.save_journal(&k, &journal, now()).expect("saved");
    let mut more = journal.clone();
    more.insert("part-1".into(), "t-1".into());
    s.save_journal(&k, &more, now()).expect("saved");
    assert_eq!(s.get(&k).expect("get").expect("record").journal, more);

    s.finish(&k, Finish::Retry { at: now(), error: "connection refused".into() }, now()).expect("finish");
    assert_eq!(s.claim(&k, now()).expect("claim").journal, more, "the next attempt resumes from it");
    s.finish(&k, sent("7"), now()).expect("finish");
    assert!(matches!(s.save_journal(&k, &journal, now()), Err(LedgerError::NotSending { status: Status::Sent, .. })));
}

#[test]
fn finish_records_each_outcome() {
    let sent_at = t("2027-03-08T09:00:02Z");
    let cases = [
        (sent("42"), Status::Sent),
        (Finish::Failed { error: "duplicate content".into() }, Status::Failed),
        (Finish::Unknown { error: "timed out after sending".into() }, Status::Unknown),
        (Finish::Missed { reason: "down for 3 hours".into() }, Status::Missed),
    ];
    for (finish, expected) in cases {
        let k = key("p", "2027-03-08T09:00:00Z");
        let s = store_with(&[&k]);
        s.claim(&k, now()).expect("claim");
        let r = s.finish(&k, finish.clone(), sent_at).expect("finish");
        assert_eq!((r.status, r.updated_at, r.attempts), (expected, sent_at, 1), "{finish:?}");
        assert_eq!(s.get(&k).expect("get"), Some(r.clone()), "committed as returned");
        match finish {
            Finish::Sent { remote_id, url, text_hash } => {
                assert_eq!((r.remote_id, r.url, r.text_hash), (Some(remote_id), url, text_hash));
                assert_eq!(r.sent_at, Some(sent_at));
                assert_eq!(r.last_error, None);
            }
            Finish::Failed { error } | Finish::Unknown { error } | Finish::Missed { reason: error } => {
                assert_eq!(r.last_error, Some(error));
                assert_eq!((r.sent_at, r.remote_id), (None, None));
            }
            Finish::Retry { .. } => unreachable!("tested on its own"),
        }
    }
}

#[test]
fn finish_is_refused_unless_the_attempt_is_in_flight() {
    let outcomes = [
        sent("1"),
        Finish::Retry { at: now(), error: "e".into() },
        Finish::Failed { error: "e".into() },
        Finish::Unknown { error: "e".into() },
    ];
    for target in Status::ALL.into_iter().filter(|s| *s != Status::Sending) {
        for finish in outcomes.clone() {
            let k = key("p", "2027-03-08T09:00:00Z");
            let s = store_with(&[&k]);
            put_in(&s, &k, target);
            let before = s.get(&k).expect("get");
            let err = s.finish(&k, finish.clone(), now()).expect_err("refused");
            assert!(matches!(err, LedgerError::NotSending { status, .. } if status == target), "{target} {finish:?}");
            assert_eq!(s.get(&k).expect("get"), before);
        }
    }
}

#[test]
fn a_post_never_claimed_can_be_marked_missed() {
    for (target, allowed) in Status::ALL.map(|s| (s, s.is_pending() || s == Status::Sending)) {
        let k = key("p", "2027-03-08T09:00:00Z");
        let s = store_with(&[&k]);
        put_in(&s, &k, target);
        let result = s.finish(&k, Finish::Missed { reason: "2 h late, catch-up is 1 h".into() }, now());
        assert_eq!(result.is_ok(), allowed, "from {target}: {result:?}");
        if allowed {
            let r = s.get(&k).expect("get").expect("record");
            assert_eq!((r.status, r.next_attempt_at), (Status::Missed, None));
            assert_eq!(r.last_error.as_deref(), Some("2 h late, catch-up is 1 h"));
        }
    }
}

#[test]
fn in_flight_lists_what_was_left_sending_oldest_first() {
    let (a, b, c) =
        (key("a", "2027-03-08T09:00:00Z"), key("b", "2027-03-07T09:00:00Z"), key("c", "2027-03-06T09:00:00Z"));
    let s = store_with(&[&a, &b, &c]);
    assert!(s.in_flight().expect("in flight").is_empty());
    s.claim(&a, now()).expect("claim");
    s.claim(&b, now()).expect("claim");
    put_in(&s, &c, Status::Sent);
    let keys: Vec<OccurrenceKey> = s.in_flight().expect("in flight").into_iter().map(|r| r.key).collect();
    assert_eq!(keys, [b, a]);
}

// ---------------------------------------------------------------------------------------------
// resolve

#[test]
fn resolve_sent_records_the_url() {
    let k = key("p", "2027-03-08T09:00:00Z");
    let s = store_with(&[&k]);
    put_in(&s, &k, Status::Unknown);
    let err = s.resolve(&k, Resolution::Sent { url: " ".into() }, now()).expect_err("needs a URL");
    assert!(matches!(err, LedgerError::MissingUrl { .. }), "{err}");
    assert_eq!(status(&s, &k), Status::Unknown);

    let url = "https://x.com/hs/status/55";
    let r = s.resolve(&k, Resolution::Sent { url: url.into() }, now()).expect("resolve");
    assert_eq!((r.status, r.url.as_deref(), r.sent_at), (Status::Sent, Some(url), Some(now())));
    assert_eq!(r.last_error.as_deref(), Some("timeout"), "the history is kept");
    assert!(matches!(s.claim(&k, now()), Err(LedgerError::AlreadySent { .. })));
}

#[test]
fn resolve_retry_makes_it_due_now() {
    for target in [Status::Unknown, Status::Failed, Status::Missed, Status::Retrying] {
        let k = key("p", "2027-03-08T09:00:00Z");
        let s = store_with(&[&k]);
        put_in(&s, &k, target);
        let at = now() + TimeDelta::hours(3);
        let r = s.resolve(&k, Resolution::Retry, at).expect("resolve");
        assert_eq!((r.status, r.next_attempt_at, r.due_at()), (Status::Retrying, Some(at), at), "{target}");
        let attempts = r.attempts;
        assert_eq!(s.claim(&k, at).expect("claim").attempts, attempts + 1);
    }
}

#[test]
fn resolve_skip_is_final() {
    let k = key("p", "2027-03-08T09:00:00Z");
    let s = store_with(&[&k]);
    put_in(&s, &k, Status::Failed);
    assert_eq!(s.resolve(&k, Resolution::Skip, now()).expect("resolve").status, Status::Skipped);
    assert!(s.sync_plan(&[plan(&k, "text of p")], now()).expect("sync").is_empty());
    assert_eq!(status(&s, &k), Status::Skipped);
    assert!(matches!(s.claim(&k, now()), Err(LedgerError::NotClaimable { status: Status::Skipped, .. })));
}

#[test]
fn resolve_is_refused_where_nothing_needs_settling() {
    let resolutions = [Resolution::Sent { url: "https://x.com/s/1".into() }, Resolution::Retry, Resolution::Skip];
    for target in [Status::Scheduled, Status::Sending, Status::Sent, Status::Cancelled, Status::Skipped] {
        for resolution in resolutions.clone() {
            let k = key("p", "2027-03-08T09:00:00Z");
            let s = store_with(&[&k]);
            put_in(&s, &k, target);
            let before = (s.get(&k).expect("get"), s.changes().expect("changes"));
            let err = s.resolve(&k, resolution, now()).expect_err("refused");
            assert!(matches!(err, LedgerError::NotResolvable { status, .. } if status == target), "{err}");
            assert_eq!((s.get(&k).expect("get"), s.changes().expect("changes")), before);
        }
    }
}

#[test]
fn resolve_moves_the_change_counter() {
    let k = key("p", "2027-03-08T09:00:00Z");
    let s = store_with(&[&k]);
    put_in(&s, &k, Status::Unknown);
    let before = s.changes().expect("changes");
    s.resolve(&k, Resolution::Retry, now()).expect("resolve");
    assert_eq!(s.changes().expect("changes"), before + 1);
}

// ---------------------------------------------------------------------------------------------
// pauses, records, counts

fn scope(campaign: Option<&str>, channel: Option<&str>) -> PauseScope {
    PauseScope { campaign: campaign.map(Into::into), channel: channel.map(Into::into) }
}

#[test]
fn pause_switches_cover_their_scope_only() {
    let s = store();
    assert!(!s.is_paused("iwd-2027", "x-main").expect("paused?"));
    assert_eq!(s.changes().expect("changes"), 0);

    assert!(s.set_paused(&scope(None, Some("x-main")), true).expect("pause"));
    assert!(s.is_paused("iwd-2027", "x-main").expect("paused?"));
    assert!(s.is_paused("other", "x-main").expect("paused?"));
    assert!(!s.is_paused("iwd-2027", "ig-main").expect("paused?"));

    assert!(s.set_paused(&scope(Some("iwd-2027"), None), true).expect("pause"));
    assert!(s.is_paused("iwd-2027", "ig-main").expect("paused?"));
    assert!(!s.is_paused("other", "ig-main").expect("paused?"));

    assert!(s.set_paused(&scope(Some("other"), Some("ig-main")), true).expect("pause"));
    assert!(s.is_paused("other", "ig-main").expect("paused?"));
    assert!(!s.is_paused("other", "li-main").expect("paused?"));
    assert_eq!(s.changes().expect("changes"), 3);

    assert!(!s.set_paused(&scope(Some("other"), Some("ig-main")), true).expect("again"), "already on");
    assert_eq!(s.changes().expect("changes"), 3, "no change, no bump");
    assert_eq!(
        s.pauses().expect("pauses"),
        [scope(None, Some("x-main")), scope(Some("iwd-2027"), None), scope(Some("other"), Some("ig-main"))]
    );

    // Resuming a channel leaves the campaign's switch on.
    assert!(s.set_paused(&scope(None, Some("x-main")), false).expect("resume"));
    assert!(s.is_paused("iwd-2027", "x-main").expect("paused?"));
    assert!(!s.is_paused("other", "x-main").expect("paused?"));
    assert!(!s.set_paused(&scope(None, None), false).expect("nothing to resume"));
    assert_eq!(s.changes().expect("changes"), 4);

    assert!(s.set_paused(&PauseScope::default(), true).expect("pause everything"));
    assert!(s.is_paused("any", "thing").expect("paused?"));
    assert_eq!(PauseScope::default().to_string(), "everything");
}

#[test]
fn a_paused_occurrence_cannot_be_claimed() {
    let (a, b) = (on("x-main", "a", "2027-03-08T09:00:00Z"), on("ig-main", "b", "2027-03-08T09:00:00Z"));
    let s = store_with(&[&a, &b]);
    s.set_paused(&scope(None, Some("x-main")), true).expect("pause");
    let err = s.claim(&a, now()).expect_err("paused");
    assert!(
        matches!(&err, LedgerError::Paused { scope: found, .. } if **found == scope(None, Some("x-main"))),
        "{err}"
    );
    assert!(err.to_string().contains("herald resume"), "{err}");
    assert_eq!(status(&s, &a), Status::Scheduled);
    assert_eq!(s.claim(&b, now()).expect("another channel").status, Status::Sending);

    s.set_paused(&scope(None, Some("x-main")), false).expect("resume");
    assert_eq!(s.claim(&a, now()).expect("resumed").status, Status::Sending);
}

#[test]
fn records_are_filtered_and_ordered_by_time() {
    let a = on("x-main", "a", "2027-03-08T09:00:00Z");
    let b = on("ig-main", "b", "2027-03-09T09:00:00Z");
    let c = on("x-main", "c", "2027-03-10T09:00:00Z");
    let d = OccurrenceKey::new("other", "d", "x-main", t("2027-03-07T09:00:00Z")).expect("key");
    let s = store_with(&[&c, &a, &d, &b]);
    put_in(&s, &c, Status::Sent);
    let keys = |f: RecordFilter| -> Vec<OccurrenceKey> {
        s.records(&f).expect("records").into_iter().map(|r| r.key).collect()
    };
    let all = RecordFilter::default();
    assert_eq!(keys(all.clone()), [d.clone(), a.clone(), b.clone(), c.clone()]);
    assert_eq!(
        keys(RecordFilter { campaign: Some("iwd-2027".into()), ..all.clone() }),
        [a.clone(), b.clone(), c.clone()]
    );
    assert_eq!(keys(RecordFilter { channel: Some("x-main".into()), ..all.clone() }), [d.clone(), a.clone(), c.clone()]);
    assert_eq!(keys(RecordFilter { post: Some("b".into()), ..all.clone() }), std::slice::from_ref(&b));
    assert_eq!(keys(RecordFilter { statuses: vec![Status::Sent], ..all.clone() }), std::slice::from_ref(&c));
    assert_eq!(
        keys(RecordFilter {
            statuses: vec![Status::Sent, Status::Scheduled],
            channel: Some("x-main".into()),
            ..all.clone()
        }),
        [d.clone(), a.clone(), c.clone()]
    );
    let window = RecordFilter { from: Some(a.at()), until: Some(c.at()), ..all.clone() };
    assert_eq!(keys(window), [a.clone(), b.clone()], "from inclusive, until exclusive");
    assert_eq!(keys(RecordFilter { newest_first: true, limit: Some(2), ..all.clone() }), [c.clone(), b.clone()]);
    assert_eq!(keys(RecordFilter { campaign: Some("none".into()), ..all }), []);
}

#[test]
fn counts_are_per_campaign_channel_and_status() {
    let a = on("x-main", "a", "2027-03-08T09:00:00Z");
    let b = on("x-main", "b", "2027-03-09T09:00:00Z");
    let c = on("x-main", "c", "2027-03-10T09:00:00Z");
    let d = on("ig-main", "d", "2027-03-10T09:00:00Z");
    let s = store_with(&[&a, &b, &c, &d]);
    put_in(&s, &a, Status::Sent);
    put_in(&s, &b, Status::Unknown);
    let count =
        |channel: &str, status, count| Count { campaign: "iwd-2027".into(), channel: channel.into(), status, count };
    assert_eq!(
        s.counts().expect("counts"),
        [
            count("ig-main", Status::Scheduled, 1),
            count("x-main", Status::Scheduled, 1),
            count("x-main", Status::Sent, 1),
            count("x-main", Status::Unknown, 1),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// The file

fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(path).expect("open the ledger")
}

#[test]
fn first_run_creates_the_folder_and_a_private_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state/herald/ledger.db");
    let s = open(&path);
    assert_eq!(s.path(), path);
    assert!(path.is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
    let journal: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("journal mode");
    assert_eq!((version, journal.as_str()), (SCHEMA_VERSION, "wal"));
}

#[test]
fn an_empty_file_is_migrated_to_the_current_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    std::fs::write(&path, b"").expect("empty file");
    let k = key("p", "2027-03-08T09:00:00Z");
    open(&path).sync_plan(&[plan(&k, "p")], now()).expect("sync");
    // Opening an up-to-date ledger again migrates nothing and keeps its records.
    let s = open(&path);
    assert_eq!(status(&s, &k), Status::Scheduled);
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn everything_survives_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    let (a, b, c) =
        (key("a", "2027-03-08T09:00:00Z"), key("b", "2027-03-08T10:00:00Z"), key("c", "2027-03-08T11:00:00Z"));
    let before = {
        let s = open(&path);
        s.sync_plan(&[plan(&a, "A"), plan(&b, "B"), plan(&c, "C")], now()).expect("sync");
        s.claim(&a, now()).expect("claim");
        s.save_journal(&a, &BTreeMap::from([("media".into(), "m-1".into())]), now()).expect("journal");
        s.finish(&a, sent("1"), now()).expect("finish");
        s.claim(&b, now()).expect("claim");
        s.finish(&b, Finish::Unknown { error: "timeout".into() }, now()).expect("finish");
        s.set_paused(&scope(None, Some("x-main")), true).expect("pause");
        (
            s.records(&RecordFilter::default()).expect("records"),
            s.pauses().expect("pauses"),
            s.changes().expect("changes"),
        )
    };
    let s = open(&path);
    let after = (
        s.records(&RecordFilter::default()).expect("records"),
        s.pauses().expect("pauses"),
        s.changes().expect("changes"),
    );
    assert_eq!(after, before);
    assert_eq!(after.0.len(), 3);
}

/// The crashing half of [`a_crash_while_sending_leaves_the_attempt_in_flight`]: does nothing unless
/// run by it as a child process.
#[test]
fn crash_child_process() {
    let Some(path) = std::env::var_os("HERALD_LEDGER_CRASH_CHILD") else { return };
    let s = open(Path::new(&path));
    let k = key("p", "2027-03-08T09:00:00Z");
    s.claim(&k, now()).expect("claim");
    s.save_journal(&k, &BTreeMap::from([("media".into(), "m-1".into())]), now()).expect("journal");
    // Dies before the answer comes: no destructor, no checkpoint, no clean close.
    std::process::abort();
}

#[test]
fn a_crash_while_sending_leaves_the_attempt_in_flight() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    let k = key("p", "2027-03-08T09:00:00Z");
    open(&path).sync_plan(&[plan(&k, "text of p")], now()).expect("sync");

    let exe = std::env::current_exe().expect("the test binary");
    let child = std::process::Command::new(exe)
        .args(["--exact", "ledger::tests::crash_child_process", "--nocapture", "--test-threads=1"])
        .env("HERALD_LEDGER_CRASH_CHILD", &path)
        .output()
        .expect("run the child");
    assert!(!child.status.success(), "the child must crash: {}", String::from_utf8_lossy(&child.stdout));

    let s = open(&path);
    let flying = s.in_flight().expect("in flight");
    assert_eq!(flying.len(), 1, "{flying:?}");
    let r = &flying[0];
    assert_eq!((&r.key, r.status, r.attempts, r.attempt_started_at), (&k, Status::Sending, 1, Some(now())));
    assert_eq!(r.journal.get("media").map(String::as_str), Some("m-1"));
    // Never re-sent blindly: a new claim is refused until the daemon reconciles it.
    assert!(matches!(s.claim(&k, now()), Err(LedgerError::NotClaimable { status: Status::Sending, .. })));
    s.finish(&k, Finish::Retry { at: now(), error: "not found on the account".into() }, now()).expect("reconcile");
    assert_eq!(s.claim(&k, now()).expect("claim").attempts, 2);
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read the file")
}

#[test]
fn a_ledger_from_a_newer_herald_is_refused_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    drop(open(&path));
    {
        let conn = rusqlite::Connection::open(&path).expect("sqlite");
        conn.execute_batch(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1)).expect("bump");
    }
    let before = bytes(&path);
    let err = SqliteStore::open(&path).expect_err("refused");
    assert!(
        matches!(err, LedgerError::TooNew { found, supported, .. } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION)
    );
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()) && message.contains("newer herald"), "{message}");
    assert!(message.contains("upgrade herald"), "{message}");
    assert_eq!(bytes(&path), before, "not modified");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    let garbage = "this is a note, not a database\n".repeat(200);
    std::fs::write(&path, &garbage).expect("write");
    let err = SqliteStore::open(&path).expect_err("refused");
    let message = err.to_string();
    assert!(matches!(err, LedgerError::NotALedger { .. }), "{message}");
    assert!(message.contains(&path.display().to_string()) && message.contains("not a SQLite database"), "{message}");
    assert_eq!(bytes(&path), garbage.as_bytes(), "not modified");
}

#[test]
fn another_programs_database_is_refused_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("sqlite");
        conn.execute_batch("CREATE TABLE users (name TEXT)").expect("a table");
    }
    let before = bytes(&path);
    let err = SqliteStore::open(&path).expect_err("refused");
    assert!(matches!(err, LedgerError::NotALedger { .. }), "{err}");
    assert!(err.to_string().contains("tables herald did not create"), "{err}");
    assert_eq!(bytes(&path), before);
}

#[test]
fn a_folder_that_cannot_be_created_is_reported_with_its_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").expect("write");
    let path = blocker.join("ledger.db");
    let err = SqliteStore::open(&path).expect_err("refused");
    assert!(matches!(err, LedgerError::Open { .. }), "{err}");
    assert!(err.to_string().contains(&path.display().to_string()), "{err}");
}

#[test]
fn another_process_pause_is_seen_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    let daemon = open(&path);
    let command = open(&path);
    let seen = daemon.changes().expect("changes");

    command.set_paused(&scope(Some("iwd-2027"), None), true).expect("pause");
    assert!(daemon.changes().expect("changes") > seen);
    assert!(daemon.is_paused("iwd-2027", "x-main").expect("paused?"));
    assert_eq!(daemon.pauses().expect("pauses"), [scope(Some("iwd-2027"), None)]);

    let seen = daemon.changes().expect("changes");
    command.set_paused(&scope(Some("iwd-2027"), None), false).expect("resume");
    assert!(daemon.changes().expect("changes") > seen);
    assert!(!daemon.is_paused("iwd-2027", "x-main").expect("paused?"));
}

#[test]
fn two_processes_racing_for_one_occurrence_claim_it_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    let mut keys: Vec<OccurrenceKey> = (0..50).map(|i| key(&format!("p{i:02}"), "2027-03-08T09:00:00Z")).collect();
    keys.sort();
    let planned: Vec<Planned> = keys.iter().map(|k| plan(k, "t")).collect();
    open(&path).sync_plan(&planned, now()).expect("sync");

    let stores = [open(&path), open(&path)];
    let claimed: Vec<Vec<OccurrenceKey>> = std::thread::scope(|scope| {
        let handles: Vec<_> = stores
            .iter()
            .map(|s| {
                let keys = &keys;
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    for k in keys {
                        match s.claim(k, now()) {
                            Ok(r) => mine.push(r.key),
                            Err(LedgerError::NotClaimable { status: Status::Sending, .. }) => {}
                            Err(e) => panic!("unexpected: {e}"),
                        }
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    let mut all: Vec<OccurrenceKey> = claimed.concat();
    all.sort();
    assert_eq!(all, keys, "each claimed exactly once");
    assert!(open(&path).records(&RecordFilter::default()).expect("records").iter().all(|r| r.attempts == 1));
}

#[test]
fn a_plan_without_texts_reports_no_edits_and_keeps_the_hashes() {
    let (a, b) = (key("a", "2027-03-08T09:00:00Z"), key("b", "2027-03-08T10:00:00Z"));
    let s = store_with(&[&a, &b]);
    s.claim(&b, now()).expect("claim");
    s.finish(&b, Finish::Sent { remote_id: "9".into(), url: None, text_hash: text_hash("sent") }, now())
        .expect("finish");
    let unknown = |k: &OccurrenceKey| Planned { key: k.clone(), text_hash: String::new() };
    let report = s.sync_plan(&[unknown(&a), unknown(&b)], now()).expect("sync");
    assert!(report.is_empty(), "{report:?}");
    assert_eq!(s.get(&a).expect("get").expect("a").text_hash, text_hash("text of a"));
    assert_eq!(s.get(&b).expect("get").expect("b").text_hash, text_hash("sent"));
}
