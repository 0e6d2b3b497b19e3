"""The worked examples of the README's "Sources and crawling" validate as a sources file: the
documentation cannot name a key the product does not know."""

from __future__ import annotations

import re
from pathlib import Path

from core.settings import PROJECT_ROOT
from crawler.sources import load_sources


def test_the_readme_s_worked_examples_are_a_valid_sources_file(tmp_path: Path) -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Sources and crawling", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
    path = tmp_path / "sources.yaml"
    path.write_text(block, encoding="utf-8")
    sources = load_sources(path)
    assert {source.kind for source in sources.values()} == {
        "news",
        "microblog",
        "board",
        "hotline",
    }
    kinds = {name: type(source).__name__ for name, source in sources.items()}
    assert len(kinds) == 5
