"""Citable index versions: index_version in every search response and X-Index-Version header,
one step per committed write batch, and /stats listing what each version did."""
import calendar
import json
import os
import time

import harness

srv = None


def setup_module():
    global srv
    srv = harness.Server("versions", extra_args=["--dedup", "no"]).start()


def teardown_module():
    srv.stop()


def rec(id_, word, day=5):
    return {"id": id_, "title": "Version note %s" % word, "body": "The %s ledger." % word,
            "date": "2026-01-%02dT12:00:00Z" % day, "source": "ver"}


def post(body):
    r = srv.post("/articles", body if isinstance(body, (str, bytes)) else json.dumps(body))
    assert r.status == 200, r
    assert r.headers.get("x-index-version") == str(r.json["index_version"]), \
        "POST: X-Index-Version %r, body index_version %r" % (r.headers.get("x-index-version"),
                                                             r.json["index_version"])
    return r.json


def version():
    return srv.health()["index_version"]


def stats_versions():
    r = srv.get("/stats")
    assert r.status == 200, r
    vs = r.json.get("versions")
    assert isinstance(vs, list), "/stats has no versions list: %s" % json.dumps(r.json)[:400]
    by = {}
    for v in vs:
        for k in ("version", "committed_at", "added", "updated", "removed"):
            assert k in v, "a version entry lacks %s: %r" % (k, v)
        assert v["version"] not in by, "version %d listed twice" % v["version"]
        by[v["version"]] = v
    return by


def test_search_responses_carry_the_version():
    post(harness.jsonl([rec("v-a%d" % i, "amberline", i + 1) for i in range(12)]))
    v = version()
    cursor = srv.get("/search", q="amberline", limit=5).json["next_cursor"]
    for params in ({"q": "amberline"}, {"q": "nosuchwordzz"}, {"source": "ver", "limit": 3},
                   {"q": "amberline", "facets": "dates,sources", "limit": 0},
                   {"q": "amberline", "limit": 5, "cursor": cursor},
                   {"q": "amberline", "from": "2026-01-03", "to": "2026-01-04"}):
        r = srv.get("/search", params)
        assert r.status == 200, (params, r)
        assert r.json.get("index_version") == v, "%s: index_version %r, /health %d" % (
            params, r.json.get("index_version"), v)
        assert r.headers.get("x-index-version") == str(v), (params, r.headers)
    r = srv.get("/timeline", q="amberline")
    assert r.json.get("index_version") == v and r.headers.get("x-index-version") == str(v), r
    r = srv.get("/search", q='"open')
    assert r.status == 400 and r.headers.get("x-index-version") == str(v), r.headers
    r = srv.get("/export", q="amberline")
    assert r.headers.get("x-index-version") == str(v), r.headers


def test_one_step_per_committed_batch():
    v0 = version()
    j = post(rec("v-b1", "cobaltine"))                                     # one object
    assert j["index_version"] == v0 + 1, (j, v0)
    j = post([rec("v-b2", "cobaltine"), rec("v-b3", "cobaltine")])          # an array
    assert j["index_version"] == v0 + 2, (j, v0)
    j = post(harness.jsonl([rec("v-b4", "cobaltine"), {"id": "v-bad", "title": "no date"}]))
    assert j["index_version"] == v0 + 3 and j["accepted"] == 1, (j, v0)
    r = srv.get("/search", q="cobaltine")
    assert r.json["index_version"] == v0 + 3 and r.json["total"] == 4, r.json
    assert srv.delete("/articles/v-b4").status == 200
    assert version() == v0 + 4
    # the same request at the same version gives the same result; a write changes both
    a = srv.get("/search", q="cobaltine", limit=10).json
    b = srv.get("/search", q="cobaltine", limit=10).json
    assert a["hits"] == b["hits"] and a["index_version"] == b["index_version"]
    # reads do not move the version
    assert version() == v0 + 4
    # a POST where every record is rejected: nothing is committed (observed, printed)
    j = post(harness.jsonl([{"id": "v-bad2", "title": "no date"}]))
    print("     an all-rejected POST: index_version %d → %d" % (v0 + 4, j["index_version"]))
    assert j["index_version"] in (v0 + 4, v0 + 5), j


def test_stats_lists_each_version():
    v0 = version()
    t0 = time.time()
    j1 = post(harness.jsonl([rec("v-c%d" % i, "dunmorrow") for i in range(3)]))
    j2 = post(harness.jsonl([rec("v-c0", "dunmorrow revised"), rec("v-c1", "dunmorrow again"),
                             rec("v-c9", "dunmorrow"), {"id": "v-cx", "title": "no date"}]))
    assert j2["updated"] == 2 and j2["accepted"] == 1, j2
    assert srv.delete("/articles/v-c2").status == 200
    v3 = version()
    assert (j1["index_version"], j2["index_version"], v3) == (v0 + 1, v0 + 2, v0 + 3)
    by = stats_versions()
    want = {v0 + 1: (3, 0, 0), v0 + 2: (1, 2, 0), v0 + 3: (0, 0, 1)}
    for v, (added, updated, removed) in want.items():
        assert v in by, "version %d not in /stats versions (%s)" % (v, sorted(by)[-10:])
        e = by[v]
        assert (e["added"], e["updated"], e["removed"]) == (added, updated, removed), \
            "version %d: %r, want added %d updated %d removed %d" % (v, e, added, updated,
                                                                     removed)
        t = calendar.timegm(time.strptime(e["committed_at"], "%Y-%m-%dT%H:%M:%SZ"))
        assert t0 - 2 <= t <= time.time() + 2, "version %d committed_at %s" % (v, e["committed_at"])
    assert max(by) == v3, "newest listed version %d, index_version %d" % (max(by), v3)


def test_large_post_and_batches():
    # more records than batch_max_records in one POST: every committed batch is a version,
    # and /stats accounts for every record
    d = harness.tmpdir("versions-batch")
    conf = harness.write_config(os.path.join(d, "newsd.conf"), {"batch_max_records": 10,
                                                                "dedup": "no"})
    s = harness.Server("versions-batch", config=conf).start()
    try:
        v0 = s.health()["index_version"]
        r = s.post("/articles", harness.jsonl([rec("v-d%02d" % i, "emberfall", 1 + i % 28)
                                               for i in range(25)]))
        assert r.status == 200 and r.json["accepted"] == 25, r
        v1 = r.json["index_version"]
        assert s.health()["index_version"] == v1
        vs = s.get("/stats").json["versions"]
        mine = [v for v in vs if v0 < v["version"] <= v1]
        assert len(mine) == v1 - v0, "versions %d..%d, /stats lists %s" % (v0 + 1, v1, mine)
        assert sum(v["added"] for v in mine) == 25, mine
        print("     one POST of 25 records with batch_max_records = 10: index_version "
              "+%d" % (v1 - v0))
    finally:
        s.stop()
