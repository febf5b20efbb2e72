"""How the matcher fares on the kinds of variation real callers send, on the real lists.

For every vessel of the OFAC SDN files (or `--lists`), queries are written from its listed
names the way callers vary them: words joined or split, a hull number written as a roman
numeral glued to the name, one wrong, missing, extra or swapped letter (with the listed flag
and without), the name in Cyrillic, Greek and Arabic letters as a registry of that script
would write it, and each former name and alias as listed and with one typo. Negatives are
real ships that are not listed (`../shared/data/fleet/`), sent by name with the same
variations: every `match` among them is a false alarm, every `review` a cost. Each query is
screened by `service.matcher.screen` with the service's default policy.

The renderings into other scripts are written here, letter by letter with the digraphs a
registry of that script uses for foreign names (Cyrillic ДЖ for J, Greek ΜΠ for B and ΝΤ for
D); they are not the service's readings of those scripts, which run the other way.

Usage: python benchmarks/variations.py [--lists DIR] [--with-eu] [--seed N] [--show N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from service.index import ScreeningIndex, build_index
from service.loaders.registry import load_lists
from service.matcher import Policy, Query, screen
from service.names import normalize_name

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
FLEET = ("imo_vessel_names_3-vessels.csv", "imo_vessel_names_5-vessels.csv")


def _pairs(text: str) -> list[tuple[str, str]]:
    """'LATIN:OTHER LATIN:OTHER ...' as pairs, the order kept (digraphs are listed first)."""
    return [(latin, other) for latin, other in (pair.split(":") for pair in text.split())]


_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI", 7: "VII", 8: "VIII", 9: "IX"}
_LETTERS = "ABCDEFGHIJKLMNOPRSTUVWY"

# Latin to Cyrillic as Russian registries transcribe foreign names (digraphs first).
_CYRILLIC = _pairs(
    "SHCH:Щ SH:Ш CH:Ч KH:Х ZH:Ж TS:Ц YA:Я YU:Ю YE:Е YO:Ё PH:Ф TH:Т CK:К EE:И OO:У J:ДЖ "
    "X:КС W:В Q:К A:А B:Б C:К D:Д E:Е F:Ф G:Г H:Х I:И K:К L:Л M:М N:Н O:О P:П R:Р S:С T:Т "
    "U:У V:В Y:Й Z:З"
)
# Latin to Greek as Greek registries write foreign names: ΜΠ for B, ΝΤ for D, ΓΚ for G.
_GREEK = _pairs(
    "TH:Θ PH:Φ CH:Χ KH:Χ PS:Ψ KS:Ξ OU:ΟΥ A:Α B:ΜΠ C:Κ D:ΝΤ E:Ε F:Φ G:ΓΚ H:Χ I:Ι J:ΤΖ K:Κ "
    "L:Λ M:Μ N:Ν O:Ο P:Π Q:Κ R:Ρ S:Σ T:Τ U:ΟΥ V:Β W:ΟΥ X:Ξ Y:Ι Z:Ζ"
)
# Latin to Arabic letters, long vowels written (as Arabic writes foreign names), short ones too.
_ARABIC = _pairs(
    "SH:ش KH:خ TH:ث GH:غ CH:تش PH:ف A:ا B:ب C:ك D:د E:ي F:ف G:غ H:ه I:ي J:ج K:ك L:ل M:م "
    "N:ن O:و P:ب Q:ق R:ر S:س T:ت U:و V:ف W:و X:كس Y:ي Z:ز"
)


def render(name: str, table: list[tuple[str, str]]) -> str:
    """`name` in another script, longest Latin sequence first; hull numbers (digits, or a
    last word that is a roman numeral) kept as written, as registries keep them."""
    pattern = re.compile("|".join(re.escape(latin) for latin, _ in table))
    mapping = dict(table)
    words = name.upper().split()
    last = len(words) - 1
    return " ".join(
        word
        if word.isdigit() or (i == last and i > 0 and re.fullmatch("[IVX]+", word))
        else pattern.sub(lambda m: mapping[m.group()], word)
        for i, word in enumerate(words)
    )


def one_edit(name: str, rng: random.Random) -> str | None:
    """`name` with one letter wrong, missing, extra or swapped, in a word of 3+ letters."""
    spots = [m.span() for m in re.finditer(r"[A-Z]{3,}", name)]
    if not spots:
        return None
    start, end = rng.choice(spots)
    i = rng.randrange(start, end)
    kind = rng.choice(("substitute", "delete", "insert", "swap"))
    if kind == "substitute":
        letter = rng.choice([c for c in _LETTERS if c != name[i]])
        return name[:i] + letter + name[i + 1 :]
    if kind == "delete":
        return name[:i] + name[i + 1 :]
    if kind == "insert":
        return name[:i] + rng.choice(_LETTERS) + name[i:]
    if i + 1 < end and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return None


def joined(name: str, rng: random.Random) -> str | None:
    """Two neighbouring words written as one (SEA STAR: SEASTAR)."""
    words = name.split()
    pairs = [i for i in range(len(words) - 1) if words[i].isalpha() and words[i + 1].isalpha()]
    if not pairs:
        return None
    i = rng.choice(pairs)
    return " ".join([*words[:i], words[i] + words[i + 1], *words[i + 2 :]])


def split(name: str, rng: random.Random) -> str | None:
    """A word of 6+ letters written as two (PANOCEAN: PAN OCEAN)."""
    words = name.split()
    long = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= 6]
    if not long:
        return None
    i = rng.choice(long)
    cut = rng.randrange(3, len(words[i]) - 2)
    return " ".join([*words[:i], words[i][:cut], words[i][cut:], *words[i + 1 :]])


def roman_glued(name: str, rng: random.Random) -> str | None:
    """A last hull number 1..9 as a roman numeral glued on (DIAMOND 2: DIAMONDII)."""
    words = name.split()
    if len(words) < 2 or not words[-1].isdigit() or not 1 <= int(words[-1]) <= 9:
        return None
    if not words[-2].isalpha():
        return None
    return " ".join([*words[:-2], words[-2] + _ROMAN[int(words[-1])]])


def clean(name: str) -> str:
    return " ".join(re.sub(r"[^A-Z0-9 ]+", " ", name.upper()).split())


Variation = Callable[[str, random.Random], "str | None"]
VARIATIONS: dict[str, Variation] = {
    "joined_words": joined,
    "split_word": split,
    "roman_glued": roman_glued,
    "typo_with_flag": one_edit,
    "typo_name_only": one_edit,
    "cyrillic": lambda n, _: render(n, _CYRILLIC),
    "greek": lambda n, _: render(n, _GREEK),
    "arabic": lambda n, _: render(n, _ARABIC),
}


def positives(index: ScreeningIndex, rng: random.Random) -> Iterator[tuple[str, Query, str]]:
    """(category, query, the IMO or entity id that answers it) for every listed vessel."""
    for vessel in index.vessels:
        truth = vessel.imo or vessel.entity_id
        name = clean(vessel.name)
        flag = vessel.flags[0] if vessel.flags else None
        if not name or not re.search(r"[A-Z]{2}", name):
            continue
        for category, vary in VARIATIONS.items():
            written = vary(name, rng)
            if not written or written == name:
                continue
            with_flag = flag if category == "typo_with_flag" else None
            if category == "typo_with_flag" and with_flag is None:
                continue
            yield category, Query(name=written, flag=with_flag), truth
        for former in (*vessel.former_names, *vessel.aliases):
            yield "former_or_alias", Query(name=former), truth
            written = one_edit(clean(former), rng)
            if written and flag:
                yield "former_or_alias_typo", Query(name=written, flag=flag), truth


def negatives(index: ScreeningIndex, rng: random.Random) -> Iterator[tuple[str, Query]]:
    """Real ships that are not listed, by name as written and varied like the positives."""
    listed_imos = {v.imo for v in index.vessels if v.imo}
    listed_keys = {n.norm.key for n in index.names}
    seen: set[str] = set()
    for file in FLEET:
        with (SHARED / "fleet" / file).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                name = clean(row["vessel_name"])
                if not name or row["imo"] in listed_imos or name in seen:
                    continue
                if normalize_name(name).key in listed_keys:
                    continue  # the same name as a listed ship: not a clean negative
                seen.add(name)
                yield "neg_as_written", Query(name=name)
                for category in ("typo_name_only", "joined_words", "cyrillic", "greek", "arabic"):
                    written = VARIATIONS[category](name, rng)
                    if written and written != name:
                        yield f"neg_{category}", Query(name=written)


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lists", type=Path, default=SHARED / "ofac")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show", type=int, default=0, help="misses to print per category")
    parser.add_argument(
        "--with-eu", action="store_true", help="serve the EU annexes too (../shared/data/eu/ojeu)"
    )
    args = parser.parse_args()
    if not args.lists.exists() or not (SHARED / "fleet").exists():
        print(f"{args.lists} or {SHARED / 'fleet'} is not here; nothing to measure")
        return 0 if os.environ.get("CI") != "true" else 1
    lists = load_lists(args.lists)
    if args.with_eu:
        with tempfile.TemporaryDirectory() as folder:
            entry = {"id": "eu-ojeu", "path": str(SHARED / "eu" / "ojeu"), "format": "eu-ojeu"}
            (Path(folder) / "manifest.json").write_text(json.dumps({"lists": [entry]}))
            lists += load_lists(Path(folder))
    index = build_index(lists)
    policy = Policy()
    rng = random.Random(args.seed)
    total: Counter[str] = Counter()
    found: Counter[str] = Counter()
    matched: Counter[str] = Counter()
    misses: dict[str, list[str]] = defaultdict(list)
    for category, query, truth in positives(index, rng):
        result = screen(query, index, policy)
        total[category] += 1
        top = result.matches[0] if result.matches else None
        # Found: the ship is returned level with the best (another listed ship may carry the
        # same name, as its own or as an alias).
        mine = [
            m
            for m in result.matches
            if truth in (m.vessel.imo, m.vessel.entity_id)
            and m.score >= result.matches[0].score - 0.02
        ]
        hit = bool(mine)
        found[category] += hit
        matched[category] += hit and mine[0].decision == "match"
        if not hit or not mine or mine[0].decision != "match":
            got = f"{top.matched_name} {top.score} {top.decision}" if top else "nothing"
            misses[category].append(f"{query.name!r} -> {got}")
    alarms: Counter[str] = Counter()
    reviews: Counter[str] = Counter()
    for category, query in negatives(index, rng):
        result = screen(query, index, policy)
        total[category] += 1
        alarms[category] += result.decision == "match"
        reviews[category] += result.decision == "review"
        if result.decision == "match" and result.matches:
            misses[category].append(f"{query.name!r} -> {result.matches[0].matched_name}")

    print(
        f"variations on {' + '.join(i.id for i in index.lists)}: {len(index.vessels)} vessels; "
        f"{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, {platform.machine()}, "
        f"commit {_commit()}, seed {args.seed}"
    )
    print(f"\n{'positives':24} {'queries':>8} {'found':>8} {'as match':>9}")
    for category in [*VARIATIONS, "former_or_alias", "former_or_alias_typo"]:
        n = total[category]
        if n:
            print(f"{category:24} {n:8d} {found[category] / n:8.1%} {matched[category] / n:9.1%}")
    print(f"\n{'negatives':24} {'queries':>8} {'match':>8} {'review':>9}")
    for category in sorted(c for c in total if c.startswith("neg_")):
        n = total[category]
        print(f"{category:24} {n:8d} {alarms[category] / n:8.2%} {reviews[category] / n:9.2%}")
    for category, lines in misses.items():
        for text in lines[: args.show]:
            print(f"  {category}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
