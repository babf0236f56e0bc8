#!/usr/bin/env python3
"""Live ingest load for bench/scale.sh: CLIENTS concurrent clients POST /articles batches of
BATCH records (JSON Lines) to newsd on 127.0.0.1:PORT for SECONDS, one keep-alive connection
each. Records come from CORPUS (JSON Lines, gzip'd or not, e.g. made by scale.py with another
--seed) with their ids rewritten to PREFIX<n>, n counting up across all clients, so every one is
a new article; the corpus is reused from its start (with new ids) if it runs out.
With --dates-from DATE, record n is dated DATE + n * --date-step seconds instead of its own
date: live news as it comes, newest last and newer than the archive (the corpus's dates are
in random order, which sends every insert to a random place of the date-ordered tables).
A batch counts when newsd answers 200 (committed, durable). Prints one line of key=value:
acked, updated, rejected, batches, errors, seconds, rate (acknowledged articles/s).
usage: live_ingest.py PORT CORPUS [--clients 4] [--batch 100] [--seconds 20] [--prefix live-]
                      [--dates-from 2027-01-01T00:00:00Z [--date-step 6]]"""
import argparse
import datetime
import gzip
import http.client
import itertools
import json
import threading
import time


def load(path, drop_date=False):
    """The corpus records as JSON text without their id (and date) and without the opening
    brace."""
    with open(path, 'rb') as raw:
        gz = raw.read(2) == b'\x1f\x8b'
    f = gzip.open(path, 'rt', encoding='utf-8') if gz else open(path, encoding='utf-8')
    out = []
    with f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                d.pop('id', None)
                if drop_date:
                    d.pop('date', None)
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
    ap.add_argument('--dates-from', help='ISO 8601 UTC date of the first record')
    ap.add_argument('--date-step', type=float, default=6, help='seconds between records')
    a = ap.parse_args()
    recs = load(a.corpus, drop_date=bool(a.dates_from))
    t_first = None
    if a.dates_from:
        t_first = datetime.datetime.fromisoformat(a.dates_from.replace('Z', '+00:00'))

    def head(n):
        if t_first is None:
            return '{"id": "%s%d", ' % (a.prefix, n)
        t = t_first + datetime.timedelta(seconds=n * a.date_step)
        return '{"id": "%s%d", "date": "%s", ' % (a.prefix, n, t.strftime('%Y-%m-%dT%H:%M:%SZ'))
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
            body = ''.join('%s%s\n' % (head(n), recs[n % len(recs)]) for n in ns).encode()
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
