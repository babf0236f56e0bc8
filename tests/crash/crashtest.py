#!/usr/bin/env python3
"""Crash safety of newsd: acknowledged writes survive SIGKILL, batches are all-or-nothing.

  python3 tests/crash/crashtest.py [--build build/release] [--kills 100] [--threads 4]
                                   [--batch 20] [--seed N] [--dir DIR]

Each round starts `newsd serve` on a free loopback port, streams POST /articles batches with
known ids and contents from several client threads, and kills the daemon with SIGKILL at a
random moment. Then, with the daemon dead, `newsd check` must exit 0; the daemon is restarted
and every batch of the round is looked at:
  - acknowledged (200 received): every id is there with its exact title, body and date, and
    a search for the batch's marker word finds exactly the batch;
  - unacknowledged (the connection died): all of its ids exist or none does (the marker word,
    unique to the batch, finds 0 or all of them). Whichever it was must not change later.
At the end every acknowledged batch of every round is checked again. Prints the figures
(kills, batches acknowledged, lost, half-visible) and exits 1 unless lost, half-visible and
check failures are all 0. Python 3 standard library only; tests/e2e/test_crash.py runs a
short version inside `make e2e`.

With --bulk-kills N it also kills `newsd index` N times during a large bulk load (a generated
JSON Lines file in random date order, entity extraction and wire-copy detection on): after each
kill the database must open and pass `newsd check`; then the same command is run to the end and
every record must be there exactly once, with its title, body and date.
"""
import argparse
import calendar
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
import zlib

WORDS = ("minister parliament harbour strike wheat tariff election bank currency storm "
         "flood refinery court verdict senate budget grain export shipping pipeline "
         "inflation treaty summit ceasefire coalition drought vaccine").split()


class Batch:
    """One POST: its records, its marker word, and what became of it."""

    def __init__(self, key, marker, records):
        self.key = key
        self.marker = marker
        self.records = records
        self.acked = False
        self.visible = None     # after the restart: True (all there) / False (none)


def make_batch(rng, rnd, thread, seq, size):
    marker = "zqx%dt%db%d" % (rnd, thread, seq)
    key = "r%d-t%d-b%d" % (rnd, thread, seq)
    recs = []
    for i in range(size):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 120)))
        day = rng.randint(1, 28)
        recs.append({
            "id": "%s-%d" % (key, i),
            "title": "Crash report %s number %d" % (marker, i),
            "body": "%s %s. The figure was %d; \u00e9t\u00e9 \u2014 ok." % (
                marker, words, rng.randint(0, 10 ** 9)),
            "date": "2025-%02d-%02dT%02d:%02d:%02dZ" % (rng.randint(1, 12), day,
                                                      rng.randint(0, 23), rng.randint(0, 59),
                                                      rng.randint(0, 59)),
            "source": "crash-wire-%d" % (thread % 3),
        })
    return Batch(key, marker, recs)


class Daemon:
    """A `newsd serve` process on 127.0.0.1:<free port>."""

    def __init__(self, newsd, db, log_path, extra):
        self.newsd, self.db, self.log_path, self.extra = newsd, db, log_path, extra
        self.proc = None
        self.port = None

    def start(self, timeout=60):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.newsd, "serve", "--db", self.db, "--listen", "127.0.0.1:0"] + self.extra,
            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        line = self.proc.stdout.readline().decode("utf-8", "replace")
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line)
        if not m:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("newsd serve did not start: %r (see %s)" % (line, self.log_path))
        self.port = int(m.group(1))
        # drain stdout so the daemon never blocks on a full pipe
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                st, _ = self.request("GET", "/health", timeout=5)
                if st == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("newsd never answered /health 200")

    def request(self, method, path, body=None, timeout=30):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            hdrs = {"Content-Type": "application/json"} if body is not None else {}
            c.request(method, path, body=body, headers=hdrs)
            r = c.getresponse()
            data = r.read()
            try:
                j = json.loads(data.decode("utf-8"))
            except ValueError:
                j = None
            return r.status, j
        finally:
            c.close()

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout=30):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)


