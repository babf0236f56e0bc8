"""The spool directory of `newsd serve`, and `newsd index` of files and directories."""
import gzip
import json
import os
import shutil
import time

import harness

srv = None
spool = None
staging = None


def setup_module():
    global srv, spool, staging
    d = harness.tmpdir("spool")
    spool = os.path.join(d, "spool")
    staging = os.path.join(d, "staging")
    os.makedirs(spool)
    os.makedirs(staging)
    conf = harness.write_config(os.path.join(d, "newsd.conf"), {"spool_interval_ms": 100})
    srv = harness.Server("spool", config=conf, spool=spool).start()


def teardown_module():
    srv.stop()


def rec(id_, word, **kw):
    r = {"id": id_, "title": "Spool %s" % word, "body": "Body text about %s." % word,
         "date": "2026-01-05T08:00:00Z", "source": "e2e-spool"}
    r.update(kw)
    return r


def drop(name, data):
    """Write a file beside the spool and rename it in (as a producer would)."""
    tmp = os.path.join(staging, name)
    with open(tmp, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    os.rename(tmp, os.path.join(spool, name))


def wait_for(path, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.05)
    return False


def search_ids(q):
    r = srv.get("/search", q=q, limit=100)
    assert r.status == 200, r
    return {h["id"] for h in r.json["hits"]}


def listing():
    out = []
    for root, _, files in os.walk(spool):
        out += [os.path.relpath(os.path.join(root, f), spool) for f in files]
    return sorted(out)


def test_spool_good_mixed_and_gzip_txt():
    drop("good.jsonl", harness.jsonl([rec("sp-good-%d" % i, "marzipanic") for i in range(3)]))
    mixed = "\n".join([
        json.dumps(rec("sp-mix-1", "brontolith")),
        json.dumps({"id": "sp-mix-2", "title": "no date", "body": "brontolith"}),
        json.dumps(rec("sp-mix-3", "brontolith")),
        '{"id": "sp-mix-4", "title": ',
    ]) + "\n"
    drop("mixed.jsonl", mixed)
    note = "title: Spool note headline\nsource: e2e-spool\ndate 2026-01-04 The kerfuffleon " \
           "council met today.\n\nA second paragraph.\n"
    drop("note.txt.gz", gzip.compress(note.encode()))

    done = os.path.join(spool, "done")
    failed = os.path.join(spool, "failed")
    for path in (os.path.join(done, "good.jsonl"), os.path.join(failed, "mixed.jsonl"),
                 os.path.join(failed, "mixed.jsonl.err"), os.path.join(done, "note.txt.gz")):
        assert wait_for(path), "%s did not appear within 10 s; spool now holds %s\n%s" % (
            os.path.relpath(path, spool), listing(), srv.log_tail())
    left = [f for f in os.listdir(spool) if os.path.isfile(os.path.join(spool, f))]
    assert left == [], "files left in the spool: %s" % left
    err = open(os.path.join(failed, "mixed.jsonl.err"), encoding="utf-8").read()
    lines = err.strip().splitlines()
    assert len(lines) >= 2, "mixed.jsonl.err should list two rejected lines: %r" % err
    assert any("2" in l and "date" in l.lower() for l in lines), \
        "mixed.jsonl.err does not say line 2 lacks a date: %r" % err
    assert any("4" in l for l in lines), "mixed.jsonl.err does not list line 4: %r" % err
    assert not os.path.exists(os.path.join(done, "mixed.jsonl"))

    assert search_ids("marzipanic") == {"sp-good-0", "sp-good-1", "sp-good-2"}
    assert search_ids("brontolith") == {"sp-mix-1", "sp-mix-3"}, \
        "good records of a failed spool file were not committed"
    assert search_ids("kerfuffleon") == {"note"}
    a = srv.get("/articles/note").json
    assert a["title"] == "Spool note headline" and a["date"] == "2026-01-04T00:00:00Z", a
    assert a["source"] == "e2e-spool", a
    assert a["body"].startswith("The kerfuffleon council met today."), a["body"][:80]


def test_spool_file_in_any_date_order_and_an_id_twice():
    """A spool file is written in chunks, each in date order (issue 11): FTS5 writes a segment
    whenever a rowid smaller than the last one arrives, so a file in random date order made a
    segment of nearly every article. 61 records in random date order, one id twice: one
    segment, and the id's last record, as input order would leave it."""
    d = harness.tmpdir("spool-order")
    sp = os.path.join(d, "spool")
    os.makedirs(sp)
    conf = harness.write_config(os.path.join(d, "newsd.conf"), {"spool_interval_ms": 100})
    s = harness.Server("spool-order", config=conf, spool=sp).start()
    try:
        recs = [rec("sord-%d" % i, "brackenfowl", date=day)
                for i, day in enumerate(harness.random_dates(60, 12, "08:00:00"))]
        recs.append(rec("sord-9", "tallowmere", date="2008-02-03T04:05:06Z"))
        tmp = os.path.join(d, "order.jsonl")
        with open(tmp, "w") as f:
            f.write(harness.jsonl(recs))
        os.rename(tmp, os.path.join(sp, "order.jsonl"))
        assert wait_for(os.path.join(sp, "done", "order.jsonl")), os.listdir(sp)
        r = s.get("/search", q="brackenfowl", limit=100)
        assert {h["id"] for h in r.json["hits"]} == {"sord-%d" % i for i in range(60)} - {"sord-9"}
        a = s.get(harness.article_path("sord-9")).json
        assert "tallowmere" in a["title"] and a["date"] == "2008-02-03T04:05:06Z", a
        assert s.health()["articles"] == 60
        segments = harness.fts_segments(s.db)
        assert segments == 1, "a spool file of 61 records left %d FTS5 segments" % segments
    finally:
        s.stop()


def test_spool_unreadable_file_fails():
    drop("junk.json", "this is not json at all")
    failed = os.path.join(spool, "failed")
    assert wait_for(os.path.join(failed, "junk.json")), "junk.json not moved to failed/: %s" % (
        listing())
    assert wait_for(os.path.join(failed, "junk.json.err")), "no junk.json.err"
    assert srv.alive()


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


def test_index_directory_of_every_format():
    d = harness.tmpdir("index-dir")
    src = os.path.join(d, "in")
    write(os.path.join(src, "a.jsonl"), harness.jsonl([rec("ix-a1", "gallimaufry"),
                                                     rec("ix-a2", "gallimaufry"),
                                                     {"id": "ix-bad", "title": "no date"}]))
    write(os.path.join(src, "b.json"), json.dumps([rec("ix-b1", "gallimaufry"),
                                                   rec("ix-b2", "gallimaufry")]))
    write(os.path.join(src, "c.json"), json.dumps(rec("ix-c", "gallimaufry")))
    write(os.path.join(src, "d.txt"), "date 2026-01-02 The gallimaufry arrived early. Then "
                                      "more happened.\n")
    write(os.path.join(src, "sub", "e.jsonl.gz"),
          gzip.compress(harness.jsonl([rec("ix-e", "gallimaufry")]).encode()))
    write(os.path.join(src, "sub", "deeper", "f.txt.gz"),
          gzip.compress(b"title: Deep file\ndate 2026-01-03 gallimaufry deep inside.\n"))
    db = os.path.join(d, "index.db")
    p = harness.run_index(db, [src])
    assert p.returncode == 0, "newsd index exited %d: %s %s" % (p.returncode, p.stdout, p.stderr)
    want = {"ix-a1", "ix-a2", "ix-b1", "ix-b2", "ix-c", "d", "ix-e", "f"}
    n = len(want)
    assert harness.summary_count(p.stdout, "indexed") == n, \
        "summary should say %d indexed: %r" % (n, p.stdout)
    assert harness.summary_count(p.stdout, "rejected") == 1, \
        "summary should say 1 rejected: %r" % p.stdout
    s = harness.Server("index-dir", db=db).start()
    try:
        r = s.get("/search", q="gallimaufry", limit=100)
        assert r.status == 200 and {h["id"] for h in r.json["hits"]} == want, r
        a = s.get("/articles/d").json
        assert a["title"] == "The gallimaufry arrived early.", \
            "title of a .txt without a title line should be its lead sentence: %r" % a["title"]
        assert a["date"] == "2026-01-02T00:00:00Z", a
        assert s.get("/articles/f").json["title"] == "Deep file"
    finally:
        s.stop()


def test_index_real_seed_txt():
    if not harness.SEED or not os.path.exists(harness.SEED):
        harness.skip("../shared/seeds absent: skipping the seed article test")
    d = harness.tmpdir("seed")
    src = os.path.join(d, "in")
    os.makedirs(src)
    shutil.copy(harness.SEED, src)
    db = os.path.join(d, "seed.db")
    p = harness.run_index(db, [src])
    assert p.returncode == 0 and harness.summary_count(p.stdout, "indexed") == 1, \
        "newsd index of the seed: exit %d: %s %s" % (p.returncode, p.stdout, p.stderr)
    seed_id = "000_17734199b23d2403"
    s = harness.Server("seed", db=db).start()
    try:
        r = s.get("/search", q="Minneapolis", limit=10)
        assert r.status == 200 and [h["id"] for h in r.json["hits"]] == [seed_id], r
        assert any("<mark>Minneapolis</mark>" in x for x in r.json["hits"][0]["snippets"]), \
            r.json["hits"][0]["snippets"]
        a = s.get("/articles/" + seed_id)
        assert a.status == 200, a
        a = a.json
        assert a["date"] == "2026-01-07T00:00:00Z", a["date"]
        assert a["title"].startswith("A federal agent shot and killed a Minneapolis"), \
            "title should be the lead sentence: %r" % a["title"]
        assert not a["body"].lstrip().startswith("date"), a["body"][:60]
        for q in ('"Immigration and Customs Enforcement"', "McLaughlin", "title:motorist",
                  '"federal agents"', "immig*", "NEAR(agents shooting, 5)"):
            r = s.get("/search", q=q, limit=10)
            assert r.status == 200 and [h["id"] for h in r.json["hits"]] == [seed_id], \
                "q=%s: %r" % (q, r)
    finally:
        s.stop()


def test_index_unreadable_path_fails():
    d = harness.tmpdir("index-missing")
    p = harness.run_index(os.path.join(d, "x.db"), [os.path.join(d, "does-not-exist.jsonl")])
    assert p.returncode != 0, "newsd index of a missing file exited 0: %s" % p.stdout


def test_index_while_serving():
    # `newsd index` may run while `newsd serve` has the same database open.
    d = harness.tmpdir("index-live")
    f = os.path.join(d, "live.jsonl")
    write(f, harness.jsonl([rec("live-%d" % i, "hobbledehoy") for i in range(5)]))
    p = harness.run_index(srv.db, [f])
    assert p.returncode == 0, "newsd index beside a running server: %s %s" % (p.stdout, p.stderr)
    assert search_ids("hobbledehoy") == {"live-%d" % i for i in range(5)}
    assert srv.health()["articles"] >= 5
