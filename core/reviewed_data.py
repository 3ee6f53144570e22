"""Labelled inbox examples as Rasa NLU training data: data/reviewed/<intent>.yml, one file per intent.

Writing them is an explicit step (`python -m core.reviewed_data`), never a side
effect of labelling in the console: a file under data/ changes the training
data, and the live model must change only through a training someone started.
Each file is rewritten whole from the database, so it is the same bytes for
the same examples and its history in version control reads as the labelling.

python -m core.reviewed_data [--dir data/reviewed]
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from sqlalchemy.orm import Session

from core import review, training_gate
from core.services import Services
from core.settings import PROJECT_ROOT, Settings

REVIEWED_DIR = PROJECT_ROOT / "data" / "reviewed"
INTENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Rasa reads `[text](entity)` in an example as an annotated entity; a rider's brackets are only text.
LITERAL = str.maketrans({"[": "［", "]": "］", "\n": " ", "\r": " "})


def nlu_yaml(intent: str, texts: Sequence[str]) -> str:
    """One intent's examples in Rasa's NLU YAML format (version 3.1)."""
    if not INTENT_NAME.fullmatch(intent):
        raise ValueError(f"not an intent name: {intent!r}")
    lines = [f"    - {' '.join(text.translate(LITERAL).split())}" for text in texts]
    body = "\n".join(dict.fromkeys(line for line in lines if line.strip() != "-"))
    return f'version: "3.1"\nnlu:\n- intent: {intent}\n  examples: |\n{body}\n'


def files(session: Session) -> Dict[str, str]:
    """File name → contents for every intent that has labelled examples outside the held-out share."""
    by_intent: Dict[str, List[str]] = defaultdict(list)
    for example in review.labelled(session):
        if not training_gate.is_held_out(example.text):  # the frozen evaluation set: never trained on
            by_intent[example.intent].append(example.text)
    return {f"{intent}.yml": nlu_yaml(intent, texts) for intent, texts in sorted(by_intent.items())}


def write(session: Session, folder: Path = REVIEWED_DIR) -> List[Path]:
    """Write the files; returns the paths written (files of intents with no examples left are kept)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files(session).items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.reviewed_data", description=__doc__)
    parser.add_argument("--dir", type=Path, default=REVIEWED_DIR)
    args = parser.parse_args(argv)
    services = Services.from_settings(Settings.from_env())
    try:
        for path in services.read(lambda s: write(s, args.dir)):
            print(path)
    finally:
        services.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
