# Production image: the app, its templates and the vendored front-end assets built from npm.
FROM node:20-bookworm-slim AS frontend
WORKDIR /build/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VENTANILLA_ENV=production
WORKDIR /app
# Invoice PDFs (WeasyPrint): Pango, HarfBuzz subsetting and fonts for Spanish, Vietnamese and CJK.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 \
    libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core fonts-noto-cjk fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md alembic.ini ./
COPY backend ./backend
COPY alembic ./alembic
COPY frontend/templates ./frontend/templates
COPY frontend/static ./frontend/static
COPY frontend/locales ./frontend/locales
COPY --from=frontend /build/frontend/node_modules/htmx.org/dist/htmx.min.js ./frontend/static/vendor/htmx.min.js
COPY --from=frontend /build/frontend/node_modules/swagger-ui-dist/swagger-ui-bundle.js /build/frontend/node_modules/swagger-ui-dist/swagger-ui.css ./frontend/static/vendor/swagger-ui/
RUN pip install --no-cache-dir . && useradd --system --home /app ventanilla && mkdir -p var/blobs \
    && chown -R ventanilla var
USER ventanilla
EXPOSE 8000
CMD ["sh", "-c", "ventanilla db upgrade && ventanilla serve --host 0.0.0.0 --port 8000 --workers 2"]
