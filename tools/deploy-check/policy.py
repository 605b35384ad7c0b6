#!/usr/bin/env python3
"""Policy checks over a rendered overlay (kubectl kustomize output as JSON).

  policy.py ENV FILE.json        ENV: dev, staging, prod or kind
  policy.py --self-test FILE.json

Each rule says what an operator expects of the manifests (README.md of this
directory lists them). Prints every violation, exits 1 if there is one.
--self-test breaks a copy of the objects in known ways and fails unless every
break is caught, so the rules themselves are tested.
"""
import copy
import ipaddress
import json
import re
import sys

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet")
# Workloads that truly need host access; each exception is commented in its
# manifest. They may run only in the privileged namespace aether-node.
PRIVILEGED = {("aether-node", "vm-worker"), ("aether-node", "node-provisioner")}
HOST_NETWORK = {("aether-node", "vm-worker")}
# The only RBAC rules anything may have (issue 14): (apiGroup, resource) -> verbs, names
RBAC_ALLOWED = {
    ("ClusterRole", "", "nodes"): ({"get", "patch"}, None),
    ("Role", "apps", "deployments/scale"): ({"get", "patch", "update"}, {"worker-capacity"}),
    ("Role", "", "pods"): ({"list", "patch"}, None),
}
AETHER_TAG = re.compile(r"^\d+\.\d+\.\d+(-[0-9a-f]{7,40}(-dirty)?)?$")
SERVICES = ("api", "vm-worker", "node-provisioner", "autoscaler", "migration-runner")


def pod_spec(obj):
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template", {}).get("spec", {})


def pod_labels(obj):
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template", {}).get("metadata", {}).get("labels", {})


def ns(obj):
    return obj.get("metadata", {}).get("namespace", "")


def name(obj):
    return obj.get("metadata", {}).get("name", "")


def where(obj, container=None):
    w = f"{obj['kind']} {ns(obj)}/{name(obj)}"
    return f"{w} container {container}" if container else w


