//! Writes sample step-summary charts of a few windows as Markdown files, for checking them
//! with the real Mermaid renderer:
//!
//!     cargo run --example chart-samples -- DIR
//!     scripts/check-mermaid.sh --out DIR/rendered DIR/*.md

use std::path::PathBuf;

use servicestage_gate::report::chart::{
    ChartBuild, ChartLines, StateMark, Symbols, mermaid, strip,
};

/// The builds of a spec like `S40 F12 T900 C U`, oldest first.
fn builds(spec: &str) -> Vec<ChartBuild> {
    spec.split_whitespace()
        .map(|word| ChartBuild {
            state: match &word[..1] {
                "S" => StateMark::Successful,
                "F" => StateMark::Failed,
                "T" => StateMark::Timeout,
                "C" => StateMark::Cancel,
                _ => StateMark::Unfinished,
            },
            duration: word[1..].parse().ok(),
        })
        .collect()
}

fn thirty_varied() -> String {
    let words: Vec<String> = (0..30u64)
        .map(|i| match i % 11 {
            4 => format!("F{}", 30 + i),
            7 => format!("T{}", 900),
            9 => "C5".to_string(),
            _ => format!("S{}", 240 + (i * 37) % 120),
        })
        .collect();
    words.join(" ")
}

fn main() -> std::io::Result<()> {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("chart-samples"));
    std::fs::create_dir_all(&dir)?;
    let samples: [(&str, String, ChartLines); 5] = [
        (
            "passing",
            "S301 S295 S310 S288 S320 S305 S299 S312 S307 S298".to_string(),
            ChartLines {
                max_duration: Some(600),
                median: Some(305),
            },
        ),
        (
            "flaky",
            "S120 F45 S131 T900 C3 S125 F50 F48 S140 U".to_string(),
            ChartLines {
                max_duration: None,
                median: Some(128),
            },
        ),
        (
            "thirty",
            thirty_varied(),
            ChartLines {
                max_duration: Some(800),
                median: Some(300),
            },
        ),
        (
            "single",
            "S42".to_string(),
            ChartLines {
                max_duration: Some(60),
                median: Some(42),
            },
        ),
        (
            "huge",
            format!("S1 S{} F0", u64::MAX),
            ChartLines {
                max_duration: Some(86_400),
                median: None,
            },
        ),
    ];
    for (name, spec, lines) in samples {
        let window = builds(&spec);
        let chart = mermaid(&window, lines).unwrap_or_default();
        let markdown = format!(
            "### servicestage-gate sample: {name}\n\n`{}`\n\n`{}`\n\n{chart}",
            strip(&window, Symbols::Unicode),
            strip(&window, Symbols::Ascii)
        );
        std::fs::write(dir.join(format!("{name}.md")), markdown)?;
    }
    println!("{}", dir.display());
    Ok(())
}
