"""What the 手続案内書 says around the data, in the languages a visit may ask for: Japanese (the default),
やさしい日本語 (easy Japanese, for residents who read little kanji) and English. The layout is one (guide.html); the
procedures' names, places and things to bring are the catalogue's data and stay as written (Japanese)."""

from __future__ import annotations

from typing import Any

LANGUAGES = ("ja", "easy", "en")
DEFAULT = "ja"

TEXTS: dict[str, dict[str, Any]] = {
    "ja": {"lang": "ja", "title": "手続案内書", "qr_alt": "状況確認用QRコード", "qr_caption": "手続の状況はこちら",
           "ticket": "受付番号", "notifier": "届出人", "honorific": "様", "office": "{city}役所 総合窓口",
           "hours": "（開庁時間 {hours}）", "no": "No", "procedure": "手続（対象の方・理由）", "where": "窓口",
           "due": "期限", "state": "状況", "bring": "お持ちいただくもの", "subjects": "対象：", "reason": "理由：",
           "none": "判定された手続はありません。", "bring_label": "お持ちいただくもの：",
           "qr_note": "QRコードから、受付番号の手続の進み具合を確認できます（お名前などは表示されません）。",
           "how_to": ("お手続は各担当課で行います。待合の表示板に受付番号と窓口が表示されたら、"
                      "その窓口へお越しください。本日お手続きができなかったものは、期限までに各窓口でお手続きください。"),
           "states": {"done": "本日手続済", "open": "要手続", "removed": "取りやめ"},
           "proxy_letter": "委任状（届出人が世帯の方でも親権者でもないため、本人からの委任状が必要です）"},
    "easy": {"lang": "ja", "title": "てつづきの あんない", "qr_alt": "じょうきょうを みる QRコード",
             "qr_caption": "てつづきの じょうきょうは ここから", "ticket": "うけつけ ばんごう",
             "notifier": "とどけでた ひと", "honorific": "さま", "office": "{city}役所 そうごう まどぐち",
             "hours": "（あいている じかん {hours}）", "no": "No", "procedure": "てつづき（だれの・なぜ）",
             "where": "まどぐち", "due": "きげん", "state": "いまの ようす", "bring": "もってくる もの",
             "subjects": "だれの：", "reason": "なぜ：", "none": "てつづきは ありません。",
             "bring_label": "もってくる もの：",
             "qr_note": "QRコードで、てつづきが どこまで すすんだか わかります（なまえなどは でません）。",
             "how_to": ("てつづきは それぞれの 課（か）で します。まちあいの がめんに うけつけ ばんごうと "
                        "まどぐちが でたら、その まどぐちへ いって ください。きょう できなかった てつづきは、"
                        "きげんまでに まどぐちで して ください。"),
             "states": {"done": "きょう おわりました", "open": "てつづきが ひつようです", "removed": "やめました"},
             "proxy_letter": ("いにんじょう（とどけでた ひとが せたいの ひとでも しんけんしゃでも ないので、"
                              "ほんにんからの いにんじょうが ひつようです）")},
    "en": {"lang": "en", "title": "Procedure guide", "qr_alt": "QR code of the status page",
           "qr_caption": "Status of your procedures", "ticket": "Number", "notifier": "Notifier", "honorific": "",
           "office": "{city} City Office, one-stop counter", "hours": " (open {hours})", "no": "No",
           "procedure": "Procedure (for whom, why)", "where": "Counter", "due": "Due", "state": "Status",
           "bring": "What to bring", "subjects": "For: ", "reason": "Why: ", "none": "No procedures were determined.",
           "bring_label": "What to bring: ",
           "qr_note": "The QR code shows how far your procedures have gone (no names are shown).",
           "how_to": ("Each procedure is done at its section. When the board in the waiting area shows your number "
                      "and a counter, please go to that counter. Procedures not done today must be done at the "
                      "counters by their due date."),
           "states": {"done": "Done today", "open": "To do", "removed": "Withdrawn"},
           "proxy_letter": ("A letter of proxy (the notifier is neither a member of the household nor a parent, so a "
                            "letter from the person is needed)")},
}


def texts(language: str | None) -> dict[str, Any]:
    """The guide's words in ``language`` (Japanese for anything else)."""
    return TEXTS.get(language or DEFAULT, TEXTS[DEFAULT])
