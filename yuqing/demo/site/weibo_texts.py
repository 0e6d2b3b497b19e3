"""Microblog-only texts: routine official posts, repost comments and a homeowners' campaign."""

from __future__ import annotations

from yuqing.demo.site.compose import lines
from yuqing.demo.site.plan import Notice

ROUTINE_NOTICES: list[Notice] = [
    Notice(
        -27,
        "08:10",
        "江澜交警",
        "【出行提示】受地铁2号线施工影响，人民中路解放路至码头街段即日起封闭半幅，请过往车辆提前绕行。",
    ),
    Notice(
        -22,
        "16:45",
        "江澜发布",
        "#江澜天气# 市气象台发布暴雨黄色预警，预计今晚到明天白天全市有大到暴雨，请注意出行安全。",
    ),
    Notice(
        -18,
        "10:00",
        "江澜12345",
        "上周12345热线共受理群众诉求5286件，物业管理、交通出行、噪声扰民位列前三。"
        "点击了解本周热点问题办理情况。#江澜12345#",
    ),
    Notice(
        -13,
        "09:30",
        "江澜融媒",
        "#江澜读书节# 今年读书节开幕啦！百余场活动陆续登场，城市书房24小时开放，等你来打卡。",
    ),
    Notice(
        -9,
        "18:20",
        "江澜日报",
        "【地铁2号线最新进展】首个区间双线贯通！2号线全长约28公里，设站21座，建成后串联临江、滨湖和高新。",
    ),
    Notice(
        -5,
        "07:30",
        "江澜交警",
        "#江澜交通# 今早沿江大道滨江路段因供水管道抢修实行交通管制，请绕行解放路或环城西路。",
    ),
    Notice(
        -2,
        "12:00",
        "江澜城事",
        "周末去哪儿？东林茶博园开园了，采茶体验、茶园民宿都有，江澜东站有旅游专线直达。#点赞江澜#",
    ),
]

REPOST_COMMENTS = lines(
    """
    转发微博
    转发微博
    关注
    希望早日解决
    太难了
    同问
    终于有回应了
    支持！
    扩散
    蹲一个后续
    临江的朋友注意了
    辛苦了
    说得好听，落实呢？
    求扩散
    这才是该关注的民生问题
    早该这样了
    """
)

# Buyers of an unfinished estate repost one appeal, each adding a few words.
HOUSING_CAMPAIGN = (
    "#东湖名邸二期逾期交房# 我们是东林县东湖名邸二期的购房人，合同约定的交房日期已过去八个月，"
    "项目至今停工，开发商避而不见。我们每月按时还贷，却住不上房。恳请有关部门督促开发商复工，保障购房人合法权益！"
)
HOUSING_CAMPAIGN_DAYS = (-20, -19, -18, -17)
CAMPAIGN_ENDINGS = ("", "", "求扩散！", "[泪]", "请帮帮我们！", "@江澜发布", "大家帮忙转一下")
