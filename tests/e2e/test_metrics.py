"""GET /metrics, read with a strict parser of the Prometheus text exposition format (0.0.4),
and its counters checked against the requests and writes made here."""
import json
import math
import os
import re

import harness

srv = None

NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


class ParseError(Exception):
    pass


def parse_value(s, where):
    if s in ("+Inf", "Inf"):
        return math.inf
    if s == "-Inf":
        return -math.inf
    if s == "NaN":
        return math.nan
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", s):
        raise ParseError("%s: bad float %r" % (where, s))
    return float(s)


def parse_labels(s, i, where):
    """Labels from s[i] == '{' to the closing '}'; returns (dict, index after '}')."""
    labels = {}
    i += 1
    while True:
        if i < len(s) and s[i] == "}":
            return labels, i + 1
        m = LABEL_RE.match(s, i)
        if not m:
            raise ParseError("%s: bad label name at %d" % (where, i))
        name = m.group(0)
        if name.startswith("__"):
            raise ParseError("%s: reserved label name %s" % (where, name))
        if name in labels:
            raise ParseError("%s: label %s twice" % (where, name))
        i = m.end()
        if s[i:i + 2] != '="':
            raise ParseError("%s: expected =\" after %s" % (where, name))
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise ParseError("%s: unterminated label value" % where)
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ParseError("%s: bad escape \\%s in a label value" % (where, nxt))
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ParseError("%s: raw newline in a label value" % where)
            else:
                val.append(c)
                i += 1
        labels[name] = "".join(val)
        if i < len(s) and s[i] == ",":
            i += 1
        elif i < len(s) and s[i] == "}":
            pass
        else:
            raise ParseError("%s: expected , or } after a label" % where)


def family_of(name, types):
    """The family a sample name belongs to (histograms and summaries own suffixed names)."""
    if name in types:
        return name
    for suf in ("_bucket", "_sum", "_count"):
        base = name[:-len(suf)] if name.endswith(suf) else None
        if base and types.get(base) in ("histogram", "summary"):
            if suf == "_bucket" and types[base] != "histogram":
                continue
            return base
    return name


def parse_exposition(text):
    """{family: {"type", "help", "samples": [(name, labels, value)]}}; raises ParseError on
    anything the text format does not allow."""
    if text and not text.endswith("\n"):
        raise ParseError("the exposition must end with a newline")
    fams = {}
    types = {}
    seen_series = set()
    finished = set()        # families whose block of lines has ended
    current = None
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d %r" % (n, line[:80])
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME_RE.fullmatch(name):
                    raise ParseError("%s: bad metric name" % where)
                f = fams.setdefault(name, {"type": None, "help": None, "samples": []})
                if name in finished or (current not in (None, name) and f["samples"]):
                    raise ParseError("%s: %s comes after its samples" % (where, parts[1]))
                if parts[1] == "TYPE":
                    if len(parts) != 4 or parts[3] not in TYPES:
                        raise ParseError("%s: bad TYPE" % where)
                    if f["type"] is not None:
                        raise ParseError("%s: second TYPE for %s" % (where, name))
                    if f["samples"]:
                        raise ParseError("%s: TYPE after samples of %s" % (where, name))
                    f["type"] = parts[3]
                    types[name] = parts[3]
                else:
                    if f["help"] is not None:
                        raise ParseError("%s: second HELP for %s" % (where, name))
                    doc = parts[3] if len(parts) == 4 else ""
                    if not re.fullmatch(r"(?:[^\\]|\\[\\n])*", doc):
                        raise ParseError("%s: bad escape in HELP" % where)
                    f["help"] = doc
                if current is not None and current != name:
                    finished.add(current)
                current = name
            continue
        m = NAME_RE.match(line)
        if not m:
            raise ParseError("%s: bad metric name" % where)
        name = m.group(0)
        i = m.end()
        labels = {}
        if i < len(line) and line[i] == "{":
            labels, i = parse_labels(line, i, where)
        rest = line[i:]
        if not rest.startswith(" "):
            raise ParseError("%s: no space before the value" % where)
        fields = rest.split()
        if len(fields) not in (1, 2):
            raise ParseError("%s: expected a value and an optional timestamp" % where)
        value = parse_value(fields[0], where)
        if len(fields) == 2 and not re.fullmatch(r"-?\d+", fields[1]):
            raise ParseError("%s: bad timestamp" % where)
        fam = family_of(name, types)
        if fam in finished:
            raise ParseError("%s: samples of %s are not together" % (where, fam))
        if current is not None and current != fam:
            finished.add(current)
        current = fam
        key = (name, tuple(sorted(labels.items())))
        if key in seen_series:
            raise ParseError("%s: series repeated" % where)
        seen_series.add(key)
        f = fams.setdefault(fam, {"type": None, "help": None, "samples": []})
        t = f["type"] or "untyped"
        if t == "counter" and (value < 0 or math.isnan(value)):
            raise ParseError("%s: negative counter" % where)
        if t == "histogram" and name == fam:
            raise ParseError("%s: a histogram sample needs _bucket, _sum or _count" % where)
        if name.endswith("_bucket") and t == "histogram" and "le" not in labels:
            raise ParseError("%s: bucket without le" % where)
        f["samples"].append((name, labels, value))
    for fam, f in fams.items():
        if f["type"] == "histogram":
            check_histogram(fam, f["samples"])
    return fams


