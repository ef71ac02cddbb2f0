"""The verified-token cache of :class:`Authenticator` (SOL013 §8 bearer tokens): a token is
checked in full (signature, claims, the client in the store) once per ``cache_s`` window, never
trusted past its ``exp``, and a removed client is refused once the window has passed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netorch.api.security import authn
from netorch.api.security.authn import Authenticator
from netorch.api.security.keys import load_or_create_key
from netorch.api.security.tokens import TokenIssuer
from netorch.api.sol013.problem import ProblemError
from netorch.model.api_access import Role
from netorch.services.api_access import ApiClients
from netorch.services.context import Context
from netorch.services.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    context = Context(Settings(home=tmp_path))
    yield context
    context.close()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(time, "monotonic", c)
    return c


def _setup(ctx: Context, cache_s: float, ttl_s: int = 3600
           ) -> tuple[Authenticator, ApiClients, str, list[str]]:
    clients = ApiClients(ctx.store)
    client, _secret = clients.add("cached", "operator")
    issuer = TokenIssuer(load_or_create_key(ctx.settings.home), clients, ttl_s=ttl_s)
    token = issuer.issue(client).access_token
    auth = Authenticator(issuer, cache_s=cache_s)
    checks: list[str] = []
    full = auth._verify

    def counting(tok: str) -> authn._Verified:
        checks.append(tok)
        return full(tok)

    auth._verify = counting  # type: ignore[method-assign,assignment]
    return auth, clients, token, checks


def _authenticate(auth: Authenticator, token: str) -> Role:
    return asyncio.run(auth.authenticate(f"Bearer {token}")).role


def test_a_token_is_checked_once_per_window(ctx: Context, clock: Clock) -> None:
    auth, _clients, token, checks = _setup(ctx, cache_s=2.0)
    assert _authenticate(auth, token) is Role.OPERATOR
    clock.now += 1.0
    assert _authenticate(auth, token) is Role.OPERATOR
    assert len(checks) == 1
    clock.now += 1.5  # the window has passed: checked again
    assert _authenticate(auth, token) is Role.OPERATOR
    assert len(checks) == 2


def test_a_removed_client_is_refused_after_the_window(ctx: Context, clock: Clock) -> None:
    auth, clients, token, _checks = _setup(ctx, cache_s=2.0)
    assert _authenticate(auth, token) is Role.OPERATOR
    clients.remove("cached")
    assert _authenticate(auth, token) is Role.OPERATOR  # still inside the window
    clock.now += 2.0
    with pytest.raises(ProblemError) as info:
        _authenticate(auth, token)
    assert info.value.status == 401


def test_no_cache_checks_every_request(ctx: Context, clock: Clock) -> None:
    auth, clients, token, checks = _setup(ctx, cache_s=0)
    assert _authenticate(auth, token) is Role.OPERATOR
    assert _authenticate(auth, token) is Role.OPERATOR
    assert len(checks) == 2
    clients.remove("cached")
    with pytest.raises(ProblemError):
        _authenticate(auth, token)


def test_a_cached_token_is_not_used_past_its_expiry(ctx: Context, clock: Clock,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    auth, _clients, token, checks = _setup(ctx, cache_s=3600, ttl_s=60)
    assert _authenticate(auth, token) is Role.OPERATOR
    assert _authenticate(auth, token) is Role.OPERATOR
    assert len(checks) == 1
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 120)
    _authenticate(auth, token)  # (PyJWT reads its own clock: the signature check still passes)
    assert len(checks) == 2  # past its exp the cached entry was not trusted: checked again


def test_an_invalid_token_is_never_cached(ctx: Context, clock: Clock) -> None:
    auth, _clients, token, checks = _setup(ctx, cache_s=60)
    bogus = token[:-6] + "AAAAAA"
    for _ in range(2):
        with pytest.raises(ProblemError):
            _authenticate(auth, bogus)
    assert len(checks) == 2
