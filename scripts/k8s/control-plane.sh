#!/usr/bin/env bash
# Runs Pontoon's test control plane on loopback: etcd, kube-apiserver (client-certificate auth on
# 127.0.0.1), kube-controller-manager, kube-scheduler and kwok standing in for one node and its
# kubelet. Everything lives in one directory (certs, data, logs, kubeconfig); nothing is installed.
#
# Usage: scripts/k8s/control-plane.sh start [dir]   start (dir defaults to $PONTOON_K8S_DIR or a fresh temp dir)
#        scripts/k8s/control-plane.sh stop  [dir]   stop everything started in dir and remove it
#        scripts/k8s/control-plane.sh env   [dir]   print KUBECONFIG and PONTOON_K8S_BIN exports
# `start` prints the directory on its last line. Binaries come from scripts/k8s/build.sh's cache.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
source "$here/versions.sh"
log() { echo "[control plane] $*" >&2; }

command="${1:-}"
dir="${2:-${PONTOON_K8S_DIR:-}}"

kubectl() { "$K8S_BIN/kubectl" --kubeconfig "$dir/kubeconfig" "$@"; }

make_certs() {
  local pki="$dir/pki"
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj "/CN=pontoon-test-ca" 2>/dev/null
    # The API server's serving certificate: loopback plus the in-cluster names of the kubernetes Service.
    cat > apiserver.ext <<EXT
subjectAltName = IP:127.0.0.1, IP:10.0.0.1, DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage = serverAuth
EXT
    issue apiserver "/CN=kube-apiserver" apiserver.ext
    # One client identity per component, all in system:masters: a test control plane, and the
    # controller-manager then runs every controller under its own name (no per-controller accounts).
    printf 'extendedKeyUsage = clientAuth\n' > client.ext
    issue admin "/O=system:masters/CN=pontoon-admin" client.ext
    issue controller-manager "/O=system:masters/CN=system:kube-controller-manager" client.ext
    issue scheduler "/O=system:masters/CN=system:kube-scheduler" client.ext
    issue kwok "/O=system:masters/CN=kwok" client.ext
    # kwok serves the kubelet API (logs) over TLS; the API server does not verify kubelet certs here.
    printf 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n' > kubelet.ext
    issue kubelet "/CN=kwok-node" kubelet.ext
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  )
}

# issue NAME SUBJECT EXTFILE: a key and a certificate signed by the test CA (run inside pki/).
issue() {
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 30 -extfile "$3" 2>/dev/null
  rm -f "$1.csr"
}

write_kubeconfig() { # file user
  local pki="$dir/pki"
  cat > "$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: pontoon-test
  cluster:
    server: https://127.0.0.1:$(cat "$dir/ports/apiserver")
    certificate-authority: $pki/ca.crt
users:
- name: $2
  user:
    client-certificate: $pki/$2.crt
    client-key: $pki/$2.key
contexts:
- name: pontoon-test
  context: { cluster: pontoon-test, user: $2, namespace: default }
current-context: pontoon-test
KC
}

# start_process NAME ARGS...: runs a binary in the background, its pid and log in dir.
start_process() {
  local name="$1"; shift
  "$@" > "$dir/logs/$name.log" 2>&1 &
  echo $! > "$dir/pids/$name"
}

