//! The `mlp` command line. Only argument handling and exit codes live here;
//! the work is done by the library's phases through `mlp::driver`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use mlp::check::Options;
use mlp::diagnostics::{self, render};
use mlp::driver::{self, IoError, Session};
use mlp::exec::run::{Project, RunOptions};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

mod progress;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes: 0 clean, 1 diagnostics found, 2 usage or I/O error (a bad
/// `--param` or `--env` is a usage error), 3 a metric gate of severity
/// `error` failed, 4 a run failed (bad data, a failed expectation, a model
/// that cannot train).
const EXIT_DIAGNOSTICS: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_GATE_FAILED: u8 = 3;
const EXIT_RUN_FAILED: u8 = 4;

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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LintFormat {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BuildTarget {
    Kubernetes,
    Docker,
    Compose,
    Argo,
    All,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PredictFormat {
    Csv,
    Parquet,
    Jsonl,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OnErrorArg {
    Error,
    Skip,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DenyLevel {
    Warnings,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Emit {
    Ir,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    Dot,
    Mermaid,
    Svg,
    Json,
}

/// The values a command checks the pipeline with.
#[derive(Args)]
struct Overrides {
    /// Override a `param` of the pipeline: `--param seed=7` (repeatable)
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Apply the pipeline's `env NAME { ... }` overlay: `--env prod`
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
}

/// Where a pipeline may read files.
#[derive(Args)]
struct AccessArgs {
    /// The project root: no module or data file outside it is read
    /// (default: the folder of the entry file)
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Let sources read data files outside the project root
    #[arg(long)]
    allow_outside_root: bool,
}

impl AccessArgs {
    fn access(self) -> driver::Access {
        driver::Access {
            root: self.root,
            allow_outside_root: self.allow_outside_root,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Check `.mlp` files: a file, or a folder (its `main.mlp`, or every file)
    Check {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// How to print diagnostics
        #[arg(long, value_enum, default_value = "human")]
        format: DiagnosticFormat,
        /// Print the typed IR as JSON on stdout (see docs/ir.md)
        #[arg(long, value_enum)]
        emit: Option<Emit>,
        #[command(flatten)]
        overrides: Overrides,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Lint governance: the built-in rules (docs/rules/) and the pipeline's
    /// own policies, statically. Exit 1 on an error finding (or a warning
    /// with `--deny warnings`), 0 otherwise
    Lint {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "human")]
        format: LintFormat,
        /// `--deny warnings`: warnings fail the lint too
        #[arg(long, value_enum)]
        deny: Option<DenyLevel>,
        #[command(flatten)]
        overrides: Overrides,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Draw the dependency graph of a pipeline
    Graph {
        path: PathBuf,
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
        /// Write to this file instead of stdout
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        overrides: Overrides,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Run a pipeline: load data, transform, train, evaluate; reuse cached stages
    #[command(group(clap::ArgGroup::new("alone").args(["stage", "collect"])))]
    Run {
        /// A `.mlp` file, or a folder with a `main.mlp`
        path: PathBuf,
        /// Where to write the outputs (default `.mlp/runs/<run-id>/`)
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run every stage, cached or not
        #[arg(long)]
        force: bool,
        /// Run only this stage and the stages it needs (with `--outputs`:
        /// this stage alone)
        #[arg(long)]
        stage: Option<String>,
        /// With `--stage` or `--collect`: the folder holding the outputs of
        /// each stage read, one folder per stage named by its slug
        /// (docs/deploy.md)
        #[arg(long, value_name = "DIR", requires = "alone", requires = "outputs")]
        inputs: Option<PathBuf>,
        /// With `--stage`: run that stage alone from `--inputs`, without the
        /// cache, and write its outputs into DIR, which must not exist or be
        /// empty (with `--collect`: the run's outputs)
        #[arg(
            long,
            value_name = "DIR",
            requires = "alone",
            conflicts_with_all = ["out", "force"]
        )]
        outputs: Option<PathBuf>,
        /// Write the outputs of a run (metrics.json with the gates, models/,
        /// run.json, report.html) into `--outputs` from the outputs of every
        /// model and evaluate stage run alone, under `--inputs`
        #[arg(long, requires = "inputs", requires = "outputs")]
        collect: bool,
        /// How many stages may run at once (default: the number of cores)
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        jobs: Option<u16>,
        #[command(flatten)]
        overrides: Overrides,
        /// Print nothing but errors
        #[arg(long, short)]
        quiet: bool,
        /// `json`: one event per line on stdout
        #[arg(long, value_enum, default_value = "human")]
        format: DiagnosticFormat,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Show which stages `mlp run` would run, and why
    Plan {
        path: PathBuf,
        #[arg(long)]
        force: bool,
        #[arg(long)]
        stage: Option<String>,
        #[command(flatten)]
        overrides: Overrides,
        #[arg(long, value_enum, default_value = "human")]
        format: DiagnosticFormat,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Format `.mlp` files in place
    Fmt {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Change nothing; exit 1 if a file is not formatted
        #[arg(long)]
        check: bool,
        /// Change nothing; print the changes as a unified diff on stdout
        #[arg(long)]
        diff: bool,
    },
    /// Print the completion script of a shell: `mlp completions bash >
    /// ~/.local/share/bash-completion/completions/mlp`
    Completions { shell: clap_complete::Shell },
    /// Show the documentation of a diagnostic code or lint rule, e.g.
    /// `mlp explain MLP0001`, `mlp explain GOV011`
    Explain { code: String },
    /// Write a model card per model (`model-NAME.md`) and, for a high-risk
    /// pipeline, an outline of its EU AI Act Annex IV documentation
    /// (`annex-iv.md`), from the pipeline and its latest run
    Doc {
        /// A `.mlp` file, or a folder with a `main.mlp`
        path: PathBuf,
        /// The run whose values fill the documents (default: the latest run, if any)
        #[arg(long, value_name = "DIR")]
        run: Option<PathBuf>,
        /// Markdown or one HTML page per document
        #[arg(long, default_value = "md", value_parser = ["md", "html"])]
        format: String,
        /// Where to write the documents (default `.mlp/doc/` in the project)
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[command(flatten)]
        overrides: Overrides,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// GET a URL and succeed on a 2xx answer: the health check of the
    /// images `mlp build` writes
    Probe { url: String },
    /// The language server, on standard input and output (docs/lsp.md)
    Lsp,
    /// Score a CSV, Parquet or JSON Lines file with a trained model: one
    /// output row per input row, with the prediction (and class
    /// probabilities)
    Predict {
        /// A model file, a folder holding one, or a run folder (`--model`
        /// chooses among several)
        model: PathBuf,
        /// Raw rows of the model's source (or rows of a later table of its
        /// transforms, such as a split's part)
        input: PathBuf,
        /// The model, when the folder holds several
        #[arg(long = "model", value_name = "NAME")]
        model_name: Option<String>,
        /// Where to write (default: stdout)
        #[arg(long)]
        out: Option<PathBuf>,
        /// Output format (default: from `--out`'s extension, else csv)
        #[arg(long, value_enum)]
        format: Option<PredictFormat>,
        /// A row that cannot be scored ends the command (`error`) or is
        /// left out and reported (`skip`)
        #[arg(long, value_enum, default_value = "error")]
        on_error: OnErrorArg,
        /// Leave out the input columns the model does not read
        #[arg(long)]
        drop_extra: bool,
        /// The rows are those of this transform's input (`model`: of the
        /// training table), not raw source rows
        #[arg(long, value_name = "TRANSFORM")]
        at: Option<String>,
    },
    /// Serve a trained model over HTTP: /v1/predict, /v1/model, /healthz,
    /// /readyz, /metrics, /openapi.json, and KServe v2 under /v2
    Serve {
        /// A model file, a folder holding one, or a run folder
        model: PathBuf,
        /// The model, when the folder holds several
        #[arg(long = "model", value_name = "NAME")]
        model_name: Option<String>,
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// 0 picks a free port (printed on stderr)
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Threads answering requests (default: the number of cores)
        #[arg(long)]
        workers: Option<usize>,
        /// Largest request body, in bytes
        #[arg(long, default_value_t = 1024 * 1024)]
        max_body: usize,
        /// Most rows in one request
        #[arg(long, default_value_t = 10_000)]
        max_rows: usize,
        /// Longest a request may take, in milliseconds
        #[arg(long, default_value_t = 10_000)]
        timeout_ms: u64,
        /// Prediction requests scored at once (default: 4 per worker)
        #[arg(long)]
        concurrency: Option<usize>,
        /// Append one JSON line per prediction request (no input values)
        #[arg(long, value_name = "FILE")]
        audit_log: Option<PathBuf>,
        /// Rotate the audit log past this many bytes
        #[arg(long, default_value_t = 100 * 1024 * 1024)]
        audit_max_bytes: u64,
        /// Rows in the sliding window of the drift gauges
        #[arg(long, default_value_t = 1000)]
        drift_window: usize,
    },
    /// Write the deployment files of a pipeline (Kubernetes, Docker,
    /// compose, Argo) for the model of its latest run, if its gates passed
    Build {
        /// A `.mlp` file, or a folder with a `main.mlp`
        path: PathBuf,
        #[arg(long, value_enum, default_value = "all")]
        target: BuildTarget,
        /// Where to write (default `build/` beside the pipeline)
        #[arg(long)]
        out: Option<PathBuf>,
        /// A folder of templates that replace the built-in ones (same paths)
        #[arg(long)]
        templates: Option<PathBuf>,
        /// Build even without a run or with failed gates (recorded in the
        /// manifests' annotations)
        #[arg(long)]
        allow_ungated: bool,
        /// The run released (default: the latest run)
        #[arg(long)]
        run: Option<PathBuf>,
        #[command(flatten)]
        overrides: Overrides,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Record a human approval of a deployment's model, under `approvals/`
    /// (commit it): valid for the exact model artifact of the run only
    Approve {
        /// A `.mlp` file, or a folder with a `main.mlp`
        path: PathBuf,
        /// The deployment approved
        #[arg(long)]
        deploy: String,
        /// The approver's email address
        #[arg(long)]
        by: String,
        /// Why the release is approved
        #[arg(long)]
        reason: String,
        /// The run whose model is approved (default: the latest run)
        #[arg(long)]
        run: Option<PathBuf>,
        #[command(flatten)]
        overrides: Overrides,
        #[command(flatten)]
        access: AccessArgs,
    },
}

/// Rust ignores SIGPIPE, so `mlp plan | head` would panic on the closed
/// pipe; like other command-line tools, mlp ends quietly instead.
fn end_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called first in main, before any other thread exists;
    // restoring a signal's default action has no other effect.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    end_quietly_on_closed_pipe();
    match mlp::on_large_stack(cli_main) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: cannot start the main thread: {error}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn cli_main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Check {
            paths,
            format,
            emit,
            overrides,
            access,
        } => overrides
            .options()
            .and_then(|o| check(&paths, format, emit, &o, &access.access())),
        Command::Lint {
            paths,
            format,
            deny,
            overrides,
            access,
        } => overrides
            .options()
            .and_then(|o| lint(&paths, format, deny.is_some(), &o, &access.access())),
        Command::Graph {
            path,
            format,
            output,
            overrides,
            access,
        } => overrides
            .options()
            .and_then(|o| graph(&path, format, output.as_deref(), &o, &access.access())),
        Command::Run {
            path,
            out,
            force,
            stage,
            inputs,
            outputs,
            collect: _,
            jobs,
            overrides,
            quiet,
            format,
            access,
        } => overrides.options().and_then(|o| {
            let mode = match (quiet, format) {
                (true, _) => progress::Mode::Quiet,
                (false, DiagnosticFormat::Json) => progress::Mode::Json,
                (false, DiagnosticFormat::Human) if std::io::stderr().is_terminal() => {
                    progress::Mode::Live
                }
                (false, DiagnosticFormat::Human) => progress::Mode::Plain,
            };
            if let Some(outputs) = outputs {
                // `--collect` when there is no `--stage` (clap's group).
                let alone = Alone {
                    stage: stage.as_deref(),
                    inputs: inputs.as_deref(),
                    outputs: &outputs,
                };
                return run_alone(&path, &o, &access.access(), &alone, mode);
            }
            let run_options = RunOptions {
                force,
                stage,
                jobs: jobs.map_or_else(default_jobs, usize::from),
                out,
            };
            run(&path, &o, &access.access(), &run_options, mode)
        }),
        Command::Plan {
            path,
            force,
            stage,
            overrides,
            format,
            access,
        } => overrides.options().and_then(|o| {
            let run_options = RunOptions {
                force,
                stage,
                jobs: 1,
                out: None,
            };
            plan(&path, &o, &access.access(), &run_options, format)
        }),
        Command::Fmt { paths, check, diff } => fmt(&paths, FmtMode { check, diff }),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "mlp", &mut std::io::stdout());
            Ok(0)
        }
        Command::Explain { code } => explain(&code),
        Command::Doc {
            path,
            run,
            format,
            out,
            overrides,
            access,
        } => overrides.options().and_then(|o| {
            let format = match format.as_str() {
                "html" => mlp::doc::Format::Html,
                _ => mlp::doc::Format::Markdown,
            };
            doc(
                &path,
                run.as_deref(),
                format,
                out.as_deref(),
                &o,
                &access.access(),
            )
        }),
        Command::Lsp => match mlp::lsp::run() {
            Ok(()) => Ok(0),
            Err(e) => {
                eprintln!("error: mlp lsp: {e}");
                Ok(EXIT_USAGE)
            }
        },
        Command::Probe { url } => match mlp::probe::probe(&url) {
            Ok(code) if (200..300).contains(&code) => Ok(0),
            Ok(code) => {
                eprintln!("{url}: HTTP {code}");
                Ok(EXIT_DIAGNOSTICS)
            }
            Err(e) => {
                eprintln!("error: {e}");
                Ok(EXIT_DIAGNOSTICS)
            }
        },
        Command::Predict {
            model,
            input,
            model_name,
            out,
            format,
            on_error,
            drop_extra,
            at,
        } => predict(
            &model,
            model_name.as_deref(),
            &mlp::serve::predict::Request {
                input: &input,
                out: out.as_deref(),
                format: format.map(|f| match f {
                    PredictFormat::Csv => mlp::serve::predict::OutputFormat::Csv,
                    PredictFormat::Parquet => mlp::serve::predict::OutputFormat::Parquet,
                    PredictFormat::Jsonl => mlp::serve::predict::OutputFormat::Jsonl,
                }),
                on_error: match on_error {
                    OnErrorArg::Error => mlp::serve::predict::OnError::Error,
                    OnErrorArg::Skip => mlp::serve::predict::OnError::Skip,
                },
                drop_extra,
                progress: std::io::stderr().is_terminal(),
                at: at.as_deref(),
            },
        )
        .or_else(usage_error),
        Command::Serve {
            model,
            model_name,
            host,
            port,
            workers,
            max_body,
            max_rows,
            timeout_ms,
            concurrency,
            audit_log,
            audit_max_bytes,
            drift_window,
        } => {
            let workers = workers.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
            });
            serve(
                &model,
                model_name.as_deref(),
                mlp::serve::Options {
                    host,
                    port,
                    workers,
                    limits: mlp::serve::Limits {
                        body_bytes: max_body,
                        max_rows,
                        timeout: std::time::Duration::from_millis(timeout_ms),
                        concurrency: concurrency.unwrap_or(4 * workers),
                    },
                    audit_log,
                    audit_max_bytes,
                    drift_window,
                    metrics: None,
                },
            )
            .or_else(usage_error)
        }
        Command::Build {
            path,
            target,
            out,
            templates,
            allow_ungated,
            run,
            overrides,
            access,
        } => {
            let request = BuildRequest {
                target,
                out,
                templates,
                allow_ungated,
                run,
            };
            overrides
                .options()
                .and_then(|o| build(&path, &request, &o, &access.access()))
        }
        Command::Approve {
            path,
            deploy,
            by,
            reason,
            run,
            overrides,
            access,
        } => overrides.options().and_then(|o| {
            approve(
                &path,
                &deploy,
                &by,
                &reason,
                run.as_deref(),
                &o,
                &access.access(),
            )
        }),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// A usage or I/O error whose message already names its file.
fn usage_error(message: String) -> Result<u8, IoError> {
    eprintln!("error: {message}");
    Ok(EXIT_USAGE)
}

fn load_scorer(
    model: &std::path::Path,
    name: Option<&str>,
) -> Result<(PathBuf, mlp::exec::scoring::Scorer), String> {
    let file = mlp::serve::predict::model_file(model, name)?;
    let bytes = std::fs::read(&file)
        .map_err(|e| format!("{}: {}", file.display(), mlp::files::io_words(&e)))?;
    let scorer = mlp::exec::scoring::Scorer::from_bytes(&bytes)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    Ok((file, scorer))
}

fn predict(
    model: &std::path::Path,
    name: Option<&str>,
    request: &mlp::serve::predict::Request,
) -> Result<u8, String> {
    let (_, scorer) = load_scorer(model, name)?;
    match mlp::serve::predict::predict(&scorer, request) {
        Ok(summary) => {
            for reason in &summary.skipped {
                eprintln!("skipped: {reason}");
            }
            eprintln!(
                "{} of {} row(s) predicted by `{}` (rows read as `{}`){}",
                summary.predicted,
                summary.rows,
                scorer.artifact.name,
                summary.entry,
                if summary.skipped_rows > 0 {
                    format!(", {} skipped", summary.skipped_rows)
                } else {
                    String::new()
                }
            );
            Ok(0)
        }
        Err(message) => {
            eprintln!("error: {message}");
            Ok(EXIT_RUN_FAILED)
        }
    }
}

fn serve(
    model: &std::path::Path,
    name: Option<&str>,
    mut options: mlp::serve::Options,
) -> Result<u8, String> {
    let (file, scorer) = load_scorer(model, name)?;
    options.metrics = mlp::serve::predict::training_metrics(&file, &scorer.artifact.name);
    mlp::serve::serve(scorer, options)?;
    Ok(0)
}

fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

fn report(session: &Session, format: DiagnosticFormat) {
    report_all(&session.diagnostics, &session.sources, format);
}

/// Human reports printed per entry; the rest are counted in the totals. No
/// one reads thousands of reports, and `--format json` lists them all.
const MAX_SHOWN: usize = 200;

fn report_all(
    all: &[diagnostics::Diagnostic],
    sources: &mlp::source::SourceMap,
    format: DiagnosticFormat,
) {
    let session = Shown {
        diagnostics: all,
        sources,
    };
    match format {
        DiagnosticFormat::Human => {
            let style = render::HumanStyle {
                color: color_enabled(),
                width: 100,
            };
            let mut err = std::io::stderr().lock();
            for diagnostic in session.diagnostics.iter().take(MAX_SHOWN) {
                let _ = write!(err, "{}", render::human(diagnostic, session.sources, style));
            }
            if let Some(more) = session.diagnostics.len().checked_sub(MAX_SHOWN) {
                if more > 0 {
                    let _ = writeln!(err, "… and {more} more; use --format json for all");
                }
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
                .map(|d| render::json(d, session.sources))
                .collect();
            let text = serde_json::to_string_pretty(&all).unwrap_or_else(|_| "[]".into());
            println!("{text}");
        }
    }
}

struct Shown<'a> {
    diagnostics: &'a [diagnostics::Diagnostic],
    sources: &'a mlp::source::SourceMap,
}

/// Prints bad `--param` / `--env` overrides; true if there were any.
fn usage_errors(compilation: &driver::Compilation) -> bool {
    for message in &compilation.usage_errors {
        eprintln!("error: {message}");
    }
    !compilation.usage_errors.is_empty()
}

impl Overrides {
    /// The check options; a malformed `--param` is a usage error.
    fn options(self) -> Result<Options, IoError> {
        let mut parsed = Vec::new();
        for p in &self.params {
            let Some((name, value)) = p.split_once('=') else {
                return Err(IoError::new(
                    std::path::Path::new("--param"),
                    format!("`{p}` is not NAME=VALUE"),
                ));
            };
            parsed.push((name.trim().to_string(), value.to_string()));
        }
        Ok(Options {
            params: parsed,
            env: self.env,
        })
    }
}

/// Parses, resolves and checks every entry; exit 1 if any has an error.
/// With `--format json`, the diagnostics of all entries form one array.
fn check(
    paths: &[PathBuf],
    format: DiagnosticFormat,
    emit: Option<Emit>,
    options: &Options,
    access: &driver::Access,
) -> Result<u8, IoError> {
    let mut failed = false;
    let mut irs = Vec::new();
    let mut json = Vec::new();
    let entries = driver::entries(paths)?;
    for entry in &entries {
        let compilation = driver::compile(entry, options, access)?;
        if usage_errors(&compilation) {
            return Ok(EXIT_USAGE);
        }
        match format {
            DiagnosticFormat::Human => report_all(
                &compilation.diagnostics,
                &compilation.sources,
                DiagnosticFormat::Human,
            ),
            DiagnosticFormat::Json => json.extend(
                compilation
                    .diagnostics
                    .iter()
                    .map(|d| render::json(d, &compilation.sources)),
            ),
        }
        failed |= compilation.has_errors();
        if emit == Some(Emit::Ir) {
            irs.push(serde_json::to_value(compilation.ir()).unwrap_or_default());
        }
        // Freeing every tree and schema one by one takes a fifth of a large
        // check; the process ends right after, and the OS reclaims it all.
        std::mem::forget(compilation);
    }
    if format == DiagnosticFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_else(|_| "[]".into())
        );
    }
    if emit == Some(Emit::Ir) {
        let doc = match <[serde_json::Value; 1]>::try_from(irs) {
            Ok([one]) => one,
            Err(many) => serde_json::Value::Array(many),
        };
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    Ok(if failed { EXIT_DIAGNOSTICS } else { 0 })
}

fn lint(
    paths: &[PathBuf],
    format: LintFormat,
    deny_warnings: bool,
    options: &Options,
    access: &driver::Access,
) -> Result<u8, IoError> {
    let entries = driver::entries(paths)?;
    let mut compilations = Vec::new();
    for entry in &entries {
        let compilation = driver::compile(entry, options, access)?;
        if usage_errors(&compilation) {
            return Ok(EXIT_USAGE);
        }
        let evidence = mlp::approvals::evidence(&compilation.project_dir)
            .map_err(|e| IoError::new(&compilation.project_dir, e))?;
        compilations.push((compilation, evidence));
    }
    let reports: Vec<mlp::lint::output::Report> = compilations
        .iter()
        .map(|(c, evidence)| {
            let context = mlp::lint::Context::of(c, &evidence.approvals, &evidence.model_hashes);
            let linted = mlp::lint::lint_with_check(&context);
            mlp::lint::output::Report {
                sources: &c.sources,
                findings: linted.findings,
                obligations: linted.obligations,
            }
        })
        .collect();
    use mlp::lint::output;
    match format {
        LintFormat::Human => {
            let style = render::HumanStyle {
                color: color_enabled(),
                width: 100,
            };
            eprint!("{}", output::human(&reports, style));
        }
        LintFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&output::json(&reports)).unwrap_or_default()
        ),
        LintFormat::Sarif => println!(
            "{}",
            serde_json::to_string_pretty(&output::sarif(&reports)).unwrap_or_default()
        ),
        LintFormat::Github => print!("{}", output::github(&reports)),
    }
    let failed = reports.iter().any(|r| {
        r.findings.iter().any(|f| f.fails(deny_warnings))
            || r.obligations
                .iter()
                .any(|o| o.status == mlp::lint::ObligationStatus::UnknownRule)
    });
    Ok(if failed { EXIT_DIAGNOSTICS } else { 0 })
}

fn graph(
    path: &std::path::Path,
    format: GraphFormat,
    output: Option<&std::path::Path>,
    options: &Options,
    access: &driver::Access,
) -> Result<u8, IoError> {
    let entries = driver::entries(&[path.to_path_buf()])?;
    let [entry] = entries.as_slice() else {
        return Err(IoError::new(
            path,
            "a graph is drawn for one pipeline: give a file, or a folder with a main.mlp",
        ));
    };
    let compilation = driver::compile(entry, options, access)?;
    report_all(
        &compilation.diagnostics,
        &compilation.sources,
        DiagnosticFormat::Human,
    );
    let view = driver::graph_view(&compilation);
    let text = match format {
        GraphFormat::Dot => mlp::graph::to_dot(&view),
        GraphFormat::Mermaid => mlp::graph::to_mermaid(&view),
        GraphFormat::Svg => mlp::graph::to_svg(&view),
        GraphFormat::Json => mlp::graph::to_json(&view),
    };
    match output {
        Some(file) => driver::write_atomic(file, text.as_bytes())?,
        None => print!("{text}"),
    }
    Ok(if compilation.has_errors() {
        EXIT_DIAGNOSTICS
    } else {
        0
    })
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Compiles the one pipeline at `path` and hands it to `work`; a pipeline
/// with errors never reaches it.
/// Compiles the pipeline at `path` and hands it to `work`; with `report`,
/// the project carries the dependency graph drawn for a run's report.
fn with_project(
    path: &std::path::Path,
    options: &Options,
    access: &driver::Access,
    report: bool,
    work: impl FnOnce(&Project) -> u8,
) -> Result<u8, IoError> {
    let entries = driver::entries(&[path.to_path_buf()])?;
    let [entry] = entries.as_slice() else {
        return Err(IoError::new(
            path,
            "a run is of one pipeline: give a file, or a folder with a main.mlp",
        ));
    };
    let compilation = driver::compile(entry, options, access)?;
    if usage_errors(&compilation) {
        return Ok(EXIT_USAGE);
    }
    report_all(
        &compilation.diagnostics,
        &compilation.sources,
        DiagnosticFormat::Human,
    );
    if compilation.has_errors() {
        eprintln!("not running: fix the errors above first");
        return Ok(EXIT_DIAGNOSTICS);
    }
    Ok(work(&Project {
        resolved: &compilation.resolved,
        program: &compilation.program,
        root: compilation.project_dir.clone(),
        data_files: &compilation.data_files,
        graph_svg: report.then(|| mlp::graph::to_svg(&driver::graph_view(&compilation))),
    }))
}

fn run(
    path: &std::path::Path,
    options: &Options,
    access: &driver::Access,
    run_options: &RunOptions,
    mode: progress::Mode,
) -> Result<u8, IoError> {
    // Refused before any work, so a wrong --out costs nothing; checked
    // again just before the run is moved into place.
    if let Some(out) = &run_options.out {
        mlp::exec::artifacts::check_out_dir(out).map_err(|message| IoError {
            path: out.clone(),
            message,
        })?;
    }
    with_project(path, options, access, true, |project| {
        let progress = progress::Progress::new(mode);
        let show = |event: &mlp::exec::run::Event| progress.event(event);
        run_and_report(project, run_options, &show)
    })
}

/// What `mlp run --stage NAME --outputs DIR` or `--collect` was given.
struct Alone<'a> {
    /// `None`: `--collect`.
    stage: Option<&'a str>,
    inputs: Option<&'a std::path::Path>,
    outputs: &'a std::path::Path,
}

/// `mlp run --stage NAME [--inputs DIR] --outputs DIR`: one stage alone,
/// from the outputs of the stages it reads; `mlp run --collect --inputs
/// DIR --outputs DIR`: a run's outputs from those of its stages. Exit 2 on
/// a usage error (a missing input folder, an `--outputs` that is not
/// empty), 4 when an input is not what the stage needs or the stage fails,
/// 3 when a collected error gate failed.
fn run_alone(
    path: &std::path::Path,
    options: &Options,
    access: &driver::Access,
    alone: &Alone,
    mode: progress::Mode,
) -> Result<u8, IoError> {
    use mlp::exec::alone::{self, AloneError};
    // Refused before any work; checked again just before writing.
    if let Err(message) = mlp::exec::artifacts::check_new_out_dir(alone.outputs) {
        eprintln!("error: {message}");
        return Ok(EXIT_USAGE);
    }
    // Only collecting writes a report.
    let report = alone.stage.is_none();
    with_project(path, options, access, report, |project| {
        let progress = progress::Progress::new(mode);
        let show = |event: &mlp::exec::run::Event| progress.event(event);
        let result = match alone.stage {
            Some(stage) => alone::run_stage(project, stage, alone.inputs, alone.outputs, &show)
                .map(|done| {
                    if matches!(mode, progress::Mode::Live | progress::Mode::Plain) {
                        println!(
                            "wrote the outputs of `{}` ({}, key {}, {} files) into {}",
                            done.stage,
                            done.slug,
                            done.key,
                            done.files,
                            done.out.display()
                        );
                    }
                    0
                }),
            // clap requires `--inputs` with `--collect`.
            None => match alone.inputs {
                Some(inputs) => alone::collect(project, inputs, alone.outputs, &show)
                    .map(|summary| gates_exit(&summary)),
                None => Err(AloneError::Usage("--collect needs --inputs DIR".into())),
            },
        };
        match result {
            Ok(code) => code,
            Err(AloneError::Usage(message)) => {
                eprintln!("error: {message}");
                EXIT_USAGE
            }
            Err(AloneError::Failed(error)) => {
                eprintln!("error: {error}");
                EXIT_RUN_FAILED
            }
        }
    })
}

fn run_and_report(
    project: &Project,
    run_options: &RunOptions,
    show: &(dyn Fn(&mlp::exec::run::Event) + Sync),
) -> u8 {
    match mlp::exec::run::run(project, run_options, show) {
        Ok(summary) => gates_exit(&summary),
        Err(error) => {
            eprintln!("error: {error}");
            EXIT_RUN_FAILED
        }
    }
}

/// Prints the failed error gates of a run: exit 3 if there is one, else 0.
fn gates_exit(summary: &mlp::exec::run::RunSummary) -> u8 {
    let failed = summary.failed_error_gates();
    for gate in &failed {
        let value = gate
            .value
            .map_or_else(|| "not computed".into(), |v| format!("{v:.4}"));
        let bound = gate.bound.map_or_else(|| "?".into(), |v| format!("{v:.4}"));
        eprintln!(
            "error: gate `{}` failed for `{}`: {} (value {value}, bound {bound}){}",
            gate.policy,
            gate.model,
            gate.rule,
            gate.message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        );
    }
    if failed.is_empty() {
        0
    } else {
        EXIT_GATE_FAILED
    }
}

fn plan(
    path: &std::path::Path,
    options: &Options,
    access: &driver::Access,
    run_options: &RunOptions,
    format: DiagnosticFormat,
) -> Result<u8, IoError> {
    with_project(path, options, access, false, |project| {
        let plan = match mlp::exec::run::plan(project, run_options) {
            Ok(plan) => plan,
            Err(error) => {
                eprintln!("error: {error}");
                return EXIT_RUN_FAILED;
            }
        };
        match format {
            DiagnosticFormat::Json => println!(
                "{}",
                serde_json::to_string_pretty(&plan.planned).unwrap_or_default()
            ),
            DiagnosticFormat::Human => {
                let width = plan
                    .planned
                    .iter()
                    .map(|p| p.stage.len())
                    .max()
                    .unwrap_or(0);
                for p in &plan.planned {
                    let verb = if p.reason.will_run() { "run " } else { "skip" };
                    println!(
                        "{verb} {:<9} {:<width$}  {}",
                        p.kind.as_str(),
                        p.stage,
                        p.reason
                    );
                }
            }
        }
        0
    })
}

struct FmtMode {
    /// Exit 1 when a file is not formatted.
    check: bool,
    /// Print what would change.
    diff: bool,
}

fn fmt(paths: &[PathBuf], mode: FmtMode) -> Result<u8, IoError> {
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
        if mode.diff {
            let old = format!("{} (original)", source.name);
            let new = format!("{} (formatted)", source.name);
            print!(
                "{}",
                similar::TextDiff::from_lines(source.text.as_str(), formatted.as_str())
                    .unified_diff()
                    .header(&old, &new)
            );
        } else if mode.check {
            println!("would reformat {}", source.name);
        } else {
            driver::write_atomic(&source.path, formatted.as_bytes())?;
            println!("formatted {}", source.name);
        }
    }
    Ok(if mode.check && unformatted > 0 {
        EXIT_DIAGNOSTICS
    } else {
        0
    })
}

struct BuildRequest {
    target: BuildTarget,
    out: Option<PathBuf>,
    templates: Option<PathBuf>,
    allow_ungated: bool,
    run: Option<PathBuf>,
}

/// The entry file of the one pipeline a command acts on.
fn one_entry(path: &std::path::Path, verb: &str) -> Result<PathBuf, IoError> {
    <[PathBuf; 1]>::try_from(driver::entries(&[path.to_path_buf()])?)
        .map(|[entry]| entry)
        .map_err(|_| {
            IoError::new(
                path,
                format!("{verb} one pipeline: a file, or a folder with a main.mlp"),
            )
        })
}

fn build(
    path: &std::path::Path,
    request: &BuildRequest,
    options: &Options,
    access: &driver::Access,
) -> Result<u8, IoError> {
    use mlp::emit::release;
    let entry = one_entry(path, "build")?;
    let base = driver::compile(&entry, options, access)?;
    if usage_errors(&base) {
        return Ok(EXIT_USAGE);
    }
    if base.has_errors() {
        report_all(&base.diagnostics, &base.sources, DiagnosticFormat::Human);
        return Ok(EXIT_DIAGNOSTICS);
    }
    // Without --env, one Kubernetes folder per environment besides `base`.
    let mut environments = Vec::new();
    if options.env.is_none() {
        let names: Vec<String> = base.resolved.modules[0]
            .ast
            .items
            .iter()
            .filter_map(|item| match &item.kind {
                mlp::syntax::ast::ItemKind::Env(e) => Some(e.name.name.clone()),
                _ => None,
            })
            .collect();
        for name in names {
            let with_env = Options {
                env: Some(name.clone()),
                ..options.clone()
            };
            let compilation = driver::compile(&entry, &with_env, access)?;
            if compilation.has_errors() || usage_errors(&compilation) {
                report_all(
                    &compilation.diagnostics,
                    &compilation.sources,
                    DiagnosticFormat::Human,
                );
                return Ok(EXIT_DIAGNOSTICS);
            }
            environments.push((name, compilation));
        }
    }
    let run = match &request.run {
        Some(run) if run.is_dir() => Some(run.clone()),
        Some(run) => return Err(IoError::new(run, "no such run folder")),
        None => mlp::approvals::latest_run(&base.project_dir),
    };
    let approvals: Vec<_> = mlp::approvals::load(&base.project_dir)
        .map_err(|e| IoError::new(&base.project_dir, e))?
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    let emitter = mlp::emit::Emitter::new(request.templates.as_deref())
        .map_err(|e| IoError::new(request.templates.as_deref().unwrap_or(path), e))?;
    let all = request.target == BuildTarget::All;
    let targets = release::Targets {
        kubernetes: all || request.target == BuildTarget::Kubernetes,
        docker: all || request.target == BuildTarget::Docker,
        compose: all || request.target == BuildTarget::Compose,
        argo: all || request.target == BuildTarget::Argo,
    };
    let built = release::build(&release::Request {
        base: &base,
        environments,
        run,
        approvals: &approvals,
        allow_ungated: request.allow_ungated,
        targets,
        emitter: &emitter,
        env: options.env.as_deref(),
    });
    let built = match built {
        Ok(built) => built,
        Err(reason) => {
            eprintln!("error: not built: {reason}");
            return Ok(EXIT_GATE_FAILED);
        }
    };
    for warning in &built.warnings {
        eprintln!("warning: {warning}");
    }
    let out = request
        .out
        .clone()
        .unwrap_or_else(|| base.project_dir.join("build"));
    mlp::emit::write::write_build(&out, &built.files, &built.copies)
        .map_err(|e| IoError::new(&out, e))?;
    println!(
        "wrote {} files to {}",
        built.files.len() + built.copies.len() + 1,
        out.display()
    );
    Ok(0)
}

fn approve(
    path: &std::path::Path,
    deploy: &str,
    by: &str,
    reason: &str,
    run: Option<&std::path::Path>,
    options: &Options,
    access: &driver::Access,
) -> Result<u8, IoError> {
    use mlp::check::BlockInfo;
    let entry = one_entry(path, "approve")?;
    let compilation = driver::compile(&entry, options, access)?;
    if usage_errors(&compilation) {
        return Ok(EXIT_USAGE);
    }
    if compilation.has_errors() {
        report_all(
            &compilation.diagnostics,
            &compilation.sources,
            DiagnosticFormat::Human,
        );
        return Ok(EXIT_DIAGNOSTICS);
    }
    mlp::approvals::validate(by, reason).map_err(|e| IoError::new(path, e))?;
    let program = &compilation.program;
    let deployments: Vec<&str> = program
        .blocks
        .iter()
        .filter(|b| matches!(b.info, BlockInfo::Deploy(_)))
        .map(|b| b.name.as_str())
        .collect();
    let deployment = program.by_name(deploy).and_then(|b| match &b.info {
        BlockInfo::Deploy(info) => Some(info),
        _ => None,
    });
    let Some(info) = deployment else {
        return Err(IoError::new(
            path,
            format!(
                "no deployment `{deploy}` (the deployments are: {})",
                deployments.join(", ")
            ),
        ));
    };
    let Some(model) = &info.model else {
        return Err(IoError::new(
            path,
            format!("`{deploy}` serves no model: there is nothing to approve"),
        ));
    };
    let run = match run {
        Some(run) => run.to_path_buf(),
        None => mlp::approvals::latest_run(&compilation.project_dir).ok_or_else(|| {
            IoError::new(
                path,
                "the pipeline has not run: `mlp run` it and review its report first",
            )
        })?,
    };
    let artifact = run.join("models").join(format!("{model}.json"));
    let model_hash = mlp::exec::cache::hash_file(&artifact).map_err(|e| {
        IoError::new(
            &artifact,
            format!(
                "no model `{model}` in this run ({})",
                mlp::files::io_words(&e)
            ),
        )
    })?;
    let pipeline = program.pipeline.as_ref();
    let now = mlp::clock::Utc::now();
    let approval = mlp::approvals::Approval {
        format: mlp::approvals::FORMAT.to_string(),
        pipeline: pipeline.map_or_else(|| "main".to_string(), |p| p.name.clone()),
        pipeline_version: pipeline.and_then(|p| match p.fields.get("version") {
            Some(mlp::check::types::Value::Str(v)) => Some(v.clone()),
            _ => None,
        }),
        deploy: deploy.to_string(),
        model: model.clone(),
        model_hash,
        run: run
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().to_string()),
        by: by.to_string(),
        reason: reason.trim().to_string(),
        at: now.rfc3339(),
    };
    let written = mlp::approvals::record(&compilation.project_dir, &approval, now)
        .map_err(|e| IoError::new(&compilation.project_dir, e))?;
    println!(
        "approved `{deploy}` (model `{model}`, {}) by {by}: {}",
        &approval.model_hash[..12],
        written.display()
    );
    Ok(0)
}

/// `mlp doc`: exit 0 when the documents are written, 1 when the pipeline
/// has errors, 2 on a usage or I/O error (a missing `--run`, an `--out`
/// that mlp did not write).
fn doc(
    path: &std::path::Path,
    run: Option<&std::path::Path>,
    format: mlp::doc::Format,
    out: Option<&std::path::Path>,
    options: &Options,
    access: &driver::Access,
) -> Result<u8, IoError> {
    // The messages name their path already.
    let fail = |path: &std::path::Path, message: String| {
        let shown = format!("{}: ", path.display());
        IoError::new(path, message.strip_prefix(&shown).unwrap_or(&message))
    };
    let entry = one_entry(path, "document")?;
    // Refused before any work; checked again just before the rename.
    if let Some(out) = out {
        mlp::doc::output::check_out_dir(out).map_err(|m| fail(out, m))?;
    }
    let given_run = match run {
        Some(dir) => Some(mlp::doc::run::load(dir).map_err(|m| fail(dir, m))?),
        None => None,
    };
    let compilation = driver::compile(&entry, options, access)?;
    if usage_errors(&compilation) {
        return Ok(EXIT_USAGE);
    }
    report_all(
        &compilation.diagnostics,
        &compilation.sources,
        DiagnosticFormat::Human,
    );
    if compilation.has_errors() {
        eprintln!("not documenting: fix the errors above first");
        return Ok(EXIT_DIAGNOSTICS);
    }
    let project = &compilation.project_dir;
    let run = match given_run {
        Some(run) => Some(run),
        None => match mlp::approvals::latest_run(project) {
            Some(dir) => Some(mlp::doc::run::load(&dir).map_err(|m| fail(&dir, m))?),
            None => None,
        },
    };
    let pipeline = mlp::doc::facts::pipeline_name(&compilation.program);
    if let Some(run) = &run {
        run.of_pipeline(&pipeline)
            .map_err(|m| IoError::new(path, m))?;
    }
    let approvals = mlp::approvals::load(project).map_err(|e| fail(project, e))?;
    let approvals: Vec<_> = approvals.into_iter().map(|(_, a)| a).collect();
    let hashes = run.as_ref().map(|r| r.hashes.clone()).unwrap_or_default();
    let context = mlp::lint::Context::of(&compilation, &approvals, &hashes);
    let documents = mlp::doc::documents(
        &context,
        &mlp::doc::Options {
            format,
            run: run.as_ref(),
            date: mlp::doc::today(),
            project_dir: project,
        },
    );
    let out = out.map_or_else(
        || project.join(".mlp").join("doc"),
        std::path::Path::to_path_buf,
    );
    let manifest = mlp::doc::output::Manifest {
        format: mlp::doc::output::DOC_FORMAT.to_string(),
        pipeline,
        mlp_version: mlp::exec::cache::MLP_VERSION.to_string(),
        run: run.as_ref().map(|r| r.id.clone()),
        files: documents.iter().map(|d| d.file.clone()).collect(),
    };
    let files: Vec<(String, String)> = documents.into_iter().map(|d| (d.file, d.text)).collect();
    mlp::doc::output::write(&out, &manifest, &files).map_err(|m| fail(&out, m))?;
    for (file, _) in &files {
        println!("wrote {}", out.join(file).display());
    }
    Ok(0)
}

fn explain(code: &str) -> Result<u8, IoError> {
    let page = diagnostics::codes::lookup(code)
        .map(|info| info.page)
        .or_else(|| mlp::lint::rule(code).map(|r| r.doc));
    match page {
        Some(page) => {
            print!("{page}");
            Ok(0)
        }
        None => {
            eprintln!("error: `{code}` is not a diagnostic code or lint rule of mlp (codes look like MLP0001 or GOV001)");
            Ok(EXIT_USAGE)
        }
    }
}
