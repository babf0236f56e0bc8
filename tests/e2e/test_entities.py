"""GET /entities, /entities/{name}, /entities/{name}/related and search facets, checked against
counts computed here from generated articles whose entities are given in the input (on a server
with extraction off, so the counts are exact), and entity extraction and aliases on the real
seed article (extraction on)."""
import calendar
import json
import os
import random
import shutil
import time
import urllib.parse

import harness

srv = None      # extraction off: entities exactly as given
ext = None      # extraction on (the default), the seed article indexed
ARTS = []       # the generated articles (dicts as posted)

PEOPLE = ["Ann Quillon", "Gamlen Ostrava", "Boris Tenfold", "Cleo Marrowby"]
ORGS = ["Gamma Holdings", "Zentrix Board", "Velto Union", "Quarn Agency"]
PLACES = ["Gammaland", "Port Ellisand", "Norvia", "Tessaly Bay"]
TYPE_OF = dict([(n, "person") for n in PEOPLE] + [(n, "org") for n in ORGS] +
               [(n, "place") for n in PLACES])
KEY_OF = {"person": "people", "org": "orgs", "place": "places"}
# How likely each entity is in an article: distinct, so the ranking is mostly strict.
PROB = dict(zip(PEOPLE + ORGS + PLACES,
                [0.55, 0.12, 0.30, 0.05, 0.45, 0.20, 0.35, 0.08, 0.50, 0.25, 0.40, 0.15]))
TOPICS = ["plovarin", "sketherow"]
SOURCES = ["wire-a", "wire-b", "wire-c"]
START = calendar.timegm((2025, 11, 3, 0, 0, 0))
DAYS = 116
SEED_ID = "000_17734199b23d2403"
ICE = "Immigration and Customs Enforcement"


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def day_start(s):
    y, m, d = (int(x) for x in s.split("-"))
    return calendar.timegm((y, m, d, 0, 0, 0))


def generate():
    """Lower-case text that mentions none of the entities (so extraction adds nothing to
    them); the entities are given in the input."""
    rnd = random.Random(4)
    out = []
    for i in range(90):
        t = START + rnd.randrange(DAYS) * 86400 + rnd.randrange(86400)
        topics = [w for w in TOPICS if rnd.random() < 0.4]
        ents = {"people": [], "orgs": [], "places": []}
        for name, p in PROB.items():
            if rnd.random() < p:
                ents[KEY_OF[TYPE_OF[name]]].append(name)
        out.append({"id": "ent-%03d" % i, "title": "bulletin %d on %s" % (i, " ".join(topics)
                                                                          or "nothing"),
                    "body": "this lowercase bulletin covers %s and little else, number %d." % (
                        " and ".join(topics) or "routine matters", i),
                    "date": iso(t), "source": SOURCES[i % 3], "entities": ents,
                    "_t": t, "_topics": topics})
    return out


def posted(a):
    return {k: v for k, v in a.items() if not k.startswith("_")}


def names_of(a):
    return [n for key in ("people", "orgs", "places") for n in a["entities"][key]]


def select(q=None, frm=None, to=None, source=None, entity=None):
    """The generated articles matching the filters (q is one topic word; a date-only to is
    inclusive of its day)."""
    lo = day_start(frm) if frm else None
    hi = day_start(to) + 86399 if to else None
    out = []
    for a in ARTS:
        if q and q not in a["_topics"]:
            continue
        if lo is not None and a["_t"] < lo:
            continue
        if hi is not None and a["_t"] > hi:
            continue
        if source and a["source"] != source:
            continue
        if entity and entity.lower() not in {n.lower() for n in names_of(a)}:
            continue
        out.append(a)
    return out


def counts(arts):
    c = {}
    for a in arts:
        for n in names_of(a):
            c[n] = c.get(n, 0) + 1
    return c


