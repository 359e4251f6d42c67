"""Generated users, teams and keys of an emulated space (see :mod:`.generate`)."""

from __future__ import annotations

import hashlib
import random

from . import words
from .config import EmulatorConfig
from .model import Team, User
from .space import Space

_DAY = 86400
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def secret_for(seed: int, label: str, length: int = 64) -> str:
    """A deterministic key-like string (API keys and the OAuth client are fixed by the seed)."""
    digest = hashlib.sha512(f"backlog-emulator:{seed}:{label}".encode()).digest()
    return "".join(_ALNUM[b % len(_ALNUM)] for b in digest[:length])


def make_users(space: Space, rng: random.Random, config: EmulatorConfig, data_end: int) -> None:
    """The users: the admin, the member, then users of every role."""
    count = min(200, 10 + 2 * config.projects)
    roles = (2, 2, 3, 4, 5, 6, 2, 1, 2, 3)
    for uid in range(1, count + 1):
        if uid == 1:
            login, name, role, lang = "admin", "管理者", 1, "ja"
        elif uid == 2:
            login, name, role, lang = "member", "Member User", 2, "en"
        else:
            role = roles[(uid - 3) % len(roles)]
            if rng.random() < 0.6:
                fam = rng.randrange(len(words.FAMILY_JA))
                name = f"{words.FAMILY_JA[fam]} {rng.choice(words.GIVEN_JA)}"
                login, lang = f"{words.ROMAJI_FAMILY[fam]}{uid}", "ja"
            else:
                given = rng.choice(words.GIVEN_EN)
                name = f"{given} {rng.choice(words.FAMILY_EN)}"
                login, lang = f"{given.lower()}{uid}", "en"
        nulab = None
        if uid % 3 != 0:
            nulab = {
                "nulabId": secret_for(config.seed, f"nulab{uid}", 50),
                "name": name,
                "uniqueId": login,
            }
        last_login = None if uid == count else data_end - rng.randrange(1, 60) * _DAY
        space.users[uid] = User(
            id=uid,
            # older accounts (Nulab-account sign-in) carry no login id
            user_id=None if uid > 2 and uid % 5 == 4 else login,
            name=name,
            role_type=role,
            lang=None if uid % 7 == 6 else lang,
            nulab_account=nulab,
            mail_address=f"{login}@example.com",
            last_login=last_login,
        )


def make_teams(space: Space, rng: random.Random, data_start: int) -> None:
    """A few teams of random members."""
    user_ids = list(space.users)
    for index, name in enumerate(words.TEAMS):
        members = sorted(rng.sample(user_ids, min(len(user_ids), 2 + index)))
        created = data_start + rng.randrange(100) * _DAY
        space.teams.append(Team(index + 1, name, members, 1, created, 1, created + 5 * _DAY))


def make_keys(space: Space, config: EmulatorConfig) -> None:
    """API keys (two for the admin) and the OAuth client, fixed by the seed."""
    for uid in space.users:
        space.api_keys[secret_for(config.seed, f"apikey:{uid}")] = uid
    space.api_keys[secret_for(config.seed, "apikey:1:second")] = 1
    space.oauth_client = {
        "client_id": secret_for(config.seed, "oauth:client_id", 32),
        "client_secret": secret_for(config.seed, "oauth:client_secret", 64),
    }
