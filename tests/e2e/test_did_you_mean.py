"""/search's did_you_mean: a respelling from the index's own vocabulary when a query finds
nothing or very little, with the total the respelt query finds (same filters); never for a
query with good results, nor for words the index has never seen anything close to; names
too (Kristi Neom → Kristi Noem). newsq prints it; the page offers it."""
import os
import subprocess

import harness

srv = None


def articles():
    out = []
    for i in range(30):
        out.append({
            "id": "dym-%02d" % i, "date": "2026-01-%02dT08:00:00Z" % (i % 28 + 1),
            "source": "wire-a" if i % 3 else "wire-b",
            "title": "Petroleum prices %s" % ("rise" if i % 2 else "fall"),
            "body": "Petroleum prices moved again as traders watched the refineries. "
                    "Secretary Kristi Noem said on day %d that Noem would visit the port." % i
                    if i < 12 else
                    "Petroleum prices moved again as traders watched the refineries, day %d." % i})
    out.append({"id": "dym-rare", "date": "2026-02-01T08:00:00Z", "title": "Quorvath harbour",
                "body": "The quorvath harbour opened once."})
    return out


def setup_module():
    global srv
    srv = harness.Server("did-you-mean").start()
    r = srv.post("/articles", harness.jsonl(articles()))
    assert r.status == 200 and r.json["accepted"] == 31, r


def teardown_module():
    if srv:
        srv.stop()


def search(**kw):
    r = srv.get("/search", **kw)
    assert r.status == 200, r
    return r.json


def test_misspelt_words_get_a_suggestion_with_its_total():
    for typo, want in (("petrolum prices", "petroleum prices"), ("Kristi Neom", "Kristi Noem"),
                       ("pertoleum", "petroleum"), ("refinerise", "refineries")):
        j = search(q=typo)
        assert j["total"] == 0, (typo, j["total"])
        d = j.get("did_you_mean")
        assert d is not None, (typo, j)
        assert d["q"] == want, (typo, d)
        assert d["total"] == search(q=want, limit=0)["total"] > 0, (typo, d)


def test_filters_apply_to_the_suggestion():
    j = search(q="petrolum", source="wire-b")
    d = j["did_you_mean"]
    assert d["q"] == "petroleum"
    assert d["total"] == search(q="petroleum", source="wire-b", limit=0)["total"] == 10, d


def test_no_suggestion_for_good_results_or_nothing_close():
    for q in ("petroleum prices", "Kristi Noem", "prices", "quorvath",
              "zzqxjv", "xylophonics"):
        j = search(q=q)
        assert "did_you_mean" not in j, (q, j.get("did_you_mean"))
    # operators, phrases, prefixes and fields are left as written
    for q in ('"petrolum prices"', "petrol*", "title:petrolum"):
        j = search(q=q)
        assert j.get("did_you_mean") is None or "petrolum" in j["did_you_mean"]["q"] \
            or q == "title:petrolum", (q, j.get("did_you_mean"))
    # not on later pages
    assert "did_you_mean" not in search(q="petrolum", offset=1)


def test_newsq_offers_it():
    url = "http://127.0.0.1:%d" % srv.port
    p = subprocess.run([harness.binary("newsq"), "-s", url, "search", "Kristi", "Neom"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                       env=dict(os.environ, NO_COLOR="1"), timeout=30)
    out = p.stdout.decode()
    assert p.returncode == 1, (p.returncode, out, p.stderr)      # no hits
    assert "did you mean: Kristi Noem (12 hits)?" in out, out


def test_page_offers_it():
    r = srv.get("/")
    page = r.body.decode()
    assert "did_you_mean" in page and "Did you mean " in page, "the page ignores did_you_mean"


def test_index_of_several_languages():
    # query words are stemmed in every language of the index, as colocated stems: a word's
    # count is then that of its commonest stem (German typos got no suggestion before)
    de = [{"id": "de-%d" % i, "date": "2026-03-%02dT08:00:00Z" % (i + 1), "lang": "de",
           "title": "Wahlen in Bayern",
           "body": "Die Wahlen in Bayern finden im Herbst statt, sagen die Parteien."}
          for i in range(8)]
    s = harness.Server("did-you-mean-de").start()
    try:
        r = s.post("/articles", harness.jsonl(articles() + de))
        assert r.status == 200 and r.json["accepted"] == 39, r
        for typo, want, total in (("Wahlenn", "Wahlen", 8), ("Bayren", "Bayern", 8),
                                  ("Parteine", "Parteien", 8),
                                  ("petrolum prices", "petroleum prices", 30)):
            j = s.get("/search", params={"q": typo}).json
            assert j["total"] == 0 and j.get("did_you_mean") == {"q": want, "total": total}, \
                (typo, j.get("did_you_mean"))
        j = s.get("/search", params={"q": "Wahlen"}).json
        assert j["total"] == 8 and "did_you_mean" not in j, j
    finally:
        s.stop()
