"""Demo contracts for `manage.py load_demo_data`, made from the demo awards whose notice
period is over (data/demo_evaluations.py), one per state a contract can be in.

`signed_days_ago` places the signature in the past; milestone events are given in days after
signing. Payments are recorded treasury transfers (the demo has no Stripe key).
"""

# The funded 公益创投 proposals that get a contract, by rank in the funded list.
ROUND_TITLE = "2026年苏州市公益创投大赛项目征集"

CONTRACTS = [
    {
        # In delivery: the first milestone accepted and paid on time, the second returned.
        "tender": "太仓市2026年度社工站（室）运营服务项目",
        "state": "delivery",
        "signed_days_ago": 150,
        "indicators": [
            {"name": "服务居民人次", "target": "6000", "unit": "人次"},
            {"name": "培育社区社会组织", "target": "8", "unit": "家"},
        ],
        "milestones": [
            {"report": "accepted", "reported": 5, "accepted": 8, "paid": 20},
            {"report": "returned", "reported": 140, "returned": 144},
        ],
    },
    {
        # Paid late: the first milestone paid 47 days after acceptance; the second accepted,
        # its payment not made yet.
        "tender": "姑苏区困境儿童关爱保护服务项目",
        "state": "delivery",
        "signed_days_ago": 130,
        "indicators": [
            {"name": "建档困境儿童", "target": "150", "unit": "名"},
            {"name": "个案服务", "target": "40", "unit": "个"},
        ],
        "milestones": [
            {"report": "accepted", "reported": 3, "accepted": 6, "paid": 53},
            {"report": "accepted", "reported": 110, "accepted": 115},
        ],
    },
    {
        # Unsigned: drafted and signed by the buyer; the organisation has not signed yet.
        "tender": "鼓楼区残疾人托养照料服务（单一来源）",
        "state": "unsigned",
    },
    {
        # Signed, nothing delivered yet.
        "tender": ROUND_TITLE,
        "rank": 1,
        "state": "signed",
        "signed_days_ago": 10,
        "indicators": [{"name": "服务青少年人次", "target": "1200", "unit": "人次"}],
    },
    {
        # Terminated after a failed mid-term review, the advance partly clawed back.
        "tender": ROUND_TITLE,
        "rank": 2,
        "state": "terminated",
        "signed_days_ago": 100,
        "indicators": [{"name": "服务老人人次", "target": "2000", "unit": "人次"}],
        "milestones": [{"report": "accepted", "reported": 2, "accepted": 4, "paid": 12}],
        "termination": "中期评估不合格：服务人次不足计划的三成，项目负责人两次更换，"
        "经督导整改仍未达到要求，依合同约定提前终止。",
        "clawback_share": "0.5",
    },
]

REPORT_NARRATIVE = (
    "本阶段按合同约定完成服务：开展入户走访和需求评估，组织小组活动和社区活动，"
    "建立服务档案，接受街道和第三方督导。"
)
RETURN_REASON = "服务台账缺少居民签字确认，活动照片与服务记录不对应，请补充后重新提交。"
BREACH_TERMS = (
    "承接主体未按约定提供服务的，购买主体有权要求限期整改；整改不到位的，"
    "按未完成服务量扣减服务费，情节严重的可解除合同并追回已付未履约资金。"
)
