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
# the bot applies the migrations at start, then runs; exec form so node is PID 1 and gets SIGTERM
CMD ["node", "--import", "tsx", "src/main.ts"]
