"""`newsd reindex NEW`: a database made by an older newsd (schema 1: English stems for every
language, no words as written) indexed again from its own rows into a new file with this
newsd's index. The old file keeps working as it was; the new one filters and stems by language
and matches prefixes as written, with the same articles, fields, given entities and saved
watches."""
import json
import os
import sqlite3
import subprocess

import harness

# a schema-1 file as newsd wrote it before (tests/unit/test_store.c, test_upgrade_v1), with
# an article in German, one in English whose words share a prefix but not a stem, and the
# fields an input record may carry
V1 = """
PRAGMA application_id = 1852143475;
CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
INSERT INTO meta VALUES ('schema_version', 1), ('stemming', 'porter');
CREATE TABLE source(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
INSERT INTO source VALUES (1, 'wire'), (2, 'bote');
CREATE TABLE article(rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
 date INTEGER NOT NULL, source_id INTEGER REFERENCES source(id),
 title TEXT NOT NULL DEFAULT '', body TEXT NOT NULL DEFAULT '', tags TEXT NOT NULL,
 url TEXT, lang TEXT, authors TEXT, extra TEXT, ingested_at INTEGER NOT NULL,
 version INTEGER NOT NULL, simhash INTEGER, dup_of INTEGER);
CREATE TABLE entity(id INTEGER PRIMARY KEY, type INTEGER NOT NULL, name TEXT NOT NULL,
 norm TEXT NOT NULL, UNIQUE(type, norm));
CREATE TABLE entity_alias(norm TEXT NOT NULL, entity_id INTEGER NOT NULL,
 alias TEXT NOT NULL, PRIMARY KEY(norm, entity_id)) WITHOUT ROWID;
CREATE INDEX entity_alias_entity ON entity_alias(entity_id);
CREATE TABLE article_entity(rid INTEGER NOT NULL, entity_id INTEGER NOT NULL,
 given INTEGER NOT NULL, mentions INTEGER NOT NULL, PRIMARY KEY(rid, entity_id)) WITHOUT ROWID;
CREATE INDEX article_entity_entity ON article_entity(entity_id, rid);
CREATE TABLE version(v INTEGER PRIMARY KEY, committed_at INTEGER NOT NULL,
 added INTEGER NOT NULL, updated INTEGER NOT NULL, removed INTEGER NOT NULL);
CREATE TABLE day_count(day INTEGER PRIMARY KEY, n INTEGER NOT NULL);
CREATE VIRTUAL TABLE fts USING fts5(title, body, tags, content='article',
 content_rowid='rid', tokenize='porter unicode61 remove_diacritics 2');
INSERT INTO entity VALUES (1, 1, 'Harbour Authority of Vellan', 'harbour authority of vellan'),
 (2, 2, 'Vellan', 'vellan'), (3, 1, 'Vellan Port Trust', 'vellan port trust');
INSERT INTO entity_alias VALUES ('harbour authority of vellan', 1, 'Harbour Authority of Vellan'),
 ('vellan', 2, 'Vellan'), ('vellan port trust', 3, 'Vellan Port Trust');
INSERT INTO version VALUES (1, 0, 3, 0, 0);
INSERT INTO article(rid, id, date, source_id, title, body, tags, url, lang, authors, extra,
 ingested_at, version) VALUES
 (1783142400 * 1048576, 'en-1', 1783142400, 1, 'Immigration rules change at Vellan harbour',
  'Workers who immigrated last year said the immigration office at Vellan was slow. The '
  || 'Harbour Authority of Vellan promised more staff.', '0a 0s1 0e1 0e2 0e3',
  'https://example.org/en-1', 'en', '["Ann Lee", "Bo Li"]', '{"section": "politics"}', 0, 1),
 (1783228800 * 1048576, 'de-1', 1783228800, 2, 'Wahlen in Vellan',
  'Die Wahlen in Vellan finden im Herbst statt. Die Wahl des Rates gilt als offen, sagen '
  || 'die Parteien der Stadt.', '0a 0s2 0e2', NULL, 'de', NULL, NULL, 0, 1),
 (1783315200 * 1048576, 'en-2', 1783315200, 1, 'Rice prices',
  'Rice prices rose again in the markets of the south.', '0a 0s1', NULL, NULL, NULL, NULL, 0, 1);
INSERT INTO article_entity VALUES (1783142400 * 1048576, 1, 1, 1), (1783142400 * 1048576, 3, 1, 0),
 (1783142400 * 1048576, 2, 0, 2), (1783228800 * 1048576, 2, 0, 2);
INSERT INTO day_count SELECT (rid >> 20) / 86400, count(*) FROM article GROUP BY 1;
INSERT INTO fts(fts) VALUES ('rebuild');
"""