def selector_matches(sel, labels):
    if sel is None:
        return False
    for k, v in sel.get("matchLabels", {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions", []):
        op, vals, has = e["operator"], e.get("values", []), e["key"] in labels
        if op == "In" and (not has or labels[e["key"]] not in vals):
            return False
        if op == "NotIn" and has and labels[e["key"]] in vals:
            return False
        if op == "Exists" and not has:
            return False
        if op == "DoesNotExist" and has:
            return False
    return True


class Endpoint:
    """One end of a connection: a pod (namespace + labels) or an address."""

    def __init__(self, namespace=None, labels=None, ip=None):
        self.namespace, self.labels, self.ip = namespace, labels or {}, ip


def peer_matches(peer, own_ns, ep):
    if "ipBlock" in peer:
        if ep.ip is None:
            return False
        block = peer["ipBlock"]
        addr = ipaddress.ip_address(ep.ip)
        return addr in ipaddress.ip_network(block["cidr"]) and not any(
            addr in ipaddress.ip_network(c) for c in block.get("except", []))
    if ep.namespace is None:
        return False
    if "namespaceSelector" in peer:
        if not selector_matches(peer["namespaceSelector"], {"kubernetes.io/metadata.name": ep.namespace}):
            return False
    elif ep.namespace != own_ns:
        return False
    return "podSelector" not in peer or selector_matches(peer["podSelector"], ep.labels)


def port_matches(ports, port):
    return not ports or any(p.get("port") in (None, port) and p.get("protocol", "TCP") == "TCP" for p in ports)


def allowed(policies, src, dst, port):
    """Is TCP src -> dst:port allowed by the NetworkPolicies (egress of src, ingress of dst)?"""

    def direction_ok(ep, other, kind, key, peer_key):
        if ep.namespace is None:  # outside the cluster: not ours to police
            return True
        selecting = [p for p in policies if ns(p) == ep.namespace and selector_matches(p["spec"].get("podSelector", {}), ep.labels)
                     and kind in p["spec"].get("policyTypes", ["Ingress"])]
        if not selecting:
            return True
        for p in selecting:
            for rule in p["spec"].get(key, []) or []:
                peers = rule.get(peer_key)
                if (not peers or any(peer_matches(x, ns(p), other) for x in peers)) and port_matches(rule.get("ports"), port):
                    return True
        return False

    return direction_ok(src, dst, "Egress", "egress", "to") and direction_ok(dst, src, "Ingress", "ingress", "from")


def check(env, objs):
    errs = []
    by_kind = {}
    for o in objs:
        by_kind.setdefault(o["kind"], []).append(o)
    workloads = [o for o in objs if o["kind"] in WORKLOADS]
    policies = by_kind.get("NetworkPolicy", [])

    for w in workloads:
        spec, key = pod_spec(w), (ns(w), name(w))
        exempt_probes = "aether.io/no-probes" in w["metadata"].get("annotations", {})
        psc = spec.get("securityContext", {})
        if spec.get("hostNetwork") and key not in HOST_NETWORK:
            errs.append(f"{where(w)}: hostNetwork is reserved for {sorted(HOST_NETWORK)}")
        for v in spec.get("volumes", []):
            if "hostPath" in v and key not in PRIVILEGED:
                errs.append(f"{where(w)}: hostPath volume {v['name']} outside the privileged exceptions")
        for c in spec.get("initContainers", []) + spec.get("containers", []):
            cn, sc = c["name"], c.get("securityContext", {})
            res = c.get("resources", {})
            for part in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if r not in res.get(part, {}):
                        errs.append(f"{where(w, cn)}: no {part}.{r}")
            image = c.get("image", "")
            tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
            if not tag or tag == "latest":
                errs.append(f"{where(w, cn)}: image {image!r} needs a pinned tag (never :latest)")
            elif image.startswith("aether/") and not AETHER_TAG.match(tag):
                errs.append(f"{where(w, cn)}: aether image tag {tag!r} is not <version>[-<git sha>]")
            seccomp = sc.get("seccompProfile", psc.get("seccompProfile", {})).get("type")
            if seccomp != "RuntimeDefault":
                errs.append(f"{where(w, cn)}: seccompProfile must be RuntimeDefault")
            if sc.get("readOnlyRootFilesystem") is not True:
                errs.append(f"{where(w, cn)}: readOnlyRootFilesystem must be true")
            if key in PRIVILEGED:
                if ns(w) != "aether-node":
                    errs.append(f"{where(w, cn)}: privileged workloads run only in aether-node")
            else:
                if sc.get("privileged"):
                    errs.append(f"{where(w, cn)}: privileged outside the exceptions")
                if not sc.get("runAsNonRoot", psc.get("runAsNonRoot")):
                    errs.append(f"{where(w, cn)}: runAsNonRoot must be true")
                if sc.get("runAsUser", psc.get("runAsUser")) == 0:
                    errs.append(f"{where(w, cn)}: runs as uid 0")
                if sc.get("allowPrivilegeEscalation") is not False:
                    errs.append(f"{where(w, cn)}: allowPrivilegeEscalation must be false")
                if "ALL" not in sc.get("capabilities", {}).get("drop", []) or sc.get("capabilities", {}).get("add"):
                    errs.append(f"{where(w, cn)}: capabilities must drop ALL and add none")
            is_init = c in spec.get("initContainers", [])
            if w["kind"] in LONG_RUNNING and not is_init and not exempt_probes:
                for p in ("startupProbe", "livenessProbe", "readinessProbe"):
                    if p not in c:
                        errs.append(f"{where(w, cn)}: no {p}")
                if image.startswith("aether/"):
                    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
                    for p, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
                        get = c.get(p, {}).get("httpGet", {})
                        if get.get("path") != path or get.get("port") not in ("admin", ports.get("admin")):
                            errs.append(f"{where(w, cn)}: {p} must be GET {path} on the admin port")

    # a PDB for every replicated workload (replicas > 1, or an HPA minimum > 1)
    hpa_min = {(ns(h), h["spec"]["scaleTargetRef"]["name"]): h["spec"].get("minReplicas", 1) for h in by_kind.get("HorizontalPodAutoscaler", [])}
    for w in workloads:
        if w["kind"] in ("Deployment", "StatefulSet"):
            replicas = max(w["spec"].get("replicas", 1), hpa_min.get((ns(w), name(w)), 0))
            if replicas > 1 and not any(ns(p) == ns(w) and selector_matches(p["spec"]["selector"], pod_labels(w)) for p in by_kind.get("PodDisruptionBudget", [])):
                errs.append(f"{where(w)}: {replicas} replicas and no PodDisruptionBudget")

    # default deny in every namespace with pods; every pod selected by an allow
    pod_ns = {ns(w) for w in workloads}
    for n in sorted(pod_ns):
        if not any(ns(p) == n and p["spec"].get("podSelector") == {} and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
                   and not p["spec"].get("ingress") and not p["spec"].get("egress") for p in policies):
            errs.append(f"namespace {n}: no default-deny NetworkPolicy (ingress and egress)")
    for w in workloads:
        if "aether.io/no-network" in w["metadata"].get("annotations", {}):
            continue
        if not any(ns(p) == ns(w) and p["spec"].get("podSelector") != {} and selector_matches(p["spec"]["podSelector"], pod_labels(w)) for p in policies):
            errs.append(f"{where(w)}: its pods are selected by no allow NetworkPolicy")

    # exactly the connections the design needs
    def pod(n, app, **extra):
        return Endpoint(n, {"app.kubernetes.io/name": app, **extra})

    client = {"aether.io/nats-client": "true", "aether.io/otlp-client": "true"}
    api, autoscaler = pod("aether", "api", **client), pod("aether", "autoscaler", **client)
    migrate, provisioner = pod("aether", "migration-runner", **client), pod("aether-node", "node-provisioner", **client)
    nats = pod("aether", "nats")
    in_cluster = any(name(o) == "postgres" and o["kind"] == "StatefulSet" for o in objs)
    db = pod("aether", "postgres") if in_cluster else Endpoint(ip=external_ip(policies, 5432))
    redis = pod("aether", "redis") if in_cluster else Endpoint(ip=external_ip(policies, 6379))
    otlp = pod("aether", "jaeger") if any(name(o) == "jaeger" for o in workloads) else pod("observability", "otel-collector")
    must = [(api, db, 5432, "api -> PostgreSQL"), (migrate, db, 5432, "migration-runner -> PostgreSQL"),
            (pod("aether", "postgres-backup"), db, 5432, "backup -> PostgreSQL"), (api, redis, 6379, "api -> Redis"),
            (Endpoint("ingress-nginx", {}), api, 8080, "ingress -> api")]
    must += [(c, nats, 4222, f"{c.labels['app.kubernetes.io/name']} -> NATS") for c in (api, autoscaler, migrate, provisioner)]
    must += [(c, otlp, 4318, f"{c.labels['app.kubernetes.io/name']} -> OTLP") for c in (api, autoscaler, migrate, provisioner)]
    must_not = [(c, t, p, f"{c.labels['app.kubernetes.io/name']} -> {what}") for c in (autoscaler, provisioner)
                for t, p, what in ((db, 5432, "PostgreSQL"), (redis, 6379, "Redis"))]
    must_not += [(api, nats, 6222, "api -> NATS routes"), (api, migrate, 9090, "api -> migration-runner"),
                 (Endpoint("default", {}), api, 8080, "another namespace -> api"), (Endpoint("default", {}), nats, 4222, "another namespace -> NATS")]
    for src, dst, port, what in must:
        if not allowed(policies, src, dst, port):
            errs.append(f"NetworkPolicy: {what} ({port}) is needed but denied")
    for src, dst, port, what in must_not:
        if allowed(policies, src, dst, port):
            errs.append(f"NetworkPolicy: {what} ({port}) must be denied but is allowed")
    nats_pol = [p for p in policies if name(p) == "nats"]
    if not any("ipBlock" in peer for p in nats_pol for r in p["spec"].get("ingress", []) for peer in r.get("from", [])):
        errs.append("NetworkPolicy nats: no ipBlock allow for the host-network vm-worker")

    # RBAC no wider than listed
    for r in by_kind.get("ClusterRole", []) + by_kind.get("Role", []):
        for rule in r.get("rules", []):
            for g in rule.get("apiGroups", []):
                for res in rule.get("resources", []):
                    allowed_rule = RBAC_ALLOWED.get((r["kind"], g, res))
                    verbs = set(rule.get("verbs", []))
                    if allowed_rule is None:
                        errs.append(f"{where(r)}: {g or 'core'}/{res} is not an allowed resource")
                    elif not verbs <= allowed_rule[0] or "*" in verbs:
                        errs.append(f"{where(r)}: verbs {sorted(verbs)} on {res} wider than {sorted(allowed_rule[0])}")
                    elif allowed_rule[1] is not None and not (set(rule.get("resourceNames", [])) or {"<any>"}) <= allowed_rule[1]:
                        errs.append(f"{where(r)}: {res} must be limited to {sorted(allowed_rule[1])}")

    # secrets: never in staging/prod manifests; every reference resolvable
    secrets = {(ns(s), name(s)): set(s.get("data", {})) | set(s.get("stringData", {})) for s in by_kind.get("Secret", [])}
    if env in ("staging", "prod") and secrets:
        errs.append(f"{env}: Secret objects in the manifests {sorted(secrets)}; use components/external-secrets")
    for es in by_kind.get("ExternalSecret", []):
        secrets[(ns(es), es["spec"]["target"]["name"])] = {d["secretKey"] for d in es["spec"].get("data", [])}
    configmaps = {(ns(c), name(c)) for c in by_kind.get("ConfigMap", [])}
    for w in workloads:
        spec = pod_spec(w)
        for c in spec.get("initContainers", []) + spec.get("containers", []):
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref["key"] not in secrets.get((ns(w), ref["name"]), set()):
                    errs.append(f"{where(w, c['name'])}: env {e['name']} reads secret {ref['name']} key {ref['key']}, which no Secret or ExternalSecret provides")
            for src in c.get("envFrom", []):
                if "secretRef" in src and (ns(w), src["secretRef"]["name"]) not in secrets:
                    errs.append(f"{where(w, c['name'])}: envFrom secret {src['secretRef']['name']} is provided by nothing")
                if "configMapRef" in src and (ns(w), src["configMapRef"]["name"]) not in configmaps:
                    errs.append(f"{where(w, c['name'])}: envFrom configmap {src['configMapRef']['name']} does not exist")

    # Pod Security: "restricted" enforced wherever no exception runs
    ns_labels = {name(n): n["metadata"].get("labels", {}) for n in by_kind.get("Namespace", [])}
    for n in sorted(pod_ns):
        level = ns_labels.get(n, {}).get("pod-security.kubernetes.io/enforce")
        needs = "privileged" if any(ns(w) == n and (ns(w), name(w)) in PRIVILEGED for w in workloads) else "restricted"
        if level != needs:
            errs.append(f"namespace {n}: pod-security enforce is {level!r}, must be {needs!r}")

    # quotas, every service deployed, NATS replicas
    for n in sorted(pod_ns):
        for kind in ("ResourceQuota", "LimitRange"):
            if not any(ns(q) == n for q in by_kind.get(kind, [])):
                errs.append(f"namespace {n}: no {kind}")
    names = {name(w) for w in workloads}
    for s in SERVICES:
        if s not in names and not (s == "migration-runner" and "migrate" in names):
            errs.append(f"service {s} is not deployed")
    nats_sts = [o for o in by_kind.get("StatefulSet", []) if name(o) == "nats"]
    want = 3 if env == "prod" else 1
    if not nats_sts or nats_sts[0]["spec"].get("replicas") != want:
        errs.append(f"NATS StatefulSet must have {want} replicas in {env}")
    return errs


def external_ip(policies, port):
    """An address inside the first ipBlock allowed on PORT (the external datastore's network)."""
    for p in policies:
        for r in p["spec"].get("egress", []) or []:
            if port_matches(r.get("ports"), port) and r.get("ports"):
                for peer in r.get("to", []):
                    if "ipBlock" in peer:
                        return str(next(ipaddress.ip_network(peer["ipBlock"]["cidr"]).hosts()))
    return "203.0.113.1"


def self_test(objs):
    """Each break must produce at least one violation that names it."""

    def first(kind, n):
        return next(o for o in objs_copy if o["kind"] == kind and name(o) == n)

    breaks = {
        "probe removed": lambda: first("Deployment", "api")["spec"]["template"]["spec"]["containers"][0].pop("readinessProbe"),
        ":latest image": lambda: first("Deployment", "autoscaler")["spec"]["template"]["spec"]["containers"][0].update(image="aether/autoscaler:latest"),
        "limits removed": lambda: first("StatefulSet", "nats")["spec"]["template"]["spec"]["containers"][0]["resources"].pop("limits"),
        "root api": lambda: first("Deployment", "api")["spec"]["template"]["spec"]["securityContext"].update(runAsNonRoot=False, runAsUser=0),
        "writable root": lambda: first("Deployment", "api")["spec"]["template"]["spec"]["containers"][0]["securityContext"].update(readOnlyRootFilesystem=False),
        "wildcard verb": lambda: first("ClusterRole", "aether-node-provisioner")["rules"][0].update(verbs=["*"]),
        "nodes list": lambda: first("ClusterRole", "aether-node-provisioner")["rules"][0]["verbs"].append("list"),
        "scale of any deployment": lambda: first("Role", "autoscaler")["rules"][0].pop("resourceNames"),
        "PDB removed": lambda: objs_copy.remove(first("PodDisruptionBudget", "api")),
        "default deny removed": lambda: [objs_copy.remove(p) for p in [o for o in objs_copy if name(o) == "default-deny" and ns(o) == "aether"]],
        "worker may reach PostgreSQL": lambda: objs_copy.append({"kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1", "metadata": {"name": "x", "namespace": "aether"},
                                                                 "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]}}),
        "namespace not restricted": lambda: first("Namespace", "aether")["metadata"]["labels"].update({"pod-security.kubernetes.io/enforce": "baseline"}),
        "hostNetwork api": lambda: first("Deployment", "api")["spec"]["template"]["spec"].update(hostNetwork=True),
        "missing secret key": lambda: first("Deployment", "api")["spec"]["template"]["spec"]["containers"][0]["env"].append(
            {"name": "X", "valueFrom": {"secretKeyRef": {"name": "aether-db", "key": "nope"}}}),
    }
    failures = 0
    for what, brk in breaks.items():
        objs_copy = copy.deepcopy(objs)
        brk()
        errs = check("dev", objs_copy)
        print(f"{'caught' if errs else 'MISSED'}: {what}" + (f" ({errs[0]})" if errs else ""))
        failures += not errs
    return len(breaks) - failures, failures


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    objs = json.load(open(sys.argv[2]))
    if sys.argv[1] == "--self-test":
        base_errs = check("dev", objs)
        if base_errs:
            print("self-test needs a clean dev render:", *base_errs, sep="\n  ")
            sys.exit(1)
        caught, missed = self_test(objs)
        print(f"{caught} passed, {missed} failed")
        sys.exit(1 if missed else 0)
    errs = check(sys.argv[1], objs)
    for e in errs:
        print("VIOLATION", e)
    print(f"policy {sys.argv[1]}: {len(objs)} objects, {len(errs)} violation(s)")
    sys.exit(1 if errs else 0)


if __name__ == "__main__":
    main()
