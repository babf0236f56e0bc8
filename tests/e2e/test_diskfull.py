"""Disk full: when the database cannot grow, writes answer 503 with a clear message, nothing
of the failed batch is visible, queued spool files stay queued, searches keep working, and the
database stays consistent. The disk is made "full" with a file-size limit (RLIMIT_FSIZE) on the
newsd process: writes past it fail with EFBIG, as on a full file system."""
import json
import os
import resource
import subprocess
import time

import harness

srv = None
spool = None
LIMIT = 0


def rec(i, words=30):
    return {"id": "df-%d" % i, "title": "Harbour report %d" % i,
            "body": " ".join("cargo%d manifest tonnage" % (i * 7 + k) for k in range(words)),
            "date": "2026-02-%02dT10:00:00Z" % (1 + i % 28), "source": "port"}


def setup_module():
    global srv, spool, LIMIT
    first = harness.Server("diskfull-fill", extra_args=["--dedup", "no", "--extraction", "no"])
    first.start()
    r = first.post("/articles", "\n".join(json.dumps(rec(i)) for i in range(50)))
    assert r.status == 200 and r.json["accepted"] == 50, r
    first.stop()
    db = first.db
    size = os.path.getsize(db)
    # room for a little more than what exists: small writes may fit, a large batch cannot
    LIMIT = size + 256 * 1024

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))

    spool = os.path.join(harness.tmpdir("diskfull-spool"), "spool")
    srv = harness.Server("diskfull", db=db, spool=spool, preexec=limit,
                         extra_args=["--dedup", "no", "--extraction", "no",
                                     "--spool-interval-ms", "100"])
    srv.start()


def teardown_module():
    if srv:
        srv.stop()


def test_large_batch_is_refused_with_503_and_leaves_no_trace():
    before = srv.health()
    big = "\n".join(json.dumps(rec(1000 + i, words=400)) for i in range(300))
    assert len(big) > 4 * LIMIT // 10, len(big)
    r = srv.post("/articles", big)
    assert r.status == 503, r
    harness.check_error(r, 503, "unavailable")
    msg = r.json["error"]["message"]
    assert "not committed" in msg and ("disk" in msg or "I/O" in msg), msg
    assert "sqlite" not in msg.lower(), "a raw SQLite message reached the client: " + msg
    # nothing of the batch is visible, the index version did not move
    assert srv.get("/articles/df-1000").status == 404
    assert srv.get("/articles/df-1299").status == 404
    after = srv.health()
    assert after["index_version"] == before["index_version"], (before, after)
    assert after["articles"] == before["articles"], (before, after)


def test_searches_keep_working():
    r = srv.get("/search", q="harbour", limit=5)
    assert r.status == 200, r
    assert r.json["total"] == 50, r.json["total"]
    assert srv.get("/articles/df-7").json["title"] == "Harbour report 7"
    assert srv.get("/health").status == 200


def test_spool_file_stays_queued():
    name = "big.jsonl"
    tmp = os.path.join(spool, ".writing")
    with open(tmp, "w") as f:
        f.write("\n".join(json.dumps(rec(2000 + i, words=400)) for i in range(300)))
    os.rename(tmp, os.path.join(spool, name))
    # several scans, each a failed batch (a slow machine or a sanitizer build needs more than
    # the second that is enough elsewhere)
    deadline = time.time() + 20
    while time.time() < deadline:
        time.sleep(0.25)
        lines = [l for l in srv.get("/metrics").body.decode().splitlines()
                 if l.startswith('newsd_ingest_batches_total{result="failed"}')]
        if lines and float(lines[0].split()[-1]) >= 2:
            break
    assert os.path.exists(os.path.join(spool, name)), "the spool file was moved or lost"
    assert not os.path.exists(os.path.join(spool, "done", name))
    assert not os.path.exists(os.path.join(spool, "failed", name))
    assert srv.get("/articles/df-2000").status == 404
    r = srv.get("/metrics")
    assert r.status == 200
    failed = [l for l in r.body.decode().splitlines()
              if l.startswith('newsd_ingest_batches_total{result="failed"}')]
    assert failed and float(failed[0].split()[-1]) >= 2, failed
    os.unlink(os.path.join(spool, name))   # leave the spool empty for the stop


def test_database_still_consistent():
    srv.stop()
    out = subprocess.run([harness.binary(), "check", "--db", srv.db], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    again = harness.Server("diskfull-again", db=srv.db, extra_args=["--dedup", "no"]).start()
    try:
        assert again.get("/search", q="harbour").json["total"] == 50
        r = again.post("/articles", json.dumps(rec(3000)))
        assert r.status == 200 and r.json["accepted"] == 1, r
    finally:
        again.stop()
