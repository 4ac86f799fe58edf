"""Which charsets a page or feed may name: text encodings for documents, nothing else.

`codecs.lookup` also finds codecs that are no document encoding (punycode,
idna, rot13, uu, zlib, base64, hex...). A page declaring one must not pick
it: punycode's decoder is quadratic (a 1.6 MB body took 70 s). A charset
that is not on the allow-list is ignored, as if the document named none.
"""

from __future__ import annotations

import codecs
import re

# The WHATWG Encoding Standard's encodings (what browsers decode documents with),
# plus ASCII and Latin-1 (named by old servers) and UTF-32 (an XML BOM may say so).
DOCUMENT_ENCODINGS = (
    "utf-8",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
    "utf-32-le",
    "utf-32-be",
    "ascii",
    "latin-1",
    "ibm866",
    "iso-8859-2",
    "iso-8859-3",
    "iso-8859-4",
    "iso-8859-5",
    "iso-8859-6",
    "iso-8859-7",
    "iso-8859-8",
    "iso-8859-10",
    "iso-8859-13",
    "iso-8859-14",
    "iso-8859-15",
    "iso-8859-16",
    "koi8-r",
    "koi8-u",
    "mac-roman",
    "mac-cyrillic",
    "cp874",
    "windows-1250",
    "windows-1251",
    "windows-1252",
    "windows-1253",
    "windows-1254",
    "windows-1255",
    "windows-1256",
    "windows-1257",
    "windows-1258",
    "gbk",
    "gb2312",
    "gb18030",
    "big5",
    "big5hkscs",
    "euc-jp",
    "iso-2022-jp",
    "shift_jis",
    "cp932",
    "euc-kr",
    "cp949",
)
# Python's own names for them, which is what `codecs.lookup(...).name` gives.
_ALLOWED = frozenset(codecs.lookup(name).name for name in DOCUMENT_ENCODINGS)
# A charset name is a short token; a longer one is no charset (and not looked up).
MAX_CHARSET_CHARS = 40
_XML_ENCODING = re.compile(r"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']?([\w.:-]+)", re.I)


def document_codec(name: str | None) -> str | None:
    """Python's codec name for a declared charset, or None when it is no document encoding."""
    if not name or len(name) > MAX_CHARSET_CHARS:
        return None
    try:
        found = codecs.lookup(name.strip().strip("\"'").lower()).name
    except LookupError:
        return None
    return found if found in _ALLOWED else None


def is_document_codec(name: str) -> bool:
    return document_codec(name) is not None


def xml_declared_encoding(head: str) -> str | None:
    """The encoding an `<?xml ...?>` declaration at the start of `head` names, if any."""
    found = _XML_ENCODING.match(head)
    return found.group(1) if found else None
