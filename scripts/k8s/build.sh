#!/usr/bin/env bash
# Builds the binaries of Pontoon's test control plane from their Go modules and caches them outside
# the repo: kube-apiserver, kube-controller-manager, kube-scheduler and kubectl (from k8s.io/kubernetes
# through a generated wrapper module), kwok (stands in for nodes and kubelets), helm, and etcd (Debian's
# etcd-server when apt can install it, else built from go.etcd.io/etcd). What is already cached is skipped;
# a helm cached without the version flags (an older build.sh) is built again.
#
# Usage: scripts/k8s/build.sh            build what is missing
#        scripts/k8s/build.sh --check    exit 0 when everything is cached, 1 otherwise (builds nothing)
#        scripts/k8s/build.sh --bin-dir  print the cache's bin directory
set -euo pipefail

source "$(dirname "$0")/versions.sh"

bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl kwok helm etcd)

# A helm built by an older version of this script lacks the version flags (see helm_ldflags): the
# recipe a helm was built with is kept beside it, and a helm of another recipe is built again.
helm_recipe() { echo "helm v$HELM_VERSION with version flags (1)"; }
helm_current() { [[ -x "$K8S_BIN/helm" && "$(cat "$K8S_BIN/helm.recipe" 2>/dev/null)" == "$(helm_recipe)" ]]; }

missing() {
  local out=()
  for b in "${bins[@]}"; do [[ -x "$K8S_BIN/$b" ]] || out+=("$b"); done
  [[ -x "$K8S_BIN/helm" ]] && ! helm_current && out+=("helm (built without version flags)")
  echo "${out[@]:-}"
}

case "${1:-}" in
  --bin-dir) echo "$K8S_BIN"; exit 0 ;;
  --check) [[ -z "$(missing)" ]] && exit 0 || exit 1 ;;
esac

mkdir -p "$K8S_BIN"
log() { echo "[k8s build] $*" >&2; }
# Builds are long and the machine is shared: stay polite.
GO=(nice -n 10 go)

