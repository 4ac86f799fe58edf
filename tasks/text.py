"""Text every stage may store: strings UTF-8 can hold, paths shown as valid UTF-8.

Stage-neutral helpers (no stage imports), so the file loader, the cleaner
and the live fetcher can share them.
"""

from __future__ import annotations

import os
import re

# U+FFFD, not "?": a question mark inside a sentence could end it for the coder.
REPLACEMENT = "\ufffd"
# Lone surrogates: what JSON escapes like "\ud800" and undecodable file names
# (Python's surrogateescape) put in a str, and what UTF-8 cannot encode.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def storable(text: str) -> str:
    """The text with anything UTF-8 cannot hold (lone surrogates) replaced by U+FFFD."""
    return _SURROGATE.sub(REPLACEMENT, text)


def path_label(path: str | os.PathLike[str]) -> str:
    """A path as valid UTF-8 text for labels and messages: bad bytes shown as `\\xff` escapes.

    A file name that is not UTF-8 reaches Python as lone surrogates; they
    cannot be stored, so the original bytes are shown instead.
    """
    try:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file system gave us: replace it
        return storable(os.fspath(path))
