#!/usr/bin/env python3
"""Renders the step summaries the gate writes for hostile server text with a real GFM
renderer, cmark-gfm (through the `cmarkgfm` package, with the table, autolink and
strikethrough extensions GitHub uses), and fails when server text became a link, an image,
HTML, emphasis or strikethrough, or when a code span does not show its text exactly.

The summaries come from the binary itself: saved responses whose build ids are hostile,
and a loopback server (127.0.0.1 only) whose build ids, failed phase and error message
are.

Usage: scripts/check-gfm.py [path/to/servicestage-gate]
       (default: target/debug/servicestage-gate; needs `pip install cmarkgfm`)
"""

import html.parser
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import urllib.parse

import cmarkgfm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Each becomes a build id, a phase name or an error message. No `::` and no hidden
# characters: the gate refuses or escapes those before any renderer sees them.
HOSTILE = [
    "https://evil.example/x?a=1",
    "see http://evil.example and ftp://evil.example/f",
    "www.evil.example/path",
    "(WWW.evil.example)",
    "ops@evil.example",
    "mailto:ops@evil.example",
    "xmpp:ops@evil.example/chat",
    "~~gone~~ and ~gone~",
    "*em* _em_ **strong** __strong__",
    "<img src=x onerror=alert(1)>",
    "<b>bold</b><script>x</script>",
    "![i](https://evil.example/i.png)",
    "[link](https://evil.example) [ref][1]",
    "<https://evil.example/auto>",
    "a|b|c",
    "a\\|b",
    "`tick` ``two``",
    "&lt;b&gt; &amp; &#64;",
    "$x^2$ \\ trailing\\",
    " padded ",
]

# The tags the gate's own Markdown makes: headings, paragraphs, tables, code, the chart.
ALLOWED_TAGS = {"h3", "h4", "p", "table", "thead", "tbody", "tr", "th", "td", "code", "pre"}


class Html(html.parser.HTMLParser):
    """The tags of a rendered summary, and the text of each `code`, `td` and `p`."""

    KEPT = ("code", "td", "p")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.comments = []
        self.texts = {tag: [] for tag in self.KEPT}
        self._open = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in self.KEPT:
            self._open.append((tag, []))

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            tag, parts = self._open.pop()
            text = "".join(parts)
            self.texts[tag].append(text)
            if self._open:
                self._open[-1][1].append(text)

    def handle_data(self, data):
        if self._open:
            self._open[-1][1].append(data)

    def handle_comment(self, data):
        self.comments.append(data)


def render(markdown):
    page = Html()
    page.feed(cmarkgfm.github_flavored_markdown_to_html(markdown))
    page.close()
    return page


def problems(name, markdown, codes=(), cells=(), paragraphs=()):
    """What is wrong with one summary: tags server text made, raw HTML, or server text
    not shown as it is: exactly as a code span, or within a table cell or a paragraph."""
    page = render(markdown)
    found = []
    for tag in sorted(set(page.tags) - ALLOWED_TAGS):
        found.append(f"{name}: <{tag}> in the rendered summary")
    for comment in page.comments:
        found.append(f"{name}: raw HTML ({comment.strip()})")
    for text in codes:
        if text not in page.texts["code"]:
            found.append(f"{name}: no code span shows {text!r} exactly: {page.texts['code']!r}")
    for where, wanted in (("td", cells), ("p", paragraphs)):
        for text in wanted:
            if not any(text in shown for shown in page.texts[where]):
                found.append(f"{name}: no <{where}> shows {text!r}: {page.texts[where]!r}")
    return found


def run_gate(gate, args, env_extra, workdir):
    summary = os.path.join(workdir, "summary.md")
    if os.path.exists(summary):
        os.remove(summary)
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "GITHUB_STEP_SUMMARY": summary}
    env.update(env_extra)
    done = subprocess.run(
        [gate, "--annotations", "github", *args],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120,
    )
    if done.returncode not in (0, 1, 3):
        raise SystemExit(f"check-gfm: the gate exited {done.returncode}: {done.stderr.decode()}")
    with open(summary, encoding="utf-8") as f:
        return f.read()


def saved_responses(gate, workdir):
    """A saved response per hostile id: the newest build, Failed, is the target."""
    found = []
    for text in HOSTILE:
        builds = [
            {"build_id": text, "build_state": "Failed", "duration": 5},
            {"build_id": "older", "build_state": "Successful", "duration": 4},
        ]
        path = os.path.join(workdir, "saved.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"total": 2, "list": builds}, f)
        markdown = run_gate(gate, ["--input", path], {}, workdir)
        found += problems(
            f"saved response, id {text!r}",
            markdown,
            codes=[text],
            cells=[f"build {text} is Failed, expected Successful"],
        )
    return found


class Fake(http.server.BaseHTTPRequestHandler):
    """ServiceStage on loopback: job `ids` lists a build per hostile id (the newest
    Failed, in a phase with a hostile name), job `broken` answers 400 with a hostile
    message, every other job passes."""

    protocol_version = "HTTP/1.1"
    message = HOSTILE[0]

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in url.path.split("/")]
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/assembling/v1/jobs":
            name = query.get("job_name", [""])[0]
            if query.get("page", ["1"])[0] != "1":
                return self.reply(200, {"total": 1, "list": []})
            return self.reply(200, {"total": 1, "list": [{"job_id": f"id-{name}", "job_name": name}]})
        if parts[-1] == "phases":
            return self.reply(200, {"total": 1, "list": [{"name": Fake.message, "state": "Failed"}]})
        job = parts[-2] if parts[-1] == "builds" else ""
        if job == "id-broken":
            body = {"error_code": "SVCSTG.400", "error_msg": Fake.message}
            return self.reply(400, body)
        # A build id belongs to one job (the gate refuses one id in two jobs): only job
        # `ids` serves the hostile id.
        if job == "id-ids":
            builds = [{"build_id": Fake.message, "build_state": "Failed", "duration": 5}]
        else:
            builds = [{"build_id": f"{job}-2", "build_state": "Successful", "duration": 5}]
        builds.append({"build_id": f"{job}-1", "build_state": "Successful", "duration": 4})
        return self.reply(200, {"total": 2, "page": 1, "per_page": 2, "list": builds})


def loopback(gate, workdir):
    """Several jobs against the fake, once per hostile text: the table of jobs (a code
    span in a cell), the failed phase, and the error message of a 4xx."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fake)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    found = []
    try:
        for text in HOSTILE:
            Fake.message = text
            args = ["--endpoint", endpoint, "--retries", "0"]
            args += ["--job", "ids", "--job", "broken", "--job", "fine"]
            env = {"SERVICESTAGE_TOKEN": "check-gfm-token"}
            markdown = run_gate(gate, args, env, workdir)
            found += problems(
                f"several jobs, text {text!r}",
                markdown,
                codes=[text],
                # a table cell drops the spaces its text ends with
                cells=[f"build {text} is Failed, expected Successful; failed in phase {text}".rstrip()],
                paragraphs=[f"HTTP 400 SVCSTG.400: {text.strip()}"],
            )
    finally:
        server.shutdown()
    return found


def main():
    gate = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/debug/servicestage-gate")
    with tempfile.TemporaryDirectory(prefix="check-gfm-") as workdir:
        found = saved_responses(gate, workdir) + loopback(gate, workdir)
    for problem in found:
        print(f"check-gfm: {problem}", file=sys.stderr)
    if found:
        sys.exit(1)
    print(f"check-gfm: {2 * len(HOSTILE)} summaries of hostile server text render inert under GFM")


if __name__ == "__main__":
    main()
