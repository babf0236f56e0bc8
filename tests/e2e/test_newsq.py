"""The newsq client against a live newsd: exit statuses, --json equal to the server's JSON,
plain output when piped, every command, and how the server URL is chosen."""
import gzip
import json
import os
import re
import socket
import subprocess

import harness

srv = None
URL = None
TMP = None

ARTS = [
    {"id": "nq-%d" % i, "title": "Quorlath report %d%s" % (i, " on harbour tolls" if i % 2 else ""),
     "body": "The quorlath council met again. %s Item %d." % (
         "Harbour tolls rose." if i % 2 else "Nothing on tolls.", i),
     "date": "2026-01-%02dT%02d:00:00Z" % (3 + 3 * i, 8 + i), "source": "wire-%s" % "ab"[i % 2],
     "entities": {"people": ["Ivo Tarrant"] if i % 3 == 0 else [],
                  "orgs": ["Harbour Board"] if i % 2 else [],
                  "places": ["Selmarsh"] if i < 6 else []}}
    for i in range(9)]
SPARK = set("▁▂▃▄▅▆▇█")


def setup_module():
    global srv, URL, TMP
    srv = harness.Server("newsq", extra_args=["--extraction", "no", "--dedup", "no"]).start()
    URL = "http://127.0.0.1:%d" % srv.port
    TMP = harness.tmpdir("newsq-files")
    r = srv.post("/articles", harness.jsonl(ARTS))
    assert r.status == 200 and r.json["accepted"] == len(ARTS), r


def teardown_module():
    srv.stop()


def dead_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "http://127.0.0.1:%d" % port


def newsq(*args, server=True, env=None, timeout=30):
    """Run newsq (stdout piped, so not a terminal); -s URL first unless server is False."""
    e = {k: v for k, v in os.environ.items() if k not in ("NEWSQ_SERVER", "NO_COLOR",
                                                          "NEWSQ_TOKEN")}
    e["TERM"] = "xterm-256color"        # colour would be allowed on a terminal
    e.update(env or {})
    cmd = [harness.binary("newsq")]
    if server:
        cmd += ["-s", URL]
    cmd += list(args)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, env=e, timeout=timeout)
    p.out = p.stdout.decode("utf-8")
    p.err = p.stderr.decode("utf-8")
    return p


def desc(p):
    return "newsq %s → exit %d\nstdout: %s\nstderr: %s" % (
        " ".join(p.args[1:]), p.returncode, p.out[:800], p.err[:800])


def without_timing(j):
    if isinstance(j, dict):
        return {k: without_timing(v) for k, v in j.items() if k != "took_ms"}
    if isinstance(j, list):
        return [without_timing(x) for x in j]
    return j


def same_json(p, path, params):
    assert p.returncode in (0, 1), desc(p)
    if path == "/search" and "--all-copies" not in p.args:
        params = dict(params, collapse="dups")      # newsq search shows each story once
    r = srv.get(path, params)
    assert r.status == 200, r
    try:
        got = json.loads(p.out)
    except ValueError:
        raise AssertionError("--json output is not JSON: %s" % desc(p))
    assert without_timing(got) == without_timing(r.json), \
        "newsq --json differs from GET %s %s:\n%s\n%s" % (path, params, p.out[:600],
                                                          json.dumps(r.json)[:600])


def plain(p):
    assert "\x1b" not in p.out, "ANSI escapes in piped output: %r" % p.out[:300]
    assert "<mark>" not in p.out and "</mark>" not in p.out, "<mark> in output: %r" % p.out[:300]


# -- exit statuses ---------------------------------------------------------------------------

def test_exit_statuses():
    p = newsq("search", "quorlath")
    assert p.returncode == 0, desc(p)
    p = newsq("search", "nosuchwordzz")
    assert p.returncode == 1, desc(p)
    for args in ([], ["bogus"], ["search"], ["search", "quorlath", "--sort", "best"],
                 ["search", "quorlath", "--frm", "2026-01-01"], ["search", "x", "--limit"],
                 ["get"], ["related"], ["timeline", "x", "--interval", "year"],
                 ["export", "x", "--format", "xml"]):
        p = newsq(*args)
        assert p.returncode == 2, desc(p)
        assert p.err.strip() and not p.out.strip(), "usage error: %s" % desc(p)
    p = newsq("search", "quorlath", server=False, env={"NEWSQ_SERVER": dead_url()})
    assert p.returncode == 3 and p.err.strip() and not p.out.strip(), desc(p)
    p = newsq("health", server=False, env={"NEWSQ_SERVER": dead_url()})
    assert p.returncode == 3 and p.err.strip(), desc(p)
    # a server error: exit 3 with the server's message on stderr
    msg = srv.get("/search", q='"quorlath').json["error"]["message"]
    p = newsq("search", '"quorlath')
    assert p.returncode == 3 and msg in p.err and not p.out.strip(), \
        "want %r on stderr: %s" % (msg, desc(p))
    msg = srv.get("/search", q="x", from_="2026-02-30").json["error"]["message"]
    p = newsq("search", "x", "--from", "2026-02-30")
    assert p.returncode == 3 and msg in p.err, "want %r on stderr: %s" % (msg, desc(p))


