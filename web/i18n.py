"""The reader's language: one catalogue (``web/translations``, Flask-Babel), Japanese by default, English for those
who ask for it — per user with ``?lang=en`` (kept in the session), else by the browser's Accept-Language.

Message ids are the Japanese texts of the templates and of :mod:`core.i18n` messages; the ``en`` catalogue gives
their English. Marshmallow's own messages (English ids of the library) are mapped to catalogue ids here, so a
validation error reads 「氏名」: 入力してください in Japanese and "氏名" wording in English alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, request, session
from flask_babel import Babel, get_locale, gettext, refresh

from core.i18n import Message, library_message

LANGUAGES = ("ja", "en")
DEFAULT = "ja"
babel = Babel()


def select_locale() -> str:
    """``?lang=`` (remembered in the session), the session's, else the best of Accept-Language; Japanese."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT) or DEFAULT


def language() -> str:
    """The language of the current request's pages (``ja`` outside one)."""
    locale = get_locale()
    return locale.language if locale else DEFAULT


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.root_path + "/translations"))
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel keeps the chosen locale on ``g``, which a request shares with an app context already pushed
    # (a command, a test): each request chooses again.
    app.before_request(refresh)
    app.jinja_env.globals.update(lang=language, LANGUAGES=LANGUAGES)
    app.add_template_filter(translate, "t")


def translate(message: Any) -> Any:
    """A :class:`core.i18n.Message` (or any text that is a catalogue id) in the reader's language."""
    if isinstance(message, Message):
        params = {k: translate(v) for k, v in message.params.items()}
        text = gettext(message.msgid)
        try:
            return text.format(**params) if params else text
        except (KeyError, IndexError, ValueError):
            return str(message)
    if isinstance(message, str) and message:
        return gettext(message) if language() != DEFAULT else message
    return message


def field_messages(messages: Any, labels: Mapping[str, str] | None = None, _field: str | None = None) -> Any:
    """marshmallow's error messages (nested by field) in the reader's language, each naming its field:
    「氏名」: 入力してください. ``labels`` gives a field's name as people read it (its key else)."""
    if isinstance(messages, Mapping):
        return {key: field_messages(value, labels, str(key)) for key, value in messages.items()}
    if isinstance(messages, list | tuple):
        return [field_messages(value, labels, _field) for value in messages]
    if isinstance(messages, Message):
        return translate(messages)
    if not isinstance(messages, str):
        return messages
    text = translate(library_message(messages))
    if _field is None or _field.isdigit() or _field == "_schema":
        return text
    label = translate((labels or {}).get(_field, _field))
    return gettext("「%(field)s」: %(message)s", field=label, message=text)
