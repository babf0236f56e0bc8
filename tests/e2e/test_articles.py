"""POST/GET/DELETE /articles, /health and /stats on generated data (no Reuters needed)."""
import calendar
import json
import os
import re
import time

import harness

srv = None


def setup_module():
    global srv
    srv = harness.Server("articles").start()


def teardown_module():
    srv.stop()


def rec(id_, word, date="2026-01-07T10:00:00Z", **kw):
    r = {"id": id_, "title": "Report on %s" % word,
         "body": "The %s committee met on Tuesday. Officials discussed %s at length." % (word, word),
         "date": date, "source": "e2e-wire"}
    r.update(kw)
    return r


def search_ids(q, **kw):
    r = srv.get("/search", q=q, limit=100, **kw)
    assert r.status == 200, r
    return {h["id"] for h in r.json["hits"]}


def version():
    return srv.health()["index_version"]


def post_ok(body, headers=None):
    r = srv.post("/articles", body, headers)
    assert r.status == 200, r
    j = r.json
    for k in ("accepted", "updated", "rejected", "index_version"):
        assert k in j, "POST response lacks %s: %r" % (k, j)
    return j


def test_post_jsonl_mixed_good_and_bad():
    v0 = version()
    lines = [
        json.dumps(rec("mix-1", "quorbital")),
        json.dumps({"id": "mix-2", "title": "No date here", "body": "quorbital"}),
        '{"id": "mix-3", "title": "broken json", ',
        json.dumps(rec("mix-4", "quorbital", title="Second quorbital report")),
        json.dumps({"id": "mix-5", "title": "", "body": "", "date": "2026-01-07"}),
        json.dumps(rec("mix-6", "quorbital", date="2026-13-40")),
        json.dumps(["not", "an", "object"]),
    ]
    j = post_ok("\n".join(lines) + "\n")
    assert j["accepted"] == 2 and j["updated"] == 0, j
    rej = {x["line"]: x for x in j["rejected"]}
    assert sorted(rej) == [2, 3, 5, 6, 7], "rejected lines %s, want [2, 3, 5, 6, 7]: %r" % (
        sorted(rej), j["rejected"])
    for line, x in rej.items():
        assert isinstance(x.get("error"), str) and x["error"], x
    assert "date" in rej[2]["error"].lower(), rej[2]
    assert rej[2].get("id") == "mix-2", rej[2]
    assert "date" in rej[6]["error"].lower(), rej[6]
    assert j["index_version"] == v0 + 1, "index_version %r after one batch from %r" % (
        j["index_version"], v0)
    # Searchable as soon as the response is there.
    assert search_ids("quorbital") == {"mix-1", "mix-4"}
    assert srv.get(harness.article_path("mix-2")).status == 404


def test_post_json_array_and_single_object():
    v0 = version()
    arr = [rec("arr-1", "plinthex"), {"id": "arr-2", "date": "2026-01-07"}, rec("arr-3", "plinthex")]
    j = post_ok(json.dumps(arr))
    assert j["accepted"] == 2, j
    assert [x["line"] for x in j["rejected"]] == [2], j["rejected"]
    assert j["index_version"] == v0 + 1, (j, v0)
    j = post_ok(json.dumps(rec("obj-1", "plinthex")))
    assert j["accepted"] == 1 and j["rejected"] == [], j
    assert j["index_version"] == v0 + 2, (j, v0)
    assert search_ids("plinthex") == {"arr-1", "arr-3", "obj-1"}
    assert version() == v0 + 2


def test_post_gzip():
    body = harness.gz(harness.jsonl([rec("gz-%d" % i, "vendrolax") for i in range(50)]))
    j = post_ok(body, {"Content-Encoding": "gzip"})
    assert j["accepted"] == 50 and j["rejected"] == [], j
    r = srv.get("/search", q="vendrolax", limit=10)
    assert r.json["total"] == 50, r


def test_upsert_replaces_content():
    post_ok(json.dumps(rec("up-1", "grumblethorpe")))
    assert search_ids("grumblethorpe") == {"up-1"}
    j = post_ok(json.dumps(rec("up-1", "snorkelwick", date="2026-02-01T00:00:00Z")))
    assert j["updated"] == 1 and j["accepted"] == 0, j
    assert search_ids("grumblethorpe") == set(), "old words still match after an update"
    assert search_ids("snorkelwick") == {"up-1"}
    a = srv.get(harness.article_path("up-1")).json
    assert "snorkelwick" in a["title"] and a["date"] == "2026-02-01T00:00:00Z", a
    r = srv.get("/search", q="snorkelwick OR grumblethorpe", limit=10)
    assert r.json["total"] == 1, "an updated article is counted twice: %r" % r.json


