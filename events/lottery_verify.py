"""Re-run a published lottery draw of the Zhaoxi community portal, on your own computer.

Needs only Python 3 (no Django, no portal code, no network). Download the draw's JSON file from its
public result page, then run::

    python3 lottery_verify.py draw-12.json          # this file, downloaded from the result page
    python3 -m events.lottery_verify draw-12.json   # or, inside the portal's source tree

It prints the draw order and the entries given a place, and whether both match what was published
(exit status 0 when they do, 1 when they do not, 2 for a file it cannot read).

The algorithm (the same as ``events.services.lottery``):

1. Every entry is one booking: ``{"id": booking number, "tier": priority tier, "size": places needed}``.
   A parent applying for two children enters once; the children win or lose together.
2. Entries are sorted by (tier, id), so the order they are listed in does not matter.
3. One random generator is made from the seed: ``random.Random(seed)`` (Python's Mersenne Twister,
   seeded from the text of the seed).
4. Tiers are taken best first (1, 2, ...). Within a tier the ids are shuffled with
   ``rng.shuffle(ids)``, using the same generator throughout, and appended to the draw order.
5. Places are given in draw order while they last: an entry that needs more places than are left is
   passed over for the next one. Everyone else goes to the waitlist in draw order (or is not drawn,
   when the activity has no waitlist).
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterable, Mapping


def draw_order(seed: str, entries: Iterable[Mapping]) -> list[int]:
    """The draw order of ``entries`` ({"id", "tier"} mappings) under ``seed``."""
    rng = random.Random(str(seed))
    by_tier: dict[int, list[int]] = {}
    for tier, entry_id in sorted((int(e.get("tier", 1)), int(e["id"])) for e in entries):
        by_tier.setdefault(tier, []).append(entry_id)
    order: list[int] = []
    for tier in sorted(by_tier):
        ids = by_tier[tier]
        rng.shuffle(ids)
        order.extend(ids)
    return order


def allocate(order: list[int], sizes: Mapping[int, int], places: int) -> list[int]:
    """The entries given a place: in draw order, each one that still fits."""
    winners = []
    for entry_id in order:
        if sizes[entry_id] <= places:
            winners.append(entry_id)
            places -= sizes[entry_id]
    return winners


def verify(draw: Mapping) -> tuple[bool, list[int], list[int]]:
    """Re-run ``draw`` (the published JSON): (whether it matches, the order, the winners)."""
    entries = draw["entries"]
    order = draw_order(draw["seed"], entries)
    sizes = {int(e["id"]): int(e.get("size", 1)) for e in entries}
    winners = allocate(order, sizes, int(draw["places"]))
    published_order = [int(i) for i in draw.get("order", [])]
    published_winners = [int(i) for i in draw.get("winners", [])]
    return order == published_order and winners == published_winners, order, winners


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python3 lottery_verify.py DRAW.json", file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as f:
            draw = json.load(f)
        ok, order, winners = verify(draw)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"cannot read the draw: {exc}", file=sys.stderr)
        return 2
    print(f"seed: {draw['seed']}")
    print(f"places: {draw['places']}")
    print("draw order: " + " ".join(str(i) for i in order))
    print("given a place: " + " ".join(str(i) for i in winners))
    if ok:
        print("OK: the published order and winners are reproduced.")
        return 0
    print("MISMATCH: the published order or winners differ from this re-run.")
    return 1


if __name__ == "__main__":
    sys.exit(main())
