/* The form editor: form-js (the bpmn.io form editor) for a task or interview form's fields, and for a printed
   form its field map (YAML) and layout (the body of the sheet), typed here or loaded from files. 検証 and デプロイ
   go to /api/v1/designer/forms; every problem names the component or the entry and says how to fix it.

   form-js has no translation service: its palette and panel labels are put into Japanese by the table of
   i18n.js as they are drawn. */
import { FormEditor } from "@bpmn-io/form-js-editor";
import { translator } from "./i18n.js";
import { data, guardUnsaved, listProblems, post, problemsOf, status } from "./common.js";

const translate = translator("form");
const editor = new FormEditor({ container: document.getElementById("form-canvas") });
const title = document.getElementById("form-title");
const fieldMap = document.getElementById("field-map");
const layout = document.getElementById("layout");
let dirty = false;

/* Japanese labels for form-js's own chrome (text nodes it renders). */
function japanese(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.nodeValue.trim();
    if (text && translate(text) !== text) { node.nodeValue = node.nodeValue.replace(text, translate(text)); }
  }
  for (const input of root.querySelectorAll("input[placeholder]")) { input.placeholder = translate(input.placeholder); }
}
new MutationObserver(() => japanese(document.getElementById("form-canvas")))
  .observe(document.getElementById("form-canvas"), { childList: true, subtree: true });

function loadFile(input, target) {
  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (file) { target.value = await file.text(); dirty = true; }
  });
}
loadFile(document.getElementById("field-map-file"), fieldMap);
loadFile(document.getElementById("layout-file"), layout);
for (const el of [title, fieldMap, layout]) { el.addEventListener("input", () => { dirty = true; }); }
editor.on("changed", () => { dirty = true; });

async function submit(url) {
  const body = { key: data.key, title: title.value, schema: editor.saveSchema(), print_map: fieldMap.value,
    template: layout.value };
  const result = await post(url, body);
  if (result.status === 201) {
    listProblems([]); dirty = false;
    const v = result.body;
    status(v.new ? "デプロイしました: " + v.key + " v" + v.version : "変更はありません（" + v.key + " v" + v.version + " のまま）", "ok");
  } else if (result.status === 200 && !problemsOf(result).length) {
    listProblems([]); status("問題はありません。", "ok");
  } else {
    const problems = problemsOf(result);
    listProblems(problems);
    status("問題が " + problems.length + " 件あります。書かれた直し方に従ってください。", "error");
  }
}

document.getElementById("check").addEventListener("click", () => submit(data.check_url));
document.getElementById("deploy").addEventListener("click", () => submit(data.deploy_url));
guardUnsaved(() => dirty);

editor.importSchema(data.schema).then(() => {
  japanese(document.getElementById("form-canvas"));
  document.body.dataset.editorReady = "1";
}).catch((err) => status("この様式は表示できません: " + err.message, "error"));
window.madoguchiForm = editor;
