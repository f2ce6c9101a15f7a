#!/usr/bin/env python3
"""Checks deploy/grafana/lmserve.json and the Prometheus rules against a live Prometheus that
scrapes live LMServe replicas (scripts/scale-out.sh runs it after a burst of `lmserve bench`).

- Every panel's every query, with the dashboard variables set to "all" ($instance, $model: .*)
  and $__rate_interval to --window, must return at least one series with a finite value.
- Every template variable's label_values() query must return values.
- The prometheus-adapter rule (deploy/kubernetes/prometheus-adapter.yaml), with its template
  filled in as the adapter would for pods, here grouped by instance, must return data.
- Every lmserve_*/process_* metric the rules file names must be in a live /metrics (--metrics-url).
"""
import argparse
import json
import math
import os
import re
import sys
import urllib.parse
import urllib.request

import yaml


def query(prometheus, expr):
    url = f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=60) as response:
        body = json.load(response)
    if body.get("status") != "success":
        raise RuntimeError(f"{expr}: {body}")
    result = body["data"]["result"]
    if body["data"]["resultType"] == "vector":
        return [(r["metric"], float(r["value"][1])) for r in result]
    raise RuntimeError(f"{expr}: unexpected result type {body['data']['resultType']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prometheus", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--dashboard", default="deploy/grafana/lmserve.json")
    parser.add_argument("--adapter", default="deploy/kubernetes/prometheus-adapter.yaml")
    parser.add_argument("--rules", default="deploy/prometheus/lmserve-rules.yml")
    parser.add_argument("--metrics-url", required=True, help="one replica's /metrics")
    parser.add_argument("--metrics-key", help="API key with the metrics scope (default: $LMSERVE_METRICS_KEY)")
    parser.add_argument("--window", default="1m", help="what $__rate_interval stands for")
    args = parser.parse_args()
    problems = []
    with open(args.dashboard) as f:
        dashboard = json.load(f)

    def fill(expr):
        return (expr.replace("$__rate_interval", args.window).replace('"$instance"', '".*"')
                .replace('"$model"', '".*"'))

    checked = 0
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = fill(target["expr"])
            finite = [v for _, v in query(args.prometheus, expr) if math.isfinite(v)]
            checked += 1
            if not finite:
                problems.append(f"panel '{panel['title']}' query {target['refId']} returns no data: {expr}")
            else:
                print(f"  ok  {panel['title']} [{target['refId']}]: {len(finite)} series")
    for variable in dashboard["templating"]["list"]:
        if variable["type"] != "query":
            continue
        m = re.fullmatch(r"label_values\((\w+), (\w+)\)", variable["query"]["query"])
        if not m:
            problems.append(f"variable {variable['name']}: cannot check {variable['query']['query']}")
            continue
        values = {s[m.group(2)] for s, _ in query(args.prometheus, f"group by ({m.group(2)}) ({m.group(1)})")}
        if values:
            print(f"  ok  variable ${variable['name']}: {sorted(values)}")
        else:
            problems.append(f"variable {variable['name']} has no values")
    with open(args.adapter) as f:
        adapter = yaml.safe_load(f)
    for rule in yaml.safe_load(adapter["data"]["config.yaml"])["rules"]:
        series = re.match(r"\w+", rule["seriesQuery"]).group(0)
        expr = (rule["metricsQuery"].replace("<<.Series>>", series)
                .replace("<<.LabelMatchers>>", 'instance=~".+"').replace("<<.GroupBy>>", "instance"))
        result = query(args.prometheus, expr)
        if not result:
            problems.append(f"prometheus-adapter rule for {series} returns no data: {expr}")
        else:
            print(f"  ok  prometheus-adapter {rule['name']['as']}: {len(result)} pods (here: instances)")
    key = args.metrics_key or os.environ.get("LMSERVE_METRICS_KEY")
    metrics_request = urllib.request.Request(args.metrics_url, headers={"Authorization": "Bearer " + key} if key else {})
    with urllib.request.urlopen(metrics_request, timeout=30) as response:
        exposed = {line.split()[2] for line in response.read().decode().splitlines() if line.startswith("# TYPE ")}
    with open(args.rules) as f:
        rules = yaml.safe_load(f)
    named = set()
    for group in rules["groups"]:
        for rule in group["rules"]:
            # Metric names, not recording-rule names (those contain colons).
            for name in re.findall(r"(?<![:\w])((?:lmserve|process)_\w+)(?![:\w])", rule["expr"]):
                named.add(re.sub(r"_(bucket|sum|count)$", "", name) if name.endswith(("_bucket", "_sum", "_count")) else name)
    missing = sorted(named - exposed)
    if missing:
        problems.append(f"the rules name metrics /metrics does not expose: {missing}")
    else:
        print(f"  ok  the rules' {len(named)} metric names are all exposed")
    for p in problems:
        print(f"check_grafana: {p}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"check_grafana: {checked} panel queries returned data")


if __name__ == "__main__":
    main()
