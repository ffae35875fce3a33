//! The project's files as they are at a git ref, written to a private temporary folder.
//!
//! Owns the only place herald runs `git`: `git -C DIR rev-parse` to find the repository and resolve the
//! ref to a commit, `git ls-tree` to list the files under `config/` and `campaigns/` at that commit (paths
//! relative to DIR, so a project in a subfolder of its repository works), and one `git cat-file --batch`
//! to read them all. Nothing in the working tree, the index or the refs is touched. Only regular files
//! are written (symbolic links and submodules are left out), under paths checked to stay inside the
//! temporary folder. git's failures (no `git`, not a repository, an unknown ref) are [`GitError`]s that
//! say what to do.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use thiserror::Error;

/// Why the files at a ref could not be read.
#[derive(Debug, Error)]
pub enum GitError {
    #[error("cannot run git: {source}\n  help: install git (herald reads the other side of the comparison with it)")]
    NoGit { source: std::io::Error },
    #[error(
        "{dir} is not in a git repository\n  help: run herald in a clone of the calendar's repository, or pass -C DIR"
    )]
    NotARepository { dir: String },
    #[error(
        "unknown git ref `{reference}`: {why}\n  help: fetch it first (`git fetch origin`), or name a branch, a tag or a commit; in GitHub Actions check out with `fetch-depth: 0`"
    )]
    UnknownRef { reference: String, why: String },
    #[error(
        "`{reference}` is not a git ref (it starts with `-`)\n  help: name a branch, a tag or a commit, such as `origin/main`"
    )]
    BadRef { reference: String },
    #[error("git failed ({what}): {why}")]
    Failed { what: &'static str, why: String },
    #[error("cannot write the files of `{reference}` to a temporary folder: {source}")]
    Write { reference: String, source: std::io::Error },
}

/// The files under `config/` and `campaigns/` at one commit, in a temporary folder removed on drop.
#[derive(Debug)]
pub struct Snapshot {
    dir: tempfile::TempDir,
    /// The commit the ref named.
    pub commit: String,
}

impl Snapshot {
    /// The folder to load as a project.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    // No pager, no prompt, and the user's locale does not change the messages herald reads.
    command.arg("-C").arg(dir).env("GIT_TERMINAL_PROMPT", "0").env("LC_ALL", "C");
    command
}

