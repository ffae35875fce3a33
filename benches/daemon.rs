//! The daemon's figures: `cargo bench --bench daemon [-- precision|burst|footprint] [--posts N]
//! [--seconds S] [--idle-seconds S]`.
//!
//! - **precision**: 10,000 publications (2,500 per platform) due at distinct seconds over 60 seconds,
//!   against the four fakes; lateness is the moment herald claims the post (durably `sending`, right
//!   before its first request) minus its scheduled time, read from the ledger.
//! - **burst**: 10,000 publications due at the same second, the fakes answering every request in 50 ms
//!   (through a delaying proxy), under each platform's concurrency cap: the time to drain against the
//!   ideal (requests × 50 ms ÷ concurrency, per platform; the slowest platform sets the pace).
//! - **footprint**: `herald run` (the release binary) idle with 100,000 future occurrences: resident
//!   memory, and how often its threads wake in a minute (voluntary context switches, from /proc).

#[path = "../tests/support/fake_facebook.rs"]
mod fake_facebook;
#[path = "../tests/support/fake_instagram.rs"]
mod fake_instagram;
#[path = "../tests/support/fake_linkedin.rs"]
mod fake_linkedin;
#[path = "../tests/support/fake_platforms.rs"]
mod fake_platforms;
#[path = "../tests/support/fake_x.rs"]
mod fake_x;
#[path = "../tests/support/openapi.rs"]
mod openapi;
#[path = "../tests/support/shared_data.rs"]
mod shared_data;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike as _, Timelike as _, Utc};
use fake_platforms::FakePlatforms;
use herald::daemon::clock::Clock;
use herald::daemon::{Control, Daemon, Options};
use herald::ledger::sqlite::SqliteStore;
use herald::ledger::{RecordFilter, Status, Store};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const JPEG: &[u8] = herald::channels::media::SMALLEST_JPEG;
const PLATFORMS: [&str; 4] = ["x", "instagram", "linkedin", "facebook"];

fn arg(args: &[String], name: &str) -> Option<u64> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which: Vec<&str> =
        ["precision", "burst", "footprint"].into_iter().filter(|w| args.iter().any(|a| a == w)).collect();
    let which = if which.is_empty() { vec!["precision", "burst", "footprint"] } else { which };
    let posts = arg(&args, "--posts").unwrap_or(10_000) as usize;
    let seconds = arg(&args, "--seconds").unwrap_or(60);
    let idle = arg(&args, "--idle-seconds").unwrap_or(60);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    for w in which {
        match w {
            "precision" => rt.block_on(precision(posts, seconds)),
            "burst" => rt.block_on(burst(posts)),
            _ => footprint(idle),
        }
    }
}

/// The four fakes, Instagram's daily cap lifted: the benchmark measures herald, not Meta's 50 posts a
/// day.
async fn fakes() -> FakePlatforms {
    let fakes = FakePlatforms::start().await;
    fakes.instagram.set_quota_total(1_000_000);
    fakes
}

/// A project whose channels point at `uris` (credentials in a private secrets file), with one campaign
/// per platform holding `per_platform` posts; `when(i)` gives post i's cron rule; `concurrency`, when
/// set, replaces every channel's cap.
fn project(
    dir: &Path,
    uris: &[String; 4],
    per_platform: usize,
    when: &dyn Fn(usize) -> String,
    concurrency: Option<u32>,
) {
    std::fs::create_dir_all(dir.join("config")).unwrap();
    std::fs::create_dir_all(dir.join("campaigns/media")).unwrap();
    std::fs::write(dir.join("campaigns/media/card.jpg"), JPEG).unwrap();
    // The daemon runs in this process: credentials come from a secrets file, not the environment.
    let channels = FakePlatforms::channels_at(uris).replace("\"env:", "\"file:");
    let config = format!("secrets_file = \"secrets.toml\"\n[daemon]\nmax_attempts = 1\n\n{channels}");
    let config = match concurrency {
        Some(n) => config.replace("platform = ", &format!("concurrency = {n}\nplatform = ")),
        None => config,
    };
    std::fs::write(dir.join("config/herald.toml"), config).unwrap();
    let secrets: String =
        FakePlatforms::environment().iter().map(|(name, value)| format!("{name} = \"{value}\"\n")).collect();
    std::fs::write(dir.join("secrets.toml"), secrets).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir.join("secrets.toml"), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let year = Utc::now().year();
    for platform in PLATFORMS {
        let mut text = format!(
            "[campaign]\nid = \"bench-{platform}\"\nname = \"Bench\"\ntimezone = \"UTC\"\nchannels = [\"{platform}\"]\nstarts = {year}-01-01\nends = {year}-12-31\n\n"
        );
        for i in 0..per_platform {
            text.push_str(&format!(
                "[[post]]\nid = \"p{i:05}\"\ncron = \"{}\"\ntext = \"Human security for all, {platform} post {i} of the benchmark.\"\n",
                when(i)
            ));
            if platform == "instagram" {
                text.push_str("media = [{ file = \"media/card.jpg\", alt = \"HS4A card\" }]\n");
            }
            text.push('\n');
        }
        std::fs::write(dir.join(format!("campaigns/bench-{platform}.toml")), text).unwrap();
    }
}

