"""An independent oracle for newsd search results, computed from the JSON Lines input.

It re-implements, in plain Python, what the index is supposed to do:
  * tokenisation like SQLite FTS5's unicode61 tokenizer with remove_diacritics 2: tokens are
    maximal runs of letters, digits and private-use characters, case-folded, Latin diacritics
    stripped;
  * Martin Porter's original (1980) stemming algorithm, as FTS5's porter tokenizer applies it
    (tokens shorter than 3 or longer than 64 bytes are left alone; the algorithm works on the
    UTF-8 bytes, every non-ASCII byte counting as a consonant);
  * the query forms of API.md (terms, AND/OR/NOT/-, phrases, prefixes, title:/body:,
    "a b"~N and NEAR(a b, N), groups), with FTS5's phrase, prefix and NEAR semantics, over the
    title and the body separately;
  * date-range, entity and source filters.
A prefix (`immigrat*`) matches the words as written (folded, not stemmed: "immigration",
"immigrated", not "immigrant"), as newsd's newsd_surface tokenizer indexes them; the other
words of a phrase ending in a prefix are stemmed.
Nothing here talks to newsd: it is the yardstick the end-to-end tests hold the server to.
"""
import datetime
import gzip
import json
import re
import unicodedata

# ---------------------------------------------------------------------------------------------
# Tokenisation

_TOKEN_RE = re.compile(r"(?:[^\W_]|[\ue000-\uf8ff])+")
_fold_cache = {}


def _fold_char(ch):
    """Case-fold one non-ASCII character and strip its diacritics (Latin letters only, as
    FTS5's remove_diacritics does); combining marks vanish."""
    r = _fold_cache.get(ch)
    if r is not None:
        return r
    if unicodedata.combining(ch):
        r = ""
    else:
        low = ch.lower()
        base = "".join(c for c in unicodedata.normalize("NFD", low) if not unicodedata.combining(c))
        if len(base) == 1 and ord(base) < 0x250 and base != low:
            r = base
        else:
            r = low
    _fold_cache[ch] = r
    return r


def fold(text):
    """Lower-case text and strip diacritics the way the tokenizer does."""
    if text.isascii():
        return text.lower()
    return "".join(c.lower() if c < "\x80" else _fold_char(c) for c in text)


def tokenize(text):
    """The unstemmed tokens of text, in order."""
    if not text:
        return []
    return _TOKEN_RE.findall(fold(text))


# ---------------------------------------------------------------------------------------------
# Porter stemming (M. F. Porter, "An algorithm for suffix stripping", 1980), on UTF-8 bytes.

_VOWELS = frozenset(b"aeiou")


def _is_cons(w, i):
    c = w[i]
    if c in _VOWELS:
        return False
    if c == 0x79:  # 'y' is a vowel after a consonant
        return i == 0 or not _is_cons(w, i - 1)
    return True


def _measure(w):
    """m in [C](VC)^m[V] of the byte string w."""
    n = len(w)
    i = 0
    while i < n and _is_cons(w, i):
        i += 1
    m = 0
    while i < n:
        while i < n and not _is_cons(w, i):
            i += 1
        if i >= n:
            break
        while i < n and _is_cons(w, i):
            i += 1
        m += 1
    return m


def _has_vowel(w):
    return any(not _is_cons(w, i) for i in range(len(w)))


def _double_cons(w):
    return len(w) >= 2 and w[-1] == w[-2] and _is_cons(w, len(w) - 1)


def _cvc(w):
    """*o: the stem ends cvc, the last c not w, x or y."""
    n = len(w)
    return (n >= 3 and _is_cons(w, n - 1) and not _is_cons(w, n - 2) and _is_cons(w, n - 3)
            and w[-1] not in b"wxy")


_STEP2 = [(b"ational", b"ate"), (b"tional", b"tion"), (b"enci", b"ence"), (b"anci", b"ance"),
          (b"izer", b"ize"), (b"bli", b"ble"), (b"alli", b"al"), (b"entli", b"ent"),
          (b"eli", b"e"), (b"ousli", b"ous"), (b"ization", b"ize"), (b"ation", b"ate"),
          (b"ator", b"ate"), (b"alism", b"al"), (b"iveness", b"ive"), (b"fulness", b"ful"),
          (b"ousness", b"ous"), (b"aliti", b"al"), (b"iviti", b"ive"), (b"biliti", b"ble"),
          (b"logi", b"log")]
