# One image per deployable, each a named target built from the workspace folder APP:
#   docker build --target connector-api    --build-arg APP=connector-api    -t codecommit-evidence/connector-api .
#   docker build --target repo-sync        --build-arg APP=repo-sync        -t codecommit-evidence/repo-sync .
#   docker build --target iam-sync         --build-arg APP=iam-sync         -t codecommit-evidence/iam-sync .
#   docker build --target checks-evaluator --build-arg APP=checks-evaluator -t codecommit-evidence/checks-evaluator .
#   docker build --target migrate          --build-arg APP=evidence-store   -t codecommit-evidence/migrate .
#   docker build --target fake-aws         --build-arg APP=fake-aws         -t codecommit-evidence/fake-aws .
# `pnpm images` builds and smoke-runs all of them (targets and APPs come from docker-compose.yml).
# Plain Dockerfile syntax on purpose: no `# syntax=` line, so BuildKit uses its built-in frontend
# instead of pulling one.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS base
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH CI=true TURBO_TELEMETRY_DISABLED=1
RUN npm install -g pnpm@9.15.9 turbo@2.11.11

# 1. A workspace pruned to the app and the packages it depends on.
FROM base AS prune
ARG APP
WORKDIR /src
COPY . .
RUN test -n "${APP}" || { echo "set --build-arg APP=<workspace folder>" >&2; exit 1; }
RUN turbo prune "@codecommit-evidence/${APP}" --docker

# 2. Install from the pruned lockfile (cached while package.json files do not change), build, then
#    deploy the app with production dependencies only (each package ships only its `files`).
FROM base AS build
ARG APP
WORKDIR /src
COPY --from=prune /src/out/json/ .
RUN pnpm install --frozen-lockfile
COPY --from=prune /src/out/full/ .
COPY tsconfig.base.json ./
COPY scripts/build-package.mjs ./scripts/
RUN turbo run build --filter="@codecommit-evidence/${APP}..."
# Read-only here, so the runtime's COPY keeps the modes without a second (chmod) layer.
RUN pnpm --filter="@codecommit-evidence/${APP}" deploy --prod /out && chmod -R a-w /out

# 2b. The web console's static assets (apps/console, built with esbuild from its sources), which the
#     connector-api image serves under /console.
FROM base AS console-prune
WORKDIR /src
COPY . .
RUN turbo prune "@codecommit-evidence/console" --docker

FROM base AS console-build
WORKDIR /src
COPY --from=console-prune /src/out/json/ .
RUN pnpm install --frozen-lockfile
COPY --from=console-prune /src/out/full/ .
COPY tsconfig.base.json ./
RUN pnpm --filter "@codecommit-evidence/console" run build && chmod -R a-w apps/console/dist

# 3. The runtime: compiled JavaScript and production dependencies, owned by root and read-only to the
#    non-root user that runs them (a compromised process cannot rewrite the app).
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out .
USER node

# 4. One target per image: its command, and a build-time check that APP matched the target.
FROM runtime AS connector-api
RUN node -e "process.exit(require('./package.json').name === '@codecommit-evidence/connector-api' ? 0 : 1)" || { echo "build --target connector-api with --build-arg APP=connector-api" >&2; exit 1; }
COPY --from=console-build /src/apps/console/dist /app/console
ENV CONSOLE_DIR=/app/console
EXPOSE 8080
CMD ["node", "dist/index.js"]

FROM runtime AS repo-sync
RUN node -e "process.exit(require('./package.json').name === '@codecommit-evidence/repo-sync' ? 0 : 1)" || { echo "build --target repo-sync with --build-arg APP=repo-sync" >&2; exit 1; }
EXPOSE 9101
CMD ["node", "dist/index.js"]

FROM runtime AS iam-sync
RUN node -e "process.exit(require('./package.json').name === '@codecommit-evidence/iam-sync' ? 0 : 1)" || { echo "build --target iam-sync with --build-arg APP=iam-sync" >&2; exit 1; }
EXPOSE 9102
CMD ["node", "dist/index.js"]

FROM runtime AS checks-evaluator
RUN node -e "process.exit(require('./package.json').name === '@codecommit-evidence/checks-evaluator' ? 0 : 1)" || { echo "build --target checks-evaluator with --build-arg APP=checks-evaluator" >&2; exit 1; }
EXPOSE 9103
# A V8 heap limit under the container's 1 GiB (deploy/kubernetes/base/checks-evaluator.yaml): a 10,000-
# repository evaluation holds at most ~280 MB live, but without a limit a long-lived worker lets the
# garbage of earlier evaluations grow the heap past 1 GB (measured: 1,167 MB on a second evaluation).
ENV NODE_OPTIONS=--max-old-space-size=640
CMD ["node", "dist/index.js"]

FROM runtime AS migrate
RUN node -e "process.exit(require('./package.json').name === '@codecommit-evidence/evidence-store' ? 0 : 1)" || { echo "build --target migrate with --build-arg APP=evidence-store" >&2; exit 1; }
CMD ["node", "bin/cce-migrate.js"]

FROM runtime AS fake-aws
RUN node -e "process.exit(require('./package.json').name === '@codecommit-evidence/fake-aws' ? 0 : 1)" || { echo "build --target fake-aws with --build-arg APP=fake-aws" >&2; exit 1; }
# The demo account travels with the image, so Compose and Kubernetes need no volume for it.
COPY --from=prune /src/scenarios/ /scenarios/
EXPOSE 4566
CMD ["node", "bin/fake-aws.js", "serve", "--scenario", "/scenarios/demo.json", "--host", "0.0.0.0", "--port", "4566", "--shift-dates"]
