"""Why a model is refused, and how to fix it — in Japanese, for the designer who reads it.

SpiffWorkflow and the XML schema explain their refusals in English and in their own terms ("A Service Task must
have an operator."). :func:`explain` turns each one we know into what the designer sees in the editor and what to
do about it, and keeps the original after it (for whoever looks it up); an unknown message is still shown, with
the general advice. Madoguchi's own checks (:mod:`workflows.validation`) write their messages the same way:
what is wrong, then 「…してください」.
"""

from __future__ import annotations

import re

# (pattern of SpiffWorkflow's / lxml's message, what is wrong and how to fix it); \1… refer to the pattern's groups.
KNOWN: list[tuple[re.Pattern[str], str]] = [(re.compile(p, re.S), m) for p, m in [
    (r"No start event found",
     "開始イベントがありません。パレットから開始イベントを置き、最初の要素につないでください。"),
    (r"Exactly one start event is required in a SubWorkflow Task; found (\d+)",
     "サブプロセスには開始イベントがちょうど 1 つ必要です（今は \\1 個）。"
     "サブプロセスの中に開始イベントを 1 つ置いてください。"),
    (r"A Service Task must have an operator",
     "サービスタスクにサービス操作がありません。プロパティの「サービス操作」で操作を選んでください。"),
    (r"A multiinstance task must specify a cardinality or a loop input data reference",
     "マルチインスタンスに件数（cardinality）も入力コレクションもありません。プロパティの「マルチインスタンス」で"
     "どちらかを指定してください。"),
    (r"Duplicate process ID: (\S+?)\.?$",
     "プロセス ID「\\1」は、すでにデプロイされた別のファイルでも使われています。この図のプロセス ID を別の名前に"
     "変えてください。"),
    (r"Non-default exclusive outgoing sequence flow without condition",
     "排他ゲートウェイから出るフローに条件がありません。条件式を書くか、ゲートウェイの既定のフローにしてください。"),
    (r"Time Specification Error",
     "タイマーの式が読めません。タイマーは Python の式です：ISO 8601 の期間や日時は引用符で囲んでください"
     "（例 \"PT15M\"、\"2026-04-01T09:00:00+09:00\"）。"),
    (r"Data Store with name (.+?) has no implementation",
     "データストア「\\1」は Madoguchi にはありません。"
     "データストアを外し、必要なデータはサービス操作で読み書きしてください。"),
    (r"No DMN Diagram available with id \"(.*?)\"",
     "判定表「\\1」がデプロイされていません。ビジネスルールタスクのプロパティ「判定表」でデプロイ済みの判定表を選ぶか、"
     "先に判定表をデプロイしてください。"),
    (r"The process '(.+?)' was not found",
     "呼び出すプロセス「\\1」がデプロイされていません。先にそのプロセスをデプロイするか、呼び出し先を直してください。"),
    (r"Cannot resolve (dataInputAssociation|dataOutputAssociation)",
     "データの関連付け（\\1）の相手が図の中にありません。関連付けを消すか、相手のデータオブジェクトを図に置いてください。"),
    (r"The attribute '(\w+)' is required but missing",
     "必須の属性 \\1 がありません（BPMN の XML スキーマに合いません）。"
     "要素をつなぎ直すか、モデリングツールで保存し直してください。"),
    (r"XML error",
     "XML として読めません。ファイルが壊れていないか確かめ、モデリングツールで保存し直してください。"),
]]
GENERAL = "この図は SpiffWorkflow で実行できません。示された要素を直してください。"


def explain(message: str) -> str:
    """The Japanese explanation and fix for an engine or schema message, the original kept after it."""
    original = " ".join(message.split())
    for pattern, text in KNOWN:
        match = pattern.search(original)
        if match:
            return f"{match.expand(text)}（{original}）"
    return f"{GENERAL}（{original}）"
