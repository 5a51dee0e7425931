//! Escapers for every audience the gate writes to. Server text (build ids, states, error
//! messages) and names from the environment pass through one of these before any output,
//! so no byte a server sends can become a CI command: GitHub acts on lines starting with
//! `::`, Azure on `##vso[` anywhere in a line and on `##[` formatting commands, GitLab on
//! ESC sequences, terminals on any control character.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// Characters that must never reach a log raw: C0/C1 controls and DEL, the Unicode line
/// and paragraph separators, and the bidirectional overrides that reorder what a reader sees.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200E}' | '\u{200F}' | '\u{FEFF}'
        )
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Writes `c` (a hidden character) visibly, as Rust would: `\n`, `\u{1b}`.
fn push_visible(out: &mut String, c: char) {
    out.extend(c.escape_default());
}

/// Breaks the command markers `::` and `##` by putting a backslash between the two
/// characters, wherever they are in the line (`:::` becomes `:\:\:`).
fn push_breaking_markers(out: &mut String, c: char) {
    if matches!(c, ':' | '#') && out.ends_with(c) {
        out.push('\\');
    }
    out.push(c);
}

/// One line for a plain log (the text report, stderr): hidden characters shown as
/// escapes, `::` and `##` broken, so the line is inert for every CI runner.
pub fn log_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            c if is_hidden(c) => push_visible(&mut out, c),
            c => push_breaking_markers(&mut out, c),
        }
    }
    out
}

/// A GitHub workflow command's message: `%`, CR and LF percent-encoded as the runner
/// decodes them; other hidden characters shown as escapes; `##` broken for Azure-style
/// agents reading the same log.
pub fn github_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if is_hidden(c) => push_visible(&mut out, c),
            '#' => push_breaking_markers(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// A GitHub workflow command's property value (e.g. `title=`): data escaping plus `:`
/// and `,`, which end a property.
pub fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// An Azure logging command's value (message or property): `%` as `%AZP25`, and `;`,
/// CR, LF and `]` percent-encoded as the agent decodes them; other hidden characters
/// shown as escapes; `##` broken so no `##vso[` or `##[` appears inside the value.
pub fn azure(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%AZP25"),
            ';' => out.push_str("%3B"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ']' => out.push_str("%5D"),
            c if is_hidden(c) => push_visible(&mut out, c),
            '#' => push_breaking_markers(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Markdown text inside a table cell: no raw HTML (`<`, `>`, `&` as entities), no
/// formatting or links from the text (`\`, `` ` ``, `*`, `_`, `[`, `]` backslash-escaped),
/// `|` escaped so it cannot end the cell, and one line.
pub fn markdown_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' => {
                out.push('\\');
                out.push(c);
            }
            c if is_hidden(c) => push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// A Markdown code span that holds `s` verbatim, whatever backticks it contains: the
/// fence is one backtick longer than the longest run inside, padded with spaces. `|` is
/// escaped (GitHub's tables split cells on it even inside code spans), hidden
/// characters are shown as escapes. Code spans never render HTML.
pub fn markdown_code(s: &str) -> String {
    let mut body = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => body.push_str("\\|"),
            c if is_hidden(c) => push_visible(&mut body, c),
            c => body.push(c),
        }
    }
    let longest_run = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if body.starts_with('`') || body.ends_with('`') || body.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// XML character data or an attribute value: markup characters as entities, whitespace
/// that attribute normalisation would eat as character references, and characters XML
/// 1.0 cannot hold (most C0 controls, U+FFFE, U+FFFF) or should not (C1, DEL) replaced
/// by U+FFFD.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A delimiter for a multiline `$GITHUB_OUTPUT` value: random per call (seeded by the
/// OS through the standard library's hash keys), so a server cannot guess it, and never
/// a substring of the value, so the value cannot end early and set other outputs.
pub fn output_delimiter(value: &str) -> String {
    loop {
        let delimiter = format!(
            "ghadelimiter_{:016x}{:016x}",
            RandomState::new().hash_one(value),
            RandomState::new().hash_one(value.len())
        );
        if !value.contains(&delimiter) {
            return delimiter;
        }
    }
}

/// JSON as serde wrote it, made inert for a log: the second `#` of `##` and `:` of `::`
/// written as `\u0023` and `\u003a`, hidden characters serde leaves raw (DEL, C1,
/// U+2028, ...) as `\uXXXX`. These characters only occur inside strings in serde's compact output,
/// so the parsed value is unchanged.
pub fn json_inert(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '#' | ':' if out.ends_with(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if is_hidden(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}
