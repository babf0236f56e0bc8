#!/usr/bin/env python3
"""Developer check of oracle.py against SQLite FTS5 itself (not run by `make e2e`).

Builds an in-memory FTS5 table (tokenize='porter unicode61 remove_diacritics 2') over the
Reuters titles and bodies and checks that
  1. the oracle's tokenise+stem of the corpus gives exactly FTS5's vocabulary (fts5vocab);
  2. for the FTS5-expressible queries below, the oracle's id sets equal FTS5 MATCH results.
Usage: python3 tests/e2e/oracle_selfcheck.py [CORPUS.jsonl.gz]
"""
import gzip
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402
import harness  # noqa: E402

# (our query language, the equivalent FTS5 MATCH expression)
CROSS = [
    ("oil", '{title body}: "oil"'),
    ("crude oil", '{title body}: "crude" AND {title body}: "oil"'),
    ('"crude oil"', '{title body}: "crude oil"'),
    ("export*", '{title body}: "export"*'),
    ("exporter*", '{title body}: "exporter"*'),
    ("title:dollar", '{title}: "dollar"'),
    ("bank NOT japan", '{title body}: "bank" NOT {title body}: "japan"'),
    ("(wheat OR corn) soviet", '({title body}: "wheat" OR {title body}: "corn") AND {title body}: "soviet"'),
    ("NEAR(interest rates, 2)", '{title body}: NEAR("interest" "rates", 2)'),
    ('"agents shooting"~5', '{title body}: NEAR("agents" "shooting", 5)'),
    ('"oil prices"~0', '{title body}: NEAR("oil" "prices", 0)'),
    ("NEAR(opec output quota, 4)", '{title body}: NEAR("opec" "output" "quota", 4)'),
    ('NEAR("crude oil" prices, 3)', '{title body}: NEAR("crude oil" "prices", 3)'),
    ("U.S.", '{title body}: "U.S."'),
    ("AT&T", '{title body}: "AT&T"'),
    ("body:\"interest rates\"", '{body}: "interest rates"'),
    ("title:\"oil prices\"", '{title}: "oil prices"'),
    ("stat*", '{title body}: "stat"*'),
    ("NEAR(rates interest, 0)", '{title body}: NEAR("rates" "interest", 0)'),
    ("NEAR(dollar yen, 10)", '{title body}: NEAR("dollar" "yen", 10)'),
    ("NEAR(dollar yen)", '{title body}: NEAR("dollar" "yen")'),
]


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        harness.SHARED or "../shared", "corpus", "reuters21578.jsonl.gz")
    t0 = time.time()
    recs = [json.loads(line) for line in gzip.open(path, "rt", encoding="utf-8")]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(title, body, "
               "tokenize='porter unicode61 remove_diacritics 2')")
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
    ids = {}
    for n, r in enumerate(recs, 1):
        if not (r["title"] or r["body"]):
            continue
        ids[n] = r["id"]
        db.execute("INSERT INTO t(rowid, title, body) VALUES (?, ?, ?)", (n, r["title"], r["body"]))
    fts_vocab = {row[0] for row in db.execute("SELECT term FROM v")}
    corpus = oracle.Corpus()
    for r in recs:
        corpus.add(r)
    ours = set(corpus.post["title"]) | set(corpus.post["body"])
    print("loaded in %.1fs; vocabulary: fts5 %d, oracle %d" % (time.time() - t0, len(fts_vocab),
                                                               len(ours)))
    bad = 0
    only_fts = sorted(fts_vocab - ours)
    only_ours = sorted(ours - fts_vocab)
    if only_fts or only_ours:
        bad += 1
        print("only in fts5:", only_fts[:40])
        print("only in oracle:", only_ours[:40])
    for q, match in CROSS:
        want = {ids[row[0]] for row in db.execute("SELECT rowid FROM t WHERE t MATCH ?", (match,))}
        got = corpus.search(q)
        status = "ok" if got == want else "DIFF"
        if got != want:
            bad += 1
        print("%-4s %-32s fts5 %5d oracle %5d  %s" % (status, q, len(want), len(got),
                                                      sorted(got ^ want)[:5]))
    # A few hand examples of the stemmer (Porter's own test vocabulary).
    for w, s in [("caresses", "caress"), ("ponies", "poni"), ("relational", "relat"),
                 ("conditional", "condit"), ("generalizations", "gener"), ("hopping", "hop"),
                 ("filing", "file"), ("happy", "happi"), ("electrical", "electr"),
                 ("adjustable", "adjust"), ("controlling", "control"), ("rolling", "roll"),
                 ("agreed", "agre"), ("feed", "feed"), ("sky", "sky"), ("as", "as")]:
        if oracle.stem(w) != s:
            bad += 1
            print("stem(%s) = %s, want %s" % (w, oracle.stem(w), s))
    for text in ["Généralement ÉCOLE naïve Ångström ﬁne x² São-Paulo Øresund Łódź"]:
        d = sqlite3.connect(":memory:")
        d.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='unicode61 remove_diacritics 2')")
        d.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        d.execute("INSERT INTO t VALUES (?)", (text,))
        want = [r[0] for r in d.execute("SELECT term FROM v ORDER BY offset")]
        got = oracle.tokenize(text)
        if sorted(want) != sorted(got):
            bad += 1
            print("tokenize(%r) = %r, fts5 %r" % (text, got, want))
    print("selfcheck:", "FAILED" if bad else "clean")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
