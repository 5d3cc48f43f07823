{{/*
Shared helpers of the NDS chart. Components are the Deployments: the five
gRPC services (each with a database, migrations and a grpc.health.v1
service name), the edge, and the HTTP front ends (the buyer site).
*/}}

{{/* Chart name. */}}
{{- define "nds.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource-name prefix; component names are appended, so keep room (<= 40). */}}
{{- define "nds.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* chart-version label value. */}}
{{- define "nds.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels selecting the release's pods (used by NetworkPolicies: "pods of this release"). */}}
{{- define "nds.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "nds.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Common labels. Call with the root context. */}}
{{- define "nds.labels" -}}
helm.sh/chart: {{ include "nds.chart" . }}
{{ include "nds.releaseSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: nds
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component. Call with (dict "root" $ "component" "catalog"). */}}
{{- define "nds.selectorLabels" -}}
{{ include "nds.releaseSelectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Full labels of one component. Call with (dict "root" $ "component" "catalog"). */}}
{{- define "nds.componentLabels" -}}
{{ include "nds.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Name of a component's resources: <fullname>-<component>. */}}
{{- define "nds.componentName" -}}
{{- printf "%s-%s" (include "nds.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The gRPC services, in a fixed order; each owns one database. */}}
{{- define "nds.grpcServices" -}}
{{- list "identity" "catalog" "search" "billing" "chat" | toJson -}}
{{- end -}}

{{/*
HTTP front ends: server-rendered sites, clients of the edge's GraphQL only.
Each runs `nds serve <name>`, listens on .Values.ports.<name>
(NDS_<NAME>_ADDR), answers /healthz and serves no /metrics: the buyer site
and the staff panel.
*/}}
{{- define "nds.frontEnds" -}}
{{- list "site" "panel" | toJson -}}
{{- end -}}

{{/* Every Deployment: the gRPC services, the edge and the front ends. */}}
{{- define "nds.components" -}}
{{- concat (include "nds.grpcServices" . | fromJsonArray) (list "edge") (include "nds.frontEnds" . | fromJsonArray) | toJson -}}
{{- end -}}

{{/* Kind of a component: grpc, edge or frontEnd. Call with (dict "root" $ "component" "site"). */}}
{{- define "nds.componentKind" -}}
{{- if eq .component "edge" -}}
edge
{{- else if has .component (include "nds.frontEnds" .root | fromJsonArray) -}}
frontEnd
{{- else -}}
grpc
{{- end -}}
{{- end -}}

{{/* HTTP port of the edge (ports.http) or of a front end (ports.<name>). Call with (dict "root" $ "component" "site"). */}}
{{- define "nds.httpPort" -}}
{{- if eq .component "edge" -}}
{{- .root.Values.ports.http -}}
{{- else -}}
{{- required (printf "ports.%s is required: the HTTP port of `nds serve %s`" .component .component) (index .root.Values.ports .component) -}}
{{- end -}}
{{- end -}}

{{/* grpc.health.v1 name a service reports (nds.catalog.v1.CatalogService). */}}
{{- define "nds.healthServiceName" -}}
{{- printf "nds.%s.v1.%sService" . (title .) -}}
{{- end -}}

{{/*
Effective settings of one component: .Values.defaults overlaid with
.Values.services.<component>, key by key (and key by key inside the nested
maps autoscaling, pdb, probes, topologySpread), so `false` and `0` in a
service entry do override a default. Returns YAML; use with fromYaml.
*/}}
{{- define "nds.componentConfig" -}}
{{- $defaults := deepCopy .root.Values.defaults -}}
{{- $own := index .root.Values.services .component | default dict -}}
{{- $out := $defaults -}}
{{- range $k, $v := $own -}}
{{- if and (kindIs "map" $v) (has $k (list "autoscaling" "pdb" "probes" "topologySpread")) -}}
{{- $merged := deepCopy (index $defaults $k | default dict) -}}
{{- range $k2, $v2 := $v -}}
{{- $_ := set $merged $k2 $v2 -}}
{{- end -}}
{{- $_ := set $out $k $merged -}}
{{- else -}}
{{- $_ := set $out $k $v -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* Image reference: repository@digest or repository:tag. */}}
{{- define "nds.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* ServiceAccount of Deployments and CronJobs. */}}
{{- define "nds.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "nds.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* ServiceAccount of a Deployment: catalog's own (media.serviceAccount) or the shared one. Call with (dict "root" $ "component" "catalog"). */}}
{{- define "nds.componentServiceAccountName" -}}
{{- $m := .root.Values.media.serviceAccount | default dict -}}
{{- if and (eq .component "catalog") $m.create -}}
{{- include "nds.componentName" . -}}
{{- else if and (eq .component "catalog") $m.name -}}
{{- $m.name -}}
{{- else -}}
{{- include "nds.serviceAccountName" .root -}}
{{- end -}}
{{- end -}}

{{/* Name of the ConfigMap with the non-secret NDS_* settings. */}}
{{- define "nds.configMapName" -}}
{{- printf "%s-config" (include "nds.fullname" .) -}}
{{- end -}}

{{/* True when search uses the embedded tantivy index. */}}
{{- define "nds.tantivy" -}}
{{- if eq .Values.config.searchBackend "tantivy" -}}true{{- end -}}
{{- end -}}

{{/*
env entries for the listed .Values.secrets entries (secretKeyRef to existing
Secrets; entries with an empty name are skipped). With the elasticsearch
backend, elasticsearchUrl is added: every process's config requires the URL.
The media bucket's keys (nds.mediaCredentialEntries) are added only when
media.credentials.fromSecret is true, and then both must name a Secret.
Call with
(dict "root" $ "names" (list "billingDatabaseUrl" ...)).
*/}}
{{- define "nds.secretEnv" -}}
{{- $names := .names | default list }}
{{- if and (eq .root.Values.config.searchBackend "elasticsearch") (not (has "elasticsearchUrl" $names)) }}
{{- $names = append $names "elasticsearchUrl" }}
{{- end }}
{{- $mediaEntries := include "nds.mediaCredentialEntries" . | fromJsonArray }}
{{- $fromSecret := .root.Values.media.credentials.fromSecret }}
{{- range $names }}
{{- $ref := index $.root.Values.secrets . | default dict }}
{{- if not (hasKey $.root.Values.secrets .) }}
{{- fail (printf "unknown secret entry %q: add it under .Values.secrets" .) }}
{{- end }}
{{- $isMedia := has . $mediaEntries }}
{{- if and $isMedia $fromSecret (not $ref.name) }}
{{- fail (printf "media.credentials.fromSecret is true but secrets.%s.name is empty: catalog needs both NDS_MEDIA_ACCESS_KEY_ID and NDS_MEDIA_SECRET_ACCESS_KEY (or set fromSecret false to use the pod's identity)" .) }}
{{- end }}
{{- if and $ref.name (or (not $isMedia) $fromSecret) }}
- name: {{ printf "NDS_%s" (snakecase . | upper) }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.name | quote }}
      key: {{ required (printf "secrets.%s.key is required" .) $ref.key | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Graceful-shutdown budget: preStop sleep + drain + grace (seconds). */}}
{{- define "nds.shutdownBudget" -}}
{{- add (int .preStop) (int .root.Values.config.shutdown.drainSecs) (int .root.Values.config.shutdown.graceSecs) -}}
{{- end -}}

{{/* terminationGracePeriodSeconds of a component; fails if too short. Call with (dict "root" $ "cfg" $cfg). */}}
{{- define "nds.terminationGrace" -}}
{{- $budget := include "nds.shutdownBudget" (dict "root" .root "preStop" .cfg.preStopSleepSeconds) | int -}}
{{- $tgp := int (.cfg.terminationGracePeriodSeconds | default 0) -}}
{{- if eq $tgp 0 -}}
{{- add $budget 10 -}}
{{- else if le $tgp $budget -}}
{{- fail (printf "terminationGracePeriodSeconds %d must exceed preStopSleepSeconds + shutdown.drainSecs + shutdown.graceSecs = %d" $tgp $budget) -}}
{{- else -}}
{{- $tgp -}}
{{- end -}}
{{- end -}}

{{/* Pod-level settings shared by every pod (Deployments, CronJobs, hooks). */}}
{{- define "nds.podCommon" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{/* Writable volumes: /tmp and the data dir (read-only root filesystem). Call with (dict "root" $ "dataSizeLimit" "256Mi"). */}}
{{- define "nds.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
- name: data
  emptyDir:
    sizeLimit: {{ .dataSizeLimit | default "256Mi" }}
{{- end -}}

{{- define "nds.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: {{ .Values.config.dataDir }}
{{- end -}}

{{/* Checksum of the ConfigMap, so pods roll when configuration changes. */}}
{{- define "nds.configChecksum" -}}
{{- include (print .Template.BasePath "/configmap.yaml") . | sha256sum -}}
{{- end -}}

{{/* NetworkPolicy peer: the ingress controller's namespace (and pods, if given). */}}
{{- define "nds.ingressControllerPeer" -}}
- namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: {{ .Values.networkPolicy.ingressNamespace | quote }}
  {{- with .Values.networkPolicy.ingressPodLabels }}
  podSelector:
    matchLabels:
      {{- toYaml . | nindent 6 }}
  {{- end }}
{{- end -}}

{{/* Label selector of every front end's pods (NetworkPolicies). */}}
{{- define "nds.frontEndSelector" -}}
matchLabels:
  {{- include "nds.releaseSelectorLabels" . | nindent 2 }}
matchExpressions:
  - key: app.kubernetes.io/component
    operator: In
    values: {{ include "nds.frontEnds" . }}
{{- end -}}

{{/* NetworkPolicy peer: the monitoring namespace. */}}
{{- define "nds.metricsPeer" -}}
- namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: {{ .Values.networkPolicy.metricsNamespace | quote }}
{{- end -}}

{{/* Elasticsearch's URL: ECK's `<name>-es-http` Service (TLS), or config.elasticsearchUrl. */}}
{{- define "nds.elasticsearchUrl" -}}
{{- if .Values.elasticsearch.eck.enabled -}}
{{- printf "https://%s-es-http.%s.svc:9200" .Values.elasticsearch.eck.name .Release.Namespace -}}
{{- else -}}
{{- .Values.config.elasticsearchUrl -}}
{{- end -}}
{{- end -}}

{{/* True for the workloads that talk to Elasticsearch under ECK: search and the reindex job. */}}
{{- define "nds.usesEck" -}}
{{- if and .root.Values.elasticsearch.eck.enabled (has .component (list "search" "job-reindex")) -}}true{{- end -}}
{{- end -}}

{{/* With ECK: the cluster's CA, user and password (ECK's own Secrets). */}}
{{- define "nds.eckEnv" -}}
- name: NDS_ELASTICSEARCH_CA_FILE
  value: /etc/nds/elasticsearch/ca.crt
- name: NDS_ELASTICSEARCH_USERNAME
  value: elastic
- name: NDS_ELASTICSEARCH_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ printf "%s-es-elastic-user" .Values.elasticsearch.eck.name | quote }}
      key: elastic
{{- end -}}

{{- define "nds.eckVolumeMount" -}}
- name: elasticsearch-ca
  mountPath: /etc/nds/elasticsearch
  readOnly: true
{{- end -}}

{{- define "nds.eckVolume" -}}
- name: elasticsearch-ca
  secret:
    secretName: {{ printf "%s-es-http-certs-public" .Values.elasticsearch.eck.name | quote }}
    items:
      - {key: ca.crt, path: ca.crt}
{{- end -}}

{{/* The .Values.secrets entries holding the media bucket's keys: catalog's only. */}}
{{- define "nds.mediaCredentialEntries" -}}
{{- list "mediaAccessKeyId" "mediaSecretAccessKey" | toJson -}}
{{- end -}}

{{/*
NDS_MEDIA_PUBLIC_URL: media.publicUrl; else https://<ingress.host>/media; else,
with an Ingress that matches any host, <config.publicUrl>/media (the site's
address, which that Ingress serves). Fails when nothing says where browsers
reach /media.
*/}}
{{- define "nds.mediaPublicUrl" -}}
{{- $m := .Values.media -}}
{{- $url := "" -}}
{{- if $m.publicUrl -}}
{{- $url = $m.publicUrl -}}
{{- else if and .Values.ingress.enabled .Values.ingress.host -}}
{{- $url = printf "https://%s/media" .Values.ingress.host -}}
{{- else if and .Values.ingress.enabled .Values.config.publicUrl -}}
{{- $url = printf "%s/media" (trimSuffix "/" .Values.config.publicUrl) -}}
{{- else -}}
{{- fail "media.publicUrl is required when ingress.enabled is false (or neither ingress.host nor config.publicUrl is set): NDS_MEDIA_PUBLIC_URL tells browsers where catalog's /media routes are, e.g. https://api.example.com/media" -}}
{{- end -}}
{{- if not (regexMatch "^https?://[^/]+" $url) -}}
{{- fail (printf "media.publicUrl %q must be an http(s) URL, e.g. https://api.example.com/media" $url) -}}
{{- end -}}
{{- trimSuffix "/" $url -}}
{{- end -}}

{{/*
Refuses media settings catalog would refuse at start (or that would put the
bucket's keys where they do not belong). Call with the root context.
*/}}
{{- define "nds.mediaChecks" -}}
{{- $m := .Values.media -}}
{{- if ne (toString $m.store) "s3" -}}
{{- fail (printf "media.store must be s3, got %q: in production catalog refuses local storage (files in a container vanish with it)" (toString $m.store)) -}}
{{- end -}}
{{- if not $m.bucket -}}
{{- fail "media.bucket is required (NDS_MEDIA_BUCKET): the bucket listing photos are stored in" -}}
{{- end -}}
{{- if not (kindIs "bool" $m.credentials.fromSecret) -}}
{{- fail "media.credentials.fromSecret must be true or false" -}}
{{- end -}}
{{- $entries := include "nds.mediaCredentialEntries" . | fromJsonArray -}}
{{- range $name, $svc := .Values.services -}}
{{- if ne $name "catalog" -}}
{{- range $entries -}}
{{- if has . (($svc | default dict).secrets | default list) -}}
{{- fail (printf "services.%s.secrets lists %s: the media bucket's keys are catalog's only" $name .) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $name, $job := .Values.jobs.cronJobs -}}
{{- range $entries -}}
{{- if has . (($job | default dict).secrets | default list) -}}
{{- fail (printf "jobs.cronJobs.%s.secrets lists %s: the media bucket's keys are catalog's only" $name .) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $m.credentials.fromSecret -}}
{{- $catalog := (index .Values.services "catalog" | default dict).secrets | default list -}}
{{- range $entries -}}
{{- if not (has . $catalog) -}}
{{- fail (printf "media.credentials.fromSecret is true but services.catalog.secrets does not list %s" .) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if .Values.ingress.enabled -}}
{{- $size := toString $.Values.ingress.media.proxyBodySize -}}
{{- $bytes := include "nds.nginxSizeBytes" (dict "value" $size "name" "ingress.media.proxyBodySize" "example" "16m") | int64 -}}
{{- if and (ne $bytes 0) (lt $bytes 16777216) -}}
{{- fail (printf "ingress.media.proxyBodySize %q is below 16m: photo uploads are up to 15 MiB" $size) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Bytes of an nginx size (16m, 1024k, 1g; "0" = no limit, 0 bytes here); fails
on anything else. Call with (dict "value" <size> "name" <value's path> "example" <a valid size>).
*/}}
{{- define "nds.nginxSizeBytes" -}}
{{- $size := toString .value -}}
{{- if not (regexMatch "^[0-9]+[kKmMgG]?$" $size) -}}
{{- fail (printf "%s %q is not an nginx size such as %s" .name $size .example) -}}
{{- end -}}
{{- $num := regexFind "^[0-9]+" $size | int64 -}}
{{- $unit := lower (regexFind "[kKmMgG]$" $size) -}}
{{- mul $num (get (dict "" 1 "k" 1024 "m" 1048576 "g" 1073741824) $unit) -}}
{{- end -}}

{{/*
Refuses a body limit on the panel's Ingress that its photo form can exceed:
without JavaScript one request carries up to 30 photos of 15 MiB plus the
form's fields (the panel's own limit: 450 MiB + 64 KiB), so at least 451m
("0" = no limit). Call with the root context, with ingress.panelHost set.
*/}}
{{- define "nds.panelIngressChecks" -}}
{{- $size := toString .Values.ingress.panel.proxyBodySize -}}
{{- $bytes := include "nds.nginxSizeBytes" (dict "value" $size "name" "ingress.panel.proxyBodySize" "example" "500m") | int64 -}}
{{- if and (ne $bytes 0) (lt $bytes 471924736) -}}
{{- fail (printf "ingress.panel.proxyBodySize %q is below 451m: without JavaScript the panel's photo form sends up to 30 photos of 15 MiB in one request (450 MiB + 64 KiB)" $size) -}}
{{- end -}}
{{- end -}}
