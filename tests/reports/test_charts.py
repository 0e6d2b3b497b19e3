"""Chart images: PNG, every Chinese label drawn in the shipped Noto Sans SC (matplotlib warns
for each glyph it cannot find, so no warning means no empty boxes), and a clear error when the
font was never installed."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from PIL import Image

from api.reports import charts
from core.errors import ConfigError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def rendered(make) -> Image.Image:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph fails the test
        png = make()
    assert png.startswith(PNG_MAGIC)
    return Image.open(io.BytesIO(png))


def test_a_chinese_label_without_the_font_is_caught() -> None:
    """The check the tests below rely on: a glyph missing from the font raises a warning."""
    figure = Figure()
    figure.add_subplot().set_title("情绪走势", fontfamily="DejaVu Sans")
    with pytest.warns(UserWarning, match="missing from font"):
        figure.savefig(io.BytesIO(), format="png")


def test_each_chart_is_a_png_with_every_chinese_glyph() -> None:
    hourly = rendered(lambda: charts.hourly_volume(list(range(24)), title="当日分时声量"))
    trend = rendered(
        lambda: charts.sentiment_trend(
            ["9月4日", "9月5日"], [3, 0], [1, 0], [2, 0], title="近7日情绪走势"
        )
    )
    scores = rendered(
        lambda: charts.department_scores(
            ["市水务局", "市住建局", "滨湖区人民政府"], [88.5, 40.0, 0.0], title="各部门综合得分"
        )
    )
    for image in (hourly, trend, scores):
        assert image.format == "PNG" and image.width == round(6.4 * charts.DPI)
    # a bar per department: the figure grows with their number
    many = rendered(
        lambda: charts.department_scores([f"部门{n}" for n in range(12)], [50.0] * 12, title="得分")
    )
    assert many.height > scores.height


def test_the_font_files_are_registered_under_their_family() -> None:
    assert charts.chinese_font() == "Noto Sans SC"


def test_a_missing_font_names_the_command_that_installs_it(tmp_path: Path) -> None:
    (tmp_path / charts.FONT_FILES[0]).write_bytes(b"")  # the bold file is missing
    with pytest.raises(ConfigError, match="make install") as caught:
        charts.chinese_font(tmp_path)
    assert charts.FONT_FILES[1] in str(caught.value)
