//! The four platform fakes, standalone: `cargo run --example fake-platforms`.
//!
//! Starts the fake X, Instagram, LinkedIn and Facebook on 127.0.0.1 (the same fakes the tests use:
//! they check signatures, tokens, headers and bodies as the platforms do) and prints the
//! `config/herald.toml` channels and the environment that point a herald project at them, so
//! `herald send`, `herald check --online`, `herald run` and the benchmarks can be tried end to end
//! without network. Stop it with Ctrl-C; it prints what was published.
//!
//! `--config-out FILE` also writes the channels to FILE, and `--env-out FILE` the environment (as
//! `export` lines), for scripts.

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

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let fakes = fake_platforms::FakePlatforms::start().await;
    let (x, instagram, linkedin, facebook) = (&fakes.x, &fakes.instagram, &fakes.linkedin, &fakes.facebook);
    let config = fakes.channels();
    let env = fake_platforms::FakePlatforms::environment();
    let exports: String = env.iter().map(|(k, v)| format!("export {k}={v}\n")).collect();
    println!(
        "fake X {}, Instagram {}, LinkedIn {}, Facebook {}\n",
        x.uri(),
        instagram.uri(),
        linkedin.uri(),
        facebook.uri()
    );
    println!("# config/herald.toml: replace the channels with these\n{config}");
    println!("# environment (fake credentials, known to the fakes only)\n{exports}");
    if let Some(path) = arg("--config-out") {
        std::fs::write(&path, &config).expect("write --config-out");
    }
    if let Some(path) = arg("--env-out") {
        std::fs::write(&path, &exports).expect("write --env-out");
    }
    println!("Ctrl-C to stop.");
    let _ = tokio::signal::ctrl_c().await;
    for p in x.posts() {
        println!("X published {}: {:?}", p.id, p.text);
    }
    for p in instagram.posts() {
        println!("Instagram published {}: {:?}", p.id, p.caption);
    }
    for p in linkedin.posts() {
        println!("LinkedIn published {}: {:?}", p.urn, p.text);
    }
    for p in facebook.posts() {
        println!("Facebook published {}: {:?}", p.id, p.message.as_deref().unwrap_or(""));
    }
}
