# syntax=docker/dockerfile:1.7
# One build for every Vaultrun image: `--target api`, `--target worker` or `--target web`.

FROM node:22-bookworm-slim AS base
ARG PNPM_VERSION=12.21.0
RUN npm install --global "pnpm@${PNPM_VERSION}" && npm cache clean --force
WORKDIR /app

# ---- build: install with the lockfile, compile everything, then drop dev dependencies ----------
FROM base AS build
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/web/package.json apps/web/
COPY packages/config/package.json packages/config/
COPY packages/db/package.json packages/db/
COPY packages/vault-core/package.json packages/vault-core/
COPY packages/providers/package.json packages/providers/
COPY packages/engine/package.json packages/engine/
COPY packages/money/package.json packages/money/
RUN pnpm install --frozen-lockfile
COPY . .
RUN pnpm build \
 && pnpm install --prod --frozen-lockfile --offline

# ---- api: HTTP API (also runs the database migrations as a one-shot command) ------------------
FROM node:22-bookworm-slim AS api
ENV NODE_ENV=production VAULTRUN_API_HOST=0.0.0.0 VAULTRUN_API_PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD node -e "fetch('http://127.0.0.1:3000/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "apps/api/dist/main.js"]

# ---- worker: BullMQ workers; SIGTERM lets in-flight jobs finish -------------------------------
FROM node:22-bookworm-slim AS worker
ENV NODE_ENV=production VAULTRUN_WORKER_HEALTH_HOST=0.0.0.0 VAULTRUN_WORKER_HEALTH_PORT=3001
WORKDIR /app
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 3001
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD node -e "fetch('http://127.0.0.1:3001/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
CMD ["node", "apps/worker/dist/main.js"]

# ---- web: the built console behind nginx, proxying the API on the same origin -----------------
FROM nginx:1.27-alpine AS web
COPY docker/nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=build /app/apps/web/dist /usr/share/nginx/html
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD wget -q -O /dev/null http://127.0.0.1:8080/healthz || exit 1
