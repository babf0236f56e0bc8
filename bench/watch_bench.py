#!/usr/bin/env python3
"""make bench, live watches: Reuters POSTed to a fresh newsd in batches of 100, once without
watches and once with 1,000 saved watches and 100 open SSE streams, alternating in each round
(so a slow spell of the shared machine hits both). Prints ingest articles/s of each, their
ratio (target >= 0.8), and the delay from a batch's acknowledged commit to each of its events
arriving at a stream client (p50/p99, target p99 <= 100 ms). Medians over the rounds.

Usage: watch_bench.py BUILD_DIR   (WATCH_ROUNDS, WATCH_ARTICLES to change the size)"""
import gzip
import http.client
import json
import os
import re
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "shared", "corpus", "reuters21578.jsonl.gz")
ROUNDS = int(os.environ.get("WATCH_ROUNDS", "3"))
ARTICLES = int(os.environ.get("WATCH_ARTICLES", "8000"))
BATCH = 100
NWATCHES = 1000
NSTREAMS = 100


def start(build, d):
    p = subprocess.Popen([os.path.join(build, "newsd"), "serve", "--db", os.path.join(d, "b.db"),
                          "--listen", "127.0.0.1:0", "--max-watchers", "1000"],
                         stdout=subprocess.PIPE, stderr=open(os.path.join(d, "err.log"), "wb"))
    for line in p.stdout:
        m = re.search(rb"listening on http://127\.0\.0\.1:(\d+)/", line)
        if m:
            threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
            return p, int(m.group(1))
    raise SystemExit("newsd did not start: see %s/err.log" % d)


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(30)


def queries():
    """The bench query set and frequent title words: 1,000 watch queries."""
    qs = []
    with open(os.path.join(HERE, "queries.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            q, _, extra = line.rstrip("\n").partition("\t")
            qs.append((q, extra))
    return qs


class Streams:
    """NSTREAMS SSE connections read by one thread; records (index_version, arrival) of each
    article event."""

    def __init__(self, port, qs):
        self.sel = selectors.DefaultSelector()
        self.got = []
        self.stop = False
        self.socks = []
        for i in range(NSTREAMS):
            q, extra = qs[i % len(qs)]
            path = "/watch?" + urllib.parse.urlencode({"q": q}) + ("&" + extra if extra else "")
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(("GET %s HTTP/1.1\r\nHost: b\r\nAccept: text/event-stream\r\n\r\n" %
                       path).encode())
            buf = b""
            while b"watching from" not in buf:
                buf += s.recv(65536)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ)
            self.socks.append(s)
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        pat = re.compile(rb'"index_version":(\d+)\}\n')
        rest = {}
        while not self.stop:
            for key, _ in self.sel.select(timeout=0.2):
                try:
                    data = key.fileobj.recv(1 << 20)
                except BlockingIOError:
                    continue
                now = time.time()
                data = rest.get(key.fileobj, b"") + data
                cut = data.rfind(b"\n")
                rest[key.fileobj] = data[cut + 1:]
                for m in pat.finditer(data[:cut + 1]):
                    self.got.append((int(m.group(1)), now))

    def close(self):
        self.stop = True
        self.t.join()
        for s in self.socks:
            s.close()


def run_once(build, recs, with_watches, qs, words):
    d = tempfile.mkdtemp(prefix="newsd-watchbench-")
    p, port = start(build, d)
    streams = None
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        if with_watches:
            for i in range(NWATCHES):
                q = qs[i][0] if i < len(qs) else words[i % len(words)]
                c.request("POST", "/watches", json.dumps({"name": "w%d" % i, "q": q}))
                r = c.getresponse()
                r.read()
                assert r.status == 201, r.status
            streams = Streams(port, qs)
        acks = {}
        t0 = time.time()
        for i in range(0, len(recs), BATCH):
            body = "".join(json.dumps(x) + "\n" for x in recs[i:i + BATCH])
            c.request("POST", "/articles", body)
            r = c.getresponse()
            j = json.loads(r.read())
            acks[j["index_version"]] = time.time()
        rate = len(recs) / (time.time() - t0)
        delays = []
        if streams:
            time.sleep(1.0)
            streams.close()
            delays = [max(0.0, t - acks[v]) for v, t in streams.got if v in acks]
        c.close()
        return rate, delays
    finally:
        stop(p)
        shutil.rmtree(d, ignore_errors=True)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100.0 * len(v)))] if v else float("nan")


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build/release"
    if not os.path.exists(CORPUS):
        print("watch bench: %s absent: skipping" % CORPUS)
        return
    recs = []
    with gzip.open(CORPUS, "rt") as f:
        for line in f:
            recs.append(json.loads(line))
            if len(recs) == ARTICLES:
                break
    qs = queries()
    counts = {}
    for r in recs:
        for w in re.findall(r"[a-z]{5,}", (r.get("title") or "").lower()):
            counts[w] = counts.get(w, 0) + 1
    words = [w for w, n in sorted(counts.items(), key=lambda x: -x[1]) if n >= 3][:NWATCHES]
    print("== live watches: %d Reuters articles POSTed in batches of %d, %d rounds; with "
          "%d saved watches and %d open streams" % (len(recs), BATCH, ROUNDS, NWATCHES, NSTREAMS))
    base, watched, ratios, p50s, p99s, nev = [], [], [], [], [], 0
    for _ in range(ROUNDS):
        a, _d = run_once(build, recs, False, qs, words)
        b, d = run_once(build, recs, True, qs, words)
        base.append(a)
        watched.append(b)
        ratios.append(b / a)
        p50s.append(pct(d, 50) * 1000)
        p99s.append(pct(d, 99) * 1000)
        nev += len(d)
        print("  round: %.0f vs %.0f articles/s (%.2f x), delay p50 %.1f ms p99 %.1f ms, "
              "%d events" % (a, b, b / a, p50s[-1], p99s[-1], len(d)))
    med = statistics.median
    print("ingest without watches: %.0f articles/s" % med(base))
    print("ingest with %d watches + %d streams: %.0f articles/s  (ratio %.2f, target >= 0.8)" %
          (NWATCHES, NSTREAMS, med(watched), med(ratios)))
    print("commit -> event delay: p50 %.1f ms, p99 %.1f ms  (target p99 <= 100 ms; %d events)" %
          (med(p50s), med(p99s), nev))


if __name__ == "__main__":
    main()
