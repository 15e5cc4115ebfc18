/* Madoguchi's groups for bpmn-js-properties-panel: what the registry needs in the spiffworkflow: namespace.

   - レーン: a lane's name is its section (chosen from the configured lanes); a node can be moved to a lane;
   - 様式・期限: a user task's form (none = the default confirmation form), due (ISO 8601), the procedure item;
   - サービス操作: the operation and an expression per parameter, the result variable;
   - 判定表: the decision a business rule task calls;
   - スクリプト: a script task's script, pre/post scripts of any task;
   - マルチインスタンス（データ）: SpiffWorkflow's loop data (input/output collection and item), which the standard
     panel does not offer;
   - その他のプロパティ: every other spiffworkflow:property, so nothing the file holds is hidden.

   Every change goes through the command stack (undo works, the linter and the save see it). */
import { SelectEntry, TextAreaEntry, TextFieldEntry, isSelectEntryEdited, isTextFieldEntryEdited,
  isTextAreaEntryEdited } from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";

const OWN = new Set(["form", "due", "item"]);

function bo(element) { return element.businessObject; }
function values(b) { return (b.extensionElements && b.extensionElements.get("values")) || []; }
function ext(b, type) { return values(b).find((v) => v.$type === type); }
function is(element, type) { return bo(element).$instanceOf(type); }

function update(commandStack, element, moddleElement, properties) {
  commandStack.execute("element.updateModdleProperties", { element, moddleElement, properties });
}

/* The extensionElements of the element (made, through the command stack, when missing). */
function ensureExtensions(element, bpmnFactory, commandStack) {
  const b = bo(element);
  if (!b.extensionElements) {
    const created = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    created.$parent = b;
    update(commandStack, element, b, { extensionElements: created });
  }
  return b.extensionElements;
}

function ensureChild(element, type, bpmnFactory, commandStack, attrs) {
  const found = ext(bo(element), type);
  if (found) { return found; }
  const extensions = ensureExtensions(element, bpmnFactory, commandStack);
  const created = bpmnFactory.create(type, attrs || {});
  created.$parent = extensions;
  update(commandStack, element, extensions, { values: [...extensions.get("values"), created] });
  return created;
}

function removeChild(element, type, commandStack) {
  const extensions = bo(element).extensionElements;
  const found = extensions && ext(bo(element), type);
  if (found) { update(commandStack, element, extensions, { values: extensions.get("values").filter((v) => v !== found) }); }
}

export function getProperty(element, name) {
  const props = ext(bo(element), "spiffworkflow:Properties");
  const found = props && (props.get("properties") || []).find((p) => p.name === name);
  return found ? found.value || "" : "";
}

function setProperty(services, element, name, value) {
  const { bpmnFactory, commandStack } = services;
  const props = ensureChild(element, "spiffworkflow:Properties", bpmnFactory, commandStack);
  const list = props.get("properties") || [];
  const found = list.find((p) => p.name === name);
  if (value && found) { update(commandStack, element, found, { value }); return; }
  if (value) {
    const created = bpmnFactory.create("spiffworkflow:Property", { name, value });
    created.$parent = props;
    update(commandStack, element, props, { properties: [...list, created] });
    return;
  }
  if (found) {
    const rest = list.filter((p) => p !== found);
    if (rest.length) { update(commandStack, element, props, { properties: rest }); } else { removeChild(element, "spiffworkflow:Properties", commandStack); }
  }
}

function services() {
  return { bpmnFactory: useService("bpmnFactory"), commandStack: useService("commandStack"),
    debounce: useService("debounceInput"), translate: useService("translate"), modeling: useService("modeling"),
    registry: useService("elementRegistry") };
}

function options(list, current, none) {
  const found = list.map(([value, label]) => ({ value, label }));
  if (current && !list.some(([value]) => value === current)) { found.push({ value: current, label: current + "（未登録）" }); }
  return [{ value: "", label: none }, ...found];
}

