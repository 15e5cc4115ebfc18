/* bpmnlint rules for what the registry refuses at 検証, checked on the element while the designer draws
   (bpmn-js-bpmnlint shows them on the diagram). The server stays the judge: these only say it earlier.

   Each rule gets the page's palette as its configuration: the section lanes, the forms, the operations with
   their parameters, the deployed decisions. */

function extensions(bo) {
  return (bo.extensionElements && bo.extensionElements.values) || [];
}
function extension(bo, type) {
  return extensions(bo).find((v) => v.$type === type);
}
export function spiffProperty(bo, name) {
  const props = extension(bo, "spiffworkflow:Properties");
  const found = props && (props.properties || []).find((p) => p.name === name);
  return found ? found.value : "";
}
function isHuman(node) {
  return node.$instanceOf("bpmn:UserTask") || node.$instanceOf("bpmn:ManualTask");
}

function laneSection(config) {
  const lanes = new Set(config.lanes || []);
  return {
    check(node, reporter) {
      if (node.$instanceOf("bpmn:Lane") && !lanes.has(node.name || "")) {
        reporter.report(node.id, `レーン名「${node.name || ""}」は課のレーンではありません。プロパティの「担当課」で課を選んでください。`);
      }
    },
  };
}

function laneOfTask() {
  let laned = new Set();
  return {
    check: {
      enter(node, reporter) {
        if (node.$instanceOf("bpmn:Process") || node.$instanceOf("bpmn:SubProcess")) {
          laned = new Set();
          for (const set of node.laneSets || []) {
            for (const lane of set.lanes || []) { (lane.flowNodeRef || []).forEach((n) => laned.add(n.id)); }
          }
          if (!laned.size) { return; }
          for (const element of node.flowElements || []) {
            if (isHuman(element) && !laned.has(element.id)) {
              reporter.report(element.id, "このタスクはどのレーンにも入っていないため、総合窓口に回ります。課に回すにはレーンに入れてください。");
            }
          }
        }
      },
    },
  };
}

function form(config) {
  const forms = new Set(config.forms || []);
  return {
    check(node, reporter) {
      if (!isHuman(node)) { return; }
      const key = spiffProperty(node, "form");
      if (key && !forms.has(key)) {
        reporter.report(node.id, `様式「${key}」はありません。プロパティの「様式」で選ぶか、様式を作成してください。`);
      }
    },
  };
}

function operation(config) {
  const operations = config.operations || {};
  return {
    check(node, reporter) {
      if (!node.$instanceOf("bpmn:ServiceTask")) { return; }
      const op = extension(node, "spiffworkflow:ServiceTaskOperator");
      if (!op || !op.id) {
        reporter.report(node.id, "サービス操作が選ばれていません。プロパティの「サービス操作」で選んでください。");
        return;
      }
      const params = operations[op.id];
      if (!params) {
        reporter.report(node.id, `サービス操作「${op.id}」はありません。一覧から選んでください。`);
        return;
      }
      const given = new Set(((op.parameterList && op.parameterList.parameters) || []).filter((p) => (p.value || "").trim()).map((p) => p.id));
      const missing = Object.keys(params).filter((name) => !given.has(name));
      if (missing.length) {
        reporter.report(node.id, `サービス操作の引数 ${missing.join("、")} に式を入れてください。`);
      }
    },
  };
}

function cardinality() {
  return {
    check(node, reporter) {
      const loop = node.loopCharacteristics;
      if (!loop || !loop.$instanceOf("bpmn:MultiInstanceLoopCharacteristics")) { return; }
      const count = loop.loopCardinality && (loop.loopCardinality.body || "").trim();
      if (!count && !loop.loopDataInputRef) {
        reporter.report(node.id, "マルチインスタンスには件数（cardinality）か入力コレクションが必要です。プロパティの「マルチインスタンス」で指定してください。");
      }
    },
  };
}

function decision(config) {
  const decisions = new Set(config.decisions || []);
  return {
    check(node, reporter) {
      if (!node.$instanceOf("bpmn:BusinessRuleTask")) { return; }
      const called = extension(node, "spiffworkflow:CalledDecisionId");
      const key = called ? (called.value || "").trim() : "";
      if (!key) {
        reporter.report(node.id, "判定表が選ばれていません。プロパティの「判定表」で選んでください。");
      } else if (!decisions.has(key)) {
        reporter.report(node.id, `判定表「${key}」はデプロイされていません。先に判定表をデプロイしてください。`);
      }
    },
  };
}

const RULES = {
  "madoguchi/lane-section": laneSection, "madoguchi/lane-of-task": laneOfTask, "madoguchi/form": form,
  "madoguchi/operation": operation, "madoguchi/cardinality": cardinality, "madoguchi/decision": decision,
};

/* The linter configuration for bpmn-js-bpmnlint: our rules, and bpmnlint's own that the registry also enforces. */
export function lintConfig(palette, bpmnlintRules) {
  const config = {
    lanes: palette.lanes.map((l) => l.lane), forms: palette.forms.map((f) => f.key),
    operations: Object.fromEntries(palette.operations.map((o) => [o.name, o.params])),
    decisions: palette.decisions.map((d) => d.key),
  };
  const rules = {};
  for (const name of Object.keys(RULES)) { rules[name] = [name === "madoguchi/lane-of-task" ? "info" : "error", config]; }
  for (const name of Object.keys(bpmnlintRules)) { rules[name] = "error"; }
  return {
    config: { rules },
    resolver: {
      resolveRule(pkg, ruleName) {
        const key = pkg === "bpmnlint" ? ruleName : pkg.replace(/^bpmnlint-plugin-/, "") + "/" + ruleName;
        return RULES[key] || bpmnlintRules[key];
      },
      resolveConfig() { return null; },
    },
  };
}
