"""The portal's standing pages (results, news, policy, the two directories): their titles,
slugs and first content, shared by the data migration and `cms.site_pages` so both create
the same tree. Plain data only: migrations import this module."""

POLICY_INTRO = "政府购买社会组织服务所依据的法律法规、政策文件和解读。"
POLICY_BODY = [
    ("heading", "本栏目收录什么"),
    (
        "paragraph",
        "<p>政府向社会组织购买服务，以《中华人民共和国政府采购法》及其实施条例、"
        "《政府购买服务管理办法》（财政部令第102号）为基本依据，并遵循民政部门关于"
        "社区治理、社会组织培育发展的政策。本栏目刊登这些文件的要点和面向居民、"
        "社会组织、街道社区工作人员的通俗解读。</p>",
    ),
]

TWO_LISTS_TITLE = "社区“两张清单”与费随事转"
TWO_LISTS_INTRO = (
    "居（村）民委员会依法履行职责事项清单和协助政府工作事项清单是什么、怎么用，"
    "以及清单之外的工作为什么要“费随事转”。"
)
TWO_LISTS_BODY = [
    ("heading", "为什么要有两张清单"),
    (
        "paragraph",
        "<p>居民委员会、村民委员会是基层群众性自治组织，不是一级政府，也不是政府部门的"
        "派出机构。长期以来，各部门把大量行政事务层层压到社区，台账、报表、证明、检查"
        "挤占了社区服务居民的时间。为给社区减负、让自治组织回归自治本位，各地按照中央"
        "关于加强基层治理体系和治理能力现代化建设的要求，由民政部门会同有关部门编制"
        "两张清单，并向社会公开。</p>",
    ),
    ("heading", "自治组织依法履行职责事项清单"),
    (
        "paragraph",
        "<p>第一张清单列明居（村）民委员会依照《中华人民共和国城市居民委员会组织法》"
        "《中华人民共和国村民委员会组织法》等法律法规自己应当做的事，例如：召集居民会议、"
        "推进居务公开和民主协商，办理本居住地区居民的公共事务和公益事业，调解民间纠纷，"
        "协助维护社会治安，向政府反映居民的意见、要求和建议等。这些是自治组织的本职，"
        "由社区自主组织居民完成。</p>",
    ),
    ("heading", "协助政府工作事项清单"),
    (
        "paragraph",
        "<p>第二张清单列明法律法规规定居（村）民委员会应当协助政府及其部门开展的工作，"
        "例如：社会救助对象的走访和信息核实、人口和计划生育相关服务、退役军人服务、"
        "公共卫生和防灾减灾宣传等。清单写明每一项的依据、负责的政府部门和协助的方式。"
        "清单之外，政府部门不得随意把工作交给社区，也不得把社区当作考核对象"
        "层层下达指标。</p>",
    ),
    ("heading", "费随事转：清单之外的工作怎么办"),
    (
        "paragraph",
        "<p>确需社区承担清单以外的工作时，应当按照“权随责走、费随事转”的原则，"
        "由提出工作的部门提供相应的经费和工作条件。常见做法是由街道或部门作为购买主体，"
        "通过政府购买服务交给有能力的社会组织承接，或者向社区拨付专项工作经费，"
        "而不是让社区无偿承担。</p>"
        "<p>在政社通上，购买主体发布项目时要说明项目依据的是哪一张清单或指导性目录中的"
        "哪一项；社会组织中标后按合同节点履约、验收、付款，结果向社会公开，"
        "居民可以看到钱花在了哪里、事情办得怎么样，并对项目留下评价。</p>",
    ),
    ("heading", "居民和社会组织可以做什么"),
    (
        "paragraph",
        "<p>居民发现社区被要求承担清单以外且没有经费保障的工作，可以向街道或区民政部门反映。"
        "社会组织可以在“两张清单”页面和服务目录中了解哪些事项适合通过购买服务承接，"
        "提前准备专业能力和服务方案。</p>",
    ),
]

RESULTS_INTRO = "已完成的政府购买服务项目：谁买了什么服务、花了多少钱、做得怎么样。"
NEWS_INTRO = "平台动态、政策发布和项目故事。"

# (model name, slug, title, show_in_menus, fields) in menu order; the policy page's child
# follows separately because it is the only nested one.
SITE_PAGES = [
    ("resultindexpage", "results", "项目成果", True, {"intro": f"<p>{RESULTS_INTRO}</p>"}),
    ("newsindexpage", "news", "新闻动态", True, {"intro": f"<p>{NEWS_INTRO}</p>"}),
    (
        "policypage",
        "policy",
        "政策法规",
        True,
        {"intro": POLICY_INTRO, "body": POLICY_BODY},
    ),
    # The directories keep their fixed marketplace links in the header, so not in menus.
    ("organisationindexpage", "organisations", "社会组织", False, {"intro": ""}),
    ("buyerindexpage", "buyers", "购买主体", False, {"intro": ""}),
]
POLICY_CHILD = (
    "policypage",
    "two-lists",
    TWO_LISTS_TITLE,
    False,
    {"intro": TWO_LISTS_INTRO, "body": TWO_LISTS_BODY},
)


def stream(items):
    """StreamField raw data from (block type, value) pairs."""
    return [{"type": kind, "value": value} for kind, value in items]
