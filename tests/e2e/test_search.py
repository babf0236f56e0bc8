"""GET /search on the Reuters corpus, against the oracle computed from the JSONL itself."""
import gzip
import re

import harness
import oracle

srv = corpus = None

# The anchor queries (../shared/anchors/queries.txt) and more forms of the query language.
ANCHORS = ["coffee", "cocoa buffer stock", '"crude oil"', "opec OR saudi", "bank NOT japan",
           "export*", "title:dollar", "(wheat OR corn) soviet", "NEAR(interest rates, 2)", "oil",
           "trade deficit", "grain", "gold silver", "federal reserve", "yen dollar"]

CASES = [{"q": q} for q in ANCHORS] + [
    {"q": '"interest rates" -japan'},
    {"q": "(oil OR gas) NOT (price OR prices)"},
    {"q": '((wheat OR corn) AND (soviet OR ussr)) OR "grain exports"'},
    {"q": 'title:"oil prices"'},
    {"q": "body:opec quota"},
    {"q": "tonn*"},
    {"q": "züri*"},
    {"q": "ZURICH"},
    {"q": '"dollar yen"~5'},
    {"q": '"agents shooting"~5'},
    {"q": "NEAR(opec output quota, 4)"},
    {"q": 'NEAR("crude oil" prices, 3)'},
    {"q": "AT&T"},
    {"q": "U.S. trade"},
    {"q": "ice-cream"},
    {"q": "year-on-year"},
    {"q": "coffee or cocoa"},
    {"q": "oil AND gas AND NOT opec"},
    {"q": "oil prices", "from": "1987-03-01", "to": "1987-03-31"},
    {"q": "oil", "from": "1987-03-31", "to": "1987-03-31"},
    {"q": "oil", "from": "1987-03-02T12:00:00Z", "to": "1987-03-03T12:00:00Z"},
    {"q": "-oil", "from": "1987-03-02", "to": "1987-03-03"},
    {"q": "trade", "entity": ["japan"]},
    {"q": "trade", "entity": ["japan", "usa"]},
    {"q": "oil", "entity": ["OPEC"]},
    {"q": "gold", "source": ["reuters"]},
    {"q": "coffee", "sort": "newest"},
    {"q": "coffee", "sort": "oldest"},
    {"q": "grain", "entity": ["usa"], "from": "1987-04-01", "sort": "oldest"},
    {"entity": ["opec"]},
    {"entity": ["james-baker"], "sort": "oldest"},
    {"entity": ["usa"], "from": "1987-03-10", "to": "1987-03-10"},
    {"q": "oil", "entity": ["no-such-entity"]},
]


def setup_module():
    global srv, corpus
    srv, corpus = harness.reuters()


def params_of(case):
    p = {k: v for k, v in case.items()}
    return p


def expected(case):
    return corpus.search(case.get("q"), case.get("from"), case.get("to"),
                         case.get("entity", ()), case.get("source", ()))


def page_all(case, limit=100):
    """Every hit of a search, following next_cursor. Returns (first response, hits)."""
    p = params_of(case)
    p.update(limit=limit, snippets=0)
    first = None
    hits = []
    cursor = None
    for _ in range(10000):
        if cursor:
            p["cursor"] = cursor
        r = srv.get("/search", p)
        assert r.status == 200, "%s → %r" % (p, r)
        if first is None:
            first = r.json
        hits.extend(r.json["hits"])
        assert len(r.json["hits"]) <= limit
        cursor = r.json.get("next_cursor")
        if not cursor:
            break
        assert r.json["hits"], "next_cursor %r after an empty page: %s" % (cursor, p)
    return first, hits


def describe_ids(ids, n=5):
    out = []
    for i in sorted(ids)[:n]:
        a = corpus.arts[corpus.by_id[i]] if i in corpus.by_id else None
        out.append("%s (%s)" % (i, oracle.format_date(a.date) if a else "not in the corpus"))
    return ", ".join(out)


