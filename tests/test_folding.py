"""Folding one act told twice in an article into one event (tasks/extract/folding.py),
and a hospital town that is not the act's place.

The protest-killing fold is exercised end to end by tests/fixtures/extract/
rules_spurious.jsonl; here the repeat fold is checked on real coded events, one of them
re-placed at province level as a second, vaguer sentence about the act would be.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from tasks.extract import extract_events
from tasks.extract.folding import fold
from tasks.extract.place_roles import speaker_place
from tasks.models import Event

TEXT = (
    "Gunmen killed at least 13 people in attacks on two farming communities in Bokkos and "
    "Mangu local government areas of Plateau State on Sunday, residents said.\n\n"
    "In Hurti, a village in Bokkos, the attackers shot nine people.\n\n"
    "Four people were killed on the same day in Mangu, residents said."
)


def _coded() -> list[Event]:
    events = extract_events(TEXT, date(2024, 11, 12))
    assert [e.location for e in events] == ["Bokkos", "Mangu"]
    return events


def test_an_unplaced_repeat_folds_into_the_placed_report() -> None:
    bokkos, _ = _coded()
    vague = replace(bokkos, location=None, latitude=None, longitude=None, fatalities=14)
    vague.geo_precision = "admin1"
    folded = fold([vague, bokkos])
    assert len(folded) == 1
    assert folded[0].location == "Bokkos"
    assert folded[0].fatalities == 14  # the higher toll of the two reports


def test_a_repeat_at_the_same_place_folds() -> None:
    bokkos, _ = _coded()
    again = replace(bokkos, fatalities=None)
    assert [e.fatalities for e in fold([bokkos, again])] == [13]


def test_two_named_places_stay_two_acts() -> None:
    bokkos, mangu = _coded()
    same_actors = replace(mangu, actor1_canonical=bokkos.actor1_canonical)
    assert len(fold([bokkos, same_actors])) == 2


def test_another_day_or_another_province_stays_apart() -> None:
    bokkos, _ = _coded()
    vague = replace(bokkos, location=None, fatalities=None)
    vague.geo_precision = "admin1"
    next_day = replace(vague, event_date=date(2024, 11, 11))
    elsewhere = replace(vague, admin1="Kaduna")
    assert len(fold([bokkos, next_day])) == 2
    assert len(fold([bokkos, elsewhere])) == 2


def test_a_summary_over_two_placed_acts_stays_an_event() -> None:
    """SCHEMA's seed: an offensive along the border (the toll) and clashes in two named
    provinces are three events; the summary folds into neither province."""
    bokkos, mangu = _coded()
    mangu = replace(mangu, actor1_canonical=bokkos.actor1_canonical)
    summary = replace(bokkos, location=None, fatalities=17)
    summary.geo_precision = "admin1"
    folded = fold([summary, bokkos, mangu])
    assert len(folded) == 3
    assert sorted(e.fatalities or 0 for e in folded) == [4, 13, 17]


def test_a_hospital_town_is_not_where_the_attack_was() -> None:
    """ "died in a hospital in Cali": the place the wounded were taken, like a speaker's
    seat (tasks/extract/place_roles.py)."""
    sentence = "The toll rose to three after a wounded patrolman died in a hospital in Cali."
    start = sentence.index("Cali")
    assert speaker_place(sentence, start, start + 4)
    attacked = "Gunmen attacked a police station in Cali on Thursday."
    start = attacked.index("Cali")
    assert not speaker_place(attacked, start, start + 4)
