"""Live watches over HTTP against a real newsd: SSE streams (/watch), Last-Event-ID replay and
gaps, saved watches (/watches) across a restart, webhooks to a loopback receiver (signature,
retries, resumption after a restart, allowed hosts), limits (max_watchers, slow readers, 200
streams), newsq watch. No Reuters needed: every test posts its own articles."""
import hashlib
import hmac
import http.client
import http.server
import json
import os
import queue
import re
import selectors
import socket
import subprocess
import threading
import time
import urllib.parse

import harness

SECRET = "e2e-webhook-secret"
srv = None


def setup_module():
    global srv
    srv = harness.Server("watch").start()


def teardown_module():
    if srv:
        srv.stop()


def configured(name, db=None, **settings):
    """A newsd of its own with these config settings, started."""
    d = harness.tmpdir(name)
    conf = harness.write_config(os.path.join(d, "newsd.conf"), settings)
    return harness.Server(name, db=db, config=conf).start()


def art(id_, title, body="Nothing else to report.", date="2026-01-07T10:00:00Z", **kw):
    r = {"id": id_, "title": title, "body": body, "date": date, "source": "e2e-wire"}
    r.update(kw)
    return r


def post(server, recs, headers=None):
    r = server.post("/articles", harness.jsonl(recs), headers)
    assert r.status == 200, r
    return r.json["index_version"]


class SSE:
    """A Server-Sent Events client: a reader thread parses events into a queue."""

    def __init__(self, server, path, params=None, headers=None, timeout=30):
        qs = harness._query_string(params or {})
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
        h = {"Accept": "text/event-stream"}
        h.update(headers or {})
        self.conn.request("GET", path + ("?" + qs if qs else ""), headers=h)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = {k.lower(): v for k, v in self.resp.getheaders()}
        self.events = queue.Queue()
        self.comments = []
        self.ended = threading.Event()
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()
        else:
            self.body = self.resp.read()

    def _read(self):
        ev = {}
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    break
                line = line.decode("utf-8").rstrip("\n")
                if line == "":
                    if "data" in ev:
                        ev["t"] = time.time()
                        ev["json"] = json.loads(ev["data"])
                        self.events.put(ev)
                    ev = {}
                elif line.startswith(":"):
                    self.comments.append(line)
                else:
                    k, _, v = line.partition(":")
                    ev[k] = v[1:] if v.startswith(" ") else v
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            pass    # closed under the reader (close() below)
        self.ended.set()

    def take(self, n, timeout=5.0):
        """The next n events (fails when they do not come in time)."""
        out, deadline = [], time.time() + timeout
        while len(out) < n:
            try:
                out.append(self.events.get(timeout=max(0.01, deadline - time.time())))
            except queue.Empty:
                raise AssertionError("wanted %d events, got %d: %r" % (n, len(out), out))
        return out

    def quiet(self, wait=0.5):
        """Nothing more arrives within wait seconds."""
        try:
            ev = self.events.get(timeout=wait)
        except queue.Empty:
            return
        raise AssertionError("unexpected event %r" % ev)

    def close(self):
        # shut the socket first: it wakes the reader thread, which holds the response's lock
        try:
            if self.conn.sock:
                self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()


def open_stream(params=None, server=None, **kw):
    s = SSE(server or srv, "/watch", params=params, **kw)
    assert s.status == 200, (s.status, getattr(s, "body", b""))
    assert s.headers.get("content-type", "").startswith("text/event-stream"), s.headers
    return s


def ids(events):
    return [e["json"]["id"] for e in events]


# -- streams ------------------------------------------------------------------------------

def test_stream_gets_exactly_the_matching_articles():
    s = open_stream({"q": "quorbital"})
    try:
        recs = [art("mx-%d" % i, "Quorbital report %d" % i if i % 3 == 0 else "Weather %d" % i,
                    "The quorbital committee met." if i % 3 == 0 else "Rain later.")
                for i in range(12)]
        t0 = time.time()
        v = post(srv, recs)
        want = ["mx-%d" % i for i in range(12) if i % 3 == 0]
        got = s.take(len(want))
        assert sorted(ids(got)) == sorted(want), ids(got)
        s.quiet()
        for e in got:
            assert e["event"] == "article", e
            assert re.fullmatch(r"%d-\d+" % v, e["id"]), e["id"]
            h = e["json"]
            for k in ("id", "title", "title_html", "date", "source", "url", "score",
                      "snippets", "entities"):
                assert k in h, "hit lacks %s: %r" % (k, h)
            assert h["updated"] is False and h["index_version"] == v
            assert any("<mark>" in x for x in h["snippets"]), h["snippets"]
            assert "<mark>Quorbital</mark>" in h["title_html"], h["title_html"]
        assert got[-1]["t"] - t0 < 2.0
    finally:
        s.close()