// -- entries ------------------------------------------------------------------------------------------------
function text(id, label, getValue, setValue, description) {
  return function Entry(props) {
    const s = services();
    return TextFieldEntry({ element: props.element, id, label, description, debounce: s.debounce,
      getValue: () => getValue(props.element), setValue: (v) => setValue(s, props.element, (v || "").trim()) });
  };
}

function area(id, label, getValue, setValue, description) {
  return function Entry(props) {
    const s = services();
    return TextAreaEntry({ element: props.element, id, label, description, debounce: s.debounce, monospace: true,
      rows: 4, autoResize: true, getValue: () => getValue(props.element), setValue: (v) => setValue(s, props.element, v || "") });
  };
}

function select(id, label, getOptions, getValue, setValue, description) {
  return function Entry(props) {
    const s = services();
    return SelectEntry({ element: props.element, id, label, description, getOptions: () => getOptions(props.element),
      getValue: () => getValue(props.element), setValue: (v) => setValue(s, props.element, v) });
  };
}

function bodyChild(type) {
  return {
    get: (element) => { const found = ext(bo(element), type); return found ? found.value || "" : ""; },
    set: (s, element, value) => {
      if (!value.trim()) { removeChild(element, type, s.commandStack); return; }
      const found = ensureChild(element, type, s.bpmnFactory, s.commandStack, { value });
      update(s.commandStack, element, found, { value });
    },
  };
}

// -- lanes --------------------------------------------------------------------------------------------------
function lanesOf(registry) { return registry.filter((e) => e.type === "bpmn:Lane"); }
function laneOf(registry, element) {
  return lanesOf(registry).find((l) => (bo(l).flowNodeRef || []).includes(bo(element)));
}
function moveToLane(s, element, laneId) {
  const lane = s.registry.get(laneId);
  if (!lane) { return; }
  let pool = lane.parent;
  while (pool && pool.type === "bpmn:Lane") { pool = pool.parent; }
  const dy = (lane.y + lane.height / 2) - (element.y + element.height / 2);
  const dx = element.x < lane.x + 30 ? lane.x + 30 - element.x : 0;
  s.modeling.moveElements([element], { x: dx, y: dy }, pool);
}

// -- groups -------------------------------------------------------------------------------------------------
function laneGroup(element, palette, registry) {
  const entries = [];
  const sections = palette.lanes.map((l) => [l.lane, l.lane + "（" + l.name + "）"]);
  if (element.type === "bpmn:Lane") {
    entries.push({ id: "lane-section", component: select("lane-section", "担当課（レーン名）",
      () => options(sections, bo(element).name, "（選択してください）"), () => bo(element).name || "",
      (s, el, v) => s.modeling.updateProperties(el, { name: v })), isEdited: isSelectEntryEdited });
  } else if (bo(element).$instanceOf("bpmn:FlowNode") && lanesOf(registry).length) {
    entries.push({ id: "lane", component: select("lane", "レーン（担当課）",
      () => lanesOf(registry).map((l) => ({ value: l.id, label: bo(l).name || l.id })),
      (el) => { const lane = laneOf(registry, el); return lane ? lane.id : ""; }, moveToLane,
      "タスクはこのレーンの課の受付一覧に届きます。"), isEdited: isSelectEntryEdited });
  }
  return entries.length ? { id: "madoguchi-lane", label: "レーン（担当課）", entries } : null;
}

function formGroup(element, palette) {
  if (!(is(element, "bpmn:UserTask") || is(element, "bpmn:ManualTask"))) { return null; }
  const forms = palette.forms.map((f) => [f.key, f.key + "（" + f.title + "）"]);
  const prop = (name) => ({ get: (el) => getProperty(el, name), set: (s, el, v) => setProperty(s, el, name, v) });
  const instructions = bodyChild("spiffworkflow:InstructionsForEndUser");
  return { id: "madoguchi-form", label: "様式・期限", entries: [
    { id: "form", component: select("form", "様式（フォーム）", (el) => options(forms, getProperty(el, "form"), "（既定の確認画面）"),
      prop("form").get, prop("form").set, "選ばないと既定の確認画面（備考と完了だけ）になります。"), isEdited: isSelectEntryEdited },
    { id: "due", component: text("due", "期限（ISO 8601 の期間、例 PT1H・P14D）", prop("due").get, prop("due").set), isEdited: isTextFieldEntryEdited },
    { id: "item", component: text("item", "手続データの変数（item）", prop("item").get, prop("item").set,
      "マルチインスタンスの各タスクが扱う手続（入力要素の id）。"), isEdited: isTextFieldEntryEdited },
    { id: "instructions", component: area("instructions", "担当者への説明", instructions.get, instructions.set), isEdited: isTextAreaEntryEdited },
  ] };
}

