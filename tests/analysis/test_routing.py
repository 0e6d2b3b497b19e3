"""Department routing: the shipped rules on made-up posts, the policies on small rule files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from analysis.routing import Router, WordScanner, load_routing_file, user_words
from core.errors import ConfigError
from core.settings import CONFIG_DIR
from yuqing.demo.site import (
    city,
    everyday_homes,
    everyday_neighbours,
    everyday_services,
    everyday_streets,
    odour,
    school,
    water,
)
from yuqing.demo.site.topics import Topic

SHIPPED = CONFIG_DIR / "departments.yaml"


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.from_file(SHIPPED)


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "departments.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


TINY = """
    districts:
      东区:
        aliases: [东片]
        places: [梧桐苑, 东风路]
      西区:
        places: [银杏里, 西湖路]
    departments:
      - code: shebao
        name: 社保处
        aliases: [社保中心]
        categories: [社会保障]
        keywords: {养老: 1, 养老保险: 3, 工资: 2}
      - code: minzheng
        name: 民政处
        categories: [社会保障, 民政]
        keywords: [养老院, 低保]
      - code: jiaoyu
        name: 教育处
        categories: [教育]
        keywords: {学校: 2, 老师: 2}
      - code: east
        name: 东区政府
        district: 东区
        keywords: {街道办: 2}
      - code: west
        name: 西区政府
        district: 西区
        keywords: {街道办: 2}
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Router:
    return Router.from_file(write(tmp_path, TINY))


# ---- the shipped rules --------------------------------------------------------------------------


def test_shipped_file_loads_with_unique_codes_and_names() -> None:
    spec = load_routing_file(SHIPPED)
    codes = [d.code for d in spec.departments]
    assert len(codes) == len(set(codes)) >= 30
    names = [w for d in spec.departments for w in (d.name, *d.aliases)]
    assert len(names) == len(set(names))


def test_shipped_file_covers_the_demo_city(router: Router) -> None:
    topics = [
        value
        for module in (everyday_homes, everyday_neighbours, everyday_services, everyday_streets)
        + (odour, school, water)
        for value in vars(module).values()
        if isinstance(value, Topic)
    ]
    demo_departments = {d for t in topics for d in t.depts} | set(
        city.DISTRICT_GOVERNMENTS.values()
    )
    assert "江澜水务集团" in demo_departments
    assert demo_departments <= set(router.names.values())
    spec = load_routing_file(SHIPPED)
    assert set(spec.districts) == set(city.DISTRICTS)
    for name, district in city.DISTRICTS.items():
        places = set(spec.districts[name].places)
        assert set(district.estates + district.roads + district.spots) <= places, name


@pytest.mark.parametrize(
    ("title", "text", "code"),
    [
        ("小区停水两天了", "家里水龙头一滴水都没有，水压也很低，什么时候恢复供水？", "swjt"),
        ("孩子入学问题", "今年学区划分调整后，孩子上小学要跨过三条大马路，希望重新划片", "jyj"),
        ("讨要工资", "在工地干了半年，包工头一直拖欠工资，农民工的血汗钱什么时候能发？", "rsj"),
        ("晚上有刺鼻气味", "附近工厂夜里偷排废气，臭味很重，开窗就头晕，请查一查排污", "sthj"),
        ("路口信号灯太短", "左转绿灯只有十秒，早高峰拥堵严重，建议交警优化配时", "jj"),
        ("公交班次太少", "这条公交线路末班车九点就收了，等车要四十分钟，能否增加班次", "jtj"),
        ("看病难", "医院挂号排了三个小时，医生看了两分钟就打发走了", "wjw"),
        ("报销比例", "在外省住院回来医保报销很麻烦，异地就医备案怎么办理？", "ybj"),
        ("物业不作为", "物业公司每年涨物业费，电梯坏了也不修，业委会也联系不上", "zjj"),
        ("门口摆摊", "小区门口流动摊贩占道经营，晚上烧烤摊油烟大，垃圾满地", "cgj"),
        ("买到假货", "在商场买的鞋是假冒伪劣产品，商家拒绝退货退款", "scjg"),
        ("景区乱收费", "景区门票涨价，导游带游客强制购物，旅行社态度恶劣", "wlt"),
        ("被电信诈骗", "接到冒充客服的电话被骗了两万块，已经去派出所报案", "gaj"),
        ("申请低保", "家里老人生病没有收入，想申请最低生活保障和临时救助", "mzj"),
    ],
)
def test_obvious_posts_go_to_their_department(
    router: Router, title: str, text: str, code: str
) -> None:
    guess = router.guess(title, text)
    assert guess.department == code, guess
    assert guess.department_name == router.names[code]
    assert guess.confidence >= 0.5


