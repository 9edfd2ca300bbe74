"""Re-run a published lottery draw of the Zhaoxi community portal, on your own computer.

Needs only Python 3 (no Django, no portal code, no network). Download the draw's JSON file from its
public result page, then run::

    python3 lottery_verify.py draw-12.json          # this file, downloaded from the result page
    python3 -m events.lottery_verify draw-12.json   # or, inside the portal's source tree

It makes two checks and says which one failed:

* the commitment: the SHA-256 of the revealed seed equals the commitment the activity page published
  before anyone could apply (so the seed was fixed before the entries were known, and nobody could
  search for a seed that favours one family);
* the draw: re-running the algorithm below on the published entries with that seed gives the published
  order and the published winners.

Exit status: 0 when both checks pass; 1 when the order or the winners differ; 3 when the seed does not
match its commitment (or no commitment was published), whatever the order; 2 for a file it cannot read.

The portal's own draw (``events.services.lottery``) imports ``draw_order``, ``allocate`` and
``seed_commitment`` from this very file, so the two cannot drift apart. The algorithm:

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

import hashlib
import hmac
import json
import random
import sys
from collections.abc import Iterable, Mapping

#: Exit statuses of ``main``.
EXIT_OK = 0
EXIT_DRAW_MISMATCH = 1
EXIT_UNREADABLE = 2
EXIT_COMMITMENT_MISMATCH = 3


def seed_commitment(seed: str) -> str:
    """The published commitment to ``seed``: the SHA-256 of its UTF-8 text, in lowercase hex."""
    return hashlib.sha256(str(seed).encode("utf-8")).hexdigest()


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


def check(draw: Mapping) -> dict:
    """Both checks of ``draw`` (the published JSON), each on its own.

    {"commitment_ok", "order_ok", "winners_ok", "order", "winners", "seed_sha256"}: the re-computed
    values next to whether each matches what was published."""
    entries = draw["entries"]
    seed = str(draw["seed"])
    published_commitment = str(draw.get("seed_sha256") or "").strip().lower()
    computed = seed_commitment(seed)
    order = draw_order(seed, entries)
    sizes = {int(e["id"]): int(e.get("size", 1)) for e in entries}
    winners = allocate(order, sizes, int(draw["places"]))
    return {
        "commitment_ok": bool(published_commitment) and hmac.compare_digest(computed, published_commitment),
        "order_ok": order == [int(i) for i in draw.get("order", [])],
        "winners_ok": winners == [int(i) for i in draw.get("winners", [])],
        "order": order,
        "winners": winners,
        "seed_sha256": computed,
    }


def verify(draw: Mapping) -> tuple[bool, list[int], list[int]]:
    """Re-run ``draw``: (whether the commitment, the order and the winners all match, the order, the winners)."""
    result = check(draw)
    ok = result["commitment_ok"] and result["order_ok"] and result["winners_ok"]
    return ok, result["order"], result["winners"]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python3 lottery_verify.py DRAW.json", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        with open(argv[0], encoding="utf-8") as f:
            draw = json.load(f)
        result = check(draw)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        print(f"cannot read the draw: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"seed: {draw['seed']}")
    print(f"SHA-256 of the seed: {result['seed_sha256']}")
    print(f"published commitment: {draw.get('seed_sha256') or '(none)'}")
    if draw.get("committed_at"):
        print(f"committed at: {draw['committed_at']}")
    print(f"places: {draw['places']}")
    print("draw order: " + " ".join(str(i) for i in result["order"]))
    print("given a place: " + " ".join(str(i) for i in result["winners"]))
    if result["commitment_ok"]:
        print("OK: SHA-256(seed) matches the commitment published before applications opened.")
    elif not draw.get("seed_sha256"):
        print("COMMITMENT MISSING: no commitment to the seed was published; the seed cannot be trusted.")
    else:
        print("COMMITMENT MISMATCH: SHA-256(seed) differs from the published commitment.")
    if result["order_ok"] and result["winners_ok"]:
        print("OK: the published order and winners are reproduced.")
    else:
        which = " and ".join(
            name for name, ok in (("order", result["order_ok"]), ("winners", result["winners_ok"])) if not ok
        )
        print(f"MISMATCH ({which}): the published draw differs from this re-run.")
    if not result["commitment_ok"]:
        return EXIT_COMMITMENT_MISMATCH
    if not (result["order_ok"] and result["winners_ok"]):
        return EXIT_DRAW_MISMATCH
    print("OK: the draw is verified.")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
