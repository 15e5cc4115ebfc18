/* Japanese for the editors: bpmn-js-i18n's community translation for bpmn-js itself, then what it does not cover
   (the properties panel, bpmnlint's overlays, dmn-js, form-js). A string without a translation stays English. */
import bpmnJa from "bpmn-js-i18n/translations/ja.js";

const PANEL = {
  "General": "基本", "Name": "名称", "ID": "ID", "Documentation": "説明", "Element documentation": "要素の説明",
  "Process documentation": "プロセスの説明", "Executable": "実行可能", "Process ID": "プロセスID",
  "Process name": "プロセス名", "Participant Name": "参加者名", "Multi-instance": "マルチインスタンス（件数・終了条件）",
  "Loop cardinality": "件数（cardinality、式）", "Completion condition": "終了条件（式）",
  "Condition expression": "条件式", "Timer": "タイマー", "Type": "種類", "Value": "値", "Date": "日時",
  "Duration": "期間", "Cycle": "繰り返し", "Message": "メッセージ", "Signal": "シグナル", "Error": "エラー",
  "Escalation": "エスカレーション", "Link": "リンク", "Compensation": "補償", "Code": "コード",
  "Global message reference": "メッセージ", "Global signal reference": "シグナル", "Global error reference": "エラー",
  "Global escalation reference": "エスカレーション", "Create new ...": "新規作成…", "Create": "作成",
  "<none>": "（なし）", "<empty>": "（空）", "Activity reference": "参照するアクティビティ",
  "Wait for completion": "完了を待つ", "Version tag": "版タグ", "Update": "更新",
  "ID must be unique.": "ID が重複しています。", "ID must not be empty.": "ID を入力してください。",
  "ID must not contain spaces.": "ID に空白は使えません。", "ID must be a valid QName.": "ID は英字で始めてください。",
  "ID must not contain prefix.": "ID に接頭辞（xx:）は使えません。",
  "Select an element to edit its properties.": "要素を選択すると、ここでプロパティを編集できます。",
  "Multiple elements are selected. Select a single element to edit its properties.":
    "複数の要素が選択されています。編集するには 1 つだけ選択してください。",
  "Toggle section": "開く／閉じる", "Section contains edits": "編集あり", "Section contains an error": "誤りあり",
  "Open documentation": "説明を開く", "Open pop-up editor": "別窓で編集", "Delete item": "削除",
  "Create new list item": "追加", "Toggle list item": "開く／閉じる", "Opened in editor": "別窓で編集中",
  "A time duration defined as ISO 8601 durations format.": "ISO 8601 の期間（例 PT15M、P14D）。",
  "A specific point in time defined as ISO 8601 combined date and time representation.":
    "ISO 8601 の日時（例 2026-04-01T09:00:00+09:00）。",
  "A cycle defined as ISO 8601 repeating intervals format.": "ISO 8601 の繰り返し（例 R3/PT10M）。",
  "How to configure a timer": "タイマーの設定方法",
  // element types in the panel's header
  "Process": "プロセス", "Participant": "参加者（プール）", "Lane": "レーン（担当課）", "Task": "タスク",
  "User Task": "ユーザータスク", "Manual Task": "手作業タスク", "Service Task": "サービスタスク",
  "Script Task": "スクリプトタスク", "Business Rule Task": "ビジネスルールタスク（判定表）",
  "Send Task": "送信タスク", "Receive Task": "受信タスク", "Call Activity": "呼び出しアクティビティ",
  "Start Event": "開始イベント", "End Event": "終了イベント", "Exclusive Gateway": "排他ゲートウェイ",
  "Parallel Gateway": "並列ゲートウェイ", "Inclusive Gateway": "包含ゲートウェイ",
  "Event Based Gateway": "イベントベースゲートウェイ", "Sequence Flow": "シーケンスフロー",
  "Conditional Flow": "条件付きフロー", "Default Flow": "既定のフロー", "Message Flow": "メッセージフロー",
  "Collapsed Sub Process": "サブプロセス（折りたたみ）", "Expanded Sub Process": "サブプロセス",
  "Event Sub Process": "イベントサブプロセス", "Text Annotation": "注釈", "Data Object Reference": "データオブジェクト",
  "Data Store Reference": "データストア", "Group": "グループ",
  "Message Start Event": "メッセージ開始イベント", "Message Start Event (Non Interrupting)": "メッセージ開始イベント（非中断）",
  "Timer Start Event": "タイマー開始イベント", "Timer Boundary Event": "タイマー境界イベント",
  "Timer Boundary Event (Non Interrupting)": "タイマー境界イベント（非中断）",
  "Message Intermediate Catch Event": "メッセージ中間キャッチイベント",
  "Timer Intermediate Catch Event": "タイマー中間キャッチイベント",
  // bpmn-js-bpmnlint
  "Toggle linting overlays": "図の検査結果の表示を切り替え", "Issues for child elements": "内側の要素の問題",
  "No Issues": "問題なし", "{errors} Errors, {warnings} Warnings": "誤り {errors} 件・注意 {warnings} 件",
  "Process is missing start event": "開始イベントがありません。パレットから開始イベントを置いてください。",
  "Sub process is missing start event": "サブプロセスに開始イベントがありません。",
  "Sequence flow is missing condition": "条件のないフローです。条件式を書くか、ゲートウェイの既定のフローにしてください。",
  "SequenceFlow is a duplicate": "同じフローが二重にあります。", "Duplicate outgoing sequence flows": "出ていくフローが重複しています。",
  "Duplicate incoming sequence flows": "入ってくるフローが重複しています。", "Collaboration": "コラボレーション",
};