# -- search ----------------------------------------------------------------------------------

def test_search_json_is_the_servers():
    same_json(newsq("search", "quorlath", "--json"), "/search", {"q": "quorlath"})
    same_json(newsq("search", "harbour", "tolls", "--json"), "/search", {"q": "harbour tolls"})
    same_json(newsq("search", "nosuchwordzz", "--json"), "/search", {"q": "nosuchwordzz"})
    same_json(newsq("search", "harbour", "--all-copies", "--json"), "/search", {"q": "harbour"})


def test_search_options():
    args = ["search", "quorlath", "--from", "2026-01-06", "--to", "2026-01-24",
            "--entity", "Selmarsh", "--source", "wire-b", "--sort", "oldest", "--limit", "2"]
    p = newsq(*(args + ["--json"]))
    params = {"q": "quorlath", "from": "2026-01-06", "to": "2026-01-24", "entity": "Selmarsh",
              "source": "wire-b", "sort": "oldest", "limit": 2}
    same_json(p, "/search", params)
    # computed from ARTS: wire-b (odd i), Selmarsh (i < 6), days 6..24 → i = 1, 3, 5
    want = [a["id"] for a in ARTS if ARTS.index(a) % 2 == 1 and ARTS.index(a) < 6
            and "2026-01-06" <= a["date"][:10] <= "2026-01-24"]
    j = json.loads(p.out)
    assert j["total"] == len(want) and [h["id"] for h in j["hits"]] == want[:2], (j, want)
    p = newsq(*args)
    assert p.returncode == 0, desc(p)
    plain(p)
    for i in want[:2]:
        assert i in p.out, "%s missing from %s" % (i, desc(p))
    assert want[2] not in p.out, "--limit 2 printed a third hit: %s" % desc(p)
    p = newsq("search", "quorlath", "--entity", "Ivo Tarrant", "--entity", "selmarsh", "--json")
    same_json(p, "/search", {"q": "quorlath", "entity": ["Ivo Tarrant", "selmarsh"]})
    assert {h["id"] for h in json.loads(p.out)["hits"]} == {"nq-0", "nq-3"}, p.out
    p = newsq("search", "--source", "wire-a", "--sort", "newest", "--json")
    same_json(p, "/search", {"source": "wire-a", "sort": "newest"})


def test_piped_output_is_plain():
    p = newsq("search", "harbour", "tolls")
    assert p.returncode == 0, desc(p)
    plain(p)
    titles = [a["title"] for a in ARTS if "tolls" in a["title"]]
    assert any(t in p.out for t in titles), desc(p)
    assert "2026-01-" in p.out and "wire-b" in p.out, desc(p)
    assert re.search(r"Harbour tolls rose", p.out), "no snippet text: %s" % desc(p)
    # NO_COLOR changes nothing when piped
    untimed = lambda s: re.sub(r"took [\d.]+ ?ms", "", s)                    # noqa: E731
    assert untimed(newsq("search", "harbour", "tolls", env={"NO_COLOR": "1"}).out) == \
        untimed(p.out)


# -- get, ingest -----------------------------------------------------------------------------

def test_get():
    p = newsq("get", "nq-4")
    assert p.returncode == 0 and ARTS[4]["title"] in p.out, desc(p)
    plain(p)
    same_json(newsq("get", "nq-4", "--json"), "/articles/nq-4", {})
    p = newsq("get", "no-such-id")
    assert p.returncode == 3 and p.err.strip() and not p.out.strip(), desc(p)


def test_ingest_plain_and_gzip():
    recs = [{"id": "nqi-%d" % i, "title": "Vantrell memo %d" % i, "date": "2026-02-0%d" % (i + 1)}
            for i in range(3)]
    f = os.path.join(TMP, "in.jsonl")
    with open(f, "w") as fh:
        fh.write(harness.jsonl(recs))
    v0 = srv.health()["index_version"]
    p = newsq("ingest", f)
    assert p.returncode == 0, desc(p)
    assert re.search(r"\b3 accepted", p.out + p.err), "counts not printed: %s" % desc(p)
    assert srv.get("/search", q="vantrell").json["total"] == 3
    assert srv.health()["index_version"] == v0 + 1
    g = os.path.join(TMP, "in2.jsonl.gz")
    more = [{"id": "nqi-9", "title": "Vantrell annex", "date": "2026-02-09"},
            {"id": "nqi-0", "title": "Vantrell memo 0 revised", "date": "2026-02-01"},
            {"id": "nqi-bad", "title": "Vantrell without a date"}]
    with open(g, "wb") as fh:
        fh.write(gzip.compress(harness.jsonl(more).encode()))
    p = newsq("ingest", g)
    assert p.returncode == 1, "a rejected record should exit 1: %s" % desc(p)
    out = p.out + p.err
    assert re.search(r"\b1 accepted", out) and re.search(r"\b1 updated", out) and \
        re.search(r"\b1 rejected", out), "counts not printed: %s" % desc(p)
    assert "nqi-bad" in out or "line 3" in out, "the rejected record is not named: %s" % desc(p)
    assert srv.get("/search", q="vantrell").json["total"] == 4
    assert srv.get("/articles/nqi-0").json["title"] == "Vantrell memo 0 revised"
    p = newsq("ingest", os.path.join(TMP, "does-not-exist.jsonl"))
    assert p.returncode == 2, desc(p)


