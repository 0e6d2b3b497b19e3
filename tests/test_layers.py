"""The layers of ../shared/DESIGN.md, checked by the import-linter contracts in pyproject.toml:
imports point one way, `yuqing` -> `dashboards` -> `api` -> `crawler` | `analysis` -> `store`
-> `core`; the pages never touch the stores or SQL themselves."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "store", "analysis", "crawler", "api", "dashboards", "yuqing")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """import-linter over the packages under `root`, with the contracts of its pyproject."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_contract_holds() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 2 kept, 0 broken." in done.stdout


@pytest.fixture
def copy_of_the_code(tmp_path: Path) -> Path:
    """The packages and the contracts, copied where a test may break them."""
    ignore = shutil.ignore_patterns("__pycache__", "node_modules", "static", "templates")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # the store reaching up into the tracker API
        ("store/probe.py", "from api.database import Base\n", "Layers"),
        # the crawler recording runs through the API instead of its RunRecorder protocol
        ("crawler/probe.py", "from api.sources import service\n", "Layers"),
        # analysis and the crawler are independent of each other
        ("analysis/probe.py", "from crawler.pipeline import prepare\n", "Layers"),
        # the kernel imports nothing of ours
        ("core/probe.py", "from store.models import Post\n", "Layers"),
        # a page running its own SQL
        ("dashboards/probe.py", "from sqlalchemy import select\n", "The pages"),
    ],
)
def test_a_wrong_way_import_breaks_a_contract(
    copy_of_the_code: Path, module: str, line: str, contract: str
) -> None:
    (copy_of_the_code / module).write_text(f'"""A wrong-way import."""\n\n{line}')
    done = lint_imports(copy_of_the_code)
    assert done.returncode == 1, done.stdout
    name = module.removesuffix(".py").replace("/", ".")
    assert f"{name} -> " in done.stdout
    broken = done.stdout.split("Broken contracts")[1]
    assert contract in broken
