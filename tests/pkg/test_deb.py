"""The Debian package built by `make deb` (run by `make deb-test` through tests/e2e/run.py
--dir tests/pkg): its file list and modes, control fields (Depends from the shared libraries),
conffiles, maintainer scripts (user, then directories, then the service enabled and started),
lintian without errors; and, unpacked, the same checks as a `make install` (tests/e2e/
test_install.py): the unit, sysusers.d and tmpfiles.d, config, man pages, completion, and the
packaged newsd serving what the packaged newsq queries. The package directory is build/deb, or
NEWSD_DEB_DIR."""
import glob
import os
import re
import shutil
import subprocess

import harness
import test_install as inst

DEB_DIR = os.environ.get("NEWSD_DEB_DIR", os.path.join(harness.REPO, "build", "deb"))
DEB = ROOT = CONTROL = None
UNIT = "lib/systemd/system/newsd.service"
# file in the package -> mode (every one owned by root:root)
PACKAGED = {
    "etc/newsd/newsd.conf": 0o644,
    UNIT: 0o644,
    "usr/bin/newsd": 0o755,
    "usr/bin/newsq": 0o755,
    "usr/lib/sysusers.d/newsd.conf": 0o644,
    "usr/lib/tmpfiles.d/newsd.conf": 0o644,
    "usr/share/bash-completion/completions/newsd": 0o644,
    "usr/share/bash-completion/completions/newsq": 0o644,
    "usr/share/doc/newsd/DESIGN.md.gz": 0o644,
    "usr/share/doc/newsd/README.md.gz": 0o644,
    "usr/share/doc/newsd/changelog.gz": 0o644,
    "usr/share/doc/newsd/copyright": 0o644,
    "usr/share/lintian/overrides/newsd": 0o644,
    "usr/share/man/man1/newsq.1.gz": 0o644,
    "usr/share/man/man5/newsd.conf.5.gz": 0o644,
    "usr/share/man/man8/newsd.8.gz": 0o644,
}


def run(*cmd):
    p = subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       stdin=subprocess.DEVNULL, timeout=300)
    assert p.returncode == 0, "%s: %s" % (" ".join(cmd), p.stderr)
    return p.stdout


def field(name):
    return run("dpkg-deb", "-f", DEB, name).strip()


def setup_module():
    global DEB, ROOT, CONTROL
    debs = [d for d in glob.glob(os.path.join(DEB_DIR, "newsd_*.deb"))]
    if not debs:
        harness.skip("no newsd_*.deb in %s (make deb)" % DEB_DIR)
    assert len(debs) == 1, debs
    DEB = debs[0]
    ROOT = harness.tmpdir("deb-root")
    CONTROL = harness.tmpdir("deb-control")
    run("dpkg-deb", "-x", DEB, ROOT)
    shutil.rmtree(CONTROL)
    run("dpkg-deb", "-e", DEB, CONTROL)


def test_contents():
    files = {}
    for line in run("dpkg-deb", "-c", DEB).splitlines():
        perm, owner, _, _, _, path = line.split(None, 5)
        assert owner == "root/root", line
        if not perm.startswith("d"):
            bits = perm[1:]
            files[path[2:]] = sum(1 << (8 - i) for i, c in enumerate(bits) if c != "-")
    assert set(files) == set(PACKAGED), "missing %s, unexpected %s" % (
        sorted(set(PACKAGED) - set(files)), sorted(set(files) - set(PACKAGED)))
    for path, mode in PACKAGED.items():
        assert files[path] == mode, "%s: mode %o, want %o" % (path, files[path], mode)


def test_control():
    with open(os.path.join(harness.REPO, "debian", "changelog")) as f:
        base = re.match(r"newsd \(([^)]+)\)", f.readline()).group(1)
    assert field("Package") == "newsd"
    assert field("Version").startswith(base), (field("Version"), base)
    assert field("Architecture") == run("dpkg", "--print-architecture").strip()
    depends = [d.strip() for d in field("Depends").split(",")]
    names = {re.split(r"[ (]", d)[0] for d in depends}
    for lib in ("libc6", "libevent-2.1-7", "libevent-pthreads-2.1-7", "libsqlite3-0",
                "libjansson4", "libinih1", "zlib1g"):
        assert lib in names, "Depends lacks %s: %s" % (lib, depends)
    assert "systemd | systemd-standalone-sysusers | systemd-sysusers" in depends, depends


