"""Renders helm/claims with every CI values file and more, and asserts on the manifests.

check_chart.py HELM CHART REPO MODELS
  HELM    the helm binary (tests/helm/fetch_helm.sh)
  CHART   helm/claims
  REPO    the source tree (the shipped workflows and calendars, docs/operations.md)
  MODELS  the Kubernetes schemas (tests/helm/fetch_k8s_models.sh), checked with node

Every render goes through the same invariants: what an install needs (every object a hook
mounts exists before the hook runs; nothing the release keeps depends on a hook object; hook
objects are cleaned up), the restricted Pod Security profile on every pod, native gRPC probes
on the right port and health service, metrics reachable through the Service, every file a
workflow includes present where the pods mount it, and every object valid against the
Kubernetes schemas. The invariants are then run on deliberately broken copies of a render, so
each of them is shown to fail when its defect is present.
"""
import copy
import json
import os
import posixpath
import re
import subprocess
import sys
import tempfile

import yaml

helm, chart, repo, models = sys.argv[1:5]
failures = []
renders = 0
rendered_objects = []  # (source, object) for the schema check


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def render(*args):
    global renders
    renders += 1
    result = subprocess.run([helm, "template", "r", chart, "--namespace", "claims", *args],
                            capture_output=True, text=True)
    return result.returncode, result.stdout, result.stderr


def load(text):
    return [d for d in yaml.safe_load_all(text) if d]


def key(obj):
    return (obj["kind"], obj["metadata"]["name"])


def annotations(obj):
    return obj["metadata"].get("annotations") or {}


def hook_events(obj):
    value = annotations(obj).get("helm.sh/hook")
    return set(value.split(",")) if value else set()


def hook_weight(obj):
    return int(annotations(obj).get("helm.sh/hook-weight", "0"))


POD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"}


def pod_spec(obj):
    if obj["kind"] == "Pod":
        return obj["spec"]
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def containers(spec):
    return spec.get("initContainers", []) + spec.get("containers", [])


