# syntax=docker/dockerfile:1.7
# One image per app: docker build --build-arg APP=connector-api -t cce-connector-api .
# APP is a workspace folder name: connector-api, repo-sync, iam-sync, checks-evaluator (apps/),
# evidence-store (the migrate command) or fake-aws (the demo's AWS emulator) (packages/).
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS base
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH CI=true TURBO_TELEMETRY_DISABLED=1
RUN npm install -g pnpm@9.15.9 turbo@2.11.11

# 1. A workspace pruned to the app and the packages it depends on.
FROM base AS prune
ARG APP
WORKDIR /src
COPY . .
RUN turbo prune "@codecommit-evidence/${APP}" --docker

# 2. Install from the pruned lockfile (cached while package.json files do not change), build, then
#    deploy the app with production dependencies only.
FROM base AS build
ARG APP
WORKDIR /src
COPY --from=prune /src/out/json/ .
RUN pnpm install --frozen-lockfile
COPY --from=prune /src/out/full/ .
COPY tsconfig.base.json ./
COPY scripts/build-package.mjs ./scripts/
RUN turbo run build --filter="@codecommit-evidence/${APP}..."
RUN pnpm --filter="@codecommit-evidence/${APP}" deploy --prod /out

# 3. The runtime: compiled JavaScript, production dependencies, a non-root user.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /out .
USER node
CMD ["node", "dist/index.js"]
