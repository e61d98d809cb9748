"""Start the server: build the app in each worker process from a model-source factory.

Worker processes cannot receive Python objects, so the factory travels as an import path
(``package.module:function``, called with the Settings) in ``FULLCYCLE_SERVE_*`` variables.
"""

from __future__ import annotations

import importlib
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

import orjson

from fullcycle.auth import Authenticator
from fullcycle.errors import ConfigError
from fullcycle.names import check_name
from fullcycle.serving.feedback import FeedbackLimits
from fullcycle.serving.guard import LOOPBACK_HOSTS, Access
from fullcycle.serving.logbook import Logbook, LogConfig
from fullcycle.serving.logformat import FORMATS, LEVELS
from fullcycle.serving.metrics import prepare_multiprocess_dir
from fullcycle.serving.models import ModelSource
from fullcycle.serving.runtime import Runtime
from fullcycle.settings import Settings
from fullcycle.store.db import Database

ENV_OPTIONS = "FULLCYCLE_SERVE_OPTIONS"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


@dataclass(frozen=True)
class ServeOptions:
    source_factory: str
    model: str
    durability: str = "fast"
    max_batch: int = 32
    max_wait_ms: float = 2.0
    poll_s: float = 1.0
    body_limit: int = 1024 * 1024
    fsync_interval_s: float = 0.2
    segment_max_age_s: float = 600.0
    trace_factory: str | None = None  # 'module:function', called with the Settings
    auth: bool = True
    public_predict: bool = False
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    cors_origins: tuple[str, ...] = ()
    mount_factory: str | None = None
    """``module:function(app, settings, options)`` that mounts more apps (the dashboard)."""
    metrics_dir: str | None = None  # prometheus_client's multiprocess folder (workers > 1)
    log_level: str = "warning"
    access_log: bool = False
    log_format: str = "text"  # or json: one object per line

    def __post_init__(self) -> None:
        check_name(self.model, "model name")
        if ":" not in self.source_factory:
            raise ConfigError(f"model source {self.source_factory!r} must be 'module:function'")
        if self.durability not in ("fast", "strict"):
            raise ConfigError(f"durability {self.durability!r} is not one of fast, strict")
        if self.max_batch < 1 or self.max_wait_ms < 0:
            raise ConfigError("max batch must be >= 1 and max wait >= 0 ms")
        if self.log_level not in LEVELS or self.log_format not in FORMATS:
            raise ConfigError(
                f"log level {self.log_level!r} / format {self.log_format!r}: the level is one "
                f"of {', '.join(LEVELS)}, the format one of {', '.join(FORMATS)}"
            )
        if not self.allowed_hosts:
            raise ConfigError("no allowed host; pass --allowed-host NAME (or '*' for any)")
        object.__setattr__(self, "allowed_hosts", tuple(self.allowed_hosts))
        object.__setattr__(self, "cors_origins", tuple(self.cors_origins))


def _import(factory: str) -> Any:
    module, _, func = factory.partition(":")
    try:
        return getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"{factory!r} cannot be imported: {exc}") from exc


def load_source(factory: str, settings: Settings) -> ModelSource:
    return _import(factory)(settings)  # type: ignore[no-any-return]


def load_factory(factory: str, settings: Settings) -> Any:
    """Call the ``module:function`` factory with the settings (a ModelSource, a tracer)."""
    return _import(factory)(settings)


def access_of(db: Database, options: ServeOptions) -> Access:
    """The access policy ``options`` describe, checking tokens against ``db``."""
    return Access(
        authenticator=Authenticator(db) if options.auth else None,
        public_predict=options.public_predict,
        allowed_hosts=options.allowed_hosts,
        cors_origins=options.cors_origins,
    )


def build_app(source: ModelSource, settings: Settings, options: ServeOptions) -> Any:
    """The ASGI app for one process: store, prediction log, runtime, routes."""
    from fullcycle.serving.app import create_app

    db = Database.open(settings.resolved_database_url(), busy_timeout_s=settings.busy_timeout_s)
    config = LogConfig(
        durability=options.durability,
        fsync_interval_s=options.fsync_interval_s,
        segment_max_age_s=options.segment_max_age_s,
    )
    logbook = Logbook(db, settings.resolved_log_url(), model=options.model, config=config)
    runtime = Runtime(
        source,
        logbook,
        db=db,
        max_batch=options.max_batch,
        max_wait_ms=options.max_wait_ms,
        poll_s=options.poll_s,
    )
    tracer = load_factory(options.trace_factory, settings) if options.trace_factory else None
    app = create_app(
        runtime,
        body_limit=options.body_limit,
        access=access_of(db, options),
        tracer=tracer,
        feedback_limits=FeedbackLimits.from_settings(settings),
        metrics_dir=options.metrics_dir,
        access_log=options.access_log,
    )
    if options.mount_factory:
        _import(options.mount_factory)(app, settings, options)
    return app


def app_from_env(environ: Mapping[str, str] | None = None) -> Any:
    """The uvicorn factory each worker calls."""
    env = os.environ if environ is None else environ
    raw = env.get(ENV_OPTIONS)
    if not raw:
        raise ConfigError(f"{ENV_OPTIONS} is not set; start the server with `fullcycle serve`")
    options = ServeOptions(**orjson.loads(raw))
    settings = Settings.from_env(env)
    return build_app(load_source(options.source_factory, settings), settings, options)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, *, auth: bool, allow_insecure: bool) -> None:
    """Refuse to serve without token checks on anything but loopback, unless told twice."""
    if not auth and not is_loopback(host) and not allow_insecure:
        raise ConfigError(
            f"refusing to serve {host} with --no-auth: anyone who reaches it could predict, "
            "send feedback and reload models",
            hint="drop --no-auth (tokens: fullcycle token create), bind 127.0.0.1, "
            "or add --allow-insecure if you really mean it",
        )


def run(
    options: ServeOptions,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    settings: Settings | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT; each worker writes its own log segments."""
    from fullcycle.serving.app import serve_forever

    if workers < 1:
        raise ConfigError(f"workers={workers} must be 1 or more")
    if workers > 1 or os.environ.get(MULTIPROC_ENV):  # every scrape sums all the workers
        folder = prepare_multiprocess_dir(os.environ.get(MULTIPROC_ENV))
        os.environ[MULTIPROC_ENV] = folder
        options = replace(options, metrics_dir=folder)
    os.environ[ENV_OPTIONS] = orjson.dumps(asdict(options)).decode()
    if settings is not None:
        os.environ["FULLCYCLE_PROJECT_DIR"] = str(settings.project_dir)
        for key, value in (
            ("FULLCYCLE_DATABASE_URL", settings.database_url),
            ("FULLCYCLE_LOG_URL", settings.log_url),
        ):
            if value:
                os.environ[key] = value
    serve_forever(
        "fullcycle.serving.server:app_from_env",
        host=host,
        port=port,
        workers=workers,
        log_level=options.log_level,
        log_format=options.log_format,
    )
