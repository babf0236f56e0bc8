"""Languages (API.md, Languages; issue 13 item 1): articles in nine languages written for
this test (tests/e2e/data/multilang.jsonl: dates, sources, entities; some with lang, some
without so that it is detected), stemmed each in its own language. The lang filter and the
languages it stems the query in, facets=langs, /stats per language, highlights in
non-English hits, detection, 400 for a lang that is not ISO 639-1, newsq --lang, and a
watch matching German words the German way."""
import json
import os
import subprocess

import harness

srv = None
DATA = os.path.join(harness.HERE, "data", "multilang.jsonl")


def records():
    with open(DATA, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def setup_module():
    global srv
    srv = harness.Server("languages").start()
    with open(DATA, "rb") as f:
        r = srv.post("/articles", f.read())
    assert r.status == 200 and r.json["accepted"] == len(records()), r


def teardown_module():
    if srv:
        srv.stop()


def ids(params):
    r = srv.get("/search", params=params)
    assert r.status == 200, r
    return sorted(h["id"] for h in r.json["hits"])


def test_detected_when_absent():
    want = {"de-haus": "de", "fr-port": "fr", "es-lluvias": "es", "it-treni": "it",
            "en-wahlen": "en"}
    for rec in records():
        assert ("lang" in rec) != (rec["id"] in want), rec["id"]
    for id_, lang in want.items():
        r = srv.get(harness.article_path(id_))
        assert r.status == 200 and r.json["lang"] == lang, (id_, r.json.get("lang"))
    # a given lang is kept (normalised: region dropped)
    assert srv.get(harness.article_path("sv-val")).json["lang"] == "sv"


def test_german_query_finds_singular():
    # "Wahlen" stemmed the German way is "wahl": the article says only "Wahl"
    r = srv.get("/search", params={"q": "Wahlen", "lang": "de", "snippets": 1})
    assert r.status == 200, r
    assert [h["id"] for h in r.json["hits"]] == ["de-wahl"], r.json
    assert r.json["query"]["lang"] == ["de"]
    hit = r.json["hits"][0]
    assert "<mark>Wahl</mark>" in hit["title_html"], hit["title_html"]
    assert "<mark>Wahl</mark>" in hit["snippets"][0], hit["snippets"]


def test_english_query_does_not_stem_german():
    # in English, "wahlen" is a word of its own (the Swiss village), not "Wahl"
    assert ids({"q": "Wahlen", "lang": "en"}) == ["en-wahlen"]
    # by default every language of the index stems the word its own way: both
    assert ids({"q": "Wahlen"}) == ["de-wahl", "en-wahlen"]
    # English stemming as ever: elections finds election(s) in English articles
    assert ids({"q": "election", "lang": "en"}) == ["en-elections"]


def test_each_language_its_own_stems():
    cases = [
        ({"q": "élection", "lang": "fr"}, ["fr-elections"]),
        ({"q": "elección", "lang": "es"}, ["es-elecciones"]),
        ({"q": "governi", "lang": "it"}, ["it-governo"]),
        ({"q": "verkiezing", "lang": "nl"}, ["nl-verkiezingen"]),
        ({"q": "Häuser", "lang": "de"}, ["de-haus"]),
        ({"q": "выборов", "lang": "ru"}, ["ru-vybory"]),
        ({"q": "transportes", "lang": "pt"}, ["pt-eleicoes"]),
        # phrase and prefix queries in another language
        ({"q": '"knappe Mehrheiten"', "lang": "de"}, ["de-wahl"]),
        ({"q": "wahl*", "lang": "de"}, ["de-wahl"]),
        ({"q": "elecc*"}, ["es-elecciones"]),
        # diacritics fold as before
        ({"q": "elections municipales"}, ["fr-elections"]),
    ]
    for params, want in cases:
        assert ids(params) == want, (params, ids(params))


def test_highlights_in_other_languages():
    for q, lang, word in (("elecciones", "es", "elecciones"), ("выборы", "ru", "Выборы"),
                          ("valet", "sv", "Valet"), ("riforme", "it", "riforma")):
        r = srv.get("/search", params={"q": q, "lang": lang, "snippets": 1})
        assert r.status == 200 and r.json["total"] == 1, (q, r.json)
        h = r.json["hits"][0]
        marked = h["title_html"] + " ".join(h["snippets"])
        assert "<mark>%s</mark>" % word in marked, (q, marked)


def test_lang_filter():
    assert ids({"lang": "de"}) == ["de-haus", "de-wahl"]
    assert ids({"lang": ["de", "fr"]}) == ["de-haus", "de-wahl", "fr-elections", "fr-port"]
    assert ids({"lang": "en"}) == ["en-elections", "en-wahlen"]
    assert ids({"lang": ["en", "sv"]}) == ["en-elections", "en-wahlen", "sv-val"]
    assert ids({"lang": "es", "source": "El Diario"}) == ["es-elecciones", "es-lluvias"]
    assert ids({"lang": "it", "entity": "Paolo Renzetti"}) == ["it-governo"]
    assert ids({"lang": "fi"}) == []
    r = srv.get("/search", params={"lang": "de", "from": "2026-02-03", "to": "2026-02-03"})
    assert [h["id"] for h in r.json["hits"]] == ["de-haus"], r.json


def test_facet_and_stats():
    r = srv.get("/search", params={"q": "Wahlen OR elections OR Wahl", "facets": "langs"})
    assert r.status == 200, r
    langs = {f["name"]: f["count"] for f in r.json["facets"]["langs"]}
    assert langs == {"de": 1, "en": 2, "fr": 1}, r.json["facets"]
    r = srv.get("/search", params={"facets": "langs,sources", "limit": 0})
    facet = r.json["facets"]["langs"]
    assert facet[0] == {"name": "de", "count": 2} or facet[0]["count"] == 2, facet
    assert sum(f["count"] for f in facet) == len(records()) == r.json["total"]
    stats = srv.get("/stats").json
    want = {}
    for rec in records():
        lang = srv.get(harness.article_path(rec["id"])).json["lang"]
        want[lang] = want.get(lang, 0) + 1
    assert stats["langs"] == want, stats["langs"]


def test_bad_lang_is_400():
    for bad in ("xx", "DE", "deu", "german", "", "d"):
        e = harness.check_error(srv.get("/search", params={"q": "Wahl", "lang": bad}), 400,
                                "bad_parameter")
        assert "ISO 639-1" in e["message"], e
    harness.check_error(srv.get("/search", params={"facets": "languages"}), 400, "bad_parameter")


def test_update_changes_language():
    # re-ingested in another language: the old words leave with the old stems
    rec = {"id": "switch", "date": "2026-03-01", "title": "Die Wahlen", "lang": "de",
           "body": "Die Wahlen in Hamburg sind vorbei."}
    assert srv.post("/articles", harness.jsonl([rec])).status == 200
    assert "switch" in ids({"q": "Wahl", "lang": "de"})
    rec.update(lang="en", title="The Wahlen trail", body="A walk near Wahlen in the Jura.")
    assert srv.post("/articles", harness.jsonl([rec])).status == 200
    assert "switch" not in ids({"q": "Wahl", "lang": "de"})
    assert "switch" in ids({"q": "Wahlen", "lang": "en"})
    assert srv.delete(harness.article_path("switch")).status == 200
    assert "switch" not in ids({"q": "Wahlen"})


def test_newsq_lang():
    p = subprocess.run([harness.binary("newsq"), "-s", "http://127.0.0.1:%d" % srv.port,
                        "search", "Wahlen", "--lang", "de", "--json"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert [h["id"] for h in json.loads(p.stdout)["hits"]] == ["de-wahl"]
    p = subprocess.run([harness.binary("newsq"), "-s", "http://127.0.0.1:%d" % srv.port,
                        "search", "Wahlen", "--lang", "xx"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 3 and "ISO 639-1" in p.stderr, (p.returncode, p.stderr)


def test_lang_on_timeline_export_and_entities():
    """lang filters /timeline, /export and /entities as it filters /search (and stems q in its
    languages): the same articles, counted or listed."""
    for langs, q in (("de", None), (["de", "fr"], None), ("en", None), ("de", "Wahlen")):
        p = {"lang": langs}
        if q:
            p["q"] = q
        want = ids(dict(p, limit=100))
        assert want, p
        t = srv.get("/timeline", params=p)
        assert t.status == 200, t
        assert sum(b["count"] for b in t.json["buckets"]) == len(want), (p, t.json)
        e = srv.get("/export", params=p)
        assert e.status == 200, e
        got = sorted(json.loads(line)["id"] for line in e.body.decode().splitlines() if line)
        assert got == want, (p, got, want)
        counts = {}
        for id_ in want:
            a = srv.get(harness.article_path(id_)).json
            for key in ("people", "orgs", "places"):
                for ent in a["entities"][key]:
                    name = ent["name"] if isinstance(ent, dict) else ent
                    counts[name] = counts.get(name, 0) + 1
        r = srv.get("/entities", params=dict(p, limit=1000))
        assert r.status == 200, r
        assert {x["name"]: x["count"] for x in r.json["entities"]} == counts, (p, r.json)
    for path in ("/timeline", "/export", "/entities"):
        harness.check_error(srv.get(path, params={"lang": "xx"}), 400, "bad_parameter")


def test_watch_matches_in_each_language():
    # the watch matcher's batch table tokenizes each new article in its language: a German
    # watch for "Wahlen" gets the German article that says "Wahl", not the English "Wahlen"
    from test_watch import SSE
    de = SSE(srv, "/watch", params={"q": "Wahlen", "lang": "de"})
    anyl = SSE(srv, "/watch", params={"q": "Wahlen"})
    try:
        assert de.status == 200 and anyl.status == 200
        recs = [{"id": "w-de", "date": "2026-03-02", "lang": "de", "title": "Wahl in Bremen",
                 "body": "Die Wahl in Bremen ist entschieden."},
                {"id": "w-en", "date": "2026-03-02", "lang": "en", "title": "Wahlen hike",
                 "body": "A hike to Wahlen in the Jura."}]
        assert srv.post("/articles", harness.jsonl(recs)).status == 200
        got = de.take(1)
        assert [e["json"]["id"] for e in got] == ["w-de"], got
        assert "<mark>Wahl</mark>" in got[0]["json"]["title_html"], got
        de.quiet(0.3)
        assert sorted(e["json"]["id"] for e in anyl.take(2)) == ["w-de", "w-en"]
    finally:
        de.close()
        anyl.close()
    harness.check_error(srv.get("/watch", params={"q": "x", "lang": "xx"}), 400,
                        "bad_parameter")


def test_check_clean():
    # newsd check (FTS5 integrity-check, lang_count, the language tags) on the live file
    p = subprocess.run([harness.binary("newsd"), "check", "--db", srv.db],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


def test_stemming_none():
    # stemming = none: no language stems (nor English): words match as written, folded; the
    # language filter, facet and detection work as with stemming
    cfg = os.path.join(harness.tmpdir("languages-none"), "newsd.conf")
    harness.write_config(cfg, {"stemming": "none"})
    s = harness.Server("languages-none", config=cfg).start()
    try:
        with open(DATA, "rb") as f:
            assert s.post("/articles", f.read()).status == 200

        def found(params):
            r = s.get("/search", params=params)
            assert r.status == 200, r
            return sorted(h["id"] for h in r.json["hits"])
        assert found({"q": "Wahlen", "lang": "de"}) == []
        assert found({"q": "Wahl", "lang": "de"}) == ["de-wahl"]
        assert found({"q": "Wahlen"}) == ["en-wahlen"]
        assert found({"q": "elect"}) == []
        assert found({"q": "elections"}) == ["en-elections", "fr-elections"]
        assert found({"lang": "fr"}) == ["fr-elections", "fr-port"]
        r = s.get("/search", params={"q": "Wahl", "facets": "langs"})
        assert r.json["facets"]["langs"] == [{"name": "de", "count": 1}], r.json
        assert s.get(harness.article_path("it-treni")).json["lang"] == "it"
    finally:
        s.stop()
