/* The BPMN editor: bpmn-js with the properties panel (its standard groups and Madoguchi's provider for the
   spiffworkflow: extensions), bpmnlint with the project's rules on the diagram as one draws, Japanese, and the
   registry's problems from 検証 and デプロイ shown on their elements. The diagram opens clear of the palette. */
import Modeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import lintModule from "bpmn-js-bpmnlint";
import startEventRequired from "bpmnlint/rules/start-event-required";
import conditionalFlows from "bpmnlint/rules/conditional-flows";
import noDuplicateSequenceFlows from "bpmnlint/rules/no-duplicate-sequence-flows";
import spiffworkflow from "./spiffworkflow.json";
import MadoguchiPropertiesProvider from "./properties.js";
import { lintConfig } from "./lint.js";
import { translateModule } from "./i18n.js";
import { fixSerialization, losses, restoreUnresolved } from "./references.js";
import { data, deployedText, guardUnsaved, listProblems, post, problemsOf, status } from "./common.js";

const providerModule = { __init__: ["madoguchiPropertiesProvider"], madoguchiPropertiesProvider: ["type", MadoguchiPropertiesProvider] };
const modeler = new Modeler({
  container: "#canvas",
  propertiesPanel: { parent: "#panel", layout: { groups: Object.fromEntries(["general", "madoguchi-lane", "madoguchi-form",
    "madoguchi-service", "madoguchi-decision", "madoguchi-loop"].map((id) => [id, { open: true }])) } },
  madoguchi: { palette: data.palette },
  linting: { active: true, bpmnlint: lintConfig(data.palette, {
    "start-event-required": startEventRequired, "conditional-flows": conditionalFlows,
    "no-duplicate-sequence-flows": noDuplicateSequenceFlows }) },
  additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, providerModule, lintModule,
    translateModule("bpmn")],
  moddleExtensions: { spiffworkflow },
});
fixSerialization(modeler.get("moddle"));
const registry = modeler.get("elementRegistry"), overlays = modeler.get("overlays"), canvas = modeler.get("canvas");
let marked = [];
let dirty = false;

function clearProblems() {
  for (const id of marked) { try { canvas.removeMarker(id, "has-problem"); } catch (e) { /* element removed */ } }
  overlays.remove({ type: "problem" });
  marked = [];
}

function showProblems(problems) {
  clearProblems();
  listProblems(problems);
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
  const result = await post(url, { file_name: data.file_name, xml });
  const problems = problemsOf(result);
  if (result.status === 201) {
    showProblems([]);
    dirty = false;
    status(deployedText(result.body), "ok");
  } else if (result.status === 200 && problems.length === 0) {
    showProblems([]); status(okText, "ok");
  } else {
    showProblems(problems);
    status("問題が " + problems.length + " 件あります。図の赤い要素を確認し、書かれた直し方に従ってください。", "error");
  }
}

/* Fit the diagram into the part of the canvas the palette does not cover. */
function fitBesidePalette() {
  canvas.zoom("fit-viewport");
  const palette = document.querySelector("#canvas .djs-palette");
  const box = document.getElementById("canvas").getBoundingClientRect();
  const left = palette ? palette.getBoundingClientRect().right - box.left + 16 : 16;
  const vb = canvas.viewbox(), inner = vb.inner;
  if (!inner.width || !inner.height) { return; }
  const scale = Math.min(1, (vb.outer.width - left - 16) / inner.width, (vb.outer.height - 64) / inner.height);
  canvas.viewbox({ x: inner.x - left / scale, y: inner.y - 32 / scale, width: vb.outer.width / scale, height: vb.outer.height / scale });
}

modeler.on("commandStack.changed", () => { dirty = true; });
document.getElementById("check").addEventListener("click", () => submit(data.check_url, "問題はありません。"));
document.getElementById("deploy").addEventListener("click", () => submit(data.deploy_url, "デプロイしました。"));
guardUnsaved(() => dirty);

async function open(xml) {
  try {
    const { warnings } = await modeler.importXML(xml);
    restoreUnresolved(modeler.get("moddle"), warnings);
    const lost = losses(warnings);
    if (lost.length) { status("この図には編集画面で読めない内容があります（保存すると失われます）: " + lost.join(" / "), "error"); }
    fitBesidePalette();
    document.body.dataset.editorReady = "1";
  } catch (err) {
    status("この図は表示できません（図の配置情報 BPMNDI がない可能性があります）: " + err.message, "error");
  }
}

fetch(data.xml_url, { credentials: "same-origin" }).then((r) => r.text()).then(open);
window.madoguchiModeler = modeler;