def client(daemon, rng, rnd, thread, size, stop, out, errors):
    """Post batches until stop is set or the daemon dies; record each batch's outcome."""
    seq = 0
    while not stop.is_set():
        b = make_batch(rng, rnd, thread, seq, size)
        seq += 1
        out.append(b)
        body = "".join(json.dumps(r) + "\n" for r in b.records)
        try:
            st, j = daemon.request("POST", "/articles", body.encode("utf-8"))
        except (OSError, http.client.HTTPException):
            return      # the daemon was killed: this batch is unacknowledged
        if st == 200 and j and j.get("accepted", 0) + j.get("updated", 0) == size \
                and not j.get("rejected"):
            b.acked = True
        elif st == 503:
            return
        else:
            errors.append("%s: POST answered %d %r" % (b.key, st, j))
            return


def article_matches(daemon, rec):
    st, j = daemon.request("GET", "/articles/" + urllib.parse.quote(rec["id"], safe=""))
    if st != 200 or j is None:
        return False
    return (j.get("title") == rec["title"] and j.get("body") == rec["body"] and
            j.get("date") == rec["date"] and j.get("source") == rec["source"])


def marker_total(daemon, marker):
    st, j = daemon.request("GET", "/search?" + urllib.parse.urlencode(
        {"q": marker, "limit": 0}))
    if st != 200:
        raise RuntimeError("search %s answered %d %r" % (marker, st, j))
    return j["total"]


def verify(daemon, batches, figures, problems, full):
    """Check each batch against what the restarted daemon holds (see the module doc)."""
    for b in batches:
        n = len(b.records)
        total = marker_total(daemon, b.marker)
        if b.acked:
            bad = [r["id"] for r in b.records if full and not article_matches(daemon, r)]
            if total != n or bad:
                figures["lost"] += 1
                problems.append("acknowledged batch %s: search finds %d of %d; missing or "
                                "different: %s" % (b.key, total, n, bad[:5]))
            continue
        present = sum(1 for r in b.records
                      if daemon.request("GET", "/articles/" +
                                        urllib.parse.quote(r["id"], safe=""))[0] == 200) \
            if full else (n if total == n else 0)
        if total not in (0, n) or present not in (0, n) or (total == n) != (present == n):
            figures["half_visible"] += 1
            problems.append("unacknowledged batch %s is half-visible: search %d, ids %d of %d"
                            % (b.key, total, present, n))
            continue
        visible = total == n
        if b.visible is None:
            b.visible = visible
            if visible:
                figures["unacked_committed"] += 1
        elif b.visible != visible:
            figures["half_visible"] += 1
            problems.append("unacknowledged batch %s changed from %s to %s" % (
                b.key, b.visible, visible))


def stored_text(body):
    """A body as stored (index/zbody.h): TEXT, or a BLOB of the tag byte 1, the length in 4
    bytes little endian, and the text as a raw deflate stream."""
    if isinstance(body, bytes) and len(body) >= 5 and body[0] == 1:
        text = zlib.decompress(body[5:], -15)
        if len(text) != int.from_bytes(body[1:5], "little"):
            raise ValueError("a stored body's length does not match its text")
        return text.decode("utf-8")
    return body


def run_check(newsd, db):
    p = subprocess.run([newsd, "check", "--db", db], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                       timeout=600)
    return p.returncode, p.stdout