// dmn-js (decision table, DRD, literal expression, boxed expression)
const DMN = {
  "View DRD": "判定要件図（DRD）を表示", "Hit policy": "ヒットポリシー", "Hit policy:": "ヒットポリシー:",
  "Annotations": "注記", "Annotation": "注記", "When": "条件", "And": "かつ", "Then": "結果", "Input": "入力",
  "Output": "出力", "Add rule": "規則を追加", "Add input": "入力列を追加", "Add output": "出力列を追加",
  "Add rule above": "上に規則を追加", "Add rule below": "下に規則を追加", "Remove rule": "規則を削除",
  "Copy rule": "規則をコピー", "Cut rule": "規則を切り取り", "Paste rule above": "上に規則を貼り付け",
  "Paste rule below": "下に規則を貼り付け", "Move rule": "規則を移動",
  "Add input column left": "左に入力列を追加", "Add input column right": "右に入力列を追加",
  "Add output column left": "左に出力列を追加", "Add output column right": "右に出力列を追加",
  "Remove input column": "入力列を削除", "Remove output column": "出力列を削除",
  "Copy input column": "入力列をコピー", "Copy output column": "出力列をコピー",
  "Cut input column": "入力列を切り取り", "Cut output column": "出力列を切り取り",
  "Paste input column left": "左に入力列を貼り付け", "Paste input column right": "右に入力列を貼り付け",
  "Paste output column left": "左に出力列を貼り付け", "Paste output column right": "右に出力列を貼り付け",
  "Add cell description": "セルに説明を追加", "Remove cell description": "セルの説明を削除",
  "Input expression": "入力式", "Input expression: ": "入力式: ", "Input label": "入力の見出し",
  "Input label: ": "入力の見出し: ", "Input type": "入力の型", "Input values": "入力の値",
  "Output label": "出力の見出し", "Output label: ": "出力の見出し: ", "Output name": "出力名",
  "Output name: ": "出力名: ", "Output type": "出力の型", "Output values": "出力の値",
  "Expression language": "式の言語", "Expression language:": "式の言語:",
  "Expression language: {expressionLanguageLabel}": "式の言語: {expressionLanguageLabel}",
  "Change cell expression language": "セルの式の言語を変更", "Expression": "式", "Enter expression": "式を入力",
  "Edit": "編集", "Delete": "削除", "Type": "型", "Value": "値", "Values": "値", "Yes": "はい", "No": "いいえ",
  "Decision name": "判定名", "Decision name: ": "判定名: ", "Definition name": "定義名", "Definition ID": "定義ID",
  "Element name": "要素名", "Variable name": "変数名", "Variable name:": "変数名:", "Variable type": "変数の型",
  "Variable type:": "変数の型:", "Predefined values": "定義済みの値", "Add predefined values": "定義済みの値を追加",
  "Clear predefined values": "定義済みの値を消去", "Add values": "値を追加", "No values": "値なし",
  "Custom values": "任意の値", "Strings must be in double quotes": "文字列は \" で囲んでください",
  "Comparison": "比較", "Comparison operator": "比較演算子", "Range": "範囲", "Equals": "等しい",
  "Less": "より小さい", "Less or equals": "以下", "Greater": "より大きい", "Greater or equals": "以上",
  "Range start value": "範囲の始まり", "Range end value": "範囲の終わり", "Range start operator": "始まりの比較",
  "Range end operator": "終わりの比較", "Start value": "始まりの値", "End value": "終わりの値",
  "Match one": "いずれかに一致", "Match none": "どれにも一致しない", "Include": "含む", "Exclude": "除く",
  "Boolean value": "真偽値", "String value": "文字列", "Date value": "日付", "Time value": "時刻",
  "Date and time value": "日時", "Duration value": "期間", "Test type": "判定の種類", "Set value": "値を設定",
  "Edit string": "文字列を編集", "Edit number": "数値を編集", "Edit boolean": "真偽値を編集", "Edit date": "日付を編集",
  "Edit time": "時刻を編集", "Edit date and time": "日時を編集", "Edit duration": "期間を編集",
  "Edit input": "入力を編集", "Edit output": "出力を編集", "Exactly": "ちょうど", "Before": "より前",
  "After": "より後", "Between": "の間", "Use today": "今日", "Use now": "現在", "Date": "日付", "Time": "時刻",
  "Date and time": "日時", "Literal expression": "式", "Literal expression editor": "式の編集",
  "Create decision": "判定を作成", "Create input data": "入力データを作成", "Create knowledge model": "知識モデルを作成",
  "Create knowledge source": "知識源を作成", "Append decision": "判定を追加", "Append input data": "入力データを追加",
  "Append knowledge source": "知識源を追加", "Append business knowledge model": "業務知識モデルを追加",
  "Connect to other element": "他の要素に接続", "Add text annotation": "注釈を追加",
  "Activate hand tool": "ハンドツール", "Activate lasso tool": "投げ縄選択ツール", "Resize": "サイズ変更",
  "Editing not supported for set expression language": "この式の言語は編集できません",
  "Unique": "一意（Unique）", "First": "最初（First）", "Priority": "優先（Priority）", "Any": "いずれか（Any）",
  "Collect": "すべて（Collect）", "Collect (Sum)": "すべて・合計", "Collect (Min)": "すべて・最小",
  "Collect (Max)": "すべて・最大", "Collect (Count)": "すべて・件数", "Rule order": "規則の順", "Output order": "出力の順",
};

