# syntax=docker/dockerfile:1
#
# moleculer-jwt-gateway: one image for every role; SERVICES picks what a container runs.
#   docker build -t moleculer-jwt-gateway .
#   docker run -p 3000:3000 -e JWT_ISSUER=https://auth.example.com/ -e NODE_ENV=production moleculer-jwt-gateway
# Node 24, as in package.json `engines` and .nvmrc (test/repo/dockerfile.spec.ts keeps them equal).
ARG NODE_IMAGE=node:24.11.1-bookworm-slim

# ---- build: all dependencies (the `node` devDependency included), TypeScript -> dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# What tsconfig.build.json compiles, and nothing else.
COPY tsconfig.json tsconfig.build.json index.ts moleculer.config.ts ./
COPY lib ./lib
COPY mixins ./mixins
COPY services ./services
RUN npm run build

# ---- runtime: production dependencies and the built output only ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# The image's own Node 24 runs everything here: the `node` devDependency is not installed.
# package.json is the package's (moleculer-jwks-auth): its dependencies and its peers moleculer
# and moleculer-web come from the lock; the built app finds the package in dist/ through the
# manifest's `exports`. What only the example app runs (the NATS transporter, the Pino logger,
# Redis revocations, the development issuer's signer) is added at the devDependencies' versions
# (test/unit/dockerfile.spec.ts keeps them equal).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
	&& npm install --no-save --omit=dev --ignore-scripts --no-audit --no-fund nats@2.29.3 pino@10.4.0 ioredis@5.9.3 jsonwebtoken@9.0.3 \
	&& npm cache clean --force
COPY --from=build /app/dist ./dist
COPY docker/healthcheck.js ./docker/healthcheck.js
COPY bin/serve.js ./bin/serve.js
ENV SERVICEDIR=dist/services PORT=3000
# The official image's unprivileged user; the app only reads /app.
USER node
# 3000: the gateway (api nodes); 3030: Prometheus /metrics (every node unless METRICS=false).
EXPOSE 3000 3030
# Role-aware, no curl/wget needed: /health/live on api nodes, /metrics on nodes without HTTP,
# PID 1 alive when metrics are off (see docker/healthcheck.js).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
	CMD ["node", "docker/healthcheck.js"]
# bin/serve.js as PID 1 (exec form), exactly as `npm run serve`: moleculer-runner with
# dist/moleculer.config.js in this process (WEB_CONCURRENCY=N: N workers on one port). SIGTERM
# reaches the broker, which drains in-flight requests. The young generation is capped (V8 would
# double it under steady traffic, most of the memory growth a soak sees, test/soak/soak.ts), and
# V8's memory reducer is off: after its collection in a quiet moment every request executed
# ~25 % more instructions, for as long as the process ran (bench/HISTORY.md, "The memory reducer").
CMD ["node", "--max-semi-space-size=16", "--no-memory-reducer", "bin/serve.js"]
