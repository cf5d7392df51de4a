{{/* Name of everything the release creates. */}}
{{- define "pontoon.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "pontoon.labels" -}}
app.kubernetes.io/name: pontoon
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector of the controller pods. */}}
{{- define "pontoon.selector" -}}
app.kubernetes.io/name: pontoon
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end -}}

{{/* Secret holding the PostgreSQL URL. */}}
{{- define "pontoon.postgresSecret" -}}
{{- if .Values.store.postgres.existingSecret -}}{{ .Values.store.postgres.existingSecret }}{{- else -}}{{ include "pontoon.fullname" . }}-postgres{{- end -}}
{{- end -}}
