//! A ledger herald cannot use, as an operator meets it: `herald run` refuses to start on a ledger it
//! cannot write (a read-only file or folder), that is not a SQLite file, or that is damaged, and exits
//! 2 saying what, where and what to do; a ledger that stops taking writes while the daemon runs fails
//! `/healthz`; `status` and `plan` only ever read the ledger, and refuse what is not one.
//!
//! The read-only cases need a user the file modes apply to: when the tests run as root (who may
//! write any file), herald is started as `nobody` on a project that `nobody` owns.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound as _, Utc};
use herald::ledger::sqlite::SqliteStore;
use herald::ledger::{OccurrenceKey, Planned, Store as _};

use crate::support::{Run, TestProject};

/// How long a command may take before the test calls it stuck.
const DEADLINE: Duration = Duration::from_secs(30);
const LEDGER: &str = ".herald/ledger.sqlite";
/// The user the read-only cases run herald as when the tests run as root.
const NOBODY: u32 = 65534;

/// A project whose one channel, `x`, has no credentials: enough to start the daemon (the channel's
/// posts would fail). Its one post is due tomorrow.
fn project() -> TestProject {
    let tomorrow = (Utc::now() + chrono::Duration::days(1)).trunc_subsecs(0);
    TestProject::new()
        .file("config/herald.toml", "[channels.x]\nplatform = \"twitter\"\nhandle = \"@humansecurityFA\"\n")
        .file("campaigns/launch.toml", &campaign(&[("tomorrow", tomorrow)]))
}

/// A campaign on `x` from yesterday to the day after tomorrow, with `posts` (id, time) in UTC.
fn campaign(posts: &[(&str, DateTime<Utc>)]) -> String {
    let today = Utc::now().date_naive();
    let mut text = format!(
        "[campaign]\nid = \"launch\"\nname = \"Launch\"\ntimezone = \"UTC\"\nchannels = [\"x\"]\nstarts = {}\nends = {}\n\n",
        today - chrono::Duration::days(1),
        today + chrono::Duration::days(2)
    );
    for (id, at) in posts {
        text.push_str(&format!(
            "[[post]]\nid = \"{id}\"\ndate = {}\ntime = \"{}\"\ntext = \"Water is life.\"\n\n",
            at.format("%Y-%m-%d"),
            at.format("%H:%M:%S")
        ));
    }
    text
}

/// A real ledger at `path` with a few hundred records (several pages), closed (its WAL folded back
/// into the file).
fn make_ledger(path: &Path) {
    let store = SqliteStore::open(path).expect("a new ledger");
    let start = Utc::now().trunc_subsecs(0) + chrono::Duration::days(2);
    let planned: Vec<Planned> = (0..400)
        .map(|i| Planned {
            key: OccurrenceKey::new("launch", format!("post-{i}"), "x", start + chrono::Duration::minutes(i))
                .expect("a key"),
            text_hash: format!("{i:040}"),
        })
        .collect();
    store.sync_plan(&planned, Utc::now()).expect("records");
}

/// Whether this process may write files whatever their mode (root, or a capability like it).
fn privileged(dir: &Path) -> bool {
    let probe = dir.join("mode-probe");
    std::fs::write(&probe, "").expect("probe file");
    let mut perms = std::fs::metadata(&probe).expect("probe").permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&probe, perms).expect("read-only probe");
    let writable = std::fs::OpenOptions::new().append(true).open(&probe).is_ok();
    std::fs::remove_file(&probe).expect("remove probe");
    writable
}

