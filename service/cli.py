"""vessel-screen: the command line face of the service."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from service.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vessel-screen", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("openapi", help="print the OpenAPI document built from the schemas")
    sub.add_parser("config", help="print the effective configuration")
    one = sub.add_parser("screen-one", help="screen one vessel and print the JSON answer")
    one.add_argument("--name")
    one.add_argument("--imo")
    one.add_argument("--mmsi")
    one.add_argument("--flag")
    one.add_argument("--lists", type=Path, help="folder of lists (default LISTS_DIR)")
    args = parser.parse_args(argv)

    if args.command == "openapi":
        from service.web.openapi import spec_yaml

        sys.stdout.write(spec_yaml())
        return 0
    if args.command == "config":
        for key, value in Settings.from_env().public().items():
            print(f"{key}={value}")
        return 0
    if args.command == "screen-one":
        return _screen_one(args)
    return 2


def _screen_one(args: argparse.Namespace) -> int:
    from service.index import build_index
    from service.loaders.errors import ListLoadError
    from service.loaders.registry import load_lists
    from service.matcher import Policy, Query, screen

    settings = Settings.from_env()
    try:
        index = build_index(load_lists(args.lists or settings.lists_dir))
    except ListLoadError as exc:
        print(f"vessel-screen: {exc}", file=sys.stderr)
        return 2
    policy = Policy(settings.match_threshold, settings.review_threshold, settings.default_limit)
    result = screen(
        Query(name=args.name, imo=args.imo, mmsi=args.mmsi, flag=args.flag), index, policy
    )
    print(
        json.dumps(
            {
                "decision": result.decision,
                "matches": [
                    {
                        "entity_id": m.entity_id,
                        "name": m.vessel.name,
                        "imo": m.vessel.imo,
                        "score": m.score,
                        "decision": m.decision,
                        "notes": list(m.explanation.notes),
                    }
                    for m in result.matches
                ],
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
