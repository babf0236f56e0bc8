"""The search page (GET /) in a real browser: Debian's chromium, headless, against a live newsd.

Two ways of driving it, both with the standard library only:
- `chromium --dump-dom URL` loads a linked search (state in the URL), runs the page's script
  and prints the DOM; the tests parse it and compare what is shown with the API's answers.
- `chromium --remote-debugging-pipe` (DevTools protocol as NUL-separated JSON on fds 3/4)
  for what a person does: press `/`, type a query, Enter, "More", click an entity chip, Back.
Screenshots (desktop and phone width) are saved under the build directory for people to look at.
Skips with a message when chromium is not installed.
"""
import base64
import fcntl
import html.parser
import json
import os
import queue
import shutil
import struct
import subprocess
import tempfile
import threading
import time
import urllib.parse

import harness

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SKIP_BROWSER = "chromium not installed: skipping the browser tests (make deps installs it)"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--mute-audio"]
BROWSER_TIMEOUT = 90

srv = None
base = None


# -- the corpus ------------------------------------------------------------------------------

def corpus():
    """45 articles over six months of 2024: 30 about oil (so more than one page), 15 about
    wheat, entities given, and one hostile article whose fields carry markup."""
    recs = []
    people = ["Ada Lovelace", "Grace Hopper", "Alan Turing"]
    places = ["Norway", "Brazil", "Nigeria"]
    for i in range(45):
        day = time.strftime("%Y-%m-%d", time.gmtime(1704067200 + i * 4 * 86400))
        oil = i < 30
        topic = "Oil output" if oil else "Wheat harvest"
        recs.append({
            "id": "p-%02d" % i,
            "title": "%s report %d from %s" % (topic, i, places[i % 3]),
            "body": ("Producers said %s rose again this week. Analysts expect prices to "
                     "follow, while %s said the market stayed calm. Shipping was normal.") %
                    ("crude oil output" if oil else "wheat harvest yields", people[i % 3]),
            "date": day + "T09:00:00Z",
            "source": "wire" if i % 2 else "daily",
            "url": "https://example.org/news/%d" % i,
            "entities": {"people": [people[i % 3]], "orgs": ["OPEC"] if oil else ["FAO"],
                         "places": [places[i % 3]]},
        })
    recs.append({
        "id": "p-hostile", "date": "2024-03-03T10:00:00Z", "source": "<i>wire</i>",
        "title": "Pipeline <img src=x onerror=alert(1)> halted",
        "body": "The pipeline <script>alert(2)</script> was halted on Sunday.",
        "url": "javascript:alert(3)",
        "entities": {"people": ["<b>Mallory</b>"], "orgs": [], "places": []},
    })
    return recs


def setup_module():
    global srv, base
    if not CHROMIUM:
        harness.skip(SKIP_BROWSER)
    d = harness.tmpdir("page")
    path = os.path.join(d, "page.jsonl")
    with open(path, "w") as f:
        f.write(harness.jsonl(corpus()))
    conf = harness.write_config(os.path.join(d, "newsd.conf"),
                                {"extraction": "no", "dedup": "no"})
    db = os.path.join(d, "page.db")
    r = harness.run_index(db, [path], config=conf)
    assert r.returncode == 0, "newsd index failed: %s" % r.stderr
    srv = harness.Server("page-serve", db=db, config=conf).start()
    base = "http://127.0.0.1:%d/" % srv.port
    r = srv.get("/")
    assert r.status == 200 and b'id="hits"' in r.body, \
        "newsd does not serve the search page at GET /: %r" % r


def teardown_module():
    if srv:
        srv.stop()


def page_url(**params):
    items = []
    for k, v in params.items():
        k = k.rstrip("_")
        for x in (v if isinstance(v, list) else [v]):
            items.append((k, x))
    return base + ("?" + urllib.parse.urlencode(items) if items else "")


# -- a small DOM from chromium's serialisation -------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def text(self):
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def walk(self):
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.walk()

    def all(self, tag=None, cls=None):
        return [n for n in self.walk() if (tag is None or n.tag == tag) and
                (cls is None or cls in n.classes())]

    def by_id(self, ident):
        for n in self.walk():
            if n.attrs.get("id") == ident:
                return n
        raise AssertionError("no element #%s in the rendered page" % ident)

    def hidden(self):
        n = self
        while n is not None:
            if "hidden" in n.attrs:
                return True
            n = n.parent
        return False