def setup_module():
    global srv, ext, ARTS
    ARTS = generate()
    d = harness.tmpdir("entities")
    srv = harness.Server("entities", extra_args=["--extraction", "no", "--dedup", "no"]).start()
    r = srv.post("/articles", harness.jsonl([posted(a) for a in ARTS]))
    assert r.status == 200 and r.json["accepted"] == len(ARTS), r
    # extraction on: the seed article through `newsd index` of its file, then the server
    db = os.path.join(d, "ext.db")
    if harness.SEED and os.path.exists(harness.SEED):
        src = os.path.join(d, "seed")
        os.makedirs(src)
        shutil.copy(harness.SEED, src)
        p = harness.run_index(db, [os.path.join(src, os.path.basename(harness.SEED))])
        assert p.returncode == 0, "newsd index of the seed: %s %s" % (p.stdout, p.stderr)
    ext = harness.Server("entities-ext", db=db).start()
    r = ext.post("/articles", harness.jsonl([posted(a) for a in ARTS]))
    assert r.status == 200 and r.json["accepted"] == len(ARTS), r


def teardown_module():
    srv.stop()
    ext.stop()


def entities(s=None, **params):
    r = (s or srv).get("/entities", params)
    assert r.status == 200, "/entities %s → %r" % (params, r)
    lst = r.json["entities"]
    for e in lst:
        for k in ("name", "type", "count", "aliases"):
            assert k in e, "entity lacks %s: %r" % (k, e)
        assert isinstance(e["aliases"], list), e
    cs = [e["count"] for e in lst]
    assert cs == sorted(cs, reverse=True), "/entities %s not most frequent first: %s" % (
        params, cs)
    return lst


def check_top(got, want, limit, what):
    """got (the server's list) is the top `limit` of the counts in want: every count right,
    ranking by count, ties in any order."""
    ranked = sorted(want.items(), key=lambda kv: -kv[1])
    n = min(limit, len(ranked))
    assert len(got) == n, "%s: %d entities, want %d: %s" % (what, len(got), n, got)
    for e in got:
        assert e["name"] in want, "%s: %r is not among the entities of the matches %s" % (
            what, e, sorted(want))
        assert e["count"] == want[e["name"]], "%s: %s count %d, computed %d" % (
            what, e["name"], e["count"], want[e["name"]])
        assert e["type"] == TYPE_OF[e["name"]], "%s: %s type %r, want %r" % (
            what, e["name"], e["type"], TYPE_OF[e["name"]])
    if n:
        cut = ranked[n - 1][1]
        must = {k for k, v in want.items() if v > cut}
        assert must <= {e["name"] for e in got}, "%s: lacks %s" % (
            what, must - {e["name"] for e in got})


# -- GET /entities -------------------------------------------------------------------------

def test_entities_counts_equal_the_input():
    want = counts(ARTS)
    got = entities(limit=1000)
    assert {e["name"] for e in got} == set(want), "names %s, want %s" % (
        sorted(e["name"] for e in got), sorted(want))
    check_top(got, want, 1000, "GET /entities")


def test_entities_type_filter():
    for t in ("person", "org", "place"):
        want = {n: c for n, c in counts(ARTS).items() if TYPE_OF[n] == t}
        got = entities(type=t, limit=1000)
        assert all(e["type"] == t for e in got), "type=%s: %s" % (t, got)
        check_top(got, want, 1000, "type=%s" % t)
    harness.check_error(srv.get("/entities", type="company"), 400, "bad_parameter")
    harness.check_error(srv.get("/entities", type="Person "), 400, "bad_parameter")


def test_entities_prefix_filter():
    c = counts(ARTS)
    for prefix, names in (("gam", ["Gamlen Ostrava", "Gamma Holdings", "Gammaland"]),
                          ("GAMMA", ["Gamma Holdings", "Gammaland"]),
                          ("port e", ["Port Ellisand"]), ("zzz", [])):
        got = entities(prefix=prefix, limit=1000)
        check_top(got, {n: c[n] for n in names}, 1000, "prefix=%s" % prefix)
    got = entities(prefix="gam", type="place")
    check_top(got, {"Gammaland": c["Gammaland"]}, 1000, "prefix=gam&type=place")