def check_histogram(fam, samples):
    """Per label set: buckets cumulative in increasing le, the last le="+Inf", equal to
    _count; _sum present."""
    groups = {}
    for name, labels, value in samples:
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        g = groups.setdefault(rest, {"buckets": [], "sum": None, "count": None})
        if name == fam + "_bucket":
            g["buckets"].append((parse_value(labels["le"], fam), value))
        elif name == fam + "_sum":
            g["sum"] = value
        elif name == fam + "_count":
            g["count"] = value
    for rest, g in groups.items():
        what = "%s%s" % (fam, dict(rest))
        les = [le for le, _ in g["buckets"]]
        if not les or les[-1] != math.inf:
            raise ParseError("%s: buckets do not end with le=\"+Inf\"" % what)
        if les != sorted(les) or len(set(les)) != len(les):
            raise ParseError("%s: le not strictly increasing: %s" % (what, les))
        vals = [v for _, v in g["buckets"]]
        if vals != sorted(vals):
            raise ParseError("%s: buckets not cumulative: %s" % (what, vals))
        if g["count"] is None or g["sum"] is None:
            raise ParseError("%s: _count or _sum missing" % what)
        if vals[-1] != g["count"]:
            raise ParseError("%s: +Inf bucket %s != _count %s" % (what, vals[-1], g["count"]))


# -- tests ----------------------------------------------------------------------------------

def setup_module():
    global srv
    srv = harness.Server("metrics").start()
    r = srv.post("/articles", harness.jsonl([
        {"id": "m-%d" % i, "title": "metric story %d" % i, "body": "gauges and counters %d" % i,
         "date": "2026-01-%02dT10:00:00Z" % (i + 1), "source": "m"} for i in range(5)]))
    assert r.status == 200, r


def teardown_module():
    srv.stop()


def metrics():
    r = srv.get("/metrics")
    assert r.status == 200, r
    ct = r.headers.get("content-type", "")
    assert ct.startswith("text/plain"), "Content-Type %r" % ct
    assert "version=0.0.4" in ct, "Content-Type %r lacks version=0.0.4" % ct
    try:
        return parse_exposition(r.body.decode("utf-8"))
    except ParseError as e:
        raise AssertionError("/metrics does not parse: %s" % e)


def value(fams, fam, name=None, **labels):
    """The sum of the samples of `name` (default: the family) whose labels include these."""
    f = fams.get(fam)
    if f is None:
        return 0
    name = name or fam
    return sum(v for n, l, v in f["samples"]
               if n == name and all(l.get(k) == str(x) for k, x in labels.items()))


