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
    auth = config["auth"]
    check(auth["mode"] == "jwt" and auth["issuer"] == "https://login.example.test/",
          f"mysql: jwt auth with the issuer expected, got {auth}")
    check(auth["keys"][0] == {"id": "signing-2026", "algorithm": "RS256",
                              "public_key_file": "/etc/claims/keys/signing-2026.pem"},
          f"mysql: the RS256 key must point into the mounted Secret, got {auth['keys'][0]}")
    check(auth["keys"][1].get("secret_env") == "CLAIMS_JWT_SECRET_1",
          f"mysql: the HS256 key must read its env var, got {auth['keys'][1]}")
    check(env.get("CLAIMS_JWT_SECRET_1", {}).get("valueFrom", {}).get("secretKeyRef")
          == {"name": "claims-jwt-hmac", "key": "secret"},
          "the HS256 secret must come from its Secret")
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    check(volumes.get("jwt-keys", {}).get("secret", {}).get("secretName") == "claims-jwt-keys",
          "the key Secret must be a volume")
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    check(mounts.get("jwt-keys", {}).get("mountPath") == "/etc/claims/keys",
          "the key Secret must be mounted at /etc/claims/keys")

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
    check(config["auth"] == {"mode": "metadata"}, f"sqlite: metadata auth, got {config['auth']}")
    volumes = [v["name"] for v in deployment["spec"]["template"]["spec"]["volumes"]]
    check("jwt-keys" not in volumes, "sqlite: no key volume in metadata mode")

# The chart's defaults ask for tokens, so an install that names no issuer or key stops here
# rather than running a service that trusts any caller's headers.
rc, out, err = render()
check(rc != 0 and "auth.mode=jwt needs auth.issuer" in err,
      f"default values without an issuer must fail to render: {err}")
rc, out, err = render("-f", f"{chart}/ci/mysql-values.yaml", "--set", "auth.keysSecret=")
check(rc != 0 and "need auth.keysSecret" in err, "a key file without keysSecret must fail")

rc, out, err = render("--set", "database.backend=sqlite", "--set", "replicaCount=2")
check(rc != 0 and "one replica only" in err, "sqlite with 2 replicas must fail to render")

rc, out, err = render("--set", "databse.backend=mysql")
check(rc != 0 and "databse" in err, "values schema must reject unknown keys")

rc, out, err = render("-f", f"{chart}/ci/mysql-values.yaml",
                      "--set", "workflows.files.custom\\.yaml=name: custom")
check(rc == 0 and "r-claims-workflows" in out, "workflow files must become a ConfigMap")

for failure in failures:
    print("FAIL:", failure)
print(f"7 renders checked, {len(failures)} failures")
sys.exit(1 if failures else 0)
