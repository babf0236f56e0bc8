#!/usr/bin/env python3
"""Runner of the end-to-end suite: real newsd processes on loopback, over HTTP.

  python3 tests/e2e/run.py [--build build/release] [--dir tests/e2e] [-k SUBSTRING] [-v]

Discovers test_*.py in --dir (tests/e2e by default; tests/pkg checks the Debian package) and
runs each module's test_* functions in file order. A module may define setup_module() and
teardown_module(). A test passes by returning, is skipped by raising harness.Skip, and fails on
any other exception. Prints one line per test and, last, "N passed, N failed, N skipped"; exits
1 when anything failed.
"""
import argparse
import glob
import importlib
import inspect
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402


def describe(exc):
    """A failure reason: the assertion text, or the exception and where it was raised."""
    if isinstance(exc, AssertionError) and str(exc):
        msg = str(exc)
    else:
        tb = traceback.extract_tb(exc.__traceback__)
        where = ""
        for fr in reversed(tb):
            if os.path.basename(fr.filename).startswith(("test_", "harness", "oracle")):
                where = " at %s:%d (%s)" % (os.path.basename(fr.filename), fr.lineno,
                                 fr.line)
                break
        msg = "%s: %s%s" % (type(exc).__name__, exc, where)
    return msg


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build/release", help="directory with newsd and newsq")
    ap.add_argument("--dir", default=HERE, help="directory of the test_*.py modules")
    ap.add_argument("-k", dest="filter", default=None, help="run tests whose name contains this")
    ap.add_argument("-v", dest="verbose", action="store_true", help="tracebacks on failure")
    args = ap.parse_args()
    harness.BUILD = os.path.abspath(args.build)

    counts = {"ok": 0, "FAIL": 0, "skip": 0}
    t_start = time.time()

    def report(status, name, detail="", took=None):
        counts[status] += 1
        line = "%-4s %s" % (status, name)
        if took is not None:
            line += " (%.2fs)" % took
        if detail:
            line += ": " + detail.replace("\n", "\n       ")
        print(line, flush=True)

    test_dir = os.path.abspath(args.dir)
    if test_dir != HERE:
        sys.path.insert(0, test_dir)
    files = sorted(glob.glob(os.path.join(test_dir, "test_*.py")))
    for path in files:
        modname = os.path.splitext(os.path.basename(path))[0]
        try:
            mod = importlib.import_module(modname)
        except Exception as e:  # a broken test module is a failure, not a crash
            report("FAIL", modname + "::import", describe(e))
            continue
        tests = [(n, f) for n, f in vars(mod).items()
             if n.startswith("test_") and inspect.isfunction(f) and f.__module__ == modname]
        tests.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
        tests = [(n, f) for n, f in tests
             if not args.filter or args.filter in "%s::%s" % (modname, n)]
        if not tests:
            continue
        setup_skip = setup_fail = None
        if hasattr(mod, "setup_module"):
            try:
                mod.setup_module()
            except harness.Skip as e:
                setup_skip = str(e)
            except Exception as e:
                setup_fail = "setup_module: " + describe(e)
                if args.verbose:
                    traceback.print_exc()
        for name, fn in tests:
            full = "%s::%s" % (modname, name)
            if setup_skip:
                report("skip", full, setup_skip)
                continue
            if setup_fail:
                report("FAIL", full, setup_fail)
                continue
            t0 = time.time()
            try:
                fn()
            except harness.Skip as e:
                report("skip", full, str(e))
            except Exception as e:
                detail = describe(e)
                for tail in harness.dead_server_logs():
                    if tail not in detail:
                        detail += "\n" + tail
                report("FAIL", full, detail, time.time() - t0)
                if args.verbose:
                    traceback.print_exc()
            else:
                report("ok", full, took=time.time() - t0)
        if hasattr(mod, "teardown_module") and not setup_skip and not setup_fail:
            try:
                mod.teardown_module()
            except Exception as e:
                report("FAIL", modname + "::teardown", describe(e))

    for err in harness.shutdown_all():
        report("FAIL", "shutdown", err)
    kept = harness.cleanup(keep=counts["FAIL"] > 0)
    if counts["FAIL"] and kept:
        print("logs and databases kept in %s" % kept)
    print("e2e took %.1fs" % (time.time() - t_start))
    print("%d passed, %d failed, %d skipped" % (counts["ok"], counts["FAIL"], counts["skip"]),
          flush=True)
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
