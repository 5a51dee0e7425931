//! The shell: arguments -> config -> fetch -> evaluate -> render -> exit code. `main` is
//! the table of contents; each step below is one function. This is the only file that
//! prints, writes files or picks an exit code.
#![allow(
    clippy::disallowed_methods,
    reason = "the shell: the process's arguments, environment, files and clock"
)]

use std::ffi::OsString;
use std::fs::File;
use std::hash::{BuildHasher, RandomState};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use servicestage_gate::cli::{self, Early};
use servicestage_gate::config::{self, Annotations, Config, Format, JobRef, ReportOptions, Token};
use servicestage_gate::error::Error;
use servicestage_gate::gate;
use servicestage_gate::outcome::{Exit, JobReport, LetThrough, Run};
use servicestage_gate::report::{azure, github, json, junit, text};

const EXIT_PASS: u8 = 0;
const EXIT_FAIL: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_ERROR: u8 = 3;

fn main() -> ExitCode {
    #[cfg(unix)]
    interrupt::install();
    let env = |name: &str| std::env::var_os(name);
    let config = match configure(&env) {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    if let Some(hint) = &config.region_hint {
        write_stderr(&format!("servicestage-gate: warning: {hint}\n"));
    }
    let run = judge(&config);
    let code = exit_code(&run);
    match publish(&config, &run) {
        Ok(()) => ExitCode::from(code),
        Err(err) => stdout_failed(&err, code),
    }
}

/// Arguments and environment to a config; on `--help`, `--version` or a usage error, what
/// was printed and the exit code.
fn configure(env: config::Env) -> Result<Config, ExitCode> {
    let raw: Vec<OsString> = std::env::args_os().skip(1).collect();
    let lossy: Vec<String> = raw
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let lossy: Vec<&str> = lossy.iter().map(String::as_str).collect();
    let format = || config::requested_format(&lossy, env);
    if let Some(bad) = raw.iter().find(|a| a.to_str().is_none()) {
        let err = Error::Usage(format!("argument {bad:?} is not valid UTF-8"));
        return Err(usage_before_config(
            &err,
            one_job(JobRef::default()),
            format(),
        ));
    }
    let parsed = match cli::parse("servicestage-gate", &lossy) {
        Ok(parsed) => parsed,
        Err(Early::Print(text)) => {
            return Err(match write_stdout(&text) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => stdout_failed(&err, EXIT_PASS),
            });
        }
        Err(Early::Usage(message)) => {
            let err = Error::Usage(message);
            return Err(usage_before_config(
                &err,
                one_job(JobRef::default()),
                format(),
            ));
        }
    };
    config::resolve(&parsed, env).map_err(|err| {
        let named = config::named_jobs(&parsed, env);
        let jobs = match named.is_empty() {
            true => one_job(config::job(&parsed, env)),
            false => (named, true),
        };
        usage_before_config(&err, jobs, format())
    })
}

/// The jobs a usage error is reported for, and whether in the several-jobs shape.
fn one_job(job: JobRef) -> (Vec<JobRef>, bool) {
    (vec![job], false)
}

/// Under GitHub annotations, a token the gate obtained itself is masked in the job log
/// before anything else is printed: the contract's one exception to "secrets never in
/// output". Where annotations go: stdout, or stderr under `--format json`.
fn print_mask(config: &Config, secret: &Token) {
    if config.annotations != Annotations::Github {
        return;
    }
    let line = format!("::add-mask::{}\n", secret.expose());
    match config.format {
        Format::Json => write_stderr(&line),
        // A closed stdout shows up when the report is written, and is handled there.
        Format::Text => drop(write_stdout(&line)),
    }
}

/// Fetches the builds of each job and evaluates the rules; progress lines go to stderr.
fn judge(config: &Config) -> Run {
    let stderr_line = |line: &str| write_stderr(&text::log_line(line));
    let mask = |secret: &Token| print_mask(config, secret);
    gate::run(config, &stderr_line, &mask)
}

/// The one place that picks the exit code, from what the run's outcome decided.
fn exit_code(run: &Run) -> u8 {
    match run.exit() {
        Exit::Pass => EXIT_PASS,
        Exit::Fail => EXIT_FAIL,
        Exit::Usage => EXIT_USAGE,
        Exit::Error => EXIT_ERROR,
    }
}

/// The report could not be written to stdout (a closed pipe, a full disk). Nobody saw the
/// verdict, so it cannot count as a pass: exit 3 instead of 0; a fail or usage code stays.
fn stdout_failed(err: &std::io::Error, code: u8) -> ExitCode {
    write_stderr(&format!(
        "servicestage-gate: error: cannot write to stdout: {err}\n"
    ));
    ExitCode::from(if code == EXIT_PASS { EXIT_ERROR } else { code })
}

/// Writes to stderr. A closed or full stderr loses the line but never crashes the gate:
/// the verdict still reaches the exit code.
fn write_stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// A usage error found before there was a config to publish with; every job named gets it.
fn usage_before_config(
    err: &Error,
    (jobs, several): (Vec<JobRef>, bool),
    format: Format,
) -> ExitCode {
    write_stderr(&text::error_line(err));
    let reports = jobs.into_iter().map(|job| JobReport {
        job,
        outcome: Err(err.clone()),
        requests: 0,
    });
    let run = Run {
        jobs: reports.collect(),
        several,
        let_through: LetThrough::default(),
    };
    if format == Format::Json
        && let Err(write) = write_stdout(&json::render(&run, &ReportOptions::default()))
    {
        return stdout_failed(&write, EXIT_USAGE);
    }
    ExitCode::from(EXIT_USAGE)
}

