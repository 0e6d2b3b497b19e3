"""Values as spreadsheet cells: text that XML can hold, and never a formula.

Every XLSX the product writes (the reports' in `api.reports.documents`, the search export in
`dashboards.export`) puts each value through `cell_value`; the DOCX writer puts its text through
the same character sanitiser, `core.text.valid_text`. Titles and posts come from the public:
openpyxl stores text that starts with "=" as a live formula (``=HYPERLINK(...)`` in a brief
would be a link the reader did not choose), and spreadsheet programs also read "+", "-", "@",
a tab or a carriage return at the start as the beginning of one. Such text gets a leading
apostrophe, as OWASP advises for spreadsheet exports, so it reads as the text it was.
"""

from __future__ import annotations

from typing import Any

from core.text import valid_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_value(value: Any) -> Any:
    """`value` as a cell holds it: text valid for XML and not a formula; other values as given."""
    if not isinstance(value, str):
        return value
    text = valid_text(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
