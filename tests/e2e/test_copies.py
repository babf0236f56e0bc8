"""Stories, not copies: collapse=dups on /search gives each hit its number of wire copies
(`copies`), GET /articles/{id}/copies lists them, totals agree with the uncollapsed search and
with /timeline and /export, and `newsq search` shows each story once ("N more copies") unless
--all-copies. A server with wire-copy detection on (the default)."""
import os
import subprocess

import harness

srv = None

BODY = ("Dockers at Port Vellan harbour walked out on %s over pay, leaving container ships "
        "waiting at anchor and cranes idle along the quays. The Dockers Union said the strike "
        "would last until the harbour authority raised its offer, and shipping agents diverted "
        "cargo to other ports while the talks stalled again.")
OTHER = ("Farmers in the Marlow valley brought in a wheat harvest on %s that beat every "
         "forecast, as dry weather let combines work late into the evening near the harbour. "
         "Grain silos filled early and millers said flour prices could ease once the new crop "
         "reached the market, according to the regional farm bureau.")


def articles():
    out = [{"id": "story-a", "title": "Dockers strike shuts Port Vellan harbour",
            "body": BODY % "Monday", "date": "2026-03-02T10:00:00Z", "source": "wire-a"}]
    # three copies of story-a, re-sent later by other wires
    for i, src in enumerate(["wire-b", "wire-c", "wire-d"]):
        out.append(dict(out[0], id="story-a-copy-%d" % (i + 1), source=src,
                        date="2026-03-0%dT1%d:00:00Z" % (2 + i, i)))
    out.append({"id": "story-b", "title": "Wheat harvest in Marlow valley beats forecasts",
                "body": OTHER % "Tuesday", "date": "2026-03-05T10:00:00Z", "source": "wire-a"})
    out.append(dict(out[-1], id="story-b-copy-1", source="wire-b", date="2026-03-06T10:00:00Z"))
    out.append({"id": "story-c", "title": "Harbour tolls rise at Port Vellan",
                "body": "The harbour authority raised tolls for every ship from April, its "
                        "board said, to pay for dredging the outer channel.",
                "date": "2026-03-07T10:00:00Z", "source": "wire-c"})
    return out


def setup_module():
    global srv
    srv = harness.Server("copies").start()
    r = srv.post("/articles", harness.jsonl(articles()))
    assert r.status == 200 and r.json["accepted"] == 7, r
    for i in (1, 2, 3):
        r = srv.get("/articles/story-a-copy-%d" % i)
        assert r.json["dup_of"] == "story-a", ("wire-copy detection did not group", r)
    assert srv.get("/articles/story-b-copy-1").json["dup_of"] == "story-b"
    assert srv.get("/articles/story-c").json["dup_of"] is None


def teardown_module():
    if srv:
        srv.stop()


def search(**kw):
    r = srv.get("/search", **kw)
    assert r.status == 200, r
    return r.json


def test_collapsed_hits_carry_copy_counts():
    plain = search(q="harbour")
    assert plain["total"] == 7, plain["total"]
    assert all("copies" not in h for h in plain["hits"]), "copies without collapse"
    col = search(q="harbour", collapse="dups")
    assert col["query"]["collapse"] == "dups"
    assert col["total"] == 3, col["total"]
    got = {h["id"]: h["copies"] for h in col["hits"]}
    assert got == {"story-a": 3, "story-b": 1, "story-c": 0}, got
    # the same ranking as the uncollapsed search without the copies (scores too)
    want = [(h["id"], h["score"]) for h in plain["hits"] if "copy" not in h["id"]]
    assert [(h["id"], h["score"]) for h in col["hits"]] == want
    # every sort, paging by cursor, count only
    for sort in ("newest", "oldest", "relevance"):
        ids, cursor = [], None
        while True:
            kw = {"q": "harbour", "collapse": "dups", "sort": sort, "limit": 1}
            if cursor:
                kw["cursor"] = cursor
            j = search(**kw)
            ids += [h["id"] for h in j["hits"]]
            assert all(h["copies"] >= 0 for h in j["hits"])
            cursor = j["next_cursor"]
            if not cursor:
                break
        assert sorted(ids) == ["story-a", "story-b", "story-c"], (sort, ids)
    assert search(q="harbour", collapse="dups", limit=0)["total"] == 3
    # no query: newest first, copies counted too
    j = search(source="wire-a", collapse="dups")
    assert [(h["id"], h["copies"]) for h in j["hits"]] == [("story-b", 1), ("story-a", 3)], j