/// Prints the report and annotations, and writes the files the config asks for. Only a
/// failed stdout is an error: the files are extras and get a warning.
fn publish(config: &Config, run: &Run) -> std::io::Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let options = &ReportOptions {
        now,
        ..config.report.clone()
    };
    let json_report = json::render(run, options);
    if json_report.trim().is_empty() {
        return Err(std::io::Error::other("the JSON report could not be built"));
    }
    let annotations = match config.annotations {
        Annotations::Github => github::annotations(run, options),
        Annotations::Azure => azure::annotations(run, options),
        Annotations::None => String::new(),
    };
    // With several jobs the text report shows each job's error in its block.
    if !(run.several && config.format == Format::Text) {
        write_stderr(&text::error_lines(run, options));
    }
    // Annotations join stdout in text mode; in JSON mode stdout holds only the object.
    let printed = match config.format {
        Format::Json => {
            write_stderr(&annotations);
            write_stdout(&json_report)
        }
        Format::Text => write_stdout(&format!("{}{annotations}", text::render_run(run, options))),
    };
    write_files(config, run, options);
    printed
}

/// `$GITHUB_STEP_SUMMARY`, `$GITHUB_OUTPUT` and `--junit`; a failure is a warning.
fn write_files(config: &Config, run: &Run, options: &ReportOptions) {
    if config.annotations == Annotations::Github {
        let files = &config.github_files;
        if let Some(path) = &files.step_summary {
            let summary = github::step_summary(run, options);
            append_or_warn(path, &summary, "GITHUB_STEP_SUMMARY");
        }
        if let Some(path) = &files.output {
            let outputs = github::outputs(run, options);
            append_or_warn(path, &outputs, "GITHUB_OUTPUT");
        }
    }
    if let Some(path) = &config.junit
        && let Err(e) = replace_regular_file(path, &junit::render(run, options))
    {
        write_stderr(&format!(
            "servicestage-gate: warning: --junit: cannot write {}: {e}\n",
            path.display()
        ));
    }
}

/// Appends to `$GITHUB_STEP_SUMMARY` or `$GITHUB_OUTPUT`; anything but a regular file
/// there is one warning line, and the verdict stands.
fn append_or_warn(path: &Path, text: &str, variable: &str) {
    if let Err(e) = append_regular(path, text) {
        let why = format!(
            "warning: cannot append to ${variable} ({}): {e}",
            path.display()
        );
        write_stderr(&text::log_line(&why));
    }
}

/// Appends to a regular file only. Opened without following a symlink (`O_NOFOLLOW`) and
/// without blocking (`O_NONBLOCK`: a FIFO nobody reads would hang the gate after its
/// verdict), then checked with fstat, so what is checked is what is written.
fn append_regular(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    );
    let not_regular = || {
        let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        std::io::Error::other(match link {
            true => "it is a symbolic link, which is not followed; left as it is",
            false => "it is not a regular file (a FIFO, directory or device); left as it is",
        })
    };
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) => match std::fs::symlink_metadata(path) {
            Ok(existing) if !existing.file_type().is_file() => return Err(not_regular()),
            _ => return Err(e),
        },
    };
    if !file.metadata()?.file_type().is_file() {
        return Err(not_regular());
    }
    file.write_all(text.as_bytes())
}

/// Writes a new regular file beside the target, then renames it over the target, so a reader
/// never sees half a report. Whatever is at `path` must be a regular file or nothing: a
/// device, FIFO, directory or symlink there is refused, never written through or replaced.
fn replace_regular_file(path: &Path, text: &str) -> std::io::Result<()> {
    if let Ok(existing) = std::fs::symlink_metadata(path)
        && !existing.file_type().is_file()
    {
        return Err(std::io::Error::other(
            "it is not a regular file (a symlink, directory, device or FIFO); left as it is",
        ));
    }
    let (temp, mut file) = create_temp_beside(path)?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// A new file with an unpredictable name, created exclusively (`O_EXCL`): a file or symlink
/// planted under the name makes the create fail instead of being followed.
fn create_temp_beside(path: &Path) -> std::io::Result<(PathBuf, File)> {
    let random = RandomState::new();
    for attempt in 0u32..8 {
        let mut temp = path.as_os_str().to_owned();
        temp.push(format!(".{:016x}.tmp", random.hash_one(attempt)));
        match File::create_new(&temp) {
            Ok(file) => return Ok((PathBuf::from(temp), file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(
        "no free temporary file name beside it",
    ))
}

/// SIGINT and SIGTERM end the gate at once, while waiting or fetching, with one line on
/// stderr and exit 130 or 143: never a pass, and no report built from half the data.
#[cfg(unix)]
mod interrupt {
    extern "C" fn on_signal(signal: libc::c_int) {
        let line: &[u8] = if signal == libc::SIGINT {
            b"servicestage-gate: interrupted by SIGINT; no verdict\n"
        } else {
            b"servicestage-gate: interrupted by SIGTERM; no verdict\n"
        };
        // SAFETY: write(2) and _exit(2) are async-signal-safe; the buffer is static.
        unsafe {
            libc::write(2, line.as_ptr().cast(), line.len());
            libc::_exit(128 + signal);
        }
    }

    pub fn install() {
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: the handler only makes async-signal-safe calls.
        unsafe {
            libc::signal(libc::SIGINT, handler);
            libc::signal(libc::SIGTERM, handler);
        }
    }
}
