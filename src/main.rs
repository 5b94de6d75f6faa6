//! The `mlp` command line. Only argument handling and exit codes live here;
//! the work is done by the library's phases through `mlp::driver`.

use clap::{Parser, Subcommand, ValueEnum};
use mlp::diagnostics::{self, render};
use mlp::driver::{self, IoError, Session};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit codes: 0 clean, 1 diagnostics found, 2 usage or I/O error.
const EXIT_DIAGNOSTICS: u8 = 1;
const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "mlp",
    version,
    about = "A declarative language for machine-learning pipelines"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiagnosticFormat {
    Human,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Check `.mlp` files (a file, or a folder searched recursively)
    Check {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// How to print diagnostics
        #[arg(long, value_enum, default_value = "human")]
        format: DiagnosticFormat,
    },
    /// Format `.mlp` files in place
    Fmt {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Change nothing; exit 1 if a file is not formatted
        #[arg(long)]
        check: bool,
    },
    /// Show the documentation of a diagnostic code, e.g. `mlp explain MLP0001`
    Explain { code: String },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Check { paths, format } => check(&paths, format),
        Command::Fmt { paths, check } => fmt(&paths, check),
        Command::Explain { code } => explain(&code),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

fn report(session: &Session, format: DiagnosticFormat) {
    match format {
        DiagnosticFormat::Human => {
            let style = render::HumanStyle {
                color: color_enabled(),
                width: 100,
            };
            let mut err = std::io::stderr().lock();
            for diagnostic in &session.diagnostics {
                let _ = write!(
                    err,
                    "{}",
                    render::human(diagnostic, &session.sources, style)
                );
            }
            let errors = session.diagnostics.iter().filter(|d| d.is_error()).count();
            let warnings = session.diagnostics.len() - errors;
            if !session.diagnostics.is_empty() {
                let _ = writeln!(err, "{errors} error(s), {warnings} warning(s)");
            }
        }
        DiagnosticFormat::Json => {
            let all: Vec<render::JsonDiagnostic> = session
                .diagnostics
                .iter()
                .map(|d| render::json(d, &session.sources))
                .collect();
            let text = serde_json::to_string_pretty(&all).unwrap_or_else(|_| "[]".into());
            println!("{text}");
        }
    }
}

fn check(paths: &[PathBuf], format: DiagnosticFormat) -> Result<u8, IoError> {
    let session = driver::parse_files(paths)?;
    report(&session, format);
    Ok(if session.has_errors() {
        EXIT_DIAGNOSTICS
    } else {
        0
    })
}

fn fmt(paths: &[PathBuf], check_only: bool) -> Result<u8, IoError> {
    let session = driver::parse_files(paths)?;
    if session.has_errors() {
        report(&session, DiagnosticFormat::Human);
        eprintln!("not formatting: fix the errors above first");
        return Ok(EXIT_DIAGNOSTICS);
    }
    let mut unformatted = 0;
    for file in &session.files {
        let source = session.sources.get(file.id);
        let formatted = mlp::fmt::format(&file.ast, &source.text);
        if formatted == source.text {
            continue;
        }
        unformatted += 1;
        if check_only {
            println!("would reformat {}", source.name);
        } else {
            driver::write_atomic(&source.path, formatted.as_bytes())?;
            println!("formatted {}", source.name);
        }
    }
    Ok(if check_only && unformatted > 0 {
        EXIT_DIAGNOSTICS
    } else {
        0
    })
}

fn explain(code: &str) -> Result<u8, IoError> {
    match diagnostics::codes::lookup(code) {
        Some(info) => {
            print!("{}", info.page);
            Ok(0)
        }
        None => {
            eprintln!("error: `{code}` is not a diagnostic code of mlp (codes look like MLP0001)");
            Ok(EXIT_USAGE)
        }
    }
}
