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

{{- define "claims.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Render-time checks: refuse configurations that cannot work. */}}
{{- define "claims.validate" -}}
{{- if and (eq .Values.database.backend "sqlite") (gt (int .Values.replicaCount) 1) -}}
{{- fail "database.backend=sqlite supports one replica only: SQLite is a single-writer file; use mysql for replicaCount > 1" -}}
{{- end -}}
{{- if and (eq .Values.database.backend "mysql") (not .Values.database.existingSecret) -}}
{{- fail "database.backend=mysql needs database.existingSecret holding the mysql:// URL" -}}
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
