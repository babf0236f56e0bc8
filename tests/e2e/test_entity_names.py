"""One name per entity: entities given in the input as codes (Reuters tags such as `reagan`,
`yeutter`, `clayton-yeutter`, `worldbank`, `ec`, `usa`) resolve to the same entity as the names
extraction finds, with the code kept as an alias. Checked on generated articles (the code
table, the gazetteers, slugs, a surname joining the full name in its article and across
articles) and on the shipped Reuters corpus, indexed with extraction on (the default)."""
import os
import re

import harness

gen = None      # generated articles, extraction on
reu = None      # Reuters, extraction on


def art(i, body, people=(), orgs=(), places=(), title=None):
    return {"id": "en-%d" % i, "title": title or "bulletin %d" % i, "body": body,
            "date": "2026-02-%02dT09:00:00Z" % (i + 1), "source": "wire",
            "entities": {"people": list(people), "orgs": list(orgs), "places": list(places)}}


GEN = [
    # a code-only article first: the code table names the entity before any text does
    art(0, "the farm talks went on without a result.", people=["yeutter"], orgs=["worldbank"],
        places=["usa", "west-germany"]),
    art(1, "U.S. Trade Representative Clayton Yeutter said on Monday that the World Bank "
        "would lend more. Yeutter spoke in Washington.", people=["clayton-yeutter"],
        orgs=["worldbank"], places=["usa"]),
    # a slug the table does not know, then its surname alone in a later article
    art(2, "Finance minister Ann Quillon said the budget was sound. Quillon declined to "
        "give details.", people=["ann-quillon"]),
    art(3, "the budget debate went on late into the night.", people=["quillon"]),
    # a surname with its full name in the same article (no alias in the text)
    art(4, "Trade minister Peter Zelinka said on Tuesday the fair would open.",
        people=["zelinka"]),
    art(5, "the european community and the ec commission met.", orgs=["ec"]),
]


def setup_module():
    global gen
    gen = harness.Server("entity-names").start()
    for a in GEN:        # one write each: resolution across committed articles
        r = gen.post("/articles", harness.jsonl([a]))
        assert r.status == 200 and r.json["accepted"] == 1, r


def teardown_module():
    for s in (gen, reu):
        if s:
            s.stop()


def names(srv, type_, limit=1000, **kw):
    r = srv.get("/entities", type=type_, limit=limit, **kw)
    assert r.status == 200, r
    return {e["name"]: e for e in r.json["entities"]}


def test_codes_take_their_names():
    people, orgs, places = (names(gen, t) for t in ("person", "org", "place"))
    assert "Clayton Yeutter" in people and people["Clayton Yeutter"]["count"] == 2, people
    for code in ("yeutter", "Yeutter", "clayton-yeutter", "quillon", "Quillon", "zelinka",
                 "Zelinka"):
        assert code not in people, (code, sorted(people))
    assert "World Bank" in orgs and orgs["World Bank"]["count"] == 2, orgs
    assert "European Community" in orgs and "ec" not in orgs, sorted(orgs)
    assert "United States" in places and "usa" not in places, sorted(places)
    assert "West Germany" in places and "west-germany" not in places, sorted(places)
    assert "worldbank" in orgs["World Bank"]["aliases"], orgs["World Bank"]


def test_slug_and_surname_join_the_full_name():
    people = names(gen, "person")
    assert people.get("Ann Quillon", {}).get("count") == 2, sorted(people.items())
    assert people.get("Peter Zelinka", {}).get("count") == 1, sorted(people.items())
    a = gen.get("/articles/en-3").json
    assert a["entities"]["people"] == ["Ann Quillon"], a["entities"]
    a = gen.get("/articles/en-4").json
    assert a["entities"]["people"] == ["Peter Zelinka"], a["entities"]


def test_codes_still_find_the_entity():
    for code, full in (("yeutter", "Clayton Yeutter"), ("worldbank", "World Bank"),
                       ("usa", "United States"), ("clayton-yeutter", "Clayton Yeutter")):
        r = gen.get("/entities/" + code)
        assert r.status == 200 and r.json["name"] == full, (code, r)
        a = gen.get("/search", entity=code, limit=0).json["total"]
        b = gen.get("/search", entity=full, limit=0).json["total"]
        assert a == b and a > 0, (code, a, b)


# -- the shipped Reuters corpus --------------------------------------------------------------

def reuters():
    global reu
    harness.require_shared()
    if reu is None:
        d = harness.tmpdir("entity-names-reuters")
        db = os.path.join(d, "r.db")
        p = harness.run_index(db, [harness.REUTERS], timeout=600)
        assert p.returncode == 0, p.stderr[-2000:]
        reu = harness.Server("entity-names-reuters", db=db).start()
    return reu


def test_reuters_people_once():
    people = names(reuters(), "person")
    for name in ("Ronald Reagan", "Clayton Yeutter", "Howard Baker", "James Baker",
                 "Paul Volcker", "Yasuhiro Nakasone"):
        assert name in people, (name, sorted(people)[:50])
    for code in ("reagan", "Reagan", "yeutter", "Yeutter", "howard-baker", "volcker",
                 "james-baker", "nakasone"):
        assert code not in people, code
    assert "reagan" in people["Ronald Reagan"]["aliases"], people["Ronald Reagan"]
    # no code-shaped person at all among those named in 3 or more articles
    codes = [n for n, e in people.items() if e["count"] >= 3 and not re.search("[A-Z]", n)]
    assert not codes, codes


def test_reuters_orgs_and_places_once():
    srv = reuters()
    orgs, places = names(srv, "org"), names(srv, "place")
    for name, code in (("World Bank", "worldbank"), ("European Community", "ec"),
                       ("International Monetary Fund", "imf")):
        assert name in orgs and code not in orgs, (name, code, sorted(orgs)[:50])
        assert code in [x.lower() for x in orgs[name]["aliases"]], orgs[name]
    for name, code in (("United States", "usa"), ("United Kingdom", "uk"),
                       ("Soviet Union", "ussr"), ("West Germany", "west-germany")):
        assert name in places and code not in places, (name, code)
    codes = [n for n, e in list(orgs.items()) + list(places.items())
             if e["count"] >= 3 and not re.search("[A-Z]", n)]
    assert not codes, codes
