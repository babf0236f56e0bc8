"""Hostile HTTP (issue 5): over-long URIs, headers and bodies, bad escapes, invalid UTF-8, NUL
bytes, huge queries, deep nesting, bad numbers, unknown methods, broken JSON, gzip bombs, slow
clients and pipelining. After every case the server still answers /health and no data changed
(/stats articles and index_version are the same).

What newsd answers, and where libevent (2.1, which has no error callback) answers instead:
  - URI over max_uri_bytes: 414 JSON; request headers over max_header_bytes: 431 JSON. Past
    libevent's own limit (max_uri_bytes + 2 * max_header_bytes) libevent closes the connection
    with its HTML 400 page.
  - Body over max_body_bytes (Content-Length or chunked): 413 JSON `payload_too_large` up to a
    quarter (at least 1 MiB) over the limit; beyond that libevent refuses the body unread with
    its HTML 413 page. A gzip body whose decompressed size is over max_body_bytes: 413 JSON.
  - A method token libevent does not know (`FOO`): libevent's HTML 501. Every method it knows
    (PUT, PATCH, OPTIONS, TRACE, CONNECT, DELETE/POST where not allowed): 405 JSON with Allow.
  - Invalid JSON bodies: a body that is not JSON at all, or a broken array, is 400 JSON; in JSON
    Lines each broken line is a rejected line of a 200 (other lines are still committed).
"""
import gzip
import json
import os
import socket
import threading
import time
import urllib.parse

import harness

MAX_BODY = 100000
MAX_URI = 2048
MAX_HEADER = 8192
srv = None
baseline = None


def setup_module():
    global srv, baseline
    srv = harness.Server("hostile", extra_args=[
        "--max-body-bytes", str(MAX_BODY), "--max-uri-bytes", str(MAX_URI),
        "--max-header-bytes", str(MAX_HEADER), "--timeout-s", "2", "--threads", "2",
        "--extraction", "no"]).start()
    recs = [{"id": "h-%d" % i, "title": "Hostile fixture %d" % i,
             "body": "Harbour strike and wheat tariffs, day %d." % i,
             "date": "2025-02-%02dT09:00:00Z" % (1 + i % 28), "source": "hostile-wire"}
            for i in range(50)]
    r = srv.post("/articles", harness.jsonl(recs))
    assert r.status == 200 and r.json["accepted"] == 50, r
    baseline = state()


def teardown_module():
    srv.stop()


def state():
    r = srv.get("/stats")
    assert r.status == 200, r
    return r.json["articles"], r.json["index_version"]


def unchanged():
    """The server answers /health on a fresh connection and no data changed."""
    srv.close()
    h = srv.get("/health")
    assert h.status == 200 and h.json["status"] == "ok", h
    assert state() == baseline, "data changed: %r, was %r" % (state(), baseline)


def complete(out):
    """out holds one whole Content-Length framed response."""
    head, sep, rest = out.partition(b"\r\n\r\n")
    if not sep:
        return False
    for ln in head.split(b"\r\n")[1:]:
        k, _, v = ln.partition(b":")
        if k.strip().lower() == b"content-length":
            return len(rest) >= int(v.strip())
    return False


def raw(data, timeout=5.0, shut=False, first=False):
    """Send bytes on a new connection; return everything read until close or timeout (or,
    with first, until one whole response is there)."""
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.settimeout(timeout)
    out = b""
    try:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        while not (first and complete(out)):
            d = s.recv(65536)
            if not d:
                break
            out += d
    except socket.timeout:
        pass
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        s.close()
    return out


