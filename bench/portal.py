"""The portal's part of the bench data, which `seed_bench` does not make: published result
pages (项目成果) of completed bench contracts, so that `/results/` lists a realistic number
of them and one result page can be measured.

They are made through the project's own code, one contract at a time, as on the site:
`contract_complete_if_done` completes a contract whose milestones are all paid (audit
entry, evaluation round, OCDS release; its completion event makes the draft result page in
cms/receivers.py), `result_page_create_draft` gives a draft to a completed contract that has
none, and the editor's step is a story of a few paragraphs, saved as a revision and published
through Wagtail (the page cache goes stale, the search index update is queued).

Run inside Django (bench/load.py does, before collectstatic):

    DJANGO_SETTINGS_MODULE=marketplace.settings.bench DATABASE_URL=… SECRET_KEY=… \\
    .venv/bin/python -m bench.portal [--results 1000 | --delete]

It tops up to `--results` published pages of bench contracts. `--delete` instead deletes
what it (and only it) adds to bench contracts and `seed_bench --reset` could not delete
(result pages protect their contracts, evaluation rounds too, OCDS releases their
tenders); audit entries are append-only and stay.
"""

import argparse
import random
import sys

import django
from django.apps import apps

if not apps.ready:  # run as `python -m bench.portal`; tests and the probe have set Django up
    django.setup()

from django.core.management.base import CommandError, OutputWrapper
from django.db import connection
from wagtail.models import Page

from cms.models import ResultPage
from cms.services import result_page_create_draft
from cms.site_pages import ensure_site_pages
from marketplace.management.commands._bench import Progress, bench_tenders
from marketplace.models import (
    Contract,
    Milestone,
    OcdsRelease,
    Rating,
    RatingAppeal,
    RatingRound,
)
from marketplace.services.contracts import contract_complete_if_done

DEFAULT_RESULTS = 1_000
PROGRESS_EVERY = 50
DELETE_CHUNK = 500

