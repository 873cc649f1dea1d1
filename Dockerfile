# Airflow image with airflow-provider-360learning and its local API emulator (airflow-provider-360learning-emulator) installed.
# Used by docker-compose.yaml for every Airflow service and for the emulator.
FROM apache/airflow:3.3.2-python3.11

USER airflow
# Created by the airflow user (WORKDIR alone would create it owned by root) so that the
# build below may write its metadata next to the sources.
RUN mkdir -p /opt/airflow/src/airflow-provider-360learning
WORKDIR /opt/airflow/src/airflow-provider-360learning

# Only what the build needs: not the repository's .venv, .git or caches. The bracket globs make the
# top-level README.md and LICENSE optional (a glob may match nothing; a plain name may not).
COPY --chown=airflow:0 pyproject.toml README.m[d] LICENS[E] ./
COPY --chown=airflow:0 airflow_provider_360learning ./airflow_provider_360learning
# The emulator is its own distribution (airflow-provider-360learning-emulator), installed from its folder.
COPY --chown=airflow:0 emulator/pyproject.toml emulator/README.md ./emulator/
COPY --chown=airflow:0 emulator/src ./emulator/src

# Pin apache-airflow to the image's version so pip cannot up- or downgrade Airflow itself
# (see https://airflow.apache.org/docs/docker-stack/build.html).
# The local emulator folder in the same command, so that the [emulator] extra needs no index holding it.
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" ".[emulator]" ./emulator

WORKDIR /opt/airflow