_STEP3 = [(b"icate", b"ic"), (b"ative", b""), (b"alize", b"al"), (b"iciti", b"ic"),
          (b"ical", b"ic"), (b"ful", b""), (b"ness", b"")]
_STEP4 = [b"al", b"ance", b"ence", b"er", b"ic", b"able", b"ible", b"ant", b"ement", b"ment",
          b"ent", b"ion", b"ou", b"ism", b"ate", b"iti", b"ous", b"ive", b"ize"]


def _longest(w, suffixes):
    """The longest suffix of the table that w ends with (and that leaves a non-empty stem)."""
    best = None
    for s in suffixes:
        key = s[0] if isinstance(s, tuple) else s
        if len(w) > len(key) and w.endswith(key) and (best is None or len(key) > len(best[0])):
            best = (key, s[1] if isinstance(s, tuple) else b"")
    return best


def _ends(w, suffix):
    """w ends with suffix and has at least one byte before it (FTS5 never strips a whole
    word)."""
    return len(w) > len(suffix) and w.endswith(suffix)


def _stem_bytes(w):
    # Step 1a
    if _ends(w, b"sses"):
        w = w[:-2]
    elif _ends(w, b"ies"):
        w = w[:-2]
    elif _ends(w, b"ss"):
        pass
    elif _ends(w, b"s"):
        w = w[:-1]
    # Step 1b
    extra = False
    if _ends(w, b"eed"):
        if _measure(w[:-3]) > 0:
            w = w[:-1]
    elif _ends(w, b"ed") and _has_vowel(w[:-2]):
        w = w[:-2]
        extra = True
    elif _ends(w, b"ing") and _has_vowel(w[:-3]):
        w = w[:-3]
        extra = True
    if extra:
        if _ends(w, b"at") or _ends(w, b"bl") or _ends(w, b"iz"):
            w += b"e"
        elif _double_cons(w) and w[-1] not in b"lsz":
            w = w[:-1]
        elif _measure(w) == 1 and _cvc(w):
            w += b"e"
    # Step 1c
    if _ends(w, b"y") and _has_vowel(w[:-1]):
        w = w[:-1] + b"i"
    # Step 2
    hit = _longest(w, _STEP2)
    if hit and _measure(w[:-len(hit[0])]) > 0:
        w = w[:-len(hit[0])] + hit[1]
    # Step 3
    hit = _longest(w, _STEP3)
    if hit and _measure(w[:-len(hit[0])]) > 0:
        w = w[:-len(hit[0])] + hit[1]
    # Step 4
    hit = _longest(w, _STEP4)
    if hit:
        stem = w[:-len(hit[0])]
        if _measure(stem) > 1 and (hit[0] != b"ion" or stem[-1:] in (b"s", b"t")):
            w = stem
    # Step 5a
    if _ends(w, b"e"):
        stem = w[:-1]
        m = _measure(stem)
        if m > 1 or (m == 1 and not _cvc(stem)):
            w = stem
    # Step 5b
    if _ends(w, b"ll") and _measure(w) > 1:
        w = w[:-1]
    return w


_stem_cache = {}


def stem(token):
    """Porter stem of one folded token (str)."""
    r = _stem_cache.get(token)
    if r is None:
        b = token.encode("utf-8")
        if 3 <= len(b) <= 64:
            r = _stem_bytes(b).decode("utf-8", "replace")
        else:
            r = token
        _stem_cache[token] = r
    return r


def analyze(text, stemming=True):
    """Tokens of text as the index stores them."""
    toks = tokenize(text)
    return [stem(t) for t in toks] if stemming else toks


# ---------------------------------------------------------------------------------------------
# Dates

