"""The composition root's choice of platforms, over entries of its own making: a third
platform is one more `PlatformEntry`, and the root needs nothing else to know about it."""

from __future__ import annotations

import argparse

from adapters.platform import Adapter, PlatformEntry, Wiring
from cli.run import PLATFORMS, chosen


def entry(name: str, configured: bool, listens: bool = False) -> PlatformEntry:
    async def launch(wiring: Wiring) -> Adapter:
        raise AssertionError("not launched here")

    return PlatformEntry(
        name=name,
        title=name.title(),
        needs=f"TAPMARK_{name.upper()}_TOKEN ({name.title()})",
        configured=lambda: configured,
        listener=lambda: f"the {name.title()} listener" if listens else None,
        launch=launch,
    )


def args(*names: str) -> argparse.Namespace:
    return argparse.Namespace(**{n: True for n in names})


def test_with_no_flag_every_configured_platform_runs() -> None:
    three = (entry("alpha", True), entry("beta", False), entry("gamma", True))
    assert [e.name for e in chosen(args(), three)] == ["alpha", "gamma"]  # type: ignore[union-attr]


def test_a_named_platform_that_is_not_configured_stops_the_run_and_says_what_to_set() -> None:
    three = (entry("alpha", True), entry("beta", False), entry("gamma", True))
    assert chosen(args("alpha", "beta"), three) == (
        "no chat platform is configured. Set TAPMARK_BETA_TOKEN (Beta). To try tapmark "
        "without any, run `tapmark demo`."
    )
    assert [e.name for e in chosen(args("gamma"), three)] == ["gamma"]  # type: ignore[union-attr]


def test_nothing_configured_names_every_setting() -> None:
    none = (entry("alpha", False), entry("beta", False))
    assert chosen(args(), none) == (
        "no chat platform is configured. Set TAPMARK_ALPHA_TOKEN (Alpha), or "
        "TAPMARK_BETA_TOKEN (Beta). To try tapmark without any, run `tapmark demo`."
    )


def test_two_platforms_listening_on_one_address_are_refused() -> None:
    two = (entry("alpha", True, listens=True), entry("beta", True, listens=True))
    refusal = chosen(args(), two)
    assert isinstance(refusal, str)
    assert refusal.startswith("the Alpha listener and the Beta listener would both listen")
    assert "`tapmark run --alpha`, `tapmark run --beta`" in refusal
    one = (entry("alpha", True, listens=True), entry("beta", True))
    assert [e.name for e in chosen(args(), one)] == ["alpha", "beta"]  # type: ignore[union-attr]


def test_the_root_lists_telegram_and_slack() -> None:
    assert [e.name for e in PLATFORMS] == ["telegram", "slack"]
