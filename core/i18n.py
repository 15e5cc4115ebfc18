"""Messages that the web layer can give in the reader's language, raised by code that never sees a request.

A service writes ``N_("受付番号 {case} は既に{state}です", case=case.id, state=STATE[case.state])``: the value is the
Japanese text (what logs, tests and the command line read), and it carries its catalogue id and values, so that
``web.i18n.translate`` looks the id up in the one catalogue (``web/translations``) for an English reader. Values
that are themselves messages (a state's name) are translated too. ``pybabel extract`` finds the ids by ``N_``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


class Message(str):
    """A Japanese message (the ``str`` itself) with its catalogue id and the values put into it."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Message:
        text = super().__new__(cls, msgid.format(**params) if params else msgid)
        text.msgid, text.params = msgid, params
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.msgid, self.params))


def _rebuild(msgid: str, params: dict[str, Any]) -> Message:
    return Message(msgid, **params)


def N_(msgid: str, **params: Any) -> Message:  # noqa: N802 - the gettext convention pybabel looks for
    """A message of the catalogue, Japanese until the web layer translates it."""
    return Message(msgid, **params)


# The names of the states a case, task or procedure row stores (codes), as messages.
STATE = {"running": N_("処理中"), "ready": N_("処理待ち"), "completed": N_("完了"), "cancelled": N_("取消"),
         "handed_over": N_("各課へ送付済み"), "open": N_("受付中"), "done": N_("完了"), "removed": N_("取下げ")}
RUN_STATUS = {"running": N_("実行中"), "succeeded": N_("成功"), "failed": N_("失敗"), "skipped": N_("省略"),
              "rejected": N_("取込不可")}


def state_name(code: str | None) -> str:
    """A stored state's name (the code itself when it has none)."""
    return STATE.get(code or "", code or "")


# marshmallow's messages (marshmallow/fields.py, validate.py) → catalogue ids; {…} are the values they name.
LIBRARY_MESSAGES: list[tuple[re.Pattern[str], str]] = [(re.compile(p), m) for p, m in [
    (r"^Missing data for required field\.$", N_("入力してください")),
    (r"^Field may not be null\.$", N_("入力してください")),
    (r"^Unknown field\.$", N_("この項目は受け付けません")),
    (r"^Length must be between (?P<min>\d+) and (?P<max>\d+)\.$", N_("{min}〜{max}文字で入力してください")),
    (r"^Length must be (?P<equal>\d+)\.$", N_("{equal}文字で入力してください")),
    (r"^Longer than maximum length (?P<max>\d+)\.$", N_("{max}文字以内で入力してください")),
    (r"^Shorter than minimum length (?P<min>\d+)\.$", N_("{min}文字以上で入力してください")),
    (r"^Not a valid (integer|number)\.$", N_("数字で入力してください")),
    (r"^Number too large\.$", N_("数が大きすぎます")),
    (r"^Not a valid boolean\.$", N_("はい・いいえで指定してください")),
    (r"^Not a valid (date|datetime)\.$", N_("日付として読めません")),
    (r"^Not a valid (string|utf-8 string)\.$", N_("文字で入力してください")),
    (r"^Not a valid (list|tuple|mapping type)\.$", N_("形式が正しくありません")),
    (r"^Not a valid email address\.$", N_("メールアドレスとして読めません")),
    (r"^Not a valid URL\.$", N_("URLとして読めません")),
    (r"^Invalid (value|type|input type)\.$", N_("値が正しくありません")),
    (r"^Must be one of: (?P<choices>.*)\.$", N_("次のどれかを選んでください: {choices}")),
    (r"^Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.$",
     N_("{min}〜{max} の範囲で入力してください")),
    (r"^Must be greater than or equal to (?P<min>\S+)\.$", N_("{min} 以上で入力してください")),
    (r"^Must be less than or equal to (?P<max>\S+)\.$", N_("{max} 以下で入力してください")),
    # Flask-WTF's CSRF refusals ("CSRF" stays in the text: the route matrix tells its own faults by it)
    (r"^The CSRF (session )?token is missing\.$", N_("CSRF トークンがありません。画面を開き直して送信してください")),
    (r"^The CSRF token has expired\.$", N_("CSRF トークンの有効期限が切れました。画面を開き直して送信してください")),
    (r"^The CSRF (token is invalid|tokens do not match)\.$",
     N_("CSRF トークンが正しくありません。画面を開き直して送信してください")),
    (r"^The referrer (header is missing|does not match the host)\.$", N_("送信元を確認できません（CSRF 対策）")),
]]

# werkzeug's own descriptions of an HTTP error (an abort() without a message), by status.
HTTP_MESSAGES = {400: N_("要求の形式が正しくありません"), 401: N_("ログインしてください"),
                 403: N_("この操作の権限がありません"), 404: N_("お探しのページは見つかりません"),
                 405: N_("この方法では受け付けられません"), 409: N_("他の操作と競合しました。画面を開き直してください"),
                 413: N_("送信された内容が大きすぎます"), 415: N_("この形式のファイルは受け付けられません"),
                 422: N_("入力内容に誤りがあります"), 429: N_("しばらく待ってからもう一度お試しください"),
                 500: N_("内部エラーが発生しました。管理者に連絡してください。"),
                 503: N_("ただいま利用できません。しばらく待ってからお試しください")}


def library_message(text: str) -> Message | str:
    """marshmallow's English ``text`` as a catalogue message (``text`` itself when it is none of them)."""
    for pattern, msgid in LIBRARY_MESSAGES:
        if match := pattern.match(text):
            return Message(msgid, **match.groupdict())
    return text


def named_messages(messages: Any, labels: Mapping[str, str], _field: str | None = None) -> Any:
    """marshmallow's error messages as catalogue messages naming their field (translated when shown)."""
    if isinstance(messages, Mapping):
        return {key: named_messages(value, labels, str(key)) for key, value in messages.items()}
    if isinstance(messages, list | tuple):
        return [named_messages(value, labels, _field) for value in messages]
    if not isinstance(messages, str):
        return messages
    message = library_message(messages)
    if _field is None or _field.isdigit() or _field == "_schema":
        return message
    return N_("「{field}」: {message}", field=labels.get(_field, _field), message=message)
