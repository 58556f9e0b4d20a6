"""Server-side charts: horizontal bar charts as inline SVG (no script, nothing loaded
from other sites), drawn by templates/marketplace/includes/bar_chart.svg.html."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from djmoney.money import Money

from marketplace.templatetags.zhengshe import cny

register = template.Library()

# Geometry in SVG user units; the SVG scales to the width of its container.
LABEL_WIDTH = 220
BAR_WIDTH = 360
VALUE_WIDTH = 160
ROW_HEIGHT = 28
BAR_HEIGHT = 18
PADDING = 8


def _number(value) -> Decimal:
    return value.amount if isinstance(value, Money) else Decimal(value)


def chart_value_text(value) -> str:
    """A bar's value label: money as ¥1,234.00, percentages with a %, counts as they are."""
    if isinstance(value, Money):
        return cny(value)
    if isinstance(value, Decimal):
        return f"{value}%"
    return f"{value:,}"


@register.inclusion_tag("marketplace/includes/bar_chart.svg.html")
def bar_chart(chart):
    """A horizontal bar chart of `chart.rows` (label, value attribute `chart.value`), with
    a value label on every bar; `chart.slug`, `title` and `description` make it accessible."""
    values = [_number(getattr(row, chart.value)) for row in chart.rows]
    largest = max(values, default=Decimal(0))
    bars = []
    for position, (row, value) in enumerate(zip(chart.rows, values, strict=True)):
        width = (value * BAR_WIDTH / largest) if largest > 0 else Decimal(0)
        width = width.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        y = PADDING + position * ROW_HEIGHT
        bars.append(
            {
                "label": row.label,
                "value": chart_value_text(getattr(row, chart.value)),
                "y": y,
                "text_y": y + BAR_HEIGHT // 2,
                "width": width,
                "value_x": LABEL_WIDTH + width + PADDING,
            }
        )
    return {
        "chart": chart,
        "bars": bars,
        "width": LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH,
        "height": PADDING * 2 + max(len(bars), 1) * ROW_HEIGHT,
        "label_x": LABEL_WIDTH - PADDING,
        "bar_x": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
    }
