//! Credentials: where they come from, and how they are kept out of every output.
//!
//! Owns [`Secret`], a string whose `Debug` and `Display` print `***` so that no log line, error, preview
//! or panic message can show it by accident; [`SecretsFile`], the optional secrets file outside the
//! repository (refused when other users can read it); and [`SecretRef`], how `config/herald.toml` names a
//! credential (`env:NAME` or `file:KEY`) without containing it. Campaign files never hold credentials.
//!
//! It also owns the one redactor, [`redact_known`]: every [`Secret`] made in this process is
//! remembered, with the forms it takes in a request (percent-encoded, as in a form body or an OAuth
//! 1.0a header; base64, as in a `Basic` header), and every string that leaves herald — the terminal
//! (`main`), the log (the writer `herald run` logs through), the ledger's `last_error`, alerts — passes
//! through it, so a platform's error that echoes the request shows `***`, never the credential.
//! [`excerpt`] cuts a platform's text to a bounded length before it is stored or shown.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// A credential. Its value is only reachable through [`Secret::expose`], at the moment a request is
/// signed or sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A credential; from now on [`redact_known`] hides it (and its encoded forms) in every output.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        also_redact(&value);
        Self(value)
    }

    /// The value itself. Call this only to sign or send a request, never to print.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `Bearer <token>`, as an `Authorization` header carries a token (itself a secret).
    pub fn bearer(&self) -> Secret {
        Secret(format!("Bearer {}", self.0))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where a credential comes from, as written in `config/herald.toml`: `env:HERALD_X_TOKEN` (an
/// environment variable) or `file:x.token` (a key of the secrets file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    Env(String),
    File(String),
}

impl std::str::FromStr for SecretRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let valid =
            |name: &str| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        match s.split_once(':') {
            Some(("env", name)) if valid(name) => Ok(SecretRef::Env(name.to_string())),
            Some(("file", key)) if valid(key) => Ok(SecretRef::File(key.to_string())),
            // The value is not echoed: it may be a credential pasted by mistake.
            _ => Err(
                "this value does not say where the credential is\nhelp: write \"env:VARIABLE_NAME\" (an environment variable) or \"file:key\" (a key of the secrets file); never the credential itself".to_string()
            ),
        }
    }
}

crate::deserialize_from_str!(SecretRef);

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(name) => write!(f, "environment variable {name}"),
            SecretRef::File(key) => write!(f, "secrets file key `{key}`"),
        }
    }
}

/// Why a credential could not be had. Messages name where it was looked for, never a value.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SecretsError {
    #[error("environment variable {0} is not set or is empty")]
    MissingEnv(String),
    #[error("not configured: add `[channels.{0}.credentials]` to config/herald.toml")]
    NotConfigured(String),
    #[error("the secrets file has no key `{0}`")]
    MissingKey(String),
    #[error("a credential is read from the secrets file, but no secrets file is configured")]
    NoFile,
    #[error("{path} can be read by other users (mode {mode:o}); herald refuses it\n  help: run `chmod 600 {path}`")]
    Readable { path: String, mode: u32 },
    #[error("cannot read the secrets file {path}: {message}")]
    Read { path: String, message: String },
    #[error("the secrets file {path} is not valid TOML: {message}")]
    Parse { path: String, message: String },
}

/// The secrets file: flat or nested TOML tables of strings, addressed by dotted keys (`x.token`).
#[derive(Debug, Default, Clone)]
pub struct SecretsFile {
    path: PathBuf,
    values: BTreeMap<String, Secret>,
}

