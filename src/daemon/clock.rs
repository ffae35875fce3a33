//! The daemon's idea of "now": the system clock in production, tokio's (pausable) clock in tests, and
//! a virtual clock for a rehearsal (`herald run --dry-run --from`).
//!
//! Deadlines are wall-clock instants (`DateTime<Utc>`); sleeps are tokio sleeps. A [`Clock`] made
//! with [`Clock::tokio`] derives the wall clock from tokio's clock, so a test with paused time
//! advances both together and the scheduler can be tested without waiting. A [`Rehearsal`] starts at
//! a chosen moment and either runs `speed` times faster than real time or, without a speed, jumps
//! straight to each deadline when the daemon has nothing in flight (the loop asks
//! [`Clock::jumps`] and waits for its tasks first), so a month of posts plays in moments and in order.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    /// `base` at the tokio instant `start`, advancing with tokio's clock.
    Tokio {
        base: DateTime<Utc>,
        start: tokio::time::Instant,
    },
    /// A rehearsal's virtual time (one per process: it lives as long as the daemon).
    Rehearsal(&'static Rehearsal),
}

/// A rehearsal's virtual clock: where it starts, how fast it goes, and where it stops.
#[derive(Debug)]
pub struct Rehearsal {
    from: DateTime<Utc>,
    /// The last moment played (`None`: until the schedule is exhausted).
    pub to: Option<DateTime<Utc>>,
    /// How many times faster than real time (`None`: jump from deadline to deadline).
    pub speed: Option<u32>,
    /// The real moment the rehearsal started (for `speed`).
    start: tokio::time::Instant,
    /// Microseconds since `from` the clock has jumped to (without `speed`).
    jumped: AtomicI64,
}

impl Rehearsal {
    /// A virtual clock reading `from` now. It lives for the rest of the process (a rehearsal is the
    /// process's one daemon), so that [`Clock`] stays `Copy`.
    pub fn start(from: DateTime<Utc>, to: Option<DateTime<Utc>>, speed: Option<u32>) -> &'static Self {
        Box::leak(Box::new(Self {
            from,
            to,
            speed: speed.map(|s| s.max(1)),
            start: tokio::time::Instant::now(),
            jumped: AtomicI64::new(0),
        }))
    }

    fn now(&self) -> DateTime<Utc> {
        match self.speed {
            Some(speed) => {
                let real = self.start.elapsed().saturating_mul(speed);
                self.from + chrono::Duration::from_std(real).unwrap_or(chrono::Duration::MAX)
            }
            None => self.from + chrono::Duration::microseconds(self.jumped.load(Ordering::SeqCst)),
        }
    }
}

impl Clock {
    /// A clock that reads `base` now and advances with tokio's clock (paused or not).
    pub fn tokio(base: DateTime<Utc>) -> Self {
        Clock::Tokio { base, start: tokio::time::Instant::now() }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Tokio { base, start } => {
                *base + chrono::Duration::from_std(start.elapsed()).unwrap_or_else(|_| chrono::Duration::zero())
            }
            Clock::Rehearsal(r) => r.now(),
        }
    }

    /// The rehearsal this clock plays, if it is one.
    pub fn rehearsal(&self) -> Option<&'static Rehearsal> {
        match self {
            Clock::Rehearsal(r) => Some(r),
            _ => None,
        }
    }

    /// Whether sleeping jumps the clock to the deadline at once (a rehearsal without a speed): the
    /// loop then sleeps only when nothing is in flight, so each post is played at its own moment.
    pub fn jumps(&self) -> bool {
        self.rehearsal().is_some_and(|r| r.speed.is_none())
    }

    /// Sleeps until `deadline` or for at most `cap`, whichever comes first. A rehearsal's cap is in
    /// its own time (no wall-clock jump can happen to it); one that jumps does not cap at all.
    pub async fn sleep_until(&self, deadline: DateTime<Utc>, cap: std::time::Duration) {
        let wait = (deadline - self.now()).to_std().unwrap_or(std::time::Duration::ZERO);
        match self {
            Clock::Rehearsal(r) => match r.speed {
                Some(speed) => tokio::time::sleep(wait.min(cap) / speed).await,
                None => {
                    let to = (deadline - r.from).num_microseconds().unwrap_or(i64::MAX);
                    r.jumped.fetch_max(to, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                }
            },
            _ => tokio::time::sleep(wait.min(cap)).await,
        }
    }
}

/// Log lines stamped with the daemon's clock: a rehearsal's lines carry the virtual moment each thing
/// would happen at.
pub struct LogTime(pub Clock);

impl tracing_subscriber::fmt::time::FormatTime for LogTime {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        write!(w, "{}", self.0.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[tokio::test]
    async fn a_rehearsal_without_speed_jumps_to_each_deadline_and_never_back() {
        let clock = Clock::Rehearsal(Rehearsal::start(at("2027-03-01T00:00:00Z"), None, None));
        assert_eq!(clock.now(), at("2027-03-01T00:00:00Z"));
        assert!(clock.jumps());
        clock.sleep_until(at("2027-03-08T14:00:00Z"), std::time::Duration::from_secs(60)).await;
        assert_eq!(clock.now(), at("2027-03-08T14:00:00Z"));
        clock.sleep_until(at("2027-03-02T00:00:00Z"), std::time::Duration::from_secs(60)).await;
        assert_eq!(clock.now(), at("2027-03-08T14:00:00Z"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_rehearsal_with_speed_runs_that_many_times_faster() {
        let clock = Clock::Rehearsal(Rehearsal::start(at("2027-03-01T00:00:00Z"), None, Some(3600)));
        assert!(!clock.jumps());
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        assert_eq!(clock.now(), at("2027-03-01T02:00:00Z"));
        // A sleep of a virtual hour (under a two-hour cap) takes a real second.
        let before = tokio::time::Instant::now();
        clock.sleep_until(at("2027-03-01T03:00:00Z"), std::time::Duration::from_secs(7200)).await;
        assert_eq!(before.elapsed(), std::time::Duration::from_secs(1));
        assert_eq!(clock.now(), at("2027-03-01T03:00:00Z"));
    }
}