def test_entities_limit():
    want = counts(ARTS)
    for n in (1, 3, 5):
        check_top(entities(limit=n), want, n, "limit=%d" % n)
    for bad in (0, -1, "x", "2.5", 1001):
        harness.check_error(srv.get("/entities", limit=bad), 400, "bad_parameter")


def test_entities_filtered_counts():
    cases = [{"q": "plovarin"}, {"q": "sketherow"},
             {"from": "2025-12-01", "to": "2026-01-15"}, {"to": "2025-11-30"},
             {"q": "plovarin", "from": "2026-01-01"}, {"source": "wire-b"},
             {"entity": "norvia"}]
    for p in cases:
        want = counts(select(p.get("q"), p.get("from"), p.get("to"), p.get("source"),
                             p.get("entity")))
        got = entities(limit=1000, **p)
        check_top(got, want, 1000, "/entities %s" % p)


def test_entities_errors():
    for p in ({"limt": 5}, {"type": "org", "prefx": "g"}, {"name": "x"}):
        e = harness.check_error(srv.get("/entities", p), 400)
        assert e["code"] in ("bad_parameter", "bad_request"), e
    harness.check_error(srv.get("/entities", from_="1987-13-01"), 400, "bad_date")
    harness.check_error(srv.get("/entities", q='"unbalanced'), 400, "bad_query")


# -- GET /entities/{name} ------------------------------------------------------------------

def entity_path(name, suffix=""):
    return "/entities/" + urllib.parse.quote(name, safe="") + suffix


def test_entity_card():
    for name in PEOPLE + ORGS + PLACES:
        arts = [a for a in ARTS if name in names_of(a)]
        for spelled in (name, name.lower(), name.upper()):
            r = srv.get(entity_path(spelled))
            assert r.status == 200, "GET %s → %r" % (entity_path(spelled), r)
            e = r.json
            assert e["name"] == name and e["type"] == TYPE_OF[name], "%s: %r" % (spelled, e)
            assert e["count"] == len(arts), "%s: count %r, computed %d" % (name, e["count"],
                                                                          len(arts))
            assert e["first_seen"] == iso(min(a["_t"] for a in arts)), (name, e)
            assert e["last_seen"] == iso(max(a["_t"] for a in arts)), (name, e)
            assert isinstance(e["aliases"], list), e
    # spaces escaped as %20 (and the raw path as a browser would send it)
    r = srv.request("GET", "/entities/Port%20Ellisand")
    assert r.status == 200 and r.json["name"] == "Port Ellisand", r


def test_entity_unknown_is_404():
    for name in ("Nobody Atall", "gam", "Gammaland Extra", "x/y"):
        harness.check_error(srv.get(entity_path(name)), 404, "not_found")
    harness.check_error(srv.get(entity_path("Norvia"), limit=3), 400)


# -- GET /entities/{name}/related ----------------------------------------------------------

def lift_table(name, frm=None, to=None, min_count=2):
    arts = select(frm=frm, to=to)
    n_all = len(arts)
    per = counts(arts)
    mine = [a for a in arts if name in names_of(a)]
    shared = counts(mine)
    out = {}
    for other, c in shared.items():
        if other == name or c < min_count:
            continue
        out[other] = (c, c * n_all / (len(mine) * per[other]))
    return out


