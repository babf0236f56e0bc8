"""GET /openapi.json: valid OpenAPI 3.1 (checked by a real validator from npm, installed by
`make npm-deps`), and true to the server: every path of the route table (server/http.c) is
described and every described path and method is answered; each operation's documented
query parameters are exactly those its handler accepts (the 400 for an unknown parameter lists
them); integer bounds, enum values and comma lists are probed at their edges; the limits come
from the configuration; and real responses, errors included, match the documented schemas."""
import json
import os
import re
import subprocess

import harness

srv = None
DOC = None
WATCH = None        # a saved watch, for /watches/{id}
MAX_Q = 2345        # a non-default max_query_bytes, so the document must take it from config
METHODS = ("get", "head", "post", "delete", "put", "patch")
NPM_DIR = os.path.join(harness.REPO, "build", "npm")
VALIDATE = os.path.join(harness.REPO, "tests", "openapi", "validate.js")

ARTICLES = [
    {"id": "oa-%d" % i, "title": "harbour strike day %d" % i, "date": "2026-01-%02dT10:00:00Z" % (i + 1),
     "source": "wire-%s" % "ab"[i % 2], "body": "Dockers at the harbour walked out again, day %d." % i,
     "entities": {"people": ["Mara Quell"], "orgs": ["Dockers Union"], "places": ["Port Vell"]}}
    for i in range(6)
]


def setup_module():
    global srv, DOC
    d = harness.tmpdir("openapi")
    conf = harness.write_config(os.path.join(d, "newsd.conf"), {"max_query_bytes": MAX_Q})
    srv = harness.Server("openapi", config=conf).start()
    r = srv.post("/articles", harness.jsonl(ARTICLES))
    assert r.status == 200 and r.json["accepted"] == len(ARTICLES), r
    r = srv.get("/openapi.json")
    assert r.status == 200, r
    DOC = r.json
    global WATCH
    r = srv.post("/watches", json.dumps({"q": "harbour"}))
    assert r.status == 201, r
    WATCH = r.json["id"]


def teardown_module():
    if srv:
        srv.stop()


def sample_path(template):
    """A path the server answers 200 for, from a documented template."""
    if template.startswith("/watches/"):
        return template.replace("{id}", WATCH)
    return template.replace("{id}", "oa-1").replace("{name}", "Mara%20Quell")


def streams(path):
    """An event stream (GET never ends): probed with HEAD, which checks the same parameters
    and answers at once."""
    get = DOC["paths"][path].get("get")
    return get is not None and "text/event-stream" in get["responses"]["200"]["content"]


def success(op):
    return "201" if "201" in op["responses"] else "200"


