"""Searches on a small archive made by ../shared/corpus/scale.py (30,000 articles, wire copies
and all, indexed with the defaults): every way a search can be answered fast (per-block
bounds of a frequent word, counts from bits, the best rows of a prefix, a phrase or a NEAR,
the columns) must give the hits, scores and total of the ordinary pass over every match,
which a facet forces. Random queries of every shape, with limits, offsets, collapse=dups and
filters; /stats shows the fast paths answered most of them."""
import os
import random
import subprocess
import time

import harness

srv = None
N = 30000
SEED = 2026


def setup_module():
    global srv
    harness.require_shared()
    scale = os.path.join(harness.SHARED, "corpus", "scale.py")
    if not os.path.exists(scale):
        harness.skip("../shared/corpus/scale.py absent: skipping the scale-corpus comparison")
    d = harness.tmpdir("scale")
    corpus = os.path.join(d, "scale-%d.jsonl.gz" % N)
    subprocess.run(["python3", scale, str(N), corpus, "--seed", str(SEED)], check=True,
                   stdout=subprocess.DEVNULL, timeout=300)
    db = os.path.join(d, "scale.db")
    p = harness.run_index(db, [corpus], timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    srv = harness.Server("scale-serve", db=db).start()
    deadline = time.time() + 60
    while not srv.get("/stats").json.get("columns"):    # the bounds need the columns' base
        assert time.time() < deadline, "the columns were not read within 60 s"
        time.sleep(0.1)


def total(q):
    r = srv.get("/search", q=q, limit=0)
    assert r.status == 200, r
    return r.json["total"]


def compare(params):
    """The search as asked and the same with a facet (the ordinary pass): same answer."""
    fast = srv.get("/search", params)
    slow = srv.get("/search", dict(params, facets="sources"))
    assert fast.status == slow.status, (params, fast, slow)
    if fast.status != 200:
        return 0
    assert fast.json["total"] == slow.json["total"], "%s: total %d, ordinary pass %d" % (
        params, fast.json["total"], slow.json["total"])
    got = [(h["id"], h["score"]) for h in fast.json["hits"]]
    ref = [(h["id"], h["score"]) for h in slow.json["hits"]]
    assert got == ref, "%s: fast %s, ordinary pass %s" % (params, got[:4], ref[:4])
    # the page's highlights and snippets are computed the same way after either pass
    assert [h.get("snippets") for h in fast.json["hits"]] == \
        [h.get("snippets") for h in slow.json["hits"]], params
    return 1


def test_fast_paths_answer_as_the_ordinary_pass():
    rng = random.Random(SEED)
    words = ["said", "mln", "pct", "year", "dlrs", "billion", "company", "market", "oil",
             "trade", "bank", "prices", "government", "shares", "rate", "exchange", "coffee",
             "grain", "gold", "tonnes", "export", "sugar", "dollar", "federal", "japan"]
    df = {w: total(w) for w in words}
    frequent = [w for w in words if df[w] >= 5000]
    assert len(frequent) >= 4, "too few frequent words at %d articles: %s" % (N, df)
    phrases = ['"interest rates"', '"crude oil"', '"said it"', '"the company"', '"mln dlrs"',
               '"the government"', '"last year"']
    shapes = [
        lambda a, b: a,
        lambda a, b: "title:" + a,
        lambda a, b: "%s %s" % (a, b),
        lambda a, b: "%s OR %s" % (a, b),
        lambda a, b: "%s NOT %s" % (a, b),
        lambda a, b: "%s -%s" % (a, b),
        lambda a, b: a[:rng.randint(2, max(2, len(a) - 1))] + "*",
        lambda a, b: rng.choice(phrases),
        lambda a, b: "NEAR(%s %s, %d)" % (a, b, rng.randint(1, 8)),
        lambda a, b: "(%s OR %s) %s" % (a, b, rng.choice(frequent)),
    ]
    before = srv.get("/stats").json["bounds"]
    n = 0
    for i in range(260):
        a = rng.choice(frequent if i % 3 else words)
        b = rng.choice(words)
        q = shapes[i % len(shapes)](a, b)
        p = {"q": q, "limit": rng.choice([1, 10, 10, 10, 25]), "snippets": rng.choice([0, 3])}
        if rng.random() < 0.3:
            p["offset"] = rng.randint(1, 30)
        if rng.random() < 0.25:
            p["collapse"] = "dups"
        if rng.random() < 0.1:      # filters: the ordinary pass or the columns, compared too
            p["from"], p["to"] = "2023-01-01", "2024-06-30"
        n += compare(p)
    after = srv.get("/stats").json["bounds"]
    assert n >= 250, n
    answered = after["searches"] - before["searches"]
    assert answered >= 100, "only %d of %d searches answered from bounds" % (answered, n)
    assert after["counted"] - before["counted"] >= 40, (before, after)
    print("       (%d searches on %d scale articles compared with the ordinary pass; %d from"
          " bounds, %d counted from bits, %d blocks read)" %
          (n, N, answered, after["counted"] - before["counted"],
           after["blocks_visited"] - before["blocks_visited"]))
