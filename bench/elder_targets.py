"""Summarise the elder-mode target measurements (issue 9: the MIIT 60x60 px targets).

The browser tests write one JSON line per page and language when ``ZHAOXI_TARGETS_REPORT`` names a file
(tests/browser.py, axe_check -> elder_check): the page's URL, its language, and for the primary buttons
(.btn-primary, .btn-brand, [type=submit]), the fields (input, select, textarea), the checkboxes/radios and
all targets: how many there are, how many reach 60x60 px and how many are under 44 px in some dimension.

    ZHAOXI_TARGETS_REPORT=/tmp/targets.jsonl make test PYTEST_ARGS="-m browser"
    python bench/elder_targets.py /tmp/targets.jsonl

Prints one JSON object: totals and ratios per kind, per language, and the number of pages measured
(every line counts: a page opened by two tests counts twice, as the scans do). Without a file argument
it reads ``ZHAOXI_TARGETS_REPORT``; with neither (``make bench``) it says so and prints an empty summary.
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict

KINDS = ("primary", "field", "check", "all")


def summarise(lines: list[dict]) -> dict:
    def block(rows):
        out = {}
        for kind in KINDS:
            total = sum(r[kind]["total"] for r in rows)
            reach = sum(r[kind]["reach_60"] for r in rows)
            under = sum(r[kind]["under_44"] for r in rows)
            out[kind] = {
                "total": total,
                "reach_60": reach,
                "under_60": total - reach,
                "under_44": under,
                "reach_60_ratio": round(reach / total, 3) if total else None,
                "under_60_ratio": round((total - reach) / total, 3) if total else None,
                "under_44_ratio": round(under / total, 3) if total else None,
            }
        out["inline_links"] = sum(r.get("inline_links", 0) for r in rows)
        out["pages"] = len(rows)
        out["pages_all_60"] = sum(r["all"]["reach_60"] == r["all"]["total"] for r in rows)
        return out

    by_lang = defaultdict(list)
    for row in lines:
        by_lang[row["lang"]].append(row)
    return {
        "measured": len(lines),
        "distinct_urls": len({row["url"].split("://", 1)[-1].split("/", 1)[-1] for row in lines}),
        "totals": block(lines),
        "by_language": {lang: block(rows) for lang, rows in sorted(by_lang.items())},
    }


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else os.environ.get("ZHAOXI_TARGETS_REPORT", "")
    if not path or not os.path.exists(path):
        print(
            "no measurements: run the browser tests with ZHAOXI_TARGETS_REPORT=/path.jsonl, then "
            "python bench/elder_targets.py /path.jsonl",
            file=sys.stderr,
        )
        print(json.dumps({"measured": 0}))
        return 0
    with open(path, encoding="utf-8") as source:
        lines = [json.loads(line) for line in source if line.strip()]
    print(json.dumps(summarise(lines), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
