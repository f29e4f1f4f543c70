"""Renders helm/claims with each CI values file and asserts on the result."""
import subprocess
import sys

import yaml

helm, chart = sys.argv[1], sys.argv[2]
failures = []


def render(*args):
    result = subprocess.run([helm, "template", "r", chart, *args],
                            capture_output=True, text=True)
    return result.returncode, result.stdout, result.stderr


def docs(text):
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(text) if d}


def check(condition, message):
    if not condition:
        failures.append(message)


rc, out, err = render("-f", f"{chart}/ci/mysql-values.yaml")
check(rc == 0, f"mysql values do not render: {err}")
if rc == 0:
    objects = docs(out)
    deployment = objects[("Deployment", "r-claims")]
    check(deployment["spec"]["replicas"] == 3, "mysql: replicas should be 3")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    check(container["readinessProbe"]["grpc"]["service"] == "claims.v1.Claims",
          "readiness probe must be a native gRPC probe on claims.v1.Claims")
    check("grpc" in container["livenessProbe"], "liveness probe must be a gRPC probe")
    env = {e["name"]: e for e in container.get("env", [])}
    check(env.get("CLAIMS_DATABASE_URL", {}).get("valueFrom", {}).get("secretKeyRef", {})
          .get("name") == "claims-database", "database URL must come from the Secret")
    job = objects.get(("Job", "r-claims-migrate"))
    check(job is not None, "mysql: migration job missing")
    if job:
        hooks = job["metadata"]["annotations"]["helm.sh/hook"]
        check(hooks == "pre-install,pre-upgrade", f"migration hook is {hooks}")
        check("--migrate-only" in job["spec"]["template"]["spec"]["containers"][0]["args"],
              "migration job must run --migrate-only")
    check(("PodDisruptionBudget", "r-claims") in objects, "mysql: PDB missing")
    check(("PersistentVolumeClaim", "r-claims-data") not in objects, "mysql: no PVC expected")
    config = yaml.safe_load(objects[("ConfigMap", "r-claims")]["data"]["claimsd.yaml"])
    check(config["workflows"]["default"] == "cpor-association", "default workflow")

rc, out, err = render("-f", f"{chart}/ci/sqlite-values.yaml")
check(rc == 0, f"sqlite values do not render: {err}")
if rc == 0:
    objects = docs(out)
    deployment = objects[("Deployment", "r-claims")]
    check(deployment["spec"]["replicas"] == 1, "sqlite: one replica")
    check(deployment["spec"]["strategy"]["type"] == "Recreate", "sqlite: Recreate strategy")
    check(("PersistentVolumeClaim", "r-claims-data") in objects, "sqlite: PVC missing")
    check(("Job", "r-claims-migrate") not in objects, "sqlite: no migration job")
    config = yaml.safe_load(objects[("ConfigMap", "r-claims")]["data"]["claimsd.yaml"])
    check(config["database"]["url"] == "sqlite:/var/lib/claims/claims.db", "sqlite URL")

rc, out, err = render("--set", "database.backend=sqlite", "--set", "replicaCount=2")
check(rc != 0 and "one replica only" in err, "sqlite with 2 replicas must fail to render")

rc, out, err = render("--set", "databse.backend=mysql")
check(rc != 0 and "databse" in err, "values schema must reject unknown keys")

rc, out, err = render("--set", "workflows.files.custom\\.yaml=name: custom")
check(rc == 0 and "r-claims-workflows" in out, "workflow files must become a ConfigMap")

for failure in failures:
    print("FAIL:", failure)
print(f"5 renders checked, {len(failures)} failures")
sys.exit(1 if failures else 0)