def operations():
    for path, item in DOC["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def test_document_shape():
    r = srv.get("/openapi.json")
    assert r.headers["content-type"].startswith("application/json"), r.headers
    assert DOC["openapi"].startswith("3.1"), DOC.get("openapi")
    ids = [op["operationId"] for _, _, op in operations()]
    assert len(ids) == len(set(ids)), "operationIds repeat: %s" % ids
    for path, method, op in operations():
        for st in (success(op), "400", "405", "500"):
            assert st in op["responses"], "%s %s documents no %s" % (method, path, st)
    # HEAD: GET's headers (Content-Length too) and no body, so the kept-alive connection
    # stays in step (the next request on it is answered)
    h = srv.head("/openapi.json")
    assert h.status == 200 and int(h.headers["content-length"]) == len(r.body), h.headers
    harness.check_error(srv.get("/openapi.json", zz=1), 400, "bad_parameter")


def test_validator_accepts_document_and_responses():
    """The document passes @apidevtools/swagger-parser, and real responses (successes and
    errors) match the schemas it documents, checked with Ajv (JSON Schema 2020-12)."""
    if not os.path.isdir(os.path.join(NPM_DIR, "node_modules", "@apidevtools", "swagger-parser")):
        harness.skip("the OpenAPI validator is not installed in build/npm "
                     "(make npm-deps; needs npm)")
    samples = []

    def add(template, method, resp):
        assert resp.json is not None, (template, resp)
        samples.append({"path": template, "method": method, "status": resp.status,
                        "body": resp.json})

    add("/search", "get", srv.get("/search", q="harbour", facets="entities,sources,dates"))
    add("/search", "get", srv.get("/search", entity="Mara Quell", limit=2))
    add("/search", "get", srv.get("/search", q='"harbour'))
    add("/search", "get", srv.get("/search", limit=101))
    add("/search", "get", srv.get("/search", from_="yesterday"))
    add("/articles/{id}", "get", srv.get("/articles/oa-1"))
    add("/articles/{id}", "get", srv.get("/articles/none-such"))
    add("/articles/{id}", "delete", srv.delete("/articles/oa-5"))
    add("/articles", "post", srv.post("/articles", harness.jsonl([ARTICLES[5], {"id": "x"}])))
    add("/articles", "post", srv.request("PUT", "/articles"))
    add("/entities", "get", srv.get("/entities", q="harbour"))
    add("/entities/{name}", "get", srv.get("/entities/Mara%20Quell"))
    add("/entities/{name}", "get", srv.get("/entities/Nobody%20Here"))
    add("/entities/{name}/related", "get", srv.get("/entities/Mara%20Quell/related", min_count=1))
    add("/timeline", "get", srv.get("/timeline", q="harbour"))
    add("/health", "get", srv.get("/health"))
    add("/stats", "get", srv.get("/stats"))
    add("/watches", "get", srv.get("/watches"))
    add("/watches", "post", srv.post("/watches", json.dumps({"q": "harbour", "name": "h"})))
    add("/watches", "post", srv.post("/watches", json.dumps({"q": "x", "colour": "red"})))
    add("/watches/{id}", "get", srv.get("/watches/" + WATCH))
    add("/watches/{id}", "get", srv.get("/watches/w-0"))
    if "/articles/{id}/similar" in DOC["paths"]:
        add("/articles/{id}/similar", "get", srv.get("/articles/oa-1/similar"))
        add("/articles/{id}/similar", "get", srv.get("/articles/none-such/similar"))
    d = harness.tmpdir("openapi-validate")
    doc_path = os.path.join(d, "openapi.json")
    samples_path = os.path.join(d, "samples.json")
    with open(doc_path, "w") as f:
        json.dump(DOC, f)
    with open(samples_path, "w") as f:
        json.dump(samples, f)
    env = dict(os.environ, NODE_PATH=os.path.join(NPM_DIR, "node_modules"))
    p = subprocess.run(["node", VALIDATE, doc_path, samples_path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, env=env, timeout=120)
    assert p.returncode == 0, "validator: %s" % p.stdout[-3000:]
    assert "valid OpenAPI 3.1" in p.stdout and "%d responses" % len(samples) in p.stdout, p.stdout


def route_literals():
    """The paths route() in server/http.c compares against: (exact set, prefix set)."""
    with open(os.path.join(harness.REPO, "server", "http.c")) as f:
        src = f.read()
    m = re.search(r"\nstatic void route\(struct request \*r\)\n\{(.*?)\n\}\n", src, re.S)
    assert m, "route() not found in server/http.c"
    body = m.group(1)
    exact = set(re.findall(r'strcmp\(p, "([^"]*)"\)', body))
    prefix = set(re.findall(r'strncmp\(p, "([^"]*)", \d+\)', body))
    assert exact and prefix, "no path literals found in route()"
    return exact, prefix


def test_every_route_is_described():
    exact, prefix = route_literals()
    paths = set(DOC["paths"])
    for p in exact:
        norm = p.rstrip("/") or "/"
        assert norm in paths, "route() answers %s; the document does not describe it" % p
    for p in prefix:
        assert any(q.startswith(p + "{") for q in paths), \
            "route() answers %s…; the document has no %s{…} path" % (p, p)


def test_every_described_operation_is_answered():
    """Each documented path and method is served (not a 404 'no such endpoint', not a 405),
    and each method it does not document gets 405."""
    for path, item in DOC["paths"].items():
        url = sample_path(path)
        for method in METHODS:
            if method == "post" and path == "/watches":
                r = srv.post(url, json.dumps({"q": "harbour"}))
            elif method == "post":
                r = srv.request("POST", url, body=harness.jsonl([ARTICLES[0]]),
                                headers={"Content-Type": "application/json"})
            elif method == "delete" and method in item and path.startswith("/watches/"):
                r = srv.delete("/watches/" + srv.post("/watches", "{}").json["id"])
            elif method == "get" and streams(path):
                r = srv.request("HEAD", url)
            elif method == "delete" and method in item:
                srv.post("/articles", harness.jsonl([dict(ARTICLES[0], id="oa-del")]))
                r = srv.delete(url.replace("oa-1", "oa-del"))
            else:
                r = srv.request(method.upper(), url)
            if method in item:
                assert r.status == int(success(item[method])), \
                    "%s %s (documented) answered %r" % (
                    method.upper(), url, r)
            else:
                assert r.status == 405, "%s %s is not documented, answered %r" % (
                    method.upper(), url, r)


def test_parameters_are_those_the_handlers_take():
    for path, method, op in operations():
        if method == "head":
            continue
        documented = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        url = sample_path(path) + "?zz_unknown=1"
        r = srv.request(method.upper(), url)
        e = harness.check_error(r, 400, "bad_parameter")
        m = re.search(r"this endpoint takes: (.*)$", e["message"])
        assert m, e["message"]
        taken = set() if m.group(1) == "none" else set(m.group(1).split(", "))
        assert taken == documented, "%s %s: the handler takes %s, the document says %s" % (
            method.upper(), path, sorted(taken), sorted(documented))


NAME_OF_TYPE = {"person": "Mara%20Quell", "org": "Dockers%20Union", "place": "Port%20Vell"}


def probe(path, name, value):
    url = sample_path(path)
    if path == "/entities/{name}" and name == "type" and value in NAME_OF_TYPE:
        url = url.replace("Mara%20Quell", NAME_OF_TYPE[value])
    if streams(path):
        # a valid value opens the stream (HEAD answers at once); an invalid one is a 400,
        # whose body only GET carries
        r = srv.head(url, params={name: value})
        return r if r.status == 200 else srv.get(url, params={name: value})
    return srv.get(url, params={name: value,
                                              **({"min_count": 1} if "related" in path
                                                 and name != "min_count" else {})})


def test_bounds_and_values_match_the_handlers():
    checked = 0
    for path, method, op in operations():
        if method != "get":
            continue
        for p in op.get("parameters", []):
            if p["in"] != "query":
                continue
            s = p["schema"]
            name = p["name"]
            if s.get("type") == "integer":
                for v in (s["minimum"], s["maximum"], s["default"]):
                    r = probe(path, name, v)
                    assert r.status == 200, "%s %s=%s (documented as valid): %r" % (path, name, v, r)
                for v in (s["maximum"] + 1,) + ((s["minimum"] - 1,) if s["minimum"] > 0 else ()):
                    r = probe(path, name, v)
                    harness.check_error(r, 400, "bad_parameter")
                checked += 1
            elif "enum" in s:
                for v in s["enum"]:
                    r = probe(path, name, v)
                    assert r.status == 200, "%s %s=%s (documented): %r" % (path, name, v, r)
                harness.check_error(probe(path, name, "zz-bogus"), 400, "bad_parameter")
                checked += 1
            elif "pattern" in s:
                values = re.match(r"\^\(([^)]*)\)", s["pattern"]).group(1).split("|")
                r = probe(path, name, ",".join(values))
                assert r.status == 200, "%s %s=%s (documented): %r" % (path, name, values, r)
                assert re.match(s["pattern"], ",".join(values))
                harness.check_error(probe(path, name, values[0] + ",zz-bogus"), 400,
                                    "bad_parameter")
                checked += 1
    assert checked >= 15, checked


def test_limits_come_from_the_configuration():
    q = [p for p in DOC["paths"]["/search"]["get"]["parameters"] if p["name"] == "q"][0]
    assert q["schema"]["maxLength"] == MAX_Q, q
    assert srv.get("/search", q="a" * MAX_Q).status == 200
    harness.check_error(srv.get("/search", q="a" * (MAX_Q + 1)), 400, "bad_query")
    body = DOC["paths"]["/articles"]["post"]["requestBody"]
    assert str(67108864) in body["description"], body