build_kubernetes() {
  local need=()
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    [[ -x "$K8S_BIN/$b" ]] || need+=("$b")
  done
  [[ ${#need[@]} -eq 0 ]] && return 0
  local wrap="$K8S_CACHE/wrapper"
  mkdir -p "$wrap"
  # The kubernetes module replaces every k8s.io/* staging module with a path inside its own tree,
  # which a dependent module cannot see; the wrapper points each at its published v0.x twin instead.
  local gomod
  gomod=$(cd "$wrap" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
  {
    echo "module pontoon.dev/k8s-wrapper"
    echo
    echo "go 1.24"
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    echo "replace ("
    grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" | awk -v v="v$K8S_STAGING_VERSION" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } > "$wrap/go.mod"
  # A main package inside the wrapper keeps `go mod tidy` honest about what the build needs.
  cat > "$wrap/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  local minor="${K8S_VERSION#*.}"; minor="${minor%%.*}"
  local pkg=k8s.io/component-base/version
  local ldflags="-s -w -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  log "tidying the wrapper module for k8s.io/kubernetes v$K8S_VERSION"
  (cd "$wrap" && GOFLAGS=-mod=mod "${GO[@]}" mod tidy)
  local pkgs=()
  for b in "${need[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  log "building ${need[*]} (this takes a while)"
  (cd "$wrap" && CGO_ENABLED=0 "${GO[@]}" build -trimpath -ldflags "$ldflags" -o "$K8S_BIN/" "${pkgs[@]}")
}

build_go_install() { # name module@version [ldflags]
  [[ -x "$K8S_BIN/$1" ]] && return 0
  log "building $1 from $2"
  CGO_ENABLED=0 GOBIN="$K8S_BIN" "${GO[@]}" install -trimpath -ldflags "-s -w ${3:-}" "$2"
}

# The version flags helm's own Makefile sets. Without them helm calls itself v3.19 and assumes
# Kubernetes v1.20.0, so `helm template` refuses any chart with a newer kubeVersion. Helm's
# Makefile takes the Kubernetes version from the client-go in its go.mod (v0.34.0 → 1.34).
helm_ldflags() {
  local gomod client_go major minor
  gomod=$(cd "$K8S_CACHE" && GOFLAGS=-mod=mod go mod download -json "helm.sh/helm/v3@v$HELM_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
  client_go=$(awk '$1 == "k8s.io/client-go" {print $2; exit}' "$gomod")
  IFS=. read -r major minor _ <<<"${client_go#v}"
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || { log "cannot read helm's client-go version from $gomod"; return 1; }
  major=$((major + 1))
  local h=helm.sh/helm/v3
  echo "-X $h/internal/version.version=v$HELM_VERSION -X $h/internal/version.gitTreeState=clean" \
    "-X $h/pkg/chartutil.k8sVersionMajor=$major -X $h/pkg/chartutil.k8sVersionMinor=$minor" \
    "-X $h/pkg/lint/rules.k8sVersionMajor=$major -X $h/pkg/lint/rules.k8sVersionMinor=$minor"
}

build_helm() {
  helm_current && return 0
  rm -f "$K8S_BIN/helm" "$K8S_BIN/helm.recipe"
  local ldflags
  ldflags=$(helm_ldflags)
  build_go_install helm "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION" "$ldflags"
  helm_recipe > "$K8S_BIN/helm.recipe"
}

# etcd_new_enough VERSION: true for 3.4.31+ within 3.4, and 3.5.13+ from 3.5 on.
etcd_new_enough() {
  local major minor patch
  IFS=. read -r major minor patch <<<"${1:-0.0.0}"
  patch=${patch%%[^0-9]*}
  ((major > 3)) && return 0
  ((major < 3)) && return 1
  ((minor == 4)) && ((patch >= 31)) && return 0
  ((minor == 5)) && ((patch >= 13)) && return 0
  ((minor > 5)) && return 0
  return 1
}

get_etcd() {
  [[ -x "$K8S_BIN/etcd" ]] && return 0
  local policy=""
  command -v apt-cache >/dev/null && policy=$(apt-cache policy etcd-server 2>/dev/null || true)
  if [[ "$policy" =~ Candidate:\ [0-9] ]]; then
    # Download the package only: its maintainer scripts would try to start a system-wide etcd.
    local dl; dl=$(mktemp -d)
    log "fetching Debian's etcd-server"
    if (cd "$dl" && apt-get download etcd-server >/dev/null 2>&1); then
      dpkg-deb -x "$dl"/etcd-server_*.deb "$dl/root"
      local version
      version=$("$dl/root/usr/bin/etcd" --version 2>/dev/null | sed -n 's/^etcd Version: //p')
      # The API server streams watch lists only on etcd with progress notifications (3.4.31+ or
      # 3.5.13+); without them kwok's watches fail and back off, and pods start many seconds late.
      if etcd_new_enough "$version"; then
        cp "$dl/root/usr/bin/etcd" "$K8S_BIN/etcd"
        rm -rf "$dl"
        return 0
      fi
      log "Debian's etcd $version is older than 3.4.31/3.5.13: building etcd instead"
    fi
    rm -rf "$dl"
  fi
  log "building etcd from go.etcd.io/etcd v$ETCD_VERSION"
  local wrap="$K8S_CACHE/etcd-wrapper"
  mkdir -p "$wrap"
  cat > "$wrap/go.mod" <<GOMOD
module pontoon.dev/etcd-wrapper

go 1.24

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION
GOMOD
  cat > "$wrap/tools.go" <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3/etcdmain"
GO
  (cd "$wrap" && GOFLAGS=-mod=mod "${GO[@]}" mod tidy && CGO_ENABLED=0 "${GO[@]}" build -trimpath -ldflags "-s -w" -o "$K8S_BIN/etcd" go.etcd.io/etcd/server/v3)
}

get_etcd
build_go_install kwok "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
build_helm
build_kubernetes

left=$(missing)
if [[ -n "$left" ]]; then log "still missing: $left"; exit 1; fi
log "all binaries in $K8S_BIN"