def references(spec):
    """The objects a pod needs to exist before it can start: (kind, name)."""
    refs = set()
    refs.add(("ServiceAccount", spec.get("serviceAccountName", "default")))
    for secret in spec.get("imagePullSecrets", []):
        refs.add(("Secret", secret["name"]))
    for volume in spec.get("volumes", []):
        if "configMap" in volume:
            refs.add(("ConfigMap", volume["configMap"]["name"]))
        if "secret" in volume:
            refs.add(("Secret", volume["secret"]["secretName"]))
        if "persistentVolumeClaim" in volume:
            refs.add(("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]))
        for source in volume.get("projected", {}).get("sources", []):
            if "configMap" in source:
                refs.add(("ConfigMap", source["configMap"]["name"]))
            if "secret" in source:
                refs.add(("Secret", source["secret"]["name"]))
    for container in containers(spec):
        for env in container.get("env", []):
            source = env.get("valueFrom", {})
            if "configMapKeyRef" in source:
                refs.add(("ConfigMap", source["configMapKeyRef"]["name"]))
            if "secretKeyRef" in source:
                refs.add(("Secret", source["secretKeyRef"]["name"]))
        for env in container.get("envFrom", []):
            if "configMapRef" in env:
                refs.add(("ConfigMap", env["configMapRef"]["name"]))
            if "secretRef" in env:
                refs.add(("Secret", env["secretRef"]["name"]))
    return refs


def check_install_order(name, objects, external):
    """Hooks run before the release's objects exist: whatever a hook needs must be a hook of
    the same events with a lower weight, or a Secret the user creates beforehand (external)."""
    by_key = {key(o): o for o in objects}
    ok = True
    for obj in objects:
        events = hook_events(obj)
        if obj["kind"] not in POD_KINDS:
            continue
        for ref in sorted(references(pod_spec(obj))):
            target = by_key.get(ref)
            if not events:
                # The release's own pods must not use hook objects: Helm deletes those.
                ok &= check(target is None or not hook_events(target),
                            f"{name}: {key(obj)} uses {ref}, a hook object Helm deletes")
                ok &= check(target is not None or ref in external,
                            f"{name}: {key(obj)} uses {ref}, which the chart does not create")
                continue
            if target is None:
                ok &= check(ref in external,
                            f"{name}: hook {key(obj)} uses {ref}, which nothing creates")
                continue
            missing = events - hook_events(target)
            ok &= check(not missing,
                        f"{name}: hook {key(obj)} uses {ref}, which does not exist yet on "
                        f"{','.join(sorted(missing))} (not a hook of that event)")
            if not missing:
                ok &= check(hook_weight(target) < hook_weight(obj),
                            f"{name}: hook {key(obj)} (weight {hook_weight(obj)}) uses {ref} "
                            f"(weight {hook_weight(target)}), which is created with or after it")
    for obj in objects:
        if hook_events(obj):
            policy = set(annotations(obj).get("helm.sh/hook-delete-policy", "").split(","))
            ok &= check({"before-hook-creation", "hook-succeeded"} <= policy,
                        f"{name}: hook {key(obj)} is never cleaned up (delete policy {policy})")
    return ok


def check_restricted(name, objects):
    """The restricted Pod Security Standard, plus a read-only root, on every pod."""
    ok = True
    allowed_volumes = {"configMap", "secret", "emptyDir", "persistentVolumeClaim", "projected",
                       "downwardAPI", "ephemeral", "csi"}
    for obj in objects:
        if obj["kind"] not in POD_KINDS:
            continue
        spec = pod_spec(obj)
        pod = spec.get("securityContext") or {}
        where = f"{name}: {key(obj)}"
        for flag in ("hostNetwork", "hostPID", "hostIPC"):
            ok &= check(not spec.get(flag), f"{where}: {flag}")
        for volume in spec.get("volumes", []):
            kinds = set(volume) - {"name"}
            ok &= check(kinds <= allowed_volumes, f"{where}: volume {volume['name']} is {kinds}")
        for container in containers(spec):
            sc = container.get("securityContext") or {}
            cwhere = f"{where} container {container['name']}"

            def effective(field):
                return sc.get(field, pod.get(field))

            ok &= check(effective("runAsNonRoot") is True, f"{cwhere}: runAsNonRoot not set")
            ok &= check(effective("runAsUser") != 0, f"{cwhere}: runs as uid 0")
            seccomp = (effective("seccompProfile") or {}).get("type")
            ok &= check(seccomp in ("RuntimeDefault", "Localhost"),
                        f"{cwhere}: seccompProfile is {seccomp}, not RuntimeDefault")
            ok &= check(sc.get("allowPrivilegeEscalation") is False,
                        f"{cwhere}: allowPrivilegeEscalation not false")
            ok &= check(not sc.get("privileged"), f"{cwhere}: privileged")
            caps = sc.get("capabilities") or {}
            ok &= check("ALL" in (caps.get("drop") or []), f"{cwhere}: capabilities not dropped")
            ok &= check(set(caps.get("add") or []) <= {"NET_BIND_SERVICE"},
                        f"{cwhere}: adds capabilities {caps.get('add')}")
            ok &= check(sc.get("readOnlyRootFilesystem") is True,
                        f"{cwhere}: root file system writable")
    return ok


def listen_port(address):
    return int(address.rsplit(":", 1)[1])


def server_parts(objects):
    by_key = {key(o): o for o in objects}
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    spec = pod_spec(deployment)
    container = spec["containers"][0]
    args = container.get("args", [])
    config_path = args[args.index("--config") + 1]
    return by_key, deployment, spec, container, config_path


class PodFiles:
    """The files a pod sees under its mounts: mount path -> (volume, file names or None when
    the content is not the chart's, e.g. a Secret the user makes)."""

    def __init__(self, spec, container, by_key):
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        self.mounts = {}
        for mount in container.get("volumeMounts", []):
            volume = volumes.get(mount["name"], {})
            files = None
            if "configMap" in volume:
                cm = by_key.get(("ConfigMap", volume["configMap"]["name"]))
                files = set((cm or {}).get("data") or {})
                items = volume["configMap"].get("items")
                if items:
                    files = {i["path"] for i in items if i["key"] in files}
            elif "secret" in volume:
                secret = by_key.get(("Secret", volume["secret"]["secretName"]))
                if secret is not None:
                    files = set(secret.get("data") or {}) | set(secret.get("stringData") or {})
            self.mounts[mount["mountPath"].rstrip("/")] = (volume, files)

    def volume_of(self, path):
        path = posixpath.normpath(path)
        best = None
        for mount_path in self.mounts:
            if path == mount_path or path.startswith(mount_path + "/"):
                if best is None or len(mount_path) > len(best):
                    best = mount_path
        return best

    def exists(self, path):
        mount = self.volume_of(path)
        if mount is None:
            return False
        volume, files = self.mounts[mount]
        if files is None:
            return True  # content the chart does not see (external Secret, PVC, emptyDir)
        return posixpath.relpath(posixpath.normpath(path), mount) in files

    def kind(self, path):
        mount = self.volume_of(path)
        if mount is None:
            return None
        return next(iter(set(self.mounts[mount][0]) - {"name"}), None)


def includes(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "include" and isinstance(v, str):
                yield v
            else:
                yield from includes(v)
    elif isinstance(node, list):
        for item in node:
            yield from includes(item)


def check_server(name, objects, tls):
    """Probes, ports, the configuration and the files it names, as the server pod sees them."""
    ok = True
    by_key, deployment, spec, container, config_path = server_parts(objects)
    files = PodFiles(spec, container, by_key)
    where = f"{name}: Deployment"
    config_mount = files.volume_of(config_path)
    if not check(config_mount and files.kind(config_path) == "configMap",
                 f"{where}: --config {config_path} is not on a ConfigMap mount"):
        return False
    cm_name = files.mounts[config_mount][0]["configMap"]["name"]
    config = yaml.safe_load(by_key[("ConfigMap", cm_name)]["data"][posixpath.basename(config_path)])

    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    ok &= check(ports.get("grpc") == listen_port(config["listen"]),
                f"{where}: grpc port {ports.get('grpc')} is not where claimsd listens")
    ok &= check(ports.get("metrics") == listen_port(config["metrics"]["listen"]),
                f"{where}: metrics port is not where claimsd serves metrics")
    ok &= check(config["metrics"]["listen"].startswith("0.0.0.0:"),
                f"{where}: metrics listen on loopback only cannot be scraped")
    health_listen = (config.get("health") or {}).get("listen", "")
    if tls:
        ok &= check(bool(health_listen) and ports.get("health") == listen_port(health_listen),
                    f"{where}: with TLS, health.listen must be the health container port")
        probe_port = ports.get("health")
        for field in ("cert_file", "key_file", "client_ca_file"):
            path = (config.get("tls") or {}).get(field)
            if field != "client_ca_file" or path:
                ok &= check(path and files.kind(path) == "secret" and files.exists(path),
                            f"{where}: tls.{field} {path} is not in a mounted Secret")
    else:
        ok &= check(not health_listen, f"{where}: plaintext health port without TLS")
        probe_port = ports.get("grpc")
    expected = {"startupProbe": "liveness", "livenessProbe": "liveness",
                "readinessProbe": "claims.v1.Claims"}
    for probe, service in expected.items():
        grpc = (container.get(probe) or {}).get("grpc")
        if not check(grpc is not None, f"{where}: no native gRPC {probe}"):
            ok = False
            continue
        ok &= check(grpc.get("service") == service,
                    f"{where}: {probe} asks for service {grpc.get('service')!r}, not {service!r}")
        ok &= check(grpc.get("port") == probe_port,
                    f"{where}: {probe} probes port {grpc.get('port')}, not {probe_port} "
                    f"({'the plaintext health port' if tls else 'the gRPC port'})")
    startup = container.get("startupProbe") or {}
    ok &= check(startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3) >= 120,
                f"{where}: the startup probe allows less than 2 minutes for migrations")

    services = [o for o in objects if o["kind"] == "Service"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    for service in services:
        sel = service["spec"]["selector"]
        ok &= check(all(pod_labels.get(k) == v for k, v in sel.items()),
                    f"{name}: Service {service['metadata']['name']} selects no server pod")
        named = {p["name"]: p for p in service["spec"]["ports"]}
        ok &= check("metrics" in named and named["metrics"].get("targetPort") in
                    ("metrics", ports.get("metrics")),
                    f"{name}: Service has no metrics port (no ServiceMonitor can scrape)")
        ok &= check("grpc" in named, f"{name}: Service has no grpc port")

    # Workflows and every file they include, where the pod reads them.
    directory = config["workflows"]["directory"]
    ok &= check(files.kind(directory) == "configMap",
                f"{where}: workflows.directory {directory} is not a ConfigMap mount")
    mount = files.volume_of(directory)
    if mount == posixpath.normpath(directory):
        cm = by_key.get(("ConfigMap", files.mounts[mount][0]["configMap"]["name"]), {})
        workflows = {k: v for k, v in (cm.get("data") or {}).items() if k.endswith((".yaml", ".yml"))}
        ok &= check(config["workflows"]["default"] + ".yaml" in workflows or any(
            (yaml.safe_load(t) or {}).get("name") == config["workflows"]["default"]
            for t in workflows.values()),
            f"{where}: the default workflow {config['workflows']['default']} is not mounted")
        for file_name, text in workflows.items():
            for include in includes(yaml.safe_load(text)):
                target = posixpath.normpath(posixpath.join(directory, include))
                ok &= check(files.exists(target),
                            f"{where}: {file_name} includes {include}, but {target} is not "
                            f"in any ConfigMap the pod mounts")
    for key_config in (config.get("auth") or {}).get("keys") or []:
        path = key_config.get("public_key_file")
        if path:
            ok &= check(files.kind(path) == "secret",
                        f"{where}: auth key file {path} is not in a mounted Secret")
    url = config["database"]["url"]
    if url.startswith("sqlite:"):
        ok &= check(files.kind(posixpath.dirname(url[len("sqlite:"):])) == "persistentVolumeClaim",
                    f"{where}: the SQLite file is not on the persistent volume")
    env = {e["name"]: e for e in container.get("env", [])}
    tmp = env.get("TMPDIR", {}).get("value", "/tmp")
    ok &= check(files.kind(tmp) == "emptyDir", f"{where}: no writable {tmp} on a read-only root")
    return ok


def check_image(name, objects, expected):
    ok = True
    for obj in objects:
        if obj["kind"] in POD_KINDS:
            for container in containers(pod_spec(obj)):
                ok &= check(container["image"] == expected,
                            f"{name}: {key(obj)} runs {container['image']}, not {expected}")
    return ok


def check_all(name, objects, external, tls=False):
    ok = check_install_order(name, objects, external)
    ok &= check_restricted(name, objects)
    ok &= check_server(name, objects, tls)
    return ok


def rendered(name, *args):
    rc, out, err = render(*args)
    if not check(rc == 0, f"{name}: does not render: {err.strip()[-600:]}"):
        return None
    objects = load(out)
    rendered_objects.extend((name, o) for o in objects)
    return objects


chart_meta = yaml.safe_load(open(os.path.join(chart, "Chart.yaml")))
app_version = chart_meta["appVersion"]
check("kubeVersion" in chart_meta, "Chart.yaml has no kubeVersion")
EXTERNAL_BASE = {("ServiceAccount", "default"), ("Secret", "claims-database"),
                 ("Secret", "claims-jwt-keys"), ("Secret", "claims-jwt-hmac"),
                 ("Secret", "claims-database-tls"), ("Secret", "claims-tls")}

# Every CI values file through every invariant.
ci_dir = os.path.join(chart, "ci")
ci_objects = {}
for values in sorted(os.listdir(ci_dir)):
    name = values.replace("-values.yaml", "")
    objects = rendered(name, "-f", os.path.join(ci_dir, values))
    if objects is None:
        continue
    ci_objects[name] = objects
    by_key = {key(o): o for o in objects}
    tls = any(o["kind"] == "Deployment" and "tls" in yaml.safe_load(
        by_key[("ConfigMap", "r-claims")]["data"]["claimsd.yaml"]) for o in objects)
    check_all(name, objects, EXTERNAL_BASE, tls=tls)
check({"mysql", "sqlite", "production"} <= set(ci_objects),
      f"CI values files missing: {sorted(ci_objects)}")

shipped_workflows = sorted(os.listdir(os.path.join(repo, "config", "workflows")))
shipped_calendars = sorted(os.listdir(os.path.join(repo, "config", "calendars")))

if "mysql" in ci_objects:
    objects = ci_objects["mysql"]
    by_key, deployment, spec, container, _ = server_parts(objects)
    check(deployment["spec"]["replicas"] == 3, "mysql: replicas should be 3")
    check_image("mysql", objects, f"claimsd:{app_version}")
    env = {e["name"]: e for e in container.get("env", [])}
    check(env.get("CLAIMS_DATABASE_URL", {}).get("valueFrom", {}).get("secretKeyRef", {})
          .get("name") == "claims-database", "database URL must come from the Secret")
    job = by_key.get(("Job", "r-claims-migrate"))
    if check(job is not None, "mysql: migration job missing"):
        check(hook_events(job) == {"pre-install", "pre-upgrade"},
              f"migration hook is {hook_events(job)}")
        job_container = pod_spec(job)["containers"][0]
        check("--migrate-only" in job_container["args"], "migration job must run --migrate-only")
        job_env = {e["name"]: e for e in job_container.get("env", [])}
        check(job_env.get("CLAIMS_DATABASE_URL") == env.get("CLAIMS_DATABASE_URL"),
              "the migration job must use the server's database URL")
    check(("PodDisruptionBudget", "r-claims") in by_key, "mysql: PDB missing")
    check(("PersistentVolumeClaim", "r-claims-data") not in by_key, "mysql: no PVC expected")
    sa = by_key.get(("ServiceAccount", "r-claims"))
    check(sa is not None and not hook_events(sa),
          "mysql: the server's ServiceAccount must be a release object (removed on uninstall)")
    config = yaml.safe_load(by_key[("ConfigMap", "r-claims")]["data"]["claimsd.yaml"])
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
    # The ConfigMaps carry exactly the repository's workflows and calendars.
    workflows = by_key.get(("ConfigMap", "r-claims-workflows"), {}).get("data") or {}
    check(sorted(workflows) == shipped_workflows,
          f"mysql: workflows ConfigMap has {sorted(workflows)}, not {shipped_workflows}")
    for file_name in shipped_workflows:
        text = open(os.path.join(repo, "config", "workflows", file_name)).read()
        check(workflows.get(file_name, "").rstrip() == text.rstrip(),
              f"mysql: {file_name} in the ConfigMap differs from config/workflows")
    calendars = by_key.get(("ConfigMap", "r-claims-calendars"), {}).get("data") or {}
    check(sorted(calendars) == shipped_calendars,
          f"mysql: calendars ConfigMap has {sorted(calendars)}, not {shipped_calendars}")
    for kind in ("HorizontalPodAutoscaler", "NetworkPolicy", "ServiceMonitor", "PrometheusRule"):
        check(not any(o["kind"] == kind for o in objects), f"mysql: {kind} is opt-in")

if "sqlite" in ci_objects:
    objects = ci_objects["sqlite"]
    by_key, deployment, spec, container, _ = server_parts(objects)
    check(deployment["spec"]["replicas"] == 1, "sqlite: one replica")
    check(deployment["spec"]["strategy"]["type"] == "Recreate", "sqlite: Recreate strategy")
    check(("PersistentVolumeClaim", "r-claims-data") in by_key, "sqlite: PVC missing")
    check(("Job", "r-claims-migrate") not in by_key, "sqlite: no migration job")
    config = yaml.safe_load(by_key[("ConfigMap", "r-claims")]["data"]["claimsd.yaml"])
    check(config["database"]["url"] == "sqlite:/var/lib/claims/claims.db", "sqlite URL")
    check(config["auth"] == {"mode": "metadata"}, f"sqlite: metadata auth, got {config['auth']}")
    volumes = [v["name"] for v in spec["volumes"]]
    check("jwt-keys" not in volumes, "sqlite: no key volume in metadata mode")

if "production" in ci_objects:
    objects = ci_objects["production"]
    by_key, deployment, spec, container, _ = server_parts(objects)
    check_image("production", objects, f"registry.example.test/platform/claimsd:{app_version}")
    check("replicas" not in deployment["spec"],
          "production: with autoscaling the HPA, not the Deployment, sets replicas")
    hpa = by_key.get(("HorizontalPodAutoscaler", "r-claims"))
    if check(hpa is not None, "production: no HPA"):
        check(hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                                "name": deployment["metadata"]["name"]},
              "production: the HPA must scale the Deployment")
        check(hpa["spec"]["minReplicas"] == 3 and hpa["spec"]["maxReplicas"] == 8,
              "production: HPA bounds")
    config = yaml.safe_load(by_key[("ConfigMap", "r-claims")]["data"]["claimsd.yaml"])
    check(config.get("tls") == {"cert_file": "/etc/claims/tls/tls.crt",
                                "key_file": "/etc/claims/tls/tls.key",
                                "client_ca_file": "/etc/claims/tls/ca.crt",
                                "reload_seconds": 60},
          f"production: tls config {config.get('tls')}")
    check(config["health"]["listen"] == "0.0.0.0:8081", "production: health port 8081")
    volumes = {v["name"]: v for v in spec["volumes"]}
    check(volumes.get("tls", {}).get("secret", {}).get("secretName") == "claims-tls",
          "production: the TLS Secret must be the tls volume")
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    check(mounts.get("tls") == "/etc/claims/tls", "production: TLS mounted at /etc/claims/tls")
    job = by_key.get(("Job", "r-claims-migrate"))
    for obj in (deployment, job):
        if obj is not None:
            check(("Secret", "claims-database-tls") in references(pod_spec(obj)),
                  f"production: {key(obj)} must mount the database's TLS Secret")
    policy = by_key.get(("NetworkPolicy", "r-claims"))
    if check(policy is not None, "production: no NetworkPolicy"):
        selected = policy["spec"]["podSelector"]["matchLabels"]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        check(all(pod_labels.get(k) == v for k, v in selected.items()),
              "production: the NetworkPolicy selects no server pod")
        port_names = {p["name"] for p in container["ports"]}
        for rule in policy["spec"]["ingress"]:
            for port in rule["ports"]:
                check(port["port"] in port_names, f"production: policy port {port['port']}")
        check("Egress" in policy["spec"]["policyTypes"], "production: egress rules given")
        check(any(p.get("port") == 53 for r in policy["spec"]["egress"]
                  for p in r.get("ports", [])), "production: egress must allow DNS")
    monitor = by_key.get(("ServiceMonitor", "r-claims"))
    service = by_key[("Service", "r-claims")]
    if check(monitor is not None, "production: no ServiceMonitor"):
        sel = monitor["spec"]["selector"]["matchLabels"]
        check(all(service["metadata"]["labels"].get(k) == v for k, v in sel.items()),
              "production: the ServiceMonitor does not select the Service")
        check([e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"],
              "production: the ServiceMonitor scrapes the metrics port")
        check(monitor["metadata"]["labels"].get("release") == "prometheus",
              "production: ServiceMonitor labels")
    rule = by_key.get(("PrometheusRule", "r-claims"))
    if check(rule is not None, "production: no PrometheusRule"):
        alerts = [r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]]
        operations = open(os.path.join(repo, "docs", "operations.md")).read()
        section = operations.split("\n## Alerts", 1)[-1].split("\n## ", 1)[0]
        documented = re.findall(r"^### (Claims\w+)", section, re.M)
        check(sorted(alerts) == sorted(documented),
              f"production: alerts {sorted(alerts)} differ from docs/operations.md's "
              f"{sorted(documented)}")
        known_metrics = set(re.findall(r"`((?:claims|process)_[a-z_]+)", operations)) | {"up"}
        for r in rule["spec"]["groups"][0]["rules"]:
            used = set(re.findall(r"\b((?:claims|process)_[a-z_]+?)(?:_bucket)?\b", r["expr"]))
            check(used <= known_metrics,
                  f"production: {r['alert']} uses metrics the docs do not describe: "
                  f"{used - known_metrics}")
            check(r["annotations"]["runbook"].endswith("#" + r["alert"].lower()),
                  f"production: {r['alert']} runbook link")
    calendars = by_key.get(("ConfigMap", "r-claims-calendars"), {}).get("data") or {}
    check(sorted(calendars) == sorted(shipped_calendars + ["emea.yaml"]),
          f"production: calendars.files adds to the shipped calendars, got {sorted(calendars)}")

# A chart-made TLS Secret holds the PEM texts under the names the config uses.
objects = rendered("tls-from-values", "-f", os.path.join(ci_dir, "mysql-values.yaml"),
                   "--set", "tls.enabled=true", "--set-string", "tls.certificate=CERT",
                   "--set-string", "tls.key=KEY", "--set-string", "tls.clientCA=CA",
                   "--set", "tls.requireClientCert=true")
if objects:
    check_all("tls-from-values", objects, EXTERNAL_BASE, tls=True)
    secret = {key(o): o for o in objects}.get(("Secret", "r-claims-tls"))
    if check(secret is not None, "tls-from-values: the chart must make the TLS Secret"):
        check(secret["type"] == "kubernetes.io/tls", "tls-from-values: Secret type")
        check(set(secret["data"]) == {"tls.crt", "tls.key", "ca.crt"},
              f"tls-from-values: Secret keys {set(secret['data'])}")

# Custom workflows: their calendar includes resolve against calendars.files.
custom_workflow = open(os.path.join(repo, "config", "workflows", shipped_workflows[0])).read()
custom_workflow = custom_workflow.replace("../calendars/us.yaml", "../calendars/emea.yaml")
with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as values_file:
    yaml.safe_dump({"workflows": {"files": {"custom.yaml": custom_workflow}},
                    "calendars": {"files": {"emea.yaml": "time_zone: Europe/Dublin\n"}}},
                   values_file)
objects = rendered("custom-workflows", "-f", os.path.join(ci_dir, "mysql-values.yaml"),
                   "-f", values_file.name)
if objects:
    check_all("custom-workflows", objects, EXTERNAL_BASE)
    data = {key(o): o for o in objects}[("ConfigMap", "r-claims-workflows")]["data"]
    check(sorted(data) == ["custom.yaml"], "custom-workflows: workflows.files replaces the shipped")
os.unlink(values_file.name)

# Renders that must fail, with the reason the user needs.
refusals = [
    ((), "auth.mode=jwt needs auth.issuer", "default values without an issuer"),
    (("-f", f"{ci_dir}/mysql-values.yaml", "--set", "auth.keysSecret="), "need auth.keysSecret",
     "a key file without keysSecret"),
    (("--set", "database.backend=sqlite", "--set", "replicaCount=2", "--set", "auth.mode=metadata"),
     "one replica only", "sqlite with 2 replicas"),
    (("-f", f"{ci_dir}/sqlite-values.yaml", "--set", "autoscaling.enabled=true"),
     "autoscaling needs database.backend=mysql", "sqlite with autoscaling"),
    (("--set", "databse.backend=mysql"), "databse", "an unknown key (values schema)"),
    (("-f", f"{ci_dir}/mysql-values.yaml", "--set", "tls.enabled=true"),
     "tls.enabled needs tls.existingSecret", "TLS without a certificate"),
    (("-f", f"{ci_dir}/mysql-values.yaml", "--kube-version", "1.26.0"), "kubeVersion",
     "a cluster older than kubeVersion"),
]
for args, message, what in refusals:
    rc, out, err = render(*args)
    check(rc != 0 and message in err, f"{what} must fail to render with {message!r}: {err[-300:]}")

# Each invariant fails on a render that has its defect: broken copies of the production and
# mysql renders, one defect each (the defects the chart once had, and their neighbours).
def broken(objects, kind, name, change):
    copies = copy.deepcopy(objects)
    for obj in copies:
        if key(obj) == (kind, name):
            try:
                change(obj)
            except (KeyError, IndexError):
                pass  # the render already lacks what the change removes
    return copies


def job_spec(obj):
    return pod_spec(obj)


def deployment_container(obj):
    return pod_spec(obj)["containers"][0]


mutations = []
if "mysql" in ci_objects and "production" in ci_objects:
    mysql, production = ci_objects["mysql"], ci_objects["production"]
    cm_not_hook = lambda o: o["metadata"].pop("annotations")  # noqa: E731
    mutations = [
        ("the Job's ConfigMap is not a hook", mysql, lambda objs: broken(
            objs, "ConfigMap", "r-claims-migrate", cm_not_hook), False),
        ("the Job mounts the release's ConfigMap", mysql, lambda objs: broken(
            objs, "Job", "r-claims-migrate", lambda o: job_spec(o)["volumes"][0]["configMap"]
            .update(name="r-claims")), False),
        ("the Job's ServiceAccount has the Job's weight", mysql, lambda objs: broken(
            objs, "ServiceAccount", "r-claims-migrate",
            lambda o: o["metadata"]["annotations"].update({"helm.sh/hook-weight": "0"})), False),
        ("the Job's ServiceAccount is a pre-install hook only", mysql, lambda objs: broken(
            objs, "ServiceAccount", "r-claims-migrate",
            lambda o: o["metadata"]["annotations"].update({"helm.sh/hook": "pre-install"})),
         False),
        ("a hook is never deleted", mysql, lambda objs: broken(
            objs, "ServiceAccount", "r-claims-migrate",
            lambda o: o["metadata"]["annotations"].update(
                {"helm.sh/hook-delete-policy": "before-hook-creation"})), False),
        ("the server uses the hook ServiceAccount", mysql, lambda objs: broken(
            objs, "Deployment", "r-claims",
            lambda o: pod_spec(o).update(serviceAccountName="r-claims-migrate")), False),
        ("no seccomp profile", mysql, lambda objs: broken(
            objs, "Job", "r-claims-migrate", lambda o: (
                job_spec(o)["securityContext"].pop("seccompProfile"),
                job_spec(o)["containers"][0]["securityContext"].pop("seccompProfile"))), False),
        ("privilege escalation allowed", mysql, lambda objs: broken(
            objs, "Deployment", "r-claims", lambda o: deployment_container(o)["securityContext"]
            .update(allowPrivilegeEscalation=True)), False),
        ("capabilities kept", mysql, lambda objs: broken(
            objs, "Deployment", "r-claims",
            lambda o: deployment_container(o)["securityContext"].pop("capabilities")), False),
        ("writable root", mysql, lambda objs: broken(
            objs, "Deployment", "r-claims", lambda o: deployment_container(o)["securityContext"]
            .update(readOnlyRootFilesystem=False)), False),
        ("runs as root", mysql, lambda objs: broken(
            objs, "Deployment", "r-claims", lambda o: (
                pod_spec(o)["securityContext"].update(runAsNonRoot=False, runAsUser=0),
                deployment_container(o)["securityContext"].pop("runAsNonRoot"))), False),
        ("no startup probe", mysql, lambda objs: broken(
            objs, "Deployment", "r-claims",
            lambda o: deployment_container(o).pop("startupProbe")), False),
        ("liveness on the readiness service", mysql, lambda objs: broken(
            objs, "Deployment", "r-claims", lambda o: deployment_container(o)["livenessProbe"]
            ["grpc"].update(service="claims.v1.Claims")), False),
        ("probes on the TLS port", production, lambda objs: broken(
            objs, "Deployment", "r-claims", lambda o: deployment_container(o)["readinessProbe"]
            ["grpc"].update(port=50051)), True),
        ("no metrics port on the Service", mysql, lambda objs: broken(
            objs, "Service", "r-claims", lambda o: o["spec"].update(
                ports=[p for p in o["spec"]["ports"] if p["name"] != "metrics"])), False),
        ("no calendars in any ConfigMap", mysql, lambda objs: broken(
            objs, "ConfigMap", "r-claims-calendars", lambda o: o.update(data={})), False),
        ("calendars not mounted", mysql, lambda objs: broken(
            objs, "Deployment", "r-claims", lambda o: deployment_container(o).update(
                volumeMounts=[m for m in deployment_container(o)["volumeMounts"]
                              if m["name"] != "calendars"])), False),
        ("the TLS Secret not mounted", production, lambda objs: broken(
            objs, "Deployment", "r-claims", lambda o: deployment_container(o).update(
                volumeMounts=[m for m in deployment_container(o)["volumeMounts"]
                              if m["name"] != "tls"])), True),
    ]
for what, objects, mutate, tls in mutations:
    before = len(failures)
    caught = not check_all(f"[{what}]", mutate(objects), EXTERNAL_BASE, tls=tls)
    if os.environ.get("CHECK_CHART_VERBOSE"):
        print("\n".join(failures[before:]))
    del failures[before:]
    check(caught, f"the checks miss a defect: {what}")

# Every rendered object against the Kubernetes schemas.
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as listing:
    json.dump([{"source": s, "object": o} for s, o in rendered_objects], listing)
result = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "validate_objects.js"),
                         models, listing.name], capture_output=True, text=True)
os.unlink(listing.name)
print(result.stdout.strip())
check(result.returncode == 0, f"objects fail the Kubernetes schemas: {result.stderr[-500:]}")

for failure in failures:
    print("FAIL:", failure)
print(f"{renders} renders, {len(mutations)} broken renders, {len(failures)} failures")
sys.exit(1 if failures else 0)