def check_order(case, hits):
    sort = case.get("sort") or ("relevance" if case.get("q") else "newest")
    for a, b in zip(hits, hits[1:]):
        if sort == "newest":
            assert a["date"] >= b["date"], "sort=newest: %s %s before %s %s" % (
                a["id"], a["date"], b["id"], b["date"])
        elif sort == "oldest":
            assert a["date"] <= b["date"], "sort=oldest: %s %s before %s %s" % (
                a["id"], a["date"], b["id"], b["date"])
        else:
            # (Scores are rounded in the JSON, so equal printed scores say nothing about
            # the tie-break; test_articles checks ties on identical articles.)
            assert a["score"] >= b["score"], "scores rise: %s %r before %s %r" % (
                a["id"], a["score"], b["id"], b["score"])


def check_case(case):
    want = expected(case)
    first, hits = page_all(case)
    ids = [h["id"] for h in hits]
    assert first["total"] == len(want), "%s: total %d, oracle %d" % (case, first["total"],
                                                                     len(want))
    dups = {i for i in ids if ids.count(i) > 1} if len(ids) != len(set(ids)) else set()
    assert not dups, "%s: paging repeated hits: %s" % (case, describe_ids(dups))
    got = set(ids)
    assert got == want, "%s: %d hits, oracle %d; missing %s; extra %s" % (
        case, len(got), len(want), describe_ids(want - got), describe_ids(got - want))
    for h in hits:
        want_date = oracle.format_date(corpus.date_of(h["id"]))
        assert h["date"] == want_date, "%s: date %s, input says %s" % (h["id"], h["date"],
                                                                      want_date)
    check_order(case, hits)


def _make_case_test(i, case):
    def t():
        check_case(case)
    t.__name__ = "test_oracle_%02d" % i
    t.__doc__ = repr(case)
    return t


for _i, _case in enumerate(CASES):
    globals()["test_oracle_%02d" % _i] = _make_case_test(_i, _case)
    globals()["test_oracle_%02d" % _i].__module__ = __name__


# -- the index and its summary ------------------------------------------------------------

def test_index_summary_and_health():
    out = harness.reuters_index_output()
    text = out["stdout"]
    assert harness.summary_count(text, "indexed") == len(corpus.arts), \
        "newsd index summary does not say %d indexed: %r" % (len(corpus.arts), text[-500:])
    assert harness.summary_count(text, "rejected") == 1, \
        "newsd index summary does not say 1 rejected: %r" % text[-500:]
    h = srv.health()
    assert h.get("status") == "ok" and h.get("articles") == len(corpus.arts), h
    assert isinstance(h.get("index_version"), int), h
    # a load that is the whole index (a backfill) ends with FTS5's segments merged into one
    assert "merging the index into one segment" in text, text[-500:]
    assert out["segments"] == 1, "%d FTS5 segments after newsd index of Reuters" % \
        out["segments"]
    print("       (newsd index of Reuters: %.1fs wall, with the oracle built meanwhile)" %
          out["seconds"])


# -- frequent words: ranked from per-block bounds, counted from bits ----------------------

def test_frequent_words_rank_from_block_bounds():
    """Searches of common words (term_df >= 5,000: bounds.h) rank only the blocks that can
    hold their top hits and count from the words' bits; facets make a search take the
    ordinary pass over every match, so the two must give the same hits, scores and totals,
    and the oracle's total. /stats counts the searches the bounds answered."""
    words = [w for w in ("said", "mln", "pct", "dlrs", "year", "reuter", "billion", "company")
             if len(corpus.search(w, None, None, (), ())) >= 5000]
    assert len(words) >= 3, "Reuters has too few common words for this test: %s" % words
    a, b, c = words[:3]
    queries = [a, b, "%s %s" % (a, b), "%s NOT %s" % (a, c), "%s OR %s" % (b, c),
               "%s -%s -%s" % (a, b, c), "title:%s" % a]
    before = srv.get("/stats").json["bounds"]
    for q in queries:
        for extra in ({}, {"offset": 7}, {"limit": 50}):
            p = dict(q=q, limit=extra.get("limit", 10), offset=extra.get("offset", 0),
                     snippets=0)
            fast = srv.get("/search", p)
            slow = srv.get("/search", dict(p, facets="sources"))
            assert fast.status == 200 and slow.status == 200, (q, fast, slow)
            want = expected({"q": q})
            assert fast.json["total"] == len(want), "%s: total %d, oracle %d" % (
                q, fast.json["total"], len(want))
            assert fast.json["total"] == slow.json["total"], q
            got = [(h["id"], h["score"]) for h in fast.json["hits"]]
            ref = [(h["id"], h["score"]) for h in slow.json["hits"]]
            assert got == ref, "%s %s: from the bounds %s, over every match %s" % (
                q, extra, got[:5], ref[:5])
    after = srv.get("/stats").json["bounds"]
    assert after["words"] >= 3, after
    assert after["searches"] - before["searches"] >= 3 * len(queries) - 3, (before, after)
    assert after["counted"] > before["counted"], (before, after)
    assert after["blocks_visited"] > before["blocks_visited"], (before, after)


