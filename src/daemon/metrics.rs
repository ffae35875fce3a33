//! What the daemon has done, for `/metrics` (Prometheus text format) and `/healthz`.
//!
//! Owns the counters (posts sent, failed, unknown and missed per channel), the lateness histogram
//! (actual request time minus scheduled time), the next due time and whether the ledger is usable,
//! and the small HTTP listener that serves them. The listener is off unless `[daemon] listen` is set,
//! and answers only `GET`.
//!
//! `/healthz` is `200 ok` while the daemon can do its job, and `503` with the reason while the ledger
//! fails (a write or a read that decides what goes out): posts are held then, so a monitor must see
//! it. The daemon clears it once the ledger takes a write again.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Upper bounds of the lateness histogram, in seconds.
const LATENESS_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 3600.0];

/// Per-channel counts of final outcomes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub sent: u64,
    pub failed: u64,
    pub unknown: u64,
    pub missed: u64,
    pub retried: u64,
}

#[derive(Debug, Default)]
struct Inner {
    channels: BTreeMap<String, Counts>,
    /// Counts per bucket (the last is +Inf), and the sum.
    lateness: Vec<u64>,
    lateness_sum: f64,
    lateness_count: u64,
    next_due: Option<DateTime<Utc>>,
    reloads_failed: u64,
    wakes: u64,
    /// Why the ledger cannot be used, while it cannot.
    ledger_trouble: Option<String>,
}

/// The daemon's counters, shared by its tasks.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

/// Which counter an event adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Sent,
    Failed,
    Unknown,
    Missed,
    Retried,
}

impl Metrics {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    pub fn count(&self, channel: &str, event: Event) {
        self.with(|i| {
            let c = i.channels.entry(channel.to_string()).or_default();
            match event {
                Event::Sent => c.sent += 1,
                Event::Failed => c.failed += 1,
                Event::Unknown => c.unknown += 1,
                Event::Missed => c.missed += 1,
                Event::Retried => c.retried += 1,
            }
        });
    }

    /// Records how late a request left (`seconds` ≥ 0).
    pub fn lateness(&self, seconds: f64) {
        self.with(|i| {
            if i.lateness.is_empty() {
                i.lateness = vec![0; LATENESS_BUCKETS.len() + 1];
            }
            let bucket = LATENESS_BUCKETS.iter().position(|b| seconds <= *b).unwrap_or(LATENESS_BUCKETS.len());
            i.lateness[bucket] += 1;
            i.lateness_sum += seconds;
            i.lateness_count += 1;
        });
    }

    pub fn set_next_due(&self, at: Option<DateTime<Utc>>) {
        self.with(|i| i.next_due = at);
    }

    /// Counts one wake-up of the scheduler loop.
    pub fn woke(&self) {
        self.with(|i| i.wakes += 1);
    }

    /// How many times the scheduler loop has woken.
    pub fn wakes(&self) -> u64 {
        self.with(|i| i.wakes)
    }

    /// How many lateness samples were recorded, and their sum in seconds.
    pub fn lateness_total(&self) -> (u64, f64) {
        self.with(|i| (i.lateness_count, i.lateness_sum))
    }

    /// Says why the ledger cannot be used now (`/healthz` fails with it), or, with `None`, that it can.
    pub fn set_ledger_trouble(&self, why: Option<String>) {
        self.with(|i| i.ledger_trouble = why);
    }

    /// Why the ledger cannot be used, while it cannot.
    pub fn ledger_trouble(&self) -> Option<String> {
        self.with(|i| i.ledger_trouble.clone())
    }

    pub fn reload_failed(&self) {
        self.with(|i| i.reloads_failed += 1);
    }

    pub fn counts(&self, channel: &str) -> Counts {
        self.with(|i| i.channels.get(channel).copied().unwrap_or_default())
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        self.with(|i| {
            let mut out = String::new();
            for (name, help, pick) in [
                ("herald_posts_sent_total", "Posts published.", (|c: &Counts| c.sent) as fn(&Counts) -> u64),
                ("herald_posts_failed_total", "Posts that failed for good.", |c| c.failed),
                ("herald_posts_unknown_total", "Posts whose outcome is unknown (a person must resolve them).", |c| {
                    c.unknown
                }),
                ("herald_posts_missed_total", "Posts found too late to publish.", |c| c.missed),
                ("herald_posts_retried_total", "Attempts that will be tried again.", |c| c.retried),
            ] {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
                for (channel, c) in &i.channels {
                    let _ = writeln!(out, "{name}{{channel=\"{}\"}} {}", escape(channel), pick(c));
                }
            }
            let name = "herald_publish_lateness_seconds";
            let _ = writeln!(out, "# HELP {name} Actual request time minus scheduled time.\n# TYPE {name} histogram");
            let mut cumulative = 0;
            for (b, le) in LATENESS_BUCKETS.iter().enumerate() {
                cumulative += i.lateness.get(b).copied().unwrap_or(0);
                let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
            }
            let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", i.lateness_count);
            let _ = writeln!(out, "{name}_sum {}\n{name}_count {}", i.lateness_sum, i.lateness_count);
            let name = "herald_next_due_timestamp_seconds";
            let _ =
                writeln!(out, "# HELP {name} When the next post is due (Unix time; 0 when none).\n# TYPE {name} gauge");
            let _ = writeln!(out, "{name} {}", i.next_due.map_or(0, |t| t.timestamp()));
            let name = "herald_scheduler_wakeups_total";
            let _ = writeln!(
                out,
                "# HELP {name} Times the scheduler woke (deadlines, events, the sleep cap).\n# TYPE {name} counter"
            );
            let _ = writeln!(out, "{name} {}", i.wakes);
            let name = "herald_reloads_failed_total";
            let _ =
                writeln!(out, "# HELP {name} Reloads refused because the config had errors.\n# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", i.reloads_failed);
            let name = "herald_ledger_unusable";
            let _ = writeln!(
                out,
                "# HELP {name} 1 while the ledger fails and the posts it decides are held, else 0.\n# TYPE {name} gauge"
            );
            let _ = writeln!(out, "{name} {}", u8::from(i.ledger_trouble.is_some()));
            out
        })
    }
}

