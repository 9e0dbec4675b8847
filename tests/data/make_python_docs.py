"""Rebuild python_docs.csv from the Python 3.11 documentation sources.

    apt-get download python3.11-doc && dpkg-deb -x python3.11-doc_*.deb x
    python tests/data/make_python_docs.py x/usr/share/doc/python3.11/html/_sources

Each document is a run of whole paragraphs (about 200, 350, 500 or 650 words
in turn, never fewer than 150 nor more than 800) of one page of the Library Reference, as prose: code
blocks, directives and markup dropped. Label `networking` for the pages on
sockets and internet protocols, `numeric` for those on numbers, mathematics,
dates and times. Output: CSV `category,page,text`, in page order.
"""

import csv
import pathlib
import re
import sys

PAGES = {
    "networking": (
        "socket ssl select selectors socketserver ipaddress http http.client http.server "
        "http.cookies http.cookiejar urllib urllib.request urllib.parse urllib.error "
        "urllib.robotparser smtplib ftplib poplib imaplib xmlrpc.client xmlrpc.server "
        "wsgiref email.message email.parser email.policy email.headerregistry mailbox"
    ).split(),
    "numeric": (
        "math cmath decimal fractions random statistics numbers array datetime time "
        "calendar zoneinfo"
    ).split(),
}
# lengths cycle so that short (150-250 words) and long (~650) documents both occur
TARGETS, LOW, HIGH = (200, 350, 500, 650), 150, 800

ROLE = re.compile(r":[A-Za-z:]+:`~?!?([^`<]*?)(?:\s*<[^>]*>)?`")
# directives whose body is running text: keep the body, drop the directive line
KEEP = re.compile(
    r"\.\. (function|method|class|attribute|data|exception|note|warning|seealso|"
    r"versionadded|versionchanged|deprecated|impl-detail|classmethod|staticmethod|"
    r"decorator|abstractmethod|coroutinefunction|coroutinemethod|availability)::"
)
LINK = re.compile(r"`([^`<]+?)\s*<[^>]*>`_+")
REF = re.compile(r"`([^`<]+)`_+|\b([A-Za-z0-9]+(?:-[A-Za-z0-9]+)+)_\b")


def prose(rst: str) -> list[str]:
    """The page's paragraphs of running text, markup removed."""
    paragraphs, block, skip_indent = [], [], None
    for line in rst.splitlines() + [""]:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if skip_indent is not None:
            if stripped and indent <= skip_indent:
                skip_indent = None
            else:
                continue
        if (
            not stripped
            or stripped.startswith(".. ")
            or re.fullmatch(r"([=\-~^*#+\"'])\1+", stripped)
        ):
            if block:
                paragraphs.append(" ".join(block))
                block = []
            if re.match(r"\.\. ([a-z-]+::|_|\|)", stripped) and not KEEP.match(stripped):
                skip_indent = indent  # code, tables, targets: the directive and its body
            continue
        if stripped.startswith((">>>", "...", "|", "+", "=")):
            continue  # interpreter sessions and tables
        if stripped.startswith(("* ", "- ", "#. ")):
            stripped = stripped.split(" ", 1)[1]
        text = stripped[:-1] if stripped.endswith("::") else stripped
        block.append(text)
        if stripped.endswith("::"):
            paragraphs.append(" ".join(block))
            block = []
            skip_indent = indent  # the literal block that follows
    out = []
    for p in paragraphs:
        p = (
            REF.sub(lambda m: m[1] or m[2], LINK.sub(r"\1", ROLE.sub(r"\1", p)))
            .replace("``", "")
            .replace("**", "")
        )
        p = re.sub(r"\s+", " ", p).strip()
        if len(p.split()) >= 8 and not p.startswith(":"):
            out.append(p)
    return out


def documents(paragraphs: list[str]) -> list[str]:
    """Consecutive paragraphs joined into documents of about TARGETS words."""
    docs, cur = [], []
    for p in paragraphs:
        cur.append(p)
        if sum(len(x.split()) for x in cur) >= TARGETS[len(docs) % len(TARGETS)]:
            docs.append(" ".join(cur))
            cur = []
    return [d for d in docs if LOW <= len(d.split()) <= HIGH]


def main(sources: pathlib.Path, out: pathlib.Path) -> None:
    rows = []
    for category, pages in PAGES.items():
        for page in pages:
            rst = (sources / "library" / f"{page}.rst.txt").read_text(encoding="utf-8")
            rows += [(category, page, d) for d in documents(prose(rst))]
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["category", "page", "text"])
        w.writerows(rows)


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]), pathlib.Path(__file__).with_name("python_docs.csv"))