# -- response shape -----------------------------------------------------------------------

def test_hit_shape_and_query_echo():
    r = srv.get("/search", q="oil prices", limit=5)
    assert r.status == 200, r
    j = r.json
    for k in ("query", "total", "took_ms", "hits", "next_cursor"):
        assert k in j, "missing %s in %r" % (k, sorted(j))
    q = j["query"]
    assert q.get("q") == "oil prices" and q.get("sort") == "relevance", q
    assert isinstance(q.get("parsed"), str) and q["parsed"], q
    assert q.get("entity") == [] and q.get("source") == [], q
    assert q.get("from") is None and q.get("to") is None, q
    assert isinstance(j["took_ms"], (int, float)), j["took_ms"]
    assert len(j["hits"]) == 5
    for h in j["hits"]:
        for k in ("id", "title", "title_html", "date", "source", "url", "score", "snippets",
                  "entities"):
            assert k in h, "hit lacks %s: %r" % (k, sorted(h))
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", h["date"]), h["date"]
        assert h["source"] == "reuters", h["source"]
        assert isinstance(h["score"], (int, float)), h["score"]
        assert isinstance(h["snippets"], list) and len(h["snippets"]) <= 3, h["snippets"]
        if corpus.arts[corpus.by_id[h["id"]]].cols["body"]:
            assert h["snippets"], "%s has a body but no snippet" % h["id"]
        assert isinstance(h["entities"], dict), h["entities"]
        for key in ("people", "orgs", "places"):
            assert isinstance(h["entities"].get(key), list), h["entities"]


def test_hit_entities_are_the_given_tags():
    r = srv.get("/search", q="opec", entity="opec", limit=20)
    assert r.status == 200, r
    for h in r.json["hits"]:
        a = corpus.arts[corpus.by_id[h["id"]]]
        names = set()
        for key in ("people", "orgs", "places"):
            for e in h["entities"][key]:
                names.add((e["name"] if isinstance(e, dict) else e).lower())
        assert names == a.ents, "%s: entities %s, input %s" % (h["id"], names, a.ents)


def test_same_request_same_hits():
    for p in ({"q": "oil", "limit": 50}, {"q": "trade", "entity": "japan", "limit": 30,
                                          "sort": "newest"}, {"entity": "opec", "limit": 40}):
        a = srv.get("/search", p)
        b = srv.get("/search", p)
        assert a.status == b.status == 200, (a, b)
        assert a.json["hits"] == b.json["hits"], "%s: two identical requests differ" % p
        assert a.json["next_cursor"] == b.json["next_cursor"], p


def test_last_page_has_null_cursor():
    r = srv.get("/search", q="AT&T", limit=10)
    assert r.status == 200 and r.json["total"] == 1, r
    assert r.json["next_cursor"] is None, r.json["next_cursor"]
    r = srv.get("/search", q="oil", limit=10)
    assert isinstance(r.json["next_cursor"], str) and r.json["next_cursor"], r.json


def test_offset_pages_match_cursor_pages():
    base = srv.get("/search", q="crude oil", limit=30, snippets=0).json["hits"]
    r = srv.get("/search", q="crude oil", limit=10, offset=10, snippets=0)
    assert r.status == 200, r
    assert [h["id"] for h in r.json["hits"]] == [h["id"] for h in base[10:20]], \
        "offset=10 page differs from hits 10..19"
    assert r.json["total"] == len(expected({"q": "crude oil"}))
    r = srv.get("/search", q="oil", offset=10000, limit=10)
    assert r.status == 200 and r.json["hits"] == [], r
    harness.check_error(srv.get("/search", q="oil", offset=10001), 400, "bad_parameter")


