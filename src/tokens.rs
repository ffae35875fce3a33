//! Refreshed credentials, kept safely between runs.
//!
//! Some platforms hand out short-lived access tokens with a refresh token that *rotates*: each refresh
//! returns a new refresh token and kills the old one (X's OAuth 2.0). Losing the new one means a person
//! must authorise the channel again, so [`TokenStore`] writes it durably before it is used: a temporary
//! file (mode 0600) in the state folder, flushed to disk, renamed over `tokens.json`, then the folder
//! flushed too. An exclusive lock per channel (`tokens.CHANNEL.lock`) serialises one channel's refreshes
//! between processes (the daemon and a `herald send`), and the store is re-read under that lock, so a
//! token another process just rotated is picked up instead of refreshed twice. Channels do not wait for
//! each other's refreshes; the file itself is rewritten under a short lock of its own (`tokens.lock`).
//!
//! The configured refresh token (from the environment or the secrets file) seeds the store. When an
//! operator authorises the channel again and configures a new one, its fingerprint differs from the
//! one the store was seeded with, and the new one wins.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha1::Digest as _;
use thiserror::Error;

use crate::secrets::Secret;

/// The tokens of one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    pub access_token: Secret,
    pub refresh_token: Secret,
    /// When the access token stops working.
    pub expires_at: DateTime<Utc>,
    /// The fingerprint of the configured refresh token these descend from.
    pub seed: String,
}

impl Tokens {
    /// Whether the access token is still good for `margin` from `now`.
    pub fn fresh_for(&self, now: DateTime<Utc>, margin: chrono::Duration) -> bool {
        !self.access_token.expose().is_empty() && self.expires_at - margin > now
    }
}

/// How the tokens are written on disk (the only place their values are serialised).
#[derive(Serialize, Deserialize)]
struct OnDisk {
    access_token: String,
    refresh_token: String,
    /// Unix seconds.
    expires_at: i64,
    seed: String,
}

#[derive(Debug, Error)]
pub enum TokenError {
    #[error("cannot use the token store {path}: {message}")]
    Io { path: String, message: String },
    #[error("the token store {path} is damaged ({message})\n  help: move it aside and authorise the channels again")]
    Damaged { path: String, message: String },
}

/// The `tokens.json` file in the state folder.
#[derive(Debug, Clone)]
pub struct TokenStore {
    dir: PathBuf,
}

/// Held while a channel's tokens are read, refreshed and written: no other process refreshes that
/// channel meanwhile.
#[derive(Debug)]
pub struct TokenLock {
    _file: File,
    channel: String,
}

impl TokenStore {
    pub fn new(state_dir: &Path) -> Self {
        Self { dir: state_dir.to_path_buf() }
    }

    fn path(&self) -> PathBuf {
        self.dir.join("tokens.json")
    }

    fn io(&self, e: std::io::Error) -> TokenError {
        TokenError::Io { path: self.path().display().to_string(), message: e.to_string() }
    }

    /// Takes `channel`'s lock (blocking until another process releases it).
    pub fn lock(&self, channel: &str) -> Result<TokenLock, TokenError> {
        let name = format!("tokens.{}.lock", crate::dispatch::http::percent_encode(channel));
        Ok(TokenLock { _file: self.lock_file(&name)?, channel: channel.to_string() })
    }

    /// [`TokenStore::lock`] from async code: the wait (behind another process's refresh) happens on
    /// the blocking pool, not on the runtime's threads.
    pub async fn lock_async(&self, channel: &str) -> Result<TokenLock, TokenError> {
        let (store, channel) = (self.clone(), channel.to_string());
        match tokio::task::spawn_blocking(move || store.lock(&channel)).await {
            Ok(locked) => locked,
            Err(e) => Err(self.io(std::io::Error::other(e.to_string()))),
        }
    }