// form-js editor
const FORM = {
  "Components": "部品", "Search components": "部品を検索", "Basic input": "基本の入力", "Selection": "選択",
  "Presentation": "表示", "Containers": "まとまり", "Action": "操作", "Text field": "文字（1行）",
  "Text area": "文字（複数行）", "Number": "数値", "Date time": "日付", "Checkbox": "チェックボックス",
  "Radio group": "ラジオボタン", "Select": "選択リスト", "Checklist": "チェックリスト", "Tag list": "タグ",
  "Text view": "説明文", "Key": "キー（変数名）", "Field label": "見出し", "Label": "見出し",
  "Description": "説明", "Required": "必須", "Validation": "入力チェック", "Minimum length": "最小文字数",
  "Maximum length": "最大文字数", "Minimum": "最小値", "Maximum": "最大値", "Static options": "選択肢",
  "Options source": "選択肢の出所", "Default value": "既定値", "Appearance": "見た目", "Condition": "条件",
  "Input": "入力", "Build your form": "様式を作りましょう", "Expression": "式", "File picker": "ファイル",
  "Drag and drop components here to start designing.": "左の部品をここにドラッグして置きます。",
  "Use the preview window to test your form.": "キーが項目名（変数名）になります。",
  "Checkbox group": "チェックボックス群", "Image view": "画像", "Table": "表", "HTML view": "HTML",
  "Document preview": "文書プレビュー", "Spacer": "余白", "Separator": "区切り線", "Dynamic list": "繰り返し",
  "iFrame": "iFrame", "Button": "ボタン", "General": "基本", "Field description": "説明",
  "Subtype": "種類", "Date": "日付", "Values": "選択肢", "Custom properties": "追加の設定（format・ask_if）",
};

const TABLES = { bpmn: { ...bpmnJa, ...PANEL }, dmn: DMN, form: { ...PANEL, ...FORM } };

export function translator(kind) {
  const table = TABLES[kind];
  return function translate(template, replacements) {
    const text = table[template] || template;
    return text.replace(/{([^}]+)}/g, (_, key) => (replacements && key in replacements ? replacements[key] : "{" + key + "}"));
  };
}

export function translateModule(kind) {
  return { translate: ["value", translator(kind)] };
}
