#!/bin/bash
# make bench: ingest speed and query latency on the Reuters corpus, each against a baseline
# measured in the same run on this machine (shared and noisy: medians and ratios, not absolutes).
#   1. newsd index of Reuters-21578 → articles/s (extraction on and off)
#   2. the query set bench/queries.tsv through HTTP (one keep-alive client) vs the same queries
#      in-process with plain FTS5 on the same database (bench/ceiling.c): p50/p99 and ratio.
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
LIBS="$BUILD/libnewsd.a $(pkg-config --libs libevent libevent_pthreads sqlite3 zlib jansson inih) -lpthread -lm"
cc $CFLAGS -o "$tmp/httpbench" bench/httpbench.c
cc $CFLAGS -o "$tmp/ceiling" bench/ceiling.c $LIBS

echo "== ingest: Reuters-21578 (21,577 records), median of 3 runs each"
ingest() { # $1 = extraction on|off
  for i in 1 2 3; do
    rm -f "$tmp/r.db"*
    "$BUILD/newsd" index --db "$tmp/r.db" --extraction "$1" "$CORPUS" 2>/dev/null |
      sed -n 's/.*(\([0-9]*\) articles\/s).*/\1/p'
  done | sort -n | sed -n 2p
}
off=$(ingest off); on=$(ingest on)
echo "ingest extraction off: $off articles/s"
echo "ingest extraction on:  $on articles/s  (on/off ratio $(awk "BEGIN{printf \"%.2f\", $on/$off}"))"
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
if command -v wrk >/dev/null; then
  echo "== throughput: wrk -t2 -c16 -d5s, q=oil limit=10"
  wrk -t2 -c16 -d5s --latency "http://127.0.0.1:$port/search?q=oil&limit=10" | grep -E "Requests/sec|50%|99%"
fi
kill -TERM "$(cat $tmp/pid)"; wait "$(cat $tmp/pid)" 2>/dev/null || true
