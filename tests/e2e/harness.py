"""Helpers of the end-to-end suite: start a real newsd on a free loopback port, talk HTTP to it,
stop it cleanly, and share one Reuters-indexed server between all the tests that need it.

Everything listens on 127.0.0.1 only. Servers, databases and logs live in one temporary
directory per run (kept, and printed, when something failed).
"""
import gzip
import http.client
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(REPO, "build", "release")    # set by run.py --build


def _find_shared():
    """../shared beside the repository (as in CI), or NEWSD_SHARED."""
    for cand in (os.environ.get("NEWSD_SHARED"), os.path.join(REPO, "..", "shared")):
        if cand and os.path.isdir(os.path.join(cand, "corpus")):
            return os.path.abspath(cand)
    return None


SHARED = _find_shared()
REUTERS = os.path.join(SHARED, "corpus", "reuters21578.jsonl.gz") if SHARED else None
SEED = os.path.join(SHARED, "seeds", "000_17734199b23d2403.txt") if SHARED else None
SKIP_SHARED = "../shared/corpus absent: skipping Reuters tests"

START_TIMEOUT = float(os.environ.get("NEWSD_E2E_START_TIMEOUT", "60"))
STOP_TIMEOUT = 10.0

_tmp_root = None
_servers = []        # every Server started in this run, for logs and final shutdown
_shared = {}        # lazily built shared fixtures


class Skip(Exception):
    """Raised by a test or a setup_module to skip, with the reason as message."""


def skip(reason):
    raise Skip(reason)


def require_shared():
    if not SHARED or not os.path.exists(REUTERS):
        raise Skip(SKIP_SHARED)


def tmp_root():
    global _tmp_root
    if _tmp_root is None:
        _tmp_root = tempfile.mkdtemp(prefix="newsd-e2e-")
    return _tmp_root


def tmpdir(name):
    """A fresh directory under the run's temporary root."""
    base = os.path.join(tmp_root(), name)
    path, n = base, 1
    while os.path.exists(path):
        n += 1
        path = "%s-%d" % (base, n)
    os.makedirs(path)
    return path


def binary(name="newsd"):
    path = os.path.join(BUILD, name)
    if not os.access(path, os.X_OK):
        raise AssertionError("%s not built (run make)" % path)
    return path


def write_config(path, settings):
    """Write an INI config file of key = value lines."""
    with open(path, "w") as f:
        for k, v in settings.items():
            f.write("%s = %s\n" % (k, v))
    return path


def gz(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return gzip.compress(data)


def jsonl(records):
    return "".join(json.dumps(r) + "\n" for r in records)


def random_dates(n, seed, time_of_day="10:00:00"):
    """n ISO 8601 dates between 2010 and 2025, in a seeded random order."""
    import random
    rng = random.Random(seed)
    return ["20%02d-%02d-%02dT%sZ" % (rng.randrange(10, 26), rng.randrange(1, 13),
                                      rng.randrange(1, 29), time_of_day) for _ in range(n)]


def fts_segments(db):
    """How many segments the FTS5 index of database file db holds (read-only, while newsd
    runs: WAL)."""
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return c.execute("SELECT count(DISTINCT segid) FROM fts_idx").fetchone()[0]
    finally:
        c.close()


def run_index(db, paths, config=None, timeout=300):
    """Run `newsd index --db DB PATH…`; returns the CompletedProcess (stdout/stderr text)."""
    cmd = [binary(), "index"]
    if config:
        cmd += ["-c", config]
    cmd += ["--db", db] + list(paths)
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                  stdin=subprocess.DEVNULL, timeout=timeout, text=True)


def summary_count(text, word):
    """The number next to word ('indexed', 'rejected', …) in a newsd summary line, or None."""
    m = re.search(r"(\d[\d,]*)\s+%s" % word, text) or \
        re.search(r"%s\W{0,3}(\d[\d,]*)" % word, text)
    return int(m.group(1).replace(",", "")) if m else None


