// Prints the schema the server serves (from its introspection, on stdin)
// as SDL with graphql-js, and checks it:
//   node schema.mjs write  <introspection.json   rewrites ../schema.graphql
//   node schema.mjs check  <introspection.json   fails when ../schema.graphql is
//                                                out of date, or when anything in
//                                                the contract would break
// The contract is contract/contract.graphql, a copy of the shared one that
// clients were written against.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildClientSchema, buildSchema, findBreakingChanges, lexicographicSortSchema, printSchema, specifiedDirectives } from "graphql";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const mode = process.argv[2];
const introspection = JSON.parse(readFileSync(0, "utf8"));
// graphql-go reports a missing description as "" (printed as an empty
// block string) and lists types and fields in Go's random map order: blank
// descriptions become null and the schema is sorted, so the file changes
// only when the schema does.
const blankToNull = (v) => {
  if (Array.isArray(v)) return v.map(blankToNull);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === "description" && x === "" ? null : blankToNull(x)]));
  }
  return v;
};
const served = lexicographicSortSchema(buildClientSchema(blankToNull(introspection.data)));
const sdl =
  "# The schema shop serves, printed from its introspection by web/schema.mjs\n" +
  "# (`make schema` rewrites it; `make test` fails when it is out of date).\n" +
  "# Generate client code from this file.\n\n" +
  printSchema(served) + "\n";
const target = join(root, "schema.graphql");

if (mode === "write") {
  writeFileSync(target, sdl);
} else if (mode === "check") {
  let current = "";
  try { current = readFileSync(target, "utf8"); } catch { /* missing counts as out of date */ }
  if (current !== sdl) {
    console.error("schema.graphql is out of date: run `make schema` and commit it.");
    process.exitCode = 1;
  }
} else {
  console.error("usage: node schema.mjs write|check < introspection.json");
  process.exit(2);
}

const contract = buildSchema(readFileSync(join(root, "contract", "contract.graphql"), "utf8"));
// graphql-js gives every schema its own built-in directives (@specifiedBy,
// @oneOf, …) which graphql-go v0.8.1 does not have; the contract declares
// none of its own, so only changes to its types count.
const builtIn = new Set(specifiedDirectives.map((d) => d.name));
const breaking = findBreakingChanges(contract, served).filter(
  (c) => !(c.type.startsWith("DIRECTIVE_") && [...builtIn].some((n) => c.description.startsWith(n + " ") || c.description.endsWith(" " + n + "."))),
);
for (const c of breaking) console.error(`breaking change from the contract: ${c.type}: ${c.description}`);
if (breaking.length > 0) process.exitCode = 1;