/// The longest request head the listener reads (its requests have no body).
const MAX_HEAD: usize = 8192;

/// Reads a request up to the blank line that ends its head (a request may arrive in several pieces),
/// at most [`MAX_HEAD`] bytes, or until the client stops sending.
async fn read_head(socket: &mut tokio::net::TcpStream) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(head)
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Serves `/healthz` and `/metrics` on `addr` until the task is dropped. Returns the bound address
/// (useful when `addr` has port 0).
pub async fn serve(
    addr: SocketAddr,
    metrics: std::sync::Arc<Metrics>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                // Out of file descriptors or similar: wait instead of spinning.
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            };
            let metrics = metrics.clone();
            tokio::spawn(async move {
                let head = match tokio::time::timeout(std::time::Duration::from_secs(5), read_head(&mut socket)).await {
                    Ok(Ok(head)) => head,
                    _ => return,
                };
                let request = String::from_utf8_lossy(&head);
                let mut words = request.split_whitespace();
                let (status, content_type, body) = match (words.next(), words.next()) {
                    (Some("GET"), Some("/healthz")) => match metrics.ledger_trouble() {
                        None => ("200 OK", "text/plain", "ok\n".to_string()),
                        Some(why) => ("503 Service Unavailable", "text/plain", format!("ledger unusable: {why}\n")),
                    },
                    (Some("GET"), Some("/metrics")) => ("200 OK", "text/plain; version=0.0.4", metrics.render()),
                    (Some("GET"), _) => ("404 Not Found", "text/plain", "not found: try /healthz or /metrics\n".into()),
                    _ => ("405 Method Not Allowed", "text/plain", "only GET\n".into()),
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    Ok((bound, task))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_the_histogram_are_exposed_per_channel() {
        let m = Metrics::default();
        m.count("x", Event::Sent);
        m.count("x", Event::Sent);
        m.count("linkedin", Event::Unknown);
        m.lateness(0.003);
        m.lateness(0.2);
        m.lateness(7200.0);
        let text = m.render();
        assert!(text.contains("herald_posts_sent_total{channel=\"x\"} 2"), "{text}");
        assert!(text.contains("herald_posts_unknown_total{channel=\"linkedin\"} 1"), "{text}");
        assert!(text.contains("herald_publish_lateness_seconds_bucket{le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("herald_publish_lateness_seconds_bucket{le=\"0.25\"} 2"), "{text}");
        assert!(text.contains("herald_publish_lateness_seconds_bucket{le=\"3600\"} 2"), "{text}");
        assert!(text.contains("herald_publish_lateness_seconds_bucket{le=\"+Inf\"} 3"), "{text}");
        assert!(text.contains("herald_next_due_timestamp_seconds 0"), "{text}");
    }

    #[tokio::test]
    async fn the_listener_answers_health_and_metrics() {
        let m = std::sync::Arc::new(Metrics::default());
        m.count("x", Event::Missed);
        let (addr, task) = serve("127.0.0.1:0".parse().unwrap(), m).await.unwrap();
        let get = |path: &'static str| async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes()).await.unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).await.unwrap();
            out
        };
        assert!(get("/healthz").await.starts_with("HTTP/1.1 200 OK"));
        assert!(get("/metrics").await.contains("herald_posts_missed_total{channel=\"x\"} 1"));
        assert!(get("/nope").await.starts_with("HTTP/1.1 404"));
        task.abort();
    }

    #[tokio::test]
    async fn health_fails_with_the_reason_while_the_ledger_is_unusable_and_recovers() {
        let m = std::sync::Arc::new(Metrics::default());
        let (addr, task) = serve("127.0.0.1:0".parse().unwrap(), m.clone()).await.unwrap();
        let get = |path: &'static str| async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes()).await.unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).await.unwrap();
            out
        };
        m.set_ledger_trouble(Some("cannot claim a due post: the disk is full".into()));
        let health = get("/healthz").await;
        assert!(health.starts_with("HTTP/1.1 503 Service Unavailable"), "{health}");
        assert!(health.ends_with("ledger unusable: cannot claim a due post: the disk is full\n"), "{health}");
        assert!(get("/metrics").await.contains("herald_ledger_unusable 1"));
        m.set_ledger_trouble(None);
        assert!(get("/healthz").await.starts_with("HTTP/1.1 200 OK"));
        assert!(get("/metrics").await.contains("herald_ledger_unusable 0"));
        task.abort();
    }

    #[tokio::test]
    async fn a_request_arriving_in_pieces_is_read_whole() {
        let (addr, task) =
            serve("127.0.0.1:0".parse().unwrap(), std::sync::Arc::new(Metrics::default())).await.unwrap();
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /hea").await.unwrap();
        s.flush().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        s.write_all(b"lthz HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
        task.abort();
    }
}