# -- entities, related, timeline, export, health ---------------------------------------------

def test_entities():
    p = newsq("entities")
    assert p.returncode == 0, desc(p)
    plain(p)
    want = {"Selmarsh": 6, "Harbour Board": 4, "Ivo Tarrant": 3}
    for name, n in want.items():
        assert re.search(r"\b%d\b.*%s" % (n, re.escape(name)), p.out), \
            "%s with %d not listed: %s" % (name, n, desc(p))
    p = newsq("entities", "sel")
    assert p.returncode == 0 and "Selmarsh" in p.out and "Harbour" not in p.out, desc(p)
    same_json(newsq("entities", "--json"), "/entities", {})
    same_json(newsq("entities", "har", "--json"), "/entities", {"prefix": "har"})
    p = newsq("entities", "zzz")
    assert p.returncode == 1, desc(p)


def test_related():
    p = newsq("related", "Ivo Tarrant")
    assert p.returncode == 0, desc(p)
    plain(p)
    # Ivo Tarrant: nq-0, 3, 6; Selmarsh shares nq-0 and nq-3
    assert "Selmarsh" in p.out, desc(p)
    same_json(newsq("related", "ivo tarrant", "--json"), "/entities/ivo%20tarrant/related", {})
    p = newsq("related", "Nobody Here")
    assert p.returncode == 3 and p.err.strip(), desc(p)


def test_timeline():
    p = newsq("timeline", "quorlath")
    assert p.returncode == 0, desc(p)
    assert SPARK & set(p.out), "no sparkline characters: %s" % desc(p)
    assert "\x1b" not in p.out, desc(p)
    same_json(newsq("timeline", "quorlath", "--json"), "/timeline", {"q": "quorlath"})
    same_json(newsq("timeline", "quorlath", "--interval", "week", "--json"), "/timeline",
              {"q": "quorlath", "interval": "week"})
    p = newsq("timeline", "nosuchwordzz")
    assert p.returncode == 1, desc(p)


def test_export_csv_equals_the_servers_bytes():
    for args, params in ((["quorlath", "--format", "csv"], {"q": "quorlath", "format": "csv"}),
                         (["harbour", "--format", "csv", "--fields", "id,title,body"],
                          {"q": "harbour", "format": "csv", "fields": "id,title,body"}),
                         (["quorlath"], {"q": "quorlath"})):
        p = newsq("export", *args)
        assert p.returncode == 0, desc(p)
        r = srv.get("/export", params)
        assert r.status == 200, r
        assert p.stdout == r.body, "newsq export %s differs from GET /export %s:\n%r\n%r" % (
            args, params, p.stdout[:300], r.body[:300])


def test_health():
    p = newsq("health")
    h = srv.health()
    assert p.returncode == 0, desc(p)
    assert str(h["articles"]) in p.out, desc(p)
    plain(p)


def test_server_url_choice():
    dead = dead_url()
    p = newsq("health", server=False, env={"NEWSQ_SERVER": URL})
    assert p.returncode == 0, "NEWSQ_SERVER not used: %s" % desc(p)
    p = newsq("-s", URL, "health", server=False, env={"NEWSQ_SERVER": dead})
    assert p.returncode == 0, "-s does not win over NEWSQ_SERVER: %s" % desc(p)
    p = newsq("--server", URL, "search", "quorlath", server=False, env={"NEWSQ_SERVER": dead})
    assert p.returncode == 0, desc(p)
    p = newsq("-s", dead, "health", server=False, env={"NEWSQ_SERVER": URL})
    assert p.returncode == 3, "-s pointing at nothing should fail: %s" % desc(p)


def on_terminal(*args, env=None):
    """newsq with stdout on a pseudo-terminal; returns (exit status, output)."""
    import pty
    master, slave = pty.openpty()
    e = {k: v for k, v in os.environ.items() if k not in ("NEWSQ_SERVER", "NO_COLOR")}
    e["TERM"] = "xterm-256color"
    e.update(env or {})
    p = subprocess.Popen([harness.binary("newsq"), "-s", URL] + list(args), stdout=slave,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=e)
    os.close(slave)
    out = bytearray()
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:         # EIO once the child has closed the terminal
            break
        if not data:
            break
        out += data
    os.close(master)
    return p.wait(30), out.decode("utf-8", "replace")


def test_colour_on_a_terminal_only():
    rc, out = on_terminal("search", "harbour", "tolls")
    assert rc == 0 and "\x1b[" in out, "no colour on a terminal: %r" % out[:300]
    assert "<mark>" not in out, out[:300]
    rc, out = on_terminal("search", "harbour", "tolls", env={"NO_COLOR": "1"})
    assert rc == 0 and "\x1b" not in out, "NO_COLOR ignored: %r" % out[:300]
    assert "Harbour tolls rose" in out, out[:300]