def test_post_in_any_date_order_and_an_id_twice():
    """A POST's records are written in date order (issue 11): FTS5 writes its pending words
    out as a new segment whenever a rowid smaller than the last one arrives, and the rowid
    follows the date, so a batch in random date order made a segment of nearly every article.
    One POST now makes one segment, and an id given twice still ends as its last record, as
    in input order: the first counts as accepted, the second as updated."""
    s = harness.Server("articles-order").start()
    try:
        recs = [rec("ord-%d" % i, "quillfeather", date=day)
                for i, day in enumerate(harness.random_dates(60, 11))]
        recs.append(rec("ord-7", "marrowvane", date="2009-03-04T05:06:07Z"))
        r = s.post("/articles", harness.jsonl(recs))
        assert r.status == 200, r
        assert (r.json["accepted"], r.json["updated"]) == (60, 1), r.json
        got = {h["id"] for h in s.get("/search", q="quillfeather", limit=100).json["hits"]}
        assert got == {"ord-%d" % i for i in range(60)} - {"ord-7"}, sorted(got)
        a = s.get(harness.article_path("ord-7")).json
        assert "marrowvane" in a["title"] and a["date"] == "2009-03-04T05:06:07Z", a
        segments = harness.fts_segments(s.db)
        assert segments == 1, "one POST of 61 records left %d FTS5 segments" % segments
    finally:
        s.stop()


def test_article_round_trip():
    full = {
        "id": "rt-1",
        "title": "Flood barrier <b>opens</b> & closes",
        "body": "Line one of the body.\n\nSecond paragraph, with \"quotes\" and émigré text.",
        "date": "2026-01-07T15:04:05+01:00",
        "source": "e2e-wire",
        "url": "https://example.org/news/rt-1",
        "lang": "en",
        "authors": ["Ann Writer", "Bo Reporter"],
        "entities": {"people": ["Ann Example"], "orgs": ["Example Board"], "places": ["Zedland"]},
        "section": "world",
        "priority": 3,
        "tags": ["a", "b"],
    }
    before = time.time()
    post_ok(json.dumps(full))
    r = srv.get("/articles/rt-1")
    assert r.status == 200, r
    a = r.json
    for k in ("id", "title", "body", "source", "url", "lang", "authors"):
        assert a.get(k) == full[k], "%s: %r != %r" % (k, a.get(k), full[k])
    assert a["date"] == "2026-01-07T14:04:05Z", "date not normalised to UTC: %r" % a["date"]
    for key, names in full["entities"].items():
        got = a["entities"].get(key)
        assert isinstance(got, list), a["entities"]
        got = {(e["name"] if isinstance(e, dict) else e) for e in got}
        assert set(names) <= got, "%s: %r lacks %r" % (key, got, names)
    assert a.get("extra") == {"section": "world", "priority": 3, "tags": ["a", "b"]}, \
        "extra: %r" % a.get("extra")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", a.get("ingested_at") or ""), a
    ing = calendar.timegm(time.strptime(a["ingested_at"], "%Y-%m-%dT%H:%M:%SZ"))
    assert before - 5 <= ing <= time.time() + 5, "ingested_at %s is not now" % a["ingested_at"]
    assert "dup_of" in a and a["dup_of"] is None, a.get("dup_of")
    # Date-only input is midnight UTC.
    post_ok(json.dumps({"id": "rt-2", "title": "Date only", "date": "2026-01-07"}))
    assert srv.get("/articles/rt-2").json["date"] == "2026-01-07T00:00:00Z"
    # The search hit carries the same data, HTML-escaped in title_html.
    h = srv.get("/search", q="flood barrier", limit=5).json["hits"]
    assert [x["id"] for x in h] == ["rt-1"], h
    assert h[0]["title"] == full["title"] and "<b>" not in h[0]["title_html"], h[0]
    assert "&lt;b&gt;" in h[0]["title_html"] and "&amp;" in h[0]["title_html"], h[0]
    assert h[0]["date"] == "2026-01-07T14:04:05Z" and h[0]["url"] == full["url"], h[0]


