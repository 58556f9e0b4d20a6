"""Demo portal content (after load_demo_data): two news items, and two of the result pages
drafted when the demo contracts completed, published with a story and a photo. Idempotent:
what exists is kept."""

import io
import random

from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images.models import Image

from cms.models import NewsIndexPage, NewsPage, ResultPage
from cms.services import result_page_create_draft
from cms.site_pages import ensure_site_pages
from marketplace.selectors.results import result_contracts

NEWS = [
    (
        "results-published",
        "首批政府购买服务项目成果向社会公开",
        "已完成的服务合同自动生成成果页，编辑补充项目故事和照片后发布。",
        "<p>平台上线“项目成果”栏目。每个服务合同完成后，系统自动生成成果页草稿，"
        "合同金额、履约节点、绩效指标完成情况、服务人次和双向评估结果均实时读取平台数据，"
        "编辑只需补充项目故事和现场照片。</p>",
    ),
    (
        "two-lists-training",
        "街道社区“两张清单”专题培训举行",
        "民政局就依法履职事项清单和协助政府工作事项清单的使用开展培训。",
        "<p>区民政局组织各街道、社区工作人员学习两张清单，明确清单之外的事项应当"
        "费随事转，通过政府购买服务交由社会组织承接。</p>",
    ),
]
PHOTO_TITLE = "演示：社区助老服务现场"
PHOTO_ALT = "社工在社区活动室为老人测量血压"
RESULTS_TO_PUBLISH = 2


def demo_photo() -> Image:
    """A generated picture (warm background, simple shapes), uploaded once."""
    existing = Image.objects.filter(title=PHOTO_TITLE).first()
    if existing:
        return existing
    picture = PILImage.new("RGB", (960, 540), (246, 226, 200))
    draw = ImageDraw.Draw(picture)
    rng = random.Random(7)  # noqa: S311 - the same picture on every run, not a secret
    for _ in range(12):
        x, y, r = rng.randint(60, 900), rng.randint(60, 480), rng.randint(20, 70)
        colour = (rng.randint(150, 230), rng.randint(90, 160), rng.randint(40, 110))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    draw.rectangle((0, 430, 960, 540), fill=(120, 150, 110))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    return Image.objects.create(title=PHOTO_TITLE, file=ImageFile(buffer, name="demo-result.jpg"))


class Command(BaseCommand):
    help = "加载门户演示内容：新闻两条，发布两个项目成果页（含故事和图片）。可重复运行。"

    def handle(self, *args, **options):
        self.stdout.write("门户页面…")
        pages = ensure_site_pages()
        self.news(pages["news"])
        self.results()
        self.stdout.write(self.style.SUCCESS("门户演示内容已就绪。"))

    def news(self, index: NewsIndexPage):
        self.stdout.write("新闻动态…")
        for slug, title, intro, text in NEWS:
            if index.get_children().filter(slug=slug).exists():
                self.stdout.write(f"  已有：{title}")
                continue
            page = NewsPage(
                title=title, slug=slug, intro=intro, body=[{"type": "paragraph", "value": text}]
            )
            index.add_child(instance=page)
            page.save_revision().publish()
            self.stdout.write(f"  新增：{title}")

    def results(self):
        self.stdout.write("项目成果…")
        # Completed demo contracts got their draft from the completion event; any loaded
        # without it get one now.
        for contract in result_contracts().filter(result_page__isnull=True).order_by("pk"):
            result_page_create_draft(contract=contract)
        live = ResultPage.objects.live().count()
        if live >= RESULTS_TO_PUBLISH:
            self.stdout.write(f"  已发布 {live} 个，跳过")
            return
        photo = demo_photo()
        for page in ResultPage.objects.filter(live=False).order_by("pk")[
            : RESULTS_TO_PUBLISH - live
        ]:
            page.cover_image, page.cover_alt = photo, PHOTO_ALT
            page.story = [
                {"type": "heading", "value": "项目故事"},
                {
                    "type": "paragraph",
                    "value": "<p>社工每周两次上门，为独居和失能老人提供助餐、助洁和健康监测，"
                    "并组织邻里志愿者结对探访。项目结束时，服务对象满意度明显提升。</p>",
                },
                {
                    "type": "photo",
                    "value": {"image": photo.pk, "alt": PHOTO_ALT, "caption": "健康监测服务"},
                },
            ]
            page.save_revision().publish()
            self.stdout.write(f"  已发布：{page.title}")