impl SecretsFile {
    /// Reads `path`, refusing a file that users other than its owner can read.
    pub fn load(path: &Path) -> Result<Self, SecretsError> {
        let shown = path.display().to_string();
        let meta =
            std::fs::metadata(path).map_err(|e| SecretsError::Read { path: shown.clone(), message: e.to_string() })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(SecretsError::Readable { path: shown, mode });
            }
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| SecretsError::Read { path: shown.clone(), message: e.to_string() })?;
        // Parse errors must not echo the file's content: only the position is kept.
        let table: toml::Table = toml::from_str(&text).map_err(|e| SecretsError::Parse {
            path: shown.clone(),
            message: e
                .span()
                .map_or_else(|| "syntax error".to_string(), |s| format!("syntax error at byte {}", s.start)),
        })?;
        let mut values = BTreeMap::new();
        flatten("", &table, &mut values);
        Ok(Self { path: path.to_path_buf(), values })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, key: &str) -> Option<&Secret> {
        self.values.get(key)
    }
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, Secret>) {
    for (k, v) in table {
        let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            toml::Value::String(s) => {
                out.insert(key, Secret::new(s.clone()));
            }
            toml::Value::Table(t) => flatten(&key, t, out),
            other => {
                out.insert(key, Secret::new(other.to_string()));
            }
        }
    }
}