def test_limit_zero_counts_only():
    r = srv.get("/search", q="oil", limit=0)
    assert r.status == 200, r
    assert r.json["hits"] == [] and r.json["total"] == len(expected({"q": "oil"})), r


# -- snippets ----------------------------------------------------------------------------

_ENTITY_RE = re.compile(r"&(amp|lt|gt|quot|#39|#x27|apos);")


def check_html(s, what):
    """Only <mark> and </mark> as markup; every other <, > and & escaped."""
    bare = s.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in bare and ">" not in bare, "%s has unescaped markup: %r" % (what, s)
    assert "&" not in _ENTITY_RE.sub("", bare), "%s has a raw &: %r" % (what, s)
    assert s.count("<mark>") == s.count("</mark>"), "%s: unbalanced <mark>: %r" % (what, s)


def marked_words(s):
    return re.findall(r"<mark>(.*?)</mark>", s)


def test_snippets_mark_matches_and_escape():
    for q, stems in (("oil", {"oil"}), ("interest rates", {"interest", "rate"}),
                     ('"crude oil"', {"crude", "oil"}), ("AT&T", {"at", "t"}),
                     ("export*", None)):
        r = srv.get("/search", q=q, limit=20)
        assert r.status == 200, r
        assert r.json["hits"], q
        for h in r.json["hits"]:
            check_html(h["title_html"], "title_html")
            plain_title = re.sub(r"</?mark>", "", h["title_html"])
            plain_title = plain_title.replace("&lt;", "<").replace("&gt;", ">") \
                .replace("&quot;", '"').replace("&#39;", "'").replace("&#x27;", "'") \
                .replace("&amp;", "&")
            assert plain_title.split() == h["title"].split(), \
                "title_html is not the title: %r vs %r" % (h["title_html"], h["title"])
            marks = []
            for s in h["snippets"]:
                check_html(s, "snippet")
                marks += marked_words(s)
            marks += marked_words(h["title_html"])
            assert marks, "%s: q=%s: no <mark> in title_html or snippets: %r" % (
                h["id"], q, h["snippets"])
            for m in marks:
                toks = oracle.analyze(re.sub(r"&\w+;|&#\w+;", " ", m))
                if stems is None:
                    ok = all(t.startswith("export") for t in toks)
                else:
                    ok = toks and all(t in stems for t in toks)
                assert ok, "q=%s: marked %r, which is not a query term" % (q, m)


def test_snippets_escape_angle_brackets_and_ampersands():
    # Reuters bodies hold "<" and "&" (company names, "&lt;" in the wire text).
    hits = []
    for q in ("AT&T", "inc", "corp"):
        hits += srv.get("/search", q=q, limit=50, snippets=5).json["hits"]
    for h in hits:
        check_html(h["title_html"], "title_html")
        for s in h["snippets"]:
            check_html(s, "snippet")


def test_title_only_match_gets_lead_snippet():
    r = srv.get("/search", q="title:dollar", limit=100)
    assert r.status == 200, r
    checked = 0
    for h in r.json["hits"]:
        a = corpus.arts[corpus.by_id[h["id"]]]
        if a.cols["body"] and "dollar" not in a.cols["body"]:
            assert h["snippets"], "%s: match only in the title and no lead snippet" % h["id"]
            checked += 1
        assert "<mark>" in h["title_html"], h["title_html"]
    assert checked, "no title-only match among the first 100 hits of title:dollar"


def test_snippet_counts_and_words():
    r = srv.get("/search", q="oil", limit=10, snippets=0)
    assert r.status == 200 and all(h["snippets"] == [] for h in r.json["hits"]), r
    r = srv.get("/search", q="oil prices", limit=100, snippets=5)
    assert r.status == 200 and all(len(h["snippets"]) <= 5 for h in r.json["hits"]), r
    assert any(len(h["snippets"]) > 3 for h in r.json["hits"]), \
        "snippets=5 never gave more than 3 fragments"
    for n in (8, 64):
        r = srv.get("/search", q="oil", limit=10, snippet_words=n)
        assert r.status == 200, r
        for h in r.json["hits"]:
            for s in h["snippets"]:
                plain = re.sub(r"</?mark>", "", s)
                words = [w for w in plain.split() if re.search(r"\w", w)]
                assert len(words) <= n, "snippet_words=%d but %d words: %r" % (n, len(words), s)
    for bad in (0, 65, -1, "x"):
        harness.check_error(srv.get("/search", q="oil", snippet_words=bad), 400, "bad_parameter")
    for bad in (6, -1, "two"):
        harness.check_error(srv.get("/search", q="oil", snippets=bad), 400, "bad_parameter")


