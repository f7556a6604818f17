"""The fault drill from eval/faults.py, run as a test: kill -9 of the server in the middle of a re-index."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from assistant.settings import PROJECT_ROOT, Settings


def _drills() -> ModuleType:
    sys.path.insert(0, str(PROJECT_ROOT / "eval"))
    spec = importlib.util.spec_from_file_location("faults_drill", PROJECT_ROOT / "eval" / "faults.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_kill_9_during_reindex_keeps_the_old_index_and_every_conversation(
    real_settings: Settings, tmp_path: Path
) -> None:
    result = _drills().kill_during_reindex(tmp_path, sections=60)
    assert result["serving_build_unchanged"], result
    assert result["conversations_kept"] == "3/3"
    assert result["follow_up_status"] == 200
    assert result["upload_pending_after_restart"] == ["drill.md"]  # the upload survived; it was not yet indexed
    assert result["reindex_after_restart"] == "done"
    # Vectors written before the kill are reused: the second run embeds fewer than the document's 61 sections.
    assert result["embedded_after_restart"] < 61
    assert result["new_document_found"]
