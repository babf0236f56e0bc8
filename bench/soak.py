#!/usr/bin/env python3
"""Soak: mixed search + ingest load on one newsd for a bounded time and request count.

  python3 bench/soak.py [--build build/release] [--seconds 600] [--max-requests 5000000]
                        [--searchers 3] [--ids 5000] [--dir DIR]

SOAK_SECONDS in the environment overrides the default duration (600 s). The daemon serves a
fresh database on a free loopback port; it is seeded with --ids generated articles, then
searcher threads run random queries (terms, OR, phrases, prefixes, filters, sorts, paging)
and article reads, while one writer re-posts batches over the same id space (upserts, so the
database reaches a steady size) and sometimes deletes. Every 5 s the daemon's VmRSS and
RssAnon (anonymous memory: what a leak grows; VmRSS also counts the mapped database file) are
sampled from /proc/PID/status. Prints RSS at start (after seeding and a warm-up) and end,
error count, request counts, and p50/p99 latency per kind; exits 1 on any error or when
RssAnon grew by more than 10 % (plus 4 MiB of slack for allocator noise).
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

WORDS = ("minister parliament harbour strike wheat tariff election bank currency storm flood "
         "refinery court verdict senate budget grain export shipping pipeline inflation treaty "
         "summit ceasefire coalition drought vaccine oil gas crude opec dollar yen bond yield "
         "merger takeover profit loss quarter dividend union wage coffee sugar cocoa").split()
SOURCES = ["wire-a", "wire-b", "wire-c", "wire-d"]


def status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def article(rng, i, gen):
    words = [rng.choice(WORDS) for _ in range(rng.randint(40, 250))]
    return {"id": "soak-%d" % i,
            "title": " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))).capitalize(),
            "body": ". ".join(" ".join(words[k:k + 12]) for k in range(0, len(words), 12)) +
            " (rev %d)" % gen,
            "date": "2025-%02d-%02dT%02d:%02d:00Z" % (rng.randint(1, 12), rng.randint(1, 28),
                                                     rng.randint(0, 23), rng.randint(0, 59)),
            "source": rng.choice(SOURCES)}


def random_query(rng):
    r = rng.random()
    w = lambda: rng.choice(WORDS)  # noqa: E731
    if r < 0.3:
        q = w()
    elif r < 0.5:
        q = "%s %s" % (w(), w())
    elif r < 0.6:
        q = "%s OR %s" % (w(), w())
    elif r < 0.7:
        q = '"%s %s"' % (w(), w())
    elif r < 0.8:
        q = w()[:3] + "*"
    elif r < 0.9:
        q = "%s -%s" % (w(), w())
    else:
        q = "title:%s (%s OR %s)" % (w(), w(), w())
    p = {"q": q, "limit": rng.choice([0, 10, 20, 100])}
    if rng.random() < 0.2:
        p["from"] = "2025-%02d-01" % rng.randint(1, 6)
        p["to"] = "2025-%02d-28" % rng.randint(7, 12)
    if rng.random() < 0.2:
        p["source"] = rng.choice(SOURCES)
    if rng.random() < 0.2:
        p["sort"] = rng.choice(["newest", "oldest", "relevance"])
    if rng.random() < 0.1:
        p["offset"] = rng.randint(0, 500)
    if rng.random() < 0.1:
        p["facets"] = "sources,dates"
    return "/search?" + urllib.parse.urlencode(p)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.lat = {}
        self.errors = []
        self.count = 0

    def add(self, kind, dt, ok, what):
        with self.lock:
            self.count += 1
            self.lat.setdefault(kind, []).append(dt)
            if not ok and len(self.errors) < 1000:
                self.errors.append(what)


def request(conn, method, path, body=None):
    hdrs = {"Content-Type": "application/json"} if body else {}
    conn.request(method, path, body=body, headers=hdrs)
    r = conn.getresponse()
    data = r.read()
    return r.status, data


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))] if xs else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--seconds", type=float,
                    default=float(os.environ.get("SOAK_SECONDS", "600")))
    ap.add_argument("--max-requests", type=int, default=5000000)
    ap.add_argument("--searchers", type=int, default=3)
    ap.add_argument("--ids", type=int, default=5000, help="size of the upserted id space")
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--dir", default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cache-mb", type=int, default=4,
                    help="newsd cache_mb: each SQLite connection's page cache fills up to it, "
                         "which looks like growth in a short run; kept small so it fills "
                         "during the warm-up")
    args = ap.parse_args()

    work = args.dir or tempfile.mkdtemp(prefix="newsd-soak-")
    os.makedirs(work, exist_ok=True)
    db = os.path.join(work, "soak.db")
    newsd = os.path.join(os.path.abspath(args.build), "newsd")
    log = open(os.path.join(work, "serve.log"), "wb")
    proc = subprocess.Popen([newsd, "serve", "--db", db, "--listen", "127.0.0.1:0",
                             "--extraction", "no", "--cache-mb", str(args.cache_mb)],
                            stdout=subprocess.PIPE, stderr=log,
                            stdin=subprocess.DEVNULL)
    line = proc.stdout.readline().decode()
    m = re.search(r":(\d+)/", line)
    if not m:
        print("soak: newsd did not start: %r" % line)
        return 1
    port = int(m.group(1))
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    rng = random.Random(args.seed)

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    t0 = time.time()
    for lo in range(0, args.ids, 500):
        body = "".join(json.dumps(article(rng, i, 0)) + "\n"
                       for i in range(lo, min(args.ids, lo + 500)))
        st, data = request(conn, "POST", "/articles", body.encode())
        if st != 200:
            print("soak: seeding failed: %d %r" % (st, data[:200]))
            proc.kill()
            return 1
    print("soak: seeded %d articles in %.1f s; %d searchers + 1 writer for %.0f s "
          "(at most %d requests), pid %d, work dir %s" % (
              args.ids, time.time() - t0, args.searchers, args.seconds, args.max_requests,
              proc.pid, work), flush=True)

    stats = Stats()
    stop = threading.Event()

    def searcher(seed):
        r = random.Random(seed)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while not stop.is_set():
            if r.random() < 0.15:
                kind, path = "get", "/articles/soak-%d" % r.randrange(args.ids)
            elif r.random() < 0.02:
                kind, path = "stats", "/stats"
            else:
                kind, path = "search", random_query(r)
            t = time.perf_counter()
            try:
                st, data = request(c, "GET", path)
                ok = st == 200 or (kind == "get" and st == 404)
                what = "%s -> %d %r" % (path, st, data[:200])
            except (OSError, http.client.HTTPException) as e:
                ok, what = False, "%s -> %r" % (path, e)
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            stats.add(kind, time.perf_counter() - t, ok, what)
            if stats.count >= args.max_requests:
                stop.set()

    def writer():
        r = random.Random(args.seed + 1000)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        gen = 0
        while not stop.is_set():
            gen += 1
            if r.random() < 0.1:
                kind, method = "delete", "DELETE"
                path, body = "/articles/soak-%d" % r.randrange(args.ids), None
            else:
                kind, method, path = "ingest", "POST", "/articles"
                lo = r.randrange(args.ids)
                body = "".join(json.dumps(article(r, (lo + k) % args.ids, gen)) + "\n"
                               for k in range(args.batch)).encode()
            t = time.perf_counter()
            try:
                st, data = request(c, method, path, body)
                ok = st == 200 or (kind == "delete" and st == 404)
                what = "%s %s -> %d %r" % (method, path, st, data[:200])
            except (OSError, http.client.HTTPException) as e:
                ok, what = False, "%s %s -> %r" % (method, path, e)
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            stats.add(kind, time.perf_counter() - t, ok, what)
            time.sleep(0.05)

    threads = [threading.Thread(target=searcher, args=(args.seed + i,))
               for i in range(args.searchers)] + [threading.Thread(target=writer)]
    for t in threads:
        t.start()
    warm = min(30.0, args.seconds / 10)
    time.sleep(warm)
    samples = [(time.time() - t0, status_kb(proc.pid, "VmRSS"), status_kb(proc.pid, "RssAnon"))]
    rss0, anon0 = samples[0][1], samples[0][2]
    print("soak: after %.0f s warm-up: VmRSS %.1f MiB, RssAnon %.1f MiB" % (
        warm, rss0 / 1024, anon0 / 1024), flush=True)
    end = time.time() + args.seconds - warm
    while time.time() < end and not stop.is_set() and proc.poll() is None:
        time.sleep(min(5, max(0.1, end - time.time())))
        samples.append((time.time() - t0, status_kb(proc.pid, "VmRSS"),
                        status_kb(proc.pid, "RssAnon")))
    stop.set()
    for t in threads:
        t.join(120)
    alive = proc.poll() is None
    rss1, anon1 = (status_kb(proc.pid, "VmRSS"), status_kb(proc.pid, "RssAnon")) \
        if alive else (0, 0)
    hwm = status_kb(proc.pid, "VmHWM") if alive else 0
    if alive:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(60)
    else:
        rc = proc.returncode
    elapsed = time.time() - t0

    print("soak: %.0f s, %d requests (%.0f/s), %d errors, newsd exit %s" % (
        elapsed, stats.count, stats.count / max(1e-9, elapsed), len(stats.errors), rc))
    for kind in sorted(stats.lat):
        xs = stats.lat[kind]
        print("  %-7s %8d requests  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms" % (
            kind, len(xs), pct(xs, 50) * 1e3, pct(xs, 99) * 1e3, max(xs) * 1e3))
    allx = [x for xs in stats.lat.values() for x in xs]
    print("  all     p99 %.2f ms" % (pct(allx, 99) * 1e3))
    print("  VmRSS   start %.1f MiB, end %.1f MiB (%+.1f %%), peak %.1f MiB" % (
        rss0 / 1024, rss1 / 1024, 100.0 * (rss1 - rss0) / max(1, rss0), hwm / 1024))
    print("  RssAnon start %.1f MiB, end %.1f MiB (%+.1f %%)" % (
        anon0 / 1024, anon1 / 1024, 100.0 * (anon1 - anon0) / max(1, anon0)))
    print("  RssAnon samples (MiB): " + " ".join(
        "%.0f" % (x[2] / 1024) for x in samples[::max(1, len(samples) // 12)]))
    for e in stats.errors[:10]:
        print("  error: " + e)
    ok = (not stats.errors and alive and rc == 0 and
          anon1 <= anon0 * 1.10 + 4096)
    print("soak: %s" % ("ok" if ok else "FAILED"))
    if ok and not args.dir:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
