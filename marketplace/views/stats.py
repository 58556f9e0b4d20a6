"""The public statistics page (/statistics/): each chart as inline SVG, followed by its
table and a CSV download of the same figures (/statistics/<chart>.csv).

A chart is defined once (`_charts`): the selector rows, the value drawn as bars and the
columns; the HTML table and the CSV are both made from those columns."""

import csv
import re
from dataclasses import dataclass, field

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from djmoney.money import Money

from marketplace import pagecache
from marketplace.selectors.stats import (
    bids_per_tender,
    contracted_totals,
    payment_day_labels,
    payment_punctuality,
)
from marketplace.templatetags.charts import chart_value_text

YEAR_FILTERED = ("amount-by-category", "amount-by-district")
BUYER_CHART_LIMIT = 20  # buyers drawn on the page; the CSV has them all
YEAR = re.compile(r"\d{4}", re.ASCII)
CHART_SLUGS = (
    "amount-by-category",
    "amount-by-district",
    "amount-by-year",
    "bids-per-tender",
    "payment-days",
    "buyer-punctuality",
)


@dataclass(frozen=True)
class Column:
    header: str
    value: object  # row -> cell value (str, int, Decimal percent or Money)
    numeric: bool = True


@dataclass
class Chart:
    slug: str
    title: str
    description: str
    rows: list
    value: str  # the row attribute drawn as bars
    columns: list[Column]
    csv_rows: list = field(default_factory=list)  # rows of the CSV when not `rows`

    def table(self):
        """The table under the chart: (text, numeric) cells, money as ¥1,234.00."""
        return [
            [(_cell_text(column.value(row)), column.numeric) for column in self.columns]
            for row in self.rows
        ]


def _cell_text(value) -> str:
    return value if isinstance(value, str) else chart_value_text(value)


def _csv_text(value) -> str:
    """Plain figures for spreadsheets: amounts as 1234.50, percentages without %."""
    if isinstance(value, Money):
        return f"{value.amount:.2f}"
    return str(value)


def _year_label(year) -> str:
    return _("%(year)s年") % {"year": year} if year else _("全部年份")


def _amount_chart(slug, title, description, rows, leading_columns):
    return Chart(
        slug=slug,
        title=title,
        description=description,
        rows=rows,
        value="amount",
        columns=[
            *leading_columns,
            Column(_("合同数"), lambda row: row.contracts),
            Column(_("合同金额（元）"), lambda row: row.amount),
        ],
    )


def _ranked_amounts(rows) -> str:
    return _("横向条形图，共%(count)s项，按合同金额从大到小排列；数据见下表。") % {
        "count": len(rows)
    }


def _key_and_label(key_header, label_header):
    return [
        Column(key_header, lambda row: row.key, numeric=False),
        Column(label_header, lambda row: row.label, numeric=False),
    ]