# -- errors --------------------------------------------------------------------------------

def test_bad_limits_and_numbers():
    for bad in (101, -1, "abc", "1.5", "", "10x", "99999999999999999999"):
        harness.check_error(srv.get("/search", q="oil", limit=bad), 400, "bad_parameter")
    for bad in (-1, "abc", 10001):
        harness.check_error(srv.get("/search", q="oil", offset=bad), 400, "bad_parameter")
    harness.check_error(srv.get("/search", q="oil", sort="best"), 400, "bad_parameter")
    harness.check_error(srv.get("/search", q="oil", cursor="not-a-cursor"), 400, "bad_parameter")


def test_unknown_parameter():
    for p in ({"qq": "oil"}, {"q": "oil", "limt": "5"}, {"q": "oil", "From": "1987-03-01"}):
        r = srv.get("/search", p)
        e = harness.check_error(r, 400)
        assert e.get("code") in ("bad_parameter", "bad_request"), r


def test_bad_dates():
    for p in ({"from": "1987-13-01"}, {"to": "1987-02-30"}, {"from": "yesterday"},
              {"to": "1987-03-01T25:00:00Z"}, {"from": "87-03-01"},
              {"from": "1987-03-01T12:00:00+25:00"}):
        p["q"] = "oil"
        harness.check_error(srv.get("/search", p), 400, "bad_date")


def test_malformed_queries_have_positions():
    for q in ('"oil', "(oil", "oil)", "OR oil", "oil OR", "oil AND", "NOT", "()",
              "NEAR(oil gas", "(oil OR (gas)"):
        r = srv.get("/search", q=q)
        e = harness.check_error(r, 400, "bad_query")
        pos = e.get("position")
        assert isinstance(pos, int) and 0 <= pos <= len(q.encode()), \
            "q=%r: position %r (len %d)" % (q, pos, len(q.encode()))


def test_anything_typed_is_never_a_500():
    queries = ["AT&T", "U.S.", "ice-cream", 'oil " prices', 'oil "', "or", "and", "not", "near",
               "NEAR", "NEAR(", "NEAR()", "title:", "body:", "foo:bar", "title:title:oil",
               "***", "*", "-", "--oil", "- oil", '"""', "'", "\\", "%", "%%", "😀", "naïve",
               "oil~", "~5", '"a"~999999999999', "NEAR(a b, -1)", "NEAR(a b, x)", "(((((",
               ")))))", "-(oil)", "NOT NOT oil", "oil NOT", "AND", "OR", "a:b:c", "{title}: oil",
               "oil^2", "oil:*", "\"\"", "( )", "\t", " ", "x" * 3000,
               " ".join(["w%d" % i for i in range(300)]), "(" * 100 + "oil" + ")" * 100,
               "a" * 5000]
    for q in queries:
        r = srv.get("/search", q=q, limit=3)
        assert r.status in (200, 400), "q=%r → %r" % (q, r)
        if r.status == 400:
            e = harness.check_error(r, 400)
            assert e.get("code") in ("bad_query", "bad_parameter"), "q=%r → %r" % (q, r)
        else:
            assert isinstance(r.json.get("total"), int), r
    # Invalid UTF-8 in q.
    r = srv.request("GET", "/search?q=%FF%FEoil")
    harness.check_error(r, 400)


# -- headers, HEAD, gzip -------------------------------------------------------------------

def test_headers():
    h = srv.health()
    for path in ("/search?q=oil", "/health", "/search?q=%22oil", "/nope"):
        r = srv.request("GET", path)
        assert r.headers.get("content-type") == "application/json; charset=utf-8", \
            "%s: Content-Type %r" % (path, r.headers.get("content-type"))
        assert r.headers.get("x-request-id"), "%s: no X-Request-Id" % path
        assert r.headers.get("x-index-version") == str(h["index_version"]), \
            "%s: X-Index-Version %r, /health says %r" % (path, r.headers.get("x-index-version"),
                                                         h["index_version"])
    a = srv.request("GET", "/search?q=oil")
    b = srv.request("GET", "/search?q=oil")
    assert a.headers["x-request-id"] != b.headers["x-request-id"], "X-Request-Id repeats"
    harness.check_error(srv.request("GET", "/nope"), 404, "not_found")


