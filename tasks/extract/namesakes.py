"""Which of a name's namesakes a text means, and the resolved place it becomes: the
gazetteer row that scores best on its size, the article's countries and its distance
from the article's first place."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace

from tasks.extract.lexicon import Place
from tasks.extract.text import fold

# Namesakes: every DISTANCE_SCALE_KM from the article's first place costs as much as a 10x
# population difference, up to DISTANCE_CAP.
DISTANCE_SCALE_KM = 300.0
DISTANCE_CAP = 3.0
# Log-population tie-breaker weight against a country the article talks about (a mention
# of the country outweighs roughly a 20x population difference).
CONTEXT_WEIGHT = 3.0
# A place found only by a GeoNames alternate name counts as this many times smaller:
# most alternates are other languages' names ("Boni" is Bonn, "Galle" is Halle), so the
# place's own name elsewhere, or the article's country, should win over them.
ALT_NAME_DISCOUNT = 100
# The log-population an admin1 without a namesake city counts as (a province is a large
# place; the gazetteer gives subdivisions no population): about 100,000 people.
ADMIN1_LOG_SIZE = 5.0
# A city this close to the point of a same-named admin1 row is that subdivision's seat
# ("Bamyan" in "Bāmyān", "Gaborone"): the city is meant, in that subdivision, whatever
# name its own admin1 code got (gazetteer points of a seat and its city differ by metres).
SEAT_KM = 5.0


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A resolved place name in a sentence."""

    start: int
    end: int
    text: str
    country: str
    admin1: str | None
    lat: float | None
    lon: float | None
    precision: str  # "point" (city), "admin1" or "country"
    locative: bool  # after "in", "near", ... (a place, not a metonym for a government)
    admin_hint: bool = False  # followed by "province", "state", ...
    base: int = 0  # offset of its sentence in the article (start/end are in the sentence)
    # A local place the gazetteer lacks, set at a listed neighbour's coordinates.
    approximate: bool = False
    # Where a speaker was ("the defence ministry in Niamey said"), not where the act was.
    speaker: bool = False
    # A square or building ("Tahrir Square"), at its city's coordinates: a city named
    # beside it is the better location.
    landmark: bool = False
    # Placed by the names after it ("Boni (Douentza, Mopti)", "Biratnagar in Nepal"),
    # which name its country: the article's context counts it like a country name.
    qualified: bool = False


def choose(
    rows: tuple[Place, ...],
    context: Counter[str],
    admin_hint: bool,
    capital_of: str | None,
    anchor: tuple[float, float] | None,
) -> Place | None:
    best, best_score = None, -1e9
    # Admin1 names whose namesake city lies inside them ("Lviv", "Kabul"): the city is
    # the usual meaning. Any other first-level subdivision counts as a large place, so a
    # small town of the same name elsewhere ("Guerrero" in Chihuahua) does not beat it.
    capitals = {(r.country, r.admin1) for r in rows if r.kind == "city"}
    capitals |= {(a.country, a.admin1) for a in rows if a.kind == "admin1" and _seat(a, rows)}
    for row in rows:
        far = 0.0
        if anchor is not None and row.lat is not None and row.lon is not None:
            far = min(DISTANCE_CAP, km(anchor[0], anchor[1], row.lat, row.lon) / DISTANCE_SCALE_KM)
        size = math.log10(weighed_population(row) + 10)
        if row.kind == "admin1" and (row.country, row.admin1) not in capitals:
            size = max(size, ADMIN1_LOG_SIZE)
        score = size + CONTEXT_WEIGHT * min(context.get(row.country, 0), 3)
        if row.country == capital_of and row.kind == "city":
            score += 2 * CONTEXT_WEIGHT  # "Washington" the capital, not the state
        if row.kind == "admin1":
            if admin_hint:
                score += 6.0
            else:
                score += 1.0 - (3.0 if context.get(row.country, 0) == 0 else 0.0)
        score -= far
        if score > best_score:
            best, best_score = row, score
    if best is not None and best.kind == "city":
        seat = next((a for a in rows if a.kind == "admin1" and _seat(a, (best,))), None)
        own = fold(best.admin1 or "")
        if seat is not None and seat.admin1 != best.admin1 and fold(best.name) not in own:
            # (Not when the city's own subdivision is named after it: "Autonomous City of
            # Buenos Aires" is the city's, the province of the same name is not.)
            best = replace(best, admin1=seat.admin1)
    return best


def _seat(admin: Place, rows: tuple[Place, ...]) -> Place | None:
    """The city of ``rows`` that is ``admin``'s seat: same country, within SEAT_KM."""
    if admin.lat is None or admin.lon is None:
        return None
    for r in rows:
        if (
            r.kind == "city"
            and r.country == admin.country
            and r.lat is not None
            and r.lon is not None
            and km(admin.lat, admin.lon, r.lat, r.lon) <= SEAT_KM
        ):
            return r
    return None


def weighed_population(row: Place) -> int:
    """The population a row counts with: an alternate name's place as a smaller one."""
    return row.population // ALT_NAME_DISCOUNT if row.alternate else row.population


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, a)))
