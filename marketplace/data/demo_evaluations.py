"""Demo expert pool (专家库) and the evaluations `load_demo_data` runs on the opened demo
tenders. Names, employers and scores are invented; the scores are drawn from a fixed seed so
every load gives the same results."""

# email local part, name, title, employer, categories, regions ("320000": the whole province)
EXPERTS = [
    ("wang.lihua", "王丽华", "教授", "南京大学社会学院", ["01", "07"], ["320000"]),
    ("chen.jianguo", "陈建国", "副教授", "苏州大学社会学院", ["01", "02", "07"], ["320500"]),
    ("zhang.min", "张敏", "高级社会工作师", "苏州市社会工作者协会", ["01", "03", "07"], ["320500"]),
    ("li.hong", "李红", "副研究员", "江苏省社会科学院", ["03", "06", "08"], ["320000"]),
    (
        "zhao.qiang",
        "赵强",
        "注册会计师",
        "江苏苏瑞会计师事务所",
        ["01", "02", "03", "04", "05", "06", "07", "08"],
        ["320000"],
    ),
    ("sun.yue", "孙悦", "副教授", "南京师范大学社会发展学院", ["03", "05", "06"], ["320000"]),
    ("zhou.bin", "周斌", "律师", "江苏法德永衡律师事务所", ["04", "05", "06"], ["320000"]),
    (
        "wu.xiaoyan",
        "吴晓燕",
        "高级社会工作师",
        "太仓市社会工作协会",
        ["01", "03", "06", "08"],
        ["320585"],
    ),
    ("xu.ming", "徐明", "主任医师", "苏州市广济医院", ["02", "04"], ["320500"]),
    ("ma.li", "马丽", "副教授", "江苏师范大学法学院", ["04", "05"], ["320300"]),
    ("hu.jun", "胡军", "高级经济师", "南京市社会组织促进会", ["06", "07", "08"], ["320100"]),
    ("guo.ping", "郭萍", "教授", "南通大学公共管理学院", ["02", "05", "06"], ["320600"]),
    (
        "he.wei",
        "何伟",
        "社会工作师",
        "苏州工业园区社会组织服务中心",
        ["01", "03", "06", "08"],
        ["320500"],
    ),
    ("lin.fang", "林芳", "副主任医师", "太仓市第一人民医院", ["01", "02"], ["320585"]),
    (
        "luo.tao",
        "罗涛",
        "审计师",
        "江苏公证天业会计师事务所",
        ["01", "02", "03", "04", "05", "06", "07", "08"],
        ["320000"],
    ),
    (
        "zheng.hui",
        "郑慧",
        "教授",
        "苏州科技大学社会发展与公共管理学院",
        ["03", "06", "07", "08"],
        ["320000"],
    ),
    ("liang.yu", "梁雨", "高级社会工作师", "无锡市社会工作协会", ["01", "03", "07"], ["320200"]),
    (
        "song.jie",
        "宋杰",
        "副研究员",
        "江苏省民政厅政策研究中心",
        ["01", "02", "03", "04", "05", "06", "07", "08"],
        ["320000"],
    ),
]

# What happens to opened demo tenders, by title. Every outcome runs the whole evaluation
# through the services: panel (drawn, or named where the method allows), declarations,
# scores, report, confirmations; then:
# - "awarded":  award to the recommended bid; the notice period has already ended, so the
#               award may go to contract;
# - "notice":   award, still in its notice period, with an objection answered (dismissed);
# - "upheld":   award, an objection upheld (重新评审): the tender is back in evaluation;
# - "scoring":  panel named, most experts have scored, the demo expert has yet to declare;
# - "round":    the 公益创投 round: 初审, 答辩 schedule, scores, funding from the pool; the
#               funded list's notice period has ended.
# `recuse`: the first drawn expert declares a conflict with the first bidder and a
# replacement is drawn.
EVALUATIONS = [
    {"title": "太仓市2026年度社工站（室）运营服务项目", "outcome": "awarded"},
    {"title": "姑苏区困境儿童关爱保护服务项目", "outcome": "awarded", "recuse": True},
    {"title": "鼓楼区残疾人托养照料服务（单一来源）", "outcome": "awarded"},
    {"title": "2026年太仓市公益创投大赛组织实施服务项目", "outcome": "notice"},
    {"title": "城厢镇居家养老上门服务项目（2027年度）", "outcome": "upheld"},
    {
        "title": "沙溪镇社区社会组织孵化培育服务项目",
        "outcome": "scoring",
        "named": ["li.hong", "zhao.qiang", "expert"],
    },
    {"title": "2026年苏州市公益创投大赛项目征集", "outcome": "round"},
]

OBJECTION_GROUNDS = (
    "中标人拟派项目团队中持证社工人数少于招标文件要求的3名，评审时未按无效投标处理，"
    "请求复核其投标文件。"
)
OBJECTION_DISMISSED = (
    "经复核，中标人投标文件附有3名持证社工的证书及社保缴纳证明，符合招标文件要求，"
    "评审小组评审程序合法。质疑不成立，维持原中标结果。"
)
OBJECTION_UPHELD = (
    "经复核，评审小组对“服务方案”一项的评分存在计分错误，质疑成立。"
    "依法组织原评审小组重新评审，原中标结果撤销。"
)
# 初审 failures in the round: (position among the proposals, reason).
ROUND_FAILS = [
    (3, "申报材料不完整：缺少项目预算明细表。"),
    (11, "申报项目属于机构日常运营经费，不属于公益创投资助范围。"),
    (19, "申报单位近两年年检结论为“基本合格”，不符合申报条件。"),
]
ROUND_PLACE = "苏州市社会组织服务中心一楼路演厅"
# A funded proposal the panel asked to scale down: (position in the ranking, share kept).
ROUND_LOWER = (2, "0.8", "评审小组建议压缩宣传物料和设备购置预算，按申请金额的80%资助。")