def parse_date(s):
    """ISO 8601 as accepted by newsd → (epoch seconds UTC, date_only)."""
    s = s.strip()
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s)
    if m:
        d = datetime.datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=datetime.timezone.utc)
        return int(d.timestamp()), True
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
                     r"(Z|[+-]\d{2}:?\d{2})?", s)
    if not m:
        raise ValueError("bad date %r" % s)
    d = datetime.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]),
                          int(m[6] or 0), tzinfo=datetime.timezone.utc)
    t = int(d.timestamp())
    tz = m[7]
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        hh, mm = int(tz[1:3]), int(tz[-2:])
        t -= sign * (hh * 3600 + mm * 60)
    return t, False


def format_date(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# Query language → AST

class QueryError(Exception):
    pass


class Phrase:
    """A sequence of stemmed tokens, the last one possibly a prefix (then matched against the
    words as written: surface, folded but not stemmed), restricted to columns."""
    def __init__(self, toks, prefix=False, cols=("title", "body"), surface=None):
        self.toks, self.prefix, self.cols = toks, prefix, cols
        self.surface = surface if surface is not None else (toks[-1] if toks else "")

    def __repr__(self):
        return "Phrase(%r%s,%s)" % (self.toks, "*" if self.prefix else "", "/".join(self.cols))


class Near:
    def __init__(self, phrases, n, cols=("title", "body")):
        self.phrases, self.n, self.cols = phrases, n, cols

    def __repr__(self):
        return "Near(%r,%d)" % (self.phrases, self.n)


class And:
    def __init__(self, kids):
        self.kids = kids

    def __repr__(self):
        return "And%r" % (self.kids,)


class Or:
    def __init__(self, kids):
        self.kids = kids

    def __repr__(self):
        return "Or%r" % (self.kids,)


class Not:
    def __init__(self, kid):
        self.kid = kid

    def __repr__(self):
        return "Not(%r)" % (self.kid,)


_LEX_RE = re.compile(r'\s+|(?P<lp>\()|(?P<rp>\))|(?P<q>"[^"]*")(?:~(?P<near>\d+))?'
                     r'|(?P<word>[^\s()"]+)')


def _lex(q):
    out = []
    pos = 0
    while pos < len(q):
        m = _LEX_RE.match(q, pos)
        if not m:
            raise QueryError("cannot lex at %d" % pos)
        pos = m.end()
        if m["lp"]:
            out.append(("(", None))
        elif m["rp"]:
            out.append((")", None))
        elif m["q"]:
            out.append(("phrase", (m["q"][1:-1], m["near"])))
        elif m["word"]:
            out.append(("word", m["word"]))
    return out


class _Parser:
    def __init__(self, q, stemming):
        self.toks = _lex(q)
        self.i = 0
        self.stemming = stemming

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self):
        t = self.peek()
        self.i += 1
        return t

    def parse(self):
        node = self.or_expr()
        if self.i != len(self.toks):
            raise QueryError("trailing %r" % (self.peek(),))
        return node

    def or_expr(self):
        kids = [self.and_expr()]
        while self.peek() == ("word", "OR"):
            self.take()
            kids.append(self.and_expr())
        return kids[0] if len(kids) == 1 else Or(kids)

    def and_expr(self):
        kids = [self.unary()]
        while True:
            t = self.peek()
            if t[0] is None or t[0] == ")" or t == ("word", "OR"):
                break
            if t == ("word", "AND"):
                self.take()
            kids.append(self.unary())
        kids = [k for k in kids if k is not None]
        return kids[0] if len(kids) == 1 else And(kids)

    def unary(self):
        t = self.peek()
        if t == ("word", "NOT"):
            self.take()
            return Not(self.primary())
        if t[0] == "word" and t[1].startswith("-") and len(t[1]) > 1:
            self.toks[self.i] = ("word", t[1][1:])
            return Not(self.primary())
        return self.primary()

    def phrase_of(self, text, cols, prefix=False):
        toks = analyze(text, self.stemming)
        if not toks:
            return None
        return Phrase(toks, prefix, cols, tokenize(text)[-1] if prefix else None)

    def near_group(self):
        """NEAR(item item … [, N]) where items are words or quoted phrases; N defaults to 10."""
        self.take()
        items = []
        while self.peek()[0] in ("word", "phrase"):
            kind, val = self.take()
            items.append(val[0] if kind == "phrase" else val)
        if self.take()[0] != ")":
            raise QueryError("NEAR needs )")
        n = 10
        last = items[-1] if items else ""
        m = re.fullmatch(r"(.*),\s*(\d+)", last)
        if m and m[1]:
            n = int(m[2])
            items[-1] = m[1]
        elif m:
            n = int(m[2])
            items.pop()
        elif last.isdigit() and len(items) > 1 and items[-2].endswith(","):
            n = int(items.pop())
            items[-1] = items[-1][:-1]
        phrases = [self.phrase_of(w[:-1] if w.endswith("*") else w, ("title", "body"),
                                  prefix=w.endswith("*")) for w in items]
        return Near([p for p in phrases if p is not None], n)

    def primary(self):
        kind, val = self.take()
        if kind == "(":
            node = self.or_expr()
            if self.take()[0] != ")":
                raise QueryError("missing )")
            return node
        if kind == "phrase":
            text, near = val
            ph = self.phrase_of(text, ("title", "body"))
            if near is not None:
                return Near([Phrase([t]) for t in ph.toks], int(near))
            return ph
        if kind != "word":
            raise QueryError("unexpected %r" % kind)
        if val == "NEAR" and self.peek()[0] == "(":
            return self.near_group()
        cols = ("title", "body")
        m = re.match(r"(title|body):(.*)", val)
        if m:
            cols = (m[1],)
            val = m[2]
            if not val:
                kind, v2 = self.take()
                text, near = v2
                ph = self.phrase_of(text, cols)
                if near is not None:
                    return Near([Phrase([t], cols=cols) for t in ph.toks], int(near), cols)
                return ph
        if val.endswith("*"):
            return self.phrase_of(val[:-1], cols, prefix=True)
        return self.phrase_of(val, cols)


