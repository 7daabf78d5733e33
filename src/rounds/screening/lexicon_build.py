"""Rebuild ``data/common_words.txt``: lower-case words that are ordinary vocabulary in tweets.

The list keeps the name recognizer from reading "Will", "Hope" or "Grace" at the start of a sentence as a
name when nothing else says it is one. It is derived from the Broad Twitter Corpus training sections (CC BY 4.0,
Derczynski et al. 2016): a word counts as common when it occurs at least ``MIN_COUNT`` times written in
lower case and tagged outside any entity. Run from the repository root:

    python -m rounds.screening.lexicon_build ../shared/data/ner_social/btc
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

MIN_COUNT = 3
OUTPUT = Path(__file__).parent / "data" / "common_words.txt"


def build(btc_folder: Path) -> list[str]:
    counts: collections.Counter[str] = collections.Counter()
    for path in sorted(btc_folder.glob("*.conll")):
        for line in path.read_text(encoding="utf-8").splitlines():
            token, _, tag = line.partition("\t")
            if tag.strip() == "O" and token.isalpha() and token.islower() and len(token) > 1:
                counts[token] += 1
    return sorted(word for word, count in counts.items() if count >= MIN_COUNT)


def main(argv: list[str]) -> int:
    folder = Path(argv[0] if argv else "../shared/data/ner_social/btc")
    words = build(folder)
    header = (
        "# Common lower-case words from the Broad Twitter Corpus A/B/E/G (CC BY 4.0); see lexicon_build.py\n"
    )
    OUTPUT.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"wrote {len(words)} words to {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
