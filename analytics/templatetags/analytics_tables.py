"""A chart's numbers as table rows, written in one pass: a year of days by source is thousands
of cells, and rendering each through the template engine cost most of the page's time."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def table_rows(rows, columns: int) -> SafeString:
    """`<tr><td>…</td></tr>` for each row (None shows as "—"), or one "No data yet." row."""
    if not rows:
        return mark_safe(  # noqa: S308 - constant markup
            f'<tr><td colspan="{int(columns)}" class="muted">No data yet.</td></tr>'
        )
    return mark_safe(  # noqa: S308 - every cell is escaped
        "".join(
            "<tr>"
            + "".join(
                f"<td>{'—' if cell is None else conditional_escape(cell)}</td>" for cell in row
            )
            + "</tr>"
            for row in rows
        )
    )