class _Parser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse(markup):
    p = _Parser()
    p.feed(markup)
    p.close()
    return p.root


# -- chromium -----------------------------------------------------------------------------

def chromium(args):
    """Run chromium headless with a throw-away profile; returns stdout (text)."""
    profile = tempfile.mkdtemp(prefix="chromium-", dir=harness.tmp_root())
    cmd = [CHROMIUM] + FLAGS + ["--user-data-dir=" + profile] + args
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=BROWSER_TIMEOUT)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert r.returncode == 0, "chromium exited %d: %s\n%s" % (
        r.returncode, " ".join(cmd), r.stderr.decode("utf-8", "replace")[-2000:])
    return r.stdout.decode("utf-8", "replace")


def dom(url):
    """The DOM after the page's script ran (virtual time lets its fetches finish)."""
    out = chromium(["--virtual-time-budget=5000", "--dump-dom", url])
    assert "<html" in out, "chromium printed no DOM for %s: %r" % (url, out[:300])
    return parse(out)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % path
    return struct.unpack(">II", head[16:24])


# -- what the page shows against what the API says ----------------------------------------

def hits_of(root):
    return root.by_id("hits").all("li", "hit")


def test_page_is_served_self_contained():
    r = srv.get("/")
    assert r.status == 200, r
    assert r.headers.get("content-type", "").startswith("text/html"), r.headers
    page = r.body.decode("utf-8")
    assert len(r.body) < 30000, "page is %d bytes" % len(r.body)
    root = parse(page)
    for n in root.walk():
        for attr in ("src", "href"):
            v = n.attrs.get(attr) or ""
            assert "//" not in v, "external asset %s=%r on <%s>" % (attr, v, n.tag)
        assert not (n.tag == "link" and "stylesheet" in (n.attrs.get("rel") or "")), \
            "external stylesheet"
    assert root.all("script") and root.all("style"), "script and style are inline"
    assert root.by_id("q").attrs.get("type") == "search"
    labels = {n.attrs.get("for") for n in root.all("label")}
    for ident in ("q", "from", "to", "sort", "ent"):
        assert ident in labels, "input #%s has no <label>" % ident


def test_results_marks_total_chips_timeline():
    api = srv.get("/search", q="oil", limit=10).json
    assert api["total"] == 30, api["total"]
    root = dom(page_url(q="oil"))
    hits = hits_of(root)
    assert len(hits) == 10, "want 10 hits on the first page, got %d" % len(hits)
    status = root.by_id("status")
    assert status.attrs.get("data-total") == "30", status.attrs
    assert "30 results" in " ".join(status.text().split()), status.text()
    assert " ms" in status.text(), "took_ms not shown: %r" % status.text()
    for h, want in zip(hits, api["hits"]):
        title = h.all("h3")[0]
        assert title.text() == want["title"], (title.text(), want["title"])
        assert [m.text().lower() for m in title.all("mark")] == ["oil"], title.text()
        snips = h.all("p", "snip")
        assert len(snips) == len(want["snippets"]) and snips, "snippets of %s" % want["id"]
        assert any(s.all("mark") for s in snips), "no <mark> in the snippets of %s" % want["id"]
        assert h.all("time")[0].text() == want["date"][:10]
        assert any(b.text() == want["source"] for b in h.all("button")), "source not shown"
        chips = {b.text(): b.classes() for b in h.all("button", "chip")}
        ents = want["entities"]
        for kind, cls in (("people", "person"), ("orgs", "org"), ("places", "place")):
            for name in ents.get(kind, []):
                assert name in chips and cls in chips[name], \
                    "entity chip %r (%s) missing in %s: %r" % (name, cls, want["id"], chips)
        link = title.all("a")[0]
        assert link.attrs.get("href") == want["url"], link.attrs
    more = root.by_id("more")
    assert not more.hidden(), "30 results but no More button"
    tl_api = srv.get("/timeline", q="oil")
    assert tl_api.status == 200, "GET /timeline: %r" % tl_api
    buckets = tl_api.json["buckets"]
    tl = root.by_id("tl")
    assert not tl.hidden(), "timeline section hidden"
    svg = tl.all("svg")
    assert svg, "no inline SVG timeline"
    bars = svg[0].all("rect", "bar")
    assert len(bars) == len(buckets), "%d bars for %d buckets" % (len(bars), len(buckets))
    assert [b.attrs.get("data-start") for b in bars] == [b["start"] for b in buckets]
    assert [int(b.attrs.get("data-count")) for b in bars] == [b["count"] for b in buckets]
    heights = [float(b.attrs["height"]) for b in bars]
    top = max(range(len(buckets)), key=lambda i: buckets[i]["count"])
    assert heights[top] == max(heights) > 0, "tallest bar is not the largest bucket"
    assert svg[0].all("polyline", "ratio"), "no ratio line"


