# syntax=docker/dockerfile:1
#
# Order Hub image: one image, three processes.
#   api      node dist/src/app/server.js       (the default CMD)
#   worker   node dist/src/app/worker.js       (loads the workflow bundle built here: ORDER_HUB_WORKFLOW_BUNDLE)
#   wms-sim  node dist/src/devkit/wms-sim/main.js
#
# Build:  docker build -t order-hub .        (or `docker compose build`)
# Health checks live in docker-compose.yml: each process listens on a different port.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
# base: Node 20 with npm 11, which understands package.json's `allowScripts` install-script policy.
FROM ${NODE_IMAGE} AS base
ARG NPM_VERSION=11
RUN npm install -g "npm@${NPM_VERSION}" --no-audit --no-fund \
 && npm cache clean --force
WORKDIR /app

# ---------------------------------------------------------------------------------------------
# deps: production node_modules only (copied into the runtime image as they are).
FROM base AS deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------------------------
# build: all dependencies, then `tsc -p tsconfig.build.json` -> dist/src/... and dist/migrations/...,
# and the workflows bundled ahead -> dist/workflow-bundle.js (webpack runs here, not in each worker).
FROM base AS build
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build
# The order workflows with the log-context interceptors, as one file: a worker loads it instead of
# running webpack at start-up (faster start, less memory per replica).
RUN npm run bundle:workflows -- dist/workflow-bundle.js
# The web console: React + Vite, static files the API serves at `/`.
COPY web ./web
RUN npm run build:web

# ---------------------------------------------------------------------------------------------
# runtime: no compiler, no dev dependencies, no TypeScript sources; runs as the unprivileged `node` user.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# Read by the worker only (src/app/worker-factory.ts); the api and wms-sim ignore it.
ENV ORDER_HUB_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY package.json ./
# The code stays root-owned and read-only to the app; only DATA_DIR (default .data) is writable.
RUN mkdir -p /app/.data && chown node:node /app/.data
# The image's `node` user, by number so that orchestrators can verify it is not root (runAsNonRoot).
USER 1000:1000
# 3000: api (HTTP, /healthz, /metrics)   9464: worker's Temporal SDK Prometheus exporter
# 9465: worker's app metrics (/metrics)  wms-sim listens on WMS_SIM_PORT (4010 in compose)
EXPOSE 3000 9464 9465
CMD ["node", "dist/src/app/server.js"]
