"""make install into a DESTDIR, checked file by file: paths and modes, the systemd unit (its
ExecStart is the installed newsd; systemd-analyze verify), sysusers.d and tmpfiles.d (applied
to a scratch root), the config. The installed newsd indexes and serves and the installed newsq
queries it. The man pages render without warnings and carry every config key (config_keys[]
in index/config.c), command and option; the bash completion completes them. A second install
keeps an edited config; make uninstall removes the rest.

The helpers that take a root directory are shared with tests/pkg/test_deb.py, which runs them
on the contents of the .deb."""
import gzip
import os
import re
import shutil
import subprocess

import harness

PREFIX = "/usr/local"
DESTDIR = None
# path under DESTDIR -> mode
INSTALLED = {
    "usr/local/bin/newsd": 0o755,
    "usr/local/bin/newsq": 0o755,
    "etc/newsd/newsd.conf": 0o644,
    "usr/local/lib/systemd/system/newsd.service": 0o644,
    "usr/local/lib/sysusers.d/newsd.conf": 0o644,
    "usr/local/lib/tmpfiles.d/newsd.conf": 0o644,
    "usr/local/share/man/man1/newsq.1": 0o644,
    "usr/local/share/man/man5/newsd.conf.5": 0o644,
    "usr/local/share/man/man8/newsd.8": 0o644,
    "usr/local/share/bash-completion/completions/newsd": 0o644,
    "usr/local/share/bash-completion/completions/newsq": 0o644,
}
MAN_PAGES = ("man8/newsd.8", "man5/newsd.conf.5", "man1/newsq.1")


def make(*args):
    """Run make in the repository for the variant under test; returns its output."""
    build = os.path.realpath(harness.BUILD)
    if os.path.dirname(build) != os.path.realpath(os.path.join(harness.REPO, "build")):
        harness.skip("%s is not a build/VARIANT directory of this tree" % build)
    # not the jobserver or the flags of the make that runs this suite
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    p = subprocess.run(["make", "-C", harness.REPO, "--no-print-directory",
                        "VARIANT=" + os.path.basename(build)] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                       stdin=subprocess.DEVNULL, timeout=600)
    assert p.returncode == 0, "make %s failed:\n%s" % (" ".join(args), p.stdout[-3000:])
    return p.stdout


def files_under(root):
    """{relative path: mode} of every file (not directory) under root."""
    found = {}
    for d, _, names in os.walk(root):
        for n in names:
            path = os.path.join(d, n)
            found[os.path.relpath(path, root)] = os.lstat(path).st_mode & 0o7777
    return found


def config_keys():
    """(name, default) of each entry of config_keys[], read from index/config.c itself."""
    with open(os.path.join(harness.REPO, "index", "config.c")) as f:
        src = f.read()
    keys = re.findall(r'\{ "(\w+)", CONFIG_\w+, OFF\(\w+\), "([^"]*)"', src)
    assert len(keys) > 20, "could not read config_keys[] from index/config.c"
    return keys


