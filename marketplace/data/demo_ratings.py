"""Two-way evaluations (双向评估) for `manage.py load_demo_data`.

Four funded proposals of the 苏州 公益创投 round get contracts that were delivered, accepted
and paid on time (so 苏州市民政局 pays punctually, 姑苏区民政局 late — see
data/demo_contracts.py), which completes them and opens their completion rounds. Each
round below then plays one case: both sides in and revealed; an evaluation appealed and the
appeal upheld; one appealed with the appeal waiting for staff; one side in and the other
still to come (sealed); the window closed with one side in (revealed by the platform). Two
optional milestone rounds are on the contracts being delivered.

Days are counted back from the load. Milestone events follow data/demo_contracts.py.
"""

from marketplace.data.demo_contracts import ROUND_TITLE

# Each signs one of the contracts below: a TOTP code is accepted only once per load.
OFFICERS = [
    {"email": "officer3.suzhou@example.cn", "name": "钱文彬", "buyer": "苏州市民政局"},
    {"email": "officer4.suzhou@example.cn", "name": "周敏", "buyer": "苏州市民政局"},
    {"email": "officer5.suzhou@example.cn", "name": "蒋卫东", "buyer": "苏州市民政局"},
    {"email": "officer6.suzhou@example.cn", "name": "韩晓燕", "buyer": "苏州市民政局"},
]


def _delivered(*paid_days):
    """Three milestones reported, accepted three days later and paid `paid` days after signing."""
    return [
        {"report": "accepted", "reported": day - 8, "accepted": day - 5, "paid": day}
        for day in paid_days
    ]


# Completed contracts (all milestones paid): the last payment completes them.
CONTRACTS = [
    {
        "tender": ROUND_TITLE,
        "rank": rank,
        "state": "completed",
        "officer": officer["email"],
        "signed_days_ago": signed,
        "indicators": [{"name": "服务人次", "target": "800", "unit": "人次"}],
        "milestones": _delivered(*paid),
    }
    for rank, officer, signed, paid in [
        (3, OFFICERS[0], 200, (20, 90, 150)),  # completed 50 days ago
        (4, OFFICERS[1], 190, (15, 80, 160)),  # completed 30 days ago
        (5, OFFICERS[2], 170, (12, 70, 166)),  # completed 4 days ago
        (6, OFFICERS[3], 160, (10, 60, 130)),  # completed 30 days ago
    ]
]

GOOD = "服务对象反馈良好，台账规范。"

# scores: {dimension: score} (others 4); a 1 or 2 carries its comment in `comments`.
# `after`: days after the round opened that the side submitted.
ROUNDS = [
    {
        # Both sides in, revealed; the organisation's appeal against the buyer's low
        # records score was upheld (excluded from the aggregates, shown as excluded).
        "rank": 3,
        "buyer": {
            "after": 3,
            "scores": {"quality": 4, "timeliness": 4, "records": 2, "satisfaction": 5},
            "comments": {"records": "结项档案缺少部分活动签到表。"},
        },
        "organisation": {
            "after": 5,
            "scores": {"payment": 5, "communication": 5, "guidance": 4},
        },
        "appeal": {
            "by": "organisation",
            "reason": "签到表已于结项验收时随纸质档案移交街道，验收意见中亦确认档案齐全，"
            "评分依据与事实不符。",
            "decision": "经核对结项验收记录，档案已完整移交，该评价依据不足，不计入统计。",
            "uphold": True,
        },
    },
    {
        # Both sides in, revealed; the buyer's appeal against the organisation's
        # interference score waits for staff.
        "rank": 4,
        "buyer": {"after": 2, "scores": {"quality": 5, "timeliness": 5, "funds": 5}},
        "organisation": {
            "after": 6,
            "scores": {"interference": 2, "support": 3},
            "comments": {"interference": "多次临时要求社工参加与项目无关的街道中心工作。"},
        },
        "appeal": {
            "by": "buyer",
            "reason": "所涉活动为合同约定的社区协同服务，并非额外摊派，请予复核。",
        },
    },
    {
        # Sealed: the buyer submitted, the organisation has not yet; the window is open.
        "rank": 5,
        "buyer": {"after": 2, "scores": {"quality": 5, "satisfaction": 5}},
    },
    {
        # The window closed with only the organisation's evaluation: the platform revealed it.
        "rank": 6,
        "organisation": {"after": 4, "scores": {"payment": 5, "guidance": 3}},
    },
]

# Optional evaluations after the first accepted milestone of the contracts being delivered.
MILESTONE_ROUNDS = [
    {
        "tender": "太仓市2026年度社工站（室）运营服务项目",
        "buyer": {"after": 4, "scores": {"quality": 5, "timeliness": 5}},
        "organisation": {"after": 6, "scores": {"payment": 5, "support": 5}},
    },
    {
        "tender": "姑苏区困境儿童关爱保护服务项目",
        "buyer": {"after": 3, "scores": {"quality": 4, "records": 3}},
        "organisation": {
            "after": 9,
            "scores": {"payment": 2, "communication": 3},
            "comments": {"payment": "首期款在验收后47天才到账，超过30日的支付期限。"},
        },
    },
]
