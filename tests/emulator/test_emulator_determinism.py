"""The same seed gives byte-identical responses; another seed gives other data."""

from __future__ import annotations

from backlog_connector.emulator import Emulator, EmulatorConfig

from .helpers import client

PATHS = [
    "/space",
    "/users",
    "/projects",
    "/projects/1/issueTypes",
    "/projects/1/statuses",
    "/projects/1/categories",
    "/projects/1/versions",
    "/projects/1/customFields",
    "/teams",
    "/issues?count=100",
    "/issues?count=100&offset=100&sort=summary&order=asc",
    "/issues?count=100&sort=dueDate",
    "/issues/count?statusId[]=4",
    "/issues/5",
    "/issues/7/comments?count=100",
    "/space/activities?count=100",
    "/space/activities?count=100&order=asc&minId=50",
]


def bodies(emu: Emulator) -> list[bytes]:
    with client(emu) as c:
        return [c.get(path).content for path in PATHS]


def test_same_seed_is_byte_identical() -> None:
    config = EmulatorConfig(seed=42, projects=3, issues=250)
    with Emulator(config) as one, Emulator(config) as two:
        first, second = bodies(one), bodies(two)
        assert one.api_keys == two.api_keys
        assert one.oauth_client == two.oauth_client
    assert all(len(b) > 2 for b in first)
    assert first == second


def test_other_seed_other_data() -> None:
    with (
        Emulator(EmulatorConfig(seed=1, issues=250)) as one,
        Emulator(EmulatorConfig(seed=2, issues=250)) as two,
    ):
        first, second = bodies(one), bodies(two)
        assert one.api_keys != two.api_keys
    differing = [path for path, a, b in zip(PATHS, first, second, strict=True) if a != b]
    assert "/issues?count=100" in differing
    assert "/users" in differing
    assert "/space/activities?count=100" in differing
