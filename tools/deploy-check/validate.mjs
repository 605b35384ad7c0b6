// Validates Kubernetes objects against their JSON schemas offline, with the
// models of npm's kubernetes-models (pinned in package-lock.json).
//   node validate.mjs FILE.json     FILE: a JSON array of objects
// Prints one line per object; exits 1 when any object is invalid or of a
// kind we have no schema for (a typo in apiVersion/kind must not pass).
import { readFileSync } from "node:fs";

// apiVersion group -> package holding its models
const packages = {
  "cert-manager.io": "@kubernetes-models/cert-manager",
  "external-secrets.io": "@kubernetes-models/external-secrets",
  "keda.sh": "@kubernetes-models/keda",
};

async function modelFor(apiVersion, kind) {
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const pkg = packages[group] ?? "kubernetes-models";
  const path = `${pkg}/${apiVersion}/${kind}`;
  try {
    const mod = await import(path);
    if (typeof mod[kind] !== "function") throw new Error(`no ${kind} in ${path}`);
    return mod[kind];
  } catch (e) {
    throw new Error(`no schema for ${apiVersion} ${kind} (${path}): ${e.message}`);
  }
}

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate.mjs FILE.json");
  process.exit(2);
}
const objects = JSON.parse(readFileSync(file, "utf8"));
let bad = 0;
for (const obj of objects) {
  const name = `${obj.kind} ${obj.metadata?.namespace ?? "-"}/${obj.metadata?.name}`;
  try {
    const Model = await modelFor(obj.apiVersion, obj.kind);
    new Model(obj).validate();
    console.log(`ok      ${name}`);
  } catch (e) {
    bad++;
    console.log(`INVALID ${name}: ${e.message}`);
    if (e.errors) for (const err of e.errors) console.log(`          ${err.instancePath || "/"} ${err.message}`);
  }
}
console.log(`${objects.length - bad} valid, ${bad} invalid`);
process.exit(bad ? 1 : 0);