def check_related(name, params, want):
    r = srv.get(entity_path(name, "/related"), params)
    assert r.status == 200, "%s related %s → %r" % (name, params, r)
    assert r.json["entity"] == name, r.json
    rel = r.json["related"]
    got = {e["name"]: e for e in rel}
    assert len(got) == len(rel), "%s: duplicates in related: %s" % (name, rel)
    assert set(got) == set(want), "%s related %s: names %s, computed %s" % (
        name, params, sorted(got), sorted(want))
    for other, (c, lift) in want.items():
        e = got[other]
        assert e["count"] == c, "%s~%s: count %r, shared articles %d" % (name, other,
                                                                         e["count"], c)
        assert abs(e["score"] - lift) < 1e-4, "%s~%s %s: score %r, lift %.6f" % (
            name, other, params, e["score"], lift)
        assert e["type"] == TYPE_OF[other], e
    scores = [e["score"] for e in rel]
    assert scores == sorted(scores, reverse=True), "%s: not sorted by score: %s" % (name,
                                                                                    scores)


def test_related_counts_and_lift():
    for name in PEOPLE + ORGS + PLACES:
        check_related(name, {"limit": 1000}, lift_table(name))


def test_related_date_range():
    for frm, to in (("2025-12-01", "2026-01-15"), ("2026-01-01", None), (None, "2025-12-20")):
        for name in ("Ann Quillon", "Gammaland", "Velto Union"):
            check_related(name, {"limit": 1000, "from": frm, "to": to},
                          lift_table(name, frm, to))


def test_related_type_limit_and_errors():
    want = {k: v for k, v in lift_table("Ann Quillon").items() if TYPE_OF[k] == "place"}
    check_related("Ann Quillon", {"type": "place", "limit": 1000}, want)
    r = srv.get(entity_path("ann quillon", "/related"), limit=2)
    assert r.status == 200 and len(r.json["related"]) == 2, r
    best = sorted(lift_table("Ann Quillon").values(), key=lambda v: -v[1])[:2]
    assert all(abs(e["score"] - v[1]) < 1e-4 for e, v in zip(r.json["related"], best)), \
        "limit=2 is not the two best lifts: %r, computed %r" % (r.json, best)
    harness.check_error(srv.get(entity_path("Nobody Atall", "/related")), 404, "not_found")
    harness.check_error(srv.get(entity_path("Norvia", "/related"), type="thing"), 400,
                        "bad_parameter")
    harness.check_error(srv.get(entity_path("Norvia", "/related"), q="x"), 400)


# -- facets on /search -----------------------------------------------------------------------

def test_search_facets():
    for p in ({"q": "plovarin"}, {"q": "sketherow", "from": "2026-01-01"},
              {"source": "wire-c"}, {"entity": "Quarn Agency"}):
        arts = select(p.get("q"), p.get("from"), p.get("to"), p.get("source"), p.get("entity"))
        r = srv.get("/search", dict(p, facets="entities,sources,dates", limit=1, snippets=0))
        assert r.status == 200, r
        assert r.json["total"] == len(arts), (p, r.json["total"], len(arts))
        f = r.json.get("facets")
        assert isinstance(f, dict) and set(f) == {"entities", "sources", "dates"}, f
        check_top(f["entities"], counts(arts), 1000, "facets.entities %s" % p)
        src = {}
        for a in arts:
            src[a["source"]] = src.get(a["source"], 0) + 1
        assert {s["name"]: s["count"] for s in f["sources"]} == src, (p, f["sources"], src)
        check_date_facet(f["dates"], arts, p)
    r = srv.get("/search", q="plovarin", facets="sources")
    assert r.status == 200 and set(r.json["facets"]) == {"sources"}, r.json.get("facets")
    r = srv.get("/search", q="plovarin")
    assert "facets" not in r.json or not r.json["facets"], "facets without facets=: %r" % (
        r.json["facets"])
    for bad in ("authors", "entities,bogus", "ENTITIES"):
        harness.check_error(srv.get("/search", q="plovarin", facets=bad), 400, "bad_parameter")