def _charts(slugs, *, year=None) -> dict[str, Chart]:
    """The charts named in `slugs`, each from its selector (called once per page)."""
    charts = {}
    if {"amount-by-category", "amount-by-district", "amount-by-year"} & set(slugs):
        contracted = contracted_totals()  # one query for the three money charts
    if "amount-by-category" in slugs:
        rows = contracted.by_category(year)
        charts["amount-by-category"] = _amount_chart(
            "amount-by-category",
            _("按服务类目统计的合同金额（%(year)s）") % {"year": _year_label(year)},
            _ranked_amounts(rows),
            rows,
            _key_and_label(_("类目编码"), _("服务类目")),
        )
    if "amount-by-district" in slugs:
        rows = contracted.by_district(year)
        charts["amount-by-district"] = _amount_chart(
            "amount-by-district",
            _("按县区统计的合同金额（%(year)s）") % {"year": _year_label(year)},
            _ranked_amounts(rows),
            rows,
            _key_and_label(_("行政区划代码"), _("县区")),
        )
    if "amount-by-year" in slugs:
        rows = contracted.by_year()
        charts["amount-by-year"] = _amount_chart(
            "amount-by-year",
            _("历年合同金额"),
            _("横向条形图，按签订年度列出合同金额，共%(count)s年；数据见下表。")
            % {"count": len(rows)},
            rows,
            [Column(_("签订年度"), lambda row: row.key, numeric=False)],
        )
    if "bids-per-tender" in slugs:
        charts["bids-per-tender"] = Chart(
            slug="bids-per-tender",
            title=_("每个项目收到的有效投标数"),
            description=_(
                "横向条形图：投标截止后已截止、开标、评审、公告结果或流标的项目中，"
                "收到0至5份及以上有效投标的项目数。投标中的项目不计入。"
            ),
            rows=bids_per_tender(),
            value="count",
            columns=[
                Column(_("有效投标数"), lambda row: row.label, numeric=False),
                Column(_("项目数"), lambda row: row.count),
            ],
        )
    if {"payment-days", "buyer-punctuality"} & set(slugs):
        punctuality = payment_punctuality()
    if "payment-days" in slugs:
        charts["payment-days"] = Chart(
            slug="payment-days",
            title=_("验收至付款到账的天数"),
            description=_(
                "横向条形图：全部已到账付款按验收后付款天数分组的笔数。"
                "《保障中小企业款项支付条例》要求30日内付款。"
            ),
            rows=punctuality.distribution,
            value="count",
            columns=[
                Column(_("付款天数"), lambda row: row.label, numeric=False),
                Column(_("支付笔数"), lambda row: row.count),
            ],
        )
    if "buyer-punctuality" in slugs:
        bucket_columns = [
            Column(label, lambda row, i=i: row.buckets[i])
            for i, label in enumerate(payment_day_labels())
        ]
        shown = punctuality.buyers[:BUYER_CHART_LIMIT]
        charts["buyer-punctuality"] = Chart(
            slug="buyer-punctuality",
            title=_("各购买主体30日内付款比例"),
            description=_(
                "横向条形图：已到账付款最多的%(count)s个购买主体在验收后30日内付款的比例；"
                "全部购买主体见CSV。"
            )
            % {"count": len(shown)},
            rows=shown,
            csv_rows=punctuality.buyers,
            value="on_time_percent",
            columns=[
                Column(_("购买主体"), lambda row: row.name, numeric=False),
                Column(_("支付笔数"), lambda row: row.paid_count),
                *bucket_columns,
                Column(_("30日内付款比例（%）"), lambda row: row.on_time_percent),
            ],
        )
    return charts


def _year(request) -> int | None:
    """?year= as a signing year, None when absent; ValueError when it is not a year."""
    raw = request.GET.get("year", "").strip()
    if not raw:
        return None
    if not YEAR.fullmatch(raw):
        raise ValueError(raw)
    return int(raw)


@pagecache.public_page("statistics")
def statistics(request):
    """All charts; ?year= limits the category and district charts to one signing year."""
    year_error = False
    try:
        year = _year(request)
    except ValueError:
        year, year_error = None, True
    charts = _charts(CHART_SLUGS, year=year)
    return render(
        request,
        "marketplace/statistics.html",
        {
            "charts": [charts[slug] for slug in CHART_SLUGS],
            "year": year,
            "year_error": year_error,
            "years": [row.key for row in charts["amount-by-year"].rows],
        },
    )


def statistics_csv(request, chart):
    """One chart's figures as CSV (UTF-8 with BOM for Excel), headers in the reader's
    language; an unknown chart is 404, a ?year= that is not a year 400."""
    if chart not in CHART_SLUGS:
        raise Http404(chart)
    try:
        year = _year(request)
    except ValueError:
        return HttpResponseBadRequest(
            _("年份无效：请填写四位数字的年份，例如2025。"),
            content_type="text/plain; charset=utf-8",
        )
    spec = _charts([chart], year=year)[chart]
    suffix = f"-{year}" if year and chart in YEAR_FILTERED else ""
    filename = f"statistics-{chart}{suffix}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([column.header for column in spec.columns])
    for row in spec.csv_rows or spec.rows:
        writer.writerow([_csv_text(column.value(row)) for column in spec.columns])
    return response
