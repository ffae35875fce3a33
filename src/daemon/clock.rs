//! The daemon's idea of "now": the system clock in production, tokio's (pausable) clock in tests.
//!
//! Deadlines are wall-clock instants (`DateTime<Utc>`); sleeps are tokio sleeps. A [`Clock`] made
//! with [`Clock::tokio`] derives the wall clock from tokio's clock, so a test with paused time
//! advances both together and the scheduler can be tested without waiting.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    /// `base` at the tokio instant `start`, advancing with tokio's clock.
    Tokio {
        base: DateTime<Utc>,
        start: tokio::time::Instant,
    },
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
        }
    }

    /// Sleeps until `deadline` or for at most `cap`, whichever comes first.
    pub async fn sleep_until(&self, deadline: DateTime<Utc>, cap: std::time::Duration) {
        let wait = (deadline - self.now()).to_std().unwrap_or(std::time::Duration::ZERO);
        tokio::time::sleep(wait.min(cap)).await;
    }
}
