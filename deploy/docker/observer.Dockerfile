# The observer beside every function container: `input` and `package` (init containers) and
# `sidecar` (native sidecar) modes of src/observer/pod/main.ts. It needs Node and one npm package,
# tar, which unpacks a function's uploaded package (`package` mode).
# Build from the repository root:  docker build -f deploy/docker/observer.Dockerfile -t pontoon-observer .
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
RUN npx tsc -p tsconfig.json

FROM node:20-bookworm-slim AS deps
WORKDIR /deps
RUN npm init -y >/dev/null && npm install --no-audit --no-fund tar@7.5.24

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=deps /deps/node_modules ./node_modules
# package.json says "type": "module", which the compiled ES modules need.
COPY --from=build /src/package.json ./
COPY --from=build /src/dist/src/observer/pod ./dist/src/observer/pod
COPY --from=build /src/dist/src/domain/errors.js ./dist/src/domain/errors.js
# Any uid works: the input container makes the shared volume writable for the function's user.
USER 65532:65532
ENTRYPOINT ["node", "/app/dist/src/observer/pod/main.js"]