def test_filters_from_the_url():
    params = {"q": "oil", "entity": ["Ada Lovelace", "opec"], "from": "2024-02-01",
              "to": "2024-04-30", "sort": "oldest"}
    api = srv.get("/search", params=params, limit=10).json
    assert 0 < api["total"] < 30, api["total"]
    root = dom(page_url(**params))
    assert root.by_id("status").attrs.get("data-total") == str(api["total"])
    got = [h.all("h3")[0].text() for h in hits_of(root)]
    assert got == [h["title"] for h in api["hits"]], "order differs from the API"
    chips = " ".join(root.by_id("chips").text().split())
    assert "entity: Ada Lovelace" in chips and "entity: opec" in chips, chips
    removers = [b.attrs.get("aria-label", "") for b in root.by_id("chips").all("button", "x")]
    assert "Remove entity filter Ada Lovelace" in removers, removers
    pressed = [b for b in root.all("button", "chip") if b.attrs.get("aria-pressed") == "true"]
    assert pressed and all(b.text() in ("Ada Lovelace", "OPEC") for b in pressed), \
        [b.text() for b in pressed]
    assert "oil" in root.all("title")[0].text()


def test_bad_query_message_points_at_position():
    err = srv.get("/search", q='"oil').json["error"]
    root = dom(page_url(q='"oil'))
    box = [n for n in root.by_id("msg").all("div", "msg") if "error" in n.classes()]
    assert box, "no error message for an unbalanced quote"
    text = box[0].text()
    assert err["message"] in text, (err["message"], text)
    caret = box[0].all("pre", "caret")
    assert caret, "no pointer at the error position"
    lines = caret[0].text().split("\n")
    assert lines[0] == '"oil' and lines[1].index("^") == err["position"], lines
    assert not hits_of(root)
    assert root.by_id("tl").hidden(), "timeline shown for a bad query"


def test_empty_results_message():
    root = dom(page_url(q="zebra"))
    assert root.by_id("status").attrs.get("data-total") == "0"
    box = root.by_id("msg").all("div", "empty")
    assert box and "No articles match" in box[0].text(), root.by_id("msg").text()
    assert "zebra" in box[0].text()
    assert not hits_of(root) and root.by_id("more").hidden()


def test_api_text_is_not_markup():
    root = dom(page_url(q="pipeline"))
    hits = hits_of(root)
    assert len(hits) == 1, len(hits)
    h = hits[0]
    for bad in ("img", "script", "i", "b"):
        assert not h.all(bad), "<%s> from article data became an element" % bad
    assert "<img src=x onerror=alert(1)>" in h.all("h3")[0].text()
    assert [m.text() for m in h.all("mark")][:1] == ["Pipeline"]
    assert any(b.text() == "<b>Mallory</b>" for b in h.all("button", "chip"))
    assert any(b.text() == "<i>wire</i>" for b in h.all("button"))
    assert not h.all("h3")[0].all("a"), "javascript: URL became a link"


def test_screenshots():
    """build/…/page.png (desktop, chromium --screenshot) and page-phone.png (390 px wide).
    Headless chromium lays a window out at least 500 px wide, so the phone shot emulates the
    device over the DevTools protocol instead, as a phone browser would lay the page out."""
    desk = os.path.join(harness.BUILD, "page.png")
    phone = os.path.join(harness.BUILD, "page-phone.png")
    for path in (desk, phone):
        if os.path.exists(path):
            os.unlink(path)
    chromium(["--virtual-time-budget=5000", "--window-size=1200,1600", "--screenshot=" + desk,
              page_url(q="oil prices")])
    b = Browser()
    try:
        b.page("Emulation.setDeviceMetricsOverride", width=390, height=1400,
               deviceScaleFactor=1, mobile=True)
        b.page("Page.navigate", url=page_url(q="oil", entity="OPEC"))
        b.wait("%s.length == 10 && !!document.querySelector('#tl svg')" % HITS, "results")
        assert b.js("document.documentElement.scrollWidth") <= 390, "wider than the phone"
        svg_w = b.js("document.querySelector('#tl svg').getBoundingClientRect().width")
        assert abs(svg_w - b.js("+document.querySelector('#tl svg').getAttribute('width')")) < 2, \
            "timeline drawn for another width than it has (its text would be scaled)"
        shot = b.page("Page.captureScreenshot", format="png")["data"]
    finally:
        b.close()
    with open(phone, "wb") as f:
        f.write(base64.b64decode(shot))
    for path, size in ((desk, (1200, 1600)), (phone, (390, 1400))):
        assert os.path.getsize(path) > 10000, "%s is nearly empty" % path
        assert png_size(path) == size, (path, png_size(path))
    print("       screenshots: %s %s" % (desk, phone))


