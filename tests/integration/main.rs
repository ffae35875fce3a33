//! herald's integration tests: the real binary on projects written to temporary directories.

#[path = "../support/mod.rs"]
mod support;

mod calendar_feeds;
mod check;
mod daemon_cli;
mod days;
mod editor_diagnostics;
mod exactly_once;
mod example;
mod facebook_adapter;
mod fuzz_campaigns;
mod github_workflow;
mod init;
mod instagram_adapter;
mod languages;
mod linkedin_adapter;
mod media_files;
mod pacing;
mod preview;
mod preview_as_sent;
mod preview_html;
mod rehearsal;
mod review;
mod robustness;
mod secrets_echo;
mod send_waits;
mod server_errors;
mod snapshots;
mod state_dir;
mod terminal;
mod unusable_ledger;
mod x_adapter;
