#!/usr/bin/env python3
"""Wire-copy detection against the generator's ground truth, for bench/scale.sh.

usage: dedup_truth.py DB CORPUS

CORPUS is what ../shared/corpus/scale.py wrote (JSON Lines, gzip'd or not): a record with
`_copy_of` is a wire copy of the record it names. DB is a newsd database of that corpus.
Truth groups are the records linked through `_copy_of` (a copy of a copy joins its original's
group), counting only links whose two records are indexed (DB may hold a slice of CORPUS);
newsd's groups are `article.dup_of`, the group's root (its earliest copy).

  precision: of the articles newsd marks as copies, those whose root is in their truth group
  recall:    of the truth copies, those newsd marks as copies with a root in their truth group

A truth copy whose root newsd found in another group counts against both. Prints one line of
key=value: copies_truth, copies_found, correct, precision, recall."""
import gzip
import json
import sqlite3
import sys


def find(parent, x):
    """The root of x's truth group (union-find with path halving)."""
    while parent.get(x, x) != x:
        parent[x] = parent.get(parent[x], parent[x])
        x = parent[x]
    return x


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split('\n\n')[1])
    db, corpus = sys.argv[1], sys.argv[2]
    con = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    # a slice of a corpus: only the links between records that are both indexed count
    indexed = {r[0] for r in con.execute('SELECT id FROM article')}
    with open(corpus, 'rb') as raw:
        gz = raw.read(2) == b'\x1f\x8b'
    parent, copies = {}, set()
    with (gzip.open(corpus, 'rt', encoding='utf-8') if gz else
          open(corpus, encoding='utf-8')) as f:
        for line in f:
            if '"_copy_of"' not in line:
                continue
            d = json.loads(line)
            of = d.get('_copy_of')
            if of and d['id'] in indexed and of in indexed:
                copies.add(d['id'])
                a, b = find(parent, d['id']), find(parent, of)
                if a != b:
                    parent[a] = b
    found = correct = 0
    for aid, rid in con.execute('SELECT a.id, r.id FROM article a JOIN article r'
                                ' ON r.rid = a.dup_of WHERE a.dup_of IS NOT NULL'):
        found += 1
        if find(parent, aid) == find(parent, rid) and (aid in copies or rid in copies):
            correct += 1
    # a truth original that newsd marks as a copy of a later record cannot happen (roots are the
    # earliest), so the correct pairs are truth copies found in their group
    precision = correct / found if found else 0.0
    recall = correct / len(copies) if copies else 0.0
    print('copies_truth=%d copies_found=%d correct=%d precision=%.3f recall=%.3f'
          % (len(copies), found, correct, precision, recall))


if __name__ == '__main__':
    main()
