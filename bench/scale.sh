#!/bin/bash
# make bench-scale: newsd at archive scale (1M articles made by ../shared/corpus/scale.py)
# against Sphinx 2.2 on the same corpus, on this machine, in the same run.
#   1. corpus: generated once (random date order, and oldest first) and kept in SCALE_DIR
#   2. ingest: newsd index of each order into a fresh database: rates, CPU an article, peak
#      RSS, bytes, size; wire copies found against the generator's _copy_of (bench/dedup_truth.py)
#   3. Sphinx: ../shared/anchors/sphinx_scale.sh (indexer docs/s, index bytes, query medians),
#      and the CPU an article that twice its rate leaves on two cores
#   3b. ingest floor: a bare FTS5 table loaded with the same corpus (bench/ingest_floor.c),
#      bulk and in durable commits of 400: what one FTS5 writer can do at all on this machine
#   4. queries: scale_queries.tsv through HTTP (bench/scalebench.c) beside Sphinx and the
#      in-process floor (bench/floor.c: count(*) of newsd's own MATCH)
#   5. the same query set at 100k and 300k articles
#   6. the rest of the read API at 1M (browse, entity filter, timeline, entities, facets,
#      collapse=dups over the plain search, similar articles, did-you-mean, export)
#   7. memory of the serving process
#   8. throughput: wrk over the query set (bench/wrk_rotate.lua); Sphinx's q/s on the same set
#   9. live ingest: 4 clients POST batches of 100 while the query set runs (bench/live_ingest.py),
#      then the same with the records dated in order after the archive (live news as it comes),
#      with the CPU of each newsd thread and of the clients per acknowledged article, then once
#      more from a server with wire copies and entities off (what FTS5 and the commit cost alone)
# Environment (all optional):
#   SCALE_N=1000000            records to generate (ignored with SCALE_CORPUS)
#   SCALE_DIR=/var/tmp/newsd-scale   corpora, kept between runs; the run's temp dir goes inside
#   SCALE_CORPUS=FILE          JSON Lines (gzip'd or not) to use instead of generating one
#   SCALE_CORPUS_INORDER=FILE  its records oldest first (default: scale.py N --in-order)
#   SCALE_DB=FILE              with SCALE_SKIP=ingest: a newsd database of the corpus (copied)
#   SCALE_ROUNDS=5             rounds per query (medians)
#   SCALE_SMALL="100000 300000"   smaller archives for section 5 ("" skips it)
#   SCALE_WINDOW=100000        records of the first/last ingest rates (a tenth of a small corpus)
#   SCALE_LIVE_S=20            seconds of live ingest
#   SCALE_SKIP="ingest ingest-inorder sphinx ingest-floor queries floor small api memory wrk live"
# Medians on a shared machine: read the ratios (measured side by side), not single figures.
set -euo pipefail
# paths given in the environment are taken from the caller's directory
for v in SCALE_DIR SCALE_CORPUS SCALE_CORPUS_INORDER SCALE_DB; do
  [ -z "${!v:-}" ] || printf -v "$v" '%s' "$(realpath -m "${!v}")"
done
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
SHARED=../shared
SCALE_N=${SCALE_N:-1000000}
SCALE_DIR=${SCALE_DIR:-/var/tmp/newsd-scale}
ROUNDS=${SCALE_ROUNDS:-5}
SCALE_SMALL=${SCALE_SMALL-100000 300000}
SCALE_SKIP=${SCALE_SKIP:-}
LIVE_S=${SCALE_LIVE_S:-20}
LIVE_SEED=${SCALE_LIVE_SEED:-2026}
QUERIES=$SHARED/anchors/scale_queries.tsv
QEXTRA="&limit=10&snippets=3"

if [ ! -f "$SHARED/corpus/scale.py" ] || [ ! -f "$SHARED/corpus/reuters21578.jsonl.gz" ] ||
   [ ! -f "$QUERIES" ]; then
  echo "bench-scale: $SHARED (scale.py, Reuters, scale_queries.tsv) absent: skipping"
  exit 0
fi
if [ ! -x "$BUILD/newsd" ] || [ ! -f "$BUILD/libnewsd.a" ]; then
  echo "bench-scale: $BUILD/newsd is not built (make all)" >&2
  exit 1
fi
for tool in /usr/bin/time curl python3; do
  command -v "$tool" > /dev/null || { echo "bench-scale: needs $tool" >&2; exit 1; }
done

skip() { # SECTION → true when SCALE_SKIP names it
  case " $SCALE_SKIP " in *" $1 "*) return 0 ;; esac
  return 1
}
section() { # TITLE: prints the header and starts the section's clock
  echo
  echo "== $1"
  t_section=$SECONDS
}
section_end() {
  echo "   [section: $((SECONDS - t_section)) s]"
}
row() { # LABEL VALUE... : one aligned table row
  printf '   %-34s' "$1"
  shift
  printf ' %14s' "$@"
  printf '\n'
}
rowt() { # LABEL VALUE TARGET: a row with one figure and its target
  printf '   %-34s %14s  %s\n' "$1" "$2" "$3"
}
ratio() { # A B → A/B (2 decimals), or n/a when either is missing
  awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {
    if (a == "" || b == "" || a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"
    else printf "%.2f\n", a / b }'
}
target() { # VALUE OP LIMIT → "<= 5: ok" or "<= 5: MISSED" (or just the target for n/a)
  awk -v v="${1:-}" -v op="$2" -v t="$3" 'BEGIN {
    if (v == "" || v == "n/a") { printf "%s %s\n", op, t; exit }
    ok = (op == "<=") ? (v + 0 <= t + 0) : (v + 0 >= t + 0)
    printf "%s %s: %s\n", op, t, ok ? "ok" : "MISSED" }'
}
mb() { # BYTES → MB with one decimal
  awk -v b="$1" 'BEGIN { if (b == "" || b == "n/a") print "n/a"; else printf "%.1f\n", b / 1e6 }'
}
pct() { # p50|p99 LINE: the figure from a "... p50 X ms p99 Y ms" line
  sed -n "s/.*$1 \([0-9.]*\) ms.*/\1/p" <<< "$2"
}
is_gzip() { [ "$(head -c 2 "$1" | od -An -tx1 | tr -d ' ')" = "1f8b" ]; }

