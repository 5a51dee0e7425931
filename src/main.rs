//! The shell: arguments -> config -> fetch -> evaluate -> render -> exit code.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use servicestage_gate::cli::{self, Early};
use servicestage_gate::config::{self, Annotations, Config, Format, JobRef};
use servicestage_gate::error::Error;
use servicestage_gate::fetch;
use servicestage_gate::report::{Outcome, azure, github, json, junit, text};
use servicestage_gate::rules::{self, Verdict};

const EXIT_PASS: u8 = 0;
const EXIT_FAIL: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_ERROR: u8 = 3;

fn main() -> ExitCode {
    #[cfg(unix)]
    interrupt::install();
    let env = |name: &str| std::env::var(name).ok();
    let args: Vec<String> = match std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect()
    {
        Ok(args) => args,
        Err(bad) => {
            let err = Error::Usage(format!("argument {bad:?} is not valid UTF-8"));
            return usage_before_config(&err, &JobRef::default(), Format::Text);
        }
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    let parsed = match cli::parse("servicestage-gate", &args) {
        Ok(parsed) => parsed,
        Err(Early::Print(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(Early::Usage(message)) => {
            let format = config::requested_format(&args, &env);
            return usage_before_config(&Error::Usage(message), &JobRef::default(), format);
        }
    };
    let config = match config::resolve(&parsed, &env) {
        Ok(config) => config,
        Err(err) => {
            let (job, format) = (
                config::job(&parsed, &env),
                config::requested_format(&args, &env),
            );
            return usage_before_config(&err, &job, format);
        }
    };

    let mut stderr_line = |line: &str| eprint!("{}", text::log_line(line));
    let outcome = fetch::history(&config, &mut stderr_line)
        .map(|history| rules::evaluate(&history, &config.rules));
    publish(&config, &outcome);
    ExitCode::from(exit_code(&config, &outcome))
}

/// The one place that maps an outcome to an exit code.
fn exit_code(config: &Config, outcome: &Outcome) -> u8 {
    match outcome {
        Ok(e) => match e.verdict {
            Verdict::Pass => EXIT_PASS,
            Verdict::Inconclusive if config.inconclusive_passes => EXIT_PASS,
            Verdict::Inconclusive | Verdict::Fail => EXIT_FAIL,
        },
        Err(Error::Usage(_)) => EXIT_USAGE,
        Err(_) => EXIT_ERROR,
    }
}

/// A usage error found before there was a config to publish with.
fn usage_before_config(err: &Error, job: &JobRef, format: Format) -> ExitCode {
    eprint!("{}", text::error_line(err));
    if format == Format::Json {
        print!("{}", json::render(job, &Err(err.clone())));
    }
    ExitCode::from(EXIT_USAGE)
}

/// Prints the report and annotations, and writes the files the config asks for.
fn publish(config: &Config, outcome: &Outcome) {
    let json_report = json::render(&config.job, outcome);
    let annotations = match config.annotations {
        Annotations::Github => github::annotations(outcome),
        Annotations::Azure => azure::annotations(outcome, config.inconclusive_passes),
        Annotations::None => String::new(),
    };
    if let Err(err) = outcome {
        eprint!("{}", text::error_line(err));
    }
    let mut stdout = std::io::stdout().lock();
    // Annotations join stdout in text mode; in JSON mode stdout holds only the object.
    let _ = match config.format {
        Format::Json => {
            eprint!("{annotations}");
            stdout.write_all(json_report.as_bytes())
        }
        Format::Text => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let report = match outcome {
                Ok(e) => text::render(&config.job, e, &config.source, config.ci, now),
                Err(_) => String::new(),
            };
            stdout.write_all(format!("{report}{annotations}").as_bytes())
        }
    };
    let _ = stdout.flush();

    if config.annotations == Annotations::Github {
        let files = &config.github_files;
        if let Some(path) = &files.step_summary {
            append_or_warn(
                path,
                &github::step_summary(&config.job, outcome),
                "GITHUB_STEP_SUMMARY",
            );
        }
        if let Some(path) = &files.output {
            append_or_warn(
                path,
                &github::outputs(outcome, &json_report),
                "GITHUB_OUTPUT",
            );
        }
    }
    if let Some(path) = &config.junit
        && let Err(e) = write_atomically(path, &junit::render(&config.job, outcome))
    {
        eprintln!(
            "servicestage-gate: warning: --junit: cannot write {}: {e}",
            path.display()
        );
    }
}

fn append_or_warn(path: &Path, text: &str, variable: &str) {
    let appended = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = appended {
        eprintln!(
            "servicestage-gate: warning: cannot append to ${variable} ({}): {e}",
            path.display()
        );
    }
}

/// Writes beside the target, then renames, so a reader never sees half a report.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let mut temp = path.as_os_str().to_owned();
    temp.push(format!(".tmp{}", std::process::id()));
    std::fs::write(&temp, text)?;
    std::fs::rename(&temp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
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
