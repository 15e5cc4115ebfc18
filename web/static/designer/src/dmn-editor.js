/* The DMN editor: dmn-js in Japanese opened on the decision table; 検証 and デプロイ, with every bad cell named
   (decision, rule, column) and marked in the table; 試算 runs the table as edited on sample data through the
   case engine and explains any error in Japanese. */
import DmnModeler from "dmn-js/lib/Modeler";
import { translateModule } from "./i18n.js";
import { data, deployedText, guardUnsaved, listProblems, post, problemsOf, status } from "./common.js";

// dmn-js drops common.additionalModules for a view that has its own, so each view gets the translation.
const japanese = { additionalModules: [translateModule("dmn")] };
const modeler = new DmnModeler({
  container: "#canvas",
  drd: japanese, decisionTable: japanese, literalExpression: japanese, boxedExpression: japanese,
});
const sample = document.getElementById("sample");
sample.value = JSON.stringify(data.sample, null, 2);
const marks = document.createElement("style");
document.head.appendChild(marks);
let dirty = false;

async function currentXml() { return (await modeler.saveXML({ format: true })).xml; }

/* The cells a problem names are outlined (a style rule survives dmn-js re-rendering the table). */
function markCells(problems) {
  const rules = problems.filter((p) => p.rule_id && p.column_id).map((p) =>
    `td[data-row-id="${CSS.escape(p.rule_id)}"][data-col-id="${CSS.escape(p.column_id)}"]`);
  marks.textContent = rules.length ? rules.join(",\n") + " { outline: 3px solid #b00020; outline-offset: -3px; background: #fde8ec; }" : "";
}

async function submit(url, okText) {
  const result = await post(url, { file_name: data.file_name, xml: await currentXml() });
  const problems = problemsOf(result);
  if (result.status === 201) {
    listProblems([]); markCells([]); dirty = false;
    status(deployedText(result.body), "ok");
  } else if (result.status === 200 && problems.length === 0) {
    listProblems([]); markCells([]); status(okText, "ok");
  } else {
    listProblems(problems); markCells(problems);
    status("問題が " + problems.length + " 件あります。赤枠のセルを直してください。", "error");
  }
}

async function evaluate() {
  const out = document.getElementById("result");
  let sampleData;
  try { sampleData = JSON.parse(sample.value); } catch (err) {
    out.textContent = "入力データが JSON ではありません: " + err.message + "（例: {\"age\": 20}）";
    return;
  }
  const result = await post(data.evaluate_url, { xml: await currentXml(), data: sampleData });
  if (result.status === 200) {
    out.textContent = "判定結果: " + JSON.stringify(result.body.result);
    markCells([]);
  } else {
    const problems = problemsOf(result);
    markCells(problems);
    out.textContent = "判定できません: " + problems.map((p) => p.message).join(" / ");
  }
}

document.getElementById("check").addEventListener("click", () => submit(data.check_url, "問題はありません。"));
document.getElementById("deploy").addEventListener("click", () => submit(data.deploy_url, "デプロイしました。"));
document.getElementById("evaluate").addEventListener("click", evaluate);
modeler.on("views.changed", () => { /* the table is shown */ });
guardUnsaved(() => dirty);

async function open(xml) {
  try {
    await modeler.importXML(xml);
    const table = modeler.getViews().find((v) => v.type === "decisionTable");
    if (table) { await modeler.open(table); }
    const viewer = modeler.getActiveViewer();
    if (viewer) { viewer.get("eventBus").on("elements.changed", () => { dirty = true; }); }
    document.body.dataset.editorReady = "1";
  } catch (err) {
    status("この判定表は表示できません: " + err.message, "error");
  }
}

if (data.xml) { open(data.xml); } else { fetch(data.xml_url, { credentials: "same-origin" }).then((r) => r.text()).then(open); }
window.madoguchiDmn = modeler;
