#!/bin/bash
# make bench: ingest speed and query latency on the Reuters corpus, each against a baseline
# measured in the same run on this machine (shared and noisy: medians and ratios, not absolutes).
#   1. newsd index of Reuters-21578 → articles/s (extraction on and off)
#   2. the query set bench/queries.tsv through HTTP (one keep-alive client) vs the same queries
#      in-process with plain FTS5 on the same database (bench/ceiling.c): p50/p99 and ratio.
#   3. live watches (bench/watch_bench.py): POST ingest with 1,000 watches and 100 streams vs
#      none, and the commit-to-event delay.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
CORPUS=../shared/corpus/reuters21578.jsonl.gz
ROUNDS=${ROUNDS:-30}
if [ ! -f "$CORPUS" ]; then
  echo "bench: $CORPUS absent: skipping (the benchmarks need the Reuters corpus)"
  exit 0
fi
tmp=$(mktemp -d)
trap 'kill $(cat $tmp/pid 2>/dev/null) 2>/dev/null || true; rm -rf "$tmp"' EXIT
CFLAGS="-std=c11 -D_GNU_SOURCE -O2 -Iindex -I$BUILD/gen $(pkg-config --cflags sqlite3 jansson zlib)"
LIBS="$BUILD/libnewsd.a $(pkg-config --libs libevent libevent_pthreads sqlite3 zlib jansson inih libcrypto) -lstemmer -lpthread -lm"
cc $CFLAGS -o "$tmp/httpbench" bench/httpbench.c
cc $CFLAGS -o "$tmp/ceiling" bench/ceiling.c $LIBS

ROUNDS_INGEST=${ROUNDS_INGEST:-5}
echo "== ingest: Reuters-21578 (21,577 records), $ROUNDS_INGEST interleaved rounds, medians"
ingest() { # newsd index flags → articles/s of one run
  rm -f "$tmp/r.db"*
  "$BUILD/newsd" index --db "$tmp/r.db" "$@" "$CORPUS" 2>/dev/null |
    sed -n 's/.*(\([0-9]*\) articles\/s).*/\1/p'
}
# the three settings run one after the other in each round, so a slow spell on this shared
# machine hits all three alike; each ratio is the median of the ratios within a round
for _ in $(seq "$ROUNDS_INGEST"); do
  echo "$(ingest --extraction no --dedup no) $(ingest --extraction yes --dedup no)" \
       "$(ingest --extraction yes --dedup yes)"
done > "$tmp/ingest"
med() { sort -n | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
base=$(awk '{print $1}' "$tmp/ingest" | med)
ext=$(awk '{print $2}' "$tmp/ingest" | med)
both=$(awk '{print $3}' "$tmp/ingest" | med)
r_ext=$(awk '{printf "%.3f\n", $2/$1}' "$tmp/ingest" | med)
r_both=$(awk '{printf "%.3f\n", $3/$2}' "$tmp/ingest" | med)
echo "ingest, no extraction, no dedup: $base articles/s  (target >= 10000)"
echo "ingest, extraction on:           $ext articles/s  (ratio to off $r_ext, target >= 0.6)"
echo "ingest, extraction + dedup:      $both articles/s  (ratio to dedup off $r_both, target >= 0.8)"
echo "  per round (off, extraction, extraction + dedup): $(tr '\n' ';' < "$tmp/ingest")"
ls -l "$tmp/r.db" | awk '{printf "database %.1f MB\n", $5/1e6}'

echo "== queries: $(grep -vc '^#' bench/queries.tsv) queries x $ROUNDS rounds, single client"
"$BUILD/newsd" serve --db "$tmp/r.db" --listen 127.0.0.1:0 > "$tmp/out" 2> "$tmp/err" &
echo $! > "$tmp/pid"
for _ in $(seq 100); do grep -q listening "$tmp/out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's#.*127.0.0.1:\([0-9]*\)/.*#\1#p' "$tmp/out")
h=$("$tmp/httpbench" 127.0.0.1 "$port" bench/queries.tsv "$ROUNDS")
c=$("$tmp/ceiling" "$tmp/r.db" bench/queries.tsv "$ROUNDS")
echo "$h"
echo "$c"
hp50=$(echo "$h" | sed 's/.*p50 \([0-9.]*\).*/\1/'); cp50=$(echo "$c" | sed 's/.*p50 \([0-9.]*\).*/\1/')
hp99=$(echo "$h" | sed 's/.*p99 \([0-9.]*\).*/\1/'); cp99=$(echo "$c" | sed 's/.*p99 \([0-9.]*\).*/\1/')
echo "ratio HTTP/ceiling: p50 $(awk "BEGIN{printf \"%.2f\", $hp50/$cp50}")  p99 $(awk "BEGIN{printf \"%.2f\", $hp99/$cp99}")  (target p50 <= 1.5)"
median_ms() { # URL: median of 21 curl timings, in ms
  for _ in $(seq 21); do curl -s -o /dev/null -w "%{time_total}\n" "$1"; done |
    sort -n | sed -n 11p | awk '{printf "%.2f", $1 * 1000}'
}
echo "== research endpoints over the whole corpus (median of 21, curl, ms; target <= 20)"
for u in "entities?limit=20" "entities?q=oil&limit=20" "entities/Japan/related" \
         "entities/United%20States/related" "timeline" "timeline?q=said" \
         "search?q=oil&facets=entities,sources,dates"; do
  echo "  /$u: $(median_ms "http://127.0.0.1:$port/$u") ms"
done
echo "== export: every article with bodies, JSON Lines"
t0=$(date +%s.%N)
bytes=$(curl -s "http://127.0.0.1:$port/export?fields=id,date,source,title,url,body" | wc -c)
t1=$(date +%s.%N)
awk "BEGIN{d=$t1-$t0; printf \"export %.2f s: %.0f articles/s, %.1f MB/s (%.1f MB)\n\", d, 21576/d, $bytes/1e6/d, $bytes/1e6}"
if command -v wrk >/dev/null; then
  echo "== throughput: wrk -t2 -c16 -d5s, q=oil limit=10"
  wrk -t2 -c16 -d5s --latency "http://127.0.0.1:$port/search?q=oil&limit=10" | grep -E "Requests/sec|50%|99%"
fi
kill -TERM "$(cat $tmp/pid)"; wait "$(cat $tmp/pid)" 2>/dev/null || true
# live watches: ingest with 1,000 saved watches and 100 streams against none, and the delay
# from commit to event (bench/watch_bench.py; WATCH_ROUNDS, WATCH_ARTICLES)
python3 bench/watch_bench.py "$BUILD"
