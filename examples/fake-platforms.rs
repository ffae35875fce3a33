//! The platform fakes, standalone: `cargo run --example fake-platforms`.
//!
//! Starts the fake X on 127.0.0.1 (the other platforms' fakes join it as their adapters land) and
//! prints a `config/herald.toml` snippet and the environment that point a herald project at it, so
//! `herald send`, `herald check --online` and (later) the daemon can be tried end to end without
//! network. Stop it with Ctrl-C; it prints what was published.

#[path = "../tests/support/fake_x.rs"]
mod fake_x;
#[path = "../tests/support/openapi.rs"]
mod openapi;

#[tokio::main]
async fn main() {
    let x = fake_x::FakeX::start().await;
    let c = fake_x::credentials();
    println!("fake X listening on {}\n", x.uri());
    println!("# config/herald.toml");
    println!("[channels.x]\nplatform = \"twitter\"\nhandle = \"@humansecurityFA\"\nbase_url = \"{}\"", x.uri());
    println!("[channels.x.credentials]");
    for (name, var) in
        [("consumer_key", "CK"), ("consumer_secret", "CS"), ("access_token", "AT"), ("access_token_secret", "ATS")]
    {
        println!("{name} = \"env:HERALD_FAKE_X_{var}\"");
    }
    println!("\n# environment (fake credentials, known to the fake only)");
    for (var, secret) in
        [("CK", &c.consumer_key), ("CS", &c.consumer_secret), ("AT", &c.token), ("ATS", &c.token_secret)]
    {
        println!("export HERALD_FAKE_X_{var}={}", secret.expose());
    }
    println!("\nCtrl-C to stop.");
    let _ = tokio::signal::ctrl_c().await;
    for p in x.posts() {
        println!("published {}: {:?}", p.id, p.text);
    }
}
