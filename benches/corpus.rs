//! Benchmark: `check` plus a full-year `preview --format json` on a generated corpus of
//! 100 campaigns × 365 posts × 4 channels, in one thread. Prints renders per second and peak memory.
//!
//! Run: `cargo bench --bench corpus` (add `-- --campaigns N --posts M` for another size).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;
use herald::schedule::Filter;

const JPEG: &[u8] = herald::channels::media::SMALLEST_JPEG;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Writes the corpus: every campaign has one post per day of 2027 on four channels, half of them tied
/// to the day via `date`, with template variables, hashtags, a UTM link and an image.
fn generate(root: &Path, campaigns: usize, posts: usize) {
    std::fs::create_dir_all(root.join("config")).unwrap();
    std::fs::create_dir_all(root.join("campaigns/media")).unwrap();
    std::fs::write(root.join("campaigns/media/card.jpg"), JPEG).unwrap();
    std::fs::write(
        root.join("config/herald.toml"),
        "[channels.x]\nplatform = \"twitter\"\nhandle = \"@humansecurityFA\"\n\
         [channels.instagram]\nplatform = \"instagram\"\nhandle = \"@humansecurityforall\"\n\
         [channels.linkedin]\nplatform = \"linkedin\"\nhandle = \"@humansecurityforall\"\n\
         [channels.facebook]\nplatform = \"facebook\"\nhandle = \"@HS4Aglobal\"\n",
    )
    .unwrap();
    let start = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    for c in 0..campaigns {
        let mut s = format!(
            "[campaign]\nid = \"campaign-{c:03}\"\nname = \"Campaign {c}\"\ntimezone = \"America/New_York\"\n\
             channels = [\"x\", \"instagram\", \"linkedin\", \"facebook\"]\nhashtags = [\"HumanSecurity\", \"HS4A\"]\n\
             link = \"https://www.humansecurity.world\"\nutm = true\nstarts = 2027-01-01\nends = 2027-12-31\ntime = \"09:00\"\n"
        );
        for p in 0..posts {
            let date = start + chrono::Duration::days((p % 365) as i64);
            let _ = write!(
                s,
                "\n[[post]]\nid = \"post-{p}\"\ndate = {date}\ntext = \"\"\"\nDay {p} of {{{{ campaign.name }}}}: freedom from fear and want. \
                 Post {{{{ post.id }}}} goes out on {{{{ post.date }}}} to {{{{ channel.handle }}}}.\n\"\"\"\n\
                 media = [{{ file = \"media/card.jpg\", alt = \"Campaign card {p}\" }}]\n"
            );
        }
        std::fs::write(root.join(format!("campaigns/c{c:03}.toml")), s).unwrap();
    }
}

/// Peak resident memory of this process, from /proc (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Counts the bytes written (like piping the JSON to a file, without the disk).
struct CountingSink(usize);

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    let campaigns = arg("--campaigns", 100);
    let posts = arg("--posts", 365);
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), campaigns, posts);
    let rss_before = peak_rss_mib().unwrap_or(0.0);

    let t0 = Instant::now();
    let loaded = herald::config::load_project(dir.path(), None).unwrap();
    let t_load = t0.elapsed();
    let diags = herald::check::check(&loaded.project, loaded.diagnostics);
    if let Some(d) = diags.iter().find(|d| d.is_error()) {
        panic!("the generated corpus must be valid:\n{}", d.render(false));
    }
    let t_check = t0.elapsed();
    let filter = Filter {
        from: NaiveDate::from_ymd_opt(2027, 1, 1),
        to: NaiveDate::from_ymd_opt(2027, 12, 31),
        ..Filter::default()
    };
    let mut json = CountingSink(0);
    let summary = herald::preview::write_json(&loaded.project, &filter, &|_, _| None, &mut json).unwrap();
    let total = t0.elapsed();

    let renders = summary.posts * 2; // check renders every occurrence once, preview once more
    println!("corpus: {campaigns} campaigns x {posts} posts x 4 channels = {} occurrences", summary.posts);
    println!("load + validate: {:>8.1} ms", t_load.as_secs_f64() * 1e3);
    println!("check (renders): {:>8.1} ms", (t_check - t_load).as_secs_f64() * 1e3);
    println!("preview + json:  {:>8.1} ms  ({} MiB of JSON)", (total - t_check).as_secs_f64() * 1e3, json.0 >> 20);
    println!("total:           {:>8.1} ms", total.as_secs_f64() * 1e3);
    println!("renders/second:  {:>8.0}", renders as f64 / total.as_secs_f64());
    println!("peak memory:     {:>8.1} MiB (before loading: {rss_before:.1} MiB)", peak_rss_mib().unwrap_or(f64::NAN));
}
