//! The `herald` binary: parse arguments, run, print once, exit with the documented code.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = herald::cli::Cli::parse();
    let today = match herald::cli::today(std::env::var_os(herald::cli::TODAY_ENV), chrono::Utc::now().date_naive()) {
        Ok(today) => today,
        Err(message) => {
            let _ = std::io::stderr().write_all(message.as_bytes());
            return ExitCode::from(herald::cli::EXIT_FAILURE);
        }
    };
    let stdout = std::io::stdout();
    // Everything printed passes the redactor: no credential herald loaded reaches the terminal, even
    // inside a platform's message that echoes the request.
    let mut stdout = herald::secrets::Redacting(std::io::BufWriter::new(stdout.lock()));
    let out = herald::cli::run(&cli, today, &mut stdout);
    // A closed pipe (e.g. `herald preview | head`) is not an error worth a panic.
    let _ = stdout.write_all(out.stdout.as_bytes());
    let _ = stdout.flush();
    let _ = herald::secrets::Redacting(std::io::stderr()).write_all(out.stderr.as_bytes());
    ExitCode::from(out.code)
}
