/* The DMN editor: dmn-js modeler opened on the decision table, check/deploy, and a test run of the table
   (as edited, before deploying) on sample data through the case engine. */
"use strict";
(function () {
  const D = window.Designer;
  const modeler = new DmnJS({ container: "#canvas", common: { keyboard: { bindTo: window } } });
  const sample = document.getElementById("sample");
  sample.value = JSON.stringify(D.data.sample, null, 2);

  async function currentXml() { return (await modeler.saveXML({ format: true })).xml; }

  async function submit(url, okText) {
    const result = await D.post(url, { file_name: D.data.file_name, xml: await currentXml() });
    const problems = D.problemsOf(result);
    if (result.status === 201) {
      D.listProblems([]);
      D.status(okText + result.body.map((v) => v.key + " v" + v.version).join("、"), "ok");
    } else if (result.status === 200 && problems.length === 0) {
      D.listProblems([]); D.status(okText, "ok");
    } else {
      D.listProblems(problems); D.status("問題が " + problems.length + " 件あります。", "error");
    }
  }

  async function evaluate() {
    const out = document.getElementById("result");
    let data;
    try { data = JSON.parse(sample.value); } catch (err) { out.textContent = "入力データが JSON ではありません: " + err.message; return; }
    const result = await D.post(D.data.evaluate_url, { xml: await currentXml(), data: data });
    out.textContent = result.status === 200 ? "判定結果: " + JSON.stringify(result.body.result)
      : "判定できません: " + D.problemsOf(result).map((p) => p.message).join(" / ");
  }

  document.getElementById("check").addEventListener("click", () => submit(D.data.check_url, "問題はありません。"));
  document.getElementById("deploy").addEventListener("click", () => submit(D.data.deploy_url, "デプロイしました: "));
  document.getElementById("evaluate").addEventListener("click", evaluate);

  fetch(D.data.xml_url, { credentials: "same-origin" }).then((r) => r.text()).then(async (xml) => {
    try {
      await modeler.importXML(xml);
      const table = modeler.getViews().find((v) => v.type === "decisionTable");
      if (table) { await modeler.open(table); }
      document.body.dataset.editorReady = "1";
    } catch (err) {
      D.status("この判定表は表示できません: " + err.message, "error");
    }
  });
  window.madoguchiDmn = modeler;
})();
