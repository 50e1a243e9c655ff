"""The pack contract, checked over every registered pack, and the checklist a new language
must complete (README, "Adding a language"): each item is enforced here."""

from __future__ import annotations

import inspect
import json
import re

import pytest

from pack_it.detectors.facts import Facts
from pack_it.lifecycle.contract import Pack
from pack_it.packs import REGISTRY
from tests.conftest import REPO, SAMPLE_APPS

MEMBERS = REGISTRY.members
LANGUAGES = sorted({m.id for g in REGISTRY.groups for m in g.members if not m.optional})
SNAPSHOTS = REPO / "tests" / "snapshots"


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: m.id)
def test_every_registered_pack_satisfies_the_contract(member):
    pack = member.pack
    assert pack.ID == member.id, "a pack's ID is its module name"
    for name, kind in (("ID", str), ("VERSION", str), ("LOOKS_FOR", str)):
        assert isinstance(getattr(pack, name), kind), name
    assert pack.FACTS is None or (isinstance(pack.FACTS, type) and issubclass(pack.FACTS, Facts))
    assert all(isinstance(k, str) and callable(f) for k, f in pack.RELEASES.items())
    for name in ("detect", "build"):
        expected = list(inspect.signature(getattr(Pack, name)).parameters)[1:]  # without self
        assert list(inspect.signature(getattr(pack, name)).parameters) == expected, name


def test_the_lifecycle_names_no_language():
    """No language, runtime or pack name in the lifecycle's code (data files may name them)."""
    names = {m.id for m in MEMBERS} | {"node", "python", "go", "java", "rust", "bun"}
    pattern = re.compile("|".join(rf"[\"']{re.escape(n)}[\"']" for n in sorted(names)))
    found = []
    for path in sorted((REPO / "lifecycle").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0]
            if pattern.search(code):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert found == []


def test_the_lifecycle_does_not_import_the_packs():
    """The registry is handed to the lifecycle by the CLI: lifecycle/ never imports packs/."""
    found = [f"{p.relative_to(REPO)}" for p in sorted((REPO / "lifecycle").rglob("*.py"))
             if re.search(r"^\s*(from pack_it\.packs\b|from pack_it import packs|import pack_it\.packs)",
                          p.read_text(), re.MULTILINE)]
    assert found == []


def _sample_apps_of(language: str) -> list[str]:
    apps = []
    for snapshot in sorted(SNAPSHOTS.glob("*.json")):
        if json.loads(snapshot.read_text())["language"] == language:
            apps.append(snapshot.stem)
    return apps


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_detector_tests_pack_tests_samples_and_snapshots(language):
    detector_tests = [*(REPO / "tests" / "detectors").glob(f"test_{language}.py"),
                      *(REPO / "tests" / "detectors" / language).glob("test_*.py")]
    assert detector_tests, f"no detector tests for {language}: tests/detectors/{language}/ or test_{language}.py"
    pack_tests = list((REPO / "tests" / "packs" / language).glob("test_*.py"))
    assert pack_tests, f"no pack tests for {language} under tests/packs/{language}/"
    assert (REPO / "tests" / "fixtures" / language).is_dir(), f"no tests/fixtures/{language}/"
    apps = _sample_apps_of(language)
    assert apps, f"no sample app (with a snapshot) builds with the {language} pack"
    for app in apps:
        assert (SAMPLE_APPS / app / "pack-it-test.json").is_file(), f"{app} has no pack-it-test.json"