def test_event_arrives_quickly_after_commit():
    s = open_stream({"q": "zindarite"})
    try:
        delays = []
        for i in range(5):
            t0 = time.time()
            post(srv, [art("lat-%d" % i, "Zindarite find %d" % i)])
            t1 = time.time()
            e = s.take(1)[0]
            delays.append(e["t"] - t1)
            assert e["json"]["id"] == "lat-%d" % i
            assert e["t"] - t0 < 1.0
        delays.sort()
        assert delays[2] < 0.1, "median delay after the POST's answer: %.3f s" % delays[2]
    finally:
        s.close()


def test_filters_entity_source_date_lang():
    base = {"q": "velmorite"}
    streams = {
        "entity": open_stream(dict(base, entity="Velmor Group")),
        "source": open_stream(dict(base, source="velmor-daily")),
        "date": open_stream(dict(base, from_="2026-02-01", to="2026-02-28")),
        "lang": open_stream(dict(base, lang="de")),
        "all": open_stream(base),
    }
    try:
        recs = [
            art("f-ent", "Velmorite deal", entities={"orgs": ["Velmor Group"]}),
            art("f-src", "Velmorite prices", source="velmor-daily"),
            art("f-date", "Velmorite in February", date="2026-02-14T08:00:00Z"),
            art("f-de", "Velmorite in Berlin", lang="de"),
            art("f-none", "Velmorite elsewhere", date="2025-05-05"),
        ]
        post(srv, recs)
        want = {"entity": ["f-ent"], "source": ["f-src"], "date": ["f-date"], "lang": ["f-de"],
                "all": [r["id"] for r in recs]}
        for k, s in streams.items():
            got = ids(s.take(len(want[k])))
            assert sorted(got) == sorted(want[k]), (k, got)
            s.quiet(0.3)
    finally:
        for s in streams.values():
            s.close()


def test_update_and_delete_events():
    s = open_stream({"q": "trelliox"})
    try:
        post(srv, [art("ud-1", "Trelliox opens"), art("ud-2", "Garden news")])
        assert ids(s.take(1)) == ["ud-1"]
        post(srv, [art("ud-1", "Trelliox opens again", "Updated text.")])
        e = s.take(1)[0]
        assert e["event"] == "article" and e["json"]["updated"] is True, e
        assert e["json"]["title"] == "Trelliox opens again"
        r = srv.delete(harness.article_path("ud-2"))     # never matched: not signalled
        assert r.status == 200, r
        r = srv.delete(harness.article_path("ud-1"))
        assert r.status == 200, r
        e = s.take(1)[0]
        assert e["event"] == "deleted" and e["json"]["id"] == "ud-1", e
        assert e["json"]["index_version"] == r.json["index_version"]
        s.quiet(0.3)
    finally:
        s.close()


def test_reconnect_with_last_event_id_misses_nothing():
    q = {"q": "plumbex"}
    s = open_stream(q)
    post(srv, [art("re-1", "Plumbex one"), art("re-x", "Other one")])
    first = s.take(1)
    last = first[0]["id"]
    s.close()
    # two batches while away
    post(srv, [art("re-2", "Plumbex two"), art("re-3", "Plumbex three")])
    post(srv, [art("re-y", "Other two"), art("re-4", "Plumbex four")])
    s = open_stream(q, headers={"Last-Event-ID": last})
    try:
        got = s.take(3)
        assert ids(got) == ["re-2", "re-3", "re-4"], ids(got)
        post(srv, [art("re-5", "Plumbex five")])
        live = s.take(1)
        assert ids(live) == ["re-5"]
        s.quiet(0.3)
        allids = [e["id"] for e in first + got + live]
        assert len(set(allids)) == len(allids)
        keys = [tuple(map(int, i.split("-"))) for i in allids]
        assert keys == sorted(keys), "event ids do not rise: %r" % allids
    finally:
        s.close()


