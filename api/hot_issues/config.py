"""What the clustering job reads from configuration: the hot-issue rules, which sources speak
for the city, and the office's vocabulary."""

from __future__ import annotations

from analysis.hotconfig import HotConfig
from analysis.text import USER_DICT, Segmenter, segmenter_for
from api.sources import service as sources
from core.configfile import load_when_changed
from core.settings import Settings


def hot_config(settings: Settings) -> HotConfig:
    """`config/hot_issues.yaml` (clustering, score weights, sensitive terms), re-read when
    the file changes."""
    return load_when_changed(settings.analysis.hot_issues_file, HotConfig.from_file)


def official_sources(settings: Settings) -> frozenset[str]:
    """The sources whose posts are the city's own statements."""
    return sources.official_names(settings)


def segmenter(settings: Settings) -> Segmenter:
    """The segmenter with the office's vocabulary (user dictionary and departments file)."""
    return segmenter_for(USER_DICT, settings.analysis.departments_file)
