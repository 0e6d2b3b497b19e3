"""Writes the demo data set (yuqing/demo/posts.jsonl): invented posts about invented events.

Everything is made up from the templates below with a fixed seed, so the file is the same on
every run. It is committed; run this script again only to change the demo.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

SHANGHAI = timezone(timedelta(hours=8))
END = datetime(2025, 3, 20, 18, 0, tzinfo=SHANGHAI)
OUT = Path(__file__).resolve().parent.parent / "yuqing" / "demo" / "posts.jsonl"

DISTRICTS = ["宿城区", "宿豫区", "沭阳县", "泗阳县", "泗洪县", "经开区"]
PLACES = ["幸福路", "人民大道", "黄河南路", "洪泽湖路", "发展大道", "西湖路", "青海湖路"]
ESTATES = ["阳光花园", "金色家园", "运河湾", "翠苑小区", "锦绣华庭", "湖滨新城"]

# topic: (department, category, [titles], [texts], [replies], mood 0=angry .. 2=content)
TOPICS = {
    "停水": (
        "市水务集团",
        "城乡建设",
        ["{estate}停水两天了", "{place}一带突然停水", "停水为什么不提前通知"],
        [
            "{district}{estate}从{day}开始停水，到现在还没恢复，老人孩子生活很不方便，打电话也没人说清楚什么时候来水。",
            "{place}附近几个小区都停水了，物业说是管网抢修，可是没有任何通知，家里做饭洗漱都成问题。",
            "停水已经超过二十四小时，{estate}高层住户完全没水，希望水务部门尽快给个说法。",
        ],
        ["经查，{place}供水管网爆管抢修，已于当日恢复供水，今后将提前发布停水通知。"],
        0,
    ),
    "拆迁补偿": (
        "市住建局",
        "城乡建设",
        ["{place}拆迁补偿标准太低", "拆迁补偿款迟迟不到位", "关于{estate}征收补偿的咨询"],
        [
            "{district}{place}片区拆迁补偿标准比周边低很多，居民多次反映没有结果，请领导关注拆迁补偿问题。",
            "签了拆迁协议已经半年，拆迁补偿款还没有到账，过渡费也停发了，家里租房压力很大。",
            "想咨询一下{estate}所在地块的征收范围和补偿方案，什么时候公示？",
        ],
        [
            "{district}征收办答复：补偿标准依据评估结果确定，已安排专人上门解释，补偿款将于本月发放。"
        ],
        0,
    ),
    "施工噪音": (
        "市生态环境局",
        "环境保护",
        ["{place}工地夜间施工噪音扰民", "深夜打桩声吵得睡不着", "施工噪音什么时候能管管"],
        [
            "{place}地铁工地每天晚上十一点以后还在施工，噪音特别大，附近{estate}的居民都睡不好觉。",
            "连续一周凌晨还在打桩，孩子要中考了，施工噪音严重影响休息，投诉多次无人处理。",
            "夜间施工有没有审批？{district}这个工地天天晚上施工，噪音超标。",
        ],
        ["经现场核查，该工地未办理夜间施工许可，已责令停止夜间作业并立案处罚。"],
        0,
    ),
    "学校划片": (
        "市教育局",
        "教育文体",
        ["{estate}学区划片调整", "今年小学划片什么时候公布", "孩子上学划片不合理"],
        [
            "{estate}今年被划到离家五公里外的学校，附近学校反而不招，希望教育局重新考虑学区划片。",
            "请问{district}今年小学招生划片方案什么时候公布？家长都很着急。",
            "新建小区入学政策不明确，希望尽快出台学区划片解读。",
        ],
        ["市教育局答复：今年划片方案将于四月公布，届时将同步发布政策解读并开通咨询电话。"],
        1,
    ),
    "公交线路": (
        "市交通运输局",
        "交通运输",
        ["{place}公交线路调整后出行不便", "建议增开到{district}的公交", "公交车发车间隔太长"],
        [
            "8路公交调整线路后不再经过{place}，附近居民上班要多走两公里，建议恢复原线路。",
            "{district}到市区的公交车晚上七点就停运了，加班的人根本回不去。",
            "公交车发车间隔经常超过半小时，站台也没有实时到站信息。",
        ],
        ["市交通运输局答复：已优化线路，在{place}增设临时站点，并延长末班车时间。"],
        1,
    ),
    "燃气安全": (
        "市城管局",
        "城乡建设",
        ["{estate}闻到燃气味", "老旧小区燃气管道老化", "燃气安全检查走过场"],
        [
            "{estate}楼道里经常闻到燃气味，担心有泄漏，物业说不归他们管，请相关部门尽快排查。",
            "老旧小区燃气管道锈蚀严重，上次检查只是签字就走了，安全隐患很大。",
            "{district}餐饮店燃气瓶随意堆放，存在很大安全隐患。",
        ],
        ["市城管局答复：已联合燃气公司对该小区开展入户排查，更换老化管道十二处。"],
        0,
    ),
    "医保报销": (
        "市医保局",
        "劳动和社会保障",
        ["异地就医医保报销太麻烦", "医保报销比例咨询", "门诊慢特病报销问题"],
        [
            "在外地住院回来报销，要跑好几个窗口，材料交了三次，希望简化医保报销流程。",
            "请问今年门诊慢特病医保报销比例有没有调整？{district}窗口说法不一。",
            "医保卡在药店不能用了，也没有任何提示，请问是什么原因。",
        ],
        ["市医保局答复：异地就医已实现直接结算，门诊慢特病报销比例今年提高五个百分点。"],
        2,
    ),
    "道路积水": (
        "市住建局",
        "城乡建设",
        ["{place}一下雨就积水", "下穿通道积水严重", "雨后道路积水无人处理"],
        [
            "{place}下穿通道一下雨就积水半米深，已经有车辆熄火，希望尽快整改排水设施。",
            "{district}{estate}门口道路积水严重，电动车都过不去，排水口堵了很久。",
            "昨天暴雨后{place}积水到现在还没退，行人只能绕行。",
        ],
        ["已安排排水管理处疏通{place}排水管网，并在下穿通道增设强排泵站。"],
        0,
    ),
    "营商服务": (
        "市政务服务办",
        "商贸旅游",
        ["点赞{district}政务服务中心", "企业开办一天办结", "审批效率明显提高"],
        [
            "今天在{district}政务服务中心办理营业执照，一个窗口全部办好，工作人员很热情，点赞！",
            "企业开办一天就办结了，比以前快多了，营商环境越来越好。",
            "不动产登记现在网上就能预约，效率明显提高，为政务服务点赞。",
        ],
        ["感谢您的肯定，我们将持续优化服务流程。"],
        2,
    ),
}

SOURCES = [
    ("demo-news", "news", "宿迁日报网"),
    ("demo-board", "board", "市长信箱"),
    ("demo-weibo", "microblog", "微博"),
    ("demo-12345", "hotline", "12345热线"),
]
CHANNELS = ["电话", "网站", "微信", "APP"]
HOTLINE_STATUS = ["已办结", "办理中", "已受理"]


def build() -> list[dict]:
    rng = random.Random(20250320)
    posts: list[dict] = []
    serial = {name: 1000 for name, _, _ in SOURCES}
    # Two bursts make the demo interesting: a water outage and a night-construction row.
    weights = {t: 1.0 for t in TOPICS}
    weights["停水"] = 3.0
    weights["施工噪音"] = 2.0
    names = list(TOPICS)
    for _ in range(420):
        topic = rng.choices(names, weights=[weights[n] for n in names])[0]
        department, category, titles, texts, replies, mood = TOPICS[topic]
        source, kind, _label = rng.choice(SOURCES)
        serial[source] += 1
        district, place, estate = rng.choice(DISTRICTS), rng.choice(PLACES), rng.choice(ESTATES)
        if topic == "停水":
            age = timedelta(hours=rng.expovariate(1 / 20))  # recent burst
        else:
            age = timedelta(hours=rng.uniform(0, 14 * 24))
        published = (END - age).replace(microsecond=0)
        fill = {"district": district, "place": place, "estate": estate, "day": "前天"}
        post: dict = {
            "id": f"{source}:{serial[source]}",
            "source": source,
            "kind": kind,
            "url": f"https://demo.invalid/{source}/{serial[source]}",
            "title": rng.choice(titles).format(**fill),
            "text": rng.choice(texts).format(**fill),
            "author": f"网友{rng.randrange(10000, 99999)}",
            "published_at": published.isoformat(),
            "fetched_at": (published + timedelta(minutes=rng.randrange(5, 90))).isoformat(),
            "region": district,
        }
        if kind == "microblog":
            post["engagement"] = {
                "reposts": int(rng.paretovariate(1.2) * 3),
                "comments": int(rng.paretovariate(1.3) * 4),
                "likes": int(rng.paretovariate(1.1) * 10),
            }
            post["author_verified"] = rng.random() < 0.1
        if kind in ("board", "hotline") and rng.random() < 0.6 and age > timedelta(hours=30):
            replied = published + timedelta(hours=rng.uniform(4, 120))
            if replied < END:
                post["reply"] = {
                    "text": rng.choice(replies).format(**fill),
                    "department": department,
                    "replied_at": replied.replace(microsecond=0).isoformat(),
                }
        if kind == "hotline":
            post.update(
                {
                    "author": "市民（已匿名）",
                    "case_no": f"12345-{published:%Y%m%d}-{serial[source]}",
                    "category": category,
                    "channel": rng.choice(CHANNELS),
                    "assigned_department": department,
                    "status": "已办结" if "reply" in post else rng.choice(HOTLINE_STATUS[1:]),
                    "deadline": (published + timedelta(days=5)).isoformat(),
                    "url": None,
                }
            )
        posts.append(post)
    posts.sort(key=lambda p: p["published_at"])
    return posts


def main() -> None:
    posts = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as out:
        for post in posts:
            out.write(json.dumps(post, ensure_ascii=False) + "\n")
    print(f"wrote {len(posts)} posts to {OUT}")


if __name__ == "__main__":
    main()