mkdir -p "$SCALE_DIR"
tmp=$(mktemp -d "$SCALE_DIR/run.XXXXXX")
cleanup() {
  local f
  for f in "$tmp"/*.pid "$tmp"/sphinx/searchd.pid; do
    [ ! -f "$f" ] || kill "$(cat "$f")" 2> /dev/null || true
  done
  sleep 0.5
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
t_start=$SECONDS

read -ra pkg_cflags <<< "$(pkg-config --cflags sqlite3 jansson zlib)"
read -ra pkg_libs <<< "$(pkg-config --libs libevent libevent_pthreads sqlite3 zlib jansson inih libcrypto)"
cflags=(-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror "${pkg_cflags[@]}")
cc "${cflags[@]}" -o "$tmp/scalebench" bench/scalebench.c "${pkg_libs[@]}"
cc "${cflags[@]}" -Iindex -I"$BUILD/gen" -o "$tmp/floor" bench/floor.c "$BUILD/libnewsd.a" \
  "${pkg_libs[@]}" -lstemmer -lpthread -lm
cc "${cflags[@]}" -o "$tmp/ingest_floor" bench/ingest_floor.c "${pkg_libs[@]}"

echo "newsd archive-scale benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
     "$(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM"
echo "$("$BUILD/newsd" --version)$(command -v indexer > /dev/null &&
      indexer 2>&1 | sed -n '1s/^/; /p')"

# ---------------------------------------------------------------------------------------------
gen_corpus() { # N OUT [scale.py flags]: generate OUT unless it exists (written whole, then moved)
  local n=$1 out=$2 t0=$SECONDS
  shift 2
  if [ -s "$out" ]; then
    echo "   reusing $out"
    return
  fi
  python3 "$SHARED/corpus/scale.py" "$n" "$out.part" "$@" > /dev/null
  mv "$out.part" "$out"
  echo "   generated $out ($((SECONDS - t0)) s)"
}

section "1. corpus"
if [ -n "${SCALE_CORPUS:-}" ]; then
  CORPUS=$SCALE_CORPUS
  echo "   $CORPUS (SCALE_CORPUS)"
else
  CORPUS=$SCALE_DIR/scale-$SCALE_N.jsonl.gz
  gen_corpus "$SCALE_N" "$CORPUS"
fi
# raw text = UTF-8 bytes of title + body over the corpus, computed once and kept beside it as
# "<text bytes> <records>" (in SCALE_DIR when the corpus's directory is not writable)
tb=$CORPUS.textbytes
[ -w "$(dirname "$CORPUS")" ] || tb=$SCALE_DIR/$(basename "$CORPUS").textbytes
if [ ! -s "$tb" ] || [ "$tb" -ot "$CORPUS" ]; then
  python3 - "$CORPUS" > "$tb.part" <<'EOF'
import gzip, json, sys
with open(sys.argv[1], 'rb') as raw:
    gz = raw.read(2) == b'\x1f\x8b'
b = n = 0
with (gzip.open if gz else open)(sys.argv[1], 'rt', encoding='utf-8') as f:
    for line in f:
        if line.strip():
            d = json.loads(line)
            b += len((d.get('title') or '').encode()) + len((d.get('body') or '').encode())
            n += 1
print(b, n)
EOF
  mv "$tb.part" "$tb"
fi
read -r TEXT_BYTES RECORDS < "$tb"
N=$RECORDS
echo "   $N records, raw text (title + body, UTF-8) $(mb "$TEXT_BYTES") MB"
WINDOW=${SCALE_WINDOW:-100000}
if [ "$N" -lt $((10 * WINDOW)) ]; then
  WINDOW=$(( N / 10 > 1000 ? N / 10 : 1000 ))
fi
INORDER=${SCALE_CORPUS_INORDER:-$SCALE_DIR/scale-$N-inorder.jsonl.gz}
if ! skip ingest-inorder; then
  if [ -n "${SCALE_CORPUS_INORDER:-}" ]; then
    echo "   in order: $INORDER (SCALE_CORPUS_INORDER)"
  else
    gen_corpus "$N" "$INORDER" --in-order
    [ -z "${SCALE_CORPUS:-}" ] ||
      echo "   (in order: scale.py $N --in-order; the same records only if SCALE_CORPUS is scale.py $N)"
  fi
fi
LIVE_N=$(( N < 100000 ? N : 100000 ))
LIVE_CORPUS=$SCALE_DIR/live-$LIVE_N-seed$LIVE_SEED.jsonl.gz
skip live || gen_corpus "$LIVE_N" "$LIVE_CORPUS" --seed "$LIVE_SEED"
section_end

# ---------------------------------------------------------------------------------------------
declare -A R	# ingest results, R[<order>.<figure>]
ingest() { # NAME CORPUS DB: newsd index under time -v, figures into R[NAME.*]
  local name=$1 corpus=$2 db=$3 f=$tmp/ingest-$1 rc=0 prog
  rm -f "$db" "$db-wal" "$db-shm"
  /usr/bin/time -v -o "$f.time" "$BUILD/newsd" index --db "$db" --report-every "$WINDOW" \
    "$corpus" > "$f.out" 2> "$f.err" || rc=$?
  if [ "$rc" -ne 0 ] && grep -q "report.every" "$f.err"; then
    # an older newsd without the flag: rates of the first/last records n/a, bytes from time -v
    echo "   ($name: newsd index has no --report-every; rerun without it)"
    rm -f "$db" "$db-wal" "$db-shm"
    rc=0
    /usr/bin/time -v -o "$f.time" "$BUILD/newsd" index --db "$db" "$corpus" \
      > "$f.out" 2> "$f.err" || rc=$?
  fi
  if [ "$rc" -ne 0 ]; then
    echo "   newsd index ($name) failed with status $rc:"
    tail -5 "$f.err"
    exit 1
  fi
  R[$name.rate]=$(sed -n 's/.*(\([0-9.]*\) articles\/s).*/\1/p' "$f.out")
  R[$name.secs]=$(sed -n 's/.* rejected in \([0-9.]*\) s .*/\1/p' "$f.out")
  R[$name.rejected]=$(sed -n 's/.* \([0-9]*\) rejected in .*/\1/p' "$f.out")
  R[$name.rss]=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$f.time")
  # CPU ms an article, every thread (user + system), over the records stored
  R[$name.cpu]=$(awk -F': ' -v r="${R[$name.rate]}" -v s="${R[$name.secs]}" '
    /User time|System time/ {t += $2}
    END {if (r * s > 0) printf "%.3f", t * 1000 / (r * s); else print "n/a"}' "$f.time")
  R[$name.written]=$(sed -n 's/^io: write_bytes=\([0-9]*\)$/\1/p' "$f.err")
  if [ -z "${R[$name.written]}" ]; then
    R[$name.written]=$(awk -F': ' '/File system outputs/ {print $2 * 512}' "$f.time")
  fi
  R[$name.db]=$(( $(stat -c %s "$db") + $( [ -f "$db-wal" ] && stat -c %s "$db-wal" || echo 0) ))
  # progress lines "progress: <records> records <seconds> s" (repeated when a commit passes
  # several marks at once): rate of the first and of the last WINDOW records
  prog=$(awk -v w="$WINDOW" '
    $1 == "progress:" && $2 != last { k++; n[k] = $2; t[k] = $4; last = $2 }
    END {
      if (k == 0) { print "n/a 0 n/a 0"; exit }
      for (j = 1; j < k && n[j] < w; j++) ;
      first = t[j] > 0 ? n[j] / t[j] : 0; fn = n[j]
      L = n[k]; bn = 0; bt = 0
      for (j = k - 1; j >= 1; j--) if (n[j] <= L - w) { bn = n[j]; bt = t[j]; break }
      printf "%.0f %d %.0f %d\n", first, fn, (t[k] > bt ? (L - bn) / (t[k] - bt) : 0), L - bn
    }' "$f.err")
  read -r "R[$name.first]" "R[$name.firstn]" "R[$name.last]" "R[$name.lastn]" <<< "$prog"
}

DB=$tmp/scale.db
orders=()
section "2. ingest: newsd index --report-every $WINDOW, each order into a fresh database"
if ! skip ingest; then
  ingest random "$CORPUS" "$DB"
  orders+=(random)
elif [ -n "${SCALE_DB:-}" ]; then
  echo "   ingest skipped: copying SCALE_DB=$SCALE_DB (sections 4-9 use the copy)"
  cp --reflink=auto "$SCALE_DB" "$DB"
  [ ! -f "$SCALE_DB-wal" ] || cp --reflink=auto "$SCALE_DB-wal" "$DB-wal"
elif ! { skip queries && skip floor && skip api && skip memory && skip wrk && skip live; }; then
  echo "   ingest skipped without SCALE_DB: indexing anyway (later sections need the database)"
  "$BUILD/newsd" index --db "$DB" "$CORPUS" | sed 's/^/   /'
else
  echo "   skipped (SCALE_SKIP)"
fi
if [ -f "$DB" ] && [ ${#orders[@]} -gt 0 ]; then
  # wire copies against the generator's ground truth (_copy_of), on the random-order load
  R[random.dedup]=$(python3 bench/dedup_truth.py "$DB" "$CORPUS" 2>&1 | tail -1)
fi
if ! skip ingest-inorder; then
  ingest inorder "$INORDER" "$tmp/inorder.db"
  rm -f "$tmp/inorder.db" "$tmp/inorder.db-wal" "$tmp/inorder.db-shm"
  orders+=(inorder)
fi
if [ ${#orders[@]} -gt 0 ]; then
  cols=()
  for o in "${orders[@]}"; do
    case $o in random) cols+=("random order") ;; inorder) cols+=("oldest first") ;; esac
  done
  row "" "${cols[@]}" "target"
  line() { # LABEL KEY-FUNCTION TARGET
    local label=$1 fn=$2 tgt=$3 vals=() o
    for o in "${orders[@]}"; do vals+=("$($fn "$o")"); done
    row "$label" "${vals[@]}" "$tgt"
  }
  v_rate() { echo "${R[$1.rate]:-n/a}"; }
  v_first() { echo "${R[$1.first]:-n/a}"; }
  v_last() { echo "${R[$1.last]:-n/a}"; }
  v_lastfirst() { ratio "${R[$1.last]}" "${R[$1.first]}"; }
  v_rss() { echo "${R[$1.rss]}"; }
  v_written() { mb "${R[$1.written]}"; }
  v_wdb() { ratio "${R[$1.written]}" "${R[$1.db]}"; }
  v_db() { mb "${R[$1.db]}"; }
  v_dbraw() { ratio "${R[$1.db]}" "$TEXT_BYTES"; }
  v_secs() { echo "${R[$1.secs]}"; }
  v_cpu() { echo "${R[$1.cpu]:-n/a}"; }
  v_rej() { echo "${R[$1.rejected]}"; }
  line "articles/s overall" v_rate ""
  span=${R[${orders[0]}.firstn]}
  [ "$span" != 0 ] || span=$WINDOW
  line "articles/s, first $span records" v_first ""
  span=${R[${orders[0]}.lastn]}
  [ "$span" != 0 ] || span=$WINDOW
  line "articles/s, last $span records" v_last ""
  line "last / first" v_lastfirst ">= 0.7"
  line "peak RSS, MB" v_rss "<= 400"
  line "bytes written, MB" v_written ""
  line "bytes written / db size" v_wdb "<= 6"
  line "db size (db + wal), MB" v_db ""
  line "db size / raw text" v_dbraw "<= 2.5"
  line "newsd index wall time, s" v_secs ""
  line "CPU ms an article (user + sys)" v_cpu ""
  line "rejected records" v_rej ""
  if [ -n "${R[random.dedup]:-}" ]; then
    echo "   wire copies vs _copy_of (random order): ${R[random.dedup]}" \
         "(targets: precision >= 0.95, recall >= 0.90)"
  fi
  for o in "${orders[@]}"; do
    echo "   $o: last/first $(target "$(v_lastfirst "$o")" ">=" 0.7), RSS $(target "$(v_rss "$o")" "<=" 400)," \
         "written/db $(target "$(v_wdb "$o")" "<=" 6), db/raw $(target "$(v_dbraw "$o")" "<=" 2.5)"
  done
fi
section_end

# ---------------------------------------------------------------------------------------------
section "3. Sphinx 2.2: sphinx_scale.sh (indexer + searchd, $ROUNDS rounds per query)"
SPHINX_RATE=n/a
SPHINX_P50=n/a
SPHINX_P99=n/a
: > "$tmp/sphinx.tsv"
if skip sphinx; then
  echo "   skipped (SCALE_SKIP)"
elif ! command -v indexer > /dev/null || ! /usr/bin/python3 -c 'import pymysql' 2> /dev/null; then
  echo "   skipped: needs sphinxsearch and python3-pymysql (Debian's /usr/bin/python3)"
else
  # sphinx_scale.sh removes its index when it ends; an indexer shim ahead on its PATH keeps
  # hard links of the files (and its config) so section 8 can serve the very same index again
  mkdir -p "$tmp/shim" "$tmp/sphinx"
  cat > "$tmp/shim/indexer" <<EOF
#!/bin/bash
# the real indexer, then a hard link of the index it wrote and its config in $tmp/sphinx
set -eu
"$(command -v indexer)" "\$@"
conf=
while [ \$# -gt 0 ]; do [ "\$1" = --config ] && conf=\$2; shift; done
path=\$(sed -n 's/^[[:space:]]*path[[:space:]]*=[[:space:]]*//p' "\$conf")
ln -f "\$path".* "$tmp/sphinx/" 2> /dev/null || cp "\$path".* "$tmp/sphinx/"
sed "s#\$(dirname "\$path")#$tmp/sphinx#g" "\$conf" > "$tmp/sphinx/sphinx.conf"
EOF
  chmod +x "$tmp/shim/indexer"
  sph_corpus=$CORPUS
  if ! is_gzip "$CORPUS"; then	# its xmlpipe2 feeder reads gzip only
    sph_corpus=$tmp/sphinx-corpus.jsonl.gz
    gzip -1 -c "$CORPUS" > "$sph_corpus"
  fi
  if TMPDIR=$tmp PATH="$tmp/shim:$PATH" bash "$SHARED/anchors/sphinx_scale.sh" "$sph_corpus" \
       "$ROUNDS" > "$tmp/sphinx.out" 2> "$tmp/sphinx.err"; then
    SPHINX_RATE=$(sed -n 's/.* \([0-9.]*\) docs\/sec.*/\1/p' "$tmp/sphinx.out" | head -1)
    sph_bytes=$(sed -n 's/^sphinx index bytes: \([0-9]*\)/\1/p' "$tmp/sphinx.out")
    SPHINX_P50=$(pct p50 "$(grep '^sphinx p50' "$tmp/sphinx.out")")
    SPHINX_P99=$(pct p99 "$(grep '^sphinx p50' "$tmp/sphinx.out")")
    awk -F'\t' 'NF >= 3' "$tmp/sphinx.out" > "$tmp/sphinx.tsv"
    rm -f "$tmp/sphinx-corpus.jsonl.gz"
    row "indexer docs/s" "${SPHINX_RATE:-n/a}"
    row "index bytes, MB" "$(mb "$sph_bytes")"
    row "index / raw text" "$(ratio "$sph_bytes" "$TEXT_BYTES")"
    row "query p50 / p99, ms" "${SPHINX_P50:-n/a}" "${SPHINX_P99:-n/a}"
    r=$(ratio "${R[random.rate]:-}" "${SPHINX_RATE:-}")
    echo "   ingest newsd / Sphinx indexer (random order): $r ($(target "$r" ">=" 2))"
    # two cores: twice Sphinx's rate leaves 2 x 1000 / (2 x rate) ms of CPU an article
    awk -v r="${SPHINX_RATE:-0}" -v c="${R[random.cpu]:-n/a}" 'BEGIN { if (r > 0)
      printf "   2 x Sphinx on 2 cores leaves %.3f ms of CPU an article for everything;" \
             " newsd index used %s (random order)\n", 1000 / r, c }'
  else
    echo "   sphinx_scale.sh failed:"
    tail -5 "$tmp/sphinx.err" "$tmp/sphinx.out" | sed 's/^/   /'
  fi
fi
section_end

# ---------------------------------------------------------------------------------------------
section "3b. ingest floor: a bare FTS5 table loaded with the same corpus (bench/ingest_floor.c)"
FLOOR_RATE=n/a
FLOOR_LIVE=n/a
if skip ingest-floor; then
  echo "   skipped (SCALE_SKIP)"
else
  # FTS5 alone (porter, text stored, rows appended; no entities, wire copies, words as written,
  # ids or dates) in transactions of 20,000, then its optimize; then 20,000 live records in
  # durable commits of 400 rows (the 4 clients x 100 of section 9, committed together)
  live_args=()
  [ ! -f "$LIVE_CORPUS" ] || live_args=("$LIVE_CORPUS" 20000 400)
  if "$tmp/ingest_floor" "$tmp/floor-ingest.db" "$CORPUS" "$WINDOW" "${live_args[@]}" \
       > "$tmp/ingest_floor.out" 2> "$tmp/ingest_floor.err"; then
    fv() { sed -n "s/.*\\b$1=\\([0-9.]*\\).*/\\1/p" "$tmp/ingest_floor.out"; }
    FLOOR_RATE=$(fv bulk_rate)
    row "" "bare FTS5" "newsd" "newsd / FTS5"
    row "articles/s (random order)" "$FLOOR_RATE" "${R[random.rate]:-n/a}" \
      "$(ratio "${R[random.rate]:-}" "$FLOOR_RATE")"
    row "articles/s, first / last $WINDOW" "$(fv bulk_first) / $(fv bulk_last)" \
      "${R[random.first]:-n/a} / ${R[random.last]:-n/a}"
    row "last / first" "$(ratio "$(fv bulk_last)" "$(fv bulk_first)")" \
      "$(ratio "${R[random.last]:-}" "${R[random.first]:-}")"
    row "db size / raw text" "$(ratio "$(fv db_bytes)" "$TEXT_BYTES")" \
      "$(ratio "${R[random.db]:-}" "$TEXT_BYTES")"
    row "final optimize, s" "$(fv merge_secs)"
    # the floor runs its SQLite calls on one thread, timed alone: its time an article is CPU
    row "ms an article (newsd: CPU, every thread)" \
      "$(awk -v r="$FLOOR_RATE" 'BEGIN { if (r > 0) printf "%.3f", 1000 / r }')" \
      "${R[random.cpu]:-n/a}"
    if [ "$SPHINX_RATE" != n/a ] && [ -n "$SPHINX_RATE" ]; then
      echo "   2 x Sphinx's indexer is $(ratio "$(awk -v r="$SPHINX_RATE" 'BEGIN {print 2 * r}')" \
           "$FLOOR_RATE") x the bare FTS5 table's rate (one writer can reach it only below 1)"
    fi
    if [ -n "$(fv live_rate)" ]; then
      FLOOR_LIVE=$(fv live_rate)
      row "live: 400 rows a durable commit" "$FLOOR_LIVE articles/s" \
        "p50 $(fv live_p50_ms) ms a commit"
    fi
  else
    echo "   ingest_floor failed:"
    tail -3 "$tmp/ingest_floor.err" | sed 's/^/   /'
  fi
  rm -f "$tmp/floor-ingest.db" "$tmp/floor-ingest.db-wal" "$tmp/floor-ingest.db-shm"
fi
section_end

# ---------------------------------------------------------------------------------------------
start_serve() { # NAME DB [FLAG...]: newsd serve on a free loopback port; sets PORT, pid in
  # $tmp/NAME.pid
  "$BUILD/newsd" serve --db "$2" --listen 127.0.0.1:0 "${@:3}" > "$tmp/$1.serve" \
    2> "$tmp/$1.serve.err" &
  echo $! > "$tmp/$1.pid"
  for _ in $(seq 6000); do	# an old database may be migrated first
    grep -q listening "$tmp/$1.serve" 2> /dev/null && break
    kill -0 "$(cat "$tmp/$1.pid")" 2> /dev/null || break
    sleep 0.1
  done
  PORT=$(sed -n 's#.*127.0.0.1:\([0-9]*\)/.*#\1#p' "$tmp/$1.serve")
  if [ -z "$PORT" ]; then
    echo "   newsd serve ($1) did not start:"
    tail -5 "$tmp/$1.serve.err"
    exit 1
  fi
}
wait_columns() { # PORT: until the server's columns are in memory (read at start: 3-40 s at 1M;
  # searches meanwhile read rows, and bounds need them). Prints the seconds waited.
  local t0=$SECONDS
  for _ in $(seq 3000); do
    curl -s "127.0.0.1:$1/stats" | python3 -c \
      'import json, sys; sys.exit(0 if json.load(sys.stdin).get("columns") else 1)' \
      2> /dev/null && break
    sleep 0.1
  done
  echo $((SECONDS - t0))
}
stop_serve() { # NAME
  local pid
  pid=$(cat "$tmp/$1.pid")
  kill -TERM "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  rm -f "$tmp/$1.pid"
}

NEWSD_P50=n/a
NEWSD_P99=n/a
SERVE_PID=
if [ -f "$DB" ] && ! { skip queries && skip api && skip memory && skip wrk && skip live; }; then
  start_serve main "$DB"
  MAIN_PORT=$PORT
  SERVE_PID=$(cat "$tmp/main.pid")
  COLUMNS_S=$(wait_columns "$MAIN_PORT")
fi
section "4. queries at $N articles: $(grep -vc '^#' "$QUERIES") queries x $ROUNDS rounds, one keep-alive client, limit=10 snippets=3"
: > "$tmp/newsd.tsv"
: > "$tmp/floor.tsv"
if skip queries || [ -z "$SERVE_PID" ]; then
  echo "   skipped (SCALE_SKIP, or no database)"
else
  echo "   (columns in memory $COLUMNS_S s after the server started; each frequent word's bounds"
  echo "    are built on its first search, in scalebench's warm-up round)"
  "$tmp/scalebench" -r "$ROUNDS" -e "$QEXTRA" 127.0.0.1 "$MAIN_PORT" "$QUERIES" \
    > "$tmp/newsd.out" || echo "   scalebench failed"
  awk -F'\t' 'NF >= 3' "$tmp/newsd.out" > "$tmp/newsd.tsv"
  NEWSD_P50=$(pct p50 "$(tail -1 "$tmp/newsd.out")")
  NEWSD_P99=$(pct p99 "$(tail -1 "$tmp/newsd.out")")
  ! grep -q errors "$tmp/newsd.out" ||
    echo "   newsd answered errors: $(tail -1 "$tmp/newsd.out") (the first one is on stderr)"
  FLOOR_P50=n/a
  FLOOR_P99=n/a
  if ! skip floor; then
    "$tmp/floor" "$DB" "$QUERIES" "$ROUNDS" > "$tmp/floor.out" || echo "   floor failed"
    awk -F'\t' 'NF >= 3' "$tmp/floor.out" > "$tmp/floor.tsv"
    FLOOR_P50=$(pct p50 "$(tail -1 "$tmp/floor.out")")
    FLOOR_P99=$(pct p99 "$(tail -1 "$tmp/floor.out")")
  fi
  # one row per query, joined on the query string; flags: > 2x Sphinx, totals that differ
  awk -F'\t' '
    function dec(s,   out, i, c) {
      out = ""
      for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "%" && i + 2 <= length(s)) {
          out = out sprintf("%c", 16 * (index("0123456789ABCDEF", toupper(substr(s, i + 1, 1))) - 1) + \
                                       index("0123456789ABCDEF", toupper(substr(s, i + 2, 1))) - 1)
          i += 2
        } else if (c == "&") out = out " "
        else out = out c
      }
      sub(/^q=/, "", out)
      return out
    }
    FILENAME == ARGV[1] { sms[$3] = $1; stot[$3] = $2; next }
    FILENAME == ARGV[2] { fms[$3] = $1; next }
    FNR == 1 {
      printf "   %-42s %9s %9s %9s %12s %12s %8s\n", "query", "newsd ms", "sphinx ms", "floor ms",
             "newsd total", "sphinx total", "ns/sph"
    }
    {
      s = ($3 in sms) ? sms[$3] : "n/a"; f = ($3 in fms) ? fms[$3] : "n/a"
      st = ($3 in stot) ? stot[$3] : "n/a"
      r = (s != "n/a" && s + 0 > 0) ? sprintf("%.2f", $1 / s) : "n/a"
      flag = ""
      if (r != "n/a" && r + 0 > 2) { flag = flag "  > 2x SPHINX"; slow++ }
      if (st != "n/a" && st != $2) { flag = flag "  TOTAL DIFFERS"; differ++ }
      printf "   %-42s %9s %9s %9s %12s %12s %8s%s\n", dec($3), $1, s, f, $2, st, r, flag
    }
    END { printf "   flagged: %d queries > 2x their Sphinx time, %d totals differ\n", slow, differ }
  ' "$tmp/sphinx.tsv" "$tmp/floor.tsv" "$tmp/newsd.tsv"
  row "" "p50 ms" "p99 ms"
  row "newsd (HTTP, top 10, 3 snippets)" "$NEWSD_P50" "$NEWSD_P99"
  row "Sphinx (SphinxQL, top 10 + META)" "$SPHINX_P50" "$SPHINX_P99"
  row "floor (count(*) of the MATCH)" "$FLOOR_P50" "$FLOOR_P99"
  row "ratio newsd / Sphinx" "$(ratio "$NEWSD_P50" "$SPHINX_P50")" "$(ratio "$NEWSD_P99" "$SPHINX_P99")"
  row "ratio newsd / floor" "$(ratio "$NEWSD_P50" "$FLOOR_P50")" "$(ratio "$NEWSD_P99" "$FLOOR_P99")"
fi
section_end

# ---------------------------------------------------------------------------------------------
section "5. the query set at smaller archives (first N records of the corpus)"
if skip small || [ -z "$SCALE_SMALL" ]; then
  echo "   skipped (SCALE_SKIP or SCALE_SMALL=\"\")"
else
  row "articles" "p50 ms" "p99 ms" "index s"
  for n in $SCALE_SMALL; do
    if [ "$n" -ge "$N" ]; then
      row "$n" "(corpus has $N)"
      continue
    fi
    { zcat -f "$CORPUS" || true; } | head -n "$n" > "$tmp/small.jsonl"
    rm -f "$tmp/small.db" "$tmp/small.db-wal" "$tmp/small.db-shm"
    t0=$(date +%s.%N)
    "$BUILD/newsd" index --db "$tmp/small.db" "$tmp/small.jsonl" > /dev/null
    t1=$(date +%s.%N)
    start_serve small "$tmp/small.db"
    wait_columns "$PORT" > /dev/null
    out=$("$tmp/scalebench" -s -r "$ROUNDS" -e "$QEXTRA" 127.0.0.1 "$PORT" "$QUERIES") ||
      out="scalebench failed"
    stop_serve small
    case $out in *errors* | *failed*) echo "   $n: $out" ;; esac
    row "$n" "$(pct p50 "$out")" "$(pct p99 "$out")" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')"
    rm -f "$tmp/small.jsonl" "$tmp/small.db" "$tmp/small.db-wal" "$tmp/small.db-shm"
  done
  [ "$NEWSD_P50" = n/a ] || row "$N (section 4)" "$NEWSD_P50" "$NEWSD_P99"
fi
section_end

# ---------------------------------------------------------------------------------------------
median_ms() { # PATH: median of 11 requests (curl time_total, ms), or "HTTP <status>"
  for _ in $(seq 11); do
    curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$MAIN_PORT$1"
  done > "$tmp/curl.out"
  if grep -qv '^200 ' "$tmp/curl.out"; then
    echo "HTTP $(grep -v '^200 ' "$tmp/curl.out" | head -1 | cut -d' ' -f1)"
    return
  fi
  sort -k2 -n "$tmp/curl.out" | sed -n 6p | awk '{printf "%.2f\n", $2 * 1000}'
}
section "6. the rest of the read API at $N articles (median of 11 requests, ms)"
if skip api || [ -z "$SERVE_PID" ]; then
  echo "   skipped (SCALE_SKIP, or no database)"
else
  # the most frequent place, for the entity filter
  ent=$(curl -sS "http://127.0.0.1:$MAIN_PORT/entities?limit=5" | python3 -c '
import json, sys, urllib.parse
es = json.load(sys.stdin)["entities"]
e = next((e for e in es if e["type"] == "place"), es[0] if es else {"name": "Japan"})
print(urllib.parse.quote(e["name"]))')
  printf '   %-70s %10s  %s\n' "request" "ms" "target"
  api_row() { # PATH OP LIMIT
    local v
    v=$(median_ms "$1")
    printf '   %-70s %10s  %s\n' "$1" "$v" "$(target "$v" "$2" "$3")"
  }
  api_row "/search?from=2024-03-01&to=2024-03-31&limit=10" "<=" 5
  api_row "/search?entity=$ent&from=2024-01-01&to=2024-12-31&limit=10" "<=" 10
  api_row "/timeline?q=oil" "<=" 50
  api_row "/entities?limit=20" "<=" 50
  api_row "/search?q=oil&facets=entities,sources,dates&limit=10" "<=" 150
  # collapse=dups (each story once, as the page and newsq ask): its time over the same search
  # without it (issue 13: at most 1.3 x)
  for cq in oil said grain; do
    plain=$(median_ms "/search?q=$cq&limit=10")
    col=$(median_ms "/search?q=$cq&limit=10&collapse=dups")
    r=$(ratio "$col" "$plain")
    printf '   %-70s %10s  %s\n' "/search?q=$cq&collapse=dups: $col ms over $plain ms, ratio" "$r" \
      "$(target "$r" "<=" 1.3)"
  done
  # similar articles (p50, target 10 ms) and did-you-mean (p99 of the whole /search of a
  # misspelt word, target 5 ms) at this size, through one keep-alive client (issue 13)
  python3 bench/discovery_scale.py "$MAIN_PORT" "$DB" > "$tmp/discovery.out" 2>&1 ||
    echo "   discovery_scale.py failed: $(tail -1 "$tmp/discovery.out")"
  sim=$(sed -n 's/^similar: p50 \([0-9.]*\) ms.*/\1/p' "$tmp/discovery.out")
  dym=$(sed -n 's/^did-you-mean: p50 [0-9.]* ms p99 \([0-9.]*\) ms.*/\1/p' "$tmp/discovery.out")
  sed 's/^/   /' "$tmp/discovery.out"
  printf '   %-70s %10s  %s\n' "/articles/{id}/similar, p50 of 60 articles" "${sim:-n/a}" \
    "$(target "$sim" "<=" 10)"
  printf '   %-70s %10s  %s\n' "/search of a misspelt word with did_you_mean, p99 of 200" \
    "${dym:-n/a}" "$(target "$dym" "<=" 5)"
  # export: every match of a broad query, default fields, JSON Lines; records counted as received.
  # Twice: the first reads most of the article table, which section 5's indexing (gigabytes
  # written) may have pushed out of the page cache, at the disk's pace; the second is timed
  # with the pages in memory, as the query set is after its warm-up round.
  xq=said
  xtotal=$(curl -sSI "http://127.0.0.1:$MAIN_PORT/export?q=$xq" |
           tr -d '\r' | sed -n 's/^[Xx]-[Tt]otal: *//p')
  for pass in first second; do
    t0=$(date +%s.%N)
    got=$(curl -sS "http://127.0.0.1:$MAIN_PORT/export?q=$xq" | wc -l)
    t1=$(date +%s.%N)
    rate=$(awk -v n="$got" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}')
    if [ $pass = first ]; then
      printf '   %-70s %10s\n' "/export?q=$xq, first (cache as section 5 left it), articles/s" "$rate"
    fi
  done
  printf '   %-70s %10s  %s\n' "/export?q=$xq: $got records of X-Total $xtotal, articles/s" "$rate" \
    "$(target "$rate" ">=" 100000)"
  [ "${xtotal:-0}" -ge 100000 ] ||
    echo "   (fewer than 100k matches: the export rate at this size says little)"
fi
section_end

# ---------------------------------------------------------------------------------------------
memory() { # → "VmHWM: N MB, VmRSS: N MB" of the main server
  awk '/^VmHWM|^VmRSS/ {printf "%s%s %.0f MB", n++ ? ", " : "", $1, $2 / 1024}' \
    "/proc/$SERVE_PID/status"
}
section "7. memory of newsd serve after sections 4-6"
if skip memory || [ -z "$SERVE_PID" ]; then
  echo "   skipped (SCALE_SKIP, or no database)"
else
  hwm=$(awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$SERVE_PID/status")
  rss=$(awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$SERVE_PID/status")
  rowt "VmHWM, MB" "$hwm" "$(target "$hwm" "<=" 300)"
  rowt "VmRSS, MB" "$rss" "$(target "$rss" "<=" 300)"
fi
section_end

# ---------------------------------------------------------------------------------------------
wrk_rate=n/a
section "8. throughput over the query set (newsd: wrk -t2 -c32 -d10s; Sphinx: 32 clients, 10 s)"
if skip wrk || [ -z "$SERVE_PID" ]; then
  echo "   skipped (SCALE_SKIP, or no database)"
else
  if command -v wrk > /dev/null; then
    awk -F'\t' -v x="$QEXTRA" '!/^#/ && NF { print "/search?" $1 x }' "$QUERIES" > "$tmp/paths"
    wrk -t2 -c32 -d10s --latency -s bench/wrk_rotate.lua "http://127.0.0.1:$MAIN_PORT" \
      -- "$tmp/paths" > "$tmp/wrk.out" || echo "   wrk failed"
    wrk_rate=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' "$tmp/wrk.out")
    row "newsd requests/s" "$wrk_rate"
    row "newsd latency p50 / p99 (wrk)" "$(awk '$1 == "50%" {print $2}' "$tmp/wrk.out")" \
        "$(awk '$1 == "99%" {print $2}' "$tmp/wrk.out")"
    ! grep -q "Non-2xx" "$tmp/wrk.out" || grep "Non-2xx" "$tmp/wrk.out" | sed 's/^/   newsd: /'
  else
    row "newsd requests/s" "n/a (wrk is not installed)"
  fi
  if [ -f "$tmp/sphinx/sphinx.conf" ]; then
    sport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    sed -i "s#127\.0\.0\.1:[0-9]*:mysql41#127.0.0.1:$sport:mysql41#" "$tmp/sphinx/sphinx.conf"
    searchd --config "$tmp/sphinx/sphinx.conf" > /dev/null
    for _ in $(seq 50); do
      /usr/bin/python3 -c "import pymysql; pymysql.connect(host='127.0.0.1', port=$sport, user='')" \
        2> /dev/null && break
      sleep 0.2
    done
    q=$(/usr/bin/python3 bench/sphinx_qps_scale.py "$sport" scale "$QUERIES" 32 10 |
        sed -n 's/.*: \([0-9]*\) queries\/s/\1/p') || q=n/a
    searchd --config "$tmp/sphinx/sphinx.conf" --stopwait > /dev/null 2>&1 &&
      rm -f "$tmp/sphinx/searchd.pid"
    row "Sphinx queries/s (32 Python clients)" "$q"
    row "newsd / Sphinx" "$(ratio "$wrk_rate" "$q")"
    echo "   (the Python clients share the cores with searchd: Sphinx's figure is a lower bound)"
  else
    row "Sphinx queries/s" "n/a (section 3 skipped or kept no index)"
  fi
fi
section_end

# ---------------------------------------------------------------------------------------------
section "9. live ingest into the $N-article index: 4 clients x batches of 100 for ${LIVE_S} s"
threads_cpu() { # PID: "NAME TICKS" per thread name (newsd names its threads), summed
  for t in /proc/"$1"/task/*; do
    printf '%s %s\n' "$(cat "$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")"
  done 2> /dev/null | awk '{s[$1] += $2} END {for (k in s) print k, s[k]}' | sort
}
live_run() { # PORT PID OUT [live_ingest.py FLAG...]: the load, the CPU of each thread of
  # server PID (OUT.before, OUT.after) and of the clients (OUT.clients), the report in OUT.out
  threads_cpu "$2" > "$3.before"
  /usr/bin/time -f "%U %S" -o "$3.clients" python3 bench/live_ingest.py "$1" "$LIVE_CORPUS" \
    --clients 4 --batch 100 --seconds "$LIVE_S" "${@:4}" > "$3.out" ||
    echo "   live_ingest.py ($3) failed"
  threads_cpu "$2" > "$3.after"
}
cpu_rows() { # OUT ACKED LABEL: CPU ms per acknowledged article, by thread, and the 2-core budget
  local hz ticks by all cl wr
  hz=$(getconf CLK_TCK)
  [ -n "$2" ] && [ "$2" -gt 0 ] 2> /dev/null || return 0
  ticks=$(join "$1.before" "$1.after")	# NAME BEFORE AFTER, a line per thread name
  by=$(awk -v a="$2" -v hz="$hz" \
    '{ms = ($3 - $2) * 1000 / hz / a; if (ms >= 0.005) printf "%s %.3f\n", $1, ms}' \
    <<< "$ticks" | sort -k2 -rn | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}')
  all=$(awk -v a="$2" -v hz="$hz" '{t += $3 - $2} END {printf "%.3f", t * 1000 / hz / a}' \
    <<< "$ticks")
  cl=$(awk -v a="$2" '{printf "%.3f", ($1 + $2) * 1000 / a}' "$1.clients" 2> /dev/null)
  wr=$(awk -v a="$2" -v hz="$hz" \
    '$1 == "newsd-writer" && $3 > $2 {printf "%.0f", a * hz / ($3 - $2)}' <<< "$ticks")
  echo "   $3, CPU ms an acknowledged article: $by"
  echo "   $3, newsd in all $all ms, the 4 clients $cl ms (5,000 articles/s on 2 cores leaves"
  echo "     0.400 ms an article for both); the writer thread busy all the time: ${wr:-n/a} articles/s"
}
if skip live || [ -z "$SERVE_PID" ]; then
  echo "   skipped (SCALE_SKIP, or no database)"
else
  idle=$("$tmp/scalebench" -s -r "$ROUNDS" -e "$QEXTRA" 127.0.0.1 "$MAIN_PORT" "$QUERIES") ||
    idle="scalebench failed"
  python3 bench/live_ingest.py "$MAIN_PORT" "$LIVE_CORPUS" --clients 4 --batch 100 \
    --seconds "$LIVE_S" > "$tmp/live.out" &
  echo $! > "$tmp/live.pid"
  sleep 2
  loaded=$("$tmp/scalebench" -s -r "$ROUNDS" -e "$QEXTRA" 127.0.0.1 "$MAIN_PORT" "$QUERIES") ||
    loaded="scalebench failed"
  kill -0 "$(cat "$tmp/live.pid")" 2> /dev/null ||
    echo "   (the query rounds outlasted the load: raise SCALE_LIVE_S)"
  wait "$(cat "$tmp/live.pid")" || echo "   live_ingest.py failed"
  rm -f "$tmp/live.pid"
  kv() { sed -n "s/.*\\b$1=\\([0-9.]*\\).*/\\1/p" "$tmp/live.out"; }
  ip99=$(pct p99 "$idle")
  lp99=$(pct p99 "$loaded")
  rowt "acknowledged articles/s" "$(kv rate)" "$(target "$(kv rate)" ">=" 5000)"
  row "bare FTS5, 400 rows a commit (3b)" "$FLOOR_LIVE" \
    "newsd / FTS5 $(ratio "$(kv rate)" "$FLOOR_LIVE")"
  row "acknowledged / batches / errors" "$(kv acked)" "$(kv batches)" "$(kv errors)"
  row "rejected / updated records" "$(kv rejected)" "$(kv updated)"
  row "query set p50, idle / loaded, ms" "$(pct p50 "$idle")" "$(pct p50 "$loaded")"
  row "query set p99, idle / loaded, ms" "$ip99" "$lp99"
  r=$(ratio "$lp99" "$ip99")
  rowt "p99 loaded / idle" "$r" "$(target "$r" "<=" 2)"
  case "$idle $loaded" in
    *errors* | *failed*) echo "   idle: $idle; loaded: $loaded" ;;
  esac
  # live news as it comes: the same records dated in order, newer than the archive (the
  # corpus's own dates are random, so each insert above lands at a random place of the
  # date-ordered tables)
  live_run "$MAIN_PORT" "$SERVE_PID" "$tmp/live-ordered" --prefix live-ordered- \
    --dates-from 2030-01-01T00:00:00Z
  ko() { sed -n "s/.*\\b$1=\\([0-9.]*\\).*/\\1/p" "$tmp/live-ordered.out"; }
  rowt "in date order, newest last: articles/s" "$(ko rate)" "$(target "$(ko rate)" ">=" 5000)"
  row "in date order: acknowledged / batches / errors" "$(ko acked)" "$(ko batches)" \
    "$(ko errors)"
  cpu_rows "$tmp/live-ordered" "$(ko acked)" "in date order"
  echo "   newsd serve after the load: $(memory)"
  # the same once more from a server with wire copies and entities off: what the writer's
  # FTS5 insert, commit and counts cost alone (the file keeps the ordered records above)
  stop_serve main
  SERVE_PID=
  start_serve plain "$DB" --dedup no --extraction no
  wait_columns "$PORT" > /dev/null
  live_run "$PORT" "$(cat "$tmp/plain.pid")" "$tmp/live-plain" --prefix live-plain- \
    --dates-from 2031-01-01T00:00:00Z
  kp() { sed -n "s/.*\\b$1=\\([0-9.]*\\).*/\\1/p" "$tmp/live-plain.out"; }
  row "the same, wire copies and entities off: articles/s" "$(kp rate)"
  cpu_rows "$tmp/live-plain" "$(kp acked)" "wire copies and entities off"
  stop_serve plain
fi
section_end

[ -z "$SERVE_PID" ] || stop_serve main
echo
echo "bench-scale: $((SECONDS - t_start)) s in all"
