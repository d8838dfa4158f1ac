# The one image every Wuding service runs from: `wuding serve <service>`, `wuding migrate`.
# PYTHON_IMAGE: the base, for registries that mirror it (tests/containers/image_check.py
# builds with a local stand-in where no registry is reachable).
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LANG=C.UTF-8
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin wuding
USER 10001
ENTRYPOINT ["wuding"]
CMD ["--help"]
