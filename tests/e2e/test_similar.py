"""GET /articles/{id}/similar and `newsq similar`: articles about the same story, the article
itself left out, wire copies marked, ties to the newer article, filters, 404 for an unknown id.
Generated stories on a server with wire-copy detection on (the default)."""
import os
import subprocess

import harness

srv = None

STORIES = {
    "harbour": ("Dockers strike shuts Port Vellan harbour",
                "Dockers at Port Vellan harbour walked out on %s over pay, leaving container "
                "ships waiting at anchor and cranes idle along the quays. The Dockers Union said "
                "the strike would last until the harbour authority raised its offer, and "
                "shipping agents diverted cargo to other ports while the talks stalled again.",
                {"orgs": ["Dockers Union"], "places": ["Port Vellan"]}),
    "wheat": ("Wheat harvest in Marlow valley beats forecasts",
              "Farmers in the Marlow valley brought in a wheat harvest on %s that beat every "
              "forecast, as dry weather let combines work late into the evening. Grain silos "
              "filled early and millers said flour prices could ease once the new crop reached "
              "the market, according to the regional farm bureau.",
              {"orgs": ["Marlow Farm Bureau"], "places": ["Marlow"]}),
    "vote": ("Senate vote on Quillon budget delayed",
             "The senate postponed its vote on the Quillon budget on %s after senators asked for "
             "more time to study the spending plan. Finance minister Ann Quillon said the "
             "delay would not change the deficit target, while opposition leaders promised "
             "amendments on pensions and regional grants.",
             {"people": ["Ann Quillon"], "places": ["Capitol"]}),
}
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def articles():
    out = []
    for k, (title, body, ents) in STORIES.items():
        for i, day in enumerate(DAYS):
            out.append({"id": "%s-%d" % (k, i), "title": "%s (%s)" % (title, day),
                        "body": (body % day) + (" Report number %d of the series." % i) * (i % 3),
                        "date": "2026-03-%02dT10:00:00Z" % (2 + 3 * i),
                        "source": "wire-a" if i % 2 else "wire-b", "entities": ents})
    # wire copies of harbour-0: the same text re-sent later, twice (one an exact copy)
    h0 = out[0]
    out.append(dict(h0, id="harbour-copy-1", date="2026-03-02T12:00:00Z", source="wire-c"))
    out.append(dict(h0, id="harbour-copy-2", date="2026-03-02T15:00:00Z", source="wire-c"))
    return out


def setup_module():
    global srv
    srv = harness.Server("similar").start()
    r = srv.post("/articles", harness.jsonl(articles()))
    assert r.status == 200 and r.json["accepted"] == 20, r
    r = srv.get("/articles/harbour-copy-1")
    assert r.json["dup_of"] == "harbour-0", ("wire-copy detection did not group the copy", r)


def teardown_module():
    if srv:
        srv.stop()


def similar(id_, **kw):
    r = srv.get(harness.article_path(id_) + "/similar", **kw)
    assert r.status == 200, r
    return r.json


def test_same_story_first_self_excluded():
    for k in STORIES:
        for i in (0, 3):
            id_ = "%s-%d" % (k, i)
            j = similar(id_, limit=5)
            assert j["id"] == id_
            ids = [x["id"] for x in j["similar"]]
            assert id_ not in ids, ids
            assert len(ids) == 5 and all(x.startswith(k) for x in ids), (id_, ids)
            scores = [x["score"] for x in j["similar"]]
            assert scores == sorted(scores, reverse=True), scores
            for x in j["similar"]:
                assert set(x) == {"id", "title", "date", "source", "score", "copy"}, x


def test_wire_copies_marked_and_ties_go_to_the_newer():
    j = similar("harbour-0", limit=3)
    top = j["similar"][:2]
    # the two copies have the same text: the same score, so the newer comes first
    assert [x["id"] for x in top] == ["harbour-copy-2", "harbour-copy-1"], j["similar"]
    assert top[0]["score"] == top[1]["score"]
    assert all(x["copy"] for x in top), top
    # from a copy, the original and the other copy are copies too
    marks = {x["id"]: x["copy"] for x in similar("harbour-copy-1", limit=10)["similar"]}
    assert marks["harbour-0"] and marks["harbour-copy-2"], marks

    # "copy" is exactly "in the same wire-copy group" (dup_of, or the article itself)
    def root(id_):
        return srv.get(harness.article_path(id_)).json["dup_of"] or id_
    for id_ in ("harbour-3", "wheat-1", "vote-5", "harbour-copy-2"):
        for x in similar(id_, limit=10)["similar"]:
            assert x["copy"] == (root(x["id"]) == root(id_)), (id_, x)


def test_filters_and_limit():
    j = similar("wheat-0", limit=2)
    assert len(j["similar"]) == 2
    j = similar("wheat-0", source="wire-a", limit=10)
    assert j["similar"] and all(x["source"] == "wire-a" for x in j["similar"]), j
    j = similar("wheat-0", from_="2026-03-10", to="2026-03-14", limit=10)
    assert j["similar"] and all("2026-03-10" <= x["date"][:10] <= "2026-03-14"
                                for x in j["similar"]), j
    assert similar("wheat-0", source="no-such-source")["similar"] == []


def test_errors():
    harness.check_error(srv.get("/articles/no-such-id/similar"), 404, "not_found")
    harness.check_error(srv.get("/articles/wheat-0/similar", limit=0), 400, "bad_parameter")
    harness.check_error(srv.get("/articles/wheat-0/similar", limit=101), 400, "bad_parameter")
    harness.check_error(srv.get("/articles/wheat-0/similar", q="x"), 400, "bad_parameter")
    harness.check_error(srv.get("/articles/wheat-0/similar", from_="nonsense"), 400, "bad_date")
    harness.check_error(srv.request("DELETE", "/articles/wheat-0/similar"), 405)
    assert srv.head("/articles/wheat-0/similar").status == 200
    # the article itself is still there, and still deletable by its own path
    assert srv.get("/articles/wheat-0").status == 200


def test_newsq_similar():
    url = "http://127.0.0.1:%d" % srv.port
    env = dict(os.environ, NO_COLOR="1")

    def run(*args):
        p = subprocess.run([harness.binary("newsq"), "-s", url] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, env=env, timeout=30)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    rc, out, err = run("similar", "harbour-0", "--limit", "3")
    assert rc == 0, (rc, out, err)
    lines = out.strip().splitlines()
    assert len(lines) == 3 and "harbour-copy-2" in lines[0] and "[copy]" in lines[0], out
    rc, out, err = run("similar", "harbour-0", "--json")
    assert rc == 0 and '"similar"' in out
    rc, out, err = run("similar", "no-such-id")
    assert rc == 3 and "no article" in err, (rc, out, err)
    rc, out, err = run("similar")
    assert rc == 2, (rc, out, err)