function serviceGroup(element, palette) {
  if (!is(element, "bpmn:ServiceTask")) { return null; }
  const operator = () => ext(bo(element), "spiffworkflow:ServiceTaskOperator");
  const ops = palette.operations.map((o) => [o.name, o.name + " — " + o.description]);
  const entries = [{ id: "operation", component: select("operation", "サービス操作", () => options(ops, (operator() || {}).id, "（選択してください）"),
    () => (operator() || {}).id || "", (s, el, v) => setOperation(s, el, v, palette)), isEdited: isSelectEntryEdited }];
  const op = operator();
  if (op) {
    entries.push({ id: "resultVariable", component: text("resultVariable", "結果の変数名", () => op.resultVariable || "",
      (s, el, v) => update(s.commandStack, el, op, { resultVariable: v || undefined })), isEdited: isTextFieldEntryEdited });
    for (const p of (op.parameterList && op.parameterList.get("parameters")) || []) {
      entries.push({ id: "param-" + p.id, component: text("param-" + p.id, "引数 " + p.id + "（" + p.type + "、式）", () => p.value || "",
        (s, el, v) => update(s.commandStack, el, p, { value: v })), isEdited: isTextFieldEntryEdited });
    }
  }
  return { id: "madoguchi-service", label: "サービス操作", entries };
}

function setOperation(s, element, name, palette) {
  if (!name) { removeChild(element, "spiffworkflow:ServiceTaskOperator", s.commandStack); return; }
  const known = palette.operations.find((o) => o.name === name);
  const op = ensureChild(element, "spiffworkflow:ServiceTaskOperator", s.bpmnFactory, s.commandStack, { id: name });
  const old = (op.parameterList && op.parameterList.get("parameters")) || [];
  const list = s.bpmnFactory.create("spiffworkflow:Parameters", { parameters: [] });
  list.$parent = op;
  const params = Object.entries(known ? known.params : {}).map(([id, type]) => {
    const previous = old.find((p) => p.id === id);
    const created = s.bpmnFactory.create("spiffworkflow:Parameter", { id, type, value: previous ? previous.value : "" });
    created.$parent = list;
    return created;
  });
  list.set("parameters", params);
  update(s.commandStack, element, op, { id: name, parameterList: list });
}

function decisionGroup(element, palette) {
  if (!is(element, "bpmn:BusinessRuleTask")) { return null; }
  const decisions = palette.decisions.map((d) => [d.key, d.key + "（" + (d.name || "") + "）"]);
  const called = bodyChild("spiffworkflow:CalledDecisionId");
  return { id: "madoguchi-decision", label: "判定表", entries: [
    { id: "decision", component: select("decision", "判定表（DMN）", (el) => options(decisions, called.get(el).trim(), "（選択してください）"),
      (el) => called.get(el).trim(), called.set), isEdited: isSelectEntryEdited },
  ] };
}