class Response:
    """status, headers (lower-case keys), raw body bytes, and .json (None if not JSON)."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.json = None
        if body:
            data = body
            if headers.get("content-encoding") == "gzip":
                data = gzip.decompress(body)
            try:
                self.json = json.loads(data.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                pass

    def __iter__(self):        # status, headers, json = srv.get(...)
        return iter((self.status, self.headers, self.json))

    def __repr__(self):
        b = self.body[:300]
        return "HTTP %d %r" % (self.status, b)


def _query_string(params):
    items = []
    for k, v in params.items():
        if k.endswith("_") and k[:-1] in ("from", "to"):
            k = k[:-1]
        if v is None:
            continue
        if isinstance(v, (list, tuple)):
            items.extend((k, str(x)) for x in v)
        else:
            items.append((k, str(v)))
    return urllib.parse.urlencode(items)


class Server:
    """One `newsd serve` process on 127.0.0.1:<free port>."""

    def __init__(self, name, db=None, config=None, spool=None, extra_args=(), preexec=None,
                 exe=None):
        self.name = name
        self.exe = exe              # the newsd to run (default: the one in BUILD)
        self.dir = tmpdir(name)
        self.db = db or os.path.join(self.dir, "newsd.db")
        self.config = config
        self.spool = spool
        self.extra_args = list(extra_args)
        self.preexec = preexec      # run in the child before exec (e.g. resource limits)
        self.proc = None
        self.port = None
        self.stdout_lines = []
        self.log_path = os.path.join(self.dir, "stderr.log")
        self._conn = None
        self.stopped = False

    # -- life cycle -------------------------------------------------------------------------

    def start(self):
        cmd = [self.exe or binary(), "serve"]
        if self.config:
            cmd += ["-c", self.config]
        cmd += ["--db", self.db, "--listen", "127.0.0.1:0"]
        if self.spool:
            cmd += ["--spool", self.spool]
        cmd += self.extra_args
        self.cmd = cmd
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._log,
                         stdin=subprocess.DEVNULL, preexec_fn=self.preexec)
        _servers.append(self)
        ready = threading.Event()

        def reader():
            for raw in self.proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.stdout_lines.append(line)
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line)
                if m and self.port is None:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()
        threading.Thread(target=reader, daemon=True).start()
        deadline = time.time() + START_TIMEOUT
        ready.wait(START_TIMEOUT)
        if self.port is None:
            self._kill()
            raise AssertionError("newsd serve did not print its listening line within %.0fs "
                         "(exit %s); %s\n%s" % (START_TIMEOUT, self.proc.returncode,
                                    " ".join(cmd), self.log_tail()))
        while True:
            try:
                r = self.get("/health")
                if r.status == 200:
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                self._kill()
                raise AssertionError("newsd never answered /health 200 (exit %s)\n%s" %
                             (self.proc.returncode, self.log_tail()))
            time.sleep(0.05)

    def stop(self):
        """SIGTERM; the process must exit 0 within 10 s (else it is killed and this fails)."""
        if self.stopped or self.proc is None:
            return
        self.stopped = True
        self.close()
        if self.proc.poll() is not None:
            raise AssertionError("%s: newsd had already exited with %s\n%s" %
                         (self.name, self.proc.returncode, self.log_tail()))
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._kill()
            raise AssertionError("%s: newsd did not exit within %.0fs of SIGTERM\n%s" %
                         (self.name, STOP_TIMEOUT, self.log_tail()))
        finally:
            self._log.close()
        if rc != 0:
            raise AssertionError("%s: newsd exited with %d after SIGTERM\n%s" %
                         (self.name, rc, self.log_tail()))

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stopped = True

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=25):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return ""
        tail = lines[-n:]
        return "--- %s stderr (%s), last %d lines:\n%s" % (self.name, self.log_path, len(tail),
                                  "\n".join(tail))

    # -- HTTP -------------------------------------------------------------------------------

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method, path, body=None, headers=None, params=None, timeout=60):
        """One HTTP request on a kept-alive connection (reconnecting once if it was closed)."""
        if params:
            qs = _query_string(params)
            if qs:
                path += ("&" if "?" in path else "?") + qs
        hdrs = dict(headers or {})
        if isinstance(body, str):
            body = body.encode("utf-8")
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            try:
                self._conn.request(method, path, body=body, headers=hdrs)
                resp = self._conn.getresponse()
                data = resp.read() if method != "HEAD" else b""
                if method == "HEAD":
                    resp.read()
                out = Response(resp.status, {k.lower(): v for k, v in resp.getheaders()},
                           data)
                if resp.will_close:
                    self.close()
                return out
            except (http.client.RemoteDisconnected, ConnectionResetError,
                BrokenPipeError, http.client.CannotSendRequest) as e:
                self.close()
                if attempt == 1 or not self.alive():
                    raise AssertionError("%s %s: connection failed: %r\n%s" %
                                 (method, path, e, self.log_tail()))
        raise AssertionError("unreachable")

    def get(self, path, params=None, headers=None, **kw):
        """GET path?params; keyword arguments are parameters too (from_= for from)."""
        p = dict(params or {})
        p.update(kw)
        return self.request("GET", path, params=p, headers=headers)

    def head(self, path, params=None, **kw):
        p = dict(params or {})
        p.update(kw)
        return self.request("HEAD", path, params=p)

    def post(self, path, body, headers=None, params=None):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        return self.request("POST", path, body=body, headers=h, params=params)

    def delete(self, path, headers=None):
        return self.request("DELETE", path, headers=headers)

    def health(self):
        r = self.get("/health")
        assert r.status == 200, r
        return r.json


def article_path(id_):
    return "/articles/" + urllib.parse.quote(id_, safe="")


def check_error(r, status, code=None):
    """r is a JSON error of the contract's shape with this status (and code)."""
    assert r.status == status, "want %d%s, got %r" % (status, " " + code if code else "", r)
    assert r.json is not None and isinstance(r.json.get("error"), dict), \
        "error body is not {\"error\": {...}}: %r" % r
    e = r.json["error"]
    assert e.get("status") == status, "error.status %r != %d: %r" % (e.get("status"), status, r)
    assert isinstance(e.get("message"), str) and e["message"], "error.message missing: %r" % r
    if code:
        assert e.get("code") == code, "error.code %r, want %r: %r" % (e.get("code"), code, r)
    return e