    fn lock_file(&self, name: &str) -> Result<File, TokenError> {
        crate::config::create_state_dir(&self.dir).map_err(|e| self.io(e))?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join(name))
            .map_err(|e| self.io(e))?;
        file.lock().map_err(|e| self.io(e))?;
        Ok(file)
    }

    fn read_all(&self) -> Result<BTreeMap<String, OnDisk>, TokenError> {
        match fs::read(self.path()) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| TokenError::Damaged { path: self.path().display().to_string(), message: e.to_string() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(self.io(e)),
        }
    }

    /// The stored tokens of `channel`, if any.
    pub fn load(&self, channel: &str) -> Result<Option<Tokens>, TokenError> {
        Ok(self.read_all()?.remove(channel).map(|d| Tokens {
            access_token: Secret::new(d.access_token),
            refresh_token: Secret::new(d.refresh_token),
            expires_at: DateTime::from_timestamp(d.expires_at, 0).unwrap_or_default(),
            seed: d.seed,
        }))
    }

    /// The stored tokens of `channel` if they descend from `configured` (the credential configured
    /// now): after a person authorises again and configures a new one, the stored ones are stale.
    pub fn load_seeded(&self, channel: &str, configured: &Secret) -> Result<Option<Tokens>, TokenError> {
        let seed = fingerprint(configured);
        Ok(self.load(channel)?.filter(|t| t.seed == seed))
    }

    /// Stores `tokens` for the channel of `lock`, durably, before returning.
    pub fn save(&self, tokens: &Tokens, lock: &TokenLock) -> Result<(), TokenError> {
        // The whole file is rewritten: other channels' refreshes wait for that, not for this one's.
        let _file = self.lock_file("tokens.lock")?;
        let mut all = self.read_all()?;
        all.insert(
            lock.channel.clone(),
            OnDisk {
                access_token: tokens.access_token.expose().to_string(),
                refresh_token: tokens.refresh_token.expose().to_string(),
                expires_at: tokens.expires_at.timestamp(),
                seed: tokens.seed.clone(),
            },
        );
        let json = serde_json::to_vec_pretty(&all).map_err(|e| self.io(std::io::Error::other(e)))?;
        let tmp = self.dir.join(format!("tokens.json.{}.tmp", std::process::id()));
        let mut options = OpenOptions::new();
        options.create(true).truncate(true).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(|e| self.io(e))?;
        file.write_all(&json).and_then(|()| file.sync_all()).map_err(|e| self.io(e))?;
        drop(file);
        fs::rename(&tmp, self.path()).map_err(|e| self.io(e))?;
        // The rename itself must reach the disk before the new token is used.
        if let Ok(dir) = File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

/// The fingerprint of a configured refresh token: tells a newly configured one from the one the store
/// descends from, without keeping the value itself.
pub fn fingerprint(secret: &Secret) -> String {
    let digest = sha1::Sha1::digest(secret.expose().as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(access: &str, refresh: &str) -> Tokens {
        Tokens {
            access_token: Secret::new(access),
            refresh_token: Secret::new(refresh),
            expires_at: DateTime::parse_from_rfc3339("2027-03-08T09:00:00Z").unwrap().with_timezone(&Utc),
            seed: "abc".into(),
        }
    }

    #[test]
    fn tokens_survive_a_reopen_and_the_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(&dir.path().join("state"));
        assert_eq!(store.load("x").unwrap(), None);
        let x = store.lock("x").unwrap();
        let fr = store.lock("x-fr").unwrap();
        store.save(&tokens("a1", "r1"), &x).unwrap();
        store.save(&tokens("a2", "r2"), &fr).unwrap();
        store.save(&tokens("a3", "r3"), &x).unwrap();
        drop((x, fr));
        let again = TokenStore::new(&dir.path().join("state"));
        assert_eq!(again.load("x").unwrap(), Some(tokens("a3", "r3")));
        assert_eq!(again.load("x-fr").unwrap(), Some(tokens("a2", "r2")));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(dir.path().join("state/tokens.json")).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "mode {mode:o}");
        }
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("state"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn a_damaged_store_is_an_error_that_shows_no_token() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("tokens.json"), "{\"x\": {\"access_token\": \"s3cr3t\"").unwrap();
        let e = TokenStore::new(dir.path()).load("x").unwrap_err().to_string();
        assert!(e.contains("damaged") && !e.contains("s3cr3t"), "{e}");
    }

    #[test]
    fn fingerprints_tell_tokens_apart_without_revealing_them() {
        let a = fingerprint(&Secret::new("refresh-one"));
        assert_eq!(a, fingerprint(&Secret::new("refresh-one")));
        assert_ne!(a, fingerprint(&Secret::new("refresh-two")));
        assert_eq!(a.len(), 16);
        assert!(!format!("{:?}", tokens("a", "r")).contains("\"a\""));
    }
}
