# Production image: the same install as `make run`, served by uvicorn.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    RULES_DIR=/srv/eenzaamheidswijzer/rules \
    CATALOGUE_CSV=/srv/eenzaamheidswijzer/data/initiatives.csv \
    DATABASE_URL=sqlite:////srv/eenzaamheidswijzer/instance/eenzaamheidswijzer.db
WORKDIR /srv/eenzaamheidswijzer

COPY pyproject.toml constraints.txt README.md ./
COPY app ./app
RUN pip install -c constraints.txt .

COPY rules ./rules
COPY data ./data

# The SQLite database lives in instance/; mount a volume there or set DATABASE_URL.
RUN useradd --system --home-dir /srv/eenzaamheidswijzer app \
    && mkdir instance && chown app instance
USER app
EXPOSE 8000
CMD ["python", "-m", "app", "serve", "--host", "0.0.0.0", "--port", "8000"]
