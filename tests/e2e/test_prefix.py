"""Prefixes as written: `immigrat*` finds "immigration" and "immigrated" (whose stem, "immigr",
does not begin with "immigrat") and not "immigrant"; the matched words are highlighted; the
totals are exact (a brute-force count over the words of the input, oracle.py) and the same in
/search, its facets and cursor pages, /timeline, /export and a saved watch."""
import json
import re
import time

import harness
import oracle

srv = None
corpus = None

TEXTS = [
    ("Immigration rules spark objections", "New immigration rules are meeting objections "
     "in Congress, where a staff member said the 1986 immigration law did not mean that."),
    ("Families immigrated decades ago", "They immigrated in 1990 and settled near the border; "
     "their children say the town is home."),
    ("Immigrant workers on farms", "Immigrants pick fruit on the farms; the growers say "
     "immigrant labour is scarce this year."),
    ("Council hoping for city funds", "Hoping for the best, the city council of Z\u00fcrich met "
     "on Monday; cities across the canton wait."),
    ("Exports rise again", "Exporters said export volumes grew and exported goods doubled, "
     "while importers were cautious."),
    ("Immigrating now", "Fewer people are immigrating now than in the past, the office says."),
    ("Border talks", "Talks on the border resumed; no word on immigration this time."),
    ("Caf\u00e9 owners", "Caf\u00e9 owners in the capital cafeteria district said trade was slow."),
]

PREFIXES = ["immigrat*", "immig*", "immigrant*", "immigrati*", "title:immigrat*",
            "body:immigrat*", "citi*", "city*", "hope*", "hopi*", "export*", "exporte*",
            "zuri*", "Z\u00fcri*", "caf*", "cafe*", "immigrat* border", "immigrat* -border",
            "immigrat* OR hopi*", "NEAR(immigrat* law, 5)", "immigrated*", "IMMIGRAT*"]


def records():
    out = []
    for i, (title, body) in enumerate(TEXTS):
        out.append({"id": "px-%d" % i, "title": title, "body": body,
                    "date": "2026-02-%02dT08:00:00Z" % (1 + 3 * i),
                    "source": "wire-a" if i % 2 else "wire-b"})
    return out


def setup_module():
    global srv, corpus
    srv = harness.Server("prefix", extra_args=["--extraction", "no", "--dedup", "no"]).start()
    r = srv.post("/articles", harness.jsonl(records()))
    assert r.status == 200 and r.json["accepted"] == len(TEXTS), r
    corpus = oracle.Corpus()
    for rec in records():
        corpus.add(rec)


def teardown_module():
    if srv:
        srv.stop()


def want_ids(q):
    return sorted(corpus.arts[n].id for n in corpus.eval(oracle.parse_query(q)))


def test_immigrat_finds_immigration_and_immigrated():
    j = srv.get("/search", q="immigrat*").json
    ids = sorted(h["id"] for h in j["hits"])
    assert ids == ["px-0", "px-1", "px-5", "px-6"], ids
    assert j["total"] == 4
    # immigrant(s) only through their own prefix
    assert sorted(h["id"] for h in srv.get("/search", q="immigrant*").json["hits"]) == ["px-2"]
    # a word without '*' still matches through its stem (immigration ~ immigrant: "immigr")
    assert srv.get("/search", q="immigration").json["total"] == 5


def test_highlights_mark_the_matched_words():
    j = srv.get("/search", q="immigrat*", snippets=3).json
    marked = set()
    for h in j["hits"]:
        for frag in [h["title_html"]] + h["snippets"]:
            marked |= {m.lower() for m in re.findall(r"<mark>(.*?)</mark>", frag)}
    assert marked == {"immigration", "immigrated", "immigrating"}, marked
    j = srv.get("/search", q="immig*").json
    marked = set()
    for h in j["hits"]:
        for frag in [h["title_html"]] + h["snippets"]:
            marked |= {m.lower() for m in re.findall(r"<mark>(.*?)</mark>", frag)}
    assert {"immigrant", "immigrants", "immigration"} <= marked, marked
    j = srv.get("/search", q="zuri*").json
    assert "<mark>Z\u00fcrich</mark>" in " ".join(j["hits"][0]["snippets"]), j["hits"][0]


def test_totals_exact_against_brute_force():
    for q in PREFIXES:
        want = want_ids(q)
        j = srv.get("/search", q=q, limit=100).json
        assert "error" not in j, (q, j)
        got = sorted(h["id"] for h in j["hits"])
        assert j["total"] == len(want) and got == want, (q, got, want)


def test_every_endpoint_agrees():
    for q in ("immigrat*", "immig*", "export*"):
        j = srv.get("/search", q=q, facets="dates,sources", limit=0).json
        total = j["total"]
        assert sum(b["count"] for b in j["facets"]["dates"]) == total, q
        assert sum(s["count"] for s in j["facets"]["sources"]) == total, q
        tl = srv.get("/timeline", q=q).json
        assert sum(b["count"] for b in tl["buckets"]) == total, (q, tl)
        ex = srv.get("/export", q=q)
        assert int(ex.headers["x-total"]) == total
        assert len(ex.body.decode().splitlines()) == total
        for sort in ("relevance", "newest"):
            ids, cursor = [], None
            while True:
                kw = {"q": q, "limit": 1, "sort": sort}
                if cursor:
                    kw["cursor"] = cursor
                p = srv.get("/search", **kw).json
                ids += [h["id"] for h in p["hits"]]
                cursor = p["next_cursor"]
                if not cursor:
                    break
            assert sorted(ids) == want_ids(q), (q, sort, ids)
        ents = srv.get("/entities", q=q)
        assert ents.status == 200, ents


def test_saved_watch_matches_prefix_as_written():
    r = srv.post("/watches", json.dumps({"q": "immigrat*"}))
    assert r.status == 201, r
    wid = r.json["id"]
    new = [{"id": "px-new-1", "title": "Immigrating families", "body": "More families are "
            "immigrating this spring.", "date": "2026-03-20T08:00:00Z"},
           {"id": "px-new-2", "title": "Immigrant shop", "body": "An immigrant opened a shop.",
            "date": "2026-03-21T08:00:00Z"}]
    assert srv.post("/articles", harness.jsonl(new)).status == 200
    for _ in range(100):
        w = srv.get("/watches/" + wid).json
        if w.get("matched"):
            break
        time.sleep(0.05)
    time.sleep(0.3)
    w = srv.get("/watches/" + wid).json
    assert w["matched"] == 1, w
    assert srv.delete("/watches/" + wid).status == 200
