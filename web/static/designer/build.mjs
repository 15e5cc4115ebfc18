// Bundles the designer's editors (web/static/designer/src/*) with their npm packages into
// web/static/designer/dist/ (git-ignored). scripts/setup runs it after `npm ci` when the lock file or a source
// changed; `node web/static/designer/build.mjs` runs it by hand. One esbuild call, well under a second.
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, "..", "..", "..", "node_modules");

// One Preact for everything: form-js-editor brings its own copy and @bpmn-io/properties-panel another, and hooks of
// one copy fail inside components rendered by the other ("Cannot read properties of undefined (reading 'context')").
const onePreact = {
  name: "one-preact",
  setup(build) {
    build.onResolve({ filter: /^(\.\.\/|@bpmn-io\/properties-panel\/)?preact(\/[a-z-]+)?$/ }, (args) => {
      if (args.path.startsWith("../") && !args.importer.includes(path.join("@bpmn-io", "properties-panel"))) { return undefined; }
      const sub = args.path.replace(/^(\.\.\/|@bpmn-io\/properties-panel\/)?preact\/?/, "");
      return build.resolve("./" + path.join("preact", sub), { resolveDir: modules, kind: args.kind });
    });
  },
};
export const ENTRIES = ["bpmn-editor", "dmn-editor", "form-editor", "model-diff"];

await esbuild.build({
  entryPoints: Object.fromEntries(ENTRIES.map((name) => [name, path.join(here, "src", name + ".js")])),
  outdir: path.join(here, "dist"),
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  loader: { ".json": "json" },
  jsx: "automatic",
  jsxImportSource: "@bpmn-io/properties-panel/preact",
  legalComments: "linked",
  logLevel: "warning",
  nodePaths: [modules],
  plugins: [onePreact],
});