def check_date_facet(dates, arts, p):
    """The dates facet: consecutive buckets of one interval (inferred from the starts), each
    counting the matches in it."""
    assert dates, "%s: empty dates facet" % p
    starts = [day_start(b["start"]) // 86400 for b in dates]
    steps = {b - a for a, b in zip(starts, starts[1:])}
    if steps <= {1}:
        key = lambda t: t // 86400                                          # noqa: E731
    elif steps <= {7}:
        key = lambda t: (t // 86400 + 3) // 7                               # noqa: E731
    else:
        assert steps <= {28, 29, 30, 31}, "%s: dates facet steps %s" % (p, steps)
        key = lambda t: time.gmtime(t)[:2]                                  # noqa: E731
    want = {}
    for a in arts:
        want[key(a["_t"])] = want.get(key(a["_t"]), 0) + 1
    got = {key(day_start(b["start"])): b["count"] for b in dates}
    assert {k: v for k, v in got.items() if v} == want, "%s: dates facet %s" % (p, dates)
    assert sum(b["count"] for b in dates) == len(arts), (p, dates)


# -- extraction on ---------------------------------------------------------------------------

def require_seed():
    if not harness.SEED or not os.path.exists(harness.SEED):
        harness.skip("../shared/seeds absent: skipping the seed article test")


def test_given_entities_kept_with_extraction_on():
    # the text never names them: counts as given, on the extracting server too
    want = counts(ARTS)
    for name in PEOPLE + ORGS + PLACES:
        r = ext.get(entity_path(name))
        assert r.status == 200, "%s → %r" % (name, r)
        assert r.json["count"] == want[name] and r.json["type"] == TYPE_OF[name], (
            name, r.json, want[name])


def test_acronym_and_full_name_are_one_entity():
    require_seed()

    def ids(entity):
        r = ext.get("/search", entity=entity, limit=100, snippets=0)
        assert r.status == 200, r
        return [h["id"] for h in r.json["hits"]], r.json["total"]
    a = ids("ICE")
    assert SEED_ID in a[0], "entity=ICE does not find the seed article: %s" % (a,)
    for spelled in (ICE, ICE.lower(), "ice"):
        assert ids(spelled) == a, "entity=%s %s, entity=ICE %s" % (spelled, ids(spelled), a)
    for spelled in ("ICE", "ice", ICE, ICE.upper()):
        r = ext.get(entity_path(spelled))
        assert r.status == 200, "GET %s → %r" % (entity_path(spelled), r)
        e = r.json
        assert e["name"] == ICE and e["type"] == "org", "%s resolves to %r" % (spelled, e)
        assert "ICE" in e["aliases"], "ICE not among the aliases of %r" % e
        assert e["first_seen"] == e["last_seen"] == "2026-01-07T00:00:00Z", e
    r = ext.get(entity_path("ICE", "/related"), min_count=1)
    assert r.status == 200 and r.json["entity"] == ICE, r


def test_hits_list_entities_by_type():
    require_seed()
    r = ext.get("/search", q="Minneapolis", limit=10)
    assert r.status == 200 and r.json["hits"], r
    for h in r.json["hits"]:
        ents = h["entities"]
        assert set(ents) == {"people", "orgs", "places"}, ents
        for key, lst in ents.items():
            assert isinstance(lst, list), ents
    h = [x for x in r.json["hits"] if x["id"] == SEED_ID][0]
    names = {key: {(e["name"] if isinstance(e, dict) else e) for e in lst}
             for key, lst in h["entities"].items()}
    assert "Minneapolis" in names["places"], names
    assert ICE in names["orgs"], names
    assert "Kristi Noem" in names["people"] or "Tricia McLaughlin" in names["people"], names
    # the card agrees with the hit on the type
    for typ, key in KEY_OF.items():
        for n in names[key]:
            r = ext.get(entity_path(n))
            assert r.status == 200 and r.json["type"] == typ, "%s listed under %s: %r" % (
                n, key, r)


def test_aliases_from_text():
    # an acronym introduced in parentheses, and a surname used after the full name
    body = ("The Velmora Standards Agency (VSA) said on Monday that the rules would change. "
            "Harriet Quenby, who leads the review, spoke to reporters. Quenby said the VSA "
            "would publish a report next month.")
    r = ext.post("/articles", json.dumps({"id": "alias-1", "title": "review of standards",
                                          "body": body, "date": "2026-02-02T09:00:00Z",
                                          "entities": {"places": ["Norvia"]}}))
    assert r.status == 200 and r.json["accepted"] == 1, r
    e = ext.get(entity_path("VSA"))
    assert e.status == 200 and e.json["name"] == "Velmora Standards Agency" and \
        e.json["type"] == "org" and "VSA" in e.json["aliases"], e
    e = ext.get(entity_path("Quenby"))
    assert e.status == 200 and e.json["name"] == "Harriet Quenby" and \
        e.json["type"] == "person", e
    a = [h for h in ext.get("/search", q="velmora").json["hits"] if h["id"] == "alias-1"]
    assert a, "alias-1 not found by q=velmora"
    ents = {key: {(x["name"] if isinstance(x, dict) else x) for x in lst}
            for key, lst in a[0]["entities"].items()}
    assert "Norvia" in ents["places"], "the given entity was not merged: %s" % ents
    assert "Velmora Standards Agency" in ents["orgs"], ents
    assert "Harriet Quenby" in ents["people"] and "Quenby" not in ents["people"], ents
    got = {h["id"] for h in ext.get("/search", entity="vsa").json["hits"]}
    assert got == {"alias-1"}, got


# -- counts from memory, across writes (last: it changes ARTS) --------------------------------

def columns_at(version):
    """Wait until /stats says the in-memory sources and entities (columns.c) are read at
    version (a facet request brings them up to the index version)."""
    deadline = time.time() + 20
    while True:
        assert srv.get("/search", q="plovarin", facets="sources").status == 200
        r = srv.get("/stats")
        assert r.status == 200, r
        c = r.json.get("columns")
        if c and c["version"] >= version:
            return c
        assert time.time() < deadline, "columns never read: %r" % c
        time.sleep(0.1)


def test_counts_follow_writes():
    """Facets, /entities?q= and related, counted from the in-memory columns, stay exact after
    updates that change articles' sources and entities, and after deletions."""
    c = columns_at(srv.health()["index_version"])
    assert c["rows"] == len(ARTS) and c["bytes"] > 0, c
    rnd = random.Random(9)
    changed = rnd.sample(ARTS, 12)
    for a in changed[:10]:
        a["source"] = "wire-d"
        a["entities"] = {"people": ["Ann Quillon"], "orgs": [], "places": ["Norvia"]}
    r = srv.post("/articles", harness.jsonl([posted(a) for a in changed[:10]]))
    assert r.status == 200 and r.json["updated"] == 10, r
    for a in changed[10:]:
        r = srv.delete(harness.article_path(a["id"]))
        assert r.status in (200, 204), r
        ARTS.remove(a)
    version = srv.health()["index_version"]
    for p in ({"q": "plovarin"}, {"q": "sketherow"}, {"source": "wire-d"}):
        arts = select(p.get("q"), source=p.get("source"))
        r = srv.get("/search", dict(p, facets="entities,sources", limit=1, snippets=0))
        assert r.status == 200 and r.json["total"] == len(arts), (p, r)
        f = r.json["facets"]
        check_top(f["entities"], counts(arts), 1000, "after writes: facets.entities %s" % p)
        src = {}
        for a in arts:
            src[a["source"]] = src.get(a["source"], 0) + 1
        assert {s["name"]: s["count"] for s in f["sources"]} == src, (p, f["sources"], src)
        if "q" in p:
            got = {e["name"]: e["count"] for e in entities(q=p["q"], limit=1000)}
            assert got == counts(arts), ("after writes: /entities?q=%s" % p["q"], got)
    assert columns_at(version)["version"] == version
    check_related("Ann Quillon", {"min_count": 1, "limit": 1000},
                  lift_table("Ann Quillon", min_count=1))
