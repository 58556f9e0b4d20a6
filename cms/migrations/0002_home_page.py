from django.db import migrations

INTRO = (
    "<p>政社通是政府向社会组织购买服务的公开平台。街道、民政局等购买主体在这里发布服务项目，"
    "社会组织在线申报、签约、按节点报告并获得付款，双方相互评价，结果向社会公开。</p>"
)
BODY = [
    ("heading", "政府购买服务怎么做"),
    (
        "paragraph",
        "<ol><li>购买主体依据指导性目录和协助政府工作事项清单发布项目，明确预算、资格和评分标准；</li>"
        "<li>社会组织在截止前密封申报，截止后统一开标，由评审专家打分；</li>"
        "<li>中标结果公示，公示期满无质疑后签订服务合同，费随事转；</li>"
        "<li>按履约节点验收付款，项目结束后双向评估，成果向社会公开。</li></ol>",
    ),
]


def create_home(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    Site = apps.get_model("wagtailcore", "Site")
    HomePage = apps.get_model("cms", "HomePage")
    Locale = apps.get_model("wagtailcore", "Locale")

    # Replace Wagtail's placeholder welcome page (created by its own migrations) if present.
    Page.objects.filter(depth=2, slug="home", content_type__model="page").delete()
    root = Page.objects.get(depth=1)
    content_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="cms")
    locale = Locale.objects.first()
    home = HomePage.objects.create(
        title="政社通 — 政府购买社会组织服务平台",
        draft_title="政社通 — 政府购买社会组织服务平台",
        slug="home",
        content_type=content_type,
        path=f"{root.path}0001",
        depth=2,
        numchild=0,
        url_path="/home/",
        locale=locale,
        intro=INTRO,
        body=[{"type": kind, "value": value} for kind, value in BODY],
        live=True,
        has_unpublished_changes=False,
    )
    root.numchild = Page.objects.filter(depth=2).count()
    root.save(update_fields=["numchild"])
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "政社通"},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_home, migrations.RunPython.noop)]