def test_head():
    r = srv.head("/search", q="oil")
    assert r.status == 200 and r.body == b"", r
    assert r.headers.get("content-type") == "application/json; charset=utf-8", r.headers
    assert r.headers.get("x-index-version"), r.headers
    r = srv.head("/health")
    assert r.status == 200 and r.body == b"", r
    assert srv.get("/health").status == 200  # the connection is still usable after HEAD


def test_gzip():
    r = srv.request("GET", "/search?q=oil&limit=20", headers={"Accept-Encoding": "gzip"})
    assert r.status == 200, r
    assert r.headers.get("content-encoding") == "gzip", "no gzip for a %d-byte body" % len(r.body)
    j = r.json
    assert j and len(j["hits"]) == 20, "gzip body did not decode to the search JSON"
    assert gzip.decompress(r.body)
    r = srv.request("GET", "/search?q=oil&limit=20")
    assert "content-encoding" not in r.headers and r.json["hits"], r.headers
    r = srv.request("GET", "/health", headers={"Accept-Encoding": "gzip"})
    assert r.headers.get("content-encoding") != "gzip", "a small body (%d bytes) was gzip'd" % (
        len(r.body))
    assert r.json["status"] == "ok", r


def test_method_not_allowed():
    r = srv.request("PUT", "/search?q=oil", body=b"{}")
    harness.check_error(r, 405, "method_not_allowed")


def test_keep_alive():
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        c.request("GET", "/health")
        r = c.getresponse()
        r.read()
        sock = c.sock
        assert sock is not None and not r.will_close, "the server closed after one request"
        for path in ("/search?q=oil", "/search?q=%22oil", "/articles/no-such-id"):
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            assert c.sock is sock and not r.will_close, "%s ended the kept-alive connection" % path
    finally:
        c.close()


def test_query_timeout_is_503():
    # A second server on the same database, with a 1 ms query budget.
    d = harness.tmpdir("timeout")
    conf = harness.write_config(d + "/newsd.conf", {"query_timeout_ms": 1, "extraction": "no",
                                                    "dedup": "no"})
    s = harness.Server("timeout", db=srv.db, config=conf).start()
    try:
        r = s.get("/search", q="s* t*", limit=100)
        harness.check_error(r, 503, "timeout")
        assert s.get("/health").status == 200
    finally:
        s.stop()


def test_reuters_articles_round_trip():
    import json as _json
    want = {"reuters-%d" % n for n in (1, 2, 5, 100, 1807, 5000, 12000, 17734, 21000, 21578)}
    recs = {}
    with gzip.open(harness.REUTERS, "rt", encoding="utf-8") as f:
        for line in f:
            if any('"id": "%s"' % i in line for i in want):
                r = _json.loads(line)
                if r["id"] in want:
                    recs[r["id"]] = r
    assert len(recs) >= 8, sorted(recs)
    for id_, rec in sorted(recs.items()):
        r = srv.get(harness.article_path(id_))
        if not (rec["title"] or rec["body"]):
            harness.check_error(r, 404, "not_found")
            continue
        assert r.status == 200, "%s: %r" % (id_, r)
        a = r.json
        for k in ("id", "title", "body", "source", "url"):
            assert a.get(k) == rec[k], "%s.%s: %r != %r" % (id_, k, a.get(k), rec[k])
        assert a["date"] == rec["date"], (a["date"], rec["date"])
        extra = a.get("extra") or {}
        for k in ("dateline", "topics", "split"):
            assert extra.get(k) == rec[k], "%s: extra.%s %r != %r" % (id_, k, extra.get(k),
                                                                    rec[k])
        for key in ("people", "orgs", "places"):
            got = {(e["name"] if isinstance(e, dict) else e).lower() for e in a["entities"][key]}
            assert got == set(rec["entities"][key]), "%s: %s %s != %s" % (
                id_, key, got, rec["entities"][key])
