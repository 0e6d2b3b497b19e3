"""The fictional city of 江澜市: its districts, places, departments and residents' names."""

from __future__ import annotations

import random
from dataclasses import dataclass

from yuqing.demo.site.compose import pick, words

CITY = "江澜市"
PROVINCE = "江澜"  # the province part of a microblog "发布于" line; the city stands in for it
AREA_CODE = "0518"


@dataclass(frozen=True, slots=True)
class District:
    name: str
    estates: tuple[str, ...]
    roads: tuple[str, ...]
    spots: tuple[str, ...]


DISTRICTS: dict[str, District] = {
    d.name: d
    for d in (
        District(
            "临江区",
            words("望潮苑 江畔花园 临江新村 枫林湾 锦绣江南 老码头小区 船厂宿舍 金沙苑"),
            words("滨江路 望潮街 沿江大道 解放路 人民中路 码头街 环城西路"),
            words(
                """
                江澜市第一人民医院
                临江农贸市场
                滨江公园
                老码头步行街
                临江区政务服务中心
                """
            ),
        ),
        District(
            "青山区",
            words("翠微苑 山水华庭 槐树湾社区 青山新村 松鹤小区 云栖山居 南岭花园 化机厂宿舍"),
            words("青山大道 化工路 松林路 槐荫街 青峰路 园区一路"),
            words("青山化工园 青山中学 青山区人民医院 松林公园 青山汽车站"),
        ),
        District(
            "滨湖区",
            words("翠湖湾 星澜湾 澜庭 湖畔人家 书香苑 明珠花园 镜湖小区 滨湖家园"),
            words("湖滨大道 明镜路 书院街 翠湖路 环湖东路 文昌路"),
            words("湖畔实验小学 滨湖一中 文昌中学 镜湖公园 滨湖中心广场"),
        ),
        District(
            "高新区",
            words("智慧谷人才公寓 紫荆花园 创新港小区 云谷雅苑 新城御景 科创公寓"),
            words("科技大道 创新路 软件园路 长丰路 紫荆路 智谷大道"),
            words("江澜软件园 高新区管委会 江澜东站 市科技馆 云谷地铁站"),
        ),
        District(
            "东林县",
            words("东林花苑 茶乡新村 桂花里 县医院家属院 东湖名邸 城关新村"),
            words("东林大道 茶山路 新华街 县府路 桂花路 环城北路"),
            words("东林县人民医院 东林茶博园 城关中学 东林汽车站 东林湿地公园"),
        ),
    )
}
DISTRICT_NAMES = tuple(DISTRICTS)

DISTRICT_GOVERNMENTS = {name: f"{name}人民政府" for name in DISTRICT_NAMES}
HOSPITALS = words(
    """
    江澜市第一人民医院 江澜市中医院 江澜市妇幼保健院 青山区人民医院 滨湖区人民医院 东林县人民医院
    """
)
BUS_LINES = words("11路 26路 35路 105路 K3路 游2路 202路 8路")


@dataclass(frozen=True, slots=True)
class Account:
    """An official or media microblog account."""

    screen_name: str
    verified_type: int  # 1 government, 3 media, as on m.weibo.cn
    district: str


ACCOUNTS = {
    "江澜发布": Account("江澜发布", 1, "临江区"),
    "江澜水务": Account("江澜水务", 1, "临江区"),
    "江澜日报": Account("江澜日报", 3, "临江区"),
    "江澜融媒": Account("江澜融媒", 3, "临江区"),
    "滨湖教育发布": Account("滨湖教育发布", 1, "滨湖区"),
    "江澜生态环境": Account("江澜生态环境", 1, "青山区"),
    "江澜交警": Account("江澜交警", 1, "高新区"),
    "江澜12345": Account("江澜12345", 1, "临江区"),
    "青山发布": Account("青山发布", 1, "青山区"),
    "江澜城事": Account("江澜城事", 0, "滨湖区"),
}

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹"
    "彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁沈姚卢钟陆汪范金石夏方邹孟熊秦江顾毛邵钱戴"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力鹏宇浩凯健俊帆雪琳晨欣怡婷博宁"
)
_NICK_HEADS = words(
    """
    临江 青山 滨湖 江澜 东林 高新 小 阿 一只 爱吃 不吃香菜的 早睡早起的 江边的 住在湖边的
    """
)
_NICK_TAILS = words(
    """
    小胖 土豆 打工人 宝妈 老张 猫咪 阿杰 咸鱼 吃货 骑手 跑者 摄影师 老师 大叔 奶茶
    橙子 柚子 七七 小鹿 阿飞 二宝爸 社畜 老街坊 程序员 护士 司机 退休老头 考研党 奶爸
    """
)
_NICK_ENDS = ("", "", "", "呀", "酱", "_", "2019", "哒", "z", "0518", "的日常", "本人")


def person_name(rng: random.Random) -> str:
    given = pick(rng, _GIVEN) + (pick(rng, _GIVEN) if rng.random() < 0.7 else "")
    return pick(rng, _SURNAMES) + given


def board_author(rng: random.Random) -> str:
    """The name a resident leaves on the board: often only a surname and title, or a handle."""
    roll = rng.random()
    if roll < 0.4:
        return pick(rng, _SURNAMES) + pick(rng, ("先生", "女士"))
    if roll < 0.6:
        return "匿名网友"
    if roll < 0.8:
        return f"网友{rng.randint(10000, 99999)}"
    return pick(rng, _NICK_HEADS) + pick(rng, _NICK_TAILS)


def screen_name(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return f"用户{rng.randint(5_000_000_000, 7_999_999_999)}"
    return pick(rng, _NICK_HEADS) + pick(rng, _NICK_TAILS) + pick(rng, _NICK_ENDS)


def department_phone(dept: str) -> str:
    """A stable invented office number per department, for the "可致电" line of a reply."""
    digits = sum(ord(ch) for ch in dept) * 7919 % 10_000_000
    return f"{AREA_CODE}-8{digits:07d}"
