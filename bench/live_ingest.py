#!/usr/bin/env python3
"""Live ingest load for bench/scale.sh: CLIENTS concurrent clients POST /articles batches of
BATCH records (JSON Lines) to newsd on 127.0.0.1:PORT for SECONDS, one keep-alive connection
each. Records come from CORPUS (JSON Lines, gzip'd or not, e.g. made by scale.py with another
--seed) with their ids rewritten to PREFIX<n>, n counting up across all clients, so every one is
a new article; the corpus is reused from its start (with new ids) if it runs out.
A batch counts when newsd answers 200 (committed, durable). Prints one line of key=value:
acked, updated, rejected, batches, errors, seconds, rate (acknowledged articles/s).
usage: live_ingest.py PORT CORPUS [--clients 4] [--batch 100] [--seconds 20] [--prefix live-]"""
import argparse
import gzip
import http.client
import itertools
import json
import threading
import time


def load(path):
    """The corpus records as JSON text without their id and without the opening brace."""
    with open(path, 'rb') as raw:
        gz = raw.read(2) == b'\x1f\x8b'
    f = gzip.open(path, 'rt', encoding='utf-8') if gz else open(path, encoding='utf-8')
    out = []
    with f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                d.pop('id', None)
                out.append(json.dumps(d, ensure_ascii=False)[1:])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('port', type=int)
    ap.add_argument('corpus')
    ap.add_argument('--clients', type=int, default=4)
    ap.add_argument('--batch', type=int, default=100)
    ap.add_argument('--seconds', type=float, default=20)
    ap.add_argument('--prefix', default='live-')
    a = ap.parse_args()
    recs = load(a.corpus)
    counter = itertools.count()
    lock = threading.Lock()
    tot = {'acked': 0, 'updated': 0, 'rejected': 0, 'batches': 0, 'errors': 0}
    t0 = time.perf_counter()
    end = t0 + a.seconds

    def client():
        conn = http.client.HTTPConnection('127.0.0.1', a.port, timeout=120)
        while time.perf_counter() < end:
            with lock:
                ns = [next(counter) for _ in range(a.batch)]
            body = ''.join('{"id": "%s%d", %s\n' % (a.prefix, n, recs[n % len(recs)])
                           for n in ns).encode()
            try:
                conn.request('POST', '/articles', body,
                             {'Content-Type': 'application/x-ndjson'})
                r = conn.getresponse()
                data = r.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection('127.0.0.1', a.port, timeout=120)
                with lock:
                    tot['errors'] += 1
                continue
            with lock:
                if r.status == 200:
                    res = json.loads(data)
                    tot['acked'] += res.get('accepted', 0) + res.get('updated', 0)
                    tot['updated'] += res.get('updated', 0)
                    tot['rejected'] += len(res.get('rejected', []))
                    tot['batches'] += 1
                else:
                    tot['errors'] += 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.perf_counter() - t0
    print(' '.join(f'{k}={v}' for k, v in tot.items()) +
          f' seconds={secs:.2f} rate={tot["acked"] / secs:.0f}')


if __name__ == '__main__':
    main()
