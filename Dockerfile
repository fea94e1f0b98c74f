# One image for the scheduler, the worker, the API and the one-shot migrations; docker-compose.yml picks the command.
#
# build:  the whole workspace with its development dependencies, and the Prisma client generated (prisma generate
#         is a development tool; the client it writes is TypeScript source the apps import).
# prod:   the same sources with production dependencies only, for the three apps and the packages they use.
# final:  what the apps run and nothing else: no development dependencies, no tests, no CLI, no evaluation, no fake
#         Anthropic server (packages/fake-anthropic is for tests), run as the unprivileged `node` user.
# Apps run their TypeScript with tsx, a production dependency of each app (README "Production notes").

FROM node:20.20-bookworm-slim AS base
RUN npm install --global pnpm@12.4.2 && npm cache clean --force
WORKDIR /repo
# Manifests first: the dependency layers are rebuilt only when a manifest or the lockfile changes. Every workspace
# project is listed, since a frozen install refuses a lockfile naming projects that are not there.
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
COPY apps/api/package.json apps/api/
COPY apps/scheduler/package.json apps/scheduler/
COPY apps/worker/package.json apps/worker/
COPY packages/anthropic/package.json packages/anthropic/
COPY packages/auth/package.json packages/auth/
COPY packages/cli/package.json packages/cli/
COPY packages/db/package.json packages/db/
COPY packages/engagement/package.json packages/engagement/
COPY packages/eval/package.json packages/eval/
COPY packages/fake-anthropic/package.json packages/fake-anthropic/
COPY packages/queue/package.json packages/queue/
COPY packages/runtime/package.json packages/runtime/
COPY packages/use-cases/package.json packages/use-cases/

FROM base AS build
RUN pnpm install --frozen-lockfile
COPY . .
RUN pnpm --filter @engagement/db generate

FROM base AS prod
# Production dependencies of the three apps and of the workspace packages they depend on.
RUN pnpm install --frozen-lockfile --prod \
      --filter "@engagement/api..." --filter "@engagement/worker..." --filter "@engagement/scheduler..."
COPY . .
COPY --from=build /repo/packages/db/src/generated packages/db/src/generated
# @prisma/client names the Prisma CLI (and TypeScript) as optional peers, which pnpm links because the data package
# has the CLI as a development dependency; the apps never load either (the generated client needs only
# @prisma/client's runtime), so they are removed. Tests and the packages only tests and the CLI use go too.
RUN rm -rf node_modules/.pnpm/prisma@* node_modules/.pnpm/@prisma+dev@* node_modules/.pnpm/@prisma+studio-core@* \
      node_modules/.pnpm/typescript@* \
      packages/cli packages/eval packages/fake-anthropic apps/*/test packages/*/src/testing \
  && find apps packages -name "*.test.ts" -delete

FROM node:20.20-bookworm-slim AS final
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod --chown=root:root /repo/package.json /repo/pnpm-workspace.yaml ./
COPY --from=prod --chown=root:root /repo/node_modules node_modules
COPY --from=prod --chown=root:root /repo/prisma prisma
COPY --from=prod --chown=root:root /repo/packages packages
COPY --from=prod --chown=root:root /repo/apps apps
# The code belongs to root and is read-only for the process; it runs as `node` (uid 1000, in the base image).
USER node
# Each service sets its own command (docker-compose.yml); alone, the image runs the worker.
WORKDIR /app/apps/worker
CMD ["node", "--import", "tsx", "src/main.ts"]
