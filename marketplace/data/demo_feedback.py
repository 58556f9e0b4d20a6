"""Residents' feedback (居民满意度) on the demo contracts being delivered, for
`manage.py load_demo_data` (marketplace/demo_feedback.py).

Each entry is one resident's visit: `days_ago` places it in the past (within the contract's
term: the round's contract was signed 10 days ago). `moderation` is staff's decision on the
comment: "approved", "rejected" (with `reason`), or absent — a comment then waits in the
queue, a bare score needs none. `rank` picks a funded proposal of the 公益创投 round.
"""

from marketplace.data.demo_contracts import ROUND_TITLE

TAICANG = "太仓市2026年度社工站（室）运营服务项目"
GUSU = "姑苏区困境儿童关爱保护服务项目"

FEEDBACK = [
    {
        "tender": TAICANG,
        "days_ago": 120,
        "score": 5,
        "comment": "社工站每周都有活动，老人们下午有地方去了，社工上门也很耐心。",
        "moderation": "approved",
    },
    {
        "tender": TAICANG,
        "days_ago": 96,
        "score": 4,
        "comment": "政策咨询很方便，就是周末不开门，上班族不太方便。",
        "moderation": "approved",
    },
    {"tender": TAICANG, "days_ago": 80, "score": 5},
    {"tender": TAICANG, "days_ago": 61, "score": 3},
    {
        "tender": TAICANG,
        "days_ago": 33,
        "score": 2,
        "comment": "活动通知只发在微信群里，不用微信的老人不知道，希望在小区公告栏也贴一下。",
        "moderation": "approved",
    },
    {"tender": TAICANG, "days_ago": 12, "score": 4},
    {
        "tender": TAICANG,
        "days_ago": 2,
        "score": 5,
        "comment": "志愿者帮我们楼道装了扶手，谢谢社工站！",
    },
    {
        "tender": GUSU,
        "days_ago": 100,
        "score": 5,
        "comment": "孩子放学后有人辅导作业，社工还定期家访，家里放心多了。",
        "moderation": "approved",
    },
    {"tender": GUSU, "days_ago": 72, "score": 4},
    {
        "tender": GUSU,
        "days_ago": 45,
        "score": 1,
        "comment": "某某社工就是骗子，大家别信！电话138xxxx，谁去谁上当！",
        "moderation": "rejected",
        "reason": "含人身攻击和他人联系方式，不予公开；评分照常计入。",
    },
    {
        "tender": GUSU,
        "days_ago": 5,
        "score": 4,
        "comment": "暑期夏令营办得不错，希望名额再多一些。",
    },
    {"tender": ROUND_TITLE, "rank": 1, "days_ago": 6, "score": 4},
    {
        "tender": ROUND_TITLE,
        "rank": 1,
        "days_ago": 1,
        "score": 3,
        "comment": "刚开始几次活动，孩子们挺喜欢，场地有点小。",
    },
]
