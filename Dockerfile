# fwconsole images, built by docker-compose.yml:
#   app    the console: web (gunicorn), Celery worker and beat share it
#   samba  a Samba AD domain controller for demos (never for production)

# --- build: python-ldap compiles against the OpenLDAP and SASL headers --------
FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libldap2-dev libsasl2-dev \
    && rm -rf /var/lib/apt/lists/*
COPY requirements/base.txt /tmp/base.txt
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --require-hashes -r /tmp/base.txt

# --- app ----------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS app
RUN apt-get update \
    && apt-get install -y --no-install-recommends libldap-2.5-0 libsasl2-2 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /srv/fwconsole --shell /usr/sbin/nologin fwconsole
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=fwconsole.settings \
    FWCONSOLE_DATA_DIR=/var/lib/fwconsole \
    FWCONSOLE_STATICFILES_STORAGE=whitenoise.storage.CompressedManifestStaticFilesStorage
WORKDIR /srv/fwconsole
COPY manage.py ./
COPY fwconsole fwconsole
COPY directory directory
COPY policies policies
# Static files are collected into the image (whitenoise serves them), so the
# data folder needs no volume for the web server.
RUN python manage.py collectstatic --noinput --verbosity 0 \
    && chown -R fwconsole /var/lib/fwconsole
USER fwconsole
EXPOSE 8000
CMD ["gunicorn", "fwconsole.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]

# --- samba: a demo domain controller ------------------------------------------
FROM debian:bookworm-slim AS samba
RUN apt-get update \
    && apt-get install -y --no-install-recommends samba-ad-dc samba-ad-provision \
       ldap-utils openssl ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY scripts/samba-container.sh /usr/local/bin/samba-container.sh
EXPOSE 389 636
CMD ["/usr/local/bin/samba-container.sh"]