def test_reconnect_with_a_gap():
    g = configured("watch-gap", watch_replay_max="3")
    try:
        s = open_stream({"q": "gapolite"}, server=g)
        post(g, [art("g-0", "Gapolite zero")])
        last = s.take(1)[0]["id"]
        s.close()
        for b in range(3):
            post(g, [art("g-%d-%d" % (b, i), "Gapolite %d %d" % (b, i)) for i in range(2)])
        s = open_stream({"q": "gapolite"}, server=g, headers={"Last-Event-ID": last})
        got = s.take(4)
        assert [e["event"] for e in got] == ["article"] * 3 + ["gap"], got
        assert ids(got[:3]) == ["g-0-0", "g-0-1", "g-1-0"], ids(got[:3])
        gap = got[3]["json"]
        assert gap["skipped"] == 3, gap
        post(g, [art("g-live", "Gapolite live")])
        assert ids(s.take(1)) == ["g-live"]
        s.close()
        # resuming from the gap's id continues after the skipped events
        s = open_stream({"q": "gapolite"}, server=g, headers={"Last-Event-ID": got[3]["id"]})
        live = s.take(1)
        assert ids(live) == ["g-live"], ids(live)
        s.close()
    finally:
        g.stop()


def test_bad_filters_are_the_same_400s_as_search():
    for params in ({"q": '"unbalanced'}, {"q": "ice", "from": "2026-13-45"},
                   {"q": "a", "from": "2026-02-01", "to": "2026-01-01"},
                   {"q": "x", "snippets": "9"}):
        want = srv.get("/search", params=params)
        s = SSE(srv, "/watch", params=params)
        assert s.status == want.status == 400, (params, s.status, want)
        got = json.loads(s.body)["error"]
        assert got == want.json["error"], (got, want.json["error"])
    s = SSE(srv, "/watch", params={"q": "x", "sort": "newest"})
    assert s.status == 400 and json.loads(s.body)["error"]["code"] == "bad_parameter"
    s = SSE(srv, "/watch", params={"q": "x", "lang": "German"})
    assert s.status == 400 and json.loads(s.body)["error"]["code"] == "bad_parameter"
    s = SSE(srv, "/watch", params={"q": "x"}, headers={"Last-Event-ID": "yesterday"})
    assert s.status == 400, s.status
    r = srv.request("POST", "/watch")
    harness.check_error(r, 405, "method_not_allowed")


def test_max_watchers_and_sigterm_closes_streams():
    m = configured("watch-max", max_watchers="3")
    streams = [open_stream({"q": "x%d" % i}, server=m) for i in range(3)]
    try:
        s = SSE(m, "/watch", params={"q": "one-too-many"})
        assert s.status == 503, s.status
        assert json.loads(s.body)["error"]["code"] == "unavailable"
        streams[0].close()
        deadline = time.time() + 5
        while True:     # the closed stream's slot is free again
            s = SSE(m, "/watch", params={"q": "again"})
            if s.status == 200:
                streams.append(s)
                break
            assert time.time() < deadline, "a closed stream kept its slot"
            time.sleep(0.1)
        t0 = time.time()
        m.stop()        # exits 0 within 10 s with streams open
        for s in streams[1:]:
            assert s.ended.wait(5), "a stream was not closed at shutdown"
        assert time.time() - t0 < 5
    finally:
        for s in streams:
            s.close()
        if not m.stopped:
            m.stop()


# -- saved watches ------------------------------------------------------------------------