def test_parser_is_strict():
    good = ('# HELP a_total A counter with \\\\ and \\n.\n# TYPE a_total counter\n'
            'a_total{x="q\\"uote\\\\",y="nl\\n"} 3\na_total 1e3\n'
            '# TYPE h histogram\nh_bucket{le="0.5"} 1\nh_bucket{le="+Inf"} 2\nh_sum 0.7\n'
            'h_count 2\n')
    fams = parse_exposition(good)
    assert fams["a_total"]["samples"][0][1] == {"x": 'q"uote\\', "y": "nl\n"}, fams
    bad = ["a 1",                                    # no final newline
           "9a 1\n", "a{x=\"1\" 1\n", "a{x=1} 1\n", "a{x=\"\\t\"} 1\n", "a one\n",
           "a{__x=\"1\"} 1\n", "a{x=\"1\",x=\"2\"} 1\n", "a 1\na 2\n",
           "# TYPE a counter\na -1\n", "# TYPE a nonsense\n",
           "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
           "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
           "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
           "a 1\nb 1\na{x=\"y\"} 2\n", "a 1\n# TYPE a gauge\n",
           "# HELP a bad \\t escape\na 1\n"]
    for text in bad:
        try:
            parse_exposition(text)
        except ParseError:
            continue
        raise AssertionError("the parser accepted %r" % text)


def test_metrics_parse_and_families():
    srv.get("/search", q="metric")
    fams = metrics()
    want = {"newsd_http_requests_total": "counter",
            "newsd_http_request_duration_seconds": "histogram",
            "newsd_articles": "gauge", "newsd_index_version": "gauge",
            "newsd_database_bytes": "gauge", "newsd_wal_bytes": "gauge"}
    for fam, typ in want.items():
        assert fam in fams and fams[fam]["type"] == typ, "%s: %r" % (fam, fams.get(fam))
    for fam, f in fams.items():
        assert f["type"], "%s has no TYPE line" % fam
        assert f["help"], "%s has no HELP line" % fam
    ingest = [f for f in fams if "ingest" in f]
    assert ingest, "no ingest counters: %s" % sorted(fams)
    for _, labels, _ in fams["newsd_http_requests_total"]["samples"]:
        assert "endpoint" in labels and "code" in labels, labels


def test_request_counters_rise():
    before = metrics()
    for q in ("metric", "counters", "story"):
        assert srv.get("/search", q=q).status == 200
    harness.check_error(srv.get("/search", q='"metric'), 400, "bad_query")
    harness.check_error(srv.get("/search", q="x", bogus=1), 400)
    after = metrics()
    fam = "newsd_http_requests_total"
    d200 = value(after, fam, endpoint="search", code=200) - \
        value(before, fam, endpoint="search", code=200)
    d400 = value(after, fam, endpoint="search", code=400) - \
        value(before, fam, endpoint="search", code=400)
    assert d200 == 3, "search code=200 rose by %s after 3 searches" % d200
    assert d400 == 2, "search code=400 rose by %s after 2 bad searches" % d400
    h = "newsd_http_request_duration_seconds"
    dc = value(after, h, h + "_count", endpoint="search") - \
        value(before, h, h + "_count", endpoint="search")
    assert dc == 5, "the search latency histogram counted %s of 5 requests" % dc
    ds = value(after, h, h + "_sum", endpoint="search") - \
        value(before, h, h + "_sum", endpoint="search")
    assert 0 < ds < 10, "latency sum rose by %s s" % ds


