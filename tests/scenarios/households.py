"""The scenario corpus: households, what the clerk ticks and enters, and what the printed forms must then say.

Each :class:`Scenario` is one visit: its members (resident rows written with ``tests.support.families``), the
members ticked as concerned, the events, the 届出人 (a member's key, or someone entered), the event date as the
clerk types it, the interview's answers (per person where the question is), and the expectations read back from the
PDFs: which forms exist for whom (``forms``), which must not (``absent``), and 対象者との関係 per person
(``relations``). Everything else — names, the notifier on every form, addresses (masked for 支援措置), 和暦 dates,
household forms listing exactly the ticked members — is checked for every scenario by ``test_corpus``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

ON = "2026-11-20"  # the visits' event date (a Friday, 12 days before the corpus was written)


def person(who: str, **facts: Any) -> dict[str, Any]:
    """A member from ``"key|氏名|フリガナ|続柄|YYYY-MM-DD|sex"`` and the resident columns (facts) given."""
    key, name, kana, relation, born, sex = who.split("|")
    return {"key": key, "name": name, "kana": kana, "relation": relation, "birth": date.fromisoformat(born),
            "sex": sex, "dog_owner": False, **facts}


@dataclass(frozen=True)
class Scenario:
    label: str
    members: list[dict[str, Any]]
    ticked: list[str]
    events: list[str]
    notifier: str | dict[str, str]
    typed_date: str = ON  # as the clerk types it in the interview
    on: str = ON  # the same date, ISO
    interview: dict[str, Any] = field(default_factory=dict)
    per_member: dict[str, dict[str, Any]] = field(default_factory=dict)
    forms: dict[str, list[str] | None] = field(default_factory=dict)  # form key → whose (None: the visit's)
    absent: tuple[str, ...] = ()
    relations: dict[str, str] = field(default_factory=dict)  # member key → 対象者との関係 on their own forms
    proxy_letter: bool = False
    protected: bool = False
    foreign: tuple[str, ...] = ()  # members whose dates print in 西暦
    at_counter: str = ""  # the resident the visit is opened for (default the first member)
    address_extra: str | None = None  # the household's 方書 (building, room), printed with every address line


HARADA = [
    person("makoto|原田 誠|ハラダ マコト|世帯主|1986-07-15|1", insurance="kokuho",
           pension_category="1"),
    person("yoko|原田 陽子|ハラダ ヨウコ|妻|1988-02-03|2", insurance="kokuho", pension_category="1"),
    person("daiki|原田 大輝|ハラダ ダイキ|子|2016-05-10|1", insurance="kokuho", school="elementary"),
    person("misaki|原田 美咲|ハラダ ミサキ|子|2022-01-20|2", insurance="kokuho"),
    person("kazuko|原田 和子|ハラダ カズコ|母|1952-03-03|2", insurance="kokuho"),
]
AGENT = {"name": "佐々木 健", "kana": "ササキ ケン", "address": "広島県広島市中区基町10-52", "relation": "代理人",
         "phone": "082-111-2222"}

SCENARIOS = [
    Scenario("family of five moves in, grandmother stays, the wife notifies, only the father registers a seal",
             HARADA, ["makoto", "yoko", "daiki", "misaki"], ["tennyu"], "yoko",
             typed_date="令和8年11月20日", per_member={"makoto": {"wants_seal": True}},
             forms={"juki_tennyu": None, "seal_register": ["makoto"],
                    "kokuho_join": ["makoto", "yoko", "daiki", "misaki"], "gakko_tennyu": ["daiki"]},
             absent=("kaigo_join",), relations={"makoto": "妻", "yoko": "本人", "daiki": "母", "misaki": "母"}),
    Scenario("a family with a child moves in; the wife notifies, her husband is the 請求者 of 児童手当",
             [person("shun|藤田 駿|フジタ シュン|世帯主|1988-04-04|1", insurance="shaho", pension_category="2"),
              person("emi|藤田 恵美|フジタ エミ|妻|1990-05-05|2", insurance="shaho", pension_category="3"),
              person("rio|藤田 莉央|フジタ リオ|子|2020-08-08|2", insurance="shaho")],
             ["shun", "emi", "rio"], ["tennyu"], "emi",
             forms={"juki_tennyu": None, "jidou_nintei": None},
             relations={"shun": "妻", "emi": "本人", "rio": "母"}),
    Scenario("single parent with a pupil moves in",
             [person("hana|森 花|モリ ハナ|世帯主|1991-09-09|2", insurance="shaho", pension_category="2",
                     single_parent=True),
              person("sora|森 空|モリ ソラ|子|2017-06-01|1", insurance="shaho", school="elementary")],
             ["hana", "sora"], ["tennyu"], "hana", typed_date="R8.11.20",
             forms={"juki_tennyu": None, "jidou_nintei": None, "gakko_tennyu": ["sora"]},
             absent=("kokuho_join",), relations={"hana": "本人", "sora": "母"}),
    Scenario("a newborn with the move: the parents move in, the baby was born before",
             [person("ken|石川 健|イシカワ ケン|世帯主|1990-01-10|1", insurance="kokuho",
                     pension_category="1"),
              person("aya|石川 彩|イシカワ アヤ|妻|1992-03-03|2", insurance="kokuho", pension_category="1"),
              person("mio|石川 澪|イシカワ ミオ|子|2026-11-10|2", insurance="kokuho")],
             ["ken", "aya", "mio"], ["tennyu", "shussei"], "ken",
             forms={"juki_tennyu": None, "koseki_shussei": None, "kokuho_join": ["ken", "aya", "mio"]},
             relations={"ken": "本人", "aya": "夫", "mio": "父"}),
    Scenario("the householder died; his wife notifies",
             [person("isamu|松本 勇|マツモト イサム|世帯主|1944-04-04|1", insurance="kouki"),
              person("fumi|松本 ふみ|マツモト フミ|妻|1948-08-08|2", insurance="kouki")],
             ["isamu"], ["shibo"], "fumi",
             forms={"koseki_shibo": ["isamu"], "kouki_leave": ["isamu"], "kaigo_leave": ["isamu"]},
             absent=("juki_setai_henko",), relations={"isamu": "妻"}),
    Scenario("a foreign resident with a 通称 moves in (dates in 西暦)",
             [person("li|李 明|リ メイ|世帯主|1995-04-05|1", insurance="kokuho", pension_category="1",
                     resident_type="2", alias="木村 明", nationality="中国",
                     residence_status="技術・人文知識・国際業務")],
             ["li"], ["tennyu"], "li",
             forms={"juki_tennyu": None, "kokuho_join": ["li"], "nenkin_change": ["li"]},
             relations={"li": "本人"}, foreign=("li",)),
    Scenario("a protected household (支援措置) moves in: no address is printed",
             [person("rin|高木 凛|タカギ リン|世帯主|1989-12-01|2", insurance="kokuho",
                     pension_category="1", support_measure=True),
              person("yu|高木 悠|タカギ ユウ|子|2019-02-02|1", insurance="kokuho", school="elementary")],
             ["rin", "yu"], ["tennyu"], "rin", protected=True,
             forms={"juki_tennyu": None, "kokuho_join": ["rin", "yu"]}, relations={"rin": "本人", "yu": "母"},
             address_extra="ハイツ高木２０２号"),
    Scenario("an agent (not of the household) notifies a move: 委任状 on the guide",
             [person("taro|井上 太郎|イノウエ タロウ|世帯主|1980-05-05|1", insurance="shaho",
                     pension_category="2")],
             ["taro"], ["tennyu"], AGENT, proxy_letter=True,
             forms={"juki_tennyu": None}, absent=("kokuho_join",), relations={"taro": "代理人"}),
    Scenario("転入 with a certificate (combined events): the certificate is asked before determining",
             [person("jun|清水 純|シミズ ジュン|世帯主|1985-10-10|1", insurance="shaho",
                     pension_category="2")],
             ["jun"], ["tennyu", "shomei"], "jun", interview={"cert_juminhyo": True, "requester": "self"},
             forms={"juki_tennyu": None, "cert_juminhyo": None}),
    Scenario("moving out next week with a registered seal and 国保",
             [person("goro|山本 五郎|ヤマモト ゴロウ|世帯主|1975-03-03|1", insurance="kokuho",
                     pension_category="1", seal_registered=True)],
             ["goro"], ["tenshutsu"], "goro", typed_date="2026-12-10", on="2026-12-10",
             forms={"juki_tenshutsu": None, "kokuho_leave": ["goro"]},
             absent=("seal_cancel_notice",),  # 転出 cancels the registration by itself: the guide says so
             relations={"goro": "本人"}),
    Scenario("moving within the city with My Number cards (typed full-width)",
             [person("akira|小林 明|コバヤシ アキラ|世帯主|1982-02-02|1", insurance="shaho",
                     pension_category="2", mynumber_card=True),
              person("emi|小林 恵美|コバヤシ エミ|妻|1984-04-04|2", insurance="shaho",
                     pension_category="3")],
             ["akira", "emi"], ["tenkyo"], "emi", typed_date="２０２６－１１－２０",
             forms={"juki_tenkyo": None, "mynumber_card_address": ["akira"]},
             absent=("kokuho_change",), relations={"akira": "妻"}, address_extra="コーポ中央１０１号"),
    Scenario("marriage: she joins his household, becomes a 第3号 and changes her seal's surname",
             [person("shun|中村 俊|ナカムラ シュン|世帯主|1990-06-06|1", insurance="shaho",
                     pension_category="2"),
              person("saki|中村 咲|ナカムラ サキ|妻|1993-07-07|2", insurance="kokuho", pension_category="1",
                     seal_registered=True)],
             ["saki"], ["konin"], "saki",
             per_member={"saki": {"becomes_dependant": True, "surname_change": True}},
             forms={"koseki_konin": None, "seal_register": ["saki"], "nenkin_change": ["saki"]},
             relations={"saki": "本人"}),
    Scenario("an agreed divorce: the dependant becomes a 第1号",
             [person("mai|加藤 舞|カトウ マイ|世帯主|1988-08-08|2", insurance="shaho",
                     pension_category="3")],
             ["mai"], ["rikon"], "mai", interview={"court_divorce": False},
             forms={"koseki_rikon": None, "nenkin_change": ["mai"]}, relations={"mai": "本人"}),
    Scenario("a household split (世帯分離) in 国保",
             [person("kenji|吉田 健二|ヨシダ ケンジ|世帯主|1960-01-01|1", insurance="kokuho"),
              person("yui|吉田 結衣|ヨシダ ユイ|子|1998-03-03|2", insurance="kokuho", pension_category="1")],
             ["yui"], ["setai_henko"], "yui",
             forms={"juki_setai_henko": None, "kokuho_change": None}),
    Scenario("certificates only: 住民票の写し and a tax certificate",
             [person("nao|佐藤 直|サトウ ナオ|世帯主|1979-09-19|1", insurance="shaho",
                     pension_category="2")],
             ["nao"], ["shomei"], "nao", interview={"cert_juminhyo": True, "cert_nozei": True, "requester": "self"},
             forms={"cert_juminhyo": None, "cert_nozei": None}),
    Scenario("a 76-year-old from another prefecture moves in to her son; the son notifies",
             [person("tetsu|藤田 哲|フジタ テツ|世帯主|1970-10-10|1", insurance="shaho",
                     pension_category="2"),
              person("chiyo|藤田 千代|フジタ チヨ|母|1950-01-01|2", insurance="kouki")],
             ["chiyo"], ["tennyu"], "tetsu", interview={"previous_prefecture_other": True},
             forms={"juki_tennyu": None, "kouki_join": ["chiyo"], "kaigo_join": ["chiyo"]},
             relations={"chiyo": "子"}),
    Scenario("a severely disabled person moves in",
             [person("sho|岡田 翔|オカダ ショウ|世帯主|1987-11-11|1", insurance="shaho",
                     pension_category="2", disability="shintai3")],
             ["sho"], ["tennyu"], "sho", forms={"fukushi_judo": ["sho"], "shogai_address": ["sho"]},
             relations={"sho": "本人"}),
    Scenario("a dog owner moves in",
             [person("ryo|西村 涼|ニシムラ リョウ|世帯主|1983-03-13|1", insurance="shaho",
                     pension_category="2", dog_owner=True)],
             ["ryo"], ["tennyu"], "ryo", forms={"chiken_change": None}),
    Scenario("a family with a 15-year-old: she may register a seal, her 10-year-old brother may not",
             [person("masa|前田 正|マエダ タダシ|世帯主|1978-04-04|1", insurance="shaho",
                     pension_category="2"),
              person("rina|前田 里奈|マエダ リナ|子|2011-02-02|2", insurance="shaho",
                     school="junior_high"),
              person("kai|前田 海|マエダ カイ|子|2016-08-08|1", insurance="shaho", school="elementary")],
             ["masa", "rina", "kai"], ["tennyu"], "masa", per_member={"rina": {"wants_seal": True}},
             forms={"seal_register": ["rina"], "gakko_tennyu": ["rina", "kai"]},
             relations={"rina": "父", "kai": "父"}),
    Scenario("an elderly couple in 国保 moves in",
             [person("hiro|後藤 博|ゴトウ ヒロシ|世帯主|1955-05-15|1", insurance="kokuho"),
              person("kyo|後藤 京子|ゴトウ キョウコ|妻|1957-07-17|2", insurance="kokuho")],
             ["hiro", "kyo"], ["tennyu"], "hiro",
             forms={"kaigo_join": ["hiro", "kyo"], "kokuho_join": ["hiro", "kyo"]},
             relations={"hiro": "本人", "kyo": "夫"}),
    Scenario("a birth in a 国保 household; the mother notifies",
             [person("dai|長谷川 大|ハセガワ ダイ|世帯主|1991-01-01|1", insurance="kokuho",
                     pension_category="1"),
              person("rei|長谷川 玲|ハセガワ レイ|妻|1993-03-03|2", insurance="kokuho",
                     pension_category="1"),
              person("nagi|長谷川 凪|ハセガワ ナギ|子|2026-11-12|1", insurance="kokuho")],
             ["nagi"], ["shussei"], "rei", typed_date="令8.11.12", on="2026-11-12", at_counter="dai",
             forms={"koseki_shussei": None, "kokuho_join": ["nagi"]}, relations={"nagi": "母"}),
    Scenario("death of a 国保 householder with two adults remaining; the son notifies",
             [person("shige|村上 茂|ムラカミ シゲル|世帯主|1958-08-08|1", insurance="kokuho"),
              person("yoshi|村上 良子|ムラカミ ヨシコ|妻|1960-06-06|2", insurance="kokuho"),
              person("taku|村上 拓|ムラカミ タク|子|1990-09-09|1", insurance="shaho",
                     pension_category="2")],
             ["shige"], ["shibo"], "taku",
             forms={"koseki_shibo": ["shige"], "juki_setai_henko": None, "kokuho_funeral": ["shige"]},
             relations={"shige": "子"}),
    Scenario("a grandchild moves in to her grandmother; her mother (not of the household) notifies",
             [person("toki|原 とき|ハラ トキ|世帯主|1956-06-06|2", insurance="kokuho"),
              person("mei|原 芽衣|ハラ メイ|孫|2014-04-14|2", insurance="kokuho", school="elementary")],
             ["mei"], ["tennyu"], {"name": "原 由美", "kana": "ハラ ユミ", "address": "福岡県福岡市中央区天神1-1-1",
                                   "relation": "母", "phone": "092-000-1111"},
             forms={"juki_tennyu": None, "kokuho_join": ["mei"], "gakko_tennyu": ["mei"]},
             relations={"mei": "母"}, proxy_letter=False),
    Scenario("a family moves within the city, the grandmother stays: the 転居届 says 世帯の一部 and asks the new "
             "address, not the one moved from (found walking the demo)",
             HARADA, ["makoto", "yoko", "daiki", "misaki"], ["tenkyo"], "yoko", typed_date="R8.11.20",
             forms={"juki_tenkyo": None, "fukushi_kodomo_change": ["daiki", "misaki"]},
             absent=("fukushi_kodomo",), relations={"makoto": "妻"}),
    Scenario("death of a registered pension recipient with a 手帳; his wife notifies: the seal's registration ends by "
             "itself (the guide says so, no 廃止申請書), the 手帳 is returned and she is the pension's 届出者",
             [person("susumu|藤田 進|フジタ ススム|世帯主|1947-03-24|1", insurance="kouki", seal_registered=True,
                     disability="shintai4"),
              person("fumiko|藤田 文子|フジタ フミコ|妻|1944-03-16|2", insurance="kouki")],
             ["susumu"], ["shibo"], "fumiko",
             forms={"koseki_shibo": ["susumu"], "nenkin_death": ["susumu"], "shogai_address": ["susumu"]},
             absent=("seal_cancel_notice",), relations={"susumu": "妻"}),
]