def test_saved_watch_crud_stream_and_restart():
    d = harness.tmpdir("watch-saved")
    db = os.path.join(d, "w.db")
    a = harness.Server("watch-saved", db=db).start()
    try:
        r = a.post("/watches", json.dumps({"name": "ice-minneapolis", "q": "ice",
                                           "entity": ["Minneapolis"]}))
        assert r.status == 201, r
        w = r.json
        assert re.fullmatch(r"w-[0-9a-f]+", w["id"]) and w["name"] == "ice-minneapolis"
        assert w["q"] == "ice" and w["entity"] == ["Minneapolis"], w
        assert r.headers.get("location") == "/watches/" + w["id"]
        assert a.get("/watches/" + w["id"]).json["id"] == w["id"]
        assert [x["id"] for x in a.get("/watches").json["watches"]] == [w["id"]]
        s = SSE(a, "/watches/%s/events" % w["id"])
        assert s.status == 200
        post(a, [art("sv-1", "ICE agents in Minneapolis", "ICE raid in Minneapolis today."),
                 art("sv-2", "ICE agents in Chicago", "ICE raid in Chicago today."),
                 art("sv-3", "Minneapolis weather", "Snow in Minneapolis.")])
        got = s.take(1)
        assert ids(got) == ["sv-1"], ids(got)
        s.quiet(0.3)
        last = got[0]["id"]
        s.close()
        harness.check_error(a.post("/watches", json.dumps({"q": '"bad'})), 400, "bad_query")
        harness.check_error(a.post("/watches", json.dumps({"q": "x", "colour": "red"})), 400,
                            "bad_parameter")
        harness.check_error(a.post("/watches", "not json"), 400)
        a.stop()
        post_later = [art("sv-4", "ICE returns to Minneapolis", "ICE raid in Minneapolis again.")]
        b = harness.Server("watch-saved-2", db=db).start()
        try:
            post(b, post_later)
            assert [x["id"] for x in b.get("/watches").json["watches"]] == [w["id"]]
            s = SSE(b, "/watches/%s/events" % w["id"], headers={"Last-Event-ID": last})
            assert ids(s.take(1)) == ["sv-4"]
            s.close()
            r = b.delete("/watches/" + w["id"])
            assert r.status == 200 and r.json == {"deleted": w["id"]}, r
            harness.check_error(b.get("/watches/" + w["id"]), 404, "not_found")
            harness.check_error(b.delete("/watches/" + w["id"]), 404, "not_found")
            assert b.get("/watches").json["watches"] == []
        finally:
            b.stop()
    finally:
        if not a.stopped:
            a.stop()


def test_saved_watch_writes_need_write_permission():
    t = configured("watch-auth", write_token="t0ken")
    try:
        body = json.dumps({"q": "oil"})
        harness.check_error(t.post("/watches", body), 401, "unauthorized")
        harness.check_error(t.post("/watches", body, {"Authorization": "Bearer nope"}), 403)
        r = t.post("/watches", body, {"Authorization": "Bearer t0ken"})
        assert r.status == 201, r
        harness.check_error(t.delete("/watches/" + r.json["id"]), 401, "unauthorized")
        assert t.get("/watches/" + r.json["id"]).status == 200     # reads need nothing
    finally:
        t.stop()


# -- webhooks -----------------------------------------------------------------------------

class Receiver:
    """A loopback HTTP server recording webhook POSTs; answers `fail` times with 500 first."""

    def __init__(self):
        self.posts = queue.Queue()
        self.fail = 0
        self.attempts = 0
        rec = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                rec.attempts += 1
                if rec.fail > 0:
                    rec.fail -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                rec.posts.put((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self):
        return "http://127.0.0.1:%d/hook" % self.port

    def take(self, timeout=10):
        try:
            return self.posts.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no webhook POST within %d s (%d attempts)" %
                                 (timeout, self.attempts))

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def hook_server(name, db=None, **extra):
    settings = {"webhook_allow": "127.0.0.1", "webhook_secret": SECRET,
                "webhook_backoff_ms": "100"}
    settings.update(extra)
    return configured(name, db=db, **settings)


def verify(headers, body):
    sig = headers.get("X-Newsd-Signature", "")
    want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(sig, want), (sig, want)
    return json.loads(body)


def test_webhook_signed_batch():
    rc = Receiver()
    h = hook_server("watch-hook")
    try:
        r = h.post("/watches", json.dumps({"name": "hook", "q": "fenwick", "webhook": rc.url()}))
        assert r.status == 201, r
        wid = r.json["id"]
        v = post(h, [art("wh-1", "Fenwick one"), art("wh-2", "Not this"),
                     art("wh-3", "Fenwick three")])
        hdrs, body = rc.take()
        doc = verify(hdrs, body)
        assert doc["watch"] == wid and doc["index_version"] == v, doc
        assert sorted(a["id"] for a in doc["articles"]) == ["wh-1", "wh-3"], doc
        assert all("snippets" in a for a in doc["articles"])
        assert doc["deleted"] == []
        deadline = time.time() + 5      # the receiver has it before newsd has the answer
        while h.get("/watches/" + wid).json["delivered_version"] != v:
            assert time.time() < deadline, h.get("/watches/" + wid).json
            time.sleep(0.05)
        harness.check_error(h.post("/watches", json.dumps({"q": "x", "webhook":
                                    "http://example.com/hook"})), 400, "bad_parameter")
        harness.check_error(h.post("/watches", json.dumps({"q": "x", "webhook":
                                    "http://127.0.0.2:9/hook"})), 400, "bad_parameter")
        harness.check_error(h.post("/watches", json.dumps({"q": "x", "webhook": "ftp://127.0.0.1/"})),
                            400, "bad_parameter")
    finally:
        h.stop()
        rc.close()


