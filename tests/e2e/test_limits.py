"""max_connections: descriptors beyond the limit are not taken (clients wait in the backlog,
no busy loop), and the server answers again as soon as idle connections time out."""
import os
import socket
import time

import harness


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_max_connections_bounds_descriptors():
    srv = harness.Server("limits", extra_args=["--max-connections", "8", "--timeout-s", "1"])
    srv.start()
    try:
        pid = srv.proc.pid
        base = fd_count(pid)
        socks = []
        for _ in range(40):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            socks.append(s)
        time.sleep(0.3)
        held = fd_count(pid)
        assert held <= 8 + 64, "newsd holds %d descriptors with max_connections 8" % held
        # no busy loop on the readable listening socket while the limit is reached
        cpu0 = cpu_seconds(pid)
        time.sleep(0.5)
        spent = cpu_seconds(pid) - cpu0
        assert spent < 0.2, "newsd burnt %.2f s of CPU in 0.5 s at the limit" % spent
        # the idle connections time out (timeout_s 1); then new clients are served
        deadline = time.time() + 15
        ok = False
        while time.time() < deadline and not ok:
            try:
                r = srv.request("GET", "/health", timeout=3)
                ok = r.status == 200
            except Exception:
                time.sleep(0.2)
        assert ok, "newsd never answered again after the idle connections timed out"
        for s in socks:
            s.close()
        # the server drains the backlog of closed clients and lets every descriptor go
        deadline = time.time() + 10
        while time.time() < deadline and fd_count(pid) > base + 2:
            time.sleep(0.2)
        assert fd_count(pid) <= base + 2, "descriptors %d before, %d after" % (base, fd_count(pid))
    finally:
        srv.stop()


def test_sigterm_at_the_connection_limit():
    """SIGTERM while accepting is paused at max_connections: the pending 'accept again' timer
    must not touch the listener that stopping has freed (a crash, exit -11, before the fix)."""
    for offset in (0.0, 0.03, 0.06, 0.09):
        srv = harness.Server("limits-stop", extra_args=["--max-connections", "8",
                                                        "--timeout-s", "5"])
        srv.start()
        socks = []
        try:
            for _ in range(40):
                socks.append(socket.create_connection(("127.0.0.1", srv.port), timeout=5))
            time.sleep(0.25 + offset)
            assert "connection limit reached" in srv.log_tail(200), srv.log_tail()
        finally:
            srv.stop()      # raises on a crash or a non-zero exit
            for s in socks:
                s.close()
