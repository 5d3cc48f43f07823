#!/usr/bin/env python3
"""Offline validation of the NDS Helm chart (called by helm/ci/validate.sh).

Steps, each of which can fail the run:
  1. lint    - Helm v4's linter (helm-python-sdk) with default and production values.
  2. render  - the chart rendered with both value sets (also written to --out).
  3. schema  - every manifest validated against the Kubernetes JSON schemas
               (kubernetes-validate, strict: unknown fields are errors). The only
               kind without a schema that is accepted is the Prometheus Operator's
               ServiceMonitor CRD, which step 4 checks instead.
  4. checks  - structural rules: probes, resources, security, HPA/PDB, CronJob
               schedules and policies, migration hooks, Services, Ingress,
               NetworkPolicies, ConfigMap keys, subcommands in `args`,
               listing photos (catalog's /media Ingress, S3 store, keys), and
               the panel's own Ingress (body limit for its photo form, request
               buffering off; the main Ingress keeps a small limit).
  5. guards  - values the chart must refuse (template `fail`) do fail.
  6. nds-bin - if NDS_BIN is set, every subcommand/service/job used in the
               manifests appears in that binary's --help output.
Prints one summary line; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse
from typing import Any, Callable

import helm_python as helm
import jsonschema
import kubernetes_validate
import yaml

RELEASE = "nds"
NAMESPACE = "nds"
SERVICES = ["identity", "catalog", "search", "billing", "chat"]
# HTTP front ends: `nds serve <name>` on ports.<name>, /healthz, clients of the edge only
# (the buyer site and the staff panel).
FRONT_ENDS = ["site", "panel"]
COMPONENTS = SERVICES + ["edge"] + FRONT_ENDS
JOBS = ["expire-promotions", "start-usage-new-month", "flush-view-counters", "reindex"]
REQUIRED_JOBS = ["expire-promotions", "start-usage-new-month", "flush-view-counters"]
SUBCOMMANDS = ["dev", "serve", "migrate", "job"]
HEALTH = {s: f"nds.{s}.v1.{s.capitalize()}Service" for s in SERVICES}
PORTS = {"grpc": 50051, "http": 8080, "webhook": 8081, "metrics": 9090, "site": 8090, "panel": 8091}
# Kinds without a Kubernetes JSON schema that may appear (checked structurally).
CRDS_SKIPPED = {("monitoring.coreos.com/v1", "ServiceMonitor")}
# Custom resources validated against their published schema (helm/ci/schemas/, with origins).
CRD_SCHEMAS = {("elasticsearch.k8s.elastic.co/v1", "Elasticsearch"): "elasticsearch.k8s.elastic.co-v1.json"}
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
# Every environment variable the `nds` config struct reads.
KNOWN_ENV = set(
    """NDS_ENV NDS_LOG NDS_LOG_FORMAT NDS_DATA_DIR NDS_GRPC_ADDR NDS_HTTP_ADDR
    NDS_WEBHOOK_ADDR NDS_METRICS_ADDR NDS_IDENTITY_DATABASE_URL NDS_CATALOG_DATABASE_URL
    NDS_SEARCH_DATABASE_URL NDS_BILLING_DATABASE_URL NDS_CHAT_DATABASE_URL NDS_REDIS_URL
    NDS_SEARCH_BACKEND NDS_ELASTICSEARCH_URL NDS_IDENTITY_URL NDS_CATALOG_URL NDS_SEARCH_URL
    NDS_BILLING_URL NDS_CHAT_URL NDS_JWT_ISSUER NDS_JWT_AUDIENCE NDS_STRIPE_SECRET_KEY
    NDS_STRIPE_WEBHOOK_SECRETS NDS_STRIPE_API_BASE NDS_PLATFORM_FEE_PERCENT NDS_LLM_BASE_URL
    NDS_LLM_API_KEY NDS_LLM_MODEL NDS_LLM_TIMEOUT_MS NDS_SMTP_URL NDS_MAIL_FROM NDS_PUBLIC_URL
    NDS_CORS_ORIGINS NDS_GRAPHQL_INTROSPECTION NDS_GRAPHIQL NDS_APQ_ALLOWLIST
    NDS_SHUTDOWN_DRAIN_SECS NDS_SHUTDOWN_GRACE_SECS NDS_PROMOTION_PRICE NDS_CURRENCY
    NDS_DEFAULT_DEADLINE_MS NDS_SERVICE_CLIENT_ID NDS_SERVICE_CLIENT_SECRET NDS_RATE_LIMIT_PER_CLIENT
    NDS_RATE_LIMIT_PER_USER NDS_PERSISTED_QUERIES_FILE NDS_TRUSTED_PROXIES
    NDS_KEY_ENCRYPTION_KEY NDS_KEY_ENCRYPTION_KEY_PREVIOUS NDS_ELASTICSEARCH_CA_FILE
    NDS_ELASTICSEARCH_USERNAME NDS_ELASTICSEARCH_PASSWORD""".split()
)
# The front ends' variables (web/: the buyer site, later the staff panel).
# Traces: OpenTelemetry's own variables (config.tracing).
KNOWN_ENV |= {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"}
KNOWN_ENV |= {"NDS_SITE_ADDR", "NDS_PANEL_ADDR", "NDS_EDGE_URL", "NDS_PANEL_URL", "NDS_STRIPE_PUBLISHABLE_KEY"}
# Listing photos (catalog owns them; the edge writes their URLs).
MEDIA_KEYS = {"NDS_MEDIA_ACCESS_KEY_ID", "NDS_MEDIA_SECRET_ACCESS_KEY"}
KNOWN_ENV |= {"NDS_MEDIA_STORE", "NDS_MEDIA_BUCKET", "NDS_MEDIA_ENDPOINT", "NDS_MEDIA_REGION",
              "NDS_MEDIA_PUBLIC_URL"} | MEDIA_KEYS
# Photo uploads are up to 15 MiB: the Ingress routing /media must accept at least this body.
MEDIA_BODY_MIN = 16 * 1024 * 1024
# The panel's photo form without JavaScript: up to 30 photos of 15 MiB in one request,
# plus the form's fields (web/src/panel/photos.rs, MAX_UPLOAD_FORM_BYTES). The Ingress
# routing the panel's host must accept it (451m and more, or 0), and stream it.
PANEL_BODY_MIN = 30 * 15 * 1024 * 1024 + 64 * 1024
# GraphQL, the JWKS, Stripe's webhook and the site's forms are small: the main Ingress
# must not accept a photo-sized body (it would if the panel's or media's limit leaked to it).
MAIN_BODY_MAX = MEDIA_BODY_MIN - 1
BODY_SIZE = "nginx.ingress.kubernetes.io/proxy-body-size"
REQUEST_BUFFERING = "nginx.ingress.kubernetes.io/proxy-request-buffering"
# The one value the chart has no default for (a bucket name is global: the
# operator names theirs). Every render and guard starts from it.
BASE_VALUES = {"media": {"bucket": "nds-media"}}
# The database each workload must be given: without its URL the binary falls
# back to an SQLite file in the pod's emptyDir, silently losing data.
DB_OF = {("serve", s): s for s in SERVICES} | {("migrate", s): s for s in SERVICES} | {
    ("job", "expire-promotions"): "billing", ("job", "start-usage-new-month"): "billing",
    ("job", "flush-view-counters"): "catalog", ("job", "reindex"): "search"}
# Values that must hold secrets: never in the ConfigMap, always from a Secret.
SECRET_ENV = {f"NDS_{s.upper()}_DATABASE_URL" for s in SERVICES} | {
    "NDS_STRIPE_SECRET_KEY", "NDS_STRIPE_WEBHOOK_SECRETS", "NDS_LLM_API_KEY", "NDS_SMTP_URL",
    "NDS_SERVICE_CLIENT_SECRET", "NDS_KEY_ENCRYPTION_KEY", "NDS_KEY_ENCRYPTION_KEY_PREVIOUS",
    "NDS_ELASTICSEARCH_PASSWORD"} | MEDIA_KEYS


class Checker:
    """Collects failures; `check` counts every assertion made."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.count = 0

    def check(self, ok: bool, what: str) -> bool:
        self.count += 1
        if not ok:
            self.failures.append(what)
        return ok


# --------------------------------------------------------------------------- helpers

def overlay(base: dict, over: dict | None) -> dict:
    """Same key-by-key overlay as the chart's nds.componentConfig helper."""
    out = dict(base)
    for k, v in (over or {}).items():
        if isinstance(v, dict) and k in ("autoscaling", "pdb", "probes", "topologySpread"):
            out[k] = {**base.get(k, {}), **v}
        else:
            out[k] = v
    return out


def deep_merge(base: dict, over: dict) -> dict:
    """Helm's values overlay: maps merge key by key, anything else replaces."""
    out = dict(base)
    for k, v in over.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def nginx_size(value: Any) -> int | None:
    """Bytes of an nginx size (`16m`, `1024k`, `0` = unlimited -> a huge number); None if malformed."""
    m = re.fullmatch(r"(\d+)([kKmMgG]?)", str(value).strip())
    if not m:
        return None
    n = int(m.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]
    return n if n else 1 << 62


def selector_matches(selector: dict | None, labels: dict) -> bool:
    """Kubernetes label-selector semantics (matchLabels + matchExpressions)."""
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, vals = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in vals:
            return False
        if op == "NotIn" and labels.get(key) in vals:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def pod_specs(doc: dict) -> list[tuple[dict, dict]]:
    """(pod template metadata, pod spec) of a workload, or []."""
    kind = doc["kind"]
    if kind == "Deployment" or kind == "Job":
        t = doc["spec"]["template"]
    elif kind == "CronJob":
        t = doc["spec"]["jobTemplate"]["spec"]["template"]
    else:
        return []
    return [(t.get("metadata") or {}, t["spec"])]


