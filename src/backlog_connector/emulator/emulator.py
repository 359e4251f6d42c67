"""``Emulator``: a generated Backlog space served over HTTP on loopback."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from .api import Api
from .auth import Auth
from .config import FAULT_KINDS, PLAN_LIMITS, EmulatorConfig
from .errors import ApiError, invalid
from .faults import Faults
from .generate import generate
from .params import Params
from .ratelimit import RateLimiter
from .render import Renderer
from .routing import Reply, ok
from .server import App, HttpServer
from .space import Space


class Emulator:
    """A Backlog space on a real loopback socket.

    ``Emulator(config)`` generates the space; :meth:`start` (or ``with``) serves it from a
    background thread until :meth:`stop`. ``state`` is the in-memory space: ground truth for
    tests. Control routes for subprocess use live under ``/_emulator/``.
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.state: Space = generate(self.config)
        self.renderer = Renderer(self.state, self.config.cache_limit)
        self.limiter = RateLimiter(dict(PLAN_LIMITS[self.config.plan]), self.config.minute_seconds)
        self.auth = Auth(self.state, self.config.token_seconds)
        self.faults = Faults(
            self.config.fault_rate,
            self.config.faults,
            self.config.fault_seed,
            self.config.slow_seconds,
        )
        self.api = Api(self.state, self.renderer, self.limiter)
        self.app = App(self.api, self.auth, self.limiter, self.faults, self._control)
        self._http: HttpServer | None = None

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._http is None:
            self._http = HttpServer(self.app, self.config.host, self.config.port)
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- what clients need ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (the API is under ``/api/v2``)."""
        if self._http is None:
            raise RuntimeError("the emulator is not running; call start() or use `with`")
        host, port = self._http.address
        return f"http://{host}:{port}"

    @property
    def api_keys(self) -> dict[str, str]:
        """The first API key of the admin and of the member user."""
        return {"admin": self.state.keys_of(1)[0], "member": self.state.keys_of(2)[0]}

    @property
    def oauth_client(self) -> dict[str, str]:
        return dict(self.state.oauth_client)

    def revoke_key(self, key: str) -> None:
        """Refuse an API key (or OAuth token) from now on: 401 code 11."""
        if not self.auth.revoke(key):
            raise ValueError("no such API key or token in this emulator")

    def set_faults(
        self, rate: float | None = None, *, slow_seconds: float | None = None, **per_kind: float
    ) -> None:
        """Set the fault probabilities: ``rate`` over every kind, or per kind by name
        (``http_500``, ``http_502``, ``http_503``, ``reset``, ``slow``, ``truncated``,
        ``spurious_429``)."""
        self.faults.set(rate, slow_seconds=slow_seconds, **per_kind)

    def startup_line(self) -> dict[str, Any]:
        """The JSON object the command prints first."""
        return {
            "base_url": self.base_url,
            "api_keys": self.api_keys,
            "oauth": self.oauth_client
            | {
                "authorize_url": f"{self.base_url}/OAuth2AccessRequest.action",
                "token_url": f"{self.base_url}/api/v2/oauth2/token",
            },
            "plan": self.config.plan,
        }

    # ---- /_emulator/ control routes ------------------------------------------------------

    def _control(self, method: str, path: str, query: Params, form: Params) -> Reply:
        if path == "/_emulator/revoke" and method == "POST":
            key = form.get("key") or ""
            if not self.auth.revoke(key):
                raise invalid("No such API key or token.", "Send key=<the key to revoke>.")
            return ok({"revoked": True})
        if path == "/_emulator/faults":
            if method == "POST":
                self._set_faults_from(form)
            return ok(self.faults.describe())
        if path == "/_emulator/rate-windows" and method == "GET":
            return ok({"windows": self.limiter.windows()})
        if path == "/_emulator/info" and method == "GET":
            return ok(
                self.startup_line()
                | {
                    "users": {
                        # users without a login id (older accounts) are listed by numeric id
                        (u.user_id or str(u.id)): self.state.keys_of(u.id)
                        for u in self.state.users.values()
                    },
                }
            )
        raise ApiError(
            404,
            6,
            "No such control route.",
            "Use POST /_emulator/revoke, GET|POST /_emulator/faults, GET /_emulator/info,"
            " GET /_emulator/rate-windows.",
        )

    def _set_faults_from(self, form: Params) -> None:
        per_kind: dict[str, float] = {}
        for kind in FAULT_KINDS:
            value = form.get_number(kind)
            if value is not None:
                per_kind[kind] = value
        try:
            self.faults.set(
                form.get_number("rate"), slow_seconds=form.get_number("slow_seconds"), **per_kind
            )
        except ValueError as exc:
            raise invalid(str(exc)) from None