def test_webhook_retried_after_two_failures():
    rc = Receiver()
    h = hook_server("watch-retry")
    try:
        wid = h.post("/watches", json.dumps({"q": "grebble", "webhook": rc.url()})).json["id"]
        rc.fail = 2
        v = post(h, [art("rt-1", "Grebble news")])
        hdrs, body = rc.take()
        doc = verify(hdrs, body)
        assert doc["index_version"] == v and [a["id"] for a in doc["articles"]] == ["rt-1"]
        assert rc.attempts == 3, rc.attempts
        deadline = time.time() + 5      # the receiver has it before newsd has the answer
        while 'newsd_webhook_deliveries_total{result="ok"} 1' not in h.get("/metrics").body.decode():
            assert time.time() < deadline, "the delivery was not counted"
            time.sleep(0.05)
        m = h.get("/metrics").body.decode()
        assert 'newsd_webhook_deliveries_total{result="failed"} 2' in m, m
        # a later batch comes after, never the first again
        v2 = post(h, [art("rt-2", "Grebble again")])
        doc = verify(*rc.take())
        assert doc["index_version"] == v2 and [a["id"] for a in doc["articles"]] == ["rt-2"]
        deadline = time.time() + 5      # the receiver has it before newsd has the answer
        while h.get("/watches/" + wid).json["delivered_version"] != v2:
            assert time.time() < deadline, h.get("/watches/" + wid).json
            time.sleep(0.05)
    finally:
        h.stop()
        rc.close()


def test_webhook_resumes_after_restart_mid_retry():
    rc = Receiver()
    d = harness.tmpdir("watch-resume-db")
    db = os.path.join(d, "w.db")
    h = hook_server("watch-resume", db=db, webhook_retries="50")
    try:
        h.post("/watches", json.dumps({"q": "quillet", "webhook": rc.url()}))
        rc.fail = 10 ** 6
        v = post(h, [art("rs-1", "Quillet first")])
        deadline = time.time() + 10
        while rc.attempts < 2:
            assert time.time() < deadline, "no retries"
            time.sleep(0.05)
        h.stop()
    finally:
        if not h.stopped:
            h.stop()
    rc.fail = 0
    h2 = hook_server("watch-resume-2", db=db)
    try:
        doc = verify(*rc.take())
        assert doc["index_version"] == v and [a["id"] for a in doc["articles"]] == ["rs-1"]
        v2 = post(h2, [art("rs-2", "Quillet second")])
        doc = verify(*rc.take())
        assert doc["index_version"] == v2 and [a["id"] for a in doc["articles"]] == ["rs-2"]
    finally:
        h2.stop()
        rc.close()


def test_webhook_down_never_blocks_ingest_or_streams():
    h = hook_server("watch-down", webhook_allow="127.0.0.1,127.0.0.1:9")
    try:
        # port 9 (discard) on loopback: nothing listens, every delivery fails
        h.post("/watches", json.dumps({"q": "marrow", "webhook": "http://127.0.0.1:9/x"}))
        s = open_stream({"q": "marrow"}, server=h)
        for i in range(5):
            t0 = time.time()
            post(h, [art("dn-%d" % i, "Marrow %d" % i)])
            assert time.time() - t0 < 1.0
            assert ids(s.take(1)) == ["dn-%d" % i]
        s.close()
    finally:
        h.stop()


# -- limits -------------------------------------------------------------------------------