GROUPS = [
    ("独居和空巢老人", "助餐、助洁和每周两次的上门探访"),
    ("困境儿童和留守儿童", "课后托管、学业辅导和亲子活动"),
    ("残障人士及其家庭", "康复训练、辅具适配和喘息服务"),
    ("社区矫正对象", "个案帮教、心理疏导和就业技能培训"),
    ("外来务工人员家庭", "政策咨询、融入活动和子女教育支持"),
    ("失能和半失能老人", "居家照护、健康监测和家属照护培训"),
]
ASSESSMENTS = [
    "入户走访了{count}户家庭",
    "在{count}个楼栋组织了需求座谈",
    "对辖区{count}名服务对象完成了需求评估",
]
ACTIVITIES = [
    "组建了由社工、护理员和社区志愿者组成的服务小组，按照“一人一档”建立服务台账",
    "与社区卫生服务中心、物业和辖区学校签订合作协议，把服务嵌入已有的社区资源",
    "培育了一支{volunteers}人的邻里互助志愿队，由社工带领开展结对探访",
    "每月召开一次居民议事会，由服务对象和家属一起调整下月的服务安排",
]
OUTCOMES = [
    "服务对象满意度从项目初期的{before}%提高到结项时的{after}%",
    "{count}名服务对象的个案目标全部或部分达成",
    "项目结束后，志愿队和议事会由社区接手，服务没有因合同期满而中断",
]
CASES = [  # (story, age range)
    (
        "{surname}阿姨今年{age}岁，老伴去世后一直独自生活，社工第一次上门时她已经很少下楼。"
        "服务小组为她安排了助餐和每周的探访，又请楼里的志愿者陪她参加活动室的手工小组。"
        "三个月后，她成了小组里最积极的成员，还主动报名照看楼里另外两位老人。",
        (68, 86),
    ),
    (
        "{surname}家的孩子今年{age}岁，父母在外地打工，平时由祖辈照看，功课常常没人过问。"
        "社工为他制定了学习计划，每周安排大学生志愿者辅导两次，并定期和父母视频沟通。"
        "一个学期下来，他的成绩有了起色，也愿意在小组活动里发言了。",
        (8, 14),
    ),
    (
        "{surname}先生{age}岁时因工伤致残，几年来很少出门，家人也因长期照护身心疲惫。"
        "社工链接康复机构上门评估，帮他申请了辅具，又为家属安排了每月两次的喘息服务。"
        "现在他每周到社区康复站训练，还在站里帮忙登记，成了其他服务对象的榜样。",
        (35, 58),
    ),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱胡郭何林高"
QUOTES = [
    "以前一个人在家，一天说不上几句话；现在每周都盼着社工和志愿者来。",
    "孩子放学有地方去、有人教，我们在外面上班也安心多了。",
    "社工不只是来送服务，还教会了我们怎么互相帮忙。",
]


def _date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _paragraph(*sentences) -> dict:
    return {"type": "paragraph", "value": "<p>" + "".join(sentences) + "</p>"}


def result_story(contract, rng) -> list[dict]:
    """A project story of realistic length (three headed sections of five paragraphs, one
    of them a case, and a resident's words: about 650 characters of text), varied by
    `rng`."""
    group, services = rng.choice(GROUPS)
    count = rng.randint(30, 400)
    assessed = rng.choice(ASSESSMENTS).format(count=count)
    activities = [
        activity.format(volunteers=rng.randint(12, 60)) for activity in rng.sample(ACTIVITIES, k=2)
    ]
    before = rng.randint(62, 80)
    outcomes = [
        outcome.format(before=before, after=rng.randint(before + 8, 98), count=count)
        for outcome in rng.sample(OUTCOMES, k=2)
    ]
    case, ages = rng.choice(CASES)
    region = contract.tender.region.name
    return [
        {"type": "heading", "value": "项目背景"},
        _paragraph(
            f"{contract.buyer.name}通过政府购买服务，委托{contract.organisation.name}承接"
            f"“{contract.tender.title}”，服务期自{_date(contract.starts_on)}至{_date(contract.ends_on)}。",
            f"立项前，社工{assessed}，发现{region}的{group}最缺的是稳定、就近的日常支持，",
            "而原有服务分散在几个部门，居民不知道该找谁。",
        ),
        {"type": "heading", "value": "服务开展"},
        _paragraph(
            f"项目围绕{group}的需求提供{services}。",
            f"承接机构{activities[0]}；同时{activities[1]}。",
        ),
        _paragraph(case.format(surname=rng.choice(SURNAMES), age=rng.randint(*ages))),
        _paragraph(
            "每个履约节点前，承接机构提交服务报告和服务对象签名的记录，",
            "采购单位组织验收后按合同支付，整个过程在平台上留痕、可以查询。",
        ),
        {"type": "quote", "value": rng.choice(QUOTES)},
        {"type": "heading", "value": "成效与经验"},
        _paragraph(
            f"{outcomes[0]}；{outcomes[1]}。",
            "承接机构总结的经验是：先把需求摸清，再把社区已有的资源连起来，",
            "让居民自己成为服务的一部分。",
        ),
    ]


def bench_contracts():
    return Contract.objects.filter(tender__in=bench_tenders())


def _candidates(contracts, missing):
    """Up to `missing` ids of bench contracts that can get a published result page, in id
    order (seeding order, which is random over buyers, categories and years): completed ones
    without a live page first, then contracts in force whose milestones are all settled."""
    completed = list(
        contracts.filter(status=Contract.Status.COMPLETED)
        .exclude(result_page__live=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:missing]
    )
    unsettled = [
        status
        for status in Milestone.Status
        if status not in (Milestone.Status.PAID, Milestone.Status.CANCELLED)
    ]
    done = (
        contracts.filter(status=Contract.Status.ACTIVE, milestones__status=Milestone.Status.PAID)
        .exclude(milestones__status__in=unsettled)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)[: missing - len(completed)]
    )
    return completed + list(done)