def test_version_is_the_package_version():
    out = run(ROOT + "/usr/bin/newsd", "--version")
    assert out.startswith("newsd %s " % field("Version")), out


def test_conffiles():
    with open(os.path.join(CONTROL, "conffiles")) as f:
        assert f.read().split() == ["/etc/newsd/newsd.conf"]


def test_maintainer_scripts():
    """postinst: the user, then its directories, then the service enabled and (re)started;
    prerm stops it; postrm forgets it on purge."""
    def read(name):
        with open(os.path.join(CONTROL, name)) as f:
            return f.read()
    postinst = read("postinst")
    steps = ["systemd-sysusers", "systemd-tmpfiles", "deb-systemd-helper enable",
             "deb-systemd-invoke $_dh_action 'newsd.service'"]
    where = [postinst.find(s) for s in steps]
    assert -1 not in where and where == sorted(where), "postinst steps %s at %s" % (steps, where)
    assert "deb-systemd-invoke stop 'newsd.service'" in read("prerm")
    assert "deb-systemd-helper purge 'newsd.service'" in read("postrm")


def test_lintian():
    if shutil.which("lintian") is None:
        harness.skip("lintian is not installed (make pkg-deps)")
    p = subprocess.run(["lintian", "--fail-on", "error", "--display-info", DEB],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=600)
    tags = [l for l in p.stdout.splitlines() if re.match(r"[EWIPX]: ", l)]
    print("     lintian: %d errors, %d warnings, %d info (after debian/newsd.lintian-overrides)"
          % tuple(sum(t.startswith(k) for t in tags) for k in "EWI"))
    for t in tags:
        print("       " + t)
    assert p.returncode == 0 and not any(t.startswith("E:") for t in tags), p.stdout


def test_no_build_leftovers_in_the_tree():
    """The package is built in a copy under build/deb: no debhelper leftovers in debian/ and
    no artifacts beside the tree (where dpkg-buildpackage would put them)."""
    debian = os.path.join(harness.REPO, "debian")
    left = [p for p in ("newsd", "newsd-dbgsym", ".debhelper", "files", "newsd.substvars",
                        "debhelper-build-stamp", "tmp") if os.path.exists(os.path.join(debian, p))]
    left += glob.glob(os.path.join(debian, "*.debhelper*"))
    left += glob.glob(os.path.join(harness.REPO, "..", "newsd*_*.*"))
    assert not left, "build leftovers: %s" % left


def test_unit():
    inst.check_unit(ROOT, UNIT, "/usr/bin", "/usr/share/man")


def test_unit_verifies():
    inst.verify_unit(ROOT, UNIT, "/usr/bin", "/usr/share/man")


def test_sysusers_tmpfiles():
    inst.check_user_and_dirs(ROOT, "usr/lib/sysusers.d/newsd.conf",
                             "usr/lib/tmpfiles.d/newsd.conf")


def test_config():
    inst.check_config(os.path.join(ROOT, "etc/newsd/newsd.conf"))


def test_packaged_newsd_serves_newsq_queries():
    inst.serve_and_query(ROOT, "/usr/bin", "/etc/newsd/newsd.conf")


def test_man_pages_render():
    for page in inst.MAN_PAGES:
        inst.render_man(os.path.join(ROOT, "usr/share/man", page + ".gz"))


def test_man_lists_every_config_key():
    inst.check_man_keys(os.path.join(ROOT, "usr/share/man"))


def test_man_lists_every_command_and_option():
    inst.check_man_commands(ROOT, "/usr/bin", os.path.join(ROOT, "usr/share/man"))


def test_completion():
    inst.check_completion(os.path.join(ROOT, "usr/share/bash-completion/completions"),
                          ROOT + "/usr/bin")
