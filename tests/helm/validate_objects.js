// Validates Kubernetes objects against their API schemas: node validate_objects.js MODELS JSON
// MODELS is the directory fetch_k8s_models.sh filled; JSON holds an array of
// {source, object}. Prints one line per invalid object and exits 1 if any is invalid, or if an
// object's apiVersion/kind has no schema here (an object is never skipped unchecked).
"use strict";
const fs = require("fs");
const path = require("path");

const [modelsDir, jsonFile] = process.argv.slice(2);
const modules = path.join(modelsDir, "node_modules");
const entries = JSON.parse(fs.readFileSync(jsonFile, "utf8"));

function modelPath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com") {
    return path.join(modules, "@kubernetes-models/prometheus-operator", group, version, kind);
  }
  return path.join(modules, "kubernetes-models", group, version, kind);
}

let failures = 0;
for (const { source, object } of entries) {
  const label = `${source}: ${object.kind}/${object.metadata && object.metadata.name}`;
  let Model;
  try {
    Model = require(modelPath(object.apiVersion, object.kind))[object.kind];
  } catch (e) {
    console.log(`FAIL ${label}: no schema for ${object.apiVersion} ${object.kind}`);
    failures++;
    continue;
  }
  try {
    new Model(object).validate();
  } catch (e) {
    console.log(`FAIL ${label}: ${e.message}`);
    failures++;
  }
}
console.log(`${entries.length} objects validated against the Kubernetes schemas, ${failures} invalid`);
process.exit(failures ? 1 : 0);