def name_of(doc: dict) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def parse_schedule_minutes(schedule: str) -> int | None:
    """Interval in minutes of a `*/N * * * *` schedule."""
    m = re.fullmatch(r"\*/(\d+) \* \* \* \*", schedule)
    return int(m.group(1)) if m else None


# --------------------------------------------------------------------------- render

def render(chart_dir: str, values: dict) -> tuple[list[tuple[str, dict]], dict, dict[str, str]]:
    """Render with Helm; returns ([(template, manifest)], merged values, raw output)."""
    with helm.Chart.load(chart_dir) as chart:
        merged = chart.merge_values(values)
        raw = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    docs: list[tuple[str, dict]] = []
    for template, text in sorted(raw.items()):
        if template.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                docs.append((template, doc))
    return docs, merged, raw


def schema_validate(c: Checker, label: str, docs: list[tuple[str, dict]], kube: str) -> tuple[int, int]:
    valid = skipped = 0
    for template, doc in docs:
        where = f"[{label}] {template}: {name_of(doc)}"
        try:
            kubernetes_validate.validate(doc, kube, strict=True)
            valid += 1
            c.check(True, where)
        except kubernetes_validate.ValidationError as e:
            path = ".".join(str(p) for p in e.path)
            c.check(False, f"{where}: schema (k8s {kube}): {path}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError:
            crd = CRD_SCHEMAS.get((doc.get("apiVersion"), doc.get("kind")))
            if crd is not None:
                problems = crd_problems(doc, json.loads((SCHEMA_DIR / crd).read_text()))
                for problem in problems:
                    c.check(False, f"{where}: schema ({crd}): {problem}")
                if not problems:
                    valid += 1
                    c.check(True, where)
            elif (doc.get("apiVersion"), doc.get("kind")) in CRDS_SKIPPED:
                skipped += 1
            else:
                c.check(False, f"{where}: no Kubernetes {kube} schema for {doc.get('apiVersion')} {doc.get('kind')}")
    return valid, skipped


def unknown_fields(value: Any, schema: dict, path: str) -> list[str]:
    """Fields the schema does not declare (the API server would prune them silently)."""
    found: list[str] = []
    if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
        open_ended = schema.get("x-kubernetes-preserve-unknown-fields") or schema.get("additionalProperties")
        for key, item in value.items():
            if key in schema["properties"]:
                found += unknown_fields(item, schema["properties"][key], f"{path}.{key}")
            elif not open_ended:
                found.append(f"{path}.{key}: not a field of the schema")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            found += unknown_fields(item, schema["items"], f"{path}[{i}]")
    return found


def crd_problems(doc: dict, schema: dict) -> list[str]:
    """A custom resource against its CRD's OpenAPI v3 schema: types and required
    fields (jsonschema), then no field the schema does not know (strict)."""
    validator = jsonschema.Draft7Validator(schema)
    problems = [f"{'.'.join(str(p) for p in e.path)}: {e.message}" for e in validator.iter_errors(doc)]
    return problems + unknown_fields(doc, schema, "")


# --------------------------------------------------------------------------- structure

def check_args(c: Checker, where: str, args: list[str]) -> None:
    if not c.check(bool(args) and args[0] in SUBCOMMANDS, f"{where}: args {args} do not start with one of {SUBCOMMANDS}"):
        return
    sub, rest = args[0], args[1:]
    if sub == "serve":
        c.check(len(rest) == 1 and rest[0] in COMPONENTS, f"{where}: `serve {' '.join(rest)}` is not one of {COMPONENTS}")
    elif sub == "job":
        c.check(len(rest) == 1 and rest[0] in JOBS, f"{where}: `job {' '.join(rest)}` is not one of {JOBS}")
    elif sub == "migrate":
        c.check(len(rest) <= 1 and all(r in SERVICES for r in rest), f"{where}: `migrate {' '.join(rest)}` is not one of {SERVICES}")
    else:
        c.check(not rest, f"{where}: `dev` takes no arguments")


def check_pod(c: Checker, where: str, meta: dict, spec: dict, configmaps: dict, release_labels: dict) -> None:
    psc = spec.get("securityContext") or {}
    c.check(psc.get("runAsNonRoot") is True, f"{where}: pod securityContext.runAsNonRoot must be true")
    c.check((psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault", f"{where}: pod seccompProfile must be RuntimeDefault")
    c.check(spec.get("automountServiceAccountToken") is False, f"{where}: automountServiceAccountToken must be false")
    c.check(all(meta.get("labels", {}).get(k) == v for k, v in release_labels.items()),
            f"{where}: pod lacks the release labels {release_labels} (NetworkPolicies select on them)")
    volumes = {v["name"]: v for v in spec.get("volumes") or []}
    for ctr in spec["containers"]:
        cw = f"{where} container {ctr['name']}"
        sc = ctr.get("securityContext") or {}
        c.check(sc.get("readOnlyRootFilesystem") is True, f"{cw}: readOnlyRootFilesystem must be true")
        c.check(sc.get("allowPrivilegeEscalation") is False, f"{cw}: allowPrivilegeEscalation must be false")
        c.check("ALL" in ((sc.get("capabilities") or {}).get("drop") or []), f"{cw}: capabilities must drop ALL")
        c.check((sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault",
                f"{cw}: seccompProfile must be RuntimeDefault")
        img = ctr.get("image", "")
        pinned = "@sha256:" in img or (":" in img.rsplit("/", 1)[-1] and not img.endswith(":latest"))
        c.check(pinned,
                f"{cw}: image {img!r} must carry a tag or digest other than latest")
        res = ctr.get("resources") or {}
        c.check(all(k in (res.get("requests") or {}) for k in ("cpu", "memory")), f"{cw}: resources.requests cpu and memory required")
        c.check("memory" in (res.get("limits") or {}), f"{cw}: resources.limits.memory required")
        check_args(c, cw, ctr.get("args") or [])
        db = DB_OF.get(tuple((ctr.get("args") or [])[:2]))
        if db:
            c.check(any(e["name"] == f"NDS_{db.upper()}_DATABASE_URL" for e in ctr.get("env") or []),
                    f"{cw}: needs NDS_{db.upper()}_DATABASE_URL (else it would run on SQLite in an emptyDir)")
        if (ctr.get("args") or [])[:2] == ["serve", "identity"]:
            c.check(any(e["name"] == "NDS_KEY_ENCRYPTION_KEY" for e in ctr.get("env") or []),
                    f"{cw}: needs NDS_KEY_ENCRYPTION_KEY (identity refuses to start without it in production)")
        c.check(not ctr.get("command"), f"{cw}: must not override the image ENTRYPOINT (command)")
        for m in ctr.get("volumeMounts") or []:
            c.check(m["name"] in volumes, f"{cw}: volumeMount {m['mountPath']} has no volume")
            volume = volumes.get(m["name"], {})
            if m.get("readOnly"):
                c.check("secret" in volume, f"{cw}: read-only mount {m['mountPath']} should be a Secret (ECK's CA)")
            else:
                c.check("emptyDir" in volume, f"{cw}: writable mount {m['mountPath']} should be an emptyDir")
        for env in ctr.get("env") or []:
            n = env["name"]
            c.check(n in KNOWN_ENV, f"{cw}: env {n} is not a known NDS_* variable")
            ref = (env.get("valueFrom") or {}).get("secretKeyRef")
            if ref is not None:
                c.check(bool(ref.get("name")) and bool(ref.get("key")), f"{cw}: env {n} secretKeyRef needs name and key")
            if n in SECRET_ENV:
                c.check(ref is not None, f"{cw}: {n} must come from a Secret")
        for ef in ctr.get("envFrom") or []:
            if "configMapRef" in ef:
                c.check(ef["configMapRef"]["name"] in configmaps, f"{cw}: envFrom ConfigMap {ef['configMapRef']['name']} is not rendered")
            c.check("secretRef" not in ef, f"{cw}: envFrom secretRef would leak every key; use secretKeyRef per variable")


def check_panel_rule(c: Checker, L: str, rules: list[dict], cm: dict, services: dict, deployments: dict) -> None:
    """The panel's host: everything to the panel's HTTP port, and the host NDS_PANEL_URL names."""
    if not c.check(len(rules) == 1, f"{L} one Ingress rule for the panel's host, got {len(rules)}"):
        return
    paths = rules[0]["http"]["paths"]
    c.check([(p["path"], p.get("pathType")) for p in paths] == [("/", "Prefix")], f"{L} the panel's host routes / (Prefix) only")
    panel_url_host = urlparse(cm.get("NDS_PANEL_URL", "")).hostname
    c.check(rules[0]["host"] == panel_url_host,
            f"{L} Ingress host {rules[0]['host']!r} serves the panel, but NDS_PANEL_URL names {panel_url_host!r}")
    backend = paths[0]["backend"]["service"]
    svc = services.get(backend["name"])
    panel = deployments.get("panel")
    ok = svc is not None and panel is not None and selector_matches(
        {"matchLabels": svc["spec"]["selector"]}, panel["spec"]["template"]["metadata"]["labels"])
    sp = next((x for x in (svc or {"spec": {"ports": []}})["spec"]["ports"] if x["name"] == backend["port"].get("name")), None)
    ok = ok and sp is not None and container_port(panel["spec"]["template"]["spec"], sp["targetPort"]) == PORTS["panel"]
    c.check(ok, f"{L} the panel's host must reach the panel container port {PORTS['panel']}")


def check_panel_ingress(c: Checker, L: str, panel_host: str, ings: list[dict], panel_ings: list[dict],
                        main_ing: dict | None, cm: dict, services: dict, deployments: dict) -> None:
    """The panel's host on an Ingress of its own, taking the photo form's whole body
    (streamed), with the main Ingress's class and TLS Secret; no panel route without it."""
    panel = deployments.get("panel")
    if not panel_host:
        routed = sorted(i["metadata"]["name"] for i in ings for r in i["spec"]["rules"]
                        for p in (r.get("http") or {}).get("paths") or []
                        if service_reaches(services, panel, p["backend"].get("service") or {}, PORTS["panel"]))
        c.check(not routed, f"{L} without ingress.panelHost the panel is not exposed, but {routed} route to it")
        return
    if not c.check(len(panel_ings) == 1, f"{L} expected one Ingress routing the panel's host {panel_host!r}, got {len(panel_ings)}"):
        return
    ing = panel_ings[0]
    W = f"{L} Ingress/{ing['metadata']['name']}"
    rules = ing["spec"]["rules"]
    c.check(all(r.get("host") == panel_host for r in rules),
            f"{W}: routes the panel's host {panel_host!r} only (its body limit must not reach the site or GraphQL), "
            f"got hosts {[r.get('host') for r in rules]}")
    check_panel_rule(c, f"{W}:", rules, cm, services, deployments)
    ann = ing["metadata"].get("annotations") or {}
    size = ann.get(BODY_SIZE)
    c.check(size is not None and (nginx_size(size) or 0) >= PANEL_BODY_MIN,
            f"{W}: {BODY_SIZE} {size!r} must be at least 451m or 0 (without JavaScript the photo form sends up to "
            f"30 photos of 15 MiB in one request; ingress-nginx's default is 1m)")
    c.check(ann.get(REQUEST_BUFFERING) == "off",
            f"{W}: {REQUEST_BUFFERING} must be \"off\" (got {ann.get(REQUEST_BUFFERING)!r}): nginx would spool "
            f"uploads of up to 450 MiB to the controller's disk before the panel sees a byte")
    if main_ing is not None:
        main_spec = main_ing["spec"]
        c.check(ing["spec"].get("ingressClassName") == main_spec.get("ingressClassName"), f"{W}: same ingressClassName as the main Ingress")
        main_tls = main_spec.get("tls") or []
        tls = ing["spec"].get("tls") or []
        c.check({t.get("secretName") for t in tls} == {t.get("secretName") for t in main_tls},
                f"{W}: same TLS Secret as the main Ingress ({sorted(t.get('secretName') for t in main_tls)})")
        if tls:
            c.check(any(panel_host in (t.get("hosts") or []) for t in tls), f"{W}: TLS must cover {panel_host}")
        # A cert-manager annotation lives on the main Ingress alone, so its Certificate
        # (named after the main Ingress's TLS hosts) must cover the panel's host too.
        listed = [h for t in main_tls for h in t.get("hosts") or []]
        if listed:
            c.check(panel_host in listed,
                    f"{L} Ingress/{main_ing['metadata']['name']}: its TLS hosts {listed} must keep the panel's host "
                    f"{panel_host!r}, or the Certificate it is annotated for would not cover it")


def check_ingress_annotations(c: Checker, L: str, ings: list[dict], main_ing: dict | None) -> None:
    """The main Ingress keeps a small body limit; one Ingress per TLS Secret carries cert-manager's annotations."""
    if main_ing is not None:
        size = (main_ing["metadata"].get("annotations") or {}).get(BODY_SIZE)
        n = nginx_size(size) if size is not None else 1 << 20
        c.check(n is not None and n <= MAIN_BODY_MAX,
                f"{L} Ingress/{main_ing['metadata']['name']} (GraphQL, webhook, the site's forms): {BODY_SIZE} {size!r} "
                f"must stay small (below 16m; uploads have their own Ingresses)")
    managed: dict[str, list[str]] = {}
    for ing in ings:
        if any(k.startswith("cert-manager.io/") for k in (ing["metadata"].get("annotations") or {})):
            for t in ing["spec"].get("tls") or []:
                managed.setdefault(t.get("secretName"), []).append(ing["metadata"]["name"])
    for secret, names in managed.items():
        c.check(len(names) == 1, f"{L} Ingresses {names} all carry cert-manager annotations for TLS Secret {secret!r}: "
                                 f"they would fight over one Certificate (keep ingress.annotations on the main one)")


def container_port(spec: dict, ref: Any) -> int | None:
    for ctr in spec["containers"]:
        for p in ctr.get("ports") or []:
            if ref in (p.get("name"), p.get("containerPort")):
                return p["containerPort"]
    return None


def selects_only_front_ends(peer: dict, deployments: dict[str, dict]) -> bool:
    """A peer naming pods of this namespace that are all front ends (at least one)."""
    if "namespaceSelector" in peer or "ipBlock" in peer or "podSelector" not in peer:
        return False
    hit = [comp for comp, d in deployments.items() if selector_matches(peer["podSelector"], d["spec"]["template"]["metadata"]["labels"])]
    return bool(hit) and all(comp in FRONT_ENDS for comp in hit)


def peer_may_select(peer: dict, labels: dict) -> bool:
    """Whether a NetworkPolicy peer may include a pod of the release (`labels`, in NAMESPACE).
    Conservative: namespace labels other than the name and ipBlocks are assumed to match."""
    if "ipBlock" in peer:
        return True
    ns = peer.get("namespaceSelector")
    if ns is not None:
        name = (ns.get("matchLabels") or {}).get("kubernetes.io/metadata.name")
        if name is not None and name != NAMESPACE:
            return False
        if "podSelector" not in peer:
            return True
    return selector_matches(peer.get("podSelector"), labels)


def rule_allows_port(rule: dict, port: int, names: set, protocol: str) -> bool:
    """Whether a rule's ports admit `port`/`protocol` (no ports = every port)."""
    if not rule.get("ports"):
        return True
    for p in rule["ports"]:
        if p.get("protocol", "TCP") != protocol:
            continue
        n = p.get("port")
        if n is None or n == port or (isinstance(n, str) and n in names):
            return True
        if isinstance(n, int) and p.get("endPort") and n <= port <= p["endPort"]:
            return True
    return False


def check_front_end_egress(c: Checker, L: str, nps: list[dict], all_pods: list[tuple[str, dict, dict]],
                           deployments: dict[str, dict], cm: dict, np_cfg: dict) -> None:
    """A front end may connect to the edge's HTTP port and to nothing else of the release;
    DNS and Redis stay reachable; no rule is open-ended."""
    edge = deployments.get("edge")
    edge_spec = edge["spec"]["template"]["spec"] if edge else None
    for fe in FRONT_ENDS:
        d = deployments.get(fe)
        if d is None:
            continue
        W = f"{L} egress of {fe}"
        labels = d["spec"]["template"]["metadata"]["labels"]
        pols = [p for p in nps if "Egress" in (p["spec"].get("policyTypes") or []) and selector_matches(p["spec"]["podSelector"], labels)]
        if not c.check(bool(pols), f"{W}: not restricted (no Egress NetworkPolicy selects its pods)"):
            continue
        rules = [r for p in pols for r in p["spec"].get("egress") or []]
        for r in rules:
            c.check(bool(r.get("to")), f"{W}: rule {r} has no `to`, so it allows every destination")
            c.check(bool(r.get("ports")), f"{W}: rule {r} has no ports, so it allows every port")
        for w, pod_labels, spec in all_pods:
            for ctr in spec["containers"]:
                names = {p.get("name") for p in ctr.get("ports") or []}
                for p in ctr.get("ports") or []:
                    port = p["containerPort"]
                    allowed = any(rule_allows_port(r, port, names, p.get("protocol", "TCP")) and
                                  (not r.get("to") or any(peer_may_select(x, pod_labels) for x in r["to"])) for r in rules)
                    wanted = spec is edge_spec and port == PORTS["http"]
                    c.check(allowed == wanted, f"{W}: {w} port {port} must be {'reachable' if wanted else 'out of reach'}")
        for proto in ("UDP", "TCP"):
            c.check(any(r.get("to") and rule_allows_port(r, 53, set(), proto) for r in rules), f"{W}: DNS (53/{proto}) must be allowed")
        env = {e["name"] for x in d["spec"]["template"]["spec"]["containers"] for e in x.get("env") or []}
        if "NDS_REDIS_URL" in cm or "NDS_REDIS_URL" in env:
            url = cm.get("NDS_REDIS_URL")
            port = (urlparse(url).port or 6379) if url else int(np_cfg.get("redisPort", 6379))
            c.check(any(r.get("to") and rule_allows_port(r, port, set(), "TCP") for r in rules),
                    f"{W}: Redis ({port}/TCP) must be allowed (sessions live there)")
        otlp = cm.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        if otlp:
            port = urlparse(otlp).port or 4317
            c.check(any(r.get("to") and rule_allows_port(r, port, set(), "TCP") for r in rules),
                    f"{W}: the trace collector ({port}/TCP) must be allowed (traces are on)")


def check_front_ends(c: Checker, L: str, deployments: dict[str, dict], services: dict[str, dict], cm: dict) -> None:
    """The front ends reach the edge through its Service, listen where the chart says,
    share sessions through Redis, and hold no secret of the services."""
    edge = deployments.get("edge")
    url = cm.get("NDS_EDGE_URL", "")
    m = re.fullmatch(r"http://([a-z0-9-]+):(\d+)", url)
    svc = services.get(m.group(1)) if m else None
    sp = next((p for p in svc["spec"]["ports"] if p["port"] == int(m.group(2)) and p["name"] == "http"), None) if svc and m else None
    ok = edge is not None and sp is not None and selector_matches(
        {"matchLabels": svc["spec"]["selector"]}, edge["spec"]["template"]["metadata"]["labels"]) and container_port(
        edge["spec"]["template"]["spec"], sp["targetPort"]) == PORTS["http"]
    c.check(ok, f"{L} NDS_EDGE_URL={url!r} must be http://<edge Service>:<its port named http, reaching the edge's HTTP listener>")
    for fe in FRONT_ENDS:
        d = deployments.get(fe)
        if d is None:
            continue
        W = f"{L} Deployment/{d['metadata']['name']}"
        spec = d["spec"]["template"]["spec"]
        addr = cm.get(f"NDS_{fe.upper()}_ADDR", "")
        c.check(addr == f"0.0.0.0:{container_port(spec, 'http')}",
                f"{W}: NDS_{fe.upper()}_ADDR={addr!r} must be 0.0.0.0:<its http container port>")
        env = {e["name"] for x in spec["containers"] for e in x.get("env") or []}
        leaked = sorted(env & SECRET_ENV)
        c.check(not leaked, f"{W}: a front end only calls the edge; it must not receive {leaked}")
        c.check("NDS_REDIS_URL" in cm or "NDS_REDIS_URL" in env,
                f"{W}: needs NDS_REDIS_URL (sessions and the fragment cache are shared by every replica)")
    key = cm.get("NDS_STRIPE_PUBLISHABLE_KEY")
    if key is not None:
        c.check(key.startswith("pk_"), f"{L} NDS_STRIPE_PUBLISHABLE_KEY must be a publishable key (pk_...): every browser sees it")


def service_reaches(services: dict[str, dict], deployment: dict | None, backend: dict, port: int) -> bool:
    """An Ingress backend {name, port} is a Service selecting `deployment` whose port leads to container `port`."""
    svc = services.get(backend.get("name", ""))
    if svc is None or deployment is None:
        return False
    if not selector_matches({"matchLabels": svc["spec"]["selector"]}, deployment["spec"]["template"]["metadata"]["labels"]):
        return False
    want = backend.get("port") or {}
    sp = next((x for x in svc["spec"]["ports"] if x["name"] == want.get("name") or x["port"] == want.get("number")), None)
    return sp is not None and container_port(deployment["spec"]["template"]["spec"], sp["targetPort"]) == port


def check_media(c: Checker, L: str, docs: list[tuple[str, dict]], merged: dict, deployments: dict[str, dict],
                services: dict[str, dict], cm: dict, main_ing: dict | None, media_ings: list[dict]) -> None:
    """Catalog's media routes: its webhook listener exposed by its Service and routed
    at /media by an Ingress of its own that accepts 15 MiB uploads; the store is S3 for
    every process; the bucket's keys reach catalog only."""
    # 1. Catalog's Pod listens on the webhook port, and its Service exposes it.
    catalog = deployments.get("catalog")
    W = f"{L} catalog media listener"
    spec = catalog["spec"]["template"]["spec"] if catalog else {"containers": []}
    c.check(container_port(spec, "webhook") == PORTS["webhook"], f"{W}: catalog's Pod needs container port webhook ({PORTS['webhook']})")
    svc = next((s for s in services.values() if catalog and selector_matches(
        {"matchLabels": s["spec"]["selector"]}, catalog["spec"]["template"]["metadata"]["labels"])), None)
    sp = next((p for p in (svc or {"spec": {"ports": []}})["spec"]["ports"] if p["name"] == "webhook"), None)
    c.check(sp is not None and container_port(spec, sp["targetPort"]) == PORTS["webhook"],
            f"{W}: catalog's Service must expose a port named webhook leading to container port {PORTS['webhook']}")

    # 2. An Ingress of its own routes /media (Prefix) to it with a body limit of at least 16m.
    if merged["ingress"]["enabled"]:
        if c.check(len(media_ings) == 1, f"{L} expected one Ingress routing /media, got {len(media_ings)}"):
            ing = media_ings[0]
            W = f"{L} Ingress/{ing['metadata']['name']}"
            paths = [(r.get("host"), p) for r in ing["spec"]["rules"] for p in (r.get("http") or {}).get("paths") or []]
            c.check([(p["path"], p.get("pathType")) for _, p in paths] == [("/media", "Prefix")],
                    f"{W}: routes /media (Prefix) and nothing else (the other paths keep the small body limit)")
            for _, p in paths:
                c.check(service_reaches(services, catalog, p["backend"].get("service") or {}, PORTS["webhook"]),
                        f"{W}: /media must reach catalog's container port {PORTS['webhook']} (webhook)")
            size = (ing["metadata"].get("annotations") or {}).get("nginx.ingress.kubernetes.io/proxy-body-size")
            c.check(size is not None and (nginx_size(size) or 0) >= MEDIA_BODY_MIN,
                    f"{W}: proxy-body-size {size!r} must be at least 16m (uploads are up to 15 MiB; ingress-nginx's default is 1m)")
            if main_ing is not None:
                main_spec = main_ing["spec"]
                site_hosts = {r.get("host") for r in main_spec["rules"]
                              if any(p["path"] == "/graphql" for p in (r.get("http") or {}).get("paths") or [])}
                c.check({h for h, _ in paths} == site_hosts and len(site_hosts) == 1,
                        f"{W}: /media must be on the site's host {sorted(map(str, site_hosts))}, got {sorted({str(h) for h, _ in paths})}")
                c.check(ing["spec"].get("ingressClassName") == main_spec.get("ingressClassName"), f"{W}: same ingressClassName as the main Ingress")
                main_tls = {t.get("secretName") for t in main_spec.get("tls") or []}
                tls = ing["spec"].get("tls") or []
                c.check({t.get("secretName") for t in tls} == main_tls, f"{W}: same TLS Secret as the main Ingress ({sorted(main_tls)})")
                for h, _ in paths:
                    if tls and h:
                        c.check(any(h in (t.get("hosts") or []) for t in tls), f"{W}: TLS must cover {h}")
    # 3. Every process reading the ConfigMap stores photos in S3, with a bucket and a public URL.
    media_cfg = merged.get("media") or {}
    for _, d in docs:
        for _, pod in pod_specs(d):
            for ctr in pod["containers"]:
                if not any("configMapRef" in ef for ef in ctr.get("envFrom") or []):
                    continue  # the migration hooks: no ConfigMap, no media store
                env = dict(cm)
                for e in ctr.get("env") or []:
                    env[e["name"]] = e.get("value", "<from a Secret>") if "valueFrom" in e else e.get("value", "")
                W = f"{L} {name_of(d)}"
                c.check(env.get("NDS_MEDIA_STORE") == "s3", f"{W}: NDS_MEDIA_STORE={env.get('NDS_MEDIA_STORE')!r} must be s3 (production refuses local)")
                c.check(bool(env.get("NDS_MEDIA_BUCKET", "").strip()), f"{W}: NDS_MEDIA_BUCKET must be set (required with s3)")
                url = env.get("NDS_MEDIA_PUBLIC_URL", "")
                c.check(re.fullmatch(r"https?://[^/\s]+(/\S*)?", url) is not None, f"{W}: NDS_MEDIA_PUBLIC_URL={url!r} must be an http(s) URL")
    url = urlparse(cm.get("NDS_MEDIA_PUBLIC_URL", ""))
    if merged["ingress"]["enabled"] and not media_cfg.get("publicUrl") and media_ings:
        hosts = {r.get("host") for r in media_ings[0]["spec"]["rules"]} - {None}
        want_host = next(iter(hosts)) if hosts else urlparse(cm.get("NDS_PUBLIC_URL", "")).hostname
        c.check(url.hostname == want_host and url.path == "/media",
                f"{L} NDS_MEDIA_PUBLIC_URL={cm.get('NDS_MEDIA_PUBLIC_URL')!r} must be <the media Ingress's host {want_host}>/media")
    # The ServiceAccount a cloud role for the bucket hangs on, when catalog has its own: catalog's alone.
    if (media_cfg.get("serviceAccount") or {}).get("create"):
        own = f"{RELEASE}-catalog"
        users = sorted(name_of(d) for _, d in docs for _, pod in pod_specs(d) if pod.get("serviceAccountName") == own)
        c.check(any(d["kind"] == "ServiceAccount" and d["metadata"]["name"] == own for _, d in docs),
                f"{L} media.serviceAccount.create: ServiceAccount/{own} must be rendered")
        c.check(users == [f"Deployment/{own}"], f"{L} ServiceAccount/{own} (the bucket's role) must be catalog's only, used by {users}")
    # 4. The bucket's keys: catalog's only, both or neither, from a Secret, as media.credentials.fromSecret says.
    from_secret = bool((media_cfg.get("credentials") or {}).get("fromSecret"))
    for k in MEDIA_KEYS:
        c.check(k not in cm, f"{L} ConfigMap must not hold {k}")
    for _, d in docs:
        component = d["metadata"].get("labels", {}).get("app.kubernetes.io/component", "")
        for _, pod in pod_specs(d):
            for ctr in pod["containers"]:
                env = {e["name"]: e for e in ctr.get("env") or []}
                held = sorted(MEDIA_KEYS & set(env))
                W = f"{L} {name_of(d)}"
                is_catalog = d["kind"] == "Deployment" and component == "catalog"
                if not is_catalog:
                    c.check(not held, f"{W}: the media bucket's keys are catalog's only, got {held}")
                    continue
                want = sorted(MEDIA_KEYS) if from_secret else []
                c.check(held == want, f"{W}: media.credentials.fromSecret={from_secret}: catalog must hold {want}, got {held}")
                for k in held:
                    c.check("secretKeyRef" in (env[k].get("valueFrom") or {}), f"{W}: {k} must come from a Secret")


def check_structure(c: Checker, label: str, docs: list[tuple[str, dict]], merged: dict, production: bool) -> None:
    by_kind: dict[str, list[dict]] = {}
    for _, d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    get = lambda kind: by_kind.get(kind, [])  # noqa: E731
    L = f"[{label}]"
    release_labels = {"app.kubernetes.io/instance": RELEASE}

    names = [name_of(d) for _, d in docs]
    dupes = {n for n in names if names.count(n) > 1}
    c.check(not dupes, f"{L} duplicate resources: {sorted(dupes)}")
    for _, d in docs:
        c.check(d["metadata"].get("labels", {}).get("app.kubernetes.io/instance") == RELEASE,
                f"{L} {name_of(d)}: missing app.kubernetes.io/instance label")

    # ConfigMap: only known keys, no secrets, service URLs point at Services.
    configmaps = {d["metadata"]["name"]: d.get("data") or {} for d in get("ConfigMap")}
    c.check(len(configmaps) == 1, f"{L} expected one ConfigMap, got {list(configmaps)}")
    cm = next(iter(configmaps.values()), {})
    for k in cm:
        c.check(k in KNOWN_ENV, f"{L} ConfigMap key {k} is not a known NDS_* variable")
        c.check(k not in SECRET_ENV, f"{L} ConfigMap must not hold secret {k}")
    # Behind the Ingress every peer of the edge is the ingress controller: unless it is
    # trusted, all clients share its address (one rate limit, one log-in lock-out).
    proxies = [p.strip() for p in cm.get("NDS_TRUSTED_PROXIES", "").split(",") if p.strip()]
    if merged["ingress"]["enabled"]:
        c.check(bool(proxies), f"{L} the edge must trust the ingress controller (config.trustedProxies)")
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
            valid = True
        except ValueError:
            valid = False
        c.check(valid, f"{L} NDS_TRUSTED_PROXIES entry {proxy!r} is not a CIDR network (the edge would refuse to start)")
    drain = int(cm.get("NDS_SHUTDOWN_DRAIN_SECS", 5))
    grace = int(cm.get("NDS_SHUTDOWN_GRACE_SECS", 20))
    backend = cm.get("NDS_SEARCH_BACKEND", "")
    c.check(backend in ("tantivy", "elasticsearch"), f"{L} NDS_SEARCH_BACKEND={backend!r}")
    services = {d["metadata"]["name"]: d for d in get("Service")}
    for s in SERVICES:
        url = cm.get(f"NDS_{s.upper()}_URL", "")
        m = re.fullmatch(r"http://([a-z0-9-]+):(\d+)", url)
        ok = bool(m) and m.group(1) in services and any(
            p["port"] == int(m.group(2)) and p["name"] == "grpc" for p in services[m.group(1)]["spec"]["ports"])
        c.check(ok, f"{L} NDS_{s.upper()}_URL={url!r} must be http://<Service>:<grpc port> of a rendered Service")

    # Every pod (Deployments, CronJobs, hook Jobs).
    for _, d in docs:
        for meta, spec in pod_specs(d):
            check_pod(c, f"{L} {name_of(d)}", meta, spec, configmaps, release_labels)

    # Deployments: one per component, probes, shutdown, Services, HPA, PDB.
    sa_names = {d["metadata"]["name"] for d in get("ServiceAccount")}
    deployments: dict[str, dict] = {}
    for d in get("Deployment"):
        comp = d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component")
        deployments[comp] = d
    c.check(sorted(deployments) == sorted(COMPONENTS), f"{L} Deployments {sorted(deployments)} != {sorted(COMPONENTS)}")
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in get("HorizontalPodAutoscaler")}
    pdbs = get("PodDisruptionBudget")
    for comp, d in deployments.items():
        W = f"{L} Deployment/{d['metadata']['name']}"
        spec = d["spec"]["template"]["spec"]
        pod_labels = d["spec"]["template"]["metadata"]["labels"]
        ctr = spec["containers"][0]
        c.check(ctr.get("args") == ["serve", comp], f"{W}: args must be ['serve', '{comp}']")
        c.check(selector_matches(d["spec"]["selector"], pod_labels), f"{W}: selector does not match its pod labels")
        if sa_names:
            c.check(spec.get("serviceAccountName") in sa_names, f"{W}: serviceAccountName not the chart's ServiceAccount")
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            c.check(probe in ctr, f"{W}: {probe} missing")
        rp, lp = ctr.get("readinessProbe") or {}, ctr.get("livenessProbe") or {}
        if comp == "edge":
            c.check((rp.get("httpGet") or {}).get("path") == "/readyz", f"{W}: readiness must be HTTP /readyz")
            c.check((lp.get("httpGet") or {}).get("path") == "/healthz", f"{W}: liveness must be HTTP /healthz")
            c.check(container_port(spec, "http") == PORTS["http"], f"{W}: port http must be {PORTS['http']}")
        elif comp in FRONT_ENDS:
            # No /readyz: a page answers without the edge (a 503 in words), and a
            # terminating pod leaves the endpoints whatever its probes say.
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                h = (ctr.get(probe) or {}).get("httpGet") or {}
                c.check(h.get("path") == "/healthz" and container_port(spec, h.get("port")) == PORTS[comp],
                        f"{W}: {probe} must be HTTP /healthz on port {PORTS[comp]}, got {ctr.get(probe)}")
            port_names = sorted(p.get("name") for x in spec["containers"] for p in x.get("ports") or [])
            c.check(port_names == ["http"], f"{W}: a front end listens on one port named http, got {port_names}")
            c.check(container_port(spec, "http") == PORTS[comp], f"{W}: port http must be {PORTS[comp]}")
        else:
            g = rp.get("grpc") or {}
            c.check(g.get("port") == PORTS["grpc"] and g.get("service") == HEALTH[comp],
                    f"{W}: readiness must be grpc {{port: 50051, service: {HEALTH[comp]}}}, got {rp}")
            c.check("grpc" in (ctr.get("startupProbe") or {}), f"{W}: startup probe must be grpc")
            c.check(container_port(spec, "grpc") == PORTS["grpc"], f"{W}: port grpc must be 50051")
            c.check(container_port(spec, "metrics") == PORTS["metrics"], f"{W}: port metrics must be 9090")
            if comp == "billing":
                c.check(container_port(spec, "webhook") == PORTS["webhook"], f"{W}: port webhook must be 8081")
                h = lp.get("httpGet") or {}
                c.check(h.get("path") == "/healthz" and container_port(spec, h.get("port")) == PORTS["webhook"],
                        f"{W}: liveness must be HTTP /healthz on the webhook port")
            else:
                c.check("grpc" in lp, f"{W}: liveness must be grpc")
        # Liveness must not fire during a drain.
        budget_live = (lp.get("periodSeconds", 10)) * (lp.get("failureThreshold", 3))
        c.check(budget_live > drain + grace, f"{W}: liveness period x failureThreshold ({budget_live}s) must exceed drain+grace ({drain + grace}s)")
        sleep = ((ctr.get("lifecycle") or {}).get("preStop") or {}).get("sleep", {}).get("seconds")
        c.check(isinstance(sleep, int) and sleep > 0, f"{W}: preStop sleep missing")
        tgp = spec.get("terminationGracePeriodSeconds", 30)
        c.check(isinstance(sleep, int) and tgp > sleep + drain + grace,
                f"{W}: terminationGracePeriodSeconds {tgp} must exceed preStop {sleep} + drain {drain} + grace {grace}")
        # Service exposing the named ports.
        svc = [s for s in services.values() if selector_matches({"matchLabels": s["spec"].get("selector")}, pod_labels)]
        if c.check(len(svc) == 1, f"{W}: expected exactly one Service selecting it, got {len(svc)}"):
            for p in svc[0]["spec"]["ports"]:
                c.check(container_port(spec, p["targetPort"]) is not None,
                        f"{L} Service/{svc[0]['metadata']['name']}: targetPort {p['targetPort']} is not a container port")
        # HPA per values; PDB always (when enabled).
        cfg = overlay(merged["defaults"], merged["services"].get(comp))
        hpa = hpas.get(d["metadata"]["name"])
        if production:
            c.check(hpa is not None, f"{W}: production render must have an HPA")
        c.check((hpa is not None) == bool(cfg["autoscaling"]["enabled"]), f"{W}: HPA presence does not follow autoscaling.enabled")
        c.check(("replicas" in d["spec"]) == (hpa is None), f"{W}: replicas must be set iff there is no HPA")
        if hpa:
            hs = hpa["spec"]
            c.check(1 <= hs["minReplicas"] <= hs["maxReplicas"], f"{L} HPA/{hpa['metadata']['name']}: min/max replicas")
            c.check(hs["scaleTargetRef"]["kind"] == "Deployment", f"{L} HPA/{hpa['metadata']['name']}: must target a Deployment")
        mine = [p for p in pdbs if selector_matches(p["spec"]["selector"], pod_labels)]
        # A PDB is required for every Deployment in every render (pdb.enabled defaults to true).
        c.check(len(mine) == 1, f"{W}: expected one PodDisruptionBudget, got {len(mine)}")
    for p in pdbs:
        c.check(any(selector_matches(p["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"]) for d in deployments.values()),
                f"{L} PDB/{p['metadata']['name']} selects no Deployment")

    check_front_ends(c, L, deployments, services, cm)

    # Search backend specifics.
    search = deployments.get("search")
    if search and backend == "tantivy":
        c.check(search["spec"].get("replicas") == 1 and search["metadata"]["name"] not in hpas,
                f"{L} search with tantivy must run exactly one replica without HPA")
        c.check(search["spec"]["strategy"]["type"] == "Recreate", f"{L} search with tantivy must use the Recreate strategy")
        mounts = {m["mountPath"]: m["name"] for m in search["spec"]["template"]["spec"]["containers"][0].get("volumeMounts") or []}
        vols = {v["name"]: v for v in search["spec"]["template"]["spec"].get("volumes") or []}
        data_dir = cm.get("NDS_DATA_DIR")
        c.check(data_dir in mounts and "emptyDir" in vols.get(mounts.get(data_dir, ""), {}),
                f"{L} search with tantivy needs an emptyDir at NDS_DATA_DIR ({data_dir})")
    if search and backend == "elasticsearch":
        env = {e["name"] for e in search["spec"]["template"]["spec"]["containers"][0].get("env") or []}
        c.check("NDS_ELASTICSEARCH_URL" in cm or "NDS_ELASTICSEARCH_URL" in env, f"{L} elasticsearch backend without NDS_ELASTICSEARCH_URL")

    # CronJobs.
    cron: dict[str, dict] = {}
    for cj in get("CronJob"):
        args = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0].get("args") or []
        if c.check(len(args) == 2 and args[0] == "job", f"{L} CronJob/{cj['metadata']['name']}: args must be ['job', <name>]"):
            cron[args[1]] = cj
    for j in REQUIRED_JOBS:
        c.check(j in cron, f"{L} CronJob for `nds job {j}` missing")
    tz_default = merged["jobs"]["timeZone"]
    for jname, cj in cron.items():
        W, s = f"{L} CronJob/{cj['metadata']['name']}", cj["spec"]
        js = s["jobTemplate"]["spec"]
        c.check(s.get("concurrencyPolicy") == "Forbid", f"{W}: concurrencyPolicy must be Forbid")
        for k in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
            c.check(isinstance(s.get(k), int) and 0 <= s[k] <= 10, f"{W}: {k} must be set (0-10)")
        c.check(isinstance(s.get("startingDeadlineSeconds"), int) and s["startingDeadlineSeconds"] > 0, f"{W}: startingDeadlineSeconds must be set")
        c.check(isinstance(js.get("activeDeadlineSeconds"), int) and js["activeDeadlineSeconds"] > 0, f"{W}: activeDeadlineSeconds must be set")
        c.check(isinstance(js.get("backoffLimit"), int), f"{W}: backoffLimit must be set")
        c.check(js["template"]["spec"].get("restartPolicy") in ("Never", "OnFailure"), f"{W}: restartPolicy")
        own_tz = (merged["jobs"]["cronJobs"].get(jname) or {}).get("timeZone") or tz_default
        c.check(s.get("timeZone") == own_tz, f"{W}: timeZone {s.get('timeZone')!r} != configured {own_tz!r}")
        sched = s["schedule"]
        if jname == "start-usage-new-month":
            c.check(sched == "5 0 1 * *", f"{W}: schedule {sched!r} must be '5 0 1 * *' (1st of the month, 00:05)")
        elif jname == "expire-promotions":
            c.check(re.fullmatch(r"[0-5]?\d \* \* \* \*", sched) is not None, f"{W}: schedule {sched!r} must be hourly")
        elif jname == "flush-view-counters":
            every = parse_schedule_minutes(sched)
            c.check(every is not None and every <= 15, f"{W}: schedule {sched!r} must be every few minutes (*/N, N<=15)")
            if every:
                c.check(js["activeDeadlineSeconds"] < every * 60, f"{W}: activeDeadlineSeconds must be shorter than the interval")
        elif jname == "reindex":
            c.check(re.fullmatch(r"[0-5]?\d (?:[01]?\d|2[0-3]) \* \* \*", sched) is not None, f"{W}: schedule {sched!r} must be daily")
            c.check(backend == "elasticsearch", f"{W}: reindex only with the elasticsearch backend")
    if label == "default":
        c.check(tz_default == "America/Mexico_City", f"{L} jobs.timeZone default must be America/Mexico_City")

    # Migrations: one pre-install/pre-upgrade hook Job per service database.
    hooks: dict[str, dict] = {}
    for j in get("Job"):
        ann = j["metadata"].get("annotations") or {}
        W = f"{L} Job/{j['metadata']['name']}"
        if not c.check("helm.sh/hook" in ann, f"{W}: a plain Job (not a hook) is not expected"):
            continue
        c.check(set(ann["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}, f"{W}: hook must be pre-install,pre-upgrade")
        c.check(re.fullmatch(r"-?\d+", str(ann.get("helm.sh/hook-weight", ""))) is not None, f"{W}: hook-weight must be set")
        c.check("before-hook-creation" in ann.get("helm.sh/hook-delete-policy", ""), f"{W}: hook-delete-policy must include before-hook-creation")
        ctr = j["spec"]["template"]["spec"]["containers"][0]
        args = ctr.get("args") or []
        if c.check(len(args) == 2 and args[0] == "migrate" and args[1] in SERVICES, f"{W}: args must be ['migrate', <service>]"):
            hooks[args[1]] = j
            env = {e["name"]: e for e in ctr.get("env") or []}
            db = f"NDS_{args[1].upper()}_DATABASE_URL"
            c.check(db in env and "secretKeyRef" in (env[db].get("valueFrom") or {}), f"{W}: needs {db} from a Secret")
        # Hooks run before the release's own resources exist.
        c.check(not ctr.get("envFrom"), f"{W}: a pre-install hook cannot use the release's ConfigMap")
        c.check(j["spec"]["template"]["spec"].get("serviceAccountName") not in sa_names, f"{W}: a pre-install hook cannot use the release's ServiceAccount")
        c.check(isinstance(j["spec"].get("backoffLimit"), int) and isinstance(j["spec"].get("activeDeadlineSeconds"), int),
                f"{W}: backoffLimit and activeDeadlineSeconds must be set")
    c.check(sorted(hooks) == sorted(SERVICES), f"{L} migration hooks for {sorted(hooks)}, expected {sorted(SERVICES)}")

    # Ingress: the site at "/", the three API paths (more specific, so they win) as before.
    ings = get("Ingress")
    routes = lambda i, path: any(p["path"] == path for r in i["spec"]["rules"] for p in (r.get("http") or {}).get("paths") or [])  # noqa: E731
    panel_host = merged["ingress"].get("panelHost") or ""
    on_panel_host = lambda i: bool(panel_host) and any(r.get("host") == panel_host for r in i["spec"]["rules"])  # noqa: E731
    media_ings = [i for i in ings if routes(i, "/media")]
    panel_ings = [i for i in ings if not routes(i, "/media") and on_panel_host(i)]
    main_ings = [i for i in ings if not routes(i, "/media") and not on_panel_host(i)]
    expected_paths = {"/graphql": ("edge", PORTS["http"]), "/.well-known/jwks.json": ("edge", PORTS["http"]),
                      "/webhooks/stripe": ("billing", PORTS["webhook"]), "/": ("site", PORTS["site"])}
    expected_types = {"/graphql": "Prefix", "/.well-known/jwks.json": "Exact", "/webhooks/stripe": "Exact", "/": "Prefix"}
    if c.check(len(main_ings) == 1, f"{L} expected one Ingress besides the media and panel ones, got {len(main_ings)}"):
        site_rules = main_ings[0]["spec"]["rules"]
        seen, types = {}, {}
        for rule in site_rules:
            for p in rule["http"]["paths"]:
                seen[p["path"]] = p["backend"]["service"]
                types[p["path"]] = p.get("pathType")
        c.check(sorted(seen) == sorted(expected_paths), f"{L} Ingress paths {sorted(seen)} != {sorted(expected_paths)}")
        for path, want in expected_types.items():
            c.check(types.get(path, want) == want, f"{L} Ingress {path} must be pathType {want}, got {types.get(path)}")
        # Links in mail, Stripe's return URLs and canonical URLs are built on NDS_PUBLIC_URL: the site's address.
        public_host = urlparse(cm.get("NDS_PUBLIC_URL", "")).hostname
        for rule in site_rules:
            if rule.get("host"):
                c.check(rule["host"] == public_host,
                        f"{L} Ingress host {rule['host']!r} serves the site, but NDS_PUBLIC_URL names {public_host!r}")
        for path, (comp, port) in expected_paths.items():
            b = seen.get(path)
            if not b or comp not in deployments:
                continue
            svc = services.get(b["name"])
            ok = svc is not None and selector_matches({"matchLabels": svc["spec"]["selector"]},
                                                      deployments[comp]["spec"]["template"]["metadata"]["labels"])
            sp = next((x for x in (svc or {"spec": {"ports": []}})["spec"]["ports"]
                       if x["name"] == b["port"].get("name") or x["port"] == b["port"].get("number")), None)
            ok = ok and sp is not None and container_port(deployments[comp]["spec"]["template"]["spec"], sp["targetPort"]) == port
            c.check(ok, f"{L} Ingress {path} must reach {comp} container port {port}")
        if production:
            for ing in ings:
                tls = ing["spec"].get("tls") or []
                hosts = [r.get("host") for r in ing["spec"]["rules"]]
                c.check(bool(tls) and all(h in tls[0].get("hosts", []) for h in hosts) and all(hosts),
                        f"{L} production Ingress/{ing['metadata']['name']} needs TLS for its host")
    main_ing = main_ings[0] if len(main_ings) == 1 else None
    if merged["ingress"]["enabled"]:
        check_panel_ingress(c, L, panel_host, ings, panel_ings, main_ing, cm, services, deployments)
    check_ingress_annotations(c, L, ings, main_ing)
    check_media(c, L, docs, merged, deployments, services, cm, main_ing, media_ings)

    # NetworkPolicies: who can reach which port of which pod.
    nps = get("NetworkPolicy")
    if merged["networkPolicy"]["enabled"]:
        np_cfg = merged["networkPolicy"]
        all_pods = [(name_of(d), m.get("labels") or {}, s) for _, d in docs for m, s in pod_specs(d)]
        for w, labels, _ in all_pods:
            c.check(any(selector_matches(p["spec"]["podSelector"], labels) and "Ingress" in p["spec"].get("policyTypes", [])
                        and not p["spec"].get("ingress") for p in nps), f"{L} {w}: not covered by a default-deny ingress NetworkPolicy")
        ns_of = lambda peer: ((peer.get("namespaceSelector") or {}).get("matchLabels") or {}).get("kubernetes.io/metadata.name")  # noqa: E731
        # Ports the outside reaches through the Ingress, and the edge's port the front ends call.
        public = {("edge", PORTS["http"]), ("billing", PORTS["webhook"]), ("catalog", PORTS["webhook"])} | {
            (fe, PORTS[fe]) for fe in FRONT_ENDS}
        for comp, d in deployments.items():
            labels = d["spec"]["template"]["metadata"]["labels"]
            spec = d["spec"]["template"]["spec"]
            ports = [p["containerPort"] for ctr in spec["containers"] for p in ctr.get("ports") or []]
            for port in ports:
                # A rule without ports opens every port.
                peers = [peer for p in nps if selector_matches(p["spec"]["podSelector"], labels)
                         for r in p["spec"].get("ingress") or []
                         if not r.get("ports") or any(x.get("port") == port for x in r["ports"])
                         for peer in r.get("from") or [{}]]
                W = f"{L} NetworkPolicy for {comp}:{port}"
                c.check(bool(peers), f"{W}: nothing may reach it (probes aside)")
                for peer in peers:
                    inside = ("namespaceSelector" not in peer and "ipBlock" not in peer and
                              (peer.get("podSelector") or {}).get("matchLabels", {}).get("app.kubernetes.io/instance") == RELEASE)
                    from_ingress = ns_of(peer) == np_cfg["ingressNamespace"]
                    from_metrics = ns_of(peer) == np_cfg["metricsNamespace"] and "podSelector" not in peer
                    extra = peer in (np_cfg.get("grpcExtraFrom") or [])
                    from_front_end = selects_only_front_ends(peer, deployments)
                    if port == PORTS["grpc"]:
                        c.check(inside or extra, f"{W}: gRPC open to {peer}; only this release's pods may call it")
                    elif port == PORTS["metrics"]:
                        c.check(from_metrics, f"{W}: metrics open to {peer}; only the metrics namespace may scrape")
                    elif (comp, port) in public:
                        c.check(from_ingress or (comp == "edge" and (from_metrics or from_front_end)),
                                f"{W}: open to {peer}; only the ingress controller (and, for the edge, metrics and the front ends)")
                    else:
                        c.check(False, f"{W}: unexpected open port")
                if (comp, port) in public:
                    c.check(any(ns_of(p) == np_cfg["ingressNamespace"] for p in peers), f"{W}: the ingress controller must reach it")
                if (comp, port) == ("edge", PORTS["http"]):
                    for fe in FRONT_ENDS:
                        fe_labels = deployments[fe]["spec"]["template"]["metadata"]["labels"] if fe in deployments else None
                        c.check(fe_labels is not None and any(
                            selects_only_front_ends(p, deployments) and selector_matches(p["podSelector"], fe_labels) for p in peers),
                            f"{W}: the {fe}'s pods must reach it")
        check_front_end_egress(c, L, nps, all_pods, deployments, cm, np_cfg)

    # ServiceMonitor (CRD): selects the Services, whose port "metrics" exists.
    sms = get("ServiceMonitor")
    c.check(bool(sms) == bool(merged["serviceMonitor"]["enabled"]), f"{L} ServiceMonitor presence does not follow serviceMonitor.enabled")
    for sm in sms:
        W = f"{L} ServiceMonitor/{sm['metadata']['name']}"
        c.check(sm["apiVersion"] == "monitoring.coreos.com/v1", f"{W}: apiVersion must be monitoring.coreos.com/v1")
        matched = [s for s in services.values() if selector_matches(sm["spec"]["selector"], s["metadata"].get("labels") or {})]
        # The front ends serve no /metrics.
        scraped = [comp for comp in COMPONENTS if comp not in FRONT_ENDS]
        c.check(len(matched) == len(scraped), f"{W}: selects {len(matched)} Services, expected {len(scraped)} ({scraped})")
        eps = sm["spec"].get("endpoints") or []
        c.check(bool(eps), f"{W}: no endpoints")
        for ep in eps:
            c.check(ep.get("path", "/metrics") == "/metrics", f"{W}: endpoint path must be /metrics")
            for s in matched:
                c.check(any(p["name"] == ep.get("port") for p in s["spec"]["ports"]), f"{W}: Service {s['metadata']['name']} has no port {ep.get('port')}")
        c.check(sm["spec"].get("namespaceSelector", {}).get("matchNames") == [NAMESPACE], f"{W}: namespaceSelector must be the release namespace")


# --------------------------------------------------------------------------- guards

GUARDS: list[tuple[str, dict, str]] = [
    ("tantivy search with 2 replicas", {"services": {"search": {"replicas": 2}}}, "tantivy"),
    ("tantivy search with an HPA", {"services": {"search": {"autoscaling": {"enabled": True}}}}, "tantivy"),
    ("reindex with tantivy", {"jobs": {"cronJobs": {"reindex": {"enabled": True}}}}, "reindex"),
    ("a Stripe secret key as the site's publishable key", {"config": {"stripePublishableKey": "sk_live_123"}}, "stripePublishableKey"),
    ("a front end without its port", {"ports": {"site": None}}, "ports.site"),
    ("Redis on a port the site may not reach", {"config": {"redisUrl": "redis://redis:6380/0"}}, "networkPolicy.redisPort"),
    ("the site using Redis with no Redis egress", {"networkPolicy": {"siteRedisEgress": []}}, "networkPolicy.siteRedisEgress"),
    ("terminationGracePeriodSeconds below drain+grace", {"defaults": {"terminationGracePeriodSeconds": 25}}, "terminationGracePeriodSeconds"),
    ("unknown CronJob name", {"jobs": {"cronJobs": {"vacuum": {"enabled": True, "schedule": "0 1 * * *"}}}}, "not an `nds job` name"),
    ("unknown secret entry", {"services": {"edge": {"secrets": ["nope"]}}}, "unknown secret entry"),
    ("migrations without a database Secret", {"secrets": {"chatDatabaseUrl": {"name": ""}}}, "chatDatabaseUrl"),
    ("TLS without a Secret name", {"ingress": {"tls": {"enabled": True}}}, "ingress.tls.secretName"),
    ("traces on without the collector's egress", {"config": {"tracing": {"otlpEndpoint": "http://otel-collector.observability:4317"}}}, "networkPolicy.otlpEgress"),
    ("ECK with the tantivy backend", {"elasticsearch": {"eck": {"enabled": True}}}, "config.searchBackend=elasticsearch"),
    ("ECK and an Elasticsearch URL Secret",
     {"config": {"searchBackend": "elasticsearch"}, "elasticsearch": {"eck": {"enabled": True}},
      "secrets": {"elasticsearchUrl": {"name": "es", "key": "url"}}}, "secrets.elasticsearchUrl.name"),
    ("ECK with no node", {"config": {"searchBackend": "elasticsearch", "elasticsearchUrl": "http://x:9200"},
                          "elasticsearch": {"eck": {"enabled": True, "count": 0}}}, "elasticsearch.eck.count"),
    ("a trusted proxy that is no network", {"config": {"trustedProxies": ["ingress-nginx"]}}, "config.trustedProxies"),
    # Listing photos: catalog refuses local files in production; S3 needs a bucket; the
    # edge must know where browsers reach /media; the bucket's keys are catalog's only.
    ("local media storage", {"media": {"store": "local"}}, "media.store must be s3"),
    ("local media storage through config.extra", {"config": {"extra": {"NDS_MEDIA_STORE": "local"}}}, "config.extra.NDS_MEDIA_STORE"),
    ("no media bucket", {"media": {"bucket": ""}}, "media.bucket is required"),
    ("no media public URL and no Ingress", {"ingress": {"enabled": False}}, "media.publicUrl is required"),
    ("a media public URL that is no URL", {"media": {"publicUrl": "cdn.example.com/media"}}, "must be an http(s) URL"),
    ("media keys from a Secret with one unnamed",
     {"media": {"credentials": {"fromSecret": True}}, "secrets": {"mediaSecretAccessKey": {"name": ""}}}, "secrets.mediaSecretAccessKey.name"),
    ("media keys from a Secret that catalog does not list",
     {"media": {"credentials": {"fromSecret": True}}, "services": {"catalog": {"secrets": ["catalogDatabaseUrl", "redisUrl"]}}},
     "services.catalog.secrets does not list"),
    ("media keys given to the edge", {"services": {"edge": {"secrets": ["redisUrl", "mediaAccessKeyId"]}}}, "catalog's only"),
    ("media keys given to a job", {"jobs": {"cronJobs": {"flush-view-counters": {"secrets": ["catalogDatabaseUrl", "mediaSecretAccessKey"]}}}},
     "catalog's only"),
    ("a media body limit below 16m", {"ingress": {"media": {"proxyBodySize": "1m"}}}, "ingress.media.proxyBodySize"),
    # The panel's photo form without JavaScript: 30 photos of 15 MiB in one request.
    ("a panel body limit below the photo form's 450 MiB + 64 KiB",
     {"ingress": {"panelHost": "panel.nds.example.com", "panel": {"proxyBodySize": "450m"}}}, "ingress.panel.proxyBodySize"),
    ("a panel body limit that is no nginx size",
     {"ingress": {"panelHost": "panel.nds.example.com", "panel": {"proxyBodySize": "500MB"}}}, "ingress.panel.proxyBodySize"),
]


def check_eck(c: Checker, docs: list[tuple[str, dict]], merged: dict) -> None:
    """Elasticsearch through ECK: the resource as the issue asks, and NDS wired to
    ECK's own Service, user Secret and CA, reachable from search and reindex only."""
    L = "[eck]"
    e = merged["elasticsearch"]["eck"]
    name = e["name"]
    clusters = [d for _, d in docs if d["kind"] == "Elasticsearch"]
    if not c.check(len(clusters) == 1, f"{L} expected one Elasticsearch resource, got {len(clusters)}"):
        return
    spec = clusters[0]["spec"]
    c.check(not (((spec.get("http") or {}).get("tls") or {}).get("selfSignedCertificate") or {}).get("disabled"),
            f"{L} TLS must stay on")
    c.check("podDisruptionBudget" not in spec, f"{L} the PodDisruptionBudget is left to ECK")
    node_sets = spec.get("nodeSets") or []
    c.check(sum(n.get("count", 0) for n in node_sets) == 3, f"{L} a production cluster has 3 nodes")
    for n in node_sets:
        claims = n.get("volumeClaimTemplates") or []
        c.check(any(t["metadata"]["name"] == "elasticsearch-data" and t["spec"]["resources"]["requests"].get("storage")
                    for t in claims), f"{L} node set {n['name']}: data on a PersistentVolumeClaim")
        ctr = next((x for x in n["podTemplate"]["spec"]["containers"] if x["name"] == "elasticsearch"), {})
        heap = next((v["value"] for v in ctr.get("env") or [] if v["name"] == "ES_JAVA_OPTS"), "")
        c.check(f"-Xms{e['heap']}" in heap and f"-Xmx{e['heap']}" in heap, f"{L} heap set in ES_JAVA_OPTS: {heap!r}")
        c.check(bool((ctr.get("resources") or {}).get("limits", {}).get("memory")), f"{L} a memory limit on the nodes")

    cm = next(d.get("data") or {} for _, d in docs if d["kind"] == "ConfigMap")
    c.check(cm.get("NDS_ELASTICSEARCH_URL") == f"https://{name}-es-http.{NAMESPACE}.svc:9200",
            f"{L} NDS_ELASTICSEARCH_URL is ECK's HTTPS Service: {cm.get('NDS_ELASTICSEARCH_URL')}")
    wired = set()
    for _, d in docs:
        for _, pod in pod_specs(d):
            component = ((d.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/component", "")
            for ctr in pod["containers"]:
                env = {v["name"]: v for v in ctr.get("env") or []}
                if "NDS_ELASTICSEARCH_PASSWORD" not in env:
                    continue
                wired.add(component)
                ref = env["NDS_ELASTICSEARCH_PASSWORD"].get("valueFrom", {}).get("secretKeyRef", {})
                c.check(ref == {"name": f"{name}-es-elastic-user", "key": "elastic"},
                        f"{L} {name_of(d)}: the password comes from ECK's user Secret: {ref}")
                ca = env.get("NDS_ELASTICSEARCH_CA_FILE", {}).get("value", "")
                mount = next((m for m in ctr.get("volumeMounts") or [] if ca.startswith(m["mountPath"] + "/")), None)
                volume = next((v for v in pod.get("volumes") or [] if mount and v["name"] == mount["name"]), {})
                c.check((volume.get("secret") or {}).get("secretName") == f"{name}-es-http-certs-public",
                        f"{L} {name_of(d)}: NDS_ELASTICSEARCH_CA_FILE {ca!r} is ECK's public CA, mounted")
    expected = {"search"} | ({"job-reindex"} if merged["jobs"]["cronJobs"]["reindex"]["enabled"] else set())
    c.check(wired == expected, f"{L} Elasticsearch credentials go to {sorted(expected)} only, got {sorted(wired)}")

    policies = [d for _, d in docs if d["kind"] == "NetworkPolicy"
                and d["spec"]["podSelector"].get("matchLabels", {}).get("elasticsearch.k8s.elastic.co/cluster-name") == name]
    if c.check(len(policies) == 1, f"{L} one NetworkPolicy guards the cluster's pods"):
        allowed_components = set()
        for rule in policies[0]["spec"].get("ingress") or []:
            for peer in rule.get("from") or []:
                for expr in (peer.get("podSelector") or {}).get("matchExpressions") or []:
                    if expr["key"] == "app.kubernetes.io/component":
                        allowed_components |= set(expr["values"])
                c.check("podSelector" in peer or "namespaceSelector" in peer, f"{L} no open peer in the cluster's policy")
        c.check(allowed_components == {"search", "job-reindex"},
                f"{L} of NDS, only search and the reindex job reach the cluster: {sorted(allowed_components)}")


def check_guards(c: Checker, chart_dir: str) -> int:
    for what, values, needle in GUARDS:
        try:
            with helm.Chart.load(chart_dir) as chart:
                chart.render(deep_merge(BASE_VALUES, values), name=RELEASE, namespace=NAMESPACE)
            c.check(False, f"[guard] {what}: rendered, but the chart must refuse it")
        except helm.HelmError as e:
            c.check(needle in str(e), f"[guard] {what}: failed for another reason: {e}")
    return len(GUARDS)


# --------------------------------------------------------------------------- nds --help

def used_names(all_docs: list[tuple[str, dict]]) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {"": set(), "serve": set(), "job": set(), "migrate": set()}
    for _, d in all_docs:
        for _, spec in pod_specs(d):
            for ctr in spec["containers"]:
                args = ctr.get("args") or []
                if args:
                    used[""].add(args[0])
                    if len(args) > 1 and args[0] in used:
                        used[args[0]].add(args[1])
    return used


def check_binary(c: Checker, nds_bin: str, all_docs: list[tuple[str, dict]]) -> str:
    used = used_names(all_docs)
    n = 0
    for sub, names in used.items():
        cmd = [nds_bin] + ([sub] if sub else []) + ["--help"]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env={**os.environ, "NO_COLOR": "1"})
            text = out.stdout + out.stderr
            c.check(out.returncode == 0, f"[nds-bin] `{' '.join(cmd)}` exited {out.returncode}")
        except (OSError, subprocess.TimeoutExpired) as e:
            c.check(False, f"[nds-bin] `{' '.join(cmd)}` could not run: {e}")
            continue
        for name in sorted(names):
            n += 1
            c.check(re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None,
                    f"[nds-bin] `{name}` is used by the chart but not listed in `{' '.join(cmd)}`")
    return f"{n} names checked against {nds_bin} --help"


# --------------------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chart", default="helm/nds")
    ap.add_argument("--production-values", default="helm/values-production.yaml")
    ap.add_argument("--kube-version", default="1.33")
    ap.add_argument("--out", default="target/helm-render", help="where rendered manifests are written")
    a = ap.parse_args()

    c = Checker()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    production = yaml.safe_load(Path(a.production_values).read_text()) or {}
    # The production shape with everything in the cluster: Elasticsearch run by ECK,
    # and the photos in MinIO with keys from a Secret (production: AWS S3 through
    # the ServiceAccount's IAM role, no keys).
    eck = deep_merge(production, {"elasticsearch": {"eck": {"enabled": True}},
                                  "media": {"endpoint": "http://minio.minio.svc:9000", "credentials": {"fromSecret": True},
                                            "serviceAccount": {"create": False}}})
    value_sets = {"default": BASE_VALUES, "production": production, "eck": eck}

    # 1. lint
    for label, values in value_sets.items():
        report = helm.lint(a.chart, values, strict=True, kube_version=f"v{a.kube_version}.0")
        for msg in report.get("messages", []):
            if msg.get("severity", 0) >= 2:
                c.check(False, f"[lint {label}] {msg.get('path')}: {msg.get('error')}")
        for err in report.get("errors", []):
            if not any(err == m.get("error") for m in report.get("messages", [])):
                c.check(False, f"[lint {label}] {err}")
        c.check(True, f"lint {label}")

    # 2-4. render, schema, structure
    all_docs: list[tuple[str, dict]] = []
    n_valid = n_skipped = 0
    for label, values in value_sets.items():
        try:
            docs, merged, raw = render(a.chart, values)
        except helm.HelmError as e:
            c.check(False, f"[render {label}] {e}")
            continue
        (out / f"{label}.yaml").write_text("".join(f"# Source: {k}\n{v}\n---\n" for k, v in sorted(raw.items()) if not k.endswith("NOTES.txt")))
        all_docs += docs
        v, s = schema_validate(c, label, docs, a.kube_version)
        n_valid += v
        n_skipped += s
        check_structure(c, label, docs, merged, production=(label != "default"))
        if label == "eck":
            check_eck(c, docs, merged)

    # 5. guards
    n_guards = check_guards(c, a.chart)

    # 6. nds --help
    nds_bin = os.environ.get("NDS_BIN", "")
    if nds_bin:
        bin_note = check_binary(c, nds_bin, all_docs)
    else:
        bin_note = "nds --help check skipped (NDS_BIN not set)"
        print(f"check_chart: {bin_note}")

    for f in c.failures:
        print(f"FAIL {f}")
    status = "OK" if not c.failures else f"FAILED ({len(c.failures)} failures)"
    print(f"helm validate: {status} - lint {len(value_sets)} value sets, {len(all_docs)} manifests rendered, "
          f"{n_valid} schema-valid (k8s {a.kube_version} and ECK, strict), {n_skipped} CRD skipped (ServiceMonitor), "
          f"{c.count} checks, {n_guards} guards, {bin_note}")
    return 0 if not c.failures else 1


if __name__ == "__main__":
    sys.exit(main())