def test_ids_with_spaces_and_slashes():
    ids = ["a b/c", "x?y#z", "100%", "ünï/cødé", "../etc/passwd"]
    j = post_ok(harness.jsonl([rec(i, "zintaglio") for i in ids]))
    assert j["accepted"] == len(ids), j
    for i in ids:
        r = srv.get(harness.article_path(i))
        assert r.status == 200 and r.json["id"] == i, "GET %s → %r" % (harness.article_path(i), r)
    assert search_ids("zintaglio") == set(ids)
    r = srv.delete(harness.article_path("a b/c"))
    assert r.status == 200 and r.json.get("deleted") == "a b/c", r
    assert search_ids("zintaglio") == set(ids) - {"a b/c"}


def test_unknown_id_is_404():
    harness.check_error(srv.get("/articles/no-such-id"), 404, "not_found")
    harness.check_error(srv.get(harness.article_path("no such/id")), 404, "not_found")


def test_delete():
    post_ok(json.dumps(rec("del-1", "wobblecrank")))
    assert search_ids("wobblecrank") == {"del-1"}
    n0 = srv.health()["articles"]
    v0 = version()
    r = srv.delete("/articles/del-1")
    assert r.status == 200 and r.json.get("deleted") == "del-1", r
    assert version() == v0 + 1, "a DELETE did not raise index_version"
    assert search_ids("wobblecrank") == set()
    assert srv.get("/search", q="wobblecrank").json["total"] == 0
    harness.check_error(srv.get("/articles/del-1"), 404, "not_found")
    assert srv.health()["articles"] == n0 - 1
    harness.check_error(srv.delete("/articles/del-1"), 404, "not_found")


def test_filters_on_generated_dates_and_sources():
    recs = [rec("dt-%d" % d, "quillfeather", date="2026-03-%02dT23:30:00Z" % d,
                source="wire-%s" % ("a" if d % 2 else "b")) for d in range(1, 11)]
    post_ok(harness.jsonl(recs))
    ids = search_ids("quillfeather", from_="2026-03-03", to="2026-03-05")
    assert ids == {"dt-3", "dt-4", "dt-5"}, "a date-only to must include its whole day: %s" % ids
    ids = search_ids("quillfeather", from_="2026-03-03T23:30:00Z", to="2026-03-05T23:29:59Z")
    assert ids == {"dt-3", "dt-4"}, ids
    ids = search_ids("quillfeather", from_="2026-03-04T00:30:00+01:00", to="2026-03-04")
    assert ids == {"dt-3", "dt-4"}, "offsets in from are not UTC-normalised: %s" % ids
    assert search_ids("quillfeather", source="wire-a") == {"dt-1", "dt-3", "dt-5", "dt-7", "dt-9"}
    assert len(search_ids("quillfeather", source=["wire-a", "wire-b"])) == 10
    r = srv.get("/search", q="quillfeather", sort="oldest", limit=3)
    assert [h["id"] for h in r.json["hits"]] == ["dt-1", "dt-2", "dt-3"], r.json["hits"]
    r = srv.get("/search", source="wire-b", limit=2)   # no q: newest first
    assert r.status == 200 and [h["id"] for h in r.json["hits"]] == ["dt-10", "dt-8"], r


def test_equal_scores_go_to_the_newer_article():
    days = [3, 9, 1, 7, 5]
    post_ok(harness.jsonl([rec("tie-%d" % d, "pennywhistle", date="2026-04-%02dT12:00:00Z" % d)
                           for d in days]))
    r = srv.get("/search", q="pennywhistle", limit=10)
    assert r.status == 200, r
    got = [h["id"] for h in r.json["hits"]]
    assert got == ["tie-%d" % d for d in sorted(days, reverse=True)], \
        "identical articles are not newest first: %s" % got
    assert len({h["score"] for h in r.json["hits"]}) == 1, r.json["hits"]


def test_entity_filter_case_insensitive():
    post_ok(harness.jsonl([
        rec("ent-1", "farthingale", entities={"orgs": ["Zorblax Institute"], "places": ["Qatara"]}),
        rec("ent-2", "farthingale", entities={"places": ["Qatara"]}),
        rec("ent-3", "farthingale")]))
    assert search_ids("farthingale", entity="qatara") == {"ent-1", "ent-2"}
    assert search_ids("farthingale", entity="QATARA") == {"ent-1", "ent-2"}
    assert search_ids("farthingale", entity=["Qatara", "zorblax institute"]) == {"ent-1"}
    assert search_ids("farthingale", entity="Nowhereland") == set()