def responses(data):
    """Split raw HTTP/1.1 responses (Content-Length framed) into (status, headers, body)."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        out.append((status, hdrs, rest[:n]))
        data = rest[n:]
    return out


def one(data, **kw):
    kw.setdefault("first", True)
    rs = responses(raw(data, **kw))
    assert rs, "no HTTP response to %r" % data[:120]
    return rs[0]


def json_error(resp, status, code=None):
    st, hdrs, body = resp
    assert st == status, "want %d, got %d %r" % (status, st, body[:200])
    assert hdrs.get("content-type", "").startswith("application/json"), (hdrs, body[:200])
    try:
        e = json.loads(body)["error"]
    except ValueError:
        raise AssertionError("not a JSON error: %d %r %r" % (st, hdrs, body[:300]))
    assert e["status"] == status and e["message"], e
    if code:
        assert e["code"] == code, e
    return e


def get_line(target, extra=b"", close=True):
    return (b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra +
            (b"Connection: close\r\n" if close else b"") + b"\r\n")


# -- limits ---------------------------------------------------------------------------------

def test_uri_over_limit_is_414_json():
    json_error(one(get_line(b"/search?q=" + b"a" * (MAX_URI + 10))), 414)
    # between our limit and libevent's backstop: still ours
    json_error(one(get_line(b"/search?q=" + b"a" * (MAX_URI + MAX_HEADER))), 414)
    unchanged()


def test_gross_uri_is_refused_and_closed():
    st, _, _ = one(get_line(b"/search?q=" + b"a" * 200000))
    assert st in (400, 414, 431), st
    unchanged()


def test_headers_over_limit_are_431_json():
    json_error(one(get_line(b"/health", b"X-Big: " + b"x" * (MAX_HEADER + 10) + b"\r\n")), 431)
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"y" * 50) for i in range(200))
    json_error(one(get_line(b"/health", many)), 431)
    st, _, _ = one(get_line(b"/health", b"X-Big: " + b"x" * (MAX_HEADER * 4) + b"\r\n"))
    assert st in (400, 413, 431), st
    unchanged()


def test_body_over_limit_is_413():
    big = b"x" * (MAX_BODY + 1)
    json_error(one(b"POST /articles HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                   % len(big) + big), 413, "payload_too_large")
    chunk = b"%x\r\n%s\r\n" % (20000, b"y" * 20000)
    json_error(one(b"POST /articles HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   + chunk * 6 + b"0\r\n\r\n"), 413, "payload_too_large")
    # far over the limit: refused before reading (libevent's own answer)
    st, _, _ = one(b"POST /articles HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n")
    assert st in (400, 413), st
    # a body beyond the backstop is refused as soon as its Content-Length is read; the client
    # sends a first part and reads the answer (sending all of it would race the server's
    # close: unread data makes the kernel reset the connection, which can drop the 413)
    huge = MAX_BODY + (2 << 20)
    st, _, _ = one(b"POST /articles HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                   % huge + b"z" * 65536)
    assert st == 413, st
    unchanged()


def test_gzip_bomb_is_413_json():
    bomb = gzip.compress(b"[" + b" " * (50 * MAX_BODY) + b"]")
    assert len(bomb) < MAX_BODY
    r = srv.post("/articles", bomb, headers={"Content-Encoding": "gzip"})
    harness.check_error(r, 413, "payload_too_large")
    rec = json.dumps({"id": "bomb", "title": "t" * (2 * MAX_BODY), "date": "2025-01-01"})
    r = srv.post("/articles", gzip.compress(rec.encode()), headers={"Content-Encoding": "gzip"})
    harness.check_error(r, 413, "payload_too_large")
    r = srv.post("/articles", gzip.compress(b'{"id":"t","title":"x","date":"2025-01-01"}')[:-12],
                 headers={"Content-Encoding": "gzip"})
    assert r.status in (400, 200), r
    if r.status == 200:
        assert r.json["accepted"] == 0, r
    unchanged()


# -- the query string -----------------------------------------------------------------------

def test_bad_percent_encoding_utf8_and_nul():
    for qs in (b"q=%zz", b"q=%4", b"q=abc%", b"q=%ff", b"q=%C0%80", b"q=%ED%A0%80",
               b"q=a%00b", b"%zz=1", b"q=ok&li%mit=1"):
        json_error(one(get_line(b"/search?" + qs)), 400, "bad_request")
    for path in (b"/articles/%00", b"/articles/%ff", b"/articles/%zz", b"/articles/a%00b"):
        json_error(one(get_line(path)), 400, "bad_request")
    unchanged()


def test_raw_control_bytes_in_request_line():
    st, _, _ = one(b"GET /search?q=a\x00b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert st == 400, st
    st, _, _ = one(b"GET /search?q=\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert st == 400, st
    unchanged()


def test_ten_thousand_terms_and_deep_nesting():
    # through the default limits the URI is refused first
    q = urllib.parse.quote(" ".join("w%d" % i for i in range(10000)))
    st, _, _ = one(get_line(b"/search?q=" + q.encode()))
    assert st in (400, 414, 431), st
    # parentheses need no escaping in a query string
    e = json_error(one(get_line(b"/search?q=" + b"(" * 500 + b"a" + b")" * 500)), 400,
                   "bad_query")
    assert "position" in e, e
    json_error(one(get_line(b"/search?q=" + b"(" * 500 + b"a")), 400, "bad_query")
    json_error(one(get_line(b"/search?q=" + b"a" + b")" * 500)), 400, "bad_query")
    st, _, body = one(get_line(b"/search?q=" + b"NOT+" * 400 + b"a"))
    assert st in (200, 400), (st, body[:200])
    unchanged()


def test_query_parser_limits_behind_a_large_uri_limit():
    big = harness.Server("hostile-bigq", extra_args=[
        "--max-uri-bytes", "400000", "--max-header-bytes", "16384",
        "--max-query-bytes", "400000", "--extraction", "no"]).start()
    try:
        for q in (" ".join("w%d" % i for i in range(10000)),
                  " OR ".join("w%d" % i for i in range(10000)),
                  " ".join("p%d*" % i for i in range(10000)),
                  "(" * 5000 + "a" + ")" * 5000):
            r = big.get("/search", q=q)
            assert r.status == 400, (q[:40], r)
            harness.check_error(r, 400, "bad_query")
        # a phrase counts as one term (query.h): allowed, but it must stay cheap
        for q in ('"' + " ".join("w%d" % i for i in range(10000)) + '"',
                  "NEAR(" + " ".join("w%d" % i for i in range(10000)) + ", 5)",
                  "-" * 10000 + "a", "title:" * 5000 + "a"):
            t0 = time.time()
            r = big.get("/search", q=q)
            assert r.status in (200, 400), (q[:40], r)
            assert time.time() - t0 < 5, "%.1fs for %r" % (time.time() - t0, q[:40])
        assert big.health()["status"] == "ok"
    finally:
        big.stop()


def test_numbers_out_of_range():
    for k, v in (("limit", "99999999999999999999999"), ("limit", "-1"), ("limit", "101"),
                 ("limit", "1e2"), ("limit", "+5"), ("limit", " 5"), ("limit", ""),
                 ("limit", "0x10"), ("offset", "-5"), ("offset", "10001"),
                 ("offset", "4294967296"), ("snippets", "-1"), ("snippets", "6"),
                 ("snippet_words", "0"), ("snippet_words", "65"), ("limit", "5.0")):
        r = srv.get("/search", q="harbour", **{k: v})
        harness.check_error(r, 400, "bad_parameter")
    r = srv.get("/search", q="harbour", cursor="A" * 1500)
    harness.check_error(r, 400)
    r = srv.get("/search", q="harbour", cursor="%%%")
    harness.check_error(r, 400)
    r = srv.get("/search", q="harbour", from_="99999-01-01")
    harness.check_error(r, 400, "bad_date")
    r = srv.get("/search", q="harbour", from_="-1")
    harness.check_error(r, 400, "bad_date")
    params = "&".join("p%d=1" % i for i in range(1200))
    st, _, _ = one(get_line(b"/search?" + params.encode()))
    assert st in (400, 414), st
    unchanged()


# -- methods and bodies ---------------------------------------------------------------------

def test_unknown_methods():
    close = b" HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    for m in (b"PUT", b"PATCH", b"OPTIONS", b"TRACE", b"CONNECT"):
        for path in (b"/health", b"/search", b"/articles", b"/articles/h-1"):
            # libevent sends no body after CONNECT and keeps the connection open
            e = one(m + b" " + path + close, timeout=0.5 if m == b"CONNECT" else 5.0)
            assert e[0] == 405 and e[1].get("allow"), (m, path, e)
            # libevent never sends a body with an answer to CONNECT
            if m != b"CONNECT":
                json_error(e, 405, "method_not_allowed")
    for m, path in ((b"DELETE", b"/search"), (b"POST", b"/search"), (b"GET", b"/articles"),
                    (b"POST", b"/articles/h-1"), (b"DELETE", b"/articles")):
        json_error(one(m + b" " + path + close), 405, "method_not_allowed")
    # a token libevent does not know at all: its own 501 page (documented above)
    st, _, _ = one(b"FOO /health" + close)
    assert st in (405, 501), st
    for junk in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET /health HTTP/9.9\r\n\r\n",
                 b"\r\n\r\n\r\n", b"GET /health HTTP/1.1\r\nBad Header Line\r\n\r\n",
                 b"POST /articles HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                 b"POST /articles HTTP/1.1\r\nContent-Length: abc\r\n\r\n"):
        rs = responses(raw(junk, timeout=3, shut=True))
        assert all(400 <= st < 600 for st, _, _ in rs), (junk, rs)
    unchanged()


def test_truncated_and_invalid_json_bodies():
    good = json.dumps({"id": "never", "title": "Never stored", "date": "2025-01-01"})
    for body in (good[:-1], good[:10], "garbage", "\xff\xfe", "[" + good, "[" + good + ",",
                 "{}", "[]", "null", "42", '"str"', "[1, 2, 3]", "{" * 90000,
                 "[" * 90000, '{"id": ' * 12000, '[{"a": ' * 10000):
        r = srv.post("/articles", body.encode("utf-8", "surrogateescape")
                     if isinstance(body, str) else body)
        assert r.status in (200, 400), (body[:40], r)
        assert r.json is not None, r
        if r.status == 200:
            assert r.json["accepted"] == 0 and r.json["updated"] == 0, (body[:40], r.json)
        else:
            harness.check_error(r, 400)
    # JSON Lines: broken lines are rejected one by one; NUL and invalid UTF-8 inside strings
    lines = [good[:-1], '{"id": "nul\\u0000", "title": "t", "date": "2025-01-01"}',
             '{"id": "n", "title": "t\x00", "date": "2025-01-01"}',
             '{"id": "u", "title": "\\ud800", "date": "2025-01-01"}']
    body = ("\n".join(lines) + "\n").encode() + b'{"id": "bad\xff", "title": "t", "date": "2025-01-01"}\n'
    r = srv.post("/articles", body)
    assert r.status in (200, 400), r
    if r.status == 200:
        assert r.json["accepted"] == 0, r.json
    r = srv.post("/articles", b"")
    harness.check_error(r, 400)
    r = srv.post("/articles", good, headers={"Content-Encoding": "br"})
    assert r.status in (400, 415), r
    unchanged()


def test_write_auth_headers_do_not_matter_without_token():
    # loopback without token may write; a bogus Authorization header changes nothing
    r = srv.post("/articles", "[]", headers={"Authorization": "Bearer " + "x" * 5000})
    assert r.status in (200, 400, 431), r
    unchanged()


# -- connections ----------------------------------------------------------------------------

def test_pipelined_requests_answered_in_order():
    reqs = (get_line(b"/health", close=False) +
            get_line(b"/search?q=harbour&limit=1", close=False) +
            get_line(b"/nope", close=False) + get_line(b"/search?q=%zz", close=False) +
            get_line(b"/articles/h-3", close=False) +
            b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    rs = responses(raw(reqs))
    assert [st for st, _, _ in rs] == [200, 200, 404, 400, 200, 200], [st for st, _, _ in rs]
    assert json.loads(rs[4][2])["id"] == "h-3"
    unchanged()


def test_slowloris_does_not_starve_normal_clients():
    """Many connections each holding half a request: with timeout_s = 2 a fresh client still
    gets answers at once, and the held connections are closed by the server."""
    held = []
    try:
        for i in range(300):
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(b"GET /search?q=harbour HTTP/1.1\r\nHost: x\r\nX-Slow-%d: " % i)
            held.append(s)
        t0 = time.time()
        for _ in range(5):
            srv.close()
            h = srv.get("/health")
            assert h.status == 200, h
        assert time.time() - t0 < 2.0, "5 /health took %.2fs beside 300 slow clients" % (
            time.time() - t0)
        # a slow body, too
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(b"POST /articles HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        held.append(s)
        time.sleep(3.5)
        closed = 0
        for s in held:
            s.settimeout(0.5)
            try:
                while s.recv(4096):
                    pass
                closed += 1         # EOF: the server closed it
            except socket.timeout:
                pass
            except OSError:
                closed += 1
        assert closed >= len(held) * 0.9, "only %d of %d slow connections were closed" % (
            closed, len(held))
    finally:
        for s in held:
            s.close()
    unchanged()


def test_many_parallel_hostile_clients():
    errors = []

    def worker(i):
        try:
            for j in range(20):
                one(get_line(b"/search?q=" + urllib.parse.quote("(" * (j * 5) + "x").encode()))
                one(b"POST /articles HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    b"Connection: close\r\n\r\n[1,2,")
        except Exception as e:   # noqa: BLE001 - collected and reported below
            errors.append(repr(e))
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert not errors, errors[:3]
    unchanged()
