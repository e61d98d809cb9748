"""``python -m fullcycle.serving --source module:function --model NAME``: the server without
the CLI (used by bench/serve.py and the end-to-end tests)."""

from __future__ import annotations

import argparse

from fullcycle.serving.guard import LOOPBACK_HOSTS
from fullcycle.serving.logformat import FORMATS, LEVELS
from fullcycle.serving.server import ServeOptions, check_bind, run
from fullcycle.settings import Settings


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m fullcycle.serving")
    ap.add_argument("--source", required=True, help="module:function returning a ModelSource")
    ap.add_argument("--model", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--durability", choices=["fast", "strict"], default=None)
    ap.add_argument("--max-batch", type=int, default=32)
    ap.add_argument("--max-wait-ms", type=float, default=2.0)
    ap.add_argument("--poll-s", type=float, default=1.0)
    ap.add_argument("--no-auth", action="store_true", help="no token checks (loopback only)")
    ap.add_argument("--public-predict", action="store_true")
    ap.add_argument("--allowed-host", action="append", default=None)
    ap.add_argument("--cors-origin", action="append", default=[])
    ap.add_argument("--log-level", choices=LEVELS, default="warning")
    ap.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=False)
    ap.add_argument("--log-format", choices=FORMATS, default="text")
    args = ap.parse_args(argv)
    settings = Settings.from_env()
    options = ServeOptions(
        source_factory=args.source,
        model=args.model,
        durability=args.durability or settings.durability,
        max_batch=args.max_batch,
        max_wait_ms=args.max_wait_ms,
        poll_s=args.poll_s,
        auth=not args.no_auth,
        public_predict=args.public_predict,
        allowed_hosts=tuple(args.allowed_host or LOOPBACK_HOSTS),
        cors_origins=tuple(args.cors_origin),
        log_level=args.log_level,
        access_log=args.access_log,
        log_format=args.log_format,
    )
    check_bind(args.host, auth=options.auth, allow_insecure=False)
    run(options, host=args.host, port=args.port, workers=args.workers, settings=settings)


if __name__ == "__main__":
    main()