def test_post_errors():
    harness.check_error(srv.post("/articles", "this is not json"), 400)
    harness.check_error(srv.post("/articles", b"\x1f\x8b\x08\x00garbage",
                                 {"Content-Encoding": "gzip"}), 400)
    r = srv.request("PUT", "/articles/x", body=b"{}")
    harness.check_error(r, 405, "method_not_allowed")


def test_index_version_per_batch():
    v0 = version()
    for i in range(3):
        j = post_ok(json.dumps(rec("ver-%d" % i, "tessellate")))
        assert j["index_version"] == v0 + i + 1, (j, v0, i)
        r = srv.get("/search", q="tessellate")
        assert r.headers.get("x-index-version") == str(v0 + i + 1), r.headers
    assert version() == v0 + 3


def test_health_and_stats():
    h = srv.health()
    assert h["status"] == "ok" and isinstance(h["articles"], int) and h["articles"] > 0, h
    assert isinstance(h["index_version"], int), h
    r = srv.get("/stats")
    assert r.status == 200, r
    s = r.json
    assert s.get("articles") == h["articles"], "stats.articles %r, health %r" % (
        s.get("articles"), h["articles"])
    flat = json.dumps(s)
    for word in ("uptime", "version", "entities", "sources", "wal"):
        assert word in flat.lower(), "/stats says nothing about %s: %s" % (word, flat[:500])


def test_writes_from_loopback_without_token():
    r = srv.post("/articles", json.dumps(rec("lb-1", "loopbackword")))
    assert r.status == 200, r


def test_body_over_max_body_bytes_is_413():
    d = harness.tmpdir("small-body")
    conf = harness.write_config(os.path.join(d, "newsd.conf"), {"max_body_bytes": 65536})
    s = harness.Server("small-body", config=conf).start()
    try:
        big = harness.jsonl([rec("big-%d" % i, "x" * 100) for i in range(1000)])
        assert len(big) > 100000
        try:
            r = s.post("/articles", big)
        except AssertionError as e:
            raise AssertionError("no HTTP answer to an oversized POST: %s" % e)
        harness.check_error(r, 413, "payload_too_large")
        small = harness.jsonl([rec("small-1", "ok")])
        r = s.post("/articles", small)
        assert r.status == 200 and r.json["accepted"] == 1, r
    finally:
        s.stop()


def test_write_token():
    d = harness.tmpdir("token")
    conf = harness.write_config(os.path.join(d, "newsd.conf"), {"write_token": "s3cret-token"})
    s = harness.Server("token", config=conf).start()
    try:
        body = json.dumps(rec("tok-1", "tokenword"))
        harness.check_error(s.post("/articles", body), 401, "unauthorized")
        harness.check_error(s.post("/articles", body, {"Authorization": "Bearer wrong"}), 403,
                            "forbidden")
        harness.check_error(s.delete("/articles/tok-1"), 401, "unauthorized")
        r = s.post("/articles", body, {"Authorization": "Bearer s3cret-token"})
        assert r.status == 200 and r.json["accepted"] == 1, r
        assert s.get("/articles/tok-1").status == 200      # reads need no token
        r = s.delete("/articles/tok-1", {"Authorization": "Bearer s3cret-token"})
        assert r.status == 200, r
    finally:
        s.stop()


def test_stemming_none():
    d = harness.tmpdir("nostem")
    conf = harness.write_config(os.path.join(d, "newsd.conf"), {"stemming": "none"})
    s = harness.Server("nostem", config=conf).start()
    try:
        r = s.post("/articles", harness.jsonl([
            {"id": "ns-1", "title": "Police raid warehouse", "date": "2026-01-07"},
            {"id": "ns-2", "title": "Two raids in one night", "date": "2026-01-08"}]))
        assert r.status == 200 and r.json["accepted"] == 2, r
        ids = lambda q: {h["id"] for h in s.get("/search", q=q).json["hits"]}  # noqa: E731
        assert ids("raids") == {"ns-2"}, "stemming = none still stems: %s" % ids("raids")
        assert ids("raid") == {"ns-1"}, ids("raid")
        assert ids("raid*") == {"ns-1", "ns-2"}, ids("raid*")
    finally:
        s.stop()
    # The default server stems: raids finds raid.
    post_ok(harness.jsonl([{"id": "st-1", "title": "Police zorraid warehouse", "date": "2026-01-07"},
                           {"id": "st-2", "title": "Two zorraids in one night",
                            "date": "2026-01-08"}]))
    assert search_ids("zorraids") == {"st-1", "st-2"}