# -- a person at the keyboard (DevTools protocol over a pipe) ------------------------------

class Browser:
    """One headless chromium driven with the DevTools protocol on fds 3 (in) and 4 (out)."""

    def __init__(self, size=(1000, 900)):
        self.profile = tempfile.mkdtemp(prefix="chromium-", dir=harness.tmp_root())
        to_child, self._w = os.pipe()
        self._r, from_child = os.pipe()

        def fds():
            a = fcntl.fcntl(to_child, fcntl.F_DUPFD_CLOEXEC, 10)
            b = fcntl.fcntl(from_child, fcntl.F_DUPFD_CLOEXEC, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)
        self.log = open(os.path.join(self.profile, "..", "chromium-cdp.log"), "wb")
        self.proc = subprocess.Popen(
            [CHROMIUM] + FLAGS + ["--user-data-dir=" + self.profile, "--window-size=%d,%d" % size,
                                  "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, close_fds=False,
            preexec_fn=fds)
        os.close(to_child)
        os.close(from_child)
        self.next_id = 0
        self.inbox = queue.Queue()
        threading.Thread(target=self._reader, daemon=True).start()
        targets = self.call("Target.getTargets")["targetInfos"]
        pages = [t for t in targets if t["type"] == "page"]
        tid = pages[0]["targetId"] if pages else \
            self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=tid, flatten=True)["sessionId"]

    def _reader(self):
        buf = b""
        while True:
            chunk = os.read(self._r, 65536)
            if not chunk:
                self.inbox.put(None)
                return
            buf += chunk
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                self.inbox.put(json.loads(msg))

    def call(self, method, session=None, **params):
        self.next_id += 1
        ident = self.next_id
        msg = {"id": ident, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + 30
        while True:
            try:
                m = self.inbox.get(timeout=max(0.1, deadline - time.time()))
            except queue.Empty:
                raise AssertionError("chromium did not answer %s within 30 s" % method)
            if m is None:
                raise AssertionError("chromium closed the DevTools pipe (exit %s)" %
                                     self.proc.poll())
            if m.get("id") == ident:
                if "error" in m:
                    raise AssertionError("%s: %s" % (method, m["error"]))
                return m.get("result", {})

    def page(self, method, **params):
        return self.call(method, session=self.session, **params)

    def js(self, expr):
        r = self.page("Runtime.evaluate", expression=expr, awaitPromise=True,
                      returnByValue=True)
        if "exceptionDetails" in r:
            raise AssertionError("page script failed: %s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def wait(self, cond, what, timeout=10):
        """Poll a JS expression in the page until it is truthy."""
        deadline = time.time() + timeout
        # while the page is still loading its elements may not exist yet: a throwing
        # condition counts as not yet true
        safe = "(function(){try{return (%s);}catch(e){return false;}})()" % cond
        while time.time() < deadline:
            v = self.js(safe)
            if v:
                return v
            time.sleep(0.05)
        raise AssertionError("timed out waiting for %s (%s); page %r shows %r" % (
            what, cond, self.js("location.search"),
            self.js("(document.getElementById('status') || {}).textContent + ' | ' + "
                    "(document.getElementById('msg') || {}).textContent")))

    def key(self, key, code, vk, text=None):
        down = {"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": vk}
        if text:
            down["text"] = text
        self.page("Input.dispatchKeyEvent", **down)
        self.page("Input.dispatchKeyEvent", type="keyUp", key=key, code=code,
                  windowsVirtualKeyCode=vk)

    def close(self):
        try:
            self.call("Browser.close")
        except AssertionError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._w)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


HITS = "document.querySelectorAll('#hits li.hit')"
IDS = "Array.from(%s, li => li.querySelector('.meta a').textContent)" % HITS


def test_keyboard_typing_paging_chips_and_back():
    b = Browser()
    try:
        b.page("Page.enable")
        b.page("Page.navigate", url=base)
        b.wait("/articles/.test(document.getElementById('status').textContent)", "the intro")
        b.js("document.body.focus()")
        b.key("/", "Slash", 191, "/")
        assert b.js("document.activeElement.id") == "q", "/ does not focus the search box"
        assert b.js("document.getElementById('q').value") == "", "/ was typed into the box"
        b.page("Input.insertText", text="oil")
        b.key("Enter", "Enter", 13, "\r")
        b.wait("%s.length == 10" % HITS, "the first page")
        assert b.js("location.search") == "?q=oil"
        api1 = srv.get("/search", q="oil", limit=10).json
        assert b.js(IDS) == [h["id"] for h in api1["hits"]]

        b.js("document.getElementById('more').focus()")
        b.key("Enter", "Enter", 13, "\r")
        b.wait("%s.length == 20" % HITS, "the second page after More")
        api2 = srv.get("/search", q="oil", limit=10, cursor=api1["next_cursor"]).json
        assert b.js(IDS) == [h["id"] for h in api1["hits"] + api2["hits"]], "More is not page 2"
        b.js("document.getElementById('more').click()")
        b.wait("%s.length == 30" % HITS, "the third page")
        b.wait("document.getElementById('more').hidden", "More to disappear at the end")

        name = b.js("document.querySelector('#hits button.chip.ent.person').textContent")
        b.js("document.querySelector('#hits button.chip.ent.person').click()")
        b.wait("location.search.includes('entity=')", "the entity filter in the URL")
        want = srv.get("/search", q="oil", entity=name, limit=10).json
        b.wait("document.getElementById('status').dataset.total == '%d'" % want["total"],
               "results filtered by %s" % name)
        assert name in b.js("document.getElementById('chips').textContent")
        assert b.js(IDS) == [h["id"] for h in want["hits"]]

        b.js("history.back()")
        b.wait("location.search == '?q=oil' && %s.length == 10 && "
               "document.getElementById('chips').textContent == ''" % HITS, "Back to q=oil")

        if b.js("!document.getElementById('tl').hidden"):
            b.js("document.querySelector('#tl rect.bar[tabindex]').focus()")
            b.key("Enter", "Enter", 13, "\r")
            b.wait("/from=.*&to=/.test(location.search)", "a bar to set from/to")
            qs = urllib.parse.parse_qs(b.js("location.search")[1:])
            want = srv.get("/search", q="oil", from_=qs["from"][0], to=qs["to"][0]).json
            assert 0 < want["total"] < 30, (want["total"], qs)
            b.wait("document.getElementById('status').dataset.total == '%d'" % want["total"],
                   "results within the bar's dates %r" % qs)

        b.js("document.getElementById('q').value = 'oil (wheat'")
        b.js("document.getElementById('q').focus()")
        b.key("Enter", "Enter", 13, "\r")
        b.wait("!!document.querySelector('#msg .error')", "the error message")
        err = srv.get("/search", q="oil (wheat").json["error"]
        assert err["message"] in b.js("document.querySelector('#msg .error').textContent")
        if "position" in err:
            assert b.js("document.getElementById('q').selectionStart") == err["position"]
    finally:
        b.close()


def test_did_you_mean_is_offered():
    api = srv.get("/search", q="wheta harvets").json
    assert api["total"] == 0 and api["did_you_mean"]["q"] == "wheat harvest", api
    root = dom(page_url(q="wheta harvets"))
    link = root.by_id("dym")
    assert link is not None, "no did-you-mean link: %s" % root.by_id("msg").text()
    assert link.text() == "wheat harvest", link.text()
    assert "q=wheat+harvest" in link.attrs.get("href", ""), link.attrs
    assert "(%d result" % api["did_you_mean"]["total"] in root.by_id("msg").text()
    root = dom(page_url(q="oil"))
    assert not [n for n in root.walk() if n.attrs.get("id") == "dym"], \
        "a suggestion for a query with results"


def test_similar_link_shows_the_story():
    b = Browser()
    try:
        b.page("Page.enable")
        b.page("Page.navigate", url=page_url(q="wheat"))
        b.wait("%s.length == 10" % HITS, "the wheat hits")
        first = b.js("document.querySelector('#hits li.hit a[href^=\"articles/\"]').textContent")
        b.js("document.querySelector('#hits li.hit button.simbtn').click()")
        b.wait("document.querySelectorAll('#hits li.hit ul.similar li a').length > 0",
               "the similar list")
        got = b.js("Array.from(document.querySelectorAll('#hits li.hit ul.similar li a'))"
                   ".map(function (a) { return decodeURIComponent(a.getAttribute('href')"
                   ".slice(9)); })")
        want = [x["id"] for x in srv.get("/articles/%s/similar" % first, limit=5).json["similar"]]
        assert got == want, (got, want)
        assert first not in got
        b.js("document.querySelector('#hits li.hit button.simbtn').click()")
        b.wait("!document.querySelector('#hits li.hit ul.similar')", "the list to close")
    finally:
        b.close()


def test_live_toggle_prepends_a_posted_article():
    """The "Live" checkbox opens an EventSource on /watch: an article POSTed afterwards
    appears on top of the results without a reload."""
    b = Browser()
    try:
        b.page("Page.enable")
        b.page("Page.navigate", url=page_url(q="oil"))
        b.wait("%s.length == 10" % HITS, "the first page")
        b.js("document.getElementById('live').click()")
        b.wait("/watching/.test(document.getElementById('livest').textContent)", "the stream")
        r = srv.post("/articles", json.dumps({
            "id": "p-live", "title": "Oil tanker arrives live", "date": "2024-07-01",
            "body": "A crude oil tanker arrived this morning.", "source": "wire"}))
        assert r.status == 200, r
        b.wait("%s[0].getAttribute('data-id') == 'p-live'" % HITS, "the live article on top")
        assert "Oil tanker arrives live" in b.js("%s[0].textContent" % HITS)
        assert b.js("%s[0].querySelector('mark').textContent" % HITS).lower() == "oil"
        assert b.js("%s.length" % HITS) == 11
    finally:
        b.close()


def test_collapsed_story_shows_its_copies():
    """The page shows each story once (collapse=dups): a hit with wire copies has an "N more
    copies" control that lists them (GET articles/{id}/copies); a second click hides them.
    A server of its own, with wire-copy detection on (the main one has it off)."""
    import test_copies
    s2 = harness.Server("page-copies").start()
    b = None
    try:
        r = s2.post("/articles", harness.jsonl(test_copies.articles()))
        assert r.status == 200 and r.json["accepted"] == 7, r
        url = "http://127.0.0.1:%d/?q=harbour" % s2.port
        root = dom(url)
        assert root.by_id("status").attrs.get("data-total") == "3", root.by_id("status").text()
        hits = {h.attrs.get("data-id"): h for h in hits_of(root)}
        assert sorted(hits) == ["story-a", "story-b", "story-c"], sorted(hits)
        more = {k: [x.text() for x in h.all("button", "copiesbtn")] for k, h in hits.items()}
        assert more == {"story-a": ["3 more copies"], "story-b": ["1 more copy"],
                        "story-c": []}, more
        b = Browser()
        b.page("Page.enable")
        b.page("Page.navigate", url=url)
        b.wait("%s.length == 3" % HITS, "the collapsed hits")
        sel = "#hits li.hit[data-id=\"story-a\"]"
        b.js("document.querySelector('%s button.copiesbtn').click()" % sel)
        b.wait("document.querySelectorAll('%s ul.copies li a').length == 3" % sel,
               "the list of copies")
        got = b.js("Array.from(document.querySelectorAll('%s ul.copies li a'))"
                   ".map(function (a) { return decodeURIComponent(a.getAttribute('href')"
                   ".slice(9)); })" % sel)
        want = [c["id"] for c in s2.get("/articles/story-a/copies").json["copies"]]
        assert got == want == ["story-a-copy-1", "story-a-copy-2", "story-a-copy-3"], got
        assert b.js("document.querySelector('%s button.copiesbtn')"
                    ".getAttribute('aria-expanded')" % sel) == "true"
        b.js("document.querySelector('%s button.copiesbtn').click()" % sel)
        b.wait("!document.querySelector('%s ul.copies')" % sel, "the list to close")
    finally:
        if b:
            b.close()
        s2.stop()
