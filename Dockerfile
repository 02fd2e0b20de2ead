# syntax=docker/dockerfile:1
# Multi-stage: dependencies are installed from the lockfile in a build stage; the runtime stage
# runs as the unprivileged `node` user. The bot applies migrations at start, then runs.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json drizzle.config.ts ./
COPY src ./src
COPY migrations ./migrations
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# the bot applies the migrations at start, then runs; exec form so node is PID 1 and gets SIGTERM.
# A 32 MB young generation (semi-space) as in `npm start`: the monitor's garbage is collected
# every few hundred ticks instead of every few dozen (README, Benchmarks)
CMD ["node", "--max-semi-space-size=32", "--min-semi-space-size=32", "--import", "tsx", "src/main.ts"]