def test_every_endpoint_is_counted():
    before = metrics()
    fam = "newsd_http_requests_total"
    calls = [("GET", "/health", 200), ("GET", "/stats", 200), ("GET", "/articles/m-1", 200),
             ("GET", "/articles/nope", 404), ("GET", "/entities", 200),
             ("GET", "/timeline?q=metric", 200), ("GET", "/export?q=metric", 200),
             ("GET", "/timeline?interval=year", 400), ("GET", "/export?format=xml", 400)]
    for method, path, code in calls:
        r = srv.request(method, path)
        assert r.status == code, (path, r)
    after = metrics()
    total_before = value(before, fam)
    total_after = value(after, fam)
    # the first /metrics itself may or may not be counted before it answers
    assert total_after - total_before in (len(calls), len(calls) + 1), \
        "requests_total rose by %s after %d requests: %s" % (
            total_after - total_before, len(calls),
            sorted((tuple(sorted(l.items())), v) for n, l, v in after[fam]["samples"]))
    for code in (200, 400):
        rose = value(after, fam, code=code) - value(before, fam, code=code)
        want = sum(1 for _, _, c in calls if c == code)
        assert rose >= want, "code=%d rose by %s, %d such requests" % (code, rose, want)
    seen = {l["endpoint"] for n, l, v in after[fam]["samples"]}
    for ep in ("export", "timeline"):
        assert any(ep in e for e in seen), "no %s endpoint in requests_total: %s" % (ep, seen)


def test_ingest_counters_rise():
    fam = [f for f in metrics() if f.startswith("newsd_ingest_articles")]
    assert fam, "no newsd_ingest_articles* family"
    fam = fam[0]
    before = metrics()
    body = harness.jsonl([{"id": "mi-1", "title": "ingest one", "date": "2026-02-01"},
                          {"id": "mi-2", "title": "ingest two", "date": "2026-02-02"},
                          {"id": "mi-3", "title": "no date"},
                          {"id": "m-0", "title": "metric story 0 again", "date": "2026-01-01"}])
    r = srv.post("/articles", body)
    assert r.status == 200 and r.json["accepted"] == 2 and r.json["updated"] == 1, r
    assert srv.delete("/articles/mi-2").status == 200
    after = metrics()
    for result, want in (("accepted", 2), ("updated", 1), ("rejected", 1), ("deleted", 1)):
        d = value(after, fam, result=result) - value(before, fam, result=result)
        assert d == want, "%s{result=%s} rose by %s, want %d" % (fam, result, d, want)
    b = "newsd_ingest_batches_total"
    if b in after:
        d = value(after, b, result="committed") - value(before, b, result="committed")
        assert d == 2, "committed batches rose by %s after a POST and a DELETE" % d


def test_gauges_match_health():
    h = srv.health()
    fams = metrics()
    assert value(fams, "newsd_articles") == h["articles"], (value(fams, "newsd_articles"), h)
    assert value(fams, "newsd_index_version") == h["index_version"], (
        value(fams, "newsd_index_version"), h)
    srv.post("/articles", json.dumps({"id": "mg-1", "title": "one more", "date": "2026-03-01"}))
    h2 = srv.health()
    fams = metrics()
    assert h2["articles"] == h["articles"] + 1
    assert value(fams, "newsd_articles") == h2["articles"]
    assert value(fams, "newsd_index_version") == h2["index_version"]
    db = value(fams, "newsd_database_bytes")
    wal = value(fams, "newsd_wal_bytes")
    size = os.path.getsize(srv.db)
    wsize = os.path.getsize(srv.db + "-wal") if os.path.exists(srv.db + "-wal") else 0
    assert db == size, "newsd_database_bytes %s, the file has %d" % (db, size)
    assert wal == wsize, "newsd_wal_bytes %s, the WAL file has %d" % (wal, wsize)


def test_threads_are_named():
    """Each thread says what it is in top -H, ps -L, perf and /proc/PID/task/TID/comm (the
    bench reads the CPU of each by name)."""
    names = []
    for tid in os.listdir("/proc/%d/task" % srv.proc.pid):
        with open("/proc/%d/task/%s/comm" % (srv.proc.pid, tid)) as f:
            names.append(f.read().strip())
    for want in ("newsd-writer", "newsd-prep", "newsd-ckpt", "newsd-http", "newsd-columns"):
        assert want in names, "no thread named %s among %s" % (want, sorted(names))
    others = [n for n in names if not n.startswith("newsd-") and n != "newsd"]
    assert not others, "threads without a newsd name: %s" % sorted(names)
