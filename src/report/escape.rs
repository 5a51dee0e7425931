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

/// Markdown text, inert under GitHub's Markdown (cmark-gfm with its table, autolink and
/// strikethrough extensions): no raw HTML (`<`, `>`, `&` as entities); no formatting,
/// link, image or math from the text (`\`, `` ` ``, `*`, `_`, `[`, `]`, `~`, `$`
/// backslash-escaped); no autolink (`:` escaped, so `https://` is never seen; the `.` of
/// `www.` escaped; `@` in a code span of its own, since GitHub finds e-mail addresses in
/// the text after escapes are read and only another node keeps the parts apart); `|`
/// escaped so it cannot end a table cell; one line.
pub fn markdown_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("`@`"),
            '.' if ends_with_www(&out) => out.push_str("\\."),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '$' | ':' => {
                out.push('\\');
                out.push(c);
            }
            c if is_hidden(c) => push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Whether `out` ends with `www`, in any case: the start of a `www.` autolink.
fn ends_with_www(out: &str) -> bool {
    let bytes = out.as_bytes();
    bytes.len() >= 3 && bytes[bytes.len() - 3..].eq_ignore_ascii_case(b"www")
}

/// A Markdown code span that shows `s` exactly, whatever backticks it contains: the
/// fence is one backtick longer than the longest run inside, padded with a space where
/// the renderer would otherwise take a backtick for the fence or strip a space. Hidden
/// characters are shown as escapes. Code spans never render HTML, links or emphasis.
pub fn markdown_code(s: &str) -> String {
    code_span(s, false)
}

/// A code span inside a table cell: as `markdown_code`, with `|` escaped, since GitHub's
/// tables split cells on it even inside code spans (and unescape `\|` there). Outside a
/// table the backslash would show.
pub fn markdown_cell_code(s: &str) -> String {
    code_span(s, true)
}

