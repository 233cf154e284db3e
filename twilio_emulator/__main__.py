"""``python -m twilio_emulator``: see the package docstring."""

from __future__ import annotations

import argparse
import logging

from twilio_emulator.review import DEFAULT_REVIEW_DELAY
from twilio_emulator.server import DEFAULT_CALLBACK_WORKERS, serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m twilio_emulator", description="A local stand-in for Twilio's REST API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--state-file", help="load state from and save it to this JSON file")
    parser.add_argument(
        "--callback-delay",
        type=float,
        default=0.5,
        help="seconds between a message's status steps (default 0.5; 0 allowed)",
    )
    parser.add_argument(
        "--inbound-url", help="where inbound messages go when their number has no SMS URL"
    )
    parser.add_argument(
        "--callback-workers",
        type=int,
        default=DEFAULT_CALLBACK_WORKERS,
        help=f"threads posting status callbacks (default {DEFAULT_CALLBACK_WORKERS})",
    )
    parser.add_argument(
        "--review-delay",
        type=float,
        default=DEFAULT_REVIEW_DELAY,
        help="seconds before a submitted brand, campaign or Trust Hub profile is reviewed "
        f"(default {DEFAULT_REVIEW_DELAY:g}; 0 allowed)",
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    if args.callback_delay < 0:
        parser.error("--callback-delay must be 0 or more")
    if args.review_delay < 0:
        parser.error("--review-delay must be 0 or more")
    if args.callback_workers < 1:
        parser.error("--callback-workers must be 1 or more")
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    serve(
        host=args.host,
        port=args.port,
        callback_delay=args.callback_delay,
        state_file=args.state_file,
        inbound_url=args.inbound_url,
        callback_workers=args.callback_workers,
        review_delay=args.review_delay,
    )


if __name__ == "__main__":
    main()