# -- the shared Reuters fixture -------------------------------------------------------------

def reuters_config(path):
    """Entities exactly as given (no extraction) and no wire-copy detection, so that the
    oracle's view of the corpus is the server's."""
    return write_config(path, {"extraction": "no", "dedup": "no"})


def reuters():
    """(server, corpus): one newsd serving the Reuters corpus, indexed once per run with
    `newsd index` (the oracle is built meanwhile), shared by every test that needs it."""
    require_shared()
    if "reuters_error" in _shared:
        raise AssertionError("Reuters fixture failed earlier: %s" % _shared["reuters_error"])
    if "reuters" in _shared:
        return _shared["reuters"]
    try:
        import oracle
        d = tmpdir("reuters")
        db = os.path.join(d, "reuters.db")
        conf = reuters_config(os.path.join(d, "newsd.conf"))
        cmd = [binary(), "index", "-c", conf, "--db", db, REUTERS]
        t0 = time.time()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    stdin=subprocess.DEVNULL, text=True)
        corpus = oracle.Corpus.load_jsonl(REUTERS)
        out, err = proc.communicate(timeout=600)
        took = time.time() - t0
        if proc.returncode != 0:
            raise AssertionError("%s exited %d\nstdout: %s\nstderr: %s" %
                         (" ".join(cmd), proc.returncode, out[-2000:], err[-2000:]))
        # FTS5's segments as the load left them (other tests write to this server later)
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        try:
            segments = con.execute("SELECT count(DISTINCT segid) FROM fts_idx").fetchone()[0]
        finally:
            con.close()
        srv = Server("reuters-serve", db=db, config=conf).start()
        _shared["reuters"] = (srv, corpus)
        _shared["reuters_index"] = {"stdout": out, "stderr": err, "seconds": took,
                                    "segments": segments}
        return _shared["reuters"]
    except Exception as e:
        _shared["reuters_error"] = str(e)
        raise


def reuters_index_output():
    reuters()
    return _shared["reuters_index"]


def shutdown_all():
    """Stop every server still running; returns a list of failure messages."""
    errors = []
    for s in _servers:
        if not s.stopped:
            try:
                s.stop()
            except AssertionError as e:
                errors.append(str(e))
    return errors


def dead_server_logs():
    """Log tails of servers that died on their own (for failure messages)."""
    return [s.log_tail() for s in _servers if not s.stopped and s.proc and s.proc.poll() is not None]


def cleanup(keep):
    if _tmp_root and not keep:
        shutil.rmtree(_tmp_root, ignore_errors=True)
    return _tmp_root