def result_publish(contract, rng):
    """Complete `contract` if it is in force and done, then publish its result page with a
    story, through the services and Wagtail; the page, or None if it cannot be completed."""
    if contract.status == Contract.Status.ACTIVE and not contract_complete_if_done(contract):
        return None
    # The completion event made the draft (cms/receivers.py); this finds it, or makes one
    # for a contract completed without it.
    page = result_page_create_draft(contract=contract)
    if page is None:
        return None
    if not page.live:
        page.story = result_story(contract, rng)
        page.save_revision().publish()
    return page


def seed_results(wanted, *, stdout, seed=2015):
    """Top up to `wanted` published result pages of bench contracts; returns how many were
    published."""
    if wanted < 0:
        raise CommandError("--results must be ≥ 0.")
    ensure_site_pages()  # the results index the drafts go under
    contracts = bench_contracts()
    have = ResultPage.objects.live().filter(contract__in=contracts).count()
    missing = wanted - have
    if missing <= 0:
        stdout.write(f"Result pages: {have:,} published already, none created.")
        return 0
    if connection.vendor == "postgresql":
        # One commit per contract: do not wait for each to reach the disk (as seed_bench).
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")
    ids = _candidates(contracts, missing)
    progress = Progress(stdout, "Result pages", len(ids))
    published = 0
    select = contracts.select_related("tender__region", "buyer", "organisation")
    for number, pk in enumerate(ids, start=1):
        contract = select.get(pk=pk)
        # One generator per contract: the same story whatever else was seeded before.
        if result_publish(contract, random.Random(f"{seed}-{pk}")) is not None:
            published += 1
        if number % PROGRESS_EVERY == 0 or number == len(ids):
            progress.update(number)
    stdout.write(
        f"Result pages: published {published:,} in {progress.elapsed:.1f} s "
        f"({published / max(progress.elapsed, 1e-9):,.1f}/s); {have + published:,} in all."
    )
    if published < missing:
        stdout.write(
            f"Result pages: only {published:,} more bench contracts could be completed "
            f"(asked for {missing:,})."
        )
    _analyze()
    return published


def reset_results(*, stdout):
    """Delete what `seed_results` added to bench contracts (result pages, evaluation rounds,
    OCDS releases), so that `seed_bench --reset` can delete the contracts."""
    contracts = bench_contracts()
    ids = list(ResultPage.objects.filter(contract__in=contracts).values_list("pk", flat=True))
    for start in range(0, len(ids), DELETE_CHUNK):
        # Through Page: treebeard keeps the index page's child count right.
        Page.objects.filter(pk__in=ids[start : start + DELETE_CHUNK]).delete()
    rounds = RatingRound.objects.filter(contract__in=contracts)
    RatingAppeal.objects.filter(rating__round__in=rounds).delete()
    Rating.objects.filter(round__in=rounds).delete()
    deleted_rounds, _ = rounds.delete()
    releases, _ = OcdsRelease.objects.filter(tender__in=bench_tenders()).delete()
    stdout.write(
        f"Result pages: deleted {len(ids):,} of bench contracts "
        f"(and {deleted_rounds:,} evaluation round rows, {releases:,} OCDS releases)."
    )


def _analyze():
    """Planner statistics for the rows just written (the bench server has autovacuum off)."""
    if connection.vendor != "postgresql":
        return
    tables = [
        "wagtailcore_page",
        "wagtailcore_revision",
        ResultPage._meta.db_table,
        Contract._meta.db_table,
        RatingRound._meta.db_table,
    ]
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        cursor.execute(f"{command} {', '.join(map(connection.ops.quote_name, tables))}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--results",
        type=int,
        default=DEFAULT_RESULTS,
        help="published result pages of bench contracts to top up to",
    )
    parser.add_argument(
        "--delete",
        action="store_true",
        help="only delete what this added to bench contracts (before `seed_bench --reset`)",
    )
    args = parser.parse_args(argv)
    stdout = OutputWrapper(sys.stdout)
    if args.delete:
        reset_results(stdout=stdout)
    else:
        seed_results(args.results, stdout=stdout)


if __name__ == "__main__":
    main()
