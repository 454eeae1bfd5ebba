"""The feedback pages open in a real browser: headless Chromium renders report.html and summary.html
without a console error, an uncaught exception, a failed resource or a network request, and shows
their headings and embedded plots.

Talks to Chromium over --remote-debugging-pipe (the DevTools protocol on fds 3 and 4, NUL-separated
JSON) with the standard library only, and collects Runtime.consoleAPICalled, Runtime.exceptionThrown,
Log.entryAdded and Network.requestWillBeSent. A page with deliberate errors proves each is caught.
"""
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder import checks

pytestmark = pytest.mark.grading  # one browser, one grading run
ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "examples" / "submissions"
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                                    "(apt-get install chromium; .ci/run installs it)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage",
         "--remote-debugging-pipe"]


class Chromium:
    """A headless Chromium driven through the DevTools pipe."""

    def __init__(self, timeout=60):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="tp1-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def fds():  # the browser reads commands on fd 3 and writes replies on fd 4
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser_r, from_browser_w)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=fds, close_fds=False)  # the pipes are close-on-exec
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer, self._next_id, self.events = b"", 0, []

    def _read_message(self, deadline):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise ConnectionError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, session=None):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method, seconds):
        deadline = time.monotonic() + seconds
        while True:
            if any(e.get("method") == method for e in self.events):
                return
            self.events.append(self._read_message(deadline))

    def drain(self, seconds):
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read_message(deadline))
        except TimeoutError:
            pass

    def open(self, url):
        """Load url in a fresh tab; returns (problems, the rendered page's facts)."""
        self.events = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.send(f"{domain}.enable", session=session)
        self.events = []  # about:blank's own
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", self.timeout)
        self.drain(0.5)  # late console messages and requests
        facts = self.send("Runtime.evaluate", {"returnByValue": True, "expression": """(() => ({
            title: document.title,
            headings: [...document.querySelectorAll('h1, h2')].map(h => h.textContent.trim()),
            images: [...document.images].map(i => ({src: i.src.slice(0, 30), ok: i.complete && i.naturalWidth > 0})),
            text: document.body.innerText,
        }))()"""}, session=session)["result"]["value"]
        self.drain(0.2)
        self.send("Target.closeTarget", {"targetId": target})
        return problems(self.events, url), facts

    def close(self):
        try:
            self.send("Browser.close")
        except (OSError, TimeoutError, ConnectionError, RuntimeError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        shutil.rmtree(self.profile, ignore_errors=True)


def problems(events, page_url):
    """Everything that should not happen on a self-contained page without scripts."""
    found = []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            found.append(f"console.{p['type']}: " + " ".join(str(a.get("value", a.get("description", "")))
                                                            for a in p.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            found.append(f"uncaught exception: {d.get('exception', {}).get('description') or d.get('text')}")
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            found.append(f"log {p['entry']['level']}: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        elif method == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if not (url == page_url or url.startswith("data:")):
                found.append(f"network request: {url[:200]}")
        elif method == "Network.loadingFailed":
            found.append(f"failed to load: {p.get('errorText')}")
    return found


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium; .ci/run installs it)")
    chromium = Chromium()
    try:
        chromium.send("Browser.getVersion")
    except (TimeoutError, ConnectionError) as e:
        chromium.close()
        pytest.fail(f"{CHROMIUM} does not start headless: {e}")
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A small class: the reference, a flawed sample (diagnosed mistakes), and an unreadable file
    (the summary's 'could not be graded' table)."""
    subs, out = tmp_path_factory.mktemp("subs"), tmp_path_factory.mktemp("out")
    shutil.copy(SAMPLES / "reference.ipynb", subs / "reference.ipynb")
    shutil.copy(SAMPLES / "softmax_wrong_axis.ipynb", subs / "softmax_wrong_axis.ipynb")
    (subs / "garbage.ipynb").write_text("{ not a notebook")
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out), "--jobs", "2",
                          "--no-cache"], capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    return out


URL_ATTRIBUTE = re.compile(r"""\b(?:src|href|action|poster|data)\s*=\s*["']?\s*([^"'\s>]+)""", re.I)


def external_references(html):
    """URLs a page would fetch or link to outside itself: http(s), protocol-relative, javascript:, CSS url()."""
    urls = URL_ATTRIBUTE.findall(html) + re.findall(r"url\(\s*['\"]?([^'\")]+)", html) + re.findall(r"@import\s+['\"]([^'\"]+)", html)
    return [u for u in urls if re.match(r"(?i)(https?:|//|javascript:|ftp:|file:)", u)]


@needs_chromium
@pytest.mark.parametrize("page,headings", [
    ("reference/report.html", ["TP1-ab: feedback for reference", "What the grader's training runs produced"]),
    ("softmax_wrong_axis/report.html", ["TP1-ab: feedback for softmax_wrong_axis"]),
    ("garbage/report.html", ["TP1-ab: feedback for garbage"]),
    ("summary.html", ["TP1-ab: class summary", "Questions", "Most frequent mistakes (what to re-explain)",
                      "Submissions that could not be graded normally", "All submissions"]),
])
def test_pages_render_in_chromium_without_errors_or_requests(browser, graded, page, headings):
    path = graded / page
    html = path.read_text(encoding="utf-8")
    assert not external_references(html), external_references(html)
    found, facts = browser.open(path.as_uri())
    assert not found, f"{page}: {found}"
    for heading in headings:
        assert heading in facts["headings"], (heading, facts["headings"])
    if page != "garbage/report.html":
        assert facts["images"], f"{page} shows no plot"
    assert all(i["src"].startswith("data:image/png;base64,") and i["ok"] for i in facts["images"]), facts["images"]
    if page == "summary.html":
        assert "SoftMax over the wrong axis" in facts["text"] and "unreadable" in facts["text"]
    if page == "softmax_wrong_axis/report.html":
        assert "SoftMax over the wrong axis" in facts["text"]
        assert all(q in facts["text"] for q in checks.ORDER)


@needs_chromium
def test_the_render_check_catches_console_errors_exceptions_broken_images_and_requests(browser, tmp_path):
    """The checker itself: each kind of problem on a deliberately broken page is reported."""
    bad = tmp_path / "bad.html"
    bad.write_text("""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>bad</title>
<link rel="stylesheet" href="https://example.invalid/style.css"></head><body><h1>Bad</h1>
<img src="data:image/png;base64,bm90IGEgcG5n" alt="not a png">
<img src="http://example.invalid/plot.png" alt="remote">
<script>console.error("deliberate console error"); console.log("fine"); missingFunction();</script>
</body></html>""")
    found, facts = browser.open(bad.as_uri())
    text = "\n".join(found)
    assert "console.error: deliberate console error" in text
    assert "missingFunction" in text  # the uncaught ReferenceError
    assert "network request: https://example.invalid/style.css" in text
    assert "network request: http://example.invalid/plot.png" in text
    assert "console.log" not in text
    assert not facts["images"][0]["ok"]  # a data: URI that is not an image does not pass as a plot
    assert external_references(bad.read_text()) == ["https://example.invalid/style.css", "http://example.invalid/plot.png"]
    good = tmp_path / "good.html"
    good.write_text('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>ok</title></head>'
                    "<body><h1>Fine</h1></body></html>")
    assert browser.open(good.as_uri()) == ([], {"title": "ok", "headings": ["Fine"], "images": [], "text": "Fine"})