wait_for() { # what seconds command...
  local what="$1" seconds="$2"; shift 2
  local until=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS > until)); then
      log "timed out waiting for $what; last log lines:"
      tail -n 20 "$dir"/logs/*.log >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

write_kwok_config() {
  local logs="$dir/kwok/function.log"
  mkdir -p "$dir/kwok"
  # Container logs the fake kubelet serves for pods in namespaces named *-logs (CRI log format).
  printf '%s stdout F %s\n' "2024-01-01T00:00:00.000000001Z" "hello from the function" "2024-01-01T00:00:00.000000002Z" "result computed" > "$logs"
  printf '%s stderr F %s\n' "2024-01-01T00:00:00.000000003Z" "a warning on stderr" >> "$logs"
  cat > "$dir/kwok/config.yaml" <<YAML
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  cidr: 10.244.0.1/16
  nodeIP: 127.0.0.1
  nodePort: $(cat "$dir/ports/kwok")
  serverAddress: 127.0.0.1:$(cat "$dir/ports/kwok")
  tlsCertFile: $dir/pki/kubelet.crt
  tlsPrivateKeyFile: $dir/pki/kubelet.key
  manageNodesWithAnnotationSelector: kwok.x-k8s.io/node=fake
---
# Pods are scheduled, then become Running with every container started. Nothing completes them:
# the tests decide each pod's outcome by patching its status, as a kubelet would report it.
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pontoon-pod-running
spec:
  resourceRef: { apiGroup: v1, kind: Pod }
  selector:
    matchExpressions:
    - { key: .metadata.deletionTimestamp, operator: DoesNotExist }
    - { key: .status.podIP, operator: DoesNotExist }
  next:
    statusTemplate: |
      {{ \$now := Now }}
      phase: Running
      startTime: {{ \$now | Quote }}
      hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
      podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}
      conditions:
      - { type: Initialized, status: "True", lastTransitionTime: {{ \$now | Quote }} }
      - { type: ContainersReady, status: "True", lastTransitionTime: {{ \$now | Quote }} }
      - { type: Ready, status: "True", lastTransitionTime: {{ \$now | Quote }} }
      initContainerStatuses:
      {{ range .spec.initContainers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        restartCount: 0
        {{ if eq .restartPolicy "Always" }}
        ready: true
        started: true
        state: { running: { startedAt: {{ \$now | Quote }} } }
        {{ else }}
        ready: true
        state: { terminated: { exitCode: 0, reason: Completed, startedAt: {{ \$now | Quote }}, finishedAt: {{ \$now | Quote }} } }
        {{ end }}
      {{ end }}
      containerStatuses:
      {{ range .spec.containers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        ready: true
        started: true
        restartCount: 0
        state: { running: { startedAt: {{ \$now | Quote }} } }
      {{ end }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pontoon-pod-gone
spec:
  resourceRef: { apiGroup: v1, kind: Pod }
  selector:
    matchExpressions:
    - { key: .metadata.deletionTimestamp, operator: Exists }
  next:
    finalizers: { empty: true }
    delete: true
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: pontoon-function-logs
spec:
  selector:
    matchNamespaces: [ function-logs ]
  logs:
  - containers: [ function ]
    logsFile: $logs
YAML
}

fake_node() {
  cat <<YAML
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations: { kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0" }
  labels: { kubernetes.io/hostname: kwok-node-0, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok }
status:
  allocatable: { cpu: "64", memory: 256Gi, pods: "500" }
  capacity: { cpu: "64", memory: 256Gi, pods: "500" }
YAML
}

start() {
  if [[ -z "$dir" ]]; then dir=$(mktemp -d "${TMPDIR:-/tmp}/pontoon-k8s-XXXXXX"); fi
  mkdir -p "$dir"/{pids,logs,ports,etcd}
  dir="$(cd "$dir" && pwd)"
  if ! "$here/build.sh" --check; then
    log "binaries missing in $K8S_BIN: run scripts/k8s/build.sh first"
    return 1
  fi
  local names=(etcd etcd-peer apiserver controller-manager scheduler kwok) ports
  mapfile -t ports < <(node "$here/../lib/free-ports.mjs" "${#names[@]}")
  if ((${#ports[@]} != ${#names[@]})); then log "cannot find ${#names[@]} free ports"; return 1; fi
  for i in "${!names[@]}"; do echo "${ports[$i]}" > "$dir/ports/${names[$i]}"; done
  make_certs
  write_kubeconfig "$dir/kubeconfig" admin
  write_kubeconfig "$dir/controller-manager.kubeconfig" controller-manager
  write_kubeconfig "$dir/scheduler.kubeconfig" scheduler
  write_kubeconfig "$dir/kwok.kubeconfig" kwok
  write_kwok_config
  local pki="$dir/pki" etcd="http://127.0.0.1:$(cat "$dir/ports/etcd")"

  log "starting etcd"
  start_process etcd "$K8S_BIN/etcd" --name pontoon-test --data-dir "$dir/etcd" \
    --listen-client-urls "$etcd" --advertise-client-urls "$etcd" \
    --listen-peer-urls "http://127.0.0.1:$(cat "$dir/ports/etcd-peer")" \
    --initial-advertise-peer-urls "http://127.0.0.1:$(cat "$dir/ports/etcd-peer")" \
    --initial-cluster "pontoon-test=http://127.0.0.1:$(cat "$dir/ports/etcd-peer")" \
    --unsafe-no-fsync --quota-backend-bytes 2147483648
  wait_for etcd 30 curl -sf "$etcd/health"

  log "starting kube-apiserver"
  start_process kube-apiserver "$K8S_BIN/kube-apiserver" \
    --etcd-servers "$etcd" --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
    --secure-port "$(cat "$dir/ports/apiserver")" --cert-dir "$pki" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 --allow-privileged \
    --kubelet-client-certificate "$pki/admin.crt" --kubelet-client-key "$pki/admin.key" \
    --kubelet-preferred-address-types InternalIP,Hostname \
    --enable-priority-and-fairness=false --profiling=false
  wait_for kube-apiserver 90 kubectl get --raw /readyz

  log "starting kube-controller-manager, kube-scheduler and kwok"
  start_process kube-controller-manager "$K8S_BIN/kube-controller-manager" \
    --kubeconfig "$dir/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$dir/controller-manager.kubeconfig" --authorization-kubeconfig "$dir/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$(cat "$dir/ports/controller-manager")" --leader-elect=false \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --use-service-account-credentials=false --controllers '*' \
    --node-monitor-grace-period 40s --profiling=false
  start_process kube-scheduler "$K8S_BIN/kube-scheduler" \
    --kubeconfig "$dir/scheduler.kubeconfig" \
    --authentication-kubeconfig "$dir/scheduler.kubeconfig" --authorization-kubeconfig "$dir/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$(cat "$dir/ports/scheduler")" --leader-elect=false --profiling=false
  # kwok's client-go streams its initial lists (WatchListClient), which needs etcd's progress
  # notifications; Debian's etcd 3.4.23 predates them, and every failed stream backs the watch off
  # for seconds (pods then took 20 s to start). Plain list-and-watch is immediate.
  start_process kwok env KUBE_FEATURE_WatchListClient=false "$K8S_BIN/kwok" --kubeconfig "$dir/kwok.kubeconfig" --config "$dir/kwok/config.yaml"

  fake_node | kubectl apply -f - >/dev/null
  wait_for "the fake node to be Ready" 60 bash -c "'$K8S_BIN/kubectl' --kubeconfig '$dir/kubeconfig' get node kwok-node-0 -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -q True"
  wait_for "the default service account" 60 kubectl get serviceaccount default -n default
  log "up: KUBECONFIG=$dir/kubeconfig"
  echo "$dir"
}

stop() {
  [[ -n "$dir" && -d "$dir/pids" ]] || { log "no control plane in '${dir}'"; return 0; }
  # Reverse order of start; each pid file names a process this script started.
  for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
    local file="$dir/pids/$name"
    [[ -f "$file" ]] || continue
    local pid; pid=$(cat "$file")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$file"
  done
  [[ "${PONTOON_K8S_KEEP:-}" == 1 ]] || rm -rf "$dir"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  env)
    echo "export KUBECONFIG=$dir/kubeconfig"
    echo "export PONTOON_K8S_BIN=$K8S_BIN" ;;
  *) echo "usage: $0 start|stop|env [dir]" >&2; exit 2 ;;
esac
