"""Related stories are not wire copies: through POST /articles and GET /articles/{id}, a story
that quotes most of another and adds a paragraph of its own, a roundup that quotes a short
story whole, and the same text re-sent a month later each stay a story of their own
(`dup_of` null, counted by collapse=dups), while an edited copy re-sent the next day is
grouped (docs/DESIGN.md, Wire copies). A server with wire-copy detection on (the default)."""
import harness

srv = None

LEAD = ("The central bank of Freedonia raised its benchmark lending rate by half a point on "
        "Tuesday, the third increase this year, saying inflation had stayed above its target "
        "for eleven months. Governor Maria Ostrova told reporters the board would act again "
        "if consumer prices kept rising faster than wages.")
MIDDLE = ("Economists had expected a smaller move. Bond yields climbed and the currency gained "
          "against the dollar in early trading in the capital, while shares of exporters fell.")
TAIL = ("The bank also cut its forecast for economic growth next year to 1.8 pct from 2.1 pct, "
        "citing weaker demand from neighbouring countries and a slowdown in construction.")
OWN = ("Farm groups in the northern provinces said dearer credit would ruin growers before "
       "the harvest, and asked the finance ministry to extend its emergency loans to the "
       "autumn.")
BRIEF = ("Governor Maria Ostrova of the Freedonia central bank said on Tuesday the board "
         "would raise rates again if consumer prices kept rising faster than wages, and that "
         "inflation had stayed above target for eleven months.")
FLOOD = ("Heavy rain flooded the lower districts of the port city overnight, forcing hundreds "
         "of families from their homes and closing the coastal railway for the second time "
         "this month.")
RESCUE = ("Rescue teams in small boats reached a school where pupils had sheltered, and the "
          "mayor asked residents to boil drinking water until the pumping stations were "
          "repaired.")


def art(id_, title, body, date):
    return {"id": id_, "title": title, "body": body, "date": date, "source": "wire-" + id_}


def articles():
    story = "\n\n".join([LEAD, MIDDLE, TAIL])
    # the story re-sent the next day: a sentence dropped, a word changed, a new headline
    edited = "\n\n".join([LEAD.replace("benchmark", "main"), TAIL])
    return [
        art("story", "Freedonia raises rates", story, "2026-03-03T09:00:00Z"),
        art("copy", "Freedonia tightens again", edited, "2026-03-04T08:00:00Z"),
        art("farmers", "Farmers fear dearer credit", "\n\n".join([LEAD, OWN, TAIL]),
            "2026-03-03T15:00:00Z"),
        art("brief", "Ostrova warns", BRIEF, "2026-03-05T09:00:00Z"),
        art("roundup", "News in brief", "\n\n".join([FLOOD, BRIEF, RESCUE]),
            "2026-03-05T18:00:00Z"),
        art("rerun", "Freedonia raises rates", story, "2026-04-20T09:00:00Z"),
    ]


def setup_module():
    global srv
    srv = harness.Server("related").start()
    r = srv.post("/articles", harness.jsonl(articles()))
    assert r.status == 200 and r.json["accepted"] == 6, r


def teardown_module():
    if srv:
        srv.stop()


def dup_of(id_):
    r = srv.get("/articles/" + id_)
    assert r.status == 200, r
    return r.json["dup_of"]


def test_edited_copy_next_day_is_grouped():
    assert dup_of("copy") == "story"
    assert dup_of("story") is None


def test_story_with_a_paragraph_of_its_own_is_not_a_copy():
    assert dup_of("farmers") is None


def test_roundup_quoting_a_short_story_whole_is_not_a_copy():
    assert dup_of("roundup") is None
    assert dup_of("brief") is None


def test_same_text_a_month_later_is_not_a_copy():
    assert dup_of("rerun") is None


def test_collapse_counts_the_related_stories():
    r = srv.get("/search", q="Ostrova", collapse="dups", limit=20)
    assert r.status == 200, r
    got = {h["id"]: h["copies"] for h in r.json["hits"]}
    assert got == {"story": 1, "farmers": 0, "brief": 0, "roundup": 0, "rerun": 0}, got
    assert r.json["total"] == 5, r.json["total"]
