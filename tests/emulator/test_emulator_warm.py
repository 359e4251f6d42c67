"""``Renderer.warm`` (``emulator --warm``): issues rendered before serving, same bytes."""

from __future__ import annotations

from backlog_connector.emulator import Emulator, EmulatorConfig


def test_warm_fills_the_cache_up_to_its_limit_with_the_same_bytes() -> None:
    cold = Emulator(EmulatorConfig(seed=3, projects=2, issues=40))
    warm = Emulator(EmulatorConfig(seed=3, projects=2, issues=40, cache_limit=25))
    assert warm.renderer.warm() == 25
    issues = list(warm.state.order)
    assert warm.renderer.issues_bytes(issues) == cold.renderer.issues_bytes(list(cold.state.order))