def rss_kb(server):
    with open("/proc/%d/status" % server.proc.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_slow_reader_is_dropped_without_growing_memory():
    m = configured("watch-slow", watch_buffer_bytes="65536", extraction="no",
                   dedup="no")
    sock = socket.socket()
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", m.port))
        sock.sendall(b"GET /watch?q=slowpoke HTTP/1.1\r\nHost: x\r\n"
                     b"Accept: text/event-stream\r\n\r\n")
        time.sleep(0.3)
        text = " ".join(["slowpoke"] + ["word%d" % i for i in range(300)])
        rss0 = None
        for b in range(40):
            post(m, [art("sl-%d-%d" % (b, i), "Slowpoke %d %d" % (b, i), text)
                     for i in range(50)])
            if b == 5:
                rss0 = rss_kb(m)
        rss1 = rss_kb(m)
        metrics = m.get("/metrics").body.decode()
        assert "newsd_watch_streams_dropped_total 1" in metrics, \
            [l for l in metrics.splitlines() if "watch" in l]
        assert "newsd_watch_streams 0" in metrics
        # (under AddressSanitizer freed memory sits in quarantine: sizes say nothing there)
        sanitized = "asan" in os.path.basename(os.path.normpath(harness.BUILD))
        assert sanitized or rss1 - rss0 < 32 * 1024, "RSS grew by %d kB" % (rss1 - rss0)
    finally:
        sock.close()
        m.stop()


def test_200_concurrent_streams():
    n = 200
    socks = []
    sel = selectors.DefaultSelector()
    try:
        for i in range(n):
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(b"GET /watch?q=multistream HTTP/1.1\r\nHost: x\r\n"
                      b"Accept: text/event-stream\r\n\r\n")
            socks.append(s)
        bufs = {s: b"" for s in socks}
        # every stream is open (its first comment arrived) before the article is posted
        for s in socks:
            s.settimeout(10)
            while b"watching from" not in bufs[s]:
                bufs[s] += s.recv(65536)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
        post(srv, [art("many-1", "Multistream news")])
        done, deadline = set(), time.time() + 15
        while len(done) < n and time.time() < deadline:
            for key, _ in sel.select(timeout=0.5):
                try:
                    bufs[key.fileobj] += key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                if b'"id":"many-1"' in bufs[key.fileobj]:
                    done.add(key.fileobj)
        assert len(done) == n, "%d of %d streams got the article" % (len(done), n)
    finally:
        for s in socks:
            s.close()


def test_metrics_count_streams_and_events():
    s = open_stream({"q": "metricsite"})
    try:
        post(srv, [art("mt-1", "Metricsite")])
        s.take(1)
        m = srv.get("/metrics").body.decode()
        for fam in ("newsd_watch_streams", "newsd_watch_events_sent_total",
                    "newsd_webhook_deliveries_total", "newsd_watch_match_seconds_total"):
            assert re.search(r"^%s(\{[^}]*\})? \d" % fam, m, re.M), fam
        assert int(re.search(r"^newsd_watch_streams (\d+)", m, re.M).group(1)) >= 1
    finally:
        s.close()


def test_newsq_watch_prints_matches_as_they_come():
    env = dict(os.environ, NO_COLOR="1")
    p = subprocess.Popen([harness.binary("newsq"), "-s", "http://127.0.0.1:%d" % srv.port,
                          "watch", "wimbrel", "--json"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    try:
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in p.stdout], daemon=True).start()
        deadline = time.time() + 10
        got = []
        while time.time() < deadline and not got:
            post(srv, [art("nq-%d" % len(got), "Wimbrel sighted")])
            try:
                got.append(json.loads(lines.get(timeout=1.0)))
            except queue.Empty:
                pass
        assert got and got[0]["id"] == "nq-0", got
    finally:
        p.terminate()
        p.wait(5)
    p = subprocess.Popen([harness.binary("newsq"), "-s", "http://127.0.0.1:%d" % srv.port,
                          "watch", "wimbrel"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env, text=True)
    try:
        time.sleep(0.5)
        post(srv, [art("nq-text", "Wimbrel over the marsh", "A wimbrel was seen.")])
        line = ""
        deadline = time.time() + 10
        while "Wimbrel over the marsh" not in line and time.time() < deadline:
            line += p.stdout.readline()
        assert "Wimbrel over the marsh" in line, line
    finally:
        p.terminate()
        p.wait(5)
    r = subprocess.run([harness.binary("newsq"), "-s", "http://127.0.0.1:%d" % srv.port,
                        "watch", '"bad'], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=10)
    assert r.returncode == 3 and "quote" in r.stderr, (r.returncode, r.stderr)
