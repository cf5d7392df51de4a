# The Pontoon runtime image for Python functions on Kubernetes: a function with `runtime: python`,
# an uploaded package (spec.package, what `pontoon deploy` sends) and no spec.image runs here.
# The pod's init container (the observer image's `package` mode) fetches the package into
# /pontoon/app and checks its sha256; this image's entry point (src/runtimes/pod-launch.ts) builds
# it with the same recipe the controller used at deploy (byte-compiled, a virtual environment from requirements.txt, pontoon_sdk beside it) and runs it under the function
# contract, or as a warm replica in a pool's Deployment.
# Build from the repository root:  docker build -f deploy/docker/runtime-python.Dockerfile -t pontoon-runtime-python .
# (Not built in this repository's CI: no Docker engine there. The launcher itself is tested by
# test/kubernetes/packages.test.ts, which runs it as the container would.)
FROM node:20-bookworm-slim AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
# The node runtime compiles TypeScript functions with this installation's tsc: keep it.
RUN npx tsc -p tsconfig.json && npm prune --omit=dev && npm install --no-save --no-audit --no-fund typescript@5.9.3

FROM node:20-bookworm-slim AS node

FROM python:3.11-slim-bookworm
COPY --from=node /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
ENV NODE_ENV=production PONTOON_BUILD_DIR=/tmp/pontoon-builds
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY sdk ./sdk
# The function's user: any uid works, the package on the shared volume is world-readable and
# builds go to /tmp.
USER 65532:65532
ENTRYPOINT ["node", "/app/dist/src/runtimes/pod-launch.js"]
