//! A stand-in for ServiceStage's build list API, for trying the gate without an account and
//! for the benchmarks. Serves a saved response (`--fixture`) or `--builds N` generated
//! builds, with the API's paging, on 127.0.0.1:
//!
//!     cargo run --example fake-servicestage -- --port 8080 --fixture examples/passing.json
//!     SERVICESTAGE_TOKEN=any servicestage-gate --endpoint http://127.0.0.1:8080 --job-id j --job-name n
//!
//! `--generate N` prints N generated builds as a saved response and exits.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use argh::FromArgs;
use serde_json::{Value, json};

/// Serve a saved ServiceStage build list with paging on 127.0.0.1.
#[derive(FromArgs)]
struct Args {
    /// port to listen on (0 picks a free one; the URL is printed on stdout)
    #[argh(option, default = "8080")]
    port: u16,
    /// a saved API response to serve
    #[argh(option)]
    fixture: Option<String>,
    /// serve this many generated builds instead of a fixture
    #[argh(option)]
    builds: Option<usize>,
    /// print this many generated builds as a saved response, and exit
    #[argh(option)]
    generate: Option<usize>,
    /// the most builds one page holds, whatever per_page asks (as the real API caps it)
    #[argh(option, default = "100")]
    max_per_page: usize,
}

/// `n` builds, newest first: mostly Successful around 20 minutes, some Failed and Cancel.
fn generated(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let state = match i % 17 {
                5 => "Failed",
                11 => "Cancel",
                _ => "Successful",
            };
            json!({
                "build_id": format!("{:08x}-7d6e-4c5b-8a9f-{:012x}", n - i, i * 7919),
                "build_state": state,
                "duration": 1100 + (i * 37) % 200,
                "build_no": n - i,
                "creator": "ci-bot",
            })
        })
        .collect()
}

fn main() -> std::io::Result<()> {
    let args: Args = argh::from_env();
    if let Some(n) = args.generate {
        let builds = generated(n);
        let body = json!({"total": n, "page": 1, "per_page": n, "list": builds});
        println!("{body}");
        return Ok(());
    }
    let builds = match (&args.fixture, args.builds) {
        (Some(path), _) => {
            let saved: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
            saved["list"].as_array().cloned().unwrap_or_default()
        }
        (None, Some(n)) => generated(n),
        (None, None) => {
            eprintln!("fake-servicestage: give --fixture PATH or --builds N");
            std::process::exit(2);
        }
    };
    let listener = TcpListener::bind(("127.0.0.1", args.port))?;
    println!("http://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    let builds = Arc::new(builds);
    for stream in listener.incoming().flatten() {
        let builds = builds.clone();
        let cap = args.max_per_page.max(1);
        std::thread::spawn(move || {
            let _ = serve(stream, &builds, cap);
        });
    }
    Ok(())
}

/// Answers requests on one kept-alive connection until the client closes it.
fn serve(stream: TcpStream, builds: &[Value], cap: usize) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
                break;
            }
        }
        let target = request_line.split_whitespace().nth(1).unwrap_or("/");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let param = |name: &str| {
            query.split('&').find_map(|pair| {
                pair.strip_prefix(name)?
                    .strip_prefix('=')?
                    .parse::<usize>()
                    .ok()
            })
        };
        let (status, body) = if path.starts_with("/assembling/v1/jobs/")
            && path.ends_with("/builds")
        {
            let page = param("page").unwrap_or(1).max(1);
            let per_page = param("per_page").unwrap_or(10).clamp(1, cap);
            let list: Vec<&Value> = builds
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .collect();
            let body =
                json!({"total": builds.len(), "page": page, "per_page": per_page, "list": list});
            ("200 OK", body.to_string())
        } else {
            let body =
                json!({"error_code": "SVCSTG.00100404", "error_msg": format!("no route {path}")});
            ("404 Not Found", body.to_string())
        };
        write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
    }
}
