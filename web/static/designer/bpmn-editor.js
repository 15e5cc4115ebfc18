/* The BPMN editor: bpmn-js modeler, a small properties panel for what Madoguchi needs (lane -> section,
   user task -> form and due, service task -> operation, business rule task -> decision), and the
   registry's problems shown on the diagram elements. */
"use strict";
(function () {
  const D = window.Designer;
  const SPIFF = {
    name: "SpiffWorkflow", prefix: "spiffworkflow", uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
    xml: { tagAlias: "lowerCase" },
    types: [
      { name: "Properties", superClass: ["Element"],
        properties: [{ name: "properties", type: "Property", isMany: true }] },
      { name: "Property", superClass: ["Element"],
        properties: [{ name: "name", type: "String", isAttr: true }, { name: "value", type: "String", isAttr: true }] },
      { name: "CalledDecisionId", superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] },
      { name: "ServiceTaskOperator", superClass: ["Element"],
        properties: [{ name: "id", type: "String", isAttr: true }, { name: "resultVariable", type: "String", isAttr: true },
                     { name: "parameters", type: "Parameters" }] },
      { name: "Parameters", superClass: ["Element"],
        properties: [{ name: "parameters", type: "Parameter", isMany: true }] },
      { name: "Parameter", superClass: ["Element"],
        properties: [{ name: "id", type: "String", isAttr: true }, { name: "type", type: "String", isAttr: true },
                     { name: "value", type: "String", isAttr: true }] },
    ],
  };
  const modeler = new BpmnJS({ container: "#canvas", keyboard: { bindTo: window }, moddleExtensions: { spiffworkflow: SPIFF } });
  const moddle = modeler.get("moddle"), modeling = modeler.get("modeling"), registry = modeler.get("elementRegistry");
  const overlays = modeler.get("overlays"), canvas = modeler.get("canvas");
  const panel = document.getElementById("panel");
  let marked = [];

  function extension(bo, type) {
    return ((bo.extensionElements && bo.extensionElements.values) || []).find((v) => v.$type === type);
  }
  function ensureExtensions(bo) {
    return bo.extensionElements || moddle.create("bpmn:ExtensionElements", { values: [] });
  }
  function property(bo, name) {
    const props = extension(bo, "spiffworkflow:Properties");
    const found = props && (props.properties || []).find((p) => p.name === name);
    return found ? found.value : "";
  }
  function setProperty(element, name, value) {
    const bo = element.businessObject, ext = ensureExtensions(bo);
    let props = extension(bo, "spiffworkflow:Properties");
    if (!props) { props = moddle.create("spiffworkflow:Properties", { properties: [] }); ext.get("values").push(props); }
    const list = props.get("properties"), index = list.findIndex((p) => p.name === name);
    if (value && index >= 0) { list[index].value = value; }
    else if (value) { list.push(moddle.create("spiffworkflow:Property", { name: name, value: value })); }
    else if (index >= 0) { list.splice(index, 1); }
    modeling.updateProperties(element, { extensionElements: ext });
  }
  function setSingle(element, type, attrs) {
    const bo = element.businessObject, ext = ensureExtensions(bo), values = ext.get("values");
    const index = values.findIndex((v) => v.$type === type);
    if (index >= 0) { values.splice(index, 1); }
    if (attrs) { values.push(moddle.create(type, attrs)); }
    modeling.updateProperties(element, { extensionElements: ext });
  }

  function field(label, control) {
    const wrap = document.createElement("div"), l = document.createElement("label");
    control.id = "prop-" + control.name;
    l.textContent = label; l.htmlFor = control.id;
    wrap.className = "field"; wrap.append(l, control);
    panel.appendChild(wrap);
    return control;
  }
  function select(label, name, options, current, onChange) {
    const s = document.createElement("select");
    s.name = name;
    for (const [value, text] of options) {
      const o = document.createElement("option"); o.value = value; o.textContent = text;
      if (value === current) { o.selected = true; }
      s.appendChild(o);
    }
    s.addEventListener("change", () => onChange(s.value));
    return field(label, s);
  }
  function text(label, name, current, onChange) {
    const input = document.createElement("input");
    input.name = name; input.value = current || "";
    input.addEventListener("change", () => onChange(input.value.trim()));
    return field(label, input);
  }

  function lanes() { return registry.filter((e) => e.type === "bpmn:Lane"); }
  function laneOf(element) {
    return lanes().find((l) => (l.businessObject.flowNodeRef || []).includes(element.businessObject));
  }
  function moveToLane(element, laneId) {
    const lane = registry.get(laneId);
    let pool = lane.parent;
    while (pool && pool.type === "bpmn:Lane") { pool = pool.parent; }
    const dy = (lane.y + lane.height / 2) - (element.y + element.height / 2);
    const dx = element.x < lane.x + 30 ? lane.x + 30 - element.x : 0;
    modeling.moveElements([element], { x: dx, y: dy }, pool);
    render(element);
  }

  function render(element) {
    panel.replaceChildren();
    const h = document.createElement("h2"); h.textContent = "プロパティ"; panel.appendChild(h);
    if (!element || element.type === "bpmn:Process" || element.type === "label") {
      panel.insertAdjacentHTML("beforeend", "<p class='muted'>要素を選択してください。</p>");
      return;
    }
    const bo = element.businessObject, type = element.type;
    panel.insertAdjacentHTML("beforeend", "<p class='muted'></p>");
    panel.lastChild.textContent = type.replace("bpmn:", "") + "（" + bo.id + "）";
    text("名称", "name", bo.name, (v) => modeling.updateProperties(element, { name: v }));
    const pal = D.data.palette;
    if (type === "bpmn:Lane") {
      const opts = [["", "（選択）"]].concat(pal.lanes.map((l) => [l.lane, l.lane + "（" + l.name + "）"]));
      select("担当課（レーン名）", "lane-section", opts, bo.name || "", (v) => { modeling.updateProperties(element, { name: v }); render(element); });
    }
    if (type.endsWith("Task") || type.endsWith("Event") || type.endsWith("Gateway") || type === "bpmn:SubProcess" || type === "bpmn:CallActivity") {
      const current = laneOf(element);
      if (lanes().length) {
        select("レーン（担当課）", "lane", lanes().map((l) => [l.id, l.businessObject.name || l.id]),
               current ? current.id : "", (v) => moveToLane(element, v));
      }
    }
    if (type === "bpmn:UserTask" || type === "bpmn:ManualTask") {
      const opts = [["", "（なし）"]].concat(pal.forms.map((f) => [f.key, f.key + "（" + f.title + "）"]));
      select("様式（フォーム）", "form", opts, property(bo, "form"), (v) => setProperty(element, "form", v));
      text("期限（ISO 8601 の期間、例 PT1H・P14D）", "due", property(bo, "due"), (v) => setProperty(element, "due", v));
    }
    if (type === "bpmn:ServiceTask") { renderService(element, pal); }
    if (type === "bpmn:BusinessRuleTask") {
      const called = extension(bo, "spiffworkflow:CalledDecisionId");
      const opts = [["", "（なし）"]].concat(pal.decisions.map((d) => [d.key, d.key + "（" + (d.name || "") + "）"]));
      select("判定表（DMN）", "decision", opts, called ? (called.value || "").trim() : "",
             (v) => setSingle(element, "spiffworkflow:CalledDecisionId", v ? { value: v } : null));
    }
  }

  function renderService(element, pal) {
    const op = extension(element.businessObject, "spiffworkflow:ServiceTaskOperator");
    const opts = [["", "（なし）"]].concat(pal.operations.map((o) => [o.name, o.name + " — " + o.description]));
    select("サービス操作", "operation", opts, op ? op.id : "", (v) => {
      const known = pal.operations.find((o) => o.name === v);
      const params = known ? Object.entries(known.params).map(([id, t]) => moddle.create("spiffworkflow:Parameter", {
        id: id, type: t, value: (op && op.parameters && (op.parameters.parameters || []).find((p) => p.id === id) || {}).value || "" })) : [];
      setSingle(element, "spiffworkflow:ServiceTaskOperator", v ? { id: v, resultVariable: op ? op.resultVariable : "",
        parameters: moddle.create("spiffworkflow:Parameters", { parameters: params }) } : null);
      render(element);
    });
    if (!op) { return; }
    text("結果の変数名", "resultVariable", op.resultVariable, (v) => { op.resultVariable = v; modeling.updateProperties(element, {}); });
    for (const p of (op.parameters && op.parameters.parameters) || []) {
      text("引数 " + p.id + "（" + p.type + "、式）", "param-" + p.id, p.value, (v) => { p.value = v; modeling.updateProperties(element, {}); });
    }
  }

  function clearProblems() {
    for (const id of marked) { try { canvas.removeMarker(id, "has-problem"); } catch (e) { /* element removed */ } }
    overlays.remove({ type: "problem" });
    marked = [];
  }
  function showProblems(problems) {
    clearProblems();
    D.listProblems(problems);
    for (const p of problems) {
      if (!p.element || !registry.get(p.element)) { continue; }
      canvas.addMarker(p.element, "has-problem");
      marked.push(p.element);
      const badge = document.createElement("div");
      badge.className = "problem-badge"; badge.dataset.element = p.element; badge.textContent = p.message; badge.title = p.message;
      overlays.add(p.element, "problem", { position: { top: -24, left: 0 }, html: badge });
    }
  }

  async function submit(url, okText) {
    const { xml } = await modeler.saveXML({ format: true });
    const result = await D.post(url, { file_name: D.data.file_name, xml: xml });
    const problems = D.problemsOf(result);
    if (result.status === 201) {
      showProblems([]);
      D.status(okText + result.body.map((v) => v.key + " v" + v.version).join("、"), "ok");
    } else if (result.status === 200 && problems.length === 0) {
      showProblems([]); D.status(okText, "ok");
    } else {
      showProblems(problems);
      D.status("問題が " + problems.length + " 件あります。図の赤い要素を確認してください。", "error");
    }
  }

  modeler.on("selection.changed", (e) => render(e.newSelection[0]));
  modeler.on("element.changed", (e) => {
    const selected = modeler.get("selection").get()[0];
    if (selected && e.element === selected && document.activeElement && !panel.contains(document.activeElement)) { render(selected); }
  });
  document.getElementById("check").addEventListener("click", () => submit(D.data.check_url, "問題はありません。"));
  document.getElementById("deploy").addEventListener("click", () => submit(D.data.deploy_url, "デプロイしました: "));

  fetch(D.data.xml_url, { credentials: "same-origin" }).then((r) => r.text()).then(async (xml) => {
    try {
      await modeler.importXML(xml);
      canvas.zoom("fit-viewport");
      document.body.dataset.editorReady = "1";
    } catch (err) {
      D.status("この図は表示できません（図の配置情報 BPMNDI がない可能性があります）: " + err.message, "error");
    }
  });
  window.madoguchiModeler = modeler;
})();
