/* Shared by the BPMN and DMN editors: page data, JSON calls to /api/v1/designer, status and problem list. */
"use strict";
window.Designer = (function () {
  const data = JSON.parse(document.getElementById("designer-data").textContent);

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": data.csrf, "Accept": "application/json" },
      body: JSON.stringify(body),
    });
    let payload = null;
    try { payload = await response.json(); } catch (e) { payload = null; }
    return { status: response.status, body: payload };
  }

  function status(text, kind) {
    const el = document.getElementById("status");
    el.textContent = text;
    el.className = kind || "";
  }

  function problemsOf(result) {
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

  function listProblems(problems) {
    const list = document.getElementById("problems");
    list.replaceChildren();
    for (const p of problems) {
      const li = document.createElement("li");
      const where = [p.element ? "要素 " + p.element : "", p.line ? p.line + "行目" : ""].filter(Boolean).join("・");
      li.textContent = (where ? where + ": " : "") + p.message;
      li.dataset.element = p.element || "";
      list.appendChild(li);
    }
  }

  return { data, post, status, problemsOf, listProblems };
})();