def test_a_name_written_in_the_post_counts_strongly(router: Router) -> None:
    text = "这件事情反映了好几次都没有结果，请人社局出面协调一下。"
    guess = router.guess("反映问题", text)
    assert guess.department == "rsj"
    assert "名称:人社局" in guess.reasons


def test_numeric_aliases_are_read_as_words(router: Router) -> None:
    assert router.guess("", "打了12345也没人管").department == "zwfw"


def test_district_comes_from_place_names(router: Router) -> None:
    assert router.guess("翠微苑这几天", "晚上总闻到怪味").district == "青山区"
    assert router.guess("", "我家孩子在湖畔实验小学上学").district == "滨湖区"
    assert router.guess("", "东林县城关新村的路灯坏了").district == "东林县"
    # the most mentioned district wins; a tie goes to the first mentioned
    assert router.guess("", "从望潮苑搬到翠微苑，翠微苑离松林公园近").district == "青山区"
    assert router.guess("", "望潮苑和翠微苑都停水了").district == "临江区"


def test_region_counts_only_when_the_post_names_no_place(router: Router) -> None:
    assert router.guess("", "路灯坏了", region="发布于 东林县").district == "东林县"
    assert router.guess("", "滨江路的路灯坏了", region="发布于 东林县").district == "临江区"
    assert router.guess("", "路灯坏了", region="江澜市").district is None


def test_unknown_text_gives_no_department(router: Router) -> None:
    guess = router.guess("今天天气不错", "周末出去走走，心情很好。")
    assert guess.department is None
    assert guess.department_name is None
    assert guess.district is None
    assert guess.confidence == 0.0


def test_a_post_only_naming_a_place_goes_to_its_district(router: Router) -> None:
    guess = router.guess("", "槐荫街这边的情况请关注一下")
    assert (guess.department, guess.district) == ("qsq", "青山区")
    assert guess.confidence == pytest.approx(0.3)
    assert "属地管理" in guess.reasons


def test_district_words_count_only_in_their_district(router: Router) -> None:
    assert router.guess("", "槐荫街的街道办一直不回复").department == "qsq"
    assert router.guess("", "东林大道的街道办一直不回复").department == "dlx"
    assert router.guess("", "我们这里的街道办一直不管").department is None


def test_a_known_category_overrides_the_text(router: Router) -> None:
    text = "学校拖欠老师的工资，加班费也不给，社保也没有交，还说要辞退"
    assert router.guess("", text).department == "rsj"
    guess = router.guess("", text, category="教育文体")
    assert guess.department == "jyj"
    assert guess.reasons[0] == "类别:教育文体"
    # a label no department lists changes nothing
    assert router.guess("", text, category="咨询") == router.guess("", text)


def test_guess_many_routes_each_post(router: Router) -> None:
    posts = [
        {"title": "停水", "text": "自来水停了", "region": "青山区"},
        {"title": "", "text": "随便说说", "category": None, "tokens": ["随便", "说说"]},
    ]
    guesses = router.guess_many(posts)
    assert [g.department for g in guesses] == ["swjt", None]
    assert guesses[0].district == "青山区"


def test_user_words_are_in_the_jieba_dictionary() -> None:
    words = user_words(SHIPPED)
    assert {"临江区", "望潮苑", "滨江路", "市住建局", "住建局", "江澜水务集团"} <= set(words)
    assert "停水" not in words  # keywords are not names
    lines = (CONFIG_DIR / "userdict.txt").read_text(encoding="utf-8").splitlines()
    entries = [line.split(" ") for line in lines if line.strip()]
    assert all(len(e) == 3 and e[1].isdigit() and e[2].isalpha() for e in entries)
    assert set(words) <= {e[0] for e in entries}


# ---- the policies, on a small rule file ---------------------------------------------------------


def test_longest_word_wins_over_the_words_inside_it(tiny: Router) -> None:
    guess = tiny.guess("", "养老保险断缴了怎么补")
    assert guess.department == "shebao"
    assert guess.reasons == ["关键词:养老保险"]


