#!/usr/bin/env python3
"""Similar articles and did-you-mean at archive scale, through HTTP (make bench-scale, section 6).

usage: discovery_scale.py PORT DB [N [W]]

PORT is a newsd serving DB (read here, read-only, for a sample of ids and titles). With a fixed
seed, N articles spread over the file (default 60) and W words of 5 letters or more (default
200) from the titles of W others, each with one planted typo (a letter inserted, deleted, replaced, or two
neighbours swapped). One keep-alive client; each set is run twice, the first round filling the
caches (the words' bounds are built on a word's first search), the second timed and printed
with the first round's figures beside it. Prints:

  similar: p50 P ms p90 Q ms (first round p50 ... p90 ...)
  did-you-mean: p50 P ms p99 Q ms (server took_ms p50 ... p99 ...; first round p99 ...),
    suggested S of N, the original word for O

The did-you-mean times are those of the whole /search of the misspelt word: its own search, the
respellings and the counts of the candidates, so an upper bound of the suggestion's time
(took_ms: the same in the server, without HTTP).
"""
import http.client
import json
import random
import re
import sqlite3
import sys
import time
import urllib.parse


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))]


def typo(rnd, w):
    i = rnd.randrange(1, len(w) - 1)
    k = rnd.randrange(4)
    c = rnd.choice("abcdefghijklmnopqrstuvwxyz")
    if k == 0:
        return w[:i] + c + w[i:]
    if k == 1:
        return w[:i] + w[i + 1:]
    if k == 2:
        return w[:i] + c + w[i + 1:]
    return w[:i - 1] + w[i] + w[i - 1] + w[i + 1:]


def main():
    port, db = int(sys.argv[1]), sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    nw = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    con = sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(db), uri=True)
    top = con.execute("SELECT max(aid) FROM article").fetchone()[0] or 0
    rnd = random.Random(2026)
    ids, words, tries = [], [], 0
    while (len(ids) < n or len(words) < nw) and tries < 100 * (n + nw) and top > 0:
        tries += 1
        row = con.execute("SELECT id, title FROM article WHERE aid = ?",
                          (rnd.randint(1, top),)).fetchone()
        if row is None:
            continue
        if len(ids) < n:
            ids.append(row[0])
            continue
        cand = [w.lower() for w in re.findall(r"[A-Za-z]+", row[1] or "") if len(w) >= 5]
        if cand:
            w = rnd.choice(cand)
            t = typo(rnd, w)
            if t != w:
                words.append((w, t))
    con.close()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(path):
        t0 = time.perf_counter()
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        ms = (time.perf_counter() - t0) * 1e3
        if r.status != 200:
            sys.exit("discovery_scale: %s: HTTP %d %s" % (path, r.status, body[:200]))
        return ms, json.loads(body)

    rounds = []
    for _ in range(2):
        rounds.append([get("/articles/%s/similar" % urllib.parse.quote(i, safe=""))[0]
                       for i in ids])
    print("similar: p50 %.2f ms p90 %.2f ms (first round p50 %.2f ms p90 %.2f ms), %d articles"
          % (pct(rounds[1], .5), pct(rounds[1], .9), pct(rounds[0], .5), pct(rounds[0], .9),
             len(ids)))
    first = None
    for rnd_no in range(2):
        ts, took, sug, same = [], [], 0, 0
        for w, t in words:
            ms, j = get("/search?limit=10&q=" + urllib.parse.quote(t))
            ts.append(ms)
            took.append(j.get("took_ms", 0))
            d = j.get("did_you_mean")
            if d:
                sug += 1
                same += d["q"] == w
        if first is None:
            first = ts
    print("did-you-mean: p50 %.2f ms p99 %.2f ms (server took_ms p50 %.2f ms p99 %.2f ms;"
          " first round p99 %.2f ms), suggested %d of %d, the original word for %d"
          % (pct(ts, .5), pct(ts, .99), pct(took, .5), pct(took, .99), pct(first, .99), sug,
             len(words), same))


if __name__ == "__main__":
    main()
