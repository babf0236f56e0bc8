#!/usr/bin/python3
"""Throughput of Sphinx searchd on the scale query set: the SphinxQL clauses of
../shared/anchors/scale_queries.tsv, each run as sphinx_scale.py runs it (top 10 by BM25,
title x4, then SHOW META for the exact total), from N client processes for S seconds, each
client rotating through the set from its own offset (as ../shared/anchors/sphinx_qps.py does for
the Reuters set, whose index name and plain MATCH strings do not fit the scale index).
Prints 'sphinx N clients: Q queries/s'. Needs Debian's python3 with python3-pymysql.
usage: sphinx_qps_scale.py PORT INDEX scale_queries.tsv N SECONDS"""
import multiprocessing as mp
import sys
import time

import pymysql


def worker(port, index, clauses, k, secs, out):
    c = pymysql.connect(host='127.0.0.1', port=port, user='', password='', autocommit=True)
    cur = c.cursor()
    end, done, i = time.time() + secs, 0, k
    while time.time() < end:
        cur.execute(f"SELECT id, WEIGHT() FROM {index} WHERE {clauses[i % len(clauses)]} LIMIT 10"
                    " OPTION ranker=bm25, field_weights=(title=4, body=1), max_matches=1000")
        cur.fetchall()
        cur.execute('SHOW META')
        cur.fetchall()
        done += 1
        i += 1
    out.put(done)


def main():
    port, index, qfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    n, secs = int(sys.argv[4]), float(sys.argv[5])
    clauses = [line.rstrip('\n').split('\t')[1] for line in open(qfile)
               if line.strip() and not line.startswith('#')]
    q = mp.Queue()
    ps = [mp.Process(target=worker, args=(port, index, clauses, k, secs, q)) for k in range(n)]
    for p in ps:
        p.start()
    total = sum(q.get() for _ in ps)
    for p in ps:
        p.join()
    print(f'sphinx {n} clients: {total / secs:.0f} queries/s')


if __name__ == '__main__':
    main()
