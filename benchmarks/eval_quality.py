"""Screening quality on ../shared/eval/dev-queries.jsonl, served from the real OFAC files
(and the EU annexes with `--with-eu`).

Every query goes through the full HTTP path (Flask test client): schemas, matcher, rendering.
Prints recall per category, false matches and review load on negatives, and exits non-zero
when a target of the core issue is missed.
Usage: python benchmarks/eval_quality.py [--show N] [--with-eu] [--typo-table]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from service import create_app

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
STRICT = {"exact_all", "imo_only"}


def evaluate(
    queries_path: Path, lists_dir: Path, show: int = 0, quiet: bool = False, **settings: Any
) -> dict[str, float]:
    """Screen every query; `settings` override the service's (e.g. typo_min_letters=6)."""
    # A store of its own: the queries are recorded like any screening, away from the repo.
    app = create_app(
        lists_dir=lists_dir,
        data_dir=Path(tempfile.mkdtemp(prefix="eval-")),
        log_level="WARNING",
        **settings,
    )
    client = app.test_client()
    totals: Counter[str] = Counter()
    good: Counter[str] = Counter()
    as_match: Counter[str] = Counter()
    misses: dict[str, list[str]] = defaultdict(list)
    neg_match = neg_review = negatives = positives = found = strict_total = strict_ok = 0
    for line in queries_path.read_text().splitlines():
        case = json.loads(line)
        answer = client.post("/v1/screen", json=case["query"])
        assert answer.status_code == 200, (case, answer.get_data(as_text=True))
        body = answer.get_json()
        category = case["category"]
        totals[category] += 1
        if case["expect"].get("negative"):
            negatives += 1
            if body["decision"] == "match":
                neg_match += 1
                misses[category].append(f"{case['query']} -> MATCH {_top(body)}")
            elif body["decision"] == "review":
                neg_review += 1
                misses[category].append(f"{case['query']} -> review {_top(body)}")
            else:
                good[category] += 1
            continue
        positives += 1
        top = body["matches"][0] if body["matches"] else None
        ok = top is not None and top["vessel"]["imo"] in case["expect"]["imos"]
        as_match[category] += ok and body["decision"] == "match"
        ok = ok and body["decision"] in (("match",) if category in STRICT else ("match", "review"))
        if category in STRICT:
            strict_total += 1
            strict_ok += ok
        if ok:
            found += 1
            good[category] += 1
        else:
            misses[category].append(f"{case['query']} -> {body['decision']} {_top(body)}")

    figures = {
        "recall": found / positives,
        "strict": strict_ok / strict_total,
        "false_match": neg_match / negatives,
        "review_load": neg_review / negatives,
        "typo_match": as_match["name_typo"] / max(1, totals["name_typo"]),
    }
    if quiet:
        return figures
    # "right": found (positives) or cleared (negatives); "as match": positives found and
    # answered `match`, sparing an analyst the review.
    print(f"{'category':28} {'queries':>8} {'right':>8} {'as match':>9}")
    for category in sorted(totals):
        share = good[category] / totals[category]
        matched = as_match[category] / totals[category]
        matched_text = "" if category.startswith("neg_") else f"{matched:9.1%}"
        print(f"{category:28} {totals[category]:8d} {share:8.1%} {matched_text}")
    print(
        f"\nrecall {figures['recall']:.2%} of {positives} positives; exact_all+imo_only as "
        f"match {figures['strict']:.2%}; negatives {negatives}: false match "
        f"{figures['false_match']:.2%}, review {figures['review_load']:.2%}"
    )
    for category, lines in misses.items():
        for text in lines[:show]:
            print(f"  {category}: {text}")
    return figures


def typo_table(queries_path: Path, lists_dir: Path) -> None:
    """The typo rule's two settings against typos answered `match` and false alarms."""
    print("\nTYPO_MIN_LETTERS TYPO_ALONE_MIN_LETTERS  typos as match  false match  review")
    for least, alone in ((5, 5), (6, 6), (7, 7), (8, 8), (99, 99), (5, 8), (6, 8), (5, 10)):
        f = evaluate(
            queries_path,
            lists_dir,
            quiet=True,
            typo_min_letters=least,
            typo_alone_min_letters=alone,
        )
        print(
            f"{least:16d} {alone:22d} {f['typo_match']:15.1%} {f['false_match']:12.2%} "
            f"{f['review_load']:7.2%}"
        )


def _top(body: dict) -> str:
    if not body["matches"]:
        return ""
    m = body["matches"][0]
    return f"{m['vessel']['name']} {m['vessel']['imo']} {m['score']} {m['explanation']['notes']}"


def _with_eu(ofac: Path) -> Path:
    """A folder whose manifest names `ofac` (OFAC's CSV files) and the EU annexes."""
    folder = Path(tempfile.mkdtemp(prefix="eval-lists-"))
    entries = [
        {"id": "us-ofac-sdn", "path": str(ofac.resolve()), "format": "ofac-csv"},
        {
            "id": "eu-ojeu",
            "path": str((SHARED / "data" / "eu" / "ojeu").resolve()),
            "format": "eu-ojeu",
        },
    ]
    (folder / "manifest.json").write_text(json.dumps({"lists": entries}))
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show", type=int, default=0, help="misses to print per category")
    parser.add_argument("--queries", type=Path, default=SHARED / "eval" / "dev-queries.jsonl")
    parser.add_argument("--lists", type=Path, default=SHARED / "data" / "ofac")
    parser.add_argument(
        "--typo-table", action="store_true", help="also sweep the typo rule's settings"
    )
    parser.add_argument(
        "--with-eu",
        action="store_true",
        help="serve the EU annexes (../shared/data/eu/ojeu) beside --lists, as OFAC + EU",
    )
    args = parser.parse_args()
    if not args.queries.exists():
        print(f"{args.queries} is not here; nothing to measure")
        return 0 if os.environ.get("CI") != "true" else 1
    if args.with_eu:
        args.lists = _with_eu(args.lists)
    f = evaluate(args.queries, args.lists, args.show)
    if args.typo_table:
        typo_table(args.queries, args.lists)
    met = f["recall"] >= 0.99 and f["strict"] == 1 and f["false_match"] <= 0.005
    met = met and f["review_load"] <= 0.03
    print("targets met" if met else "TARGETS MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