function scriptGroup(element) {
  const entries = [];
  if (is(element, "bpmn:ScriptTask")) {
    entries.push({ id: "script", component: area("script", "スクリプト（Python、サンドボックスで実行）", (el) => bo(el).script || "",
      (s, el, v) => s.modeling.updateProperties(el, { scriptFormat: bo(el).scriptFormat, script: v })), isEdited: isTextAreaEntryEdited });
  }
  if (is(element, "bpmn:Activity")) {
    const pre = bodyChild("spiffworkflow:PreScript"), post = bodyChild("spiffworkflow:PostScript");
    entries.push({ id: "preScript", component: area("preScript", "事前スクリプト", pre.get, pre.set), isEdited: isTextAreaEntryEdited });
    entries.push({ id: "postScript", component: area("postScript", "事後スクリプト", post.get, post.set), isEdited: isTextAreaEntryEdited });
  }
  return entries.length ? { id: "madoguchi-script", label: "スクリプト", entries } : null;
}

function loopGroup(element) {
  const loop = bo(element).loopCharacteristics;
  if (!loop || !loop.$instanceOf("bpmn:MultiInstanceLoopCharacteristics")) { return null; }
  const ref = (name) => ({
    get: () => (loop.get(name) && loop.get(name).id) || "",
    set: (s, el, v) => update(s.commandStack, el, loop, { [name]: v ? s.bpmnFactory.create("bpmn:ItemAwareElement", { id: v }) : undefined }),
  });
  const item = (name, type) => ({
    get: () => (loop.get(name) && (loop.get(name).name || loop.get(name).id)) || "",
    set: (s, el, v) => {
      if (!v) { update(s.commandStack, el, loop, { [name]: undefined }); return; }
      const current = loop.get(name);
      if (current) { update(s.commandStack, el, current, { name: v }); return; }
      const created = s.bpmnFactory.create(type, { id: el.id + "_" + name, name: v });
      created.$parent = loop;
      update(s.commandStack, el, loop, { [name]: created });
    },
  });
  const input = ref("loopDataInputRef"), output = ref("loopDataOutputRef");
  const inItem = item("inputDataItem", "bpmn:DataInput"), outItem = item("outputDataItem", "bpmn:DataOutput");
  return { id: "madoguchi-loop", label: "マルチインスタンス（データ）", entries: [
    { id: "loopDataInputRef", component: text("loopDataInputRef", "入力コレクション（変数名）", input.get, input.set,
      "このリストの要素ごとにタスクを 1 件作ります。件数（cardinality）の代わりに指定します。"), isEdited: isTextFieldEntryEdited },
    { id: "inputDataItem", component: text("inputDataItem", "入力要素の変数名", inItem.get, inItem.set), isEdited: isTextFieldEntryEdited },
    { id: "loopDataOutputRef", component: text("loopDataOutputRef", "出力コレクション（変数名）", output.get, output.set), isEdited: isTextFieldEntryEdited },
    { id: "outputDataItem", component: text("outputDataItem", "出力要素の変数名", outItem.get, outItem.set), isEdited: isTextFieldEntryEdited },
  ] };
}

function otherPropertiesGroup(element) {
  const props = ext(bo(element), "spiffworkflow:Properties");
  const others = ((props && props.get("properties")) || []).filter((p) => !OWN.has(p.name));
  if (!others.length) { return null; }
  return { id: "madoguchi-properties", label: "その他のプロパティ（spiffworkflow）", entries: others.map((p) => ({
    id: "property-" + p.name, component: text("property-" + p.name, p.name, () => getProperty(element, p.name),
      (s, el, v) => setProperty(s, el, p.name, v)), isEdited: isTextFieldEntryEdited })) };
}

export default function MadoguchiPropertiesProvider(propertiesPanel, elementRegistry, config) {
  const palette = config.palette;
  this.getGroups = function (element) {
    return function (groups) {
      const ours = [laneGroup(element, palette, elementRegistry), formGroup(element, palette), serviceGroup(element, palette),
        decisionGroup(element, palette), loopGroup(element), scriptGroup(element), otherPropertiesGroup(element)];
      const general = groups.findIndex((g) => g.id === "general");
      groups.splice(general + 1, 0, ...ours.filter(Boolean));
      return groups;
    };
  };
  propertiesPanel.registerProvider(500, this);
}
MadoguchiPropertiesProvider.$inject = ["propertiesPanel", "elementRegistry", "config.madoguchi"];