/// Resolves a [`SecretRef`] from the environment (through `env`, so tests need not touch the process
/// environment) or the secrets file.
pub fn resolve(
    r: &SecretRef,
    file: Option<&SecretsFile>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Secret, SecretsError> {
    match r {
        SecretRef::Env(name) => {
            env(name).filter(|v| !v.is_empty()).map(Secret::new).ok_or_else(|| SecretsError::MissingEnv(name.clone()))
        }
        SecretRef::File(key) => {
            let file = file.ok_or(SecretsError::NoFile)?;
            file.get(key).cloned().ok_or_else(|| SecretsError::MissingKey(key.clone()))
        }
    }
}

/// Values shorter than this are not redacted: no credential is that short, and a few letters would
/// be hidden inside ordinary words.
const MIN_REDACTED: usize = 8;

/// Every known credential form, longest first (so a longer form is replaced before a shorter one
/// inside it).
static KNOWN: std::sync::RwLock<Vec<String>> = std::sync::RwLock::new(Vec::new());

/// Remembers `value` (a credential, or a value made from credentials such as the base64 of
/// `client_id:client_secret`) and its request forms, for [`redact_known`].
pub fn also_redact(value: &str) {
    if value.len() < MIN_REDACTED {
        return;
    }
    use base64::Engine as _;
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let mut forms = vec![value.to_string(), percent_encoded(value)];
    forms.extend(engines.iter().map(|e| e.encode(value)));
    let mut known = KNOWN.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    for form in forms {
        if form.len() >= MIN_REDACTED && !known.contains(&form) {
            known.push(form);
        }
    }
    known.sort_by_key(|f| std::cmp::Reverse(f.len()));
}

/// `value` percent-encoded as a form body or an OAuth 1.0a header writes it (RFC 3986 unreserved
/// characters kept).
fn percent_encoded(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `text` with every credential this process has loaded (and its encoded forms) replaced by `***`.
pub fn redact_known(text: &str) -> std::borrow::Cow<'_, str> {
    let known = KNOWN.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !known.iter().any(|k| text.contains(k.as_str())) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for k in known.iter() {
        if out.contains(k.as_str()) {
            out = out.replace(k.as_str(), "***");
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The most of a platform's text herald keeps or shows (an error body can be a whole web page).
pub const EXCERPT_BYTES: usize = 2048;

/// `text` redacted ([`redact_known`]) and cut to [`EXCERPT_BYTES`] on a character boundary, saying
/// how much was cut.
pub fn excerpt(text: &str) -> String {
    let text = redact_known(text);
    if text.len() <= EXCERPT_BYTES {
        return text.into_owned();
    }
    let mut end = EXCERPT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} more bytes not kept)", &text[..end], text.len() - end)
}

/// A writer that passes everything through [`redact_known`] (the terminal, the log). Each write is
/// redacted whole: the log and `main` write a line or a whole output at once.
pub struct Redacting<W>(pub W);

impl<W: std::io::Write> std::io::Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => self.0.write_all(redact_known(text).as_bytes())?,
            Err(_) => self.0.write_all(redact_known(&String::from_utf8_lossy(buf)).as_bytes())?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Replaces every occurrence of each secret's value in `text` with `***`: the last line of defence
/// for text that came from outside (a platform's error body could echo a token back).
pub fn redact(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if s.0.len() >= 4 {
            out = out.replace(&s.0, "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_loaded_credential_is_redacted_in_its_request_forms() {
        use base64::Engine as _;
        let s = Secret::new("tok/en+with=chars-0042");
        let basic = base64::engine::general_purpose::STANDARD.encode("client-7:tok/en+with=chars-0042");
        also_redact(&basic);
        let echoed = format!(
            "denied {{'authorization': 'Bearer {}', 'body': 'access_token=tok%2Fen%2Bwith%3Dchars-0042', 'basic': 'Basic {basic}', 'b64': '{}'}}",
            s.expose(),
            base64::engine::general_purpose::STANDARD.encode(s.expose())
        );
        let shown = redact_known(&echoed);
        assert!(!shown.contains("tok/en") && !shown.contains("tok%2Fen") && !shown.contains(&basic), "{shown}");
        assert_eq!(shown.matches("***").count(), 4, "{shown}");
        assert_eq!(redact_known("a short pw"), "a short pw", "ordinary text is untouched");
        let long = format!("{}{}", "é".repeat(EXCERPT_BYTES), s.expose());
        let cut = excerpt(&long);
        assert!(cut.len() < EXCERPT_BYTES + 64 && cut.ends_with("more bytes not kept)"), "{}", cut.len());
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2-token");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{:?}", Some(&s)), "Some(Secret(***))");
        assert_eq!(s.expose(), "hunter2-token");
        assert_eq!(redact("error: token hunter2-token is invalid", &[&s]), "error: token *** is invalid");
    }

    #[test]
    fn refs_name_a_source_never_a_value() {
        assert_eq!("env:HERALD_X_TOKEN".parse::<SecretRef>().unwrap(), SecretRef::Env("HERALD_X_TOKEN".into()));
        assert_eq!("file:x.token".parse::<SecretRef>().unwrap(), SecretRef::File("x.token".into()));
        let e = "AAAA-real-token".parse::<SecretRef>().unwrap_err();
        assert!(e.contains("never the credential itself"), "{e}");
        assert!(!e.contains("AAAA"), "the error must not echo what may be a secret: {e}");
    }

    #[test]
    fn env_and_file_resolution_say_what_is_missing() {
        let env = |name: &str| (name == "SET").then(|| "v".to_string());
        assert_eq!(resolve(&SecretRef::Env("SET".into()), None, &env).unwrap().expose(), "v");
        assert_eq!(resolve(&SecretRef::Env("UNSET".into()), None, &env), Err(SecretsError::MissingEnv("UNSET".into())));
        assert_eq!(resolve(&SecretRef::File("k".into()), None, &env), Err(SecretsError::NoFile));
    }

    /// A secrets file with `contents` and permission `mode`.
    #[cfg(unix)]
    fn secrets_file(contents: &str, mode: u32) -> (tempfile::TempDir, PathBuf) {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.toml");
        std::fs::write(&path, contents).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        (dir, path)
    }

    #[cfg(unix)]
    #[test]
    fn a_secrets_file_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let (_dir, path) = secrets_file("[x]\ntoken = \"s3cr3t-value\"\n", 0o644);
        let e = SecretsFile::load(&path).unwrap_err();
        assert!(matches!(e, SecretsError::Readable { mode: 0o644, .. }), "{e:?}");
        assert!(e.to_string().contains("chmod 600"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let f = SecretsFile::load(&path).unwrap();
        assert_eq!(f.get("x.token").unwrap().expose(), "s3cr3t-value");
    }

    #[cfg(unix)]
    #[test]
    fn a_broken_secrets_file_error_does_not_echo_its_content() {
        let (_dir, path) = secrets_file("token = s3cr3t-value-unquoted\n", 0o600);
        let e = SecretsFile::load(&path).unwrap_err().to_string();
        assert!(!e.contains("s3cr3t"), "{e}");
    }
}
