# The Pontoon controller: `pontoon up --executor kubernetes` (the Helm chart's Deployment).
# Build from the repository root:  docker build -f deploy/docker/controller.Dockerfile -t pontoon .
FROM node:20-bookworm-slim AS build
WORKDIR /src
# better-sqlite3 compiles when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY bin ./bin
COPY examples ./examples
# The uid the chart's podSecurityContext runs as; the data dir is a volume it can write.
USER 65532:65532
EXPOSE 7070 7071
ENTRYPOINT ["node", "/app/bin/pontoon.js"]
CMD ["up", "--executor", "kubernetes", "--host", "0.0.0.0", "--observer-host", "0.0.0.0"]