fn chown_all(path: &Path, uid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(uid)).expect("chown");
    if path.is_dir() && !path.is_symlink() {
        for entry in std::fs::read_dir(path).expect("read dir") {
            chown_all(&entry.expect("entry").path(), uid);
        }
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// `herald -C DIR --color never ARGS`, as a user file modes apply to (see the module docs), stopped
/// and failed if it is still running after [`DEADLINE`].
fn herald(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_herald"));
    cmd.arg("-C").arg(dir).args(["--color", "never"]).args(args).env("RUST_LOG", "info");
    if privileged(dir) {
        chown_all(dir, NOBODY);
        std::os::unix::process::CommandExt::uid(&mut cmd, NOBODY);
        std::os::unix::process::CommandExt::gid(&mut cmd, NOBODY);
    }
    finish(cmd, args)
}

fn finish(mut cmd: Command, args: &[&str]) -> Run {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start");
    let (mut out, mut err) = (child.stdout.take().expect("stdout"), child.stderr.take().expect("stderr"));
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let end = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            let mut e = String::new();
            let _ = err.read_to_string(&mut e);
            panic!("herald {args:?} still running after {DEADLINE:?}; it printed:\n{e}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    let _ = err.read_to_string(&mut stderr);
    Run { stdout: reader.join().expect("stdout"), stderr, code: status.code().unwrap_or(-1) }
}

/// `herald run` must have refused to start: exit 2, a message naming `what` and the ledger, a help
/// line, and nothing of a daemon that ran.
fn assert_refused(run: &Run, ledger: &Path, what: &str) {
    assert_eq!(run.code, 2, "exit 2 expected:\n{}", run.all());
    let all = run.all();
    assert!(all.contains(what), "no {what:?} in:\n{all}");
    assert!(all.contains(&ledger.display().to_string()), "the ledger's path is not named:\n{all}");
    assert!(all.contains("help: "), "no help line:\n{all}");
    assert!(!all.contains("herald is running"), "it started anyway:\n{all}");
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read the ledger")
}

#[test]
fn run_refuses_a_read_only_ledger_file_and_exits_2() {
    let p = project();
    let ledger = p.path().join(LEDGER);
    make_ledger(&ledger);
    let before = bytes(&ledger);
    set_mode(&ledger, 0o444);
    let run = herald(p.path(), &["run"]);
    assert_refused(&run, &ledger, "herald cannot write the ledger at");
    assert_eq!(bytes(&ledger), before, "not changed");
}

#[test]
fn run_refuses_a_ledger_in_a_read_only_folder_and_exits_2() {
    let p = project().file(
        "config/herald.toml",
        "ledger = \"ro/ledger.sqlite\"\n\n[channels.x]\nplatform = \"twitter\"\nhandle = \"@humansecurityFA\"\n",
    );
    let ledger = p.path().join("ro/ledger.sqlite");
    make_ledger(&ledger);
    let before = bytes(&ledger);
    set_mode(&p.path().join("ro"), 0o555);
    let run = herald(p.path(), &["run"]);
    assert_refused(&run, &ledger, "herald cannot write the ledger at");
    assert_eq!(bytes(&ledger), before, "not changed");
}

#[test]
fn run_refuses_a_ledger_with_a_damaged_page_and_exits_2() {
    let p = project();
    let ledger = p.path().join(LEDGER);
    make_ledger(&ledger);
    // Overwrite the middle of the file's third page (a table or index page), the way a failing disk
    // or a bad copy would; the header stays intact, so the file still opens.
    let mut file = std::fs::OpenOptions::new().write(true).open(&ledger).expect("open the ledger");
    let page = 4096;
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(2 * page + 10)).expect("seek");
    file.write_all(&[0xA5; 2000]).expect("damage a page");
    drop(file);
    let run = herald(p.path(), &["run"]);
    assert_refused(&run, &ledger, "is damaged");
}

#[test]
fn run_refuses_a_file_that_is_not_sqlite_and_anything_that_is_not_a_file() {
    let p = project();
    let ledger = p.path().join(LEDGER);
    std::fs::create_dir_all(ledger.parent().unwrap()).unwrap();
    std::fs::write(&ledger, "notes, not a database\n".repeat(100)).unwrap();
    assert_refused(&herald(p.path(), &["run"]), &ledger, "not a SQLite database");
    std::fs::remove_file(&ledger).unwrap();
    std::fs::create_dir(&ledger).unwrap();
    assert_refused(&herald(p.path(), &["run"]), &ledger, "it is a folder, not a regular file");
    std::fs::remove_dir(&ledger).unwrap();
    std::os::unix::fs::symlink(p.path().join("nowhere/ledger.sqlite"), &ledger).unwrap();
    assert_refused(&herald(p.path(), &["run"]), &ledger, "symbolic link");
    assert!(!p.path().join("nowhere").exists(), "nothing is created through the link");
}

/// What is at the ledger's path for `status` and `plan`.
enum Thing {
    Folder,
    Fifo,
    DanglingLink,
    NotSqlite,
}

fn place(p: &TestProject, thing: &Thing) -> PathBuf {
    let ledger = p.path().join(LEDGER);
    std::fs::create_dir_all(ledger.parent().unwrap()).unwrap();
    match thing {
        Thing::Folder => std::fs::create_dir(&ledger).unwrap(),
        Thing::Fifo => {
            let made = Command::new("mkfifo").arg(&ledger).status().expect("run mkfifo");
            assert!(made.success(), "mkfifo");
        }
        Thing::DanglingLink => std::os::unix::fs::symlink(p.path().join("gone.sqlite"), &ledger).unwrap(),
        Thing::NotSqlite => std::fs::write(&ledger, "notes, not a database\n".repeat(100)).unwrap(),
    }
    ledger
}

#[test]
fn status_and_plan_refuse_what_is_not_a_ledger_without_waiting_on_a_pipe() {
    for (thing, what) in [
        (Thing::Folder, "it is a folder, not a regular file"),
        (Thing::Fifo, "it is a named pipe (FIFO), not a regular file"),
        (Thing::DanglingLink, "which does not exist"),
        (Thing::NotSqlite, "it is not a SQLite database"),
    ] {
        let p = project();
        let ledger = place(&p, &thing);
        for command in ["status", "plan"] {
            let run = finish(
                {
                    let mut c = Command::new(env!("CARGO_BIN_EXE_herald"));
                    c.arg("-C").arg(p.path()).args(["--color", "never", command]);
                    c
                },
                &[command],
            );
            assert_eq!(run.code, 2, "{command} on {what}:\n{}", run.all());
            assert!(run.stderr.contains(what), "{command}: no {what:?} in:\n{}", run.all());
            assert!(run.stderr.contains(&ledger.display().to_string()), "{command}: the path:\n{}", run.all());
            assert!(run.stderr.contains("help: "), "{command}: no help:\n{}", run.all());
            assert!(!run.stdout.contains("No ledger yet"), "{command}:\n{}", run.all());
        }
        assert!(!p.path().join("gone.sqlite").exists(), "nothing is created through the link");
    }
}

#[test]
fn status_and_plan_never_create_or_write_the_ledger() {
    // No ledger at all: said plainly, exit 0, and neither the file nor its folder appears.
    let p = project();
    let ledger = p.path().join(LEDGER);
    let status = p.run(&["status"]);
    assert_eq!(status.code, 0, "{}", status.all());
    assert!(status.stdout.starts_with("No ledger yet at "), "{}", status.all());
    let plan = p.run(&["plan"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(plan.stdout.contains("(no ledger yet at "), "{}", plan.all());
    assert!(!p.path().join(".herald").exists(), "the read-only commands created the state folder");
    // An empty file (a daemon that stopped before its first commit) holds nothing: no ledger yet,
    // and it stays empty.
    std::fs::create_dir_all(ledger.parent().unwrap()).unwrap();
    std::fs::write(&ledger, "").unwrap();
    let status = p.run(&["status"]);
    assert_eq!(status.code, 0, "{}", status.all());
    assert!(status.stdout.starts_with("No ledger yet at "), "{}", status.all());
    assert_eq!(p.run(&["plan"]).code, 0);
    assert_eq!(std::fs::metadata(&ledger).unwrap().len(), 0, "status or plan wrote to an empty ledger");
    // A real ledger: read, never written.
    std::fs::remove_file(&ledger).unwrap();
    make_ledger(&ledger);
    let before = bytes(&ledger);
    let status = p.run(&["status"]);
    assert_eq!(status.code, 0, "{}", status.all());
    assert!(status.stdout.contains("Per campaign and channel:\n  launch on x: 400 scheduled"), "{}", status.all());
    assert_eq!(p.run(&["plan"]).code, 0);
    assert_eq!(bytes(&ledger), before, "the ledger changed");
}

#[test]
fn status_reads_a_ledger_it_may_not_write() {
    let p = project();
    let ledger = p.path().join(LEDGER);
    make_ledger(&ledger);
    set_mode(&ledger, 0o444);
    let run = herald(p.path(), &["status"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("launch on x: 400 scheduled"), "{}", run.all());
}

#[test]
fn run_shows_config_errors_located_as_check_does() {
    let p = project().file(
        "config/herald.toml",
        "[channels.x]\nplatform = \"twitter\"\nhandle = \"@humansecurityFA\"\n\n[daemon]\ncatch_up = \"banana\"\n",
    );
    let check = p.run(&["check"]);
    assert_eq!(check.code, 1, "{}", check.all());
    let run = finish(
        {
            let mut c = Command::new(env!("CARGO_BIN_EXE_herald"));
            c.arg("-C").arg(p.path()).args(["--color", "never", "run"]);
            c
        },
        &["run"],
    );
    assert_eq!(run.code, 1, "problems in the files: exit 1, as `check`:\n{}", run.all());
    let located = check.stderr.split("\n\n").next().unwrap_or_default().to_string();
    assert!(located.contains(" --> config/herald.toml:6:12"), "{}", check.stderr);
    assert!(located.contains("6 | catch_up = \"banana\""), "{}", check.stderr);
    assert!(located.contains("^^^^^^^^"), "{}", check.stderr);
    assert!(run.stderr.contains(&located), "run does not show what check shows:\n{}\n---\n{located}", run.stderr);
    assert!(run.stderr.contains("help: "), "{}", run.stderr);
    assert!(run.stderr.contains("herald did not start: config/herald.toml has errors"), "{}", run.stderr);
    assert!(!p.path().join(".herald").exists(), "nothing was created before the config was found broken");
}

// ---------------------------------------------------------------------------------------------------
// A ledger that stops taking writes while the daemon runs

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("addr").port()
}

fn get(port: u16, path: &str) -> std::io::Result<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET {path} HTTP/1.1\r\nhost: x\r\n\r\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

fn wait_for(within: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + within;
    while Instant::now() < end {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    ready()
}

#[test]
fn healthz_fails_while_the_ledger_takes_no_writes_and_passes_again_after() {
    let port = free_port();
    let due = (Utc::now() + chrono::Duration::seconds(10)).trunc_subsecs(0);
    let p = project()
        .file(
            "config/herald.toml",
            &format!(
                "[channels.x]\nplatform = \"twitter\"\nhandle = \"@humansecurityFA\"\n\n[daemon]\nlisten = \"127.0.0.1:{port}\"\n"
            ),
        )
        .file("campaigns/launch.toml", &campaign(&[("soon", due)]));
    let log_path = p.path().join("daemon.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("-C")
        .arg(p.path())
        .args(["run", "--log-format", "json"])
        .env("RUST_LOG", "info")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start herald run");
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let healthy = || get(port, "/healthz").is_ok_and(|h| h.starts_with("HTTP/1.1 200 OK"));
    let started = wait_for(DEADLINE, || log().contains("herald is running") && healthy());
    if !started {
        let _ = daemon.kill();
        panic!("the daemon did not start:\n{}", log());
    }
    // Another process takes the ledger's write lock and keeps it past herald's busy timeout, before
    // the post is due: the claim cannot be written.
    let blocker = rusqlite::Connection::open(p.path().join(LEDGER)).expect("open the ledger");
    blocker.execute_batch("BEGIN IMMEDIATE").expect("take the write lock");
    let mut health = String::new();
    let failed = wait_for(Duration::from_secs(40), || {
        health = get(port, "/healthz").unwrap_or_default();
        health.starts_with("HTTP/1.1 503")
    });
    if !failed {
        let _ = daemon.kill();
        panic!("/healthz did not fail while the ledger was locked ({health}):\n{}", log());
    }
    assert!(health.contains("ledger unusable: cannot claim the due post launch/soon/x/"), "{health}");
    assert!(health.contains("stayed locked by another process"), "{health}");
    assert!(get(port, "/metrics").unwrap().contains("herald_ledger_unusable 1"));
    assert!(!log().contains("trying again in 5 s"), "{}", log());
    // And an operator is alerted (the alert goes to the log, and to the webhook when there is one).
    let alerted = wait_for(Duration::from_secs(10), || {
        log().lines().any(|l| l.contains("\"alert\":\"StateUnusable\"") && l.contains("herald cannot use its state"))
    });
    if !alerted {
        let _ = daemon.kill();
        panic!("no alert that the ledger is unusable:\n{}", log());
    }
    // The lock goes: the next recheck (within 30 s) writes, and health comes back.
    blocker.execute_batch("ROLLBACK").expect("release the lock");
    let recovered = wait_for(Duration::from_secs(45), healthy);
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert!(recovered, "/healthz did not pass again once the ledger took writes:\n{}", log());
}
