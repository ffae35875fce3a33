//! What herald refuses about media files: anything but a regular file (never opened for a blocking
//! read), a file over a platform's size limit (refused from its size, before it is read), and a file
//! whose structure is not the image its name claims. And what a dry run costs in memory for the
//! largest image a platform allows.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{CAMPAIGN_HEAD, JPEG, PNG, TestProject, repo_root};

/// A post on every platform, with one image.
fn post_with(file: &str) -> String {
    format!(
        "\n[[post]]\nid = \"card\"\ndate = 2027-03-08\ntext = \"Water is life.\"\nmedia = [{{ file = \"{file}\", alt = \"A well\" }}]\n"
    )
}

/// A project whose Instagram channel has its public media host, so that only media problems are left.
fn project_on(channels: &[&str], file: &str) -> TestProject {
    let config = format!(
        "{}\n[channels.instagram]\nplatform = \"instagram\"\nhandle = \"@humansecurityforall\"\nmedia_base_url = \"https://media.example.org\"\n",
        crate::support::CONFIG
            .replace("[channels.instagram]\nplatform = \"instagram\"\nhandle = \"@humansecurityforall\"\n", "")
    );
    // The accounts the uploading platforms need, so that a dry run goes through.
    let config = config
        .replace("platform = \"linkedin\"\n", "platform = \"linkedin\"\naccount = \"urn:li:organization:12345678\"\n")
        .replace("platform = \"facebook\"\n", "platform = \"facebook\"\naccount = \"100000000000000\"\n");
    let list = channels.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
    let head = CAMPAIGN_HEAD.replace("channels = [\"x\", \"linkedin\", \"facebook\"]", &format!("channels = [{list}]"));
    TestProject::new()
        .file("config/herald.toml", &config)
        .file("campaigns/c.toml", &format!("{head}{}", post_with(file)))
}

/// The result of a run of the binary that had to end before `deadline`, and the peak memory it used.
struct Timed {
    stdout: String,
    stderr: String,
    code: i32,
    elapsed: Duration,
    /// The child's peak resident memory (`ru_maxrss`), in bytes.
    peak_rss: u64,
}