d = None
old_db = new_db = None
old = new = None
watch_id = None


def run(*args):
    return subprocess.run([harness.binary()] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=120,
                          text=True)


def setup_module():
    global d, old_db, new_db, old, new, watch_id
    d = harness.tmpdir("reindex")
    old_db = os.path.join(d, "old.db")
    new_db = os.path.join(d, "new.db")
    con = sqlite3.connect(old_db)
    con.executescript(V1)
    con.close()
    # served once as it is (the file is upgraded to this schema, its index kept), with a
    # saved watch
    old = harness.Server("reindex-old", db=old_db).start()
    r = old.post("/watches", json.dumps({"name": "vellan", "q": "vellan"}))
    assert r.status == 201, r
    watch_id = r.json["id"]
    old.stop()
    p = run("reindex", "--db", old_db, new_db)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "reindexed" in p.stdout and new_db in p.stdout, p.stdout
    assert harness.summary_count(p.stdout, "new") == 3, p.stdout
    old = harness.Server("reindex-old2", db=old_db).start()
    new = harness.Server("reindex-new", db=new_db).start()


def teardown_module():
    for s in (old, new):
        if s:
            s.stop()


def ids(srv, **params):
    r = srv.get("/search", params=params)
    assert r.status == 200, r
    return sorted(h["id"] for h in r.json["hits"])


def test_old_file_keeps_working_and_says_how():
    assert ids(old, q="vellan") == ["de-1", "en-1"]
    r = old.get("/search", params={"q": "Wahl", "lang": "de"})
    harness.check_error(r, 400, "bad_parameter")
    assert "newsd reindex" in r.json["error"]["message"], r.json
    assert "newsd reindex" in old.log_tail(200), old.log_tail(200)


def test_new_file_stems_and_filters_by_language():
    assert ids(new, q="Wahl", lang="de") == ["de-1"]
    assert ids(new, q="Wahlen") == ["de-1"]
    r = new.get("/stats")
    assert r.json["langs"] == {"de": 1, "en": 2}, r.json


def test_prefix_as_written_only_in_the_new_file():
    # porter stems both words to "immigr": no stem begins with "immigrat"
    assert ids(old, q="immigrat*") == []
    assert ids(new, q="immigrat*") == ["en-1"]


def test_same_articles_fields_and_given_entities():
    assert new.health()["articles"] == old.health()["articles"] == 3
    for id_ in ("en-1", "de-1", "en-2"):
        a = old.get(harness.article_path(id_)).json
        b = new.get(harness.article_path(id_)).json
        for k in ("id", "title", "body", "date", "source", "url", "authors", "extra"):
            assert a.get(k) == b.get(k), (id_, k, a.get(k), b.get(k))
    b = new.get(harness.article_path("en-1")).json
    assert b["lang"] == "en" and new.get(harness.article_path("de-1")).json["lang"] == "de"
    assert b["extra"] == {"section": "politics"}, b
    # the entities that were given are given again (one the text never names), and
    # extraction ran again over the text
    assert "Vellan Port Trust" in b["entities"]["orgs"], b["entities"]
    assert "Harbour Authority of Vellan" in b["entities"]["orgs"], b["entities"]
    for srv in (old, new):
        r = srv.get("/search", params={"entity": "Vellan Port Trust"})
        assert [h["id"] for h in r.json["hits"]] == ["en-1"], r.json


def test_saved_watches_copied():
    r = new.get("/watches")
    assert [w["id"] for w in r.json["watches"]] == [watch_id], r.json
    w = new.get("/watches/" + watch_id).json
    assert w["name"] == "vellan", w


def test_refuses_to_overwrite_and_new_file_is_clean():
    p = run("reindex", "--db", old_db, new_db)
    assert p.returncode == 2 and "exists" in p.stderr, (p.returncode, p.stderr)
    p = run("reindex", "--db", old_db)
    assert p.returncode == 2, p
    p = run("check", "--db", new_db)
    assert p.returncode == 0, (p.stdout, p.stderr)
