"""How long one certificate PDF takes per script, and its size (figures only; no target enforced).

    .venv/bin/python -m bench.certificate_pdf [--repeat N]

The first certificate in a process also reads the fonts' character maps (course.pdffonts caches
them); a Han, Hangul or kana name embeds a subset of the large CJK font, which costs most.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from course import certificates, pdffonts

NAMES = {
    "Latin": "Zoë Ó Briain",
    "Cyrillic": "Дмитрий Шостакович",
    "Arabic": "محمد عبد الله",
    "Devanagari": "अनुष्का शर्मा",
    "Han": "王芳 (Wang Fang)",
    "80 Han characters": "王" * 80,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    pdffonts.unprintable("".join(NAMES.values()))
    print(f"first coverage check (reads every font's character map): {time.perf_counter() - started:.2f} s")
    for label, name in NAMES.items():
        cert = certificates.Certificate(
            1, 1, "ABCD" * 6, name, certificates.COURSE_TITLE, 95, datetime(2025, 3, 14, tzinfo=UTC), None
        )
        timings = []
        for _ in range(args.repeat):
            begun = time.perf_counter()
            pdf = certificates.certificate_pdf(cert, "https://course.example.org/verify/ABCD")
            timings.append(time.perf_counter() - begun)
        print(f"{label:>18}: {min(timings) * 1000:7.0f} ms (best of {args.repeat}), {len(pdf) / 1024:5.1f} KiB")


if __name__ == "__main__":
    main()