/// Runs `herald -C DIR --color never ARGS`, killing it (and failing the test) if it has not ended
/// after `deadline`: a hang fails, it does not hang the suite.
///
/// herald is started from a fresh, small process (this test binary run again for [`probe`] alone), not
/// from the test process itself: a child's peak memory (`ru_maxrss`) counts the memory of the process
/// that started it (the kernel notes the starting process's high-water mark at `exec`), and the test
/// process, with every other test running in it, can hold hundreds of MB; measured from here, every
/// run would look that large, and a comparison of two runs would find no difference at all.
fn run_within(dir: &Path, args: &[&str], deadline: Duration) -> Timed {
    let results = tempfile::tempdir().expect("a folder for the probe's results");
    let mut argv = vec!["-C".to_owned(), dir.display().to_string(), "--color".into(), "never".into()];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    let status = Command::new(std::env::current_exe().expect("the test binary"))
        .args(["media_files::probe", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(PROBE_DIR, results.path())
        .env(PROBE_ARGS, serde_json::to_string(&argv).expect("argv as JSON"))
        .env(PROBE_DEADLINE_MS, deadline.as_millis().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run the probe");
    let read = |name: &str| std::fs::read_to_string(results.path().join(name)).unwrap_or_default();
    let result: serde_json::Value = serde_json::from_str(&read("result.json"))
        .unwrap_or_else(|_| panic!("the probe for herald {args:?} ended ({status}) without a result"));
    assert!(!result["hung"].as_bool().unwrap_or(true), "herald {args:?} did not finish within {deadline:?}: it hung");
    Timed {
        stdout: read("stdout"),
        stderr: read("stderr"),
        code: result["code"].as_i64().and_then(|c| i32::try_from(c).ok()).unwrap_or(-1),
        elapsed: Duration::from_micros(result["elapsed_us"].as_u64().unwrap_or(u64::MAX)),
        peak_rss: result["peak_rss"].as_u64().unwrap_or(u64::MAX),
    }
}

const PROBE_DIR: &str = "HERALD_TEST_PROBE_DIR";
const PROBE_ARGS: &str = "HERALD_TEST_PROBE_ARGS";
const PROBE_DEADLINE_MS: &str = "HERALD_TEST_PROBE_DEADLINE_MS";

/// Not a test of its own: the fresh process [`run_within`] starts herald from. It runs herald with the
/// arguments in its environment, writes its outputs, exit code, time and peak memory to files, and
/// kills it at the deadline.
#[test]
#[ignore = "run by run_within in a process of its own"]
fn probe() {
    let Some(results) = std::env::var_os(PROBE_DIR).map(std::path::PathBuf::from) else {
        return;
    };
    let argv: Vec<String> = serde_json::from_str(&std::env::var(PROBE_ARGS).expect("args")).expect("args as JSON");
    let deadline = Duration::from_millis(std::env::var(PROBE_DEADLINE_MS).expect("deadline").parse().expect("ms"));
    let file = |name: &str| std::fs::File::create(results.join(name)).expect("a result file");
    let started = Instant::now();
    // Reaped below with wait4, which also gives the child's own resource use.
    #[allow(clippy::zombie_processes)]
    let mut child = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(&argv)
        .stdin(Stdio::null())
        .stdout(file("stdout"))
        .stderr(file("stderr"))
        .spawn()
        .expect("run herald");
    let pid = i32::try_from(child.id()).expect("pid");
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut hung = false;
    loop {
        // SAFETY: `pid` is our child, not yet reaped; `status` and `usage` are valid for writes.
        let reaped = unsafe { libc::wait4(pid, &raw mut status, libc::WNOHANG, &raw mut usage) };
        assert!(reaped >= 0, "wait4: {}", std::io::Error::last_os_error());
        if reaped == pid {
            break;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            // SAFETY: as above; this time blocking until the killed child is reaped.
            unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
            hung = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = started.elapsed();
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    let result = serde_json::json!({
        "code": code,
        "hung": hung,
        "elapsed_us": u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        // Linux reports kilobytes.
        "peak_rss": u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024,
    });
    std::fs::write(results.join("result.json"), result.to_string()).expect("the result");
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: a valid NUL-terminated path; mkfifo only creates the file.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo: {}", std::io::Error::last_os_error());
}

/// A JPEG of exactly `size` bytes: the smallest one's headers, then scan data.
fn jpeg_of(size: usize) -> Vec<u8> {
    let mut bytes = JPEG[..JPEG.len() - 2].to_vec();
    bytes.resize(size - 2, 0x55);
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

const A_SECOND: Duration = Duration::from_secs(1);

#[test]
fn a_named_pipe_in_media_is_refused_by_check_and_preview_without_hanging() {
    let p = project_on(&["x"], "media/pipe.jpg");
    std::fs::create_dir_all(p.path().join("campaigns/media")).unwrap();
    mkfifo(&p.path().join("campaigns/media/pipe.jpg"));
    let r = run_within(p.path(), &["check"], A_SECOND);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("error: media file `media/pipe.jpg` is a named pipe (FIFO), not a regular file"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("campaigns/c.toml:"), "the error points at the media entry: {}", r.stderr);
    let r = run_within(p.path(), &["preview", "--from", "2027-03-01", "--to", "2027-03-31"], A_SECOND);
    assert_ne!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("is a named pipe (FIFO)"), "{}", r.stderr);
}

#[test]
fn a_folder_named_like_an_image_is_refused() {
    let p = project_on(&["x"], "media/folder.jpg");
    std::fs::create_dir_all(p.path().join("campaigns/media/folder.jpg")).unwrap();
    let r = run_within(p.path(), &["check"], A_SECOND);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error: media file `media/folder.jpg` is a folder, not a regular file"), "{}", r.stderr);
}

#[test]
fn check_refuses_an_image_over_each_platforms_limit() {
    // 4.5 MB: within X's, LinkedIn's and Instagram's limits, over Facebook's 4 MB.
    let p = project_on(&["x", "linkedin", "facebook", "instagram"], "media/card.jpg")
        .bytes("campaigns/media/card.jpg", &jpeg_of(4_500_000));
    let r = run_within(p.path(), &["check"], Duration::from_secs(10));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let errors: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("error: `")).collect();
    assert_eq!(
        errors,
        [
            "error: `media/card.jpg` is 4,500,000 bytes (4.5 MB), over Facebook's limit of 4,000,000 bytes (4.0 MB) for an image (channel `facebook`)"
        ],
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("help: make the image smaller"), "{}", r.stderr);
}

#[test]
fn a_sparse_two_gigabyte_file_is_refused_from_its_size_without_being_read() {
    let p = project_on(&["x", "linkedin", "facebook", "instagram"], "media/huge.jpg")
        .bytes("campaigns/media/huge.jpg", JPEG);
    let path = p.path().join("campaigns/media/huge.jpg");
    // 2 GB long, nothing written past the header: reading it would take seconds and gigabytes.
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(2 << 30).unwrap();
    let r = run_within(p.path(), &["check"], Duration::from_secs(5));
    assert_eq!(r.code, 1, "{}", r.stderr);
    for (platform, channel, limit) in [
        ("X/Twitter", "x", "5,242,880 bytes (5.2 MB)"),
        ("LinkedIn", "linkedin", "5,000,000 bytes (5.0 MB)"),
        ("Facebook", "facebook", "4,000,000 bytes (4.0 MB)"),
        ("Instagram", "instagram", "8,000,000 bytes (8.0 MB)"),
    ] {
        let expected = format!(
            "error: `media/huge.jpg` is 2,147,483,648 bytes (2147.5 MB), over {platform}'s limit of {limit} for an image (channel `{channel}`)"
        );
        assert!(r.stderr.contains(&expected), "missing {expected:?} in:\n{}", r.stderr);
    }
    assert!(r.elapsed < A_SECOND, "check took {:?}", r.elapsed);
    assert!(r.peak_rss < 200 << 20, "check used {} bytes: it read the file", r.peak_rss);
    let r = run_within(p.path(), &["send", "c/card", "--dry-run"], Duration::from_secs(5));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("send stopped: fix these problems first"), "{}", r.stderr);
    assert!(r.elapsed < A_SECOND, "send took {:?}", r.elapsed);
    assert!(r.peak_rss < 200 << 20, "send used {} bytes: it read the file", r.peak_rss);
}

#[test]
fn four_bytes_that_start_like_a_jpeg_are_not_a_jpeg() {
    let p = project_on(&["x"], "media/four.jpg").bytes("campaigns/media/four.jpg", &[0xFF, 0xD8, 0xFF, 0xE0]);
    let r = run_within(p.path(), &["check"], Duration::from_secs(5));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("error: `media/four.jpg` is not a well-formed JPEG image"), "{}", r.stderr);
    // A PNG signature with a damaged header chunk, likewise.
    let mut png = PNG.to_vec();
    png[20] ^= 0x40;
    let p = project_on(&["x"], "media/card.png").bytes("campaigns/media/card.png", &png);
    let r = run_within(p.path(), &["check"], Duration::from_secs(5));
    assert!(r.stderr.contains("error: `media/card.png` is not a well-formed PNG image"), "{}", r.stderr);
}

#[test]
fn real_small_jpegs_and_pngs_are_accepted() {
    let bundled = std::fs::read(repo_root().join("campaigns/media/water-day.jpg")).unwrap();
    for (file, bytes) in [("media/water.jpg", bundled.as_slice()), ("media/tiny.jpg", JPEG), ("media/tiny.png", PNG)] {
        let channels: &[&str] = if file.ends_with(".png") {
            &["x", "linkedin", "facebook"]
        } else {
            &["x", "linkedin", "facebook", "instagram"]
        };
        let p = project_on(channels, file).bytes(&format!("campaigns/{file}"), bytes);
        let r = run_within(p.path(), &["check"], Duration::from_secs(5));
        assert_eq!(r.code, 0, "{file}: {}", r.stderr);
    }
}

/// A dry run of the largest image each uploading platform allows holds it about once: the peak memory
/// of `send --dry-run` grows by less than twice the image's size (one copy, or its base64 text for X).
#[test]
fn a_dry_run_of_the_largest_allowed_image_stays_under_twice_its_size() {
    for (channel, limit) in [("x", 5 * 1024 * 1024), ("linkedin", 5_000_000), ("facebook", 4_000_000)] {
        let small = project_on(&[channel], "media/card.jpg").bytes("campaigns/media/card.jpg", JPEG);
        let large = project_on(&[channel], "media/card.jpg").bytes("campaigns/media/card.jpg", &jpeg_of(limit));
        let deadline = Duration::from_secs(30);
        let base = run_within(small.path(), &["send", "c/card", "--dry-run"], deadline);
        let r = run_within(large.path(), &["send", "c/card", "--dry-run"], deadline);
        assert_eq!((base.code, r.code), (0, 0), "{}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("dry run: nothing was sent"), "{}", r.stdout);
        let grown = r.peak_rss.saturating_sub(base.peak_rss);
        eprintln!("{channel}: a {limit}-byte image raised the dry run's peak memory by {grown} bytes");
        assert!(grown < 2 * limit as u64, "{channel}: {grown} bytes for a {limit}-byte image");
    }
}
