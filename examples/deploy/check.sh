#!/usr/bin/env bash
# Offline checks of the deployment manifests (no API server needed):
# - every document parses and has apiVersion, kind, metadata.name;
# - the DaemonSet goes through kubectl's typed decoder (wrong types fail) and no field is dropped
#   as unknown on the way (a typo such as `hostNetwrk` would be);
# - the ClusterRole grants what Switchyard needs;
# - the ConfigMap's config.yaml uses only fields `switchyard run --config` reads.
set -euo pipefail
cd "$(dirname "$0")"
typed=$(mktemp)
trap 'rm -f "$typed"' EXIT
kubectl set image --local -f 20-daemonset.yaml switchyard=switchyard:check -o json >"$typed"
python3 - "$typed" <<'PY'
import json, sys, yaml

def paths(value, prefix=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, f"{prefix}[{index}]")
    else:
        yield prefix

docs = []
for name in ["00-rbac.yaml", "10-config.yaml", "20-daemonset.yaml"]:
    for doc in yaml.safe_load_all(open(name)):
        if doc is None:
            continue
        for field in ["apiVersion", "kind"]:
            assert field in doc, f"{name}: a document has no {field}"
        assert doc.get("metadata", {}).get("name"), f"{name}: {doc['kind']} has no metadata.name"
        docs.append((name, doc))

daemonset = next(doc for _, doc in docs if doc["kind"] == "DaemonSet")
typed = json.load(open(sys.argv[1]))
typed_paths = set(paths(typed))
dropped = [p for p in paths(daemonset) if p not in typed_paths]
assert not dropped, f"20-daemonset.yaml: fields the API does not know: {dropped}"
spec = daemonset["spec"]["template"]["spec"]
assert spec["hostNetwork"] is True
container = spec["containers"][0]
assert {"NET_ADMIN", "NET_RAW"} <= set(container["securityContext"]["capabilities"]["add"])
assert container["livenessProbe"]["httpGet"]["path"] == "/livez" and container["livenessProbe"]["httpGet"]["port"] == 10256
assert any(e["name"] == "NODE_NAME" and e["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName" for e in container["env"])
assert "--node=$(NODE_NAME)" in container["args"]

role = next(doc for _, doc in docs if doc["kind"] == "ClusterRole")
granted = {(group, resource, verb) for rule in role["rules"] for group in rule["apiGroups"]
           for resource in rule["resources"] for verb in rule["verbs"]}
needed = [("", r, v) for r in ["services", "pods", "namespaces", "nodes"] for v in ["list", "watch"]]
needed += [("discovery.k8s.io", "endpointslices", v) for v in ["list", "watch"]] + [("", "nodes", "get")]
needed += [("networking.k8s.io", "servicecidrs", v) for v in ["list", "watch"]]
missing = [n for n in needed if n not in granted]
assert not missing, f"00-rbac.yaml: the ClusterRole lacks {missing}"

config = yaml.safe_load(next(doc for _, doc in docs if doc["kind"] == "ConfigMap")["data"]["config.yaml"])
known = {"apiVersion", "kind", "mode", "syncPeriod", "minSyncPeriod", "clusterCIDR", "nodePortAddresses", "masqueradeBit",
         "masqueradeAll", "hostnameOverride", "serviceCIDR", "healthzBindAddress", "metricsBindAddress", "nftables", "dispatch", "dns"}
unknown = set(config) - known
assert not unknown, f"10-config.yaml: config.yaml fields switchyard does not read: {sorted(unknown)}"
assert config["kind"] == "KubeProxyConfiguration" and config["mode"] == "nftables"
assert set(config.get("dns", {})) <= {"enabled", "listen"}
print(f"deploy manifests OK: {len(docs)} objects")
PY
