# One image for the scheduler, the worker and the API; docker-compose.yml picks the command.
FROM node:20-bookworm-slim
WORKDIR /app
RUN npm install --global pnpm@12.4.2
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
COPY apps/scheduler/package.json apps/scheduler/
COPY apps/worker/package.json apps/worker/
COPY apps/api/package.json apps/api/
COPY packages/db/package.json packages/db/
COPY packages/engagement/package.json packages/engagement/
COPY packages/queue/package.json packages/queue/
COPY packages/runtime/package.json packages/runtime/
COPY packages/fake-anthropic/package.json packages/fake-anthropic/
COPY packages/cli/package.json packages/cli/
RUN pnpm install --frozen-lockfile
COPY . .
RUN pnpm --filter @engagement/db generate
ENV NODE_ENV=production
# Apps run their TypeScript with tsx (the workspace packages are TypeScript sources, see README).
CMD ["pnpm", "--filter", "@engagement/worker", "start"]
