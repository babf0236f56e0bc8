/*
 * main.c — the newsd command line: serve, index, reindex, stats, check, optimize, backup.
 * Settings: defaults < config file (-c FILE or $NEWSD_CONF) < flags. Every config key is also
 * a flag: --max-body-bytes 1000 or --max_body_bytes=1000; --spool is short for --spool-dir.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "extract.h"
#include "ingest.h"
#include "log.h"
#include "parse.h"
#include "reindex.h"
#include "server.h"
#include "store.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: newsd COMMAND [-c FILE] [--db PATH] [--KEY VALUE]...\n"
		"  serve [--listen ADDR:PORT] [--spool DIR]   run the HTTP server\n"
		"  index PATH...                               index files or directories\n"
		"  reindex NEW                                 index the database again into NEW\n"
		"  stats                                       counts and sizes\n"
		"  check                                       integrity (exit 0 only when clean)\n"
		"  optimize                                    merge index segments, checkpoint\n"
		"  backup DEST                                 online copy of the database\n"
		"  --version\n"
		"Every key of conf/newsd.conf is also a flag (--max-body-bytes 1000).\n"
		"NEWSD_CONF names the config file when -c is not given.\n");
}

/* Apply -c and --key value flags; positional arguments are collected into *pos. */
static int parse_args(int argc, char **argv, struct config *cfg, char ***pos, int *npos)
{
	const char *conf = getenv("NEWSD_CONF");
	char *err = NULL;
	int i;

	*pos = xcalloc((size_t)argc + 1, sizeof(**pos));
	*npos = 0;
	for (i = 2; i < argc; i++)
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc)
			conf = argv[++i];
	if (conf && conf[0] && config_load(cfg, conf, &err) < 0)
		goto fail;
	for (i = 2; i < argc; i++) {
		char key[128], *eq;
		const char *val;
		size_t k;

		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0)) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
			(*pos)[(*npos)++] = argv[i];
			continue;
		}
		snprintf(key, sizeof(key), "%s", argv[i] + 2);
		eq = strchr(key, '=');
		if (eq) {
			*eq = '\0';
			val = strchr(argv[i], '=') + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			set_error(&err, "flag --%s needs a value", key);
			goto fail;
		}
		for (k = 0; key[k]; k++)
			if (key[k] == '-')
				key[k] = '_';
		if (strcmp(key, "spool") == 0)
			snprintf(key, sizeof(key), "spool_dir");
		if (config_set(cfg, key, val, &err) < 0)
			goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "newsd: %s\n", err);
	free(err);
	free(*pos);
	*pos = NULL;
	return -1;
}

static struct store_options store_opts(const struct config *cfg)
{
	struct store_options so = { cfg->stemming, cfg->cache_mb, 30000, cfg->title_weight };

	return so;
}

/* ---- newsd index ---- */

struct index_run {
	struct store *store;
	struct ingest_batch batch;
	struct ingest_options opt;
	const char *file;
	int64_t accepted, updated, rejected, shown;
	int64_t report_every, next_report;	/* progress lines for benchmarks (0: none) */
	double t0, last_draw;
	int tty;
	int nfiles, filei;
	_Atomic int file_permille;	/* how far into the current file (parsing thread) */
	struct ingest_pipe *pipe;
	int failed;
};

static void index_progress(void *ctx, size_t done, size_t total)
{
	struct index_run *ir = ctx;

	ir->file_permille = total ? (int)((double)done / (double)total * 1000) : 0;
}

