# syntax=docker/dockerfile:1
# Multi-stage, from the lockfile: a build stage compiles TypeScript to dist/ with the dev
# dependencies; the runtime stage has only the production dependencies and the compiled JavaScript,
# and runs as the unprivileged `node` user. The bot applies migrations at start, then runs.
# Node 24 is an LTS line (supported until April 2028); override with --build-arg NODE_VERSION=…
ARG NODE_VERSION=24
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# exec form so node is PID 1 and gets SIGTERM. A 32 MB young generation (semi-space) as in
# `npm start`: the monitor's garbage is collected every few hundred ticks, not every few dozen.
CMD ["node", "--max-semi-space-size=32", "--min-semi-space-size=32", "dist/main.js"]
