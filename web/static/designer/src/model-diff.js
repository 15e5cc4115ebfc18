/* The version comparison of a BPMN model: bpmn-js-differ says which elements were added, removed or changed
   (layout-only changes left out); for each changed one the table shows the old and the new value of what changed —
   its own attributes (from the differ), and what the differ does not look into: the spiffworkflow: extensions
   (form, due, item, operation and its parameters, decision, scripts), the lane it sits in, its condition,
   timer and multi-instance loop data. */
import { BpmnModdle } from "bpmn-moddle";
import { diff } from "bpmn-js-differ";
import spiffworkflow from "./spiffworkflow.json";
import { translator } from "./i18n.js";
import { restoreUnresolved } from "./references.js";

const config = JSON.parse(document.getElementById("designer-diff").textContent);
const t = translator("bpmn");
const KIND = { added: "追加", removed: "削除", changed: "変更" };

async function load(url) {
  const xml = await (await fetch(url, { credentials: "same-origin" })).text();
  const moddle = new BpmnModdle({ spiffworkflow });
  const { rootElement, warnings } = await moddle.fromXML(xml, "bpmn:Definitions");
  restoreUnresolved(moddle, warnings);
  return rootElement;
}

/* Every element of the model by id, walking what each element contains (not what it refers to), without layout. */
function byId(definitions) {
  const found = {};
  (function walk(element) {
    if (element.id && !/^(bpmndi|dc|di):/.test(element.$type)) { found[element.id] = element; }
    for (const key of Object.keys(element)) {
      if (key.startsWith("$")) { continue; }
      for (const value of [].concat(element[key])) {
        if (value && typeof value === "object" && value.$type && value.$parent === element) { walk(value); }
      }
    }
  })(definitions);
  return found;
}

function lanes(all) {
  const of = {};
  for (const element of Object.values(all)) {
    if (element.$type === "bpmn:Lane") { (element.flowNodeRef || []).forEach((n) => { of[n.id] = element.name || element.id; }); }
  }
  return of;
}

function body(value) { return value && typeof value === "object" ? (value.body || value.id || "") : (value || ""); }

/* What Madoguchi reads from an element, as label → text. */
function described(element, laneOf) {
  const out = {};
  if (!element) { return out; }
  if (element.name !== undefined) { out["名称"] = element.name || ""; }
  if (laneOf[element.id]) { out["レーン（担当課）"] = laneOf[element.id]; }
  for (const ext of (element.extensionElements && element.extensionElements.values) || []) {
    if (ext.$type === "spiffworkflow:Properties") {
      for (const p of ext.properties || []) { out[{ form: "様式", due: "期限", item: "手続データの変数" }[p.name] || "プロパティ " + p.name] = p.value || ""; }
    } else if (ext.$type === "spiffworkflow:ServiceTaskOperator") {
      out["サービス操作"] = ext.id || "";
      out["結果の変数名"] = ext.resultVariable || "";
      for (const p of (ext.parameterList && ext.parameterList.parameters) || []) { out["引数 " + p.id] = p.value || ""; }
    } else if (ext.$type === "spiffworkflow:CalledDecisionId") { out["判定表"] = (ext.value || "").trim(); }
    else if (ext.$type === "spiffworkflow:PreScript") { out["事前スクリプト"] = ext.value || ""; }
    else if (ext.$type === "spiffworkflow:PostScript") { out["事後スクリプト"] = ext.value || ""; }
    else if (ext.$type === "spiffworkflow:InstructionsForEndUser") { out["担当者への説明"] = ext.value || ""; }
  }
  if (element.script !== undefined) { out["スクリプト"] = element.script || ""; }
  if (element.conditionExpression) { out["条件式"] = body(element.conditionExpression); }
  const loop = element.loopCharacteristics;
  if (loop) {
    out["マルチインスタンス 件数"] = body(loop.loopCardinality);
    out["マルチインスタンス 入力コレクション"] = body(loop.loopDataInputRef);
    out["マルチインスタンス 入力要素"] = loop.inputDataItem ? (loop.inputDataItem.name || loop.inputDataItem.id) : "";
    out["マルチインスタンス 終了条件"] = body(loop.completionCondition);
  }
  for (const definition of element.eventDefinitions || []) {
    for (const key of ["timeDuration", "timeDate", "timeCycle"]) { if (definition[key]) { out["タイマー"] = body(definition[key]); } }
    if (definition.messageRef) { out["メッセージ"] = definition.messageRef.name || definition.messageRef.id; }
  }
  return out;
}

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) { td.className = cls; }
  row.appendChild(td);
}

function addRow(tbody, element, kind, label, before, after) {
  const row = document.createElement("tr");
  row.dataset.element = element.id;
  cell(row, element.id); cell(row, t((element.$type || "").replace("bpmn:", "").replace(/([a-z])([A-Z])/g, "$1 $2")));
  cell(row, element.name || ""); cell(row, KIND[kind]); cell(row, label); cell(row, before, "old"); cell(row, after, "new");
  tbody.appendChild(row);
}

async function show() {
  const [before, after] = await Promise.all([load(config.old_url), load(config.new_url)]);
  const changes = diff(before, after);
  const a = byId(before), b = byId(after), laneA = lanes(a), laneB = lanes(b);
  const tbody = document.querySelector("#diff-properties tbody");
  tbody.replaceChildren();
  for (const element of Object.values(changes._added)) { addRow(tbody, element, "added", "", "", Object.entries(described(element, laneB)).map(([k, v]) => k + ": " + v).join("、")); }
  for (const element of Object.values(changes._removed)) { addRow(tbody, element, "removed", "", Object.entries(described(element, laneA)).map(([k, v]) => k + ": " + v).join("、"), ""); }
  const candidates = new Set([...Object.keys(changes._changed), ...Object.keys(b).filter((id) => a[id])]);
  for (const id of candidates) {
    if (!a[id] || !b[id] || changes._added[id] || changes._removed[id]) { continue; }
    const old = described(a[id], laneA), now = described(b[id], laneB);
    const labels = new Set([...Object.keys(old), ...Object.keys(now)]);
    // bpmn-js-differ's own attribute changes (its oldValue/newValue come out the other way round)
    for (const [attr, change] of Object.entries((changes._changed[id] || {}).attrs || {})) {
      if (attr === "name" || typeof change.newValue === "object" || typeof change.oldValue === "object") { continue; }
      old["属性 " + attr] = String(change.newValue ?? ""); now["属性 " + attr] = String(change.oldValue ?? "");
      labels.add("属性 " + attr);
    }
    for (const label of labels) {
      if ((old[label] || "") !== (now[label] || "")) { addRow(tbody, b[id], "changed", label, old[label] || "", now[label] || ""); }
    }
  }
  if (!tbody.children.length) {
    const row = document.createElement("tr"); cell(row, "要素の変更はありません（配置のみ）。"); row.firstChild.colSpan = 7; tbody.appendChild(row);
  }
  document.getElementById("diff-properties").dataset.ready = "1";
}

show().catch((err) => {
  document.querySelector("#diff-properties tbody").textContent = "比較できません: " + err.message;
});