/// Runs `command` and returns its stdout, or its stderr's first line as the error.
fn output(mut command: Command) -> Result<Result<Vec<u8>, String>, GitError> {
    let out = command.stdin(Stdio::null()).output().map_err(|source| GitError::NoGit { source })?;
    if out.status.success() {
        Ok(Ok(out.stdout))
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        Ok(Err(stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message").trim().to_string()))
    }
}

/// Writes the project files of `reference` (as resolved in the repository holding `dir`) to a new
/// temporary folder.
pub fn snapshot(dir: &Path, reference: &str) -> Result<Snapshot, GitError> {
    if reference.starts_with('-') {
        return Err(GitError::BadRef { reference: reference.to_string() });
    }
    let mut inside = git(dir);
    inside.args(["rev-parse", "--is-inside-work-tree"]);
    if output(inside)?.is_err() {
        return Err(GitError::NotARepository { dir: dir.display().to_string() });
    }
    let mut resolve = git(dir);
    resolve.args(["rev-parse", "--verify", "--end-of-options"]).arg(format!("{reference}^{{commit}}"));
    let commit = match output(resolve)? {
        Ok(out) => String::from_utf8_lossy(&out).trim().to_string(),
        Err(why) => return Err(GitError::UnknownRef { reference: reference.to_string(), why }),
    };
    let mut list = git(dir);
    list.args(["ls-tree", "-r", "-z", &commit, "--", "config", "campaigns"]);
    let listing = output(list)?.map_err(|why| GitError::Failed { what: "ls-tree", why })?;
    let files = parse_ls_tree(&listing);
    let write_err = |source| GitError::Write { reference: reference.to_string(), source };
    let temp = tempfile::Builder::new().prefix("herald-plan-").tempdir().map_err(write_err)?;
    read_blobs(dir, &files, temp.path()).map_err(|e| match e {
        BlobError::Io(source) => write_err(source),
        BlobError::Git(why) => GitError::Failed { what: "cat-file", why },
        BlobError::NoGit(source) => GitError::NoGit { source },
    })?;
    Ok(Snapshot { dir: temp, commit })
}

/// A regular file in a tree listing: its blob id and its path (relative, checked).
#[derive(Debug, PartialEq, Eq)]
struct TreeFile {
    oid: String,
    path: PathBuf,
}

/// The regular files of `git ls-tree -r -z` output (`<mode> SP <type> SP <oid> TAB <path> NUL`); links,
/// submodules and paths that would leave the folder are left out.
fn parse_ls_tree(listing: &[u8]) -> Vec<TreeFile> {
    let mut files = Vec::new();
    for entry in listing.split(|b| *b == 0).filter(|e| !e.is_empty()) {
        let Ok(entry) = std::str::from_utf8(entry) else { continue };
        let Some((meta, path)) = entry.split_once('\t') else { continue };
        let mut meta = meta.split(' ');
        let (Some(mode), Some("blob"), Some(oid)) = (meta.next(), meta.next(), meta.next()) else { continue };
        if !matches!(mode, "100644" | "100755") {
            continue;
        }
        let path = PathBuf::from(path);
        if path.components().all(|c| matches!(c, Component::Normal(_))) {
            files.push(TreeFile { oid: oid.to_string(), path });
        }
    }
    files
}

enum BlobError {
    Io(std::io::Error),
    Git(String),
    NoGit(std::io::Error),
}

impl From<std::io::Error> for BlobError {
    fn from(e: std::io::Error) -> Self {
        BlobError::Io(e)
    }
}

/// Reads every file's blob with one `git cat-file --batch` and writes it under `to`.
fn read_blobs(dir: &Path, files: &[TreeFile], to: &Path) -> Result<(), BlobError> {
    if files.is_empty() {
        return Ok(());
    }
    let mut child = git(dir)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(BlobError::NoGit)?;
    let mut stdin = child.stdin.take().ok_or_else(|| BlobError::Git("no stdin".into()))?;
    let ids: String = files.iter().map(|f| format!("{}\n", f.oid)).collect();
    // Written from another thread: git answers while it reads, and both pipes are bounded.
    let writer = std::thread::spawn(move || stdin.write_all(ids.as_bytes()));
    let mut reader = BufReader::new(child.stdout.take().ok_or_else(|| BlobError::Git("no stdout".into()))?);
    let result = (|| -> Result<(), BlobError> {
        for file in files {
            let mut header = String::new();
            reader.read_line(&mut header)?;
            let mut fields = header.split_whitespace();
            let size = match (fields.next(), fields.next(), fields.next()) {
                (Some(_), Some("blob"), Some(size)) => {
                    size.parse::<u64>().map_err(|_| BlobError::Git(header.clone()))?
                }
                _ => return Err(BlobError::Git(format!("unexpected answer `{}`", header.trim()))),
            };
            let path = to.join(&file.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let mut out = std::fs::File::create(&path)?;
            let copied = std::io::copy(&mut (&mut reader).take(size), &mut out)?;
            if copied != size {
                return Err(BlobError::Git(format!("{} ended early", file.path.display())));
            }
            let mut newline = [0u8; 1];
            reader.read_exact(&mut newline)?;
        }
        Ok(())
    })();
    // Closing git's output first ends it if it is still writing, so the writer cannot wait forever.
    drop(reader);
    let _ = writer.join();
    let status = child.wait()?;
    result?;
    if !status.success() {
        let mut why = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            let _ = stderr.read_to_string(&mut why);
        }
        return Err(BlobError::Git(why.trim().to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_tree_keeps_regular_files_and_leaves_out_links_submodules_and_escapes() {
        let listing = b"100644 blob aaa\tconfig/herald.toml\0\
100755 blob bbb\tcampaigns/run.toml\0\
120000 blob ccc\tcampaigns/link.toml\0\
160000 commit ddd\tcampaigns/sub\0\
100644 blob eee\tcampaigns/../../etc/passwd\0\
100644 blob fff\t/abs.toml\0";
        assert_eq!(
            parse_ls_tree(listing),
            vec![
                TreeFile { oid: "aaa".into(), path: "config/herald.toml".into() },
                TreeFile { oid: "bbb".into(), path: "campaigns/run.toml".into() },
            ]
        );
    }

    #[test]
    fn a_ref_that_looks_like_an_option_is_refused_before_git_runs() {
        let e = snapshot(Path::new("."), "--output=/tmp/x").unwrap_err();
        assert!(matches!(e, GitError::BadRef { .. }), "{e}");
    }
}
