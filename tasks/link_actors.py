"""Which actors two reports of one incident may name: the linker's actor classes.

Outlets name one actor in many ways. The coder gives each a canonical name
(`tasks/extract/canonical.py`, ACLED's forms), and those forms say what kind of
actor it is: "Military Forces of X" and "Police Forces of X" (a state's forces),
"Unidentified Armed Group (X)" (armed men nobody named), "Protesters (X)" and
"Rioters (X)" (a crowd), "Civilians (X)", else a named group or person. Two names
of one class may be one actor though they differ:

- "Afghan forces", "Afghan military", "security forces", "Military Forces of
  Afghanistan", "police": one state's forces (outlets call the same unit soldiers,
  troops or police);
- "gunmen", "unidentified armed group", "militants", "jihadists": an unknown
  perpetrator, compatible with any named non-state group of that country (one outlet
  names the group, another does not know it);
- "protesters", "rioters": one crowd (one outlet calls the protest violent).

A state's forces and an armed group against them are two actors, whatever country
both belong to: that is what tells an attack from the retaliation that followed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# The canonical forms (tasks/extract/canonical.py) and the class each names.
_FORMS = (
    (re.compile(r"^(?:military|police) forces of (?:the )?(.+?)(?: \(\d{4}-\d{0,4}\))?$"), "state"),
    (re.compile(r"^unidentified armed group(?: \((.+)\))?$"), "unknown"),
    (re.compile(r"^(?:protesters|rioters)(?: \((.+)\))?$"), "crowd"),
    (re.compile(r"^government of (?:the )?(.+?)(?: \(\d{4}-\d{0,4}\))?$"), "government"),
    (re.compile(r"^civilians(?: \((.+)\))?$"), "civilians"),
)
# Wordings that name no one: an unknown perpetrator, when the coder kept the text's
# own word for want of a country ("separatists", "gunmen", "armed men").
_UNKNOWN_WORDS = frozenset(
    {
        "gunmen",
        "gunman",
        "attackers",
        "attacker",
        "assailants",
        "assailant",
        "armed",
        "men",
        "militants",
        "militant",
        "insurgents",
        "insurgent",
        "jihadists",
        "jihadist",
        "separatists",
        "separatist",
        "rebels",
        "rebel",
        "fighters",
        "fighter",
        "terrorists",
        "terrorist",
        "extremists",
        "extremist",
        "bandits",
        "bandit",
        "raiders",
        "islamists",
        "islamist",
        "suspected",
        "unknown",
        "unidentified",
        "group",
        "groups",
    }
)


@lru_cache(maxsize=1 << 14)
def actor_class(canonical: str) -> tuple[str, str]:
    """(class, country name or the name itself): 'state', 'unknown', 'crowd' or 'named'."""
    name = " ".join(canonical.lower().split())
    for pattern, kind in _FORMS:
        if m := pattern.match(name):
            return kind, (m.group(1) or "") if m.groups() else ""
    words = set(re.findall(r"[a-z]+", name))
    if words and words <= _UNKNOWN_WORDS:
        return "unknown", ""
    return "named", name


def _countries_agree(x: str, y: str) -> bool:
    return not x or not y or x == y


def synonyms(ca: Any, cb: Any) -> bool:
    """Two canonical names that may name one actor though they differ: one state's forces,
    one crowd, or an unknown perpetrator and a named group (or another unknown one)."""
    if not isinstance(ca, str) or not isinstance(cb, str) or not ca or not cb:
        return False
    (ka, na), (kb, nb) = actor_class(ca), actor_class(cb)
    if ka == kb and ka in ("state", "crowd", "unknown"):
        return _countries_agree(na, nb)
    return {ka, kb} == {"unknown", "named"}


def opposed(ca: Any, cb: Any) -> bool:
    """Two canonical names that cannot be one actor: a state's forces and a named group,
    or two states' forces. (An unknown perpetrator may be either side's: outlets call
    soldiers "armed men" too.)"""
    if not isinstance(ca, str) or not isinstance(cb, str) or not ca or not cb:
        return False
    (ka, na), (kb, nb) = actor_class(ca), actor_class(cb)
    armed = {"state", "named"}
    if ka in armed and kb in armed and "state" in (ka, kb) and ka != kb:
        return True
    return ka == kb == "state" and not _countries_agree(na, nb)
