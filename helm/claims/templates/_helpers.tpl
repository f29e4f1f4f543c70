{{- define "claims.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "claims.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "claims.labels" -}}
app.kubernetes.io/name: {{ include "claims.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "claims.selectorLabels" -}}
app.kubernetes.io/name: {{ include "claims.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "claims.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "claims.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The migration hook runs before the release's own objects exist, so it has its own. */}}
{{- define "claims.migrateServiceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- printf "%s-migrate" (include "claims.fullname" .) -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "claims.image" -}}
{{- $name := printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- if .Values.image.registry -}}
{{- printf "%s/%s" (trimSuffix "/" .Values.image.registry) $name -}}
{{- else -}}
{{- $name -}}
{{- end -}}
{{- end -}}

{{- define "claims.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "claims.fullname" .)) .Values.tls.existingSecret -}}
{{- end -}}

{{/* Render-time checks: refuse configurations that cannot work. */}}
{{- define "claims.validate" -}}
{{- if and (eq .Values.database.backend "sqlite") (gt (int .Values.replicaCount) 1) -}}
{{- fail "database.backend=sqlite supports one replica only: SQLite is a single-writer file; use mysql for replicaCount > 1" -}}
{{- end -}}
{{- if and (eq .Values.database.backend "sqlite") .Values.autoscaling.enabled -}}
{{- fail "autoscaling needs database.backend=mysql: SQLite allows one replica" -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" -}}
{{- end -}}
{{- if and (eq .Values.database.backend "mysql") (not .Values.database.existingSecret) -}}
{{- fail "database.backend=mysql needs database.existingSecret holding the mysql:// URL" -}}
{{- end -}}
{{- if .Values.tls.enabled -}}
{{- if and (not .Values.tls.existingSecret) (or (not .Values.tls.certificate) (not .Values.tls.key)) -}}
{{- fail "tls.enabled needs tls.existingSecret (a kubernetes.io/tls Secret) or tls.certificate and tls.key" -}}
{{- end -}}
{{- if and .Values.tls.requireClientCert (not .Values.tls.existingSecret) (not .Values.tls.clientCA) -}}
{{- fail "tls.requireClientCert needs the client CA: ca.crt in tls.existingSecret, or tls.clientCA" -}}
{{- end -}}
{{- if eq (int .Values.health.port) (int .Values.grpc.port) -}}
{{- fail "health.port must differ from grpc.port: with TLS the probes need a plaintext port" -}}
{{- end -}}
{{- end -}}
{{- if eq .Values.auth.mode "jwt" -}}
{{- if or (not .Values.auth.issuer) (not .Values.auth.audience) (not .Values.auth.keys) -}}
{{- fail "auth.mode=jwt needs auth.issuer, auth.audience and at least one of auth.keys; auth.mode=metadata trusts x-claims-* headers and is only for a front end that alone reaches the pods" -}}
{{- end -}}
{{- range .Values.auth.keys -}}
{{- if and (not .file) (not .secretKeyRef) -}}
{{- fail (printf "auth.keys: key %q needs a file (a key of auth.keysSecret, RS*/ES*) or a secretKeyRef (HS*)" (.id | default .algorithm)) -}}
{{- end -}}
{{- if and .file (not $.Values.auth.keysSecret) -}}
{{- fail "auth.keys: keys with a file need auth.keysSecret, the Secret holding the PEM files" -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Environment variables holding the HS* secrets of auth.keys, one per key, from Secrets. */}}
{{- define "claims.authEnv" -}}
{{- if eq .Values.auth.mode "jwt" }}
{{- range $i, $key := .Values.auth.keys }}
{{- if $key.secretKeyRef }}
- name: CLAIMS_JWT_SECRET_{{ $i }}
  valueFrom:
    secretKeyRef:
      name: {{ $key.secretKeyRef.name }}
      key: {{ $key.secretKeyRef.key }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The database URL environment variable, shared by the server and the migration job. */}}
{{- define "claims.databaseEnv" -}}
{{- if eq .Values.database.backend "mysql" }}
- name: CLAIMS_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret }}
      key: {{ .Values.database.secretKey }}
{{- end }}
{{- end -}}

{{/* The database part of claimsd.yaml, shared by the server's and the migration job's. */}}
{{- define "claims.databaseConfig" -}}
database:
  url: {{ if eq .Values.database.backend "sqlite" }}sqlite:{{ .Values.database.sqlitePath }}{{ else }}mysql://set-by-CLAIMS_DATABASE_URL{{ end }}
  pool_size: {{ .Values.database.poolSize }}
  max_evidence_bytes: {{ .Values.database.maxEvidenceBytes | int64 }}
{{- end -}}

{{/* claimsd.yaml for the server. */}}
{{- define "claims.config" -}}
listen: 0.0.0.0:{{ .Values.grpc.port }}
{{ include "claims.databaseConfig" . }}
evidence:
  max_bytes: {{ .Values.evidence.maxBytes | int64 }}
workflows:
  directory: /etc/claims/workflows
  default: {{ .Values.workflows.default }}
  watch_seconds: {{ .Values.workflows.watchSeconds }}
scheduler:
  enabled: true
  batch_size: {{ .Values.scheduler.batchSize }}
  max_sleep_seconds: {{ .Values.scheduler.maxSleepSeconds }}
clock: system
grpc:
  max_message_bytes: {{ .Values.grpc.maxMessageBytes | int64 }}
  memory_quota_bytes: {{ .Values.grpc.memoryQuotaBytes | int64 }}
  worker_threads: {{ .Values.grpc.workerThreads }}
  max_queued_calls: {{ .Values.grpc.maxQueuedCalls }}
metrics:
  listen: 0.0.0.0:{{ .Values.metrics.port }}
{{- if .Values.tls.enabled }}
tls:
  cert_file: /etc/claims/tls/tls.crt
  key_file: /etc/claims/tls/tls.key
  {{- if .Values.tls.requireClientCert }}
  client_ca_file: /etc/claims/tls/ca.crt
  {{- end }}
  reload_seconds: {{ .Values.tls.reloadSeconds }}
{{- end }}
health:
  {{- if .Values.tls.enabled }}
  listen: 0.0.0.0:{{ .Values.health.port }}
  {{- end }}
  check_interval_ms: {{ .Values.health.checkIntervalMs }}
  timeout_ms: {{ .Values.health.timeoutMs }}
auth:
  mode: {{ .Values.auth.mode }}
  {{- if eq .Values.auth.mode "jwt" }}
  issuer: {{ .Values.auth.issuer | quote }}
  audience: {{ .Values.auth.audience | quote }}
  leeway_seconds: {{ .Values.auth.leewaySeconds }}
  keys:
    {{- range $i, $key := .Values.auth.keys }}
    - id: {{ $key.id | default "" | quote }}
      algorithm: {{ $key.algorithm }}
      {{- if $key.file }}
      public_key_file: /etc/claims/keys/{{ $key.file }}
      {{- else }}
      secret_env: CLAIMS_JWT_SECRET_{{ $i }}
      {{- end }}
    {{- end }}
  claims:
    actor: {{ .Values.auth.claims.actor }}
    roles: {{ .Values.auth.claims.roles }}
    partner: {{ .Values.auth.claims.partner }}
    customer_tenant: {{ .Values.auth.claims.customerTenant }}
  {{- end }}
shutdown_grace_seconds: {{ .Values.shutdownGraceSeconds }}
log_format: {{ .Values.logFormat }}
access_log: {{ .Values.accessLog }}
log_level: {{ .Values.logLevel }}
{{- end -}}

{{/* claimsd.yaml for the migration job: only what --migrate-only reads. */}}
{{- define "claims.migrateConfig" -}}
{{ include "claims.databaseConfig" . }}
log_format: {{ .Values.logFormat }}
log_level: {{ .Values.logLevel }}
{{- end -}}

{{/* Pod-level settings shared by the server's pods and the migration job's. */}}
{{- define "claims.podCommon" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