def read_text(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return f.read()


def unit_settings(path):
    """{key: [values]} of a systemd unit file."""
    settings = {}
    for line in read_text(path).splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            k, v = line.split("=", 1)
            settings.setdefault(k.strip(), []).append(v.strip())
    return settings


def check_unit(root, unit, bindir, mandir):
    """The unit under root runs root's newsd as user newsd with the installed config."""
    path = os.path.join(root, unit)
    text = read_text(path)
    assert not re.search(r"@[A-Z]+@", text), "unsubstituted @...@ in %s" % unit
    s = unit_settings(path)
    exe = os.path.join(bindir, "newsd")
    assert s["ExecStart"] == [exe + " serve -c /etc/newsd/newsd.conf"], s["ExecStart"]
    assert os.access(root + exe, os.X_OK), "ExecStart names %s, not installed" % exe
    assert s["Type"] == ["notify"] and s["User"] == ["newsd"] and s["Group"] == ["newsd"], s
    assert "DynamicUser" not in s and s["StateDirectory"] == ["newsd"], s
    for hardening in ("ProtectSystem", "ProtectHome", "PrivateTmp", "NoNewPrivileges",
                      "RestrictAddressFamilies", "MemoryDenyWriteExecute"):
        assert hardening in s, "%s: no %s" % (unit, hardening)
    for page in s["Documentation"][0].split():
        m = re.fullmatch(r"man:([\w.]+)\((\d)\)", page)
        assert m, page
        assert any(os.path.exists(os.path.join(root + mandir, "man%s" % m.group(2),
                                               "%s.%s%s" % (m.group(1), m.group(2), gz)))
                   for gz in ("", ".gz")), "%s names %s, not installed" % (unit, page)


def verify_unit(root, unit, bindir, mandir):
    """systemd-analyze verify on the unit, with ExecStart pointing into root so that the check
    that the command exists is about the installed binary, and man pages looked up in root."""
    if shutil.which("systemd-analyze") is None:
        harness.skip("systemd-analyze is not installed: unit not verified")
    d = harness.tmpdir("unit-verify")
    copy = os.path.join(d, "newsd.service")
    with open(copy, "w") as f:
        f.write(read_text(os.path.join(root, unit)).replace(
            "ExecStart=" + bindir, "ExecStart=" + root + bindir))
    p = subprocess.run(["systemd-analyze", "verify", copy], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
                       env=dict(os.environ, MANPATH=root + mandir), timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == "", "systemd-analyze verify:\n" + p.stdout


def check_user_and_dirs(root, sysusers, tmpfiles):
    """Apply the sysusers.d and tmpfiles.d files to a scratch root: user and group newsd,
    /var/lib/newsd 0750 and its spool 2770, owned by newsd."""
    for tool in ("systemd-sysusers", "systemd-tmpfiles"):
        if shutil.which(tool) is None:
            harness.skip("%s is not installed: sysusers.d/tmpfiles.d not applied" % tool)
    if os.geteuid() != 0:
        harness.skip("not root: sysusers.d/tmpfiles.d not applied (chown needs root)")
    scratch = harness.tmpdir("sysroot")
    os.makedirs(os.path.join(scratch, "etc"))
    for tool, conf, extra in (("systemd-sysusers", sysusers, []),
                              ("systemd-tmpfiles", tmpfiles, ["--create"])):
        p = subprocess.run([tool, "--root=" + scratch] + extra + [os.path.join(root, conf)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=60)
        assert p.returncode == 0, "%s: %s" % (tool, p.stdout)
    with open(os.path.join(scratch, "etc", "passwd")) as f:
        user = [l.split(":") for l in f if l.startswith("newsd:")]
    assert len(user) == 1 and user[0][5] == "/var/lib/newsd", user
    assert user[0][6].strip().endswith("nologin"), user
    uid, gid = int(user[0][2]), int(user[0][3])
    for d, mode in (("var/lib/newsd", 0o750), ("var/lib/newsd/spool", 0o2770)):
        st = os.stat(os.path.join(scratch, d))
        assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (mode, uid, gid), \
            "%s: %o %d:%d" % (d, st.st_mode & 0o7777, st.st_uid, st.st_gid)


def check_config(path):
    """The installed config is conf/newsd.conf with db and spool_dir in /var/lib/newsd."""
    with open(os.path.join(harness.REPO, "conf", "newsd.conf")) as f:
        source = [l for l in f.read().splitlines() if not l.startswith("#")]
    installed = [l for l in read_text(path).splitlines() if not l.startswith("#")]
    changed = {"db = newsd.db": "db = /var/lib/newsd/newsd.db",
               "spool_dir =": "spool_dir = /var/lib/newsd/spool"}
    assert installed == [changed.get(l, l) for l in source], "installed config differs"


def serve_and_query(root, bindir, conf):
    """The newsd under root indexes a small file and serves it (with the installed config,
    loopback, a scratch database); the newsq under root finds the articles."""
    newsd = root + bindir + "/newsd"
    newsq = root + bindir + "/newsq"
    d = harness.tmpdir("installed")
    db = os.path.join(d, "news.db")
    data = os.path.join(d, "tiny.jsonl")
    with open(data, "w") as f:
        f.write(harness.jsonl([
            {"id": "inst-%d" % i, "title": "Zorvane harbour report %d" % i,
             "body": "The zorvane harbour reopened after the storm. Item %d." % i,
             "date": "2026-02-%02dT10:00:00Z" % (i + 1), "source": "wire"} for i in range(5)]))
    v = subprocess.run([newsd, "--version"], stdout=subprocess.PIPE, text=True, timeout=30)
    assert v.returncode == 0 and v.stdout.startswith("newsd "), v.stdout
    overrides = ["--db", db, "--spool-dir", os.path.join(d, "spool")]
    os.makedirs(os.path.join(d, "spool"))
    p = subprocess.run([newsd, "index", "-c", root + conf] + overrides + [data],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    assert p.returncode == 0 and harness.summary_count(p.stdout, "new") == 5, p.stdout + p.stderr
    srv = harness.Server("installed-newsd", db=db, config=root + conf, exe=newsd,
                         spool=os.path.join(d, "spool")).start()
    try:
        r = srv.get("/search", q="zorvane")
        assert r.status == 200 and r.json["total"] == 5, r
        q = subprocess.run([newsq, "-s", "http://127.0.0.1:%d" % srv.port, "search",
                            "zorvane", "harbour", "--limit", "2"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60,
                           env=dict(os.environ, NO_COLOR="1"))
        assert q.returncode == 0 and "Zorvane harbour report" in q.stdout, q.stdout + q.stderr
    finally:
        srv.stop()


def render_man(path):
    """man -l renders the page without a warning (groff -ww through man --warnings)."""
    if shutil.which("man") is None:
        harness.skip("man (man-db) is not installed: pages not rendered")
    env = dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80")
    p = subprocess.run(["man", "--warnings", "-l", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=env, timeout=60)
    assert p.returncode == 0 and p.stderr == "", "%s: %s" % (path, p.stderr)
    assert len(p.stdout) > 1000, "%s renders to almost nothing" % path
    return p.stdout


def check_man_keys(mandir):
    """newsd.conf(5) has one entry per key of config_keys[], in order, with its default;
    newsd(8) one flag per key."""
    keys = config_keys()
    conf5 = read_text(_page(mandir, "man5/newsd.conf.5"))
    entries = re.findall(r"^\.TP\n\\fB(\w+)\\fR = .*\n.*\nDefault: (?:\\fB(.*?)\\fR|empty)",
                         conf5, re.M)
    assert entries == [(k, d) for k, d in keys], \
        "newsd.conf(5) keys %s\nconfig_keys[] %s" % (entries, keys)
    flags = re.findall(r"^\.TP\n\\fB\\-\\-([\w\\-]+)\\fR", read_text(_page(mandir, "man8/newsd.8")),
                       re.M)
    want = [k.replace("_", "-") for k, _ in keys]
    assert [f.replace("\\-", "-") for f in flags] == want, "newsd(8) flags %s" % flags


def _page(mandir, page):
    return mandir + "/" + page if os.path.exists(mandir + "/" + page) else mandir + "/" + page + ".gz"


def help_words(exe):
    """The commands and --options that `exe --help` lists."""
    out = subprocess.run([exe, "--help"], stdout=subprocess.PIPE, text=True, timeout=30).stdout
    commands = re.findall(r"^  ([a-z]+)\b", out, re.M)
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-[a-z])\b", out))
    assert commands and options, out
    return commands, options


def check_man_commands(root, bindir, mandir):
    """Every command and option of `newsd --help` and `newsq --help` is in the man page."""
    for exe, page in (("newsd", "man8/newsd.8"), ("newsq", "man1/newsq.1")):
        text = re.sub(r"\\f[BIRP]", "", read_text(_page(mandir, page)).replace("\\-", "-"))
        commands, options = help_words(root + bindir + "/" + exe)
        for c in commands:
            assert re.search(r'^\.(?:B|BI|RI) "?%s\b' % c, text, re.M), \
                "%s(%s) has no entry for the command %s" % (exe, page[3], c)
        for o in options:
            assert re.search(r"(?<![\w-])%s\b" % re.escape(o), text), \
                "%s(%s) does not mention %s" % (exe, page[3], o)


def complete(completion, words):
    """What the bash completion offers for the command line words (the last being completed)."""
    if shutil.which("bash") is None:
        harness.skip("bash is not installed")
    script = 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); ' \
             '_%s; printf "%%s\\n" "${COMPREPLY[@]}"' % words[0]
    p = subprocess.run(["bash", "-c", script, "bash", completion] + list(words),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    return set(p.stdout.split())


def check_completion(compdir, bindir):
    """The completion offers the commands, every config key as a flag, the values of a flag,
    and the options of a newsq command."""
    newsd, newsq = compdir + "/newsd", compdir + "/newsq"
    assert {"serve", "index", "backup"} <= complete(newsd, ["newsd", ""])
    flags = complete(newsd, ["newsd", "serve", "--"])
    assert {"--" + k.replace("_", "-") for k, _ in config_keys()} <= flags, flags
    assert complete(newsd, ["newsd", "serve", "--log-level", ""]) == \
        {"error", "warn", "info", "debug"}
    assert complete(newsd, ["newsd", "index", "--dedup", "=", "n"]) == {"no"}
    assert complete(newsq, ["newsq", ""]) == set(help_words(bindir + "/newsq")[0])
    assert complete(newsq, ["newsq", "search", "oil", "--so"]) == {"--sort", "--source"}
    assert complete(newsq, ["newsq", "-s", "http://x", "export", "q", "--format", ""]) == \
        {"jsonl", "csv"}
    assert complete(newsq, ["newsq", "entities", "--type", "p"]) == {"person", "place"}


# ---- the tests ------------------------------------------------------------------------------

def setup_module():
    global DESTDIR
    DESTDIR = harness.tmpdir("destdir")
    make("install", "DESTDIR=" + DESTDIR)


def test_files_and_modes():
    found = files_under(DESTDIR)
    assert set(found) == set(INSTALLED), "missing %s, unexpected %s" % (
        sorted(set(INSTALLED) - set(found)), sorted(set(found) - set(INSTALLED)))
    for path, mode in INSTALLED.items():
        assert found[path] == mode, "%s: mode %o, want %o" % (path, found[path], mode)
    for d, _, _ in os.walk(DESTDIR):
        mode = os.stat(d).st_mode & 0o7777
        assert d == DESTDIR or mode == 0o755, "%s: mode %o" % (d, mode)


def test_unit():
    check_unit(DESTDIR, "usr/local/lib/systemd/system/newsd.service", PREFIX + "/bin",
               PREFIX + "/share/man")


def test_unit_verifies():
    verify_unit(DESTDIR, "usr/local/lib/systemd/system/newsd.service", PREFIX + "/bin",
                PREFIX + "/share/man")


def test_sysusers_tmpfiles():
    check_user_and_dirs(DESTDIR, "usr/local/lib/sysusers.d/newsd.conf",
                        "usr/local/lib/tmpfiles.d/newsd.conf")


def test_config():
    check_config(os.path.join(DESTDIR, "etc/newsd/newsd.conf"))


def test_installed_newsd_serves_newsq_queries():
    serve_and_query(DESTDIR, PREFIX + "/bin", "/etc/newsd/newsd.conf")


def test_man_pages_render():
    for page in MAN_PAGES:
        render_man(os.path.join(DESTDIR, "usr/local/share/man", page))


def test_man_lists_every_config_key():
    check_man_keys(os.path.join(DESTDIR, "usr/local/share/man"))


def test_man_lists_every_command_and_option():
    check_man_commands(DESTDIR, PREFIX + "/bin", os.path.join(DESTDIR, "usr/local/share/man"))


def test_completion():
    check_completion(os.path.join(DESTDIR, "usr/local/share/bash-completion/completions"),
                     DESTDIR + PREFIX + "/bin")


def test_reinstall_keeps_edited_config_uninstall_removes_the_rest():
    conf = os.path.join(DESTDIR, "etc/newsd/newsd.conf")
    with open(conf, "a") as f:
        f.write("threads = 2\n")
    with open(conf) as f:
        edited = f.read()
    out = make("install", "DESTDIR=" + DESTDIR)
    assert "kept your edited" in out, out
    with open(conf) as f:
        assert f.read() == edited, "make install overwrote an edited config"
    check_config(conf + ".new")
    make("uninstall", "DESTDIR=" + DESTDIR)
    assert files_under(DESTDIR) == {"etc/newsd/newsd.conf": 0o644}, files_under(DESTDIR)
    os.remove(conf)
    make("install", "DESTDIR=" + DESTDIR)
    assert set(files_under(DESTDIR)) == set(INSTALLED)
    make("uninstall", "DESTDIR=" + DESTDIR)
    assert files_under(DESTDIR) == {} and not os.path.exists(os.path.dirname(conf))
