"""Dictionary files that components read at training time and carry inside the model.

Rasa's training cache fingerprints a component by its config only, so an edited
dictionary would be ignored; `fingerprint` hashes the files' contents for
`fingerprint_addon`. `persist` copies the files into model storage so a trained
model never depends on the working tree.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path
from typing import Dict, Iterable, List, Text, Tuple

from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.exceptions import InvalidConfigException

SUFFIXES = (".txt", ".csv", ".tsv")


def expand(paths: Iterable[Text], suffixes: Tuple[Text, ...] = SUFFIXES) -> List[Path]:
    """Files named by `paths`, each a file or a folder of dictionary files, sorted."""
    files: List[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in suffixes))
        elif path.is_file():
            files.append(path)
        else:
            raise InvalidConfigException(f"Dictionary path '{raw}' does not exist.")
    return files


def fingerprint(paths: Iterable[Text], suffixes: Tuple[Text, ...] = SUFFIXES) -> Text:
    """A digest of the names and contents of every dictionary file."""
    digest = hashlib.sha256()
    for path in expand(paths, suffixes):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def persist(files: Iterable[Path], model_storage: ModelStorage, resource: Resource) -> None:
    """Copy `files` flat into the component's resource directory."""
    with model_storage.write_to(resource) as directory:
        for path in files:
            shutil.copy2(path, Path(directory) / path.name)


def read_lexicon(path: Path) -> Dict[Text, Text]:
    """Map every surface form of a lexicon CSV (`name`, `aliases` joined by `|`) to `name`."""
    surfaces: Dict[Text, Text] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "name" not in reader.fieldnames:
            raise InvalidConfigException(f"Lexicon '{path}' needs a 'name' column.")
        for row in reader:
            name = (row.get("name") or "").strip()
            if not name:
                continue
            surfaces[name] = name
            for alias in (row.get("aliases") or "").split("|"):
                if alias.strip():
                    surfaces[alias.strip()] = name
    return surfaces


def read_corrections(path: Path) -> Dict[Text, Text]:
    """Read `wrong<TAB>right` lines; `#` starts a comment."""
    corrections: Dict[Text, Text] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].rstrip("\n")
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0]:
            raise InvalidConfigException(f"{path}:{number}: expected 'wrong<TAB>right'.")
        corrections[parts[0]] = parts[1]
    return corrections
