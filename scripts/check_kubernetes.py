#!/usr/bin/env python3
"""Renders the kustomize base in deploy/kubernetes and validates every object.

- Rendering: a small renderer for exactly the kustomization features the base uses (resources,
  `labels` pairs, a configMapGenerator with fixed names); any other key is an error. Where
  `kubectl kustomize` exists its output must equal ours, object for object.
- Kubernetes objects are validated strictly (unknown fields rejected) by kubernetes-validate
  against the schemas of each version in --versions. CRDs are validated against a schema in
  deploy/kubernetes/schemas/<kind>.json if one is written down there, else skipped with a message.
- Cross-checks the files among themselves and against lmserve.yaml: selectors match the pod
  labels, the Service and probes name the container's port, the HPA targets the Deployment, the
  grace period outlasts preStop plus the drain timeout, the root filesystem is read-only, the
  API keys file is a required Secret mount and the ServiceMonitor sends a metrics key.
- --config-out FILE writes the ConfigMap's lmserve.yaml (deploy-checks.sh serves with it).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import jsonschema
import kubernetes_validate
import yaml

SUPPORTED_KEYS = {"apiVersion", "kind", "labels", "resources", "configMapGenerator", "generatorOptions"}


def fail(message):
    print(f"check_kubernetes: {message}", file=sys.stderr)
    sys.exit(1)


def render(base):
    with open(os.path.join(base, "kustomization.yaml")) as f:
        k = yaml.safe_load(f)
    unknown = set(k) - SUPPORTED_KEYS
    if unknown:
        fail(f"kustomization.yaml uses {sorted(unknown)}, which this renderer does not implement")
    if not (k.get("generatorOptions") or {}).get("disableNameSuffixHash"):
        fail("the renderer needs generatorOptions.disableNameSuffixHash: true")
    labels = {}
    for entry in k.get("labels", []):
        if set(entry) - {"pairs"}:
            fail(f"labels entry {entry} uses options this renderer does not implement")
        labels.update(entry["pairs"])
    objects = []
    for path in k.get("resources", []):
        with open(os.path.join(base, path)) as f:
            objects += [d for d in yaml.safe_load_all(f) if d]
    for gen in k.get("configMapGenerator", []):
        if set(gen) - {"name", "files"}:
            fail(f"configMapGenerator {gen.get('name')} uses options this renderer does not implement")
        data = {}
        for path in gen["files"]:
            with open(os.path.join(base, path)) as f:
                data[os.path.basename(path)] = f.read()
        objects.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": gen["name"]}, "data": data})
    for o in objects:  # `labels` without includeSelectors: metadata only
        o["metadata"].setdefault("labels", {}).update(labels)
    return objects


def keyed(objects):
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def validate(objects, versions, schemas, source):
    for o in objects:
        what = f"{source}: {o['kind']}/{o['metadata']['name']}"
        schema_file = os.path.join(schemas, o["kind"].lower() + ".json")
        if os.path.exists(schema_file):
            with open(schema_file) as f:
                schema = json.load(f)
            try:
                jsonschema.validate(o, schema)
            except jsonschema.ValidationError as e:
                fail(f"{what}: {e.message} at {'/'.join(map(str, e.absolute_path))}")
            print(f"  {what}: valid against {os.path.relpath(schema_file)}")
            continue
        for version in versions:
            try:
                kubernetes_validate.validate(o, version, strict=True)
            except kubernetes_validate.SchemaNotFoundError:
                print(f"  {what}: skipped, no schema for {o['apiVersion']} {o['kind']} (a CRD?)")
                break
            except kubernetes_validate.ValidationError as e:
                fail(f"{what} (Kubernetes {version}): {e.message} at {'/'.join(map(str, e.path))}")
        else:
            print(f"  {what}: valid for Kubernetes {', '.join(versions)}")


def cross_check(objects):
    by = keyed(objects)
    deployment = by[("Deployment", "lmserve")]
    pod = deployment["spec"]["template"]
    pod_labels = pod["metadata"]["labels"]
    container = pod["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}

    def selects(selector, what):
        for key, value in selector.get("matchLabels", {}).items():
            if pod_labels.get(key) != value:
                fail(f"{what} selects {key}={value}, which the pods do not carry")

    selects(deployment["spec"]["selector"], "the Deployment")
    selects(by[("Service", "lmserve")]["spec"]["selector"], "the Service")
    selects(by[("PodDisruptionBudget", "lmserve")]["spec"]["selector"], "the PodDisruptionBudget")
    selects(by[("NetworkPolicy", "lmserve")]["spec"]["podSelector"], "the NetworkPolicy")
    service = by[("Service", "lmserve")]
    for p in service["spec"]["ports"]:
        if p["targetPort"] not in ports:
            fail(f"the Service targets port {p['targetPort']}, not a container port")
    monitor = by[("ServiceMonitor", "lmserve")]
    for key, value in monitor["spec"]["selector"]["matchLabels"].items():
        if service["metadata"]["labels"].get(key) != value:
            fail(f"the ServiceMonitor selects {key}={value}, which the Service does not carry")
    if {e["port"] for e in monitor["spec"]["endpoints"]} - {p["name"] for p in service["spec"]["ports"]}:
        fail("the ServiceMonitor scrapes a port the Service does not name")
    target = by[("HorizontalPodAutoscaler", "lmserve")]["spec"]["scaleTargetRef"]
    if (target["kind"], target["name"]) != ("Deployment", "lmserve"):
        fail("the HPA does not target the Deployment")
    probes = {name: container[name]["httpGet"] for name in ("startupProbe", "readinessProbe", "livenessProbe")}
    expected = {"startupProbe": "/ready", "readinessProbe": "/ready", "livenessProbe": "/health"}
    for name, probe in probes.items():
        if probe["path"] != expected[name] or probe["port"] not in ports:
            fail(f"{name} must GET {expected[name]} on a container port")
    if not container["securityContext"].get("readOnlyRootFilesystem") or not pod["spec"]["securityContext"].get("runAsNonRoot"):
        fail("the container must run as non-root on a read-only root filesystem")
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    config_map = volumes["config"]["configMap"]["name"]
    if ("ConfigMap", config_map) not in by:
        fail(f"the config volume names ConfigMap {config_map}, which the base does not make")
    config = yaml.safe_load(by[("ConfigMap", config_map)]["data"]["lmserve.yaml"])
    log_dir = os.path.dirname(config["telemetry"]["db"])
    mount = next((m for m in container["volumeMounts"] if m["mountPath"] == log_dir), None)
    if mount is None or "emptyDir" not in volumes[mount["name"]]:
        fail(f"the request log directory {log_dir} must be an emptyDir mount")
    keys_dir = os.path.dirname(config["auth"]["keys_file"])
    keys_mount = next((m for m in container["volumeMounts"] if m["mountPath"] == keys_dir), None)
    if keys_mount is None or "secret" not in volumes[keys_mount["name"]] or volumes[keys_mount["name"]]["secret"].get("optional"):
        fail(f"the API keys directory {keys_dir} must be a required Secret mount (lmserve listens on {config['host']})")
    if not any(e.get("authorization", {}).get("credentials") for e in monitor["spec"]["endpoints"]):
        fail("the ServiceMonitor must send a metrics key: lmserve.yaml turns API keys on")
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    pre_stop_seconds = float(pre_stop[1]) if pre_stop[0] == "sleep" else 0
    grace = pod["spec"]["terminationGracePeriodSeconds"]
    if grace <= pre_stop_seconds + config["drain_timeout_s"]:
        fail(f"terminationGracePeriodSeconds {grace} must exceed preStop {pre_stop_seconds} s + drain_timeout_s {config['drain_timeout_s']}")
    if config["port"] not in ports.values():
        fail(f"lmserve.yaml listens on {config['port']}, which the container does not expose")
    print(f"  cross-checks passed (grace {grace} s > preStop {pre_stop_seconds:g} s + drain {config['drain_timeout_s']} s)")
    return by[("ConfigMap", config_map)]["data"]["lmserve.yaml"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", nargs="?", default="deploy/kubernetes")
    parser.add_argument("--versions", default="1.29.0," + kubernetes_validate.latest_version())
    parser.add_argument("--config-out")
    args = parser.parse_args()
    objects = render(args.base)
    print(f"check_kubernetes: rendered {len(objects)} objects from {args.base}")
    if shutil.which("kubectl"):
        out = subprocess.run(["kubectl", "kustomize", args.base], check=True, capture_output=True, text=True).stdout
        theirs = keyed(d for d in yaml.safe_load_all(out) if d)
        if theirs != keyed(objects):
            fail("kubectl kustomize renders the base differently from this renderer: "
                 f"{sorted(set(theirs) ^ set(keyed(objects))) or 'same objects, different content'}")
        print("  kubectl kustomize renders the same objects")
    else:
        print("  kubectl not installed: rendered by this script only")
    versions = args.versions.split(",")
    schemas = os.path.join(args.base, "schemas")
    validate(objects, versions, schemas, "base")
    adapter = os.path.join(args.base, "prometheus-adapter.yaml")
    with open(adapter) as f:
        adapter_objects = [d for d in yaml.safe_load_all(f) if d]
    validate(adapter_objects, versions, schemas, os.path.basename(adapter))
    rules = yaml.safe_load(adapter_objects[0]["data"]["config.yaml"])["rules"]
    if not any(r["name"]["as"] == "lmserve_queue_depth" for r in rules):
        fail("prometheus-adapter.yaml does not expose lmserve_queue_depth, which the HPA reads")
    config = cross_check(objects)
    if args.config_out:
        with open(args.config_out, "w") as f:
            f.write(config)


if __name__ == "__main__":
    main()
