"""Time GIFT parsing of hostile files near the import limit (course.gift.MAX_GIFT_BYTES).

    python bench/gift_import.py

Prints, per input, its size, the seconds `parse_gift` took and whether it was read or refused. Each
input targets a pattern that could rescan the text from every position (unclosed markers, a title
never closed, an answer block of separators). Before the linear markers and the answer limit, 20 kB of
unclosed "[tag:" took 5 s and 1 MB did not finish in 5 minutes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course import gift

QUESTION = "::t::Which?{=a#x ~b#y ~c#z}"
INPUTS = {
    "unclosed [tag: markers": "// " + "[tag:" * 190_000 + "\n" + QUESTION,
    "unclosed [id: markers": "// " + "[id:" * 240_000 + "\n" + QUESTION,
    "title never closed": "::" + "x" * 990_000 + "\nWhich?{=a#x ~b#y ~c#z}",
    "answer block of '='": "::t::Which?{" + "=" * 990_000 + "}",
    "escapes everywhere": "::t::Which?{=a" + "\\=" * 490_000 + " ~b ~c}",
    "33,000 small questions": "\n\n".join(QUESTION for _ in range(33_000)),
}


def main() -> None:
    print(f"{'input':26} {'kB':>6} {'seconds':>8}  outcome")
    for name, source in INPUTS.items():
        started = time.perf_counter()
        try:
            outcome = f"read {len(gift.parse_gift(source))} question(s)"
        except gift.GiftError as refused:
            outcome = "refused: " + refused.problems[0][:60]
        seconds = time.perf_counter() - started
        print(f"{name:26} {len(source.encode()) / 1000:6.0f} {seconds:8.2f}  {outcome}")


if __name__ == "__main__":
    main()
