"""Building the checker from the bundled rulebook and the corpus, and parsing profiles from files."""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from assistant.corpus.catalog import load_catalog
from assistant.eligibility.checker import EligibilityChecker
from assistant.eligibility.models import Profile
from assistant.eligibility.rulebook import default_rulebook
from assistant.errors import InputError


@lru_cache(maxsize=4)
def checker_for(corpus_dir: Path) -> EligibilityChecker:
    return EligibilityChecker(default_rulebook(), load_catalog(corpus_dir))


def describe_validation_error(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item.get("loc", ())) or "profile"
        parts.append(f"{where}: {item.get('msg', 'invalid value')}")
    return "; ".join(parts)


def parse_profile(data: Any) -> Profile:
    if not isinstance(data, dict):
        raise InputError("profile: expected a mapping of fields to values")
    try:
        return Profile.model_validate(data)
    except ValidationError as error:
        raise InputError(describe_validation_error(error)) from error


def read_profile(path: Path) -> Profile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or error})") from error
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
        raise InputError(f"{path}: not valid {kind} ({str(error).splitlines()[0]})") from error
    if isinstance(data, dict) and set(data) <= {"profile", "as_of"} and "profile" in data:
        data = data["profile"]
    return parse_profile(data)


def parse_as_of(value: str | None, today: dt.date) -> dt.date:
    if value is None:
        return today
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise InputError(f"as_of: {value!r} is not a date in YYYY-MM-DD form") from error