def run(newsd, kills=100, threads=4, batch=20, seed=None, workdir=None, log=print,
        max_delay=0.8):
    """Run the crash test; returns (figures, problems). problems is empty on success."""
    seed = seed if seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    own_dir = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="newsd-crash-")
    db = os.path.join(workdir, "crash.db")
    daemon = Daemon(newsd, db, os.path.join(workdir, "serve.log"),
                    ["--threads", "2", "--extraction", "no", "--dedup", "no"])
    figures = {"kills": 0, "batches_sent": 0, "acknowledged": 0, "unacked": 0,
               "unacked_committed": 0, "lost": 0, "half_visible": 0, "check_failures": 0}
    problems = []
    every = []
    t0 = time.time()
    log("crashtest: seed %d, %d kills, %d client threads, %d records per batch, in %s" %
        (seed, kills, threads, batch, workdir))
    daemon.start()
    for rnd in range(kills):
        stop = threading.Event()
        out, errors = [], []
        ts = [threading.Thread(target=client,
                               args=(daemon, random.Random(rng.random()), rnd, t, batch,
                                     stop, out, errors))
              for t in range(threads)]
        for t in ts:
            t.start()
        time.sleep(rng.uniform(0.02, max_delay))
        daemon.kill()
        stop.set()
        for t in ts:
            t.join(60)
        figures["kills"] += 1
        problems.extend(errors)
        rc, text = run_check(newsd, db)
        if rc != 0:
            figures["check_failures"] += 1
            problems.append("round %d: newsd check exited %d:\n%s" % (rnd, rc, text[-2000:]))
        daemon.start()
        verify(daemon, out, figures, problems, full=True)
        every.extend(out)
        acked = sum(1 for b in out if b.acked)
        figures["batches_sent"] += len(out)
        figures["acknowledged"] += acked
        figures["unacked"] += len(out) - acked
        if (rnd + 1) % 10 == 0 or rnd + 1 == kills:
            log("  round %d: %d batches acknowledged so far, lost %d, half-visible %d" % (
                rnd + 1, figures["acknowledged"], figures["lost"], figures["half_visible"]))
    # last: everything again, cheaply (one search per batch), then a clean stop and check
    verify(daemon, every, figures, problems, full=False)
    st, health = daemon.request("GET", "/health")
    want = sum(len(b.records) for b in every if b.acked or b.visible)
    if st != 200 or health.get("articles") != want:
        problems.append("after all rounds /health says %r, expected %d articles" % (
            health, want))
    rc = daemon.stop()
    if rc != 0:
        problems.append("newsd exited %d after SIGTERM" % rc)
    rc, text = run_check(newsd, db)
    if rc != 0:
        figures["check_failures"] += 1
        problems.append("final newsd check exited %d:\n%s" % (rc, text[-2000:]))
    figures["seconds"] = round(time.time() - t0, 1)
    figures["seed"] = seed
    log("crashtest: kills %d, batches sent %d, acknowledged %d, unacknowledged %d (of which "
        "committed %d), lost %d, half-visible %d, check failures %d, %.1f s" % (
            figures["kills"], figures["batches_sent"], figures["acknowledged"],
            figures["unacked"], figures["unacked_committed"], figures["lost"],
            figures["half_visible"], figures["check_failures"], figures["seconds"]))
    if own_dir and not problems:
        shutil.rmtree(workdir, ignore_errors=True)
    elif problems:
        log("crashtest: database and log kept in %s" % workdir)
    return figures, problems


