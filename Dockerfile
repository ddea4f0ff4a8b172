# syntax=docker/dockerfile:1
# Multi-stage: build with every dependency (the Prisma CLI generates the client), run with
# production dependencies only, as a non-root user, under an init process.

FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV CI=true npm_config_update_notifier=false
# postinstall generates the Prisma client: it needs the schema and the generator script.
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY scripts/prisma-generate.mjs ./scripts/prisma-generate.mjs
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
COPY content ./content
RUN npm run -s typecheck && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production APP_ENV=production HOST=0.0.0.0 PORT=4000 PGLITE_DATA_DIR=/app/.data/pglite LOG_LEVEL=info
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/src ./src
COPY --from=build --chown=node:node /app/scripts ./scripts
COPY --from=build --chown=node:node /app/prisma ./prisma
COPY --from=build --chown=node:node /app/content ./content
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
VOLUME ["/app/.data"]
EXPOSE 4000
# Slim images have no curl: the health check uses Node's fetch.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# Migrations first (under an advisory lock, so replicas starting together are safe), then the server.
CMD ["node", "--import", "tsx", "src/main.ts"]
