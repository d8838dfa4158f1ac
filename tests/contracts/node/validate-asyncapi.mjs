// Parse an AsyncAPI document with the reference parser; print its diagnostics as JSON.
// Usage: node validate-asyncapi.mjs <file>. Exit 0 when no diagnostic is an error.
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const text = readFileSync(process.argv[2], "utf8");
const { diagnostics } = await new Parser().parse(text);
const found = diagnostics.map((d) => ({
  code: d.code,
  severity: d.severity, // 0 error, 1 warning, 2 info, 3 hint
  message: d.message,
  path: d.path.join("/"),
}));
process.stdout.write(JSON.stringify(found));
process.exit(found.some((d) => d.severity === 0) ? 1 : 0);
