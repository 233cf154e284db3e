FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
# The build bundles the segment calculator for the composer (build/static, served as static/build/).
RUN npm ci --no-audit --no-fund --loglevel=error && npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# pyproject.toml lists the dependencies; the code itself runs from /app.
COPY pyproject.toml ./
RUN pip install --no-cache-dir .
COPY . .
COPY --from=assets /app/node_modules ./node_modules
COPY --from=assets /app/build ./build
# collectstatic signs nothing, but settings refuse to start without a real key: a throwaway one.
RUN DEBUG=false SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    python manage.py collectstatic --noinput
EXPOSE 8000
# Workers, threads and the address come from gunicorn.conf.py (WEB_CONCURRENCY, GUNICORN_THREADS).
CMD ["gunicorn", "smsapp.wsgi"]
