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
        /// Override a parameter: `--param seed=7` (repeatable)
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Apply an `env` overlay: `--env prod`
        #[arg(long)]
        env: Option<String>,
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
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Lint the pipeline with an `env` overlay applied: `--env prod`
        #[arg(long)]
        env: Option<String>,
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
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        #[arg(long)]
        env: Option<String>,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Run a pipeline: load data, transform, train, evaluate; reuse cached stages
    Run {
        /// A `.mlp` file, or a folder with a `main.mlp`
        path: PathBuf,
        /// Where to write the outputs (default `.mlp/runs/<run-id>/`)
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run every stage, cached or not
        #[arg(long)]
        force: bool,
        /// Run only this stage and the stages it needs
        #[arg(long)]
        stage: Option<String>,
        /// How many stages may run at once (default: the number of cores)
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        jobs: Option<u16>,
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        #[arg(long)]
        env: Option<String>,
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
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        #[arg(long)]
        env: Option<String>,
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
    },
    /// Show the documentation of a diagnostic code or lint rule, e.g.
    /// `mlp explain MLP0001`, `mlp explain GOV011`
    Explain { code: String },
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
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        #[arg(long)]
        env: Option<String>,
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
            params,
            env,
            access,
        } => options(&params, env).and_then(|o| check(&paths, format, emit, &o, &access.access())),
        Command::Lint {
            paths,
            format,
            deny,
            params,
            env,
            access,
        } => options(&params, env)
            .and_then(|o| lint(&paths, format, deny.is_some(), &o, &access.access())),
        Command::Graph {
            path,
            format,
            output,
            params,
            env,
            access,
        } => options(&params, env)
            .and_then(|o| graph(&path, format, output.as_deref(), &o, &access.access())),
        Command::Run {
            path,
            out,
            force,
            stage,
            jobs,
            params,
            env,
            quiet,
            format,
            access,
        } => options(&params, env).and_then(|o| {
            let run_options = RunOptions {
                force,
                stage,
                jobs: jobs.map_or_else(default_jobs, usize::from),
                out,
            };
            let mode = match (quiet, format) {
                (true, _) => progress::Mode::Quiet,
                (false, DiagnosticFormat::Json) => progress::Mode::Json,
                (false, DiagnosticFormat::Human) if std::io::stderr().is_terminal() => {
                    progress::Mode::Live
                }
                (false, DiagnosticFormat::Human) => progress::Mode::Plain,
            };
            run(&path, &o, &access.access(), &run_options, mode)
        }),
        Command::Plan {
            path,
            force,
            stage,
            params,
            env,
            format,
            access,
        } => options(&params, env).and_then(|o| {
            let run_options = RunOptions {
                force,
                stage,
                jobs: 1,
                out: None,
            };
            plan(&path, &o, &access.access(), &run_options, format)
        }),
        Command::Fmt { paths, check } => fmt(&paths, check),
        Command::Explain { code } => explain(&code),
        Command::Approve {
            path,
            deploy,
            by,
            reason,
            run,
            params,
            env,
            access,
        } => options(&params, env).and_then(|o| {
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

/// `--param name=value` pairs; a malformed one is a usage error.
fn options(params: &[String], env: Option<String>) -> Result<Options, IoError> {
    let mut parsed = Vec::new();
    for p in params {
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
        env,
    })
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
        let approvals = mlp::approvals::load(&compilation.project_dir)
            .map_err(|e| IoError::new(&compilation.project_dir, e))?;
        let approvals: Vec<_> = approvals.into_iter().map(|(_, a)| a).collect();
        let hashes = match mlp::approvals::latest_run(&compilation.project_dir) {
            Some(run) => mlp::approvals::model_hashes(&run).map_err(|e| IoError::new(&run, e))?,
            None => Default::default(),
        };
        compilations.push((compilation, approvals, hashes));
    }
    let reports: Vec<mlp::lint::output::Report> = compilations
        .iter()
        .map(|(c, approvals, hashes)| {
            let context = mlp::lint::Context {
                approvals,
                model_hashes: hashes,
                program: &c.program,
                resolved: &c.resolved,
                sources: &c.sources,
                data_files: &c.data_files,
                confinement: &c.confinement,
                diagnostics: &c.diagnostics,
            };
            let relabeled = mlp::lint::rules::RELABELED;
            let mut findings: Vec<mlp::lint::Finding> = c
                .diagnostics
                .iter()
                .filter(|d| !relabeled.contains(&d.code))
                .map(|d| mlp::lint::Finding {
                    diagnostic: d.clone(),
                    waiver: None,
                })
                .collect();
            let linted = mlp::lint::lint(&context);
            findings.extend(linted.findings);
            mlp::lint::output::Report {
                sources: &c.sources,
                findings,
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
fn with_project(
    path: &std::path::Path,
    options: &Options,
    access: &driver::Access,
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
    with_project(path, options, access, |project| {
        let progress = progress::Progress::new(mode);
        let show = |event: &mlp::exec::run::Event| progress.event(event);
        run_and_report(project, run_options, &show)
    })
}

fn run_and_report(
    project: &Project,
    run_options: &RunOptions,
    show: &(dyn Fn(&mlp::exec::run::Event) + Sync),
) -> u8 {
    match mlp::exec::run::run(project, run_options, show) {
        Ok(summary) => {
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
        Err(error) => {
            eprintln!("error: {error}");
            EXIT_RUN_FAILED
        }
    }
}

fn plan(
    path: &std::path::Path,
    options: &Options,
    access: &driver::Access,
    run_options: &RunOptions,
    format: DiagnosticFormat,
) -> Result<u8, IoError> {
    with_project(path, options, access, |project| {
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
    let [entry] =
        <[PathBuf; 1]>::try_from(driver::entries(&[path.to_path_buf()])?).map_err(|_| {
            IoError::new(
                path,
                "approve one pipeline: a file, or a folder with a main.mlp",
            )
        })?;
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