def parse_query(q, stemming=True):
    """Parse the query language into an AST of Phrase/Near/And/Or/Not nodes."""
    return _Parser(q, stemming).parse()


# ---------------------------------------------------------------------------------------------
# The corpus

class Article:
    __slots__ = ("id", "date", "source", "ents", "cols", "surf")


class Corpus:
    """Articles and a small inverted index (stem → set of article numbers, per column)."""

    def __init__(self, stemming=True):
        self.stemming = stemming
        self.arts = []
        self.by_id = {}
        self.post = {"title": {}, "body": {}}
        self.spost = {"title": {}, "body": {}}    # words as written, for prefixes
        self.rejected = []

    def add(self, rec):
        """Add (or replace, by id) one record; records with neither title nor body are
        rejected as newsd rejects them."""
        title = rec.get("title") or ""
        body = rec.get("body") or ""
        if not title.strip() and not body.strip():
            self.rejected.append(rec.get("id"))
            return
        a = Article()
        a.id = rec["id"]
        a.date = parse_date(rec["date"])[0]
        a.source = rec.get("source")
        ents = set()
        for key in ("people", "orgs", "places"):
            for name in (rec.get("entities") or {}).get(key) or []:
                ents.add(name.lower())
        a.ents = ents
        a.cols = {"title": analyze(title, self.stemming), "body": analyze(body, self.stemming)}
        a.surf = {"title": tokenize(title), "body": tokenize(body)}
        if a.id in self.by_id:
            raise ValueError("duplicate id %s" % a.id)
        n = len(self.arts)
        self.arts.append(a)
        self.by_id[a.id] = n
        for post, cols in ((self.post, a.cols), (self.spost, a.surf)):
            for col, toks in cols.items():
                p = post[col]
                for t in set(toks):
                    s = p.get(t)
                    if s is None:
                        p[t] = s = set()
                    s.add(n)

    @classmethod
    def load_jsonl(cls, path, stemming=True):
        c = cls(stemming)
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    c.add(json.loads(line))
        return c

    # -- evaluation -----------------------------------------------------------------------

    def _expand(self, col, tok, prefix):
        """The indexed stems (or, for a prefix, words as written) a query token stands for."""
        if not prefix:
            return [tok] if tok in self.post[col] else []
        return [t for t in self.spost[col] if t.startswith(tok)]

    def _candidates(self, ph, col):
        s = None
        for i, tok in enumerate(ph.toks):
            prefix = ph.prefix and i == len(ph.toks) - 1
            if prefix:
                tok = ph.surface
            u = set()
            post = self.spost[col] if prefix else self.post[col]
            for t in self._expand(col, tok, prefix):
                u |= post[t]
            s = u if s is None else (s & u)
            if not s:
                return set()
        return s

    @staticmethod
    def _positions(toks, ph, surf=None):
        """Start positions of phrase ph in the token list toks (surf: the same tokens as
        written, for a prefix)."""
        n = len(ph.toks)
        out = []
        last = n - 1
        for i in range(len(toks) - n + 1):
            ok = True
            for j in range(n):
                t = toks[i + j]
                want = ph.toks[j]
                if j == last and ph.prefix:
                    if not (surf[i + j] if surf is not None else t).startswith(ph.surface):
                        ok = False
                        break
                elif t != want:
                    ok = False
                    break
            if ok:
                out.append(i)
        return out

    def _phrase_docs(self, ph):
        res = set()
        for col in ph.cols:
            cand = self._candidates(ph, col)
            if len(ph.toks) == 1:
                res |= cand
                continue
            for n in cand:
                if self._positions(self.arts[n].cols[col], ph, self.arts[n].surf[col]):
                    res.add(n)
        return res

    def _near_docs(self, nr):
        res = set()
        for col in nr.cols:
            cand = None
            for ph in nr.phrases:
                c = self._candidates(ph, col)
                cand = c if cand is None else cand & c
            for n in cand or ():
                toks = self.arts[n].cols[col]
                plists = [self._positions(toks, ph, self.arts[n].surf[col])
                          for ph in nr.phrases]
                if all(plists) and self._near_match(plists, [len(p.toks) for p in nr.phrases],
                                                    nr.n):
                    res.add(n)
        return res

    @staticmethod
    def _near_match(plists, lens, n):
        """FTS5 NEAR: some choice of one instance per phrase in which no phrase ends more than
        n tokens before the start of the last-starting one."""
        # Try every instance as the last-starting one.
        for plist in plists:
            for last in plist:
                ok = True
                for pl, ln in zip(plists, lens):
                    if not any(p <= last and last - (p + ln) <= n for p in pl):
                        ok = False
                        break
                if ok:
                    return True
        return False

    def eval(self, node):
        """The set of article numbers matching an AST node."""
        if node is None:
            return set(range(len(self.arts)))
        if isinstance(node, Phrase):
            return self._phrase_docs(node)
        if isinstance(node, Near):
            return self._near_docs(node)
        if isinstance(node, Or):
            s = set()
            for k in node.kids:
                s |= self.eval(k)
            return s
        if isinstance(node, And):
            pos = [k for k in node.kids if not isinstance(k, Not)]
            neg = [k for k in node.kids if isinstance(k, Not)]
            s = None
            for k in pos:
                r = self.eval(k)
                s = r if s is None else s & r
            if s is None:
                s = set(range(len(self.arts)))
            for k in neg:
                s -= self.eval(k.kid)
            return s
        if isinstance(node, Not):
            return set(range(len(self.arts))) - self.eval(node.kid)
        raise TypeError(node)

    def search(self, q=None, frm=None, to=None, entity=(), source=()):
        """Ids matching the query and filters (the API's semantics for from/to/entity/source)."""
        nums = self.eval(parse_query(q, self.stemming)) if q else set(range(len(self.arts)))
        lo = hi = None
        if frm:
            lo = parse_date(frm)[0]
        if to:
            t, date_only = parse_date(to)
            hi = t + 86399 if date_only else t
        ents = [e.lower() for e in entity]
        srcs = [s.lower() for s in source]
        out = set()
        for n in nums:
            a = self.arts[n]
            if lo is not None and a.date < lo:
                continue
            if hi is not None and a.date > hi:
                continue
            if any(e not in a.ents for e in ents):
                continue
            if srcs and (a.source or "").lower() not in srcs:
                continue
            out.add(a.id)
        return out

    def date_of(self, id_):
        return self.arts[self.by_id[id_]].date