def bulk_corpus(path, n, rng):
    """A JSON Lines file of n records in random date order; returns {id: (title, body, date)}."""
    want = {}
    with open(path, "w") as f:
        for i in range(n):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 160)))
            date = "20%02d-%02d-%02dT%02d:%02d:%02dZ" % (
                rng.randint(19, 26), rng.randint(1, 12), rng.randint(1, 28),
                rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
            rec = {"id": "bulk-%d" % i, "title": "Bulk record %d about %s" % (i, rng.choice(WORDS)),
                   "body": "The Minister of Finance, Maria Lopez, said in Geneva that " + words,
                   "date": date, "source": "wire-%d" % rng.randint(1, 5)}
            f.write(json.dumps(rec) + "\n")
            want[rec["id"]] = (rec["title"], rec["body"], date)
    return want


def run_bulk(newsd, kills=10, records=30000, seed=None, workdir=None, log=print):
    """Kill newsd index during a bulk load `kills` times, then finish it; returns
    (figures, problems) like run()."""
    import sqlite3
    seed = seed if seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    own_dir = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="newsd-crash-bulk-")
    db = os.path.join(workdir, "bulk.db")
    corpus = os.path.join(workdir, "bulk.jsonl")
    want = bulk_corpus(corpus, records, rng)
    cmd = [newsd, "index", "--db", db, "--batch-max-records", "5000", corpus]
    figures = {"bulk_kills": 0, "check_failures": 0, "articles_at_kill": []}
    problems = []
    t0 = time.time()
    log("crashtest bulk: seed %d, %d kills of newsd index, %d records, in %s" % (
        seed, kills, records, workdir))
    # how long a whole load takes, to spread the kills over it
    start = time.time()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   timeout=600)
    full = time.time() - start
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    for k in range(kills):
        if k % 2 == 0:
            # every other kill into a fresh database (a first load), the others into what
            # the last kill left (a rerun over records already there: upserts)
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(db + suffix):
                    os.remove(db + suffix)
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, full * 0.9))
        p.send_signal(signal.SIGKILL)
        p.wait()
        figures["bulk_kills"] += 1
        rc, text = run_check(newsd, db)
        if rc != 0:
            figures["check_failures"] += 1
            problems.append("bulk kill %d: newsd check exited %d:\n%s" % (k, rc, text[-2000:]))
        try:
            con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
            figures["articles_at_kill"].append(
                con.execute("SELECT count(*) FROM article").fetchone()[0])
            con.close()
        except sqlite3.Error as e:
            problems.append("bulk kill %d: the database does not open: %s" % (k, e))
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=600)
    if p.returncode != 0:
        problems.append("the rerun of newsd index exited %d:\n%s" % (p.returncode,
                                                                     p.stdout[-2000:]))
    rc, text = run_check(newsd, db)
    if rc != 0:
        figures["check_failures"] += 1
        problems.append("after the rerun newsd check exited %d:\n%s" % (rc, text[-2000:]))
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    rows = con.execute("SELECT id, title, body, date FROM article").fetchall()
    con.close()
    seen = {}
    for rid, title, body, date in rows:
        body = stored_text(body)
        seen[rid] = seen.get(rid, 0) + 1
        w = want.get(rid)
        if w is None:
            problems.append("unexpected article %s" % rid)
        elif (title, body) != w[:2]:
            problems.append("article %s has other text than its record" % rid)
        elif date != calendar.timegm(time.strptime(w[2], "%Y-%m-%dT%H:%M:%SZ")):
            problems.append("article %s has another date than its record" % rid)
    missing = [i for i in want if i not in seen]
    twice = [i for i, c in seen.items() if c > 1]
    if missing:
        problems.append("%d records missing after the rerun, e.g. %s" % (len(missing),
                                                                         missing[:3]))
    if twice:
        problems.append("%d records stored twice, e.g. %s" % (len(twice), twice[:3]))
    figures["articles"] = len(rows)
    figures["seconds"] = round(time.time() - t0, 1)
    figures["seed"] = seed
    log("crashtest bulk: %d kills of newsd index (a whole load %.1f s; articles at each kill: "
        "%s), rerun: %d of %d records, check failures %d, %.1f s" % (
            figures["bulk_kills"], full, figures["articles_at_kill"], len(rows), records,
            figures["check_failures"], figures["seconds"]))
    if own_dir and not problems:
        shutil.rmtree(workdir, ignore_errors=True)
    elif problems:
        log("crashtest bulk: database kept in %s" % workdir)
    return figures, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build/release", help="directory with newsd")
    ap.add_argument("--kills", type=int, default=100)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--batch", type=int, default=20, help="records per POST")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--dir", default=None, help="work directory (default: a new temporary one)")
    ap.add_argument("--bulk-kills", type=int, default=0,
                    help="also kill newsd index this many times during a bulk load")
    ap.add_argument("--bulk-records", type=int, default=30000)
    args = ap.parse_args()
    newsd = os.path.join(os.path.abspath(args.build), "newsd")
    figures, problems = run(newsd, args.kills, args.threads, args.batch, args.seed, args.dir)
    if args.bulk_kills:
        _, more = run_bulk(newsd, args.bulk_kills, args.bulk_records, args.seed)
        problems.extend(more)
    for p in problems[:50]:
        print("PROBLEM: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