/// A cron rule firing once, at `t` (UTC).
fn once_at(t: DateTime<Utc>) -> String {
    format!("{} {} {} {} {} *", t.second(), t.minute(), t.hour(), t.day(), t.month())
}

async fn run_daemon(dir: &Path) -> (Arc<SqliteStore>, tokio::sync::mpsc::Sender<Control>, tokio::task::JoinHandle<()>) {
    let store = Arc::new(SqliteStore::open(dir.join(".herald/ledger.sqlite")).expect("ledger"));
    let options =
        Options { root: dir.to_path_buf(), dry_run: false, state_dir: Some(dir.join(".herald")), clock: Clock::System };
    let daemon = Daemon::start(options, store.clone()).await.expect("daemon starts");
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let task = tokio::spawn(daemon.run(rx));
    (store, tx, task)
}

fn settled(store: &SqliteStore) -> (usize, usize) {
    let pending = RecordFilter {
        statuses: vec![Status::Scheduled, Status::Sending, Status::Retrying],
        ..RecordFilter::default()
    };
    let sent = RecordFilter { statuses: vec![Status::Sent], ..RecordFilter::default() };
    (store.records(&pending).map_or(usize::MAX, |r| r.len()), store.records(&sent).map_or(0, |r| r.len()))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn precision(total: usize, seconds: u64) {
    let f = fakes().await;
    let dir = tempfile::tempdir().unwrap();
    let per = total / 4;
    // Starting 15 s from now leaves time to load and plan; then one post every seconds/per seconds.
    let start = (Utc::now() + chrono::Duration::seconds(15)).with_nanosecond(0).unwrap();
    let when = |i: usize| once_at(start + chrono::Duration::seconds((i as u64 * seconds / per as u64) as i64));
    // 167 publications a second is far beyond any real account; the platforms' default caps (2 in
    // flight on Instagram, whose flow is five requests) would queue them. Each channel gets 16.
    project(dir.path(), &f.uris(), per, &when, Some(16));
    let (store, tx, task) = run_daemon(dir.path()).await;
    let deadline = Instant::now() + Duration::from_secs(seconds + 120);
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (pending, _) = settled(&store);
        if (pending == 0 && Utc::now() > start + chrono::Duration::seconds(seconds as i64)) || Instant::now() > deadline
        {
            break;
        }
    }
    tx.send(Control::Shutdown).await.ok();
    task.await.ok();
    let records = store.records(&RecordFilter::default()).unwrap();
    let mut late: Vec<f64> = records
        .iter()
        .filter_map(|r| Some((r.attempt_started_at? - r.key.at()).num_microseconds()? as f64 / 1000.0))
        .collect();
    late.sort_by(f64::total_cmp);
    let sent = records.iter().filter(|r| r.status == Status::Sent).count();
    for platform in PLATFORMS {
        let mut mine: Vec<f64> = records
            .iter()
            .filter(|r| r.key.channel() == platform)
            .filter_map(|r| Some((r.attempt_started_at? - r.key.at()).num_microseconds()? as f64 / 1000.0))
            .collect();
        mine.sort_by(f64::total_cmp);
        println!("precision: {platform}: p50 {:.1} ms, p99 {:.1} ms", percentile(&mine, 0.5), percentile(&mine, 0.99));
    }
    for r in records.iter().filter(|r| r.status != Status::Sent).take(3) {
        println!("precision: not sent: {} {} {:?}", r.key, r.status, r.last_error);
    }
    println!(
        "precision: {} publications over {seconds} s ({} sent): lateness p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (aim: p99 < 50 ms)",
        records.len(),
        sent,
        percentile(&late, 0.5),
        percentile(&late, 0.99),
        late.last().copied().unwrap_or(f64::NAN)
    );
}

/// A TCP proxy to `upstream` that delivers each answer no sooner than `delay` after the request's
/// last bytes: every request takes at least `delay`.
async fn delaying_proxy(upstream: String, delay: Duration) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let target = upstream.trim_start_matches("http://").to_string();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else { continue };
            let target = target.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(&target).await else { return };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let last_request = Arc::new(Mutex::new(Instant::now()));
                let lr = last_request.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = cr.read(&mut buf).await {
                        if n == 0 || sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                        *lr.lock().unwrap() = Instant::now();
                    }
                });
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = sr.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    let due = *last_request.lock().unwrap() + delay;
                    tokio::time::sleep_until(due.into()).await;
                    if cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

