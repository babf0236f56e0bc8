#!/usr/bin/env python3
"""Labelled paragraphs for the language detector's eval (make eval), from the translated
manual pages Debian installs under /usr/share/man/<lang>/ (manpages-l10n and the packages'
own translations); English from /usr/share/man/man1. Nothing is copied into the tree: the set
is made on the machine that runs the eval.

Prints "lang<TAB>paragraph" lines: paragraphs of 30 to 200 words of running text (roff
requests and escapes removed; option lists, code and tables skipped), at most PER_LANG per
language, taken in file-name order so the set is the same on the same machine.
"""
import gzip
import os
import re
import sys

MAN = "/usr/share/man"
PER_LANG = 100
LANGS = ["en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "fi", "hu", "ro", "tr", "pl",
         "cs", "id", "vi", "ru", "uk"]


# roff's named glyphs for the letters these languages use
GLYPHS = {":a": "ä", ":o": "ö", ":u": "ü", ":A": "Ä", ":O": "Ö", ":U": "Ü", "ss": "ß",
          "'e": "é", "'a": "á", "'i": "í", "'o": "ó", "'u": "ú", "'E": "É", "`e": "è",
          "`a": "à", "`u": "ù", "^e": "ê", "^a": "â", "^o": "ô", "^i": "î", ",c": "ç",
          "~n": "ñ", "~a": "ã", "~o": "õ", "oq": "'", "cq": "'", "dq": '"', "em": "—",
          "en": "–", "hy": "-", "aq": "'", "Fo": "«", "Fc": "»", "lq": '"', "rq": '"',
          "oa": "å", "ae": "æ", "/o": "ø", "AE": "Æ", "/O": "Ø", "oA": "Å"}


def roff_text(raw):
    """Paragraphs of plain text from roff source."""
    paras, cur = [], []
    for line in raw.splitlines():
        if line.startswith((".", "'")):
            req = line[1:3].strip()
            if req in ("B", "I", "BI", "IB", "BR", "RB", "IR", "RI", "SM", "SB"):
                line = line[3:].strip().replace('"', "")
            else:
                if cur:
                    paras.append(" ".join(cur))
                    cur = []
                continue
        line = re.sub(r"\\\[u([0-9A-Fa-f]{4,5})\]", lambda m: chr(int(m.group(1), 16)), line)
        line = re.sub(r"\\(?:\((..)|\[([^]]{2})\])",
                      lambda m: GLYPHS.get(m.group(1) or m.group(2), " "), line)
        line = re.sub(r"\\f(\[[^]]*\]|\(..|.)", "", line)
        line = re.sub(r"\\\*(\[[^]]*\]|\(..|.)", "", line)
        line = re.sub(r"\\[&e-]", lambda m: "-" if m.group(0) == "\\-" else "", line)
        line = re.sub(r"\\.", " ", line)
        if not line.strip():
            if cur:
                paras.append(" ".join(cur))
                cur = []
            continue
        cur.append(line.strip())
    if cur:
        paras.append(" ".join(cur))
    return paras


def good(p):
    words = p.split()
    if not 30 <= len(words) <= 200:
        return False
    letters = sum(c.isalpha() for c in p)
    # running text: mostly letters, few option dashes, paths or code punctuation
    if letters < 0.7 * len(p.replace(" ", "")):
        return False
    if sum(w.startswith(("-", "/", "$", "<")) for w in words) > len(words) / 10:
        return False
    return True


def pages(lang):
    d = os.path.join(MAN, "man1") if lang == "en" else os.path.join(MAN, lang, "man1")
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".gz"))


def norm(p):
    return " ".join(p.split())


def shingles(p):
    """Runs of four words (letters only, lower case): an untranslated paragraph shares most
    of its runs with some English page, even when the English has changed a little since."""
    w = ["".join(c for c in x.lower() if c.isalpha()) for x in p.split()]
    w = [x for x in w if x]
    return {" ".join(w[i:i + 4]) for i in range(max(len(w) - 3, 0))}


def main():
    # a page not (wholly) translated keeps English paragraphs: those are not the language's;
    # a paragraph sharing a third of its four-word runs with English pages is left out
    english = set()
    for path in pages("en"):
        try:
            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
                for p in roff_text(f.read()):
                    english.update(shingles(p))
        except (OSError, EOFError):
            continue
    for lang in LANGS:
        n = 0
        for path in pages(lang):
            try:
                with gzip.open(path, "rt", encoding="utf-8", errors="strict") as f:
                    raw = f.read()
            except (OSError, UnicodeDecodeError, EOFError):
                continue
            for p in roff_text(raw):
                sh = shingles(p)
                if good(p) and (lang == "en" or len(sh & english) * 3 < len(sh)):
                    print(f"{lang}\t{p}")
                    n += 1
                    if n == PER_LANG:
                        break
            if n == PER_LANG:
                break
        print(f"{lang}: {n} paragraphs", file=sys.stderr)


if __name__ == "__main__":
    main()
