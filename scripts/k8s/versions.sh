# Pinned versions of the test control plane, sourced by the other scripts in this folder.
K8S_VERSION="${K8S_VERSION:-1.34.4}"
# Each k8s.io/* staging module is published as v0.<minor>.<patch> alongside k8s.io/kubernetes v1.<minor>.<patch>.
K8S_STAGING_VERSION="0.${K8S_VERSION#1.}"
KWOK_VERSION="${KWOK_VERSION:-0.7.0}"
HELM_VERSION="${HELM_VERSION:-3.19.0}"
ETCD_VERSION="${ETCD_VERSION:-3.5.21}"
K8S_CACHE="${PONTOON_CACHE:-$HOME/.cache/pontoon}/k8s/v$K8S_VERSION"
K8S_BIN="$K8S_CACHE/bin"