async fn burst(total: usize) {
    let f = fakes().await;
    let delay = Duration::from_millis(50);
    let mut proxied = Vec::new();
    for uri in &f.uris() {
        proxied.push(delaying_proxy(uri.clone(), delay).await);
    }
    let uris: [String; 4] = proxied.try_into().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let per = total / 4;
    let due = (Utc::now() + chrono::Duration::seconds(20)).with_nanosecond(0).unwrap();
    project(dir.path(), &uris, per, &|_| once_at(due), None);
    let (store, tx, task) = run_daemon(dir.path()).await;
    let wait = (due - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait).await;
    let began = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (pending, _) = settled(&store);
        if pending == 0 || began.elapsed() > Duration::from_secs(3600) {
            break;
        }
    }
    let drained = began.elapsed();
    tx.send(Control::Shutdown).await.ok();
    task.await.ok();
    let (_, sent) = settled(&store);
    // Requests per post, as each adapter makes them (text posts; Instagram: limit, container,
    // status, publish, permalink).
    let records = store.records(&RecordFilter::default()).unwrap();
    let requests = [("x", 1.0), ("instagram", 5.0), ("linkedin", 1.0), ("facebook", 1.0)];
    let mut ideal = Duration::ZERO;
    for (name, per_post) in requests {
        // The platform's own cap, as the daemon applies it.
        let concurrency = name.parse::<herald::channels::Platform>().map_or(1, |p| p.rules().concurrency) as f64;
        let t = Duration::from_secs_f64(per as f64 * per_post * delay.as_secs_f64() / concurrency);
        let last = records.iter().filter(|r| r.key.channel() == name).filter_map(|r| r.sent_at).max();
        let took = last.map_or(f64::NAN, |l| (l - due).num_milliseconds() as f64 / 1000.0);
        println!(
            "burst: {name}: {per} posts × {per_post} requests × 50 ms ÷ {concurrency} = ideal {:.1} s; drained in {took:.1} s ({:.2}×)",
            t.as_secs_f64(),
            took / t.as_secs_f64()
        );
        ideal = ideal.max(t);
    }
    println!(
        "burst: {sent} of {} publications drained in {:.1} s; ideal {:.1} s; ratio {:.2} (aim: within 1.2×)",
        per * 4,
        drained.as_secs_f64(),
        ideal.as_secs_f64(),
        drained.as_secs_f64() / ideal.as_secs_f64()
    );
}

fn footprint(idle: u64) {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // 100,000 future occurrences: hourly posts on four channels for the rest of the year and the next.
    std::fs::create_dir_all(dir.join("config")).unwrap();
    std::fs::create_dir_all(dir.join("campaigns")).unwrap();
    std::fs::write(
        dir.join("config/herald.toml"),
        "[channels.x]\nplatform = \"twitter\"\nhandle = \"@a\"\n[channels.li]\nplatform = \"linkedin\"\nhandle = \"@a\"\n[channels.fb]\nplatform = \"facebook\"\nhandle = \"@a\"\n[channels.x2]\nplatform = \"twitter\"\nhandle = \"@b\"\n",
    )
    .unwrap();
    let from = Utc::now().date_naive() + chrono::Duration::days(1);
    let days = 100_000 / (24 * 4) + 1;
    let to = from + chrono::Duration::days(days as i64);
    std::fs::write(
        dir.join("campaigns/hourly.toml"),
        format!(
            "[campaign]\nid = \"hourly\"\nname = \"Hourly\"\ntimezone = \"UTC\"\nchannels = [\"x\", \"li\", \"fb\", \"x2\"]\nstarts = {from}\nends = {to}\n\n[[post]]\nid = \"hourly\"\ncron = \"0 0 * * * *\"\ntext = \"Every hour: human security for all, {{{{ post.date }}}}.\"\n"
        ),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("-C")
        .arg(dir)
        .arg("run")
        .env("RUST_LOG", "warn")
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("herald run");
    let pid = child.id();
    std::thread::sleep(Duration::from_secs(10)); // load, check, plan, sync
    let switches = || -> u64 {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return 0 };
        tasks
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("status")).ok())
            .filter_map(|s| {
                s.lines()
                    .find(|l| l.starts_with("voluntary_ctxt_switches"))?
                    .split_whitespace()
                    .nth(1)?
                    .parse::<u64>()
                    .ok()
            })
            .sum()
    };
    let rss = || -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS"))?.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    };
    let before = switches();
    std::thread::sleep(Duration::from_secs(idle));
    let after = switches();
    let occurrences = days * 24 * 4;
    println!(
        "footprint: idle `herald run` with about {occurrences} future occurrences: resident memory {:.1} MiB (aim < 30 MB); {} thread wake-ups in {idle} s, {:.1} per minute (the sleep cap is 60 s)",
        rss() as f64 / 1024.0,
        after - before,
        (after - before) as f64 * 60.0 / idle as f64
    );
    let _ = child.kill();
    let _ = child.wait();
}
