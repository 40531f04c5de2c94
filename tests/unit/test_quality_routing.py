"""Routing by skill: whom an item goes to, and the order of the items offered to a person."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.quality.overlap import OverlapPolicy
from bot.quality.routing import (
    Candidate,
    Person,
    RoutingSettings,
    answer_value,
    information_gain,
    offer_order,
    pick_annotator,
    typical_confusion,
)

POLICY = OverlapPolicy(3, 8, 0.975)
SKILL = RoutingSettings(exploration=0.0)
HALF = np.array([0.5, 0.5])


def coin(accuracy: float) -> np.ndarray:
    return typical_confusion(2, accuracy)


def counts(right: float, wrong: float) -> np.ndarray:
    """Expected counts of a two-class annotator with that many right and wrong answers."""
    return np.array([[right / 2, wrong / 2], [wrong / 2, right / 2]])


def test_information_gain_is_zero_for_a_guesser_and_for_a_parrot() -> None:
    parrot = np.array([[0.0, 1.0], [0.0, 1.0]])  # always says 1
    gain = information_gain(HALF, np.stack([coin(0.5), parrot, coin(0.7), coin(0.95)]))
    assert gain[0] == 0.0 and gain[1] == 0.0
    assert 0.0 < gain[2] < gain[3] <= np.log(2)
    settled = information_gain(np.array([0.999, 0.001]), coin(0.95)[None])
    assert settled[0] < 0.05 * gain[3]  # nothing left to learn about a settled item


def test_an_item_goes_to_the_best_known_person_online() -> None:
    rng = np.random.default_rng(0)
    online = np.stack([counts(30, 20), counts(45, 5), counts(35, 15)])
    assert pick_annotator(HALF, online, rng, SKILL) == 1


def test_a_newcomer_gets_the_benefit_of_the_doubt_over_a_known_weak_person() -> None:
    rng = np.random.default_rng(0)
    online = np.stack([counts(33, 27), np.zeros((2, 2))])
    assert pick_annotator(HALF, online, rng, SKILL) == 1
    strong = np.stack([counts(57, 3), np.zeros((2, 2))])
    assert pick_annotator(HALF, strong, rng, SKILL) == 0


def test_exploration_sometimes_picks_the_least_known_person() -> None:
    rng = np.random.default_rng(1)
    online = np.stack([counts(57, 3), counts(6, 4), counts(40, 10)])
    explore = RoutingSettings(exploration=0.2)
    picks = [pick_annotator(HALF, online, rng, explore) for _ in range(2000)]
    share = picks.count(1) / len(picks)
    assert 0.15 < share < 0.25 and set(picks) == {0, 1}
    arrival = RoutingSettings(routing="arrival")
    assert {pick_annotator(HALF, online, rng, arrival) for _ in range(20)} == {0}


def _candidates() -> list[Candidate]:
    return [
        Candidate(1, HALF, answers=0, limit=8),  # fresh
        Candidate(2, HALF, answers=4, limit=8),  # uncertain, in progress
        Candidate(3, np.array([0.96, 0.04]), answers=3, limit=8),  # easy: nearly done
        Candidate(4, HALF, answers=0, limit=8, gold=True),
    ]


def test_a_strong_annotator_gets_the_uncertain_item_first_and_gold_last() -> None:
    order = offer_order(Person(coin(0.9), gold_answers=20), _candidates(), POLICY, SKILL)
    assert order[0] == 2
    assert order[-1] == 4
    assert order.index(1) < order.index(3)


def test_a_weak_annotator_gets_easy_then_fresh_items_before_uncertain_ones() -> None:
    order = offer_order(Person(coin(0.6), gold_answers=20), _candidates(), POLICY, SKILL)
    assert order == [3, 1, 2, 4]


def test_a_person_whose_skill_is_unknown_gets_gold_first() -> None:
    newcomer = Person(coin(2 / 3), gold_answers=1)
    order = offer_order(newcomer, _candidates(), POLICY, SKILL)
    assert order[0] == 4
    assert order.index(1) < order.index(2)  # then no uncertain item before a fresh one


def test_arrival_order_is_most_answers_first() -> None:
    arrival = RoutingSettings(routing="arrival")
    assert offer_order(Person(coin(0.9)), _candidates(), POLICY, arrival) == [2, 3, 1, 4]


def test_an_answer_is_worth_more_from_a_better_annotator() -> None:
    posterior = np.array([[0.5, 0.5], [0.8, 0.2], [0.96, 0.04]])
    n = [0, 2, 3]
    values = [answer_value(posterior, n, coin(a), POLICY) for a in (0.5, 0.7, 0.9)]
    assert np.all(values[0] == 0.0)
    assert np.all(values[1] < values[2])


posteriors = st.floats(0.0, 1.0).map(lambda p: np.array([p, 1.0 - p]))
candidate_lists = st.lists(
    st.builds(
        Candidate,
        item=st.integers(0, 12),
        posterior=posteriors,
        answers=st.integers(0, 9),
        limit=st.integers(1, 9),
        leased=st.integers(0, 3),
        gold=st.booleans(),
        seen=st.booleans(),
    ),
    max_size=25,
)
people = st.builds(
    Person,
    confusion=st.floats(0.0, 1.0).map(coin),
    gold_answers=st.integers(0, 10),
)
routings = st.builds(
    RoutingSettings,
    routing=st.sampled_from(["skill", "arrival"]),
    exploration=st.floats(0.0, 1.0),
    known_after=st.integers(0, 8),
)


@settings(max_examples=300, deadline=None)
@given(person=people, cands=candidate_lists, routing=routings)
def test_offers_only_open_items_each_once_and_always_one_when_one_is_open(
    person: Person, cands: list[Candidate], routing: RoutingSettings
) -> None:
    order = offer_order(person, cands, POLICY, routing)
    assert len(order) == len(set(order))  # never the same item twice
    for item in order:
        for c in cands:
            if c.item == item:
                assert not c.seen  # never an item the person already had
                assert c.answers + c.leased < c.limit  # never beyond its overlap
    open_items = {c.item for c in cands} - {c.item for c in cands if not c.open}
    assert set(order) == open_items  # nobody starves: every open item is on offer


@settings(max_examples=200, deadline=None)
@given(
    post=posteriors,
    rows=st.lists(st.tuples(st.floats(0, 50), st.floats(0, 50)), min_size=1, max_size=6),
    routing=routings,
    seed=st.integers(0, 2**16),
)
def test_an_item_always_goes_to_one_of_the_people_online(
    post: np.ndarray, rows: list[tuple[float, float]], routing: RoutingSettings, seed: int
) -> None:
    online = np.stack([counts(r, w) for r, w in rows])
    pick = pick_annotator(post, online, np.random.default_rng(seed), routing)
    assert 0 <= pick < len(rows)