def test_a_keyword_list_gives_weight_one(tiny: Router) -> None:
    guess = tiny.guess("", "低保")
    assert guess.department == "minzheng"
    assert guess.confidence == pytest.approx(0.221, abs=0.001)


def test_repeats_and_the_title_add_points_up_to_a_cap(tiny: Router) -> None:
    once = tiny.guess("", "工资")
    titled = tiny.guess("工资", "")
    thrice = tiny.guess("", "工资工资工资")
    capped = tiny.guess("", "工资" * 6)
    assert once.confidence < titled.confidence < thrice.confidence == capped.confidence
    assert thrice.reasons == ["关键词:工资×3"]
    assert capped.reasons == ["关键词:工资×6"]


def test_confidence_falls_with_a_close_runner_up(tiny: Router) -> None:
    clear = tiny.guess("", "学校的老师")
    contested = tiny.guess("", "学校的老师拖欠工资")
    tied = tiny.guess("", "学校发工资")
    assert clear.department == contested.department == "jiaoyu"
    assert clear.confidence > contested.confidence > 0
    assert tied.department == "shebao"  # a tie goes to the department listed first
    assert tied.confidence == 0.0


def test_a_category_shared_by_departments_leaves_the_choice_to_the_text(tiny: Router) -> None:
    assert tiny.guess("", "想进养老院", category="社会保障").department == "minzheng"
    assert tiny.guess("", "说不清楚", category="社会保障").department == "shebao"
    assert tiny.guess("", "说不清楚", category="民政").department == "minzheng"
    # only the category's departments stay in the running, however strong the text
    assert tiny.guess("", "学校学校学校的老师", category="其他/民政").department == "minzheng"


def test_district_governments_follow_the_district(tiny: Router) -> None:
    assert tiny.guess("", "梧桐苑的街道办").department == "east"
    assert tiny.guess("", "街道办", region="西湖路").department == "west"
    assert tiny.guess("", "东片的街道办", region="西湖路").department == "east"
    named = tiny.guess("", "西区政府什么时候管管")
    assert (named.department, named.district) == ("west", "西区")  # the name is a place too


def test_the_scanner_keeps_positions_across_emoji() -> None:
    scanner = WordScanner(["停水", "停水通知"], ["望潮苑", "潮苑"])
    words, places = scanner.find("😀望潮苑停水通知，停水")
    assert words == [(4, "停水通知"), (9, "停水")]
    assert places == [(1, "望潮苑")]
    assert scanner.find("停") == [[], []]


# ---- bad rule files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("districts: [\n", "not valid YAML"),
        ("districts: {东区: {}}\ndepartments: []\n", "departments"),
        (TINY.replace("code: jiaoyu", "code: shebao"), "repeated: shebao"),
        (TINY.replace("code: jiaoyu", "code: Jiao Yu"), "departments.Jiao Yu.code"),
        (TINY.replace("学校: 2, 老师: 2", "学校: 2, 学校: 3"), "'学校' is written twice"),
        (TINY.replace("[养老院, 低保]", "[养老院, 低保, 养老院]"), "listed more than once: 养老院"),
        (TINY.replace("老师: 2", "师: 2"), "departments.jiaoyu.keywords.师: Value error, '师'"),
        (TINY.replace("老师: 2", "老师: 20"), "less than or equal to 10"),
        (TINY.replace("district: 西区", "district: 南区"), "district '南区' is not under"),
        (TINY.replace("aliases: [社保中心]", "aliases: [民政处]"), "'民政处' belongs to both"),
        (TINY.replace("[养老院, 低保]", "[养老院, 社保中心]"), "also a name of shebao"),
        (TINY.replace("places: [银杏里", "places: [梧桐苑"), "'梧桐苑' is in both"),
        (TINY.replace("categories: [教育]", "categries: [教育]"), "categries"),
    ],
)
def test_a_bad_file_is_one_config_error_naming_the_problem(
    tmp_path: Path, body: str, problem: str
) -> None:
    with pytest.raises(ConfigError, match="departments.yaml") as caught:
        Router.from_file(write(tmp_path, body))
    assert problem in str(caught.value)


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the departments file"):
        load_routing_file(tmp_path / "absent.yaml")
