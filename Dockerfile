# syntax=docker/dockerfile:1
# Multi-stage: build with every dependency (the Prisma CLI generates the client, tsc compiles it),
# run the compiled JavaScript with production dependencies only, as a non-root user, under an
# init process. Node 22: the supported track for new deployments (the code also runs on 20.19+).

FROM node:22-bookworm-slim AS build
WORKDIR /app
ENV CI=true npm_config_update_notifier=false
# postinstall generates the Prisma client: it needs the schema and the generator script.
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY scripts/prisma-generate.mjs ./scripts/prisma-generate.mjs
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsc type-checks and compiles src/ to dist/src/ (with the persisted-documents manifest).
RUN npm run -s build && npm prune --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Production: no GraphiQL, no introspection, no mock sign-in, no demo data (even on the
# embedded database), /metrics only with METRICS_TOKEN, no CORS unless CORS_ORIGINS.
ENV NODE_ENV=production APP_ENV=production HOST=0.0.0.0 PORT=4000 PGLITE_DATA_DIR=/app/.data/pglite LOG_LEVEL=info
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
# Compiled modules go where src/ was: paths they resolve from their own location (migrations,
# content, the manifest) are the same as in a checkout.
COPY --from=build --chown=node:node /app/dist/src ./src
COPY --from=build --chown=node:node /app/prisma ./prisma
COPY --chown=node:node content ./content
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
VOLUME ["/app/.data"]
EXPOSE 4000
# Slim images have no curl: the health check uses Node's fetch.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# tini forwards SIGTERM to node, which drains (SHUTDOWN_TIMEOUT_MS) and exits.
ENTRYPOINT ["/usr/bin/tini", "--"]
# Migrations first (under an advisory lock, so replicas starting together are safe), then the server.
# A 64 MB young generation: a read allocates many short-lived objects (README, Benchmarks).
CMD ["node", "--max-semi-space-size=64", "src/main.js"]