def test_totals_agree_with_timeline_export_facets():
    col = search(q="harbour", collapse="dups", facets="dates,sources")
    tl = srv.get("/timeline", q="harbour", collapse="dups").json
    assert sum(b["count"] for b in tl["buckets"]) == col["total"]
    assert sum(b["count"] for b in col["facets"]["dates"]) == col["total"]
    assert sum(s["count"] for s in col["facets"]["sources"]) == col["total"]
    ex = srv.get("/export", q="harbour", collapse="dups")
    assert ex.status == 200 and int(ex.headers["x-total"]) == col["total"], ex.headers
    assert len(ex.body.decode().splitlines()) == col["total"]


def test_copies_endpoint():
    r = srv.get("/articles/story-a/copies")
    assert r.status == 200, r
    j = r.json
    assert j["id"] == "story-a" and j["story"] == "story-a" and j["total"] == 3, j
    assert [c["id"] for c in j["copies"]] == ["story-a-copy-1", "story-a-copy-2",
                                              "story-a-copy-3"], j
    assert [c["source"] for c in j["copies"]] == ["wire-b", "wire-c", "wire-d"]
    assert all(set(c) == {"id", "title", "date", "source", "url"} for c in j["copies"])
    assert isinstance(j["index_version"], int)
    # from a copy: the root first, then the other copies
    j = srv.get("/articles/story-a-copy-2/copies").json
    assert j["story"] == "story-a" and j["total"] == 3, j
    assert [c["id"] for c in j["copies"]] == ["story-a", "story-a-copy-1", "story-a-copy-3"]
    j = srv.get("/articles/story-a/copies", limit=2).json
    assert len(j["copies"]) == 2 and j["total"] == 3, j
    j = srv.get("/articles/story-c/copies").json
    assert j["copies"] == [] and j["total"] == 0, j
    harness.check_error(srv.get("/articles/nosuch/copies"), 404, "not_found")
    for bad in ("0", "1001", "x", "-1"):
        harness.check_error(srv.get("/articles/story-a/copies", limit=bad), 400,
                            "bad_parameter")
    harness.check_error(srv.get("/articles/story-a/copies", sort="newest"), 400)
    r = srv.request("POST", "/articles/story-a/copies", body=b"{}")
    assert r.status == 405, r
    # an id ending in /copies is read as the endpoint (the suffix decides, as for /similar)
    assert srv.get("/articles/story-a").json["id"] == "story-a"


def test_copies_follow_writes():
    """The in-memory copy set follows new index versions: a new copy is left out at once, a
    deleted root promotes its first copy."""
    before = search(q="harbour", collapse="dups")["total"]
    rec = dict(articles()[0], id="story-a-copy-4", source="wire-e", date="2026-03-08T10:00:00Z")
    assert srv.post("/articles", harness.jsonl([rec])).status == 200
    j = search(q="harbour", collapse="dups")
    assert j["total"] == before, j["total"]
    assert {h["id"]: h["copies"] for h in j["hits"]}["story-a"] == 4
    assert search(q="harbour")["total"] == 8
    assert srv.delete("/articles/story-a").status == 200
    j = search(q="harbour", collapse="dups")
    assert j["total"] == before, j["total"]
    got = {h["id"]: h["copies"] for h in j["hits"]}
    assert got.get("story-a-copy-1") == 3, got
    assert srv.get("/articles/story-a-copy-1/copies").json["story"] == "story-a-copy-1"


def newsq(*args):
    cmd = [harness.binary("newsq"), "-s", "http://127.0.0.1:%d" % srv.port] + list(args)
    e = {k: v for k, v in os.environ.items() if k not in ("NEWSQ_SERVER", "NO_COLOR")}
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, env=e, timeout=30)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def test_newsq_shows_stories_once():
    rc, out, err = newsq("search", "wheat", "harvest")
    assert rc == 0, err
    assert "story-b" in out and "story-b-copy-1" not in out, out
    assert "1 more copy\n" in out, out
    assert "1 of 1 hits" in out, out
    rc, out, err = newsq("search", "wheat", "harvest", "--all-copies")
    assert rc == 0, err
    assert "story-b-copy-1" in out and "more cop" not in out, out
    assert "2 of 2 hits" in out, out
    rc, out, err = newsq("search", "dockers", "--limit", "1")
    assert rc == 0, err
    assert "3 more copies\n" in out or "4 more copies\n" in out, out
    # the next-page hint repeats --all-copies (the cursor belongs to that search)
    rc, out, err = newsq("search", "harbour", "--limit", "1", "--all-copies")
    assert "--all-copies --cursor" in out, out
    rc, out, err = newsq("get", "story-c", "--all-copies")
    assert rc == 2 and "--all-copies does not apply to 'get'" in err, (rc, err)