static void draw_progress(struct index_run *ir, int final)
{
	double el = now_monotonic() - ir->t0;
	int64_t n = ir->accepted + ir->updated + ir->batch.accepted + ir->batch.updated;
	double frac = ir->nfiles ? (ir->filei + ir->file_permille / 1000.0) / ir->nfiles : 0;
	int i, width = 30, fill;

	if (!ir->tty || (!final && now_monotonic() - ir->last_draw < 0.1))
		return;
	ir->last_draw = now_monotonic();
	if (final)
		frac = 1;
	fill = (int)(frac * width);
	fputs("\r[", stderr);
	for (i = 0; i < width; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %3d%%  %lld articles  %.0f/s  file %d/%d ", (int)(frac * 100),
		(long long)n, el > 0 ? n / el : 0.0, ir->filei + (final ? 0 : 1), ir->nfiles);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

/* Commit what is pending and start a new transaction. */
static int index_commit(struct index_run *ir, int reopen)
{
	int64_t version;
	char *err = NULL;

	if (store_commit(ir->store, ir->batch.accepted, ir->batch.updated, 0, &version, &err) < 0) {
		fprintf(stderr, "\nnewsd: %s\n", err);
		free(err);
		return -1;
	}
	ir->accepted += ir->batch.accepted;
	ir->updated += ir->batch.updated;
	ir->batch.accepted = ir->batch.updated = 0;
	if (reopen && store_begin(ir->store, &err) < 0) {
		fprintf(stderr, "\nnewsd: %s\n", err);
		free(err);
		return -1;
	}
	return 0;
}

/* The records stored so far; with report_every, one line per report_every records. */
static void report_progress(struct index_run *ir)
{
	int64_t n = ir->accepted + ir->updated;

	draw_progress(ir, 0);
	if (ir->report_every <= 0)
		return;
	while (n >= ir->next_report) {
		fprintf(stderr, "%sprogress: %lld records %.3f s\n", ir->tty ? "\r" : "",
			(long long)n, now_monotonic() - ir->t0);
		ir->next_report += ir->report_every;
	}
}

/* On the writer thread, after each stored batch (batch_max_records): commit it. */
static int index_after(void *ctx)
{
	struct index_run *ir = ctx;

	if (index_commit(ir, 1) < 0)
		return -1;
	report_progress(ir);
	return 0;
}

/* Bytes this process caused to be written to storage (Linux /proc/self/io), or -1. */
static long long io_write_bytes(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	long long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "write_bytes: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* On the parsing thread: extract and hand the record to the writer. */
static int index_record(void *ctx, struct article *a, long line)
{
	struct index_run *ir = ctx;

	(void)line;
	return ingest_pipe_push(ir->pipe, a);
}

static int index_reject(void *ctx, long line, const char *id, const char *error)
{
	struct index_run *ir = ctx;

	ir->rejected++;
	if (ir->shown++ < 20)
		fprintf(stderr, "%s%s:%ld: %s%s%s\n", ir->tty ? "\r" : "", ir->file, line,
			id ? id : "", id ? ": " : "", error);
	return 0;
}

static int index_file(void *ctx, const char *file)
{
	struct index_run *ir = ctx;
	struct parse_sink sink = { .record = index_record, .reject = index_reject, .ctx = ir,
				  .progress = index_progress };
	char *err = NULL;

	ir->file = file;
	ir->file_permille = 0;
	if (parse_file(file, ir->opt.max_bytes, &sink, &err) < 0) {
		if (ir->batch.failed || ir->failed) {
			fprintf(stderr, "\nnewsd: %s: %s\n", file, ir->batch.errmsg ? ir->batch.errmsg :
				err ? err : "write failed");
			free(err);
			return -1;
		}
		fprintf(stderr, "%snewsd: %s\n", ir->tty ? "\r" : "", err ? err : file);
		ir->failed = 1;
	}
	free(err);
	ir->filei++;
	return 0;
}

static int count_file(void *ctx, const char *file)
{
	(void)file;
	(*(int *)ctx)++;
	return 0;
}

/* The bulk load of index and reindex into db: feed(ir, arg) pushes every record; then the
 * commit, the merge of a backfill, finish(store, arg) when given, and the final checkpoint. */
static int run_load(struct config *cfg, const char *db, int nfiles,
		    int (*feed)(struct index_run *ir, void *arg),
		    int (*finish)(struct store *s, void *arg), void *arg)
{
	struct index_run ir;
	struct store_options so = store_opts(cfg);
	char *err = NULL;
	int rc = 1, fed;
	double el, merge_s = 0.0;
	int64_t stored;

	memset(&ir, 0, sizeof(ir));
	ir.opt.extraction = cfg->extraction;
	ir.opt.dedup = cfg->dedup;
	ir.opt.max_bytes = (size_t)cfg->max_body_bytes > ((size_t)1 << 34) ?
			   (size_t)cfg->max_body_bytes : ((size_t)1 << 34);
	ir.opt.batch_max_records = cfg->batch_max_records;
	ir.tty = isatty(2);
	ir.report_every = cfg->report_every;
	ir.next_report = cfg->report_every;
	ir.nfiles = nfiles;
	if (cfg->extraction && extract_init(&err) < 0)
		goto out;
	if (store_open(db, STORE_WRITE, &so, &ir.store, &err) < 0)
		goto out;
	if (store_set_dedup(ir.store, cfg->dedup) < 0) {
		set_error(&err, "cannot set up wire-copy detection");
		goto out;
	}
	ingest_batch_init(&ir.batch, ir.store, &ir.opt, 0);
	ir.t0 = now_monotonic();
	if (store_bulk(ir.store, 1, &err) < 0 || store_begin(ir.store, &err) < 0)
		goto out;
	/* the extraction runs on this thread while the writer thread stores */
	ir.batch.opt = &ir.opt;
	ir.pipe = ingest_pipe_start(&ir.batch, (size_t)cfg->batch_max_records, index_after, &ir);
	if (ir.pipe == NULL) {
		set_error(&err, "cannot start the writer thread");
		goto out;
	}
	fed = feed(&ir, arg);
	if (ingest_pipe_finish(ir.pipe) < 0 || fed < 0) {
		store_rollback(ir.store);
		goto out;
	}
	if (index_commit(&ir, 0) < 0)
		goto out;
	/* A load that wrote a quarter of the index or more (a backfill) merges FTS5's segments
	 * into one: a search restricted to a block of rids (bounds.h) seeks each word once per
	 * segment, and at 1M articles ten segments made the block reads 2-3 times slower (docs/
	 * DESIGN.md, Bulk loading). A smaller load leaves it to FTS5's automerge: merging
	 * rewrites the whole index (62 s at 1M). */
	stored = ir.accepted + ir.updated;
	if (stored >= 10000 && stored * 4 >= store_article_count(ir.store)) {
		double m0 = now_monotonic();

		if (store_merge_index(ir.store, &err) < 0)
			goto out;
		merge_s = now_monotonic() - m0;
	}
	if (finish && finish(ir.store, arg) < 0)
		goto out;
	if (store_bulk(ir.store, 0, &err) < 0)
		goto out;
	draw_progress(&ir, 1);
	el = now_monotonic() - ir.t0;
	printf("indexed %lld new, %lld updated, %lld rejected in %.2f s (%.0f articles/s) into %s\n",
	       (long long)ir.accepted, (long long)ir.updated, (long long)ir.rejected, el,
	       el > 0 ? (ir.accepted + ir.updated) / el : 0.0, db);
	if (merge_s > 0)
		printf("(of which %.2f s merging the index into one segment)\n", merge_s);
	if (ir.shown > 20)
		printf("(%lld more rejected records not shown)\n", (long long)(ir.shown - 20));
	if (ir.report_every > 0)
		fprintf(stderr, "io: write_bytes=%lld\n", io_write_bytes());
	rc = ir.failed ? 1 : 0;
out:
	if (err)
		fprintf(stderr, "newsd: %s\n", err);
	free(err);
	ingest_batch_free(&ir.batch);
	store_close(ir.store);
	return rc;
}

/* newsd index: the files and directories in turn. */
struct index_paths {
	char **paths;
	int npaths;
};

static int feed_paths(struct index_run *ir, void *arg)
{
	struct index_paths *ip = arg;
	char *err = NULL;
	int i;

	for (i = 0; i < ip->npaths; i++)
		if (parse_walk(ip->paths[i], index_file, ir, &err) < 0 || ir->batch.failed)
			break;
	if (err)
		fprintf(stderr, "newsd: %s\n", err);
	free(err);
	return i < ip->npaths ? -1 : 0;
}

static int cmd_index(struct config *cfg, char **paths, int npaths)
{
	struct index_paths ip = { paths, npaths };
	char *err = NULL;
	int i, nfiles = 0;

	if (npaths == 0) {
		fprintf(stderr, "newsd index: name at least one file or directory\n");
		return 2;
	}
	for (i = 0; i < npaths; i++)
		if (parse_walk(paths[i], count_file, &nfiles, &err) < 0) {
			fprintf(stderr, "newsd: %s\n", err);
			free(err);
			return 1;
		}
	return run_load(cfg, cfg->db, nfiles, feed_paths, NULL, &ip);
}

/* newsd reindex: the articles of the database --db names, as records. */
struct reindex_run {
	struct store *old;
	struct index_run *ir;
	int64_t watches;
};

static int reindex_record(void *ctx, json_t *rec)
{
	struct reindex_run *rr = ctx;
	struct article a;
	char *err = NULL;

	if (parse_record_json(rec, &a, &err) < 0) {
		const char *id = json_string_value(json_object_get(rec, "id"));

		index_reject(rr->ir, 0, id, err ? err : "cannot be read");
		free(err);
		return 0;
	}
	return ingest_pipe_push(rr->ir->pipe, &a) < 0 ? -1 : 0;
}

static int feed_old(struct index_run *ir, void *arg)
{
	struct reindex_run *rr = arg;
	char *err = NULL;
	int rc;

	rr->ir = ir;
	ir->file = "reindex";
	rc = reindex_records(rr->old, reindex_record, rr, &err);
	if (rc < 0 && err)
		fprintf(stderr, "\nnewsd: %s\n", err);
	free(err);
	return rc < 0 || ir->batch.failed ? -1 : 0;
}

static int copy_watches(struct store *s, void *arg)
{
	struct reindex_run *rr = arg;
	char *err = NULL;
	int n = reindex_watches(rr->old, s, &err);

	if (n < 0) {
		fprintf(stderr, "newsd: %s\n", err);
		free(err);
		return -1;
	}
	rr->watches = n;
	return 0;
}

static int cmd_reindex(struct config *cfg, char **pos, int npos)
{
	struct store_options so = store_opts(cfg);
	struct reindex_run rr = { 0 };
	struct stat sb;
	char *err = NULL;
	int rc;

	if (npos != 1) {
		fprintf(stderr, "newsd reindex: name the new database file (the one to read is "
			"--db or the config's db)\n");
		return 2;
	}
	if (stat(pos[0], &sb) == 0 && sb.st_size > 0) {
		fprintf(stderr, "newsd reindex: %s exists: reindex writes a new database (remove "
			"it, or name another file)\n", pos[0]);
		return 2;
	}
	/* for writing, as newsd serve opens it: a file of an older schema is upgraded first,
	 * so that its rows read alike (the articles are then read in one read transaction) */
	if (store_open(cfg->db, STORE_WRITE, &so, &rr.old, &err) < 0) {
		fprintf(stderr, "newsd: %s\n", err);
		free(err);
		return 1;
	}
	rc = run_load(cfg, pos[0], 1, feed_old, copy_watches, &rr);
	store_close(rr.old);
	if (rc == 0)
		printf("reindexed %s into %s (%lld saved watches): serve it with newsd serve "
		       "--db %s, or stop newsd and move it over the old file\n", cfg->db, pos[0],
		       (long long)rr.watches, pos[0]);
	return rc;
}

static int open_or_fail(struct config *cfg, enum store_mode mode, struct store **s)
{
	struct store_options so = store_opts(cfg);
	char *err = NULL;

	if (store_open(cfg->db, mode, &so, s, &err) < 0) {
		fprintf(stderr, "newsd: %s\n", err);
		free(err);
		return -1;
	}
	return 0;
}

static int cmd_simple(struct config *cfg, const char *cmd, char **pos, int npos)
{
	struct store *s = NULL;
	char *err = NULL, *report = NULL;
	int rc = 1;

	if (strcmp(cmd, "stats") == 0) {
		if (open_or_fail(cfg, STORE_READ, &s) < 0)
			return 1;
		printf("{\"articles\": %lld, \"index_version\": %lld}\n",
		       (long long)store_article_count(s), (long long)store_index_version(s));
		rc = 0;
	} else if (strcmp(cmd, "check") == 0) {
		/* FTS5's integrity-check is an INSERT command: it needs a writable connection */
		if (open_or_fail(cfg, STORE_WRITE, &s) < 0)
			return 1;
		rc = store_check(s, &report) == 0 ? 0 : 1;
		printf("%s%s", report, rc == 0 ? "ok\n" : "");
		free(report);
	} else if (strcmp(cmd, "optimize") == 0) {
		if (open_or_fail(cfg, STORE_WRITE, &s) < 0)
			return 1;
		rc = store_optimize(s, &err) == 0 ? 0 : 1;
	} else if (strcmp(cmd, "backup") == 0) {
		if (npos != 1) {
			fprintf(stderr, "newsd backup: name one destination file\n");
			return 2;
		}
		if (open_or_fail(cfg, STORE_READ, &s) < 0)
			return 1;
		rc = store_backup(s, pos[0], &err) == 0 ? 0 : 1;
		if (rc == 0)
			printf("backed up %s to %s\n", cfg->db, pos[0]);
	}
	if (err)
		fprintf(stderr, "newsd: %s\n", err);
	free(err);
	store_close(s);
	return rc;
}

int main(int argc, char **argv)
{
	struct config cfg;
	char **pos = NULL, *err = NULL;
	int npos = 0, rc;
	const char *cmd = argc > 1 ? argv[1] : "";

	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("newsd %s (sqlite %s)\n", NEWSD_VERSION, sqlite3_libversion());
		return 0;
	}
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "serve") && strcmp(cmd, "index") && strcmp(cmd, "reindex") &&
	    strcmp(cmd, "stats") &&
	    strcmp(cmd, "check") && strcmp(cmd, "optimize") && strcmp(cmd, "backup")) {
		usage(stderr);
		return 2;
	}
	config_defaults(&cfg);
	if (parse_args(argc, argv, &cfg, &pos, &npos) < 0) {
		config_free(&cfg);
		return 2;
	}
	if (log_open(cfg.log_file) < 0 || log_set_level(cfg.log_level) < 0) {
		fprintf(stderr, "newsd: cannot open log %s\n", cfg.log_file);
		rc = 1;
		goto out;
	}
	if (strcmp(cmd, "serve") == 0) {
		if (npos) {
			fprintf(stderr, "newsd serve: unexpected argument '%s'\n", pos[0]);
			rc = 2;
			goto out;
		}
		if (cfg.extraction && extract_init(&err) < 0) {
			fprintf(stderr, "newsd: %s\n", err);
			rc = 1;
			goto out;
		}
		rc = server_run(&cfg);
	} else if (strcmp(cmd, "index") == 0) {
		rc = cmd_index(&cfg, pos, npos);
	} else if (strcmp(cmd, "reindex") == 0) {
		rc = cmd_reindex(&cfg, pos, npos);
	} else {
		rc = cmd_simple(&cfg, cmd, pos, npos);
	}
out:
	free(err);
	free(pos);
	config_free(&cfg);
	log_close();
	return rc;
}
