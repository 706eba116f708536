# Production image: the same install as `make run`, served by `python -m app serve`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# WeasyPrint (plan PDF) needs Pango; fonts for the PDF.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/eenzaamheidswijzer
COPY pyproject.toml constraints.txt README.md ./
COPY app ./app
COPY rules ./rules
COPY data ./data
COPY templates ./templates
COPY static ./static
# Editable install: the app finds rules/, data/, templates/ and static/ beside itself.
RUN pip install -c constraints.txt -e .

# The SQLite database lives in instance/; mount a volume there or set DATABASE_URL.
RUN useradd --system --home-dir /srv/eenzaamheidswijzer app \
    && mkdir instance && chown app instance
USER app
EXPOSE 8000
# Worker processes: WEB_CONCURRENCY (e.g. `docker run -e WEB_CONCURRENCY=4`), else one per
# CPU; the database is upgraded and seeded once before they start. With several containers
# on one database (docker-compose.yml), one-shot `python -m app db upgrade --seed` does that
# and PREPARE_DATABASE=false makes this command only check the schema's revision.
# Exec form: python is PID 1 and gets SIGTERM, and gunicorn stops its workers gracefully.
CMD ["python", "-m", "app", "serve", "--host", "0.0.0.0", "--port", "8000"]
