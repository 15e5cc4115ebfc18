/* Shared by the designer's editors: page data, JSON calls to /api/v1/designer, the status line and the problem
   list (each problem says where: element, or decision/rule/column, or line). */

export const data = JSON.parse(document.getElementById("designer-data").textContent);

export async function post(url, body) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": data.csrf, "Accept": "application/json" },
    body: JSON.stringify(body),
  });
  let payload = null;
  try { payload = await response.json(); } catch (e) { payload = null; }
  return { status: response.status, body: payload };
}

export function status(text, kind) {
  const el = document.getElementById("status");
  el.textContent = text;
  el.className = kind || "";
}

export function problemsOf(result) {
  if (result.body && result.body.problems) { return result.body.problems; }
  const error = result.body && result.body.error;
  if (!error) { return [{ message: "サーバーから応答がありません (HTTP " + result.status + ")" }]; }
  const details = error.details || {};
  if (details.problems) { return details.problems; }
  if (details.json) {  /* marshmallow field errors of the request itself */
    return Object.entries(details.json).map(([k, v]) => ({ message: k + ": " + [].concat(v).join(" ") }));
  }
  return [{ message: error.message }];
}

export function where(p) {
  return [p.element ? "要素 " + p.element : "", p.line ? p.line + "行目" : ""].filter(Boolean).join("・");
}

export function listProblems(problems) {
  const list = document.getElementById("problems");
  list.replaceChildren();
  for (const p of problems) {
    const li = document.createElement("li");
    const at = where(p);
    li.textContent = (at ? at + ": " : "") + p.message;
    li.dataset.element = p.element || "";
    list.appendChild(li);
  }
}

/* What a deployment answered: the versions made, and which keys were unchanged (no new version). */
export function deployedText(body) {
  const made = body.versions.filter((v) => v.new).map((v) => v.key + " v" + v.version);
  const same = body.versions.filter((v) => !v.new).map((v) => v.key + " v" + v.version);
  const parts = [];
  if (made.length) { parts.push("デプロイしました: " + made.join("、")); }
  if (same.length) { parts.push("変更はありません（" + same.join("、") + " のまま）"); }
  return parts.join("。");
}

/* The designer is warned before leaving with changes that were not deployed. */
export function guardUnsaved(isDirty) {
  window.addEventListener("beforeunload", (event) => {
    if (isDirty()) { event.preventDefault(); event.returnValue = ""; }
  });
}
