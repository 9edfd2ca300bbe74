# Zhaoxi (朝夕) portal image: web (gunicorn), Celery worker and beat all run from this one image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=portal.settings \
    ZHAOXI_VAR_DIR=/app/var \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    DJANGO_MEDIA_ROOT=/app/media

# gettext compiles the translations; nothing else is needed at run time (psycopg ships its own libpq).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Production dependencies only: requirements-dev.lock (tests, linters, browsers) never enters the image.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

COPY . .

# Static files and compiled messages are built into the image. The key, host, database and Redis below
# exist only for this build step (nothing connects to them): the running container refuses to start
# without its own DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL and REDIS_URL.
RUN DJANGO_SECRET_KEY=build-only-collectstatic DJANGO_ALLOWED_HOSTS=localhost \
        DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
        sh -c "python manage.py compilemessages --ignore=.venv && python manage.py collectstatic --noinput" \
    && useradd --create-home --uid 1000 zhaoxi \
    && mkdir -p /app/var /app/media \
    && chown -R zhaoxi:zhaoxi /app/var /app/media

USER zhaoxi
EXPOSE 8000

CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-", "--forwarded-allow-ips", "*"]