fn code_span(s: &str, in_table: bool) -> String {
    let mut body = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' if in_table => body.push_str("\\|"),
            c if is_hidden(c) => push_visible(&mut body, c),
            c => body.push(c),
        }
    }
    let longest_run = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let stripped = body.starts_with(' ') && body.ends_with(' ') && body.trim() != "";
    let pad = match body.starts_with('`') || body.ends_with('`') || stripped || body.is_empty() {
        true => " ",
        false => "",
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// XML character data or an attribute value: markup characters as entities, whitespace
/// that attribute normalisation would eat as character references, and characters XML
/// 1.0 cannot hold (most C0 controls, U+FFFE, U+FFFF) or should not (C1, DEL) replaced
/// by U+FFFD. The second `#` of `##` and `:` of `::` are character references, so a
/// report printed into a CI log holds no command while its parsed text is unchanged.
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
            '#' if out.ends_with('#') => out.push_str("&#35;"),
            ':' if out.ends_with(':') => out.push_str("&#58;"),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What hostile servers send: a newline before a command, a command without one,
    /// terminal escapes, NUL, encoded newlines, bidi overrides.
    const HOSTILE: [&str; 8] = [
        "a\n::add-mask::x",
        "##vso[task.setvariable variable=X]1",
        "x ##[group]y",
        "\x1b[2J\x1b]0;t\x07",
        "nul\0here",
        "%0A::error::x",
        "line\u{2028}::warning::y",
        "a\r\n##VSO[task.complete]",
    ];

    fn assert_inert_line(out: &str, input: &str) {
        assert!(!out.chars().any(is_hidden), "{input:?} -> {out:?}");
        assert!(!out.contains("::"), "{input:?} -> {out:?}");
        assert!(!out.contains("##"), "{input:?} -> {out:?}");
    }

    #[test]
    fn log_text_is_one_inert_line() {
        for input in HOSTILE {
            assert_inert_line(&log_text(input), input);
        }
        let cases = [
            ("build b1 is Failed", "build b1 is Failed"),
            ("a\n::add-mask::x", r"a\n:\:add-mask:\:x"),
            (":::", r":\:\:"),
            ("###vso[", r"#\#\#vso["),
            ("esc\x1b[0K nul\0", r"esc\u{1b}[0K nul\u{0}"),
            ("http://host:8080/a", "http://host:8080/a"),
            ("é 构建 %0A", "é 构建 %0A"),
        ];
        for (input, expected) in cases {
            assert_eq!(log_text(input), expected, "{input:?}");
        }
    }

    #[test]
    fn github_data_and_properties_encode_what_the_runner_decodes() {
        let cases = [
            ("100% done", "100%25 done", "100%25 done"),
            ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
            ("%0A", "%250A", "%250A"),
            ("a:b,c", "a:b,c", "a%3Ab%2Cc"),
            ("x ##vso[y]", r"x #\#vso[y]", r"x #\#vso[y]"),
            (
                "esc\x1b nul\0",
                r"esc\u{1b} nul\u{0}",
                r"esc\u{1b} nul\u{0}",
            ),
        ];
        for (input, data, property) in cases {
            assert_eq!(github_data(input), data, "{input:?}");
            assert_eq!(github_property(input), property, "{input:?}");
        }
        for input in HOSTILE {
            let data = github_data(input);
            assert!(
                !data.chars().any(is_hidden) && !data.contains("##"),
                "{data:?}"
            );
            let property = github_property(input);
            assert!(!property.contains([':', ',', '\n', '\r']), "{property:?}");
        }
    }

    #[test]
    fn azure_values_encode_what_the_agent_decodes_and_hold_no_command() {
        let cases = [
            ("100%", "100%AZP25"),
            ("a;b]c", "a%3Bb%5Dc"),
            ("a\r\nb", "a%0D%0Ab"),
            (
                "##vso[task.setvariable variable=X]1",
                r"#\#vso[task.setvariable variable=X%5D1",
            ),
            ("x ##[group]", r"x #\#[group%5D"),
            ("esc\x1b", r"esc\u{1b}"),
        ];
        for (input, expected) in cases {
            assert_eq!(azure(input), expected, "{input:?}");
        }
        for input in HOSTILE {
            let out = azure(input);
            assert!(!out.chars().any(is_hidden), "{out:?}");
            assert!(!out.to_ascii_lowercase().contains("##vso["), "{out:?}");
            assert!(!out.contains("##[") && !out.contains(']'), "{out:?}");
        }
    }

    #[test]
    fn markdown_text_keeps_a_cell_a_cell_and_makes_no_link() {
        let cases = [
            ("a | b", r"a \| b"),
            ("https://evil.example/x", r"https\://evil.example/x"),
            ("see www.evil.example", r"see www\.evil.example"),
            ("(WWW.evil.example)", r"(WWW\.evil.example)"),
            ("a.www.b www", r"a.www\.b www"),
            ("ops@evil.example", "ops`@`evil.example"),
            ("mailto:a@b.c", "mailto\\:a`@`b.c"),
            ("~~gone~~ ~x~", r"\~\~gone\~\~ \~x\~"),
            ("![i](https://x/i.png)", r"!\[i\](https\://x/i.png)"),
            ("$x^2$", r"\$x^2\$"),
            ("é构建www.x", r"é构建www\.x"),
            (
                "<img src=x onerror=alert(1)>",
                "&lt;img src=x onerror=alert(1)&gt;",
            ),
            (
                "[click](https://evil) *b* _i_ `c` \\",
                r"\[click\](https\://evil) \*b\* \_i\_ \`c\` \\",
            ),
            ("a\nb", r"a\nb"),
            ("&amp;", "&amp;amp;"),
        ];
        for (input, expected) in cases {
            assert_eq!(markdown_text(input), expected, "{input:?}");
        }
    }

    #[test]
    fn markdown_code_survives_backticks_and_pipes() {
        let cases = [
            ("b1", "`b1`"),
            ("a`b", "``a`b``"),
            ("``x```", "```` ``x``` ````"),
            ("`", "`` ` ``"),
            ("`b1", "`` `b1 ``"),
            ("b1`", "`` b1` ``"),
            ("", "`  `"),
            ("a|b", "`a|b`"),
            ("<b>\n", r"`<b>\n`"),
            (" x ", "`  x  `"),
            (" x", "` x`"),
            ("  ", "`  `"),
        ];
        for (input, expected) in cases {
            assert_eq!(markdown_code(input), expected, "{input:?}");
        }
        assert_eq!(markdown_cell_code("a|b"), r"`a\|b`");
        assert_eq!(markdown_cell_code("`|"), r"`` `\| ``");
    }

    #[test]
    fn xml_escapes_markup_keeps_whitespace_and_drops_what_xml_cannot_hold() {
        let cases = [
            (
                r#"<a href="x">&'"#,
                "&lt;a href=&quot;x&quot;&gt;&amp;&apos;",
            ),
            ("a\tb\nc\rd", "a&#9;b&#10;c&#13;d"),
            (
                "nul\0 esc\x1b del\x7f c1\u{85}",
                "nul\u{FFFD} esc\u{FFFD} del\u{FFFD} c1\u{FFFD}",
            ),
            ("\u{FFFE}\u{FFFF}", "\u{FFFD}\u{FFFD}"),
            ("]]> é", "]]&gt; é"),
            ("##vso[x] a::b ###", "#&#35;vso[x] a:&#58;b #&#35;#"),
        ];
        for (input, expected) in cases {
            assert_eq!(xml(input), expected, "{input:?}");
        }
        for input in HOSTILE {
            let out = xml(input);
            assert!(
                !out.contains("##") && !out.contains("::"),
                "{input:?} -> {out:?}"
            );
        }
    }

    #[test]
    fn output_delimiters_are_unguessable_and_never_in_the_value() {
        let value = "line\nghadelimiter_0\nEOF\nSERVICESTAGE_GATE_REPORT_EOF";
        let first = output_delimiter(value);
        let second = output_delimiter(value);
        assert_ne!(first, second, "a fresh delimiter each time");
        for delimiter in [&first, &second] {
            assert!(delimiter.starts_with("ghadelimiter_"), "{delimiter}");
            assert_eq!(delimiter.len(), "ghadelimiter_".len() + 32, "{delimiter}");
            assert!(!value.contains(delimiter.as_str()));
        }
    }

    #[test]
    fn json_inert_parses_to_the_same_value_and_holds_no_command() {
        for input in HOSTILE
            .into_iter()
            .chain(["####", ":::::", "a\u{7f}\u{85}b"])
        {
            let json = serde_json::to_string(&serde_json::json!({"id": input, "n": 1})).unwrap();
            let inert = json_inert(&json);
            assert_inert_line(&inert, input);
            let parsed: serde_json::Value = serde_json::from_str(&inert).unwrap();
            assert_eq!(parsed["id"], input, "{inert}");
        }
        assert_eq!(json_inert(r#"{"a":"::x"}"#), r#"{"a":":\u003ax"}"#);
        assert_eq!(
            json_inert(r###"{"a":"##vso["}"###),
            r###"{"a":"#\u0023vso["}"###
        );
    }

    #[test]
    fn markdown_keeps_printable_text_as_written() {
        let text = "café \"quoted\" 'single' ✓ 構建 {x} #1 ^y";
        assert_eq!(markdown_text(text), text);
        assert_eq!(markdown_code(text), format!("`{text}`"));
    }
}
